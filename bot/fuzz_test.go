package bot

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/firebreak-hq/firebreak/incident"
)

// seeds are the hostile titles plus the shapes of real commands.
func seeds(f *testing.F, add func(string)) {
	f.Helper()
	for _, h := range hostileTitles {
		add(h.title)
	}
	for _, s := range []string{"", "new sev2 playbook:bad-deploy Checkout 500", "sev 1", "lead <@UCAROL|carol>",
		"role comms <@UBOB|bob>", "close --force verified", "note x", "Severe latency", "status page down", "sev-9 x"} {
		add(s)
	}
}

var knownSubs = map[Sub]bool{
	SubDeclareModal: true, SubDeclare: true, SubHelp: true, SubList: true, SubStatus: true, SubTimeline: true,
	SubNote: true, SubUpdate: true, SubSev: true, SubLead: true, SubRole: true, SubFollowup: true,
	SubMitigated: true, SubResolve: true, SubReopen: true, SubClose: true, SubCancel: true,
	SubTimes: true, SubPage: true, SubCatchup: true, SubHandover: true,
}

var userID = regexp.MustCompile(`^[UW][A-Z0-9]+$`)

func FuzzParseSlash(f *testing.F) {
	seeds(f, func(s string) { f.Add(s) })
	f.Fuzz(func(t *testing.T, in string) {
		p, err := ParseSlash(in)
		p2, err2 := ParseSlash(in)
		if p != p2 || fmt.Sprint(err) != fmt.Sprint(err2) {
			t.Fatal("ParseSlash is not deterministic")
		}
		if err != nil {
			// A refusal is a message for the user, never an internal error.
			var ue *UserError
			if _, refused := incident.IsRefusal(err); !refused && !errors.As(err, &ue) {
				t.Fatalf("not a refusal: %T %v", err, err)
			}
			if msg := err.Error(); msg == "" || !utf8.ValidString(msg) || utf8.RuneCountInString(msg) > 500 {
				t.Fatalf("refusal message %q", msg)
			}
			if p != (Parsed{}) {
				t.Fatalf("refusal with a result %+v", p)
			}
			return
		}
		if !knownSubs[p.Sub] {
			t.Fatalf("unknown sub %q", p.Sub)
		}
		for _, s := range []string{p.Title, p.Text, p.Playbook, p.Role, p.User} {
			if !utf8.ValidString(s) {
				t.Fatalf("invalid UTF-8 in %+v", p)
			}
		}
		// Slack's escaping of &, < and > is undone in titles and texts.
		valid := fromSlack(strings.ToValidUTF8(in, "\uFFFD"))
		switch p.Sub {
		case SubDeclare:
			if p.Title == "" || p.Title != strings.TrimSpace(p.Title) || !strings.Contains(valid, p.Title) {
				t.Fatalf("title %q from %q", p.Title, in)
			}
		case SubNote, SubUpdate, SubFollowup, SubReopen, SubCancel:
			if strings.TrimSpace(p.Text) == "" || !strings.Contains(valid, p.Text) {
				t.Fatalf("text %q from %q", p.Text, in)
			}
		case SubLead, SubRole:
			if !userID.MatchString(p.User) {
				t.Fatalf("user %q from %q", p.User, in)
			}
		case SubClose:
			if p.Force && strings.TrimSpace(p.Text) == "" {
				t.Fatal("forced close without a reason")
			}
		}
		if p.Severity != "" && !p.Severity.Valid() {
			t.Fatalf("severity %q", p.Severity)
		}
	})
}

// badChannelName returns why name breaks the contract, or "".
func badChannelName(name string) string {
	switch {
	case name == "":
		return "empty channel name"
	case len(name) > 80:
		return fmt.Sprintf("%q is %d characters", name, len(name))
	case strings.Trim(name, "abcdefghijklmnopqrstuvwxyz0123456789-_") != "":
		return fmt.Sprintf("%q has characters outside a-z0-9-_", name)
	case strings.Contains(name, "--") || strings.HasSuffix(name, "-"):
		return fmt.Sprintf("%q has a doubled or trailing hyphen", name)
	}
	return ""
}

func FuzzChannelName(f *testing.F) {
	seeds(f, func(s string) { f.Add(uint64(1), s, 0) })
	f.Add(uint64(18446744073709551615), strings.Repeat("ß", 100), 1<<30)
	f.Add(uint64(0), "-", -5)
	f.Fuzz(func(t *testing.T, n uint64, title string, suffix int) {
		name := ChannelName(n, title, suffix)
		if msg := badChannelName(name); msg != "" {
			t.Fatal(msg)
		}
		if name != ChannelName(n, title, suffix) {
			t.Fatal("ChannelName is not deterministic")
		}
		if !strings.HasPrefix(name, "inc-"+itoa(n)+"-") && name != "inc-"+itoa(n) {
			t.Fatalf("%q does not start with the incident number %d", name, n)
		}
		if suffix > 1 && !strings.HasSuffix(name, "-"+itoa(uint64(suffix))) {
			t.Fatalf("%q lost its suffix %d", name, suffix)
		}
		for _, max := range []int{1, 5, 80} {
			s := Slug(title, max)
			if s == "" || (len(s) > max && s != "incident") || badChannelName(s) != "" {
				t.Fatalf("Slug(%q, %d) = %q", title, max, s)
			}
		}
	})
}

