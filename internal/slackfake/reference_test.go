package slackfake

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// refEnv is what a rule's probe works with: a fake with a channel the bot is in.
type refEnv struct {
	t  *testing.T
	f  *Server
	ch string
}

func (e refEnv) call(method string, form url.Values) map[string]any {
	e.t.Helper()
	if form.Get("token") == "" {
		form.Set("token", e.f.BotToken())
	}
	_, out := rawCall(e.t, e.f, method, form)
	return out
}

func (e refEnv) postBlocks(blocks ...any) map[string]any {
	b, _ := json.Marshal(blocks)
	return e.call("chat.postMessage", url.Values{"channel": {e.ch}, "text": {"fallback"}, "blocks": {string(b)}})
}

func (e refEnv) openView(v map[string]any) map[string]any {
	trig, _ := slashTrigger(e.t, e.f, Alice)
	b, _ := json.Marshal(v)
	return e.call("views.open", url.Values{"trigger_id": {trig}, "view": {string(b)}})
}

// within and beyond check that the last request was accepted, or refused by rule r with
// its error code (and, for Block Kit rules, recorded under its id).
func (e refEnv) within(r Rule, out map[string]any) {
	e.t.Helper()
	if out["ok"] != true {
		e.t.Fatalf("%s: a request at the limit was refused: %v", r.ID, out)
	}
}

func (e refEnv) beyond(r Rule, out map[string]any, code string) {
	e.t.Helper()
	if out["ok"] != false || out["error"] != code {
		e.t.Fatalf("%s: a request beyond the limit got %v, want error %q", r.ID, out, code)
	}
	if code == "invalid_blocks" || code == "invalid_arguments" {
		errs := e.f.BlockErrors()
		if len(errs) == 0 || errs[len(errs)-1].Limit != r.ID {
			e.t.Fatalf("%s: recorded block errors %+v", r.ID, errs)
		}
	}
}

func pt(s string) map[string]any { return map[string]any{"type": "plain_text", "text": s} }
func mdSection(s string) map[string]any {
	return map[string]any{"type": "section", "text": map[string]any{"type": "mrkdwn", "text": s}}
}
func xs(n int) string { return strings.Repeat("x", n) }
func times(n int, f func(i int) any) []any {
	out := make([]any, n)
	for i := range out {
		out[i] = f(i)
	}
	return out
}
func btn(id, text, value string) map[string]any {
	return map[string]any{"type": "button", "action_id": id, "text": pt(text), "value": value}
}
func sel(opts ...any) map[string]any {
	return map[string]any{"type": "static_select", "action_id": "s", "options": opts}
}
func option(text, value string) any { return map[string]any{"text": pt(text), "value": value} }
func modal(mod func(m map[string]any)) map[string]any {
	m := map[string]any{"type": "modal", "title": pt("ok"), "blocks": []any{mdSection("x")}}
	mod(m)
	return m
}
func textInput(mod func(el map[string]any)) map[string]any {
	el := map[string]any{"type": "plain_text_input", "action_id": "v"}
	mod(el)
	return map[string]any{"type": "input", "block_id": "b", "label": pt("Title"), "element": el}
}

// messageLimit probes a message rule at n (accepted) and n+1 (refused).
func messageLimit(build func(n int) []any) func(e refEnv, r Rule) {
	return func(e refEnv, r Rule) {
		e.within(r, e.postBlocks(build(r.Max)...))
		e.beyond(r, e.postBlocks(build(r.Max+1)...), "invalid_blocks")
	}
}

// viewLimit probes a view rule at n (accepted) and n+1 (refused).
// textInputBounds probes a plain_text_input setting that must lie between the rule's Min
// and Max.
func textInputBounds(key string) func(e refEnv, r Rule) {
	return func(e refEnv, r Rule) {
		with := func(v int) map[string]any {
			return modal(func(m map[string]any) {
				m["blocks"] = []any{textInput(func(el map[string]any) { el[key] = v })}
			})
		}
		e.within(r, e.openView(with(r.Min)))
		e.within(r, e.openView(with(r.Max)))
		e.beyond(r, e.openView(with(r.Max+1)), "invalid_arguments")
		e.beyond(r, e.openView(with(r.Min-1)), "invalid_arguments")
	}
}

