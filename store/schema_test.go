package store

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/firebreak-hq/firebreak/incident"
)

// v1Fixture is data laid out the way schema v1 stored it. It is built from
// real domain commands so the records are what a v1 binary wrote.
type v1Fixture struct {
	incidents []incident.Incident
	events    map[uint64][]incident.Event
	outbox    []OutboxItem
	dedupe    map[string]time.Time // key → expiry
	pubmeta   map[uint64]map[string]string
}

func buildV1Fixture(t *testing.T) v1Fixture {
	t.Helper()
	f := v1Fixture{events: map[uint64][]incident.Event{}, pubmeta: map[uint64]map[string]string{}, dedupe: map[string]time.Time{}}
	now := t0
	record := func(res incident.Result) incident.Incident {
		n := res.Incident.Number
		for _, e := range res.Events {
			e.Seq = uint64(len(f.events[n]) + 1)
			f.events[n] = append(f.events[n], e)
		}
		for _, eff := range res.Effects {
			f.outbox = append(f.outbox, OutboxItem{ID: uint64(len(f.outbox) + 1), Incident: n, Effect: eff, Created: now})
		}
		return res.Incident
	}
	must := func(res incident.Result, err error) incident.Result {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	for n := uint64(1); n <= 4; n++ {
		inc := record(must(incident.Declare(n, incident.Declaration{Title: fmt.Sprintf("fixture %d", n), Declarer: "U1"}, now)))
		if n <= 2 {
			inc = record(incident.RecordChannel(inc, fmt.Sprintf("C%d", n), fmt.Sprintf("inc-%d-fixture", n), now))
		}
		for i := range int(n) {
			now = now.Add(time.Minute)
			inc = record(must(incident.Apply(inc, note(fmt.Sprintf("note %d", i)), now)))
		}
		switch n {
		case 2:
			inc = record(must(incident.Apply(inc, forceClose, now)))
			f.pubmeta[n] = map[string]string{"issue_url": "https://github.com/o/r/issues/9", "issue": "9"}
		case 3:
			inc = record(must(incident.Apply(inc, incident.Command{Kind: incident.CmdMitigated, Actor: "U2"}, now)))
		}
		f.incidents = append(f.incidents, inc)
	}
	f.outbox[0].Attempts, f.outbox[0].LastError, f.outbox[0].NotBefore = 3, "ratelimited", now.Add(time.Hour)
	f.dedupe["Ev01"] = now.Add(DedupeTTL)
	f.dedupe["Ev02"] = now.Add(time.Hour)
	return f
}

// writeV1 writes f with the v1 layout: flat events bucket keyed n|seq, no
// open index. It is kept here, independent of the production code, as the
// reference of what v1 files look like.
func writeV1(t *testing.T, path string, f v1Fixture) {
	t.Helper()
	rawUpdate(t, path, func(tx *bolt.Tx) error {
		b := map[string]*bolt.Bucket{}
		for _, name := range []string{"meta", "incidents", "events", "outbox", "dedupe", "dedupe_exp", "channels", "pubmeta"} {
			nb, err := tx.CreateBucket([]byte(name))
			if err != nil {
				return err
			}
			b[name] = nb
		}
		put := func(bk *bolt.Bucket, k []byte, v any) {
			raw, err := json.Marshal(v)
			if err != nil {
				t.Fatal(err)
			}
			if err := bk.Put(k, raw); err != nil {
				t.Fatal(err)
			}
		}
		_ = b["meta"].Put([]byte("schema"), u64(1))
		for _, inc := range f.incidents {
			put(b["incidents"], u64(inc.Number), inc)
			if inc.Channel != "" {
				_ = b["channels"].Put([]byte(inc.Channel), u64(inc.Number))
			}
			for _, e := range f.events[inc.Number] {
				put(b["events"], pair(inc.Number, e.Seq), e)
			}
		}
		_ = b["incidents"].SetSequence(uint64(len(f.incidents)))
		for _, it := range f.outbox {
			put(b["outbox"], u64(it.ID), it)
		}
		_ = b["outbox"].SetSequence(uint64(len(f.outbox)))
		for k, exp := range f.dedupe {
			e := uint64(exp.UnixNano())
			_ = b["dedupe"].Put([]byte(k), u64(e))
			_ = b["dedupe_exp"].Put(expKey(e, []byte(k)), nil)
		}
		for n, kv := range f.pubmeta {
			nb, err := b["pubmeta"].CreateBucket(u64(n))
			if err != nil {
				return err
			}
			for k, v := range kv {
				_ = nb.Put([]byte(k), []byte(v))
			}
		}
		return nil
	})
}

// dump flattens every bucket, key, value and bucket sequence of a file.
func dump(t *testing.T, path string) map[string]string {
	t.Helper()
	out := map[string]string{}
	rawView(t, path, func(tx *bolt.Tx) error {
		return eachRecord(tx, func(path string, _, v []byte) error {
			if v != nil {
				out[path] = string(v)
			}
			return nil
		})
	})
	return out
}

func diff(a, b map[string]string) string {
	var d []string
	for k, v := range a {
		if w, ok := b[k]; !ok {
			d = append(d, "only before: "+k)
		} else if v != w {
			d = append(d, "changed: "+k)
		}
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			d = append(d, "only after: "+k)
		}
	}
	sort.Strings(d)
	if len(d) > 10 {
		d = append(d[:10], "…")
	}
	return strings.Join(d, "\n")
}

func asJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestMigrateUpDownUp(t *testing.T) {
	f := buildV1Fixture(t)
	path := filepath.Join(t.TempDir(), "v1.db")
	writeV1(t, path, f)
	v1 := dump(t, path)

	rep, err := Verify(path)
	if err != nil {
		t.Fatalf("Verify of a v1 file: %v", err)
	}
	totalEvents := 0
	for _, evs := range f.events {
		totalEvents += len(evs)
	}
	if rep.Schema != 1 || rep.Incidents != 4 || rep.Open != 3 || rep.Events != totalEvents || rep.Outbox != len(f.outbox) {
		t.Fatalf("v1 report = %+v", rep)
	}

	// Open migrates up; every record reads back as written.
	d, err := Open(path, Options{NoSync: true, Now: func() time.Time { return t0 }})
	if err != nil {
		t.Fatal(err)
	}
	checkFixture(t, d, f)
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	latest := dump(t, path)
	if latest["meta/"+hex.EncodeToString(kSchema)] != string(u64(SchemaVersion)) {
		t.Fatalf("schema not %d after Open", SchemaVersion)
	}

	steps := []struct {
		name string
		to   int
		want map[string]string
	}{
		{name: "down to v1", to: 1, want: v1},
		{name: "down again is a no-op", to: 1, want: v1},
		{name: "up to latest", to: SchemaVersion, want: latest},
		{name: "down to v1 again", to: 1, want: v1},
		{name: "up again", to: SchemaVersion, want: latest},
	}
	for _, s := range steps {
		if err := MigrateFile(path, s.to, Options{NoSync: true}); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if dd := diff(s.want, dump(t, path)); dd != "" {
			t.Fatalf("%s: layout differs:\n%s", s.name, dd)
		}
		if _, err := Verify(path); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
	}

	// After the round trips, new writes continue the sequences.
	d = openTest(t, path, Options{NoSync: true, Now: func() time.Time { return t0 }})
	checkFixture(t, d, f)
	res := mustApply(t, d, 4, note("after migration"))
	if want := uint64(len(f.events[4]) + 1); res.Events[0].Seq != want {
		t.Fatalf("seq after migration = %d, want %d", res.Events[0].Seq, want)
	}
	if res := declare(t, d, "new"); res.Incident.Number != 5 {
		t.Fatalf("number after migration = %d, want 5", res.Incident.Number)
	}
	items, _ := d.Pending(0)
	if items[len(items)-1].ID <= uint64(len(f.outbox)) {
		t.Fatal("outbox ids repeat after migration")
	}
}

