package bot

import (
	"strings"
	"testing"
	"time"

	"github.com/firebreak-hq/firebreak/incident"
	"github.com/firebreak-hq/firebreak/templates"
)

// TestKeyTimeAt reads typed times in the configured zone.
func TestKeyTimeAt(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Skip("no tzdata:", err)
	}
	now := time.Date(2026, 12, 3, 9, 30, 0, 0, time.UTC) // 10:30 in Berlin
	for _, c := range []struct {
		name, in string
		want     time.Time
	}{
		{"full date", "2026-12-02 23:15", time.Date(2026, 12, 2, 22, 15, 0, 0, time.UTC)},
		{"today", "10:05", time.Date(2026, 12, 3, 9, 5, 0, 0, time.UTC)},
		{"later than now is yesterday", "11:00", time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)},
		{"extra spaces", " 2026-12-01   08:00 ", time.Date(2026, 12, 1, 7, 0, 0, 0, time.UTC)},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := KeyTimeAt(c.in, now, berlin)
			if err != nil || !got.Equal(c.want) {
				t.Fatalf("KeyTimeAt(%q) = %v, %v; want %v", c.in, got, err, c.want)
			}
		})
	}
}

// TestTimesTexts renders every answer to /incident times, refusals and
// the acknowledgement, against testdata/times.golden.
func TestTimesTexts(t *testing.T) {
	now := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	var b strings.Builder
	line := func(name, text string) { b.WriteString("## " + name + "\n" + text + "\n\n") }
	for _, in := range []string{"times", "times when 10:00", "times started", "times started <yesterday> & soon"} {
		p, err := ParseSlash(in)
		if err == nil {
			p.Text = strings.TrimSpace(p.Text)
			_, err = KeyTimeAt(p.Text, now, time.UTC)
		}
		if err == nil {
			t.Fatalf("%q: no refusal", in)
		}
		line("typed "+in, userText(err))
	}
	res, err := incident.Declare(7, incident.Declaration{Title: "Checkout errors", Severity: incident.Sev2, Playbook: incident.DefaultPlaybook(), Declarer: "UALICE"}, now.Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	inc := res.Incident
	apply := func(name string, which string, at time.Time) {
		t.Helper()
		r, err := incident.Apply(inc, incident.Command{Kind: incident.CmdTimes, Actor: "UALICE", Role: which, At: at}, now)
		if err != nil {
			line(name, userText(err))
			return
		}
		inc = r.Incident
		line(name, templates.ReplyText(r.Reply))
	}
	apply("future", "started", now.Add(time.Minute))
	apply("not mitigated yet", "mitigated", now.Add(-time.Minute))
	apply("started corrected", "started", now.Add(-90*time.Minute))
	apply("same again", "started", now.Add(-90*time.Minute))
	apply("detected before started", "detected", now.Add(-2*time.Hour))
	apply("detected corrected", "detected", now.Add(-80*time.Minute))
	r, err := incident.Apply(inc, incident.Command{Kind: incident.CmdMitigated, Actor: "UALICE"}, now)
	if err != nil {
		t.Fatal(err)
	}
	inc = r.Incident
	apply("mitigated before started", "mitigated", now.Add(-100*time.Minute))
	apply("mitigated corrected", "mitigated", now.Add(-30*time.Minute))
	r, err = incident.Apply(inc, incident.Command{Kind: incident.CmdResolve, Actor: "UALICE"}, now)
	if err != nil {
		t.Fatal(err)
	}
	inc = r.Incident
	apply("resolved before mitigated", "resolved", now.Add(-40*time.Minute))
	apply("resolved corrected", "resolved", now.Add(-20*time.Minute))
	golden(t, "times.golden", b.String())
}
