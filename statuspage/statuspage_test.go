package statuspage_test

import (
	"bytes"
	"flag"
	"io"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/firebreak-hq/firebreak/incident"
	goldenfile "github.com/firebreak-hq/firebreak/internal/golden"
	"github.com/firebreak-hq/firebreak/statuspage"
	"github.com/firebreak-hq/firebreak/store"
)

var update = flag.Bool("update", false, "rewrite testdata golden files")

var now = time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)

type db struct {
	*store.DB
	t testing.TB
}

func open(t testing.TB) db {
	d, err := store.Open(filepath.Join(t.TempDir(), "s.db"), store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.Close() })
	return db{d, t}
}

func (d db) declare(title string, sev incident.Severity, at time.Time) uint64 {
	res, err := d.Create(func(n uint64) (incident.Result, error) {
		return incident.Declare(n, incident.Declaration{Title: title, Severity: sev, Playbook: incident.DefaultPlaybook(), Declarer: "UALICE"}, at)
	})
	if err != nil {
		d.t.Fatal(err)
	}
	return res.Incident.Number
}

func (d db) do(n uint64, at time.Time, cmd incident.Command) {
	cmd.Actor = "UALICE"
	if _, err := d.Apply(n, func(inc incident.Incident) (incident.Result, error) { return incident.Apply(inc, cmd, at) }); err != nil {
		d.t.Fatalf("%s: %v", cmd.Kind, err)
	}
}

func scenario(t testing.TB) db {
	d := open(t)
	day := 24 * time.Hour
	old := d.declare("Search was slow", incident.Sev3, now.Add(-12*day))
	d.do(old, now.Add(-12*day+time.Hour), incident.Command{Kind: incident.CmdUpdate, Text: "Search is fast again."})
	d.do(old, now.Add(-10*day), incident.Command{Kind: incident.CmdResolve})

	done := d.declare("Logins failed for some users", incident.Sev2, now.Add(-3*day))
	d.do(done, now.Add(-3*day+10*time.Minute), incident.Command{Kind: incident.CmdUpdate, Text: "We are looking into failed logins."})
	d.do(done, now.Add(-3*day+time.Hour), incident.Command{Kind: incident.CmdUpdate, Text: "Logins work again; we are watching."})
	d.do(done, now.Add(-3*day+2*time.Hour), incident.Command{Kind: incident.CmdClose, Force: true, Text: "verified"})

	mistake := d.declare("Test, please ignore", incident.Sev4, now.Add(-time.Hour))
	d.do(mistake, now.Add(-time.Hour+time.Minute), incident.Command{Kind: incident.CmdCancel, Text: "declared by mistake"})

	open := d.declare("Checkout <errors> & timeouts", incident.Sev1, now.Add(-40*time.Minute))
	d.do(open, now.Add(-30*time.Minute), incident.Command{Kind: incident.CmdUpdate, Text: "Payments fail for about 20% of checkouts."})
	d.do(open, now.Add(-10*time.Minute), incident.Command{Kind: incident.CmdUpdate, Text: "A rollback is under way."})

	quiet := d.declare("Emails delayed", incident.Sev3, now.Add(-20*time.Minute))
	d.do(quiet, now.Add(-15*time.Minute), incident.Command{Kind: incident.CmdMitigated})
	return d
}

// golden checks what write renders against testdata/name.
func golden(t *testing.T, name string, write func(w io.Writer) error) {
	t.Helper()
	var b bytes.Buffer
	if err := write(&b); err != nil {
		t.Fatal(err)
	}
	goldenfile.Check(t, filepath.Join("testdata", name), b.Bytes(), *update)
}

// The page lists the open incidents worst first with their latest status
// updates, and those resolved in the last 7 days; not the ones resolved
// earlier, nor the ones cancelled as declared by mistake.
func TestStatusPage(t *testing.T) {
	p, err := statuspage.Build(scenario(t), now)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "status.json.golden", func(w io.Writer) error { return statuspage.WriteJSON(w, p) })
	golden(t, "status.html.golden", func(w io.Writer) error { return statuspage.WriteHTML(w, p, time.UTC) })
	golden(t, "status.atom.golden", func(w io.Writer) error { return statuspage.WriteAtom(w, p, "http://127.0.0.1:9090/") })
}

func TestStatusPageEmpty(t *testing.T) {
	p, err := statuspage.Build(open(t), now)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "empty.html.golden", func(w io.Writer) error { return statuspage.WriteHTML(w, p, time.UTC) })
}

// BenchmarkStatus50 builds and renders /status with 50 open incidents of
// 5 status updates and 40 other events each.
func BenchmarkStatus50(b *testing.B) {
	d := open(b)
	for i := 0; i < 50; i++ {
		at := now.Add(-time.Duration(50-i) * time.Hour)
		n := d.declare("Incident", incident.Severities[i%4], at)
		for k := 0; k < 40; k++ {
			d.do(n, at.Add(time.Duration(k)*time.Second), incident.Command{Kind: incident.CmdNote, Text: "note"})
		}
		for k := 0; k < 5; k++ {
			d.do(n, at.Add(time.Minute+time.Duration(k)*time.Minute), incident.Command{Kind: incident.CmdUpdate, Text: "update"})
		}
	}
	var took []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		p, err := statuspage.Build(d, now)
		if err != nil {
			b.Fatal(err)
		}
		if len(p.Open) != 50 {
			b.Fatalf("%d open", len(p.Open))
		}
		var h bytes.Buffer
		if err := statuspage.WriteHTML(&h, p, time.UTC); err != nil {
			b.Fatal(err)
		}
		took = append(took, time.Since(start))
	}
	slices.Sort(took)
	b.ReportMetric(float64(took[len(took)*99/100].Microseconds())/1000, "p99-ms")
}
