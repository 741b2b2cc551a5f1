package pgstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/firebreak-hq/firebreak/incident"
	"github.com/firebreak-hq/firebreak/store"
)

// writeTimeout bounds one write transaction.
const writeTimeout = time.Minute

// inTx runs fn in one READ COMMITTED transaction and commits it, running
// it again (fn is pure) when PostgreSQL aborted it for a deadlock or a
// serialization failure.
func (p *Store) inTx(fn func(ctx context.Context, tx pgx.Tx) error) error {
	// Writes submitted before Close still run (Close waits for them);
	// once the pool is closing every write is ErrClosed.
	p.chainMu.Lock()
	if p.shut.Load() {
		p.chainMu.Unlock()
		return store.ErrClosed
	}
	p.txs.Add(1)
	p.chainMu.Unlock()
	defer p.txs.Done()
	ctx, cancel := context.WithTimeout(context.Background(), writeTimeout)
	defer cancel()
	var err error
	for attempt := 0; attempt < 5; attempt++ {
		err = pgx.BeginFunc(ctx, p.pool, func(tx pgx.Tx) error { return fn(ctx, tx) })
		var pe *pgconn.PgError
		if errors.As(err, &pe) && (pe.Code == "40001" || pe.Code == "40P01") {
			continue
		}
		break
	}
	return storeErr(err)
}

// async runs w in its own goroutine after every earlier write with the
// same chain key (one incident, one alert group), so that writes of one
// incident submitted from this process apply in submission order. It
// returns false, running nothing, once Close has begun.
func (p *Store) async(chain string, w func()) bool {
	var prev, done chan struct{}
	p.chainMu.Lock()
	if p.closed.Load() {
		p.chainMu.Unlock()
		return false
	}
	p.inflight.Add(1)
	if chain != "" {
		done = make(chan struct{})
		prev = p.chains[chain]
		p.chains[chain] = done
	}
	p.chainMu.Unlock()
	go func() {
		defer p.inflight.Done()
		if prev != nil {
			<-prev
		}
		w()
		if done != nil {
			p.chainMu.Lock()
			if p.chains[chain] == done {
				delete(p.chains, chain)
			}
			p.chainMu.Unlock()
			close(done)
		}
	}()
	return true
}

func (p *Store) waitChains() { p.inflight.Wait() }

// Create allocates the next incident number from the counter row, calls
// fn with it and commits its Result; an error from fn rolls back, and
// the number is not used.
func (p *Store) Create(fn func(n uint64) (incident.Result, error)) (incident.Result, error) {
	if p.closed.Load() {
		return incident.Result{}, store.ErrClosed
	}
	r, _, err := p.create("", nil, fn)
	return r, err
}

// CreateAsync is Create in the background; Wait on the Commit.
func (p *Store) CreateAsync(fn func(n uint64) (incident.Result, error)) *store.Commit {
	c, finish := store.NewCommit()
	if !p.async("", func() {
		r, _, err := p.create("", nil, fn)
		finish(r, false, err)
	}) {
		finish(incident.Result{}, false, store.ErrClosed)
	}
	return c
}

// CreateWithSlack is Create that stores rec as the Slack record too.
func (p *Store) CreateWithSlack(rec store.SlackRecord, fn func(n uint64) (incident.Result, error)) (incident.Result, error) {
	if p.closed.Load() {
		return incident.Result{}, store.ErrClosed
	}
	r, _, err := p.create("", &rec, fn)
	return r, err
}

// CreateOnce is CreateWithSlack unless key was seen: the key is recorded
// in the create's transaction.
func (p *Store) CreateOnce(key string, rec store.SlackRecord, fn func(n uint64) (incident.Result, error)) (incident.Result, bool, error) {
	if key == "" || len(key) > store.MaxDedupeKey {
		return incident.Result{}, false, fmt.Errorf("store: dedupe key must be 1–%d bytes", store.MaxDedupeKey)
	}
	if p.closed.Load() {
		return incident.Result{}, false, store.ErrClosed
	}
	return p.create(key, &rec, fn)
}

func (p *Store) create(key string, slack *store.SlackRecord, fn func(n uint64) (incident.Result, error)) (incident.Result, bool, error) {
	return p.writeTx(func(ctx context.Context, tx pgx.Tx, now time.Time, added map[string]int) (incident.Result, bool, error) {
		if dup, err := seen(ctx, tx, key, now); err != nil || dup {
			return incident.Result{}, dup, err
		}
		var n uint64
		if err := tx.QueryRow(ctx, `UPDATE counters SET value = value + 1 WHERE name = 'incident' RETURNING value`).Scan(&n); err != nil {
			return incident.Result{}, false, err
		}
		r, err := fn(n)
		if err != nil {
			return incident.Result{}, false, err
		}
		if err := p.persist(ctx, tx, nil, 0, n, &r, added); err != nil {
			return incident.Result{}, false, err
		}
		if slack != nil {
			if err := putSlack(ctx, tx, n, *slack); err != nil {
				return incident.Result{}, false, err
			}
		}
		return r, false, nil
	})
}

