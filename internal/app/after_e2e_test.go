package app_test

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/firebreak-hq/firebreak/incident"
	"github.com/firebreak-hq/firebreak/internal/app"
	"github.com/firebreak-hq/firebreak/internal/githubfake"
	"github.com/firebreak-hq/firebreak/internal/slackfake"
	"github.com/google/go-github/v60/github"
)

// TestTimesCorrectionInPostmortemAndInsights: a key time corrected in
// Slack is on the timeline with who, when and the old and new value; the
// postmortem filed on GitHub measures from the corrected start; the
// status page and the insights served over HTTP use it too.
func TestTimesCorrectionInPostmortemAndInsights(t *testing.T) {
	h := startHarness(t)
	base := "http://" + h.app.HTTPAddr()
	inc := h.declare(1, alice, slackfake.GeneralChannelID, "new sev2 Checkout errors")
	h.slash(alice, inc.Channel, "update Payments fail for a fifth of checkouts.")

	started := inc.DeclaredAt.Add(-45 * time.Minute).Truncate(time.Minute)
	typed := started.UTC().Format("2006-01-02 15:04")
	if r := h.slash(alice, inc.Channel, "times started "+typed); !strings.Contains(r, "The started time of INC-1 is now "+typed+" UTC") {
		t.Fatalf("times reply %q", r)
	}
	if r := h.slash(alice, inc.Channel, "times started tomorrow"); !strings.HasPrefix(r, "Write the time as `HH:MM`") {
		t.Fatalf("bad time reply %q", r)
	}
	var corr *incident.Event
	for _, e := range h.events(1) {
		if e.Kind == incident.EvTimeCorrected {
			corr = &e
		}
	}
	if corr == nil || corr.Actor != alice || corr.Fields["which"] != "started" || corr.Fields["from"] != "" ||
		corr.Fields["to"] != started.UTC().Format(time.RFC3339Nano) || corr.At.IsZero() {
		t.Fatalf("correction on the timeline: %+v", corr)
	}

	h.clock.Advance(20 * time.Minute)
	h.slash(alice, inc.Channel, "mitigated")
	h.clock.Advance(40 * time.Minute)
	h.slashAll(alice, inc.Channel, "resolve", "close --force verified by hand")
	h.eventually("postmortem filed", func() bool { return h.incident(1).PostmortemURL != "" })
	issues := h.gh.Issues("acme", "ops")
	if len(issues) != 1 {
		t.Fatalf("%d postmortem issues", len(issues))
	}
	body := issues[0].Body
	// Declared 45 minutes after the impact began, mitigated 20 minutes later.
	for _, want := range []string{
		"| Impact started | " + started.UTC().Format("2006-01-02 15:04"),
		"| Time to mitigate | 1h 5m |",
		"Corrected the started time to " + started.UTC().Format("2006-01-02 15:04"),
	} {
		if !strings.Contains(body, want) {
			t.Errorf("postmortem lacks %q:\n%s", want, body)
		}
	}

	// The status page shows it among the recently resolved, with its update.
	code, js := get(t, base+"/status.json")
	var page struct {
		Resolved []struct {
			ID      string    `json:"id"`
			Started time.Time `json:"started_at"`
			Updates []struct {
				Text string `json:"text"`
			} `json:"updates"`
		} `json:"resolved"`
	}
	if err := json.Unmarshal([]byte(js), &page); code != 200 || err != nil {
		t.Fatalf("/status.json: %d %v %s", code, err, js)
	}
	if len(page.Resolved) != 1 || page.Resolved[0].ID != "INC-1" || !page.Resolved[0].Started.Equal(started) ||
		len(page.Resolved[0].Updates) != 1 || page.Resolved[0].Updates[0].Text != "Payments fail for a fifth of checkouts." {
		t.Fatalf("/status.json: %s", js)
	}

	row := insightsRow(t, base)
	if row["minutes_to_mitigate"] != "65.0" || row["times_corrected"] != "started" || row["time_corrections"] != "1" {
		t.Fatalf("/insights.csv row: %v", row)
	}
	code, html := get(t, base+"/insights")
	if code != 200 || len(regexp.MustCompile(`<svg `).FindAllString(html, -1)) < 5 {
		t.Fatalf("/insights: %d, %d charts", code, strings.Count(html, "<svg "))
	}
}

