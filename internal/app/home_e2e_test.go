package app_test

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/firebreak-hq/firebreak/bot"
	"github.com/firebreak-hq/firebreak/internal/slackfake"
)

// homeText lays a published Home view out as text, block by block, for
// golden files.
func homeText(v slackfake.View) string {
	var b strings.Builder
	for _, bl := range v.Blocks {
		id, _ := bl["block_id"].(string)
		fmt.Fprintf(&b, "[%s %s]\n", bl["type"], id)
		if t, ok := bl["text"].(map[string]any); ok {
			fmt.Fprintf(&b, "%s\n", t["text"])
		}
		els, _ := bl["elements"].([]any)
		for _, e := range els {
			m, _ := e.(map[string]any)
			if m["type"] == "button" {
				t, _ := m["text"].(map[string]any)
				fmt.Fprintf(&b, "(button %s: %s)\n", m["action_id"], t["text"])
			}
		}
	}
	// Channel ids depend on the order the fake hands them out in.
	return reChannel.ReplaceAllString(b.String(), "<#CHANNEL>")
}

var reChannel = regexp.MustCompile(`<#C[0-9A-Z]+>`)

// home opens user's Home tab and returns the view published for them.
func (h *harness) home(user string) slackfake.View {
	h.t.Helper()
	before := h.slack.Publishes(user)
	if err := h.slack.OpenHome(user); err != nil {
		h.t.Fatal(err)
	}
	h.eventually("Home of "+user+" published", func() bool { return h.slack.Publishes(user) > before })
	h.settle()
	v, _ := h.slack.Home(user)
	return v
}

