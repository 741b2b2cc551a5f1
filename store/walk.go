package store

import (
	"errors"

	bolt "go.etcd.io/bbolt"
)

// errEnough ends a walk early without an error: decode returns it when
// no later row can be kept.
var errEnough = errors.New("enough")

// walk decodes the rows of b in key order (newest key first when
// backward), keeping those decode says to keep, until limit are kept
// (limit ≤ 0: all) or decode returns errEnough. A nil bucket holds no
// rows.
func walk[T any](b *bolt.Bucket, backward bool, limit int, decode func(k, v []byte) (T, bool, error)) ([]T, error) {
	var out []T
	if b == nil {
		return out, nil
	}
	c := b.Cursor()
	first, next := c.First, c.Next
	if backward {
		first, next = c.Last, c.Prev
	}
	for k, v := first(); k != nil && (limit <= 0 || len(out) < limit); k, v = next() {
		x, keep, err := decode(k, v)
		if errors.Is(err, errEnough) {
			break
		}
		if err != nil {
			return out, err
		}
		if keep {
			out = append(out, x)
		}
	}
	return out, nil
}

// view is the result of fn in a read transaction.
func view[T any](d *DB, fn func(tx *bolt.Tx) (T, error)) (T, error) {
	var out T
	err := d.db.View(func(tx *bolt.Tx) error {
		var err error
		out, err = fn(tx)
		return err
	})
	return out, err
}