// insightsRow reads /insights.csv, which must hold one incident, as
// column → value.
func insightsRow(t *testing.T, base string) map[string]string {
	t.Helper()
	code, csvText := get(t, base+"/insights.csv")
	rows, err := csv.NewReader(strings.NewReader(csvText)).ReadAll()
	if code != 200 || err != nil || len(rows) != 2 {
		t.Fatalf("/insights.csv: %d %v %q", code, err, csvText)
	}
	row := map[string]string{}
	for i, k := range rows[0] {
		row[k] = rows[1][i]
	}
	return row
}

// TestPagesNeedTheToken: with FIREBREAK_HTTP_TOKEN set, the insights and
// the status page need it like /metrics.
func TestPagesNeedTheToken(t *testing.T) {
	const token = "0123456789abcdef0123456789abcdef"
	h := startHarness(t, withConfig(func(c *app.Config) { c.HTTPToken = token }))
	base := "http://" + h.app.HTTPAddr()
	for _, p := range []string{"/insights", "/insights.csv", "/status", "/status.json", "/status.atom"} {
		if code, _, _ := getWith(t, base+p, nil); code != http.StatusUnauthorized {
			t.Errorf("%s without the token: %d", p, code)
		}
		if code, _, _ := getWith(t, base+p, map[string]string{"Authorization": "Bearer " + token}); code != 200 {
			t.Errorf("%s with the token: %d", p, code)
		}
	}
	if code, _, body := getWith(t, base+"/insights?since=forever", map[string]string{"Authorization": "Bearer " + token}); code != 400 ||
		body != "a window is written like 90d, 12w or 48h, or all; not \"forever\"\n" {
		t.Errorf("bad window: %d %q", code, body)
	}
}

// TestFollowupsFiledOnceAcrossFault: on close, every follow-up becomes a
// GitHub issue labelled follow-up that links the postmortem, and the
// postmortem links them; GitHub answering 502 after storing the
// postmortem and the first follow-up files neither twice.
func TestFollowupsFiledOnceAcrossFault(t *testing.T) {
	h, inc := startDeclared(t, "new sev2 Checkout errors")
	h.slashAll(alice, inc.Channel, "followup Add a canary stage to the deploy", "followup Alert on the checkout error rate @oncall #12")
	if err := h.gh.Inject(githubfake.Fault{Kind: githubfake.FaultServerError, Status: 502, AfterWrite: true,
		Method: "POST", Path: "/repos/acme/ops/issues", Times: 2}); err != nil {
		t.Fatal(err)
	}
	h.slash(alice, inc.Channel, "close --force drill over")
	h.eventually("postmortem filed", func() bool { return h.incident(1).PostmortemURL != "" })
	if left := h.gh.PendingFaults(); len(left) != 0 {
		t.Fatalf("the faults were not all hit: %+v", left)
	}
	var pm githubfake.Issue
	var fus []githubfake.Issue
	for _, is := range h.gh.Issues("acme", "ops") {
		if slices.Contains(is.Labels, "follow-up") {
			fus = append(fus, is)
		} else {
			pm = is
		}
	}
	if pm.Number == 0 || len(fus) != 2 {
		t.Fatalf("want one postmortem and two follow-up issues, got %+v", h.gh.Issues("acme", "ops"))
	}
	slices.SortFunc(fus, func(a, b githubfake.Issue) int { return a.Number - b.Number })
	wantBodies := []string{
		"<!-- firebreak-follow-up: INC-1 #1 -->\nAdd a canary stage to the deploy\n\nFollow-up 1 of INC-1, from its postmortem #" + strconv.Itoa(pm.Number) + ".",
		"<!-- firebreak-follow-up: INC-1 #2 -->\nAlert on the checkout error rate @\u200boncall #\u200b12\n\nFollow-up 2 of INC-1, from its postmortem #" + strconv.Itoa(pm.Number) + ".",
	}
	for i, fu := range fus {
		if fu.Body != wantBodies[i] || !slices.Contains(fu.Labels, "firebreak:INC-1") {
			t.Errorf("follow-up issue %d:\n%q %v\nwant\n%q", i+1, fu.Body, fu.Labels, wantBodies[i])
		}
	}
	var links []string
	for _, c := range h.gh.Comments("acme", "ops", pm.Number) {
		if strings.HasPrefix(c.Body, "<!-- firebreak-postmortem: INC-1 follow-ups -->") {
			links = append(links, c.Body)
		}
	}
	want := "<!-- firebreak-postmortem: INC-1 follow-ups -->\nFollow-ups filed as issues:\n" +
		"- #" + strconv.Itoa(fus[0].Number) + " Add a canary stage to the deploy\n" +
		"- #" + strconv.Itoa(fus[1].Number) + " Alert on the checkout error rate @\u200boncall #\u200b12\n"
	if len(links) != 1 || links[0] != want {
		t.Fatalf("postmortem links to the follow-ups: %q\nwant %q", links, want)
	}
}

