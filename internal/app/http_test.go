package app_test

import (
	"bytes"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/firebreak-hq/firebreak/internal/app"
	"github.com/firebreak-hq/firebreak/internal/slackfake"
)

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	code, _, body := getWith(t, url, nil)
	return code, body
}

// TestHTTPEndpoints: health, readiness, Prometheus metrics and the deploy
// freeze, served on FIREBREAK_HTTP_ADDR by the running product.
func TestHTTPEndpoints(t *testing.T) {
	t.Parallel()
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
	inc := h.declare(2, alice, slackfake.GeneralChannelID, "new sev2 Checkout errors")
	h.ready(1)
	// Only numbers and severities: the port may be reachable by anyone.
	code, body = get(t, base+"/freeze")
	if want := `{"frozen":true,"incidents":[{"id":"INC-2","severity":"sev2"}]}`; code != http.StatusLocked || strings.TrimSpace(body) != want {
		t.Fatalf("/freeze during a sev2: %d %s, want 423 %s", code, body, want)
	}
	h.slash(alice, inc.Channel, "resolve")
	if code, _ := get(t, base+"/freeze"); code != 200 {
		t.Fatalf("/freeze after the sev2 resolved: %d", code)
	}

	h.click(alice, inc, "step.assign", "INC-2:"+inc.Steps[0].ID)
	// The ack's latency is observed once the ack has gone, which may be
	// just after the fake Slack has it.
	h.eventually("the click's ack counted", func() bool {
		code, body = get(t, base+"/metrics")
		return code == 200 && strings.Contains(body, `firebreak_ack_latency_seconds_count{type="interactive"}`)
	})
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
	h.checkSaid()
	h.slack.Close()
	h.eventually("readyz reports the lost connection", func() bool {
		code, _ := get(t, base+"/readyz")
		return code == http.StatusServiceUnavailable
	})
}

// getWith is get with request headers.
func getWith(t *testing.T, url string, hdr map[string]string) (int, http.Header, string) {
	t.Helper()
	code, h, body := request(t, http.MethodGet, url, hdr, nil)
	return code, h, string(body)
}

// request sends one HTTP request with the headers hdr and returns the
// status, headers and body of the answer; any failure to get it fails t.
func request(t *testing.T, method, url string, hdr map[string]string, body []byte) (int, http.Header, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := (&http.Client{Timeout: 15 * time.Second}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, b
}

// TestHTTPTokenAndFreezeDetails: with FIREBREAK_HTTP_TOKEN set, /metrics
// needs it as a bearer token while /healthz, /readyz and /freeze stay
// open; FIREBREAK_FREEZE_DETAILS=true adds titles and channels to /freeze.
func TestHTTPTokenAndFreezeDetails(t *testing.T) {
	t.Parallel()
	const token = "0123456789abcdef0123456789abcdef"
	h := startHarness(t, withConfig(func(c *app.Config) { c.HTTPToken, c.FreezeDetails = token, true }))
	base := "http://" + h.app.HTTPAddr()
	const refusal = "This endpoint needs the header Authorization: Bearer <FIREBREAK_HTTP_TOKEN>.\n"
	for _, tc := range []struct {
		name string
		hdr  map[string]string
	}{
		{"no header", nil},
		{"wrong token", map[string]string{"Authorization": "Bearer " + token[:31] + "0"}},
		{"token prefix", map[string]string{"Authorization": "Bearer " + token[:16]}},
		{"not bearer", map[string]string{"Authorization": "Basic " + token}},
	} {
		code, hdr, body := getWith(t, base+"/metrics", tc.hdr)
		if code != http.StatusUnauthorized || body != refusal || hdr.Get("WWW-Authenticate") != `Bearer realm="firebreak"` {
			t.Fatalf("/metrics with %s: %d %q %v", tc.name, code, body, hdr)
		}
	}
	if code, _, body := getWith(t, base+"/metrics", map[string]string{"Authorization": "Bearer " + token}); code != 200 || !strings.Contains(body, "firebreak_slack_connected 1") {
		t.Fatalf("/metrics with the token: %d %.200q", code, body)
	}
	for _, path := range []string{"/healthz", "/readyz", "/freeze"} {
		if code, _ := get(t, base+path); code != 200 {
			t.Fatalf("%s without a token: %d", path, code)
		}
	}

	inc := h.declare(1, alice, slackfake.GeneralChannelID, "new sev1 Checkout errors")
	code, body := get(t, base+"/freeze")
	want := `{"frozen":true,"incidents":[{"id":"INC-1","severity":"sev1","title":"Checkout errors","status":"active","channel":"` +
		inc.Channel + `","since":"` + inc.DeclaredAt.Format(time.RFC3339) + `"}]}`
	if code != http.StatusLocked || strings.TrimSpace(body) != want {
		t.Fatalf("/freeze with details: %d %s, want %s", code, body, want)
	}
}

// TestHTTPServerTimeouts: the health and metrics server closes silent,
// slow and idle connections.
func TestHTTPServerTimeouts(t *testing.T) {
	t.Parallel()
	h := startHarness(t)
	srv := h.app.HTTPServer()
	if srv.ReadHeaderTimeout != app.HTTPReadHeaderTimeout || srv.ReadTimeout != app.HTTPReadTimeout || srv.IdleTimeout != app.HTTPIdleTimeout ||
		srv.ReadHeaderTimeout <= 0 || srv.ReadTimeout <= 0 || srv.IdleTimeout <= 0 {
		t.Fatalf("server timeouts: header %v, read %v, idle %v", srv.ReadHeaderTimeout, srv.ReadTimeout, srv.IdleTimeout)
	}
	// A client that never finishes its headers is cut off.
	conn, err := net.Dial("tcp", h.app.HTTPAddr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	start := time.Now()
	if _, err := conn.Write([]byte("GET /healthz HTTP/1.1\r\nHost: x\r\n")); err != nil {
		t.Fatal(err)
	}
	_ = conn.SetReadDeadline(time.Now().Add(app.HTTPReadHeaderTimeout + 10*time.Second))
	_, err = io.ReadAll(conn)
	if took := time.Since(start); err != nil || took < app.HTTPReadHeaderTimeout || took > app.HTTPReadHeaderTimeout+5*time.Second {
		t.Fatalf("a silent client kept its connection for %v (%v); want it closed after %v", took, err, app.HTTPReadHeaderTimeout)
	}
}
