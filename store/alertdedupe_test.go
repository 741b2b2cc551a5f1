package store

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/firebreak-hq/firebreak/incident"
	"github.com/firebreak-hq/firebreak/internal/testclock"
)

// recordAlert records one alert of group g under dedupe key key, opening
// the group's incident or attaching to it; dup reports a redelivery.
func recordAlert(t *testing.T, d *DB, key, g string) bool {
	t.Helper()
	_, dup, err := d.RecordAlert(key, g, alertDecide(key, g))
	if err != nil {
		t.Fatalf("RecordAlert %s: %v", key, err)
	}
	return dup
}

func alertDecide(key, g string) func(open *incident.Incident, next uint64) (AlertDecision, error) {
	a := incident.Alert{Source: "am", Group: g, Key: key, Status: incident.AlertFiring, Title: "t"}
	return func(open *incident.Incident, next uint64) (AlertDecision, error) {
		if open == nil {
			r, err := incident.DeclareFromAlert(next, incident.AlertDeclaration{Alert: a, Severity: incident.Sev3, Playbook: incident.DefaultPlaybook()}, t0)
			return AlertDecision{Result: r, Create: true}, err
		}
		r, err := incident.AttachAlert(*open, a, t0)
		return AlertDecision{Result: r}, err
	}
}

// bucketKeys counts the keys of a bucket of the closed file at path.
func bucketKeys(t *testing.T, path string, name []byte) int {
	t.Helper()
	n := -1
	rawView(t, path, func(tx *bolt.Tx) error {
		if b := tx.Bucket(name); b != nil {
			n = b.Stats().KeyN
		}
		return nil
	})
	return n
}