func checkFixture(t *testing.T, d *DB, f v1Fixture) {
	t.Helper()
	for _, want := range f.incidents {
		got, err := d.Get(want.Number)
		if err != nil || asJSON(t, got) != asJSON(t, want) {
			t.Fatalf("INC-%d after migration:\n got %s\nwant %s (%v)", want.Number, asJSON(t, got), asJSON(t, want), err)
		}
		evs, err := d.Events(want.Number)
		if err != nil || asJSON(t, evs) != asJSON(t, f.events[want.Number]) {
			t.Fatalf("INC-%d events after migration differ (%v)", want.Number, err)
		}
	}
	open, _ := d.OpenIncidents()
	if got := fmt.Sprint(numbers(open)); got != "[1 3 4]" {
		t.Fatalf("open index after migration = %s", got)
	}
	if inc, err := d.ByChannel("C2"); err != nil || inc.Number != 2 {
		t.Fatalf("ByChannel(C2) = %d, %v", inc.Number, err)
	}
	items, _ := d.Pending(0)
	if asJSON(t, items) != asJSON(t, f.outbox) {
		t.Fatal("outbox differs after migration")
	}
	if v, _ := d.Meta(2, "issue_url"); v != f.pubmeta[2]["issue_url"] {
		t.Fatalf("pubmeta after migration = %q", v)
	}
	if seen, _ := d.SeenOnce("Ev01"); !seen {
		t.Fatal("dedupe key lost in migration")
	}
}

func TestMigrationRegistry(t *testing.T) {
	if len(migrations) != SchemaVersion-1 {
		t.Fatalf("%d migrations for schema %d", len(migrations), SchemaVersion)
	}
	for i, m := range migrations {
		if m.Version != i+2 || m.Up == nil || m.Down == nil || m.Name == "" {
			t.Fatalf("migration %d malformed: %+v", i, m)
		}
	}
}

func TestMigrateRaw(t *testing.T) {
	tests := []struct {
		name    string
		to      int
		wantErr bool
	}{
		{name: "initialise empty file at v1", to: 1},
		{name: "initialise empty file at latest", to: SchemaVersion},
		{name: "below 1", to: 0, wantErr: true},
		{name: "above latest", to: SchemaVersion + 1, wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "raw.db")
			db, err := bolt.Open(path, 0o600, &bolt.Options{NoSync: true})
			if err != nil {
				t.Fatal(err)
			}
			err = Migrate(db, tc.to)
			if cerr := db.Close(); cerr != nil {
				t.Fatal(cerr)
			}
			if (err != nil) != tc.wantErr {
				t.Fatalf("Migrate(%d) = %v", tc.to, err)
			}
			if tc.wantErr {
				return
			}
			rep, err := Verify(path)
			if err != nil || rep.Schema != tc.to {
				t.Fatalf("Verify = %+v, %v", rep, err)
			}
		})
	}
}

// setRawSchema rewrites the version field, as a newer binary would.
func setRawSchema(t *testing.T, path string, v uint64) {
	t.Helper()
	rawUpdate(t, path, func(tx *bolt.Tx) error { return tx.Bucket(bMeta).Put(kSchema, u64(v)) })
}

func TestRefuseNewerSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "fb.db")
	d, err := Open(path, Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	declare(t, d, "x")
	_ = d.Close()
	setRawSchema(t, path, SchemaVersion+1)
	before := dump(t, path)

	checks := []struct {
		name string
		run  func() error
	}{
		{name: "Open", run: func() error { _, err := Open(path, Options{}); return err }},
		{name: "Verify", run: func() error { _, err := Verify(path); return err }},
		{name: "MigrateFile down", run: func() error { return MigrateFile(path, 1, Options{}) }},
	}
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) {
			err := c.run()
			if !errors.Is(err, ErrNewerSchema) {
				t.Fatalf("err = %v, want ErrNewerSchema", err)
			}
			if !strings.Contains(err.Error(), fmt.Sprint(SchemaVersion+1)) {
				t.Errorf("message does not name the file's version: %v", err)
			}
		})
	}
	if dd := diff(before, dump(t, path)); dd != "" {
		t.Fatalf("a newer file was modified:\n%s", dd)
	}
}

func TestOpenForeignBoltFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "other.db")
	rawUpdate(t, path, func(tx *bolt.Tx) error { _, err := tx.CreateBucket([]byte("someone-else")); return err })
	if _, err := Open(path, Options{}); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("Open of a foreign bbolt file: %v, want ErrCorrupt", err)
	}
	if !reflect.DeepEqual(dump(t, path), map[string]string{"someone-else#seq": "0"}) {
		t.Fatal("foreign file was modified")
	}
}
