package store

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/firebreak-hq/firebreak/incident"
)

// DedupeTTL is how long a dedupe key is remembered. Slack retries an
// event for a few minutes at most; a day is generous.
const DedupeTTL = 24 * time.Hour

// MaxDedupeKey bounds dedupe keys (Slack event ids are ~11 bytes).
const MaxDedupeKey = 512

// pruneBatch is how many expired dedupe keys each dedupe write removes, so
// the bucket stays bounded without a separate sweeper.
const pruneBatch = 32

// Create allocates the next incident number (the incidents bucket's
// sequence: committed numbers never repeat and survive restarts; a
// rolled-back create allocates nothing) and calls fn with it inside the transaction. It commits
// Result.Incident, Result.Events (assigning Seq) and Result.Effects as
// outbox rows, indexes the channel when set and maintains the open index.
// An error from fn rolls everything back and is returned as is.
//
// fn may be called more than once (group commit); it must be pure. The
// returned Result is the committed one, with event Seqs filled in.
func (d *DB) Create(fn func(n uint64) (incident.Result, error)) (incident.Result, error) {
	return d.CreateAsync(fn).Wait()
}

// CreateAsync is Create without waiting: it queues the write for the
// group committer and returns at once. Wait on the Commit before telling
// anyone the incident exists.
func (d *DB) CreateAsync(fn func(n uint64) (incident.Result, error)) *Commit {
	return d.createAsync("", nil, fn)
}

// createAsync is CreateAsync that also stores slack, when not nil, as the
// new incident's Slack record.
// A key, when not empty, is recorded in the same transaction; a key seen
// already makes the commit a duplicate that writes nothing.
func (d *DB) createAsync(key string, slack *SlackRecord, fn func(n uint64) (incident.Result, error)) *Commit {
	return d.submitOnce(key, func(tx *bolt.Tx, c *Commit) error {
		ib := tx.Bucket(bIncidents)
		// Peek first so that a refusal writes nothing and leaves the rest
		// of the group committing.
		n := ib.Sequence() + 1
		r, err := fn(n)
		if err != nil {
			return cleanError{err}
		}
		if err := takeSequence(ib, n); err != nil {
			return err
		}
		if c.added, err = d.persist(tx, nil, n, &r); err != nil {
			return err
		}
		if slack != nil {
			if err := putSlackTx(tx, n, *slack); err != nil {
				return err
			}
		}
		d.keepState(tx, r.Incident)
		c.res = r
		return nil
	})
}

// submitOnce queues body for the group committer. A key, when not empty, is
// recorded in the same transaction; a key seen already makes the commit a
// duplicate that writes nothing (body is not called).
func (d *DB) submitOnce(key string, body func(tx *bolt.Tx, c *Commit) error) *Commit {
	c := &Commit{}
	now := d.now()
	c.req = d.submit(func(tx *bolt.Tx) error {
		c.res, c.added, c.dup = incident.Result{}, 0, false
		if key != "" && seenTx(tx, key, now) {
			c.dup = true
			return nil
		}
		if err := body(tx, c); err != nil {
			return err
		}
		if key != "" {
			return rememberTx(tx, key, now)
		}
		return nil
	}, c.settle(d))
	return c
}

// takeSequence takes incident number n, peeked before the decision, from ib's
// sequence; ErrConflict when another write took it in between.
func takeSequence(ib *bolt.Bucket, n uint64) error {
	if got, err := ib.NextSequence(); err != nil {
		return err
	} else if got != n {
		return fmt.Errorf("store: sequence moved from %d to %d: %w", n, got, ErrConflict)
	}
	return nil
}

// Apply loads incident n and calls fn with it in the same read-write
// transaction, then commits fn's Result as Create does. A missing incident
// is ErrNotFound (wrapped) and fn is not called; an error from fn rolls
// back and is returned as is. fn may be called more than once; it must be
// pure.
func (d *DB) Apply(n uint64, fn func(incident.Incident) (incident.Result, error)) (incident.Result, error) {
	return d.ApplyAsync(n, fn).Wait()
}

