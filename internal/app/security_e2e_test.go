package app_test

import (
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/firebreak-hq/firebreak/incident"
	"github.com/firebreak-hq/firebreak/internal/slackfake"
)

// requestMessage waits for the approval request message (not the card)
// whose Approve button has value, and returns it.
func (h *harness) requestMessage(inc incident.Incident, value string) slackfake.Message {
	h.t.Helper()
	var out slackfake.Message
	h.eventually("approval request message "+value, func() bool {
		for _, m := range h.slack.Messages(inc.Channel) {
			if m.TS != h.cardTS(inc.Number) && actionValue(m, "step.approve", value) == value {
				out = h.consumeMessage(m)
				return true
			}
		}
		return false
	})
	return out
}

// clickRequest has user press Approve (value) on the approval request message.
func (h *harness) clickRequest(user string, inc incident.Incident, value string) {
	h.t.Helper()
	if _, err := h.slack.Click(user, inc.Channel, h.requestMessage(inc, value).TS, "step.approve", value); err != nil {
		h.t.Fatal(err)
	}
}

// cardLine returns the card's checklist line that starts with prefix.
func cardLine(m slackfake.Message, prefix string) string {
	var texts []string
	blockTexts(m.BlocksDecoded, &texts)
	for _, t := range texts {
		for _, l := range strings.Split(t, "\n") {
			if strings.HasPrefix(l, prefix) {
				return l
			}
		}
	}
	return ""
}

