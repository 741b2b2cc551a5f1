package store

import (
	"bytes"
	"encoding/json"
	"fmt"

	bolt "go.etcd.io/bbolt"
	"go.uber.org/zap"

	"github.com/firebreak-hq/firebreak/incident"
)

// SchemaVersion is the layout this binary reads and writes.
//
//	v1: events in one flat bucket keyed n|seq (16 bytes); no open index.
//	v2: one nested events bucket per incident (seq → event, the bucket's
//	    sequence is the last seq) and the `open` index of non-closed
//	    incidents, so start-up and OpenIncidents never scan history.
//	v3: every record sealed with a CRC-32C of its key and value (seal.go).
//	v4: the Slack side of an incident (card ts, origin channel, reply URL,
//	    announce ts) in its own sealed record in the slack bucket, not in
//	    the incident record (schema_v4.go).
//	v5: alert dedupe keys in arrival order, expiry|key, in their own
//	    bucket, found through an in-memory set rebuilt at open, so the
//	    alerts of one commit share a leaf page (alertdedupe.go).
const SchemaVersion = 5

// migration moves the database between Version-1 and Version. Up and Down
// each run inside the caller's single read-write transaction.
type migration struct {
	Version int
	Name    string
	Up      func(tx *bolt.Tx) error
	Down    func(tx *bolt.Tx) error
}

// migrations is the registry; migrations[i].Version == i+2. Version 1 is
// the base layout created by initV1.
var migrations = []migration{
	{Version: 2, Name: "nested events bucket per incident; open index", Up: upV2, Down: downV2},
	{Version: 3, Name: "CRC-32C checksum on every record", Up: upV3, Down: downV3},
	{Version: 4, Name: "Slack-side fields in their own record beside the incident", Up: upV4, Down: downV4},
	{Version: 5, Name: "alert dedupe keys in arrival order", Up: upV5, Down: downV5},
}

// Migrate moves an open bbolt database to schema version to (1 ≤ to ≤
// SchemaVersion), up or down, in one transaction: either every step
// commits or none does. An empty file is first initialised. It is how an
// operator downgrades a file before running an older binary; Open migrates
// up on its own.
func Migrate(db *bolt.DB, to int) error {
	return db.Update(func(tx *bolt.Tx) error { return migrateTx(tx, to, zap.NewNop()) })
}

// MigrateFile opens path (waiting opt.Timeout for its lock), migrates it to
// version to and closes it. Unlike Open it does not migrate up first.
func MigrateFile(path string, to int, opt Options) error {
	if opt.Timeout <= 0 {
		opt.Timeout = DefaultTimeout
	}
	log := zap.NewNop()
	if opt.Logger != nil {
		log = opt.Logger.Named("store")
	}
	bdb, err := openBolt(path, &bolt.Options{Timeout: opt.Timeout, NoSync: opt.NoSync})
	if err != nil {
		return err
	}
	err = bdb.Update(func(tx *bolt.Tx) error { return migrateTx(tx, to, log) })
	if cerr := bdb.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("migrate %s: %w", path, err)
	}
	return nil
}

func migrateTx(tx *bolt.Tx, to int, log *zap.Logger) error {
	if to < 1 || to > SchemaVersion {
		return fmt.Errorf("store: cannot migrate to schema %d: this binary knows 1…%d", to, SchemaVersion)
	}
	cur, err := schemaOf(tx)
	if err != nil {
		return err
	}
	if cur == 0 {
		if err := initV1(tx); err != nil {
			return err
		}
		cur = 1
	}
	if cur > SchemaVersion {
		return fmt.Errorf("schema version %d is newer than the %d this firebreak knows; run a newer firebreak or restore a backup taken by this version: %w",
			cur, SchemaVersion, ErrNewerSchema)
	}
	for cur < to {
		m := migrations[cur-1]
		if err := m.Up(tx); err != nil {
			return fmt.Errorf("store: migrate up to %d (%s): %w", m.Version, m.Name, err)
		}
		cur = m.Version
		if err := setSchema(tx, cur); err != nil {
			return err
		}
		log.Info("migrated up", zap.Int("schema", cur), zap.String("migration", m.Name))
	}
	for cur > to {
		m := migrations[cur-2]
		if err := m.Down(tx); err != nil {
			return fmt.Errorf("store: migrate down from %d (%s): %w", m.Version, m.Name, err)
		}
		cur = m.Version - 1
		if err := setSchema(tx, cur); err != nil {
			return err
		}
		log.Info("migrated down", zap.Int("schema", cur), zap.String("migration", m.Name))
	}
	return nil
}

// schemaOf reads the version; 0 means an empty file (no buckets at all).
// A file with buckets but no version is not ours.
func schemaOf(tx *bolt.Tx) (int, error) {
	mb := tx.Bucket(bMeta)
	if mb == nil {
		empty := true
		_ = tx.ForEach(func([]byte, *bolt.Bucket) error { empty = false; return nil })
		if empty {
			return 0, nil
		}
		return 0, fmt.Errorf("buckets but no meta bucket: %w", ErrCorrupt)
	}
	v, ok := btou(mb.Get(kSchema))
	if !ok || v == 0 || v > 1<<20 {
		return 0, fmt.Errorf("missing or malformed schema version: %w", ErrCorrupt)
	}
	return int(v), nil
}

