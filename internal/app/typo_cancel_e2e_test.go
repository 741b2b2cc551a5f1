package app_test

import (
	"strings"
	"testing"
	"time"

	"github.com/firebreak-hq/firebreak/incident"
	"github.com/firebreak-hq/firebreak/internal/slackfake"
)

// lastEphemeral is (and consumes) the newest ephemeral user saw in channel.
func (h *harness) lastEphemeral(user, channel string) slackfake.Ephemeral {
	h.t.Helper()
	eph := h.slack.Ephemerals(user)
	for i := len(eph) - 1; i >= 0; i-- {
		if eph[i].Channel == channel {
			h.consume(ephKey(user, i))
			return eph[i]
		}
	}
	h.t.Fatalf("no ephemeral for %s in %s", user, channel)
	return slackfake.Ephemeral{}
}

func (h *harness) incidentCount() int {
	h.t.Helper()
	n := 0
	for i := uint64(1); ; i++ {
		if _, err := h.db().Get(i); err != nil {
			return n
		}
		n++
	}
}

// TestTypoDeclaresNothing: in an incident channel a first word that is
// not a subcommand never declares; Firebreak answers with the closest
// subcommands and a button that declares only when pressed. Elsewhere a
// one-word title close to a subcommand asks the same way.
func TestTypoDeclaresNothing(t *testing.T) {
	t.Parallel()
	h := startHarness(t)
	h.slash(alice, slackfake.GeneralChannelID, "Checkout returns 500")
	ch := h.ready(1).Channel

	got := h.slash(alice, ch, "stauts")
	want := "Did you mean `/incident status`? Nothing was declared: `stauts` is not a subcommand, and in an incident channel only `/incident new &lt;title&gt;` declares another incident. To declare it as a new incident anyway, press the button."
	if got != want {
		t.Fatalf("typo answer\n got %q\nwant %q", got, want)
	}
	got = h.slash(alice, ch, "frobnicate")
	want = "Nothing was declared: `frobnicate` is not a subcommand, and in an incident channel only `/incident new &lt;title&gt;` declares another incident. See `/incident help` for what works here. To declare it as a new incident anyway, press the button."
	if got != want {
		t.Fatalf("unknown word answer\n got %q\nwant %q", got, want)
	}
	got = h.slash(bob, slackfake.GeneralChannelID, "lsit")
	want = "Did you mean `/incident list`? Nothing was declared yet: `lsit` looks like a mistyped subcommand rather than an incident title. To declare it as a new incident anyway, press the button."
	if got != want {
		t.Fatalf("one-word typo elsewhere\n got %q\nwant %q", got, want)
	}
	h.settle()
	if n := h.incidentCount(); n != 1 {
		t.Fatalf("typos declared incidents: %d in the database", n)
	}
	if n := len(h.slack.Channels()); n != 3 {
		t.Fatalf("typos created channels: %d channels", n)
	}

	// The button declares what was typed, when someone means it.
	eph := h.lastEphemeral(alice, ch)
	if !strings.Contains(string(eph.Blocks), `"text":"Declare “frobnicate” as a new incident"`) {
		t.Fatalf("no declare button in %s", eph.Blocks)
	}
	ack, err := h.slack.ClickEphemeral(alice, eph.TS, "incident.declare_typed")
	if err != nil || ack.Late {
		t.Fatalf("click: %v (late %v)", err, ack.Late)
	}
	h.eventually("INC-2 declared", func() bool { return h.incidentCount() == 2 })
	inc := h.ready(2)
	if inc.Title != "frobnicate" || inc.Declarer != alice || inc.Status != incident.StatusActive {
		t.Fatalf("declared from the button: %+v", inc)
	}
	// A second press declares nothing more and says so.
	before := len(h.slack.Ephemerals(alice))
	if _, err := h.slack.ClickEphemeral(alice, eph.TS, "incident.declare_typed"); err != nil {
		t.Fatal(err)
	}
	want = "INC-2 was already declared from this message; nothing more was declared."
	h.eventually("answer to the second press", func() bool {
		for _, e := range h.slack.Ephemerals(alice)[before:] {
			if e.Text == want && e.Channel == ch {
				return true
			}
		}
		return false
	})
	h.settle()
	if n := h.incidentCount(); n != 2 {
		t.Fatalf("a second press declared again: %d incidents", n)
	}
}

