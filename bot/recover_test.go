package bot_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/firebreak-hq/firebreak/bot"
	"github.com/firebreak-hq/firebreak/incident"
	"github.com/firebreak-hq/firebreak/internal/slackfake"
	"github.com/firebreak-hq/firebreak/playbooks"
)

var errNotFound = errors.New("not found")

// buggyStore panics on every write, standing in for a bug in a handler.
type buggyStore struct{}

func (buggyStore) Create(bot.SlackRecord, func(uint64) (incident.Result, error)) (incident.Result, error) {
	panic("bug: nil map in declare")
}
func (buggyStore) CreateOnce(string, bot.SlackRecord, func(uint64) (incident.Result, error)) (incident.Result, bool, error) {
	panic("bug")
}
func (buggyStore) Slack(uint64) (bot.SlackRecord, error) { return bot.SlackRecord{}, errNotFound }
func (buggyStore) UpdateSlack(uint64, func(bot.SlackRecord) bot.SlackRecord) (bot.SlackRecord, error) {
	panic("bug")
}
func (buggyStore) Apply(uint64, func(incident.Incident) (incident.Result, error)) (incident.Result, error) {
	panic("bug")
}
func (buggyStore) ApplyOnce(string, uint64, func(incident.Incident) (incident.Result, error)) (incident.Result, bool, error) {
	panic("bug")
}
func (buggyStore) Get(uint64) (incident.Incident, error) { return incident.Incident{}, errNotFound }
func (buggyStore) ByChannel(string) (incident.Incident, error) {
	return incident.Incident{}, errNotFound
}
func (buggyStore) OpenIncidents() ([]incident.Incident, error) { return nil, nil }
func (buggyStore) RecentClosed(time.Time) ([]incident.Incident, error) {
	return nil, nil
}
func (buggyStore) Events(uint64) ([]incident.Event, error) { return nil, nil }
func (buggyStore) Pending(int) ([]bot.OutboxItem, error)   { return nil, nil }
func (buggyStore) Done(...uint64) error                    { return nil }
func (buggyStore) Retry(uint64, time.Time, string) error   { return nil }
func (buggyStore) Notify() <-chan struct{}                 { return nil }

var (
	_ bot.Incidents = buggyStore{}
	_ bot.Reader    = buggyStore{}
	_ bot.Outbox    = buggyStore{}
)

// TestHandlerPanicIsContained: a bug in one handler is recovered, the
// user is told, and the bot keeps serving.
func TestHandlerPanicIsContained(t *testing.T) {
	fake, err := slackfake.New()
	if err != nil {
		t.Fatal(err)
	}
	defer fake.Close()
	pbs, err := playbooks.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	api := slack.New(fake.BotToken(), slack.OptionAPIURL(fake.APIURL()), slack.OptionAppLevelToken(fake.AppToken()))
	st := buggyStore{}
	b, err := bot.New(bot.Config{API: api, Store: st, Reader: st, Outbox: st, Playbooks: pbs,
		NotFound: func(err error) bool { return errors.Is(err, errNotFound) }})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- b.Run(ctx) }()
	defer func() { cancel(); <-done }()
	wctx, wc := context.WithTimeout(ctx, 15*time.Second)
	defer wc()
	if err := fake.WaitConnected(wctx); err != nil {
		t.Fatal(err)
	}
	text := func(a slackfake.Ack) string {
		var p struct{ Text string }
		_ = json.Unmarshal(a.Payload, &p)
		return p.Text
	}
	ack, err := fake.Slash(slackfake.Alice, slackfake.GeneralChannelID, "new Disk full")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text(ack), "went wrong") {
		t.Fatalf("user not told about the failure: %q", text(ack))
	}
	ack, err = fake.Slash(slackfake.Alice, slackfake.GeneralChannelID, "help")
	if err != nil || !strings.Contains(text(ack), "/incident") {
		t.Fatalf("bot stopped serving after a panic: %v %q", err, text(ack))
	}
}
