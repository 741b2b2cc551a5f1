package app_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/firebreak-hq/firebreak/incident"
	"github.com/firebreak-hq/firebreak/internal/app"
	"github.com/firebreak-hq/firebreak/internal/githubfake"
	"github.com/firebreak-hq/firebreak/internal/logbuf"
	"github.com/firebreak-hq/firebreak/internal/slackfake"
	"github.com/firebreak-hq/firebreak/store"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// TestIncidentLifecycle walks one incident from /incident to the filed
// postmortem through the fake Slack, restarting the bot mid-incident.
func TestIncidentLifecycle(t *testing.T) {
	t.Parallel()
	h := startHarness(t)
	general := slackfake.GeneralChannelID

	inc := h.declare(1, alice, general, "new sev2 Checkout returns 500 for EU users")
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
	ts1 := h.postAs(bob, ch, "Grafana: 5xx at 31% on checkout-eu since 15:57")
	if err := h.slack.Pin(bob, ch, ts1); err != nil {
		t.Fatal(err)
	}
	if err := h.slack.Join(carol, ch); err != nil {
		t.Fatal(err)
	}
	ts2 := h.postAs(carol, ch, "Deploy 4812 changed the cart schema (migration 0193)")
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
	aval := h.requestApproval(carol, inc, risky.ID, "kubectl rollout undo deploy/checkout -n prod", "prod-eu-1")
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
	h.clickRequest(bob, inc, aval)
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

// TestSubcommandsAndRefusals covers the read-only subcommands, the
// lifecycle subcommands and their refusals, each answered ephemerally.
func TestSubcommandsAndRefusals(t *testing.T) {
	t.Parallel()
	h := startHarness(t)
	general := slackfake.GeneralChannelID
	if r := h.slash(alice, general, "help"); !strings.Contains(r, "/incident") || !strings.Contains(r, "close --force") {
		t.Fatalf("help: %q", r)
	}
	if r := h.slash(alice, general, "list"); !strings.Contains(r, "No open incidents") {
		t.Fatalf("empty list: %q", r)
	}
	inc := h.declare(1, alice, general, "sev1 Payments API timing out")
	ch := inc.Channel
	if r := h.slash(bob, general, "list"); !strings.Contains(r, "INC-1") || !strings.Contains(r, "Payments API") {
		t.Fatalf("list: %q", r)
	}
	if r := h.slash(bob, general, "status"); !strings.Contains(r, "incident channel") {
		t.Fatalf("status outside: %q", r)
	}
	if r := h.slash(bob, ch, "status"); !strings.Contains(r, "sev1") && !strings.Contains(r, "SEV1") {
		t.Fatalf("status: %q", r)
	}
	for _, c := range []struct{ text, want string }{
		{"note", "needs some text"},
		{"lead bob", "mention"},
		{"role @bob", "role"},
		{"reopen it broke", "only a resolved incident"},
		{"close --force", "reason"},
		{"close now please", "takes no text"},
		{"sev 1", "already sev1"},
		{"new playbook:nonesuch Disk full", "bad-deploy"},
	} {
		if r := h.slash(bob, ch, c.text); !strings.Contains(strings.ToLower(r), strings.ToLower(c.want)) {
			t.Errorf("/incident %s → %q, want it to mention %q", c.text, r, c.want)
		}
	}
	h.slash(alice, ch, "mitigated")
	if r := h.slash(alice, ch, "mitigated"); !strings.Contains(r, "already mitigated") {
		t.Fatalf("double mitigated: %q", r)
	}
	h.slash(alice, ch, "resolve")
	// A non-member changes nothing, whatever the command.
	if r := h.slash(carol, ch, "reopen errors are back"); r != "Only members of this channel can act on INC-1. Join the channel first; joining is recorded on the timeline." {
		t.Fatalf("reopen by a non-member: %q", r)
	}
	h.join(carol, ch)
	h.eventually("carol's join recorded", func() bool { return countKind(h.events(1), incident.EvMemberJoined) > 0 })
	if r := h.slash(carol, ch, "reopen errors are back"); !strings.Contains(strings.ToLower(r), "lead or the person who declared") {
		t.Fatalf("reopen by a bystander: %q", r)
	}
	h.slash(alice, ch, "reopen errors are back after cache expiry")
	if got := h.incident(1); got.Status != incident.StatusActive || got.ReopenCount != 1 {
		t.Fatalf("reopen: %+v", got.Status)
	}
	if r := h.slash(alice, ch, "timeline"); !strings.Contains(r, "errors are back after cache expiry") {
		t.Fatalf("timeline lacks the reopen reason: %q", r)
	}
	if r := h.slash(alice, ch, "close --force duplicate of INC-0"); !strings.Contains(r, "closed") {
		t.Fatalf("force close: %q", r)
	}
	if r := h.slash(alice, ch, "note too late"); !strings.Contains(r, "closed") {
		t.Fatalf("note after close: %q", r)
	}
	h.eventually("announce hears every status change", func() bool {
		return h.messagesContaining(h.announce, "INC-1") >= 5
	})
}

// TestSlowSlackStillAcksFast: acks never wait for Slack's Web API.
func TestSlowSlackStillAcksFast(t *testing.T) {
	t.Parallel()
	h := startHarness(t)
	h.slack.SetLatency("", 2*time.Second)
	// h.slash fails the test on an ack later than Slack's 3 s; every Web
	// API call now takes 2 s, so an ack that waited for one would be late.
	reply := h.slash(alice, slackfake.GeneralChannelID, "new sev2 Slack is slow today")
	if !strings.Contains(reply, "INC-1") {
		t.Fatalf("reply %q", reply)
	}
	h.slash(alice, slackfake.GeneralChannelID, "list")
	h.slack.SetLatency("", 0)
	h.ready(1)
}

// TestChannelNames: a taken name gets a suffix; odd titles still give
// valid names.
func TestChannelNames(t *testing.T) {
	t.Parallel()
	h := startHarness(t)
	h.channel(carol, "inc-1-db-down", false)
	titles := []string{"DB down", "🔥🔥🔥", "数据库宕机", strings.Repeat("long title ", 454) + "end!!", "!!!???", "<!channel> & <@UBOB>"}
	for _, title := range titles {
		h.slash(alice, slackfake.GeneralChannelID, title)
	}
	for i := range titles {
		inc := h.ready(uint64(i + 1))
		name := inc.ChannelName
		if len(name) > 80 || !strings.HasPrefix(name, "inc-") {
			t.Errorf("title %.20q → channel %q", titles[i], name)
		}
		for _, r := range name {
			if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
				t.Errorf("channel %q has %q", name, r)
			}
		}
	}
	if got := h.incident(1).ChannelName; got != "inc-1-db-down-2" {
		t.Errorf("name_taken suffix: got %q", got)
	}
	if got := h.incident(3).ChannelName; got != "inc-3-incident" {
		t.Errorf("CJK-only title: got %q", got)
	}
	if errs := h.slack.BlockErrors(); len(errs) > 0 {
		t.Errorf("Slack rejected blocks: %+v", errs)
	}
}

