package postmortem

import (
	"flag"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/firebreak-hq/firebreak/incident"
	goldenfile "github.com/firebreak-hq/firebreak/internal/golden"
)

var update = flag.Bool("update", false, "rewrite golden files")

func golden(t *testing.T, name, got string) {
	t.Helper()
	goldenfile.Check(t, filepath.Join("testdata", name), []byte(got), *update)
}

func TestRenderGoldenRichIncident(t *testing.T) {
	inc, events := richIncident(t)
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Skipf("no tzdata: %v", err)
	}
	cases := []struct {
		name string
		loc  *time.Location
		file string
	}{
		{"utc", time.UTC, "postmortem_rich_utc.md"},
		{"paris", paris, "postmortem_rich_paris.md"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			doc, err := Preview(inc, events, people, tc.loc)
			if err != nil {
				t.Fatal(err)
			}
			golden(t, tc.file, doc)
		})
	}
}

func TestRenderRichIncidentContent(t *testing.T) {
	inc, events := richIncident(t)
	d, err := Render(inc, events, people, time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	if want := "Postmortem: INC-7 Checkout | errors after @\u200bBob's deploy"; d.Title != want {
		t.Errorf("title = %q, want %q", d.Title, want)
	}
	if d.Key != "firebreak:INC-7" {
		t.Errorf("key = %q", d.Key)
	}
	if !strings.HasPrefix(d.Body, Marker(7)+"\n") {
		t.Errorf("body does not start with the marker: %.80q", d.Body)
	}
	if len(d.Comments) != 0 {
		t.Errorf("a short timeline continued in %d comments", len(d.Comments))
	}
	cases := []struct {
		name, want string
	}{
		{"title in summary", "**INC-7** “Checkout \\| errors after @\u200bBob's deploy” was declared by Alice Liddell on 2026-03-04 09:00:00 as sev3 and reached sev1."},
		{"durations", "It was mitigated after 35m 30s, resolved after 40m 30s, closed after 1h 1m. It was reopened once after being resolved."},
		{"time to mitigate", "| Time to mitigate | 35m 30s |"},
		{"time to resolve", "| Time to resolve | 40m 30s |"},
		{"first mitigation kept", "| First mitigated | 2026-03-04 09:12:30 |"},
		{"false resolution", "Resolved at 2026-03-04 09:18:30 by Bob; reopened 12m later by Bob: “errors came back when traffic rose”"},
		{"forced close", "Reason given: support confirmation will come tomorrow"},
		{"severity at declaration", "- sev3 at declaration, 09:00:00 by Alice Liddell"},
		{"severity change", "- sev3 → sev1 at 09:03:00 by Bob"},
		{"lead", "| Lead | Bob |"},
		{"role, name escaped", "| comms | Carol \\*Ops\\* |"},
		{"skip with reason", "| Write down what changed and when | skipped | Bob | 09:13:30 | Reason: Dan should have written it down; no time. |"},
		{"approval", "approval requested by Dan at 09:15:30 to run “kubectl rollout undo deploy/pay” on “prod-eu”; approved by Bob at 09:16:30"},
		{"open step", "| Confirm with affected users or support | not done | — | — |"},
		{"follow-up task", "- [ ] Alert on pool saturation above 80% (#1, Dan, 09:37:30)"},
		{"follow-up escaped", "- [ ] Add a canary stage to the payments deploy \\| \\[x\\] done? (#2, Carol \\*Ops\\*, 09:38:30)"},
		{"timeline row", "| 09:05:00 | Carol \\*Ops\\* | Note: @\u200bBob broke prod with the 9:00 deploy. Human error, again. |"},
		{"markdown escaped", "Note: Error rate is 31% on \\`/pay\\` \\| see dashboard (https://grafana.example/d/1) \\*now\\* \\<script\\> @\u200boctocat fixes #\u200b12 |"},
		{"impact cannot make headings", "> \\# not a heading\n> \\- not a list\n> @\u200bhere @\u200bchannel"},
		{"pinned", "| 09:36:30 | Carol \\*Ops\\* | Pinned a message by Dan: connection pool exhausted at 200 |"},
		{"blameless prompt", "_Describe a chain of events, not a person."},
		{"finding listed", "- **a person as the cause** in note by Carol \\*Ops\\* at 09:05: “@\u200bBob broke prod with the 9:00 deploy.”"},
		{"findings are suggestions", "Nothing they wrote has been changed"},
		{"joined count", "1 person joined the incident channel."},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if !strings.Contains(d.Body, tc.want) {
				t.Errorf("body lacks %q", tc.want)
			}
		})
	}
	for _, bad := range []string{"<@U", "<!channel>", "<script>", "@here", "@octocat", " #12"} {
		if strings.Contains(d.Body, bad) || strings.Contains(d.Title, bad) {
			t.Errorf("draft leaks %q", bad)
		}
	}
	wantPatterns := map[string]bool{PatternPerson: false, PatternHumanError: false, PatternShouldHave: false}
	for _, f := range d.Findings {
		if _, ok := wantPatterns[f.Pattern]; ok {
			wantPatterns[f.Pattern] = true
		}
		if strings.Contains(f.Quote, "<@") {
			t.Errorf("finding quote leaks a Slack mention: %q", f.Quote)
		}
		if f.Source == "" || f.Suggestion == "" {
			t.Errorf("incomplete finding %+v", f)
		}
	}
	for p, found := range wantPatterns {
		if !found {
			t.Errorf("no %q finding among %+v", p, d.Findings)
		}
	}
	// What people wrote is quoted, never rewritten.
	if !strings.Contains(d.Body, "Human error, again.") {
		t.Error("the note's wording was changed")
	}
}

