package store

import (
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/firebreak-hq/firebreak/incident"
)

// SetMeta stores a small key/value for incident n — publish bookkeeping
// such as the GitHub issue URL, so a postmortem is filed exactly once.
// ErrNotFound when the incident does not exist.
func (d *DB) SetMeta(n uint64, key, value string) error {
	if key == "" {
		return fmt.Errorf("store: empty meta key")
	}
	return d.db.Update(func(tx *bolt.Tx) error {
		if tx.Bucket(bIncidents).Get(u64(n)) == nil {
			return fmt.Errorf("%s: %w", incident.ID(n), ErrNotFound)
		}
		b, err := tx.Bucket(bPubmeta).CreateBucketIfNotExists(u64(n))
		if err != nil {
			return err
		}
		return b.Put([]byte(key), seal([]byte(key), []byte(value)))
	})
}

// Meta returns the value stored under key for incident n, or "" with a nil
// error when the key was never set. ErrNotFound only when the incident
// does not exist.
func (d *DB) Meta(n uint64, key string) (string, error) {
	var val string
	err := d.db.View(func(tx *bolt.Tx) error {
		if tx.Bucket(bIncidents).Get(u64(n)) == nil {
			return fmt.Errorf("%s: %w", incident.ID(n), ErrNotFound)
		}
		if b := tx.Bucket(bPubmeta).Bucket(u64(n)); b != nil {
			if sv := b.Get([]byte(key)); sv != nil {
				v, err := unseal([]byte(key), sv)
				if err != nil {
					return fmt.Errorf("%s meta %q: %w", incident.ID(n), key, err)
				}
				val = string(v) // string() copies
			}
		}
		return nil
	})
	return val, err
}
