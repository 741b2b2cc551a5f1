package store

import (
	"bytes"
	"encoding/json"
	"slices"
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
		needles = append(needles, kindNeedle(k))
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
						if len(kinds) > 0 && !slices.Contains(kinds, e.Kind) {
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
	return view(d, func(tx *bolt.Tx) ([]incident.Incident, error) {
		open := tx.Bucket(bOpen)
		return walk(tx.Bucket(bIncidents), true, 0, func(k, v []byte) (incident.Incident, bool, error) {
			if open.Get(k) != nil {
				return incident.Incident{}, false, nil
			}
			n, _ := btou(k)
			inc, err := decodeIncident(n, v)
			if err == nil && inc.DeclaredAt.Before(since) {
				err = errEnough
			}
			return inc, true, err
		})
	})
}

// LatestEvents returns up to limit of incident n's most recent events of
// kind, newest first, reading the timeline backwards through a cursor.
func (d *DB) LatestEvents(n uint64, kind incident.EventKind, limit int) ([]incident.Event, error) {
	if limit <= 0 {
		return nil, nil
	}
	needle := kindNeedle(kind)
	return view(d, func(tx *bolt.Tx) ([]incident.Event, error) {
		return walk(tx.Bucket(bEvents).Bucket(u64(n)), true, limit, func(k, sv []byte) (incident.Event, bool, error) {
			if !bytes.Contains(sv, needle) {
				return incident.Event{}, false, nil
			}
			e, err := decodeEvent(n, k, sv)
			return e, e.Kind == kind, err
		})
	})
}

// kindNeedle is what a sealed event of kind holds, to skip the others
// without decoding them.
func kindNeedle(kind incident.EventKind) []byte {
	b, _ := json.Marshal(string(kind))
	return append([]byte(`"kind":`), b...)
}
