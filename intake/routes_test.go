package intake

import (
	"testing"

	"github.com/firebreak-hq/firebreak/incident"
)

func TestRoutesMatchInOrder(t *testing.T) {
	rs, err := ParseRoutes("r.yaml", []byte(`routes:
  - name: db
    match: {service: postgres, alertname: /Postgres.*/}
    action: declare
    severity: sev1
    page: {pagerduty: key}
  - match: {severity: /info|none/}
    action: ignore
  - match: {team: web}
    action: notify
    channel: C0123456789
  - match: {team: api}
    action: attach
  - action: declare
    page: [db, pagerduty]
`), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name   string
		labels map[string]string
		want   Action
		line   int
	}{
		{"exact and regex", map[string]string{"service": "postgres", "alertname": "PostgresDown"}, ActDeclare, 2},
		{"regex is anchored", map[string]string{"service": "postgres", "alertname": "NotPostgresDown"}, ActDeclare, 14},
		{"regex alternatives", map[string]string{"severity": "none"}, ActIgnore, 7},
		{"a missing label never equals", map[string]string{"severity": "informational"}, ActDeclare, 14},
		{"notify", map[string]string{"team": "web"}, ActNotify, 9},
		{"attach", map[string]string{"team": "api", "severity": "critical"}, ActAttach, 12},
		{"catch-all", map[string]string{}, ActDeclare, 14},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := rs.Match(c.labels)
			if r == nil || r.Action != c.want || r.Line != c.line {
				t.Fatalf("got %+v, want %s at line %d", r, c.want, c.line)
			}
		})
	}
	if pr := rs.PageRoutes(); len(pr) != 1 || pr[0].Name != "db" || pr[0].PagerDutyKey != "key" {
		t.Fatalf("page routes %+v", pr)
	}
	if r := rs.Routes[4]; len(r.PageTargets) != 2 || r.Playbook != "general" {
		t.Fatalf("catch-all %+v", r)
	}
}

func TestParseAlertmanagerAndDedupeKeys(t *testing.T) {
	body := []byte(`{"version":"4","groupKey":"{}:{alertname=\"X\"}","status":"resolved","commonLabels":{"alertname":"X"},
	"alerts":[{"status":"resolved","labels":{"alertname":"X","job":"api"},"annotations":{},"startsAt":"2026-03-06T15:58:00Z","endsAt":"2026-03-06T16:00:00Z","fingerprint":"f1"}]}`)
	d, err := Parse(SourceAlertmanager, body)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Alerts) != 2 || !d.Alerts[1].GroupResolved || d.Alerts[0].Title != "X on api" || d.Alerts[0].Status != incident.AlertResolved {
		t.Fatalf("parsed %+v", d.Alerts)
	}
	again, _ := Parse(SourceAlertmanager, body)
	if again.Keys[0] != d.Keys[0] || again.Keys[1] != d.Keys[1] || d.Keys[0] == d.Keys[1] {
		t.Fatalf("keys %v vs %v", d.Keys, again.Keys)
	}
	if _, err := Parse(SourceAlertmanager, []byte(`{"version":"3","groupKey":"g","status":"firing","alerts":[]}`)); err == nil || err.(*FieldError).Field != "version" {
		t.Fatalf("version 3 accepted: %v", err)
	}
	g, err := Parse(SourceGeneric, []byte(`{"dedup_key":"disk-full","status":"firing","title":"Disk full","severity":"2"}`))
	if err != nil || g.Alerts[0].Labels["severity"] != "sev2" {
		t.Fatalf("generic: %+v %v", g, err)
	}
}
