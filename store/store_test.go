package store

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/firebreak-hq/firebreak/incident"
)

func TestCreateCommitsStateEventsAndOutbox(t *testing.T) {
	d, _ := newDB(t)
	res := declare(t, d, "Checkout is down")
	if res.Incident.Number != 1 {
		t.Fatalf("first incident number = %d, want 1", res.Incident.Number)
	}
	if len(res.Events) != 1 || res.Events[0].Seq != 1 {
		t.Fatalf("events = %+v, want one with Seq 1", res.Events)
	}
	if !drained(d) {
		t.Error("Notify not signalled after a commit with effects")
	}
	got, err := d.Get(1)
	if err != nil || got.Title != "Checkout is down" || got.Status != incident.StatusActive {
		t.Fatalf("Get(1) = %+v, %v", got, err)
	}
	evs, err := d.Events(1)
	if err != nil || len(evs) != 1 || evs[0].Kind != incident.EvDeclared {
		t.Fatalf("Events(1) = %+v, %v", evs, err)
	}
	items, err := d.PendingFor(1)
	if err != nil || len(items) != len(res.Effects) {
		t.Fatalf("PendingFor(1) = %d items, %v; want %d", len(items), err, len(res.Effects))
	}
	for i, it := range items {
		if it.Effect.Kind != res.Effects[i].Kind || it.Incident != 1 || !it.Created.Equal(t0) {
			t.Errorf("outbox[%d] = %+v, want effect %s of INC-1 created %v", i, it, res.Effects[i].Kind, t0)
		}
	}
	open, err := d.OpenIncidents()
	if err != nil || len(open) != 1 || open[0].Number != 1 {
		t.Fatalf("OpenIncidents = %+v, %v", open, err)
	}
}

func TestApplyAppendsInOrder(t *testing.T) {
	d, _ := newDB(t)
	declare(t, d, "Latency")
	for i := range 5 {
		res := mustApply(t, d, 1, note(fmt.Sprintf("note %d", i)))
		if want := uint64(i + 2); res.Events[0].Seq != want {
			t.Fatalf("note %d got Seq %d, want %d", i, res.Events[0].Seq, want)
		}
	}
	evs, err := d.Events(1)
	if err != nil {
		t.Fatal(err)
	}
	for i, e := range evs {
		if e.Seq != uint64(i+1) {
			t.Fatalf("event %d has Seq %d", i, e.Seq)
		}
	}
	if n, err := d.EventCount(1); err != nil || n != 6 {
		t.Fatalf("EventCount = %d, %v; want 6", n, err)
	}
}

func TestWriteErrors(t *testing.T) {
	refusal := errors.New("refused by the domain")
	tests := []struct {
		name   string
		n      uint64
		fn     func(incident.Incident) (incident.Result, error)
		want   error
		called bool
	}{
		{name: "missing incident", n: 99, want: ErrNotFound,
			fn: func(incident.Incident) (incident.Result, error) { return incident.Result{}, nil }},
		{name: "fn error returned as is", n: 1, want: refusal, called: true,
			fn: func(incident.Incident) (incident.Result, error) { return incident.Result{}, refusal }},
		{name: "domain refusal", n: 1, called: true,
			fn: cmdFn(incident.Command{Kind: incident.CmdReopen, Actor: "U1"}, t0)},
		{name: "wrong incident number", n: 1, want: ErrConflict, called: true,
			fn: func(inc incident.Incident) (incident.Result, error) {
				inc.Number = 2
				return incident.Result{Incident: inc, Events: []incident.Event{{Kind: incident.EvNote}}}, nil
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d, _ := newDB(t)
			declare(t, d, "t")
			drained(d)
			before, _ := d.Stats()
			var called atomic.Bool
			_, err := d.Apply(tc.n, func(inc incident.Incident) (incident.Result, error) {
				called.Store(true)
				return tc.fn(inc)
			})
			if err == nil {
				t.Fatal("Apply succeeded, want an error")
			}
			if tc.want != nil && !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			if tc.want == refusal && err != refusal {
				t.Fatalf("fn error was wrapped: %v", err)
			}
			if called.Load() != tc.called {
				t.Fatalf("fn called = %v, want %v", called.Load(), tc.called)
			}
			after, _ := d.Stats()
			if before != after {
				t.Fatalf("stats changed: %+v → %+v", before, after)
			}
			if drained(d) {
				t.Error("Notify signalled for a rolled-back write")
			}
		})
	}
}

