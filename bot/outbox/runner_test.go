package outbox

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/firebreak-hq/firebreak/incident"
)

const (
	post   = incident.EffPost
	update = incident.EffUpdateCard
	card   = incident.EffPostCard
	invite = incident.EffInvite
	create = incident.EffCreateChannel
)

var testPolicy = Policy{
	Coalesce:         map[incident.EffectKind]bool{update: true},
	Concurrent:       map[incident.EffectKind]bool{card: true, invite: true},
	DoneInBackground: map[incident.EffectKind]bool{create: true},
	CoalesceInterval: 250 * time.Millisecond,
}

type recorded struct {
	mu        sync.Mutex
	failed    []uint64
	dropped   []uint64
	postponed []uint64
	problems  []string
}

func (r *recorded) events() Events {
	return Events{
		Postponed: func(it Item, err error, at time.Time) {
			r.mu.Lock()
			r.postponed = append(r.postponed, it.ID)
			r.mu.Unlock()
		},
		Failed: func(it Item, err error) { r.mu.Lock(); r.failed = append(r.failed, it.ID); r.mu.Unlock() },
		Dropped: func(n uint64, ids []uint64, err error) {
			r.mu.Lock()
			r.dropped = append(r.dropped, ids...)
			r.mu.Unlock()
		},
		Problem: func(what string, err error) { r.mu.Lock(); r.problems = append(r.problems, what); r.mu.Unlock() },
	}
}

// pass runs one read of the queue and waits for every worker it started.
func pass(r *Runner[state]) {
	r.drain(context.Background())
	r.wg.Wait()
}

func setup(items ...Item) (*Runner[state], *fakeQueue, *fakePort, *fakeClock, *recorded) {
	q, p, c, rec := newFakeQueue(items...), newFakePort(), newFakeClock(), &recorded{}
	return New[state](q, p, c, testPolicy, rec.events()), q, p, c, rec
}

func TestEffectsOfOneIncidentRunInCommitOrderAndIncidentsIndependently(t *testing.T) {
	r, q, p, _, _ := setup(
		item(1, 7, post), item(2, 8, post), item(3, 7, post),
		item(4, 8, post), item(5, 7, post), item(6, 8, post))
	p.fail[4] = transient{"slack is down"}
	pass(r)
	if got := p.order(7); !slices.Equal(got, []uint64{1, 3, 5}) {
		t.Errorf("incident 7 performed %v, want [1 3 5]", got)
	}
	// 4 failed: 6 waits behind it, and incident 7 is not held up.
	if got := p.order(8); !slices.Equal(got, []uint64{2, 4}) {
		t.Errorf("incident 8 performed %v, want [2 4]", got)
	}
	if got := q.ids(); !slices.Equal(got, []uint64{4, 6}) {
		t.Errorf("left in the queue: %v, want [4 6]", got)
	}
}

func TestOneReadOfTheIncidentPerBatch(t *testing.T) {
	r, _, p, _, _ := setup(item(1, 7, post), item(2, 7, post), item(3, 7, post), item(4, 7, incident.EffDM))
	pass(r)
	if p.loads[7] != 1 {
		t.Errorf("incident read %d times for one batch, want 1", p.loads[7])
	}
	if got := p.order(7); len(got) != 4 {
		t.Errorf("performed %v, want all four", got)
	}
}

func TestCardUpdatesAreCoalescedIntoOneRenderOfTheLatestState(t *testing.T) {
	r, q, p, c, _ := setup(item(1, 7, update), item(2, 7, post), item(3, 7, update), item(4, 7, update))
	pass(r)
	// One render stands for the three updates, and the post still runs.
	if got := p.order(7); !slices.Equal(got, []uint64{1, 2}) {
		t.Fatalf("performed %v, want [1 2]", got)
	}
	if got := q.ids(); len(got) != 0 {
		t.Fatalf("left in the queue: %v, want none", got)
	}

	// A second update right after waits out the interval on the clock,
	// and renders what was committed while it waited.
	q.add(item(5, 7, update))
	done := make(chan struct{})
	go func() { pass(r); close(done) }()
	c.waitFor(t, testPolicy.CoalesceInterval)
	p.commit(7)
	q.add(item(6, 7, update)) // committed during the wait
	c.Advance(testPolicy.CoalesceInterval)
	<-done
	if got := p.order(7); !slices.Equal(got, []uint64{1, 2, 5}) {
		t.Fatalf("performed %v, want [1 2 5]", got)
	}
	if v := p.performed[len(p.performed)-1].version; v != 1 {
		t.Errorf("the update rendered version %d, want 1 (read after the wait)", v)
	}
	if got := q.ids(); len(got) != 0 {
		t.Errorf("left in the queue: %v, want none (6 is covered by the render)", got)
	}
}