// TestRenderSizeProperty: whatever the incident's size and content, the
// body and every comment stay within GitHub's limit, every event is either
// in the table or counted, and the body says when the timeline continues.
func TestRenderSizeProperty(t *testing.T) {
	cases := []struct {
		name   string
		events int
		long   bool
	}{
		{"tiny", 3, false},
		{"hundred", 100, false},
		{"thousand long texts", 1000, true},
		{"ten thousand", 10000, false},
		{"five thousand long texts", 5000, true},
		{"fifty thousand", 50000, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if testing.Short() && tc.events > 10000 {
				t.Skip("large incident")
			}
			inc, events := bigIncident(t, tc.events, tc.long)
			d, err := Render(inc, events, people, time.UTC)
			if err != nil {
				t.Fatal(err)
			}
			if n := utf8.RuneCountInString(d.Body); n > MaxBody {
				t.Fatalf("body is %d characters", n)
			}
			if n := utf8.RuneCountInString(d.Title); n > MaxTitle {
				t.Fatalf("title is %d characters", n)
			}
			if len(d.Comments) > maxComments {
				t.Fatalf("%d comments", len(d.Comments))
			}
			for i, c := range d.Comments {
				if n := utf8.RuneCountInString(c); n > MaxBody {
					t.Fatalf("comment %d is %d characters", i+1, n)
				}
				if !strings.HasPrefix(c, commentMarker(inc.Number, i+1)+"\n") {
					t.Fatalf("comment %d lacks its marker", i+1)
				}
			}
			if len(d.Comments) > 0 && !strings.Contains(d.Body, "continue in "+itoa(len(d.Comments))+" comments") {
				t.Error("the body does not say that the timeline continues")
			}
			all := d.Body + strings.Join(d.Comments, "")
			rows := strings.Count(all, "\n| ") - strings.Count(all, "\n| Time | Who | What |") - strings.Count(all, "\n| Moment |") - strings.Count(all, "\n| Role |") - strings.Count(all, "\n| Step |")
			counted := rows + summarised(all)
			if counted < len(events) {
				t.Errorf("%d events, but only %d rows and counts in the draft", len(events), counted)
			}
			if !strings.Contains(all, "verified by hand") {
				t.Error("the closing event is missing")
			}
		})
	}
}

var countedRe = regexp.MustCompile(`(?:… |leaves out )([0-9,]+) (?:events are not shown|channel joins)`)

// summarised adds up the events the draft says it left out of the table.
func summarised(s string) int {
	n := 0
	for _, m := range countedRe.FindAllStringSubmatch(s, -1) {
		v := 0
		for _, r := range m[1] {
			if r != ',' {
				v = v*10 + int(r-'0')
			}
		}
		n += v
	}
	return n
}

func itoa(n int) string { return thousands(n) }

func TestRenderEdgeCases(t *testing.T) {
	cases := []struct {
		name  string
		inc   incident.Incident
		check func(t *testing.T, d Draft, err error)
	}{
		{"no number", incident.Incident{Title: "x"}, func(t *testing.T, d Draft, err error) {
			if err == nil {
				t.Error("want an error for an incident without a number")
			}
		}},
		{"open incident, no events", incident.Incident{Number: 3, Title: "Slow", Severity: incident.Sev4, Status: incident.StatusActive, Declarer: "UX", DeclaredAt: t0}, func(t *testing.T, d Draft, err error) {
			if err != nil {
				t.Fatal(err)
			}
			for _, want := range []string{"| Mitigated | — |", "| Time to resolve | — |", "It is active.", "_No impact was recorded.", "_No follow-ups were recorded.", "No blame patterns were found", "| Lead | _no lead was assigned_ |", "UX"} {
				if !strings.Contains(d.Body, want) {
					t.Errorf("body lacks %q", want)
				}
			}
		}},
		{"huge title", incident.Incident{Number: 4, Title: strings.Repeat("long ", 2000), Severity: incident.Sev2, DeclaredAt: t0}, func(t *testing.T, d Draft, err error) {
			if err != nil {
				t.Fatal(err)
			}
			if n := utf8.RuneCountInString(d.Title); n > MaxTitle || !strings.HasSuffix(d.Title, "…") {
				t.Errorf("title of %d characters: %q", n, d.Title)
			}
		}},
		{"marker cannot be forged", incident.Incident{Number: 5, Title: "<!-- firebreak-postmortem: INC-9 -->", Impact: "<!-- firebreak-postmortem: INC-9 -->", DeclaredAt: t0}, func(t *testing.T, d Draft, err error) {
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(d.Body, Marker(9)) {
				t.Error("user text produced another incident's marker")
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d, err := Render(tc.inc, nil, people, nil)
			tc.check(t, d, err)
		})
	}
}

func TestDuration(t *testing.T) {
	cases := []struct {
		name string
		d    time.Duration
		want string
	}{
		{"zero", 0, "0s"},
		{"negative", -time.Minute, "0s"},
		{"seconds", 42 * time.Second, "42s"},
		{"minutes and seconds", 5*time.Minute + 3*time.Second, "5m 3s"},
		{"hours drop seconds", time.Hour + 5*time.Minute + 9*time.Second, "1h 5m"},
		{"days drop minutes", 50*time.Hour + 7*time.Minute, "2d 2h"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := duration(tc.d); got != tc.want {
				t.Errorf("duration(%v) = %q, want %q", tc.d, got, tc.want)
			}
		})
	}
}

func BenchmarkRender10kEvents(b *testing.B) {
	inc, events := bigIncident(b, 10000, false)
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		if _, err := Render(inc, events, people, time.UTC); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(time.Since(start).Microseconds())/1000/float64(b.N), "ms/op")
}
