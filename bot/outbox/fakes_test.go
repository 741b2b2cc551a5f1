package outbox

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/firebreak-hq/firebreak/incident"
)

// fakeClock is a clock that moves only when the test advances it.
type fakeClock struct {
	mu      sync.Mutex
	cond    *sync.Cond
	now     time.Time
	waiters []waiter
}

type waiter struct {
	at time.Time
	ch chan time.Time
}

func newFakeClock() *fakeClock {
	c := &fakeClock{now: time.Date(2026, 3, 4, 10, 0, 0, 0, time.UTC)}
	c.cond = sync.NewCond(&c.mu)
	return c
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan time.Time, 1)
	if d <= 0 {
		ch <- c.now
		return ch
	}
	c.waiters = append(c.waiters, waiter{c.now.Add(d), ch})
	c.cond.Broadcast()
	return ch
}

// Advance moves the clock on and fires the timers that are due.
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	keep := c.waiters[:0]
	for _, w := range c.waiters {
		if !w.at.After(c.now) {
			w.ch <- c.now
		} else {
			keep = append(keep, w)
		}
	}
	c.waiters = keep
}

// waitFor blocks until a timer for at least d from now is set.
func (c *fakeClock) waitFor(t *testing.T, d time.Duration) {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	stop := time.AfterFunc(5*time.Second, func() { c.mu.Lock(); c.cond.Broadcast(); c.mu.Unlock() })
	defer stop.Stop()
	deadline := time.Now().Add(5 * time.Second)
	for {
		for _, w := range c.waiters {
			if !w.at.Before(c.now.Add(d)) {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no timer of %s was set", d)
		}
		c.cond.Wait()
	}
}

// fakeQueue is an in-memory outbox.
type fakeQueue struct {
	// afterRead, when set, runs after Pending has taken its snapshot.
	afterRead func()
	mu        sync.Mutex
	items     []Item
	retries   map[uint64]retry
	notify    chan struct{}
}

type retry struct {
	at  time.Time
	err string
}

func newFakeQueue(items ...Item) *fakeQueue {
	return &fakeQueue{items: items, retries: map[uint64]retry{}, notify: make(chan struct{}, 1)}
}

func (q *fakeQueue) Pending(limit int) ([]Item, error) {
	q.mu.Lock()
	out := slices.Clone(q.items[:min(limit, len(q.items))])
	after := q.afterRead
	q.mu.Unlock()
	if after != nil {
		after()
	}
	return out, nil
}

func (q *fakeQueue) Done(ids ...uint64) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.items = slices.DeleteFunc(q.items, func(it Item) bool { return slices.Contains(ids, it.ID) })
	return nil
}

func (q *fakeQueue) Retry(id uint64, notBefore time.Time, lastErr string) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	for i := range q.items {
		if q.items[i].ID == id {
			q.items[i].Attempts++
			q.items[i].NotBefore = notBefore
			q.retries[id] = retry{notBefore, lastErr}
			return nil
		}
	}
	return fmt.Errorf("no item %d", id)
}

func (q *fakeQueue) Notify() <-chan struct{} { return q.notify }

func (q *fakeQueue) add(it Item) {
	q.mu.Lock()
	q.items = append(q.items, it)
	q.mu.Unlock()
	select {
	case q.notify <- struct{}{}:
	default:
	}
}

func (q *fakeQueue) ids() []uint64 {
	q.mu.Lock()
	defer q.mu.Unlock()
	var out []uint64
	for _, it := range q.items {
		out = append(out, it.ID)
	}
	return out
}

// state is what the fake port's incidents hold: a version bumped by
// every command the test commits.
type state struct{ version int }

// fakePort records what it performs and fails as the test scripts.
type fakePort struct {
	mu        sync.Mutex
	versions  map[uint64]int
	loads     map[uint64]int
	performed []performed
	fail      map[uint64]error // effect id → error of its next performance
	block     map[uint64]chan struct{}
	keep      func(err error) (time.Duration, bool)
	drop      map[uint64]bool
	active    int
	onPerform func(it Item)
}

type performed struct {
	id, incident uint64
	version      int
}

type transient struct{ msg string }

func (t transient) Error() string { return t.msg }

func newFakePort() *fakePort {
	return &fakePort{versions: map[uint64]int{}, loads: map[uint64]int{}, fail: map[uint64]error{}, block: map[uint64]chan struct{}{}, drop: map[uint64]bool{}}
}

func (p *fakePort) Load(n uint64, batch []Item) (state, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.loads[n]++
	if p.drop[n] {
		return state{}, ErrDrop
	}
	return state{p.versions[n]}, nil
}

func (p *fakePort) Perform(ctx context.Context, s state, it Item) (state, error) {
	p.mu.Lock()
	p.active++
	block := p.block[it.ID]
	on := p.onPerform
	p.mu.Unlock()
	defer func() {
		p.mu.Lock()
		p.active--
		p.mu.Unlock()
	}()
	if on != nil {
		on(it)
	}
	if block != nil {
		select {
		case <-block:
		case <-ctx.Done():
			return s, ctx.Err()
		}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.performed = append(p.performed, performed{it.ID, it.Incident, s.version})
	if err := p.fail[it.ID]; err != nil {
		delete(p.fail, it.ID)
		if err.Error() == "panic" {
			panic("the handler broke")
		}
		return s, err
	}
	return s, nil
}

func (p *fakePort) Classify(err error) (time.Duration, bool) {
	if p.keep != nil {
		return p.keep(err)
	}
	if l, ok := err.(*Later); ok {
		return l.D, true
	}
	_, ok := err.(transient)
	return 0, ok
}

func (p *fakePort) order(n uint64) []uint64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []uint64
	for _, pf := range p.performed {
		if pf.incident == n {
			out = append(out, pf.id)
		}
	}
	return out
}

func (p *fakePort) commit(n uint64) {
	p.mu.Lock()
	p.versions[n]++
	p.mu.Unlock()
}

func item(id, n uint64, kind incident.EffectKind) Item {
	return Item{ID: id, Incident: n, Effect: incident.Effect{Kind: kind}}
}
