package slackfake

import (
	"encoding/json"
	"net/url"
	"strings"
)

// The probes of the App Home and shortcut rows of Reference.
func init() {
	probes["home_view_size"] = func(e refEnv, r Rule) {
		home := func(blocks, size int) map[string]any {
			return e.publish(Alice, map[string]any{"type": "home", "blocks": times(blocks, func(int) any { return mdSection(xs(size)) })}, "")
		}
		e.within(r, home(95, 2500)) // about 243 kB
		out := home(100, 2600)      // about 266 kB: every block is within its own limits
		if out["ok"] != false || out["error"] != r.Code {
			e.t.Fatalf("%s: a view beyond 250 kB got %v", r.ID, out)
		}
		// The 100 blocks of any view hold for a Home view too.
		out = home(101, 10)
		if out["ok"] != false || out["error"] != "invalid_arguments" {
			e.t.Fatalf("%s: 101 blocks got %v", r.ID, out)
		}
	}
	probes["home_tab_disabled"] = func(e refEnv, r Rule) {
		v := map[string]any{"type": "home", "blocks": []any{mdSection("hi")}}
		e.within(r, e.publish(Alice, v, ""))
		e.f.SetHomeTab(false)
		defer e.f.SetHomeTab(true)
		e.beyond(r, e.publish(Alice, v, ""), r.Code)
	}
	probes["home_hash"] = func(e refEnv, r Rule) {
		v := map[string]any{"type": "home", "blocks": []any{mdSection("hi")}}
		out := e.publish(Alice, v, "")
		e.within(r, out)
		hash, _ := out["view"].(map[string]any)["hash"].(string)
		e.beyond(r, e.publish(Alice, v, "1.stale"), r.Code)
		e.within(r, e.publish(Alice, v, hash))
		if n := e.f.Publishes(Alice); n != 2 {
			e.t.Fatalf("%s: %d publishes counted, want 2", r.ID, n)
		}
	}
	probes["home_opened"] = func(e refEnv, r Rule) {
		if err := e.f.OpenHome(Alice); err != nil {
			e.t.Fatal(err)
		}
		e.within(r, e.publish(Alice, map[string]any{"type": "home", "blocks": []any{mdSection("hi")}}, ""))
		if err := e.f.OpenHome(Alice); err != nil {
			e.t.Fatal(err)
		}
		var evs []map[string]any
		for _, env := range e.f.Envelopes() {
			var p struct {
				Event map[string]any `json:"event"`
			}
			_ = json.Unmarshal(env.Payload, &p)
			if p.Event["type"] == "app_home_opened" {
				evs = append(evs, p.Event)
			}
		}
		if len(evs) != 2 || evs[0]["tab"] != "home" || evs[0]["user"] != Alice || !strings.HasPrefix(evs[0]["channel"].(string), "D") {
			e.t.Fatalf("%s: events %v", r.ID, evs)
		}
		if _, has := evs[0]["view"]; has {
			e.t.Fatalf("%s: the first opening carried a view: %v", r.ID, evs[0])
		}
		if v, _ := evs[1]["view"].(map[string]any); v == nil || v["type"] != "home" {
			e.t.Fatalf("%s: the second opening carried no Home view: %v", r.ID, evs[1])
		}
	}
	probes["message_shortcuts"] = func(e refEnv, r Rule) {
		f := newFake(e.t, WithManifest([]byte("features:\n  shortcuts:\n    - {name: Declare incident, type: message, callback_id: declare, description: d}\n")))
		ts, err := f.PostAsUser(Alice, GeneralChannelID, "checkout is down")
		if err != nil {
			e.t.Fatal(err)
		}
		if _, err := f.SendMessageShortcut(Alice, GeneralChannelID, ts, "declare"); err != nil {
			e.t.Fatalf("%s: a declared shortcut was refused: %v", r.ID, err)
		}
		if _, err := f.SendMessageShortcut(Alice, GeneralChannelID, ts, "other"); err == nil {
			e.t.Fatalf("%s: a shortcut the manifest does not declare was delivered", r.ID)
		}
	}
	probes["message_action_payload"] = func(e refEnv, r Rule) {
		ts, err := e.f.PostAsUser(Alice, GeneralChannelID, "checkout is *down*")
		if err != nil {
			e.t.Fatal(err)
		}
		id, err := e.f.SendMessageShortcut(Bob, GeneralChannelID, ts, "declare")
		if err != nil {
			e.t.Fatal(err)
		}
		for _, env := range e.f.Envelopes() {
			if env.ID != id {
				continue
			}
			var p map[string]any
			_ = json.Unmarshal(env.Payload, &p)
			msg, _ := p["message"].(map[string]any)
			ch, _ := p["channel"].(map[string]any)
			if env.Type != EnvelopeInteractive || p["type"] != "message_action" || p["callback_id"] != "declare" ||
				p["trigger_id"] == "" || p["response_url"] == "" || p["message_ts"] != ts || ch["id"] != GeneralChannelID ||
				msg["text"] != "checkout is *down*" || msg["user"] != Alice {
				e.t.Fatalf("%s: payload %v", r.ID, p)
			}
			return
		}
		e.t.Fatalf("%s: no envelope", r.ID)
	}
}

// publish calls views.publish for user with view (and hash, when given).
func (e refEnv) publish(user string, view map[string]any, hash string) map[string]any {
	b, _ := json.Marshal(view)
	form := url.Values{"user_id": {user}, "view": {string(b)}}
	if hash != "" {
		form.Set("hash", hash)
	}
	return e.call("views.publish", form)
}
