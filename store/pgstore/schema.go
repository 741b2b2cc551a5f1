package pgstore

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"go.uber.org/zap"

	"github.com/firebreak-hq/firebreak/store"
)

// SchemaVersion is the PostgreSQL schema this binary writes. Versions are
// rows of schema_migrations; each has an up and a down step, run in one
// transaction with the row, under an advisory lock so that replicas
// starting together migrate once.
const SchemaVersion = 3

type migration struct{ up, down string }

// migrations[i] takes the schema from version i to i+1 and back.
// PostgreSQL 13 SQL only.
var migrations = []migration{
	{ // 1: incidents, their timelines, Slack records, publish meta,
		// dedupe keys, alert groups and the outbox of both lanes.
		up: `
CREATE TABLE counters (name text PRIMARY KEY, value bigint NOT NULL);
INSERT INTO counters (name, value) VALUES ('incident', 0);
CREATE TABLE incidents (
	number      bigint PRIMARY KEY,
	body        text NOT NULL,
	open        boolean NOT NULL,
	channel     text UNIQUE,
	declared_at timestamptz NOT NULL,
	last_seq    bigint NOT NULL DEFAULT 0
);
CREATE INDEX incidents_open ON incidents (number) WHERE open;
CREATE TABLE events (
	incident bigint NOT NULL REFERENCES incidents ON DELETE CASCADE,
	seq      bigint NOT NULL,
	kind     text NOT NULL,
	body     text NOT NULL,
	PRIMARY KEY (incident, seq)
);
CREATE INDEX events_kind ON events (incident, kind, seq);
CREATE TABLE slack (
	incident bigint PRIMARY KEY REFERENCES incidents ON DELETE CASCADE,
	body     text NOT NULL
);
CREATE TABLE pubmeta (
	incident bigint NOT NULL REFERENCES incidents ON DELETE CASCADE,
	key      text NOT NULL,
	value    text NOT NULL,
	PRIMARY KEY (incident, key)
);
CREATE TABLE dedupe (key text PRIMARY KEY, expires bigint NOT NULL);
CREATE INDEX dedupe_expires ON dedupe (expires);
CREATE TABLE alert_groups (
	grp      text PRIMARY KEY,
	incident bigint NOT NULL REFERENCES incidents
);
CREATE SEQUENCE outbox_main_seq;
CREATE SEQUENCE outbox_page_seq;
CREATE TABLE outbox (
	lane     text NOT NULL CHECK (lane IN ('main', 'page')),
	id       bigint NOT NULL,
	incident bigint NOT NULL,
	body     text NOT NULL,
	PRIMARY KEY (lane, id)
);`,
		down: `
DROP TABLE outbox;
DROP SEQUENCE outbox_page_seq;
DROP SEQUENCE outbox_main_seq;
DROP TABLE alert_groups;
DROP TABLE dedupe;
DROP TABLE pubmeta;
DROP TABLE slack;
DROP TABLE events;
DROP TABLE incidents;
DROP TABLE counters;`,
	},
	{ // 2: outbox claims, so that several processes share the outbox.
		up: `
ALTER TABLE outbox ADD COLUMN claimed_by text, ADD COLUMN lease_until timestamptz;
CREATE INDEX outbox_claimed ON outbox (lane, incident) WHERE claimed_by IS NOT NULL;`,
		down: `
DROP INDEX outbox_claimed;
ALTER TABLE outbox DROP COLUMN lease_until, DROP COLUMN claimed_by;`,
	},
	{ // 3: the people who have opened App Home, so that every process
		// republishes their Home.
		up:   `CREATE TABLE home_viewers (user_id text PRIMARY KEY);`,
		down: `DROP TABLE home_viewers;`,
	},
}

// Migrate takes the database at dsn to schema version to (0 removes every
// table but schema_migrations), up or down, one version per transaction.
func Migrate(dsn string, to int) error {
	pool, err := pgxpool.New(context.Background(), dsn)
	if err != nil {
		return fmt.Errorf("database URL %s: %w", Redact(dsn), err)
	}
	defer pool.Close()
	return migrate(context.Background(), pool, to, zap.NewNop())
}

// Version reads the schema version of the database at dsn (0: empty).
func Version(ctx context.Context, pool *pgxpool.Pool) (int, error) {
	var v int
	err := pool.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM schema_migrations`).Scan(&v)
	if err != nil && isUndefinedTable(err) {
		return 0, nil
	}
	return v, err
}

func migrate(ctx context.Context, pool *pgxpool.Pool, to int, log *zap.Logger) error {
	if to < 0 || to > SchemaVersion {
		return fmt.Errorf("store: no schema version %d (this binary knows 0–%d)", to, SchemaVersion)
	}
	if _, err := pool.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    integer PRIMARY KEY,
		applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
		return fmt.Errorf("schema_migrations: %w", err)
	}
	for {
		done, err := migrateStep(ctx, pool, to, log)
		if err != nil || done {
			return err
		}
	}
}

// migrateStep moves one version towards to; done when it is there.
func migrateStep(ctx context.Context, pool *pgxpool.Pool, to int, log *zap.Logger) (done bool, err error) {
	err = pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended(current_schema() || ':migrate', 0))`); err != nil {
			return err
		}
		var v int
		if err := tx.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM schema_migrations`).Scan(&v); err != nil {
			return err
		}
		switch {
		case v > SchemaVersion:
			return fmt.Errorf("schema version %d, this binary knows up to %d: %w", v, SchemaVersion, store.ErrNewerSchema)
		case v == to:
			done = true
			return nil
		case v < to:
			if _, err := tx.Exec(ctx, migrations[v].up); err != nil {
				return fmt.Errorf("migrate up to schema %d: %w", v+1, err)
			}
			if _, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version) VALUES ($1)`, v+1); err != nil {
				return err
			}
			log.Info("migrated", zap.Int("from", v), zap.Int("to", v+1))
		default:
			if _, err := tx.Exec(ctx, migrations[v-1].down); err != nil {
				return fmt.Errorf("migrate down to schema %d: %w", v-1, err)
			}
			if _, err := tx.Exec(ctx, `DELETE FROM schema_migrations WHERE version = $1`, v); err != nil {
				return err
			}
			log.Info("migrated", zap.Int("from", v), zap.Int("to", v-1))
		}
		return nil
	})
	return done, err
}
