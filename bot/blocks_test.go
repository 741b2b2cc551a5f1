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

var t0 = time.Date(2026, 3, 4, 9, 0, 0, 0, time.UTC)

// Block Kit limits, from Slack's reference. They are repeated here rather
// than taken from blocks.go so that the checker cannot drift with the code
// it checks.
const (
	kitMessageBlocks = 50
	kitModalBlocks   = 100
	kitText          = 3000
	kitHeader        = 150
	kitBlockID       = 255
	kitActionID      = 255
	kitButtonText    = 75
	kitButtonValue   = 2000
	kitActionsEls    = 25
	kitContextEls    = 10
	kitOptionText    = 75
	kitOptionValue   = 75
	kitOptions       = 100
	kitModalTitle    = 24
	kitPrivateMeta   = 3000
	kitPlaceholder   = 150
	kitInputLabel    = 2000
)

// kitCheck returns every Block Kit rule that blocks break: counts, text
// lengths, unique block ids, button text and values. It reads the JSON
// that would go to Slack, as Slack does.
func kitCheck(blocks []slack.Block, maxBlocks int) []string {
	raw, err := json.Marshal(blocks)
	if err != nil {
		return []string{"marshal: " + err.Error()}
	}
	var bs []map[string]any
	if err := json.Unmarshal(raw, &bs); err != nil {
		return []string{"unmarshal: " + err.Error()}
	}
	var bad []string
	fail := func(format string, args ...any) { bad = append(bad, fmt.Sprintf(format, args...)) }
	text := func(where string, v any, max int, wantType string) {
		obj, ok := v.(map[string]any)
		if !ok {
			fail("%s: no text object", where)
			return
		}
		s, _ := obj["text"].(string)
		typ, _ := obj["type"].(string)
		switch n := utf8.RuneCountInString(s); {
		case wantType != "" && typ != wantType:
			fail("%s: text type %q, want %q", where, typ, wantType)
		case n == 0 || strings.TrimSpace(s) == "":
			fail("%s: empty text", where)
		case n > max:
			fail("%s: %d characters > %d", where, n, max)
		case !utf8.ValidString(s):
			fail("%s: invalid UTF-8", where)
		}
	}
	if len(bs) > maxBlocks {
		fail("%d blocks > %d", len(bs), maxBlocks)
	}
	ids := map[string]bool{}
	for i, b := range bs {
		where := fmt.Sprintf("block %d (%v)", i, b["type"])
		if id, ok := b["block_id"].(string); ok {
			switch {
			case id == "":
				fail("%s: empty block_id", where)
			case len(id) > kitBlockID:
				fail("%s: block_id of %d characters", where, len(id))
			case ids[id]:
				fail("%s: duplicate block_id %q", where, id)
			}
			ids[id] = true
		}
		switch b["type"] {
		case "header":
			text(where, b["text"], kitHeader, "plain_text")
		case "section":
			text(where, b["text"], kitText, "")
		case "context":
			els, _ := b["elements"].([]any)
			if len(els) == 0 || len(els) > kitContextEls {
				fail("%s: %d context elements", where, len(els))
			}
			for _, e := range els {
				text(where, e, kitText, "")
			}
		case "actions":
			els, _ := b["elements"].([]any)
			if len(els) == 0 || len(els) > kitActionsEls {
				fail("%s: %d action elements", where, len(els))
			}
			actionIDs := map[string]bool{}
			for _, e := range els {
				em, _ := e.(map[string]any)
				aid, _ := em["action_id"].(string)
				if aid == "" || len(aid) > kitActionID || actionIDs[aid] {
					fail("%s: bad or repeated action_id %q", where, aid)
				}
				actionIDs[aid] = true
				if em["type"] == "button" {
					text(where+" button", em["text"], kitButtonText, "plain_text")
					if v, _ := em["value"].(string); len(v) > kitButtonValue {
						fail("%s: button value of %d characters", where, len(v))
					}
				}
			}
		case "input":
			text(where+" label", b["label"], kitInputLabel, "plain_text")
			el, _ := b["element"].(map[string]any)
			if ph, ok := el["placeholder"]; ok {
				text(where+" placeholder", ph, kitPlaceholder, "plain_text")
			}
			opts, _ := el["options"].([]any)
			if len(opts) > kitOptions {
				fail("%s: %d options", where, len(opts))
			}
			for _, o := range opts {
				om, _ := o.(map[string]any)
				text(where+" option", om["text"], kitOptionText, "plain_text")
				if v, _ := om["value"].(string); v == "" || len(v) > kitOptionValue {
					fail("%s: option value %q", where, v)
				}
			}
		default:
			fail("%s: unexpected block type", where)
		}
	}
	return bad
}

