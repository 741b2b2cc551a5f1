package slackfake

import (
	"encoding/json"
	"net/url"
	"reflect"
	"testing"
)

// TestDecodeArgsFormAndJSON: the same arguments decode alike whether a client sent them
// form-encoded (blocks as a JSON string) or as a JSON body (blocks nested); an optional
// argument is nil only when it is absent.
func TestDecodeArgsFormAndJSON(t *testing.T) {
	type args struct {
		Channel string           `form:"channel"`
		Force   bool             `form:"force"`
		Users   []string         `form:"users"`
		Blocks  json.RawMessage  `form:"blocks"`
		Text    *string          `form:"text"`
		Missing *json.RawMessage `form:"missing"`
		Page    page
	}
	form := params{form: url.Values{"channel": {"C1"}, "force": {"true"}, "users": {"U1, U2"},
		"blocks": {`[{"type":"divider"}]`}, "text": {""}, "limit": {"5"}, "cursor": {"off:5"}}}
	var js params
	if err := json.Unmarshal([]byte(`{"channel":"C1","force":true,"users":"U1, U2",
		"blocks":[{"type":"divider"}],"text":"","limit":5,"cursor":"off:5"}`), &js.js); err != nil {
		t.Fatal(err)
	}
	var fromForm, fromJSON args
	decodeArgs(form, reflect.ValueOf(&fromForm).Elem())
	decodeArgs(js, reflect.ValueOf(&fromJSON).Elem())
	for name, got := range map[string]args{"form": fromForm, "json": fromJSON} {
		if got.Channel != "C1" || !got.Force || len(got.Users) != 2 || got.Users[1] != "U2" ||
			got.Text == nil || *got.Text != "" || got.Missing != nil || got.Page != (page{Limit: 5, Cursor: "off:5"}) {
			t.Errorf("%s: %+v", name, got)
		}
		var blocks []map[string]any
		if err := json.Unmarshal(got.Blocks, &blocks); err != nil || len(blocks) != 1 {
			t.Errorf("%s: blocks %s (%v)", name, got.Blocks, err)
		}
	}
}

// TestEncodeOK: a body gains "ok": true; an empty one is just that.
func TestEncodeOK(t *testing.T) {
	for body, want := range map[any]string{
		&empty{}:                                `{"ok":true}`,
		&deleteResult{Channel: "C1", TS: "1.2"}: `{"ok":true,"channel":"C1","ts":"1.2"}`,
	} {
		got, err := encodeOK(body)
		if err != nil || string(got) != want {
			t.Errorf("encodeOK(%#v) = %s, %v; want %s", body, got, err, want)
		}
	}
}
