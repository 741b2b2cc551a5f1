package app_test

import (
	"strings"
	"testing"
	"time"

	"github.com/firebreak-hq/firebreak/incident"
	"github.com/firebreak-hq/firebreak/internal/slackfake"
)

// messageWithAction finds (and consumes) the newest message in channel offering action.
func (h *harness) messageWithAction(channel, action string) (slackfake.Message, bool) {
	msgs := h.slack.Messages(channel)
	for i := len(msgs) - 1; i >= 0; i-- {
		for _, b := range msgs[i].BlocksDecoded {
			els, _ := b["elements"].([]any)
			for _, e := range els {
				if em, _ := e.(map[string]any); em["action_id"] == action {
					return h.consumeMessage(msgs[i]), true
				}
			}
		}
	}
	return slackfake.Message{}, false
}

func (h *harness) tick() int {
	h.t.Helper()
	n, err := h.app.Sched.Tick(h.clock.Now())
	if err != nil {
		h.t.Fatal(err)
	}
	return n
}

// TestRemindersThroughSlack fast-forwards a sev1 through the lead,
// status-update and verification reminders and answers each with its
// buttons.
func TestRemindersThroughSlack(t *testing.T) {
	t.Parallel()
	h, inc := startDeclared(t, "new sev1 Login failing everywhere")
	ch := inc.Channel

	m := h.takeLeadReminder(ch)
	if _, err := h.slack.Click(bob, ch, m.TS, "incident.take_lead", "INC-1"); err != nil {
		t.Fatal(err)
	}
	h.eventually("bob leads", func() bool { return h.incident(1).Lead == bob })

	h.clock.Advance(10 * time.Minute) // 16 min without an update on a sev1
	if n := h.tick(); n != 1 {
		t.Fatalf("want one status-update nudge, sent %d", n)
	}
	if n := h.tick(); n != 0 {
		t.Fatalf("a second tick re-sent %d reminders", n)
	}
	h.eventually("update nudge with buttons, mentioning the lead", func() bool {
		var ok bool
		m, ok = h.messageWithAction(ch, "reminder.snooze")
		return ok && strings.Contains(m.Text+string(m.Blocks), "<@"+bob+">")
	})
	if _, err := h.slack.Click(bob, ch, m.TS, "reminder.snooze", "INC-1"); err != nil {
		t.Fatal(err)
	}
	h.eventually("snooze on the timeline", func() bool { return countKind(h.events(1), incident.EvSnoozed) == 1 })
	h.clock.Advance(10 * time.Minute)
	if n := h.tick(); n != 0 {
		t.Fatalf("snoozed nudge sent anyway (%d)", n)
	}
	// Post an update from the reminder's button: it opens a modal.
	if _, err := h.slack.Click(bob, ch, m.TS, "reminder.update", "INC-1"); err != nil {
		t.Fatal(err)
	}
	v := h.openView(bob, "update")
	if _, err := h.slack.Submit(bob, v.ID, map[string]map[string]string{"text": {"text": "Failover to the standby IdP done; logins recovering"}}); err != nil {
		t.Fatal(err)
	}
	h.eventually("update announced", func() bool { return h.messagesContaining(h.announce, "standby IdP") > 0 })

	// Resolve; after the verification window the lead is asked to confirm.
	h.slash(bob, ch, "resolve")
	h.clock.Advance(31 * time.Minute)
	h.tick()
	h.eventually("verify reminder with close and reopen", func() bool {
		var ok bool
		m, ok = h.messageWithAction(ch, "incident.reopen")
		return ok && cardHasAction(m, "incident.close", "INC-1")
	})
	// Reopen from the reminder asks why, then records a false resolution.
	if _, err := h.slack.Click(bob, ch, m.TS, "incident.reopen", "INC-1"); err != nil {
		t.Fatal(err)
	}
	rv := h.openView(bob, "reopen")
	if _, err := h.slack.Submit(bob, rv.ID, map[string]map[string]string{"reason": {"reason": "Logins failing again in eu-west"}}); err != nil {
		t.Fatal(err)
	}
	h.eventually("reopened", func() bool { return h.incident(1).Status == incident.StatusActive && h.incident(1).ReopenCount == 1 })

	// Closed incidents get no more channel reminders.
	h.slash(bob, ch, "close --force tracked in INC-2 instead")
	h.clock.Advance(3 * time.Hour)
	if n := h.tick(); n != 0 {
		t.Fatalf("closed incident still reminded (%d)", n)
	}
	if got := countKind(h.events(1), incident.EvReminderSent); got != 3 {
		t.Fatalf("want 3 reminders on the timeline (lead, update, verify), got %d", got)
	}
}

// TestReminderAfterRestart: a reminder that fell due while the bot was
// down is sent once when it comes back.
func TestReminderAfterRestart(t *testing.T) {
	t.Parallel()
	h, inc := startDeclared(t, "new sev2 Queue backlog")
	h.slash(alice, inc.Channel, "lead <@UALICE|alice>")
	h.stop()
	h.clock.Advance(45 * time.Minute)
	h.boot()
	h.tick()
	h.tick()
	h.eventually("one nudge after restart", func() bool {
		_, ok := h.messageWithAction(inc.Channel, "reminder.snooze")
		return ok
	})
	if n := count(h.slack.Messages(inc.Channel), func(m slackfake.Message) bool { return cardHasAction(m, "reminder.snooze", "INC-1") }); n != 1 {
		t.Fatalf("want exactly one nudge, got %d", n)
	}
}

// TestStaleStepReminder: a step assigned but not done for 30 minutes
// reminds its assignee, once.
func TestStaleStepReminder(t *testing.T) {
	t.Parallel()
	h, inc := startDeclared(t, "new sev3 Cron jobs skipped")
	h.slashAll(alice, inc.Channel, "lead <@UALICE|alice>", "update looking into it")
	step := inc.Steps[2]
	h.click(bob, inc, "step.assign", "INC-1:"+step.ID)
	h.eventually("assigned", func() bool { s, _, _ := h.incident(1).Step(step.ID); return s.Assignee == bob })
	h.clock.Advance(31 * time.Minute)
	h.tick()
	h.tick()
	var found []string
	h.eventually("stale-step reminder to the assignee", func() bool {
		found = found[:0]
		for _, m := range h.slack.Messages(inc.Channel) {
			if strings.Contains(m.Text, "<@"+bob+">") && strings.Contains(m.Text, step.Title) {
				found = append(found, m.Text)
			}
		}
		return len(found) > 0
	})
	if len(found) != 1 {
		t.Fatalf("want one stale-step reminder, got %d: %q", len(found), found)
	}
}