// kitModal checks a modal and its blocks.
func kitModal(v slack.ModalViewRequest) []string {
	bad := kitCheck(v.Blocks.BlockSet, kitModalBlocks)
	for name, obj := range map[string]*slack.TextBlockObject{"title": v.Title, "submit": v.Submit, "close": v.Close} {
		if obj == nil || obj.Text == "" || utf8.RuneCountInString(obj.Text) > kitModalTitle {
			bad = append(bad, "modal "+name+" missing or too long")
		}
	}
	if len(v.PrivateMetadata) > kitPrivateMeta {
		bad = append(bad, "private_metadata too long")
	}
	return bad
}

// slackMarkup finds what Slack turns into a notification or a link.
var slackMarkup = regexp.MustCompile(`<[!@#][^>]*>|<[a-z]+:[^>]*>`)

// userPings returns the Slack markup in the blocks' text that does not
// come from the bot itself: mentions of ids other than allowed, and every
// broadcast, user-group or link token (the card never builds those).
func userPings(blocks []slack.Block, allowed map[string]bool) []string {
	raw, _ := json.Marshal(blocks)
	var v any
	_ = json.Unmarshal(raw, &v)
	var found []string
	var walk func(any)
	walk = func(x any) {
		switch t := x.(type) {
		case map[string]any:
			// plain_text never renders markup; mrkdwn does.
			if s, ok := t["text"].(string); ok && t["type"] == "mrkdwn" {
				found = append(found, pingsIn(s, allowed)...)
			}
			for _, c := range t {
				walk(c)
			}
		case []any:
			for _, c := range t {
				walk(c)
			}
		}
	}
	walk(v)
	return found
}

var botMention = regexp.MustCompile(`^<@([UW][A-Z0-9]+)>$`)

func pingsIn(s string, allowed map[string]bool) []string {
	var found []string
	for _, m := range slackMarkup.FindAllString(s, -1) {
		if id := botMention.FindStringSubmatch(m); id != nil && allowed[id[1]] {
			continue
		}
		found = append(found, m)
		if len(found) == 5 {
			break
		}
	}
	return found
}

// hostileTitles are titles people type that must not ping, link, break
// the blocks or crash anything.
var hostileTitles = []struct{ name, title string }{
	{"broadcast channel", "<!channel> checkout is down"},
	{"broadcast here", "<!here|here> and <!everyone> please look"},
	{"user mention", "ask <@U0EVIL> and <@W0EVIL|evil> about it"},
	{"user group", "<!subteam^S0123|@sre> page them"},
	{"link with label", "see <http://evil.test|the runbook> now"},
	{"github team", "@org/team and @octocat broke it"},
	{"code fence", "```\nrm -rf /\n``` and `inline` *bold* _it_ ~strike~"},
	{"entities", "a &lt;b&gt; &amp; <b> & c"},
	{"invalid UTF-8", "bad \xff\xfe bytes \xc3"},
	{"control characters", "tab\tnull\x00bell\a newline\n end"},
	{"bidi override", "user\u202egnp.exe"},
	{"emoji and CJK", "🔥🔥 支付失败 🔥🔥"},
	{"only punctuation", "!!! ??? ..."},
	{"100 KB", strings.Repeat("<!channel> 𝔘 &amp; ", 6000)},
	{"one huge word", strings.Repeat("x", 100_000)},
}