func TestCreateFnErrorWritesNothing(t *testing.T) {
	d, _ := newDB(t)
	boom := errors.New("boom")
	if _, err := d.Create(func(uint64) (incident.Result, error) { return incident.Result{}, boom }); err != boom {
		t.Fatalf("err = %v, want boom as is", err)
	}
	if s, _ := d.Stats(); s.Incidents != 0 || s.Outbox != 0 || s.MaxIncident != 0 {
		t.Fatalf("stats after failed create: %+v", s)
	}
	if res := declare(t, d, "x"); res.Incident.Number != 1 {
		t.Fatalf("number after rolled-back create = %d, want 1", res.Incident.Number)
	}
}

func TestNumbersSurviveRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "fb.db")
	d, err := Open(path, Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		declare(t, d, "x")
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	d = openTest(t, path, Options{NoSync: true})
	if res := declare(t, d, "y"); res.Incident.Number != 4 {
		t.Fatalf("number after restart = %d, want 4", res.Incident.Number)
	}
}

func TestApplyOnce(t *testing.T) {
	tests := []struct {
		name    string
		keys    []string
		advance time.Duration // clock moves between calls
		wantDup []bool
	}{
		{name: "redelivery", keys: []string{"Ev1", "Ev1"}, wantDup: []bool{false, true}},
		{name: "distinct keys", keys: []string{"Ev1", "Ev2"}, wantDup: []bool{false, false}},
		{name: "within ttl", keys: []string{"Ev1", "Ev1"}, advance: DedupeTTL - time.Second, wantDup: []bool{false, true}},
		{name: "after ttl", keys: []string{"Ev1", "Ev1"}, advance: DedupeTTL, wantDup: []bool{false, false}},
		{name: "empty key never dedupes", keys: []string{"", ""}, wantDup: []bool{false, false}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d, c := newDB(t)
			declare(t, d, "t")
			calls := 0
			for i, k := range tc.keys {
				if i > 0 {
					c.Add(tc.advance)
				}
				res, dup, err := d.ApplyOnce(k, 1, func(inc incident.Incident) (incident.Result, error) {
					calls++
					return incident.Apply(inc, note("pinned"), t0)
				})
				if err != nil {
					t.Fatal(err)
				}
				if dup != tc.wantDup[i] {
					t.Fatalf("call %d dup = %v, want %v", i, dup, tc.wantDup[i])
				}
				if dup && (res.Incident.Number != 0 || res.Events != nil) {
					t.Fatalf("dup returned a non-zero result %+v", res)
				}
			}
			wantEvents := 1
			for _, dup := range tc.wantDup {
				if !dup {
					wantEvents++
				}
			}
			if n, _ := d.EventCount(1); n != wantEvents || calls != wantEvents-1 {
				t.Fatalf("events = %d, fn calls = %d; want %d, %d", n, calls, wantEvents, wantEvents-1)
			}
		})
	}
}

func TestApplyOnceFailureDoesNotRecordKey(t *testing.T) {
	d, _ := newDB(t)
	declare(t, d, "t")
	boom := errors.New("boom")
	if _, _, err := d.ApplyOnce("Ev1", 1, func(incident.Incident) (incident.Result, error) { return incident.Result{}, boom }); err != boom {
		t.Fatalf("err = %v", err)
	}
	if _, dup, err := d.ApplyOnce("Ev1", 1, cmdFn(note("again"), t0)); err != nil || dup {
		t.Fatalf("retry after failure: dup=%v err=%v; want applied", dup, err)
	}
	if _, _, err := d.ApplyOnce("Ev2", 42, cmdFn(note("x"), t0)); !errors.Is(err, ErrNotFound) {
		t.Fatalf("missing incident: %v", err)
	}
	if seen, _ := d.SeenOnce("Ev2"); seen {
		t.Fatal("key of a failed ApplyOnce was recorded")
	}
}

func TestSeenOnceAndPrune(t *testing.T) {
	d, c := newDB(t)
	for i := range 100 {
		if seen, err := d.SeenOnce(fmt.Sprintf("E%03d", i)); err != nil || seen {
			t.Fatalf("first SeenOnce(E%03d) = %v, %v", i, seen, err)
		}
	}
	if seen, _ := d.SeenOnce("E007"); !seen {
		t.Fatal("second SeenOnce not reported as seen")
	}
	c.Add(DedupeTTL + time.Second)
	// One dedupe write prunes a bounded batch on its own.
	if seen, _ := d.SeenOnce("fresh"); seen {
		t.Fatal("fresh key reported seen")
	}
	if s, _ := d.Stats(); s.Dedupe != 101-pruneBatch {
		t.Fatalf("after opportunistic prune: %d keys, want %d", s.Dedupe, 101-pruneBatch)
	}
	n, err := d.PruneDedupe()
	if err != nil || n != 100-pruneBatch {
		t.Fatalf("PruneDedupe = %d, %v; want %d", n, err, 100-pruneBatch)
	}
	if s, _ := d.Stats(); s.Dedupe != 1 {
		t.Fatalf("after prune: %d keys, want 1", s.Dedupe)
	}
	if seen, _ := d.SeenOnce("E007"); seen {
		t.Fatal("expired key reported seen")
	}
	if _, err := d.SeenOnce(""); err == nil {
		t.Fatal("empty key accepted")
	}
	if _, err := d.SeenOnce(strings.Repeat("k", MaxDedupeKey+1)); err == nil {
		t.Fatal("oversized key accepted")
	}
}