// TestApprovalCannotBeBypassed: two people request approval for the same
// step; the approver cannot approve the request that was replaced (the
// approval is bound to the request it answers), the requester cannot
// approve their own, the approver cannot mark the step done, and the card
// names who ran it, who asked and who approved.
func TestApprovalCannotBeBypassed(t *testing.T) {
	t.Parallel()
	h, inc := startDeclared(t, "new sev2 Payments database degraded")
	ch := inc.Channel
	h.carolJoins(ch)
	const step = "fix"
	h.eventually("request approval button", func() bool { return cardHasAction(h.card(h.incident(1)), "step.request_approval", "INC-1:"+step) })

	// Carol and bob both open the request form from the card.
	h.click(carol, inc, "step.request_approval", "INC-1:"+step)
	vc := h.openView(carol, "step.request_approval")
	h.click(bob, inc, "step.request_approval", "INC-1:"+step)
	vb := h.openView(bob, "step.request_approval")
	if ack, err := h.slack.Submit(carol, vc.ID, map[string]map[string]string{"what": {"what": "SELECT 1"}, "where": {"where": "payments-db"}}); err != nil || len(ack.Errors) > 0 {
		t.Fatalf("carol's request: %v %v", err, ack.Errors)
	}
	if v := h.approveButton(1, step); v != "INC-1:fix:1" {
		t.Fatalf("the card's Approve button is %q, want it to name request 1", v)
	}
	req1 := h.requestMessage(inc, "INC-1:fix:1")

	// Bob's request replaces carol's: her request is withdrawn, and its
	// message loses its Approve button.
	if ack, err := h.slack.Submit(bob, vb.ID, map[string]map[string]string{"what": {"what": "DROP DATABASE payments"}, "where": {"where": "payments-db"}}); err != nil || len(ack.Errors) > 0 {
		t.Fatalf("bob's request: %v %v", err, ack.Errors)
	}
	req2 := h.requestMessage(inc, "INC-1:fix:2")
	// The card shows the request its Approve button answers, from one render.
	pending := ":white_large_square: Apply the fix · :hourglass_flowing_sand: awaiting approval (asked by <@" + bob + ">) to run `DROP DATABASE payments` on `payments-db`"
	h.eventually("card shows request 2 with its button", func() bool {
		c := h.card(h.incident(1))
		return cardLine(c, ":white_large_square: Apply the fix") == pending && actionValue(c, "step.approve", "INC-1:fix:") == "INC-1:fix:2"
	})
	withdrawn := ":no_entry_sign: *Withdrawn:* <@" + bob + "> replaced this request by <@" + carol + "> for step *Apply the fix* with a new one. It can no longer be approved; read the new request before approving that.\n*It asked to run:*\n```SELECT 1```\n*Where:*\n```payments-db```"
	h.eventually("request 1's message withdrawn", func() bool {
		m, ok := h.slack.Message(ch, req1.TS)
		return ok && m.Text == withdrawn && actionValue(m, "step.approve", "") == ""
	})

	// Alice read request 1 (SELECT 1) and presses Approve with its value:
	// refused, nothing approved.
	if _, err := h.slack.Click(alice, ch, req2.TS, "step.approve", "INC-1:fix:1"); err != nil {
		t.Fatal(err)
	}
	h.expectEphemeral(alice, "The request you are approving for step “Apply the fix” was withdrawn: <@"+bob+"> replaced it with a new one (request #2), which may run something else. Nothing was approved. Read the new request in the channel, then press Approve under it.")
	// A button naming no request cannot approve either.
	if _, err := h.slack.Click(alice, ch, req2.TS, "step.approve", "INC-1:fix"); err != nil {
		t.Fatal(err)
	}
	h.expectEphemeral(alice, "This Approve button does not say which request for step “Apply the fix” it answers, so it cannot be used. Read the current request on the card (asked by <@"+bob+">), then press Approve there.")
	// Bob cannot approve his own request.
	if _, err := h.slack.Click(bob, ch, req2.TS, "step.approve", ""); err != nil {
		t.Fatal(err)
	}
	h.expectEphemeral(bob, "You requested approval for step “Apply the fix”, so a different person must approve it.")
	if st, _, _ := h.incident(1).Step(step); st.Signoff.Approved() {
		t.Fatalf("approved by %s through a refused path", st.Signoff.ApprovedBy)
	}

	// Carol approves request 2 from its message; the record holds what she saw.
	if _, err := h.slack.Click(carol, ch, req2.TS, "step.approve", ""); err != nil {
		t.Fatal(err)
	}
	h.eventually("approved", func() bool { st, _, _ := h.incident(1).Step(step); return st.Signoff.Approved() })
	st, _, _ := h.incident(1).Step(step)
	if a := st.Signoff; a.ID != 2 || a.What != "DROP DATABASE payments" || a.Where != "payments-db" || a.RequestedBy != bob || a.ApprovedBy != carol {
		t.Fatalf("approval record %+v", a)
	}

	// Carol approved, so she cannot also mark it done; bob, who asked, can.
	h.click(carol, inc, "step.done", "INC-1:"+step)
	h.expectEphemeral(carol, "You approved step “Apply the fix”, so someone else must run it and mark it done: usually <@"+bob+">, who asked for the approval. Two people are needed: one runs, one approves.")
	if st, _, _ := h.incident(1).Step(step); st.Finished() {
		t.Fatal("the approver marked the step done")
	}
	h.click(bob, inc, "step.done", "INC-1:"+step)
	want := ":white_check_mark: Apply the fix · done by <@" + bob + "> · :unlock: asked by <@" + bob + ">, approved by <@" + carol + ">"
	h.eventually("card names who ran, asked and approved", func() bool { return cardLine(h.card(h.incident(1)), ":white_check_mark: Apply the fix") == want })

	var done, withdrawnEv int
	for _, e := range h.events(1) {
		switch {
		case e.Kind == incident.EvStepDone && e.Fields["step"] == step:
			done++
			if e.Actor != bob || e.Fields["requested_by"] != bob || e.Fields["approved_by"] != carol || e.Fields["request"] != "2" {
				t.Errorf("done event %+v", e)
			}
		case e.Kind == incident.EvApprovalWithdrawn:
			withdrawnEv++
			if e.Actor != bob || e.Fields["requested_by"] != carol || e.Fields["request"] != "1" {
				t.Errorf("withdrawal event %+v", e)
			}
		case e.Kind == incident.EvApprovalGranted && e.Fields["what"] != "DROP DATABASE payments":
			t.Errorf("approval event records %q", e.Fields["what"])
		}
	}
	if done != 1 || withdrawnEv != 1 {
		t.Fatalf("%d done and %d withdrawal events", done, withdrawnEv)
	}
}