// hostileIncident declares an incident whose every user-typed field is
// hostile, with many steps, then works it into the given state.
func hostileIncident(t testing.TB, title string, steps int, status incident.Status) incident.Incident {
	t.Helper()
	pb := incident.DefaultPlaybook()
	for i := 0; len(pb.Steps) < steps; i++ {
		pb.Steps = append(pb.Steps, incident.StepDef{
			ID: fmt.Sprintf("extra-%d", i), Title: fmt.Sprintf("step %d %s", i, title),
			Phase: incident.Phases[i%len(incident.Phases)], Approval: i%3 == 0, Role: "<!channel>",
		})
	}
	inc := incident.Incident{
		Number: 7, Title: title, Impact: title, Severity: incident.Sev1, Status: status,
		Playbook: pb.Name, Declarer: "UALICE", Lead: "UBOB", DeclaredAt: t0,
		Roles: map[string]string{"comms": "UCAROL", title: "UBOB"},
	}
	for i, def := range pb.Steps {
		st := incident.Step{StepDef: def}
		switch i % 5 {
		case 1:
			st.State, st.By, st.At = incident.StepDone, "UCAROL", t0
		case 2:
			st.State, st.By, st.At, st.SkipReason = incident.StepSkipped, "UBOB", t0, title
		case 3:
			st.Assignee = "UALICE"
		}
		if st.Approval && i%2 == 0 {
			st.Signoff = &incident.Approval{RequestedBy: "UALICE", RequestedAt: t0, What: title, Where: title}
		}
		inc.Steps = append(inc.Steps, st)
	}
	return inc
}

var botIDs = map[string]bool{"UALICE": true, "UBOB": true, "UCAROL": true}

func TestCardBlocksWithinLimits(t *testing.T) {
	statuses := []incident.Status{incident.StatusActive, incident.StatusMitigated, incident.StatusResolved, incident.StatusClosed}
	for _, h := range hostileTitles {
		for _, steps := range []int{0, 12, 80} {
			for _, st := range statuses {
				t.Run(fmt.Sprintf("%s/%d steps/%s", h.name, steps, st), func(t *testing.T) {
					inc := hostileIncident(t, h.title, steps, st)
					blocks := CardBlocks(inc, time.UTC)
					if bad := kitCheck(blocks, kitMessageBlocks); len(bad) > 0 {
						t.Fatalf("card breaks Block Kit:\n%s", strings.Join(bad, "\n"))
					}
					if p := userPings(blocks, botIDs); len(p) > 0 {
						t.Fatalf("card carries user markup: %q", p)
					}
					fb := CardFallback(inc)
					if utf8.RuneCountInString(fb) > maxFallback || !utf8.ValidString(fb) || len(pingsIn(fb, botIDs)) > 0 {
						t.Fatalf("fallback %q", clipPlain(fb, 200))
					}
				})
			}
		}
	}
}

// TestCardBlocksButtons checks that every open step is actionable on the
// card until the block budget runs out, and that the rest are still listed.
func TestCardBlocksButtons(t *testing.T) {
	cases := []struct {
		name       string
		steps      int
		wantAllBtn bool
	}{
		{name: "default playbook", steps: 0, wantAllBtn: true},
		{name: "long playbook", steps: 80, wantAllBtn: false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			inc := hostileIncident(t, "Checkout errors", tc.steps, incident.StatusActive)
			blocks := CardBlocks(inc, time.UTC)
			raw, _ := json.Marshal(blocks)
			s := string(raw)
			withButtons, listed := 0, 0
			for _, st := range inc.OpenSteps() {
				v := `"value":"` + inc.ID() + ":" + st.ID + `"`
				if strings.Contains(s, v) {
					withButtons++
				} else if strings.Contains(s, st.Title) {
					listed++
				} else {
					t.Errorf("open step %s is missing from the card", st.ID)
				}
			}
			if tc.wantAllBtn && listed > 0 {
				t.Errorf("%d open steps lost their buttons on a short checklist", listed)
			}
			if !tc.wantAllBtn && (listed == 0 || !strings.Contains(s, "/incident status")) {
				t.Errorf("overflow steps should be listed with a pointer to /incident status")
			}
			if !strings.Contains(s, `"action_id":"incident.resolve"`) {
				t.Error("an active incident's card has no Resolve button")
			}
		})
	}
	closed := CardBlocks(hostileIncident(t, "x", 0, incident.StatusClosed), time.UTC)
	raw, _ := json.Marshal(closed)
	if strings.Contains(string(raw), `"type":"actions"`) {
		t.Error("a closed incident's card still has buttons")
	}
}

