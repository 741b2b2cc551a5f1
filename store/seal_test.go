package store

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// TestReadsCheckRecordChecksums: a record whose bytes changed on disk is
// refused as ErrCorrupt by every read that meets it, instead of being
// served as data.
func TestReadsCheckRecordChecksums(t *testing.T) {
	path := filepath.Join(t.TempDir(), "fb.db")
	d, err := Open(path, Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	n := declare(t, d, "Disk full on db-3").Incident.Number
	mustApply(t, d, n, note("WAL archiving stalled"))
	if err := d.SetMeta(n, "issue_url", "https://github.example/o/r/issues/1"); err != nil {
		t.Fatal(err)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// One letter changed in every copy of each record: what a flipped bit
	// in the page would do to the value.
	for _, r := range [][2]string{
		{"Disk full on db-3", "Disk fulL on db-3"},
		{"WAL archiving stalled", "WAL archiving Stalled"},
		{"issues/1", "issues/7"},
	} {
		if !bytes.Contains(b, []byte(r[0])) {
			t.Fatalf("%q not in the file", r[0])
		}
		b = bytes.ReplaceAll(b, []byte(r[0]), []byte(r[1]))
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	d, err = Open(path, Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	reads := map[string]func() error{
		"Get":            func() error { _, err := d.Get(n); return err },
		"List":           func() error { _, err := d.List(0); return err },
		"OpenIncidents":  func() error { _, err := d.OpenIncidents(); return err },
		"Events":         func() error { _, err := d.Events(n); return err },
		"Meta":           func() error { _, err := d.Meta(n, "issue_url"); return err },
		"Apply":          func() error { _, err := d.Apply(n, cmdFn(note("more"), t0)); return err },
		"Check (verify)": d.Check,
	}
	for name, read := range reads {
		if err := read(); !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s on a changed record: %v, want ErrCorrupt", name, err)
		}
	}
}
