package pgstore_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/firebreak-hq/firebreak/incident"
	"github.com/firebreak-hq/firebreak/store"
	"github.com/firebreak-hq/firebreak/store/pgstore"
	"github.com/firebreak-hq/firebreak/store/pgstore/pgtest"
	"github.com/firebreak-hq/firebreak/store/storetest"
)

// testLease is the outbox lease in tests, so that expiry is quick.
const testLease = time.Second

func testDB(t testing.TB) string { return pgtest.URL(t) }

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

var dsns = map[*pgstore.Store]string{}

func TestContract(t *testing.T) {
	storetest.Run(t, storetest.Backend{
		Open: func(t *testing.T, now func() time.Time) store.Store {
			dsn := testDB(t)
			s := openPG(t, dsn, now)
			dsns[s] = dsn
			return s
		},
		Reopen: func(t *testing.T, s store.Store) store.Store {
			p := s.(*pgstore.Store)
			_ = p.Close()
			n := openPG(t, dsns[p], time.Now)
			dsns[n] = dsns[p]
			return n
		},
		Fault: func(s store.Store, f func(string) error) { s.(*pgstore.Store).SetFault(f) },
		Second: func(t *testing.T, s store.Store) store.Store {
			n := openPG(t, dsns[s.(*pgstore.Store)], time.Now)
			dsns[n] = dsns[s.(*pgstore.Store)]
			return n
		},
		Crash:      func(s store.Store) { s.(*pgstore.Store).Abandon() },
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
	has := func(sql string) bool {
		conn, err := pgx.Connect(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(ctx)
		var ok bool
		if err := conn.QueryRow(ctx, sql).Scan(&ok); err != nil {
			t.Fatal(err)
		}
		return ok
	}
	leaseCol := `SELECT EXISTS (SELECT 1 FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = 'outbox' AND column_name = 'lease_until')`
	incTable := `SELECT to_regclass('incidents') IS NOT NULL`
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
	if !has(leaseCol) || !has(`SELECT max(version) = 2 FROM schema_migrations`) {
		t.Fatal("up again: schema incomplete")
	}
	s = openPG(t, dsn, time.Now)
	if err := s.Check(); err != nil {
		t.Fatal(err)
	}
	_ = s.Close()
	// A database of a newer binary is refused.
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `INSERT INTO schema_migrations (version) VALUES (99)`); err != nil {
		t.Fatal(err)
	}
	if _, err := pgstore.Open(dsn, pgstore.Options{}); !errors.Is(err, store.ErrNewerSchema) {
		t.Fatalf("newer schema: %v", err)
	}
}