// TestPostmortemFileWithoutGitHub: with no GitHub, close writes
// FIREBREAK_POSTMORTEM_DIR/INC-<n>.md and links it in the channel.
func TestPostmortemFileWithoutGitHub(t *testing.T) {
	t.Parallel()
	h, inc := startDeclared(t, "Cache stampede", withoutGitHub())
	h.slash(alice, inc.Channel, "close --force false alarm: synthetic check misfired")
	h.eventually("postmortem file and link", func() bool {
		return h.incident(1).PostmortemURL != "" && h.messagesContaining(inc.Channel, "INC-1.md") > 0
	})
	md := h.postmortemFile(1)
	if !strings.Contains(string(md), "Postmortem: INC-1 Cache stampede") || !strings.Contains(string(md), "synthetic check misfired") {
		t.Fatalf("postmortem file content:\n%.500s", md)
	}
}

// TestSecondRunOnSameDBFails: bbolt's lock makes a second process fail
// at once with a clear message instead of hanging.
func TestSecondRunOnSameDBFails(t *testing.T) {
	boltOnly(t)
	t.Parallel()
	h := startHarness(t)
	cfg := h.cfg
	cfg.HTTPAddr = "127.0.0.1:0"
	start := time.Now()
	_, err := app.New(cfg, app.Options{NoHTTP: true})
	if err == nil {
		t.Fatal("a second app opened the same database")
	}
	if !strings.Contains(err.Error(), "in use by another firebreak process") {
		t.Fatalf("unclear error: %v", err)
	}
	if el := time.Since(start); el > 10*time.Second {
		t.Fatalf("took %s to fail: a second process must not hang on the lock", el)
	}
	_ = store.ErrLocked
}

