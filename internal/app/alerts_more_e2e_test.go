package app_test

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/firebreak-hq/firebreak/incident"
	"github.com/firebreak-hq/firebreak/internal/opsgeniefake"
)

// TestOpsgenieRoutePagesTeamAndClosesOnResolve: a route with its own
// Opsgenie team pages it (alias firebreak-INC-n), a 429 and a 503 are
// retried into one alert, `/incident page <route>` is refused while the
// page is out, and resolving the incident closes the alert.
func TestOpsgenieRoutePagesTeamAndClosesOnResolve(t *testing.T) {
	og, err := opsgeniefake.New("og-key-0123456789")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(og.Close)
	og.Fail(opsgeniefake.TooManyRequests, 1)
	og.Fail(opsgeniefake.ServerError, 1)
	ws := newWorkspace(t)
	routes := filepath.Join(ws.dir, "routes.yaml")
	if err := os.WriteFile(routes, []byte(`routes:
  - name: db-oncall
    match: {service: postgres}
    action: declare
    severity: sev3
    page: {opsgenie: database}
`), 0o600); err != nil {
		t.Fatal(err)
	}
	ws.env["FIREBREAK_HOOK_TOKENS"] = "generic=" + genericToken
	ws.env["FIREBREAK_ROUTES"] = routes
	ws.env["OPSGENIE_API_KEY"] = "og-key-0123456789"
	ws.env["OPSGENIE_API_URL"] = og.URL
	h := harnessFor(t, ws)
	h.pageBackoff = 20 * time.Millisecond
	h.boot()
	r := &alertRig{harness: h, base: "http://" + h.app.HTTPAddr()}

	body := []byte(`{"dedup_key":"pg-replication","status":"firing","title":"Replication lag 40s","labels":{"service":"postgres"},"url":"https://grafana.example/d/pg"}`)
	if code, ans := r.post("/hooks/generic", genericToken, body); code != http.StatusAccepted || fmt.Sprint(ans["incidents"]) != "[INC-1]" {
		t.Fatalf("%d %v", code, ans)
	}
	// The same body again is a redelivery.
	if code, ans := r.post("/hooks/generic", genericToken, body); code != http.StatusAccepted || ans["duplicates"] != 1.0 {
		t.Fatalf("redelivery: %d %v", code, ans)
	}
	inc := r.ready(1)
	r.eventually("Opsgenie paged", func() bool { return countKind(r.events(1), incident.EvPageSent) == 1 })
	alerts := og.Alerts()
	if len(alerts) != 1 || alerts[0].Alias != "firebreak-INC-1" || fmt.Sprint(alerts[0].Responders) != "[database]" || alerts[0].Priority != "P3" || alerts[0].Message != "INC-1 Replication lag 40s" {
		t.Fatalf("Opsgenie alerts %+v", alerts)
	}
	if n := countKind(r.events(1), incident.EvPageRetry); n != 2 {
		t.Fatalf("%d retries on the timeline, want 2", n)
	}
	if got := r.slash(bob, inc.Channel, "page db-oncall"); got != "INC-1 already has a page out to db-oncall." {
		t.Fatalf("second page answered %q", got)
	}
	// Monitoring says resolved: posted, incident stays; people resolve: alert closed.
	if code, _ := r.post("/hooks/generic", genericToken, []byte(`{"dedup_key":"pg-replication","status":"resolved","title":"Replication lag 40s"}`)); code != http.StatusAccepted {
		t.Fatal(code)
	}
	r.eventually("resolution posted", func() bool {
		return r.messagesContaining(inc.Channel, "Monitoring reports the alerts of this group resolved") == 1
	})
	r.slash(bob, inc.Channel, "resolve")
	r.eventually("Opsgenie alert closed", func() bool { return og.Alerts()[0].Status == "closed" })
	if n := len(og.Alerts()); n != 1 {
		t.Fatalf("%d Opsgenie alerts", n)
	}
}

