package store

import (
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/firebreak-hq/firebreak/incident"
)

// Store is the storage contract: every operation the bot, the scheduler,
// intake, paging, the publishers and the operator commands use. Two
// backends satisfy it: *DB (one bbolt file, the embedded default) and the
// PostgreSQL store in store/pgstore (several `firebreak run` processes on
// one database). store/storetest holds the one test suite both pass.
//
// Guarantees every implementation keeps:
//
//   - One use case is one transaction: an incident's new state, its
//     timeline events (Seq assigned by the store, 1, 2, … per incident) and
//     its effects as outbox rows commit together or not at all.
//   - Incident numbers are allocated by the store, increase, and a number
//     that was committed is never handed out again, also after a failed
//     create or a restart.
//   - A dedupe key (ApplyOnce, CreateOnce, RecordAlert, SeenOnce, EnqueueOnce) is
//     recorded in the transaction of the change it guards, so a
//     redelivered command is applied once and a failed one is tried again.
//   - Commands of one incident are applied one after another in the order
//     they were submitted to one handle; across processes (PostgreSQL) the
//     incident's row lock orders them.
//   - An outbox row is returned by Pending to one process at a time (on
//     PostgreSQL a claim with a lease; bbolt has one process) and stays
//     until Done, so an effect is performed once.
//   - The functions passed to Create, Apply, ApplyOnce and RecordAlert may
//     run more than once and must be pure.
type Store interface {
	// Writes of one incident's state (write.go).
	Create(fn func(n uint64) (incident.Result, error)) (incident.Result, error)
	CreateAsync(fn func(n uint64) (incident.Result, error)) *Commit
	CreateWithSlack(rec SlackRecord, fn func(n uint64) (incident.Result, error)) (incident.Result, error)
	// CreateOnce is CreateWithSlack that records key in the same
	// transaction; dup is true, and nothing is written, when key was seen.
	CreateOnce(key string, rec SlackRecord, fn func(n uint64) (incident.Result, error)) (incident.Result, bool, error)
	Apply(n uint64, fn func(incident.Incident) (incident.Result, error)) (incident.Result, error)
	ApplyAsync(n uint64, fn func(incident.Incident) (incident.Result, error)) *Commit
	ApplyOnce(key string, n uint64, fn func(incident.Incident) (incident.Result, error)) (incident.Result, bool, error)

	// Alerts (alerts.go).
	RecordAlert(key, group string, decide func(open *incident.Incident, next uint64) (AlertDecision, error)) (incident.Result, bool, error)
	RecordAlertAsync(key, group string, decide func(open *incident.Incident, next uint64) (AlertDecision, error)) *AlertCommit
	AlertGroupIncident(group string) (uint64, error)

	// Dedupe keys for writes that touch no incident.
	SeenOnce(key string) (bool, error)
	EnqueueOnce(key string, eff incident.Effect) (bool, error)
	PruneDedupe() (int, error)

	// Reads.
	Get(n uint64) (incident.Incident, error)
	ByChannel(channelID string) (incident.Incident, error)
	OpenIncidents() ([]incident.Incident, error)
	List(limit int) ([]incident.Incident, error)
	Events(n uint64) ([]incident.Event, error)
	EventCount(n uint64) (int, error)
	Scan(kinds []incident.EventKind, fn func(inc incident.Incident, events func(func(incident.Event) error) error) error) error
	RecentClosed(since time.Time) ([]incident.Incident, error)
	LatestEvents(n uint64, kind incident.EventKind, limit int) ([]incident.Event, error)

	// The Slack side's record of each incident and publish bookkeeping.
	Slack(n uint64) (SlackRecord, error)
	UpdateSlack(n uint64, fn func(SlackRecord) SlackRecord) (SlackRecord, error)
	Meta(n uint64, key string) (string, error)
	SetMeta(n uint64, key, value string) error

	// The people who have opened App Home, shared by every process
	// (homeviewers.go): AddHomeViewer records one (again: no change),
	// HomeViewers lists them. Not carried by Dump: the set is rebuilt as
	// people open Home again.
	AddHomeViewer(user string) error
	HomeViewers() ([]string, error)

	// The outbox of effects, and the page effects' own lane.
	Pending(limit int) ([]OutboxItem, error)
	PendingFor(n uint64) ([]OutboxItem, error)
	Done(ids ...uint64) error
	Retry(id uint64, notBefore time.Time, lastErr string) error
	OutboxDepth() (int, error)
	Notify() <-chan struct{}
	PageOutbox() Lane

	// TryLead makes this process the leader for name (a scheduled job:
	// reminders, the digest, scheduled backups) until it calls the
	// lease's Release or the lease's Lost channel closes. ok is false
	// when another process leads. bbolt is always the leader (one process
	// holds the file) and never loses the lead; on PostgreSQL the lead is
	// lost when the connection holding it ends (a failover, a cut
	// connection, the backend terminated), and another process may lead
	// from then on.
	TryLead(name string) (lease *Lease, ok bool, err error)

	// Operations.

	// Ping reports whether the database can be read now, with one small
	// read that costs the same however much is stored (readiness).
	Ping() error
	// LastIncident is the highest incident number allocated, read from
	// the counter (cheap, for metrics).
	LastIncident() (uint64, error)
	// Stats counts everything stored; on PostgreSQL it counts rows, which
	// is slow on big tables: for doctor and operator commands, not probes.
	Stats() (Stats, error)
	Check() error
	// BackupFile writes a verified-readable bbolt database file holding
	// everything (on PostgreSQL: a logical export into a new bbolt file),
	// atomically; `verify-backup` and `restore` read it.
	BackupFile(path string) error
	// Dump writes the whole logical content to sink (migrate, the
	// PostgreSQL backup); see copy.go.
	Dump(sink Sink) (Counts, error)
	// Kind is "bbolt" or "postgres"; Where names the file or the server
	// (without a password), for logs and doctor.
	Kind() string
	Where() string
	Close() error
}

