// Package gosrc reads a package's Go sources for the tests that hold the
// code to a rule (no wording in the domain or the Slack edge, every Slack
// method the bot calls allowed by the manifest). It imports nothing of
// the project.
package gosrc

import (
	"go/ast"
	"go/build"
	"go/parser"
	"go/token"
	"path/filepath"
	"testing"
)

// Files parses the non-test Go files of the package in dir (those the
// build would compile here), in name order, and fails the test when it
// cannot or when there are none: a rule checked over no file proves
// nothing.
func Files(t testing.TB, dir string) (*token.FileSet, []*ast.File) {
	t.Helper()
	pkg, err := build.ImportDir(dir, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(pkg.GoFiles) == 0 {
		t.Fatalf("no Go files in %s", dir)
	}
	fset := token.NewFileSet()
	files := make([]*ast.File, 0, len(pkg.GoFiles))
	for _, name := range pkg.GoFiles {
		f, err := parser.ParseFile(fset, filepath.Join(dir, name), nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	return fset, files
}
