package pgstore_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/firebreak-hq/firebreak/incident"
	"github.com/firebreak-hq/firebreak/internal/testwait"
	"github.com/firebreak-hq/firebreak/store"
	"github.com/firebreak-hq/firebreak/store/pgstore"
	"github.com/firebreak-hq/firebreak/store/pgstore/pgtest"
	"github.com/firebreak-hq/firebreak/store/storetest"
)

// testLease is the outbox lease in tests, so that expiry is quick.
const testLease = time.Second

func testDB(t testing.TB) string { return pgtest.URL(t) }

// twoProcesses opens one new database twice, as two processes would, with
// polling out of the way (so only LISTEN/NOTIFY wakes the workers).
func twoProcesses(t *testing.T) (a, b *pgstore.Store) {
	t.Helper()
	dsn := testDB(t)
	open := func() *pgstore.Store {
		s, err := pgstore.Open(dsn, pgstore.Options{Poll: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = s.Close() })
		return s
	}
	return open(), open()
}

// openPG opens dsn; at cleanup it checks and closes the store. Cleanups
// run last-registered first, so this runs before the schema is dropped.
func openPG(t testing.TB, dsn string, now func() time.Time) *pgstore.Store {
	t.Helper()
	s, err := pgstore.Open(dsn, pgstore.Options{Now: now, Lease: testLease, Poll: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if !s.Closed() {
			if err := s.Check(); err != nil {
				t.Errorf("Check at cleanup: %v", err)
			}
		}
		_ = s.Close()
	})
	return s
}

// dsns and clocks remember each store's database and clock, so that a
// second process opens the same database with the same clock.
var (
	dsns   = map[*pgstore.Store]string{}
	clocks = map[*pgstore.Store]func() time.Time{}
)

func TestContract(t *testing.T) {
	pgtest.Require(t)
	storetest.Run(t, storetest.Backend{
		Open: func(t *testing.T, now func() time.Time) store.Store {
			dsn := testDB(t)
			s := openPG(t, dsn, now)
			dsns[s], clocks[s] = dsn, now
			return s
		},
		Reopen: func(t *testing.T, s store.Store) store.Store {
			p := s.(*pgstore.Store)
			_ = p.Close()
			n := openPG(t, dsns[p], clocks[p])
			dsns[n], clocks[n] = dsns[p], clocks[p]
			return n
		},
		Fault: func(s store.Store, f func(string) error) { s.(*pgstore.Store).SetFault(f) },
		Second: func(t *testing.T, s store.Store) store.Store {
			p := s.(*pgstore.Store)
			n := openPG(t, dsns[p], clocks[p])
			dsns[n], clocks[n] = dsns[p], clocks[p]
			return n
		},
		Crash: func(s store.Store) { s.(*pgstore.Store).Abandon() },
		Corrupt: func(t *testing.T, s store.Store) store.Store {
			p := s.(*pgstore.Store)
			flip := func() {
				if _, err := p.Pool().Exec(context.Background(), `UPDATE incidents SET open = NOT open WHERE number = 1`); err != nil {
					t.Fatal(err)
				}
			}
			flip()
			t.Cleanup(flip) // repaired before the cleanup's own Check
			return p
		},
		Migrations: testMigrations,
	})
}

