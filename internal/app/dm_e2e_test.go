package app_test

import (
	"strings"
	"testing"
	"time"

	"github.com/firebreak-hq/firebreak/internal/app"
	"github.com/firebreak-hq/firebreak/internal/slackfake"
)

// dmsTo returns the texts the bot sent to user as direct messages.
func (h *harness) dmsTo(user string) []string {
	var out []string
	for _, c := range h.slack.Calls("chat.postMessage") {
		if c.Params["channel"] == user && c.Error == "" {
			out = append(out, c.Params["text"])
		}
	}
	return out
}

func anyContains(texts []string, sub string) bool {
	for _, t := range texts {
		if strings.Contains(t, sub) {
			return true
		}
	}
	return false
}

// TestBlamelessReviewAndFollowupDM: blame in what people wrote is
// flagged to the lead (never edited), and five business days after close
// the lead is reminded of open follow-ups with the issue link.
func TestBlamelessReviewAndFollowupDM(t *testing.T) {
	t.Parallel()
	h, inc := startDeclared(t, "new sev2 Orders table truncated")
	ch := inc.Channel
	h.slash(alice, ch, "lead <@UCAROL|carol>")
	h.waitJoined(1, carol) // the new lead is invited, and can act
	note := "Root cause: human error, Bob was careless and ran the reset script on prod"
	h.slash(alice, ch, "note "+note)
	h.slash(carol, ch, "followup Make the reset script refuse to run against production")
	h.slash(carol, ch, "close --force restored from the 03:00 snapshot")
	h.eventually("review sent to the lead", func() bool { return anyContains(h.dmsTo(carol), "human error") })
	evs := h.events(1)
	found := false
	for _, e := range evs {
		if e.Text == note {
			found = true
		}
	}
	if !found {
		t.Fatal("the note was changed; the review must never edit what people wrote")
	}
	url := h.incident(1).PostmortemURL
	h.eventually("closure DM with the link", func() bool { return anyContains(h.dmsTo(carol), url) })
	before := len(h.otherThanReviewDMs(carol))

	// The postmortem review reminders of these days are counted elsewhere.
	h.clock.Advance(8 * 24 * time.Hour) // at least five business days, whatever the weekday
	h.tick()
	h.eventually("follow-up reminder DM", func() bool { return len(h.otherThanReviewDMs(carol)) == before+1 })
	last := h.otherThanReviewDMs(carol)[before]
	if !strings.Contains(last, url) || !strings.Contains(strings.ToLower(last), "follow") {
		t.Fatalf("follow-up DM: %q", last)
	}
	h.tick()
	h.settle()
	if got := len(h.otherThanReviewDMs(carol)); got != before+1 {
		t.Fatalf("follow-up reminder sent %d times", got-before)
	}
}

func TestDailyDigest(t *testing.T) {
	t.Parallel()
	h := startHarness(t, withConfig(func(c *app.Config) { c.DigestCron = "0 9 * * 1-5" }))
	h.slash(alice, slackfake.GeneralChannelID, "new sev1 Search down")
	h.slash(alice, slackfake.GeneralChannelID, "new sev3 Slow reports")
	h.ready(1)
	h.ready(2)
	monday := time.Date(2026, 11, 23, 9, 0, 30, 0, time.UTC) // the default FIREBREAK_DIGEST_CRON: weekdays 09:00
	for range 2 {
		if _, err := h.app.Sched.TickDigest(monday); err != nil {
			t.Fatal(err)
		}
	}
	h.restart()
	if queued, err := h.app.Sched.TickDigest(monday.Add(time.Minute)); err != nil || queued {
		t.Fatalf("digest queued again after a restart: %v %v", queued, err)
	}
	var digest string
	h.eventually("one digest listing both open incidents", func() bool {
		n := 0
		for _, m := range h.slack.Messages(h.announce) {
			if strings.Contains(m.Text, "Search down") && strings.Contains(m.Text, "Slow reports") {
				digest = m.Text
				n++
			}
		}
		return n == 1
	})
	if strings.Index(digest, "Search down") > strings.Index(digest, "Slow reports") {
		t.Error("the digest should list the worst severity first")
	}
}