func TestModalsWithinLimits(t *testing.T) {
	for _, h := range hostileTitles {
		t.Run(h.name, func(t *testing.T) {
			inc := hostileIncident(t, h.title, 80, incident.StatusActive)
			st := inc.Steps[len(inc.Steps)-1]
			many := make([]incident.Playbook, 130)
			for i := range many {
				many[i] = incident.Playbook{Name: fmt.Sprintf("pb-%d", i), Title: h.title}
			}
			modals := map[string]slack.ModalViewRequest{
				"declare": DeclareModal("C0GENERAL", many),
				"skip":    SkipModal(inc, st),
				"approve": ApprovalModal(inc, st),
				"update":  UpdateModal(inc),
				"reopen":  ReopenModal(inc),
			}
			for name, m := range modals {
				if bad := kitModal(m); len(bad) > 0 {
					t.Errorf("%s modal breaks Block Kit:\n%s", name, strings.Join(bad, "\n"))
				}
				if p := userPings(m.Blocks.BlockSet, botIDs); len(p) > 0 {
					t.Errorf("%s modal carries user markup: %q", name, p)
				}
			}
			for name, bs := range map[string][]slack.Block{
				"approval request":  ApprovalBlocks(inc, incident.Effect{Kind: incident.EffPost, Msg: incident.MsgApprovalAsked, Fields: incident.EffectFields{Step: st.ID, Request: 12}}, "please approve"),
				"withdrawn request": WithdrawnApprovalBlocks("withdrawn"),
				"update reminder":   ReminderBlocks(inc, "update", "post an update"),
				"verify reminder":   ReminderBlocks(inc, "verify", "still healthy?"),
			} {
				if bad := kitCheck(bs, kitMessageBlocks); len(bad) > 0 {
					t.Errorf("%s breaks Block Kit:\n%s", name, strings.Join(bad, "\n"))
				}
			}
		})
	}
}

// TestKitCheck keeps the checker honest: it must catch what it claims to.
func TestKitCheck(t *testing.T) {
	long := strings.Repeat("x", 3001)
	cases := []struct {
		name   string
		blocks []slack.Block
		want   string
	}{
		{"too many blocks", func() []slack.Block {
			var bs []slack.Block
			for range 51 {
				bs = append(bs, slack.NewSectionBlock(slack.NewTextBlockObject("mrkdwn", "x", false, false), nil, nil))
			}
			return bs
		}(), "51 blocks"},
		{"long section", []slack.Block{slack.NewSectionBlock(slack.NewTextBlockObject("mrkdwn", long, false, false), nil, nil)}, "3001 characters"},
		{"long header", []slack.Block{slack.NewHeaderBlock(slack.NewTextBlockObject("plain_text", long[:151], false, false))}, "151 characters"},
		{"duplicate block ids", []slack.Block{
			slack.NewSectionBlock(slack.NewTextBlockObject("mrkdwn", "a", false, false), nil, nil, slack.SectionBlockOptionBlockID("x")),
			slack.NewSectionBlock(slack.NewTextBlockObject("mrkdwn", "b", false, false), nil, nil, slack.SectionBlockOptionBlockID("x")),
		}, "duplicate block_id"},
		{"long button", []slack.Block{slack.NewActionBlock("a", slack.NewButtonBlockElement("b", "v", slack.NewTextBlockObject("plain_text", long[:76], false, false)))}, "76 characters"},
		{"long value", []slack.Block{slack.NewActionBlock("a", slack.NewButtonBlockElement("b", long+long, slack.NewTextBlockObject("plain_text", "ok", false, false)))}, "button value"},
		{"empty text", []slack.Block{slack.NewSectionBlock(slack.NewTextBlockObject("mrkdwn", " ", false, false), nil, nil)}, "empty text"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			bad := kitCheck(tc.blocks, kitMessageBlocks)
			if !strings.Contains(strings.Join(bad, "\n"), tc.want) {
				t.Fatalf("checker missed %q: %v", tc.want, bad)
			}
		})
	}
	if p := pingsIn("hi <@UALICE> <@UEVIL> <!here> <http://x|y> <#C1>", botIDs); len(p) != 4 {
		t.Fatalf("pingsIn = %q", p)
	}
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
