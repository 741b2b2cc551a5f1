package store

import (
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/firebreak-hq/firebreak/incident"
)

// updateFixtures writes the schema fixtures that are missing. A committed
// fixture is never rewritten: it is the record of what a binary of that
// schema version wrote, which is the point of keeping it.
var updateFixtures = flag.Bool("update", false, "write missing testdata/schema-vN.db fixtures")

var fixtureName = regexp.MustCompile(`^schema-v(\d+)\.db$`)

func fixturePath(v int) string { return filepath.Join("testdata", fmt.Sprintf("schema-v%d.db", v)) }

// writeFixture lays out buildV1Fixture's records (made by real domain
// commands) as schema v1 wrote them, then, for a later version, migrates
// that file up to it with the binary of the day.
func writeFixture(t *testing.T, v int) {
	t.Helper()
	tmp := filepath.Join(t.TempDir(), "fixture.db")
	writeV1(t, tmp, buildV1Fixture(t))
	if v > 1 {
		if err := MigrateFile(tmp, v, Options{NoSync: true}); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.MkdirAll("testdata", 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(fixturePath(v), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	// Copy through a read transaction so the file holds only used pages.
	rawView(t, tmp, func(tx *bolt.Tx) error { _, err := tx.WriteTo(f); return err })
}

// logical reads the records of a file whatever its schema version: what
// a migration must carry over unchanged. Derived indexes (open) and the
// layout of events are left out; Verify checks those agree with the records.
func logical(t *testing.T, path string) (int, map[string]string) {
	t.Helper()
	out := map[string]string{}
	version := 0
	rawView(t, path, func(tx *bolt.Tx) error {
		v, err := schemaOf(tx)
		if err != nil {
			return err
		}
		version = v
		// From v3 records are sealed; what they say is the same.
		rec := func(k, v []byte) string {
			if version < 3 || v == nil {
				return string(v)
			}
			raw, err := unseal(k, v)
			if err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			return string(raw)
		}
		flat := func(name []byte) {
			b := tx.Bucket(name)
			out[string(name)+"#seq"] = strconv.FormatUint(b.Sequence(), 10)
			_ = b.ForEach(func(k, v []byte) error {
				if v != nil {
					if string(name) == string(bDedupeExp) {
						out[string(name)+"/"+hex.EncodeToString(k)] = string(v)
					} else {
						out[string(name)+"/"+hex.EncodeToString(k)] = rec(k, v)
					}
				}
				return nil
			})
		}
		for _, name := range [][]byte{bIncidents, bOutbox, bDedupe, bDedupeExp, bChannels} {
			flat(name)
		}
		// From v4 the Slack side of an incident is a record of its own;
		// what the incident and its Slack side say together is the same.
		if version >= 4 {
			_ = tx.Bucket(bSlack).ForEach(func(k, v []byte) error {
				key := string(bIncidents) + "/" + hex.EncodeToString(k)
				merged := map[string]any{}
				for _, raw := range []string{out[key], rec(k, v)} {
					dec := json.NewDecoder(strings.NewReader(raw))
					dec.UseNumber()
					if err := dec.Decode(&merged); err != nil {
						t.Fatalf("%s: %s: %v", path, key, err)
					}
				}
				out[key] = string(must(json.Marshal(merged)))
				return nil
			})
		}
		for key, raw := range out {
			if strings.HasPrefix(key, string(bIncidents)+"/") {
				out[key] = canonical(t, raw)
			}
		}
		_ = tx.Bucket(bMeta).ForEach(func(k, v []byte) error {
			if string(k) != string(kSchema) && string(k) != string(kSequences) {
				out["meta/"+string(k)] = string(v)
			}
			return nil
		})
		pb := tx.Bucket(bPubmeta)
		_ = pb.ForEachBucket(func(n []byte) error {
			return pb.Bucket(n).ForEach(func(k, v []byte) error {
				out["pubmeta/"+hex.EncodeToString(n)+"/"+string(k)] = rec(k, v)
				return nil
			})
		})
		eb := tx.Bucket(bEvents)
		event := func(n, seq uint64, v []byte) { out[fmt.Sprintf("event/%d/%d", n, seq)] = rec(u64(seq), v) }
		if v == 1 {
			return eb.ForEach(func(k, v []byte) error {
				n, _ := btou(k[:8])
				seq, _ := btou(k[8:])
				event(n, seq, v)
				return nil
			})
		}
		return eb.ForEachBucket(func(nk []byte) error {
			n, _ := btou(nk)
			return eb.Bucket(nk).ForEach(func(k, v []byte) error {
				seq, _ := btou(k)
				event(n, seq, v)
				return nil
			})
		})
	})
	return version, out
}

// canonical is a JSON object with its keys sorted, so that records are
// compared by what they say, not by the order of their keys.
func canonical(t *testing.T, raw string) string {
	t.Helper()
	var m map[string]any
	dec := json.NewDecoder(strings.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("%q: %v", raw, err)
	}
	return string(must(json.Marshal(m)))
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	src, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	dst, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(dst, src); err != nil {
		t.Fatal(err)
	}
	if err := dst.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestSchemaFixtures opens a copy of the fixture of every earlier schema
// version, migrates it up, down and up again, and checks after each step
// that the file verifies and every record is as the old binary wrote it.
func TestSchemaFixtures(t *testing.T) {
	for v := 1; v < SchemaVersion; v++ {
		if _, err := os.Stat(fixturePath(v)); os.IsNotExist(err) {
			if !*updateFixtures {
				t.Fatalf("no fixture for schema v%d: run `go test ./store -run TestSchemaFixtures -update` with a binary of that version", v)
			}
			writeFixture(t, v)
		}
	}
	entries, err := os.ReadDir("testdata")
	if err != nil {
		t.Fatal(err)
	}
	var versions []int
	for _, e := range entries {
		if m := fixtureName.FindStringSubmatch(e.Name()); m != nil {
			v, _ := strconv.Atoi(m[1])
			versions = append(versions, v)
		}
	}
	sort.Ints(versions)
	if len(versions) == 0 {
		t.Fatal("no schema fixtures in testdata")
	}
	for _, v := range versions {
		t.Run(fmt.Sprintf("v%d", v), func(t *testing.T) {
			if v > SchemaVersion {
				t.Fatalf("fixture for schema v%d, newer than this binary's v%d", v, SchemaVersion)
			}
			path := filepath.Join(t.TempDir(), "copy.db")
			copyFile(t, fixturePath(v), path)
			got, want := logical(t, path)
			if got != v {
				t.Fatalf("fixture %s holds schema %d", fixturePath(v), got)
			}
			if len(want) < 20 {
				t.Fatalf("fixture holds only %d records; it must exercise every bucket", len(want))
			}
			original := dump(t, path)
			steps := []struct {
				name string
				to   int
			}{
				{"up to latest", SchemaVersion},
				{"down to the fixture's version", v},
				{"up again", SchemaVersion},
			}
			for _, s := range steps {
				if err := MigrateFile(path, s.to, Options{NoSync: true}); err != nil {
					t.Fatalf("%s: %v", s.name, err)
				}
				rep, err := Verify(path)
				if err != nil {
					t.Fatalf("%s: %v", s.name, err)
				}
				if rep.Schema != s.to {
					t.Fatalf("%s: schema %d, want %d", s.name, rep.Schema, s.to)
				}
				gotV, recs := logical(t, path)
				if gotV != s.to {
					t.Fatalf("%s: logical read saw schema %d", s.name, gotV)
				}
				if d := diff(want, recs); d != "" {
					t.Fatalf("%s: records differ from the fixture:\n%s", s.name, d)
				}
				if s.to == v {
					if d := diff(original, dump(t, path)); d != "" {
						t.Fatalf("%s: layout differs from what the old binary wrote:\n%s", s.name, d)
					}
				}
			}

			// The migrated file serves: records read back through the API,
			// and numbering, timelines and the outbox continue.
			d := openTest(t, path, Options{NoSync: true, Now: func() time.Time { return t0 }})
			st, err := d.Stats()
			if err != nil {
				t.Fatal(err)
			}
			incs, err := d.List(0)
			if err != nil || len(incs) != st.Incidents || len(incs) == 0 {
				t.Fatalf("List = %d incidents (%v), Stats says %d", len(incs), err, st.Incidents)
			}
			events := 0
			for _, inc := range incs {
				if raw := want["incidents/"+hex.EncodeToString(u64(inc.Number))]; asJSON(t, inc) != asJSON(t, decodeAs[incident.Incident](t, raw)) {
					t.Fatalf("INC-%d reads back differently:\n got %s\nwant %s", inc.Number, asJSON(t, inc), raw)
				}
				slack, err := d.Slack(inc.Number)
				if err != nil {
					t.Fatal(err)
				}
				if raw := want["incidents/"+hex.EncodeToString(u64(inc.Number))]; asJSON(t, slack) != asJSON(t, decodeAs[SlackRecord](t, raw)) {
					t.Fatalf("INC-%d's Slack record reads back differently:\n got %s\nwant %s", inc.Number, asJSON(t, slack), raw)
				}
				evs, err := d.Events(inc.Number)
				if err != nil {
					t.Fatal(err)
				}
				for _, e := range evs {
					if raw := want[fmt.Sprintf("event/%d/%d", inc.Number, e.Seq)]; asJSON(t, e) != asJSON(t, decodeAs[incident.Event](t, raw)) {
						t.Fatalf("INC-%d event %d reads back differently:\n got %s\nwant %s", inc.Number, e.Seq, asJSON(t, e), raw)
					}
				}
				events += len(evs)
			}
			if events != st.Events {
				t.Fatalf("read %d events, Stats says %d", events, st.Events)
			}
			last := incs[0].Number
			before, _ := d.EventCount(last)
			res := mustApply(t, d, last, note("after the migrations"))
			if res.Events[0].Seq != uint64(before+1) {
				t.Fatalf("seq after migrations = %d, want %d", res.Events[0].Seq, before+1)
			}
			if res := declare(t, d, "after the migrations"); res.Incident.Number != st.MaxIncident+1 {
				t.Fatalf("next incident = %d, want %d", res.Incident.Number, st.MaxIncident+1)
			}
		})
	}
}

// decodeAs decodes a stored record, so that a comparison is about what
// the record says, not how it was spelled.
func decodeAs[T any](t *testing.T, raw string) T {
	t.Helper()
	var v T
	if raw == "" {
		t.Fatal("record missing from the fixture")
	}
	if err := json.Unmarshal([]byte(raw), &v); err != nil {
		t.Fatal(err)
	}
	return v
}
