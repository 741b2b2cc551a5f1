package app_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/firebreak-hq/firebreak/incident"
	"github.com/firebreak-hq/firebreak/internal/slackfake"
)

// briefsFor is (and consumes) every brief user was shown.
func (h *harness) briefsFor(user string) []slackfake.Ephemeral {
	var out []slackfake.Ephemeral
	for i, e := range h.slack.Ephemerals(user) {
		if strings.HasPrefix(e.Text, ":wave: *Catching up on") {
			h.consume(ephKey(user, i))
			out = append(out, e)
		}
	}
	return out
}

// join has user join channel ch and waits for the brief a joiner is shown,
// which it consumes: the brief tells the incident as it stands when it is
// built, so the test moves on only once it is there.
func (h *harness) join(user, ch string) {
	h.t.Helper()
	const brief = ":wave: *Catching up on"
	before := h.ephemeralsContaining(user, brief)
	if err := h.slack.Join(user, ch); err != nil {
		h.t.Fatal(err)
	}
	h.eventually(user+"'s brief", func() bool { return h.ephemeralsContaining(user, brief) == before+1 })
	eph := h.slack.Ephemerals(user)
	for i := len(eph) - 1; i >= 0; i-- {
		if strings.HasPrefix(eph[i].Text, brief) {
			h.consume(ephKey(user, i))
			return
		}
	}
}

// TestJoinerGetsTheBrief: someone who joins an incident channel gets one
// ephemeral brief, built from the timeline: title, severity, status,
// lead and roles, age, last status update, open steps by phase, the last
// five events. A redelivered join event brings no second brief; the bot
// joining brings none; leaving and joining again brings a new one.
// `/incident catchup` answers with the same brief on demand.
func TestJoinerGetsTheBrief(t *testing.T) {
	t.Parallel()
	h, inc := startDeclared(t, "new sev2 Payments failing for card users")
	h.slashAll(alice, inc.Channel, "lead <@UALICE|alice>", "role comms <@UBOB|bob>", "update Rolled back the card gateway; errors falling")
	h.slash(bob, inc.Channel, "note Gateway timeouts started at 09:12")
	h.click(alice, inc, "step.done", "INC-1:"+inc.Steps[0].ID)
	h.clock.Advance(25 * time.Minute)
	h.settle()

	joined := time.Now()
	if err := h.slack.Join(carol, inc.Channel); err != nil {
		t.Fatal(err)
	}
	var brief slackfake.Ephemeral
	h.eventuallyWithin(2*time.Second, "carol's brief", func() bool {
		b := h.briefsFor(carol)
		if len(b) > 0 {
			brief = b[0]
		}
		return len(b) > 0
	})
	latency := time.Since(joined)
	t.Logf("join → brief in %s", latency)
	if brief.Channel != inc.Channel || brief.Source != "chat.postEphemeral" {
		t.Fatalf("brief in %s by %s", brief.Channel, brief.Source)
	}
	for _, want := range []string{
		"Catching up on INC-1 · Payments failing for card users", "SEV2", "active", "open 25m",
		"*Lead:* <@UALICE>", "comms <@UBOB>", "Rolled back the card gateway; errors falling",
		"*Open steps*", "_Understand_", "*Latest on the timeline*", "Gateway timeouts started at 09:12",
		"gave <@UBOB> the comms role", "`/incident catchup`",
	} {
		if !strings.Contains(brief.Text, want) {
			t.Errorf("the brief lacks %q:\n%s", want, brief.Text)
		}
	}
	if strings.Contains(brief.Text, "joined the channel") {
		t.Errorf("the brief lists joins:\n%s", brief.Text)
	}
	if n := strings.Count(brief.Text[strings.Index(brief.Text, "*Latest on the timeline*"):], "\n`"); n != incident.BriefEvents {
		t.Errorf("%d timeline events in the brief, want %d:\n%s", n, incident.BriefEvents, brief.Text)
	}

	// Slack redelivers the same event (same event_id): recorded once, one brief.
	evID := "EvCAROLJOIN"
	for range 2 {
		h.slack.EventWithID(evID, map[string]any{"type": "member_joined_channel", "user": carol, "channel": inc.Channel, "channel_type": "C", "team": slackfake.TeamID})
	}
	// The bot joining (its own event) brings nothing.
	h.slack.Event(map[string]any{"type": "member_joined_channel", "user": slackfake.BotUserID, "channel": inc.Channel, "channel_type": "C", "team": slackfake.TeamID})
	h.settle()
	if n := len(h.briefsFor(carol)); n != 2 {
		t.Fatalf("carol has %d briefs after her join and one redelivered event, want 2", n)
	}
	if n := len(h.slack.Ephemerals(slackfake.BotUserID)); n != 0 {
		t.Fatalf("the bot was sent %d ephemerals", n)
	}
	// Leaving and coming back is a new join.
	if err := h.slack.Leave(carol, inc.Channel); err != nil {
		t.Fatal(err)
	}
	if err := h.slack.Join(carol, inc.Channel); err != nil {
		t.Fatal(err)
	}
	h.eventually("a brief for the second join", func() bool { return len(h.briefsFor(carol)) == 3 })

	// On demand.
	got := h.slash(bob, inc.Channel, "catchup")
	if !strings.HasPrefix(got, ":wave: *Catching up on INC-1") || !strings.Contains(got, "Rolled back the card gateway") {
		t.Fatalf("/incident catchup: %q", got)
	}
	if got := h.slash(bob, slackfake.GeneralChannelID, "catchup"); !strings.Contains(got, "incident channel") {
		t.Fatalf("/incident catchup outside an incident channel: %q", got)
	}
	// The declarer and the lead get no brief on joining: they know.
	h.settle()
	if n := len(h.briefsFor(alice)); n != 0 {
		t.Fatalf("alice (declarer and lead) got %d briefs", n)
	}
}

