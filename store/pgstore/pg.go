// Package pgstore is Firebreak's PostgreSQL store: the store.Store
// contract on one PostgreSQL 13+ database that several `firebreak run`
// processes share.
//
// How the contract's guarantees hold across processes:
//
//   - One use case is one transaction (READ COMMITTED): the incident row,
//     its events and its outbox rows are written together, and a
//     pg_notify in the same transaction wakes the outbox runners of every
//     process once it commits.
//   - Apply takes the incident's row lock (SELECT … FOR UPDATE) before
//     reading it, so commands of one incident apply one after another in
//     whichever process they arrive. Event sequence numbers come from the
//     locked row (last_seq).
//   - Incident numbers come from a counter row updated in the creating
//     transaction: a rolled-back create allocates nothing, a committed
//     number is never handed out again.
//   - Dedupe keys are a primary key inserted in the guarded transaction:
//     a second process with the same key waits for the first and then
//     sees it; a key whose change rolled back was never recorded.
//   - Outbox rows are claimed (claimed_by, lease_until) with FOR UPDATE
//     SKIP LOCKED, one incident's rows by one process at a time so its
//     effects stay in commit order; a process renews its leases while it
//     lives, and a dead process's claims expire after the lease.
//   - Leaders for scheduled jobs hold a session advisory lock (TryLead),
//     released when their connection ends.
//
// Stored forms are the bbolt store's: incident, event, Slack record and
// outbox row JSON as encoding/json writes them, so `firebreak migrate` is
// a copy.
package pgstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"go.uber.org/zap"

	"github.com/firebreak-hq/firebreak/store"
)

// Options configures Open.
type Options struct {
	// Logger receives migration and connection messages; nil logs nothing.
	Logger *zap.Logger
	// Now is the clock for outbox Created times and dedupe expiry (as
	// bbolt's); leases use the database's clock. Default time.Now.
	Now func() time.Time
	// Lease is how long an outbox claim outlives its process; default
	// DefaultLease. Renewed every Lease/3 while the process runs.
	Lease time.Duration
	// Poll is how often the outbox runners are woken when no
	// notification arrives (a lost LISTEN connection); default 5s.
	Poll time.Duration
	// Owner names this process in claims; default host-pid-random.
	Owner string
	// LeadCheck is how often a held lead (TryLead) is checked; default
	// DefaultLeadCheck.
	LeadCheck time.Duration
	// MaxConns bounds the connection pool; default 16 (unless the URL
	// sets pool_max_conns).
	MaxConns int32
}

// DefaultLeadCheck is how often the connection holding a lead is asked
// whether it still holds its lock.
const DefaultLeadCheck = 3 * time.Second

// DefaultLease is how long a dead process's outbox claims last.
const DefaultLease = 30 * time.Second

// Store is an open PostgreSQL database. It is safe for concurrent use.
type Store struct {
	pool  *pgxpool.Pool
	where string
	log   *zap.Logger
	now   func() time.Time
	lease time.Duration
	// leadCheck is how often a held lead's connection is checked.
	leadCheck time.Duration
	owner     string
	// schema is the search_path schema the tables live in; the LISTEN
	// channel and the advisory lock keys are derived from it, so
	// databases in different schemas never wake or lock each other.
	schema, channel string

	notify, pageNotify chan struct{}

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	chainMu sync.Mutex
	chains  map[string]chan struct{}

	// leads are the connections holding TryLead's locks, closed on Close.
	leadMu  sync.Mutex
	leads   map[int]func()
	leadSeq int

	faultMu sync.Mutex
	fault   func(stage string) error

	closed    atomic.Bool    // Close began: new writes are refused
	shut      atomic.Bool    // the pool is closing: every write is refused
	inflight  sync.WaitGroup // async writes submitted
	txs       sync.WaitGroup // transactions running
	closeOnce sync.Once
	// abandoned: Abandon closed without releasing claims.
	abandoned bool
}

var _ store.Store = (*Store)(nil)

// IsURL reports whether db names a PostgreSQL database rather than a
// bbolt file.
func IsURL(db string) bool {
	u, err := url.Parse(db)
	return err == nil && (u.Scheme == "postgres" || u.Scheme == "postgresql")
}

