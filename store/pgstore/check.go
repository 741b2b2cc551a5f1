package pgstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/firebreak-hq/firebreak/incident"
	"github.com/firebreak-hq/firebreak/store"
)

// Ping reads the incident counter's row: one indexed row, however big
// the other tables are, and no lock that a long write or a VACUUM of
// them would make it wait on.
func (p *Store) Ping() error {
	_, err := p.LastIncident()
	return err
}

// LastIncident reads the incident counter.
func (p *Store) LastIncident() (uint64, error) {
	ctx, cancel := context.WithTimeout(context.Background(), PingTimeout)
	defer cancel()
	var n uint64
	err := p.pool.QueryRow(ctx, `SELECT value FROM counters WHERE name = 'incident'`).Scan(&n)
	return n, err
}

// PingTimeout bounds Ping; a readiness probe must wait longer than this
// (deploy/deployment.yaml sets its timeoutSeconds above it).
const PingTimeout = 2 * time.Second

// Stats counts rows. Schema is the PostgreSQL schema version; SizeBytes
// the tables' size on disk, indexes included. Events are counted from the
// incidents' last sequence numbers (timelines are append-only and
// numbered 1, 2, …; Check verifies it), so the events table is not read.
func (p *Store) Stats() (store.Stats, error) {
	ctx, cancel := p.rctx()
	defer cancel()
	var s store.Stats
	v, err := Version(ctx, p.pool)
	if err != nil {
		return s, err
	}
	s.Schema = v
	err = p.pool.QueryRow(ctx, `SELECT
		(SELECT count(*) FROM incidents),
		(SELECT count(*) FROM incidents WHERE open),
		(SELECT coalesce(sum(last_seq), 0)::bigint FROM incidents),
		(SELECT count(*) FROM outbox WHERE lane = 'main'),
		(SELECT count(*) FROM dedupe),
		(SELECT count(*) FROM slack),
		(SELECT value FROM counters WHERE name = 'incident'),
		(SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0)::bigint FROM pg_class c
			WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind = 'r')`).
		Scan(&s.Incidents, &s.Open, &s.Events, &s.Outbox, &s.Dedupe, &s.Slack, &s.MaxIncident, &s.SizeBytes)
	return s, err
}

// Check verifies the store's invariants: the schema is this binary's, every
// record decodes and agrees with its columns, the counters cover every
// number and id in use. Foreign keys and unique keys are PostgreSQL's.
func (p *Store) Check() error {
	ctx, cancel := p.rctx()
	defer cancel()
	v, err := Version(ctx, p.pool)
	if err != nil {
		return err
	}
	if v != SchemaVersion {
		return fmt.Errorf("schema version %d, this binary needs %d: %w", v, SchemaVersion, store.ErrCorrupt)
	}
	var errs []error
	fail := func(format string, args ...any) {
		if len(errs) < 20 {
			errs = append(errs, fmt.Errorf(format, args...))
		}
	}
	for _, q := range []struct{ what, sql string }{
		{"incident numbers above the counter", `SELECT count(*) FROM incidents WHERE number > (SELECT value FROM counters WHERE name = 'incident')`},
		{"events above their incident's last_seq", `SELECT count(*) FROM events e JOIN incidents i ON i.number = e.incident WHERE e.seq > i.last_seq`},
		{"timelines with a gap (events counted differ from last_seq)", `SELECT count(*) FROM incidents i WHERE last_seq <> (SELECT count(*) FROM events e WHERE e.incident = i.number)`},
		{"main outbox ids above their sequence", `SELECT count(*) FROM outbox WHERE lane = 'main' AND id > (SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM outbox_main_seq)`},
		{"page outbox ids above their sequence", `SELECT count(*) FROM outbox WHERE lane = 'page' AND id > (SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM outbox_page_seq)`},
		{"outbox rows of missing incidents", `SELECT count(*) FROM outbox o WHERE incident <> 0 AND NOT EXISTS (SELECT 1 FROM incidents i WHERE i.number = o.incident)`},
	} {
		var n int
		if err := p.pool.QueryRow(ctx, q.sql).Scan(&n); err != nil {
			return fmt.Errorf("check: %w", err)
		}
		if n > 0 {
			fail("%d %s", n, q.what)
		}
	}
	var after uint64
	for {
		batch, err := p.incidents(`SELECT number, body FROM incidents WHERE number > $1 ORDER BY number LIMIT $2`, after, 1000)
		if err != nil {
			fail("%v", err)
			break
		}
		for _, inc := range batch {
			after = inc.Number
			if err := p.checkIncident(ctx, inc); err != nil {
				fail("%v", err)
			}
		}
		if len(batch) < 1000 {
			break
		}
	}
	if _, err := p.depthChecked(ctx); err != nil {
		fail("%v", err)
	}
	if len(errs) > 0 {
		return fmt.Errorf("store invariants: %w: %w", errors.Join(errs...), store.ErrCorrupt)
	}
	return nil
}

// checkIncident compares an incident's record with its columns.
func (p *Store) checkIncident(ctx context.Context, inc incident.Incident) error {
	var open bool
	var channel *string
	if err := p.pool.QueryRow(ctx, `SELECT open, channel FROM incidents WHERE number = $1`, inc.Number).Scan(&open, &channel); err != nil {
		return err
	}
	if open != inc.Status.Open() {
		return fmt.Errorf("%s: open column %v, status %s", inc.ID(), open, inc.Status)
	}
	if (channel == nil) != (inc.Channel == "") || (channel != nil && *channel != inc.Channel) {
		return fmt.Errorf("%s: channel column disagrees with the record (%q)", inc.ID(), inc.Channel)
	}
	return nil
}

// depthChecked decodes every outbox row.
func (p *Store) depthChecked(ctx context.Context) (int, error) {
	rows, err := p.pool.Query(ctx, `SELECT id, body FROM outbox`)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var id uint64
		var body []byte
		if err := rows.Scan(&id, &body); err != nil {
			return n, err
		}
		if _, err := decodeItem(id, body); err != nil {
			return n, err
		}
		n++
	}
	return n, rows.Err()
}
