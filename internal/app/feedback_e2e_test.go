package app_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/firebreak-hq/firebreak/internal/app"
	"github.com/firebreak-hq/firebreak/internal/slackfake"
)

// TestSnoozeSaysUntilWhen: the Snooze button answers the person with
// until when, in FIREBREAK_TIMEZONE, and the nudge says truthfully how
// long there has been no update.
func TestSnoozeSaysUntilWhen(t *testing.T) {
	t.Parallel()
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	h := startHarness(t, withConfig(func(c *app.Config) { c.Location = berlin }))
	h.slash(alice, slackfake.GeneralChannelID, "new sev1 Login failing everywhere")
	ch := h.ready(1).Channel
	h.slash(alice, ch, "lead <@"+bob+">")
	h.settle()

	h.clock.Advance(16 * time.Minute)
	if n := h.tick(); n != 1 {
		t.Fatalf("want one status-update nudge, sent %d", n)
	}
	var m slackfake.Message
	h.eventually("update nudge", func() bool { var ok bool; m, ok = h.messageWithAction(ch, "reminder.snooze"); return ok })
	wantNudge := ":alarm_clock: <@" + bob + ">, there has been no status update on *INC-1* (SEV1) for 16m. Post one with `/incident update &lt;text&gt;`, even if nothing changed, or snooze this reminder."
	if m.Text != wantNudge {
		t.Fatalf("nudge\n got %q\nwant %q", m.Text, wantNudge)
	}
	before := len(h.slack.Ephemerals(bob))
	if _, err := h.slack.Click(bob, ch, m.TS, "reminder.snooze", "INC-1"); err != nil {
		t.Fatal(err)
	}
	h.eventually("snooze answer", func() bool { return len(h.slack.Ephemerals(bob)) > before })
	until := h.incident(1).Reminders.SnoozedUntil
	got := h.slack.Ephemerals(bob)[before].Text
	want := "Snoozed: the status-update reminder for *INC-1* will wait until " + until.In(berlin).Format("2006-01-02 15:04 MST") + "."
	if got != want || until.IsZero() {
		t.Fatalf("snooze answer\n got %q\nwant %q", got, want)
	}
}

// TestDeclareFormConfirmsWhereTyped: declaring from the empty-/incident
// form confirms privately in the channel where /incident was typed (the
// bot is not a member there), not in a new direct message.
func TestDeclareFormConfirmsWhereTyped(t *testing.T) {
	t.Parallel()
	h := startHarness(t)
	typed := h.channel(carol, "payments-team", false, bob)
	if r := h.slash(bob, typed, ""); r != "" {
		t.Fatalf("empty /incident replied %q", r)
	}
	v := h.openView(bob, "declare")
	ack, err := h.slack.Submit(bob, v.ID, map[string]map[string]string{
		"title": {"title": "Card payments declined"}, "severity": {"severity": "sev2"},
		"playbook": {"playbook": "general"}, "impact": {"impact": "EU cards"}})
	if err != nil || len(ack.Errors) > 0 {
		t.Fatalf("submit: %v %v", err, ack.Errors)
	}
	inc := h.ready(1)
	h.settle()
	var confirmations []slackfake.Ephemeral
	for _, e := range h.slack.Ephemerals(bob) {
		if e.Channel == typed {
			confirmations = append(confirmations, e)
		}
	}
	if len(confirmations) != 1 || confirmations[0].Source != "response_url" {
		t.Fatalf("want one ephemeral confirmation in the channel typed in, got %+v", confirmations)
	}
	want := ":rotating_light: *INC-1* declared: Card payments declined\n<#" + inc.Channel + "> is ready. Work the incident there; everything said in it becomes the record.\n\n*Next steps*\n1. Take the lead or hand it on: `/incident lead @name`.\n2. Say what you know so far: `/incident update &lt;what is affected, since when&gt;`.\n3. Work the checklist on the pinned card, starting with *Stop the bleeding*."
	if confirmations[0].Text != want {
		t.Fatalf("confirmation\n got %q\nwant %q", confirmations[0].Text, want)
	}
	if dms := h.dmsTo(bob); len(dms) != 0 {
		t.Fatalf("the declarer got direct messages instead: %q", dms)
	}
}

// TestApprovalFormShowsEachErrorUnderItsField: both missing fields are
// named at once, each under its own field.
func TestApprovalFormShowsEachErrorUnderItsField(t *testing.T) {
	t.Parallel()
	h, inc := startDeclared(t, "Checkout returns 500")
	val := "INC-1:fix"
	h.eventually("request approval button", func() bool { return cardHasAction(h.card(h.incident(1)), "step.request_approval", val) })
	h.click(alice, inc, "step.request_approval", val)
	v := h.openView(alice, "step.request_approval")
	whatErr := "Say exactly what will be run, for example the command you will paste."
	whereErr := "Say where it will be run: which host, cluster or database."
	for _, c := range []struct {
		name        string
		what, where string
		want        map[string]string
	}{
		{"both blank", " ", " ", map[string]string{"what": whatErr, "where": whereErr}},
		{"where blank", "kubectl rollout undo deploy/checkout", " ", map[string]string{"where": whereErr}},
		{"what blank", " ", "prod-eu-1", map[string]string{"what": whatErr}},
	} {
		ack, err := h.slack.Submit(alice, v.ID, map[string]map[string]string{"what": {"what": c.what}, "where": {"where": c.where}})
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(ack.Errors, c.want) {
			t.Fatalf("%s: errors %v, want %v", c.name, ack.Errors, c.want)
		}
	}
	if st, _, _ := h.incident(1).Step("fix"); st.Signoff != nil {
		t.Fatal("a refused form recorded a request")
	}
}