func testMigrations(t *testing.T) {
	dsn := testDB(t)
	s := openPG(t, dsn, time.Now)
	if _, err := s.Create(func(n uint64) (incident.Result, error) {
		return incident.Declare(n, incident.Declaration{Title: "m", Declarer: "U1"}, storetest.T0)
	}); err != nil {
		t.Fatal(err)
	}
	_ = s.Close()
	ctx := context.Background()
	conn := pgtest.Conn(t, dsn)
	has := func(sql string) bool {
		var ok bool
		if err := conn.QueryRow(ctx, sql).Scan(&ok); err != nil {
			t.Fatal(err)
		}
		return ok
	}
	leaseCol := `SELECT EXISTS (SELECT 1 FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = 'outbox' AND column_name = 'lease_until')`
	incTable := `SELECT to_regclass('incidents') IS NOT NULL`
	viewersTable := `SELECT to_regclass('home_viewers') IS NOT NULL`
	if !has(viewersTable) {
		t.Fatal("schema 3 has no home_viewers table")
	}
	if err := pgstore.Migrate(dsn, 2); err != nil {
		t.Fatal(err)
	}
	if has(viewersTable) || !has(leaseCol) {
		t.Fatal("schema 2: home_viewers is still there or the lease columns are gone")
	}
	if err := pgstore.Migrate(dsn, 1); err != nil {
		t.Fatal(err)
	}
	if has(leaseCol) || !has(incTable) || !has(`SELECT count(*) = 1 FROM incidents`) {
		t.Fatal("schema 1: the lease columns are still there or the incidents are gone")
	}
	if err := pgstore.Migrate(dsn, 0); err != nil {
		t.Fatal(err)
	}
	if has(incTable) {
		t.Fatal("schema 0 still has the incidents table")
	}
	if err := pgstore.Migrate(dsn, pgstore.SchemaVersion); err != nil {
		t.Fatal(err)
	}
	if !has(leaseCol) || !has(viewersTable) || !has(`SELECT max(version) = 3 FROM schema_migrations`) {
		t.Fatal("up again: schema incomplete")
	}
	s = openPG(t, dsn, time.Now)
	if err := s.Check(); err != nil {
		t.Fatal(err)
	}
	_ = s.Close()
	// A database of a newer binary is refused.
	if _, err := conn.Exec(ctx, `INSERT INTO schema_migrations (version) VALUES (99)`); err != nil {
		t.Fatal(err)
	}
	if _, err := pgstore.Open(dsn, pgstore.Options{}); !errors.Is(err, store.ErrNewerSchema) {
		t.Fatalf("newer schema: %v", err)
	}
}

// TestNotifyAcrossProcesses: a commit in one process wakes the outbox
// workers of another through LISTEN/NOTIFY, with polling out of the way.
func TestNotifyAcrossProcesses(t *testing.T) {
	a, b := twoProcesses(t)
	for _, lane := range []struct {
		name   string
		notify <-chan struct{}
		eff    incident.EffectKind
	}{{"main", b.Notify(), incident.EffPost}, {"page", b.PageOutbox().Notify(), incident.EffPageTrigger}} {
		// The listener signals once when it starts; wait for that, then
		// for the commit's.
		select {
		case <-lane.notify:
		case <-time.After(10 * time.Second):
		}
		_, err := a.Create(func(n uint64) (incident.Result, error) {
			r, err := incident.Declare(n, incident.Declaration{Title: "notify", Declarer: "U1"}, storetest.T0)
			r.Effects = append(r.Effects, incident.Effect{Kind: lane.eff})
			return r, err
		})
		if err != nil {
			t.Fatal(err)
		}
		select {
		case <-lane.notify:
		case <-time.After(10 * time.Second):
			t.Fatalf("%s lane: no notification in the other process within 10 s", lane.name)
		}
	}
}

