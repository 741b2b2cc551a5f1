package store

import (
	"encoding/json"
	"fmt"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/firebreak-hq/firebreak/incident"
)

// bPageOutbox holds page effects (id → sealed OutboxItem JSON, as the
// outbox). Pages are
// committed in the same transaction as the command that asks for them,
// like every effect, but are drained by their own runner: a pager that is
// down must not hold up the incident's Slack effects, nor a rate-limited
// Slack a page. The bucket is created by the first write that needs it,
// so files without pages keep the v2 layout unchanged.
var bPageOutbox = []byte("page_outbox")

// outboxFor picks the bucket an effect's outbox row goes to.
func (d *DB) outboxFor(tx *bolt.Tx, kind incident.EffectKind) (*bolt.Bucket, error) {
	if !incident.IsPageEffect(kind) {
		return tx.Bucket(bOutbox), nil
	}
	d.pages.added.Store(true)
	return tx.CreateBucketIfNotExists(bPageOutbox)
}

// lane is an outbox of its own for one kind of effect.
type lane struct {
	d      *DB
	bucket []byte
	notify chan struct{}
	added  atomic.Bool
}

func (l *lane) poke() {
	if !l.added.Swap(false) {
		return
	}
	select {
	case l.notify <- struct{}{}:
	default:
	}
}

// PageOutbox is the queue of committed page effects, with the same
// contract as the main outbox: rows in commit order, removed only by Done.
func (d *DB) PageOutbox() Lane { return &PageLane{l: &d.pages} }

// PageLane is the page effects' outbox.
type PageLane struct{ l *lane }

// Pending returns up to limit rows (≤ 0: all) in commit order.
func (p *PageLane) Pending(limit int) ([]OutboxItem, error) {
	var out []OutboxItem
	err := p.l.d.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(p.l.bucket)
		if b == nil {
			return nil
		}
		c := b.Cursor()
		for k, v := c.First(); k != nil && (limit <= 0 || len(out) < limit); k, v = c.Next() {
			it, err := decodeItem(k, v)
			if err != nil {
				return err
			}
			out = append(out, it)
		}
		return nil
	})
	return out, err
}

// Done removes rows; unknown ids are ignored.
func (p *PageLane) Done(ids ...uint64) error {
	if len(ids) == 0 {
		return nil
	}
	return p.l.d.write(func(tx *bolt.Tx) error {
		b := tx.Bucket(p.l.bucket)
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

// Retry records a failed attempt and when to try again.
func (p *PageLane) Retry(id uint64, notBefore time.Time, lastErr string) error {
	return p.l.d.write(func(tx *bolt.Tx) error {
		b := tx.Bucket(p.l.bucket)
		var v []byte
		if b != nil {
			v = b.Get(u64(id))
		}
		if v == nil {
			return fmt.Errorf("page outbox row %d: %w", id, ErrNotFound)
		}
		it, err := decodeItem(u64(id), v)
		if err != nil {
			return err
		}
		it.Attempts++
		it.NotBefore = notBefore.UTC()
		it.LastError = lastErr
		nv, err := json.Marshal(it)
		if err != nil {
			return err
		}
		return b.Put(u64(id), seal(u64(id), nv))
	})
}

// Notify receives a value after a commit added page rows.
func (p *PageLane) Notify() <-chan struct{} { return p.l.notify }

// Depth is the number of page rows waiting.
func (p *PageLane) Depth() (int, error) {
	var n int
	err := p.l.d.db.View(func(tx *bolt.Tx) error {
		if b := tx.Bucket(p.l.bucket); b != nil {
			n = b.Stats().KeyN
		}
		return nil
	})
	return n, err
}
