package demo

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	"github.com/firebreak-hq/firebreak/internal/githubfake"
	"github.com/firebreak-hq/firebreak/internal/slackfake"
	"github.com/firebreak-hq/firebreak/internal/testwait"
)

const ghToken = "ghp_test"

type env struct {
	slack *slackfake.Server
	gh    *githubfake.Server
	ui    *Server
	http  *httptest.Server
	api   *slack.Client
}

func newEnv(t *testing.T) *env {
	t.Helper()
	sf, err := slackfake.New(slackfake.WithAckTimeout(2 * time.Second))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sf.Close() })
	gh, err := githubfake.New(ghToken)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = gh.Close() })
	gh.AddRepo("acme", "postmortems")
	ui := New(sf, gh, "acme", "postmortems")
	hs := httptest.NewServer(ui)
	t.Cleanup(func() {
		_ = ui.Close()
		hs.Close()
	})
	return &env{slack: sf, gh: gh, ui: ui, http: hs,
		api: slack.New(sf.BotToken(), slack.OptionAPIURL(sf.APIURL()), slack.OptionAppLevelToken(sf.AppToken()))}
}

func (e *env) state(t *testing.T, user, channel string) stateJSON {
	t.Helper()
	var out struct {
		stateJSON
		Error string `json:"error"`
	}
	if status := e.call(t, http.MethodGet, "/api/state?user="+url.QueryEscape(user)+"&channel="+url.QueryEscape(channel), nil, &out); status != http.StatusOK {
		t.Fatalf("state: %d %s", status, out.Error)
	}
	return out.stateJSON
}

// post sends a JSON body and returns the status and the "error" text.
func (e *env) post(t *testing.T, path string, body any) (int, string) {
	t.Helper()
	var out struct {
		Error string `json:"error"`
	}
	status := e.call(t, http.MethodPost, path, body, &out)
	return status, out.Error
}

// call sends a request to the demo's API, with body as JSON unless it is
// nil, reads the JSON answer into out and returns the status.
func (e *env) call(t *testing.T, method, path string, body, out any) int {
	t.Helper()
	return request(t, method, e.http.URL+path, "", body, out)
}

// request sends a request to url, with token as its bearer unless it is
// empty and body as JSON unless it is nil, reads the JSON answer into out
// and returns the status.
func request(t *testing.T, method, url, token string, body, out any) int {
	t.Helper()
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, url, r)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		t.Fatalf("%s %s answered %s, not JSON: %v", method, url, resp.Status, err)
	}
	return resp.StatusCode
}

// fileIssue opens an issue in the fake GitHub's acme/repo, as the bot
// does when it files a postmortem.
func (e *env) fileIssue(t *testing.T, repo string, issue map[string]any) {
	t.Helper()
	var out map[string]any
	if status := request(t, http.MethodPost, e.gh.URL()+"repos/acme/"+repo+"/issues", ghToken, issue, &out); status != http.StatusCreated {
		t.Fatalf("create issue: %d %v", status, out)
	}
}

// app is a stand-in for the bot: a real slack-go Socket Mode client that
// acks everything, answers the slash command with a message holding a
// button and a select and a modal, and refuses an empty modal field.
type app struct {
	mu      sync.Mutex
	actions []slack.BlockAction
	submits []map[string]map[string]slack.BlockAction
}

func (e *env) startApp(t *testing.T) *app {
	t.Helper()
	a := &app{}
	// #general is where the tests act; the bot must be in it to post there.
	if _, _, _, err := e.api.JoinConversation(slackfake.GeneralChannelID); err != nil {
		t.Fatal(err)
	}
	sm := socketmode.New(e.api)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = sm.RunContext(ctx)
	}()
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case ev := <-sm.Events:
				a.handle(e, sm, ev)
			}
		}
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Error("socket mode client did not stop")
		}
	})
	wctx, wcancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer wcancel()
	if err := e.slack.WaitConnected(wctx); err != nil {
		t.Fatal(err)
	}
	return a
}

