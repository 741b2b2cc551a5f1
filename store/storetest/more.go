package storetest

import (
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/firebreak-hq/firebreak/incident"
	"github.com/firebreak-hq/firebreak/internal/testclock"
	"github.com/firebreak-hq/firebreak/store"
)

// testDedupe: a key is recorded with the change it guards, once.
func testDedupe(t *testing.T, s store.Store, c *testclock.Clock) {
	declare(t, s, "Dedupe")
	calls := 0
	fn := func(inc incident.Incident) (incident.Result, error) { calls++; return note("once")(inc) }
	if _, dup, err := s.ApplyOnce("Ev1", 1, fn); err != nil || dup {
		t.Fatalf("first ApplyOnce: dup %v, %v", dup, err)
	}
	evs := eventCount(t, s, 1)
	callsAfterFirst := calls
	if _, dup, err := s.ApplyOnce("Ev1", 1, fn); err != nil || !dup {
		t.Fatalf("redelivery: dup %v, %v", dup, err)
	}
	if calls != callsAfterFirst || eventCount(t, s, 1) != evs {
		t.Fatalf("a redelivery ran the command (calls %d→%d) or wrote (%d→%d events)", callsAfterFirst, calls, evs, eventCount(t, s, 1))
	}
	// A refused command records no key: its redelivery is tried again.
	refused := errors.New("refused")
	if _, _, err := s.ApplyOnce("Ev2", 1, func(incident.Incident) (incident.Result, error) { return incident.Result{}, refused }); !errors.Is(err, refused) {
		t.Fatalf("refused ApplyOnce: %v", err)
	}
	if _, dup, err := s.ApplyOnce("Ev2", 1, note("second try")); err != nil || dup {
		t.Fatalf("redelivery of a refused command: dup %v, %v", dup, err)
	}
	// Concurrent redeliveries: exactly one applies.
	var wg sync.WaitGroup
	var mu sync.Mutex
	applied := 0
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, dup, err := s.ApplyOnce("Ev3", 1, note("raced"))
			if err != nil {
				t.Errorf("ApplyOnce: %v", err)
			}
			if !dup {
				mu.Lock()
				applied++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if applied != 1 {
		t.Fatalf("8 concurrent deliveries of one key applied %d times", applied)
	}
	if seen, err := s.SeenOnce("Ev9"); err != nil || seen {
		t.Fatalf("SeenOnce first: %v %v", seen, err)
	}
	if seen, err := s.SeenOnce("Ev9"); err != nil || !seen {
		t.Fatalf("SeenOnce again: %v %v", seen, err)
	}
	before := depth(t, s)
	for range 3 {
		if _, err := s.EnqueueOnce("digest:2025-03-04", incident.Effect{Kind: incident.EffPost, Text: "digest"}); err != nil {
			t.Fatalf("EnqueueOnce: %v", err)
		}
	}
	if depth(t, s) != before+1 {
		t.Fatalf("EnqueueOnce three times added %d rows", depth(t, s)-before)
	}
	// Keys expire after DedupeTTL and are pruned.
	c.Add(store.DedupeTTL + time.Minute)
	if seen, err := s.SeenOnce("Ev9"); err != nil || seen {
		t.Fatalf("SeenOnce after the TTL: %v %v", seen, err)
	}
	if _, err := s.PruneDedupe(); err != nil {
		t.Fatalf("PruneDedupe: %v", err)
	}
	if c, err := store.CountOf(s); err != nil || c.Dedupe != 1 {
		t.Fatalf("after the TTL and a prune %d dedupe keys are kept, want 1 (%v)", c.Dedupe, err)
	}
	if _, _, err := s.ApplyOnce(string(make([]byte, store.MaxDedupeKey+1)), 1, note("x")); err == nil {
		t.Fatal("an oversized dedupe key was accepted")
	}
}

func testAlerts(t *testing.T, s store.Store) {
	decide := func(open *incident.Incident, next uint64) (store.AlertDecision, error) {
		if open != nil {
			r, err := note("alert again")(*open)
			return store.AlertDecision{Result: r}, err
		}
		r, err := incident.DeclareFromAlert(next, incident.AlertDeclaration{
			Alert: incident.Alert{Source: "generic", Group: "grp", Status: incident.AlertFiring, Title: "alert"},
		}, T0)
		return store.AlertDecision{Result: r, Create: true, Global: []incident.Effect{{Kind: incident.EffPost, Text: "notify"}}}, err
	}
	r, dup, err := s.RecordAlert("a1", "grp", decide)
	if err != nil || dup || r.Incident.Number != 1 {
		t.Fatalf("first alert: INC-%d dup %v %v", r.Incident.Number, dup, err)
	}
	if _, dup, err := s.RecordAlert("a1", "grp", decide); err != nil || !dup {
		t.Fatalf("redelivered alert: dup %v %v", dup, err)
	}
	c := s.RecordAlertAsync("a2", "grp", decide)
	if r, err := c.Wait(); err != nil || c.Dup() || r.Incident.Number != 1 {
		t.Fatalf("second alert of the group: INC-%d dup %v %v", r.Incident.Number, c.Dup(), err)
	}
	if n, err := s.AlertGroupIncident("grp"); err != nil || n != 1 {
		t.Fatalf("AlertGroupIncident: %d %v", n, err)
	}
	if st, _ := s.Stats(); st.Incidents != 1 {
		t.Fatalf("two alerts of one group opened %d incidents", st.Incidents)
	}
	if n, _ := s.AlertGroupIncident("none"); n != 0 {
		t.Fatalf("unknown group: %d", n)
	}
}

func testOutbox(t *testing.T, s store.Store) {
	declare(t, s, "Outbox")
	mustApply(t, s, 1, withPage("page them"))
	rows, err := s.Pending(0)
	if err != nil || len(rows) == 0 {
		t.Fatalf("Pending: %v %v", rows, err)
	}
	for i, r := range rows {
		if incident.IsPageEffect(r.Effect.Kind) {
			t.Fatalf("a page effect in the main outbox: %+v", r)
		}
		if i > 0 && r.ID <= rows[i-1].ID {
			t.Fatalf("Pending not in id order: %d after %d", r.ID, rows[i-1].ID)
		}
	}
	if f, _ := s.PendingFor(1); len(f) != len(rows) {
		t.Fatalf("PendingFor: %d rows, Pending %d", len(f), len(rows))
	}
	nb := T0.Add(time.Hour)
	if err := s.Retry(rows[0].ID, nb, "slack down"); err != nil {
		t.Fatalf("Retry: %v", err)
	}
	again, _ := s.Pending(0)
	if again[0].Attempts != 1 || !again[0].NotBefore.Equal(nb) || again[0].LastError != "slack down" {
		t.Fatalf("after Retry: %+v", again[0])
	}
	if err := s.Retry(99999, nb, "x"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Retry unknown: %v", err)
	}
	for _, r := range rows {
		if err := s.Done(r.ID); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Done(rows[0].ID); err != nil {
		t.Fatalf("Done twice: %v", err)
	}
	if depth(t, s) != 0 {
		t.Fatalf("depth %d after Done", depth(t, s))
	}
	lane := s.PageOutbox()
	pages, err := lane.Pending(0)
	if err != nil || len(pages) != 1 || pages[0].Effect.Kind != incident.EffPageTrigger || pages[0].Incident != 1 {
		t.Fatalf("page lane: %+v %v", pages, err)
	}
	if err := lane.Retry(pages[0].ID, nb, "pager down"); err != nil {
		t.Fatal(err)
	}
	if err := lane.Done(pages[0].ID); err != nil {
		t.Fatal(err)
	}
	if d, _ := lane.Depth(); d != 0 {
		t.Fatalf("page lane depth %d", d)
	}
	// Notify is signalled after a commit that added rows.
	drain(s.Notify())
	mustApply(t, s, 1, func(inc incident.Incident) (incident.Result, error) {
		r, err := note("x")(inc)
		r.Effects = append(r.Effects, incident.Effect{Kind: incident.EffPost, Text: "x"})
		return r, err
	})
	select {
	case <-s.Notify():
	case <-time.After(10 * time.Second):
		t.Fatal("no Notify after a commit with effects")
	}
}

func drain(ch <-chan struct{}) {
	for {
		select {
		case <-ch:
		default:
			return
		}
	}
}

func testSlackMeta(t *testing.T, s store.Store) {
	rec := store.SlackRecord{OriginChannel: "C0", ReplyURL: "https://example.invalid/r"}
	r, err := s.CreateWithSlack(rec, func(n uint64) (incident.Result, error) {
		return incident.Declare(n, incident.Declaration{Title: "slack", Declarer: "U1"}, T0)
	})
	if err != nil {
		t.Fatal(err)
	}
	n := r.Incident.Number
	if got, err := s.Slack(n); err != nil || got != rec {
		t.Fatalf("Slack: %+v %v", got, err)
	}
	got, err := s.UpdateSlack(n, func(r store.SlackRecord) store.SlackRecord { r.CardTS = "1.2"; return r })
	if err != nil || got.CardTS != "1.2" || got.OriginChannel != "C0" {
		t.Fatalf("UpdateSlack: %+v %v", got, err)
	}
	if _, err := s.Slack(42); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Slack of no incident: %v", err)
	}
	if _, err := s.UpdateSlack(42, func(r store.SlackRecord) store.SlackRecord { return r }); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("UpdateSlack of no incident: %v", err)
	}
	if v, err := s.Meta(n, "issue"); err != nil || v != "" {
		t.Fatalf("Meta unset: %q %v", v, err)
	}
	if err := s.SetMeta(n, "issue", "https://example.invalid/1"); err != nil {
		t.Fatal(err)
	}
	if err := s.SetMeta(n, "issue", "https://example.invalid/2"); err != nil {
		t.Fatal(err)
	}
	if v, _ := s.Meta(n, "issue"); v != "https://example.invalid/2" {
		t.Fatalf("Meta: %q", v)
	}
	if err := s.SetMeta(42, "k", "v"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("SetMeta of no incident: %v", err)
	}
}