// writeTx runs body in one transaction (again when it must be retried) and, once
// it committed, signals the rows body added to each lane. dup from body means
// a dedupe key was seen: nothing was written and the Result is zero.
func (p *Store) writeTx(body func(ctx context.Context, tx pgx.Tx, now time.Time, added map[string]int) (incident.Result, bool, error)) (incident.Result, bool, error) {
	var out incident.Result
	var dup bool
	added := map[string]int{}
	now := p.now()
	err := p.inTx(func(ctx context.Context, tx pgx.Tx) error {
		clear(added)
		var err error
		out, dup, err = body(ctx, tx, now, added)
		return err
	})
	if err != nil || dup {
		return incident.Result{}, dup, err
	}
	p.signalAdded(added)
	return out, false, nil
}

// seen records key (when not empty) in tx and reports whether it was seen already.
func seen(ctx context.Context, tx pgx.Tx, key string, now time.Time) (bool, error) {
	if key == "" {
		return false, nil
	}
	fresh, err := remember(ctx, tx, key, now)
	return err == nil && !fresh, err
}

// Apply locks incident n's row, calls fn with it and commits its Result.
func (p *Store) Apply(n uint64, fn func(incident.Incident) (incident.Result, error)) (incident.Result, error) {
	return p.ApplyAsync(n, fn).Wait()
}

// ApplyAsync is Apply in the background, after every earlier write of
// incident n submitted here.
func (p *Store) ApplyAsync(n uint64, fn func(incident.Incident) (incident.Result, error)) *store.Commit {
	c, finish := store.NewCommit()
	if !p.async(incChain(n), func() {
		r, dup, err := p.apply("", n, fn)
		finish(r, dup, err)
	}) {
		finish(incident.Result{}, false, store.ErrClosed)
	}
	return c
}

// ApplyOnce is Apply guarded by a dedupe key recorded in its transaction.
func (p *Store) ApplyOnce(key string, n uint64, fn func(incident.Incident) (incident.Result, error)) (incident.Result, bool, error) {
	if len(key) > store.MaxDedupeKey {
		return incident.Result{}, false, fmt.Errorf("store: dedupe key of %d bytes exceeds %d", len(key), store.MaxDedupeKey)
	}
	c, finish := store.NewCommit()
	if !p.async(incChain(n), func() {
		r, dup, err := p.apply(key, n, fn)
		finish(r, dup, err)
	}) {
		return incident.Result{}, false, store.ErrClosed
	}
	r, err := c.Wait()
	return r, c.Dup(), err
}

func incChain(n uint64) string { return fmt.Sprintf("inc:%d", n) }

func (p *Store) apply(key string, n uint64, fn func(incident.Incident) (incident.Result, error)) (incident.Result, bool, error) {
	return p.writeTx(func(ctx context.Context, tx pgx.Tx, now time.Time, added map[string]int) (incident.Result, bool, error) {
		// The dedupe key and the incident's row lock in one round trip.
		b := &pgx.Batch{}
		if key != "" {
			queueRemember(b, key, now)
		}
		queueLock(b, n)
		br := tx.SendBatch(ctx, b)
		if key != "" {
			fresh, err := scanRemember(br.QueryRow())
			if err != nil || !fresh {
				_ = br.Close()
				return incident.Result{}, err == nil, err
			}
		}
		cur, last, err := scanLock(br.QueryRow(), n)
		if cerr := br.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return incident.Result{}, false, err
		}
		r, err := fn(cur.Clone())
		if err != nil {
			return incident.Result{}, false, err
		}
		if err := p.persist(ctx, tx, &cur, last, n, &r, added); err != nil {
			return incident.Result{}, false, err
		}
		return r, false, nil
	})
}

// lockIncident reads incident n and takes its row lock until the
// transaction ends.
func lockIncident(ctx context.Context, tx pgx.Tx, n uint64) (incident.Incident, uint64, error) {
	return scanLock(tx.QueryRow(ctx, lockSQL, n), n)
}

const lockSQL = `SELECT body, last_seq FROM incidents WHERE number = $1 FOR UPDATE`

func queueLock(b *pgx.Batch, n uint64) { b.Queue(lockSQL, n) }

func scanLock(row pgx.Row, n uint64) (incident.Incident, uint64, error) {
	var body string
	var last uint64
	if err := scanOne(row, incident.ID(n), &body, &last); err != nil {
		return incident.Incident{}, 0, err
	}
	inc, err := decodeIncident(n, body)
	return inc, last, err
}

