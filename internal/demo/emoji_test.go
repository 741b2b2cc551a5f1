package demo

import (
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// emojiCode is a Slack emoji code as Slack reads it: :name: not glued to a
// word before it (so "file:line:" is not one).
var emojiCode = regexp.MustCompile(`(?:^|[^\p{L}\p{N}_]):([a-z0-9_+-]*[a-z][a-z0-9_+-]*):`)

// notProduct are the directories whose text the bot never sends: the fakes,
// this page, the load generator.
var notProduct = map[string]bool{
	"internal/slackfake": true, "internal/githubfake": true, "internal/demo": true,
	"cmd/firebreak-load": true, ".git": true, "docs": true,
	// Test support: it posts nothing to Slack.
	"store/pgstore/pgtest": true, "internal/pagerdutyfake": true, "internal/opsgeniefake": true,
	"internal/fakehttp": true, "internal/golden": true,
}

// botEmoji collects every emoji code in what the product can post: the
// string literals of its Go code, its templates and playbooks, and the
// golden files that pin its messages.
func botEmoji(t *testing.T) map[string][]string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("repository root not found at %s: %v", root, err)
	}
	found := map[string][]string{}
	add := func(path, text string) {
		for _, m := range emojiCode.FindAllStringSubmatch(text, -1) {
			rel, _ := filepath.Rel(root, path)
			if !slices.Contains(found[m[1]], rel) {
				found[m[1]] = append(found[m[1]], rel)
			}
		}
	}
	fset := token.NewFileSet()
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		if d.IsDir() {
			if notProduct[filepath.ToSlash(rel)] {
				return filepath.SkipDir
			}
			return nil
		}
		name := d.Name()
		switch {
		case strings.HasSuffix(name, "_test.go"):
			return nil
		case strings.HasSuffix(name, ".go"):
			f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
			if err != nil {
				return err
			}
			ast.Inspect(f, func(n ast.Node) bool {
				if lit, ok := n.(*ast.BasicLit); ok && lit.Kind == token.STRING {
					if s, err := strconv.Unquote(lit.Value); err == nil {
						add(path, s)
					}
				}
				return true
			})
		case strings.HasSuffix(name, ".tmpl"), strings.HasSuffix(name, ".golden"),
			strings.HasSuffix(name, ".yaml") && strings.Contains(filepath.ToSlash(rel), "playbooks/"):
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			add(path, string(b))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return found
}

// TestEveryBotEmojiRenders checks that the page has a picture for every
// emoji code the bot can send, so none shows as ":mega:" text.
func TestEveryBotEmojiRenders(t *testing.T) {
	b, err := assets.ReadFile("assets/emoji.json")
	if err != nil {
		t.Fatal(err)
	}
	var table map[string]string
	if err := json.Unmarshal(b, &table); err != nil {
		t.Fatalf("emoji.json: %v", err)
	}
	found := botEmoji(t)
	// The scan must see the codes the issue named, or it scans nothing.
	for _, must := range []string{"mega", "alarm_clock", "newspaper", "white_check_mark", "red_circle"} {
		if found[must] == nil {
			t.Errorf("the scan did not find :%s:, which the bot sends: the scan is broken", must)
		}
	}
	names := slices.Sorted(maps.Keys(found))
	for _, name := range names {
		if table[name] == "" {
			t.Errorf(":%s: (in %s) has no rendering in assets/emoji.json", name, strings.Join(found[name], ", "))
		}
	}
	t.Logf("%d emoji codes in the product, all rendered: %v", len(names), names)
}