func TestFailedEffectIsRetriedWithBackoffOnTheInjectedClock(t *testing.T) {
	r, q, p, c, rec := setup(item(1, 7, post), item(2, 7, post))
	q.items[0].Attempts = 2
	p.fail[1] = transient{"internal_error"}
	start := c.Now()
	pass(r)
	got := q.retries[1]
	if want := start.Add(4 * time.Second); !got.at.Equal(want) || got.err != "internal_error" {
		t.Fatalf("retry recorded as %v %q, want %v %q", got.at, got.err, want, "internal_error")
	}
	if !slices.Equal(rec.postponed, []uint64{1}) {
		t.Errorf("postponed events %v, want [1]", rec.postponed)
	}

	// Not due yet: nothing runs, not even the later effect.
	c.Advance(3 * time.Second)
	pass(r)
	if got := p.order(7); !slices.Equal(got, []uint64{1}) {
		t.Fatalf("performed %v before the retry time, want [1]", got)
	}
	c.Advance(time.Second)
	pass(r)
	if got := p.order(7); !slices.Equal(got, []uint64{1, 1, 2}) {
		t.Fatalf("performed %v, want [1 1 2]", got)
	}
	if got := q.ids(); len(got) != 0 {
		t.Errorf("left in the queue: %v", got)
	}
}

func TestRetryAfterAskedForIsHonoured(t *testing.T) {
	r, q, p, c, _ := setup(item(1, 7, post))
	p.fail[1] = &Later{D: 90 * time.Second, Why: "rate limited", Then: func(context.Context) { p.commit(99) }}
	pass(r)
	if got, want := q.retries[1].at, c.Now().Add(90*time.Second); !got.Equal(want) {
		t.Errorf("retry at %v, want %v", got, want)
	}
	if p.versions[99] != 1 {
		t.Error("Then did not run after the postponement was recorded")
	}
}

// TestNamedWaitsDoNotLengthenTheBackoff: postponements whose wait was
// named (a rate limit's Retry-After) say when to try again, not that the
// effect keeps failing: the first server error after three of them
// waits the first backoff, the next twice that, and nothing is kept
// once the effect is done.
func TestNamedWaitsDoNotLengthenTheBackoff(t *testing.T) {
	r, q, p, c, _ := setup(item(1, 7, post))
	for range 3 {
		p.fail[1] = &Later{D: 2 * time.Second, Why: "rate limited"}
		pass(r)
		if got := q.retries[1].at.Sub(c.Now()); got != 2*time.Second {
			t.Fatalf("rate limited: retry in %s, want the 2s asked for", got)
		}
		c.Advance(2 * time.Second)
	}
	for _, want := range []time.Duration{time.Second, 2 * time.Second} {
		p.fail[1] = transient{"internal_error"} // a failure is used once
		pass(r)
		if got := q.retries[1].at.Sub(c.Now()); got != want {
			t.Fatalf("server error after %d attempts: retry in %s, want %s", q.items[0].Attempts-1, got, want)
		}
		c.Advance(want)
	}
	pass(r)
	if len(q.ids()) != 0 || len(r.told) != 0 {
		t.Fatalf("left in the queue %v, remembered %v", q.ids(), r.told)
	}
}

func TestBackoffDoublesUpToAMinute(t *testing.T) {
	want := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 16 * time.Second, 32 * time.Second, time.Minute, time.Minute, time.Minute}
	for a, w := range want {
		if got := Backoff(a); got != w {
			t.Errorf("Backoff(%d) = %s, want %s", a, got, w)
		}
	}
}

