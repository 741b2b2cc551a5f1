// Package outbox performs committed effects. The Runner owns everything
// that is not about Slack: the order of each incident's effects, the
// coalescing of card updates, retries with backoff, the clock, and every
// goroutine it starts. What an effect does is the Port's business.
package outbox

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"sync"
	"time"

	"github.com/firebreak-hq/firebreak/incident"
)

// Item is one effect waiting to be performed.
type Item struct {
	ID        uint64
	Incident  uint64
	Effect    incident.Effect
	Attempts  int
	NotBefore time.Time
	Created   time.Time
}

// Queue is the durable list of committed effects.
type Queue interface {
	Pending(limit int) ([]Item, error)
	Done(ids ...uint64) error
	Retry(id uint64, notBefore time.Time, lastErr string) error
	Notify() <-chan struct{}
}

// Port carries out effects; S is what a batch of one incident's effects
// acts on (the incident as last read).
type Port[S any] interface {
	// Load reads incident n once for a batch of its effects. ErrDrop
	// drops the whole batch: its effects can never be performed.
	Load(n uint64, batch []Item) (S, error)
	// Perform carries out one effect and returns the state as it left it
	// (a recorded channel or card), so that it is not read again.
	Perform(ctx context.Context, s S, it Item) (S, error)
	// Classify says whether a failed effect is kept and tried again, and
	// not before when (0: the runner's backoff).
	Classify(err error) (after time.Duration, keep bool)
}

// ErrDrop, returned by Load, drops a batch; wrapped in an error from
// Perform it drops the effect and every later one of its incident.
var ErrDrop = errors.New("outbox: effects dropped")

// Later asks for an effect to be tried again after D. Then, when set,
// runs once the postponement is recorded (to tell people what is already
// true).
type Later struct {
	D    time.Duration
	Why  string
	Then func(ctx context.Context)
}

func (l *Later) Error() string             { return l.Why }
func (l *Later) RetryAfter() time.Duration { return l.D }

// Clock is the time the runner reads and waits on.
type Clock interface {
	Now() time.Time
	After(d time.Duration) <-chan time.Time
}

// Policy holds the rules about effect kinds.
type Policy struct {
	// Coalesce kinds are satisfied by one performance for all pending
	// ones of the incident (a render of the current state).
	Coalesce map[incident.EffectKind]bool
	// Concurrent kinds touch different objects and read nothing another
	// writes: a run of them is performed at the same time.
	Concurrent map[incident.EffectKind]bool
	// DoneInBackground kinds are removed from the queue while the next
	// effect is performed (their repetition is harmless).
	DoneInBackground map[incident.EffectKind]bool
	// CoalesceInterval is the least time between two performances of a
	// coalesced kind for one incident.
	CoalesceInterval time.Duration
	// Poll is how often the queue is read without a notification.
	Poll time.Duration
	// Batch is how many pending effects one read takes.
	Batch int
	// Backoff is the first retry delay, doubled per attempt up to a
	// minute (default 1 s); a failure asking for less waits this long.
	Backoff time.Duration
	// Grace is how long an effect already under way may go on once the
	// runner is told to stop, so that what reached Slack is also removed
	// from the queue and not performed again after a restart. No new
	// effect starts meanwhile. 0: it is interrupted at once.
	Grace time.Duration
}

// Events observe the runner; every field may be nil.
type Events struct {
	// Postponed: an effect failed and is tried again at notBefore.
	Postponed func(it Item, err error, notBefore time.Time)
	// Failed: an effect failed for good and left the queue.
	Failed func(it Item, err error)
	// Dropped: effects left the queue unperformed (ErrDrop).
	Dropped func(n uint64, ids []uint64, err error)
	// Problem: the queue could not be read or written, or a panic.
	Problem func(what string, err error)
}

// Runner drains a Queue through a Port.
type Runner[S any] struct {
	q      Queue
	port   Port[S]
	clock  Clock
	policy Policy
	ev     Events

	mu       sync.Mutex
	busy     map[uint64]bool
	lastCoal map[uint64]time.Time
	// told counts, per effect, the postponements whose wait was named
	// (a rate limit's Retry-After, a wait the port chose): they say when
	// to try again, not that the effect keeps failing, so they do not
	// lengthen the backoff after its next failure. Kept in memory: after
	// a restart the backoff counts every attempt, as before.
	told map[uint64]int
	kick chan struct{}
	wg   sync.WaitGroup
	// ctxMu guards ctx, the context background tasks run under.
	ctxMu sync.Mutex
	ctx   context.Context
}

