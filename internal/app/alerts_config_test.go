package app_test

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/firebreak-hq/firebreak/internal/app"
)

func TestAlertSettingsFromEnv(t *testing.T) {
	base := map[string]string{"FIREBREAK_HTTP_ADDR": "127.0.0.1:0"}
	for _, c := range []struct {
		name, key, value, want string
	}{
		{"token without name", "FIREBREAK_HOOK_TOKENS", "just-a-long-token-0123456789", "FIREBREAK_HOOK_TOKENS must be name=token pairs separated by commas; entry 1 is not"},
		{"short token", "FIREBREAK_HOOK_TOKENS", "am=short", `FIREBREAK_HOOK_TOKENS: the token named "am" is shorter than 16 characters; use a long random one`},
		{"name twice", "FIREBREAK_HOOK_TOKENS", "a=0123456789abcdef,a=0123456789abcdeg", `FIREBREAK_HOOK_TOKENS: the name "a" is given twice`},
		{"bad severity", "FIREBREAK_PAGE_SEVERITIES", "sev1,critical", `FIREBREAK_PAGE_SEVERITIES must list severities like sev1,sev2; "critical" is not one`},
		{"bad URL", "PAGERDUTY_EVENTS_URL", "events.pagerduty.com", `PAGERDUTY_EVENTS_URL must be an http(s) URL, not "events.pagerduty.com"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			env := map[string]string{c.key: c.value}
			for k, v := range base {
				env[k] = v
			}
			_, err := app.FromEnv(func(k string) string { return env[k] })
			if err == nil || err.Error() != c.want {
				t.Fatalf("got %v\nwant %s", err, c.want)
			}
			if strings.Contains(err.Error(), "0123456789abcdef") {
				t.Fatal("a token was echoed")
			}
		})
	}
	cfg, err := app.FromEnv(func(k string) string { return base[k] })
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(cfg.Alerts.PageSeverities) != "[sev1 sev2]" || cfg.Alerts.PagerDutyURL != "https://events.pagerduty.com/v2/enqueue" || cfg.Alerts.OpsgenieURL != "https://api.opsgenie.com/" {
		t.Fatalf("defaults %+v", cfg.Alerts)
	}
}

// TestNotifyRoutePostsOncePerDelivery: a notify route posts one message
// per delivery in its channel and opens no incident.
func TestNotifyRoutePostsOncePerDelivery(t *testing.T) {
	ws := newWorkspace(t)
	routes := filepath.Join(ws.dir, "routes.yaml")
	if err := os.WriteFile(routes, []byte("routes:\n  - match: {team: web}\n    action: notify\n    channel: "+ws.announce+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ws.env["FIREBREAK_HOOK_TOKENS"] = "alertmanager=" + amToken
	ws.env["FIREBREAK_ROUTES"] = routes
	h := harnessFor(t, ws)
	h.boot()
	r := &alertRig{harness: h, base: "http://" + h.app.HTTPAddr()}
	a1, a2 := amAlert("firing", "f1", "web-1"), amAlert("firing", "f2", "web-2")
	for _, a := range []map[string]any{a1, a2} {
		a["labels"].(map[string]string)["team"] = "web"
	}
	body := amPayload("firing", "web-group", a1, a2)
	for i := 0; i < 2; i++ { // the second delivery is a redelivery
		if code, ans := r.post("/hooks/alertmanager", amToken, body); code != http.StatusAccepted || ans["incidents"] != nil {
			t.Fatalf("%d %v", code, ans)
		}
	}
	r.waitOutboxEmpty()
	want := ":rotating_light: *Alertmanager:* Checkout error rate above 5% _(and 1 more alert of the same group)_\n<http://prometheus.example:9090/graph?g0.expr=rate|source>"
	if n := r.messagesContaining(ws.announce, "Checkout error rate"); n != 1 {
		t.Fatalf("%d notices, want 1", n)
	}
	if got := r.lastMessage(ws.announce, "Checkout error rate"); got != want {
		t.Fatalf("notice %q\nwant %q", got, want)
	}
	if c := r.openCount(); c != 0 {
		t.Fatalf("%d incidents", c)
	}
}