// TestLeadTakeoverRefusedAndRecorded: an old "Take lead" button cannot
// move the lead, a member cannot take it from the lead, every refused
// attempt is on the timeline, and only people can lead.
func TestLeadTakeoverRefusedAndRecorded(t *testing.T) {
	t.Parallel()
	h, inc := startDeclared(t, "new sev1 Login failing everywhere")
	ch := inc.Channel
	h.carolJoins(ch)

	m := h.takeLeadReminder(ch)
	if _, err := h.slack.Click(alice, ch, m.TS, "incident.take_lead", ""); err != nil {
		t.Fatal(err)
	}
	h.eventually("alice leads", func() bool { return h.incident(1).Lead == alice })

	// The same reminder's button, pressed by bob later, moves nothing.
	if _, err := h.slack.Click(bob, ch, m.TS, "incident.take_lead", ""); err != nil {
		t.Fatal(err)
	}
	h.expectEphemeral(bob, "<@"+alice+"> has led INC-1 since this reminder was sent, so its button no longer applies. To change the lead, <@"+alice+"> or the person who declared it runs `/incident lead @name`.")

	// A member cannot take the lead, nor then force-close.
	if r := h.slash(carol, ch, "lead <@UCAROL|carol>"); r != "Only the current lead (<@"+alice+">) or the person who declared INC-1 may change its lead. Ask <@"+alice+"> to run `/incident lead @name`; this attempt is recorded on the timeline." {
		t.Fatalf("takeover by a member: %q", r)
	}
	if r := h.slash(carol, ch, "close --force I am done with this"); r != "Only the incident lead or the person who declared INC-1 may force-close it." {
		t.Fatalf("forced close by a member: %q", r)
	}
	if got := h.incident(1); got.Lead != alice || got.Status != incident.StatusActive {
		t.Fatalf("lead %s, status %s", got.Lead, got.Status)
	}
	var refused []incident.Event
	for _, e := range h.events(1) {
		if e.Kind == incident.EvLeadRefused {
			refused = append(refused, e)
		}
	}
	if len(refused) != 2 || refused[0].Actor != bob || refused[1].Actor != carol || refused[1].Fields["user"] != carol || refused[1].Fields["lead"] != alice {
		t.Fatalf("refused attempts on the timeline: %+v", refused)
	}
	if r := h.slash(alice, ch, "timeline"); !strings.Contains(r, "<@"+carol+"> tried to make <@"+carol+"> the lead instead of <@"+alice+"> (refused)") {
		t.Fatalf("timeline does not show the refused attempt:\n%s", r)
	}

	// Only a person can lead or hold a role.
	h.slack.AddUser(slackfake.User{ID: "U0DEPLOYBOT", Name: "deploybot", RealName: "Deploy bot", IsBot: true, BotID: "B0DEPLOY"})
	for _, c := range []struct{ text, want string }{
		{"lead <@U0DEPLOYBOT|deploybot>", "The user <@U0DEPLOYBOT> is a bot, so it cannot lead INC-1: name a person."},
		{"lead <@" + slackfake.BotUserID + ">", "The user <@" + slackfake.BotUserID + "> is a bot, so it cannot lead INC-1: name a person."},
		{"lead <@USLACKBOT|slackbot>", "Slackbot cannot lead INC-1: name a person."},
		{"lead <@U0NOBODY>", "Slack knows no user U0NOBODY, so they cannot lead INC-1. Pick the person from the @-mention list."},
		{"role comms <@U0DEPLOYBOT>", "The user <@U0DEPLOYBOT> is a bot, so it cannot hold the comms role in INC-1: name a person."},
		{"role lead <@USLACKBOT>", "Slackbot cannot lead INC-1: name a person."},
	} {
		if r := h.slash(alice, ch, c.text); r != c.want {
			t.Errorf("/incident %s → %q\nwant %q", c.text, r, c.want)
		}
	}
	if got := h.incident(1); got.Lead != alice || len(got.Roles) != 0 {
		t.Fatalf("lead %s, roles %v", got.Lead, got.Roles)
	}
	// The lead hands on.
	if r := h.slash(alice, ch, "lead <@UBOB|bob>"); r != "Lead assigned." {
		t.Fatalf("hand-over: %q", r)
	}
	h.eventually("bob leads", func() bool { return h.incident(1).Lead == bob })
}

