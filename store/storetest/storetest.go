// Package storetest is the one test suite of the store contract
// (store.Store). Every backend runs it: store's own tests against bbolt
// files, store/pgstore's against PostgreSQL. A guarantee proven here holds
// on both.
package storetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/firebreak-hq/firebreak/incident"
	"github.com/firebreak-hq/firebreak/internal/testclock"
	"github.com/firebreak-hq/firebreak/store"
)

// Backend is how the suite opens one kind of store.
type Backend struct {
	// Open returns a new, empty store with the given clock. At cleanup
	// the backend runs Check on it (or on what Reopen returned in its
	// place), closes it and drops its data.
	Open func(t *testing.T, now func() time.Time) store.Store
	// Reopen closes s and opens the same database again, as a restart.
	Reopen func(t *testing.T, s store.Store) store.Store
	// Fault installs f inside s's write transactions (stages "incident",
	// "events", "outbox"); nil removes it.
	Fault func(s store.Store, f func(stage string) error)
	// Second opens another handle on s's database, as a second process
	// would. Nil for a backend that allows one process per database.
	Second func(t *testing.T, s store.Store) store.Store
	// Crash closes s as a killed process leaves it: its outbox claims
	// stay until their lease expires. Set with Second.
	Crash func(s store.Store)
	// Corrupt breaks one of the store's invariants in s's database (an
	// index that disagrees with its record) and returns a handle on it
	// for Check to find.
	Corrupt func(t *testing.T, s store.Store) store.Store
	// Migrations takes a database of this backend down to its first
	// schema and back up, checking it at each step.
	Migrations func(t *testing.T)
}

// T0 is the suite's clock start.
var T0 = time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)

// Run runs every test of the contract against b.
func Run(t *testing.T, b Backend) {
	open := func(t *testing.T) (store.Store, *testclock.Clock) {
		c := testclock.New(T0)
		return b.Open(t, c.Now), c
	}
	t.Run("Lifecycle", func(t *testing.T) { s, _ := open(t); testLifecycle(t, s) })
	t.Run("AtomicCommit", func(t *testing.T) { s, _ := open(t); testAtomic(t, b, s) })
	t.Run("NumbersNeverReused", func(t *testing.T) { s, _ := open(t); testNumbers(t, b, s) })
	t.Run("Dedupe", func(t *testing.T) { s, c := open(t); testDedupe(t, s, c) })
	t.Run("Alerts", func(t *testing.T) { s, _ := open(t); testAlerts(t, s) })
	t.Run("Outbox", func(t *testing.T) { s, _ := open(t); testOutbox(t, s) })
	t.Run("SlackAndMeta", func(t *testing.T) { s, _ := open(t); testSlackMeta(t, s) })
	t.Run("HomeViewers", func(t *testing.T) { s, _ := open(t); testHomeViewers(t, b, s) })
	t.Run("AsyncOrder", func(t *testing.T) { s, _ := open(t); testAsyncOrder(t, s) })
	t.Run("ConcurrentWriters", func(t *testing.T) { s, _ := open(t); testConcurrent(t, s, s) })
	t.Run("CopyToFile", func(t *testing.T) { s, _ := open(t); testCopy(t, s) })
	t.Run("Lead", func(t *testing.T) { s, _ := open(t); testLead(t, b, s) })
	t.Run("CreateOnce", func(t *testing.T) { s, _ := open(t); testCreateOnce(t, b, s) })
	t.Run("PingAndLastIncident", func(t *testing.T) { s, _ := open(t); testPing(t, s) })
	t.Run("CloseFinishesSubmitted", func(t *testing.T) { s, _ := open(t); testClose(t, b, s) })
	if b.Corrupt != nil {
		t.Run("CheckFindsDamage", func(t *testing.T) {
			s, _ := open(t)
			declare(t, s, "checked")
			mustApply(t, s, 1, withChannel("C1"))
			if err := s.Check(); err != nil {
				t.Fatalf("Check before the damage: %v", err)
			}
			if err := b.Corrupt(t, s).Check(); !errors.Is(err, store.ErrCorrupt) {
				t.Fatalf("Check after an index was damaged: %v, want ErrCorrupt", err)
			}
		})
	}
	if b.Second != nil {
		t.Run("TwoProcessesOneIncident", func(t *testing.T) { s, _ := open(t); testConcurrent(t, s, b.Second(t, s)) })
		t.Run("ClaimExclusive", func(t *testing.T) { s, _ := open(t); testClaims(t, b, s) })
		t.Run("LeaseExpiry", func(t *testing.T) { s, _ := open(t); testLease(t, b, s) })
	}
	if b.Migrations != nil {
		t.Run("Migrations", b.Migrations)
	}
}

func declare(t *testing.T, s store.Store, title string) incident.Result {
	t.Helper()
	res, err := s.Create(func(n uint64) (incident.Result, error) {
		return incident.Declare(n, incident.Declaration{Title: title, Declarer: "U1"}, T0)
	})
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	return res
}

func note(text string) func(incident.Incident) (incident.Result, error) {
	return func(inc incident.Incident) (incident.Result, error) {
		return incident.Apply(inc, incident.Command{Kind: incident.CmdNote, Actor: "U1", Text: text}, T0.Add(time.Minute))
	}
}

