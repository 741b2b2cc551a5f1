package pgstore

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/firebreak-hq/firebreak/store"
)

// MinServerVersion is the oldest PostgreSQL the store's SQL runs on (13).
const MinServerVersion = 130000

// Report is what Inspect found, without changing anything.
type Report struct {
	Server  string // server_version
	Version int    // schema version, 0 for a database firebreak never used
	Stats   store.Stats
	Check   error // Check's verdict when Version is this binary's
}

// Inspect connects to dsn and reads the schema version and, when it is
// SchemaVersion, the counts and Check: for `firebreak doctor`, which
// neither migrates nor writes.
func Inspect(dsn string) (Report, error) {
	var r Report
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	pool, err := pgxpool.New(ctx, dsn)
	if err != nil {
		return r, fmt.Errorf("database URL %s: %w", Redact(dsn), err)
	}
	defer pool.Close()
	var num int
	if err := pool.QueryRow(ctx, `SELECT current_setting('server_version'), current_setting('server_version_num')::int`).Scan(&r.Server, &num); err != nil {
		return r, fmt.Errorf("database %s does not answer: %w", Redact(dsn), err)
	}
	if num < MinServerVersion {
		return r, fmt.Errorf("database %s runs PostgreSQL %s; firebreak needs 13 or newer", Redact(dsn), r.Server)
	}
	if r.Version, err = Version(ctx, pool); err != nil {
		return r, err
	}
	if r.Version != SchemaVersion {
		return r, nil
	}
	p := &Store{pool: pool, where: Redact(dsn)}
	if r.Stats, err = p.Stats(); err != nil {
		return r, err
	}
	r.Check = p.Check()
	return r, nil
}
