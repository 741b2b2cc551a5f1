package templates

import (
	"go/constant"
	"go/importer"
	"go/token"
	"go/types"
	"testing"

	"github.com/firebreak-hq/firebreak/incident"
)

// messageKinds is every incident.MessageKind constant the domain declares,
// named, read from its source so that a kind added there cannot be
// missed here.
func messageKinds(t *testing.T) map[incident.MessageKind]string {
	t.Helper()
	pkg, err := importer.ForCompiler(token.NewFileSet(), "source", nil).Import("github.com/firebreak-hq/firebreak/incident")
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[incident.MessageKind]string{}
	scope := pkg.Scope()
	for _, name := range scope.Names() {
		c, ok := scope.Lookup(name).(*types.Const)
		if ok && c.Exported() && types.TypeString(c.Type(), nil) == "github.com/firebreak-hq/firebreak/incident.MessageKind" {
			kinds[incident.MessageKind(constant.StringVal(c.Val()))] = name
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

// TestStatusUpdateKeepsItsMoment: a status update is worded with the
// severity and status the incident had when it was given, however late
// the message is sent; an update stored without them (written by an
// older version) takes the incident's current ones.
func TestStatusUpdateKeepsItsMoment(t *testing.T) {
	inc := incident.Incident{Number: 4, Title: "Checkout errors", Severity: incident.Sev1, Status: incident.StatusResolved}
	given := incident.Effect{Kind: incident.EffPost, Msg: incident.MsgStatusUpdate, Text: "Payments fail.",
		Fields: incident.EffectFields{By: "UALICE", Severity: incident.Sev2, Status: incident.StatusActive}}
	cases := []struct {
		e      incident.Effect
		render func(incident.Incident, incident.Effect) (string, error)
		want   string
	}{
		{given, ChannelMessage, ":mega: *Status update* from <@UALICE> (SEV2, active):\n>Payments fail."},
		{incident.Effect{Kind: incident.EffAnnounce, Msg: given.Msg, Text: given.Text, Fields: given.Fields}, Announcement,
			":mega: *INC-4 · SEV2 · active* update from <@UALICE>: Checkout errors\n>Payments fail."},
		{incident.Effect{Kind: incident.EffPost, Msg: given.Msg, Text: given.Text, Fields: incident.EffectFields{By: "UALICE"}}, ChannelMessage,
			":mega: *Status update* from <@UALICE> (SEV1, resolved):\n>Payments fail."},
	}
	for _, c := range cases {
		got, err := c.render(inc, c.e)
		if err != nil || got != c.want {
			t.Errorf("%s: got %q %v\nwant %q", c.e.Kind, got, err, c.want)
		}
	}
}