// New builds a runner.
func New[S any](q Queue, port Port[S], clock Clock, p Policy, ev Events) *Runner[S] {
	if p.Poll == 0 {
		p.Poll = 500 * time.Millisecond
	}
	if p.Batch == 0 {
		p.Batch = 5000
	}
	if p.Backoff <= 0 {
		p.Backoff = time.Second
	}
	return &Runner[S]{q: q, port: port, clock: clock, policy: p, ev: ev,
		busy: map[uint64]bool{}, lastCoal: map[uint64]time.Time{}, told: map[uint64]int{}, kick: make(chan struct{}, 1), ctx: context.Background()}
}

// Poke makes the runner read the queue again soon.
func (r *Runner[S]) Poke() {
	select {
	case r.kick <- struct{}{}:
	default:
	}
}

// Go runs fn in a goroutine the runner waits for when it stops. It is for
// a Port's work that must not hold up the effect being performed, and is
// called while one is (so the runner has not stopped yet).
func (r *Runner[S]) Go(fn func(ctx context.Context)) {
	r.ctxMu.Lock()
	ctx := r.ctx
	r.wg.Add(1)
	r.ctxMu.Unlock()
	go func() {
		defer r.wg.Done()
		defer r.recover("background task", 0)
		fn(ctx)
	}()
}

// Run drains the queue until ctx ends, then waits for every goroutine
// it started.
func (r *Runner[S]) Run(ctx context.Context) {
	r.ctxMu.Lock()
	r.ctx = ctx
	r.ctxMu.Unlock()
	notify := r.q.Notify()
	for {
		r.drain(ctx)
		select {
		case <-ctx.Done():
			r.wg.Wait()
			return
		case <-notify:
		case <-r.kick:
		case <-r.clock.After(r.policy.Poll):
		}
	}
}

func (r *Runner[S]) recover(what string, n uint64) {
	if p := recover(); p != nil && r.ev.Problem != nil {
		r.ev.Problem(what+" panicked", fmt.Errorf("incident %d: %v\n%s", n, p, debug.Stack()))
	}
}

func (r *Runner[S]) problem(what string, err error) {
	if r.ev.Problem != nil {
		r.ev.Problem(what, err)
	}
}

func (r *Runner[S]) drain(ctx context.Context) {
	// An incident whose worker is running while the queue is read may
	// settle effects this read still holds: it is left to the next read
	// (its worker pokes the loop when it ends), never started from a
	// snapshot older than its last settle.
	r.mu.Lock()
	wasBusy := make(map[uint64]bool, len(r.busy))
	for n := range r.busy {
		wasBusy[n] = true
	}
	r.mu.Unlock()
	items, err := r.q.Pending(r.policy.Batch)
	if err != nil {
		r.problem("reading the outbox failed", err)
		return
	}
	groups := map[uint64][]Item{}
	var order []uint64
	for _, it := range items {
		if _, ok := groups[it.Incident]; !ok {
			order = append(order, it.Incident)
		}
		groups[it.Incident] = append(groups[it.Incident], it)
	}
	now := r.clock.Now()
	for _, n := range order {
		if groups[n][0].NotBefore.After(now) {
			// Nothing due: a worker would only poke the loop again at
			// once and spin until the retry time.
			continue
		}
		r.mu.Lock()
		if wasBusy[n] || r.busy[n] || ctx.Err() != nil {
			r.mu.Unlock()
			continue
		}
		r.busy[n] = true
		r.mu.Unlock()
		r.wg.Add(1)
		go func(n uint64, its []Item) {
			defer r.wg.Done()
			defer func() {
				r.recover("effect executor", n)
				r.mu.Lock()
				delete(r.busy, n)
				r.mu.Unlock()
				r.Poke()
			}()
			r.runIncident(ctx, n, its)
		}(n, groups[n])
	}
}