func setSchema(tx *bolt.Tx, v int) error {
	return tx.Bucket(bMeta).Put(kSchema, u64(uint64(v)))
}

// initV1 creates the base layout.
func initV1(tx *bolt.Tx) error {
	for _, name := range [][]byte{bMeta, bIncidents, bEvents, bOutbox, bDedupe, bDedupeExp, bChannels, bPubmeta} {
		if _, err := tx.CreateBucketIfNotExists(name); err != nil {
			return err
		}
	}
	return setSchema(tx, 1)
}

// upV2 moves flat n|seq events into one bucket per incident and builds the
// open index. Events are copied into memory first because the flat bucket
// is replaced under the same name.
func upV2(tx *bolt.Tx) error {
	if tx.Bucket(bEvents) == nil {
		return fmt.Errorf("v1 events bucket missing: %w", ErrCorrupt)
	}
	err := rebuild(tx, bEvents, func(flat *bolt.Bucket, keep func(k, v []byte)) error {
		return flat.ForEach(func(k, v []byte) error {
			if len(k) != 16 || v == nil {
				return fmt.Errorf("v1 event key %x: %w", k, ErrCorrupt)
			}
			keep(k, v)
			return nil
		})
	}, func(eb *bolt.Bucket, k, v []byte) error {
		n, _ := btou(k[:8])
		seq, _ := btou(k[8:])
		nb, err := eb.CreateBucketIfNotExists(u64(n))
		if err != nil {
			return err
		}
		if err := nb.Put(u64(seq), v); err != nil {
			return err
		}
		if seq > nb.Sequence() {
			return nb.SetSequence(seq)
		}
		return nil
	})
	if err != nil {
		return err
	}
	ob, err := tx.CreateBucket(bOpen)
	if err != nil {
		return err
	}
	return tx.Bucket(bIncidents).ForEach(func(k, v []byte) error {
		var inc incident.Incident
		if err := json.Unmarshal(v, &inc); err != nil {
			return fmt.Errorf("incident %x: %v: %w", k, err, ErrCorrupt)
		}
		if inc.Status.Open() {
			return ob.Put(bytes.Clone(k), nil)
		}
		return nil
	})
}

// downV2 flattens the per-incident event buckets back to n|seq keys and
// drops the open index (v1 binaries scan incidents instead).
func downV2(tx *bolt.Tx) error {
	if tx.Bucket(bEvents) == nil {
		return fmt.Errorf("v2 events bucket missing: %w", ErrCorrupt)
	}
	err := rebuild(tx, bEvents, func(eb *bolt.Bucket, keep func(k, v []byte)) error {
		return eb.ForEachBucket(func(nk []byte) error {
			n, ok := btou(nk)
			if !ok {
				return fmt.Errorf("events bucket key %x: %w", nk, ErrCorrupt)
			}
			return eb.Bucket(nk).ForEach(func(k, v []byte) error {
				seq, ok := btou(k)
				if !ok || v == nil {
					return fmt.Errorf("event key %x in INC-%d: %w", k, n, ErrCorrupt)
				}
				keep(pair(n, seq), v)
				return nil
			})
		})
	}, func(flat *bolt.Bucket, k, v []byte) error {
		flat.FillPercent = 1 // appended in key order
		return flat.Put(k, v)
	})
	if err != nil {
		return err
	}
	if tx.Bucket(bOpen) != nil {
		return tx.DeleteBucket(bOpen)
	}
	return nil
}

// countOpenByScan is how a v1 file answers "how many are open".
func countOpenByScan(tx *bolt.Tx) (int, error) {
	n := 0
	err := tx.Bucket(bIncidents).ForEach(func(k, v []byte) error {
		var s struct {
			Status incident.Status `json:"status"`
		}
		if err := json.Unmarshal(v, &s); err != nil {
			return fmt.Errorf("incident %x: %v: %w", k, err, ErrCorrupt)
		}
		if s.Status.Open() {
			n++
		}
		return nil
	})
	return n, err
}

// rebuild rewrites bucket name in a new layout: read passes every entry
// of the new layout to keep (they are copied into memory, as the bucket
// is replaced under the same name), then the bucket is recreated empty
// and put stores each entry, in the order kept.
func rebuild(tx *bolt.Tx, name []byte, read func(b *bolt.Bucket, keep func(k, v []byte)) error, put func(b *bolt.Bucket, k, v []byte) error) error {
	type kv struct{ k, v []byte }
	var all []kv
	err := read(tx.Bucket(name), func(k, v []byte) {
		all = append(all, kv{bytes.Clone(k), bytes.Clone(v)})
	})
	if err != nil {
		return err
	}
	b, err := recreate(tx, name)
	if err != nil {
		return err
	}
	for _, e := range all {
		if err := put(b, e.k, e.v); err != nil {
			return err
		}
	}
	return nil
}

// recreate replaces bucket name with an empty one, for a migration that rewrites
// what it held.
func recreate(tx *bolt.Tx, name []byte) (*bolt.Bucket, error) {
	if err := tx.DeleteBucket(name); err != nil {
		return nil, err
	}
	return tx.CreateBucket(name)
}
