package paging

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/firebreak-hq/firebreak/incident"
)

// answering is a pager that answers every request with status, body and
// headers.
func answering(t *testing.T, status int, body string, hdr map[string]string) string {
	t.Helper()
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		for k, v := range hdr {
			w.Header().Set(k, v)
		}
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	}))
	t.Cleanup(s.Close)
	return s.URL
}

// silent is a pager that never answers: it holds each request until its
// client gives up.
func silent(t *testing.T) string {
	t.Helper()
	release := make(chan struct{})
	s := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { <-release }))
	t.Cleanup(s.Close)
	t.Cleanup(func() { close(release) }) // before Close: cleanups run last first
	return s.URL
}

// refusing is an address where nothing listens.
func refusing(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return "http://" + addr + "/v2/enqueue"
}

// TestFailuresAreClassified: each way a call to a pager fails becomes a
// typed failure, with the HTTP status and the pager's own words when it
// answered, and nothing of Go's error text.
func TestFailuresAreClassified(t *testing.T) {
	const pdInvalid = `{"status":"invalid event","message":"Event object is invalid","errors":["Invalid routing key"]}`
	const pdThrottle = `{"status":"throttle event","message":"Requests for this service are arriving too quickly. Please retry later."}`
	const ogInvalid = `{"message":"Request body is not processable. Please check the errors.","errors":{"message":"Message can not be empty."},"took":0.001}`
	for _, c := range []struct {
		name string
		p    Provider
		want incident.PageFailure
	}{
		{"PagerDuty refuses", &PagerDuty{Label: "PagerDuty", URL: answering(t, 400, pdInvalid, nil)},
			incident.PageFailure{Provider: "PagerDuty", Kind: incident.PageRefused, Status: 400, Message: "Event object is invalid: Invalid routing key"}},
		{"Opsgenie refuses", &Opsgenie{Label: "Opsgenie", URL: answering(t, 422, ogInvalid, nil) + "/"},
			incident.PageFailure{Provider: "Opsgenie", Kind: incident.PageRefused, Status: 422, Message: "Request body is not processable. Please check the errors: message: Message can not be empty."}},
		{"rate limited", &PagerDuty{Label: "PagerDuty", URL: answering(t, 429, pdThrottle, map[string]string{"Retry-After": "7"})},
			incident.PageFailure{Provider: "PagerDuty", Kind: incident.PageRateLimited, Status: 429, Message: "Requests for this service are arriving too quickly. Please retry later."}},
		{"its own error, not JSON", &PagerDuty{Label: "PagerDuty", URL: answering(t, 503, "<html><body>Service Unavailable</body></html>", nil)},
			incident.PageFailure{Provider: "PagerDuty", Kind: incident.PagePagerError, Status: 503}},
		{"timeout of the client", &PagerDuty{Label: "PagerDuty", URL: silent(t), Client: NewHTTPClient(50 * time.Millisecond)},
			incident.PageFailure{Provider: "PagerDuty", Kind: incident.PageTimedOut}},
		{"connection refused", &PagerDuty{Label: "PagerDuty", URL: refusing(t)},
			incident.PageFailure{Provider: "PagerDuty", Kind: incident.PageUnreachable}},
	} {
		t.Run(c.name, func(t *testing.T) {
			if c.want.Kind != incident.PageTimedOut {
				switch p := c.p.(type) {
				case *PagerDuty:
					p.Client = NewHTTPClient(5 * time.Second)
				case *Opsgenie:
					p.Client = NewHTTPClient(5 * time.Second)
				}
			}
			err := c.p.Trigger(context.Background(), Page{DedupKey: "firebreak-INC-1", Summary: "INC-1"})
			if err == nil {
				t.Fatal("the call succeeded")
			}
			if got := failureOf(c.p.Name(), err); got != c.want {
				t.Errorf("%v classified as %+v, want %+v", err, got, c.want)
			}
		})
	}
	// The runner's own bound on a call is a timeout too.
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	err := (&PagerDuty{Label: "PagerDuty", URL: silent(t), Client: NewHTTPClient(5 * time.Second)}).Trigger(ctx, Page{})
	if got := failureOf("PagerDuty", err); got.Kind != incident.PageTimedOut {
		t.Errorf("%v classified as %+v, want a timeout", err, got)
	}
}

// incidents is one incident in memory, as the runner reads and records it.
type incidents struct {
	inc incident.Incident
	res []incident.Result
}

func (s *incidents) Get(uint64) (incident.Incident, error) { return s.inc, nil }

func (s *incidents) Apply(_ uint64, fn func(incident.Incident) (incident.Result, error)) (incident.Result, error) {
	r, err := fn(s.inc)
	if err == nil {
		s.inc, s.res = r.Incident, append(s.res, r)
	}
	return r, err
}

