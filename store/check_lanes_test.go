package store

import (
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/firebreak-hq/firebreak/incident"
)

// alertFile makes a database with INC-1 declared by hand and INC-2 opened
// by firing group "am:g", which paged "pd" (one page_outbox row).
func alertFile(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "fb.db")
	d, err := Open(path, Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	declare(t, d, "by hand")
	_, _, err = d.RecordAlert("k1", "am:g", func(open *incident.Incident, next uint64) (AlertDecision, error) {
		r, err := incident.DeclareFromAlert(next, incident.AlertDeclaration{
			Alert:    incident.Alert{Source: "alertmanager", Group: "am:g", Key: "fp", Status: incident.AlertFiring, Title: "Errors"},
			Severity: incident.Sev1, Playbook: incident.DefaultPlaybook(), Page: []string{"pd"},
		}, t0)
		return AlertDecision{Result: r, Create: true}, err
	})
	if err != nil {
		t.Fatal(err)
	}
	if rows, err := d.PageOutbox().Pending(0); err != nil || len(rows) != 1 {
		t.Fatalf("page rows %v %v", rows, err)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := Verify(path); err != nil {
		t.Fatalf("the intact file: %v", err)
	}
	return path
}

func pageRow(t *testing.T, id, n uint64, kind incident.EffectKind) []byte {
	t.Helper()
	v, err := json.Marshal(OutboxItem{ID: id, Incident: n, Effect: incident.Effect{Kind: kind}})
	if err != nil {
		t.Fatal(err)
	}
	return seal(u64(id), v)
}

// TestCheckAlertGroupsAndPageOutbox: a damaged or inconsistent record in
// alert_groups or page_outbox makes Verify fail with ErrCorrupt, naming it.
func TestCheckAlertGroupsAndPageOutbox(t *testing.T) {
	cases := []struct {
		name   string
		damage func(t *testing.T, tx *bolt.Tx) error
		want   string
	}{
		{"group: bad seal", func(t *testing.T, tx *bolt.Tx) error {
			v := seal([]byte("am:g"), u64(2))
			v[len(v)-1] ^= 1
			return tx.Bucket(bAlertGroups).Put([]byte("am:g"), v)
		}, "checksum"},
		{"group: missing incident", func(t *testing.T, tx *bolt.Tx) error {
			return tx.Bucket(bAlertGroups).Put([]byte("am:h"), seal([]byte("am:h"), u64(9)))
		}, `alert group "am:h" → missing INC-9`},
		{"group: incident of another group", func(t *testing.T, tx *bolt.Tx) error {
			return tx.Bucket(bAlertGroups).Put([]byte("am:h"), seal([]byte("am:h"), u64(1)))
		}, `alert group "am:h" → INC-1, which that group did not open`},
		{"group: open incident not indexed", func(t *testing.T, tx *bolt.Tx) error {
			return tx.Bucket(bAlertGroups).Delete([]byte("am:g"))
		}, `INC-2: open, but its alert group "am:g" is not indexed to it`},
		{"page row: bad seal", func(t *testing.T, tx *bolt.Tx) error {
			b := tx.Bucket(bPageOutbox)
			k, v := b.Cursor().First()
			bad := append([]byte(nil), v...)
			bad[len(bad)-2] ^= 1
			return b.Put(k, bad)
		}, "checksum"},
		{"page row: not a page", func(t *testing.T, tx *bolt.Tx) error {
			return tx.Bucket(bPageOutbox).Put(u64(1), pageRow(t, 1, 2, incident.EffPost))
		}, `page_outbox 1: effect "channel.post" in the wrong outbox`},
		{"page row: missing incident", func(t *testing.T, tx *bolt.Tx) error {
			return tx.Bucket(bPageOutbox).Put(u64(1), pageRow(t, 1, 7, incident.EffPageTrigger))
		}, "page_outbox 1: missing INC-7"},
		{"page row: above the sequence", func(t *testing.T, tx *bolt.Tx) error {
			return tx.Bucket(bPageOutbox).Put(u64(5), pageRow(t, 5, 2, incident.EffPageTrigger))
		}, "page_outbox 5: record id 5, sequence 1"},
		{"page effect in the Slack outbox", func(t *testing.T, tx *bolt.Tx) error {
			b := tx.Bucket(bOutbox)
			id, err := b.NextSequence()
			if err != nil {
				return err
			}
			if err := b.Put(u64(id), pageRow(t, id, 2, incident.EffPageResolve)); err != nil {
				return err
			}
			return syncSequences(tx)
		}, `effect "page.resolve" in the wrong outbox`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			damageAndVerify(t, alertFile(t), func(tx *bolt.Tx) error { return tc.damage(t, tx) }, tc.want)
		})
	}
}

// damageAndVerify changes the closed database at path with damage, in
// one bbolt transaction, and expects Verify to fail with ErrCorrupt
// saying want.
func damageAndVerify(t *testing.T, path string, damage func(tx *bolt.Tx) error, want string) {
	t.Helper()
	rawUpdate(t, path, damage)
	_, err := Verify(path)
	if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), want) {
		t.Fatalf("Verify = %v, want ErrCorrupt saying %q", err, want)
	}
}
