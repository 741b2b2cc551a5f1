package main

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/firebreak-hq/firebreak/intake"
	"github.com/firebreak-hq/firebreak/playbooks"
)

// The README and docs/ say what the product does; these tests keep what
// they show true.

// readRepoFile reads a file of the repository, by its path from the top.
func readRepoFile(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot, filepath.FromSlash(name)))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestDocLinksResolve: every page of docs/ named anywhere in the repository (README, the
// docs themselves, code and error messages, deploy/ comments) exists, and every relative
// Markdown link points at a file that exists, so a renamed or merged page leaves no
// dangling reference.
func TestDocLinksResolve(t *testing.T) {
	root := repoRoot
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

// TestREADMEScreenshots checks that the README shows every screenshot in
// docs/screenshots and that every picture it shows is there: a picture
// nobody sees goes stale, a missing one is a broken page.
func TestREADMEScreenshots(t *testing.T) {
	readme := readRepoFile(t, "README.md")
	var shown []string
	for _, m := range regexp.MustCompile(`!\[[^\]]*\]\(([^)\s]+)\)`).FindAllStringSubmatch(string(readme), -1) {
		shown = append(shown, m[1])
		if _, err := os.Stat(filepath.Join(repoRoot, filepath.FromSlash(m[1]))); err != nil {
			t.Errorf("the README shows %s, which is missing: %v", m[1], err)
		}
	}
	files, err := filepath.Glob(filepath.Join(repoRoot, "docs", "screenshots", "*"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("docs/screenshots is empty")
	}
	for _, f := range files {
		rel := "docs/screenshots/" + filepath.Base(f)
		if !slices.Contains(shown, rel) {
			t.Errorf("%s is not shown in the README: use it or remove it", rel)
		}
	}
}

// TestREADMERoutesExample checks the routes file the README shows: it
// passes `firebreak routes check` with the embedded playbooks.
func TestREADMERoutesExample(t *testing.T) {
	readme := readRepoFile(t, "README.md")
	m := regexp.MustCompile("(?s)\n`routes.yaml` .*?```yaml\n(.*?)```").FindSubmatch(readme)
	if m == nil {
		t.Fatal("the README shows no routes.yaml example")
	}
	pbs, err := playbooks.Load("")
	if err != nil {
		t.Fatal(err)
	}
	rs, err := intake.ParseRoutes("README.md", m[1], pbs)
	if err != nil {
		t.Fatalf("the README's routes example does not check:\n%v", err)
	}
	if len(rs.Routes) != 4 || len(rs.PageRoutes()) != 1 {
		t.Fatalf("parsed %d routes, %d page routes", len(rs.Routes), len(rs.PageRoutes()))
	}
}
