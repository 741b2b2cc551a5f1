package store

import (
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
	return p.l.d.pendingIn(p.l.bucket, limit)
}

// Done removes rows; unknown ids are ignored.
func (p *PageLane) Done(ids ...uint64) error { return p.l.d.doneIn(p.l.bucket, ids) }

// Retry records a failed attempt and when to try again.
func (p *PageLane) Retry(id uint64, notBefore time.Time, lastErr string) error {
	return p.l.d.retryIn(p.l.bucket, "page outbox", id, notBefore, lastErr)
}

// Notify receives a value after a commit added page rows.
func (p *PageLane) Notify() <-chan struct{} { return p.l.notify }

// Depth is the number of page rows waiting.
func (p *PageLane) Depth() (int, error) { return p.l.d.depthIn(p.l.bucket) }