// TestStoredForms: rows hold exactly the JSON the bbolt store writes.
func TestStoredForms(t *testing.T) {
	s := openPG(t, testDB(t), time.Now)
	r, err := s.Create(func(n uint64) (incident.Result, error) {
		r, err := incident.Declare(n, incident.Declaration{Title: "forms", Declarer: "U1"}, storetest.T0)
		r.Effects = append(r.Effects, incident.Effect{Kind: incident.EffPageTrigger, Text: "p"})
		return r, err
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var body string
	if err := s.Pool().QueryRow(ctx, `SELECT body FROM incidents WHERE number = 1`).Scan(&body); err != nil {
		t.Fatal(err)
	}
	if want, _ := json.Marshal(r.Incident); body != string(want) {
		t.Fatalf("incident row:\n%s\nwant\n%s", body, want)
	}
	rows, err := s.Pool().Query(ctx, `SELECT lane, id, body FROM outbox ORDER BY lane, id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var lane, body string
		var id uint64
		if err := rows.Scan(&lane, &id, &body); err != nil {
			t.Fatal(err)
		}
		var it store.OutboxItem
		if err := json.Unmarshal([]byte(body), &it); err != nil || it.ID != id {
			t.Fatalf("outbox row %s/%d: %s (%v)", lane, id, body, err)
		}
		if want, _ := json.Marshal(it); body != string(want) {
			t.Fatalf("outbox row:\n%s\nwant\n%s", body, want)
		}
		n++
	}
	if n != len(r.Effects) {
		t.Fatalf("%d outbox rows for %d effects", n, len(r.Effects))
	}
}

// TestListenReconnects: when the listening connection is cut, the store
// listens again and notifications from other processes resume.
func TestListenReconnects(t *testing.T) {
	a, b := twoProcesses(t)
	ctx := context.Background()
	listener := func() int {
		var pid int
		err := a.Pool().QueryRow(ctx, `SELECT pid FROM pg_stat_activity
			WHERE datname = current_database() AND query = 'LISTEN "firebreak_' || current_schema() || '"'
			ORDER BY backend_start DESC LIMIT 1`).Scan(&pid)
		if err != nil {
			return 0
		}
		return pid
	}
	// Both processes listen; cut the newest listening connection.
	var old int
	if !testwait.For(20*time.Second, func() bool { old = listener(); return old != 0 }) {
		t.Fatal("no listening connection found")
	}
	if _, err := a.Pool().Exec(ctx, `SELECT pg_terminate_backend($1)`, old); err != nil {
		t.Fatal(err)
	}
	if !testwait.For(20*time.Second, func() bool { now := listener(); return now != 0 && now != old }) {
		t.Fatal("the store did not listen again after its connection was cut")
	}
	drain := func(ch <-chan struct{}) {
		for {
			select {
			case <-ch:
			case <-time.After(200 * time.Millisecond):
				return
			}
		}
	}
	drain(b.Notify())
	drain(a.Notify())
	if _, err := a.Create(func(n uint64) (incident.Result, error) {
		r, err := incident.Declare(n, incident.Declaration{Title: "after the cut", Declarer: "U1"}, storetest.T0)
		r.Effects = append(r.Effects, incident.Effect{Kind: incident.EffPost})
		return r, err
	}); err != nil {
		t.Fatal(err)
	}
	for _, s := range []*pgstore.Store{a, b} {
		select {
		case <-s.Notify():
		case <-time.After(10 * time.Second):
			t.Fatal("no notification after the listening connection was replaced")
		}
	}
}

// TestLeadLostWhenItsConnectionEnds: the session holding a lead is
// terminated on the server (as a failover or a cut connection would end
// it); the holder's lease reports the loss and another process can lead.
func TestLeadLostWhenItsConnectionEnds(t *testing.T) {
	dsn := testDB(t)
	open := func() *pgstore.Store {
		s, err := pgstore.Open(dsn, pgstore.Options{Lease: testLease, LeadCheck: 50 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = s.Close() })
		return s
	}
	first, second := open(), open()
	lease, ok, err := first.TryLead("scheduler")
	if err != nil || !ok {
		t.Fatalf("TryLead: %v %v", ok, err)
	}
	if _, ok, err := second.TryLead("scheduler"); err != nil || ok {
		t.Fatalf("a second process led beside the first: %v %v", ok, err)
	}
	if n := pgtest.TerminateLead(t, dsn, "scheduler"); n != 1 {
		t.Fatalf("terminated %d sessions holding the lead, want 1", n)
	}
	select {
	case <-lease.Lost():
	case <-time.After(10 * time.Second):
		t.Fatal("the lease did not report that its connection ended")
	}
	lease.Release() // after a loss, Release is harmless
	var l2 *store.Lease
	if !testwait.For(10*time.Second, func() bool {
		if l2, ok, err = second.TryLead("scheduler"); err != nil {
			t.Fatal(err)
		}
		return ok
	}) {
		t.Fatal("the second process never took the lead over")
	}
	defer l2.Release()
	if _, ok, err := first.TryLead("scheduler"); err != nil || ok {
		t.Fatalf("the first process led again beside the second: %v %v", ok, err)
	}
	select {
	case <-l2.Lost():
		t.Fatal("the new lead reads as lost")
	default:
	}
}
