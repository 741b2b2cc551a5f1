package pgstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/firebreak-hq/firebreak/incident"
	"github.com/firebreak-hq/firebreak/store"
)

// readTimeout bounds one read.
const readTimeout = time.Minute

func (p *Store) rctx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), readTimeout)
}

// Get returns incident n, or ErrNotFound.
func (p *Store) Get(n uint64) (incident.Incident, error) {
	ctx, cancel := p.rctx()
	defer cancel()
	var body string
	if err := scanOne(p.pool.QueryRow(ctx, `SELECT body FROM incidents WHERE number = $1`, n), incident.ID(n), &body); err != nil {
		return incident.Incident{}, err
	}
	return decodeIncident(n, body)
}

// ByChannel returns the incident whose Slack channel is channelID.
func (p *Store) ByChannel(channelID string) (incident.Incident, error) {
	ctx, cancel := p.rctx()
	defer cancel()
	var n uint64
	var body string
	if err := scanOne(p.pool.QueryRow(ctx, `SELECT number, body FROM incidents WHERE channel = $1`, channelID), "channel "+channelID, &n, &body); err != nil {
		return incident.Incident{}, err
	}
	return decodeIncident(n, body)
}

// incidents runs a query of (number, body) rows.
func (p *Store) incidents(query string, args ...any) ([]incident.Incident, error) {
	ctx, cancel := p.rctx()
	defer cancel()
	rows, err := p.pool.Query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	return collect(rows, decodeIncident)
}

// OpenIncidents returns every incident that is not closed, oldest first.
func (p *Store) OpenIncidents() ([]incident.Incident, error) {
	return p.incidents(`SELECT number, body FROM incidents WHERE open ORDER BY number`)
}

// List returns up to limit incidents, newest first; limit ≤ 0: all.
func (p *Store) List(limit int) ([]incident.Incident, error) {
	if limit <= 0 {
		return p.incidents(`SELECT number, body FROM incidents ORDER BY number DESC`)
	}
	return p.incidents(`SELECT number, body FROM incidents ORDER BY number DESC LIMIT $1`, limit)
}

// RecentClosed returns the closed incidents declared at or after since,
// newest first.
func (p *Store) RecentClosed(since time.Time) ([]incident.Incident, error) {
	return p.incidents(`SELECT number, body FROM incidents WHERE NOT open AND declared_at >= $1 ORDER BY number DESC`, since)
}

func (p *Store) exists(ctx context.Context, n uint64) error {
	var one int
	return scanOne(p.pool.QueryRow(ctx, `SELECT 1 FROM incidents WHERE number = $1`, n), incident.ID(n), &one)
}

