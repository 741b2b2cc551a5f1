package store

import (
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/firebreak-hq/firebreak/incident"
)

// OutboxItem is one effect still to perform. Rows are written in the same
// transaction as the command that produced them and live until Done.
type OutboxItem struct {
	ID        uint64          `json:"id"`
	Incident  uint64          `json:"incident"`
	Effect    incident.Effect `json:"effect"`
	Attempts  int             `json:"attempts,omitempty"`
	NotBefore time.Time       `json:"not_before,omitzero"`
	Created   time.Time       `json:"created"`
	LastError string          `json:"last_error,omitempty"`
}

// Retried is the row after a failed attempt: one attempt more, the error,
// and the earliest time to try again.
func (it OutboxItem) Retried(notBefore time.Time, lastErr string) OutboxItem {
	it.Attempts++
	it.NotBefore = notBefore.UTC()
	it.LastError = lastErr
	return it
}

// decodeItem checks and decodes a sealed outbox row.
func decodeItem(k, sv []byte) (OutboxItem, error) {
	var it OutboxItem
	v, err := unseal(k, sv)
	if err != nil {
		return it, fmt.Errorf("outbox: %w", err)
	}
	if err := json.Unmarshal(v, &it); err != nil {
		return it, fmt.Errorf("decode outbox row %x: %v: %w", k, err, ErrCorrupt)
	}
	return it, nil
}

// Pending returns up to limit rows (limit ≤ 0: all) in ID order, which is
// commit order, including rows whose NotBefore is still in the future:
// the caller decides what is due.
func (d *DB) Pending(limit int) ([]OutboxItem, error) { return d.pendingIn(bOutbox, limit) }

// pendingIn is Pending for the outbox in bucket (a missing bucket holds no rows).
func (d *DB) pendingIn(bucket []byte, limit int) ([]OutboxItem, error) {
	return view(d, func(tx *bolt.Tx) ([]OutboxItem, error) {
		return walk(tx.Bucket(bucket), false, limit, func(k, v []byte) (OutboxItem, bool, error) {
			it, err := decodeItem(k, v)
			return it, true, err
		})
	})
}

// PendingFor returns incident n's rows in ID order. It scans the outbox,
// which holds only work in flight.
func (d *DB) PendingFor(n uint64) ([]OutboxItem, error) {
	return view(d, func(tx *bolt.Tx) ([]OutboxItem, error) {
		return walk(tx.Bucket(bOutbox), false, 0, func(k, v []byte) (OutboxItem, bool, error) {
			it, err := decodeItem(k, v)
			return it, it.Incident == n, err
		})
	})
}

// Done removes rows whose effect succeeded or failed for good. Unknown ids
// are ignored, so Done is idempotent.
func (d *DB) Done(ids ...uint64) error { return d.doneIn(bOutbox, ids) }

// doneIn is Done for the outbox in bucket.
func (d *DB) doneIn(bucket []byte, ids []uint64) error {
	if len(ids) == 0 {
		return nil
	}
	return d.write(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucket)
		if b == nil {
			return nil
		}
		for _, id := range ids {
			if err := b.Delete(u64(id)); err != nil {
				return err
			}
		}
		return nil
	})
}

// Retry records a failed attempt: Attempts++, the error, and the earliest
// time to try again. ErrNotFound when the row is gone.
func (d *DB) Retry(id uint64, notBefore time.Time, lastErr string) error {
	return d.retryIn(bOutbox, "outbox", id, notBefore, lastErr)
}

// retryIn is Retry for the outbox in bucket; what names it in errors.
func (d *DB) retryIn(bucket []byte, what string, id uint64, notBefore time.Time, lastErr string) error {
	return d.write(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucket)
		var v []byte
		if b != nil {
			v = b.Get(u64(id))
		}
		if v == nil {
			return fmt.Errorf("%s row %d: %w", what, id, ErrNotFound)
		}
		it, err := decodeItem(u64(id), v)
		if err != nil {
			return err
		}
		nv, err := json.Marshal(it.Retried(notBefore, lastErr))
		if err != nil {
			return err
		}
		return b.Put(u64(id), seal(u64(id), nv))
	})
}

// OutboxDepth is the number of rows waiting.
func (d *DB) OutboxDepth() (int, error) { return d.depthIn(bOutbox) }

// depthIn is OutboxDepth for the outbox in bucket.
func (d *DB) depthIn(bucket []byte) (int, error) {
	var n int
	err := d.db.View(func(tx *bolt.Tx) error {
		if b := tx.Bucket(bucket); b != nil {
			n = b.Stats().KeyN
		}
		return nil
	})
	return n, err
}
