package store

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
	"go.uber.org/zap"
)

// Options configures Open.
type Options struct {
	// Timeout is how long Open waits for the file lock; default 1s. A
	// second process on the same file fails with ErrLocked instead of
	// hanging.
	Timeout time.Duration
	// NoSync skips fsync on commit. Only for tests and the throwaway demo
	// database: a crash can lose acknowledged commands.
	NoSync bool
	// Logger receives migration and open/close messages; nil logs nothing.
	Logger *zap.Logger
	// Now is the clock used for outbox Created times and dedupe expiry;
	// default time.Now.
	Now func() time.Time
}

// DB is an open Firebreak database. It is safe for concurrent use.
type DB struct {
	db     *bolt.DB
	path   string
	log    *zap.Logger
	now    func() time.Time
	notify chan struct{}
	com    *committer
	// pages is the outbox lane of page effects (see lane.go).
	pages lane
	// alerts is the set of recent alert dedupe keys (alertdedupe.go).
	alerts alertKeys

	// file is the database file as opened, to notice it being replaced.
	file os.FileInfo

	// noBatch makes writes use one Update each (benchmark comparison).
	noBatch bool
	// fault, when set, is called at named points inside write
	// transactions; a non-nil return aborts the transaction (fault tests).
	fault func(stage string) error
}

// DefaultTimeout is how long Open waits for another process's lock.
const DefaultTimeout = time.Second

// Open opens or creates the database at path and migrates it up to
// SchemaVersion. A file written by a newer binary is refused with
// ErrNewerSchema; a file locked by another process with ErrLocked.
func Open(path string, opt Options) (*DB, error) {
	return open(path, opt, false)
}

