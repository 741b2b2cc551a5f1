package app_test

import (
	"encoding/csv"
	"encoding/json"
	"net/http"
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
)

// TestTimesCorrectionInPostmortemAndInsights: a key time corrected in
// Slack is on the timeline with who, when and the old and new value; the
// postmortem filed on GitHub measures from the corrected start; the
// status page and the insights served over HTTP use it too.
func TestTimesCorrectionInPostmortemAndInsights(t *testing.T) {
	h := startHarness(t)
	// Known problem: the status-update messages of the update given while
	// the incident is active show the status it has when they are sent
	// ("mitigated" in one run, "resolved" in another).
	h.lenient("status update messages show the status at sending time, not at the update")
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