func TestIndexes(t *testing.T) {
	d, _ := newDB(t)
	for range 3 {
		declare(t, d, "x")
	}
	setChannel(t, d, 1, "C1")
	setChannel(t, d, 2, "C2")
	mustApply(t, d, 2, forceClose)

	tests := []struct {
		name    string
		channel string
		want    uint64
		err     error
	}{
		{name: "open incident channel", channel: "C1", want: 1},
		{name: "closed incident keeps its channel", channel: "C2", want: 2},
		{name: "not an incident channel", channel: "C9", err: ErrNotFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			inc, err := d.ByChannel(tc.channel)
			if !errors.Is(err, tc.err) || inc.Number != tc.want {
				t.Fatalf("ByChannel(%s) = INC-%d, %v; want INC-%d, %v", tc.channel, inc.Number, err, tc.want, tc.err)
			}
		})
	}
	open, _ := d.OpenIncidents()
	if len(open) != 2 || open[0].Number != 1 || open[1].Number != 3 {
		t.Fatalf("OpenIncidents = %v", numbers(open))
	}
	// A channel belongs to one incident.
	_, err := d.Apply(3, func(inc incident.Incident) (incident.Result, error) {
		return incident.RecordChannel(inc, "C1", "dup", t0), nil
	})
	if !errors.Is(err, ErrConflict) {
		t.Fatalf("second incident on C1: %v, want ErrConflict", err)
	}
	// Moving a channel drops the old mapping.
	setChannel(t, d, 1, "C1b")
	if _, err := d.ByChannel("C1"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("old channel still mapped: %v", err)
	}
	if inc, err := d.ByChannel("C1b"); err != nil || inc.Number != 1 {
		t.Fatalf("new channel: %v %v", inc.Number, err)
	}
}

func numbers(incs []incident.Incident) []uint64 {
	var out []uint64
	for _, i := range incs {
		out = append(out, i.Number)
	}
	return out
}

func TestList(t *testing.T) {
	d, _ := newDB(t)
	for range 5 {
		declare(t, d, "x")
	}
	mustApply(t, d, 2, forceClose)
	tests := []struct {
		name  string
		limit int
		want  []uint64
	}{
		{name: "all", limit: 0, want: []uint64{5, 4, 3, 2, 1}},
		{name: "limited", limit: 2, want: []uint64{5, 4}},
		{name: "limit above count", limit: 10, want: []uint64{5, 4, 3, 2, 1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := d.List(tc.limit)
			if err != nil || fmt.Sprint(numbers(got)) != fmt.Sprint(tc.want) {
				t.Fatalf("List(%d) = %v, %v; want %v", tc.limit, numbers(got), err, tc.want)
			}
		})
	}
}

func TestOutbox(t *testing.T) {
	d, c := newDB(t)
	declare(t, d, "a") // 6 effects
	declare(t, d, "b")
	all, err := d.Pending(0)
	if err != nil || len(all) != 12 {
		t.Fatalf("Pending(0) = %d, %v", len(all), err)
	}
	for i, it := range all {
		if it.ID != uint64(i+1) {
			t.Fatalf("Pending not in ID order: %d at %d", it.ID, i)
		}
	}
	if first, _ := d.Pending(3); len(first) != 3 || first[2].ID != 3 {
		t.Fatalf("Pending(3) = %+v", first)
	}
	if two, _ := d.PendingFor(2); len(two) != 6 || two[0].ID != 7 {
		t.Fatalf("PendingFor(2) = %+v", two)
	}
	nb := c.Now().Add(time.Minute)
	for range 2 {
		if err := d.Retry(1, nb, "rate limited"); err != nil {
			t.Fatal(err)
		}
	}
	got, _ := d.Pending(1)
	if got[0].Attempts != 2 || !got[0].NotBefore.Equal(nb) || got[0].LastError != "rate limited" {
		t.Fatalf("after Retry: %+v", got[0])
	}
	if err := d.Done(1, 2, 3); err != nil {
		t.Fatal(err)
	}
	if err := d.Done(1, 2, 3); err != nil {
		t.Fatalf("Done is not idempotent: %v", err)
	}
	if n, _ := d.OutboxDepth(); n != 9 {
		t.Fatalf("OutboxDepth = %d, want 9", n)
	}
	if err := d.Retry(1, nb, "x"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Retry of a done row: %v", err)
	}
}