func viewLimit(build func(n int) map[string]any) func(e refEnv, r Rule) {
	return func(e refEnv, r Rule) {
		e.within(r, e.openView(build(r.Max)))
		e.beyond(r, e.openView(build(r.Max+1)), "invalid_arguments")
	}
}

// probes holds, for every row of Reference, a request that keeps the rule and one that
// breaks it (or, for behaviours, a check of what Slack does).
var probes = map[string]func(e refEnv, r Rule){
	"modal_title_length":  viewLimit(func(n int) map[string]any { return modal(func(m map[string]any) { m["title"] = pt(xs(n)) }) }),
	"modal_submit_length": viewLimit(func(n int) map[string]any { return modal(func(m map[string]any) { m["submit"] = pt(xs(n)) }) }),
	"modal_close_length":  viewLimit(func(n int) map[string]any { return modal(func(m map[string]any) { m["close"] = pt(xs(n)) }) }),
	"blocks_per_modal": viewLimit(func(n int) map[string]any {
		return modal(func(m map[string]any) { m["blocks"] = times(n, func(int) any { return mdSection("x") }) })
	}),
	"private_metadata_length": viewLimit(func(n int) map[string]any {
		return modal(func(m map[string]any) { m["private_metadata"] = xs(n) })
	}),
	"callback_id_length": viewLimit(func(n int) map[string]any { return modal(func(m map[string]any) { m["callback_id"] = xs(n) }) }),
	"input_label_length": viewLimit(func(n int) map[string]any {
		return modal(func(m map[string]any) {
			in := textInput(func(map[string]any) {})
			in["label"] = pt(xs(n))
			m["blocks"] = []any{in}
		})
	}),
	"placeholder_length": viewLimit(func(n int) map[string]any {
		return modal(func(m map[string]any) {
			m["blocks"] = []any{textInput(func(el map[string]any) { el["placeholder"] = pt(xs(n)) })}
		})
	}),
	"text_input_max_length": textInputBounds("max_length"),
	"text_input_min_length": textInputBounds("min_length"),
	"select_options": messageLimit(func(n int) []any {
		return []any{map[string]any{"type": "actions", "elements": []any{sel(times(n, func(i int) any { return option("o", fmt.Sprint(i)) })...)}}}
	}),
	"option_text_length": messageLimit(func(n int) []any {
		return []any{map[string]any{"type": "actions", "elements": []any{sel(option(xs(n), "v"))}}}
	}),
	"option_value_length": messageLimit(func(n int) []any {
		return []any{map[string]any{"type": "actions", "elements": []any{sel(option("o", xs(n)))}}}
	}),
	"blocks_per_message": messageLimit(func(n int) []any { return times(n, func(int) any { return mdSection("x") }) }),
	"text_length":        messageLimit(func(n int) []any { return []any{mdSection(xs(n))} }),
	"section_fields": messageLimit(func(n int) []any {
		return []any{map[string]any{"type": "section", "fields": times(n, func(int) any { return pt("f") })}}
	}),
	"field_text_length": messageLimit(func(n int) []any {
		return []any{map[string]any{"type": "section", "fields": []any{pt(xs(n))}}}
	}),
	"header_length": messageLimit(func(n int) []any { return []any{map[string]any{"type": "header", "text": pt(xs(n))}} }),
	"context_elements": messageLimit(func(n int) []any {
		return []any{map[string]any{"type": "context", "elements": times(n, func(int) any { return pt("c") })}}
	}),
	"actions_elements": messageLimit(func(n int) []any {
		return []any{map[string]any{"type": "actions", "elements": times(n, func(i int) any { return btn(fmt.Sprint(i), "ok", "v") })}}
	}),
	"block_id_length": messageLimit(func(n int) []any { return []any{map[string]any{"type": "divider", "block_id": xs(n)}} }),
	"block_id_unique": func(e refEnv, r Rule) {
		e.within(r, e.postBlocks(map[string]any{"type": "divider", "block_id": "a"}, map[string]any{"type": "divider", "block_id": "b"}))
		e.beyond(r, e.postBlocks(map[string]any{"type": "divider", "block_id": "a"}, map[string]any{"type": "divider", "block_id": "a"}), r.Code)
	},
	"action_id_length": messageLimit(func(n int) []any {
		return []any{map[string]any{"type": "actions", "elements": []any{btn(xs(n), "ok", "v")}}}
	}),
	"action_id_unique": func(e refEnv, r Rule) {
		e.within(r, e.postBlocks(map[string]any{"type": "actions", "elements": []any{btn("a", "ok", "v"), btn("b", "ok", "v")}}))
		e.beyond(r, e.postBlocks(map[string]any{"type": "actions", "elements": []any{btn("a", "ok", "v"), btn("a", "ok", "v")}}), r.Code)
	},
	"button_text_length": messageLimit(func(n int) []any {
		return []any{map[string]any{"type": "actions", "elements": []any{btn("a", xs(n), "v")}}}
	}),
	"button_value_length": messageLimit(func(n int) []any {
		return []any{map[string]any{"type": "actions", "elements": []any{btn("a", "ok", xs(n))}}}
	}),
	"message_text_length": func(e refEnv, r Rule) {
		out := e.call("chat.postMessage", url.Values{"channel": {e.ch}, "text": {"short"}})
		ts, _ := out["ts"].(string)
		e.within(r, e.call("chat.update", url.Values{"channel": {e.ch}, "ts": {ts}, "text": {xs(r.Max)}}))
		e.beyond(r, e.call("chat.update", url.Values{"channel": {e.ch}, "ts": {ts}, "text": {xs(r.Max + 1)}}), r.Code)
	},
	"invite_users_per_call": func(e refEnv, r Rule) {
		users := make([]string, r.Max+1)
		for i := range users {
			users[i] = fmt.Sprintf("UMANY%04d", i)
			e.f.AddUser(User{ID: users[i], Name: users[i]})
		}
		ch := e.fresh("invite-many")
		e.within(r, e.call("conversations.invite", url.Values{"channel": {ch}, "users": {strings.Join(users[:r.Max], ",")}}))
		e.beyond(r, e.call("conversations.invite", url.Values{"channel": {e.ch}, "users": {strings.Join(users, ",")}}), r.Code)
	},
	"invite_without_force": func(e refEnv, r Rule) {
		ch := e.fresh("invite-noforce")
		if err := e.f.Join(Alice, ch); err != nil {
			e.t.Fatal(err)
		}
		out := e.call("conversations.invite", url.Values{"channel": {ch}, "users": {Alice + "," + Bob}})
		e.beyond(r, out, r.Code)
		if e.member(ch, Bob) {
			e.t.Fatalf("%s: Bob was invited although the call failed", r.ID)
		}
	},
	"invite_with_force": func(e refEnv, r Rule) {
		ch := e.fresh("invite-force")
		if err := e.f.Join(Alice, ch); err != nil {
			e.t.Fatal(err)
		}
		out := e.call("conversations.invite", url.Values{"channel": {ch}, "users": {Alice + "," + Bob}, "force": {"true"}})
		e.within(r, out)
		errs, _ := out["errors"].([]any)
		if len(errs) != 1 || !strings.Contains(fmt.Sprint(errs[0]), "already_in_channel") || !e.member(ch, Bob) {
			e.t.Fatalf("%s: got %v, Bob member %v", r.ID, out, e.member(ch, Bob))
		}
		// A single refused user still fails the call.
		e.beyond(r, e.call("conversations.invite", url.Values{"channel": {ch}, "users": {Alice}, "force": {"true"}}), "already_in_channel")
	},
	"rate_limited":      injectedProbe("chat.postMessage"),
	"restricted_action": injectedProbe("conversations.create"),
	"missing_scope": func(e refEnv, r Rule) {
		e.f.FailWith("pins.add", r.Code, 1)
		out := e.call("pins.add", url.Values{"channel": {e.ch}, "timestamp": {"1.000001"}})
		e.beyond(r, out, r.Code)
		if out["needed"] != "pins:write" || !strings.Contains(fmt.Sprint(out["provided"]), "chat:write") {
			e.t.Fatalf("%s: needed/provided missing: %v", r.ID, out)
		}
	},
	"posting_restricted": func(e refEnv, r Rule) {
		e.within(r, e.call("chat.postMessage", url.Values{"channel": {e.ch}, "text": {"hi"}}))
		if err := e.f.RestrictPosting(e.ch, true); err != nil {
			e.t.Fatal(err)
		}
		e.beyond(r, e.call("chat.postMessage", url.Values{"channel": {e.ch}, "text": {"hi"}}), r.Code)
	},
	"token_revoked":    revokedProbe,
	"account_inactive": revokedProbe,
	"messages_tab_disabled": func(e refEnv, r Rule) {
		e.within(r, e.call("chat.postMessage", url.Values{"channel": {Bob}, "text": {"hi"}}))
		e.f.SetMessagesTab(false)
		defer e.f.SetMessagesTab(true)
		e.beyond(r, e.call("chat.postMessage", url.Values{"channel": {Bob}, "text": {"hi"}}), r.Code)
	},
	"is_archived": func(e refEnv, r Rule) {
		ch := e.fresh("to-archive")
		e.within(r, e.call("chat.postMessage", url.Values{"channel": {ch}, "text": {"hi"}}))
		if err := e.f.Archive(ch); err != nil {
			e.t.Fatal(err)
		}
		e.beyond(r, e.call("chat.postMessage", url.Values{"channel": {ch}, "text": {"hi"}}), r.Code)
	},
	"not_in_channel": func(e refEnv, r Rule) {
		ch := e.fresh("to-leave")
		e.within(r, e.call("chat.postMessage", url.Values{"channel": {ch}, "text": {"hi"}}))
		if err := e.f.Leave(BotUserID, ch); err != nil {
			e.t.Fatal(err)
		}
		e.beyond(r, e.call("chat.postMessage", url.Values{"channel": {ch}, "text": {"hi"}}), r.Code)
	},
	"x_oauth_scopes": func(e refEnv, r Rule) {
		resp, err := http.PostForm(e.f.APIURL()+"auth.test", url.Values{"token": {e.f.BotToken()}})
		if err != nil {
			e.t.Fatal(err)
		}
		resp.Body.Close()
		if got := resp.Header.Get("X-OAuth-Scopes"); got != "chat:write,pins:read" {
			e.t.Fatalf("%s: X-OAuth-Scopes %q, want the manifest's chat:write,pins:read", r.ID, got)
		}
	},
	"method_scopes": func(e refEnv, r Rule) {
		// The probe's manifest grants chat:write and pins:read, not pins:write.
		e.within(r, e.call("chat.postMessage", url.Values{"channel": {e.ch}, "text": {"hi"}}))
		out := e.call("pins.add", url.Values{"channel": {e.ch}, "timestamp": {"1.000001"}})
		e.beyond(r, out, r.Code)
		if out["needed"] != "pins:write" || out["provided"] != "chat:write,pins:read" {
			e.t.Fatalf("%s: %v", r.ID, out)
		}
	},
	"private_channel_scopes": func(e refEnv, r Rule) {
		// An app with the public channel's scopes only.
		f := newFake(e.t, WithOwnEvents(false), WithManifest([]byte(`
oauth_config:
  scopes:
    bot: [channels:manage, channels:read, chat:write]
settings:
  event_subscriptions:
    bot_events: [member_joined_channel]
`)))
		p := refEnv{t: e.t, f: f}
		p.within(r, p.call("conversations.create", url.Values{"name": {"open"}}))
		out := p.call("conversations.create", url.Values{"name": {"closed"}, "is_private": {"true"}})
		p.beyond(r, out, r.Code)
		if out["needed"] != "groups:write" {
			e.t.Fatalf("%s: %v", r.ID, out)
		}
		priv, err := f.CreateChannel(Alice, "secret", true, Alice, BotUserID)
		if err != nil {
			e.t.Fatal(err)
		}
		p.beyond(r, p.call("conversations.members", url.Values{"channel": {priv}}), r.Code)
		p.beyond(r, p.call("conversations.setTopic", url.Values{"channel": {priv}, "topic": {"x"}}), r.Code)
		pub, err := f.CreateChannel(Alice, "public", false, Alice, BotUserID)
		if err != nil {
			e.t.Fatal(err)
		}
		p.within(r, p.call("conversations.members", url.Values{"channel": {pub}}))
		// member_joined_channel from the private channel needs groups:read: only the public
		// channel's join is delivered.
		if err := f.Join(Bob, priv); err != nil {
			e.t.Fatal(err)
		}
		if err := f.Join(Bob, pub); err != nil {
			e.t.Fatal(err)
		}
		var joins []string
		for _, env := range f.Envelopes() {
			if strings.Contains(string(env.Payload), `"member_joined_channel"`) {
				joins = append(joins, string(env.Payload))
			}
		}
		if len(joins) != 1 || !strings.Contains(joins[0], pub) {
			e.t.Fatalf("%s: join events %v, want the public channel's only", r.ID, joins)
		}
	},
	"event_subscriptions": func(e refEnv, r Rule) {
		// The probe's manifest subscribes to pin_added only.
		e.f.Event(map[string]any{"type": "pin_added", "channel_id": e.ch})
		e.f.Event(map[string]any{"type": "reaction_added", "item": map[string]any{"channel": e.ch}})
		envs := e.f.Envelopes()
		if len(envs) != 1 || !strings.Contains(string(envs[0].Payload), `"pin_added"`) {
			e.t.Fatalf("%s: envelopes %d, want only pin_added", r.ID, len(envs))
		}
		if d := e.f.DroppedEvents(); len(d) != 1 || d[0] != "reaction_added" {
			e.t.Fatalf("%s: dropped %v", r.ID, d)
		}
	},
	"accepts_response_payload": func(e refEnv, r Rule) {
		frames := socketFrames(e)
		for typ, want := range map[string]bool{"slash_commands": true, "view_submission": true, "block_actions": false, "events_api": false} {
			f, ok := frames[typ]
			if !ok {
				e.t.Fatalf("%s: no %s envelope", r.ID, typ)
			}
			if f["accepts_response_payload"] != want {
				e.t.Errorf("%s: %s has accepts_response_payload %v, want %v", r.ID, typ, f["accepts_response_payload"], want)
			}
		}
	},
	"retry_fields": func(e refEnv, r Rule) {
		for typ, f := range socketFrames(e) {
			_, has := f["retry_attempt"]
			_, hasReason := f["retry_reason"]
			if want := typ == "events_api"; has != want || hasReason != want {
				e.t.Errorf("%s: %s has retry fields %v/%v, want %v", r.ID, typ, has, hasReason, want)
			}
		}
	},
	"too_many_websockets": func(e refEnv, r Rule) {
		var conns []*websocket.Conn
		defer func() {
			for _, c := range conns {
				_ = c.Close()
			}
		}()
		for i := 0; i < r.Max; i++ {
			c, hello := dialRaw(e)
			conns = append(conns, c)
			if hello["type"] != "hello" {
				e.t.Fatalf("%s: connection %d got %v", r.ID, i+1, hello)
			}
		}
		c, first := dialRaw(e)
		conns = append(conns, c)
		if first["type"] != "disconnect" || first["reason"] != "too_many_websockets" || e.f.RefusedConnections() != 1 {
			e.t.Fatalf("%s: connection %d got %v", r.ID, r.Max+1, first)
		}
	},
	"rate_limit_tiers": func(e refEnv, r Rule) {
		e.f.SetRateLimit("conversations.info", 2)
		defer e.f.SetRateLimit("conversations.info", 0)
		for i := 0; i < 2; i++ {
			e.within(r, e.call("conversations.info", url.Values{"channel": {e.ch}}))
		}
		resp, err := http.PostForm(e.f.APIURL()+"conversations.info", url.Values{"token": {e.f.BotToken()}, "channel": {e.ch}})
		if err != nil {
			e.t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
			e.t.Fatalf("%s: status %d Retry-After %q", r.ID, resp.StatusCode, resp.Header.Get("Retry-After"))
		}
	},
}

