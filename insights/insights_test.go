package insights_test

import (
	"bytes"
	"flag"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/firebreak-hq/firebreak/incident"
	"github.com/firebreak-hq/firebreak/insights"
	goldenfile "github.com/firebreak-hq/firebreak/internal/golden"
)

var update = flag.Bool("update", false, "rewrite testdata golden files")

// now is a Thursday; the window of 4 weeks starts on a Thursday too.
var now = time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)

func history(t *testing.T) *insights.Report {
	d := openDB(t)
	day := 24 * time.Hour
	for _, s := range []story{
		// Older than the window: not counted.
		{sev: incident.Sev1, declared: now.Add(-60 * day), mitigate: 10 * time.Minute, resolve: time.Hour, close: true},
		{sev: incident.Sev1, declared: now.Add(-20 * day), mitigate: 12 * time.Minute, resolve: 90 * time.Minute, close: true,
			skip: []string{"guard"}, followups: 2, started: 30 * time.Minute},
		{sev: incident.Sev2, declared: now.Add(-20*day + 3*time.Hour), mitigate: 40 * time.Minute, resolve: 3 * time.Hour, close: true,
			skip: []string{"guard", "hypothesis"}, followups: 1, playbook: "database"},
		{sev: incident.Sev3, declared: now.Add(-9 * day), mitigate: 5 * time.Minute, resolve: 25 * time.Minute, close: true, skip: []string{"guard"}},
		// Declared by mistake: left out.
		{sev: incident.Sev2, declared: now.Add(-8 * day), cancel: true},
		// Still open, mitigated only.
		{sev: incident.Sev2, declared: now.Add(-2 * day), mitigate: 20 * time.Minute, playbook: "database", followups: 1},
	} {
		play(t, d, s)
	}
	r, err := insights.Collect(d, insights.Options{Since: 28 * day, Now: now, Location: time.UTC})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	goldenfile.Check(t, filepath.Join("testdata", name), got, *update)
}

func TestReportCSV(t *testing.T) {
	r := history(t)
	var b bytes.Buffer
	if err := insights.WriteCSV(&b, r); err != nil {
		t.Fatal(err)
	}
	golden(t, "report.csv.golden", b.Bytes())
}

func TestReportAggregates(t *testing.T) {
	r := history(t)
	if len(r.Rows) != 4 {
		t.Fatalf("rows = %d, want the 4 real incidents of the window", len(r.Rows))
	}
	if r.FollowupsOpen != 4 || r.FollowupsDone != 0 {
		t.Errorf("follow-ups open/done = %d/%d, want 4/0", r.FollowupsOpen, r.FollowupsDone)
	}
	if len(r.Skips) == 0 || r.Skips[0].Step != "Add a guard so it cannot recur unnoticed" || r.Skips[0].Count != 2 {
		t.Errorf("most skipped = %+v, want the guard step of general twice", r.Skips)
	}
	// The corrected start moves the sev1's time to mitigate from 12 to 42 minutes.
	if got := r.MitigateBySev["sev1"]; len(got) != 1 || got[0] != 42 {
		t.Errorf("sev1 minutes to mitigate = %v, want [42]", got)
	}
	var weeks []string
	for _, w := range r.Weeks {
		weeks = append(weeks, w.Start.Format("01-02"))
	}
	if strings.Join(weeks, " ") != "11-02 11-09 11-16 11-23 11-30" {
		t.Errorf("weeks = %v", weeks)
	}
}

// The page must read offline: no script, no external resource. The only
// URLs allowed are the SVG namespace names, which are never fetched.
func TestReportHTMLSelfContained(t *testing.T) {
	r := history(t)
	html := string(renderHTML(t, r))
	for _, u := range regexp.MustCompile(`(?i)(https?:)?//[a-z0-9.-]+[^\s"'<>)]*`).FindAllString(html, -1) {
		switch u {
		case "http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink":
		default:
			t.Errorf("external URL in the report: %s", u)
		}
	}
	for _, bad := range []string{"<script", "<link", "@import", "src="} {
		if strings.Contains(html, bad) {
			t.Errorf("report contains %q", bad)
		}
	}
	svgs := regexp.MustCompile(`<svg[^>]*width="[0-9.]+pt"[^>]*height="[0-9.]+pt"`).FindAllString(html, -1)
	if len(svgs) != 7 {
		t.Errorf("%d sized <svg> charts, want 7 (weekly, 4 distributions, skips, follow-ups)", len(svgs))
	}
	for _, id := range []string{"incidents-per-week", "mitigate-by-severity", "resolve-by-severity", "mitigate-by-playbook", "resolve-by-playbook", "skipped-steps", "followups"} {
		if !strings.Contains(html, `<figure id="`+id+`">`) {
			t.Errorf("no chart %s", id)
		}
	}
}

func TestEmptyReportSaysSo(t *testing.T) {
	d := openDB(t)
	r, err := insights.Collect(d, insights.Options{Since: 7 * 24 * time.Hour, Now: now, Location: time.UTC})
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "empty.html.golden", renderHTML(t, r))
}

// renderHTML is the report page of r, times in UTC.
func renderHTML(t *testing.T, r *insights.Report) []byte {
	t.Helper()
	p, err := insights.NewPage(r, time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := insights.WriteHTML(&b, p); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestParseWindow(t *testing.T) {
	for _, c := range []struct {
		in   string
		want time.Duration
		err  string
	}{
		{"90d", 90 * 24 * time.Hour, ""},
		{"12w", 12 * 7 * 24 * time.Hour, ""},
		{"48h", 48 * time.Hour, ""},
		{"all", 0, ""},
		{"90", 0, `a window is written like 90d, 12w or 48h, or all; not "90"`},
		{"-3d", 0, `a window is written like 90d, 12w or 48h, or all; not "-3d"`},
		{"3m", 0, `a window is written like 90d, 12w or 48h, or all; not "3m"`},
	} {
		t.Run(c.in, func(t *testing.T) {
			got, err := insights.ParseWindow(c.in)
			if c.err != "" {
				if err == nil || err.Error() != c.err {
					t.Fatalf("err = %v, want %s", err, c.err)
				}
				return
			}
			if err != nil || got != c.want {
				t.Fatalf("= %v, %v", got, err)
			}
		})
	}
}