// TestGrafanaGroupAfterCloseOpensANewIncident: a group attaches only to
// its open incident; once that is closed, the group's next alert opens a
// new one.
func TestGrafanaGroupAfterCloseOpensANewIncident(t *testing.T) {
	r := startAlertRig(t, "", nil)
	grafana := func(fp string) []byte {
		return []byte(`{"receiver":"firebreak","status":"firing","groupKey":"{}/{}:{alertname=\"DiskFull\"}","title":"[FIRING:1] DiskFull","message":"disk","alerts":[{"status":"firing","labels":{"alertname":"DiskFull","instance":"db-1"},"annotations":{},"startsAt":"2026-03-06T15:58:00Z","fingerprint":"` + fp + `"}]}`)
	}
	// Only the alertmanager and generic hooks have tokens here.
	if code, _ := r.post("/hooks/grafana", amToken, grafana("a")); code != http.StatusUnauthorized {
		t.Fatalf("an alertmanager-only token opened the grafana hook: %d", code)
	}
	r.harness.stop()
	r.harness.cfg.Alerts.HookTokens["ops"] = "ops-token-0123456789abcdef"
	r.harness.boot()
	r.base = "http://" + r.app.HTTPAddr()
	if code, ans := r.post("/hooks/grafana", "ops-token-0123456789abcdef", grafana("a")); code != 202 || fmt.Sprint(ans["incidents"]) != "[INC-1]" {
		t.Fatalf("%d %v", code, ans)
	}
	inc := r.ready(1)
	if inc.Title != "DiskFull on db-1" || inc.Declarer != "Grafana" {
		t.Fatalf("declared %q by %q", inc.Title, inc.Declarer)
	}
	// Monitoring declared it: someone takes the lead to close it.
	r.slash(bob, inc.Channel, "lead <@"+bob+">")
	r.slash(bob, inc.Channel, "close --force fixed the disk")
	if st := r.incident(1).Status; st != incident.StatusClosed {
		t.Fatalf("status %s", st)
	}
	if code, ans := r.post("/hooks/grafana", "ops-token-0123456789abcdef", grafana("b")); code != 202 || fmt.Sprint(ans["incidents"]) != "[INC-2]" {
		t.Fatalf("after close: %d %v", code, ans)
	}
}

// TestPageRefusedForGoodIsSaidInTheChannel: PagerDuty refuses the event
// (a routing key it does not know): one attempt, `page_failed` on the
// timeline, the card says so, and the channel is told to page another way.
func TestPageRefusedForGoodIsSaidInTheChannel(t *testing.T) {
	r := startAlertRig(t, testRoutes, nil)
	r.harness.stop()
	r.harness.cfg.Alerts.PagerDutyKey = "a-key-pagerduty-does-not-know"
	r.harness.boot()
	r.base = "http://" + r.app.HTTPAddr()
	if code, ans := r.post("/hooks/alertmanager", amToken, amPayload("firing", "g", amAlert("firing", "fp1", "web-1"))); code != 202 {
		t.Fatalf("%d %v", code, ans)
	}
	inc := r.ready(1)
	r.eventually("page failed", func() bool { return countKind(r.events(1), incident.EvPageFailed) == 1 })
	r.waitOutboxEmpty()
	if n := r.pd.Requests(); n != 1 {
		t.Fatalf("%d requests for a page refused for good", n)
	}
	want := ":warning: The page to *pagerduty* could not be delivered: PagerDuty answered 400: Event object is invalid: Invalid routing key. Page someone another way, or try `/incident page pagerduty` again."
	if got := r.lastMessage(inc.Channel, "could not be delivered"); got != want {
		t.Fatalf("channel says %q\nwant %q", got, want)
	}
	r.eventually("card says failed", func() bool { return strings.HasSuffix(r.cardAlerts(1), ":warning: pagerduty failed") })
	// Paging again is allowed after a failure.
	if got := r.slash(bob, inc.Channel, "page pagerduty"); got != "Paging pagerduty now; the outcome will be on the card and the timeline." {
		t.Fatalf("page again answered %q", got)
	}
}