// TestPolicyBackoff: a runner configured with a shorter first backoff
// (the page lane's) retries after it, doubling per attempt, and a
// failure asking for less than it still waits that long.
func TestPolicyBackoff(t *testing.T) {
	for _, tc := range []struct {
		attempts int
		asked    error
		want     time.Duration
	}{
		{0, transient{"down"}, 20 * time.Millisecond},
		{3, transient{"down"}, 160 * time.Millisecond},
		{0, &Later{D: time.Millisecond, Why: "soon"}, 20 * time.Millisecond},
		{0, &Later{D: 5 * time.Second, Why: "retry-after"}, 5 * time.Second},
	} {
		q, p, c, rec := newFakeQueue(item(1, 7, post)), newFakePort(), newFakeClock(), &recorded{}
		q.items[0].Attempts = tc.attempts
		pol := testPolicy
		pol.Backoff = 20 * time.Millisecond
		r := New[state](q, p, c, pol, rec.events())
		p.fail[1] = tc.asked
		pass(r)
		if got, want := q.retries[1].at, c.Now().Add(tc.want); !got.Equal(want) {
			t.Errorf("attempt %d, %v: retry at +%s, want +%s", tc.attempts, tc.asked, got.Sub(c.Now()), tc.want)
		}
	}
}

func TestPermanentFailureIsRecordedAndDoesNotHoldUpTheRest(t *testing.T) {
	r, q, p, _, rec := setup(item(1, 7, post), item(2, 7, post))
	p.fail[1] = errors.New("invalid_blocks")
	pass(r)
	if !slices.Equal(rec.failed, []uint64{1}) {
		t.Errorf("failures recorded: %v, want [1]", rec.failed)
	}
	if got := p.order(7); !slices.Equal(got, []uint64{1, 2}) {
		t.Errorf("performed %v, want [1 2]", got)
	}
	if got := q.ids(); len(got) != 0 {
		t.Errorf("left in the queue: %v", got)
	}
}

func TestAPanickingHandlerIsAFailureNotACrash(t *testing.T) {
	r, q, p, _, rec := setup(item(1, 7, post), item(2, 7, post))
	p.fail[1] = errors.New("panic")
	pass(r)
	if !slices.Equal(rec.failed, []uint64{1}) || len(rec.problems) != 1 {
		t.Errorf("failed %v, problems %v; want [1] and one problem", rec.failed, rec.problems)
	}
	if got := q.ids(); len(got) != 0 {
		t.Errorf("left in the queue: %v", got)
	}
}

func TestDroppedBatchAndDropFromAHandler(t *testing.T) {
	r, q, p, _, rec := setup(item(1, 7, post), item(2, 7, post), item(3, 8, post), item(4, 8, post), item(5, 8, post))
	p.drop[7] = true
	p.fail[4] = errors.Join(errors.New("gave up"), ErrDrop)
	pass(r)
	slices.Sort(rec.dropped)
	if !slices.Equal(rec.dropped, []uint64{1, 2, 4, 5}) {
		t.Errorf("dropped %v, want [1 2 4 5]", rec.dropped)
	}
	if got := p.order(7); len(got) != 0 {
		t.Errorf("performed %v of a dropped batch", got)
	}
	if got := q.ids(); len(got) != 0 {
		t.Errorf("left in the queue: %v", got)
	}
}

func TestConcurrentRunSettlesEachEffectOnItsOwn(t *testing.T) {
	r, q, p, _, _ := setup(item(1, 7, card), item(2, 7, invite), item(3, 7, post))
	// The card and the invite are in flight together: each waits for the
	// other to start.
	var started sync.WaitGroup
	started.Add(2)
	p.onPerform = func(it Item) {
		if it.ID <= 2 {
			started.Done()
			started.Wait()
		}
	}
	p.fail[2] = transient{"timeout"}
	pass(r)
	if got := q.ids(); !slices.Equal(got, []uint64{2, 3}) {
		t.Errorf("left in the queue: %v, want [2 3] (the post keeps its place behind the invite)", got)
	}
}