// Redact returns dsn without its password, for messages.
func Redact(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return "postgres://…"
	}
	if u.User != nil {
		if _, ok := u.User.Password(); ok {
			u.User = url.UserPassword(u.User.Username(), "xxx")
		}
	}
	return u.String()
}

// Open connects, migrates the schema up to SchemaVersion (under an
// advisory lock, so replicas starting together migrate once) and starts
// listening for outbox notifications.
func Open(dsn string, opt Options) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("database URL %s: %w", Redact(dsn), err)
	}
	if opt.MaxConns > 0 {
		cfg.MaxConns = opt.MaxConns
	} else if u, _ := url.Parse(dsn); u == nil || u.Query().Get("pool_max_conns") == "" {
		cfg.MaxConns = 16
	}
	if opt.Logger == nil {
		opt.Logger = zap.NewNop()
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	opt.Lease = positive(opt.Lease, DefaultLease)
	opt.LeadCheck = positive(opt.LeadCheck, DefaultLeadCheck)
	opt.Poll = positive(opt.Poll, 5*time.Second)
	if opt.Owner == "" {
		host, _ := os.Hostname()
		b := make([]byte, 4)
		_, _ = rand.Read(b)
		opt.Owner = fmt.Sprintf("%s-%d-%s", host, os.Getpid(), hex.EncodeToString(b))
	}
	ctx, cancel := context.WithCancel(context.Background())
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		cancel()
		return nil, fmt.Errorf("database %s: %w", Redact(dsn), err)
	}
	p := &Store{pool: pool, where: Redact(dsn), log: opt.Logger.Named("store"), now: opt.Now,
		lease: opt.Lease, leadCheck: opt.LeadCheck, owner: opt.Owner, notify: make(chan struct{}, 1), pageNotify: make(chan struct{}, 1),
		ctx: ctx, cancel: cancel, chains: map[string]chan struct{}{}}
	octx, ocancel := context.WithTimeout(ctx, 30*time.Second)
	defer ocancel()
	if err := pool.QueryRow(octx, `SELECT current_schema()`).Scan(&p.schema); err != nil {
		p.closePool()
		return nil, fmt.Errorf("database %s does not answer: %w", p.where, err)
	}
	if p.schema == "" {
		p.closePool()
		return nil, fmt.Errorf("database %s: no schema on the search_path to create tables in", p.where)
	}
	p.channel = "firebreak_" + p.schema
	if err := migrate(octx, pool, SchemaVersion, p.log); err != nil {
		p.closePool()
		return nil, fmt.Errorf("database %s: %w", p.where, err)
	}
	p.wg.Add(3)
	go p.listen(opt.Poll)
	go p.every(p.lease/3, "renew outbox leases", p.renewLeases)
	go p.every(pruneEvery, "remove expired dedupe keys", func() error { _, err := p.PruneDedupe(); return err })
	p.log.Debug("opened", zap.String("db", p.where), zap.String("schema", p.schema), zap.String("owner", p.owner))
	return p, nil
}

func (p *Store) closePool() {
	p.cancel()
	p.pool.Close()
}

// Close releases this process's outbox claims (another process may take
// them at once) and closes the pool. Writes already submitted finish
// first.
func (p *Store) Close() error {
	p.closeOnce.Do(func() {
		p.chainMu.Lock() // no async write starts after this
		p.closed.Store(true)
		p.chainMu.Unlock()
		p.waitChains()
		p.chainMu.Lock() // no transaction starts after this
		p.shut.Store(true)
		p.chainMu.Unlock()
		p.txs.Wait()
		if !p.abandoned {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			_, err := p.pool.Exec(ctx, `UPDATE outbox SET claimed_by = NULL, lease_until = NULL WHERE claimed_by = $1`, p.owner)
			cancel()
			if err != nil {
				p.log.Warn("could not release outbox claims; they expire after the lease", zap.Error(err))
			}
		}
		p.leadMu.Lock()
		leads := p.leads
		p.leads = nil
		p.leadMu.Unlock()
		for _, release := range leads {
			release()
		}
		p.cancel()
		p.wg.Wait()
		p.pool.Close()
	})
	return nil
}

// Abandon closes the store as a killed process would leave it: its outbox
// claims stay until their lease expires. For tests of lease expiry.
func (p *Store) Abandon() {
	p.abandoned = true
	_ = p.Close()
}

