package incident_test

import (
	"encoding/json"
	"reflect"
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