// testAsyncOrder: writes of one incident submitted without waiting apply
// in submission order.
func testAsyncOrder(t *testing.T, s store.Store) {
	declare(t, s, "Async")
	var commits []*store.Commit
	for i := range 40 {
		commits = append(commits, s.ApplyAsync(1, note(fmt.Sprintf("n%02d", i))))
	}
	for _, c := range commits {
		if _, err := c.Wait(); err != nil {
			t.Fatal(err)
		}
	}
	evs, _ := s.Events(1)
	i := 0
	for _, e := range evs {
		if e.Kind != incident.EvNote {
			continue
		}
		if want := fmt.Sprintf("n%02d", i); e.Text != want {
			t.Fatalf("note %d is %q, want %q: async writes reordered", i, e.Text, want)
		}
		i++
	}
	if i != 40 {
		t.Fatalf("%d notes, want 40", i)
	}
}

// testConcurrent: writers on a and b (one handle or two processes) on the
// same incidents lose nothing and keep every timeline contiguous.
func testConcurrent(t *testing.T, a, b store.Store) {
	for range 3 {
		declare(t, a, "busy")
	}
	before := map[uint64]int{}
	for n := uint64(1); n <= 3; n++ {
		before[n] = eventCount(t, a, n)
	}
	var wg sync.WaitGroup
	for w := range 8 {
		s := a
		if w%2 == 1 {
			s = b
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 15 {
				n := uint64(i%3 + 1)
				if _, err := s.Apply(n, note(fmt.Sprintf("w%d-%d", w, i))); err != nil {
					t.Errorf("Apply: %v", err)
					return
				}
			}
		}()
	}
	wg.Wait()
	total := 0
	for n := uint64(1); n <= 3; n++ {
		total += eventCount(t, a, n) - before[n]
	}
	if total != 8*15 {
		t.Fatalf("%d events written by 120 commands", total)
	}
	// One delivery arriving at both at once is applied once.
	var applied sync.Map
	for i := range 10 {
		key := fmt.Sprintf("Ev%03d", i)
		var wg sync.WaitGroup
		for _, s := range []store.Store{a, b, a, b} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, dup, err := s.ApplyOnce(key, 1, note(key))
				if err != nil {
					t.Errorf("ApplyOnce: %v", err)
				}
				if !dup {
					if _, again := applied.LoadOrStore(key, true); again {
						t.Errorf("%s applied twice", key)
					}
				}
			}()
		}
		wg.Wait()
		if _, ok := applied.Load(key); !ok {
			t.Errorf("%s never applied", key)
		}
	}
}