func open(path string, opt Options, readOnly bool) (d *DB, err error) {
	defer guardFaults()()
	var bdb *bolt.DB
	defer func() {
		if r := recover(); r != nil {
			if bdb != nil {
				_ = bdb.Close()
			}
			d, err = nil, fmt.Errorf("open %s: reading the file failed (%v): %w", path, r, ErrCorrupt)
		}
	}()
	if opt.Timeout <= 0 {
		opt.Timeout = DefaultTimeout
	}
	if opt.Logger == nil {
		opt.Logger = zap.NewNop()
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	log := opt.Logger.Named("store")
	bdb, err = openBolt(path, &bolt.Options{Timeout: opt.Timeout, NoSync: opt.NoSync, ReadOnly: readOnly})
	if err != nil {
		return nil, err
	}
	d = &DB{db: bdb, path: path, log: log, now: opt.Now, notify: make(chan struct{}, 1)}
	d.pages = lane{d: d, bucket: bPageOutbox, notify: make(chan struct{}, 1)}
	if readOnly {
		err = bdb.View(func(tx *bolt.Tx) error {
			v, err := schemaOf(tx)
			if err != nil {
				return err
			}
			if v != SchemaVersion {
				return fmt.Errorf("store: read-only open of %s needs schema %d, file has %d", path, SchemaVersion, v)
			}
			return nil
		})
	} else {
		err = bdb.Update(func(tx *bolt.Tx) error {
			return migrateTx(tx, SchemaVersion, log)
		})
	}
	if err != nil {
		_ = bdb.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	if err = d.loadAlertKeys(opt.Now()); err != nil {
		_ = bdb.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	if !readOnly {
		d.com = newCommitter(bdb)
	}
	if fi, err := os.Stat(path); err == nil {
		d.file = fi
	}
	log.Debug("opened", zap.String("path", path), zap.Int("schema", SchemaVersion))
	return d, nil
}

// openBolt opens the bbolt file and turns bbolt's errors into ours.
func openBolt(path string, o *bolt.Options) (db *bolt.DB, err error) {
	defer guardFaults()()
	defer func() {
		// A garbage file can make bbolt panic while reading its meta pages.
		if r := recover(); r != nil {
			db, err = nil, fmt.Errorf("open %s: %v: %w", path, r, ErrCorrupt)
		}
	}()
	db, err = bolt.Open(path, 0o600, o)
	switch {
	case err == nil:
		return db, nil
	case errors.Is(err, berrors.ErrTimeout):
		return nil, &lockedError{path: path}
	case errors.Is(err, berrors.ErrInvalid), errors.Is(err, berrors.ErrChecksum),
		errors.Is(err, berrors.ErrVersionMismatch):
		return nil, fmt.Errorf("open %s: %v: %w", path, err, ErrCorrupt)
	}
	var pe *fs.PathError
	if errors.As(err, &pe) && pe.Path == path {
		return nil, err // names the file already
	}
	return nil, fmt.Errorf("open %s: %w", path, err)
}

// Close releases the file lock. Writes already submitted commit first;
// later ones fail with ErrClosed.
func (d *DB) Close() error {
	if d.com != nil {
		d.com.close()
	}
	return d.db.Close()
}

// Replaced reports whether the file at Path is no longer the one this DB
// opened: removed, or another file renamed over it (a restore with
// --force, a copy by hand). Writes then go to the old, unlinked file, and
// whoever opens Path next does not see them.
func (d *DB) Replaced() bool {
	if d.file == nil {
		return false
	}
	fi, err := os.Stat(d.path)
	return err != nil || !os.SameFile(fi, d.file)
}

// Path is the database file.
func (d *DB) Path() string { return d.path }

// Notify is signalled (non-blocking, buffered 1) after every commit that
// added outbox rows, so outbox workers wake without polling. One signal may
// stand for many commits: drain with Pending until it returns nothing.
func (d *DB) Notify() <-chan struct{} { return d.notify }

func (d *DB) signal(added int) {
	if added == 0 {
		return
	}
	select {
	case d.notify <- struct{}{}:
	default:
	}
}

// write runs fn in a read-write transaction shared with concurrent
// writers (group commit) and returns once it is durable. fn may run more
// than once (see package doc); only the last run commits.
func (d *DB) write(fn func(tx *bolt.Tx) error) error {
	r := d.submit(fn, nil)
	<-r.done
	return r.err
}

// submit queues fn for the group committer without waiting; after (may
// be nil) receives the outcome before the request's done closes.
func (d *DB) submit(fn func(tx *bolt.Tx) error, after func(error)) *writeReq {
	if d.noBatch || d.com == nil {
		r := &writeReq{done: make(chan struct{}), after: after}
		err := d.db.Update(func(tx *bolt.Tx) error {
			if err := fn(tx); err != nil {
				return err
			}
			return syncSequences(tx)
		})
		var ce cleanError
		if errors.As(err, &ce) {
			err = ce.err
		}
		r.finish(err)
		return r
	}
	return d.com.submit(fn, after)
}

func (d *DB) hook(stage string) error {
	if d.fault == nil {
		return nil
	}
	return d.fault(stage)
}

// Stats is a snapshot of the database's size, for metrics and `version`.
type Stats struct {
	Schema      int    // schema version of the file
	Incidents   int    // all incidents ever declared
	Open        int    // incidents not closed
	Events      int    // timeline events, all incidents
	Outbox      int    // effects not yet performed
	Dedupe      int    // remembered dedupe keys (including expired, not yet pruned)
	Slack       int    // incidents with a Slack record (card ts, reply URL…)
	MaxIncident uint64 // highest incident number allocated
	SizeBytes   int64  // file size
}

// Stats counts without decoding records.
func (d *DB) Stats() (Stats, error) {
	var s Stats
	err := d.db.View(func(tx *bolt.Tx) error {
		var err error
		s, err = statsTx(tx)
		s.SizeBytes = tx.Size()
		return err
	})
	return s, err
}

func statsTx(tx *bolt.Tx) (Stats, error) {
	var s Stats
	v, err := schemaOf(tx)
	if err != nil {
		return s, err
	}
	s.Schema = v
	count := func(name []byte) int {
		if b := tx.Bucket(name); b != nil {
			return b.Stats().KeyN
		}
		return 0
	}
	s.Incidents = count(bIncidents)
	s.Outbox = count(bOutbox)
	s.Dedupe = count(bDedupe) + count(bAlertDedupe)
	s.Slack = count(bSlack)
	if b := tx.Bucket(bIncidents); b != nil {
		s.MaxIncident = b.Sequence()
	}
	switch {
	case v >= 2:
		s.Open = count(bOpen)
		eb := tx.Bucket(bEvents)
		if eb == nil {
			return s, fmt.Errorf("no events bucket: %w", ErrCorrupt)
		}
		err = eb.ForEachBucket(func(k []byte) error {
			s.Events += eb.Bucket(k).Stats().KeyN
			return nil
		})
	default: // v1: flat events bucket, no open index
		s.Events = count(bEvents)
		s.Open, err = countOpenByScan(tx)
	}
	return s, err
}

// Check runs bbolt's page-level consistency check and the store's own
// invariants (indexes agree with records, sequences cover keys, records
// decode). Tests call it at cleanup; `verify-backup` runs the same check.
func (d *DB) Check() error {
	return d.db.View(checkTx)
}
