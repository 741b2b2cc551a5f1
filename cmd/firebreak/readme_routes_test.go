package main

import (
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/firebreak-hq/firebreak/intake"
	"github.com/firebreak-hq/firebreak/playbooks"
)

// TestREADMERoutesExample checks the routes file the README shows: it
// passes `firebreak routes check` with the embedded playbooks.
func TestREADMERoutesExample(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
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
