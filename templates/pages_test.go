package templates

import (
	"testing"
	"time"

	"github.com/firebreak-hq/firebreak/incident"
)

// TestPageOutcomeTexts: every kind of answer from the pagers, as the
// Slack timeline, the postmortem's timeline and the channel say it.
func TestPageOutcomeTexts(t *testing.T) {
	t0 := time.Date(2026, 3, 6, 16, 0, 0, 0, time.UTC)
	inc := incident.Incident{Number: 7, Title: "Checkout", Severity: incident.Sev1, Status: incident.StatusActive}
	pd := func(kind incident.PageFailureKind, status int, msg string) incident.PageFailure {
		return incident.PageFailure{Provider: "PagerDuty", Kind: kind, Status: status, Message: msg}
	}
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
	retry := func(f incident.PageFailure) incident.Event {
		return event(incident.EvPageRetry, incident.PageReport{Failures: []incident.PageFailure{f}, RetryIn: 1500 * time.Millisecond})
	}
	for _, c := range []struct {
		name  string
		e     incident.Event
		slack string
	}{
		{"sent", event(incident.EvPageSent, incident.PageReport{Accepted: []string{"PagerDuty", "Opsgenie (db)"}}),
			"Firebreak delivered the page to pagerduty: PagerDuty and Opsgenie (db) accepted it"},
		{"resolved", event(incident.EvPageResolved, incident.PageReport{Accepted: []string{"PagerDuty"}}),
			"Firebreak resolved the page to pagerduty: PagerDuty resolved it"},
		{"resolve retried", event(incident.EvPageRetry, incident.PageReport{Failures: []incident.PageFailure{pd(incident.PagePagerError, 500, "")}, RetryIn: time.Minute}, "resolve", "true"),
			"Firebreak could not deliver the page to pagerduty (attempt 2): PagerDuty had an error of its own (HTTP 500); trying again in 1m"},
		{"rate limited", retry(pd(incident.PageRateLimited, 429, "Requests for this service are arriving too quickly. Please retry later.")),
			"Firebreak could not deliver the page to pagerduty (attempt 2): PagerDuty asked to slow down (HTTP 429), saying “Requests for this service are arriving too quickly. Please retry later.”; trying again in 2s"},
		{"server error", retry(pd(incident.PagePagerError, 503, "")),
			"Firebreak could not deliver the page to pagerduty (attempt 2): PagerDuty had an error of its own (HTTP 503); trying again in 2s"},
		{"timed out", retry(pd(incident.PageTimedOut, 0, "")),
			"Firebreak could not deliver the page to pagerduty (attempt 2): PagerDuty did not answer in time; trying again in 2s"},
		{"timed out, said by the pager", retry(pd(incident.PageTimedOut, 408, "")),
			"Firebreak could not deliver the page to pagerduty (attempt 2): PagerDuty did not answer in time (HTTP 408); trying again in 2s"},
		{"unreachable", retry(pd(incident.PageUnreachable, 0, "")),
			"Firebreak could not deliver the page to pagerduty (attempt 2): PagerDuty could not be reached; trying again in 2s"},
		{"call failed", retry(pd(incident.PageCallFailed, 0, "")),
			"Firebreak could not deliver the page to pagerduty (attempt 2): the call to PagerDuty failed; trying again in 2s"},
		{"one of two took it", event(incident.EvPageRetry, incident.PageReport{Accepted: []string{"Opsgenie"}, Failures: []incident.PageFailure{pd(incident.PageUnreachable, 0, "")}, RetryIn: 20 * time.Millisecond}),
			"Firebreak could not deliver the page to pagerduty (attempt 2): PagerDuty could not be reached; Opsgenie accepted it; trying again in 1s"},
		{"refused", event(incident.EvPageFailed, incident.PageReport{Failures: []incident.PageFailure{pd(incident.PageRefused, 400, "Event object is invalid: <routing_key> & more")}}),
			"Firebreak gave up paging pagerduty: PagerDuty refused it (HTTP 400), saying “Event object is invalid: &lt;routing_key&gt; &amp; more”"},
		{"not configured", event(incident.EvPageFailed, incident.PageReport{Targets: []string{"opsgenie", "pagerduty"}, Failures: []incident.PageFailure{{Kind: incident.PageNotConfigured}}}),
			"Firebreak gave up paging pagerduty: there is no page target “pagerduty”; the targets are opsgenie, pagerduty"},
		{"nothing configured", event(incident.EvPageFailed, incident.PageReport{Failures: []incident.PageFailure{{Kind: incident.PageNotConfigured}}}),
			"Firebreak gave up paging pagerduty: no page target is configured"},
		{"recorded before reports", incident.Event{At: t0, Kind: incident.EvPageSent, Text: "PagerDuty accepted it", Fields: map[string]string{"target": "pagerduty", "attempt": "1"}},
			"Firebreak delivered the page to pagerduty: PagerDuty accepted it"},
	} {
		if got := describeEvent(inc, c.e, time.UTC); got != c.slack {
			t.Errorf("%s:\n got %s\nwant %s", c.name, got, c.slack)
		}
	}

	// The postmortem says why a page failed, in plain text.
	plain := func(e incident.Event) string {
		return PostmortemEventLine(PostmortemEvent{Event: e, Text: e.Text, Name: func(u string) string { return u }, Plain: func(s string) string { return s }})
	}
	refused := event(incident.EvPageFailed, incident.PageReport{Failures: []incident.PageFailure{pd(incident.PageRefused, 400, "Event object is invalid: <routing_key>")}})
	for _, c := range []struct{ got, want string }{
		{plain(refused), "Page to pagerduty failed: PagerDuty refused it (HTTP 400), saying “Event object is invalid: <routing_key>”"},
		{plain(retry(pd(incident.PageTimedOut, 0, ""))), "Page to pagerduty not delivered, retried"},
		{plain(event(incident.EvPageSent, incident.PageReport{Accepted: []string{"PagerDuty"}})), "Page to pagerduty delivered"},
		{plain(incident.Event{Kind: incident.EvPageFailed, Text: "PagerDuty answered 400: bad", Fields: map[string]string{"target": "pagerduty"}}),
			"Page to pagerduty failed: PagerDuty answered 400: bad"},
	} {
		if c.got != c.want {
			t.Errorf("postmortem:\n got %s\nwant %s", c.got, c.want)
		}
	}

	// The channel is told a page failed for good, and what to do.
	post := func(text string, r *incident.PageReport) string {
		s, err := ChannelMessage(inc, incident.Effect{Kind: incident.EffPost, Msg: incident.MsgPageFailed, Text: text,
			Fields: incident.EffectFields{Target: "pagerduty", Page: r}})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	for _, c := range []struct{ got, want string }{
		{post("", &incident.PageReport{Failures: []incident.PageFailure{pd(incident.PageRefused, 400, "Event object is invalid: Invalid routing key")}}),
			":warning: The page to *pagerduty* could not be delivered: PagerDuty refused it (HTTP 400), saying “Event object is invalid: Invalid routing key”. Page someone another way, or try `/incident page pagerduty` again."},
		{post("", &incident.PageReport{Failures: []incident.PageFailure{pd(incident.PageRefused, 403, "")}}),
			":warning: The page to *pagerduty* could not be delivered: PagerDuty refused it (HTTP 403). Page someone another way, or try `/incident page pagerduty` again."},
		{post("", &incident.PageReport{Targets: []string{"opsgenie"}, Failures: []incident.PageFailure{{Kind: incident.PageNotConfigured}}}),
			":warning: The page to *pagerduty* could not be delivered: there is no page target “pagerduty”; the targets are opsgenie. Page someone another way, or try `/incident page pagerduty` again."},
		{post("PagerDuty answered 400: <bad>", nil),
			":warning: The page to *pagerduty* could not be delivered: PagerDuty answered 400: &lt;bad&gt;. Page someone another way, or try `/incident page pagerduty` again."},
	} {
		if c.got != c.want {
			t.Errorf("page failed message:\n got %s\nwant %s", c.got, c.want)
		}
	}
}
