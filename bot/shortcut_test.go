package bot

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/firebreak-hq/firebreak/incident"
	"github.com/firebreak-hq/firebreak/templates"
)

func TestPlainMessage(t *testing.T) {
	for _, c := range []struct{ name, in, want string }{
		{"entities", "a &amp; b &lt;c&gt;", "a & b <c>"},
		{"user with label", "ask <@U123|ann>", "ask @ann"},
		{"user", "ask <@U123>", "ask @U123"},
		{"channel", "see <#C1|ops>", "see #ops"},
		{"link with label", "<https://x.example/a|graph>", "graph (https://x.example/a)"},
		{"bare link", "<https://x.example/a>", "https://x.example/a"},
		{"here", "<!here> look", "@here look"},
		{"subteam", "<!subteam^S1|@oncall> look", "@oncall look"},
		{"nothing", "", ""},
	} {
		if got := PlainMessage(c.in); got != c.want {
			t.Errorf("%s: PlainMessage(%q) = %q, want %q", c.name, c.in, got, c.want)
		}
	}
}

func TestFirstLine(t *testing.T) {
	long := strings.Repeat("word ", 60)
	for _, c := range []struct{ name, in, want string }{
		{"first line", "Checkout is down\nmore", "Checkout is down"},
		{"skips blank lines", "\n  \n\u200b\nDB full", "DB full"},
		{"collapses spaces", "a   b\tc", "a b c"},
		{"empty", "", ""},
		{"long: cut at a word", long, strings.TrimSpace(strings.Repeat("word ", 29)) + "…"},
	} {
		got := firstLine(c.in)
		if got != c.want {
			t.Errorf("%s: firstLine = %q, want %q", c.name, got, c.want)
		}
		if utf8.RuneCountInString(got) > maxPrefillTitle {
			t.Errorf("%s: %d characters", c.name, utf8.RuneCountInString(got))
		}
	}
}

// TestFitOrigin: whatever the message, the modal's metadata fits Slack's
// 3,000 characters and keeps as much of the text as fits, marked clipped
// when cut; a message that fits is kept whole.
func TestFitOrigin(t *testing.T) {
	for _, text := range []string{"", "short", strings.Repeat("<&\"é", 2000), strings.Repeat("x", 40000), strings.Repeat("😀", 5000)} {
		o := declareOrigin{Channel: "C1", ResponseURL: "https://hooks.example/" + strings.Repeat("r", 100), Msg: &fromMessage{Channel: "C1", TS: "1.2", Author: "U1", Text: text}}
		meta := fitOrigin(o)
		if n := utf8.RuneCountInString(meta); n > maxPrivateMetadata {
			t.Fatalf("%d-character text: metadata of %d characters", len(text), n)
		}
		got := parseDeclareOrigin(meta)
		if got.Msg == nil || got.Channel != "C1" || !strings.HasPrefix(text, got.Msg.Text) {
			t.Fatalf("%d-character text: read back %+v", len(text), got)
		}
		if got.Msg.Clipped != (got.Msg.Text != text) {
			t.Fatalf("%d-character text: clipped=%v but kept %d of %d characters", len(text), got.Msg.Clipped, len(got.Msg.Text), len(text))
		}
		if len(text) > 0 && len(text) < 1000 && got.Msg.Text != text {
			t.Fatalf("a short text was cut")
		}
		if got.Msg.Clipped && utf8.RuneCountInString(got.Msg.Text) < 1000 {
			t.Fatalf("only %d characters kept", utf8.RuneCountInString(got.Msg.Text))
		}
	}
}

// TestHomeViewWithinLimits: however many incidents and steps, the Home
// view stays within Slack's limits for a view: 100 blocks, 3,000
// characters a section, 250 kB in all.
func TestHomeViewWithinLimits(t *testing.T) {
	var incs []incident.Incident
	for n := uint64(1); n <= 300; n++ {
		inc := incident.Incident{Number: n, Title: strings.Repeat("Very long title ", 40), Severity: incident.Sev1,
			Status: incident.StatusActive, Lead: "U1", Channel: fmt.Sprintf("C%06d", n)}
		for i := 0; i < 20; i++ {
			inc.Steps = append(inc.Steps, incident.Step{StepDef: incident.StepDef{ID: fmt.Sprintf("s%d", i), Title: strings.Repeat("step ", 50), Phase: incident.PhaseUnderstand, Approval: true},
				Assignee: "U1", Signoff: &incident.Approval{ID: 1, RequestedBy: "U2", What: strings.Repeat("w", 2000), Where: "db"}})
		}
		incs = append(incs, inc)
	}
	v := HomeView(templates.HomeData{Viewer: "U1", Incidents: incs})
	raw, _ := json.Marshal(v)
	if len(v.Blocks.BlockSet) > 100 || len(raw) > 250000 {
		t.Fatalf("%d blocks, %d bytes", len(v.Blocks.BlockSet), len(raw))
	}
	for _, s := range templates.Home(templates.HomeData{Viewer: "U1", Incidents: incs}) {
		if n := utf8.RuneCountInString(s.Text); n > maxText {
			t.Fatalf("section %s has %d characters", s.ID, n)
		}
		if s.ID != "home:others" && !strings.Contains(s.Text, "more") {
			t.Fatalf("section %s does not say what it left out:\n%s", s.ID, s.Text)
		}
	}
}