// TestCancelMistakenIncident: /incident cancel within ten minutes archives
// the channel, files no postmortem, corrects the announcement and stops
// the reminders; the number is not reused, and after ten minutes cancel
// is refused with the way out.
func TestCancelMistakenIncident(t *testing.T) {
	t.Parallel()
	h, inc := startDeclared(t, "new sev1 frobnicate")
	h.eventually("announcement recorded", func() bool { return h.slackRecord(1).AnnounceTS != "" })
	h.settle()

	h.clock.Advance(4 * time.Minute)
	got := h.slash(alice, inc.Channel, "cancel typed in the wrong place, meant status")
	if want := "INC-1 is cancelled: its channel is being archived and the announcement corrected. No postmortem is filed."; got != want {
		t.Fatalf("cancel reply\n got %q\nwant %q", got, want)
	}
	h.eventually("channel archived", func() bool { c, ok := h.slack.Channel(inc.Channel); return ok && c.IsArchived })
	h.settle()

	cur := h.incident(1)
	if cur.Status != incident.StatusCancelled || cur.CancelReason != "typed in the wrong place, meant status" {
		t.Fatalf("after cancel: %s %q", cur.Status, cur.CancelReason)
	}
	ann, ok := h.slack.Message(h.announce, h.slackRecord(1).AnnounceTS)
	wantAnn := ":no_entry_sign: *INC-1 · SEV1* “frobnicate”, declared by <@" + alice + ">, was cancelled by <@" + alice + ">: it was declared by mistake, so there is no incident to follow. Reason: typed in the wrong place, meant status."
	if !ok || !ann.Edited || ann.Text != wantAnn {
		t.Fatalf("announcement\n got %q (edited %v)\nwant %q", ann.Text, ann.Edited, wantAnn)
	}
	if n := h.messagesContaining(h.announce, "INC-1"); n != 1 {
		t.Fatalf("%d announce messages name INC-1, want the corrected one only", n)
	}
	msgs := h.slack.Messages(inc.Channel)
	last := msgs[len(msgs)-1].Text
	wantPost := ":no_entry_sign: *INC-1* was cancelled by <@" + alice + ">: it was declared by mistake. Reason: typed in the wrong place, meant status.\nNo postmortem will be filed, and this channel is being archived."
	if last != wantPost {
		t.Fatalf("channel message\n got %q\nwant %q", last, wantPost)
	}
	if issues := h.gh.Issues("acme", "ops"); len(issues) != 0 {
		t.Fatalf("a cancelled incident filed %d GitHub issues", len(issues))
	}
	if countKind(h.events(1), incident.EvCancelled) != 1 || countKind(h.events(1), incident.EvPostmortem) != 0 {
		t.Fatal("timeline does not record the cancel alone")
	}
	// No reminder of any kind, however long it stays.
	h.clock.Advance(3 * time.Hour)
	if n := h.tick(); n != 0 {
		t.Fatalf("cancelled incident reminded %d times", n)
	}

	// The next incident gets the next number.
	h.slash(bob, slackfake.GeneralChannelID, "Payments timing out")
	next := h.ready(2)
	if !strings.HasPrefix(next.ChannelName, "inc-2-") {
		t.Fatalf("next incident channel %q", next.ChannelName)
	}
	h.settle()

	// After ten minutes cancel is refused, and says to close instead.
	h.clock.Advance(11 * time.Minute)
	got = h.slash(bob, next.Channel, "cancel oops")
	want := "INC-2 was declared 11 minutes ago, and only an incident declared by mistake can be cancelled, within its first 10 minutes. Close it instead: `/incident close --force &lt;reason&gt;`; the postmortem can say it was a false alarm."
	if got != want {
		t.Fatalf("late cancel\n got %q\nwant %q", got, want)
	}
	if h.incident(2).Status != incident.StatusActive {
		t.Fatal("late cancel changed the incident")
	}
}