// openClocked opens path with NoSync and c's time; the caller closes it.
func openClocked(t *testing.T, path string, c *testclock.Clock) *DB {
	t.Helper()
	d, err := Open(path, Options{NoSync: true, Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func reopen(t *testing.T, d *DB, c *testclock.Clock) *DB {
	t.Helper()
	path := d.Path()
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := Verify(path); err != nil {
		t.Fatalf("Verify: %v", err)
	}
	return openClocked(t, path, c)
}

// TestAlertDedupeAcrossRestart: alert keys live in the arrival-ordered
// bucket only, a redelivery is recognised from the in-memory set, and
// after a restart from the set rebuilt from the file; after DedupeTTL
// the key is forgotten and pruned, and the restarted set does not bring
// it back.
func TestAlertDedupeAcrossRestart(t *testing.T) {
	c := testclock.New(t0)
	path := filepath.Join(t.TempDir(), "fb.db")
	d := openClocked(t, path, c)
	defer func() { closeAndVerify(t, d) }()
	for i := range 5 {
		if recordAlert(t, d, fmt.Sprintf("alert:%d", i), "g") {
			t.Fatalf("alert %d: first delivery reported as a redelivery", i)
		}
	}
	if !recordAlert(t, d, "alert:3", "g") {
		t.Fatal("redelivery of alert:3 recorded again")
	}
	// Two deliveries of one key in flight together: one is recorded.
	a1 := d.RecordAlertAsync("alert:twice", "g", alertDecide("alert:twice", "g"))
	a2 := d.RecordAlertAsync("alert:twice", "g", alertDecide("alert:twice", "g"))
	for _, a := range []*AlertCommit{a1, a2} {
		if _, err := a.Wait(); err != nil {
			t.Fatal(err)
		}
	}
	if a1.Dup() == a2.Dup() {
		t.Fatalf("two deliveries of one key in flight: dup %v and %v, want exactly one", a1.Dup(), a2.Dup())
	}

	d = reopen(t, d, c)
	c.Add(time.Hour)
	for _, k := range []string{"alert:0", "alert:4", "alert:twice"} {
		if !recordAlert(t, d, k, "g") {
			t.Fatalf("after a restart, redelivery of %s recorded again", k)
		}
	}
	if recordAlert(t, d, "alert:5", "g") {
		t.Fatal("alert:5 after restart reported as a redelivery")
	}
	if st, err := d.Stats(); err != nil || st.Dedupe != 7 {
		t.Fatalf("Stats: %d dedupe keys, want 7 (%v)", st.Dedupe, err)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	if got, legacy := bucketKeys(t, path, bAlertDedupe), bucketKeys(t, path, bDedupe); got != 7 || legacy != 0 {
		t.Fatalf("%d keys in %s and %d in %s, want 7 and 0", got, bAlertDedupe, legacy, bDedupe)
	}

	// A day later the first keys have expired: a delivery is recorded
	// again and prunes them; a restart does not resurrect them.
	d = openClocked(t, path, c)
	c.Add(DedupeTTL - 30*time.Minute) // t0+1h+TTL-30m: the t0 keys are gone, alert:5 is not
	if recordAlert(t, d, "alert:1", "g") {
		t.Fatal("alert:1 a day later is still a redelivery")
	}
	if !recordAlert(t, d, "alert:5", "g") {
		t.Fatal("alert:5 within the day recorded again")
	}
	d = reopen(t, d, c)
	if !recordAlert(t, d, "alert:1", "g") {
		t.Fatal("alert:1, recorded again after expiry, not found after restart")
	}
	if recordAlert(t, d, "alert:2", "g") {
		t.Fatal("expired alert:2 came back after restart")
	}
}

// TestAlertDedupeDownToV4: migrating down to v4 moves the alert keys into
// the dedupe bucket, where a v4 binary finds them; migrating up again
// leaves them there, and this binary still finds them.
func TestAlertDedupeDownToV4(t *testing.T) {
	c := testclock.New(t0)
	path := filepath.Join(t.TempDir(), "fb.db")
	d := openClocked(t, path, c)
	for i := range 3 {
		recordAlert(t, d, fmt.Sprintf("alert:%d", i), "g")
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	if err := MigrateFile(path, 4, Options{NoSync: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := Verify(path); err != nil {
		t.Fatalf("Verify at v4: %v", err)
	}
	if got, legacy := bucketKeys(t, path, bAlertDedupe), bucketKeys(t, path, bDedupe); got != -1 || legacy != 3 {
		t.Fatalf("at v4: %d keys in %s (-1: no bucket) and %d in %s, want -1 and 3", got, bAlertDedupe, legacy, bDedupe)
	}
	d = openClocked(t, path, c)
	defer func() { closeAndVerify(t, d) }()
	if !recordAlert(t, d, "alert:2", "g") {
		t.Fatal("alert:2, kept in the dedupe bucket by v4, recorded again")
	}
	if recordAlert(t, d, "alert:3", "g") {
		t.Fatal("alert:3 reported as a redelivery")
	}
}

// TestCheckAlertDedupe: Check reports a damaged alert dedupe record.
func TestCheckAlertDedupe(t *testing.T) {
	d, _ := newDB(t)
	recordAlert(t, d, "alert:0", "g")
	err := d.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bAlertDedupe)
		k, v := b.Cursor().First()
		bad := append([]byte(nil), v...)
		bad[0] ^= 1
		return b.Put(append([]byte(nil), k...), bad)
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Check(); err == nil {
		t.Fatal("Check passed a damaged alert dedupe record")
	}
	// Put it back so the cleanup's Verify passes.
	err = d.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bAlertDedupe)
		k, _ := b.Cursor().First()
		k = append([]byte(nil), k...)
		return b.Put(k, seal(k, nil))
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestDecodedIncidentsFollowTheRecord: the committer keeps the incidents
// it decoded between group commits, but a record rewritten by anything
// else (here a raw write to the file, as a restore or another path
// would) is read again, never served from the kept copy.
func TestDecodedIncidentsFollowTheRecord(t *testing.T) {
	d, _ := newDB(t)
	for i := range 3 {
		recordAlert(t, d, fmt.Sprint("alert:", i), "g")
	}
	n, err := d.AlertGroupIncident("g")
	if err != nil || n == 0 {
		t.Fatalf("group incident %d: %v", n, err)
	}
	if _, ok := d.com.decoded[n]; !ok {
		t.Fatalf("%s not kept decoded after its alerts", incident.ID(n))
	}
	err = d.db.Update(func(tx *bolt.Tx) error {
		inc, err := getTx(tx, n)
		if err != nil {
			return err
		}
		inc.Title = "renamed behind the committer's back"
		enc, err := json.Marshal(inc)
		if err != nil {
			return err
		}
		return tx.Bucket(bIncidents).Put(u64(n), seal(u64(n), enc))
	})
	if err != nil {
		t.Fatal(err)
	}
	recordAlert(t, d, "alert:3", "g")
	got, err := d.Get(n)
	if err != nil {
		t.Fatal(err)
	}
	if got.Title != "renamed behind the committer's back" || got.Alerts == nil || got.Alerts.Count != 4 {
		t.Fatalf("after the next alert: title %q, alerts %+v; want the rewritten title and 4 alerts", got.Title, got.Alerts)
	}
}
