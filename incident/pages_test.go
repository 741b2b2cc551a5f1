package incident_test

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/firebreak-hq/firebreak/incident"
)

// TestPageReportStored: a page's outcome is recorded as a typed report on
// its event, the page and the message that it failed; the pager's words
// are clipped to one line; the message keeps the stored form of effect
// fields (an object of strings) and reads back the same.
func TestPageReportStored(t *testing.T) {
	t0 := time.Date(2026, 3, 6, 16, 0, 0, 0, time.UTC)
	inc := incident.Incident{Number: 1, Status: incident.StatusActive, Pages: []incident.Page{{Target: "pagerduty", State: incident.PagePending, At: t0}}}
	long := "Event object is invalid:\n" + strings.Repeat("x", 400)
	o := incident.PageOutcome{Target: "pagerduty", Attempt: 1, Report: incident.PageReport{Failures: []incident.PageFailure{
		{Provider: "PagerDuty", Kind: incident.PageRefused, Status: 400, Message: long}}}}
	res := incident.RecordPage(inc, o, t0)
	want := incident.PageReport{Failures: []incident.PageFailure{{Provider: "PagerDuty", Kind: incident.PageRefused, Status: 400,
		Message: "Event object is invalid: " + strings.Repeat("x", 275) + "…"}}}

	if len(res.Events) != 1 || res.Events[0].Kind != incident.EvPageFailed || res.Events[0].Text != "" {
		t.Fatalf("events %+v", res.Events)
	}
	if got, ok := incident.PageReportOf(res.Events[0]); !ok || !reflect.DeepEqual(got, want) {
		t.Errorf("event report %+v, want %+v", got, want)
	}
	if p := res.Incident.Pages[0]; p.State != incident.PageFailed || p.Report == nil || !reflect.DeepEqual(*p.Report, want) {
		t.Errorf("page %+v", p)
	}
	var failed *incident.Effect
	for i, e := range res.Effects {
		if e.Msg == incident.MsgPageFailed {
			failed = &res.Effects[i]
		}
	}
	if failed == nil || failed.Fields.Target != "pagerduty" || failed.Fields.Page == nil || !reflect.DeepEqual(*failed.Fields.Page, want) {
		t.Fatalf("effects %+v", res.Effects)
	}
	b, err := json.Marshal(failed)
	if err != nil {
		t.Fatal(err)
	}
	var form struct {
		Fields map[string]string `json:"fields"`
	}
	if err := json.Unmarshal(b, &form); err != nil {
		t.Fatalf("fields are not an object of strings: %s", b)
	}
	var back incident.Effect
	if err := json.Unmarshal(b, &back); err != nil || !reflect.DeepEqual(back, *failed) {
		t.Errorf("read back as %+v (%v), want %+v", back, err, *failed)
	}
}

// TestPageRecordedBeforeReports: events, pages and messages stored before
// reports were typed read as they were: the answer is the worded text
// they carry.
func TestPageRecordedBeforeReports(t *testing.T) {
	var e incident.Event
	if err := json.Unmarshal([]byte(`{"seq":9,"kind":"page_sent","text":"PagerDuty accepted it","fields":{"attempt":"1","target":"pagerduty"}}`), &e); err != nil {
		t.Fatal(err)
	}
	if r, ok := incident.PageReportOf(e); ok {
		t.Errorf("an event without a report read as %+v", r)
	}
	var p incident.Page
	if err := json.Unmarshal([]byte(`{"target":"pagerduty","state":"failed","by":"","at":"2026-03-06T16:00:00Z","detail":"PagerDuty answered 400: bad","attempts":1}`), &p); err != nil {
		t.Fatal(err)
	}
	if p.Report != nil || p.Detail != "PagerDuty answered 400: bad" {
		t.Errorf("page %+v", p)
	}
	var eff incident.Effect
	if err := json.Unmarshal([]byte(`{"kind":"channel.post","msg":"page_failed","text":"PagerDuty answered 400: bad","fields":{"target":"pagerduty"}}`), &eff); err != nil {
		t.Fatal(err)
	}
	if eff.Fields.Page != nil || eff.Text != "PagerDuty answered 400: bad" {
		t.Errorf("effect %+v", eff)
	}
}
