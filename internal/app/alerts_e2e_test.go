package app_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/firebreak-hq/firebreak/incident"
	"github.com/firebreak-hq/firebreak/internal/app"
	"github.com/firebreak-hq/firebreak/internal/opsgeniefake"
	"github.com/firebreak-hq/firebreak/internal/pagerdutyfake"
)

const (
	amToken      = "am-token-0123456789abcdef"
	genericToken = "generic-token-0123456789ab"
	pdKey        = "pd-routing-key-0123456789abcdef"
)

// alertRig is the product with hooks and PagerDuty, over real sockets.
type alertRig struct {
	*harness
	pd   *pagerdutyfake.Server
	base string
}

const testRoutes = `routes:
  - name: checkout
    match:
      alertname: /High.*/
      service: checkout
    action: declare
    severity: sev1
    playbook: general
  - match:
      severity: info
    action: ignore
  - action: declare
`

func startAlertRig(t *testing.T, routes string, tune func(*harness)) *alertRig {
	t.Helper()
	ws := newWorkspace(t)
	pd := ws.withPagerDuty(t)
	ws.env["FIREBREAK_HOOK_TOKENS"] = "alertmanager=" + amToken + ",generic=" + genericToken
	if routes != "" {
		ws.withRoutes(t, routes)
	}
	h := harnessFor(t, ws)
	h.pageBackoff = 20 * time.Millisecond
	h.pageTimeout = 2 * time.Second
	if tune != nil {
		tune(h)
	}
	h.boot()
	return &alertRig{harness: h, pd: pd, base: "http://" + h.app.HTTPAddr()}
}

// amPayload is an Alertmanager webhook (version 4) body.
func amPayload(status, groupKey string, alerts ...map[string]any) []byte {
	b, _ := json.Marshal(map[string]any{
		"version": "4", "groupKey": groupKey, "truncatedAlerts": 0, "status": status, "receiver": "firebreak",
		"groupLabels": map[string]string{"alertname": "HighErrorRate"}, "commonLabels": map[string]string{"alertname": "HighErrorRate"},
		"commonAnnotations": map[string]string{}, "externalURL": "http://alertmanager.example:9093", "alerts": alerts,
	})
	return b
}

func amAlert(status, fingerprint, instance string) map[string]any {
	a := map[string]any{
		"status":      status,
		"labels":      map[string]string{"alertname": "HighErrorRate", "service": "checkout", "instance": instance},
		"annotations": map[string]string{"summary": "Checkout error rate above 5%"},
		"startsAt":    "2026-03-06T15:58:00Z", "endsAt": "0001-01-01T00:00:00Z",
		"generatorURL": "http://prometheus.example:9090/graph?g0.expr=rate", "fingerprint": fingerprint,
	}
	if status == "resolved" {
		a["endsAt"] = "2026-03-06T16:20:00Z"
	}
	return a
}

func (r *alertRig) post(path, token string, body []byte) (int, map[string]any) {
	r.t.Helper()
	return postHook(r.t, r.base+path, token, body)
}

// postHook posts body to the hook at url with token as bearer ("" for
// none) and returns the status and the JSON answer.
func postHook(t *testing.T, url, token string, body []byte) (int, map[string]any) {
	t.Helper()
	hdr := map[string]string{"Content-Type": "application/json"}
	if token != "" {
		hdr["Authorization"] = "Bearer " + token
	}
	code, _, raw := request(t, http.MethodPost, url, hdr, body)
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("%s answered %d with non-JSON %q", url, code, raw)
	}
	return code, m
}

// cardAlerts is the text of the card's alerts section, "" when absent.
func (r *alertRig) cardAlerts(n uint64) string {
	return sectionText(r.card(r.incident(n)), "alerts")
}

func (r *alertRig) openCount() int {
	open, err := r.db().OpenIncidents()
	if err != nil {
		r.t.Fatal(err)
	}
	return len(open)
}