// TestTokensNeverLogged runs an incident with the log captured and looks
// for the tokens.
func TestTokensNeverLogged(t *testing.T) {
	t.Parallel()
	h := startHarness(t)
	h.lenient("runs its own app and stops it once the card is posted; what else it says depends on when it stops")
	var buf logbuf.Buffer
	h.stop()
	log := zap.New(zapcore.NewCore(zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig()), zapcore.AddSync(&buf), zapcore.DebugLevel))
	a, err := app.New(h.cfg, app.Options{Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	h.app = nil
	runAndStop(t, a, func() {
		h.slack.Slash(alice, slackfake.GeneralChannelID, "Token leak check")
		h.eventually("incident ready", func() bool { r, err := a.DB.Slack(1); return err == nil && r.CardTS != "" })
	})
	for _, tok := range []string{h.cfg.BotToken, h.cfg.AppToken, h.cfg.GitHubToken} {
		if strings.Contains(buf.String(), tok) {
			t.Fatalf("log contains a token")
		}
	}
	if buf.Len() == 0 {
		t.Fatal("nothing was logged; the check proves nothing")
	}
}

// TestSlowPinnedTextArrivesLater: when Slack is too slow to return a
// 📌-reacted message within the ack deadline, the pin is recorded at once
// and its text joins the timeline from the outbox.
func TestSlowPinnedTextArrivesLater(t *testing.T) {
	t.Parallel()
	h, inc := startDeclared(t, "Billing exports stuck")
	ts := h.postAs(alice, inc.Channel, "Export worker OOM-killed at 09:14, queue depth 48k")
	h.slack.SetLatency("conversations.history", 2*time.Second)
	if err := h.slack.React(bob, inc.Channel, ts, "pushpin"); err != nil {
		t.Fatal(err)
	}
	h.eventually("pin recorded", func() bool { return countKind(h.events(1), incident.EvMessagePinned) == 1 })
	for _, a := range h.slack.Acks() {
		if a.Late {
			t.Fatalf("an ack was late: %+v", a)
		}
	}
	h.slack.SetLatency("conversations.history", 0)
	h.eventually("pinned text recorded", func() bool {
		for _, e := range h.events(1) {
			if e.Kind == incident.EvPinnedText && strings.Contains(e.Text, "OOM-killed") && e.Fields["ts"] == ts {
				return true
			}
		}
		return false
	})
	if r := h.slash(alice, inc.Channel, "timeline"); !strings.Contains(r, "OOM-killed") {
		t.Fatalf("timeline lacks the pinned text: %q", r)
	}
}

// TestAmbiguousPostNotRepeated: when Slack answers 5xx after it did post,
// the retry finds the message by its marker instead of posting it again.
func TestAmbiguousPostNotRepeated(t *testing.T) {
	t.Parallel()
	h, inc := startDeclared(t, "CDN purge failing")
	h.slack.FailAfterWriteNext("chat.postMessage", 2, 502)
	h.slashAll(alice, inc.Channel, "update Purges queue up; origin load normal", "note after the update")
	h.settle()
	// Each text once (startDeclared consumed the card and the declaration):
	// a second copy would be a message the test did not expect.
	h.expectMessage(inc.Channel, ":mega: *Status update* from <@UALICE> (SEV3, active):\n>Purges queue up; origin load normal")
	h.expectMessage(h.announce, ":mega: *INC-1 · SEV3 · active* update from <@UALICE>: CDN purge failing\n>Purges queue up; origin load normal\nFollow along in <#"+inc.Channel+">.")
	if failed := count(h.slack.Calls("chat.postMessage"), func(c slackfake.Call) bool { return c.Error == "http_502" }); failed != 2 {
		t.Fatalf("the fault was not exercised: %d failed posts", failed)
	}
}

// TestLongUpdatePostedWhole: a status update longer than one Block Kit
// section is posted in several, not cut.
func TestLongUpdatePostedWhole(t *testing.T) {
	t.Parallel()
	h, inc := startDeclared(t, "Long update")
	long := strings.Repeat("Replica lag on db-7 is climbing; ", 300) + "END-OF-UPDATE"
	if r := h.slash(alice, inc.Channel, "update "+long); !strings.Contains(r, "posted") {
		t.Fatalf("update refused: %q", r)
	}
	h.eventually("whole update posted", func() bool {
		for _, m := range h.slack.Messages(inc.Channel) {
			if strings.Contains(string(m.Blocks), "END-OF-UPDATE") {
				return true
			}
		}
		return false
	})
	if errs := h.slack.BlockErrors(); len(errs) > 0 {
		t.Fatalf("blocks rejected: %+v", errs)
	}
}