func TestShutdownStopsEveryGoroutine(t *testing.T) {
	r, q, p, _, _ := setup(item(1, 7, post), item(2, 8, post))
	p.block[1], p.block[2] = make(chan struct{}), make(chan struct{})
	var started sync.WaitGroup
	started.Add(2)
	p.onPerform = func(Item) { started.Done() }
	ctx, cancel := context.WithCancel(context.Background())
	var bgStopped bool
	var mu sync.Mutex
	done := make(chan struct{})
	go func() { r.Run(ctx); close(done) }()
	started.Wait()
	r.Go(func(ctx context.Context) {
		<-ctx.Done()
		mu.Lock()
		bgStopped = true
		mu.Unlock()
	})
	cancel()
	<-done
	p.mu.Lock()
	active := p.active
	p.mu.Unlock()
	mu.Lock()
	defer mu.Unlock()
	if active != 0 || !bgStopped {
		t.Errorf("after Run returned: %d handlers still running, background task stopped: %v", active, bgStopped)
	}
	if got := q.ids(); !slices.Equal(got, []uint64{1, 2}) {
		t.Errorf("effects interrupted by the shutdown left the queue: %v remain, want [1 2]", got)
	}
}

func TestRunPicksUpNewEffectsWhenNotified(t *testing.T) {
	r, q, p, _, _ := setup()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { r.Run(ctx); close(done) }()
	performedAll := make(chan struct{})
	p.onPerform = func(it Item) {
		if it.ID == 2 {
			close(performedAll)
		}
	}
	q.add(item(1, 7, post))
	q.add(item(2, 7, post))
	<-performedAll
	cancel()
	<-done
	if got := p.order(7); !slices.Equal(got, []uint64{1, 2}) {
		t.Errorf("performed %v, want [1 2]", got)
	}
}

// TestAnEffectSettledDuringAReadIsNotPerformedAgain: a read of the queue
// taken while an incident's worker is still performing holds effects that
// worker settles a moment later; the read must not start them again once
// the worker is gone.
func TestAnEffectSettledDuringAReadIsNotPerformedAgain(t *testing.T) {
	r, q, p, _, _ := setup(item(1, 7, post))
	release := make(chan struct{})
	p.block[1] = release
	r.drain(context.Background()) // the worker for incident 7 starts and blocks in Perform
	q.mu.Lock()
	q.afterRead = func() {
		// The snapshot still holds effect 1: now let the worker perform and
		// settle it, and wait until it has gone.
		q.mu.Lock()
		q.afterRead = nil
		q.mu.Unlock()
		close(release)
		r.wg.Wait()
	}
	q.mu.Unlock()
	r.drain(context.Background())
	r.wg.Wait()
	if got := p.order(7); !slices.Equal(got, []uint64{1}) {
		t.Errorf("incident 7 performed %v, want [1] once", got)
	}
}

// TestAnEffectUnderWayFinishesOnStop: with a grace, a stop lets the
// effect under way finish and leave the queue (what reached Slack is not
// performed again by the next process), while the next effect of the
// incident does not start; past the grace, the effect is interrupted
// and stays.
func TestAnEffectUnderWayFinishesOnStop(t *testing.T) {
	for _, tc := range []struct {
		name      string
		grace     time.Duration
		release   bool
		left      []uint64
		completed []uint64
	}{
		{"finishes within the grace", time.Minute, true, []uint64{2}, []uint64{1}},
		{"interrupted past the grace", 20 * time.Millisecond, false, []uint64{1, 2}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q, p, c, rec := newFakeQueue(item(1, 7, post), item(2, 7, post)), newFakePort(), newFakeClock(), &recorded{}
			pol := testPolicy
			pol.Grace = tc.grace
			r := New[state](q, p, c, pol, rec.events())
			p.block[1] = make(chan struct{})
			started := make(chan struct{})
			p.onPerform = func(it Item) {
				if it.ID == 1 {
					close(started)
				}
			}
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan struct{})
			go func() { r.Run(ctx); close(done) }()
			<-started
			cancel()
			if tc.release {
				close(p.block[1])
			}
			<-done
			if got := q.ids(); !slices.Equal(got, tc.left) {
				t.Errorf("left in the queue %v, want %v", got, tc.left)
			}
			if got := p.order(7); !slices.Equal(got, tc.completed) {
				t.Errorf("completed %v, want %v: only the effect under way, and the next never starts", got, tc.completed)
			}
		})
	}
}
