package store

import (
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/firebreak-hq/firebreak/incident"
)

// bAlertGroups maps a firing group (source + group key) to the incident
// it opened (sealed big-endian number), so one group opens at most one
// incident while that incident is open. Created by the first alert.
var bAlertGroups = []byte("alert_groups")

// AlertDecision is what intake decided for one alert, given the open
// incident of its group (nil when there is none) and the number a new
// incident would get.
type AlertDecision struct {
	// Result is committed on Open when Open is set, else as a new
	// incident when Create is set; nothing is committed for an incident
	// when neither is.
	Result incident.Result
	Create bool
	// Global are effects that belong to no incident (a notify rule).
	Global []incident.Effect
}

// RecordAlert records one alert in one transaction: its dedupe key (so a
// redelivery is recorded once), the group index, the incident it opens or
// attaches to, its timeline event and outbox rows. dup is true when key
// was seen within DedupeTTL; decide is then not called. An empty key
// records no dedupe key (a write that is the same however often it runs). decide may run
// more than once (group commit) and must be pure.
func (d *DB) RecordAlert(key, group string, decide func(open *incident.Incident, next uint64) (AlertDecision, error)) (res incident.Result, dup bool, err error) {
	c := d.RecordAlertAsync(key, group, decide)
	res, err = c.Wait()
	return res, c.dup, err
}

// RecordAlertAsync is RecordAlert without waiting; Wait on the Commit
// before acknowledging the alert.
func (d *DB) RecordAlertAsync(key, group string, decide func(open *incident.Incident, next uint64) (AlertDecision, error)) *AlertCommit {
	c := &AlertCommit{}
	if len(key) > MaxDedupeKey {
		c.Commit.req = &writeReq{done: make(chan struct{})}
		c.req.finish(fmt.Errorf("store: alert dedupe key is over %d bytes", MaxDedupeKey))
		return c
	}
	now := d.now()
	c.req = d.submit(func(tx *bolt.Tx) error {
		c.res, c.added, c.dup = incident.Result{}, 0, false
		if key != "" && d.seenAlertTx(tx, key, now) {
			c.dup = true
			return nil
		}
		var open *incident.Incident
		gb := tx.Bucket(bAlertGroups)
		if gb != nil {
			if n, ok, err := getU64(gb, []byte(group)); err != nil {
				return cleanError{err}
			} else if ok {
				cur, err := d.stateTx(tx, n)
				if err == nil && cur.Status.Open() {
					open = &cur
				}
			}
		}
		ib := tx.Bucket(bIncidents)
		next := ib.Sequence() + 1
		dec, err := decide(CloneOpen(open), next)
		if err != nil {
			return cleanError{err}
		}
		r := dec.Result
		switch {
		case open != nil && r.Incident.Number != 0:
			if c.added, err = d.persist(tx, open, open.Number, &r); err != nil {
				return err
			}
			d.keepState(tx, r.Incident)
		case dec.Create:
			if err := takeSequence(ib, next); err != nil {
				return err
			}
			if c.added, err = d.persist(tx, nil, next, &r); err != nil {
				return err
			}
			d.keepState(tx, r.Incident)
			if gb == nil {
				if gb, err = tx.CreateBucket(bAlertGroups); err != nil {
					return err
				}
			}
			if err := gb.Put([]byte(group), seal([]byte(group), u64(next))); err != nil {
				return err
			}
		default:
			r = incident.Result{}
		}
		if len(dec.Global) > 0 {
			xb := tx.Bucket(bOutbox)
			for _, eff := range dec.Global {
				if err := putItem(xb, OutboxItem{Effect: eff, Created: now.UTC()}); err != nil {
					return err
				}
				c.added++
			}
		}
		if key != "" {
			if err := d.rememberAlertTx(tx, key, now); err != nil {
				return err
			}
		}
		c.res = r
		return nil
	}, c.settle(d))
	return c
}

// CloneOpen is a deep copy of the open incident handed to an alert's decide, nil
// for none: decide may run more than once and must not change the stored one.
func CloneOpen(open *incident.Incident) *incident.Incident {
	if open == nil {
		return nil
	}
	c := open.Clone()
	return &c
}

// AlertCommit is an alert handed to the group committer.
type AlertCommit struct{ Commit }

// Dup reports, after Wait, whether the alert had been recorded before.
func (c *AlertCommit) Dup() bool { return c.dup }

// AlertGroupIncident returns the incident a group opened, 0 when none.
func (d *DB) AlertGroupIncident(group string) (uint64, error) {
	var n uint64
	err := d.db.View(func(tx *bolt.Tx) error {
		if gb := tx.Bucket(bAlertGroups); gb != nil {
			var err error
			n, _, err = getU64(gb, []byte(group))
			return err
		}
		return nil
	})
	return n, err
}
