package slackfake

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"
)

// slashTrigger sends a slash command nobody acks and returns its trigger_id and response_url.
func slashTrigger(t *testing.T, f *Server, user string) (string, string) {
	t.Helper()
	id, err := f.SendSlash(user, GeneralChannelID, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range f.Envelopes() {
		if e.ID == id {
			var p slack.SlashCommand
			if err := json.Unmarshal(e.Payload, &p); err != nil {
				t.Fatal(err)
			}
			return p.TriggerID, p.ResponseURL
		}
	}
	t.Fatal("envelope not recorded")
	return "", ""
}

func declareModal() slack.ModalViewRequest {
	title := slack.NewInputBlock("title", slack.NewTextBlockObject("plain_text", "Title", false, false), nil,
		slack.NewPlainTextInputBlockElement(nil, "title_input"))
	sev := slack.NewInputBlock("sev", slack.NewTextBlockObject("plain_text", "Severity", false, false), nil,
		slack.NewOptionsSelectBlockElement("static_select", nil, "sev_select",
			slack.NewOptionBlockObject("sev1", slack.NewTextBlockObject("plain_text", "SEV1", false, false), nil),
			slack.NewOptionBlockObject("sev3", slack.NewTextBlockObject("plain_text", "SEV3", false, false), nil)))
	return slack.ModalViewRequest{
		Type: slack.VTModal, CallbackID: "declare", PrivateMetadata: "C0GENERAL",
		Title:  slack.NewTextBlockObject("plain_text", "Declare", false, false),
		Submit: slack.NewTextBlockObject("plain_text", "Declare", false, false),
		Blocks: slack.Blocks{BlockSet: []slack.Block{title, sev}},
	}
}

func TestTriggerIDSingleUseAndExpiry(t *testing.T) {
	f := newFake(t, WithTriggerTTL(100*time.Millisecond), WithAckTimeout(time.Minute))
	api := apiClient(f)
	trig, _ := slashTrigger(t, f, Alice)
	v, err := api.OpenView(trig, declareModal())
	if err != nil {
		t.Fatal(err)
	}
	if v.ID == "" || v.CallbackID != "declare" || v.Hash == "" {
		t.Fatalf("view = %+v", v.View)
	}
	if open := f.Views(Alice); len(open) != 1 || open[0].ID != v.ID || open[0].Title != "Declare" {
		t.Fatalf("Views = %+v", open)
	}
	if _, err := api.OpenView(trig, declareModal()); slackCode(err) != "exchanged_trigger_id" {
		t.Fatalf("second use: %v", err)
	}
	late, _ := slashTrigger(t, f, Bob)
	time.Sleep(150 * time.Millisecond)
	if _, err := api.OpenView(late, declareModal()); slackCode(err) != "expired_trigger_id" {
		t.Fatalf("late use: %v", err)
	}
	// views.update with a stale hash is refused; with the current one it applies.
	m := declareModal()
	m.Title = slack.NewTextBlockObject("plain_text", "Declare (2)", false, false)
	if _, err := api.UpdateView(m, "", "stale", v.ID); slackCode(err) != "hash_conflict" {
		t.Fatalf("stale hash: %v", err)
	}
	if _, err := api.UpdateView(m, "", v.Hash, v.ID); err != nil {
		t.Fatal(err)
	}
	if got, _ := f.View(v.ID); got.Title != "Declare (2)" {
		t.Fatalf("title %q", got.Title)
	}
}

func TestSubmitErrorsThenClose(t *testing.T) {
	f := newFake(t, WithAckTimeout(10*time.Second))
	api := apiClient(f)
	var got []slack.InteractionCallback
	done := make(chan struct{}, 10)
	startApp(t, f, func(c *socketmode.Client, e socketmode.Event) {
		if e.Type != socketmode.EventTypeInteractive {
			if e.Request != nil && e.Request.EnvelopeID != "" {
				c.Ack(*e.Request)
			}
			return
		}
		cb := e.Data.(slack.InteractionCallback)
		got = append(got, cb)
		v := cb.View.State.Values["title"]["title_input"].Value
		if v == "" {
			c.Ack(*e.Request, slack.NewErrorsViewSubmissionResponse(map[string]string{"title": "A title is required"}))
		} else {
			c.Ack(*e.Request)
		}
		done <- struct{}{}
	})
	trig, _ := slashTrigger(t, f, Alice)
	v, err := api.OpenView(trig, declareModal())
	if err != nil {
		t.Fatal(err)
	}
	a, err := f.Submit(Alice, v.ID, map[string]map[string]string{"title": {"title_input": ""}, "sev": {"sev_select": "sev1"}})
	if err != nil {
		t.Fatal(err)
	}
	if a.ResponseAction != "errors" || a.Errors["title"] != "A title is required" {
		t.Fatalf("ack = %+v", a)
	}
	if _, open := f.View(v.ID); !open {
		t.Fatal("view closed despite errors")
	}
	a, err = f.Submit(Alice, v.ID, map[string]map[string]string{"title": {"title_input": "DB down"}, "sev": {"sev_select": "sev1"}})
	if err != nil || a.ResponseAction != "" {
		t.Fatalf("ack = %+v, %v", a, err)
	}
	if _, open := f.View(v.ID); open || len(f.Views(Alice)) != 0 {
		t.Fatal("view still open")
	}
	<-done
	<-done
	last := got[len(got)-1]
	if last.Type != slack.InteractionTypeViewSubmission || last.View.CallbackID != "declare" || last.View.PrivateMetadata != "C0GENERAL" {
		t.Fatalf("callback = %+v", last)
	}
	sel := last.View.State.Values["sev"]["sev_select"]
	if sel.Type != "static_select" || sel.SelectedOption.Value != "sev1" || sel.SelectedOption.Text.Text != "SEV1" {
		t.Fatalf("select = %+v", sel)
	}
	if _, err := f.Submit(Alice, v.ID, nil); err == nil {
		t.Fatal("submitting a closed view succeeded")
	}
}

func TestClickSelect(t *testing.T) {
	f := newFake(t, WithOwnEvents(false))
	api := apiClient(f)
	inc := botChannel(t, api, "inc-9")
	var cb slack.InteractionCallback
	startApp(t, f, func(c *socketmode.Client, e socketmode.Event) {
		if e.Type == socketmode.EventTypeInteractive {
			cb = e.Data.(slack.InteractionCallback)
		}
		if e.Request != nil && e.Request.EnvelopeID != "" {
			c.Ack(*e.Request)
		}
	})
	sel := slack.NewOptionsSelectBlockElement("static_select", nil, "sev.change",
		slack.NewOptionBlockObject("sev2", slack.NewTextBlockObject("plain_text", "SEV2", false, false), nil))
	_, ts, err := api.PostMessage(inc, slack.MsgOptionText("card", false), slack.MsgOptionBlocks(slack.NewActionBlock("sev", sel)))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.ClickSelect(Carol, inc, ts, "sev.change", "sev2"); err != nil {
		t.Fatal(err)
	}
	act := cb.ActionCallback.BlockActions[0]
	if act.BlockID != "sev" || act.SelectedOption.Value != "sev2" || act.Type != "static_select" {
		t.Fatalf("action = %+v", act)
	}
	if _, err := f.ClickSelect(Carol, inc, ts, "sev.change", "sev9"); err == nil {
		t.Fatal("unknown option accepted")
	}
}

func TestResponseURLLimits(t *testing.T) {
	f := newFake(t, WithResponseURLLimits(5, 200*time.Millisecond), WithAckTimeout(time.Minute))
	_, ru := slashTrigger(t, f, Alice)
	for i := 0; i < 5; i++ {
		if err := slack.PostWebhook(ru, &slack.WebhookMessage{Text: fmt.Sprintf("reply %d", i)}); err != nil {
			t.Fatalf("post %d: %v", i, err)
		}
	}
	var sce slack.StatusCodeError
	if err := slack.PostWebhook(ru, &slack.WebhookMessage{Text: "sixth"}); !errors.As(err, &sce) || sce.Code != 404 {
		t.Fatalf("sixth post: %v", err)
	}
	if eph := f.Ephemerals(Alice); len(eph) != 5 || eph[0].Source != "response_url" {
		t.Fatalf("ephemerals = %+v", eph)
	}
	_, ru2 := slashTrigger(t, f, Bob)
	if err := slack.PostWebhook(ru2, &slack.WebhookMessage{Text: "shown to all", ResponseType: "in_channel"}); err != nil {
		t.Fatal(err)
	}
	if msgs := f.Messages(GeneralChannelID); len(msgs) != 1 || msgs[0].Text != "shown to all" {
		t.Fatalf("in_channel = %+v", msgs)
	}
	time.Sleep(250 * time.Millisecond)
	if err := slack.PostWebhook(ru2, &slack.WebhookMessage{Text: "late"}); !errors.As(err, &sce) || sce.Code != 404 {
		t.Fatalf("expired post: %v", err)
	}
}

func TestRateLimitsAndFaults(t *testing.T) {
	f := newFake(t)
	api := apiClient(f)
	info := func() error {
		_, err := api.GetConversationInfo(&slack.GetConversationInfoInput{ChannelID: GeneralChannelID})
		return err
	}
	t.Run("explicit per-minute limit", func(t *testing.T) {
		f.SetRateLimit("conversations.info", 2)
		defer f.SetRateLimit("conversations.info", 0)
		for i := 0; i < 2; i++ {
			if err := info(); err != nil {
				t.Fatal(err)
			}
		}
		var rl *slack.RateLimitedError
		if err := info(); !errors.As(err, &rl) || rl.RetryAfter < time.Second {
			t.Fatalf("third call: %v", err)
		}
	})
	t.Run("fixed 429s", func(t *testing.T) {
		f.RateLimitNext("users.info", 2, 3*time.Second)
		var rl *slack.RateLimitedError
		for i := 0; i < 2; i++ {
			if _, err := api.GetUserInfo(Alice); !errors.As(err, &rl) || rl.RetryAfter != 3*time.Second {
				t.Fatalf("call %d: %v", i, err)
			}
		}
		if _, err := api.GetUserInfo(Alice); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("5xx", func(t *testing.T) {
		f.FailNext("team.info", 1, 503)
		var sce slack.StatusCodeError
		if _, err := api.GetTeamInfo(); !errors.As(err, &sce) || sce.Code != 503 {
			t.Fatalf("err = %v", err)
		}
		if _, err := api.GetTeamInfo(); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("tier 2", func(t *testing.T) {
		f.EnableTierLimits()
		defer f.DisableTierLimits()
		var err error
		n := 0
		for ; n < 25 && err == nil; n++ {
			_, err = api.CreateConversation(slack.CreateConversationParams{ChannelName: fmt.Sprintf("tier-%d", n)})
		}
		var rl *slack.RateLimitedError
		if !errors.As(err, &rl) || n != 21 {
			t.Fatalf("after %d calls: %v", n, err)
		}
		if calls := f.Calls("conversations.create"); calls[len(calls)-1].Error != "ratelimited" {
			t.Fatalf("last call %+v", calls[len(calls)-1])
		}
	})
	t.Run("latency", func(t *testing.T) {
		f.SetLatency("auth.test", 50*time.Millisecond)
		defer f.SetLatency("auth.test", 0)
		start := time.Now()
		if _, err := api.AuthTest(); err != nil {
			t.Fatal(err)
		}
		if time.Since(start) < 50*time.Millisecond {
			t.Fatal("latency not applied")
		}
	})
}

func TestInvalidBlocks(t *testing.T) {
	f := newFake(t, WithOwnEvents(false))
	api := apiClient(f)
	inc := botChannel(t, api, "blocks")
	long := func(n int) string { return strings.Repeat("x", n) }
	pt := func(s string) map[string]any { return map[string]any{"type": "plain_text", "text": s} }
	section := func(s string) map[string]any {
		return map[string]any{"type": "section", "text": map[string]any{"type": "mrkdwn", "text": s}}
	}
	button := func(id, text, value string) map[string]any {
		return map[string]any{"type": "button", "action_id": id, "text": pt(text), "value": value}
	}
	many := func(n int, f func(i int) any) []any {
		out := make([]any, n)
		for i := range out {
			out[i] = f(i)
		}
		return out
	}
	opt := func(text, value string) any { return map[string]any{"text": pt(text), "value": value} }
	cases := []struct {
		name   string
		blocks []any
		limit  string
	}{
		{"51 blocks", many(51, func(int) any { return section("x") }), "blocks_per_message"},
		{"section text 3001", []any{section(long(3001))}, "text_length"},
		{"header 151", []any{map[string]any{"type": "header", "text": pt(long(151))}}, "header_length"},
		{"block_id 256", []any{map[string]any{"type": "divider", "block_id": long(256)}}, "block_id_length"},
		{"duplicate block_id", []any{map[string]any{"type": "divider", "block_id": "a"}, map[string]any{"type": "divider", "block_id": "a"}}, "block_id_unique"},
		{"action_id 256", []any{map[string]any{"type": "actions", "elements": []any{button(long(256), "ok", "v")}}}, "action_id_length"},
		{"duplicate action_id", []any{map[string]any{"type": "actions", "elements": []any{button("a", "ok", "v"), button("a", "ok", "v")}}}, "action_id_unique"},
		{"button text 76", []any{map[string]any{"type": "actions", "elements": []any{button("a", long(76), "v")}}}, "button_text_length"},
		{"button value 2001", []any{map[string]any{"type": "actions", "elements": []any{button("a", "ok", long(2001))}}}, "button_value_length"},
		{"26 action elements", []any{map[string]any{"type": "actions", "elements": many(26, func(i int) any { return button(fmt.Sprint(i), "ok", "v") })}}, "actions_elements"},
		{"11 context elements", []any{map[string]any{"type": "context", "elements": many(11, func(int) any { return pt("x") })}}, "context_elements"},
		{"101 options", []any{map[string]any{"type": "actions", "elements": []any{map[string]any{"type": "static_select", "action_id": "s",
			"options": many(101, func(i int) any { return opt("o", fmt.Sprint(i)) })}}}}, "select_options"},
		{"option text 76", []any{map[string]any{"type": "actions", "elements": []any{map[string]any{"type": "static_select", "action_id": "s",
			"options": []any{opt(long(76), "v")}}}}}, "option_text_length"},
		{"option value 151", []any{map[string]any{"type": "actions", "elements": []any{map[string]any{"type": "static_select", "action_id": "s",
			"options": []any{opt("o", long(151))}}}}}, "option_value_length"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b, _ := json.Marshal(tc.blocks)
			_, out := rawCall(t, f, "chat.postMessage", url.Values{"token": {f.BotToken()}, "channel": {inc}, "text": {"fallback"}, "blocks": {string(b)}})
			if out["error"] != "invalid_blocks" {
				t.Fatalf("got %v", out)
			}
			errs := f.BlockErrors()
			if last := errs[len(errs)-1]; last.Limit != tc.limit {
				t.Fatalf("limit %q, want %q (%s)", last.Limit, tc.limit, last.Detail)
			}
		})
	}
	t.Run("limits accept the maximum", func(t *testing.T) {
		blocks := []any{section(long(3000)), map[string]any{"type": "header", "text": pt(long(150))},
			map[string]any{"type": "actions", "elements": []any{button("a", long(75), long(2000))}}}
		b, _ := json.Marshal(blocks)
		_, out := rawCall(t, f, "chat.postMessage", url.Values{"token": {f.BotToken()}, "channel": {inc}, "text": {"fallback"}, "blocks": {string(b)}})
		if out["ok"] != true {
			t.Fatalf("got %v", out)
		}
	})
	t.Run("through slack-go", func(t *testing.T) {
		hdr := slack.NewHeaderBlock(slack.NewTextBlockObject("plain_text", long(151), false, false))
		_, _, err := api.PostMessage(inc, slack.MsgOptionText("x", false), slack.MsgOptionBlocks(hdr))
		if slackCode(err) != "invalid_blocks" {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("msg_blocks_too_long", func(t *testing.T) {
		b, _ := json.Marshal(many(40, func(int) any { return section(long(2900)) }))
		_, out := rawCall(t, f, "chat.postMessage", url.Values{"token": {f.BotToken()}, "channel": {inc}, "text": {"x"}, "blocks": {string(b)}})
		if out["error"] != "msg_blocks_too_long" {
			t.Fatalf("got %v", out["error"])
		}
	})
	modalCases := []struct {
		name  string
		mod   func(m map[string]any)
		limit string
	}{
		{"title 25", func(m map[string]any) { m["title"] = pt(long(25)) }, "modal_title_length"},
		{"submit 25", func(m map[string]any) { m["submit"] = pt(long(25)) }, "modal_submit_length"},
		{"close 25", func(m map[string]any) { m["close"] = pt(long(25)) }, "modal_close_length"},
		{"private_metadata 3001", func(m map[string]any) { m["private_metadata"] = long(3001) }, "private_metadata_length"},
		{"101 blocks", func(m map[string]any) { m["blocks"] = many(101, func(int) any { return section("x") }) }, "blocks_per_modal"},
	}
	for _, tc := range modalCases {
		t.Run("modal "+tc.name, func(t *testing.T) {
			m := map[string]any{"type": "modal", "title": pt("ok"), "blocks": []any{section("x")}}
			tc.mod(m)
			b, _ := json.Marshal(m)
			trig, _ := slashTrigger(t, f, Alice)
			_, out := rawCall(t, f, "views.open", url.Values{"token": {f.BotToken()}, "trigger_id": {trig}, "view": {string(b)}})
			if out["error"] != "invalid_arguments" {
				t.Fatalf("got %v", out)
			}
			errs := f.BlockErrors()
			if last := errs[len(errs)-1]; last.Limit != tc.limit {
				t.Fatalf("limit %q, want %q", last.Limit, tc.limit)
			}
		})
	}
}

func TestSubscribe(t *testing.T) {
	f := newFake(t, WithOwnEvents(false))
	api := apiClient(f)
	ch, stop := f.Subscribe()
	defer stop()
	id := botChannel(t, api, "watched")
	if _, _, err := api.PostMessage(id, slack.MsgOptionText("hi", false)); err != nil {
		t.Fatal(err)
	}
	want := []ChangeKind{ChangeChannel, ChangeMessagePosted}
	for _, k := range want {
		select {
		case c := <-ch:
			if c.Kind != k || c.Channel != id {
				t.Fatalf("change %+v, want %s", c, k)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("no %s change", k)
		}
	}
	// A subscriber that never reads must not stall the server.
	_, stop2 := f.Subscribe()
	defer stop2()
	for i := 0; i < 400; i++ {
		if _, err := f.PostAsUser(BotUserID, id, "flood"); err != nil {
			t.Fatal(err)
		}
	}
}
