package app_test

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/firebreak-hq/firebreak/incident"
	"github.com/firebreak-hq/firebreak/internal/slackfake"
)

// TestAuthorization: only members of the incident channel act on its
// card, an approval needs a second person, forced close and reopen belong
// to the lead or the declarer, stale buttons answer, and every refusal
// says why.
func TestAuthorization(t *testing.T) {
	t.Parallel()
	h, inc := startDeclared(t, "new sev2 Payments timing out")
	ch := inc.Channel
	first := inc.PhaseSteps(incident.PhaseStopBleeding)[0]
	val := "INC-1:" + first.ID
	h.eventually("alice and bob are members", func() bool {
		c, _ := h.slack.Channel(ch)
		m := strings.Join(c.Members, ",")
		return strings.Contains(m, alice) && strings.Contains(m, bob) && !strings.Contains(m, carol)
	})

	// A non-member's click is refused, recorded nowhere, and explained.
	h.click(carol, inc, "step.done", val)
	h.eventually("non-member told to join", func() bool { return h.ephemeralsContaining(carol, "Only members of this channel can act on INC-1") > 0 })
	if st, _, _ := h.incident(1).Step(first.ID); st.Finished() {
		t.Fatal("a non-member's click changed the checklist")
	}
	if countKind(h.events(1), incident.EvStepDone) != 0 {
		t.Fatal("a non-member's click reached the timeline")
	}

	// Once she joins, the same click works: the member cache follows joins.
	h.join(carol, ch)
	h.eventually("join recorded", func() bool { return countKind(h.events(1), incident.EvMemberJoined) > 0 })
	h.click(carol, inc, "step.done", val)
	h.eventually("member's click recorded", func() bool {
		st, _, _ := h.incident(1).Step(first.ID)
		return st.State == incident.StepDone && st.By == carol
	})

	// Two-person rule.
	var risky incident.Step
	for _, st := range inc.Steps {
		if st.Approval {
			risky = st
			break
		}
	}
	rval := "INC-1:" + risky.ID
	h.eventually("request approval button", func() bool { return cardHasAction(h.card(h.incident(1)), "step.request_approval", rval) })
	aval := h.requestApproval(bob, inc, risky.ID, "ALTER TABLE payments DROP INDEX slow_idx", "prod-db-1")
	h.click(bob, inc, "step.approve", aval)
	h.eventually("self-approval refused", func() bool { return h.ephemeralsContaining(bob, "different person") > 0 })
	if st, _, _ := h.incident(1).Step(risky.ID); st.Signoff.Approved() {
		t.Fatal("the requester approved their own step")
	}
	h.click(carol, inc, "step.approve", aval)
	h.eventually("second person approves", func() bool {
		st, _, _ := h.incident(1).Step(risky.ID)
		return st.Signoff.Approved() && st.Signoff.ApprovedBy == carol
	})

	// Stale and foreign buttons answer clearly instead of failing silently.
	stale := []struct {
		name, value, want string
	}{
		{"unknown step", "INC-1:no-such-step", "has no step"},
		{"unknown incident", "INC-99:" + first.ID, "INC-99 does not exist"},
		{"garbage value", "not-an-incident", "not one Firebreak understands"},
	}
	for _, s := range stale {
		t.Run(s.name, func(t *testing.T) {
			before := h.ephemeralsContaining(carol, s.want)
			if _, err := h.slack.Click(carol, ch, h.cardTS(inc.Number), "step.assign", s.value); err != nil {
				t.Fatal(err)
			}
			h.eventually("answer for "+s.name, func() bool { return h.ephemeralsContaining(carol, s.want) > before })
		})
	}

	// Reopen and forced close: the lead or the declarer only.
	h.slash(bob, ch, "resolve")
	h.eventually("resolved", func() bool { return h.incident(1).Status == incident.StatusResolved })
	refusals := []struct {
		name, user, text, want string
	}{
		{"reopen by a responder", carol, "reopen it broke again", "Only the incident lead or the person who declared INC-1 may reopen"},
		{"forced close by a responder", bob, "close --force tired", "Only the incident lead or the person who declared INC-1 may force-close"},
		{"forced close without a reason", alice, "close --force", "needs a reason"},
		{"plain close with open verify steps", alice, "close", "verify"},
	}
	for _, r := range refusals {
		t.Run(r.name, func(t *testing.T) {
			before := len(h.events(1))
			if got := h.slash(r.user, ch, r.text); !strings.Contains(got, r.want) {
				t.Fatalf("%s: reply %q lacks %q", r.text, got, r.want)
			}
			if after := len(h.events(1)); after != before {
				t.Fatalf("a refused %q changed the timeline", r.text)
			}
		})
	}
	if got := h.slash(alice, ch, "reopen errors came back"); strings.Contains(got, "only") {
		t.Fatalf("the declarer could not reopen: %q", got)
	}
	h.eventually("reopened", func() bool { return h.incident(1).Status == incident.StatusActive })
	h.slash(alice, ch, "lead <@UCAROL|carol>")
	h.eventually("carol leads", func() bool { return h.incident(1).Lead == carol })
	if got := h.slash(carol, ch, "close --force verified by hand with support"); !strings.Contains(got, "closed") {
		t.Fatalf("the lead could not force-close: %q", got)
	}
	h.eventually("closed", func() bool { return h.incident(1).Status == incident.StatusClosed })

	// The Approve button on the approval request is now stale.
	h.clickRequest(bob, inc, aval)
	h.eventually("stale approve on a closed incident answered", func() bool { return h.ephemeralsContaining(bob, "closed") > 0 })
}

