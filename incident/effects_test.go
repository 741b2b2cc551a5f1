package incident_test

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/firebreak-hq/firebreak/incident"
)

// Outbox rows written before effect payloads were typed hold their
// particulars as an object of strings; they must read the same, and rows
// written now must keep that form, so that a downgrade reads them too.
func TestEffectFieldsKeepTheStoredForm(t *testing.T) {
	rows := []struct {
		stored string
		want   incident.Effect
	}{
		{`{"kind":"channel.post","msg":"approval_requested","text":"Repair data","fields":{"by":"UDAVE","request":"3","step":"repair","what":"psql -f fix.sql","where":"orders-db"}}`,
			incident.Effect{Kind: incident.EffPost, Msg: incident.MsgApprovalAsked, Text: "Repair data",
				Fields: incident.EffectFields{By: "UDAVE", Request: 3, Step: "repair", What: "psql -f fix.sql", Where: "orders-db"}}},
		{`{"kind":"dm","msg":"reminder","user":"ULEAD","fields":{"due":"2026-03-02T09:32:00Z","followups":"2","reminder":"followup"}}`,
			incident.Effect{Kind: incident.EffDM, Msg: incident.MsgReminder, User: "ULEAD",
				Fields: incident.EffectFields{Reminder: incident.ReminderFollowup, Due: time.Date(2026, 3, 2, 9, 32, 0, 0, time.UTC), Followups: 2}}},
		{`{"kind":"channel.post","msg":"text","text":"no token","fields":{"postmortem_failed":"true"}}`,
			incident.Effect{Kind: incident.EffPost, Msg: incident.MsgText, Text: "no token", Fields: incident.EffectFields{PostmortemFailed: true}}},
		{`{"kind":"announce","msg":"severity_changed","fields":{"by":"UALICE","from":"sev2","to":"sev1"}}`,
			incident.Effect{Kind: incident.EffAnnounce, Msg: incident.MsgSeverityChanged, Fields: incident.EffectFields{By: "UALICE", From: "sev2", To: "sev1"}}},
		{`{"kind":"pin.fetch","fields":{"ts":"1700000000.000100"}}`,
			incident.Effect{Kind: incident.EffFetchPinned, Fields: incident.EffectFields{TS: "1700000000.000100"}}},
		{`{"kind":"card.update"}`, incident.Effect{Kind: incident.EffUpdateCard}},
	}
	for _, r := range rows {
		var got incident.Effect
		if err := json.Unmarshal([]byte(r.stored), &got); err != nil {
			t.Fatalf("%s: %v", r.stored, err)
		}
		if !reflect.DeepEqual(got, r.want) {
			t.Errorf("%s read as %+v, want %+v", r.stored, got, r.want)
		}
		again, err := json.Marshal(r.want)
		if err != nil {
			t.Fatal(err)
		}
		var gotForm, wantForm map[string]any
		if err := json.Unmarshal(again, &gotForm); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal([]byte(r.stored), &wantForm); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(gotForm, wantForm) {
			t.Errorf("written as %s, want the form %s", again, r.stored)
		}
	}
}

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