// slashPayload is a slash command as Slack sends it, for forging.
func slashPayload(user, channel string, text any, team string) map[string]any {
	return map[string]any{
		"token": "verification-token", "team_id": team, "team_domain": "evil", "channel_id": channel, "channel_name": "x",
		"user_id": user, "user_name": "x", "command": slackfake.SlashCommand, "text": text, "api_app_id": slackfake.AppID,
		"is_enterprise_install": "false", "response_url": "", "trigger_id": "1.2.forged",
	}
}

// TestForgedPayloadsRefused: payloads Slack would not send are refused
// with a clear answer and change nothing.
func TestForgedPayloadsRefused(t *testing.T) {
	t.Parallel()
	h := startHarness(t)
	h.slash(alice, slackfake.GeneralChannelID, "new sev2 Checkout errors")
	h.slash(alice, slackfake.GeneralChannelID, "new sev3 Search slow")
	inc1, inc2 := h.ready(1), h.ready(2)
	h.waitJoined(1, alice)
	h.waitJoined(2, alice)
	first := inc1.PhaseSteps(incident.PhaseStopBleeding)[0]
	unchanged := func(what string) {
		t.Helper()
		if st, _, _ := h.incident(1).Step(first.ID); st.Finished() {
			t.Fatalf("%s finished a step of INC-1", what)
		}
		for _, e := range h.events(1) {
			if e.Kind == incident.EvNote || e.Kind == incident.EvStepDone || e.Kind == incident.EvStepSkipped {
				t.Fatalf("%s reached INC-1's timeline: %+v", what, e)
			}
		}
	}

	// A click on INC-2's card whose value names INC-1.
	if _, err := h.slack.Click(alice, inc2.Channel, h.cardTS(2), "step.done", "INC-1:"+first.ID); err != nil {
		t.Fatal(err)
	}
	h.expectEphemeral(alice, "This button belongs to INC-1, but it was pressed outside INC-1's channel, so Firebreak did nothing. Use the card in the incident's own channel.")
	unchanged("a click from another channel")

	// Another workspace: a slash command and a click.
	ack, err := h.slack.SendRaw(slackfake.EnvelopeSlash, "slash", alice, inc1.Channel, slashPayload(alice, inc1.Channel, "note forged from elsewhere", "T0EVIL"))
	if err != nil {
		t.Fatal(err)
	}
	if got := ackText(t, ack.Payload); got != "This Firebreak serves another Slack workspace, so it did nothing with this command." {
		t.Fatalf("foreign slash command answered %q", got)
	}
	click := map[string]any{
		"type": "block_actions", "token": "verification-token", "api_app_id": slackfake.AppID,
		"user":       map[string]any{"id": alice, "username": "alice", "name": "alice", "team_id": "T0EVIL"},
		"team":       map[string]any{"id": "T0EVIL", "domain": "evil"},
		"channel":    map[string]any{"id": inc1.Channel, "name": inc1.ChannelName},
		"container":  map[string]any{"type": "message", "message_ts": h.cardTS(1), "channel_id": inc1.Channel, "is_ephemeral": false},
		"trigger_id": "1.2.forged", "response_url": "",
		"actions": []any{map[string]any{"action_id": "step.done", "block_id": "act:" + first.ID, "type": "button", "value": "INC-1:" + first.ID, "action_ts": "1.2"}},
	}
	if _, err := h.slack.SendRaw(slackfake.EnvelopeInteractive, "block_actions", alice, inc1.Channel, click); err != nil {
		t.Fatal(err)
	}
	unchanged("another workspace's click")

	// A slash command whose text is a JSON number is answered, not left
	// to time out.
	ack, err = h.slack.SendRaw(slackfake.EnvelopeSlash, "slash", alice, inc1.Channel, slashPayload(alice, inc1.Channel, 42, slackfake.TeamID))
	if err != nil {
		t.Fatal(err)
	}
	if got := ackText(t, ack.Payload); ack.Late || got != "Firebreak could not read that command, so it did nothing: Slack delivered it in a form Firebreak does not understand. Type it again; if this keeps happening, tell whoever runs Firebreak (its log has the details)." {
		t.Fatalf("numeric text: late %v, answered %q", ack.Late, got)
	}

	// A non-member: every state-changing slash command and a modal
	// submission naming INC-1 are refused.
	notMember := "Only members of this channel can act on INC-1. Join the channel first; joining is recorded on the timeline."
	for _, text := range []string{"note I was never here", "sev 1", "mitigated", "lead <@UCAROL|carol>", "followup x", "update y"} {
		if r := h.slash(carol, inc1.Channel, text); r != notMember {
			t.Errorf("non-member /incident %s → %q", text, r)
		}
	}
	submit := map[string]any{
		"type": "view_submission", "token": "verification-token", "api_app_id": slackfake.AppID,
		"team": map[string]any{"id": slackfake.TeamID, "domain": slackfake.TeamDomain},
		"user": map[string]any{"id": carol, "username": "carol", "name": "carol", "team_id": slackfake.TeamID},
		"view": map[string]any{"id": "V0FORGED", "type": "modal", "callback_id": "step.skip", "private_metadata": "INC-1:" + first.ID,
			"state": map[string]any{"values": map[string]any{"reason": map[string]any{"reason": map[string]any{"type": "plain_text_input", "value": "forged"}}}}},
	}
	ack, err = h.slack.SendRaw(slackfake.EnvelopeInteractive, "view_submission", carol, "", submit)
	if err != nil {
		t.Fatal(err)
	}
	va := decoded[struct {
		Action string            `json:"response_action"`
		Errors map[string]string `json:"errors"`
	}](t, ack.Payload)
	if va.Action != "errors" || va.Errors["reason"] != notMember {
		t.Fatalf("non-member submission answered %s", ack.Payload)
	}
	unchanged("forged payloads")

	// A 📌 on a message that names none is acked and records nothing.
	id := h.slack.Event(map[string]any{"type": "reaction_added", "user": alice, "reaction": "pushpin",
		"item": map[string]any{"type": "message", "channel": inc1.Channel, "ts": ""}})
	h.eventually("empty pin acked", func() bool { return ackedEvent(h.slack, id) > 0 })
	if n := countKind(h.events(1), incident.EvMessagePinned); n != 0 {
		t.Fatalf("an empty pin was recorded (%d)", n)
	}
}

