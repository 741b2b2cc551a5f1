package store

import (
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/firebreak-hq/firebreak/incident"
)

// bHomeViewers holds the people who have opened the App Home tab (user
// ID → empty sealed value), so that every process republishes their
// Home. Like alert_groups it is created by its first write: files that
// never had a viewer have no such bucket, and no schema version is
// needed (an older binary leaves an unknown bucket alone).
var bHomeViewers = []byte("home_viewers")

// AddHomeViewer records that user has opened App Home; adding a user
// twice is one record.
func (d *DB) AddHomeViewer(user string) error {
	if !incident.ValidUserID(user) {
		return fmt.Errorf("store: home viewer %q is not a user ID", user)
	}
	return d.db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(bHomeViewers)
		if err != nil {
			return err
		}
		if b.Get([]byte(user)) != nil {
			return nil
		}
		return b.Put([]byte(user), seal([]byte(user), nil))
	})
}

// HomeViewers lists everyone AddHomeViewer recorded, in ID order.
func (d *DB) HomeViewers() ([]string, error) {
	return view(d, func(tx *bolt.Tx) ([]string, error) {
		return walk(tx.Bucket(bHomeViewers), false, 0, func(k, v []byte) (string, bool, error) {
			if _, err := unseal(k, v); err != nil {
				return "", false, fmt.Errorf("home viewer %q: %w", k, err)
			}
			return string(k), true, nil
		})
	})
}

// homeViewers checks that every record is a user ID sealed with no value.
func (c *checker) homeViewers() {
	c.records(bHomeViewers, func(k, v []byte) {
		raw, err := unseal(k, v)
		switch {
		case err != nil:
			c.fail("home_viewers %q: %v", k, err)
		case len(raw) != 0 || !incident.ValidUserID(string(k)):
			c.fail("home_viewers: %q is not a user ID with no value", k)
		}
	})
}
