package bot

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/slack-go/slack"
	"go.uber.org/zap"

	"github.com/firebreak-hq/firebreak/internal/slackfake"
)

// deadURL is a response_url nobody answers at (a listener closed at once).
func deadURL(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	return "http://" + addr + "/expired"
}

// TestTellPrivatelyFallsBackInOrder: one path answers someone privately
// (response_url, then an ephemeral where they are, then a DM), each step
// through the call path and its metrics.
func TestTellPrivatelyFallsBackInOrder(t *testing.T) {
	fake, err := slackfake.New()
	if err != nil {
		t.Fatal(err)
	}
	defer fake.Close()
	ops, err := fake.CreateChannel(slackfake.Alice, "ops", false, slackfake.BotUserID)
	if err != nil {
		t.Fatal(err)
	}
	var calls []string
	api := slack.New(fake.BotToken(), slack.OptionAPIURL(fake.APIURL()))
	// The private-answer path reads no storage: the bot is built bare.
	b := &Bot{cfg: Config{API: api, CallTimeout: 2 * time.Second, Hooks: Hooks{SlackCall: func(method string, err error) { calls = append(calls, method) }}},
		api: api, now: time.Now, log: zap.NewNop(), botUser: slackfake.BotUserID}
	b.exec = newExecutor(b)
	ctx := context.Background()

	// The response_url is gone and the bot is not in #general: a DM.
	to := privately{replyURL: deadURL(t), channel: slackfake.GeneralChannelID, user: slackfake.Alice}
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
	want := []string{"response_url", "response_url", "chat.postEphemeral", "chat.postMessage", "chat.postEphemeral"}
	if len(calls) != len(want) {
		t.Fatalf("calls %v, want %v", calls, want)
	}
	for i := range want {
		if calls[i] != want[i] {
			t.Fatalf("calls %v, want %v", calls, want)
		}
	}
}
