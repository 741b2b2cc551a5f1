package store_test

import (
	"errors"
	"path/filepath"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"github.com/firebreak-hq/firebreak/incident"
	"github.com/firebreak-hq/firebreak/store"
	"github.com/firebreak-hq/firebreak/store/storetest"
)

// TestContract runs the store contract's suite against bbolt files.
func TestContract(t *testing.T) {
	storetest.Run(t, storetest.Backend{
		Open: func(t *testing.T, now func() time.Time) store.Store {
			return openBolt(t, filepath.Join(t.TempDir(), "fb.db"), now)
		},
		Reopen: func(t *testing.T, s store.Store) store.Store {
			d := s.(*store.DB)
			if err := d.Close(); err != nil {
				t.Fatal(err)
			}
			return openBolt(t, d.Path(), time.Now)
		},
		Fault: func(s store.Store, f func(string) error) { s.(*store.DB).SetFault(f) },
		Corrupt: func(t *testing.T, s store.Store) store.Store {
			d := s.(*store.DB)
			if err := d.Close(); err != nil {
				t.Fatal(err)
			}
			// INC-1 is open, but the open index forgets it.
			b, err := bolt.Open(d.Path(), 0o600, nil)
			if err != nil {
				t.Fatal(err)
			}
			if err := b.Update(func(tx *bolt.Tx) error { return tx.Bucket([]byte("open")).Delete([]byte{0, 0, 0, 0, 0, 0, 0, 1}) }); err != nil {
				t.Fatal(err)
			}
			_ = b.Close()
			damaged, err := store.Open(d.Path(), store.Options{NoSync: true})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = damaged.Close() })
			return damaged
		},
		Migrations: func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "fb.db")
			d := openBolt(t, path, time.Now)
			storetestDeclare(t, d)
			if err := d.Close(); err != nil {
				t.Fatal(err)
			}
			for _, v := range []int{1, store.SchemaVersion} {
				if err := store.MigrateFile(path, v, store.Options{NoSync: true}); err != nil {
					t.Fatalf("migrate to %d: %v", v, err)
				}
				rep, err := store.Verify(path)
				if err != nil || rep.Schema != v || rep.Incidents != 1 {
					t.Fatalf("at schema %d: %+v %v", v, rep, err)
				}
			}
		},
	})
}

// openBolt opens path; at cleanup it checks, closes and verifies the file.
func openBolt(t *testing.T, path string, now func() time.Time) *store.DB {
	t.Helper()
	d, err := store.Open(path, store.Options{NoSync: true, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		err := d.Check()
		if isClosed(err) {
			return // replaced by Reopen or Corrupt, which check their own
		}
		if err != nil {
			t.Errorf("Check at cleanup: %v", err)
		}
		_ = d.Close()
		if _, err := store.Verify(path); err != nil {
			t.Errorf("Verify at cleanup: %v", err)
		}
	})
	return d
}

func isClosed(err error) bool { return errors.Is(err, berrors.ErrDatabaseNotOpen) }

func storetestDeclare(t *testing.T, s store.Store) {
	t.Helper()
	if _, err := s.Create(func(n uint64) (incident.Result, error) {
		return incident.Declare(n, incident.Declaration{Title: "migrated", Declarer: "U1"}, storetest.T0)
	}); err != nil {
		t.Fatal(err)
	}
}