// injectedProbe checks an HTTP-200 error that the switch injects: the call fails once with
// the code, the next one succeeds.
func injectedProbe(method string) func(e refEnv, r Rule) {
	return func(e refEnv, r Rule) {
		e.f.FailWith(method, r.Code, 1)
		form := url.Values{"channel": {e.ch}, "text": {"hi"}, "name": {"probe-" + r.ID}}
		resp, err := http.PostForm(e.f.APIURL()+method, withToken(form, e.f.BotToken()))
		if err != nil {
			e.t.Fatal(err)
		}
		var out map[string]any
		_ = jsonDecode(resp, &out)
		if resp.StatusCode != http.StatusOK {
			e.t.Fatalf("%s: HTTP %d, want 200", r.ID, resp.StatusCode)
		}
		e.beyond(r, out, r.Code)
		e.within(r, e.call(method, form))
	}
}

func withToken(v url.Values, tok string) url.Values {
	out := url.Values{"token": {tok}}
	for k, x := range v {
		out[k] = x
	}
	return out
}

// revokedProbe revokes the bot token with the rule's code: every method answers it, and a
// new token works.
func revokedProbe(e refEnv, r Rule) {
	old := e.f.BotToken()
	e.f.RevokeBotToken(r.Code, "xoxb-after-"+r.ID)
	for _, m := range []string{"auth.test", "chat.postMessage", "conversations.info"} {
		e.beyond(r, e.call(m, url.Values{"token": {old}, "channel": {e.ch}, "text": {"hi"}}), r.Code)
	}
	e.within(r, e.call("chat.postMessage", url.Values{"channel": {e.ch}, "text": {"hi"}}))
}

