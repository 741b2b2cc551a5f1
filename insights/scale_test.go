package insights_test

import (
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/firebreak-hq/firebreak/incident"
	"github.com/firebreak-hq/firebreak/store"
)

// TestWriteScaleFixture writes the benchmark database of BENCHMARKS.md:
// 10,000 closed incidents with 100 timeline events each (1,000,000 in
// all) over the last 90 days. It runs only when asked:
//
//	FIREBREAK_REPORT_FIXTURE=/tmp/report.db go test ./insights -run TestWriteScaleFixture
func TestWriteScaleFixture(t *testing.T) {
	path := os.Getenv("FIREBREAK_REPORT_FIXTURE")
	if path == "" {
		t.Skip("set FIREBREAK_REPORT_FIXTURE to write the benchmark database")
	}
	const incidents, perIncident = 10000, 100
	// FIREBREAK_REPORT_FIXTURE_EVERY=1 gives every incident a key-time
	// correction, so the report streams all 1,000,000 events (the worst
	// case); by default one in ten has one.
	every := 10
	if os.Getenv("FIREBREAK_REPORT_FIXTURE_EVERY") == "1" {
		every = 1
	}
	d, err := store.Open(path, store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	end := time.Now().UTC().Truncate(time.Minute)
	span := 89 * 24 * time.Hour
	playbooks := []string{"general", "database", "network", "payments"}
	for i := 0; i < incidents; i++ {
		declared := end.Add(-span + time.Duration(i)*span/incidents)
		pb := incident.DefaultPlaybook()
		pb.Name = playbooks[i%len(playbooks)]
		_, err := d.Create(func(n uint64) (incident.Result, error) {
			res, err := incident.Declare(n, incident.Declaration{
				Title: "Incident " + strconv.Itoa(i), Severity: incident.Severities[i%4], Playbook: pb, Declarer: "UALICE",
			}, declared)
			if err != nil {
				return res, err
			}
			c := &res.Incident
			mit := declared.Add(time.Duration(5+i%120) * time.Minute)
			c.MitigatedAt, c.ResolvedAt, c.ClosedAt = mit, mit.Add(time.Duration(10+i%300)*time.Minute), mit.Add(8*time.Hour)
			c.Status = incident.StatusClosed
			for k := range c.Steps {
				c.Steps[k].State, c.Steps[k].By, c.Steps[k].At = incident.StepDone, "UALICE", mit
				if (i+k)%7 == 0 {
					c.Steps[k].State, c.Steps[k].SkipReason = incident.StepSkipped, "not needed"
				}
			}
			for f := 0; f < i%4; f++ {
				c.Followups = append(c.Followups, incident.Followup{N: f + 1, Text: "follow-up", By: "UALICE", At: mit})
			}
			if i%every == 0 {
				c.StartedAt = declared.Add(-15 * time.Minute)
				c.TimeCorrections = 1
			}
			res.Effects = nil
			for len(res.Events) < perIncident {
				at := declared.Add(time.Duration(len(res.Events)) * time.Second)
				e := incident.Event{At: at, Actor: "UBOB", Kind: incident.EvNote, Text: fmt.Sprintf("observation %d: error rate at %d%% on the checkout service", len(res.Events), len(res.Events)%100)}
				if i%every == 0 && len(res.Events) == perIncident-1 {
					e = incident.Event{At: at, Actor: "UALICE", Kind: incident.EvTimeCorrected, Fields: map[string]string{"which": "started", "to": c.StartedAt.Format(time.RFC3339)}}
				}
				res.Events = append(res.Events, e)
			}
			return res, nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}
