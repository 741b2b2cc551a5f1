package opsgeniefake

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/firebreak-hq/firebreak/internal/fakehttp"
)

// Limits from the Alert API reference
// (https://docs.opsgenie.com/docs/alert-api): message up to 130
// characters, alias up to 512, description up to 15,000.
const (
	maxMessage     = 130
	maxAlias       = 512
	maxDescription = 15000
)

// Fault is how the next Times requests fail.
type Fault int

// Faults.
const (
	// ServerError answers 503 without creating anything.
	ServerError Fault = iota + 1
	// TooManyRequests answers 429, Opsgenie's answer when the API rate
	// limit is exceeded (https://docs.opsgenie.com/docs/api-rate-limiting).
	TooManyRequests
	// TimeoutAfterWrite performs the request, then never answers.
	TimeoutAfterWrite
)

// Alert is one Opsgenie alert as the fake keeps it.
type Alert struct {
	Alias, Message, Description, Priority string
	Responders                            []string // team names
	// Status is "open" or "closed".
	Status string
	// Count is how many creates went to this alert (deduplicated ones too).
	Count int
}

// Server is a running fake; safe for concurrent use.
type Server struct {
	URL string // API base, e.g. http://127.0.0.1:1234/
	// The HTTP side: Close, Fail and Requests.
	*fakehttp.Server[Fault]

	key    string
	alerts fakehttp.Alerts[Alert] // open ones by alias
}

// New starts a fake on 127.0.0.1 that accepts the API key key.
func New(key string) (*Server, error) {
	s := &Server{key: key}
	var err error
	if s.Server, err = fakehttp.Start[Fault](fakehttp.Routes(map[string]http.HandlerFunc{
		"POST /v2/alerts":                    s.create,
		"POST /v2/alerts/{identifier}/close": s.close,
	})); err != nil {
		return nil, err
	}
	s.URL = s.Base() + "/"
	return s, nil
}

// Alerts returns a copy of every alert created, oldest first.
func (s *Server) Alerts() []Alert {
	return s.alerts.List(func(a Alert) Alert {
		a.Responders = append([]string(nil), a.Responders...)
		return a
	})
}

// begin counts the request, checks the key and applies a queued fault;
// false when the request was answered. c.end is called once it has been.
func (s *Server) begin(w http.ResponseWriter, r *http.Request) (call, bool) {
	fault, seq, end := s.Begin()
	c := call{fault: fault, seq: seq, end: end}
	if r.Header.Get("Authorization") != "GenieKey "+s.key {
		fakehttp.JSON(w, http.StatusUnauthorized, map[string]any{"message": "Could not authenticate", "took": 0.0})
		return c, false
	}
	switch fault {
	case ServerError:
		fakehttp.JSON(w, http.StatusServiceUnavailable, map[string]any{"message": "Service unavailable", "took": 0.0})
		return c, false
	case TooManyRequests:
		fakehttp.JSON(w, http.StatusTooManyRequests, map[string]any{"message": "You are making too many requests! To avoid errors, we recommend you limit requests.", "took": 0.0})
		return c, false
	}
	return c, true
}

// call is one request being answered.
type call struct {
	fault Fault
	seq   int
	end   func()
}

func (s *Server) accepted(w http.ResponseWriter, r *http.Request, c call) {
	if c.fault == TimeoutAfterWrite {
		s.Hold(r)
		return
	}
	fakehttp.JSON(w, http.StatusAccepted, map[string]any{"result": "Request will be processed", "took": 0.01, "requestId": fmt.Sprintf("req-%06d", c.seq)})
}

type createReq struct {
	Message     string `json:"message"`
	Alias       string `json:"alias"`
	Description string `json:"description"`
	Priority    string `json:"priority"`
	Responders  []struct {
		Name string `json:"name"`
		Type string `json:"type"`
	} `json:"responders"`
}

func (s *Server) create(w http.ResponseWriter, r *http.Request) {
	c, ok := s.begin(w, r)
	defer c.end()
	if !ok {
		return
	}
	var req createReq
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&req); err != nil {
		unprocessable(w, "body", "Request body is not valid JSON.")
		return
	}
	switch {
	case strings.TrimSpace(req.Message) == "":
		unprocessable(w, "message", "Message can not be empty.")
		return
	case len([]rune(req.Message)) > maxMessage:
		unprocessable(w, "message", "Message can not be longer than 130 characters.")
		return
	case len([]rune(req.Alias)) > maxAlias:
		unprocessable(w, "alias", "Alias can not be longer than 512 characters.")
		return
	case len([]rune(req.Description)) > maxDescription:
		unprocessable(w, "description", "Description can not be longer than 15000 characters.")
		return
	case req.Priority != "" && !strings.Contains("P1 P2 P3 P4 P5", req.Priority):
		unprocessable(w, "priority", "Priority should be one of [P1, P2, P3, P4, P5].")
		return
	}
	s.alerts.Open(req.Alias, func(a *Alert) { a.Count++ }, func() *Alert {
		a := &Alert{Alias: req.Alias, Message: req.Message, Description: req.Description, Priority: req.Priority, Status: "open", Count: 1}
		for _, rr := range req.Responders {
			a.Responders = append(a.Responders, rr.Name)
		}
		return a
	})
	s.accepted(w, r, c)
}

func (s *Server) close(w http.ResponseWriter, r *http.Request) {
	c, ok := s.begin(w, r)
	defer c.end()
	if !ok {
		return
	}
	if r.URL.Query().Get("identifierType") != "alias" {
		unprocessable(w, "identifierType", "This fake closes alerts by alias only.")
		return
	}
	s.alerts.Close(r.PathValue("identifier"), func(a *Alert) { a.Status = "closed" })
	// Opsgenie accepts the close asynchronously even for an unknown alias.
	s.accepted(w, r, c)
}

func unprocessable(w http.ResponseWriter, field, msg string) {
	fakehttp.JSON(w, http.StatusUnprocessableEntity, map[string]any{
		"message": "Request body is not processable. Please check the errors.",
		"errors":  map[string]string{field: msg}, "took": 0.0})
}