// Closed reports whether Close (or Abandon) was called.
func (p *Store) Closed() bool { return p.closed.Load() }

// Owner is the name this process's claims carry.
func (p *Store) Owner() string { return p.owner }

// Kind is "postgres".
func (p *Store) Kind() string { return "postgres" }

// Where is the database URL without its password.
func (p *Store) Where() string { return p.where }

// Schema is the PostgreSQL schema holding the tables.
func (p *Store) Schema() string { return p.schema }

// Pool is the connection pool, for operator commands and tests.
func (p *Store) Pool() *pgxpool.Pool { return p.pool }

// SetFault installs f, called at the named stages inside every write
// transaction ("incident", "events", "outbox"), as bbolt's SetFault; a
// non-nil return rolls the transaction back. For tests.
func (p *Store) SetFault(f func(stage string) error) {
	p.faultMu.Lock()
	p.fault = f
	p.faultMu.Unlock()
}

func (p *Store) hook(stage string) error {
	p.faultMu.Lock()
	f := p.fault
	p.faultMu.Unlock()
	if f == nil {
		return nil
	}
	return f(stage)
}

// Notify is signalled after commits that added main outbox rows, in this
// process or (through LISTEN/NOTIFY) any other, and every Poll interval.
func (p *Store) Notify() <-chan struct{} { return p.notify }

func signal(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// listen waits for the outbox notifications of every process; while the
// listening connection is down it only polls.
func (p *Store) listen(poll time.Duration) {
	defer p.wg.Done()
	tick := time.NewTicker(poll)
	defer tick.Stop()
	go func() {
		for {
			select {
			case <-p.ctx.Done():
				return
			case <-tick.C:
				signal(p.notify)
				signal(p.pageNotify)
			}
		}
	}()
	for p.ctx.Err() == nil {
		err := p.listenOnce()
		if p.ctx.Err() != nil {
			return
		}
		p.log.Warn("outbox notifications lost; polling until the connection is back", zap.Error(err))
		select {
		case <-p.ctx.Done():
			return
		case <-time.After(time.Second):
		}
	}
}

func (p *Store) listenOnce() error {
	conn, err := p.pool.Acquire(p.ctx)
	if err != nil {
		return err
	}
	// The connection ran LISTEN: it must not go back to the pool.
	defer func() { _ = conn.Hijack().Close(context.Background()) }()
	if _, err := conn.Exec(p.ctx, "LISTEN "+pgx.Identifier{p.channel}.Sanitize()); err != nil {
		return err
	}
	// Rows committed while nobody listened.
	signal(p.notify)
	signal(p.pageNotify)
	for {
		n, err := conn.Conn().WaitForNotification(p.ctx)
		if err != nil {
			return err
		}
		if n.Payload == store.LanePage {
			signal(p.pageNotify)
		} else {
			signal(p.notify)
		}
	}
}

// every runs fn every interval until the store closes; an error while it is
// open is logged as what could not be done. It is one of p.wg's goroutines.
func (p *Store) every(interval time.Duration, what string, fn func() error) {
	defer p.wg.Done()
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-p.ctx.Done():
			return
		case <-t.C:
			if err := fn(); err != nil && p.ctx.Err() == nil {
				p.log.Warn("could not "+what, zap.Error(err))
			}
		}
	}
}

// renewLeases keeps this process's outbox claims alive.
func (p *Store) renewLeases() error {
	ctx, cancel := context.WithTimeout(p.ctx, p.lease/3)
	defer cancel()
	_, err := p.pool.Exec(ctx, `UPDATE outbox SET lease_until = now() + make_interval(secs => $2) WHERE claimed_by = $1`, p.owner, p.lease.Seconds())
	return err
}

// pruneEvery is how often each process removes expired dedupe keys
// (bbolt removes a few on every dedupe write instead).
const pruneEvery = 10 * time.Minute

