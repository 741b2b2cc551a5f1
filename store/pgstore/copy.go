package pgstore

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/firebreak-hq/firebreak/incident"
	"github.com/firebreak-hq/firebreak/store"
)

// Dump reads the whole database in one REPEATABLE READ transaction (one
// consistent snapshot, also while other processes write) and hands it to
// sink.
func (p *Store) Dump(sink store.Sink) (store.Counts, error) {
	cnt := &store.Counter{Next: sink}
	ctx := context.Background()
	err := pgx.BeginTxFunc(ctx, p.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		return dumpTx(ctx, tx, cnt)
	})
	return cnt.C, err
}

func dumpTx(ctx context.Context, tx pgx.Tx, sink store.Sink) error {
	var after uint64
	for {
		recs, err := incidentBatch(ctx, tx, after)
		if err != nil {
			return err
		}
		for _, r := range recs {
			if err := sink.Incident(*r); err != nil {
				return err
			}
			after = r.Incident.Number
		}
		if len(recs) < scanBatch {
			break
		}
	}
	type row struct {
		lane string
		it   store.OutboxItem
	}
	var outbox []row
	rows, err := tx.Query(ctx, `SELECT lane, id, body FROM outbox ORDER BY lane = 'page', id`)
	if err != nil {
		return err
	}
	for rows.Next() {
		var r row
		var id uint64
		var body []byte
		if err := rows.Scan(&r.lane, &id, &body); err != nil {
			rows.Close()
			return err
		}
		if r.it, err = decodeItem(id, body); err != nil {
			rows.Close()
			return err
		}
		outbox = append(outbox, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, r := range outbox {
		if err := sink.Outbox(r.lane, r.it); err != nil {
			return err
		}
	}
	if err := copyPairs(ctx, tx, `SELECT key, expires FROM dedupe ORDER BY key`, sink.Dedupe); err != nil {
		return err
	}
	if err := copyPairs(ctx, tx, `SELECT grp, incident FROM alert_groups ORDER BY grp`, sink.AlertGroup); err != nil {
		return err
	}
	seq, err := sequences(ctx, tx)
	if err != nil {
		return err
	}
	return sink.Sequences(seq)
}

// copyPairs reads every (key, value) row of query, then hands each to put: the rows
// are all read before the sink is called.
func copyPairs[K, V any](ctx context.Context, tx pgx.Tx, query string, put func(K, V) error) error {
	var keys []K
	var vals []V
	if err := scanAll(ctx, tx, query, func(r pgx.Rows) error {
		var k K
		var v V
		err := r.Scan(&k, &v)
		keys, vals = append(keys, k), append(vals, v)
		return err
	}); err != nil {
		return err
	}
	for i := range keys {
		if err := put(keys[i], vals[i]); err != nil {
			return err
		}
	}
	return nil
}

func scanAll(ctx context.Context, tx pgx.Tx, query string, each func(pgx.Rows) error, args ...any) error {
	rows, err := tx.Query(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := each(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

// incidentBatch reads up to scanBatch incidents after number after, with
// their events, Slack records and meta.
func incidentBatch(ctx context.Context, tx pgx.Tx, after uint64) ([]*store.IncidentRecord, error) {
	var recs []*store.IncidentRecord
	byNum := map[uint64]*store.IncidentRecord{}
	err := scanAll(ctx, tx, `SELECT number, body FROM incidents WHERE number > $1 ORDER BY number LIMIT $2`, func(r pgx.Rows) error {
		var n uint64
		var body string
		if err := r.Scan(&n, &body); err != nil {
			return err
		}
		inc, err := decodeIncident(n, body)
		if err != nil {
			return err
		}
		rec := &store.IncidentRecord{Incident: inc}
		recs = append(recs, rec)
		byNum[n] = rec
		return nil
	}, after, scanBatch)
	if err != nil || len(recs) == 0 {
		return recs, err
	}
	lo, hi := recs[0].Incident.Number, recs[len(recs)-1].Incident.Number
	if err := scanAll(ctx, tx, `SELECT incident, body FROM events WHERE incident BETWEEN $1 AND $2 ORDER BY incident, seq`, func(r pgx.Rows) error {
		var n uint64
		var body []byte
		if err := r.Scan(&n, &body); err != nil {
			return err
		}
		var e incident.Event
		if err := json.Unmarshal(body, &e); err != nil {
			return fmt.Errorf("decode %s event: %v: %w", incident.ID(n), err, store.ErrCorrupt)
		}
		byNum[n].Events = append(byNum[n].Events, e)
		return nil
	}, lo, hi); err != nil {
		return nil, err
	}
	if err := scanAll(ctx, tx, `SELECT incident, body FROM slack WHERE incident BETWEEN $1 AND $2`, func(r pgx.Rows) error {
		var n uint64
		var body []byte
		if err := r.Scan(&n, &body); err != nil {
			return err
		}
		if err := json.Unmarshal(body, &byNum[n].Slack); err != nil {
			return fmt.Errorf("decode %s slack record: %v: %w", incident.ID(n), err, store.ErrCorrupt)
		}
		return nil
	}, lo, hi); err != nil {
		return nil, err
	}
	err = scanAll(ctx, tx, `SELECT incident, key, value FROM pubmeta WHERE incident BETWEEN $1 AND $2`, func(r pgx.Rows) error {
		var n uint64
		var k, v string
		if err := r.Scan(&n, &k, &v); err != nil {
			return err
		}
		if byNum[n].Meta == nil {
			byNum[n].Meta = map[string]string{}
		}
		byNum[n].Meta[k] = v
		return nil
	}, lo, hi)
	return recs, err
}

func sequences(ctx context.Context, tx pgx.Tx) (store.Sequences, error) {
	var s store.Sequences
	if err := tx.QueryRow(ctx, `SELECT value FROM counters WHERE name = 'incident'`).Scan(&s.Incidents); err != nil {
		return s, err
	}
	for _, q := range []struct {
		seq string
		v   *uint64
	}{{"outbox_main_seq", &s.Outbox}, {"outbox_page_seq", &s.Pages}} {
		var last uint64
		var called bool
		if err := tx.QueryRow(ctx, `SELECT last_value, is_called FROM `+q.seq).Scan(&last, &called); err != nil {
			return s, err
		}
		if called {
			*q.v = last
		}
	}
	return s, nil
}

// Load copies src into this database in one transaction (`firebreak
// migrate`). It refuses a database that holds anything unless force,
// which empties it first. The returned counts are read back from this
// database after the commit.
func (p *Store) Load(src store.Store, force bool) (store.Counts, error) {
	ctx := context.Background()
	err := pgx.BeginFunc(ctx, p.pool, func(tx pgx.Tx) error {
		var used bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM incidents) OR EXISTS (SELECT 1 FROM outbox)
			OR EXISTS (SELECT 1 FROM dedupe) OR (SELECT value FROM counters WHERE name = 'incident') > 0`).Scan(&used); err != nil {
			return err
		}
		if used && !force {
			return fmt.Errorf("%s already holds a Firebreak database; migrate only into an empty one, or pass --force to replace its content: %w", p.where, store.ErrRefused)
		}
		if used {
			if _, err := tx.Exec(ctx, `TRUNCATE alert_groups, pubmeta, slack, events, outbox, dedupe, incidents`); err != nil {
				return err
			}
		}
		_, err := src.Dump(&pgSink{ctx: ctx, tx: tx})
		return err
	})
	if err != nil {
		return store.Counts{}, storeErr(err)
	}
	return store.CountOf(p)
}

// pgSink writes a Dump into a transaction.
type pgSink struct {
	ctx context.Context
	tx  pgx.Tx
}

func (s *pgSink) Incident(r store.IncidentRecord) error {
	inc := r.Incident
	n := inc.Number
	enc, err := json.Marshal(inc)
	if err != nil {
		return err
	}
	var channel *string
	if inc.Channel != "" {
		channel = &inc.Channel
	}
	var last uint64
	seqs := make([]int64, len(r.Events))
	kinds := make([]string, len(r.Events))
	bodies := make([]string, len(r.Events))
	for i, e := range r.Events {
		v, err := json.Marshal(e)
		if err != nil {
			return err
		}
		seqs[i], kinds[i], bodies[i] = int64(e.Seq), string(e.Kind), string(v)
		last = max(last, e.Seq)
	}
	if _, err := s.tx.Exec(s.ctx, `INSERT INTO incidents (number, body, open, channel, declared_at, last_seq) VALUES ($1, $2, $3, $4, $5, $6)`,
		n, string(enc), inc.Status.Open(), channel, inc.DeclaredAt, last); err != nil {
		return fmt.Errorf("%s: %w", incident.ID(n), storeErr(err))
	}
	if len(seqs) > 0 {
		if _, err := s.tx.Exec(s.ctx, `INSERT INTO events (incident, seq, kind, body)
			SELECT $1, s, k, b FROM unnest($2::bigint[], $3::text[], $4::text[]) AS t(s, k, b)`, n, seqs, kinds, bodies); err != nil {
			return err
		}
	}
	if err := putSlack(s.ctx, s.tx, n, r.Slack); err != nil {
		return err
	}
	for k, v := range r.Meta {
		if _, err := s.tx.Exec(s.ctx, `INSERT INTO pubmeta (incident, key, value) VALUES ($1, $2, $3)`, n, k, v); err != nil {
			return err
		}
	}
	return nil
}

func (s *pgSink) Outbox(lane string, it store.OutboxItem) error {
	v, err := json.Marshal(it)
	if err != nil {
		return err
	}
	_, err = s.tx.Exec(s.ctx, `INSERT INTO outbox (lane, id, incident, body) VALUES ($1, $2, $3, $4)`, lane, it.ID, it.Incident, string(v))
	return err
}

func (s *pgSink) Dedupe(key string, exp int64) error {
	_, err := s.tx.Exec(s.ctx, `INSERT INTO dedupe (key, expires) VALUES ($1, $2)`, key, exp)
	return err
}

func (s *pgSink) AlertGroup(group string, n uint64) error {
	_, err := s.tx.Exec(s.ctx, `INSERT INTO alert_groups (grp, incident) VALUES ($1, $2)`, group, n)
	return err
}

func (s *pgSink) Sequences(q store.Sequences) error {
	if _, err := s.tx.Exec(s.ctx, `UPDATE counters SET value = $1 WHERE name = 'incident'`, q.Incidents); err != nil {
		return err
	}
	for seq, v := range map[string]uint64{"outbox_main_seq": q.Outbox, "outbox_page_seq": q.Pages} {
		if _, err := s.tx.Exec(s.ctx, `SELECT setval($1::regclass, greatest($2::bigint, 1), $2::bigint > 0)`, seq, v); err != nil {
			return err
		}
	}
	return nil
}

// BackupFile writes a logical export as a new bbolt database file.
func (p *Store) BackupFile(path string) error {
	_, err := store.WriteFile(path, p)
	return err
}