func closeInc(inc incident.Incident) (incident.Result, error) {
	return incident.Apply(inc, incident.Command{Kind: incident.CmdClose, Actor: "U1", Force: true, Text: "over"}, T0.Add(time.Hour))
}

func withChannel(ch string) func(incident.Incident) (incident.Result, error) {
	return func(inc incident.Incident) (incident.Result, error) {
		return incident.RecordChannel(inc, ch, "inc-x", T0), nil
	}
}

// withPage is note plus a page effect.
func withPage(text string) func(incident.Incident) (incident.Result, error) {
	return func(inc incident.Incident) (incident.Result, error) {
		r, err := note(text)(inc)
		r.Effects = append(r.Effects, incident.Effect{Kind: incident.EffPageTrigger, Text: text})
		return r, err
	}
}

func mustApply(t *testing.T, s store.Store, n uint64, fn func(incident.Incident) (incident.Result, error)) incident.Result {
	t.Helper()
	r, err := s.Apply(n, fn)
	if err != nil {
		t.Fatalf("Apply INC-%d: %v", n, err)
	}
	return r
}

func eventCount(t *testing.T, s store.Store, n uint64) int {
	t.Helper()
	c, err := s.EventCount(n)
	if err != nil {
		t.Fatalf("EventCount: %v", err)
	}
	evs, err := s.Events(n)
	if err != nil {
		t.Fatalf("Events: %v", err)
	}
	if len(evs) != c {
		t.Fatalf("EventCount %d, Events has %d", c, len(evs))
	}
	for i, e := range evs {
		if e.Seq != uint64(i+1) {
			t.Fatalf("INC-%d event %d has Seq %d: sequence not contiguous", n, i, e.Seq)
		}
	}
	return c
}

func depth(t *testing.T, s store.Store) int {
	t.Helper()
	d, err := s.OutboxDepth()
	if err != nil {
		t.Fatalf("OutboxDepth: %v", err)
	}
	return d
}

func testLifecycle(t *testing.T, s store.Store) {
	r := declare(t, s, "Checkout down")
	if r.Incident.Number != 1 || len(r.Events) == 0 || r.Events[0].Seq != 1 {
		t.Fatalf("first incident: number %d, events %+v", r.Incident.Number, r.Events)
	}
	if len(r.Effects) == 0 || depth(t, s) != len(r.Effects) {
		t.Fatalf("declaration's %d effects, outbox depth %d", len(r.Effects), depth(t, s))
	}
	mustApply(t, s, 1, withChannel("C1"))
	r2 := mustApply(t, s, 1, note("rolled back"))
	if want := uint64(eventCount(t, s, 1)); r2.Events[len(r2.Events)-1].Seq != want {
		t.Fatalf("Apply returned seq %d, timeline has %d events", r2.Events[len(r2.Events)-1].Seq, want)
	}
	got, err := s.ByChannel("C1")
	if err != nil || got.Number != 1 {
		t.Fatalf("ByChannel: %v %v", got.Number, err)
	}
	if _, err := s.ByChannel("C9"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("ByChannel unknown: %v", err)
	}
	declare(t, s, "Second")
	if _, err := s.Apply(2, withChannel("C1")); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("second incident on C1: %v, want ErrConflict", err)
	}
	if _, err := s.Get(9); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Get 9: %v", err)
	}
	if _, err := s.Apply(9, note("x")); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Apply 9: %v", err)
	}
	mustApply(t, s, 1, closeInc)
	open, err := s.OpenIncidents()
	if err != nil || len(open) != 1 || open[0].Number != 2 {
		t.Fatalf("OpenIncidents: %v %v", open, err)
	}
	list, err := s.List(0)
	if err != nil || len(list) != 2 || list[0].Number != 2 {
		t.Fatalf("List: %v %v", list, err)
	}
	closed, err := s.RecentClosed(T0.Add(-time.Hour))
	if err != nil || len(closed) != 1 || closed[0].Number != 1 {
		t.Fatalf("RecentClosed: %v %v", closed, err)
	}
	notes, err := s.LatestEvents(1, incident.EvNote, 5)
	if err != nil || len(notes) != 1 || notes[0].Text != "rolled back" {
		t.Fatalf("LatestEvents: %+v %v", notes, err)
	}
	var scanned []uint64
	var scannedNotes int
	err = s.Scan([]incident.EventKind{incident.EvNote}, func(inc incident.Incident, events func(func(incident.Event) error) error) error {
		scanned = append(scanned, inc.Number)
		return events(func(e incident.Event) error {
			if e.Kind != incident.EvNote {
				return fmt.Errorf("scan gave a %s event", e.Kind)
			}
			scannedNotes++
			return nil
		})
	})
	if err != nil || fmt.Sprint(scanned) != "[1 2]" || scannedNotes != 1 {
		t.Fatalf("Scan: %v, notes %d, %v", scanned, scannedNotes, err)
	}
	st, err := s.Stats()
	if err != nil || st.Incidents != 2 || st.Open != 1 || st.MaxIncident != 2 || st.Events != eventCount(t, s, 1)+eventCount(t, s, 2) {
		t.Fatalf("Stats: %+v %v", st, err)
	}
}

