package store

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/firebreak-hq/firebreak/incident"
)

// maxCheckErrors bounds how many problems one check reports.
const maxCheckErrors = 20

// checkTx runs bbolt's page check, then the store's invariants for the
// file's schema version. Panics from reading a damaged file become
// ErrCorrupt.
func checkTx(tx *bolt.Tx) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("check: panic reading database: %v: %w", r, ErrCorrupt)
		}
	}()
	var errs []error
	for e := range tx.Check() {
		if len(errs) < maxCheckErrors {
			errs = append(errs, e)
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("bbolt consistency check: %w: %w", errors.Join(errs...), ErrCorrupt)
	}
	v, err := schemaOf(tx)
	if err != nil {
		return err
	}
	if v == 0 {
		return fmt.Errorf("empty database: %w", ErrCorrupt)
	}
	if v > SchemaVersion {
		return fmt.Errorf("schema version %d, this binary knows up to %d: %w", v, SchemaVersion, ErrNewerSchema)
	}
	c := &checker{tx: tx, version: v}
	c.run()
	if len(c.errs) > 0 {
		return fmt.Errorf("store invariants: %w: %w", errors.Join(c.errs...), ErrCorrupt)
	}
	return nil
}

type checker struct {
	tx      *bolt.Tx
	version int
	errs    []error
	incs    map[uint64]incident.Incident
}

func (c *checker) fail(format string, args ...any) {
	if len(c.errs) < maxCheckErrors {
		c.errs = append(c.errs, fmt.Errorf(format, args...))
	}
}

// value returns a record's value, checking its seal from v3 on; ok is
// false (and the problem reported) when the seal is wrong.
func (c *checker) value(where string, k, v []byte) ([]byte, bool) {
	if c.version < 3 {
		return v, true
	}
	raw, err := unseal(k, v)
	if err != nil {
		c.fail("%s: %v", where, err)
		return nil, false
	}
	return raw, true
}

// number is value for records that hold a big-endian number.
func (c *checker) number(where string, k, v []byte) (uint64, bool) {
	raw, ok := c.value(where, k, v)
	if !ok {
		return 0, false
	}
	n, ok := btou(raw)
	if !ok {
		c.fail("%s: bad value %x", where, raw)
	}
	return n, ok
}

func (c *checker) bucket(name []byte) *bolt.Bucket {
	b := c.tx.Bucket(name)
	if b == nil {
		c.fail("bucket %q missing", name)
	}
	return b
}

func (c *checker) run() {
	names := [][]byte{bMeta, bIncidents, bEvents, bOutbox, bDedupe, bDedupeExp, bChannels, bPubmeta}
	if c.version >= 2 {
		names = append(names, bOpen)
	}
	if c.version >= 4 {
		names = append(names, bSlack)
	}
	for _, n := range names {
		if c.bucket(n) == nil {
			return
		}
	}
	c.incidents()
	c.channels()
	c.events()
	c.outbox()
	c.dedupe()
	c.pubmeta()
	if c.version >= 2 {
		c.open()
	}
	if c.version >= 3 {
		c.sequences()
	}
	if c.version >= 4 {
		c.slack()
	}
	if c.version >= 5 {
		c.alertDedupe()
	}
	// Created by the first alert and the first page: absent in files
	// that never had one.
	if c.tx.Bucket(bAlertGroups) != nil {
		c.alertGroups()
	}
	if c.tx.Bucket(bPageOutbox) != nil {
		c.rows(bPageOutbox, true)
	}
	if c.tx.Bucket(bHomeViewers) != nil {
		c.homeViewers()
	}
}

