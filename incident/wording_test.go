package incident

import (
	"go/ast"
	"go/parser"
	"go/token"
	"regexp"
	"strconv"
	"testing"

	"github.com/firebreak-hq/firebreak/internal/gosrc"
)

// englishWords is two words in a row: the shape of a sentence, a label
// or a hint. Identifiers, keys and formats such as "sev1", "inc-%d" or
// "15:04" do not have it.
var englishWords = regexp.MustCompile(`[A-Za-z]{2,}[,;:]?\s+[A-Za-z]{2,}`)

// slackMarkup is what Slack reads as markup: mentions, channel and
// special links, mrkdwn code and entities.
var slackMarkup = regexp.MustCompile("<[@#!]|<https?:|`|&(?:amp|lt|gt);")

// TestNoWordingInTheDomain keeps the domain free of presentation: no
// string literal in incident/ (tests aside) is English for people or
// Slack syntax. The domain names refusals and replies by Phrase, and
// templates words them.
func TestNoWordingInTheDomain(t *testing.T) {
	fset, files := gosrc.Files(t, ".")
	for _, file := range files {
		ast.Inspect(file, func(n ast.Node) bool {
			if fld, ok := n.(*ast.Field); ok && fld.Tag != nil {
				// Struct tags are for encoders, not people.
				return false
			}
			lit, ok := n.(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			s, err := strconv.Unquote(lit.Value)
			if err != nil {
				t.Fatalf("%s: %v", fset.Position(lit.Pos()), err)
			}
			if englishWords.MatchString(s) {
				t.Errorf("%s: English for people in the domain: %s (name a Phrase; templates words it)", fset.Position(lit.Pos()), lit.Value)
			}
			if slackMarkup.MatchString(s) {
				t.Errorf("%s: Slack syntax in the domain: %s", fset.Position(lit.Pos()), lit.Value)
			}
			return true
		})
	}
	if len(files) < 8 {
		t.Fatalf("checked only %d files", len(files))
	}
}

// TestDefaultPlaybook: the built-in checklist is whole and valid.
func TestDefaultPlaybook(t *testing.T) {
	p := DefaultPlaybook()
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	if p.Name != "general" || p.Severity != Sev3 || len(p.Steps) != 8 || len(p.Roles) != 2 {
		t.Fatalf("default playbook %+v", p)
	}
	fix, _, ok := (&Incident{Steps: []Step{{StepDef: p.Steps[4]}}}).Step("fix")
	if !ok || !fix.Approval || fix.Phase != PhaseFixForward || fix.Title != "Apply the fix" {
		t.Fatalf("fix step %+v", fix)
	}
}

// TestEventKindsListed: EventKinds holds every EventKind constant, once.
func TestEventKindsListed(t *testing.T) {
	file, err := parser.ParseFile(token.NewFileSet(), "events.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	declared := map[EventKind]bool{}
	ast.Inspect(file, func(n ast.Node) bool {
		vs, ok := n.(*ast.ValueSpec)
		if !ok {
			return true
		}
		if id, ok := vs.Type.(*ast.Ident); ok && id.Name == "EventKind" {
			for _, v := range vs.Values {
				s, err := strconv.Unquote(v.(*ast.BasicLit).Value)
				if err != nil {
					t.Fatal(err)
				}
				declared[EventKind(s)] = true
			}
		}
		return false
	})
	listed := map[EventKind]bool{}
	for _, k := range EventKinds {
		if listed[k] {
			t.Errorf("%s listed twice", k)
		}
		listed[k] = true
		if !declared[k] {
			t.Errorf("%s listed but not declared in events.go", k)
		}
	}
	for k := range declared {
		if !listed[k] {
			t.Errorf("%s declared in events.go but missing from EventKinds", k)
		}
	}
	if len(declared) < 20 {
		t.Fatalf("found only %d event kinds in events.go", len(declared))
	}
}
