package templates

import (
	"testing"
	"time"

	"github.com/firebreak-hq/firebreak/incident"
)

// TestTimelineSecurityEvents: withdrawn approval requests, approvals with
// what they approved, and refused lead changes read plainly.
func TestTimelineSecurityEvents(t *testing.T) {
	inc := incident.Incident{Number: 3, Title: "Payments", Severity: incident.Sev2, Status: incident.StatusActive, Declarer: "UALICE", Lead: "UALICE",
		Steps: []incident.Step{{StepDef: incident.StepDef{ID: "fix", Title: "Apply the fix", Phase: incident.PhaseFixForward, Approval: true}}}}
	at := func(m int) time.Time { return time.Date(2026, 3, 14, 9, m, 0, 0, time.UTC) }
	f := func(kv ...string) map[string]string {
		m := map[string]string{}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	evs := []incident.Event{
		{Seq: 1, At: at(1), Actor: "UBOB", Kind: incident.EvApprovalWithdrawn, Text: "Apply the fix", Fields: f("step", "fix", "request", "1", "requested_by", "UCAROL", "replaced_by", "2")},
		{Seq: 2, At: at(2), Actor: "UCAROL", Kind: incident.EvApprovalGranted, Fields: f("step", "fix", "request", "2", "requested_by", "UBOB", "what", "DROP <!channel>", "where", "db")},
		{Seq: 3, At: at(3), Actor: "UCAROL", Kind: incident.EvLeadRefused, Text: "only the current lead…", Fields: f("user", "UCAROL", "lead", "UALICE")},
	}
	got := Timeline(inc, evs, time.UTC, 4000)
	want := "*Timeline of INC-3* (3 events)\n" +
		"`2026-03-14 09:01 UTC` <@UBOB> withdrew the approval request of “Apply the fix” by <@UCAROL> with a new request\n" +
		"`2026-03-14 09:02 UTC` <@UCAROL> approved “Apply the fix” (asked by <@UBOB>): `DROP &lt;!channel&gt;` on `db`\n" +
		"`2026-03-14 09:03 UTC` <@UCAROL> tried to make <@UCAROL> the lead instead of <@UALICE> (refused)"
	if got != want {
		t.Fatalf("got:\n%s\nwant:\n%s", got, want)
	}
}
