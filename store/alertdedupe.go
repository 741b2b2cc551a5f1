package store

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
)

// bAlertDedupe (v5) remembers the dedupe keys of alerts in arrival order:
// expiry|key → sealed empty value. Alert keys are hashes; kept in a
// bucket ordered by key, every alert inserted into a random leaf and the
// commit wrote and synced about one more page per alert. Ordered by
// expiry, the alerts of a group commit land on the same last leaf. A
// redelivery is found in the in-memory set (alertKeys), which Open
// rebuilds from this bucket.
var bAlertDedupe = []byte("alert_dedupe")

// alertKeys is the in-memory set of the alert dedupe keys in
// bAlertDedupe that have not expired, key → expiry (unix nanoseconds).
// It holds one entry per alert of the last DedupeTTL.
//
// bbolt runs one read-write transaction at a time, so the keys the open
// write transaction added (or pruned) are kept in one slot, tx, and join
// the set only when that transaction commits (OnCommit); a transaction
// that rolls back leaves the set as it was.
type alertKeys struct {
	mu  sync.Mutex
	exp map[string]uint64

	tx      *bolt.Tx
	pending map[string]uint64
}

// pendingFor returns the keys added by tx, starting a fresh slot (and
// registering its merge on commit) when tx is a new transaction.
func (a *alertKeys) pendingFor(tx *bolt.Tx) map[string]uint64 {
	if a.tx != tx {
		p := map[string]uint64{}
		a.tx, a.pending = tx, p
		tx.OnCommit(func() {
			a.mu.Lock()
			defer a.mu.Unlock()
			for k, e := range p {
				if e == 0 {
					delete(a.exp, k)
				} else {
					a.exp[k] = e
				}
			}
		})
	}
	return a.pending
}

// seen reports whether key was recorded by tx or by a committed
// transaction and has not expired at now.
func (a *alertKeys) seen(tx *bolt.Tx, key string, now time.Time) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	p := a.pendingFor(tx)
	e, ok := p[key]
	if !ok {
		e, ok = a.exp[key]
	}
	return ok && int64(e) > now.UnixNano()
}

// seenAlertTx: the in-memory set, then the dedupe bucket, where alert
// keys were kept before v5 (and where a copy from another store puts
// them).
func (d *DB) seenAlertTx(tx *bolt.Tx, key string, now time.Time) bool {
	return d.alerts.seen(tx, key, now) || seenTx(tx, key, now)
}

// rememberAlertTx records key until now+DedupeTTL at the end of the
// expiry-ordered bucket and prunes a few expired keys from its start.
func (d *DB) rememberAlertTx(tx *bolt.Tx, key string, now time.Time) error {
	b := tx.Bucket(bAlertDedupe)
	if b == nil {
		return fmt.Errorf("bucket %s missing: %w", bAlertDedupe, ErrCorrupt)
	}
	exp := uint64(now.Add(DedupeTTL).UnixNano())
	k := expKey(exp, []byte(key))
	if err := b.Put(k, seal(k, nil)); err != nil {
		return err
	}
	victims := expired(b, now, pruneBatch)
	for _, vk := range victims {
		if err := b.Delete(vk); err != nil {
			return err
		}
	}
	a := &d.alerts
	a.mu.Lock()
	defer a.mu.Unlock()
	p := a.pendingFor(tx)
	for _, vk := range victims {
		ke, vkey := binary.BigEndian.Uint64(vk), string(vk[8:])
		e, ok := p[vkey]
		if !ok {
			e = a.exp[vkey]
		}
		if e == ke {
			p[vkey] = 0 // removed when tx commits
		}
	}
	p[key] = exp
	return nil
}

// loadAlertKeys fills the in-memory set from bAlertDedupe: every key that
// has not expired at now, with the latest expiry it has. A record whose
// checksum fails is left out (a damaged key counts as unseen, as in
// seenTx); Check reports it.
func (d *DB) loadAlertKeys(now time.Time) error {
	exp := map[string]uint64{}
	err := d.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bAlertDedupe)
		if b == nil {
			return fmt.Errorf("bucket %s missing: %w", bAlertDedupe, ErrCorrupt)
		}
		c := b.Cursor()
		for k, v := c.Seek(u64(uint64(now.UnixNano()) + 1)); k != nil; k, v = c.Next() {
			if len(k) <= 8 {
				continue
			}
			if _, err := unseal(k, v); err != nil {
				continue
			}
			e, key := binary.BigEndian.Uint64(k), string(k[8:])
			if e > exp[key] {
				exp[key] = e
			}
		}
		return nil
	})
	d.alerts.mu.Lock()
	d.alerts.exp = exp
	d.alerts.mu.Unlock()
	return err
}

// upV5 creates the expiry-ordered alert dedupe bucket. Alert keys
// already in the dedupe bucket stay there and are still found there
// until they expire.
func upV5(tx *bolt.Tx) error {
	_, err := tx.CreateBucket(bAlertDedupe)
	return err
}

// downV5 moves the alert keys back into the dedupe bucket and its expiry
// index, where a v4 binary looks for them, and drops the bucket.
func downV5(tx *bolt.Tx) error {
	b := tx.Bucket(bAlertDedupe)
	if b == nil {
		return nil
	}
	db, xb := tx.Bucket(bDedupe), tx.Bucket(bDedupeExp)
	err := b.ForEach(func(k, v []byte) error {
		if len(k) <= 8 {
			return fmt.Errorf("%s key %x: %w", bAlertDedupe, k, ErrCorrupt)
		}
		if _, err := unseal(k, v); err != nil {
			return err
		}
		exp, key := binary.BigEndian.Uint64(k), k[8:]
		if old, ok, _ := getU64(db, key); ok {
			if old >= exp {
				return nil
			}
			if err := xb.Delete(expKey(old, key)); err != nil {
				return err
			}
		}
		key = bytes.Clone(key)
		if err := db.Put(key, seal(key, u64(exp))); err != nil {
			return err
		}
		return xb.Put(expKey(exp, key), nil)
	})
	if err != nil {
		return err
	}
	return tx.DeleteBucket(bAlertDedupe)
}

// alertDedupe checks bAlertDedupe: expiry|key keys with a key of 1 to
// MaxDedupeKey bytes, sealed empty values, no sequence.
func (c *checker) alertDedupe() {
	b := c.bucket(bAlertDedupe)
	if b == nil {
		return
	}
	if seq := b.Sequence(); seq != 0 {
		c.fail("bucket %s has sequence %d", bAlertDedupe, seq)
	}
	_ = b.ForEach(func(k, v []byte) error {
		switch {
		case v == nil:
			c.fail("%s: %x is a bucket", bAlertDedupe, k)
		case len(k) <= 8 || len(k)-8 > MaxDedupeKey:
			c.fail("%s: bad key %x", bAlertDedupe, k)
		default:
			if raw, ok := c.value(fmt.Sprintf("%s %q", bAlertDedupe, k[8:]), k, v); ok && len(raw) != 0 {
				c.fail("%s %q: value %x where there is none", bAlertDedupe, k[8:], raw)
			}
		}
		return nil
	})
}
