package main

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestDocLinksResolve: every page of docs/ named anywhere in the repository (README, the
// docs themselves, code and error messages, deploy/ comments) exists, and every relative
// Markdown link points at a file that exists, so a renamed or merged page leaves no
// dangling reference.
func TestDocLinksResolve(t *testing.T) {
	root := filepath.Join("..", "..")
	named := regexp.MustCompile(`docs/[A-Za-z0-9_.-]+\.md`)
	link := regexp.MustCompile(`\]\(([^)\s#]+\.md)(#[^)]*)?\)`)
	checked := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			switch d.Name() {
			case ".git", "testdata", "node_modules":
				return filepath.SkipDir
			}
			return nil
		}
		switch filepath.Ext(path) {
		case ".md", ".go", ".yaml", ".yml", ".sh", ".toml":
		default:
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		for _, m := range named.FindAllString(string(b), -1) {
			checked++
			if _, err := os.Stat(filepath.Join(root, m)); err != nil {
				t.Errorf("%s names %s, which does not exist", rel, m)
			}
		}
		if filepath.Ext(path) != ".md" {
			return nil
		}
		for _, m := range link.FindAllStringSubmatch(string(b), -1) {
			target := m[1]
			if strings.Contains(target, "://") {
				continue
			}
			checked++
			if _, err := os.Stat(filepath.Join(filepath.Dir(path), target)); err != nil {
				t.Errorf("%s links to %s, which does not exist", rel, target)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked == 0 {
		t.Fatal("no reference to a docs page was found: the test reads nothing")
	}
}
