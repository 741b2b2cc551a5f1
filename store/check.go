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
		var inc incident.Incident
		if err := json.Unmarshal(v, &inc); err != nil {
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
		n, ok := btou(v)
		inc, exists := c.incs[n]
		switch {
		case !ok:
			c.fail("channels: %s → bad value %x", k, v)
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
		if got, ok := btou(cb.Get([]byte(inc.Channel))); !ok || got != n {
			c.fail("%s: channel %s not indexed", incident.ID(n), inc.Channel)
		}
	}
}

func (c *checker) open() {
	ob := c.tx.Bucket(bOpen)
	_ = ob.ForEach(func(k, _ []byte) error {
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

func (c *checker) event(n, seq uint64, v []byte) {
	var e incident.Event
	if err := json.Unmarshal(v, &e); err != nil {
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
			c.event(binary.BigEndian.Uint64(k), binary.BigEndian.Uint64(k[8:]), v)
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
		return nb.ForEach(func(sk, sv []byte) error {
			seq, ok := btou(sk)
			if !ok || sv == nil {
				c.fail("%s events: bad key %x", incident.ID(n), sk)
				return nil
			}
			if seq > nb.Sequence() {
				c.fail("%s event %d above sequence %d", incident.ID(n), seq, nb.Sequence())
			}
			c.event(n, seq, sv)
			return nil
		})
	})
}

func (c *checker) outbox() {
	xb := c.tx.Bucket(bOutbox)
	_ = xb.ForEach(func(k, v []byte) error {
		id, ok := btou(k)
		if !ok || v == nil {
			c.fail("outbox: bad key %x", k)
			return nil
		}
		it, err := decodeItem(k, v)
		if err != nil {
			c.fail("outbox %d: %v", id, err)
			return nil
		}
		if it.ID != id || id > xb.Sequence() {
			c.fail("outbox %d: record id %d, sequence %d", id, it.ID, xb.Sequence())
		}
		if _, ok := c.incs[it.Incident]; it.Incident != 0 && !ok {
			c.fail("outbox %d: missing %s", id, incident.ID(it.Incident))
		}
		return nil
	})
}

func (c *checker) dedupe() {
	db, xb := c.tx.Bucket(bDedupe), c.tx.Bucket(bDedupeExp)
	_ = db.ForEach(func(k, v []byte) error {
		exp, ok := btou(v)
		if !ok {
			c.fail("dedupe %q: bad expiry %x", k, v)
		} else if xb.Get(expKey(exp, k)) == nil {
			c.fail("dedupe %q: not in the expiry index", k)
		}
		return nil
	})
	_ = xb.ForEach(func(k, _ []byte) error {
		if len(k) < 8 {
			c.fail("dedupe_exp: bad key %x", k)
		} else if exp, ok := btou(db.Get(k[8:])); !ok || exp != binary.BigEndian.Uint64(k) {
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
		}
		return nil
	})
}
