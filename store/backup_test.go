package store

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// populated returns a closed database file with n incidents, one closed.
func populated(t *testing.T, path string, n int) {
	t.Helper()
	d, err := Open(path, Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	for range n {
		declare(t, d, "x")
	}
	mustApply(t, d, 1, note("n"))
	mustApply(t, d, 1, forceClose)
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestBackupWhileLive(t *testing.T) {
	d, _ := newDB(t)
	for range 5 {
		declare(t, d, "x")
	}
	mustApply(t, d, 2, forceClose)

	var buf bytes.Buffer
	n, err := d.Backup(&buf)
	if err != nil || n != int64(buf.Len()) || n == 0 {
		t.Fatalf("Backup = %d, %v (buffer %d)", n, err, buf.Len())
	}
	out := filepath.Join(t.TempDir(), "backup.db")
	if err := d.BackupFile(out); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(out + ".tmp"); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("temporary file left behind: %v", err)
	}
	rep, err := Verify(out)
	if err != nil {
		t.Fatal(err)
	}
	s, _ := d.Stats()
	if rep.Schema != SchemaVersion || rep.Incidents != s.Incidents || rep.Open != s.Open || rep.Events != s.Events ||
		rep.Outbox != s.Outbox || rep.MaxIncident != 5 {
		t.Fatalf("report %+v does not match stats %+v", rep, s)
	}
	// The live database is still writable after the backup.
	declare(t, d, "after backup")
}

func TestVerifyRejects(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.db")
	populated(t, good, 3)
	raw, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	// Damage a data page (not the meta pages) so only the check can see it.
	damaged := bytes.Clone(raw)
	pageSize := os.Getpagesize()
	for i := 2 * pageSize; i < len(damaged); i++ {
		damaged[i] ^= 0xA5
	}
	live := filepath.Join(dir, "live.db")
	openTest(t, live, Options{NoSync: true})

	tests := []struct {
		name string
		path string
		want error
	}{
		{name: "missing", path: filepath.Join(dir, "nope.db"), want: os.ErrNotExist},
		{name: "empty", path: write("empty.db", nil), want: ErrCorrupt},
		{name: "text", path: write("text.db", []byte("this is not a database\n")), want: ErrCorrupt},
		{name: "garbage pages", path: write("garbage.db", bytes.Repeat([]byte{0xde, 0xad, 0xbe, 0xef}, 4096)), want: ErrCorrupt},
		{name: "truncated", path: write("trunc.db", raw[:2*pageSize+100]), want: ErrCorrupt},
		{name: "damaged data pages", path: write("damaged.db", damaged), want: ErrCorrupt},
		{name: "directory", path: dir, want: ErrCorrupt},
		{name: "live database", path: live, want: ErrLocked},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Verify(tc.path)
			if !errors.Is(err, tc.want) {
				t.Fatalf("Verify = %v, want %v", err, tc.want)
			}
		})
	}
	if _, err := Verify(good); err != nil {
		t.Fatalf("good file: %v", err)
	}
}

func TestRestore(t *testing.T) {
	type setup func(t *testing.T, dir, from, to string)
	olderTarget := func(t *testing.T, _, _, to string) { populated(t, to, 1) }
	newerTarget := func(t *testing.T, _, _, to string) { populated(t, to, 9) }
	garbageTarget := func(t *testing.T, _, _, to string) {
		if err := os.WriteFile(to, []byte("garbage"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	liveTarget := func(t *testing.T, _, _, to string) { openTest(t, to, Options{NoSync: true}) }
	badBackup := func(t *testing.T, _, from, to string) {
		populated(t, to, 1)
		if err := os.WriteFile(from, []byte("garbage"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name     string
		setup    setup
		force    bool
		want     error // nil: restored
		restored bool
	}{
		{name: "no target", restored: true},
		{name: "older target", setup: olderTarget, restored: true},
		{name: "newer target refused", setup: newerTarget, want: ErrRefused},
		{name: "newer target forced", setup: newerTarget, force: true, restored: true},
		{name: "unreadable target refused", setup: garbageTarget, want: ErrRefused},
		{name: "unreadable target forced", setup: garbageTarget, force: true, restored: true},
		{name: "live target refused", setup: liveTarget, want: ErrLocked},
		{name: "live target forced", setup: liveTarget, force: true, restored: true},
		{name: "bad backup", setup: badBackup, force: true, want: ErrCorrupt},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			from, to := filepath.Join(dir, "backup.db"), filepath.Join(dir, "fb.db")
			populated(t, from, 4)
			if tc.setup != nil {
				tc.setup(t, dir, from, to)
			}
			before, _ := os.ReadFile(to)
			err := Restore(from, to, tc.force)
			if !errors.Is(err, tc.want) {
				t.Fatalf("Restore = %v, want %v", err, tc.want)
			}
			if _, err := os.Stat(to + ".restore"); !errors.Is(err, os.ErrNotExist) {
				t.Fatalf("temporary file left behind: %v", err)
			}
			if !tc.restored {
				if after, _ := os.ReadFile(to); !bytes.Equal(before, after) {
					t.Fatal("target changed although restore was refused")
				}
				return
			}
			rep, err := Verify(to)
			if err != nil || rep.MaxIncident != 4 {
				t.Fatalf("restored file: %+v, %v", rep, err)
			}
			d := openTest(t, to, Options{NoSync: true, Timeout: time.Second})
			if res := declare(t, d, "after restore"); res.Incident.Number != 5 {
				t.Fatalf("next number after restore = %d", res.Incident.Number)
			}
		})
	}
}
