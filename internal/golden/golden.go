// Package golden compares what a test rendered with a file kept beside
// it, for the exact texts people read. It imports nothing of the project.
package golden

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

// Update is the -update flag of every test binary that uses this
// package: it rewrites the golden files (and the fixtures a test writes
// only when asked) from the current output.
var Update = flag.Bool("update", false, "rewrite the golden files in testdata from the current output")

// Check compares got with the file at path; with -update it first writes
// got there.
func Check(t testing.TB, path string, got []byte) {
	t.Helper()
	if *Update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run the test with -update to write it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs:\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

// Testdata is Check of the file name in the package's testdata folder.
func Testdata(t testing.TB, name string, got []byte) {
	t.Helper()
	Check(t, filepath.Join("testdata", name), got)
}