func TestNotifyIsNonBlocking(t *testing.T) {
	d, _ := newDB(t)
	for range 3 {
		declare(t, d, "x") // nobody listens; must not block
	}
	if !drained(d) || drained(d) {
		t.Fatal("want exactly one buffered signal")
	}
	_, err := d.Apply(1, func(inc incident.Incident) (incident.Result, error) {
		return incident.RecordChannel(inc, "C9", "inc-1-x", t0), nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if drained(d) {
		t.Fatal("signalled for a commit without outbox rows")
	}
}

func TestMeta(t *testing.T) {
	d, _ := newDB(t)
	declare(t, d, "x")
	tests := []struct {
		name string
		n    uint64
		key  string
		set  string
		want string
		err  error
	}{
		{name: "unset key", n: 1, key: "issue_url"},
		{name: "set and read", n: 1, key: "issue_url", set: "https://gh/1", want: "https://gh/1"},
		{name: "missing incident", n: 7, key: "issue_url", err: ErrNotFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.set != "" {
				if err := d.SetMeta(tc.n, tc.key, tc.set); err != nil {
					t.Fatal(err)
				}
			}
			got, err := d.Meta(tc.n, tc.key)
			if !errors.Is(err, tc.err) || got != tc.want {
				t.Fatalf("Meta = %q, %v; want %q, %v", got, err, tc.want, tc.err)
			}
		})
	}
	if err := d.SetMeta(7, "k", "v"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("SetMeta on missing incident: %v", err)
	}
}

func TestConcurrentWritersBatch(t *testing.T) {
	d, _ := newDB(t)
	const incidents, writers, per = 3, 8, 40
	for range incidents {
		declare(t, d, "x")
	}
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range per {
				n := uint64((w+i)%incidents + 1)
				if _, err := d.Apply(n, cmdFn(note(fmt.Sprintf("w%d-%d", w, i)), t0)); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	total := 0
	for n := uint64(1); n <= incidents; n++ {
		evs, err := d.Events(n)
		if err != nil {
			t.Fatal(err)
		}
		for i, e := range evs {
			if e.Seq != uint64(i+1) {
				t.Fatalf("INC-%d: event %d has Seq %d (gap or duplicate)", n, i, e.Seq)
			}
		}
		total += len(evs) - 1
	}
	if total != writers*per {
		t.Fatalf("notes stored = %d, want %d", total, writers*per)
	}
}

func TestOpenLocked(t *testing.T) {
	path := filepath.Join(t.TempDir(), "fb.db")
	openTest(t, path, Options{NoSync: true})
	_, err := Open(path, Options{Timeout: 50 * time.Millisecond})
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("second Open: %v, want ErrLocked", err)
	}
	want := "database " + path + " is in use by another firebreak process (bbolt holds an exclusive lock); stop it or use a different --db"
	if err.Error() != want {
		t.Fatalf("message:\n got %q\nwant %q", err.Error(), want)
	}
}

func TestStats(t *testing.T) {
	d, _ := newDB(t)
	declare(t, d, "a")
	declare(t, d, "b")
	mustApply(t, d, 1, note("n"))
	closed := mustApply(t, d, 2, forceClose)
	s, err := d.Stats()
	if err != nil {
		t.Fatal(err)
	}
	want := Stats{Schema: SchemaVersion, Incidents: 2, Open: 1, Events: 4, Outbox: 12 + len(closed.Effects), MaxIncident: 2, SizeBytes: s.SizeBytes}
	if s != want {
		t.Fatalf("Stats = %+v\nwant    %+v", s, want)
	}
	if err := d.Check(); err != nil {
		t.Fatal(err)
	}
}

func TestEnqueueOnce(t *testing.T) {
	d, _ := newDB(t)
	eff := incident.Effect{Kind: incident.EffAnnounce, Msg: incident.MsgDigest}
	for i, want := range []bool{true, false, false} {
		added, err := d.EnqueueOnce("digest:2026-11-23T09:00:00Z", eff)
		if err != nil {
			t.Fatal(err)
		}
		if added != want {
			t.Fatalf("call %d: added %v, want %v", i, added, want)
		}
	}
	items, err := d.Pending(10)
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 1 || items[0].Incident != 0 || items[0].Effect.Msg != incident.MsgDigest {
		t.Fatalf("outbox: %+v", items)
	}
	if added, _ := d.EnqueueOnce("digest:2026-11-24T09:00:00Z", eff); !added {
		t.Fatal("the next day's digest was not queued")
	}
}
