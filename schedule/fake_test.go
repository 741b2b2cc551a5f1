package schedule_test

import (
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/firebreak-hq/firebreak/incident"
	"github.com/firebreak-hq/firebreak/schedule"
)

// memStore is a hand-written in-memory Store: Apply runs fn on a copy of
// the current state under one lock and keeps the result only when fn
// succeeds, as a transaction would.
type memStore struct {
	mu      sync.Mutex
	incs    map[uint64]incident.Incident
	next    uint64
	effects []sent
	events  map[uint64][]incident.Event

	// readBarrier, when set, holds every OpenIncidents caller until all
	// expected callers have read, so concurrent ticks share one stale
	// snapshot.
	readBarrier *sync.WaitGroup
	// afterRead runs after OpenIncidents took its snapshot, to change
	// the state between a tick's read and its writes.
	afterRead func()
	// failApply makes Apply on these incidents fail, as a broken record would.
	failApply map[uint64]error
}

type sent struct {
	N      uint64
	Effect incident.Effect
}

var (
	_ schedule.Store        = (*memStore)(nil)
	_ schedule.ClosedLister = (*memStore)(nil)
)

func newMem() *memStore {
	return &memStore{incs: map[uint64]incident.Incident{}, events: map[uint64][]incident.Event{}}
}

func (m *memStore) OpenIncidents() ([]incident.Incident, error) {
	m.mu.Lock()
	var out []incident.Incident
	for _, inc := range m.incs {
		if inc.Status.Open() {
			out = append(out, inc.Clone())
		}
	}
	m.mu.Unlock()
	sort.Slice(out, func(a, b int) bool { return out[a].Number < out[b].Number })
	if f := m.afterRead; f != nil {
		f()
	}
	if b := m.readBarrier; b != nil {
		b.Done()
		b.Wait()
	}
	return out, nil
}

func (m *memStore) List(limit int) ([]incident.Incident, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []incident.Incident
	for n := m.next; n > 0 && (limit <= 0 || len(out) < limit); n-- {
		out = append(out, m.incs[n].Clone())
	}
	return out, nil
}

func (m *memStore) Apply(n uint64, fn func(incident.Incident) (incident.Result, error)) (incident.Result, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.failApply[n]; err != nil {
		return incident.Result{}, err
	}
	cur, ok := m.incs[n]
	if !ok {
		return incident.Result{}, fmt.Errorf("no incident %d", n)
	}
	res, err := fn(cur.Clone())
	if err != nil {
		return incident.Result{}, err
	}
	m.incs[n] = res.Incident
	m.events[n] = append(m.events[n], res.Events...)
	for _, e := range res.Effects {
		m.effects = append(m.effects, sent{n, e})
	}
	return res, nil
}

func (m *memStore) declare(t testing.TB, sev incident.Severity, at time.Time) uint64 {
	t.Helper()
	m.mu.Lock()
	m.next++
	n := m.next
	m.mu.Unlock()
	res, err := incident.Declare(n, incident.Declaration{Title: "checkout errors", Severity: sev, Declarer: "UDECL"}, at)
	if err != nil {
		t.Fatal(err)
	}
	m.mu.Lock()
	m.incs[n] = res.Incident
	m.mu.Unlock()
	return n
}

func (m *memStore) do(t *testing.T, n uint64, at time.Time, cmd incident.Command) {
	t.Helper()
	if cmd.Actor == "" {
		cmd.Actor = "UDECL"
	}
	if _, err := m.Apply(n, func(inc incident.Incident) (incident.Result, error) { return incident.Apply(inc, cmd, at) }); err != nil {
		t.Fatalf("%s: %v", cmd.Kind, err)
	}
}

// reminders returns the reminder effects sent so far, as "kind user".
func (m *memStore) reminders() []sent {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []sent
	for _, s := range m.effects {
		if s.Effect.Msg == incident.MsgReminder {
			out = append(out, s)
		}
	}
	return out
}
