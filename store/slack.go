package store

import (
	"encoding/json"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/firebreak-hq/firebreak/incident"
)

// SlackRecord is what the Slack side keeps about an incident, beside it
// in the slack bucket: where the declaration was typed and how to answer
// there, and the messages it posted that it later edits. The incident
// itself knows nothing of Slack messages.
type SlackRecord struct {
	// CardTS is the incident card in the incident channel.
	CardTS string `json:"card_ts,omitempty"`
	// OriginChannel is where /incident was typed, for replies before the
	// incident channel exists.
	OriginChannel string `json:"origin_channel,omitempty"`
	// ReplyURL answers the declarer privately where they typed the
	// command (Slack's response_url; short-lived).
	ReplyURL string `json:"reply_url,omitempty"`
	// AnnounceTS is the declaration's message in the announce channel.
	AnnounceTS string `json:"announce_ts,omitempty"`
	// DeclaredFrom is the dedupe key of the press that declared the
	// incident (CreateOnce), so a second press can name it.
	DeclaredFrom string `json:"declared_from,omitempty"`
}

// CreateWithSlack is Create that also stores rec as the new incident's
// Slack record, in the same transaction.
func (d *DB) CreateWithSlack(rec SlackRecord, fn func(n uint64) (incident.Result, error)) (incident.Result, error) {
	return d.createAsync("", &rec, fn).Wait()
}

// CreateOnce is CreateWithSlack unless key was seen in the last
// DedupeTTL: the key is recorded in the create's transaction, so of two
// calls with one key (two presses of one button, on any process) one
// declares and the other is told dup; a create that failed recorded
// nothing and may be tried again.
func (d *DB) CreateOnce(key string, rec SlackRecord, fn func(n uint64) (incident.Result, error)) (incident.Result, bool, error) {
	if key == "" || len(key) > MaxDedupeKey {
		return incident.Result{}, false, fmt.Errorf("store: dedupe key must be 1–%d bytes", MaxDedupeKey)
	}
	c := d.createAsync(key, &rec, fn)
	res, err := c.Wait()
	return res, c.dup, err
}

// Slack returns incident n's Slack record (zero when nothing was stored
// for it), or ErrNotFound when there is no incident n.
func (d *DB) Slack(n uint64) (SlackRecord, error) {
	var rec SlackRecord
	err := d.db.View(func(tx *bolt.Tx) error {
		if tx.Bucket(bIncidents).Get(u64(n)) == nil {
			return fmt.Errorf("%s: %w", incident.ID(n), ErrNotFound)
		}
		var err error
		rec, err = slackTx(tx, n)
		return err
	})
	return rec, err
}

// UpdateSlack changes incident n's Slack record with fn in one write and
// returns the record as stored. fn may be called more than once; it must
// be pure. A missing incident is ErrNotFound and fn is not called.
func (d *DB) UpdateSlack(n uint64, fn func(SlackRecord) SlackRecord) (SlackRecord, error) {
	var rec SlackRecord
	err := d.write(func(tx *bolt.Tx) error {
		if tx.Bucket(bIncidents).Get(u64(n)) == nil {
			return cleanError{fmt.Errorf("%s: %w", incident.ID(n), ErrNotFound)}
		}
		cur, err := slackTx(tx, n)
		if err != nil {
			return err
		}
		rec = fn(cur)
		return putSlackTx(tx, n, rec)
	})
	if err != nil {
		return SlackRecord{}, err
	}
	return rec, nil
}

// slackTx reads incident n's Slack record.
func slackTx(tx *bolt.Tx, n uint64) (SlackRecord, error) {
	var rec SlackRecord
	sv := tx.Bucket(bSlack).Get(u64(n))
	if sv == nil {
		return rec, nil
	}
	v, err := unseal(u64(n), sv)
	if err != nil {
		return rec, fmt.Errorf("%s slack record: %w", incident.ID(n), err)
	}
	if err := json.Unmarshal(v, &rec); err != nil {
		return SlackRecord{}, fmt.Errorf("decode %s slack record: %v: %w", incident.ID(n), err, ErrCorrupt)
	}
	return rec, nil
}

// putSlackTx stores incident n's Slack record; an empty one is not kept.
func putSlackTx(tx *bolt.Tx, n uint64, rec SlackRecord) error {
	b := tx.Bucket(bSlack)
	if rec == (SlackRecord{}) {
		return b.Delete(u64(n))
	}
	v, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("store: encode %s slack record: %w", incident.ID(n), err)
	}
	return b.Put(u64(n), seal(u64(n), v))
}