// TestHandover: the lead hands over with a note; the incoming lead gets a
// DM with the brief and the note, the channel hears of it, the timeline
// records who, from, to and the note, and the update reminder then nudges
// the new lead. Someone who may not change the lead is refused, and the
// attempt is recorded.
func TestHandover(t *testing.T) {
	t.Parallel()
	h, inc := startDeclared(t, "new sev2 Orders stuck in pending")
	h.slashAll(alice, inc.Channel, "lead <@UALICE|alice>", "update Queue consumer restarted; backlog draining")

	// bob is neither lead nor declarer: the playbook's lead_change rule
	// (the default, "lead") refuses him.
	if got := h.slash(bob, inc.Channel, "handover <@UBOB|bob> taking over"); !strings.Contains(got, "Only the current lead") {
		t.Fatalf("bob's handover to himself: %q", got)
	}
	if h.incident(1).Lead != alice {
		t.Fatal("the refused handover changed the lead")
	}

	note := "Backlog at 40k and falling; eu-1 consumer still flaky. Watch the lag panel."
	ack := h.slash(alice, inc.Channel, "handover <@UCAROL|carol> "+note)
	if !strings.Contains(ack, "Handed over: <@UCAROL> leads now") {
		t.Fatalf("handover ack %q", ack)
	}
	h.eventually("carol leads and is in the channel", func() bool {
		c, _ := h.slack.Channel(inc.Channel)
		return h.incident(1).Lead == carol && slices.Contains(c.Members, carol)
	})
	var dm slackfake.Message
	h.eventually("carol's handover DM", func() bool {
		for _, m := range h.slack.DirectMessages(carol) {
			if strings.Contains(m.Text, "handed you the lead") {
				dm = m
				return true
			}
		}
		return false
	})
	for _, want := range []string{"<@UALICE> handed you the lead of *INC-1 · Orders stuck in pending*", note,
		"*Lead:* <@UCAROL>", "Queue consumer restarted; backlog draining", "*Open steps*", "*Latest on the timeline*"} {
		if !strings.Contains(dm.Text, want) {
			t.Errorf("the DM lacks %q:\n%s", want, dm.Text)
		}
	}
	h.eventually("the handover posted in the channel", func() bool {
		return h.messagesContaining(inc.Channel, "<@UALICE> handed the lead over to <@UCAROL> (was <@UALICE>)") == 1
	})
	evs := h.events(1)
	var ho []incident.Event
	for _, e := range evs {
		if e.Kind == incident.EvHandover {
			ho = append(ho, e)
		}
	}
	if len(ho) != 1 || ho[0].Actor != alice || ho[0].Fields["from"] != alice || ho[0].Fields["to"] != carol || ho[0].Text != note {
		t.Fatalf("handover events %+v", ho)
	}
	if countKind(evs, incident.EvLeadRefused) != 1 {
		t.Fatalf("bob's refused attempt is not on the timeline")
	}
	h.settle()
	if n := len(h.briefsFor(carol)); n != 0 {
		t.Fatalf("carol, the new lead, also got %d join briefs", n)
	}

	// Reminders follow the new lead: the sev2 update nudge (30 min) mentions carol.
	h.clock.Advance(31 * time.Minute)
	if n := h.tick(); n < 1 {
		t.Fatalf("no reminder due after 31 minutes without an update")
	}
	var nudge slackfake.Message
	h.eventually("the update nudge", func() bool {
		var ok bool
		nudge, ok = h.messageWithAction(inc.Channel, "reminder.update")
		return ok
	})
	if txt := nudge.Text + string(nudge.Blocks); !strings.Contains(txt, "<@UCAROL>") || strings.Contains(txt, "<@UALICE>") {
		t.Fatalf("the nudge is not for carol: %q", nudge.Text)
	}
}

