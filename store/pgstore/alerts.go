package pgstore

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/firebreak-hq/firebreak/incident"
	"github.com/firebreak-hq/firebreak/store"
)

// RecordAlert records one alert in one transaction, as bbolt's does. The
// group's advisory lock makes two processes receiving alerts of one group
// at once open one incident between them.
func (p *Store) RecordAlert(key, group string, decide func(open *incident.Incident, next uint64) (store.AlertDecision, error)) (incident.Result, bool, error) {
	c := p.RecordAlertAsync(key, group, decide)
	r, err := c.Wait()
	return r, c.Dup(), err
}

// RecordAlertAsync is RecordAlert in the background, after every earlier
// alert of the group submitted here.
func (p *Store) RecordAlertAsync(key, group string, decide func(open *incident.Incident, next uint64) (store.AlertDecision, error)) *store.AlertCommit {
	c, finish := store.NewAlertCommit()
	if len(key) > store.MaxDedupeKey {
		finish(incident.Result{}, false, fmt.Errorf("store: alert dedupe key is over %d bytes", store.MaxDedupeKey))
		return c
	}
	if !p.async("alert:"+group, func() {
		r, dup, err := p.recordAlert(key, group, decide)
		finish(r, dup, err)
	}) {
		finish(incident.Result{}, false, store.ErrClosed)
	}
	return c
}

func (p *Store) recordAlert(key, group string, decide func(open *incident.Incident, next uint64) (store.AlertDecision, error)) (incident.Result, bool, error) {
	return p.writeTx(func(ctx context.Context, tx pgx.Tx, now time.Time, added map[string]int) (incident.Result, bool, error) {
		if dup, err := seen(ctx, tx, key, now); err != nil || dup {
			return incident.Result{}, dup, err
		}
		r, err := p.recordAlertTx(ctx, tx, now, group, decide, added)
		return r, false, err
	})
}

// recordAlertTx is recordAlert's write, in tx.
func (p *Store) recordAlertTx(ctx context.Context, tx pgx.Tx, now time.Time, group string, decide func(open *incident.Incident, next uint64) (store.AlertDecision, error), added map[string]int) (incident.Result, error) {
	// Lock order everywhere: alert group, incident row, counter row.
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, p.lockKey("alert:"+group)); err != nil {
		return incident.Result{}, err
	}
	var open *incident.Incident
	var last uint64
	var gn uint64 // 0: the group opened no incident yet
	if err := scanOne(tx.QueryRow(ctx, `SELECT incident FROM alert_groups WHERE grp = $1`, group), "", &gn); err != nil {
		return incident.Result{}, err
	}
	if gn != 0 {
		cur, l, err := lockIncident(ctx, tx, gn)
		if err == nil && cur.Status.Open() {
			open, last = &cur, l
		}
	}
	var next uint64
	if err := tx.QueryRow(ctx, `SELECT value + 1 FROM counters WHERE name = 'incident' FOR UPDATE`).Scan(&next); err != nil {
		return incident.Result{}, err
	}
	dec, err := decide(store.CloneOpen(open), next)
	if err != nil {
		return incident.Result{}, err
	}
	r := dec.Result
	switch {
	case open != nil && r.Incident.Number != 0:
		if err := p.persist(ctx, tx, open, last, open.Number, &r, added); err != nil {
			return incident.Result{}, err
		}
	case dec.Create:
		if _, err := tx.Exec(ctx, `UPDATE counters SET value = $1 WHERE name = 'incident'`, next); err != nil {
			return incident.Result{}, err
		}
		if err := p.persist(ctx, tx, nil, 0, next, &r, added); err != nil {
			return incident.Result{}, err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO alert_groups (grp, incident) VALUES ($1, $2)
				ON CONFLICT (grp) DO UPDATE SET incident = EXCLUDED.incident`, group, next); err != nil {
			return incident.Result{}, err
		}
	default:
		r = incident.Result{}
	}
	for _, eff := range dec.Global {
		if err := insertOutbox(ctx, tx, store.LaneMain, store.OutboxItem{Effect: eff, Created: now.UTC()}); err != nil {
			return incident.Result{}, err
		}
		added[store.LaneMain]++
	}
	if len(dec.Global) > 0 {
		if err := p.notifyLanes(ctx, tx, map[string]int{store.LaneMain: 1}); err != nil {
			return incident.Result{}, err
		}
	}
	return r, nil
}

// AlertGroupIncident returns the incident a group opened, 0 when none.
func (p *Store) AlertGroupIncident(group string) (uint64, error) {
	var n uint64
	err := scanOne(p.pool.QueryRow(p.ctx, `SELECT incident FROM alert_groups WHERE grp = $1`, group), "", &n)
	return n, err
}
