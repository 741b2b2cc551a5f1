package store

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	bolt "go.etcd.io/bbolt"

	"github.com/firebreak-hq/firebreak/incident"
)

// A database's logical content, as Dump hands it over: enough to build an
// equal database on another backend (`firebreak migrate`) or a bbolt file
// from PostgreSQL (its backup). Stored forms are the same on both
// backends — incident, event, Slack record and outbox row JSON — so a copy
// decodes and encodes nothing it does not have to. The App Home viewer set
// (AddHomeViewer) is not part of it: it rebuilds itself as people open
// Home again.

// Lane names of outbox rows.
const (
	LaneMain = "main"
	LanePage = "page"
)

// Sequences are the last numbers allocated: a copy continues from them, so
// no incident number or outbox id is reused after a migration.
type Sequences struct {
	Incidents uint64 `json:"incidents"`
	Outbox    uint64 `json:"outbox"`
	Pages     uint64 `json:"pages"`
}

// IncidentRecord is one incident with everything kept beside it.
type IncidentRecord struct {
	Incident incident.Incident
	Events   []incident.Event
	Slack    SlackRecord
	Meta     map[string]string
}

// Sink receives a Dump: every incident in number order, then the outbox
// rows of both lanes, dedupe keys, alert groups and, last, the sequences.
type Sink interface {
	Incident(r IncidentRecord) error
	Outbox(lane string, it OutboxItem) error
	Dedupe(key string, expiresUnixNano int64) error
	AlertGroup(group string, n uint64) error
	Sequences(s Sequences) error
}

// Counts is what a copy moved, compared between source and target.
type Counts struct {
	Incidents   int    `json:"incidents"`
	Events      int    `json:"events"`
	Slack       int    `json:"slack"`
	Meta        int    `json:"meta"`
	Outbox      int    `json:"outbox"`
	Pages       int    `json:"pages"`
	Dedupe      int    `json:"dedupe"`
	AlertGroups int    `json:"alert_groups"`
	MaxIncident uint64 `json:"max_incident"`
}

func (c Counts) String() string {
	return fmt.Sprintf("%d incidents (last INC-%d), %d events, %d Slack records, %d meta values, %d pending effects, %d pending pages, %d dedupe keys, %d alert groups",
		c.Incidents, c.MaxIncident, c.Events, c.Slack, c.Meta, c.Outbox, c.Pages, c.Dedupe, c.AlertGroups)
}

// Counter tallies what passes through a Sink; wrap a sink with it.
type Counter struct {
	Next Sink
	C    Counts
}

func (c *Counter) Incident(r IncidentRecord) error {
	c.C.Incidents++
	c.C.Events += len(r.Events)
	if r.Slack != (SlackRecord{}) {
		c.C.Slack++
	}
	c.C.Meta += len(r.Meta)
	return c.Next.Incident(r)
}

func (c *Counter) Outbox(lane string, it OutboxItem) error {
	if lane == LanePage {
		c.C.Pages++
	} else {
		c.C.Outbox++
	}
	return c.Next.Outbox(lane, it)
}

func (c *Counter) Dedupe(key string, exp int64) error {
	c.C.Dedupe++
	return c.Next.Dedupe(key, exp)
}

func (c *Counter) AlertGroup(group string, n uint64) error {
	c.C.AlertGroups++
	return c.Next.AlertGroup(group, n)
}

func (c *Counter) Sequences(s Sequences) error {
	c.C.MaxIncident = s.Incidents
	return c.Next.Sequences(s)
}

// Dump reads the whole database in one read transaction (a consistent
// snapshot) and hands it to sink.
func (d *DB) Dump(sink Sink) (Counts, error) {
	cnt := &Counter{Next: sink}
	err := d.db.View(func(tx *bolt.Tx) error { return dumpTx(tx, cnt) })
	return cnt.C, err
}

