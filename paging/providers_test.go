package paging

import (
	"testing"

	"github.com/firebreak-hq/firebreak/incident"
)

func TestSeverityScales(t *testing.T) {
	for _, c := range []struct {
		sev    incident.Severity
		pd, og string
	}{
		{incident.Sev1, "critical", "P1"},
		{incident.Sev2, "error", "P2"},
		{incident.Sev3, "warning", "P3"},
		{incident.Sev4, "info", "P4"},
		{"", "info", "P4"},
	} {
		if got := pdSeverities.of(c.sev); got != c.pd {
			t.Errorf("PagerDuty severity of %q = %q, want %q", c.sev, got, c.pd)
		}
		if got := ogPriorities.of(c.sev); got != c.og {
			t.Errorf("Opsgenie priority of %q = %q, want %q", c.sev, got, c.og)
		}
	}
}