// testAtomic fails a write at each stage inside its transaction and checks
// that nothing of it is visible: state, events and outbox commit together.
func testAtomic(t *testing.T, b Backend, s store.Store) {
	declare(t, s, "Atomic")
	boom := errors.New("injected failure")
	for _, stage := range []string{"incident", "events", "outbox"} {
		before, _ := s.Get(1)
		evs, outbox := eventCount(t, s, 1), depth(t, s)
		pages, _ := s.PageOutbox().Depth()
		b.Fault(s, func(st string) error {
			if st == stage {
				return boom
			}
			return nil
		})
		_, err := s.Apply(1, func(inc incident.Incident) (incident.Result, error) {
			r, err := withPage("lost")(inc)
			r.Incident.Severity = incident.Sev1
			return r, err
		})
		b.Fault(s, nil)
		if !errors.Is(err, boom) {
			t.Fatalf("stage %s: Apply returned %v, want the injected failure", stage, err)
		}
		after, _ := s.Get(1)
		if after.Severity != before.Severity || eventCount(t, s, 1) != evs || depth(t, s) != outbox {
			t.Fatalf("stage %s: a failed write left state %s→%s, events %d→%d, outbox %d→%d",
				stage, before.Severity, after.Severity, evs, eventCount(t, s, 1), outbox, depth(t, s))
		}
		if p, _ := s.PageOutbox().Depth(); p != pages {
			t.Fatalf("stage %s: page lane %d→%d", stage, pages, p)
		}
	}
	// A write after the failures commits whole.
	r := mustApply(t, s, 1, withPage("kept"))
	if got := eventCount(t, s, 1); r.Events[0].Seq != uint64(got) {
		t.Fatalf("after failures: seq %d, %d events", r.Events[0].Seq, got)
	}
	if p, _ := s.PageOutbox().Depth(); p != 1 {
		t.Fatalf("page lane depth %d, want 1", p)
	}
}

// testNumbers: committed numbers increase and never come back, across
// refused and failed creates and a restart.
func testNumbers(t *testing.T, b Backend, s store.Store) {
	declare(t, s, "one")
	declare(t, s, "two")
	refused := errors.New("refused")
	if _, err := s.Create(func(uint64) (incident.Result, error) { return incident.Result{}, refused }); !errors.Is(err, refused) {
		t.Fatalf("refused create: %v", err)
	}
	boom := errors.New("disk gone")
	b.Fault(s, func(st string) error {
		if st == "outbox" {
			return boom
		}
		return nil
	})
	_, err := s.Create(func(n uint64) (incident.Result, error) {
		return incident.Declare(n, incident.Declaration{Title: "lost", Declarer: "U1"}, T0)
	})
	b.Fault(s, nil)
	if !errors.Is(err, boom) {
		t.Fatalf("failed create: %v", err)
	}
	if r := declare(t, s, "three"); r.Incident.Number != 3 {
		t.Fatalf("after a refused and a failed create: INC-%d, want INC-3", r.Incident.Number)
	}
	s = b.Reopen(t, s)
	if r := declare(t, s, "four"); r.Incident.Number != 4 {
		t.Fatalf("after a restart: INC-%d, want INC-4", r.Incident.Number)
	}
	seen := map[uint64]bool{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 5 {
				r, err := s.Create(func(n uint64) (incident.Result, error) {
					return incident.Declare(n, incident.Declaration{Title: "race", Declarer: "U1"}, T0)
				})
				if err != nil {
					t.Errorf("Create: %v", err)
					return
				}
				mu.Lock()
				if seen[r.Incident.Number] {
					t.Errorf("INC-%d handed out twice", r.Incident.Number)
				}
				seen[r.Incident.Number] = true
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if st, _ := s.Stats(); st.MaxIncident != 24 || st.Incidents != 24 {
		t.Fatalf("after 24 creates: %+v", st)
	}
}

// testClose: writes submitted before Close commit; writes after it fail
// with ErrClosed.
func testClose(t *testing.T, b Backend, s store.Store) {
	declare(t, s, "closing")
	var commits []*store.Commit
	for i := range 20 {
		commits = append(commits, s.ApplyAsync(1, note(fmt.Sprintf("c%d", i))))
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	for _, c := range commits {
		if _, err := c.Wait(); err != nil {
			t.Fatalf("a write submitted before Close: %v", err)
		}
	}
	if _, err := s.Apply(1, note("late")); !errors.Is(err, store.ErrClosed) {
		t.Fatalf("Apply after Close: %v, want ErrClosed", err)
	}
	if _, err := s.ApplyAsync(1, note("late")).Wait(); !errors.Is(err, store.ErrClosed) {
		t.Fatalf("ApplyAsync after Close: %v, want ErrClosed", err)
	}
	s = b.Reopen(t, s)
	if got := eventCount(t, s, 1); got < 21 {
		t.Fatalf("%d events after reopening, want the declaration's and 20 notes", got)
	}
}