// ApplyAsync is Apply without waiting: the write is queued behind every
// write submitted before it (so successive commands on one incident apply
// in submission order) and the returned Commit completes once it is
// durable. A caller can thus submit the next command before the previous
// one reached the disk, and still acknowledge each only after its Wait.
func (d *DB) ApplyAsync(n uint64, fn func(incident.Incident) (incident.Result, error)) *Commit {
	return d.applyAsync("", n, fn)
}

// ApplyOnce is Apply guarded by a dedupe key (a Slack event_id, an
// envelope id) recorded in the same transaction as the change. When the
// key was seen within DedupeTTL it returns (zero Result, true, nil)
// without calling fn. The key is recorded only if the change commits, so
// a redelivery of a command that failed is tried again. An empty key
// behaves as Apply.
func (d *DB) ApplyOnce(key string, n uint64, fn func(incident.Incident) (incident.Result, error)) (res incident.Result, dup bool, err error) {
	if len(key) > MaxDedupeKey {
		return incident.Result{}, false, fmt.Errorf("store: dedupe key of %d bytes exceeds %d", len(key), MaxDedupeKey)
	}
	c := d.applyAsync(key, n, fn)
	res, err = c.Wait()
	return res, c.dup, err
}

func (d *DB) applyAsync(key string, n uint64, fn func(incident.Incident) (incident.Result, error)) *Commit {
	return d.submitOnce(key, func(tx *bolt.Tx, c *Commit) error {
		cur, err := d.stateTx(tx, n)
		if err != nil {
			return cleanError{err}
		}
		r, err := fn(cur.Clone())
		if err != nil {
			return cleanError{err}
		}
		if c.added, err = d.persist(tx, &cur, n, &r); err != nil {
			return err
		}
		d.keepState(tx, r.Incident)
		c.res = r
		return nil
	})
}

// Commit is a write handed to the group committer. Its outcome is known,
// and durable, once Wait returns.
type Commit struct {
	req   *writeReq
	res   incident.Result
	added int
	dup   bool
}

func (c *Commit) settle(d *DB) func(error) {
	return func(err error) {
		if err != nil {
			c.res, c.added, c.dup = incident.Result{}, 0, false
			return
		}
		d.signal(c.added)
		d.pages.poke()
	}
}

// Wait blocks until the write committed (fsync done) or failed, and
// returns the committed Result (event Seqs filled in) or the error.
func (c *Commit) Wait() (incident.Result, error) {
	<-c.req.done
	if c.req.err != nil {
		return incident.Result{}, c.req.err
	}
	return c.res, nil
}

// Done is closed once Wait would not block.
func (c *Commit) Done() <-chan struct{} { return c.req.done }

// SeenOnce records key and reports whether it had been seen within
// DedupeTTL, for Slack events that touch no incident.
func (d *DB) SeenOnce(key string) (bool, error) {
	if key == "" {
		return false, fmt.Errorf("store: empty dedupe key")
	}
	if len(key) > MaxDedupeKey {
		return false, fmt.Errorf("store: dedupe key of %d bytes exceeds %d", len(key), MaxDedupeKey)
	}
	now := d.now()
	var seen bool
	err := d.write(func(tx *bolt.Tx) error {
		seen = seenTx(tx, key, now)
		if seen {
			return nil
		}
		return rememberTx(tx, key, now)
	})
	return seen, err
}

