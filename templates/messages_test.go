package templates

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/firebreak-hq/firebreak/incident"
)

// messageKinds is every incident.MessageKind constant the domain declares,
// read from its source so that a kind added there cannot be missed here.
func messageKinds(t *testing.T) map[incident.MessageKind]string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("..", "incident", "*.go"))
	if err != nil || len(files) == 0 {
		t.Fatalf("incident sources: %v (%d files)", err, len(files))
	}
	kinds := map[incident.MessageKind]string{}
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			gd, ok := d.(*ast.GenDecl)
			if !ok || gd.Tok != token.CONST {
				continue
			}
			for _, spec := range gd.Specs {
				vs := spec.(*ast.ValueSpec)
				if id, ok := vs.Type.(*ast.Ident); !ok || id.Name != "MessageKind" {
					continue
				}
				for i, n := range vs.Names {
					lit, ok := vs.Values[i].(*ast.BasicLit)
					if !ok || lit.Kind != token.STRING {
						t.Fatalf("%s: %s is not a string literal", fset.Position(n.Pos()), n.Name)
					}
					v, _ := strconv.Unquote(lit.Value)
					kinds[incident.MessageKind(v)] = n.Name
				}
			}
		}
	}
	if len(kinds) == 0 {
		t.Fatal("no MessageKind constants found in incident")
	}
	return kinds
}

// notInTable are the message kinds worded outside the messages table, and where.
var notInTable = map[incident.MessageKind]string{
	incident.MsgText:     "posted as the domain wrote it (ChannelMessage)",
	incident.MsgReminder: "worded by its reminder kind (Reminder)",
	incident.MsgDigest:   "the daily digest (Digest)",
	incident.MsgBrief:    "the brief and the handover DM (Brief, HandoverDM)",
}

// TestEveryMessageKindIsWorded: every message kind the domain declares has
// its wording in the messages table, or is one of the few worded elsewhere;
// every table entry names templates that exist and renders.
func TestEveryMessageKindIsWorded(t *testing.T) {
	kinds := messageKinds(t)
	for k, name := range kinds {
		_, inTable := messages[k]
		_, elsewhere := notInTable[k]
		if inTable == elsewhere {
			t.Errorf("incident.%s (%q): in the messages table %v, worded elsewhere %v; want exactly one", name, k, inTable, elsewhere)
		}
	}
	for k := range notInTable {
		if _, ok := kinds[k]; !ok {
			t.Errorf("notInTable lists %q, which incident does not declare", k)
		}
	}
	inc := rich()
	private := rich()
	private.Private = true
	for k, m := range messages {
		if _, ok := kinds[k]; !ok {
			t.Errorf("messages has %q, which incident does not declare", k)
		}
		if m.post.tmpl == "" && m.announce.tmpl == "" {
			t.Errorf("%q: neither posted nor announced", k)
		}
		if (m.announce.tmpl != "") != (m.private != nil) {
			t.Errorf("%q: an announcement needs a private wording, and only an announcement has one", k)
		}
		f := incident.EffectFields{From: "sev3", To: "sev2", By: "U0LEAD1", User: "U0COMM1"}
		if m.post.tmpl != "" {
			if _, err := ChannelMessage(inc, incident.Effect{Kind: incident.EffPost, Msg: k, Text: "x", Fields: f}); err != nil {
				t.Errorf("%q: channel message: %v", k, err)
			}
		}
		if m.announce.tmpl != "" {
			for _, in := range []incident.Incident{inc, private} {
				if _, err := Announcement(in, incident.Effect{Kind: incident.EffAnnounce, Msg: k, Text: "x", Fields: f}); err != nil {
					t.Errorf("%q: announcement (private %v): %v", k, in.Private, err)
				}
			}
		}
	}
}