// runIncident performs incident n's due effects in commit order, reading
// the incident once for the batch.
func (r *Runner[S]) runIncident(ctx context.Context, n uint64, items []Item) {
	var bg sync.WaitGroup
	defer bg.Wait() // the next batch must see these effects gone
	s, err := r.port.Load(n, items)
	if errors.Is(err, ErrDrop) {
		r.drop(n, ids(items), err)
		return
	}
	if err != nil {
		r.postpone(items[0], err, 0)
		return
	}
	for i := 0; i < len(items); i++ {
		if ctx.Err() != nil {
			return
		}
		it := items[i]
		if it.NotBefore.After(r.clock.Now()) {
			return // keep commit order: later effects wait for this one
		}
		if run := r.concurrentRun(items[i:]); len(run) > 1 {
			ns, ok := r.performAll(ctx, n, s, run)
			if !ok {
				return
			}
			s = ns
			i += len(run) - 1
			continue
		}
		done := []uint64{it.ID}
		if r.policy.Coalesce[it.Effect.Kind] {
			for _, later := range items[i+1:] {
				if later.Effect.Kind == it.Effect.Kind {
					done = append(done, later.ID)
				}
			}
			items = withoutLater(items, i, it.Effect.Kind)
			waited := r.throttle(ctx, n)
			later := r.laterOfKind(n, it.Effect.Kind, done)
			done = append(done, later...)
			if waited || len(later) > 0 {
				// Commands committed since the batch was read are
				// covered by one render of the state read now.
				if ns, lerr := r.port.Load(n, items[i:]); lerr == nil {
					s = ns
				}
			}
		}
		ns, err := r.perform(ctx, n, s, it)
		if err == nil {
			s = ns
			if r.policy.DoneInBackground[it.Effect.Kind] {
				bg.Add(1)
				go func() {
					defer bg.Done()
					r.settle(ctx, it, done, nil)
				}()
				continue
			}
		}
		if errors.Is(err, ErrDrop) {
			r.drop(n, append(done, ids(items[i+1:])...), err)
			return
		}
		if !r.settle(ctx, it, done, err) {
			return
		}
	}
}

func ids(items []Item) []uint64 {
	out := make([]uint64, len(items))
	for i, it := range items {
		out[i] = it.ID
	}
	return out
}

func (r *Runner[S]) drop(n uint64, ids []uint64, err error) {
	r.forget(ids)
	if derr := r.q.Done(ids...); derr != nil {
		r.problem("could not remove dropped effects", derr)
	}
	if r.ev.Dropped != nil {
		r.ev.Dropped(n, ids, err)
	}
}

func (r *Runner[S]) perform(ctx context.Context, n uint64, s S, it Item) (ns S, err error) {
	if r.policy.Grace > 0 {
		var cancel context.CancelFunc
		ctx, cancel = withGrace(ctx, r.policy.Grace)
		defer cancel()
	}
	defer func() {
		if p := recover(); p != nil {
			ns, err = s, fmt.Errorf("panic: %v", p)
			r.problem("effect panicked", fmt.Errorf("incident %d: %v\n%s", n, p, debug.Stack()))
		}
	}()
	return r.port.Perform(ctx, s, it)
}

// withGrace is a context that ends grace after ctx ends (on the real
// clock: it bounds a shutdown), or when the returned cancel is called.
func withGrace(ctx context.Context, grace time.Duration) (context.Context, context.CancelFunc) {
	gctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	var t *time.Timer
	var mu sync.Mutex
	stop := context.AfterFunc(ctx, func() {
		mu.Lock()
		t = time.AfterFunc(grace, cancel)
		mu.Unlock()
	})
	return gctx, func() {
		stop()
		mu.Lock()
		if t != nil {
			t.Stop()
		}
		mu.Unlock()
		cancel()
	}
}

// concurrentRun is the longest due prefix of items that may run together.
func (r *Runner[S]) concurrentRun(items []Item) []Item {
	now := r.clock.Now()
	k := 0
	for k < len(items) && r.policy.Concurrent[items[k].Effect.Kind] && !items[k].NotBefore.After(now) {
		k++
	}
	return items[:k]
}