func (a *app) handle(e *env, sm *socketmode.Client, ev socketmode.Event) {
	switch ev.Type {
	case socketmode.EventTypeSlashCommand:
		cmd, _ := ev.Data.(slack.SlashCommand)
		sm.Ack(*ev.Request)
		if cmd.Text == "modal" {
			_, _ = e.api.OpenView(cmd.TriggerID, slack.ModalViewRequest{
				Type: slack.VTModal, CallbackID: "ask", Title: slack.NewTextBlockObject("plain_text", "Ask", false, false),
				Submit: slack.NewTextBlockObject("plain_text", "Send", false, false),
				Blocks: slack.Blocks{BlockSet: []slack.Block{
					slack.NewInputBlock("why", slack.NewTextBlockObject("plain_text", "Why?", false, false), nil,
						slack.NewPlainTextInputBlockElement(nil, "why")),
				}},
			})
			return
		}
		sel := slack.NewOptionsSelectBlockElement("static_select", nil, "pick",
			slack.NewOptionBlockObject("sev1", slack.NewTextBlockObject("plain_text", "SEV1", false, false), nil),
			slack.NewOptionBlockObject("sev2", slack.NewTextBlockObject("plain_text", "SEV2", false, false), nil))
		_, _, _ = e.api.PostMessage(cmd.ChannelID, slack.MsgOptionText("card", false), slack.MsgOptionBlocks(
			slack.NewHeaderBlock(slack.NewTextBlockObject("plain_text", "INC-1 "+cmd.Text, false, false)),
			slack.NewActionBlock("act", slack.NewButtonBlockElement("step.done", "INC-1:fix", slack.NewTextBlockObject("plain_text", "Done", false, false)), sel),
		))
	case socketmode.EventTypeInteractive:
		cb, _ := ev.Data.(slack.InteractionCallback)
		switch cb.Type {
		case slack.InteractionTypeBlockActions:
			a.mu.Lock()
			a.actions = append(a.actions, *cb.ActionCallback.BlockActions[0])
			a.mu.Unlock()
			sm.Ack(*ev.Request)
		case slack.InteractionTypeViewSubmission:
			a.mu.Lock()
			a.submits = append(a.submits, cb.View.State.Values)
			a.mu.Unlock()
			if strings.TrimSpace(cb.View.State.Values["why"]["why"].Value) == "" {
				sm.Ack(*ev.Request, map[string]any{"response_action": "errors", "errors": map[string]string{"why": "Say why."}})
				return
			}
			sm.Ack(*ev.Request)
		default:
			sm.Ack(*ev.Request)
		}
	default:
		if ev.Request != nil {
			sm.Ack(*ev.Request)
		}
	}
}

func (a *app) seen() ([]slack.BlockAction, int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]slack.BlockAction(nil), a.actions...), len(a.submits)
}

