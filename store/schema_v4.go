package store

import (
	"bytes"
	"encoding/json"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// v3IncidentKeys is the order in which a v3 binary wrote the keys of an
// incident record. downV4 puts the Slack fields back where v3 had them,
// so a file migrated down holds the bytes a v3 binary wrote.
var v3IncidentKeys = []string{
	"number", "title", "impact", "severity", "status", "playbook", "declarer", "lead", "roles",
	"channel", "channel_name", "card_ts", "origin_channel", "reply_url", "verify_window",
	"lead_change", "declared_at", "mitigated_at", "resolved_at", "closed_at", "last_update_at",
	"last_event_at", "reopen_count", "force_reason", "cancelled_at", "cancel_reason",
	"announce_ts", "postmortem_url", "steps", "followups", "reminders",
}

// slackKeys are the incident keys that v4 keeps in the slack bucket.
var slackKeys = map[string]func(*SlackRecord) *string{
	"card_ts":        func(r *SlackRecord) *string { return &r.CardTS },
	"origin_channel": func(r *SlackRecord) *string { return &r.OriginChannel },
	"reply_url":      func(r *SlackRecord) *string { return &r.ReplyURL },
	"announce_ts":    func(r *SlackRecord) *string { return &r.AnnounceTS },
}

// member is one key and its value, as written, of a JSON object.
type member struct {
	key string
	val json.RawMessage
}

// members splits a JSON object into its members, in order, values as
// written.
// incidentMembers unseals incident record k and splits it into its members.
func incidentMembers(k, sv []byte) ([]member, error) {
	raw, err := unseal(k, sv)
	if err != nil {
		return nil, fmt.Errorf("incidents: %w", err)
	}
	ms, err := members(raw)
	if err != nil {
		return nil, fmt.Errorf("incident %x: %w", k, err)
	}
	return ms, nil
}

func members(raw []byte) ([]member, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, fmt.Errorf("not a JSON object: %w", ErrCorrupt)
	}
	var out []member
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, fmt.Errorf("%v: %w", err, ErrCorrupt)
		}
		k, _ := t.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, fmt.Errorf("%q: %v: %w", k, err, ErrCorrupt)
		}
		out = append(out, member{k, v})
	}
	return out, nil
}

// object writes members back as json.Marshal writes an object.
func object(ms []member) ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, m := range ms {
		if i > 0 {
			b.WriteByte(',')
		}
		k, err := json.Marshal(m.key)
		if err != nil {
			return nil, err
		}
		b.Write(k)
		b.WriteByte(':')
		b.Write(m.val)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// upV4 moves the Slack-side fields (card ts, origin channel, reply URL,
// announce ts) out of every incident record into the slack bucket.
func upV4(tx *bolt.Tx) error {
	sb, err := tx.CreateBucketIfNotExists(bSlack)
	if err != nil {
		return err
	}
	type rewrite struct {
		k, inc []byte
		rec    SlackRecord
	}
	var all []rewrite
	err = tx.Bucket(bIncidents).ForEach(func(k, sv []byte) error {
		ms, err := incidentMembers(k, sv)
		if err != nil {
			return err
		}
		var rec SlackRecord
		kept := ms[:0:0]
		for _, m := range ms {
			field, ok := slackKeys[m.key]
			if !ok {
				kept = append(kept, m)
				continue
			}
			if err := json.Unmarshal(m.val, field(&rec)); err != nil {
				return fmt.Errorf("incident %x %s: %v: %w", k, m.key, err, ErrCorrupt)
			}
		}
		if len(kept) == len(ms) {
			return nil
		}
		inc, err := object(kept)
		if err != nil {
			return err
		}
		all = append(all, rewrite{bytes.Clone(k), inc, rec})
		return nil
	})
	if err != nil {
		return err
	}
	ib := tx.Bucket(bIncidents)
	for _, r := range all {
		if err := ib.Put(r.k, seal(r.k, r.inc)); err != nil {
			return err
		}
		if r.rec == (SlackRecord{}) {
			continue
		}
		v, err := json.Marshal(r.rec)
		if err != nil {
			return err
		}
		if err := sb.Put(r.k, seal(r.k, v)); err != nil {
			return err
		}
	}
	return nil
}

// downV4 puts the Slack records back into their incidents, each field
// where v3 wrote it, and drops the slack bucket.
func downV4(tx *bolt.Tx) error {
	sb := tx.Bucket(bSlack)
	if sb == nil {
		return fmt.Errorf("v4 slack bucket missing: %w", ErrCorrupt)
	}
	order := map[string]int{}
	for i, k := range v3IncidentKeys {
		order[k] = i
	}
	ib := tx.Bucket(bIncidents)
	type rewrite struct{ k, inc []byte }
	var all []rewrite
	err := sb.ForEach(func(k, sv []byte) error {
		raw, err := unseal(k, sv)
		if err != nil {
			return fmt.Errorf("slack: %w", err)
		}
		var rec SlackRecord
		if err := json.Unmarshal(raw, &rec); err != nil {
			return fmt.Errorf("slack %x: %v: %w", k, err, ErrCorrupt)
		}
		isv := ib.Get(k)
		if isv == nil {
			return fmt.Errorf("slack %x: no such incident: %w", k, ErrCorrupt)
		}
		ms, err := incidentMembers(k, isv)
		if err != nil {
			return err
		}
		for _, key := range v3IncidentKeys {
			field, ok := slackKeys[key]
			if !ok || *field(&rec) == "" {
				continue
			}
			v, err := json.Marshal(*field(&rec))
			if err != nil {
				return err
			}
			// Before the first member that v3 wrote after it.
			at := len(ms)
			for i, m := range ms {
				if o, known := order[m.key]; known && o > order[key] {
					at = i
					break
				}
			}
			ms = append(ms[:at], append([]member{{key, v}}, ms[at:]...)...)
		}
		inc, err := object(ms)
		if err != nil {
			return err
		}
		all = append(all, rewrite{bytes.Clone(k), inc})
		return nil
	})
	if err != nil {
		return err
	}
	for _, r := range all {
		if err := ib.Put(r.k, seal(r.k, r.inc)); err != nil {
			return err
		}
	}
	return tx.DeleteBucket(bSlack)
}
