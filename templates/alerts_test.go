package templates

import (
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/firebreak-hq/firebreak/incident"
	"github.com/firebreak-hq/firebreak/internal/golden"
)

// TestAlertTextsGolden renders every text about alerts and pages that
// people read, against testdata/alerts.golden.
func TestAlertTextsGolden(t *testing.T) {
	t0 := time.Date(2026, 3, 6, 16, 0, 0, 0, time.UTC)
	a := incident.Alert{Source: "alertmanager", Group: "g", Key: "f1", Status: incident.AlertFiring,
		Title: "Checkout <5xx> & errors", URL: "http://prometheus.example:9090/graph?g0.expr=a&b=1"}
	inc := incident.Incident{Number: 7, Title: "Checkout", Severity: incident.Sev1, Status: incident.StatusActive,
		Alerts: &incident.AlertState{Source: "alertmanager", Group: "g", Count: 12, ResolvedPosted: true},
		Pages: []incident.Page{
			{Target: "pagerduty", State: incident.PageSent, At: t0},
			{Target: "db-oncall", State: incident.PagePending, Attempts: 2, At: t0},
			{Target: "opsgenie", State: incident.PageFailed, At: t0},
			{Target: "web", State: incident.PageResolved, At: t0},
		}}
	post := func(msg incident.MessageKind, text string, f incident.EffectFields) string {
		s, err := ChannelMessage(inc, incident.Effect{Kind: incident.EffPost, Msg: msg, Text: text, Fields: f})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	cases := map[string]string{
		"notice, one alert":       AlertNotice(a, 1),
		"notice, three alerts":    AlertNotice(a, 3),
		"summary, one more":       post(incident.MsgAlertSummary, "Disk <full>", incident.EffectFields{Count: 2, New: 1, Source: "alertmanager"}),
		"summary, many more":      post(incident.MsgAlertSummary, "Disk full", incident.EffectFields{Count: 1000, New: 900, Source: "grafana"}),
		"group resolved":          post(incident.MsgAlertResolved, "", incident.EffectFields{Source: "generic"}),
		"page failed":             post(incident.MsgPageFailed, "PagerDuty answered 400: <invalid>", incident.EffectFields{Target: "pagerduty"}),
		"card line":               CardAlerts(inc),
		"card line without pages": CardAlerts(incident.Incident{Alerts: &incident.AlertState{Source: "grafana", Count: 1}}),
	}
	for _, k := range []incident.EventKind{incident.EvAlert, incident.EvAlertsResolved, incident.EvPageRequested, incident.EvPageSent, incident.EvPageRetry, incident.EvPageFailed, incident.EvPageResolved} {
		e := incident.Event{At: t0, Kind: k, Actor: "Alertmanager", Text: "detail <x>", Fields: map[string]string{"target": "pagerduty", "attempt": "2", "status": "firing"}}
		cases["timeline "+string(k)] = describeEvent(inc, e, time.UTC)
	}
	if CardAlerts(incident.Incident{}) != "" {
		t.Fatal("an incident without alerts or pages has an alerts line")
	}
	keys := make([]string, 0, len(cases))
	for k := range cases {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "## %s\n%s\n\n", k, cases[k])
	}
	golden.Check(t, "testdata/alerts.golden", []byte(b.String()), *update)
}
