package app_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/firebreak-hq/firebreak/incident"
	"github.com/firebreak-hq/firebreak/internal/githubfake"
	"github.com/firebreak-hq/firebreak/internal/slackfake"
)

// TestIncidentLifecycle walks one incident from /incident to the filed
// postmortem through the fake Slack, restarting the bot mid-incident.
func TestIncidentLifecycle(t *testing.T) {
	t.Parallel()
	h := startHarness(t)
	general := slackfake.GeneralChannelID

	reply := h.slash(alice, general, "new sev2 Checkout returns 500 for EU users")
	if !strings.Contains(reply, "INC-1") {
		t.Fatalf("declare reply %q does not name INC-1", reply)
	}
	inc := h.ready(1)
	if !strings.HasPrefix(inc.ChannelName, "inc-1-checkout-returns-500") {
		t.Fatalf("channel name %q", inc.ChannelName)
	}
	h.eventually("declarer and responders invited, topic set", func() bool {
		ch, ok := h.slack.Channel(inc.Channel)
		if !ok {
			return false
		}
		members := strings.Join(ch.Members, ",")
		return strings.Contains(members, alice) && strings.Contains(members, bob) && strings.Contains(ch.Topic, "INC-1")
	})
	h.eventually("declaration announced", func() bool { return h.messagesContaining(h.announce, "INC-1") > 0 })
	h.eventually("declarer told where the channel is", func() bool { return h.ephemeralsContaining(alice, "<#"+inc.Channel) > 0 })

	// Outside an incident channel, incident subcommands are refused.
	if r := h.slash(alice, general, "note hello"); !strings.Contains(r, "incident channel") {
		t.Fatalf("note outside an incident channel: %q", r)
	}

	ch := inc.Channel
	if r := h.slash(alice, ch, "note error rate spiked at 15:58 after deploy 4812"); !strings.Contains(r, "Note added") {
		t.Fatalf("note reply %q", r)
	}
	h.slash(alice, ch, "update Rolling back deploy 4812; checkout still failing for 30% of EU users")
	h.eventually("status update announced", func() bool { return h.messagesContaining(h.announce, "Rolling back deploy 4812") > 0 })
	if r := h.slash(alice, ch, "sev 9"); !strings.Contains(r, "sev1–sev4") {
		t.Fatalf("bad severity reply %q", r)
	}
	h.slash(alice, ch, "sev 1")
	h.slash(alice, ch, "lead <@UCAROL|carol>")
	h.waitJoined(1, carol) // the new lead is invited
	h.slash(carol, ch, "role comms <@UBOB|bob>")
	h.slash(bob, ch, "followup Add a canary stage for checkout deploys")
	h.eventually("card shows sev1 and the lead", func() bool {
		inc = h.incident(1)
		c := h.card(inc)
		return inc.Severity == incident.Sev1 && strings.Contains(string(c.Blocks), "UCAROL")
	})
	h.eventually("topic shows sev1", func() bool {
		c, _ := h.slack.Channel(ch)
		return strings.Contains(strings.ToUpper(c.Topic), "SEV1")
	})

	// A pinned message and a 📌 reaction (delivered twice) go on the timeline.
	ts1, err := h.slack.PostAsUser(bob, ch, "Grafana: 5xx at 31% on checkout-eu since 15:57")
	if err != nil {
		t.Fatal(err)
	}
	if err := h.slack.Pin(bob, ch, ts1); err != nil {
		t.Fatal(err)
	}
	if err := h.slack.Join(carol, ch); err != nil {
		t.Fatal(err)
	}
	ts2, err := h.slack.PostAsUser(carol, ch, "Deploy 4812 changed the cart schema (migration 0193)")
	if err != nil {
		t.Fatal(err)
	}
	reaction := map[string]any{"type": "reaction_added", "user": carol, "reaction": "pushpin",
		"item_user": carol, "item": map[string]any{"type": "message", "channel": ch, "ts": ts2}, "event_ts": ts2}
	h.slack.EventWithID("Ev0PUSHPIN1", reaction)
	h.slack.EventWithID("Ev0PUSHPIN1", reaction)
	h.eventually("pins recorded with their text", func() bool {
		evs := h.events(1)
		var texts []string
		for _, e := range evs {
			if e.Kind == incident.EvMessagePinned {
				texts = append(texts, e.Text)
			}
		}
		return len(texts) == 2 && strings.Contains(strings.Join(texts, "|"), "Grafana") && strings.Contains(strings.Join(texts, "|"), "migration 0193")
	})

	// Restart mid-incident: state, numbering and the card survive.
	h.restart()
	inc = h.ready(1)

	// Walk the checklist by clicking.
	for _, st := range inc.PhaseSteps(incident.PhaseStopBleeding) {
		h.click(bob, inc, "step.done", "INC-1:"+st.ID)
	}
	h.eventually("automatic mitigation", func() bool { return h.incident(1).Status == incident.StatusMitigated })
	und := inc.PhaseSteps(incident.PhaseUnderstand)
	h.click(carol, inc, "step.assign", "INC-1:"+und[0].ID)
	h.click(carol, inc, "step.done", "INC-1:"+und[0].ID)
	// Skip with a reason through the modal.
	h.click(bob, inc, "step.skip", "INC-1:"+und[1].ID)
	v := h.openView(bob, "step.skip")
	if _, err := h.slack.Submit(bob, v.ID, map[string]map[string]string{"reason": {"reason": "Cause already confirmed by the schema diff"}}); err != nil {
		t.Fatal(err)
	}
	for _, st := range und[2:] {
		h.click(carol, inc, "step.done", "INC-1:"+st.ID)
	}

	// Two-person rule on the risky fix step.
	var risky incident.Step
	for _, st := range inc.Steps {
		if st.Approval {
			risky = st
			break
		}
	}
	if risky.ID == "" {
		t.Fatal("the playbook has no approval step")
	}
	val := "INC-1:" + risky.ID
	h.eventually("approval request button on the card", func() bool { return cardHasAction(h.card(h.incident(1)), "step.request_approval", val) })
	h.click(carol, inc, "step.done", val)
	h.eventually("done before approval refused", func() bool { return h.ephemeralsContaining(carol, "approval") > 0 })
	h.click(carol, inc, "step.request_approval", val)
	av := h.openView(carol, "step.request_approval")
	if _, err := h.slack.Submit(carol, av.ID, map[string]map[string]string{
		"what": {"what": "kubectl rollout undo deploy/checkout -n prod"}, "where": {"where": "prod-eu-1"}}); err != nil {
		t.Fatal(err)
	}
	aval := h.approveButton(1, risky.ID)
	h.click(carol, inc, "step.approve", aval)
	h.eventually("self-approval refused", func() bool { return h.ephemeralsContaining(carol, "different person") > 0 })
	h.click(bob, inc, "step.approve", aval)
	h.eventually("approved", func() bool {
		st, _, _ := h.incident(1).Step(risky.ID)
		return st.Signoff != nil && st.Signoff.ApprovedBy == bob
	})
	h.click(carol, inc, "step.done", val)
	for _, st := range inc.PhaseSteps(incident.PhaseFixForward) {
		if st.ID != risky.ID {
			h.click(carol, inc, "step.done", "INC-1:"+st.ID)
		}
	}

	// Close is refused while verify steps are open.
	if r := h.slash(carol, ch, "close"); !strings.Contains(r, "verify") {
		t.Fatalf("close with open verify steps: %q", r)
	}
	h.slash(carol, ch, "resolve")
	for _, st := range inc.PhaseSteps(incident.PhaseVerify) {
		h.click(alice, inc, "step.done", "INC-1:"+st.ID)
	}
	h.eventually("all steps finished", func() bool { return len(h.incident(1).OpenSteps()) == 0 })
	if r := h.slash(carol, ch, "close"); !strings.Contains(r, "closed") {
		t.Fatalf("close reply %q", r)
	}

	// Exactly one postmortem issue, linked in the channel and announced.
	h.eventually("postmortem filed and linked", func() bool {
		return h.incident(1).PostmortemURL != "" && h.messagesContaining(ch, h.incident(1).PostmortemURL) > 0
	})
	// Besides its follow-ups, filed as issues of their own.
	var issues []githubfake.Issue
	for _, is := range h.gh.Issues("acme", "ops") {
		if !slices.Contains(is.Labels, "follow-up") {
			issues = append(issues, is)
		}
	}
	if len(issues) != 1 || !strings.HasPrefix(issues[0].Title, "Postmortem: INC-1 Checkout returns 500") {
		t.Fatalf("want one postmortem issue, got %+v", issues)
	}
	body := issues[0].Body
	for _, want := range []string{"kubectl rollout undo", "Cause already confirmed", "Add a canary stage", "Grafana"} {
		if !strings.Contains(body, want) {
			t.Errorf("postmortem body lacks %q", want)
		}
	}
	if strings.Contains(body, "<@U") {
		t.Error("postmortem leaks a Slack mention")
	}
	h.eventually("closure announced with the link", func() bool { return h.messagesContaining(h.announce, h.incident(1).PostmortemURL) > 0 })

	// The timeline recorded every kind of event the contract lists.
	evs := h.events(1)
	for _, k := range []incident.EventKind{incident.EvDeclared, incident.EvNote, incident.EvStatusUpdate, incident.EvSeverityChanged,
		incident.EvLeadAssigned, incident.EvRoleAssigned, incident.EvFollowup, incident.EvMessagePinned, incident.EvStepDone,
		incident.EvStepSkipped, incident.EvStepAssigned, incident.EvApprovalRequested, incident.EvApprovalGranted,
		incident.EvMitigated, incident.EvResolved, incident.EvClosed, incident.EvPostmortem} {
		if countKind(evs, k) == 0 {
			t.Errorf("timeline has no %s event", k)
		}
	}
	for _, e := range evs {
		if e.At.Location().String() != "UTC" || e.At.Nanosecond()%1e6 != 0 {
			t.Errorf("event %s at %v is not UTC milliseconds", e.Kind, e.At)
		}
	}

	// The Approve button left on the request message is now stale:
	// pressing it answers clearly instead of failing silently.
	var reqTS string
	for _, m := range h.slack.Messages(ch) {
		if cardHasAction(m, "step.approve", aval) && m.TS != h.cardTS(inc.Number) {
			reqTS = m.TS
		}
	}
	if reqTS == "" {
		t.Fatal("the approval request message with its Approve button is missing")
	}
	if _, err := h.slack.Click(bob, ch, reqTS, "step.approve", aval); err != nil {
		t.Fatal(err)
	}
	h.eventually("stale click answered", func() bool { return h.ephemeralsContaining(bob, "closed") > 0 })

	// Numbers continue after a restart and never repeat.
	h.restart()
	if r := h.slash(bob, general, "Search is slow"); !strings.Contains(r, "INC-2") {
		t.Fatalf("after restart the next incident is not INC-2: %q", r)
	}
}

// TestDeclareModal declares through the modal and checks its validation.
func TestDeclareModal(t *testing.T) {
	t.Parallel()
	h := startHarness(t)
	if r := h.slash(bob, slackfake.GeneralChannelID, ""); r != "" {
		t.Fatalf("empty /incident should only open the modal, replied %q", r)
	}
	v := h.openView(bob, "declare")
	ack, err := h.slack.Submit(bob, v.ID, map[string]map[string]string{
		"title": {"title": "Primary DB failover loop"}, "severity": {"severity": "sev1"},
		"playbook": {"playbook": "general"}, "impact": {"impact": "All writes failing"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(ack.Errors) > 0 {
		t.Fatalf("valid declaration refused: %v", ack.Errors)
	}
	inc := h.ready(1)
	if inc.Severity != incident.Sev1 || inc.Impact != "All writes failing" || inc.Declarer != bob {
		t.Fatalf("declared %+v", inc)
	}
}