// Lane is an outbox of its own for one kind of effect (pages), with the
// outbox's contract: rows in commit order, removed only by Done.
type Lane interface {
	Pending(limit int) ([]OutboxItem, error)
	Done(ids ...uint64) error
	Retry(id uint64, notBefore time.Time, lastErr string) error
	Notify() <-chan struct{}
	Depth() (int, error)
}

var (
	_ Store = (*DB)(nil)
	_ Lane  = (*PageLane)(nil)
)

// NewCommit returns a pending Commit for a backend that performs the
// write itself, and the function that completes it (once).
func NewCommit() (*Commit, func(res incident.Result, dup bool, err error)) {
	c := &Commit{req: &writeReq{done: make(chan struct{})}}
	return c, c.complete
}

// NewAlertCommit is NewCommit for RecordAlertAsync.
func NewAlertCommit() (*AlertCommit, func(res incident.Result, dup bool, err error)) {
	c := &AlertCommit{Commit{req: &writeReq{done: make(chan struct{})}}}
	return c, c.complete
}

func (c *Commit) complete(res incident.Result, dup bool, err error) {
	if err == nil {
		c.res, c.dup = res, dup
	}
	c.req.finish(err)
}

// Lease is a held lead (TryLead).
type Lease struct {
	release func()
	lost    <-chan struct{}
}

// NewLease returns a lease that release ends and that is lost when lost
// closes (nil: never).
func NewLease(release func(), lost <-chan struct{}) *Lease {
	return &Lease{release: release, lost: lost}
}

// Release gives the lead up; it may be called more than once.
func (l *Lease) Release() { l.release() }

// Lost is closed when the lead was lost without Release: the process
// must stop what it leads at once, since another process may lead now.
// It is never closed after Release alone.
func (l *Lease) Lost() <-chan struct{} { return l.lost }

// TryLead: one process holds a bbolt file, so it always leads.
func (d *DB) TryLead(string) (*Lease, bool, error) { return NewLease(func() {}, nil), true, nil }

// Ping reads the schema version in a read transaction.
func (d *DB) Ping() error {
	return d.db.View(func(tx *bolt.Tx) error {
		_, err := schemaOf(tx)
		return err
	})
}

// LastIncident is the incidents bucket's sequence.
func (d *DB) LastIncident() (uint64, error) {
	var n uint64
	err := d.db.View(func(tx *bolt.Tx) error {
		if b := tx.Bucket(bIncidents); b != nil {
			n = b.Sequence()
		}
		return nil
	})
	return n, err
}

// Kind is "bbolt".
func (d *DB) Kind() string { return "bbolt" }

// Where is the database file.
func (d *DB) Where() string { return d.path }

// Dup reports, after Wait, whether the write was a redelivery that the
// store recognised by its dedupe key (ApplyOnce-style writes).
func (c *Commit) Dup() bool { return c.dup }
