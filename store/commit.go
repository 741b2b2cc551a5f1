package store

import (
	"bytes"
	"errors"
	"sync"

	bolt "go.etcd.io/bbolt"

	"github.com/firebreak-hq/firebreak/incident"
)

// maxGroup bounds how many writes share one transaction, so a huge
// backlog still commits in pieces of bounded size and latency.
const maxGroup = 2000

// ErrClosed: a write was submitted after Close.
var ErrClosed = errors.New("store: database closed")

// writeReq is one caller's write, waiting for the committer.
type writeReq struct {
	fn   func(tx *bolt.Tx) error
	err  error
	done chan struct{}
	// after runs on the committer once the outcome is known, before done
	// is closed (it fills in the caller's result).
	after func(err error)
}

// committer is the store's group commit. Writers queue their functions;
// one goroutine takes everything queued, runs it in a single read-write
// transaction and commits it with one fsync. There is no timer: while
// one commit is on the disk the next group forms, so a lone writer pays
// one commit and many writers share each one. Callers that do not wait
// for their own commit before submitting the next write (the *Commit
// handles) fill the groups further: that is what lets a few writers
// outrun the disk's commit rate.
type committer struct {
	db *bolt.DB

	mu     sync.Mutex
	queue  []*writeReq
	closed bool
	wake   chan struct{}
	exited chan struct{}

	// tx and states belong to the committer goroutine: the transaction
	// being built and the incidents it already holds, decoded, so a group
	// of writes to one incident decodes its record once, not per write.
	tx     *bolt.Tx
	states map[uint64]incident.Incident
	// written is the record each write in states stored.
	written map[uint64][]byte

	// decoded keeps incidents decoded by earlier groups, with the sealed
	// record they were decoded from: a record still holding the same
	// bytes is not decoded again (the alerts of a group arriving in
	// every commit would otherwise decode their incident each time).
	// Comparing the bytes keeps it right whoever wrote the record and
	// whether a transaction rolled back.
	decoded map[uint64]decodedIncident
}

// decodedIncident is an incident and the sealed record it was decoded from.
type decodedIncident struct {
	raw []byte
	inc incident.Incident
}

// maxDecoded bounds the incidents the committer keeps decoded.
const maxDecoded = 512

func newCommitter(db *bolt.DB) *committer {
	c := &committer{db: db, wake: make(chan struct{}, 1), exited: make(chan struct{})}
	go c.loop()
	return c
}

// submit queues fn; the returned request's done closes once it committed
// or failed.
func (c *committer) submit(fn func(tx *bolt.Tx) error, after func(error)) *writeReq {
	r := &writeReq{fn: fn, after: after, done: make(chan struct{})}
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		r.finish(ErrClosed)
		return r
	}
	c.queue = append(c.queue, r)
	c.mu.Unlock()
	select {
	case c.wake <- struct{}{}:
	default:
	}
	return r
}

func (r *writeReq) finish(err error) {
	err = writeFailure(err)
	r.err = err
	if r.after != nil {
		r.after(err)
	}
	close(r.done)
}

// close commits what is queued and stops the loop.
func (c *committer) close() {
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
	select {
	case c.wake <- struct{}{}:
	default:
	}
	<-c.exited
}

func (c *committer) loop() {
	defer close(c.exited)
	for {
		c.mu.Lock()
		n := min(len(c.queue), maxGroup)
		group := c.queue[:n:n]
		c.queue = c.queue[n:]
		closed := c.closed
		if len(c.queue) == 0 {
			c.queue = nil
		}
		c.mu.Unlock()
		if n > 0 {
			c.commit(group)
			continue
		}
		if closed {
			return
		}
		<-c.wake
	}
}

// cleanError marks an error returned by a write function before it put
// anything in the transaction (a refusal by the domain, an unknown
// incident, a duplicate): the other writes of the group still commit.
type cleanError struct{ err error }

func (e cleanError) Error() string { return e.err.Error() }
func (e cleanError) Unwrap() error { return e.err }

// commit runs a group in one transaction. A function that fails after
// writing (dirty) rolls the transaction back; it is answered with its
// error and the rest of the group is run again without it. Functions are
// pure, so running them again gives the same outcome.
func (c *committer) commit(group []*writeReq) {
	for len(group) > 0 {
		errs := make([]error, len(group))
		dirty := -1
		err := c.db.Update(func(tx *bolt.Tx) error {
			c.tx, c.states, c.written = tx, map[uint64]incident.Incident{}, map[uint64][]byte{}
			defer func() { c.tx, c.states, c.written = nil, nil, nil }()
			for i, r := range group {
				e := r.fn(tx)
				if e == nil {
					continue
				}
				var ce cleanError
				if errors.As(e, &ce) {
					errs[i] = ce.err
					continue
				}
				errs[i], dirty = e, i
				return e
			}
			c.keepDecoded(tx)
			return syncSequences(tx)
		})
		if dirty >= 0 {
			group[dirty].finish(errs[dirty])
			group = append(group[:dirty:dirty], group[dirty+1:]...)
			continue
		}
		for i, r := range group {
			if err != nil {
				r.finish(err)
			} else {
				r.finish(errs[i])
			}
		}
		return
	}
}

// stateTx returns incident n as tx holds it, from the group's decoded
// states when an earlier write of the group touched it.
func (d *DB) stateTx(tx *bolt.Tx, n uint64) (incident.Incident, error) {
	c := d.com
	if c == nil || c.tx != tx {
		return getTx(tx, n)
	}
	if inc, ok := c.states[n]; ok {
		return inc, nil
	}
	raw := tx.Bucket(bIncidents).Get(u64(n))
	if e, ok := c.decoded[n]; ok && raw != nil && bytes.Equal(e.raw, raw) {
		return e.inc.Clone(), nil
	}
	inc, err := getTx(tx, n)
	if err != nil {
		return inc, err
	}
	if c.decoded == nil || len(c.decoded) >= maxDecoded {
		c.decoded = map[uint64]decodedIncident{}
	}
	c.decoded[n] = decodedIncident{raw: bytes.Clone(raw), inc: inc.Clone()}
	return inc, nil
}

// keepState remembers what a write of the group stored for incident n,
// with the record it wrote, so the next groups need not decode it.
func (d *DB) keepState(tx *bolt.Tx, inc incident.Incident) {
	if c := d.com; c != nil && c.tx == tx {
		c.states[inc.Number] = inc
		if raw := tx.Bucket(bIncidents).Get(u64(inc.Number)); raw != nil {
			c.written[inc.Number] = bytes.Clone(raw)
		}
	}
}

// keepDecoded moves the group's incidents into decoded, each with the
// record its last write stored, unless a later write of the group
// changed that record without telling keepState. Called at the end of the
// group's transaction: if the commit then fails, the bytes on disk
// differ and the next group decodes the record again.
func (c *committer) keepDecoded(tx *bolt.Tx) {
	ib := tx.Bucket(bIncidents)
	for n, raw := range c.written {
		if !bytes.Equal(ib.Get(u64(n)), raw) {
			delete(c.decoded, n)
			continue
		}
		if c.decoded == nil || len(c.decoded) >= maxDecoded {
			c.decoded = map[uint64]decodedIncident{}
		}
		c.decoded[n] = decodedIncident{raw: raw, inc: c.states[n].Clone()}
	}
}