func dumpTx(tx *bolt.Tx, sink Sink) error {
	ib := tx.Bucket(bIncidents)
	err := ib.ForEach(func(k, v []byte) error {
		n, inc, err := decodeIncidentAt(k, v)
		if err != nil {
			return err
		}
		r := IncidentRecord{Incident: inc}
		if eb := tx.Bucket(bEvents).Bucket(k); eb != nil {
			err := eb.ForEach(func(ek, sv []byte) error {
				e, err := decodeEvent(n, ek, sv)
				if err != nil {
					return err
				}
				r.Events = append(r.Events, e)
				return nil
			})
			if err != nil {
				return err
			}
		}
		if r.Slack, err = slackTx(tx, n); err != nil {
			return err
		}
		if pb := tx.Bucket(bPubmeta).Bucket(k); pb != nil {
			r.Meta = map[string]string{}
			err := pb.ForEach(func(mk, sv []byte) error {
				v, err := unseal(mk, sv)
				if err != nil {
					return fmt.Errorf("%s meta: %w", incident.ID(n), err)
				}
				r.Meta[string(mk)] = string(v)
				return nil
			})
			if err != nil {
				return err
			}
		}
		return sink.Incident(r)
	})
	if err != nil {
		return err
	}
	for _, l := range []struct {
		name   string
		bucket []byte
	}{{LaneMain, bOutbox}, {LanePage, bPageOutbox}} {
		b := tx.Bucket(l.bucket)
		if b == nil {
			continue
		}
		if err := b.ForEach(func(k, v []byte) error {
			it, err := decodeItem(k, v)
			if err != nil {
				return err
			}
			return sink.Outbox(l.name, it)
		}); err != nil {
			return err
		}
	}
	if err := copyDedupe(tx, sink); err != nil {
		return err
	}
	if gb := tx.Bucket(bAlertGroups); gb != nil {
		if err := gb.ForEach(func(k, v []byte) error {
			n, err := unsealU64(k, v)
			if err != nil {
				return fmt.Errorf("alert group: %w", err)
			}
			return sink.AlertGroup(string(k), n)
		}); err != nil {
			return err
		}
	}
	seq := Sequences{Incidents: ib.Sequence(), Outbox: tx.Bucket(bOutbox).Sequence()}
	if pb := tx.Bucket(bPageOutbox); pb != nil {
		seq.Pages = pb.Sequence()
	}
	return sink.Sequences(seq)
}

// Load fills an empty database from src's Dump in one transaction, then
// checks it. It refuses a database that holds any incident or outbox row.
// Used to write a bbolt file from PostgreSQL (its backup) and in tests.
func (d *DB) Load(src Store) (Counts, error) {
	var cnt Counts
	err := d.write(func(tx *bolt.Tx) error {
		if tx.Bucket(bIncidents).Stats().KeyN > 0 || tx.Bucket(bOutbox).Stats().KeyN > 0 {
			return refusedf("store: %s is not empty; load only into a new database", d.path)
		}
		var err error
		cnt, err = src.Dump(&boltSink{d: d, tx: tx})
		return err
	})
	if err != nil {
		return Counts{}, err
	}
	return cnt, d.Check()
}

// boltSink writes a Dump into a read-write transaction.
type boltSink struct {
	d  *DB
	tx *bolt.Tx
}

func (s *boltSink) Incident(r IncidentRecord) error {
	n := r.Incident.Number
	res := incident.Result{Incident: r.Incident}
	if _, err := s.d.persist(s.tx, nil, n, &res); err != nil {
		return err
	}
	key := u64(n)
	if len(r.Events) > 0 {
		eb, err := s.tx.Bucket(bEvents).CreateBucketIfNotExists(key)
		if err != nil {
			return err
		}
		var last uint64
		for _, e := range r.Events {
			v, err := json.Marshal(e)
			if err != nil {
				return err
			}
			if err := eb.Put(u64(e.Seq), seal(u64(e.Seq), v)); err != nil {
				return err
			}
			last = max(last, e.Seq)
		}
		if err := eb.SetSequence(last); err != nil {
			return err
		}
	}
	if err := putSlackTx(s.tx, n, r.Slack); err != nil {
		return err
	}
	if len(r.Meta) > 0 {
		pb, err := s.tx.Bucket(bPubmeta).CreateBucketIfNotExists(key)
		if err != nil {
			return err
		}
		for k, v := range r.Meta {
			if err := pb.Put([]byte(k), seal([]byte(k), []byte(v))); err != nil {
				return err
			}
		}
	}
	return nil
}