func (e refEnv) fresh(name string) string {
	out := e.call("conversations.create", url.Values{"name": {name}})
	c, _ := out["channel"].(map[string]any)
	id, _ := c["id"].(string)
	if id == "" {
		e.t.Fatalf("create %s: %v", name, out)
	}
	return id
}

func (e refEnv) member(ch, user string) bool {
	c, _ := e.f.Channel(ch)
	for _, m := range c.Members {
		if m == user {
			return true
		}
	}
	return false
}

// dialRaw opens a Socket Mode connection with a plain WebSocket client and returns it with
// its first frame.
func dialRaw(e refEnv) (*websocket.Conn, map[string]any) {
	e.t.Helper()
	resp, err := http.PostForm(e.f.APIURL()+"apps.connections.open", url.Values{"token": {e.f.AppToken()}})
	if err != nil {
		e.t.Fatal(err)
	}
	var out struct {
		URL string `json:"url"`
	}
	if err := jsonDecode(resp, &out); err != nil || out.URL == "" {
		e.t.Fatalf("apps.connections.open: %v %q", err, out.URL)
	}
	c, _, err := websocket.DefaultDialer.Dial(out.URL, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	return c, readFrame(e, c)
}

func readFrame(e refEnv, c *websocket.Conn) map[string]any {
	e.t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	_, data, err := c.ReadMessage()
	if err != nil {
		e.t.Fatalf("read frame: %v", err)
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		e.t.Fatal(err)
	}
	return m
}

// socketFrames makes one envelope of each kind and returns the frames as sent, by payload
// type (events_api for events).
func socketFrames(e refEnv) map[string]map[string]any {
	e.t.Helper()
	c, hello := dialRaw(e)
	defer c.Close()
	if hello["type"] != "hello" {
		e.t.Fatalf("first frame %v", hello)
	}
	out := map[string]map[string]any{}
	ackAll := func(want int) {
		for len(out) < want {
			f := readFrame(e, c)
			id, _ := f["envelope_id"].(string)
			if id == "" {
				continue
			}
			_ = c.WriteJSON(map[string]any{"envelope_id": id})
			key, _ := f["type"].(string)
			if p, ok := f["payload"].(map[string]any); ok && key == EnvelopeInteractive {
				key, _ = p["type"].(string)
			}
			out[key] = f
		}
	}
	if _, err := e.f.SendSlash(Alice, GeneralChannelID, ""); err != nil {
		e.t.Fatal(err)
	}
	e.f.Event(map[string]any{"type": "pin_added", "channel_id": e.ch})
	ackAll(2)
	msg := e.call("chat.postMessage", url.Values{"channel": {e.ch}, "text": {"b"},
		"blocks": {`[{"type":"actions","block_id":"a","elements":[{"type":"button","action_id":"go","text":{"type":"plain_text","text":"Go"},"value":"v"}]}]`}})
	ts, _ := msg["ts"].(string)
	if err := e.f.Join(Alice, e.ch); err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.f.SendClick(Alice, e.ch, ts, "go", "v"); err != nil {
		e.t.Fatal(err)
	}
	ackAll(3)
	v := e.openView(modal(func(m map[string]any) { m["blocks"] = []any{textInput(func(map[string]any) {})} }))
	view, _ := v["view"].(map[string]any)
	id, _ := view["id"].(string)
	if _, err := e.f.SendSubmit(Alice, id, map[string]map[string]string{"b": {"v": "x"}}); err != nil {
		e.t.Fatal(err)
	}
	ackAll(4)
	return out
}

// refManifestYAML grants the probes a narrow app: two scopes, one event.
const refManifestYAML = `
oauth_config:
  scopes:
    bot: [chat:write, pins:read]
settings:
  event_subscriptions:
    bot_events: [pin_added]
features:
  app_home:
    messages_tab_enabled: true
`

// TestReference walks every row of the reference table: each has Slack's page and a probe
// that shows the fake keeps the rule (at the limit accepted, beyond it refused with Slack's
// error), on a fresh workspace.
func TestReference(t *testing.T) {
	for _, r := range Reference {
		t.Run(r.ID, func(t *testing.T) {
			if !strings.HasPrefix(r.Ref, "https://api.slack.com/") || r.What == "" {
				t.Fatalf("row %s cites %q: every rule needs Slack's reference page and a description", r.ID, r.Ref)
			}
			probe, ok := probes[r.ID]
			if !ok {
				t.Fatalf("row %s has no probe: add one to probes", r.ID)
			}
			opts := []Option{WithOwnEvents(false)}
			narrow := r.ID == "x_oauth_scopes" || r.ID == "method_scopes" || r.ID == "event_subscriptions"
			if narrow {
				opts = append(opts, WithManifest([]byte(refManifestYAML)))
			}
			f := newFake(t, opts...)
			e := refEnv{t: t, f: f}
			if narrow {
				// conversations.create needs channels:manage, which this app lacks.
				id, err := f.CreateChannel(BotUserID, "probe", false, BotUserID)
				if err != nil {
					t.Fatal(err)
				}
				e.ch = id
			} else {
				e.ch = e.fresh("probe")
			}
			probe(e, r)
		})
	}
	for id := range probes {
		if _, ok := RuleByID(id); !ok {
			t.Errorf("probe %s has no row in Reference", id)
		}
	}
}

// TestManifestParsing: a manifest that subscribes to an event without its scope is refused,
// as Slack refuses to save it.
func TestManifestParsing(t *testing.T) {
	if _, err := ParseManifest([]byte("oauth_config: {scopes: {bot: [chat:write]}}\nsettings: {event_subscriptions: {bot_events: [member_left_channel]}}\n")); err == nil {
		t.Fatal("a subscription without its scope was accepted")
	}
	m, err := ParseManifest([]byte(refManifestYAML))
	if err != nil || len(m.Scopes) != 2 || len(m.BotEvents) != 1 || !m.MessagesTab {
		t.Fatalf("got %+v, %v", m, err)
	}
}
