package demo

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/firebreak-hq/firebreak/internal/slackfake"
)

// TestSlackify checks that typed text reaches the app as Slack's client
// sends it: entities escaped, people, channels and links turned into markup,
// code and unknown names left alone.
func TestSlackify(t *testing.T) {
	e := newEnv(t)
	secret, err := e.slack.CreateChannel(slackfake.Alice, "secret-ops", true)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, person, text string
		slash              bool
		want               string
	}{
		{"README: lead", slackfake.Alice, "lead @carol", true, "lead <@UCAROL|carol>"},
		{"README: role", slackfake.Alice, "role comms @bob", true, "role comms <@UBOB|bob>"},
		{"message mention has no label", slackfake.Alice, "@carol can you look?", false, "<@UCAROL> can you look?"},
		{"case-insensitive, sentence punctuation stays outside", slackfake.Alice, "ask @Carol.", true, "ask <@UCAROL|carol>."},
		{"mention in parentheses", slackfake.Alice, "(@bob)", false, "(<@UBOB>)"},
		{"unknown person stays text", slackfake.Alice, "lead @dave", true, "lead @dave"},
		{"email address is not a mention", slackfake.Alice, "mail ops@example.com", false, "mail ops@example.com"},
		{"broadcasts", slackfake.Alice, "@here @channel @everyone", false, "<!here> <!channel> <!everyone>"},
		{"channel", slackfake.Alice, "moved to #general, see there", true, "moved to <#" + slackfake.GeneralChannelID + "|general>, see there"},
		{"unknown channel stays text", slackfake.Alice, "#nope and issue #12", false, "#nope and issue #12"},
		{"private channel the person is in", slackfake.Alice, "#secret-ops", false, "<#" + secret + "|secret-ops>"},
		{"private channel the person cannot see", slackfake.Bob, "#secret-ops", false, "#secret-ops"},
		{"link", slackfake.Alice, "see https://status.example.com/x?a=1&b=2.", false, "see <https://status.example.com/x?a=1&amp;b=2>."},
		{"anchors and at-signs inside a link are the link's", slackfake.Alice, "https://example.com/@carol#general", false, "<https://example.com/@carol#general>"},
		{"entities", slackfake.Alice, "p99 < 200ms & errors > 1%", true, "p99 &lt; 200ms &amp; errors &gt; 1%"},
		{"typed markup is escaped, not obeyed", slackfake.Alice, "<!channel> <@UBOB>", true, "&lt;!channel&gt; &lt;@UBOB&gt;"},
		{"code is left as typed", slackfake.Alice, "note `@carol #general` ran ```curl https://x.test``` for @bob", true, "note `@carol #general` ran ```curl https://x.test``` for <@UBOB|bob>"},
		{"an unclosed backtick is text", slackfake.Alice, "note ` @bob", true, "note ` <@UBOB|bob>"},
		{"emoji and non-Latin text untouched", slackfake.Alice, ":fire: 支付失败", false, ":fire: 支付失败"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := e.ui.slackify(tc.person, tc.text, tc.slash); got != tc.want {
				t.Errorf("slackify(%q, slash=%v)\n got %q\nwant %q", tc.text, tc.slash, got, tc.want)
			}
		})
	}
}

// TestSendTransformsAsSlack types the README's examples in the composer and
// checks what reaches the app over Socket Mode, and what a plain message
// holds once posted.
func TestSendTransformsAsSlack(t *testing.T) {
	e := newEnv(t)
	e.startApp(t)
	for _, typed := range []string{"/incident lead @carol", "/incident role comms @bob"} {
		if status, msg := e.post(t, "/api/send", sendReq{User: slackfake.Alice, Channel: slackfake.GeneralChannelID, Text: typed}); status != http.StatusOK {
			t.Fatalf("send %q = %d %q", typed, status, msg)
		}
	}
	var got []string
	for _, env := range e.slack.Envelopes() {
		if env.Type != "slash_commands" {
			continue
		}
		var p struct {
			Text string `json:"text"`
		}
		if err := json.Unmarshal(env.Payload, &p); err != nil {
			t.Fatal(err)
		}
		got = append(got, p.Text)
	}
	want := []string{"lead <@UCAROL|carol>", "role comms <@UBOB|bob>"}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("slash texts the app received = %q, want %q", got, want)
	}

	if status, msg := e.post(t, "/api/send", sendReq{User: slackfake.Bob, Channel: slackfake.GeneralChannelID, Text: "@carol rollback <done> in #general"}); status != http.StatusOK {
		t.Fatalf("send message = %d %q", status, msg)
	}
	wantText := "<@UCAROL> rollback &lt;done&gt; in <#" + slackfake.GeneralChannelID + "|general>"
	for _, m := range e.slack.Messages(slackfake.GeneralChannelID) {
		if m.User == slackfake.Bob {
			if m.Text != wantText {
				t.Errorf("posted text = %q, want %q", m.Text, wantText)
			}
			return
		}
	}
	t.Errorf("bob's message is not in #general")
}