func TestAlertmanagerAlertDeclaresPagesAttachesAndResolvesOnce(t *testing.T) {
	r := startAlertRig(t, testRoutes, nil)

	code, ans := r.post("/hooks/alertmanager", amToken, amPayload("firing", `{}:{alertname="HighErrorRate"}`, amAlert("firing", "fp1", "web-1")))
	if code != http.StatusAccepted || fmt.Sprint(ans["incidents"]) != "[INC-1]" {
		t.Fatalf("first alert: %d %v", code, ans)
	}
	// 202 came after the commit: the incident is already stored.
	inc := r.incident(1)
	if inc.Severity != incident.Sev1 || inc.Title != "Checkout error rate above 5%" || inc.Declarer != "Alertmanager" {
		t.Fatalf("declared %+v", inc)
	}
	inc = r.ready(1)
	r.eventually("page sent to PagerDuty", func() bool { return len(r.pd.Alerts()) == 1 && r.incident(1).Pages[0].State == incident.PageSent })
	pa := r.pd.Alerts()[0]
	if pa.DedupKey != "firebreak-INC-1" || pa.Severity != "critical" || pa.Summary != "Checkout error rate above 5%" {
		t.Fatalf("PagerDuty got %+v", pa)
	}
	r.eventually("card shows the alert and the page", func() bool {
		return r.cardAlerts(1) == "*Alerts:* 1 from Alertmanager\n*Pages:* :pager: pagerduty paged"
	})

	// The group fires again: the first alert again (a repeat) and a new one.
	code, ans = r.post("/hooks/alertmanager", amToken, amPayload("firing", `{}:{alertname="HighErrorRate"}`,
		amAlert("firing", "fp1", "web-1"), amAlert("firing", "fp2", "web-2")))
	if code != http.StatusAccepted || ans["accepted"] != 1.0 || ans["duplicates"] != 1.0 || fmt.Sprint(ans["incidents"]) != "[INC-1]" {
		t.Fatalf("second delivery: %d %v", code, ans)
	}
	if n := r.openCount(); n != 1 {
		t.Fatalf("%d open incidents, want 1", n)
	}
	if n := countKind(r.events(1), incident.EvAlert); n != 2 {
		t.Fatalf("%d alert events, want 2", n)
	}
	r.eventually("card counts 2 alerts", func() bool { return strings.HasPrefix(r.cardAlerts(1), "*Alerts:* 2 from Alertmanager\n") })
	summary := ":rotating_light: 1 more alert of this group attached (2 in all); the latest: Checkout error rate above 5%\n_The card keeps the count; the timeline has every alert._"
	r.eventually("summary in the channel", func() bool { return r.messagesContaining(inc.Channel, "more alert") == 1 })
	if got := r.lastMessage(inc.Channel, "more alert"); got != summary {
		t.Fatalf("summary:\n%s\nwant:\n%s", got, summary)
	}

	// The group resolves; Alertmanager may deliver it twice.
	resolved := amPayload("resolved", `{}:{alertname="HighErrorRate"}`, amAlert("resolved", "fp1", "web-1"), amAlert("resolved", "fp2", "web-2"))
	for i := 0; i < 2; i++ {
		if code, ans := r.post("/hooks/alertmanager", amToken, resolved); code != http.StatusAccepted {
			t.Fatalf("resolved delivery %d: %d %v", i, code, ans)
		}
	}
	want := ":white_check_mark: Alertmanager reports the alerts of this group resolved. The incident stays open until someone resolves it with `/incident resolve`."
	r.eventually("resolved posted", func() bool {
		return r.messagesContaining(inc.Channel, "reports the alerts of this group resolved") >= 1
	})
	r.waitOutboxEmpty()
	if n := r.messagesContaining(inc.Channel, "reports the alerts of this group resolved"); n != 1 {
		t.Fatalf("resolved posted %d times", n)
	}
	if got := r.lastMessage(inc.Channel, "reports the alerts"); got != want {
		t.Fatalf("resolved text %q", got)
	}
	if st := r.incident(1).Status; st != incident.StatusActive {
		t.Fatalf("the alert's resolution changed the incident to %s", st)
	}

	// People resolve the incident: the page is resolved with it.
	if got := r.slash(bob, inc.Channel, "resolve"); got != "INC-1 resolved. Finish the verify steps, then close it." {
		t.Fatalf("resolve answered %q", got)
	}
	r.eventually("PagerDuty alert resolved", func() bool { return r.pd.Alerts()[0].Status == "resolved" })
	r.eventually("page resolution on the timeline", func() bool { return countKind(r.events(1), incident.EvPageResolved) == 1 })
	if n := len(r.pd.Alerts()); n != 1 {
		t.Fatalf("PagerDuty has %d alerts", n)
	}
}