func decodeIncident(n uint64, body string) (incident.Incident, error) {
	var inc incident.Incident
	if err := json.Unmarshal([]byte(body), &inc); err != nil {
		return incident.Incident{}, fmt.Errorf("decode %s: %v: %w", incident.ID(n), err, store.ErrCorrupt)
	}
	return inc, nil
}

// remember records key until now+DedupeTTL unless it is already there
// and not expired; fresh is false for a redelivery. A process with the
// same key in flight waits here for this transaction.
func remember(ctx context.Context, tx pgx.Tx, key string, now time.Time) (fresh bool, err error) {
	b := &pgx.Batch{}
	queueRemember(b, key, now)
	br := tx.SendBatch(ctx, b)
	fresh, err = scanRemember(br.QueryRow())
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	return fresh, err
}

func queueRemember(b *pgx.Batch, key string, now time.Time) {
	b.Queue(`INSERT INTO dedupe (key, expires) VALUES ($1, $2)
		ON CONFLICT (key) DO UPDATE SET expires = EXCLUDED.expires WHERE dedupe.expires <= $3
		RETURNING 1`, key, now.Add(store.DedupeTTL).UnixNano(), now.UnixNano())
}

func scanRemember(row pgx.Row) (bool, error) {
	var one int
	err := row.Scan(&one)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}

// persist writes one command's outcome: the incident row (inserted when
// prev is nil), its events numbered after last, its outbox rows. added
// counts the rows per lane.
func (p *Store) persist(ctx context.Context, tx pgx.Tx, prev *incident.Incident, last, n uint64, res *incident.Result, added map[string]int) error {
	inc := res.Incident
	if inc.Number != n {
		return fmt.Errorf("store: result is for incident %d, not INC-%d: %w", inc.Number, n, store.ErrConflict)
	}
	if !inc.Status.Valid() {
		return fmt.Errorf("store: INC-%d: invalid status %q: %w", n, inc.Status, store.ErrConflict)
	}
	enc, err := json.Marshal(inc)
	if err != nil {
		return fmt.Errorf("store: encode INC-%d: %w", n, err)
	}
	var channel *string
	if inc.Channel != "" {
		channel = &inc.Channel
	}
	evs := make([]incident.Event, len(res.Events))
	seqs := make([]int64, len(res.Events))
	kinds := make([]string, len(res.Events))
	bodies := make([]string, len(res.Events))
	for i, e := range res.Events {
		last++
		e.Seq = last
		v, err := json.Marshal(e)
		if err != nil {
			return fmt.Errorf("store: encode INC-%d event: %w", n, err)
		}
		evs[i], seqs[i], kinds[i], bodies[i] = e, int64(e.Seq), string(e.Kind), string(v)
	}
	// Everything the command writes goes to the server in one round trip
	// (a batch inside the transaction).
	b := &pgx.Batch{}
	if prev == nil {
		b.Queue(`INSERT INTO incidents (number, body, open, channel, declared_at, last_seq) VALUES ($1, $2, $3, $4, $5, $6)`,
			n, string(enc), inc.Status.Open(), channel, inc.DeclaredAt, last)
	} else {
		b.Queue(`UPDATE incidents SET body = $2, open = $3, channel = $4, last_seq = $5 WHERE number = $1`,
			n, string(enc), inc.Status.Open(), channel, last)
	}
	if len(evs) > 0 {
		b.Queue(`INSERT INTO events (incident, seq, kind, body)
			SELECT $1, s, k, b FROM unnest($2::bigint[], $3::text[], $4::text[]) AS t(s, k, b)`, n, seqs, kinds, bodies)
	}
	created := p.now().UTC()
	for _, eff := range res.Effects {
		lane := store.LaneMain
		if incident.IsPageEffect(eff.Kind) {
			lane = store.LanePage
		}
		if err := queueOutbox(b, lane, store.OutboxItem{Incident: n, Effect: eff, Created: created}); err != nil {
			return fmt.Errorf("store: encode INC-%d effect: %w", n, err)
		}
		added[lane]++
	}
	for _, lane := range []string{store.LaneMain, store.LanePage} {
		if added[lane] > 0 {
			b.Queue(`SELECT pg_notify($1, $2)`, p.channel, lane)
		}
	}
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		var pe *pgconn.PgError
		if errors.As(err, &pe) && pe.Code == "23505" && pe.ConstraintName == "incidents_channel_key" {
			return fmt.Errorf("store: channel %s already belongs to another incident: %w", inc.Channel, store.ErrConflict)
		}
		return err
	}
	if len(evs) > 0 {
		res.Events = evs
	}
	// Failures injected by tests happen after the writes, inside the
	// transaction, as a failed commit would.
	for _, stage := range []string{"incident", "events", "outbox"} {
		if err := p.hook(stage); err != nil {
			return err
		}
	}
	return nil
}