// TestOutcomeIsRecordedTyped: what the pagers of a target answered is
// recorded as a typed report on the event, the page and the message that
// the page failed; no Go error text is recorded anywhere.
func TestOutcomeIsRecordedTyped(t *testing.T) {
	t0 := time.Date(2026, 3, 6, 16, 0, 0, 0, time.UTC)
	hc := NewHTTPClient(5 * time.Second)
	pdInvalid := answering(t, 400, `{"status":"invalid event","message":"Event object is invalid","errors":["Invalid routing key"]}`, nil)
	for _, c := range []struct {
		name     string
		targets  map[string][]Provider
		target   string
		attempts int
		kind     incident.EventKind
		want     incident.PageReport
	}{
		{"accepted", map[string][]Provider{"both": {
			&PagerDuty{Label: "PagerDuty", URL: answering(t, 202, `{"status":"success"}`, nil), Client: hc},
			&Opsgenie{Label: "Opsgenie", URL: answering(t, 202, `{"result":"Request will be processed"}`, nil) + "/", Client: hc}}},
			"both", 0, incident.EvPageSent, incident.PageReport{Accepted: []string{"PagerDuty", "Opsgenie"}}},
		{"refused for good", map[string][]Provider{"pagerduty": {&PagerDuty{Label: "PagerDuty", URL: pdInvalid, Client: hc}}},
			"pagerduty", 0, incident.EvPageFailed, incident.PageReport{Failures: []incident.PageFailure{
				{Provider: "PagerDuty", Kind: incident.PageRefused, Status: 400, Message: "Event object is invalid: Invalid routing key"}}}},
		{"unreachable, retried with backoff", map[string][]Provider{"pagerduty": {&PagerDuty{Label: "PagerDuty", URL: refusing(t), Client: hc}}},
			"pagerduty", 2, incident.EvPageRetry, incident.PageReport{RetryIn: 4 * time.Second, Failures: []incident.PageFailure{
				{Provider: "PagerDuty", Kind: incident.PageUnreachable}}}},
		{"rate limited, retried after the pager's Retry-After", map[string][]Provider{"pagerduty": {&PagerDuty{Label: "PagerDuty", Client: hc,
			URL: answering(t, 429, `{"message":"Slow down"}`, map[string]string{"Retry-After": "30"})}}},
			"pagerduty", 0, incident.EvPageRetry, incident.PageReport{RetryIn: 30 * time.Second, Failures: []incident.PageFailure{
				{Provider: "PagerDuty", Kind: incident.PageRateLimited, Status: 429, Message: "Slow down"}}}},
		{"no such target", map[string][]Provider{"pagerduty": nil, "opsgenie": nil},
			"dba", 0, incident.EvPageFailed, incident.PageReport{Targets: []string{"opsgenie", "pagerduty"}, Failures: []incident.PageFailure{
				{Kind: incident.PageNotConfigured}}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			store := &incidents{inc: incident.Incident{Number: 1, Title: "Checkout", Severity: incident.Sev1, Status: incident.StatusActive,
				Pages: []incident.Page{{Target: c.target, State: incident.PagePending, At: t0}}}}
			core, logs := observer.New(zap.InfoLevel)
			r := New(Config{Incidents: store, Targets: c.targets, Now: func() time.Time { return t0 }, Logger: zap.New(core)})
			it := Item{Incident: 1, Attempts: c.attempts, Created: t0,
				Effect: incident.Effect{Kind: incident.EffPageTrigger, Fields: incident.EffectFields{Target: c.target, Dedup: "firebreak-INC-1"}}}
			_, err := r.Perform(context.Background(), store.inc, it)
			if (err == nil) != (c.kind == incident.EvPageSent) {
				t.Fatalf("Perform: %v", err)
			}
			if len(store.res) != 1 || len(store.res[0].Events) != 1 {
				t.Fatalf("recorded %+v", store.res)
			}
			e := store.res[0].Events[0]
			got, ok := incident.PageReportOf(e)
			if e.Kind != c.kind || !ok || !reflect.DeepEqual(got, c.want) || e.Text != "" {
				t.Fatalf("event %s %q with report %+v (%v), want %s with %+v", e.Kind, e.Text, got, ok, c.kind, c.want)
			}
			if p := store.inc.Pages[0]; p.Report == nil || !reflect.DeepEqual(*p.Report, c.want) || p.Detail != "" {
				t.Errorf("page recorded as %+v", p)
			}
			for _, eff := range store.res[0].Effects {
				if eff.Msg == incident.MsgPageFailed && (eff.Fields.Page == nil || !reflect.DeepEqual(*eff.Fields.Page, c.want) || eff.Text != "") {
					t.Errorf("page failed message %+v", eff)
				}
			}
			// Operators read the error as it was in the log.
			for _, f := range c.want.Failures {
				if f.Provider == "" {
					continue
				}
				l := logs.FilterMessage("pager call failed").FilterField(zap.String("kind", string(f.Kind))).All()
				if len(l) != 1 || l[0].ContextMap()["error"] == "" {
					t.Errorf("%s failure logged %+v", f.Kind, logs.All())
				}
			}
			for k, v := range e.Fields {
				for _, goText := range []string{"dial tcp", "Post \"", "connect:", "context deadline", "answered"} {
					if strings.Contains(v, goText) {
						t.Errorf("field %s holds Go's error text: %s", k, v)
					}
				}
			}
		})
	}
}