// lastMessage is (and consumes) the text of the newest message in channel containing substr.
func (r *alertRig) lastMessage(channel, substr string) string {
	msgs := r.slack.Messages(channel)
	for i := len(msgs) - 1; i >= 0; i-- {
		if strings.Contains(msgs[i].Text, substr) {
			return r.consumeMessage(msgs[i]).Text
		}
	}
	return ""
}

func (r *alertRig) waitOutboxEmpty() {
	r.t.Helper()
	r.eventually("outbox drained", func() bool {
		n, err := r.db().OutboxDepth()
		p, perr := r.db().PageOutbox().Depth()
		return err == nil && perr == nil && n == 0 && p == 0
	})
}

func TestHooksRefuseBadRequests(t *testing.T) {
	r := startAlertRig(t, "", nil)
	good := amPayload("firing", "g", amAlert("firing", "fp1", "web-1"))
	for _, c := range []struct {
		name, path, token string
		body              []byte
		code              int
		want              string
	}{
		{"no token", "/hooks/alertmanager", "", good, 401, `{"error":"missing or wrong bearer token"}`},
		{"wrong token", "/hooks/alertmanager", amToken + "x", good, 401, `{"error":"missing or wrong bearer token"}`},
		{"token of another source", "/hooks/alertmanager", genericToken, good, 401, `{"error":"missing or wrong bearer token"}`},
		{"oversize", "/hooks/alertmanager", amToken, bytes.Repeat([]byte(" "), 1<<20+1), 413, `{"error":"the body is over 1048576 bytes (1 MiB)"}`},
		{"not JSON", "/hooks/alertmanager", amToken, []byte("{"), 400, `{"error":"body is not a JSON object: unexpected EOF","field":"body"}`},
		{"no groupKey", "/hooks/alertmanager", amToken, []byte(`{"version":"4","status":"firing","alerts":[]}`), 400, `{"error":"groupKey is missing","field":"groupKey"}`},
		{"bad status", "/hooks/alertmanager", amToken, []byte(`{"version":"4","groupKey":"g","status":"burning","alerts":[]}`), 400, `{"error":"status must be \"firing\" or \"resolved\", not \"burning\"","field":"status"}`},
		{"labels of the wrong type", "/hooks/alertmanager", amToken, []byte(`{"version":"4","groupKey":"g","status":"firing","alerts":[{"status":"firing","labels":"x"}]}`), 400, `{"error":"alerts.labels must be a JSON object, not string","field":"alerts.labels"}`},
		{"alert without labels", "/hooks/alertmanager", amToken, []byte(`{"version":"4","groupKey":"g","status":"firing","alerts":[{"status":"firing"}]}`), 400, `{"error":"alerts[0].labels is missing","field":"alerts[0].labels"}`},
		{"generic without dedup_key", "/hooks/generic", genericToken, []byte(`{"status":"firing","title":"x"}`), 400, `{"error":"dedup_key is missing","field":"dedup_key"}`},
	} {
		t.Run(c.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodPost, r.base+c.path, bytes.NewReader(c.body))
			if c.token != "" {
				req.Header.Set("Authorization", "Bearer "+c.token)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			raw, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != c.code || strings.TrimSpace(string(raw)) != c.want {
				t.Fatalf("got %d %s\nwant %d %s", resp.StatusCode, raw, c.code, c.want)
			}
		})
	}
	if n := r.openCount(); n != 0 {
		t.Fatalf("refused requests opened %d incidents", n)
	}
	// Without a routes file every firing group declares a sev3 general incident.
	if code, ans := r.post("/hooks/alertmanager", amToken, good); code != 202 || fmt.Sprint(ans["incidents"]) != "[INC-1]" {
		t.Fatalf("good request: %d %v", code, ans)
	}
	if inc := r.incident(1); inc.Severity != incident.Sev3 || inc.Playbook != "general" || len(inc.Pages) != 0 {
		t.Fatalf("default route declared %s %s pages %v", inc.Severity, inc.Playbook, inc.Pages)
	}
}