// pingMarkup is Slack markup that notifies or links: what user text must
// never become.
var pingMarkup = regexp.MustCompile(`<!(?:channel|here|everyone|subteam)|<@[UW][A-Z0-9]*|<https?:|<mailto:`)

// foreignMarkup returns the notifying markup in s other than mentions of
// the workspace's real people, which the bot itself writes.
func foreignMarkup(s string) []string {
	var out []string
	for _, m := range pingMarkup.FindAllString(s, -1) {
		switch m {
		case "<@" + alice, "<@" + bob, "<@" + carol, "<@" + slackfake.BotUserID:
			continue
		}
		out = append(out, m)
	}
	return out
}

// blockTexts collects every text in decoded blocks.
func blockTexts(v any, out *[]string) {
	switch x := v.(type) {
	case map[string]any:
		if s, ok := x["text"].(string); ok && x["type"] == "mrkdwn" {
			*out = append(*out, s)
		}
		for _, c := range x {
			blockTexts(c, out)
		}
	case []any:
		for _, c := range x {
			blockTexts(c, out)
		}
	case []map[string]any:
		for _, c := range x {
			blockTexts(c, out)
		}
	}
}

// TestHostileTitles declares incidents whose titles try to ping, link,
// break markup or overflow, and checks everything Firebreak then posted.
func TestHostileTitles(t *testing.T) {
	t.Parallel()
	h := startHarness(t)
	titles := []struct{ name, title string }{
		{"broadcast", "<!channel> checkout is down"},
		{"here and everyone", "<!here|here> <!everyone> login fails"},
		{"user mentions", "ask <@U0EVIL> and <@W0EVIL|evil>"},
		{"user group", "<!subteam^S0123|@sre> paging"},
		{"link", "see <http://evil.test|the runbook>"},
		{"github team", "@org/team broke @octocat's deploy"},
		{"code fence", "```rm -rf /``` `x` *b* _i_ ~s~"},
		{"entities", "&lt;!channel&gt; &amp; <b>"},
		{"invalid UTF-8", "bad \xff\xfe bytes"},
		{"emoji only", "🔥🔥🔥"},
		{"long", strings.Repeat("<!channel> payments 𝔘 ", 200)},
	}
	n := uint64(0)
	for _, tc := range titles {
		reply := h.slash(alice, slackfake.GeneralChannelID, tc.title)
		n++
		if !strings.Contains(reply, fmt.Sprintf("INC-%d", n)) {
			t.Fatalf("%s: declare reply %q", tc.name, reply)
		}
		if m := foreignMarkup(reply); len(m) > 0 {
			t.Errorf("%s: declare reply carries %q", tc.name, m)
		}
	}
	// A title beyond the limit is refused with the reason, not truncated.
	if r := h.slash(alice, slackfake.GeneralChannelID, strings.Repeat("x", 100_000)); !strings.Contains(r, "limit") {
		t.Fatalf("100 KB title: %q", r)
	}
	for i := uint64(1); i <= n; i++ {
		inc := h.ready(i)
		if l := len(inc.ChannelName); l > 80 || !regexp.MustCompile(`^inc-[0-9]+-[a-z0-9-]+$`).MatchString(inc.ChannelName) {
			t.Errorf("INC-%d channel name %q", i, inc.ChannelName)
		}
		h.slash(alice, inc.Channel, "update "+titles[i-1].title)
		h.slash(alice, inc.Channel, "note "+titles[i-1].title)
	}
	h.eventually("updates announced", func() bool { return len(h.slack.Messages(h.announce)) >= int(2*n) })
	h.settle()

	if errs := h.slack.BlockErrors(); len(errs) > 0 {
		t.Fatalf("Slack refused blocks: %+v", errs)
	}
	checked := 0
	for _, c := range h.slack.Channels() {
		for _, m := range h.slack.Messages(c.ID) {
			if m.User != slackfake.BotUserID && m.BotID == "" {
				continue
			}
			checked++
			texts := []string{m.Text}
			blockTexts(m.BlocksDecoded, &texts)
			for _, s := range texts {
				if f := foreignMarkup(s); len(f) > 0 {
					t.Errorf("message %s in #%s carries user markup %q:\n%s", m.TS, c.Name, f, s)
				}
			}
		}
	}
	if checked < int(3*n) {
		t.Fatalf("only %d bot messages checked for %d incidents", checked, n)
	}
	for _, e := range h.slack.Ephemerals(alice) {
		if f := foreignMarkup(e.Text); len(f) > 0 {
			t.Errorf("ephemeral carries user markup %q: %s", f, e.Text)
		}
	}
}