// TestMembershipUnknownFailsClosed: when Slack is too slow to say who is
// in the channel, a click and a slash command are refused with the
// reason, and work again once membership is known.
func TestMembershipUnknownFailsClosed(t *testing.T) {
	t.Parallel()
	h, inc := startDeclared(t, "new sev2 Queue backlog")
	h.waitJoined(1, alice)
	first := inc.PhaseSteps(incident.PhaseStopBleeding)[0]

	// A restart forgets who is in the channel; Slack now answers
	// conversations.members only after 8 s (well past the 1 s a command
	// may wait for it, however slowly the bot boots).
	h.slack.SetLatency("conversations.members", 8*time.Second)
	h.restart()
	unknown := "Firebreak could not check that you are a member of INC-1's channel (Slack did not answer in time), so nothing was changed. Try again in a moment."
	h.click(carol, inc, "step.done", "INC-1:"+first.ID)
	h.expectEphemeral(carol, unknown)
	if r := h.slash(alice, inc.Channel, "note written while Slack is slow"); r != unknown {
		t.Fatalf("note while membership is unknown: %q", r)
	}
	if st, _, _ := h.incident(1).Step(first.ID); st.Finished() {
		t.Fatal("a click was accepted while membership was unknown")
	}
	if countKind(h.events(1), incident.EvNote) != 0 {
		t.Fatal("a note was accepted while membership was unknown")
	}
	// Once Slack has answered, members act and non-members are told why not.
	h.eventually("membership known", func() bool {
		return h.slash(alice, inc.Channel, "note written once Slack answered") == "Note added to the timeline of INC-1."
	})
	h.click(carol, inc, "step.done", "INC-1:"+first.ID)
	h.expectEphemeral(carol, "Only members of this channel can act on INC-1. Join the channel first; joining is recorded on the timeline.")
}