// EnqueueOnce adds an outbox row that belongs to no incident (the daily
// digest) unless key was seen in the last DedupeTTL; remembering the key
// and adding the row are one transaction, so the effect is queued once
// however often, and across however many restarts, it is asked for.
func (d *DB) EnqueueOnce(key string, eff incident.Effect) (bool, error) {
	if key == "" || len(key) > MaxDedupeKey {
		return false, fmt.Errorf("store: dedupe key must be 1–%d bytes", MaxDedupeKey)
	}
	now := d.now()
	var added bool
	err := d.write(func(tx *bolt.Tx) error {
		if seenTx(tx, key, now) {
			return nil
		}
		if err := rememberTx(tx, key, now); err != nil {
			return err
		}
		added = true
		return putItem(tx.Bucket(bOutbox), OutboxItem{Effect: eff, Created: now.UTC()})
	})
	if err != nil {
		return false, err
	}
	if added {
		d.signal(1)
	}
	return added, nil
}

// PruneDedupe removes every expired dedupe key and reports how many. Dedupe
// writes already prune a few each; this is for a periodic sweep.
func (d *DB) PruneDedupe() (int, error) {
	now := d.now()
	total := 0
	for {
		var n int
		err := d.db.Update(func(tx *bolt.Tx) error {
			var err error
			n, err = pruneTx(tx, now, 10000)
			return err
		})
		if err != nil {
			return total, err
		}
		total += n
		if n < 10000 {
			return total, nil
		}
	}
}

// persist writes one command's outcome: state, indexes, events, outbox.
// prev is the state before (nil on create). It returns the number of
// outbox rows added and fills in event Seqs in res.
func (d *DB) persist(tx *bolt.Tx, prev *incident.Incident, n uint64, res *incident.Result) (int, error) {
	inc := res.Incident
	if inc.Number != n {
		return 0, fmt.Errorf("store: result is for incident %d, not INC-%d: %w", inc.Number, n, ErrConflict)
	}
	if !inc.Status.Valid() {
		return 0, fmt.Errorf("store: INC-%d: invalid status %q: %w", n, inc.Status, ErrConflict)
	}
	key := u64(n)
	enc, err := json.Marshal(inc)
	if err != nil {
		return 0, fmt.Errorf("store: encode INC-%d: %w", n, err)
	}
	rec := seal(key, enc)
	// Most commands (notes, pins, joins) only append to the timeline;
	// skipping an identical rewrite keeps those commits small.
	ib := tx.Bucket(bIncidents)
	if !bytes.Equal(ib.Get(key), rec) {
		if err := ib.Put(key, rec); err != nil {
			return 0, err
		}
	}

	// Indexes.
	ob := tx.Bucket(bOpen)
	if inc.Status.Open() {
		err = ob.Put(key, nil)
	} else {
		err = ob.Delete(key)
	}
	if err != nil {
		return 0, err
	}
	cb := tx.Bucket(bChannels)
	if prev != nil && prev.Channel != "" && prev.Channel != inc.Channel {
		if owner, ok, _ := getU64(cb, []byte(prev.Channel)); ok && owner == n {
			if err := cb.Delete([]byte(prev.Channel)); err != nil {
				return 0, err
			}
		}
	}
	if inc.Channel != "" {
		owner, ok, err := getU64(cb, []byte(inc.Channel))
		if err != nil {
			return 0, fmt.Errorf("store: channel %s: %w", inc.Channel, err)
		}
		if ok && owner != n {
			return 0, fmt.Errorf("store: channel %s already belongs to %s: %w", inc.Channel, incident.ID(owner), ErrConflict)
		}
		if err := cb.Put([]byte(inc.Channel), seal([]byte(inc.Channel), key)); err != nil {
			return 0, err
		}
	}
	if err := d.hook("incident"); err != nil {
		return 0, err
	}

	// Timeline. Copy the slice so a re-run fn's result is never shared.
	if len(res.Events) > 0 {
		eb, err := tx.Bucket(bEvents).CreateBucketIfNotExists(key)
		if err != nil {
			return 0, err
		}
		evs := make([]incident.Event, len(res.Events))
		for i, e := range res.Events {
			seq, err := eb.NextSequence()
			if err != nil {
				return 0, err
			}
			e.Seq = seq
			v, err := json.Marshal(e)
			if err != nil {
				return 0, fmt.Errorf("store: encode INC-%d event: %w", n, err)
			}
			if err := eb.Put(u64(seq), seal(u64(seq), v)); err != nil {
				return 0, err
			}
			evs[i] = e
		}
		res.Events = evs
	}
	if err := d.hook("events"); err != nil {
		return 0, err
	}

	// Outbox.
	main := 0
	if len(res.Effects) > 0 {
		created := d.now().UTC()
		for _, eff := range res.Effects {
			xb, err := d.outboxFor(tx, eff.Kind)
			if err != nil {
				return 0, err
			}
			if xb == tx.Bucket(bOutbox) {
				main++
			}
			if err := putItem(xb, OutboxItem{Incident: n, Effect: eff, Created: created}); err != nil {
				return 0, err
			}
		}
	}
	if err := d.hook("outbox"); err != nil {
		return 0, err
	}
	return main, nil
}