// FuzzCardBlocks builds a card from any title, step titles and states and
// checks it against every Block Kit limit and for user markup.
func FuzzCardBlocks(f *testing.F) {
	seeds(f, func(s string) { f.Add(s, s, uint8(12), uint8(0)) })
	f.Add("x", "", uint8(200), uint8(3))
	f.Fuzz(func(t *testing.T, title, text string, steps, state uint8) {
		statuses := []incident.Status{incident.StatusActive, incident.StatusMitigated, incident.StatusResolved, incident.StatusClosed}
		inc := hostileIncident(t, title, int(steps), statuses[int(state)%len(statuses)])
		for i := range inc.Steps {
			if i%2 == 0 {
				inc.Steps[i].Title = text
				inc.Steps[i].SkipReason = text
			}
		}
		blocks := CardBlocks(inc, time.UTC)
		if bad := kitCheck(blocks, kitMessageBlocks); len(bad) > 0 {
			t.Fatalf("card breaks Block Kit:\n%s", strings.Join(bad, "\n"))
		}
		if p := userPings(blocks, botIDs); len(p) > 0 {
			t.Fatalf("card carries user markup: %q", p)
		}
		if fb := CardFallback(inc); !utf8.ValidString(fb) || utf8.RuneCountInString(fb) > maxFallback || len(pingsIn(fb, botIDs)) > 0 {
			t.Fatalf("fallback %q", clipPlain(fb, 300))
		}
	})
}

// FuzzActionValue reads button values and modal metadata as the bot does:
// anything either parses to a real incident number or is refused.
func FuzzActionValue(f *testing.F) {
	for _, s := range []string{"INC-1:stop-bleeding", "INC-1", "inc-007:x:y", "INC-0:x", "INC-18446744073709551616:x", ":", "", "INC-\xff:\x00", " INC-2 :a"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		n, step, err := parseActionValue(v)
		if err != nil {
			if _, refused := incident.IsRefusal(err); !refused {
				t.Fatalf("not a refusal: %v", err)
			}
			if n != 0 {
				t.Fatalf("error with number %d", n)
			}
			return
		}
		if n == 0 {
			t.Fatal("incident 0 accepted")
		}
		if !strings.HasSuffix(v, step) {
			t.Fatalf("step %q is not the tail of %q", step, v)
		}
		// What the card writes reads back the same.
		if step != "" {
			n2, step2, err := parseActionValue(stepValue(incident.Incident{Number: n}, step))
			if err != nil || n2 != n || step2 != step {
				t.Fatalf("round trip of %d:%q = %d:%q, %v", n, step, n2, step2, err)
			}
		}
	})
}

// FuzzInteractionPayload decodes any Socket Mode interactive payload the
// way the bot receives it and reads the fields the bot routes on.
func FuzzInteractionPayload(f *testing.F) {
	click, _ := json.Marshal(map[string]any{
		"type": "block_actions", "user": map[string]any{"id": "UBOB"}, "channel": map[string]any{"id": "C1"},
		"actions": []any{map[string]any{"action_id": "step.done", "value": "INC-1:triage", "block_id": "act:triage"}},
	})
	submit, _ := json.Marshal(map[string]any{
		"type": "view_submission", "user": map[string]any{"id": "UBOB"},
		"view": map[string]any{"callback_id": "step.skip", "private_metadata": "INC-1:x",
			"state": map[string]any{"values": map[string]any{"reason": map[string]any{"reason": map[string]any{"type": "plain_text_input", "value": "<!channel>"}}}}},
	})
	f.Add(click)
	f.Add(submit)
	f.Add([]byte(`{"type":"block_actions","actions":[]}`))
	f.Add([]byte(`{"type":"block_actions","actions":[null,{"value":"INC-99999999999999999999:a"}]}`))
	f.Add([]byte(`{"event_id":7,"type":["x"]}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		_ = rawField(raw, "event_id")
		var cb slack.InteractionCallback
		if err := json.Unmarshal(raw, &cb); err != nil {
			return
		}
		// routeInteraction reads the first action without a nil check.
		if acts := cb.ActionCallback.BlockActions; len(acts) > 0 {
			if acts[0] == nil {
				t.Fatal("a nil first action would crash routeInteraction")
			}
			if n, _, err := parseActionValue(acts[0].Value); err == nil && n == 0 {
				t.Fatal("incident 0 accepted from a click")
			}
		}
		if n, _, err := parseActionValue(cb.View.PrivateMetadata); err == nil && n == 0 {
			t.Fatal("incident 0 accepted from a submission")
		}
		// onSubmit reads the state of every submitted view.
		if cb.Type == slack.InteractionTypeViewSubmission && cb.View.State != nil {
			for block := range cb.View.State.Values {
				_ = firstBlock(block)
			}
		}
		if msg := userText(errors.New(string(raw))); !strings.HasPrefix(msg, "Firebreak could not save that") {
			t.Fatalf("userText = %q", msg)
		}
		if a := clipAck(string(raw)); len(a) > 12000 {
			t.Fatalf("ack text of %d bytes", len(a))
		}
	})
}