// alertGroups checks that every firing group names an incident opened by
// that group, and that every open incident opened by alerts is the one
// its group names (else a later alert of the group would open a second).
func (c *checker) alertGroups() {
	gb := c.records(bAlertGroups, func(k, v []byte) {
		n, ok := c.number(fmt.Sprintf("alert group %q", k), k, v)
		inc, exists := c.incs[n]
		switch {
		case !ok:
		case !exists:
			c.fail("alert group %q → missing %s", k, incident.ID(n))
		case inc.Alerts == nil || inc.Alerts.Group != string(k):
			c.fail("alert group %q → %s, which that group did not open", k, incident.ID(n))
		}
	})
	for n, inc := range c.incs {
		if inc.Alerts == nil || !inc.Status.Open() {
			continue
		}
		if got, ok, _ := getU64(gb, []byte(inc.Alerts.Group)); !ok || got != n {
			c.fail("%s: open, but its alert group %q is not indexed to it", incident.ID(n), inc.Alerts.Group)
		}
	}
}

// records checks that bucket name has no sequence and holds no nested
// bucket, and calls fn with each of its records; it returns the bucket.
func (c *checker) records(name []byte, fn func(k, v []byte)) *bolt.Bucket {
	b := c.tx.Bucket(name)
	if seq := b.Sequence(); seq != 0 {
		c.fail("bucket %s has sequence %d", name, seq)
	}
	_ = b.ForEach(func(k, v []byte) error {
		if v == nil {
			c.fail("%s: %q is a bucket", name, k)
		} else {
			fn(k, v)
		}
		return nil
	})
	return b
}

// slack checks that every Slack record belongs to an incident and decodes.
func (c *checker) slack() {
	sb := c.tx.Bucket(bSlack)
	if seq := sb.Sequence(); seq != 0 {
		c.fail("bucket %s has sequence %d", bSlack, seq)
	}
	_ = sb.ForEach(func(k, v []byte) error {
		n, ok := btou(k)
		if !ok || v == nil {
			c.fail("slack: bad key %x", k)
			return nil
		}
		if _, exists := c.incs[n]; !exists {
			c.fail("slack: missing %s", incident.ID(n))
		}
		raw, ok := c.value("slack "+incident.ID(n), k, v)
		if !ok {
			return nil
		}
		var rec SlackRecord
		if err := json.Unmarshal(raw, &rec); err != nil {
			c.fail("slack %s: %v", incident.ID(n), err)
		} else if rec == (SlackRecord{}) {
			c.fail("slack %s: empty record", incident.ID(n))
		}
		return nil
	})
}

// sequences checks the sealed copy of the incidents and outbox sequences
// and that no other bucket has one (bbolt's bucket headers carry no
// checksum).
func (c *checker) sequences() {
	inc, out, err := sealedSequences(c.tx)
	if err != nil {
		c.fail("%v", err)
	} else {
		if got := c.tx.Bucket(bIncidents).Sequence(); got != inc {
			c.fail("incidents sequence %d, sealed %d", got, inc)
		}
		if got := c.tx.Bucket(bOutbox).Sequence(); got != out {
			c.fail("outbox sequence %d, sealed %d", got, out)
		}
	}
	for _, name := range [][]byte{bMeta, bChannels, bDedupe, bDedupeExp, bOpen, bEvents, bPubmeta} {
		if seq := c.tx.Bucket(name).Sequence(); seq != 0 {
			c.fail("bucket %s has sequence %d", name, seq)
		}
	}
	_ = c.tx.Bucket(bMeta).ForEach(func(k, v []byte) error {
		if string(k) != string(kSchema) && string(k) != string(kSequences) {
			c.fail("meta: unknown key %q", k)
		}
		return nil
	})
}

