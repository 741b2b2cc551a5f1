package templates

import (
	"go/ast"
	"go/parser"
	"go/token"
	"strconv"
	"testing"

	"github.com/firebreak-hq/firebreak/incident"
)

// TestEveryPhraseWorded: every Phrase the domain declares has exactly one
// wording here, and nothing here words a phrase the domain does not have.
func TestEveryPhraseWorded(t *testing.T) {
	file, err := parser.ParseFile(token.NewFileSet(), "../incident/phrases.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	declared := map[incident.Phrase]bool{}
	ast.Inspect(file, func(n ast.Node) bool {
		vs, ok := n.(*ast.ValueSpec)
		if !ok {
			return true
		}
		if id, ok := vs.Type.(*ast.Ident); !ok || id.Name != "Phrase" {
			return false
		}
		for _, v := range vs.Values {
			s, err := strconv.Unquote(v.(*ast.BasicLit).Value)
			if err != nil {
				t.Fatal(err)
			}
			if declared[incident.Phrase(s)] {
				t.Errorf("phrase %q declared twice", s)
			}
			declared[incident.Phrase(s)] = true
		}
		return false
	})
	if len(declared) < 80 {
		t.Fatalf("found only %d phrases in incident/phrases.go", len(declared))
	}
	for p := range declared {
		if phrases[p] == "" {
			t.Errorf("incident phrase %q has no wording in phrases.go", p)
		}
	}
	for p := range phrases {
		if !declared[p] {
			t.Errorf("phrases.go words %q, which the domain does not declare", p)
		}
	}
}

// TestRecordedText: what the domain records when nobody typed a text is
// shown in words, and what someone typed is shown as typed.
func TestRecordedText(t *testing.T) {
	for in, want := range map[string]string{
		incident.TextImpliedByResolve: "implied by resolve",
		incident.TextStopStepsDone:    "every stop-the-bleeding step is finished",
		incident.TextPinnedNone:       "(no text: the message has none, or is no longer available)",
		"rolled back 4.12":            "rolled back 4.12",
		"":                            "",
	} {
		if got := RecordedText(in); got != want {
			t.Errorf("RecordedText(%q) = %q, want %q", in, got, want)
		}
	}
	inc := incident.Incident{Number: 3}
	e := incident.Event{Kind: incident.EvPinnedText, Actor: "UBOB", Text: incident.TextPinnedNone}
	if got, want := describeEvent(inc, e, nil), "<@UBOB> · text of a message pinned earlier: (no text: the message has none, or is no longer available)"; got != want {
		t.Errorf("pinned text without text:\n got %s\nwant %s", got, want)
	}
}