// TestWaysToDeclarePrivate: the modal's Private box, the security
// playbook (private: true) and an alert route's private: true each
// declare a private incident; an ordinary declaration stays public. A
// private incident's postmortem goes to GITHUB_PRIVATE_REPO when set.
func TestWaysToDeclarePrivate(t *testing.T) {
	t.Parallel()
	ws := newWorkspace(t)
	ws.gh.AddRepo("acme", "secret")
	ws.env["GITHUB_PRIVATE_REPO"] = "acme/secret"
	ws.env["FIREBREAK_HOOK_TOKENS"] = "generic=" + genericToken
	ws.withRoutes(t, "routes:\n  - match:\n      team: security\n    action: declare\n    severity: sev2\n    private: true\n  - action: declare\n")
	h := harnessFor(t, ws)
	h.boot()

	// 1. The modal's box.
	h.slash(bob, slackfake.GeneralChannelID, "")
	v := h.openView(bob, "declare")
	if ack, err := h.slack.Submit(bob, v.ID, map[string]map[string]string{
		"title": {"title": "Customer export bucket world-readable"}, "severity": {"severity": "sev2"},
		"playbook": {"playbook": "general"}, "private": {"private": "private"}}); err != nil || len(ack.Errors) > 0 {
		t.Fatalf("submit: %v %v", err, ack.Errors)
	}
	// 2. The security playbook.
	h.slash(alice, slackfake.GeneralChannelID, "new playbook:security Suspicious admin logins")
	// 3. A route's private: true.
	rig := &alertRig{harness: h, base: "http://" + h.app.HTTPAddr()}
	if code, _ := rig.post("/hooks/generic", genericToken, []byte(`{"dedup_key":"sec-1","status":"firing","title":"Token used from unknown ASN","labels":{"team":"security"}}`)); code != 202 {
		t.Fatalf("hook: %d", code)
	}
	// 4. Neither: public.
	h.slash(alice, slackfake.GeneralChannelID, "new sev3 Private beta page slow")
	for n, want := range map[uint64]bool{1: true, 2: true, 3: true, 4: false} {
		inc := h.ready(n)
		ch, _ := h.slack.Channel(inc.Channel)
		if inc.Private != want || ch.IsPrivate != want {
			t.Errorf("INC-%d private=%v channel private=%v, want %v", n, inc.Private, ch.IsPrivate, want)
		}
		if want && ch.Name != fmt.Sprintf("inc-%d-private", n) {
			t.Errorf("INC-%d channel %q", n, ch.Name)
		}
	}
	if inc := h.incident(4); inc.Title != "Private beta page slow" {
		t.Fatalf("a title starting with 'private' lost its word: %q", inc.Title)
	}

	// The modal's private incident closes: its postmortem is filed in the private repository only.
	inc := h.incident(1)
	h.slashAll(bob, inc.Channel, "followup Block public ACLs on export buckets", "close --force contained")
	h.eventually("the postmortem and its follow-up in acme/secret", func() bool { return len(h.gh.Issues("acme", "secret")) == 2 })
	h.settle()
	for _, is := range h.gh.Issues("acme", "ops") {
		if strings.Contains(is.Title+is.Body, "world-readable") {
			t.Fatalf("the private postmortem reached acme/ops: %q", is.Title)
		}
	}
	if got := h.incident(1).PostmortemURL; !strings.Contains(got, "acme/secret") {
		t.Fatalf("postmortem URL %q", got)
	}
	// Its follow-up is tracked in the private repository too: closed there, seen done.
	for _, is := range h.gh.Issues("acme", "secret") {
		if slices.Contains(is.Labels, "follow-up") {
			h.gh.SetIssueState("acme", "secret", is.Number, "closed")
		}
	}
	if n, err := h.app.PollFollowups(t.Context()); err != nil || n != 1 {
		t.Fatalf("follow-up poll: %d %v", n, err)
	}
	if f := h.incident(1).Followups; len(f) != 1 || !f[0].Done() {
		t.Fatalf("the private incident's follow-up after its issue closed: %+v", f)
	}
}

