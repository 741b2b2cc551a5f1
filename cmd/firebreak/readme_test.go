package main

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"testing"
)

// TestREADMEScreenshots checks that the README shows every screenshot in
// docs/screenshots and that every picture it shows is there: a picture
// nobody sees goes stale, a missing one is a broken page.
func TestREADMEScreenshots(t *testing.T) {
	root := filepath.Join("..", "..")
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	var shown []string
	for _, m := range regexp.MustCompile(`!\[[^\]]*\]\(([^)\s]+)\)`).FindAllStringSubmatch(string(readme), -1) {
		shown = append(shown, m[1])
		if _, err := os.Stat(filepath.Join(root, filepath.FromSlash(m[1]))); err != nil {
			t.Errorf("the README shows %s, which is missing: %v", m[1], err)
		}
	}
	files, err := filepath.Glob(filepath.Join(root, "docs", "screenshots", "*"))
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
