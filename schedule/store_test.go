package schedule_test

import (
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/firebreak-hq/firebreak/incident"
	"github.com/firebreak-hq/firebreak/schedule"
	"github.com/firebreak-hq/firebreak/store"
)

var (
	_ schedule.Store        = (*store.DB)(nil)
	_ schedule.ClosedLister = (*store.DB)(nil)
)

// realDB opens the bbolt store at path; the test closes it explicitly to
// simulate a process stopping.
func realDB(t *testing.T, path string) *store.DB {
	t.Helper()
	db, err := store.Open(path, store.Options{NoSync: true, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	return db
}

func reminderRows(t *testing.T, db *store.DB, n uint64) []store.OutboxItem {
	t.Helper()
	rows, err := db.PendingFor(n)
	if err != nil {
		t.Fatal(err)
	}
	var out []store.OutboxItem
	for _, r := range rows {
		if r.Effect.Msg == incident.MsgReminder {
			out = append(out, r)
		}
	}
	return out
}

// barrierDB makes two ticks read the open incidents before either writes.
type barrierDB struct {
	*store.DB
	wg *sync.WaitGroup
}

func (b barrierDB) OpenIncidents() ([]incident.Incident, error) {
	incs, err := b.DB.OpenIncidents()
	b.wg.Done()
	b.wg.Wait()
	return incs, err
}

// TestRealStoreAcrossRestarts drives the scheduler against bbolt files,
// closing and reopening the database between the due moment and the
// send, and running two overlapping ticks.
func TestRealStoreAcrossRestarts(t *testing.T) {
	path := filepath.Join(t.TempDir(), "firebreak.db")
	cfg := schedule.Config{Reminders: incident.DefaultReminderConfig()}

	db := realDB(t, path)
	res, err := db.Create(func(n uint64) (incident.Result, error) {
		return incident.Declare(n, incident.Declaration{Title: "payments failing", Severity: incident.Sev1, Declarer: "UDECL"}, t0)
	})
	if err != nil {
		t.Fatal(err)
	}
	n := res.Incident.Number
	if _, err := db.Apply(n, func(inc incident.Incident) (incident.Result, error) {
		return incident.Apply(inc, incident.Command{Kind: incident.CmdLead, Actor: "UDECL", User: "ULEAD"}, t0)
	}); err != nil {
		t.Fatal(err)
	}
	if c, err := schedule.New(db, cfg, nil).Tick(t0.Add(mins(14))); err != nil || c != 0 {
		t.Fatalf("before due: sent %d, %v", c, err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	// Down from +14m to +50m; the +15m nudge fell due meanwhile.
	db = realDB(t, path)
	if c, err := schedule.New(db, cfg, nil).Tick(t0.Add(mins(50))); err != nil || c != 1 {
		t.Fatalf("after restart: sent %d, %v; want 1", c, err)
	}
	rows := reminderRows(t, db, n)
	if len(rows) != 1 || rows[0].Effect.Kind != incident.EffPost || rows[0].Effect.Fields.Reminder != incident.ReminderUpdate ||
		rows[0].Effect.Fields.User != "ULEAD" || !rows[0].Effect.Fields.Due.Equal(t0.Add(mins(15))) {
		t.Fatalf("outbox reminders %+v", rows)
	}
	evs, err := db.Events(n)
	if err != nil {
		t.Fatal(err)
	}
	if last := evs[len(evs)-1]; last.Kind != incident.EvReminderSent || last.Fields["reminder"] != "update" {
		t.Fatalf("last event %+v, want reminder_sent", last)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	// Another restart right after the send: nothing is sent twice.
	db = realDB(t, path)
	if c, err := schedule.New(db, cfg, nil).Tick(t0.Add(mins(50) + 5*time.Second)); err != nil || c != 0 {
		t.Fatalf("second restart: sent %d, %v; want 0", c, err)
	}

	// Two overlapping ticks when the next nudge is due: one send.
	wg := &sync.WaitGroup{}
	wg.Add(2)
	s := schedule.New(barrierDB{db, wg}, cfg, nil)
	var tickers sync.WaitGroup
	for _, at := range []time.Duration{mins(65), mins(65) + 2*time.Second} {
		tickers.Add(1)
		go func() {
			defer tickers.Done()
			if _, err := s.Tick(t0.Add(at)); err != nil {
				t.Error(err)
			}
		}()
	}
	tickers.Wait()
	if got := len(reminderRows(t, db, n)); got != 2 {
		t.Fatalf("%d reminder rows after overlapping ticks, want 2", got)
	}

	// Closing stops the channel reminders; the follow-up DM comes five
	// business days later through the closed-incident listing.
	closeAt := t0.Add(mins(70))
	for _, cmd := range []incident.Command{
		{Kind: incident.CmdFollowup, Actor: "ULEAD", Text: "add a payments canary"},
		{Kind: incident.CmdClose, Actor: "ULEAD", Force: true, Text: "verified by hand"},
	} {
		if _, err := db.Apply(n, func(inc incident.Incident) (incident.Result, error) { return incident.Apply(inc, cmd, closeAt) }); err != nil {
			t.Fatal(err)
		}
	}
	withClosed := cfg
	withClosed.Closed = db
	s = schedule.New(db, withClosed, nil)
	for _, at := range []time.Time{closeAt.Add(3 * time.Hour), closeAt.Add(7*24*time.Hour - time.Second)} {
		if c, err := s.Tick(at); err != nil || c != 0 {
			t.Fatalf("at %s: sent %d, %v; want nothing", at, c, err)
		}
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db = realDB(t, path)
	withClosed.Closed = db
	s = schedule.New(db, withClosed, nil)
	for range 2 {
		if _, err := s.Tick(closeAt.Add(7 * 24 * time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	rows = reminderRows(t, db, n)
	if len(rows) != 3 || rows[2].Effect.Kind != incident.EffDM || rows[2].Effect.User != "ULEAD" || rows[2].Effect.Fields.Reminder != incident.ReminderFollowup {
		t.Fatalf("reminder rows %+v, want a third: the follow-up DM to ULEAD", rows)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Verify(path); err != nil {
		t.Fatalf("consistency check: %v", err)
	}
}
