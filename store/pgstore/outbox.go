package pgstore

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/firebreak-hq/firebreak/store"
)

// Pending claims and returns up to limit main outbox rows (limit ≤ 0: all)
// in id order, including rows not due yet. A row is returned to one
// process at a time: the rows this process claimed before, and rows
// nobody holds or whose lease expired; an incident whose rows another
// living process holds is left to it, so one incident's effects are
// performed in commit order by one process.
func (p *Store) Pending(limit int) ([]store.OutboxItem, error) {
	return p.claim(store.LaneMain, limit)
}

func (p *Store) claim(lane string, limit int) ([]store.OutboxItem, error) {
	if limit <= 0 {
		limit = 1 << 30
	}
	var out []store.OutboxItem
	err := p.inTx(func(ctx context.Context, tx pgx.Tx) error {
		out = out[:0]
		// Claimers of a lane take turns, so two of them never both see an
		// incident as free; rows are still taken with SKIP LOCKED so a
		// claim never waits for a Done or Retry in flight.
		//
		// A claim commits without waiting for the WAL flush: a process
		// that dies loses nothing by it (its lease expires anyway), and
		// only a crash of the server itself could forget a claim.
		b := &pgx.Batch{}
		b.Queue(`SET LOCAL synchronous_commit TO off`)
		b.Queue(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, p.lockKey("claim:"+lane))
		if err := tx.SendBatch(ctx, b).Close(); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `
WITH held AS (
	SELECT DISTINCT incident FROM outbox
	WHERE lane = $1 AND incident <> 0 AND claimed_by IS NOT NULL AND claimed_by <> $2 AND lease_until > now()
), pick AS (
	SELECT lane, id FROM outbox
	WHERE lane = $1
	  AND (claimed_by IS NULL OR claimed_by = $2 OR lease_until <= now())
	  AND incident NOT IN (SELECT incident FROM held)
	ORDER BY id
	LIMIT $3
	FOR UPDATE SKIP LOCKED
)
UPDATE outbox o SET claimed_by = $2, lease_until = now() + make_interval(secs => $4)
FROM pick WHERE o.lane = pick.lane AND o.id = pick.id
RETURNING o.id, o.body`, lane, p.owner, limit, p.lease.Seconds())
		if err != nil {
			return err
		}
		out, err = collect(rows, decodeItem)
		return err
	})
	sortItems(out)
	return out, err
}

// sortItems puts rows in id order: RETURNING does not keep the pick's.
func sortItems(items []store.OutboxItem) {
	slices.SortFunc(items, func(a, b store.OutboxItem) int { return cmp.Compare(a.ID, b.ID) })
}

// collect decodes every (id, body) row with decode, and closes rows.
func collect[B []byte | string, T any](rows pgx.Rows, decode func(uint64, B) (T, error)) ([]T, error) {
	defer rows.Close()
	var out []T
	for rows.Next() {
		var id uint64
		var body B
		if err := rows.Scan(&id, &body); err != nil {
			return nil, err
		}
		v, err := decode(id, body)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

func decodeItem(id uint64, body []byte) (store.OutboxItem, error) {
	var it store.OutboxItem
	if err := json.Unmarshal(body, &it); err != nil {
		return it, fmt.Errorf("decode outbox row %d: %v: %w", id, err, store.ErrCorrupt)
	}
	if it.ID != id {
		return it, fmt.Errorf("outbox row %d holds id %d: %w", id, it.ID, store.ErrCorrupt)
	}
	return it, nil
}

// PendingFor returns incident n's main outbox rows in id order, without
// claiming them.
func (p *Store) PendingFor(n uint64) ([]store.OutboxItem, error) {
	ctx, cancel := p.rctx()
	defer cancel()
	rows, err := p.pool.Query(ctx, `SELECT id, body FROM outbox WHERE lane = 'main' AND incident = $1 ORDER BY id`, n)
	if err != nil {
		return nil, err
	}
	return collect(rows, decodeItem)
}

// Done removes rows; unknown ids are ignored.
func (p *Store) Done(ids ...uint64) error { return p.done(store.LaneMain, ids) }

func (p *Store) done(lane string, ids []uint64) error {
	if len(ids) == 0 {
		return nil
	}
	return p.inTx(func(ctx context.Context, tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `DELETE FROM outbox WHERE lane = $1 AND id = ANY($2)`, lane, ids)
		return err
	})
}

// Retry records a failed attempt and when to try again; the row stays
// claimed by this process.
func (p *Store) Retry(id uint64, notBefore time.Time, lastErr string) error {
	return p.retry(store.LaneMain, id, notBefore, lastErr)
}

func (p *Store) retry(lane string, id uint64, notBefore time.Time, lastErr string) error {
	return p.inTx(func(ctx context.Context, tx pgx.Tx) error {
		var body []byte
		what := "outbox"
		if lane == store.LanePage {
			what = "page outbox"
		}
		row := tx.QueryRow(ctx, `SELECT body FROM outbox WHERE lane = $1 AND id = $2 FOR UPDATE`, lane, id)
		if err := scanOne(row, fmt.Sprintf("%s row %d", what, id), &body); err != nil {
			return err
		}
		it, err := decodeItem(id, body)
		if err != nil {
			return err
		}
		v, err := json.Marshal(it.Retried(notBefore, lastErr))
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE outbox SET body = $3 WHERE lane = $1 AND id = $2`, lane, id, string(v))
		return err
	})
}

// OutboxDepth is the number of main rows waiting, claimed or not.
func (p *Store) OutboxDepth() (int, error) { return p.depth(store.LaneMain) }

func (p *Store) depth(lane string) (int, error) {
	ctx, cancel := p.rctx()
	defer cancel()
	var n int
	err := p.pool.QueryRow(ctx, `SELECT count(*) FROM outbox WHERE lane = $1`, lane).Scan(&n)
	return n, err
}

// PageOutbox is the page effects' lane, claimed as the main outbox is.
func (p *Store) PageOutbox() store.Lane { return pageLane{p} }

type pageLane struct{ p *Store }

func (l pageLane) Pending(limit int) ([]store.OutboxItem, error) {
	return l.p.claim(store.LanePage, limit)
}
func (l pageLane) Done(ids ...uint64) error { return l.p.done(store.LanePage, ids) }
func (l pageLane) Retry(id uint64, nb time.Time, e string) error {
	return l.p.retry(store.LanePage, id, nb, e)
}
func (l pageLane) Notify() <-chan struct{} { return l.p.pageNotify }
func (l pageLane) Depth() (int, error)     { return l.p.depth(store.LanePage) }
