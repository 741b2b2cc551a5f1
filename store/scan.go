package store

import (
	"bytes"
	"encoding/json"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/firebreak-hq/firebreak/incident"
)

// scanBatch is how many incidents one read transaction of Scan covers, so
// a long report never holds a read transaction (and bbolt's remap) for
// its whole run.
const scanBatch = 256

// Scan calls fn for every incident, oldest first. events streams that
// incident's timeline one event at a time, decoding only the events whose
// kind is in kinds (every event when kinds is empty): a report over a
// million events reads them through a cursor and never holds them all.
// events is valid only during fn.
func (d *DB) Scan(kinds []incident.EventKind, fn func(inc incident.Incident, events func(func(incident.Event) error) error) error) error {
	var needles [][]byte
	for _, k := range kinds {
		b, _ := json.Marshal(string(k))
		needles = append(needles, append([]byte(`"kind":`), b...))
	}
	var after []byte
	for {
		done := true
		err := d.db.View(func(tx *bolt.Tx) error {
			c := tx.Bucket(bIncidents).Cursor()
			k, v := c.First()
			if after != nil {
				k, v = c.Seek(after)
				if k != nil && bytes.Equal(k, after) {
					k, v = c.Next()
				}
			}
			for i := 0; k != nil; k, v = c.Next() {
				if i == scanBatch {
					done = false
					releaseMapped(d.db, tx)
					return nil
				}
				i++
				after = append(after[:0], k...)
				n, inc, err := decodeIncidentAt(k, v)
				if err != nil {
					return err
				}
				eb := tx.Bucket(bEvents).Bucket(k)
				events := func(each func(incident.Event) error) error {
					if eb == nil {
						return nil
					}
					return eb.ForEach(func(ek, sv []byte) error {
						if len(needles) > 0 && !containsAny(sv, needles) {
							return nil
						}
						e, err := decodeEvent(n, ek, sv)
						if err != nil {
							return err
						}
						if len(kinds) > 0 && !hasKind(kinds, e.Kind) {
							return nil
						}
						return each(e)
					})
				}
				if err := fn(inc, events); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil || done {
			return err
		}
	}
}

func containsAny(b []byte, needles [][]byte) bool {
	for _, n := range needles {
		if bytes.Contains(b, n) {
			return true
		}
	}
	return false
}

func hasKind(kinds []incident.EventKind, k incident.EventKind) bool {
	for _, x := range kinds {
		if x == k {
			return true
		}
	}
	return false
}

// OpenReadOnly opens an existing database for reading only (reports):
// it never migrates, and refuses a file of another schema. A running bot
// holds the file's lock, so this fails with ErrLocked while it runs.
func OpenReadOnly(path string, opt Options) (*DB, error) {
	return open(path, opt, true)
}

// RecentClosed returns the closed incidents declared at or after since,
// newest first, reading backwards from the newest and stopping at the
// first older one; open incidents are skipped without being decoded
// (OpenIncidents has them).
func (d *DB) RecentClosed(since time.Time) ([]incident.Incident, error) {
	var out []incident.Incident
	err := d.db.View(func(tx *bolt.Tx) error {
		open := tx.Bucket(bOpen)
		c := tx.Bucket(bIncidents).Cursor()
		for k, v := c.Last(); k != nil; k, v = c.Prev() {
			if open.Get(k) != nil {
				continue
			}
			n, _ := btou(k)
			inc, err := decodeIncident(n, v)
			if err != nil {
				return err
			}
			if inc.DeclaredAt.Before(since) {
				return nil
			}
			out = append(out, inc)
		}
		return nil
	})
	return out, err
}

// LatestEvents returns up to limit of incident n's most recent events of
// kind, newest first, reading the timeline backwards through a cursor.
func (d *DB) LatestEvents(n uint64, kind incident.EventKind, limit int) ([]incident.Event, error) {
	b, _ := json.Marshal(string(kind))
	needle := append([]byte(`"kind":`), b...)
	var out []incident.Event
	err := d.db.View(func(tx *bolt.Tx) error {
		eb := tx.Bucket(bEvents).Bucket(u64(n))
		if eb == nil {
			return nil
		}
		c := eb.Cursor()
		for k, sv := c.Last(); k != nil && len(out) < limit; k, sv = c.Prev() {
			if !bytes.Contains(sv, needle) {
				continue
			}
			e, err := decodeEvent(n, k, sv)
			if err != nil {
				return err
			}
			if e.Kind == kind {
				out = append(out, e)
			}
		}
		return nil
	})
	return out, err
}