func TestPageAndAssets(t *testing.T) {
	e := newEnv(t)
	cases := []struct {
		name, path, wantType, wantBody string
	}{
		{"page", "/", "text/html", `<script src="app.js">`},
		{"script", "/app.js", "javascript", "function mrkdwn("},
		{"styles", "/app.css", "text/css", ".bk-button"},
		{"emoji table", "/emoji.json", "application/json", `"mega": "📣"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := http.Get(e.http.URL + tc.path)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != http.StatusOK || !strings.Contains(resp.Header.Get("Content-Type"), tc.wantType) || !strings.Contains(string(b), tc.wantBody) {
				t.Errorf("GET %s: %s %q, body has %q: %v", tc.path, resp.Status, resp.Header.Get("Content-Type"), tc.wantBody, strings.Contains(string(b), tc.wantBody))
			}
		})
	}
}

func TestState(t *testing.T) {
	e := newEnv(t)
	priv, err := e.slack.CreateChannel(slackfake.Alice, "alice-private", true)
	if err != nil {
		t.Fatal(err)
	}
	t.Run("unknown person is refused", func(t *testing.T) {
		resp, err := http.Get(e.http.URL + "/api/state?user=UNOBODY")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("status %s, want 400", resp.Status)
		}
	})
	cases := []struct {
		name, user, channel string
		wantChannel         string
		wantPrivate         bool
	}{
		{"first channel by default", slackfake.Alice, "", slackfake.GeneralChannelID, true},
		{"unknown channel falls back", slackfake.Bob, "CNOPE", slackfake.GeneralChannelID, false},
		{"private channel for its member", slackfake.Alice, priv, priv, true},
		{"private channel hidden from others", slackfake.Bob, priv, slackfake.GeneralChannelID, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			st := e.state(t, tc.user, tc.channel)
			if st.Channel != tc.wantChannel {
				t.Errorf("channel = %s, want %s", st.Channel, tc.wantChannel)
			}
			hasPriv := false
			for _, c := range st.Channels {
				hasPriv = hasPriv || c.ID == priv
			}
			if hasPriv != tc.wantPrivate {
				t.Errorf("private channel listed = %v, want %v", hasPriv, tc.wantPrivate)
			}
			if st.Me != tc.user || st.Repo != "acme/postmortems" || len(st.Users) != 4 {
				t.Errorf("me=%s repo=%s users=%d", st.Me, st.Repo, len(st.Users))
			}
		})
	}
}

func TestSend(t *testing.T) {
	e := newEnv(t)
	e.startApp(t)
	solo, err := e.slack.CreateChannel(slackfake.Alice, "solo", false)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, user, channel, text string
		wantStatus                int
		wantErr                   string
		// wantMessage is text that must then be in the channel.
		wantMessage string
	}{
		{"plain message", slackfake.Alice, slackfake.GeneralChannelID, "hello there", 200, "", "hello there"},
		{"slash command reaches the app", slackfake.Bob, slackfake.GeneralChannelID, "/incident db down", 200, "", "card"},
		{"other slash commands are not installed", slackfake.Alice, slackfake.GeneralChannelID, "/giphy cat", 400, "/giphy is not a command", ""},
		{"empty text", slackfake.Alice, slackfake.GeneralChannelID, "   ", 400, "nothing to send", ""},
		{"not a member", slackfake.Carol, solo, "hi", 400, "not_in_channel", ""},
		{"the bot cannot be impersonated", slackfake.BotUserID, slackfake.GeneralChannelID, "hi", 400, "unknown person", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, msg := e.post(t, "/api/send", sendReq{User: tc.user, Channel: tc.channel, Text: tc.text})
			if status != tc.wantStatus || !strings.Contains(msg, tc.wantErr) {
				t.Fatalf("send = %d %q, want %d %q", status, msg, tc.wantStatus, tc.wantErr)
			}
			if tc.wantMessage == "" {
				return
			}
			testwait.Until(t, 5*time.Second, "the message", func() bool {
				for _, m := range e.state(t, tc.user, tc.channel).Messages {
					if strings.Contains(m.Text, tc.wantMessage) {
						return true
					}
				}
				return false
			})
		})
	}
}

func TestSlashWithoutTheBot(t *testing.T) {
	sf, err := slackfake.New(slackfake.WithAckTimeout(100 * time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer sf.Close()
	ui := New(sf, nil, "", "")
	defer ui.Close()
	hs := httptest.NewServer(ui)
	defer hs.Close()
	e := &env{slack: sf, ui: ui, http: hs}
	status, msg := e.post(t, "/api/send", sendReq{User: slackfake.Alice, Channel: slackfake.GeneralChannelID, Text: "/incident help"})
	if status != http.StatusBadGateway || !strings.Contains(msg, "not acknowledged") {
		t.Errorf("send = %d %q, want 502 saying the command was not acknowledged", status, msg)
	}
	if st := e.state(t, slackfake.Alice, ""); st.Repo != "" || len(st.Issues) != 0 {
		t.Errorf("without GitHub: repo=%q issues=%d", st.Repo, len(st.Issues))
	}
}

func TestClickSubmitReactPin(t *testing.T) {
	e := newEnv(t)
	a := e.startApp(t)
	if status, msg := e.post(t, "/api/send", sendReq{User: slackfake.Alice, Channel: slackfake.GeneralChannelID, Text: "/incident api slow"}); status != 200 {
		t.Fatalf("send: %d %s", status, msg)
	}
	var card messageJSON
	testwait.Until(t, 5*time.Second, "the card", func() bool {
		for _, m := range e.state(t, slackfake.Alice, slackfake.GeneralChannelID).Messages {
			if m.BotID != "" && len(m.Blocks) > 0 {
				card = m
				return true
			}
		}
		return false
	})
	if !bytes.Contains(card.Blocks, []byte(`"step.done"`)) {
		t.Fatalf("card blocks lack the button: %s", card.Blocks)
	}

	t.Run("clicks", func(t *testing.T) {
		cases := []struct {
			name       string
			req        clickReq
			wantStatus int
			wantValue  string
		}{
			{"button", clickReq{User: slackfake.Bob, Channel: slackfake.GeneralChannelID, TS: card.TS, ActionID: "step.done", Value: "INC-1:fix"}, 200, "INC-1:fix"},
			{"select", clickReq{User: slackfake.Bob, Channel: slackfake.GeneralChannelID, TS: card.TS, ActionID: "pick", Value: "sev2", Select: true}, 200, "sev2"},
			{"select with no such option", clickReq{User: slackfake.Bob, Channel: slackfake.GeneralChannelID, TS: card.TS, ActionID: "pick", Value: "sev9", Select: true}, 502, ""},
			{"no such button", clickReq{User: slackfake.Bob, Channel: slackfake.GeneralChannelID, TS: card.TS, ActionID: "nope"}, 502, ""},
			{"no such message", clickReq{User: slackfake.Bob, Channel: slackfake.GeneralChannelID, TS: "1.000001", ActionID: "step.done"}, 502, ""},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				before, _ := a.seen()
				status, msg := e.post(t, "/api/click", tc.req)
				if status != tc.wantStatus {
					t.Fatalf("click = %d %q, want %d", status, msg, tc.wantStatus)
				}
				after, _ := a.seen()
				if tc.wantValue == "" {
					if len(after) != len(before) {
						t.Errorf("a refused click reached the app")
					}
					return
				}
				if len(after) != len(before)+1 {
					t.Fatalf("app saw %d new actions, want 1", len(after)-len(before))
				}
				got := after[len(after)-1]
				if v := got.Value + got.SelectedOption.Value; v != tc.wantValue || got.ActionID != tc.req.ActionID {
					t.Errorf("app saw %s=%q, want %s=%q", got.ActionID, v, tc.req.ActionID, tc.wantValue)
				}
			})
		}
	})

	t.Run("modal", func(t *testing.T) {
		if status, msg := e.post(t, "/api/send", sendReq{User: slackfake.Carol, Channel: slackfake.GeneralChannelID, Text: "/incident modal"}); status != 200 {
			t.Fatalf("send: %d %s", status, msg)
		}
		var view *viewJSON
		testwait.Until(t, 5*time.Second, "the modal", func() bool { view = e.state(t, slackfake.Carol, "").View; return view != nil })
		if e.state(t, slackfake.Alice, "").View != nil {
			t.Error("carol's modal is shown to alice")
		}
		if status, _ := e.post(t, "/api/submit", submitReq{User: slackfake.Carol, View: view.ID, Values: map[string]map[string]string{"why": {"why": " "}}}); status != 200 {
			t.Fatalf("submit: %d", status)
		}
		if v := e.state(t, slackfake.Carol, "").View; v == nil || v.Errors["why"] != "Say why." {
			t.Fatalf("after a refused submission the view is %+v, want it open with the app's error", v)
		}
		if status, msg := e.post(t, "/api/submit", submitReq{User: slackfake.Bob, View: view.ID, Values: map[string]map[string]string{}}); status != 502 || !strings.Contains(msg, "no open view") {
			t.Errorf("bob submitting carol's view = %d %q, want 502", status, msg)
		}
		if status, _ := e.post(t, "/api/submit", submitReq{User: slackfake.Carol, View: view.ID, Values: map[string]map[string]string{"why": {"why": "because"}}}); status != 200 {
			t.Fatalf("submit: %d", status)
		}
		if v := e.state(t, slackfake.Carol, "").View; v != nil {
			t.Errorf("view still open after an accepted submission: %+v", v)
		}
		if _, n := a.seen(); n != 2 {
			t.Errorf("app saw %d submissions, want 2", n)
		}
	})

	t.Run("close modal", func(t *testing.T) {
		if status, _ := e.post(t, "/api/send", sendReq{User: slackfake.Carol, Channel: slackfake.GeneralChannelID, Text: "/incident modal"}); status != 200 {
			t.Fatal("send failed")
		}
		var view *viewJSON
		testwait.Until(t, 5*time.Second, "the modal", func() bool { view = e.state(t, slackfake.Carol, "").View; return view != nil })
		if status, msg := e.post(t, "/api/close-view", submitReq{User: slackfake.Carol, View: view.ID}); status != 200 {
			t.Fatalf("close: %d %s", status, msg)
		}
		if v := e.state(t, slackfake.Carol, "").View; v != nil {
			t.Errorf("view still open after closing: %+v", v)
		}
	})

	t.Run("react and pin", func(t *testing.T) {
		if status, msg := e.post(t, "/api/react", messageReq{User: slackfake.Bob, Channel: slackfake.GeneralChannelID, TS: card.TS}); status != 200 {
			t.Fatalf("react: %d %s", status, msg)
		}
		if status, msg := e.post(t, "/api/pin", messageReq{User: slackfake.Bob, Channel: slackfake.GeneralChannelID, TS: card.TS}); status != 200 {
			t.Fatalf("pin: %d %s", status, msg)
		}
		if status, _ := e.post(t, "/api/pin", messageReq{User: slackfake.Bob, Channel: slackfake.GeneralChannelID, TS: "1.000001"}); status != 400 {
			t.Errorf("pinning a missing message = %d, want 400", status)
		}
		for _, m := range e.state(t, slackfake.Alice, slackfake.GeneralChannelID).Messages {
			if m.TS != card.TS {
				continue
			}
			if !m.Pinned || len(m.Reactions) != 1 || m.Reactions[0].Name != "pushpin" || m.Reactions[0].Users[0] != slackfake.Bob {
				t.Errorf("card pinned=%v reactions=%+v, want pinned with bob's :pushpin:", m.Pinned, m.Reactions)
			}
			return
		}
		t.Error("card not in state")
	})
}

// TestClickOnEphemeral: a button on an ephemeral message (the answer to a
// typo) reaches the app like any other click.
func TestClickOnEphemeral(t *testing.T) {
	e := newEnv(t)
	a := e.startApp(t)
	ts, err := e.api.PostEphemeral(slackfake.GeneralChannelID, slackfake.Alice, slack.MsgOptionText("did you mean", false),
		slack.MsgOptionBlocks(slack.NewActionBlock("typo:declare",
			slack.NewButtonBlockElement("incident.declare_typed", "frobnicate", slack.NewTextBlockObject("plain_text", "Declare", false, false)))))
	if err != nil {
		t.Fatal(err)
	}
	if status, msg := e.post(t, "/api/click", clickReq{User: slackfake.Alice, Channel: slackfake.GeneralChannelID, TS: ts, ActionID: "incident.declare_typed"}); status != http.StatusOK {
		t.Fatalf("click = %d %q", status, msg)
	}
	testwait.Until(t, 5*time.Second, "the click", func() bool { acts, _ := a.seen(); return len(acts) == 1 })
	if acts, _ := a.seen(); acts[0].ActionID != "incident.declare_typed" || acts[0].Value != "frobnicate" {
		t.Fatalf("action %+v", acts[0])
	}
}

func TestBodyIsChecked(t *testing.T) {
	e := newEnv(t)
	cases := []struct {
		name, path, body string
	}{
		{"not JSON", "/api/send", "hello"},
		{"unknown field", "/api/react", `{"user":"UALICE","channel":"C0GENERAL","ts":"1.0","emoji":"x"}`},
		{"no person", "/api/pin", `{"channel":"C0GENERAL","ts":"1.0"}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := http.Post(e.http.URL+tc.path, "application/json", strings.NewReader(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusBadRequest {
				t.Errorf("status %s, want 400", resp.Status)
			}
		})
	}
}

func TestJoinAndDirectMessages(t *testing.T) {
	e := newEnv(t)
	ch, err := e.slack.CreateChannel(slackfake.Alice, "ops", false)
	if err != nil {
		t.Fatal(err)
	}
	if status, msg := e.post(t, "/api/join", messageReq{User: slackfake.Bob, Channel: ch}); status != 200 {
		t.Fatalf("join: %d %s", status, msg)
	}
	for _, c := range e.state(t, slackfake.Bob, ch).Channels {
		if c.ID == ch && !c.IsMember {
			t.Error("bob is not a member after joining")
		}
	}
	// The bot writes to alice directly: the IM shows for her only.
	if _, _, err := e.api.PostMessage(slackfake.Alice, slack.MsgOptionText("psst", false)); err != nil {
		t.Fatal(err)
	}
	var im string
	testwait.Until(t, 5*time.Second, "alice's direct messages", func() bool {
		for _, c := range e.state(t, slackfake.Alice, "").Channels {
			if c.IsIM {
				im = c.ID
				return true
			}
		}
		return false
	})
	if msgs := e.state(t, slackfake.Alice, im).Messages; len(msgs) != 1 || msgs[0].Text != "psst" {
		t.Errorf("IM messages = %+v", msgs)
	}
	for _, c := range e.state(t, slackfake.Bob, "").Channels {
		if c.ID == im {
			t.Error("alice's IM is listed for bob")
		}
	}
}

func TestIssuesNewestFirst(t *testing.T) {
	e := newEnv(t)
	for _, title := range []string{"Postmortem: INC-1 a", "Postmortem: INC-2 b"} {
		e.fileIssue(t, "postmortems", map[string]any{"title": title, "body": "## Summary\n", "labels": []string{"postmortem"}})
	}
	is := e.state(t, slackfake.Alice, "").Issues
	if len(is) != 2 || is[0].Number != 2 || is[1].Number != 1 || is[0].Labels[0] != "postmortem" || is[0].Body != "## Summary\n" {
		t.Errorf("issues = %+v, want #2 then #1 with labels and body", is)
	}
}

// TestEvents reads the event stream: a Slack change and a GitHub change each
// produce an event, so the page knows to re-read.
func TestEvents(t *testing.T) {
	e := newEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, e.http.URL+"/api/events", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("Content-Type %q", ct)
	}
	lines := make(chan string)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			case <-ctx.Done():
				return
			}
		}
	}()
	next := func(prefix string) string {
		t.Helper()
		for {
			select {
			case l, ok := <-lines:
				if !ok {
					t.Fatalf("stream ended before %q", prefix)
				}
				if strings.HasPrefix(l, prefix) {
					return l
				}
			case <-ctx.Done():
				t.Fatalf("no %q line in time", prefix)
			}
		}
	}
	next("retry:")
	if _, err := e.slack.PostAsUser(slackfake.Alice, slackfake.GeneralChannelID, "hi"); err != nil {
		t.Fatal(err)
	}
	next("event: slack")
	if data := next("data:"); !strings.Contains(data, `"kind":"message_posted"`) || !strings.Contains(data, slackfake.GeneralChannelID) {
		t.Errorf("slack event data %s", data)
	}
	e.gh.AddRepo("acme", "other")
	e.fileIssue(t, "other", map[string]any{"title": "x"})
	next("event: github")

	// Close ends open streams, so an HTTP server shutting down is not held.
	_ = e.ui.Close()
	for range lines {
	}
}
