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
	golden.Testdata(t, "alerts.golden", []byte(b.String()))
}

// TestPageOutcomeTextsGolden: every kind of answer from the pagers, as
// the Slack timeline, the postmortem's timeline and the channel say it,
// against testdata/pages.golden; and what was recorded before answers
// were typed, as it was said then.
func TestPageOutcomeTextsGolden(t *testing.T) {
	t0 := time.Date(2026, 3, 6, 16, 0, 0, 0, time.UTC)
	inc := incident.Incident{Number: 7, Title: "Checkout", Severity: incident.Sev1, Status: incident.StatusActive}
	event := func(kind incident.EventKind, r incident.PageReport, kv ...string) incident.Event {
		b, err := r.MarshalText()
		if err != nil {
			t.Fatal(err)
		}
		f := map[string]string{"target": "pagerduty", "attempt": "2", "report": string(b)}
		for i := 0; i+1 < len(kv); i += 2 {
			f[kv[i]] = kv[i+1]
		}
		return incident.Event{At: t0, Kind: kind, Fields: f}
	}
	postmortem := func(e incident.Event) string {
		return PostmortemEventLine(PostmortemEvent{Event: e, Text: e.Text, Name: func(u string) string { return u }, Plain: func(s string) string { return s }})
	}
	post := func(text string, r *incident.PageReport) string {
		s, err := ChannelMessage(inc, incident.Effect{Kind: incident.EffPost, Msg: incident.MsgPageFailed, Text: text,
			Fields: incident.EffectFields{Target: "pagerduty", Page: r}})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	var b strings.Builder
	section := func(name string, texts ...string) {
		fmt.Fprintf(&b, "## %s\n%s\n\n", name, strings.Join(texts, "\n"))
	}

	targets := []string{"opsgenie", "pagerduty"}
	for _, f := range []incident.PageFailure{
		{Provider: "PagerDuty", Kind: incident.PageRefused, Status: 400, Message: "Event object is invalid: <routing_key> & more"},
		{Provider: "Opsgenie (db)", Kind: incident.PageRefused, Status: 403},
		{Provider: "PagerDuty", Kind: incident.PageRateLimited, Status: 429, Message: "Requests for this service are arriving too quickly. Please retry later."},
		{Provider: "PagerDuty", Kind: incident.PagePagerError, Status: 503},
		{Provider: "PagerDuty", Kind: incident.PageTimedOut},
		{Provider: "PagerDuty", Kind: incident.PageTimedOut, Status: 408},
		{Provider: "PagerDuty", Kind: incident.PageUnreachable},
		{Provider: "PagerDuty", Kind: incident.PageCallFailed},
		{Kind: incident.PageNotConfigured},
		{Provider: "PagerDuty", Kind: "a kind of a later version"},
	} {
		failed := incident.PageReport{Failures: []incident.PageFailure{f}}
		if f.Kind == incident.PageNotConfigured {
			failed.Targets = targets
		}
		retried := failed
		retried.RetryIn = 1500 * time.Millisecond
		section(fmt.Sprintf("%s %d", f.Kind, f.Status),
			describeEvent(inc, event(incident.EvPageRetry, retried), time.UTC),
			describeEvent(inc, event(incident.EvPageFailed, failed), time.UTC),
			postmortem(event(incident.EvPageFailed, failed)),
			post("", &failed))
	}
	unreachable := incident.PageFailure{Provider: "PagerDuty", Kind: incident.PageUnreachable}
	section("accepted",
		describeEvent(inc, event(incident.EvPageSent, incident.PageReport{Accepted: []string{"PagerDuty", "Opsgenie (db)"}}), time.UTC),
		postmortem(event(incident.EvPageSent, incident.PageReport{Accepted: []string{"PagerDuty"}})))
	section("resolved",
		describeEvent(inc, event(incident.EvPageResolved, incident.PageReport{Accepted: []string{"PagerDuty"}}), time.UTC),
		describeEvent(inc, event(incident.EvPageRetry, incident.PageReport{Failures: []incident.PageFailure{unreachable}, RetryIn: time.Minute}, "resolve", "true"), time.UTC))
	section("one of two took it, tried again in 20 ms",
		describeEvent(inc, event(incident.EvPageRetry, incident.PageReport{Accepted: []string{"Opsgenie"}, Failures: []incident.PageFailure{unreachable}, RetryIn: 20 * time.Millisecond}), time.UTC))
	section("no page target configured at all",
		describeEvent(inc, event(incident.EvPageFailed, incident.PageReport{Failures: []incident.PageFailure{{Kind: incident.PageNotConfigured}}}), time.UTC))
	old := func(kind incident.EventKind, text string) incident.Event {
		return incident.Event{At: t0, Kind: kind, Text: text, Fields: map[string]string{"target": "pagerduty", "attempt": "1"}}
	}
	section("recorded before answers were typed",
		describeEvent(inc, old(incident.EvPageSent, "PagerDuty accepted it"), time.UTC),
		describeEvent(inc, old(incident.EvPageRetry, "PagerDuty answered 500: internal error; retrying in 1s"), time.UTC),
		describeEvent(inc, old(incident.EvPageFailed, "PagerDuty answered 400: <bad>"), time.UTC),
		postmortem(old(incident.EvPageFailed, "PagerDuty answered 400: <bad>")),
		post("PagerDuty answered 400: <bad>", nil))
	golden.Testdata(t, "pages.golden", []byte(b.String()))
}
