package main

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// pointOutside copies the database from to to with the first record of
// every leaf page holding INC-1 pointing 16 MiB past its page: bbolt, which
// trusts its element headers, would read outside its memory map.
func pointOutside(t *testing.T, from, to string) (pages []int) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	const ps = 4096
	found := false
	for off := 2 * ps; off+ps <= len(b); off += ps {
		if b[off+8]&0x02 != 0 && bytes.Contains(b[off:off+ps], []byte(`"title":"incident 1"`)) {
			binary.LittleEndian.PutUint32(b[off+16+4:], 1<<24) // element 0: pos
			found = true
			pages = append(pages, off/ps)
		}
	}
	if !found {
		t.Fatal("no leaf page holds INC-1")
	}
	if err := os.WriteFile(to, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return pages
}

// TestDamagedFileIsACleanError: verify-backup, restore and postmortem
// preview on a file whose page points outside it report the damage and
// exit 1; before, the process died of SIGSEGV or SIGBUS.
func TestDamagedFileIsACleanError(t *testing.T) {
	dir, _, backup := backedUp(t, 3)
	bad := filepath.Join(dir, "damaged.db")
	pages := pointOutside(t, backup, bad)
	const damage = "key or value outside the page: database is corrupt or not a firebreak database"
	cases := []struct {
		args []string
		want string // %d is the damaged page
	}{
		{[]string{"verify-backup", bad}, "firebreak: verify " + bad + ": page %d element 0: " + damage + "\n"},
		{[]string{"restore", "--from", bad, "--db", filepath.Join(dir, "restored.db")},
			"firebreak: restore: backup " + bad + " is not usable: verify " + bad + ": page %d element 0: " + damage + "\n"},
		{[]string{"postmortem", "preview", "INC-1", "--db", bad},
			"firebreak: database " + bad + " is damaged: page %d element 0: " + damage + "; restore it from a backup\n"},
	}
	for _, tc := range cases {
		t.Run(tc.args[0], func(t *testing.T) {
			code, out, errOut := cli(t, nil, tc.args...)
			matched := false
			for _, p := range pages {
				matched = matched || errOut == fmt.Sprintf(tc.want, p)
			}
			if code != 1 || out != "" || !matched {
				t.Fatalf("exit %d, stdout %q, stderr %q; want exit 1 and %q with a page of %v", code, out, errOut, tc.want, pages)
			}
		})
	}
	if _, err := os.Stat(filepath.Join(dir, "restored.db")); !os.IsNotExist(err) {
		t.Fatalf("a refused restore created the database: %v", err)
	}
}