// TestBriefLatency measures how long a joiner waits for the brief on an
// incident with a long timeline (BENCHMARKS.md, "Join → brief"): 300
// notes, then 20 people join one after another. It asserts that every
// brief arrives, once; the figures are logged, not asserted.
func TestBriefLatency(t *testing.T) {
	t.Parallel()
	h := startHarness(t)
	h.lenient("benchmark: measures brief latency over many joins")
	inc := h.declare(1, alice, slackfake.GeneralChannelID, "new sev1 Everything is slow")
	for i := range 300 {
		if _, err := h.slack.SendSlash(alice, inc.Channel, fmt.Sprintf("note observation %d: p99 still above 2s", i)); err != nil {
			t.Fatal(err)
		}
	}
	h.eventually("300 notes", func() bool { return countKind(h.events(1), incident.EvNote) == 300 })
	h.settle()
	var lat []time.Duration
	for i := range 20 {
		u := fmt.Sprintf("U0JOIN%02d", i)
		h.slack.AddUser(slackfake.User{ID: u, Name: "joiner" + u})
		start := time.Now()
		if err := h.slack.Join(u, inc.Channel); err != nil {
			t.Fatal(err)
		}
		h.eventually("the brief for "+u, func() bool { return len(h.briefsFor(u)) == 1 })
		lat = append(lat, time.Since(start))
	}
	h.settle()
	for i := range 20 {
		if n := len(h.briefsFor(fmt.Sprintf("U0JOIN%02d", i))); n != 1 {
			t.Errorf("joiner %d got %d briefs", i, n)
		}
	}
	slices.Sort(lat)
	t.Logf("join → brief over 20 joins, 300+ events on the timeline: p50 %s, p95 %s, max %s",
		lat[len(lat)/2].Round(10*time.Microsecond), lat[len(lat)*95/100].Round(10*time.Microsecond), lat[len(lat)-1].Round(10*time.Microsecond))
}