// testCopy: Dump into a bbolt file (the PostgreSQL backup, and the same
// path migrate takes) holds everything, and verifies.
func testCopy(t *testing.T, s store.Store) {
	declare(t, s, "copied")
	mustApply(t, s, 1, withChannel("C1"))
	mustApply(t, s, 1, withPage("paged"))
	if _, err := s.UpdateSlack(1, func(r store.SlackRecord) store.SlackRecord { r.CardTS = "9.9"; return r }); err != nil {
		t.Fatal(err)
	}
	if err := s.SetMeta(1, "issue", "u"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SeenOnce("k"); err != nil {
		t.Fatal(err)
	}
	want, err := store.CountOf(s)
	if err != nil {
		t.Fatal(err)
	}
	if want.Incidents != 1 || want.Slack != 1 || want.Meta != 1 || want.Pages != 1 || want.Dedupe != 1 || want.Outbox == 0 {
		t.Fatalf("CountOf: %+v", want)
	}
	file := filepath.Join(t.TempDir(), "copy.db")
	if err := s.BackupFile(file); err != nil {
		t.Fatalf("BackupFile: %v", err)
	}
	if _, err := store.Verify(file); err != nil {
		t.Fatalf("Verify: %v", err)
	}
	d, err := store.Open(file, store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	got, err := store.CountOf(d)
	if err != nil || got != want {
		t.Fatalf("copy holds %+v, source %+v (%v)", got, want, err)
	}
	a, _ := s.Events(1)
	b, _ := d.Events(1)
	if fmt.Sprint(a) != fmt.Sprint(b) {
		t.Fatalf("timelines differ:\n%v\n%v", a, b)
	}
	if r := declare(t, d, "next"); r.Incident.Number != 2 {
		t.Fatalf("the copy continues at INC-%d", r.Incident.Number)
	}
}

func testLead(t *testing.T, b Backend, s store.Store) {
	lease, ok, err := s.TryLead("digest")
	if err != nil || !ok {
		t.Fatalf("TryLead: %v %v", ok, err)
	}
	if b.Second != nil {
		other := b.Second(t, s)
		if _, ok, err := other.TryLead("digest"); err != nil || ok {
			t.Fatalf("a second process led while the first held the lead: %v %v", ok, err)
		}
		if l2, ok, err := other.TryLead("backup"); err != nil || !ok {
			t.Fatalf("another job's lead: %v %v", ok, err)
		} else {
			l2.Release()
		}
		lease.Release()
		l3, ok, err := other.TryLead("digest")
		if err != nil || !ok {
			t.Fatalf("after release: %v %v", ok, err)
		}
		l3.Release()
		select {
		case <-lease.Lost():
			t.Fatal("a released lead reads as lost")
		default:
		}
		return
	}
	lease.Release()
}

// testCreateOnce: a declaration under a dedupe key happens once, from any
// process and however many presses race; a refused one records nothing.
func testCreateOnce(t *testing.T, b Backend, s store.Store) {
	decl := func(title string, fail bool) func(uint64) (incident.Result, error) {
		return func(n uint64) (incident.Result, error) {
			if fail {
				return incident.Result{}, errors.New("refused")
			}
			return incident.Declare(n, incident.Declaration{Title: title, Declarer: "U1"}, T0)
		}
	}
	rec := store.SlackRecord{OriginChannel: "C1", DeclaredFrom: "typo:k"}
	if _, dup, err := s.CreateOnce("typo:k", rec, decl("x", true)); err == nil || dup {
		t.Fatalf("a refused declaration: dup %v err %v", dup, err)
	}
	others := []store.Store{s}
	if b.Second != nil {
		others = append(others, b.Second(t, s))
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var made []uint64
	dups := 0
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, dup, err := others[i%len(others)].CreateOnce("typo:k", rec, decl("pressed", false))
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err != nil:
				t.Errorf("CreateOnce: %v", err)
			case dup:
				dups++
			default:
				made = append(made, res.Incident.Number)
			}
		}()
	}
	wg.Wait()
	if len(made) != 1 || dups != 7 {
		t.Fatalf("8 presses declared %v, %d duplicates; want one declaration", made, dups)
	}
	got, err := s.Slack(made[0])
	if err != nil || got != rec {
		t.Fatalf("Slack record %+v (%v), want %+v", got, err, rec)
	}
	if _, err := s.Get(made[0] + 1); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a duplicate press made INC-%d: %v", made[0]+1, err)
	}
	if r := declare(t, s, "next"); r.Incident.Number != made[0]+1 {
		t.Fatalf("the next declaration is INC-%d, want INC-%d", r.Incident.Number, made[0]+1)
	}
}

// testPing: Ping answers on an open store; LastIncident follows the
// numbers allocated, as Stats counts them.
func testPing(t *testing.T, s store.Store) {
	if err := s.Ping(); err != nil {
		t.Fatalf("Ping: %v", err)
	}
	if n, err := s.LastIncident(); err != nil || n != 0 {
		t.Fatalf("LastIncident of an empty store: %d %v", n, err)
	}
	declare(t, s, "one")
	declare(t, s, "two")
	if n, err := s.LastIncident(); err != nil || n != 2 {
		t.Fatalf("LastIncident after two declarations: %d %v", n, err)
	}
	if st, err := s.Stats(); err != nil || st.MaxIncident != 2 {
		t.Fatalf("Stats disagrees: %+v %v", st, err)
	}
}
