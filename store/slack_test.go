package store

import (
	"errors"
	"path/filepath"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/firebreak-hq/firebreak/incident"
)

func declareFn(title string) func(n uint64) (incident.Result, error) {
	return func(n uint64) (incident.Result, error) {
		return incident.Declare(n, incident.Declaration{Title: title, Declarer: "U1"}, t0)
	}
}

// TestSlackRecordBesideTheIncident: the declaration stores the incident
// and its Slack record together, later answers update the record alone,
// and a record reads back after a restart.
func TestSlackRecordBesideTheIncident(t *testing.T) {
	path := filepath.Join(t.TempDir(), "fb.db")
	d, err := Open(path, Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	declared := SlackRecord{OriginChannel: "CGENERAL", ReplyURL: "https://hooks.example/commands/T1/1/a"}
	res, err := d.CreateWithSlack(declared, declareFn("checkout down"))
	if err != nil {
		t.Fatal(err)
	}
	n := res.Incident.Number
	if got, err := d.Slack(n); err != nil || got != declared {
		t.Fatalf("Slack(%d) = %+v, %v; want %+v", n, got, err, declared)
	}
	got, err := d.UpdateSlack(n, func(r SlackRecord) SlackRecord { r.CardTS = "1.2"; return r })
	want := declared
	want.CardTS = "1.2"
	if err != nil || got != want {
		t.Fatalf("UpdateSlack = %+v, %v; want %+v", got, err, want)
	}
	// A plain declaration has no Slack record, and reads as the zero one.
	plain := declare(t, d, "no slack side").Incident.Number
	if got, err := d.Slack(plain); err != nil || got != (SlackRecord{}) {
		t.Fatalf("Slack of a plain declaration = %+v, %v", got, err)
	}
	if st, _ := d.Stats(); st.Slack != 1 {
		t.Fatalf("Stats.Slack = %d, want 1", st.Slack)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	rep, err := Verify(path)
	if err != nil || rep.Slack != 1 || rep.Schema != SchemaVersion {
		t.Fatalf("Verify = %+v, %v", rep, err)
	}
	d = openTest(t, path, Options{NoSync: true})
	if got, err := d.Slack(n); err != nil || got != want {
		t.Fatalf("after restart Slack(%d) = %+v, %v; want %+v", n, got, err, want)
	}
	// Emptied, the record is not kept.
	if _, err := d.UpdateSlack(n, func(SlackRecord) SlackRecord { return SlackRecord{} }); err != nil {
		t.Fatal(err)
	}
	if st, _ := d.Stats(); st.Slack != 0 {
		t.Fatalf("Stats.Slack after emptying = %d, want 0", st.Slack)
	}
}

// TestSlackRecordRefusals: a refused declaration stores no Slack record,
// and there is no Slack record for an incident that does not exist.
func TestSlackRecordRefusals(t *testing.T) {
	d, _ := newDB(t)
	boom := errors.New("boom")
	if _, err := d.CreateWithSlack(SlackRecord{ReplyURL: "https://hooks.example/x"}, func(uint64) (incident.Result, error) {
		return incident.Result{}, boom
	}); err != boom {
		t.Fatalf("err = %v, want boom as is", err)
	}
	if st, _ := d.Stats(); st.Slack != 0 || st.Incidents != 0 {
		t.Fatalf("stats after a refused declaration: %+v", st)
	}
	if _, err := d.Slack(1); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Slack of a missing incident: %v", err)
	}
	called := false
	if _, err := d.UpdateSlack(1, func(r SlackRecord) SlackRecord { called = true; return r }); !errors.Is(err, ErrNotFound) || called {
		t.Fatalf("UpdateSlack of a missing incident: %v (fn called: %v)", err, called)
	}
}

// TestCheckSlackBucket: the integrity check reports a Slack record whose
// seal is wrong, one for no incident, and an empty one.
func TestCheckSlackBucket(t *testing.T) {
	cases := []struct {
		name string
		key  uint64
		val  func(k []byte) []byte
		want string
	}{
		{"bad seal", 1, func(k []byte) []byte { v := seal(k, []byte(`{"card_ts":"1.2"}`)); v[0] ^= 1; return v }, "checksum"},
		{"no such incident", 9, func(k []byte) []byte { return seal(k, []byte(`{"card_ts":"1.2"}`)) }, "slack: missing INC-9"},
		{"empty record", 1, func(k []byte) []byte { return seal(k, []byte(`{}`)) }, "empty record"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "fb.db")
			d, err := Open(path, Options{NoSync: true})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := d.CreateWithSlack(SlackRecord{CardTS: "1.1"}, declareFn("x")); err != nil {
				t.Fatal(err)
			}
			if err := d.Close(); err != nil {
				t.Fatal(err)
			}
			damageAndVerify(t, path, func(tx *bolt.Tx) error {
				k := u64(tc.key)
				return tx.Bucket(bSlack).Put(k, tc.val(k))
			}, tc.want)
		})
	}
}
