package app_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/firebreak-hq/firebreak/internal/slackfake"
)

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	c := &http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestHTTPEndpoints: health, readiness, Prometheus metrics and the deploy
// freeze, served on FIREBREAK_HTTP_ADDR by the running product.
func TestHTTPEndpoints(t *testing.T) {
	h := startHarness(t)
	base := "http://" + h.app.HTTPAddr()
	if code, body := get(t, base+"/healthz"); code != 200 || !strings.Contains(body, "ok") {
		t.Fatalf("/healthz: %d %q", code, body)
	}
	if code, body := get(t, base+"/readyz"); code != 200 {
		t.Fatalf("/readyz while connected: %d %q", code, body)
	}
	code, body := get(t, base+"/freeze")
	if code != 200 || strings.TrimSpace(body) != `{"frozen":false}` {
		t.Fatalf("/freeze with no incident: %d %q", code, body)
	}

	h.slash(alice, slackfake.GeneralChannelID, "new sev3 Minor glitch")
	h.slash(alice, slackfake.GeneralChannelID, "new sev2 Checkout errors")
	inc := h.ready(2)
	h.ready(1)
	code, body = get(t, base+"/freeze")
	var fr struct {
		Frozen    bool `json:"frozen"`
		Incidents []struct {
			ID, Severity, Status, Channel string
		} `json:"incidents"`
	}
	if err := json.Unmarshal([]byte(body), &fr); err != nil {
		t.Fatalf("/freeze body %q: %v", body, err)
	}
	if code != http.StatusLocked || !fr.Frozen || len(fr.Incidents) != 1 || fr.Incidents[0].ID != "INC-2" || fr.Incidents[0].Channel != inc.Channel {
		t.Fatalf("/freeze during a sev2: %d %+v", code, fr)
	}
	h.slash(alice, inc.Channel, "resolve")
	if code, _ := get(t, base+"/freeze"); code != 200 {
		t.Fatalf("/freeze after the sev2 resolved: %d", code)
	}

	h.click(alice, inc, "step.assign", "INC-2:"+inc.Steps[0].ID)
	code, body = get(t, base+"/metrics")
	if code != 200 {
		t.Fatalf("/metrics: %d", code)
	}
	for _, want := range []string{
		`firebreak_incidents{severity="sev3",status="active"} 1`,
		`firebreak_incidents{severity="sev2",status="resolved"} 1`,
		`firebreak_ack_latency_seconds_count{type="slash_commands"}`,
		`firebreak_ack_latency_seconds_count{type="interactive"}`,
		`firebreak_slack_calls_total{method="conversations.create"} 2`,
		`firebreak_outbox_depth`,
		`firebreak_slack_connected 1`,
		`firebreak_incidents_declared_total 2`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}

	// GitHub requests are counted by route and outcome once a
	// postmortem is filed.
	h.slash(alice, inc.Channel, "close --force drill over")
	h.eventually("postmortem filed", func() bool { return h.incident(2).PostmortemURL != "" })
	_, body = get(t, base+"/metrics")
	for _, want := range []string{
		`firebreak_github_calls_total{method="POST /repos/:repo/issues",outcome="201"} 1`,
		`firebreak_github_calls_total{method="GET /repos/:repo/issues",outcome="200"}`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}

	// Not ready once Slack is gone: the socket drops and cannot come back.
	h.slack.Close()
	h.eventually("readyz reports the lost connection", func() bool {
		code, _ := get(t, base+"/readyz")
		return code == http.StatusServiceUnavailable
	})
}