// lastListGet is the status of the latest GET of the issue list.
func (h *harness) lastListGet() int {
	status := 0
	for _, r := range h.gh.Requests() {
		if r.Method == http.MethodGet && r.Path == "/repos/acme/ops/issues" {
			status = r.Status
		}
	}
	return status
}

// TestFollowupsDoneTracked: once follow-up issues are filed, closing one
// on GitHub marks that follow-up done: the poll is one conditional
// request (304 while nothing changed, the ETag kept across a restart),
// the timeline says so, the insights count one done and one open, and a
// month later the daily digest counts the open one as overdue.
func TestFollowupsDoneTracked(t *testing.T) {
	h := startHarness(t, withConfig(func(c *app.Config) { c.DigestCron = "0 9 * * 1-5" }))
	ctx := t.Context()
	inc := h.declare(1, alice, slackfake.GeneralChannelID, "new sev2 Checkout errors")
	h.slashAll(alice, inc.Channel, "followup Add a canary stage to the deploy", "followup Alert on the checkout error rate", "close --force drill over")
	h.eventually("postmortem filed", func() bool { return h.incident(1).PostmortemURL != "" })
	var fus []githubfake.Issue
	for _, is := range h.gh.Issues("acme", "ops") {
		if slices.Contains(is.Labels, "follow-up") {
			fus = append(fus, is)
		}
	}
	if len(fus) != 2 {
		t.Fatalf("%d follow-up issues", len(fus))
	}
	url := func(is githubfake.Issue) string {
		return strings.TrimSuffix(h.gh.URL(), "/") + "/acme/ops/issues/" + strconv.Itoa(is.Number)
	}

	// The first poll learns the issues; the next is answered 304.
	if n, err := h.app.PollFollowups(ctx); err != nil || n != 1 || h.lastListGet() != 200 {
		t.Fatalf("first poll: %d %v, GET %d", n, err, h.lastListGet())
	}
	if f := h.incident(1).Followups; f[0].IssueURL != url(fus[0]) || f[1].IssueURL != url(fus[1]) || f[0].Done() || f[1].Done() {
		t.Fatalf("follow-ups after the first poll: %+v", f)
	}
	if n, err := h.app.PollFollowups(ctx); err != nil || n != 0 || h.lastListGet() != http.StatusNotModified {
		t.Fatalf("second poll: %d %v, GET %d, want 304", n, err, h.lastListGet())
	}

	// Someone closes the first follow-up's issue on GitHub.
	h.clock.Advance(2 * time.Hour)
	h.gh.SetIssueState("acme", "ops", fus[0].Number, "closed")
	if n, err := h.app.PollFollowups(ctx); err != nil || n != 1 || h.lastListGet() != 200 {
		t.Fatalf("poll after the close: %d %v, GET %d", n, err, h.lastListGet())
	}
	got := h.incident(1)
	if !got.Followups[0].Done() || got.Followups[1].Done() {
		t.Fatalf("follow-ups after the close: %+v", got.Followups)
	}
	var done []incident.Event
	for _, e := range h.events(1) {
		if e.Kind == incident.EvFollowupDone {
			done = append(done, e)
		}
	}
	if len(done) != 1 || done[0].Fields["n"] != "1" || done[0].Fields["url"] != url(fus[0]) {
		t.Fatalf("follow-up done on the timeline: %+v", done)
	}

	// A restart keeps the ETag: the poll is still conditional.
	h.settle()
	h.restart()
	if n, err := h.app.PollFollowups(ctx); err != nil || n != 0 || h.lastListGet() != http.StatusNotModified {
		t.Fatalf("poll after restart: %d %v, GET %d, want 304", n, err, h.lastListGet())
	}

	base := "http://" + h.app.HTTPAddr()
	if row := insightsRow(t, base); row["followups"] != "2" || row["followups_done"] != "1" {
		t.Fatalf("/insights.csv row: %v", row)
	}
	if code, html := get(t, base+"/insights"); code != 200 || !strings.Contains(html, "Follow-ups: 1 done, 1 open") {
		t.Fatalf("/insights: %d, no follow-ups caption", code)
	}

	// A month after the close the open follow-up is overdue in the digest.
	h.clock.Advance(31 * 24 * time.Hour)
	now := h.clock.Now()
	if queued, err := h.app.Sched.TickDigest(now); err != nil || !queued {
		t.Fatalf("digest not queued at %v: %v", now, err)
	}
	want := ":newspaper: *Daily incident digest* for " + now.UTC().Format("2006-01-02") + "\n" +
		"No incidents open or closed in the last 24 hours.\n\n" +
		":hammer_and_wrench: *Follow-ups:* 1 open, 1 of them overdue (still open 30 days after their incident closed)"
	h.eventually("the digest", func() bool {
		for _, m := range h.slack.Messages(h.announce) {
			if strings.HasPrefix(m.Text, ":newspaper:") {
				if m.Text != want {
					t.Fatalf("digest:\n%s\nwant\n%s", m.Text, want)
				}
				return true
			}
		}
		return false
	})
}