func (c *checker) incidents() {
	b := c.tx.Bucket(bIncidents)
	c.incs = map[uint64]incident.Incident{}
	_ = b.ForEach(func(k, v []byte) error {
		n, ok := btou(k)
		if !ok || v == nil {
			c.fail("incidents: bad key %x", k)
			return nil
		}
		raw, ok := c.value(incident.ID(n), k, v)
		if !ok {
			return nil
		}
		var inc incident.Incident
		if err := json.Unmarshal(raw, &inc); err != nil {
			c.fail("%s: %v", incident.ID(n), err)
			return nil
		}
		if inc.Number != n {
			c.fail("%s: record says number %d", incident.ID(n), inc.Number)
		}
		if !inc.Status.Valid() {
			c.fail("%s: invalid status %q", incident.ID(n), inc.Status)
		}
		if n > b.Sequence() {
			c.fail("%s: above the incidents sequence %d (numbers could repeat)", incident.ID(n), b.Sequence())
		}
		c.incs[n] = inc
		return nil
	})
}

func (c *checker) channels() {
	cb := c.tx.Bucket(bChannels)
	_ = cb.ForEach(func(k, v []byte) error {
		n, ok := c.number("channels: "+string(k), k, v)
		inc, exists := c.incs[n]
		switch {
		case !ok:
		case !exists:
			c.fail("channels: %s → missing %s", k, incident.ID(n))
		case inc.Channel != string(k):
			c.fail("channels: %s → %s whose channel is %q", k, incident.ID(n), inc.Channel)
		}
		return nil
	})
	for n, inc := range c.incs {
		if inc.Channel == "" {
			continue
		}
		if got, ok, _ := c.lookup(cb, []byte(inc.Channel)); !ok || got != n {
			c.fail("%s: channel %s not indexed", incident.ID(n), inc.Channel)
		}
	}
}

func (c *checker) open() {
	ob := c.tx.Bucket(bOpen)
	_ = ob.ForEach(func(k, v []byte) error {
		if len(v) != 0 {
			c.fail("open %x: value %x where there is none", k, v)
		}
		n, ok := btou(k)
		inc, exists := c.incs[n]
		switch {
		case !ok:
			c.fail("open: bad key %x", k)
		case !exists:
			c.fail("open: missing %s", incident.ID(n))
		case !inc.Status.Open():
			c.fail("open: %s is %s", incident.ID(n), inc.Status)
		}
		return nil
	})
	for n, inc := range c.incs {
		if inc.Status.Open() && ob.Get(u64(n)) == nil {
			c.fail("%s is %s but not in the open index", incident.ID(n), inc.Status)
		}
	}
}

// lookup reads the number stored under k, sealed from v3 on.
func (c *checker) lookup(b *bolt.Bucket, k []byte) (uint64, bool, error) {
	if c.version >= 3 {
		return getU64(b, k)
	}
	n, ok := btou(b.Get(k))
	return n, ok, nil
}

func (c *checker) event(n, seq uint64, k, v []byte) {
	where := fmt.Sprintf("%s event %d", incident.ID(n), seq)
	raw, ok := c.value(where, k, v)
	if !ok {
		return
	}
	var e incident.Event
	if err := json.Unmarshal(raw, &e); err != nil {
		c.fail("%s event %d: %v", incident.ID(n), seq, err)
	} else if e.Seq != seq {
		c.fail("%s event %d: record says seq %d", incident.ID(n), seq, e.Seq)
	}
	if _, ok := c.incs[n]; !ok {
		c.fail("event %d of missing %s", seq, incident.ID(n))
	}
}

func (c *checker) events() {
	eb := c.tx.Bucket(bEvents)
	if c.version < 2 {
		_ = eb.ForEach(func(k, v []byte) error {
			if len(k) != 16 || v == nil {
				c.fail("events: bad v1 key %x", k)
				return nil
			}
			c.event(binary.BigEndian.Uint64(k), binary.BigEndian.Uint64(k[8:]), k, v)
			return nil
		})
		return
	}
	_ = eb.ForEach(func(k, v []byte) error {
		n, ok := btou(k)
		nb := eb.Bucket(k)
		if !ok || v != nil || nb == nil {
			c.fail("events: %x is not a per-incident bucket", k)
			return nil
		}
		var last uint64
		err := nb.ForEach(func(sk, sv []byte) error {
			seq, ok := btou(sk)
			if !ok || sv == nil {
				c.fail("%s events: bad key %x", incident.ID(n), sk)
				return nil
			}
			if seq > nb.Sequence() {
				c.fail("%s event %d above sequence %d", incident.ID(n), seq, nb.Sequence())
			}
			last = seq
			c.event(n, seq, sk, sv)
			return nil
		})
		// Events are never deleted, so the sequence is the last seq.
		if c.version >= 3 && last != nb.Sequence() {
			c.fail("%s events: sequence %d, last event %d", incident.ID(n), nb.Sequence(), last)
		}
		return err
	})
}

