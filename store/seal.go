package store

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"

	bolt "go.etcd.io/bbolt"
)

// From schema v3 every record — incidents, events, outbox rows, channel
// and dedupe entries, publish metadata — is sealed: its value starts with
// the CRC-32C (Castagnoli) of the record's key followed by its encoded
// value, so a flipped bit in a key or a value is caught when the record is
// read and by Check and Verify, instead of being served as data. bbolt
// checksums only its meta pages. The open and dedupe_exp indexes have
// empty values and are checked against the sealed records they index.

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// sealSize is the length of the checksum before every sealed value.
const sealSize = 4

func recordCRC(k, v []byte) uint32 {
	return crc32.Update(crc32.Checksum(k, castagnoli), castagnoli, v)
}

// seal returns v prefixed with the checksum of k and v.
func seal(k, v []byte) []byte {
	out := make([]byte, sealSize+len(v))
	binary.BigEndian.PutUint32(out, recordCRC(k, v))
	copy(out[sealSize:], v)
	return out
}

// unseal checks a sealed value stored under k and returns the value
// (aliasing sv: valid only for the transaction). A missing or wrong
// checksum is ErrCorrupt.
func unseal(k, sv []byte) ([]byte, error) {
	if len(sv) < sealSize {
		return nil, fmt.Errorf("record %x: %d bytes, too short for its checksum: %w", k, len(sv), ErrCorrupt)
	}
	v := sv[sealSize:]
	if got, want := recordCRC(k, v), binary.BigEndian.Uint32(sv); got != want {
		return nil, fmt.Errorf("record %x: checksum %08x, stored %08x: %w", k, got, want, ErrCorrupt)
	}
	return v, nil
}

// unsealU64 reads a sealed big-endian number (channel and dedupe values).
func unsealU64(k, sv []byte) (uint64, error) {
	v, err := unseal(k, sv)
	if err != nil {
		return 0, err
	}
	n, ok := btou(v)
	if !ok {
		return 0, fmt.Errorf("record %x: value %x is not a number: %w", k, v, ErrCorrupt)
	}
	return n, nil
}

// getU64 reads the sealed number under k in b; ok is false when k is
// absent.
func getU64(b *bolt.Bucket, k []byte) (n uint64, ok bool, err error) {
	sv := b.Get(k)
	if sv == nil {
		return 0, false, nil
	}
	n, err = unsealU64(k, sv)
	return n, err == nil, err
}

// sealedBuckets are the flat buckets whose values are sealed from v3; the
// events and pubmeta buckets hold one sealed bucket per incident.
var sealedBuckets = [][]byte{bIncidents, bOutbox, bChannels, bDedupe}
var sealedNested = [][]byte{bEvents, bPubmeta}

// kSequences (meta bucket, v3) seals a copy of the incidents and outbox
// buckets' sequences, which bbolt keeps in bucket headers no checksum
// covers: a flipped bit there would reuse or skip numbers unnoticed.
var kSequences = []byte("sequences")

// syncSequences records the current incidents and outbox sequences when
// they moved. Every write transaction ends with it (the group committer,
// and DB.submit without it).
func syncSequences(tx *bolt.Tx) error {
	inc, out := tx.Bucket(bIncidents).Sequence(), tx.Bucket(bOutbox).Sequence()
	if si, so, err := sealedSequences(tx); err == nil && si == inc && so == out {
		return nil
	}
	v := make([]byte, 16)
	binary.BigEndian.PutUint64(v, inc)
	binary.BigEndian.PutUint64(v[8:], out)
	return tx.Bucket(bMeta).Put(kSequences, seal(kSequences, v))
}

// sealedSequences reads what syncSequences stored.
func sealedSequences(tx *bolt.Tx) (incidents, outbox uint64, err error) {
	sv := tx.Bucket(bMeta).Get(kSequences)
	if sv == nil {
		return 0, 0, fmt.Errorf("meta: sealed sequences missing: %w", ErrCorrupt)
	}
	v, err := unseal(kSequences, sv)
	if err != nil {
		return 0, 0, err
	}
	if len(v) != 16 {
		return 0, 0, fmt.Errorf("meta: sealed sequences of %d bytes: %w", len(v), ErrCorrupt)
	}
	return binary.BigEndian.Uint64(v), binary.BigEndian.Uint64(v[8:]), nil
}

// upV3 seals every record and the sequences.
func upV3(tx *bolt.Tx) error {
	if err := rewriteRecords(tx, func(k, v []byte) ([]byte, error) { return seal(k, v), nil }); err != nil {
		return err
	}
	return syncSequences(tx)
}

// downV3 checks and strips every record's checksum.
func downV3(tx *bolt.Tx) error {
	err := rewriteRecords(tx, func(k, sv []byte) ([]byte, error) {
		v, err := unseal(k, sv)
		return append([]byte(nil), v...), err
	})
	if err != nil {
		return err
	}
	return tx.Bucket(bMeta).Delete(kSequences)
}

// rewriteRecords replaces every record value of the sealed buckets with
// f(key, value). Values are collected first: a bucket must not change
// while it is iterated.
func rewriteRecords(tx *bolt.Tx, f func(k, v []byte) ([]byte, error)) error {
	rewrite := func(b *bolt.Bucket, name string) error {
		type kv struct{ k, v []byte }
		var all []kv
		err := b.ForEach(func(k, v []byte) error {
			if v == nil {
				return fmt.Errorf("%s: unexpected bucket %x: %w", name, k, ErrCorrupt)
			}
			nv, err := f(k, v)
			if err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			all = append(all, kv{append([]byte(nil), k...), nv})
			return nil
		})
		if err != nil {
			return err
		}
		for _, r := range all {
			if err := b.Put(r.k, r.v); err != nil {
				return err
			}
		}
		return nil
	}
	for _, name := range sealedBuckets {
		b := tx.Bucket(name)
		if b == nil {
			return fmt.Errorf("bucket %s missing: %w", name, ErrCorrupt)
		}
		if err := rewrite(b, string(name)); err != nil {
			return err
		}
	}
	for _, name := range sealedNested {
		parent := tx.Bucket(name)
		if parent == nil {
			return fmt.Errorf("bucket %s missing: %w", name, ErrCorrupt)
		}
		var keys [][]byte
		_ = parent.ForEachBucket(func(nk []byte) error {
			keys = append(keys, append([]byte(nil), nk...))
			return nil
		})
		for _, nk := range keys {
			if err := rewrite(parent.Bucket(nk), fmt.Sprintf("%s/%x", name, nk)); err != nil {
				return err
			}
		}
	}
	return nil
}