// performAll performs run concurrently and settles each effect on its
// own; false when one was postponed, so that later effects keep their
// order. The incident is read again after the run.
func (r *Runner[S]) performAll(ctx context.Context, n uint64, s S, run []Item) (S, bool) {
	errs := make([]error, len(run))
	var wg sync.WaitGroup
	for k, it := range run {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[k] = r.perform(ctx, n, s, it)
		}()
	}
	wg.Wait()
	ok := true
	for k, it := range run {
		if !r.settle(ctx, it, []uint64{it.ID}, errs[k]) {
			ok = false
		}
	}
	if ns, err := r.port.Load(n, nil); err == nil {
		s = ns
	}
	return s, ok
}

// laterOfKind lists incident n's pending effects of kind committed since
// the batch was read, other than have.
func (r *Runner[S]) laterOfKind(n uint64, kind incident.EffectKind, have []uint64) []uint64 {
	items, err := r.q.Pending(r.policy.Batch)
	if err != nil {
		return nil
	}
	seen := make(map[uint64]bool, len(have))
	for _, id := range have {
		seen[id] = true
	}
	var out []uint64
	for _, it := range items {
		if it.Incident == n && it.Effect.Kind == kind && !seen[it.ID] {
			out = append(out, it.ID)
		}
	}
	return out
}

func withoutLater(items []Item, keep int, kind incident.EffectKind) []Item {
	out := items[: keep+1 : keep+1]
	for _, it := range items[keep+1:] {
		if it.Effect.Kind != kind {
			out = append(out, it)
		}
	}
	return out
}

// throttle waits until CoalesceInterval has passed since the incident's
// last coalesced performance; it reports whether it waited.
func (r *Runner[S]) throttle(ctx context.Context, n uint64) bool {
	r.mu.Lock()
	last := r.lastCoal[n]
	r.mu.Unlock()
	waited := false
	if wait := r.policy.CoalesceInterval - r.clock.Now().Sub(last); wait > 0 && !last.IsZero() {
		waited = Sleep(ctx, r.clock, wait)
	}
	r.mu.Lock()
	r.lastCoal[n] = r.clock.Now()
	r.mu.Unlock()
	return waited
}

// settle removes performed effects or postpones a failed one; false
// means later effects of the incident must wait.
func (r *Runner[S]) settle(ctx context.Context, it Item, done []uint64, err error) bool {
	if err == nil {
		r.forget(done)
		if derr := r.q.Done(done...); derr != nil {
			r.problem("could not remove a performed effect", derr)
		}
		return true
	}
	if ctx.Err() != nil {
		return false
	}
	if after, keep := r.port.Classify(err); keep {
		r.postpone(it, err, after)
		var l *Later
		if errors.As(err, &l) && l.Then != nil {
			l.Then(ctx)
		}
		return false
	}
	if r.ev.Failed != nil {
		r.ev.Failed(it, err)
	}
	r.forget(done)
	if derr := r.q.Done(done...); derr != nil {
		r.problem("could not remove a failed effect", derr)
	}
	return true
}

func (r *Runner[S]) postpone(it Item, err error, after time.Duration) {
	r.mu.Lock()
	if after >= r.policy.Backoff {
		r.told[it.ID]++
	} else {
		after = backoffFrom(r.policy.Backoff, max(it.Attempts-r.told[it.ID], 0))
	}
	r.mu.Unlock()
	at := r.clock.Now().Add(after)
	if rerr := r.q.Retry(it.ID, at, err.Error()); rerr != nil {
		r.problem("could not postpone an effect", rerr)
	}
	if r.ev.Postponed != nil {
		r.ev.Postponed(it, err, at)
	}
}

// forget drops what the runner remembers of effects that are gone.
func (r *Runner[S]) forget(ids []uint64) {
	r.mu.Lock()
	for _, id := range ids {
		delete(r.told, id)
	}
	r.mu.Unlock()
}

// Backoff is the wait before attempt+1: 1 s doubling up to a minute.
func Backoff(attempt int) time.Duration { return backoffFrom(time.Second, attempt) }

// backoffFrom is the wait before attempt+1: first, doubling up to a minute.
func backoffFrom(first time.Duration, attempt int) time.Duration {
	return min(first<<min(attempt, 6), time.Minute)
}

// Sleep waits d on clock; false when ctx ended first.
func Sleep(ctx context.Context, clock Clock, d time.Duration) bool {
	select {
	case <-ctx.Done():
		return false
	case <-clock.After(d):
		return true
	}
}
