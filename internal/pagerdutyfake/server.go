package pagerdutyfake

import (
	"encoding/json"
	"io"
	"net/http"
	"time"

	"github.com/firebreak-hq/firebreak/internal/fakehttp"
)

// Limits from the Events API v2 reference
// (https://developer.pagerduty.com/docs/events-api-v2/trigger-events/):
// summary up to 1024 characters, dedup_key up to 255, a body of 512 KB.
const (
	maxSummary  = 1024
	maxDedupKey = 255
	maxBody     = 512 * 1024
)

// Fault is how the next Times requests fail.
type Fault int

// Faults.
const (
	// ServerError answers 500 without processing the event.
	ServerError Fault = iota + 1
	// TooManyRequests answers 429 ("Too Many Requests"), as PagerDuty does
	// when a routing key sends too fast; nothing is processed.
	TooManyRequests
	// TimeoutAfterWrite processes the event, then never answers: the
	// client times out although the page went out.
	TimeoutAfterWrite
	// Hang holds the request without processing it until the client
	// gives up or the server closes: a pager that never got the event.
	Hang
)

// Alert is one PagerDuty alert as the fake keeps it.
type Alert struct {
	RoutingKey string
	DedupKey   string
	Summary    string
	Severity   string
	Source     string
	// Status is "triggered" or "resolved".
	Status string
	// Triggers counts trigger events that went to this alert while open
	// (deduplicated ones included).
	Triggers int
	Opened   time.Time
}

// Server is a running fake. Its methods are safe for concurrent use.
type Server struct {
	URL string // the enqueue URL, e.g. http://127.0.0.1:1234/v2/enqueue
	// The HTTP side: Close, Fail, Requests and InFlight.
	*fakehttp.Server[Fault]

	keys map[string]bool // accepted routing keys; empty: any
	// alerts in the order they were opened, the open ones by routing key +
	// dedup key; a re-trigger after resolve opens a new one.
	alerts fakehttp.Alerts[Alert]
}

// New starts a fake on 127.0.0.1 on a free port. keys, when given, are
// the only routing keys accepted.
func New(keys ...string) (*Server, error) {
	s := &Server{keys: map[string]bool{}}
	for _, k := range keys {
		s.keys[k] = true
	}
	var err error
	if s.Server, err = fakehttp.Start[Fault](fakehttp.Routes(map[string]http.HandlerFunc{"POST /v2/enqueue": s.enqueue})); err != nil {
		return nil, err
	}
	s.URL = s.Base() + "/v2/enqueue"
	return s, nil
}

// Alerts returns a copy of every alert opened, oldest first.
func (s *Server) Alerts() []Alert {
	return s.alerts.List(func(a Alert) Alert { return a })
}

type event struct {
	RoutingKey  string `json:"routing_key"`
	EventAction string `json:"event_action"`
	DedupKey    string `json:"dedup_key"`
	Payload     *struct {
		Summary  string `json:"summary"`
		Source   string `json:"source"`
		Severity string `json:"severity"`
	} `json:"payload"`
}

func (s *Server) enqueue(w http.ResponseWriter, r *http.Request) {
	fault, _, end := s.Begin()
	defer end()
	switch fault {
	case Hang:
		// Reading the body lets the server notice the client going away.
		_, _ = io.Copy(io.Discard, io.LimitReader(r.Body, maxBody))
		s.Hold(r)
		return
	case ServerError:
		http.Error(w, `{"status":"error","message":"internal error"}`, http.StatusInternalServerError)
		return
	case TooManyRequests:
		// The reference documents 429 without a Retry-After; clients back off.
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusTooManyRequests)
		_, _ = io.WriteString(w, `{"status":"throttle event","message":"Requests for this service are arriving too quickly. Please retry later."}`)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		return
	}
	if len(body) > maxBody {
		invalid(w, "Payload too large")
		return
	}
	var ev event
	if err := json.Unmarshal(body, &ev); err != nil {
		invalid(w, "Malformed JSON")
		return
	}
	if msg := s.check(ev); msg != "" {
		invalid(w, msg)
		return
	}
	s.apply(ev)
	if fault == TimeoutAfterWrite {
		s.Hold(r)
		return
	}
	fakehttp.JSON(w, http.StatusAccepted, map[string]string{"status": "success", "message": "Event processed", "dedup_key": ev.DedupKey})
}

func (s *Server) check(ev event) string {
	switch {
	case ev.RoutingKey == "":
		return "'routing_key' is missing or blank"
	case len(s.keys) > 0 && !s.keys[ev.RoutingKey]:
		return "Invalid routing key"
	case ev.EventAction != "trigger" && ev.EventAction != "acknowledge" && ev.EventAction != "resolve":
		return "'event_action' is invalid (must be one of the following: 'trigger', 'acknowledge' or 'resolve')"
	case len(ev.DedupKey) > maxDedupKey:
		return "'dedup_key' is too long"
	case ev.EventAction != "trigger" && ev.DedupKey == "":
		return "'dedup_key' is missing or blank"
	case ev.EventAction == "trigger" && ev.Payload == nil:
		return "'payload' is missing"
	}
	if ev.EventAction == "trigger" {
		p := ev.Payload
		switch {
		case p.Summary == "":
			return "'payload.summary' is missing or blank"
		case len([]rune(p.Summary)) > maxSummary:
			return "'payload.summary' is too long"
		case p.Source == "":
			return "'payload.source' is missing or blank"
		case p.Severity != "critical" && p.Severity != "error" && p.Severity != "warning" && p.Severity != "info":
			return "'payload.severity' is invalid (must be one of the following: 'critical', 'warning', 'error' or 'info')"
		}
	}
	return ""
}

// apply: a trigger with the dedup key of an open alert joins it; a
// resolve closes it; an acknowledge is accepted and changes nothing here.
func (s *Server) apply(ev event) {
	k := ""
	if ev.DedupKey != "" {
		k = ev.RoutingKey + "\x00" + ev.DedupKey
	}
	switch ev.EventAction {
	case "trigger":
		s.alerts.Open(k, func(a *Alert) { a.Triggers++ }, func() *Alert {
			return &Alert{RoutingKey: ev.RoutingKey, DedupKey: ev.DedupKey, Summary: ev.Payload.Summary, Severity: ev.Payload.Severity,
				Source: ev.Payload.Source, Status: "triggered", Triggers: 1, Opened: time.Now()}
		})
	case "resolve":
		s.alerts.Close(k, func(a *Alert) { a.Status = "resolved" })
	}
}

func invalid(w http.ResponseWriter, msg string) {
	fakehttp.JSON(w, http.StatusBadRequest, map[string]any{"status": "invalid event", "message": "Event object is invalid", "errors": []string{msg}})
}