func TestPagerDutyFailingThreeTimesPagesOnce(t *testing.T) {
	r := startAlertRig(t, testRoutes, func(h *harness) { h.pageTimeout = 300 * time.Millisecond })
	r.pd.Fail(pagerdutyfake.ServerError, 1)
	r.pd.Fail(pagerdutyfake.TooManyRequests, 1)
	r.pd.Fail(pagerdutyfake.TimeoutAfterWrite, 1)
	if code, ans := r.post("/hooks/alertmanager", amToken, amPayload("firing", "g", amAlert("firing", "fp1", "web-1"))); code != 202 {
		t.Fatalf("%d %v", code, ans)
	}
	r.eventually("page delivered", func() bool { return countKind(r.events(1), incident.EvPageSent) == 1 })
	r.waitOutboxEmpty()
	evs := r.events(1)
	if got := [3]int{countKind(evs, incident.EvPageRetry), countKind(evs, incident.EvPageSent), countKind(evs, incident.EvPageFailed)}; got != [3]int{3, 1, 0} {
		t.Fatalf("retries, sent, failed = %v; want [3 1 0]", got)
	}
	alerts := r.pd.Alerts()
	if len(alerts) != 1 || r.pd.Requests() != 4 {
		t.Fatalf("PagerDuty has %d alerts after %d requests; want 1 after 4", len(alerts), r.pd.Requests())
	}
	// The timed-out attempt was processed; the retry joined it.
	if alerts[0].Triggers != 2 {
		t.Fatalf("triggers %d, want 2 (the timed-out one and its retry)", alerts[0].Triggers)
	}
	r.eventually("card shows the page sent", func() bool { return strings.HasSuffix(r.cardAlerts(1), ":pager: pagerduty paged") })
}

func TestSlashPageAndUnknownTarget(t *testing.T) {
	r := startAlertRig(t, testRoutes, nil)
	r.slash(alice, r.announce, "new sev3 Search is slow")
	inc := r.ready(1)
	if len(inc.Pages) != 0 || len(r.pd.Alerts()) != 0 {
		t.Fatalf("a sev3 declaration paged: %v", inc.Pages)
	}
	if got := r.slash(alice, inc.Channel, "page dba"); got != "There is no page target “dba”; the targets are pagerduty." {
		t.Fatalf("unknown target answered %q", got)
	}
	if got := r.slash(alice, inc.Channel, "page pagerduty search is down for everyone"); got != "Paging pagerduty now; the outcome will be on the card and the timeline." {
		t.Fatalf("page answered %q", got)
	}
	r.eventually("page sent", func() bool { return len(r.pd.Alerts()) == 1 && r.incident(1).Pages[0].State == incident.PageSent })
	if s := r.pd.Alerts()[0].Summary; s != "Search is slow — search is down for everyone" {
		t.Fatalf("summary %q", s)
	}
	if got := r.slash(alice, inc.Channel, "page pagerduty"); got != "INC-1 already has a page out to pagerduty." {
		t.Fatalf("second page answered %q", got)
	}
	// A sev1 declared in Slack pages on its own.
	r.slash(alice, r.announce, "new sev1 Payments down")
	r.eventually("sev1 paged", func() bool { return len(r.pd.Alerts()) == 2 })
	if k := r.pd.Alerts()[1].DedupKey; k != "firebreak-INC-2" {
		t.Fatalf("dedup key %q", k)
	}
}

