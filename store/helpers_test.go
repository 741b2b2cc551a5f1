package store

import (
	"encoding/hex"
	"fmt"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/firebreak-hq/firebreak/incident"
	"github.com/firebreak-hq/firebreak/internal/testclock"
)

var t0 = time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)

// newDB opens a fresh database in t.TempDir with NoSync.
func newDB(t testing.TB) (*DB, *testclock.Clock) {
	t.Helper()
	c := testclock.New(t0)
	d := openTest(t, filepath.Join(t.TempDir(), "fb.db"), Options{NoSync: true, Now: c.Now})
	return d, c
}

// openTest opens path and, at cleanup, closes it and verifies the file:
// bbolt's tx.Check plus the store's invariants, read-only.
func openTest(t testing.TB, path string, opt Options) *DB {
	t.Helper()
	d, err := Open(path, opt)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { closeAndVerify(t, d) })
	return d
}

func closeAndVerify(t testing.TB, d *DB) {
	t.Helper()
	if err := d.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if _, err := Verify(d.Path()); err != nil {
		t.Errorf("consistency check at cleanup: %v", err)
	}
}

func declare(t testing.TB, d *DB, title string) incident.Result {
	t.Helper()
	res, err := d.Create(func(n uint64) (incident.Result, error) {
		return incident.Declare(n, incident.Declaration{Title: title, Declarer: "U1"}, t0)
	})
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	return res
}

func cmdFn(cmd incident.Command, now time.Time) func(incident.Incident) (incident.Result, error) {
	return func(inc incident.Incident) (incident.Result, error) { return incident.Apply(inc, cmd, now) }
}

func note(text string) incident.Command {
	return incident.Command{Kind: incident.CmdNote, Actor: "U1", Text: text}
}

var forceClose = incident.Command{Kind: incident.CmdClose, Actor: "U1", Force: true, Text: "test over"}

func mustApply(t testing.TB, d *DB, n uint64, cmd incident.Command) incident.Result {
	t.Helper()
	res, err := d.Apply(n, cmdFn(cmd, t0.Add(time.Minute)))
	if err != nil {
		t.Fatalf("Apply %s to INC-%d: %v", cmd.Kind, n, err)
	}
	return res
}

func setChannel(t testing.TB, d *DB, n uint64, ch string) {
	t.Helper()
	_, err := d.Apply(n, func(inc incident.Incident) (incident.Result, error) {
		return incident.RecordChannel(inc, ch, "inc-x", t0), nil
	})
	if err != nil {
		t.Fatalf("RecordChannel: %v", err)
	}
}

// drained reports whether Notify had a signal waiting, and clears it.
func drained(d *DB) bool {
	select {
	case <-d.Notify():
		return true
	default:
		return false
	}
}

// rawUpdate changes the closed file at path in one bbolt transaction,
// beside the store's API, as an older binary or a damaged disk would.
func rawUpdate(t *testing.T, path string, fn func(tx *bolt.Tx) error) {
	t.Helper()
	rawTx(t, path, true, fn)
}

// rawView reads the closed file at path in one read-only bbolt
// transaction.
func rawView(t *testing.T, path string, fn func(tx *bolt.Tx) error) {
	t.Helper()
	rawTx(t, path, false, fn)
}

func rawTx(t *testing.T, path string, write bool, fn func(tx *bolt.Tx) error) {
	t.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: !write, NoSync: true, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	run := db.View
	if write {
		run = db.Update
	}
	err = run(fn)
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// eachRecord calls fn with every record of every bucket of tx, nested
// buckets too (fn sees a nested bucket's key with a nil value first),
// and with every bucket's sequence as a record of its own.
// A record is named by its bucket's name and then each key in hex
// ("events/0000000000000001/0000000000000002"); a sequence by its
// bucket's path and "#seq", its value the number in decimal. A nil value
// that is no bucket, or buckets nested deeper than any the store makes,
// are errors.
func eachRecord(tx *bolt.Tx, fn func(path string, k, v []byte) error) error {
	var walk func(path string, b *bolt.Bucket, depth int) error
	walk = func(path string, b *bolt.Bucket, depth int) error {
		if depth > 4 {
			return fmt.Errorf("%s: buckets nested too deep", path)
		}
		if err := fn(path+"#seq", nil, strconv.AppendUint(nil, b.Sequence(), 10)); err != nil {
			return err
		}
		return b.ForEach(func(k, v []byte) error {
			p := path + "/" + hex.EncodeToString(k)
			if err := fn(p, k, v); err != nil || v != nil {
				return err
			}
			if nb := b.Bucket(k); nb != nil {
				return walk(p, nb, depth+1)
			}
			return fmt.Errorf("%s: nil value, no bucket", p)
		})
	}
	return tx.ForEach(func(name []byte, b *bolt.Bucket) error { return walk(string(name), b, 0) })
}