// TestInputEdges: negative severities, invisible reasons, huge pins.
func TestInputEdges(t *testing.T) {
	t.Parallel()
	h, inc := startDeclared(t, "new sev3 Reports late")
	h.waitJoined(1, alice)
	for _, c := range []struct{ text, want string }{
		{"sev -1", `Severity must be sev1–sev4 (sev1 is the worst), not "-1".`},
		{"close --force \u200b\u2060", "A forced close needs a reason: `/incident close --force &lt;reason&gt;`."},
		{"note \u200b\u3164", "The note is empty."},
	} {
		if r := h.slash(alice, inc.Channel, c.text); r != c.want {
			t.Errorf("/incident %q → %q\nwant %q", c.text, r, c.want)
		}
	}
	if got := h.incident(1); got.Severity != incident.Sev3 || got.Status != incident.StatusActive {
		t.Fatalf("severity %s, status %s", got.Severity, got.Status)
	}
	// A pin_added event carrying a huge text is capped as notes are.
	long := strings.Repeat("pinned ", 5000) // 35,000 characters
	id := h.slack.Event(map[string]any{"type": "pin_added", "user": alice, "channel_id": inc.Channel,
		"item": map[string]any{"type": "message", "channel": inc.Channel, "created": 1, "created_by": alice,
			"message": map[string]any{"type": "message", "user": alice, "text": long, "ts": "1700000000.000100"}}})
	h.eventually("pin acked", func() bool { return ackedEvent(h.slack, id) > 0 })
	var pinned []incident.Event
	for _, e := range h.events(1) {
		if e.Kind == incident.EvMessagePinned {
			pinned = append(pinned, e)
		}
	}
	if len(pinned) != 1 {
		t.Fatalf("%d pins recorded", len(pinned))
	}
	if n := len([]rune(pinned[0].Text)); n != incident.MaxText+1 || !strings.HasSuffix(pinned[0].Text, "…") {
		t.Fatalf("pinned text of %d runes recorded", n)
	}
}

// TestClockStepBackKeepsTimelineOrdered: the system clock steps back an
// hour in the middle of an incident; the timeline stays in order and the
// time to mitigate stays positive.
func TestClockStepBackKeepsTimelineOrdered(t *testing.T) {
	t.Parallel()
	h, inc := startDeclared(t, "new sev2 Clock drill")
	h.waitJoined(1, alice)
	h.slash(alice, inc.Channel, "note before the step")
	h.clock.Advance(-time.Hour)
	h.slashAll(alice, inc.Channel, "note after the step", "mitigated")
	evs := h.events(1)
	if !sort.SliceIsSorted(evs, func(i, j int) bool { return evs[i].At.Before(evs[j].At) }) {
		t.Fatal("timeline out of order after the clock stepped back")
	}
	for i := 1; i < len(evs); i++ {
		if evs[i].At.Before(evs[i-1].At) {
			t.Fatalf("event %d (%s at %v) before event %d (%s at %v)", i, evs[i].Kind, evs[i].At, i-1, evs[i-1].Kind, evs[i-1].At)
		}
	}
	got := h.incident(1)
	if !got.MitigatedAt.After(got.DeclaredAt) {
		t.Fatalf("mitigated at %v, declared at %v", got.MitigatedAt, got.DeclaredAt)
	}
}
