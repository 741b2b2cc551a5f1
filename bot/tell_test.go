package bot

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"
	"go.uber.org/zap"

	"github.com/firebreak-hq/firebreak/internal/slackfake"
)

// TestTellPrivatelyFallsBackInOrder: one path answers someone privately
// (response_url, then an ephemeral where they are, then a DM), each step
// through the call path and its metrics.
func TestTellPrivatelyFallsBackInOrder(t *testing.T) {
	fake, err := slackfake.New()
	if err != nil {
		t.Fatal(err)
	}
	defer fake.Close()
	var calls []string
	api := slack.New(fake.BotToken(), slack.OptionAPIURL(fake.APIURL()))
	ops, err := fake.CreateChannel(slackfake.Alice, "ops", false, slackfake.BotUserID)
	if err != nil {
		t.Fatal(err)
	}
	// The private-answer path reads no storage: the bot is built bare.
	b := &Bot{cfg: Config{API: api, CallTimeout: 2 * time.Second, Hooks: Hooks{SlackCall: func(method string, err error) { calls = append(calls, method) }}},
		api: api, now: time.Now, log: zap.NewNop(), botUser: slackfake.BotUserID}
	b.exec = newExecutor(b)
	ctx := context.Background()

	// The response_url is unknown to Slack (404) and the bot is not in
	// #general: a DM.
	gone := strings.TrimSuffix(fake.APIURL(), "/api/") + "/response/R404"
	to := privately{replyURL: gone, channel: slackfake.GeneralChannelID, user: slackfake.Alice}
	if err := b.exec.tellPrivately(ctx, to, "first"); err != nil {
		t.Fatal(err)
	}
	// The bot is in #ops: an ephemeral there.
	to = privately{channel: ops, user: slackfake.Alice}
	if err := b.exec.tellPrivately(ctx, to, "second"); err != nil {
		t.Fatal(err)
	}

	var dms []string
	for _, c := range fake.Calls("chat.postMessage") {
		if c.Params["channel"] == slackfake.Alice && c.Error == "" {
			dms = append(dms, c.Params["text"])
		}
	}
	if len(dms) != 1 || dms[0] != "first" {
		t.Errorf("direct messages %q, want [first]", dms)
	}
	eph := fake.Ephemerals(slackfake.Alice)
	if len(eph) != 1 || eph[0].Text != "second" || eph[0].Channel != ops || eph[0].Source != "chat.postEphemeral" {
		t.Errorf("ephemerals %+v, want one \"second\" in #ops", eph)
	}
	want := []string{"response_url", "chat.postEphemeral", "chat.postMessage", "chat.postEphemeral"}
	if len(calls) != len(want) {
		t.Fatalf("calls %v, want %v", calls, want)
	}
	for i := range want {
		if calls[i] != want[i] {
			t.Fatalf("calls %v, want %v", calls, want)
		}
	}
}
