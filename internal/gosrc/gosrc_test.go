package gosrc

import (
	"os"
	"path/filepath"
	"testing"
)

// TestFilesLeavesTestsOut: the package's files are read in name order,
// its test files left out.
func TestFilesLeavesTestsOut(t *testing.T) {
	dir := t.TempDir()
	for name, src := range map[string]string{
		"b.go":      "package p\n\nconst B = 2\n",
		"a.go":      "package p\n\nconst A = 1\n",
		"a_test.go": "package p\n\nconst T = 3\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	fset, files := Files(t, dir)
	var got []string
	for _, f := range files {
		got = append(got, filepath.Base(fset.Position(f.Pos()).Filename))
	}
	if len(got) != 2 || got[0] != "a.go" || got[1] != "b.go" {
		t.Fatalf("read %v, want [a.go b.go]", got)
	}
}
