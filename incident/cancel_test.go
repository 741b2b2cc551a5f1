package incident

import (
	"testing"
	"time"
)

func TestCancelWithinWindow(t *testing.T) {
	inc := declared(t)
	res, err := Apply(inc, Command{Kind: CmdCancel, Actor: "UALICE", Text: "typo, meant status"}, t0.Add(9*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	c := res.Incident
	if c.Status != StatusCancelled || c.Status.Open() || c.CancelReason != "typo, meant status" || !c.CancelledAt.Equal(t0.Add(9*time.Minute)) {
		t.Fatalf("cancelled state %+v", c)
	}
	kinds := map[EffectKind]int{}
	for _, e := range res.Effects {
		kinds[e.Kind]++
	}
	if kinds[EffPublishPostmortem] != 0 {
		t.Fatal("a cancel files a postmortem")
	}
	if kinds[EffArchiveChannel] != 1 || kinds[EffCorrectAnnouncement] != 1 || kinds[EffPost] != 1 {
		t.Fatalf("effects %v", kinds)
	}
	if len(res.Events) != 1 || res.Events[0].Kind != EvCancelled || res.Events[0].Text != "typo, meant status" {
		t.Fatalf("events %+v", res.Events)
	}
	// Nothing is reminded afterwards, however long it stays in the database.
	if due := Due(c, t0.Add(72*time.Hour), DefaultReminderConfig()); len(due) != 0 {
		t.Fatalf("cancelled incident has reminders due: %+v", due)
	}
	if _, err := MarkReminded(c, Reminder{Kind: ReminderLead, Key: "lead:x", Due: t0}, t0.Add(time.Hour)); !HasCode(err, CodeCancelled) {
		t.Fatalf("reminder of a cancelled incident: %v", err)
	}
}

func TestCancelRefusals(t *testing.T) {
	inc := declared(t)
	cases := []struct {
		name string
		cmd  Command
		at   time.Duration
		code Code
		msg  string
	}{
		{"after ten minutes", Command{Kind: CmdCancel, Actor: "UALICE", Text: "oops"}, 10*time.Minute + 31*time.Second, CodeCancelTooLate,
			`incident: cancel_too_late: refuse.cancel_too_late "INC-1" "10m31s" "10"`},
		{"without a reason", Command{Kind: CmdCancel, Actor: "UALICE", Text: "  "}, time.Minute, CodeBadInput,
			`incident: bad_input: refuse.cancel_needs_reason "INC-1"`},
		{"by a bystander", Command{Kind: CmdCancel, Actor: "UCAROL", Text: "oops"}, time.Minute, CodeNotAuthorized,
			`incident: not_authorized: refuse.lead_or_declarer "INC-1" "cancel"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Apply(inc, c.cmd, t0.Add(c.at))
			e, ok := IsRefusal(err)
			if !ok || e.Code != c.code || e.Error() != c.msg {
				t.Fatalf("got %v (%+v), want %s %q", err, e, c.code, c.msg)
			}
		})
	}
	// Exactly ten minutes is still in the window.
	if _, err := Apply(inc, Command{Kind: CmdCancel, Actor: "UALICE", Text: "oops"}, t0.Add(CancelWindow)); err != nil {
		t.Fatalf("cancel at exactly %s: %v", CancelWindow, err)
	}
}
