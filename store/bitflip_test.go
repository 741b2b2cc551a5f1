package store

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/firebreak-hq/firebreak/internal/testclock"
)

// flipFixture writes a database with every kind of record through the
// API — incidents with channels, events, outbox rows (some retried, some
// done), dedupe keys, publish metadata — and returns a compact backup of
// it, as verify-backup would be given.
func flipFixture(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	c := testclock.New(t0)
	d, err := Open(filepath.Join(dir, "live.db"), Options{NoSync: true, Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 6; i++ {
		n := declare(t, d, fmt.Sprintf("incident %d: payments API 5xx", i)).Incident.Number
		setChannel(t, d, n, fmt.Sprintf("C%03d", n))
		if _, err := d.UpdateSlack(n, func(r SlackRecord) SlackRecord {
			r.CardTS, r.ReplyURL = fmt.Sprintf("1741064767.%06d", n), fmt.Sprintf("https://hooks.example/commands/T1/%d", n)
			return r
		}); err != nil {
			t.Fatal(err)
		}
		for j := range 8 {
			mustApply(t, d, n, note(fmt.Sprintf("note %d of INC-%d: %s", j, n, strings.Repeat("x", j*7))))
		}
		if i%2 == 0 {
			mustApply(t, d, n, forceClose)
			if err := d.SetMeta(n, "issue_url", fmt.Sprintf("https://github.example/o/r/issues/%d", n)); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := d.SeenOnce(fmt.Sprintf("Ev%04d", i)); err != nil {
			t.Fatal(err)
		}
	}
	items, err := d.Pending(0)
	if err != nil {
		t.Fatal(err)
	}
	for i, it := range items {
		switch i % 3 {
		case 0:
			if err := d.Done(it.ID); err != nil {
				t.Fatal(err)
			}
		case 1:
			if err := d.Retry(it.ID, t0.Add(time.Minute), "slack: ratelimited"); err != nil {
				t.Fatal(err)
			}
		}
	}
	out := filepath.Join(dir, "backup.db")
	if err := d.BackupFile(out); err != nil {
		t.Fatal(err)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	return out
}

var errStructure = fmt.Errorf("page structure broken")

// readAll is what a file says: every bucket, key, value and sequence,
// recursively, plus a point lookup of every key of want (a damaged branch
// page can hide a key from lookups while iteration still finds it). A
// panic or memory fault while reading is returned as an error.
func readAll(path string, want map[string]bool) (out string, err error) {
	fi, err := os.Stat(path)
	if err != nil {
		return "", err
	}
	size := int(fi.Size())
	// bbolt follows page references without checking them: a page that
	// points at itself sends its cursor down forever. The file's page
	// structure must be sound before it is read through bbolt at all.
	if err := scanPages(path); err != nil {
		return "", errStructure
	}
	old := debug.SetPanicOnFault(true)
	defer debug.SetPanicOnFault(old)
	defer func() {
		if r := recover(); r != nil {
			out, err = "", fmt.Errorf("panic: %v", r)
		}
	}()
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		return "", err
	}
	defer db.Close()
	var lines []string
	err = db.View(func(tx *bolt.Tx) error {
		err := eachRecord(tx, func(path string, k, v []byte) error {
			if len(k)+len(v) > size {
				return fmt.Errorf("%s: a key or value larger than the file", path)
			}
			if v != nil {
				lines = append(lines, path+"="+hex.EncodeToString(v))
			}
			return nil
		})
		if err != nil {
			return err
		}
		for key := range want {
			parts := strings.Split(key, "/")
			var b *bolt.Bucket
			ok := true
			for i, p := range parts[:len(parts)-1] {
				k, _ := hex.DecodeString(p)
				if i == 0 {
					b = tx.Bucket([]byte(p))
				} else if b != nil {
					b = b.Bucket(k)
				}
				if b == nil {
					ok = false
					break
				}
			}
			leaf := parts[len(parts)-1]
			eq := strings.IndexByte(leaf, '=')
			if !ok || eq < 0 {
				lines = append(lines, "lookup "+key+" failed")
				continue
			}
			k, _ := hex.DecodeString(leaf[:eq])
			v := b.Get(k)
			if len(v) > size {
				return fmt.Errorf("lookup %s: a value larger than the file", key)
			}
			if got := hex.EncodeToString(v); got != leaf[eq+1:] {
				lines = append(lines, "lookup "+key+" = "+got)
			}
		}
		return nil
	})
	sort.Strings(lines)
	return strings.Join(lines, "\n"), err
}

// TestVerifyDetectsEveryBitFlip flips single bits of a real backup and
// checks, for each: verify-backup does not crash; when the flip changed
// anything the file says (a key, a value, a bucket sequence, what a lookup
// finds) or made it unreadable, verify-backup reports it; and a file it
// passes reads exactly as the original. FIREBREAK_BITFLIPS=all flips every
// bit of the file, FIREBREAK_BITFLIPS=N a sample of N, and
// FIREBREAK_BITFLIPS_REGION=B flips every bit of the first B bytes of the
// leaf page (4096: all of it); by default a sample seeded with 13
// sample of 1,000 bits plus every bit of the first 128 bytes of the first
// leaf page holding records.
func TestVerifyDetectsEveryBitFlip(t *testing.T) {
	if testing.Short() {
		t.Skip("bit flips take a while")
	}
	src := flipFixture(t)
	orig, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Verify(src); err != nil {
		t.Fatalf("the unflipped backup does not verify: %v", err)
	}
	want, err := readAll(src, nil)
	if err != nil {
		t.Fatal(err)
	}
	keys := map[string]bool{}
	for _, l := range strings.Split(want, "\n") {
		if strings.Contains(l, "=") && !strings.Contains(l, "#seq") {
			keys[l] = true
		}
	}
	want, _ = readAll(src, keys)

	bits := flipSample(t, orig)
	path := filepath.Join(t.TempDir(), "flipped.db")
	var changed, detected, harmless, passedChanged, structure int
	var misses []string
	for _, bit := range bits {
		b := bytes.Clone(orig)
		b[bit/8] ^= 1 << (bit % 8)
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
		_, verr := Verify(path)
		got, rerr := readAll(path, keys)
		if rerr == errStructure {
			structure++
		}
		isChanged := rerr != nil || got != want
		switch {
		case isChanged && verr != nil:
			changed++
			detected++
		case isChanged:
			changed++
			passedChanged++
			if len(misses) < 10 {
				misses = append(misses, fmt.Sprintf("byte %d bit %d (page %d): read %v", bit/8, bit%8, bit/8/4096, firstDiff(want, got, rerr)))
			}
		case verr != nil:
			detected++ // damage outside the records, e.g. the freelist
		default:
			harmless++
		}
	}
	t.Logf("%d bits flipped: %d changed what the file says (%d of them broke the page structure), %d of them detected; %d other flips detected; %d harmless (unused space, the older meta page)",
		len(bits), changed, structure, changed-passedChanged, detected-(changed-passedChanged), harmless)
	if passedChanged > 0 {
		t.Fatalf("verify-backup passed %d flips that changed stored data, e.g.:\n%s", passedChanged, strings.Join(misses, "\n"))
	}
	if changed == 0 {
		t.Fatal("no flip changed the data: the test exercises nothing")
	}
}

// flipSample picks the bits to flip.
func flipSample(t *testing.T, file []byte) []int {
	total := len(file) * 8
	if os.Getenv("FIREBREAK_BITFLIPS") == "all" {
		all := make([]int, total)
		for i := range all {
			all[i] = i
		}
		return all
	}
	// A fixed seed keeps the suite's run reproducible; FIREBREAK_BITFLIPS_SEED=N
	// picks another sample, =time a new one on every run.
	seed := uint64(13)
	switch s := os.Getenv("FIREBREAK_BITFLIPS_SEED"); s {
	case "":
	case "time":
		seed = uint64(time.Now().UnixNano())
	default:
		seed, _ = strconv.ParseUint(s, 10, 64)
	}
	// Written at once, not with t.Logf: a crash would lose a logged seed.
	fmt.Fprintf(os.Stderr, "bit sample seed %d (FIREBREAK_BITFLIPS_SEED=%d replays it)\n", seed, seed)
	r := rand.New(rand.NewPCG(seed, 0))
	var bits []int
	n := 1000
	if s := os.Getenv("FIREBREAK_BITFLIPS"); s != "" {
		n, _ = strconv.Atoi(s)
	}
	for range n {
		bits = append(bits, r.IntN(total))
	}
	// Every bit of the first 128 bytes (page header, element headers) of
	// the first leaf page that holds an incident record.
	const ps = 4096
	for off := 2 * ps; off+ps <= len(file); off += ps {
		if file[off+8]&leafPage != 0 && bytes.Contains(file[off:off+ps], []byte(`"title":"incident 1`)) {
			region := 128
			if s := os.Getenv("FIREBREAK_BITFLIPS_REGION"); s != "" {
				region, _ = strconv.Atoi(s)
				region = min(max(region, 0), ps)
			}
			for i := off * 8; i < (off+region)*8; i++ {
				bits = append(bits, i)
			}
			return bits
		}
	}
	t.Fatal("no leaf page holds INC-1")
	return nil
}

func firstDiff(want, got string, err error) string {
	if err != nil {
		return err.Error()
	}
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := range min(len(w), len(g)) {
		if w[i] != g[i] {
			return fmt.Sprintf("%q instead of %q", trunc(g[i]), trunc(w[i]))
		}
	}
	return fmt.Sprintf("%d lines instead of %d", len(g), len(w))
}

func trunc(s string) string {
	if len(s) > 120 {
		return s[:120] + "…"
	}
	return s
}

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