// TestPrivateIncidentPagesWithoutItsTitle: a page travels beyond the
// channel's members, so a private incident's page says only that it is
// private, its number and severity; a public one carries the title.
func TestPrivateIncidentPagesWithoutItsTitle(t *testing.T) {
	routes := "routes:\n  - match:\n      team: security\n    action: declare\n    severity: sev1\n    private: true\n  - action: declare\n    severity: sev1\n"
	r := startAlertRig(t, routes, nil)
	secret := map[string]any{
		"status": "firing", "labels": map[string]string{"alertname": "Exfil", "team": "security"},
		"annotations": map[string]string{"summary": "Customer table read by an unknown key"},
		"startsAt":    "2026-03-06T15:58:00Z", "endsAt": "0001-01-01T00:00:00Z", "fingerprint": "s1",
	}
	if code, ans := r.post("/hooks/alertmanager", amToken, amPayload("firing", "sec", secret)); code != http.StatusAccepted {
		t.Fatalf("private alert: %d %v", code, ans)
	}
	if code, ans := r.post("/hooks/alertmanager", amToken, amPayload("firing", "pub", amAlert("firing", "fp1", "web-1"))); code != http.StatusAccepted {
		t.Fatalf("public alert: %d %v", code, ans)
	}
	if !r.incident(1).Private || r.incident(2).Private {
		t.Fatalf("privacy: INC-1 %v, INC-2 %v", r.incident(1).Private, r.incident(2).Private)
	}
	r.eventually("both paged", func() bool { return len(r.pd.Alerts()) == 2 })
	got := map[string]string{}
	for _, a := range r.pd.Alerts() {
		got[a.DedupKey] = a.Summary
	}
	want := map[string]string{
		"firebreak-INC-1": "Private incident (SEV1): details in its Slack channel",
		"firebreak-INC-2": "Checkout error rate above 5%",
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("PagerDuty summaries %v, want %v", got, want)
	}
}

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
	ws.withRoutes(t, `routes:
  - name: db-oncall
    match: {service: postgres}
    action: declare
    severity: sev3
    page: {opsgenie: database}
`)
	ws.env["FIREBREAK_HOOK_TOKENS"] = "generic=" + genericToken
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
	want := ":warning: The page to *pagerduty* could not be delivered: PagerDuty refused it (HTTP 400), saying “Event object is invalid: Invalid routing key”. Page someone another way, or try `/incident page pagerduty` again."
	if got := r.lastMessage(inc.Channel, "could not be delivered"); got != want {
		t.Fatalf("channel says %q\nwant %q", got, want)
	}
	r.eventually("card says failed", func() bool { return strings.HasSuffix(r.cardAlerts(1), ":warning: pagerduty failed") })
	// Paging again is allowed after a failure.
	if got := r.slash(bob, inc.Channel, "page pagerduty"); got != "Paging pagerduty now; the outcome will be on the card and the timeline." {
		t.Fatalf("page again answered %q", got)
	}
}

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
	ws.withRoutes(t, "routes:\n  - match: {team: web}\n    action: notify\n    channel: "+ws.announce+"\n")
	ws.env["FIREBREAK_HOOK_TOKENS"] = "alertmanager=" + amToken
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

func percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[min(len(s)-1, int(float64(len(s))*p))]
}