// TestTimesRepliesInTheConfiguredZone: with FIREBREAK_TIMEZONE set, the
// key-time a person types is read in that zone and every reply and
// refusal of /incident times shows times in it, as the rest of the bot
// does.
func TestTimesRepliesInTheConfiguredZone(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	h, inc := startDeclared(t, "new sev2 Checkout errors", withConfig(func(c *app.Config) { c.Location = berlin }))
	declared := inc.DeclaredAt.In(berlin).Format("2006-01-02 15:04 MST")
	started := inc.DeclaredAt.In(berlin).Add(-30 * time.Minute).Truncate(time.Minute)
	typed := started.Format("2006-01-02 15:04")
	for _, c := range []struct{ typed, want string }{
		{"times started " + typed,
			"The started time of INC-1 is now " + typed + " CET; it was not set (the declaration, " + declared + ", stood for it). The correction is on the timeline."},
		{"times started " + started.Add(24*time.Hour).Format("2006-01-02 15:04"),
			started.Add(24*time.Hour).Format("2006-01-02 15:04") + " CET is in the future; a key time can only be corrected to a moment that has passed."},
		{"times started " + typed,
			"The started time of INC-1 is already " + typed + " CET."},
		{"times detected " + started.Add(-time.Minute).Format("15:04"),
			"The impact cannot be detected (" + started.Add(-time.Minute).Format("2006-01-02 15:04") + " CET) before it started (" + typed + " CET)."},
	} {
		if got := h.slash(alice, inc.Channel, c.typed); got != c.want {
			t.Errorf("/incident %s:\n%q\nwant\n%q", c.typed, got, c.want)
		}
	}
	if got := h.incident(1).StartedAt; !got.Equal(started) {
		t.Fatalf("started at %v, want %v", got, started)
	}
}

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

// TestPostmortemReviewOwner: after the close, the declarer makes someone
// else the owner of the postmortem review; who may choose, a missing
// mention and a repeat are refused with their reasons; the new owner
// passes it on; the channel is told each time; the timeline records who
// chose whom; and the day-before review reminder goes to the last owner
// alone.
func TestPostmortemReviewOwner(t *testing.T) {
	h, inc := startDeclared(t, "new sev1 Checkout errors")
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
