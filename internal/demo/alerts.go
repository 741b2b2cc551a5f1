package demo

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/firebreak-hq/firebreak/internal/pagerdutyfake"
)

// alertDemo lets a visitor fire a real Alertmanager webhook at the bot's
// hook and see the pages the fake PagerDuty received.
type alertDemo struct {
	hookURL, token string
	pd             *pagerdutyfake.Server
	client         *http.Client

	mu sync.Mutex
	n  int
}

// EnableAlerts adds the "Fire an alert" control: POST /api/fire-alert
// sends an Alertmanager (webhook version 4) payload to hookURL with the
// bearer token, as Alertmanager would, and the state lists pd's pages.
// Call it before serving.
func (s *Server) EnableAlerts(hookURL, token string, pd *pagerdutyfake.Server) {
	s.alerts = &alertDemo{hookURL: hookURL, token: token, pd: pd, client: &http.Client{Timeout: 10 * time.Second}}
	s.mux.HandleFunc("POST /api/fire-alert", s.handleFireAlert)
}

type pageJSON struct {
	DedupKey string `json:"dedup_key"`
	Summary  string `json:"summary"`
	Severity string `json:"severity"`
	Status   string `json:"status"`
	Triggers int    `json:"triggers"`
	At       string `json:"at"`
}

func (s *Server) addPages(st *stateJSON) {
	if s.alerts == nil {
		return
	}
	st.Pages = []pageJSON{}
	for _, a := range s.alerts.pd.Alerts() {
		st.Pages = append(st.Pages, pageJSON{DedupKey: a.DedupKey, Summary: a.Summary, Severity: a.Severity,
			Status: a.Status, Triggers: a.Triggers, At: a.Opened.UTC().Format("15:04:05")})
	}
}

// handleFireAlert fires one more alert of the demo's firing group: the
// first opens an incident (and pages, being sev2), later ones attach to
// it while it is open.
func (s *Server) handleFireAlert(w http.ResponseWriter, r *http.Request) {
	if s.alerts == nil {
		fail(w, http.StatusNotFound, fmt.Errorf("this demo has no alert intake"))
		return
	}
	a := s.alerts
	a.mu.Lock()
	a.n++
	n := a.n
	a.mu.Unlock()
	now := time.Now().UTC()
	payload := map[string]any{
		"version": "4", "groupKey": `{}:{alertname="HighErrorRate", service="checkout"}`, "truncatedAlerts": 0,
		"status": "firing", "receiver": "firebreak", "externalURL": "http://alertmanager.example:9093",
		"groupLabels":       map[string]string{"alertname": "HighErrorRate", "service": "checkout"},
		"commonLabels":      map[string]string{"alertname": "HighErrorRate", "service": "checkout", "severity": "sev2"},
		"commonAnnotations": map[string]string{"summary": "Checkout error rate above 5%"},
		"alerts": []map[string]any{{
			"status":      "firing",
			"labels":      map[string]string{"alertname": "HighErrorRate", "service": "checkout", "severity": "sev2", "instance": fmt.Sprintf("checkout-%d", n)},
			"annotations": map[string]string{"summary": "Checkout error rate above 5%", "description": fmt.Sprintf("5xx ratio on checkout-%d is 7.2%%", n)},
			"startsAt":    now.Format(time.RFC3339), "endsAt": "0001-01-01T00:00:00Z",
			"generatorURL": "http://prometheus.example:9090/graph?g0.expr=checkout_5xx_ratio",
			"fingerprint":  fmt.Sprintf("demo%012d", n),
		}},
	}
	body, _ := json.Marshal(payload)
	req, err := http.NewRequestWithContext(r.Context(), http.MethodPost, a.hookURL, bytes.NewReader(body))
	if err != nil {
		fail(w, http.StatusInternalServerError, err)
		return
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+a.token)
	resp, err := a.client.Do(req)
	if err != nil {
		fail(w, http.StatusBadGateway, fmt.Errorf("the hook did not answer: %w", err))
		return
	}
	defer resp.Body.Close()
	var ans map[string]any
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	_ = json.Unmarshal(raw, &ans)
	writeJSON(w, http.StatusOK, map[string]any{"status": resp.StatusCode, "answer": ans, "alert": n})
}
