package app_test

import (
	"testing"
	"time"

	"github.com/firebreak-hq/firebreak/incident"
	"github.com/firebreak-hq/firebreak/internal/slackfake"
)

// TestPostmortemReviewOwner: after the close, the declarer makes someone
// else the owner of the postmortem review; who may choose, a missing
// mention and a repeat are refused with their reasons; the new owner
// passes it on; the channel is told each time; the timeline records who
// chose whom; and the day-before review reminder goes to the last owner
// alone.
func TestPostmortemReviewOwner(t *testing.T) {
	h := startHarness(t)
	h.slash(alice, slackfake.GeneralChannelID, "new sev1 Checkout errors")
	inc := h.ready(1)
	h.carolJoins(inc.Channel)
	h.slash(alice, inc.Channel, "close --force drill over")
	h.eventually("postmortem filed", func() bool { return h.incident(1).PostmortemURL != "" })
	if got := h.incident(1).ReviewOwner(); got != alice {
		t.Fatalf("review owner before any choice: %s, want the declarer %s", got, alice)
	}

	acks := []struct{ user, text, want string }{
		{carol, "postmortem owner <@UCAROL>", "Only the lead, the person who declared INC-1 or the owner of its postmortem review (<@UALICE>) may choose who owns the review."},
		{alice, "postmortem owner", "Name the owner of the postmortem review with a mention: `/incident postmortem owner @name`."},
		{alice, "postmortem owner <@UBOB|bob>", "<@UBOB> owns the postmortem review of INC-1 now; the review reminders go to them."},
		{alice, "postmortem owner <@UBOB>", "<@UBOB> already owns the postmortem review of INC-1."},
		{bob, "postmortem owner <@UCAROL>", "<@UCAROL> owns the postmortem review of INC-1 now; the review reminders go to them."},
	}
	for _, a := range acks {
		if got := h.slash(a.user, inc.Channel, a.text); got != a.want {
			t.Errorf("/incident %s by %s:\n got %q\nwant %q", a.text, a.user, got, a.want)
		}
	}
	h.settle()
	golden(t, "review/owner_channel", h.transcript([][2]string{{"incident", inc.Channel}}))

	var chosen [][2]string
	for _, e := range h.events(1) {
		if e.Kind == incident.EvReviewOwner {
			chosen = append(chosen, [2]string{e.Actor, e.Fields["from"] + ">" + e.Fields["to"]})
		}
	}
	if want := [][2]string{{alice, alice + ">" + bob}, {bob, bob + ">" + carol}}; len(chosen) != 2 || chosen[0] != want[0] || chosen[1] != want[1] {
		t.Fatalf("review owner events %v, want %v", chosen, want)
	}

	due := incident.ReviewDue(h.incident(1), time.UTC)
	h.clock.Advance(due.Add(-24*time.Hour).Sub(h.clock.Now()) + time.Minute)
	if n := h.tick(); n != 1 {
		t.Fatalf("the day before: %d reminders sent, want 1", n)
	}
	h.eventually("the day-before DM to carol", func() bool { return len(h.reviewDMs(carol)) == 1 })
	h.settle()
	if a, b := len(h.reviewDMs(alice)), len(h.reviewDMs(bob)); a != 0 || b != 0 {
		t.Fatalf("review DMs to alice %d, bob %d: only the owner is reminded", a, b)
	}
}