func (s *boltSink) Outbox(lane string, it OutboxItem) error {
	b := s.tx.Bucket(bOutbox)
	if lane == LanePage {
		var err error
		if b, err = s.tx.CreateBucketIfNotExists(bPageOutbox); err != nil {
			return err
		}
	}
	v, err := json.Marshal(it)
	if err != nil {
		return err
	}
	return b.Put(u64(it.ID), seal(u64(it.ID), v))
}

func (s *boltSink) Dedupe(key string, exp int64) error {
	k := []byte(key)
	if err := s.tx.Bucket(bDedupe).Put(k, seal(k, u64(uint64(exp)))); err != nil {
		return err
	}
	return s.tx.Bucket(bDedupeExp).Put(expKey(uint64(exp), k), nil)
}

func (s *boltSink) AlertGroup(group string, n uint64) error {
	gb, err := s.tx.CreateBucketIfNotExists(bAlertGroups)
	if err != nil {
		return err
	}
	return gb.Put([]byte(group), seal([]byte(group), u64(n)))
}

func (s *boltSink) Sequences(q Sequences) error {
	if err := s.tx.Bucket(bIncidents).SetSequence(q.Incidents); err != nil {
		return err
	}
	if err := s.tx.Bucket(bOutbox).SetSequence(q.Outbox); err != nil {
		return err
	}
	if q.Pages > 0 {
		pb, err := s.tx.CreateBucketIfNotExists(bPageOutbox)
		if err != nil {
			return err
		}
		if err := pb.SetSequence(q.Pages); err != nil {
			return err
		}
	}
	return nil
}

// CountOf counts s's content by reading all of it, as a copy would.
func CountOf(s Store) (Counts, error) { return s.Dump(nullSink{}) }

type nullSink struct{}

func (nullSink) Incident(IncidentRecord) error   { return nil }
func (nullSink) Outbox(string, OutboxItem) error { return nil }
func (nullSink) Dedupe(string, int64) error      { return nil }
func (nullSink) AlertGroup(string, uint64) error { return nil }
func (nullSink) Sequences(Sequences) error       { return nil }

// WriteFile writes src's whole content as a new bbolt database file at
// path, atomically (a temporary file beside it, fsync, rename): the
// logical backup of a PostgreSQL database, which `verify-backup` checks
// and `restore` puts in place like any bbolt backup.
func WriteFile(path string, src Store) (Counts, error) {
	if err := CheckBackupTarget("", path); err != nil {
		return Counts{}, err
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return Counts{}, err
	}
	tmp := f.Name()
	_ = f.Close()
	_ = os.Remove(tmp)
	ok := false
	defer func() {
		if !ok {
			_ = os.Remove(tmp)
		}
	}()
	d, err := Open(tmp, Options{})
	if err != nil {
		return Counts{}, err
	}
	cnt, err := d.Load(src)
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return Counts{}, err
	}
	if err := os.Chmod(tmp, 0o600); err != nil {
		return Counts{}, err
	}
	if err := os.Rename(tmp, path); err != nil {
		return Counts{}, err
	}
	ok = true
	return cnt, syncDir(filepath.Dir(path))
}

// copyDedupe sends every dedupe key once, with its latest expiry: the
// dedupe bucket and, from v5, the alert keys in arrival order (where a
// key can be twice until its expired entry is pruned).
func copyDedupe(tx *bolt.Tx, sink Sink) error {
	exps := map[string]uint64{}
	if err := tx.Bucket(bDedupe).ForEach(func(k, v []byte) error {
		exp, err := unsealU64(k, v)
		if err != nil {
			return fmt.Errorf("dedupe key: %w", err)
		}
		exps[string(k)] = exp
		return nil
	}); err != nil {
		return err
	}
	if ab := tx.Bucket(bAlertDedupe); ab != nil {
		if err := ab.ForEach(func(k, v []byte) error {
			if _, err := unseal(k, v); err != nil || len(k) <= 8 {
				return fmt.Errorf("alert dedupe key %x: %w", k, ErrCorrupt)
			}
			if exp := binary.BigEndian.Uint64(k); exp > exps[string(k[8:])] {
				exps[string(k[8:])] = exp
			}
			return nil
		}); err != nil {
			return err
		}
	}
	keys := make([]string, 0, len(exps))
	for k := range exps {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if err := sink.Dedupe(k, int64(exps[k])); err != nil {
			return err
		}
	}
	return nil
}