// deliver posts one Alertmanager delivery and stores how long the hook
// took to answer in lat; false unless it answered 202.
func (r *alertRig) deliver(client *http.Client, body []byte, lat *time.Duration) bool {
	req, _ := http.NewRequest(http.MethodPost, r.base+"/hooks/alertmanager", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+amToken)
	t0 := time.Now()
	resp, err := client.Do(req)
	*lat = time.Since(t0)
	if err != nil {
		return false
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode == http.StatusAccepted
}

// fire posts bodies to the Alertmanager hook from workers goroutines and
// returns each request's latency; every answer must be 202.
func (r *alertRig) fire(t *testing.T, workers int, bodies [][]byte) ([]time.Duration, time.Duration) {
	t.Helper()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: workers}}
	lat := make([]time.Duration, len(bodies))
	var next, bad atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= len(bodies) {
					return
				}
				if !r.deliver(client, bodies[i], &lat[i]) {
					bad.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	if n := bad.Load(); n != 0 {
		t.Fatalf("%d of %d hook requests were not accepted", n, len(bodies))
	}
	return lat, time.Since(start)
}

// TestAlertStorm sends 10,000 alerts of one firing group from 16
// concurrent senders, once one alert per request (the worst case) and
// once as Alertmanager delivers a group, many alerts per request: exactly
// one incident, every alert on its timeline once, the card counting them
// all, at most 10 Slack messages. Rates and latencies are logged for
// BENCHMARKS.md, not asserted.
func TestAlertStorm(t *testing.T) {
	if testing.Short() {
		t.Skip("load test")
	}
	const n = 10000
	for _, perRequest := range []int{1, 50} {
		t.Run(fmt.Sprintf("%d per request", perRequest), func(t *testing.T) {
			r := startAlertRig(t, "", nil)
			r.lenient("load: thousands of alerts, the test counts incidents, not messages")
			var bodies [][]byte
			for i := 0; i < n; i += perRequest {
				var alerts []map[string]any
				for j := i; j < i+perRequest; j++ {
					alerts = append(alerts, amAlert("firing", fmt.Sprintf("fp%05d", j), fmt.Sprintf("web-%d", j)))
				}
				bodies = append(bodies, amPayload("firing", "storm", alerts...))
			}
			lat, took := r.fire(t, 16, bodies)
			t.Logf("storm, %d per request: %d alerts in %s = %.0f alerts/s accepted; hook latency p50 %s p99 %s max %s",
				perRequest, n, took.Round(time.Millisecond), float64(n)/took.Seconds(), percentile(lat, .5), percentile(lat, .99), percentile(lat, 1))
			if c := r.openCount(); c != 1 {
				t.Fatalf("%d incidents, want 1", c)
			}
			if c := countKind(r.events(1), incident.EvAlert); c != n {
				t.Fatalf("%d alert events, want %d", c, n)
			}
			// Redelivering part of the storm records nothing new.
			r.fire(t, 16, bodies[:len(bodies)/10])
			r.waitOutboxEmpty()
			if c := countKind(r.events(1), incident.EvAlert); c != n {
				t.Fatalf("after redelivery %d alert events, want %d", c, n)
			}
			inc := r.ready(1)
			r.eventually("card counts every alert", func() bool { return r.cardAlerts(1) == fmt.Sprintf("*Alerts:* %d from Alertmanager", n) })
			posts := r.slack.Calls("chat.postMessage")
			t.Logf("storm, %d per request: %d chat.postMessage, %d chat.update calls", perRequest, len(posts), len(r.slack.Calls("chat.update")))
			if len(posts) > 10 {
				for _, m := range r.slack.Messages(inc.Channel) {
					t.Log(m.Text)
				}
				t.Fatalf("%d Slack messages for one storm, want at most 10", len(posts))
			}
		})
	}
}