// TryLead makes this process the leader for name while it holds the
// returned lease: a session advisory lock on a connection kept out of
// the pool. PostgreSQL releases it when the connection ends, so a killed
// leader is replaced as soon as its connection is gone. Every LeadCheck
// the holding connection is asked whether it still holds the lock; when
// it cannot answer within the check's timeout, or answers no (the
// backend was terminated, the server failed over, the connection was
// cut), the lease's Lost channel closes.
func (p *Store) TryLead(name string) (*store.Lease, bool, error) {
	ctx, cancel := context.WithTimeout(p.ctx, 10*time.Second)
	defer cancel()
	conn, err := p.pool.Acquire(ctx)
	if err != nil {
		return nil, false, storeErr(err)
	}
	var ok bool
	key := p.lockKey("lead:" + name)
	if err := conn.QueryRow(ctx, `SELECT pg_try_advisory_lock(hashtextextended($1, 0))`, key).Scan(&ok); err != nil {
		conn.Release()
		return nil, false, storeErr(err)
	}
	if !ok {
		conn.Release()
		return nil, false, nil
	}
	l := &lead{c: conn.Hijack(), key: key, stop: make(chan struct{}), lost: make(chan struct{}), watched: make(chan struct{})}
	p.leadMu.Lock()
	if p.leads == nil {
		p.leads = map[int]func(){}
	}
	p.leadSeq++
	id := p.leadSeq
	p.leads[id] = l.end
	p.leadMu.Unlock()
	go l.watch(p.leadCheck, p.log.With(zap.String("lead", name)))
	return store.NewLease(func() {
		p.leadMu.Lock()
		delete(p.leads, id)
		p.leadMu.Unlock()
		l.end()
	}, l.lost), true, nil
}

// lead is one held advisory lock and the connection holding it.
type lead struct {
	mu      sync.Mutex // serialises use of c
	c       *pgx.Conn
	key     string
	stop    chan struct{} // closed by end: the watcher returns
	lost    chan struct{} // closed by the watcher when the lock is gone
	watched chan struct{} // closed when the watcher has returned
	endOnce sync.Once
}

// watch asks the holding connection every interval whether it still
// holds the lock, and closes lost (and the connection) when it does not.
func (l *lead) watch(interval time.Duration, log *zap.Logger) {
	defer close(l.watched)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-l.stop:
			return
		case <-t.C:
		}
		l.mu.Lock()
		ctx, cancel := context.WithTimeout(context.Background(), leadCheckTimeout(interval))
		var held bool
		err := l.c.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid() AND granted)`).Scan(&held)
		cancel()
		if err == nil && held {
			l.mu.Unlock()
			continue
		}
		cctx, ccancel := context.WithTimeout(context.Background(), time.Second)
		_ = l.c.Close(cctx)
		ccancel()
		l.mu.Unlock()
		log.Warn("lost the lead: the connection holding its lock ended", zap.Error(err), zap.Bool("held", held))
		close(l.lost)
		return
	}
}

// end stops the watcher, then unlocks and closes the connection.
func (l *lead) end() {
	l.endOnce.Do(func() {
		close(l.stop)
		<-l.watched
		l.mu.Lock()
		defer l.mu.Unlock()
		if l.c.IsClosed() {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		// Unlocked before the connection ends, so that whoever asks
		// next finds it free (a closing session lets go of its locks
		// only once the server has noticed).
		_, _ = l.c.Exec(ctx, `SELECT pg_advisory_unlock(hashtextextended($1, 0))`, l.key)
		_ = l.c.Close(ctx)
	})
}

// leadCheckTimeout is how long one check of a held lead may take: a
// connection that does not answer within it counts as lost.
func leadCheckTimeout(interval time.Duration) time.Duration {
	return min(max(interval, 500*time.Millisecond), 5*time.Second)
}

func (p *Store) lockKey(name string) string { return p.schema + ":" + name }

// storeErr maps PostgreSQL's errors to the store's sentinels.
func storeErr(err error) error {
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		return err
	}
	switch {
	case pe.Code == "53100": // disk_full
		return fmt.Errorf("%w: %w", store.ErrNoSpace, err)
	case pe.Code == "25006": // read_only_sql_transaction
		return fmt.Errorf("%w: %w", store.ErrReadOnly, err)
	case pe.Code == "23505": // unique_violation
		return fmt.Errorf("%w: %w", store.ErrConflict, err)
	}
	return err
}

func isUndefinedTable(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "42P01"
}

// positive is v, or def when v is not above zero (unset).
func positive(v, def time.Duration) time.Duration {
	if v <= 0 {
		return def
	}
	return v
}
