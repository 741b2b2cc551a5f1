package app_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/firebreak-hq/firebreak/incident"
	"github.com/firebreak-hq/firebreak/internal/app"
	"github.com/firebreak-hq/firebreak/internal/slackfake"
	"github.com/google/go-github/v60/github"
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
	return count(texts, func(t string) bool { return strings.Contains(t, sub) }) > 0
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
	h.declare(1, alice, slackfake.GeneralChannelID, "new sev1 Search down")
	h.declare(2, alice, slackfake.GeneralChannelID, "new sev3 Slow reports")
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

func (h *harness) reviewDMs(user string) []string {
	var out []string
	for _, d := range h.dmsTo(user) {
		if strings.Contains(d, "The review of the") {
			out = append(out, d)
		}
	}
	return out
}

func (h *harness) otherThanReviewDMs(user string) []string {
	var out []string
	for _, d := range h.dmsTo(user) {
		if !strings.Contains(d, "The review of the") {
			out = append(out, d)
		}
	}
	return out
}

// lastIssueGet is the status of the latest GET of postmortem issue n.
func (h *harness) lastIssueGet(n int) int {
	status := 0
	for _, r := range h.gh.Requests() {
		if r.Method == http.MethodGet && r.Path == "/repos/acme/ops/issues/"+strconv.Itoa(n) {
			status = r.Status
		}
	}
	return status
}

// TestPostmortemReviewReminders: a sev1's postmortem review is due 3
// calendar days after close. Its owner is reminded by DM the day before
// and once overdue, each exactly once; the issue is polled with
// conditional requests (304 while unchanged, the ETag kept across a
// restart) and the reminders stop once it is labelled reviewed.
func TestPostmortemReviewReminders(t *testing.T) {
	h := startHarness(t)
	ctx := context.Background()
	inc := h.declare(1, alice, slackfake.GeneralChannelID, "new sev1 Checkout errors")
	h.slash(alice, inc.Channel, "close --force drill over")
	h.eventually("postmortem filed", func() bool { return h.incident(1).PostmortemURL != "" })
	inc = h.incident(1)
	owner := inc.ReviewOwner()
	due := incident.ReviewDue(inc, time.UTC)
	if want := inc.ClosedAt.AddDate(0, 0, 3); !due.Equal(want) {
		t.Fatalf("review due %v, want %v (3 calendar days for a sev1)", due, want)
	}
	issue := h.gh.Issues("acme", "ops")[0].Number

	// The first poll fetches the issue; the next ones are conditional.
	if n, err := h.app.PollReviews(ctx); err != nil || n != 0 || h.lastIssueGet(issue) != 200 {
		t.Fatalf("first poll: %d %v, GET %d", n, err, h.lastIssueGet(issue))
	}
	if _, err := h.app.PollReviews(ctx); err != nil || h.lastIssueGet(issue) != http.StatusNotModified {
		t.Fatalf("second poll: %v, GET %d, want 304", err, h.lastIssueGet(issue))
	}

	if n := h.tick(); n != 0 {
		t.Fatalf("%d reminders right after the close", n)
	}
	h.clock.Advance(due.Add(-24*time.Hour).Sub(h.clock.Now()) + time.Minute)
	if n := h.tick(); n != 1 {
		t.Fatalf("the day before: %d reminders sent, want 1", n)
	}
	h.eventually("the day-before DM", func() bool { return len(h.reviewDMs(owner)) == 1 })
	link := "<" + inc.PostmortemURL + "|the INC-1 postmortem>"
	want := ":clipboard: The review of the *INC-1 · Checkout errors* postmortem is due tomorrow, " +
		due.UTC().Format("2006-01-02 15:04 MST") + ".\nYou own it. Hold the review, then close the issue or label it `reviewed`; the reminders stop then.\nPostmortem: " + link
	if got := h.reviewDMs(owner)[0]; got != want {
		t.Errorf("day-before DM:\n%q\nwant\n%q", got, want)
	}
	if n := h.tick(); n != 0 {
		t.Fatalf("a second tick sent %d more", n)
	}

	// A restart keeps the ETag: the poll is still conditional.
	h.eventually("the outbox is empty", func() bool { d, err := h.db().OutboxDepth(); return err == nil && d == 0 })
	h.restart()
	if _, err := h.app.PollReviews(ctx); err != nil || h.lastIssueGet(issue) != http.StatusNotModified {
		t.Fatalf("poll after restart: %v, GET %d, want 304", err, h.lastIssueGet(issue))
	}

	h.clock.Advance(24 * time.Hour)
	if n := h.tick(); n != 1 {
		t.Fatalf("overdue: %d reminders sent, want 1", n)
	}
	h.eventually("the overdue DM", func() bool { return len(h.reviewDMs(owner)) == 2 })
	if got := h.reviewDMs(owner)[len(h.reviewDMs(owner))-1]; len(h.reviewDMs(owner)) != 2 || !strings.HasPrefix(got, ":alarm_clock: The review of the *INC-1 · Checkout errors* postmortem is overdue: it was due ") {
		t.Errorf("overdue DM: %q (all: %q)", got, h.reviewDMs(owner))
	}

	// Someone labels the postmortem reviewed on GitHub.
	gc := github.NewClient(nil).WithAuthToken("ghp_test")
	gc.BaseURL, _ = url.Parse(strings.TrimSuffix(h.gh.URL(), "/") + "/")
	if _, _, err := gc.Issues.CreateLabel(ctx, "acme", "ops", &github.Label{Name: github.String("reviewed"), Color: github.String("0e8a16")}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := gc.Issues.Edit(ctx, "acme", "ops", issue, &github.IssueRequest{Labels: &[]string{"postmortem", "reviewed"}}); err != nil {
		t.Fatal(err)
	}
	if n, err := h.app.PollReviews(ctx); err != nil || n != 1 || h.lastIssueGet(issue) != 200 {
		t.Fatalf("poll after the label: %d %v, GET %d", n, err, h.lastIssueGet(issue))
	}
	got := h.incident(1)
	if got.ReviewedAt.IsZero() || got.ReviewedHow != "labelled" {
		t.Fatalf("review not recorded: %+v", got)
	}
	h.clock.Advance(7 * 24 * time.Hour)
	if n := h.tick(); n != 0 {
		t.Fatalf("%d reminders after the review", n)
	}
	before := len(h.gh.Requests())
	if _, err := h.app.PollReviews(ctx); err != nil || len(h.gh.Requests()) != before {
		t.Fatalf("a reviewed postmortem is polled again: %v", err)
	}
}