func (c *checker) outbox() { c.rows(bOutbox, false) }

// rows checks an outbox bucket's rows: sealed, decodable, numbered below
// the bucket's sequence, of an existing incident, and in the right lane
// (page effects in the page outbox only).
func (c *checker) rows(name []byte, pages bool) {
	xb := c.tx.Bucket(name)
	_ = xb.ForEach(func(k, v []byte) error {
		id, ok := btou(k)
		if !ok || v == nil {
			c.fail("%s: bad key %x", name, k)
			return nil
		}
		var it OutboxItem
		raw, ok := c.value(fmt.Sprintf("%s %d", name, id), k, v)
		if !ok {
			return nil
		}
		if err := json.Unmarshal(raw, &it); err != nil {
			c.fail("%s %d: %v", name, id, err)
			return nil
		}
		if it.ID != id || id > xb.Sequence() {
			c.fail("%s %d: record id %d, sequence %d", name, id, it.ID, xb.Sequence())
		}
		if _, ok := c.incs[it.Incident]; it.Incident != 0 && !ok {
			c.fail("%s %d: missing %s", name, id, incident.ID(it.Incident))
		}
		if incident.IsPageEffect(it.Effect.Kind) != pages {
			c.fail("%s %d: effect %q in the wrong outbox", name, id, it.Effect.Kind)
		}
		return nil
	})
}

func (c *checker) dedupe() {
	db, xb := c.tx.Bucket(bDedupe), c.tx.Bucket(bDedupeExp)
	_ = db.ForEach(func(k, v []byte) error {
		exp, ok := c.number(fmt.Sprintf("dedupe %q", k), k, v)
		if ok && xb.Get(expKey(exp, k)) == nil {
			c.fail("dedupe %q: not in the expiry index", k)
		}
		return nil
	})
	_ = xb.ForEach(func(k, v []byte) error {
		if len(v) != 0 {
			c.fail("dedupe_exp %x: value %x where there is none", k, v)
		}
		if len(k) < 8 {
			c.fail("dedupe_exp: bad key %x", k)
		} else if exp, ok, _ := c.lookup(db, k[8:]); !ok || exp != binary.BigEndian.Uint64(k) {
			c.fail("dedupe_exp: %q has no matching key", k[8:])
		}
		return nil
	})
}

func (c *checker) pubmeta() {
	pb := c.tx.Bucket(bPubmeta)
	_ = pb.ForEach(func(k, v []byte) error {
		n, ok := btou(k)
		if !ok || v != nil || pb.Bucket(k) == nil {
			c.fail("pubmeta: %x is not a per-incident bucket", k)
		} else if _, exists := c.incs[n]; !exists {
			c.fail("pubmeta: missing %s", incident.ID(n))
		} else {
			nb := pb.Bucket(k)
			if c.version >= 3 && nb.Sequence() != 0 {
				c.fail("pubmeta %s: sequence %d", incident.ID(n), nb.Sequence())
			}
			_ = nb.ForEach(func(mk, mv []byte) error {
				if mv == nil {
					c.fail("pubmeta %s: %q is a bucket", incident.ID(n), mk)
				} else {
					c.value(fmt.Sprintf("pubmeta %s %q", incident.ID(n), mk), mk, mv)
				}
				return nil
			})
		}
		return nil
	})
}