// idPrefix is how encoding/json starts an OutboxItem whose ID is 0.
const idPrefix = `{"id":0,`

// queueOutbox queues the insert of one outbox row. Its id comes from the
// lane's sequence inside the statement and is spliced into the JSON the
// bbolt store would write for it ({"id":N,…}), so no round trip is spent
// on allocating it.
func queueOutbox(b *pgx.Batch, lane string, it store.OutboxItem) error {
	it.ID = 0
	v, err := json.Marshal(it)
	if err != nil {
		return err
	}
	if !strings.HasPrefix(string(v), idPrefix) {
		return fmt.Errorf("store: outbox row encodes as %.20q…", v)
	}
	b.Queue(`INSERT INTO outbox (lane, id, incident, body)
		SELECT $1, i, $2, '{"id":' || i || substr($3, $4) FROM nextval(('outbox_' || $1 || '_seq')::regclass) AS i`,
		lane, it.Incident, string(v), len(idPrefix))
	return nil
}

// insertOutbox inserts one outbox row now.
func insertOutbox(ctx context.Context, tx pgx.Tx, lane string, it store.OutboxItem) error {
	b := &pgx.Batch{}
	if err := queueOutbox(b, lane, it); err != nil {
		return err
	}
	return tx.SendBatch(ctx, b).Close()
}

// notifyLanes queues a notification for every lane that got rows; it is
// delivered to every listening process when the transaction commits.
func (p *Store) notifyLanes(ctx context.Context, tx pgx.Tx, added map[string]int) error {
	for _, lane := range []string{store.LaneMain, store.LanePage} {
		if added[lane] == 0 {
			continue
		}
		if _, err := tx.Exec(ctx, `SELECT pg_notify($1, $2)`, p.channel, lane); err != nil {
			return err
		}
	}
	return nil
}

// signalAdded wakes this process's runners at once after a commit,
// without waiting for the notification's round trip.
func (p *Store) signalAdded(added map[string]int) {
	if added[store.LaneMain] > 0 {
		signal(p.notify)
	}
	if added[store.LanePage] > 0 {
		signal(p.pageNotify)
	}
}

// SeenOnce records key and reports whether it was seen within DedupeTTL.
func (p *Store) SeenOnce(key string) (bool, error) {
	if key == "" {
		return false, fmt.Errorf("store: empty dedupe key")
	}
	if len(key) > store.MaxDedupeKey {
		return false, fmt.Errorf("store: dedupe key of %d bytes exceeds %d", len(key), store.MaxDedupeKey)
	}
	now := p.now()
	var seen bool
	err := p.inTx(func(ctx context.Context, tx pgx.Tx) error {
		fresh, err := remember(ctx, tx, key, now)
		seen = !fresh
		return err
	})
	return seen, err
}

// EnqueueOnce adds an outbox row of no incident unless key was seen, in
// one transaction.
func (p *Store) EnqueueOnce(key string, eff incident.Effect) (bool, error) {
	if key == "" || len(key) > store.MaxDedupeKey {
		return false, fmt.Errorf("store: dedupe key must be 1–%d bytes", store.MaxDedupeKey)
	}
	_, dup, err := p.writeTx(func(ctx context.Context, tx pgx.Tx, now time.Time, added map[string]int) (incident.Result, bool, error) {
		if dup, err := seen(ctx, tx, key, now); err != nil || dup {
			return incident.Result{}, dup, err
		}
		if err := insertOutbox(ctx, tx, store.LaneMain, store.OutboxItem{Effect: eff, Created: now.UTC()}); err != nil {
			return incident.Result{}, false, err
		}
		added[store.LaneMain]++
		return incident.Result{}, false, p.notifyLanes(ctx, tx, added)
	})
	return err == nil && !dup, err
}

// PruneDedupe removes every expired dedupe key, in batches that skip
// keys another transaction holds. Every process runs it every pruneEvery.
func (p *Store) PruneDedupe() (int, error) {
	total := 0
	for {
		var n int64
		err := p.inTx(func(ctx context.Context, tx pgx.Tx) error {
			tag, err := tx.Exec(ctx, `DELETE FROM dedupe WHERE key IN (
				SELECT key FROM dedupe WHERE expires <= $1 LIMIT 10000 FOR UPDATE SKIP LOCKED)`, p.now().UnixNano())
			n = tag.RowsAffected()
			return err
		})
		total += int(n)
		if err != nil || n < 10000 {
			return total, err
		}
	}
}
