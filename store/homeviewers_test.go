package store

import (
	"path/filepath"
	"testing"

	bolt "go.etcd.io/bbolt"
)

// TestCheckHomeViewers: a damaged record in home_viewers makes Verify
// fail with ErrCorrupt, naming it; the intact bucket verifies.
func TestCheckHomeViewers(t *testing.T) {
	file := func(t *testing.T) string {
		path := filepath.Join(t.TempDir(), "fb.db")
		d, err := Open(path, Options{NoSync: true})
		if err != nil {
			t.Fatal(err)
		}
		if err := d.AddHomeViewer("U1"); err != nil {
			t.Fatal(err)
		}
		if err := d.Close(); err != nil {
			t.Fatal(err)
		}
		if _, err := Verify(path); err != nil {
			t.Fatalf("the intact file: %v", err)
		}
		return path
	}
	cases := []struct {
		name   string
		damage func(tx *bolt.Tx) error
		want   string
	}{
		{"bad seal", func(tx *bolt.Tx) error {
			v := seal([]byte("U1"), nil)
			v[len(v)-1] ^= 1
			return tx.Bucket(bHomeViewers).Put([]byte("U1"), v)
		}, `home_viewers "U1"`},
		{"not a user ID", func(tx *bolt.Tx) error {
			return tx.Bucket(bHomeViewers).Put([]byte("x"), seal([]byte("x"), nil))
		}, `home_viewers: "x" is not a user ID`},
		{"a value", func(tx *bolt.Tx) error {
			return tx.Bucket(bHomeViewers).Put([]byte("U2"), seal([]byte("U2"), []byte("y")))
		}, `home_viewers: "U2" is not a user ID with no value`},
		{"a nested bucket", func(tx *bolt.Tx) error {
			_, err := tx.Bucket(bHomeViewers).CreateBucket([]byte("U3"))
			return err
		}, `home_viewers: "U3" is a bucket`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { damageAndVerify(t, file(t), tc.damage, tc.want) })
	}
}