// events runs a query of event bodies.
func events(ctx context.Context, q interface {
	Query(context.Context, string, ...any) (pgx.Rows, error)
}, n uint64, each func(incident.Event) error, query string, args ...any) error {
	rows, err := q.Query(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	var body []byte
	for rows.Next() {
		if err := rows.Scan(&body); err != nil {
			return err
		}
		var e incident.Event
		if err := json.Unmarshal(body, &e); err != nil {
			return fmt.Errorf("decode %s event: %v: %w", incident.ID(n), err, store.ErrCorrupt)
		}
		if err := each(e); err != nil {
			return err
		}
	}
	return rows.Err()
}

// Events returns incident n's timeline in Seq order.
func (p *Store) Events(n uint64) ([]incident.Event, error) {
	ctx, cancel := p.rctx()
	defer cancel()
	if err := p.exists(ctx, n); err != nil {
		return nil, err
	}
	out := []incident.Event{}
	err := events(ctx, p.pool, n, func(e incident.Event) error { out = append(out, e); return nil },
		`SELECT body FROM events WHERE incident = $1 ORDER BY seq`, n)
	if len(out) == 0 {
		out = nil
	}
	return out, err
}

// EventCount is len(Events(n)).
func (p *Store) EventCount(n uint64) (int, error) {
	ctx, cancel := p.rctx()
	defer cancel()
	if err := p.exists(ctx, n); err != nil {
		return 0, err
	}
	var c int
	err := p.pool.QueryRow(ctx, `SELECT count(*) FROM events WHERE incident = $1`, n).Scan(&c)
	return c, err
}

// LatestEvents returns up to limit of incident n's newest events of kind.
func (p *Store) LatestEvents(n uint64, kind incident.EventKind, limit int) ([]incident.Event, error) {
	ctx, cancel := p.rctx()
	defer cancel()
	var out []incident.Event
	err := events(ctx, p.pool, n, func(e incident.Event) error { out = append(out, e); return nil },
		`SELECT body FROM events WHERE incident = $1 AND kind = $2 ORDER BY seq DESC LIMIT $3`, n, string(kind), limit)
	return out, err
}

// scanBatch is how many incidents one query of Scan reads.
const scanBatch = 256

// Scan calls fn for every incident, oldest first; events streams its
// timeline (only kinds, when given) from the database.
func (p *Store) Scan(kinds []incident.EventKind, fn func(inc incident.Incident, events func(func(incident.Event) error) error) error) error {
	ks := make([]string, len(kinds))
	for i, k := range kinds {
		ks[i] = string(k)
	}
	var after uint64
	for {
		batch, err := p.incidents(`SELECT number, body FROM incidents WHERE number > $1 ORDER BY number LIMIT $2`, after, scanBatch)
		if err != nil {
			return err
		}
		for _, inc := range batch {
			n := inc.Number
			after = n
			evs := func(each func(incident.Event) error) error {
				ctx, cancel := p.rctx()
				defer cancel()
				if len(ks) == 0 {
					return events(ctx, p.pool, n, each, `SELECT body FROM events WHERE incident = $1 ORDER BY seq`, n)
				}
				return events(ctx, p.pool, n, each, `SELECT body FROM events WHERE incident = $1 AND kind = ANY($2) ORDER BY seq`, n, ks)
			}
			if err := fn(inc, evs); err != nil {
				return err
			}
		}
		if len(batch) < scanBatch {
			return nil
		}
	}
}

// Slack returns incident n's Slack record (zero when none).
func (p *Store) Slack(n uint64) (store.SlackRecord, error) {
	ctx, cancel := p.rctx()
	defer cancel()
	if err := p.exists(ctx, n); err != nil {
		return store.SlackRecord{}, err
	}
	return getSlack(ctx, p.pool, n, false)
}

// scanOne scans row into dest. A missing row is store.ErrNotFound named
// by missing or, when missing is "", no error with dest left as it was.
func scanOne(row pgx.Row, missing string, dest ...any) error {
	err := row.Scan(dest...)
	if errors.Is(err, pgx.ErrNoRows) {
		if missing == "" {
			return nil
		}
		return fmt.Errorf("%s: %w", missing, store.ErrNotFound)
	}
	return err
}

type querier interface {
	QueryRow(context.Context, string, ...any) pgx.Row
}

func getSlack(ctx context.Context, q querier, n uint64, lock bool) (store.SlackRecord, error) {
	var rec store.SlackRecord
	var body []byte
	query := `SELECT body FROM slack WHERE incident = $1`
	if lock {
		query += ` FOR UPDATE`
	}
	err := q.QueryRow(ctx, query, n).Scan(&body)
	if errors.Is(err, pgx.ErrNoRows) {
		return rec, nil
	}
	if err != nil {
		return rec, err
	}
	if err := json.Unmarshal(body, &rec); err != nil {
		return store.SlackRecord{}, fmt.Errorf("decode %s slack record: %v: %w", incident.ID(n), err, store.ErrCorrupt)
	}
	return rec, nil
}

func putSlack(ctx context.Context, tx pgx.Tx, n uint64, rec store.SlackRecord) error {
	if rec == (store.SlackRecord{}) {
		_, err := tx.Exec(ctx, `DELETE FROM slack WHERE incident = $1`, n)
		return err
	}
	v, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	_, err = tx.Exec(ctx, `INSERT INTO slack (incident, body) VALUES ($1, $2)
		ON CONFLICT (incident) DO UPDATE SET body = EXCLUDED.body`, n, string(v))
	return err
}

// UpdateSlack changes incident n's Slack record with fn in one write,
// under the incident's row lock.
func (p *Store) UpdateSlack(n uint64, fn func(store.SlackRecord) store.SlackRecord) (store.SlackRecord, error) {
	var rec store.SlackRecord
	err := p.inTx(func(ctx context.Context, tx pgx.Tx) error {
		var one int
		if err := scanOne(tx.QueryRow(ctx, `SELECT 1 FROM incidents WHERE number = $1 FOR UPDATE`, n), incident.ID(n), &one); err != nil {
			return err
		}
		cur, err := getSlack(ctx, tx, n, false)
		if err != nil {
			return err
		}
		rec = fn(cur)
		return putSlack(ctx, tx, n, rec)
	})
	if err != nil {
		return store.SlackRecord{}, err
	}
	return rec, nil
}

// SetMeta stores a small key/value for incident n.
func (p *Store) SetMeta(n uint64, key, value string) error {
	if key == "" {
		return fmt.Errorf("store: empty meta key")
	}
	return p.inTx(func(ctx context.Context, tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `INSERT INTO pubmeta (incident, key, value) SELECT number, $2, $3 FROM incidents WHERE number = $1
			ON CONFLICT (incident, key) DO UPDATE SET value = EXCLUDED.value`, n, key, value)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return fmt.Errorf("%s: %w", incident.ID(n), store.ErrNotFound)
		}
		return nil
	})
}

// Meta returns the value under key for incident n ("" when never set).
func (p *Store) Meta(n uint64, key string) (string, error) {
	ctx, cancel := p.rctx()
	defer cancel()
	if err := p.exists(ctx, n); err != nil {
		return "", err
	}
	var v string
	err := scanOne(p.pool.QueryRow(ctx, `SELECT value FROM pubmeta WHERE incident = $1 AND key = $2`, n, key), "", &v)
	return v, err
}