// TestAppHome: each person's Home lists the open incidents with theirs
// first, the steps assigned to them and the approvals waiting for them;
// a burst of changes republishes each Home once; the Declare incident
// button opens the declare form.
func TestAppHome(t *testing.T) {
	t.Parallel()
	h := harnessFor(t, newWorkspace(t))
	// Long enough that the whole burst below lands in one round however
	// slow the machine, so the count of publishes is exact.
	h.homeInterval = 2 * time.Second
	h.boot()

	h.slash(alice, slackfake.GeneralChannelID, "new sev2 Checkout returns 500 for EU users")
	inc1 := h.ready(1)
	h.declare(2, carol, slackfake.GeneralChannelID, "new sev3 Search is slow")
	h.slash(alice, inc1.Channel, "lead <@"+alice+">")
	h.click(bob, inc1, bot.ActStepAssign, "INC-1:mitigate")
	h.click(bob, inc1, bot.ActRequestApproval, "INC-1:fix")
	av := h.openView(bob, bot.ViewApproval)
	if _, err := h.slack.Submit(bob, av.ID, map[string]map[string]string{
		"what": {"what": "kubectl rollout undo deploy/checkout"}, "where": {"where": "prod-eu-1"}}); err != nil {
		t.Fatal(err)
	}
	h.settle()
	if n := h.slack.Publishes(alice) + h.slack.Publishes(bob) + h.slack.Publishes(carol); n != 0 {
		t.Fatalf("%d Home views published before anyone opened Home", n)
	}

	alices := homeText(h.home(alice))
	golden(t, "home_alice", alices)
	golden(t, "home_bob", homeText(h.home(bob)))
	golden(t, "home_carol", homeText(h.home(carol)))
	if !strings.Contains(alices, "kubectl rollout undo deploy/checkout") {
		t.Fatalf("alice's Home does not show the approval waiting for her:\n%s", alices)
	}

	// A burst of changes to both incidents: one publish per viewer.
	before := map[string]int{alice: h.slack.Publishes(alice), bob: h.slack.Publishes(bob), carol: h.slack.Publishes(carol)}
	h.slash(alice, inc1.Channel, "sev 1")
	h.click(bob, inc1, bot.ActStepDone, "INC-1:mitigate")
	h.slash(alice, inc1.Channel, "mitigated")
	inc2 := h.incident(2)
	h.slash(carol, inc2.Channel, "lead <@"+carol+">")
	h.slash(carol, inc2.Channel, "sev 2")
	h.settle()
	for _, u := range []string{alice, bob, carol} {
		if got := h.slack.Publishes(u) - before[u]; got != 1 {
			t.Errorf("%s: %d views.publish after a burst of 5 changes, want 1", u, got)
		}
	}
	v, _ := h.slack.Home(alice)
	after := homeText(v)
	for _, want := range []string{"*INC-1* Checkout returns 500 for EU users · SEV1 · mitigated", "_you lead_"} {
		if !strings.Contains(after, want) {
			t.Errorf("alice's Home after the changes lacks %q:\n%s", want, after)
		}
	}
	bv, _ := h.slack.Home(bob)
	if s := homeText(bv); !strings.Contains(s, "_No open step is assigned to you._") {
		t.Errorf("bob's Home still lists the step he finished:\n%s", s)
	}
	cv, _ := h.slack.Home(carol)
	if s := homeText(cv); !strings.Contains(s, "*Your incidents*\n:large_orange_circle: *INC-2*") {
		t.Errorf("carol's Home does not list the incident she now leads first:\n%s", s)
	}

	// Opening Home again when nothing changed publishes nothing: Slack
	// keeps the view.
	n := h.slack.Publishes(bob)
	if err := h.slack.OpenHome(bob); err != nil {
		t.Fatal(err)
	}
	h.settle()
	if got := h.slack.Publishes(bob) - n; got != 0 {
		t.Errorf("bob opening an unchanged Home again: %d views.publish", got)
	}

	// A change that leaves every Home as it was publishes nothing.
	before = map[string]int{alice: h.slack.Publishes(alice), bob: h.slack.Publishes(bob), carol: h.slack.Publishes(carol)}
	h.slash(alice, inc1.Channel, "note the EU load balancer was drained at 14:05")
	h.slash(alice, inc1.Channel, "update Traffic is back on the old build")
	h.settle()
	for _, u := range []string{alice, bob, carol} {
		if got := h.slack.Publishes(u) - before[u]; got != 0 {
			t.Errorf("%s: %d views.publish of an unchanged Home", u, got)
		}
	}

	// The Declare incident button opens the declare form.
	ack, err := h.slack.ClickHome(carol, bot.ActHomeDeclare)
	if err != nil || ack.Late {
		t.Fatalf("Declare incident: %v (late %v)", err, ack.Late)
	}
	dv := h.openView(carol, bot.ViewDeclare)
	if ack := h.submitAsShown(carol, dv, map[string]string{"title": "Login emails are delayed"}); len(ack.Errors) > 0 {
		t.Fatalf("submit refused: %v", ack.Errors)
	}
	inc3 := h.ready(3)
	h.settle()
	v, _ = h.slack.Home(carol)
	if s := homeText(v); !strings.Contains(s, "*INC-3* Login emails are delayed") {
		t.Errorf("carol's Home does not list the incident she declared from it:\n%s", s)
	}
	// Told privately: in the incident channel, or by direct message when
	// the invitation has not landed yet.
	dms := count(h.dmsTo(carol), func(s string) bool { return strings.Contains(s, "*INC-3* declared") })
	if n := h.ephemeralsContaining(carol, "*INC-3* declared") + dms; n != 1 {
		t.Errorf("%d confirmations of INC-3 for carol, want 1", n)
	}
	h.expect("INC-3's confirmation to carol", "", func(s said) bool {
		return s.text == declaredNote(inc3) && (strings.HasPrefix(s.key, "eph:"+carol+"/") || s.where == "to "+carol+" (DM)")
	})
	// When Slack will not open the form (the trigger expired on the way),
	// the person is told in the app's direct messages: Home has no channel.
	h.slack.FailWith("views.open", "expired_trigger_id", 1)
	if _, err := h.slack.ClickHome(carol, bot.ActHomeDeclare); err != nil {
		t.Fatal(err)
	}
	h.settle()
	if n := count(h.dmsTo(carol), func(s string) bool { return strings.Contains(s, "could not open the form") }); n != 1 {
		t.Errorf("%d direct messages saying the form could not be opened, want 1; got %q", n, h.dmsTo(carol))
	}
	if errs := h.slack.BlockErrors(); len(errs) > 0 {
		t.Fatalf("Slack refused blocks: %+v", errs)
	}
}

// TestAppHomeFollowsMembership: a private incident appears on a person's
// Home when they are invited to its channel, and leaves it when they leave.
func TestAppHomeFollowsMembership(t *testing.T) {
	t.Parallel()
	h := startHarness(t)
	const title = "Signing key found in a public gist"
	inc := h.declare(1, alice, slackfake.GeneralChannelID, "new private sev1 "+title)
	h.settle()
	if s := homeText(h.home(carol)); strings.Contains(s, title) || strings.Contains(s, "INC-1") {
		t.Fatalf("carol, outside the channel, is shown the private incident:\n%s", s)
	}
	if err := h.slack.Invite(alice, inc.Channel, carol); err != nil {
		t.Fatal(err)
	}
	h.settle()
	v, _ := h.slack.Home(carol)
	if s := homeText(v); !strings.Contains(s, title) {
		t.Fatalf("carol, invited, is not shown the incident:\n%s", s)
	}
	if err := h.slack.Leave(carol, inc.Channel); err != nil {
		t.Fatal(err)
	}
	h.settle()
	v, _ = h.slack.Home(carol)
	if s := homeText(v); strings.Contains(s, title) {
		t.Fatalf("carol, gone, is still shown the incident:\n%s", s)
	}
}