// TestSev1PageLatency declares 200 sev1 incidents from alerts of
// different groups and measures, at PagerDuty, how long after the hook's
// 202 each page arrived. Logged for BENCHMARKS.md.
func TestSev1PageLatency(t *testing.T) {
	if testing.Short() {
		t.Skip("load test")
	}
	const n = 200
	r := startAlertRig(t, testRoutes, nil)
	r.lenient("load: measures page latency under a stream of alerts")
	accepted := make([]time.Time, n+1)
	for i := 1; i <= n; i++ {
		code, ans := r.post("/hooks/alertmanager", amToken, amPayload("firing", fmt.Sprintf("group-%d", i), amAlert("firing", "fp", "web-1")))
		accepted[i] = time.Now()
		if code != http.StatusAccepted || fmt.Sprint(ans["incidents"]) != fmt.Sprintf("[INC-%d]", i) {
			t.Fatalf("alert %d: %d %v", i, code, ans)
		}
	}
	r.eventually("every sev1 paged", func() bool { return len(r.pd.Alerts()) == n })
	var lat []time.Duration
	seen := map[string]bool{}
	for _, a := range r.pd.Alerts() {
		var k int
		if _, err := fmt.Sscanf(a.DedupKey, "firebreak-INC-%d", &k); err != nil || seen[a.DedupKey] {
			t.Fatalf("unexpected or repeated page %q", a.DedupKey)
		}
		seen[a.DedupKey] = true
		lat = append(lat, max(0, a.Opened.Sub(accepted[k])))
	}
	t.Logf("sev1 page latency after the 202: p50 %s p99 %s max %s", percentile(lat, .5), percentile(lat, .99), percentile(lat, 1))
}

// TestHookLatencyAt1000PerSecond offers 5,000 single-alert deliveries at a
// steady 1,000 per second (open loop: a slow answer does not slow the
// sender), to one firing group and to 50, and logs the hook's latency
// percentiles, the commit included, for BENCHMARKS.md.
func TestHookLatencyAt1000PerSecond(t *testing.T) {
	if testing.Short() {
		t.Skip("load test")
	}
	for _, groups := range []int{1, 50} {
		t.Run(fmt.Sprintf("%d groups", groups), func(t *testing.T) { hookLatencyAt1000(t, groups) })
	}
}

func hookLatencyAt1000(t *testing.T, groups int) {
	const n, rate = 5000, 1000
	r := startAlertRig(t, "", nil)
	r.lenient("load: measures hook latency at 1000 requests a second")
	bodies := make([][]byte, n)
	for i := range bodies {
		bodies[i] = amPayload("firing", fmt.Sprintf("g%d", i%groups), amAlert("firing", fmt.Sprintf("fp%05d", i), "web"))
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256}}
	lat := make([]time.Duration, n)
	var bad atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for i := range bodies {
		if d := time.Until(start.Add(time.Duration(i) * time.Second / rate)); d > 0 {
			time.Sleep(d) // pacing the sender, not waiting for an outcome
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if !r.deliver(client, bodies[i], &lat[i]) {
				bad.Add(1)
			}
		}()
	}
	wg.Wait()
	took := time.Since(start)
	if b := bad.Load(); b != 0 {
		t.Fatalf("%d requests not accepted", b)
	}
	t.Logf("paced, %d groups: %d alerts offered at %d/s, all accepted in %s (%.0f/s); hook latency p50 %s p90 %s p99 %s max %s",
		groups, n, rate, took.Round(time.Millisecond), float64(n)/took.Seconds(), percentile(lat, .5), percentile(lat, .9), percentile(lat, .99), percentile(lat, 1))
	var perSecond []string
	for s := 0; s < n; s += rate {
		perSecond = append(perSecond, percentile(lat[s:min(s+rate, n)], .99).Round(100*time.Microsecond).String())
	}
	t.Logf("paced, %d groups: p99 of each second's alerts: %s", groups, strings.Join(perSecond, " "))
	if c := r.openCount(); c != groups {
		t.Fatalf("%d incidents for %d groups", c, groups)
	}
}
