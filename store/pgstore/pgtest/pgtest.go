// Package pgtest gives tests a PostgreSQL database of their own: a new
// schema of the server named by FIREBREAK_TEST_POSTGRES, dropped at
// cleanup. Without that variable the test is skipped with a message
// saying how to run it.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"testing"

	"github.com/jackc/pgx/v5"
)

// Env is the variable naming the test server.
const Env = "FIREBREAK_TEST_POSTGRES"

// Example is a value of Env that works on this project's machines.
const Example = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// Require skips t, with the hint, unless a test server is named.
func Require(t testing.TB) {
	t.Helper()
	if os.Getenv(Env) == "" {
		t.Skipf("needs PostgreSQL: run with %s=%s", Env, Example)
	}
}

// URL returns the URL of a new, empty schema (search_path set to it) of
// the test server, dropped when the test ends; or skips the test.
func URL(t testing.TB) string {
	t.Helper()
	Require(t)
	base := os.Getenv(Env)
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	schema := "fbtest_" + hex.EncodeToString(b)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatalf("%s: %v (is the server running?)", Env, err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c, err := pgx.Connect(ctx, base)
		if err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
			return
		}
		defer c.Close(ctx)
		if _, err := c.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// Conn opens a connection to dsn beside the store, for a test that reads
// or changes the database directly; it is closed when the test ends.
func Conn(t testing.TB, dsn string) *pgx.Conn {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close(ctx) })
	return conn
}

// TerminateLead ends, with pg_terminate_backend, the database session
// holding the lead name (pgstore's TryLead) of the schema dsn's
// search_path names, as a failover or a cut connection would end it. It
// returns how many sessions it ended.
func TerminateLead(t testing.TB, dsn, name string) int {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	key := u.Query().Get("search_path") + ":lead:" + name
	var n int
	// An advisory lock on a bigint key shows in pg_locks as its high
	// (classid) and low (objid) 32 bits.
	err = Conn(t, os.Getenv(Env)).QueryRow(context.Background(), `SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_locks
		WHERE locktype = 'advisory' AND granted AND objsubid = 1
		AND ((classid::bigint << 32) | objid::bigint) = hashtextextended($1, 0)) t`, key).Scan(&n)
	if err != nil {
		t.Fatal(err)
	}
	return n
}
