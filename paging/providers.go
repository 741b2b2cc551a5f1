package paging

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/firebreak-hq/firebreak/incident"
)

// DefaultPagerDutyURL and DefaultOpsgenieURL are the public endpoints.
const (
	DefaultPagerDutyURL = "https://events.pagerduty.com/v2/enqueue"
	DefaultOpsgenieURL  = "https://api.opsgenie.com/"
)

// HTTPError is a pager's answer other than success.
type HTTPError struct {
	Provider string
	Status   int
	Body     string
	After    time.Duration
}

// Error is the answer for the log: status and body as they came.
func (e *HTTPError) Error() string {
	return fmt.Sprintf("%s answered %d: %s", e.Provider, e.Status, e.Body)
}

// explain is what a pager's JSON error body says is wrong: its message
// and its errors (PagerDuty sends a list, Opsgenie a field → text map);
// "" when the body is not such an answer (an HTML page of a proxy).
func explain(body string) string {
	var v struct {
		Message string          `json:"message"`
		Errors  json.RawMessage `json:"errors"`
	}
	if json.Unmarshal([]byte(body), &v) != nil || v.Message == "" {
		return ""
	}
	var list []string
	if json.Unmarshal(v.Errors, &list) != nil {
		var m map[string]string
		if json.Unmarshal(v.Errors, &m) == nil {
			for k, msg := range m {
				list = append(list, k+": "+msg)
			}
		}
	}
	sort.Strings(list)
	if len(list) == 0 {
		return v.Message
	}
	return strings.TrimRight(v.Message, ".") + ": " + strings.Join(list, "; ")
}

// Permanent: a 4xx other than 408 and 429 will not succeed by retrying.
func (e *HTTPError) Permanent() bool {
	return e.Status >= 400 && e.Status < 500 && e.Status != http.StatusTooManyRequests && e.Status != http.StatusRequestTimeout
}

// RetryAfter is the pager's Retry-After, 0 when it gave none.
func (e *HTTPError) RetryAfter() time.Duration { return e.After }

func post(ctx context.Context, hc *http.Client, provider, u string, hdr map[string]string, body any) error {
	b, err := json.Marshal(body)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(b))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := hc.Do(req)
	if err != nil {
		return fmt.Errorf("%s: %w", provider, err)
	}
	defer resp.Body.Close()
	rb, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode/100 == 2 {
		return nil
	}
	e := &HTTPError{Provider: provider, Status: resp.StatusCode, Body: strings.TrimSpace(string(rb))}
	if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && s > 0 {
		e.After = time.Duration(s) * time.Second
	}
	return e
}

// PagerDuty sends Events API v2 events to one routing key.
type PagerDuty struct {
	Label      string // the name people read, e.g. "PagerDuty"
	URL        string
	RoutingKey string
	Client     *http.Client
}

// Name is how the provider appears on the timeline.
func (p *PagerDuty) Name() string { return p.Label }

// Each pager's scale for the incident severities; sev4 and anything
// else get the lowest.
var (
	pdSeverities = scale{incident.Sev1: "critical", incident.Sev2: "error", incident.Sev3: "warning", "": "info"}
	ogPriorities = scale{incident.Sev1: "P1", incident.Sev2: "P2", incident.Sev3: "P3", "": "P4"}
)

type scale map[incident.Severity]string

func (sc scale) of(s incident.Severity) string {
	if v, ok := sc[s]; ok && s != "" {
		return v
	}
	return sc[""]
}

// Trigger sends a trigger event with the incident's dedup_key.
func (p *PagerDuty) Trigger(ctx context.Context, pg Page) error {
	summary := pg.Summary
	if pg.Message != "" {
		summary += " — " + pg.Message
	}
	ev := map[string]any{
		"routing_key": p.RoutingKey, "event_action": "trigger", "dedup_key": pg.DedupKey,
		"payload": map[string]any{
			"summary":  clip(summary, 1024),
			"source":   "firebreak",
			"severity": pdSeverities.of(pg.Severity),
			"custom_details": map[string]string{
				"incident": pg.Incident, "message": pg.Message,
			},
		},
	}
	if pg.URL != "" {
		ev["links"] = []map[string]string{{"href": pg.URL, "text": pg.LinkText}}
	}
	return post(ctx, p.Client, p.Label, p.URL, nil, ev)
}

// Resolve sends a resolve event for the dedup_key.
func (p *PagerDuty) Resolve(ctx context.Context, pg Page) error {
	return post(ctx, p.Client, p.Label, p.URL, nil, map[string]any{
		"routing_key": p.RoutingKey, "event_action": "resolve", "dedup_key": pg.DedupKey})
}

// Opsgenie creates and closes alerts by alias.
type Opsgenie struct {
	Label  string
	URL    string // API base, ending in /
	APIKey string
	Team   string // responder team; "" lets Opsgenie route by the key
	Client *http.Client
}

// Name is how the provider appears on the timeline.
func (o *Opsgenie) Name() string { return o.Label }

// Trigger creates an alert whose alias is the dedup key.
func (o *Opsgenie) Trigger(ctx context.Context, pg Page) error {
	body := map[string]any{
		"message": clip(pg.Incident+" "+pg.Summary, 130), "alias": pg.DedupKey,
		"description": clip(strings.TrimSpace(pg.Message+"\n"+pg.URL), 15000),
		"priority":    ogPriorities.of(pg.Severity), "source": "firebreak",
	}
	if o.Team != "" {
		body["responders"] = []map[string]string{{"name": o.Team, "type": "team"}}
	}
	return post(ctx, o.Client, o.Label, o.URL+"v2/alerts", map[string]string{"Authorization": "GenieKey " + o.APIKey}, body)
}

// Resolve closes the alert by alias.
func (o *Opsgenie) Resolve(ctx context.Context, pg Page) error {
	u := o.URL + "v2/alerts/" + url.PathEscape(pg.DedupKey) + "/close?identifierType=alias"
	return post(ctx, o.Client, o.Label, u, map[string]string{"Authorization": "GenieKey " + o.APIKey}, map[string]string{"source": "firebreak"})
}

func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