// putItem adds it to the outbox bucket xb under the bucket's next id.
func putItem(xb *bolt.Bucket, it OutboxItem) error {
	id, err := xb.NextSequence()
	if err != nil {
		return err
	}
	it.ID = id
	v, err := json.Marshal(it)
	if err != nil {
		return fmt.Errorf("store: encode %s effect: %w", incident.ID(it.Incident), err)
	}
	return xb.Put(u64(id), seal(u64(id), v))
}

// seenTx reports whether key is remembered and not expired at now.
func seenTx(tx *bolt.Tx, key string, now time.Time) bool {
	// A damaged entry counts as unseen: the command is applied again
	// rather than dropped.
	exp, ok, _ := getU64(tx.Bucket(bDedupe), []byte(key))
	return ok && int64(exp) > now.UnixNano()
}

// rememberTx records key until now+DedupeTTL and prunes a few expired keys.
func rememberTx(tx *bolt.Tx, key string, now time.Time) error {
	db, xb := tx.Bucket(bDedupe), tx.Bucket(bDedupeExp)
	k := []byte(key)
	if old, ok, _ := getU64(db, k); ok {
		if err := xb.Delete(expKey(old, k)); err != nil {
			return err
		}
	}
	exp := uint64(now.Add(DedupeTTL).UnixNano())
	if err := db.Put(k, seal(k, u64(exp))); err != nil {
		return err
	}
	if err := xb.Put(expKey(exp, k), nil); err != nil {
		return err
	}
	_, err := pruneTx(tx, now, pruneBatch)
	return err
}

func expKey(exp uint64, key []byte) []byte {
	k := make([]byte, 8+len(key))
	binary.BigEndian.PutUint64(k, exp)
	copy(k[8:], key)
	return k
}

// expired returns up to max keys of b, an expiry-ordered bucket (expKey), that
// expired at or before now, oldest first.
func expired(b *bolt.Bucket, now time.Time, max int) [][]byte {
	var victims [][]byte
	c := b.Cursor()
	for k, _ := c.First(); k != nil && len(victims) < max; k, _ = c.Next() {
		if len(k) < 8 || int64(binary.BigEndian.Uint64(k)) > now.UnixNano() {
			break
		}
		victims = append(victims, bytes.Clone(k))
	}
	return victims
}

// pruneTx deletes up to max keys that expired at or before now, oldest
// first, via the expiry index.
func pruneTx(tx *bolt.Tx, now time.Time, max int) (int, error) {
	db, xb := tx.Bucket(bDedupe), tx.Bucket(bDedupeExp)
	victims := expired(xb, now, max)
	for _, k := range victims {
		if err := xb.Delete(k); err != nil {
			return 0, err
		}
		// Only drop the key if it still points at this expiry.
		if exp, ok, _ := getU64(db, k[8:]); ok && exp == binary.BigEndian.Uint64(k) {
			if err := db.Delete(k[8:]); err != nil {
				return 0, err
			}
		}
	}
	return len(victims), nil
}
