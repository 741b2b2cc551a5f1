package bot

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/firebreak-hq/firebreak/incident"
	"github.com/firebreak-hq/firebreak/templates"
)

// TestHomePace: views.publish is paced at Slack's Tier 4 (100 in any
// minute): the 101st publish waits until the first leaves the window.
func TestHomePace(t *testing.T) {
	h := newHome(&Bot{})
	t0 := time.Date(2026, 3, 7, 12, 0, 0, 0, time.UTC)
	for i := 0; i < HomePublishesPerMinute; i++ {
		if w := h.reserve(t0.Add(time.Duration(i) * 100 * time.Millisecond)); w != 0 {
			t.Fatalf("publish %d waits %s within the limit", i+1, w)
		}
	}
	at := t0.Add(20 * time.Second)
	if w := h.reserve(at); w != 40*time.Second {
		t.Fatalf("publish %d at +20s waits %s, want 40s", HomePublishesPerMinute+1, w)
	}
	// Asking does not take a slot: the answer is the same.
	if w := h.reserve(at); w != 40*time.Second {
		t.Fatalf("asking again waits %s", w)
	}
	if w := h.reserve(t0.Add(time.Minute + time.Millisecond)); w != 0 {
		t.Fatalf("a minute after the first publish, the next waits %s", w)
	}
	if w := h.reserve(t0.Add(time.Minute + 2*time.Millisecond)); w == 0 {
		t.Fatal("a second slot was free while the second publish was still within the minute")
	}
}

// BenchmarkHomeView renders one person's Home over 200 open incidents of
// 9 steps each (the round renders one per person who opened Home).
func BenchmarkHomeView(b *testing.B) {
	var incs []incident.Incident
	for n := uint64(1); n <= 200; n++ {
		inc := incident.Incident{Number: n, Title: "Checkout returns 500 for EU users", Severity: incident.Severities[n%4],
			Status: incident.StatusActive, Lead: "U2", Channel: fmt.Sprintf("C%06d", n), Roles: map[string]string{"comms": "U3"}}
		for i := 0; i < 9; i++ {
			inc.Steps = append(inc.Steps, incident.Step{StepDef: incident.StepDef{ID: fmt.Sprintf("s%d", i), Title: "Stop the bleeding: roll back", Phase: incident.Phases[i%4]}})
		}
		if n%10 == 0 {
			inc.Lead = "U1"
			inc.Steps[0].Assignee = "U1"
		}
		incs = append(incs, inc)
	}
	b.ReportAllocs()
	for b.Loop() {
		v := HomeView(templates.HomeData{Viewer: "U1", Incidents: incs})
		if _, err := json.Marshal(v); err != nil {
			b.Fatal(err)
		}
	}
}
