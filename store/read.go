package store

import (
	"encoding/json"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/firebreak-hq/firebreak/incident"
)

// getTx decodes incident n (json.Unmarshal copies, so the value outlives tx).
func getTx(tx *bolt.Tx, n uint64) (incident.Incident, error) {
	v := tx.Bucket(bIncidents).Get(u64(n))
	if v == nil {
		return incident.Incident{}, fmt.Errorf("%s: %w", incident.ID(n), ErrNotFound)
	}
	return decodeIncident(n, v)
}

// decodeIncident checks and decodes the sealed record of incident n.
func decodeIncident(n uint64, sv []byte) (incident.Incident, error) {
	var inc incident.Incident
	v, err := unseal(u64(n), sv)
	if err != nil {
		return inc, fmt.Errorf("%s: %w", incident.ID(n), err)
	}
	if err := json.Unmarshal(v, &inc); err != nil {
		return incident.Incident{}, fmt.Errorf("decode %s: %v: %w", incident.ID(n), err, ErrCorrupt)
	}
	return inc, nil
}

// decodeIncidentAt decodes the incidents bucket's entry k, v.
func decodeIncidentAt(k, v []byte) (uint64, incident.Incident, error) {
	n, ok := btou(k)
	if !ok {
		return 0, incident.Incident{}, fmt.Errorf("incident key %x: %w", k, ErrCorrupt)
	}
	inc, err := decodeIncident(n, v)
	return n, inc, err
}

// Get returns incident n, or ErrNotFound.
func (d *DB) Get(n uint64) (incident.Incident, error) {
	return view(d, func(tx *bolt.Tx) (incident.Incident, error) { return getTx(tx, n) })
}

// ByChannel returns the incident whose Slack channel is channelID, or
// ErrNotFound when the channel is not an incident channel.
func (d *DB) ByChannel(channelID string) (incident.Incident, error) {
	var inc incident.Incident
	err := d.db.View(func(tx *bolt.Tx) error {
		n, ok, err := getU64(tx.Bucket(bChannels), []byte(channelID))
		if err != nil {
			return fmt.Errorf("channel %s: %w", channelID, err)
		}
		if !ok {
			return fmt.Errorf("channel %s: %w", channelID, ErrNotFound)
		}
		inc, err = getTx(tx, n)
		return err
	})
	return inc, err
}

// OpenIncidents returns every incident that is not closed, oldest first.
// It reads only the open index and those records, never history.
func (d *DB) OpenIncidents() ([]incident.Incident, error) {
	var out []incident.Incident
	err := d.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bOpen).ForEach(func(k, _ []byte) error {
			n, ok := btou(k)
			if !ok {
				return fmt.Errorf("open index key %x: %w", k, ErrCorrupt)
			}
			inc, err := getTx(tx, n)
			if err != nil {
				return fmt.Errorf("open index: %w", err)
			}
			out = append(out, inc)
			return nil
		})
	})
	return out, err
}

// List returns up to limit incidents, newest first, any status; limit ≤ 0
// means all.
func (d *DB) List(limit int) ([]incident.Incident, error) {
	return view(d, func(tx *bolt.Tx) ([]incident.Incident, error) {
		return walk(tx.Bucket(bIncidents), true, limit, func(k, v []byte) (incident.Incident, bool, error) {
			n, _ := btou(k)
			inc, err := decodeIncident(n, v)
			return inc, true, err
		})
	})
}

// decodeEvent checks and decodes incident n's sealed event at key k.
func decodeEvent(n uint64, k, sv []byte) (incident.Event, error) {
	var e incident.Event
	raw, err := unseal(k, sv)
	if err != nil {
		return e, fmt.Errorf("%s event: %w", incident.ID(n), err)
	}
	if err := json.Unmarshal(raw, &e); err != nil {
		return e, fmt.Errorf("decode %s event %x: %v: %w", incident.ID(n), k, err, ErrCorrupt)
	}
	return e, nil
}

// Events returns incident n's timeline in Seq order; ErrNotFound when the
// incident does not exist.
func (d *DB) Events(n uint64) ([]incident.Event, error) {
	return view(d, func(tx *bolt.Tx) ([]incident.Event, error) {
		if tx.Bucket(bIncidents).Get(u64(n)) == nil {
			return nil, fmt.Errorf("%s: %w", incident.ID(n), ErrNotFound)
		}
		return walk(tx.Bucket(bEvents).Bucket(u64(n)), false, 0, func(k, sv []byte) (incident.Event, bool, error) {
			e, err := decodeEvent(n, k, sv)
			return e, true, err
		})
	})
}

// EventCount is len(Events(n)) without decoding.
func (d *DB) EventCount(n uint64) (int, error) {
	var c int
	err := d.db.View(func(tx *bolt.Tx) error {
		if tx.Bucket(bIncidents).Get(u64(n)) == nil {
			return fmt.Errorf("%s: %w", incident.ID(n), ErrNotFound)
		}
		if eb := tx.Bucket(bEvents).Bucket(u64(n)); eb != nil {
			c = eb.Stats().KeyN
		}
		return nil
	})
	return c, err
}
