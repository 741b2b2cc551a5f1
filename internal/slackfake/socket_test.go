package slackfake

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
	"github.com/slack-go/slack/socketmode"

	"github.com/firebreak-hq/firebreak/internal/testwait"
)

// TestSlackGoTraps drives the fake with slack-go's SocketmodeHandler: if the hello, the slash
// payload or the block_actions payload missed a field slack-go needs, these handlers would
// never fire.
func TestSlackGoTraps(t *testing.T) {
	f := newFake(t, WithOwnEvents(false))
	api := apiClient(f)
	inc := botChannel(t, api, "inc-1-traps")
	client := socketmode.New(api)
	h := socketmode.NewSocketmodeHandler(client)
	var mu sync.Mutex
	var slash slack.SlashCommand
	var action slack.InteractionCallback
	var hello *socketmode.Request
	h.Handle(socketmode.EventTypeHello, func(e *socketmode.Event, c *socketmode.Client) {
		mu.Lock()
		hello = e.Request
		mu.Unlock()
	})
	h.HandleSlashCommand(SlashCommand, func(e *socketmode.Event, c *socketmode.Client) {
		mu.Lock()
		slash = e.Data.(slack.SlashCommand)
		mu.Unlock()
		c.Ack(*e.Request, map[string]any{"text": "declared", "response_type": "ephemeral"})
	})
	h.HandleInteractionBlockAction("step.done", func(e *socketmode.Event, c *socketmode.Client) {
		mu.Lock()
		action = e.Data.(slack.InteractionCallback)
		mu.Unlock()
		c.Ack(*e.Request)
	})
	bad := make(chan socketmode.Event, 10)
	h.Handle(socketmode.EventTypeErrorBadMessage, func(e *socketmode.Event, c *socketmode.Client) { bad <- *e })
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = h.RunEventLoopContext(ctx) }()
	t.Cleanup(func() { cancel(); <-done })

	a, err := f.Slash(Alice, inc, "db is down")
	if err != nil {
		t.Fatal(err)
	}
	// The handler runs each event on a goroutine of its own, so the hello
	// may reach its handler after the slash command was acked.
	testwait.Until(t, 10*time.Second, "the hello handled", func() bool { mu.Lock(); defer mu.Unlock(); return hello != nil })
	mu.Lock()
	if hello == nil || hello.DebugInfo.BuildNumber != 54 || hello.DebugInfo.ApproximateConnectionTime != 3600 {
		t.Errorf("hello = %+v", hello)
	}
	if slash.Command != "/incident" || slash.Text != "db is down" || slash.UserID != Alice || slash.TriggerID == "" ||
		slash.ResponseURL == "" || slash.ChannelName != "inc-1-traps" || slash.TeamID != TeamID {
		t.Errorf("slash = %+v", slash)
	}
	mu.Unlock()
	if !strings.Contains(string(a.Payload), "declared") || a.Latency <= 0 {
		t.Fatalf("ack = %+v", a)
	}
	if eph := f.Ephemerals(Alice); len(eph) != 1 || eph[0].Text != "declared" || eph[0].Source != "ack" {
		t.Fatalf("ack payload not shown: %+v", eph)
	}
	var env map[string]any
	_ = json.Unmarshal(f.Envelopes()[0].Payload, &env)
	if env["is_enterprise_install"] != "false" {
		t.Fatalf("is_enterprise_install = %#v", env["is_enterprise_install"])
	}

	card := slack.NewActionBlock("steps", slack.NewButtonBlockElement("step.done", "INC-1:page", slack.NewTextBlockObject("plain_text", "Done", false, false)))
	_, ts, err := api.PostMessage(inc, slack.MsgOptionText("card", false), slack.MsgOptionBlocks(card))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Click(Bob, inc, ts, "step.done", ""); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	if len(action.ActionCallback.BlockActions) != 1 || action.ActionCallback.BlockActions[0].BlockID != "steps" ||
		action.ActionCallback.BlockActions[0].Value != "INC-1:page" || action.Container.MessageTs != ts || action.User.ID != Bob {
		t.Errorf("action = %+v", action)
	}
	mu.Unlock()
	envs := f.Envelopes()
	if strings.Contains(string(envs[len(envs)-1].Payload), "attachment_id") {
		t.Error("container carries attachment_id")
	}
	if _, err := f.Click(Bob, inc, ts, "no.such", ""); err == nil {
		t.Error("click on a missing action_id succeeded")
	}
	select {
	case e := <-bad:
		t.Fatalf("slack-go could not parse a payload: %+v", e)
	default:
	}
}

func collectEvents(a *smApp) map[string][]*socketmode.Request {
	out := map[string][]*socketmode.Request{}
	for _, r := range a.requests() {
		if r.Type == "events_api" {
			id, _ := eventText(r)
			out[id] = append(out[id], r)
		}
	}
	return out
}

func TestReconnectDeliversEverythingOnce(t *testing.T) {
	// The redelivery delay is long enough that a loaded machine acks in time, so that only
	// the event never acked is redelivered.
	f := newFake(t, WithOwnEvents(false), WithPingInterval(200*time.Millisecond), WithRedeliveryDelay(time.Second))
	noAck := map[string]bool{}
	var mu sync.Mutex
	app := startApp(t, f, func(c *socketmode.Client, e socketmode.Event) {
		if e.Request == nil || e.Request.EnvelopeID == "" {
			return
		}
		if e.Request.Type == "events_api" {
			id, _ := eventText(e.Request)
			mu.Lock()
			skip := noAck[id]
			mu.Unlock()
			if skip {
				return
			}
		}
		c.Ack(*e.Request)
	})
	inner := func(text string) map[string]any {
		return map[string]any{"type": "message", "channel": GeneralChannelID, "user": Alice, "text": text, "ts": "1700000000.000001", "channel_type": "channel"}
	}
	var ids []string
	connOpens := func() int { return len(f.Calls("apps.connections.open")) }

	// refresh_requested: the client must reopen; what is sent meanwhile waits for it.
	before := connOpens()
	f.Disconnect(ReasonRefreshRequested)
	for i := 0; i < 5; i++ {
		ids = append(ids, f.Event(inner(fmt.Sprintf("refresh-%d", i))))
	}
	slashID, err := f.SendSlash(Bob, GeneralChannelID, "during refresh")
	if err != nil {
		t.Fatal(err)
	}
	testwait.Until(t, 20*time.Second, "reconnect after refresh_requested", func() bool { return connOpens() > before })

	// abrupt drop
	testwait.Until(t, 20*time.Second, "refresh deliveries", func() bool { return len(collectEvents(app)) >= 5 })
	// Dropped before Slack has read an ack, an event is rightly redelivered; this part is
	// about what is sent after the drop.
	testwait.Until(t, 20*time.Second, "refresh deliveries acked", func() bool { busy, _ := f.Quiet(); return busy == 0 })
	before = connOpens()
	f.DropSockets()
	for i := 0; i < 5; i++ {
		ids = append(ids, f.Event(inner(fmt.Sprintf("drop-%d", i))))
	}
	testwait.Until(t, 20*time.Second, "reconnect after drop", func() bool { return connOpens() > before })
	testwait.Until(t, 20*time.Second, "all 10 events", func() bool { return len(collectEvents(app)) >= 10 })

	// an event the app never acks is redelivered three times, same event_id.
	mu.Lock()
	noAck["EvNOACK"] = true
	mu.Unlock()
	f.EventWithID("EvNOACK", inner("never acked"))
	testwait.Until(t, 20*time.Second, "3 redeliveries", func() bool { return len(collectEvents(app)["EvNOACK"]) >= 4 })
	// The fourth delivery was the last: no redelivery is armed, so no fifth can come.
	testwait.Until(t, 20*time.Second, "the last redelivery timer fired", func() bool {
		f.mu.Lock()
		defer f.mu.Unlock()
		return f.sm.armed == 0
	})
	// A timer enqueues its redelivery before it counts itself fired.
	noAckEnvs := 0
	for _, e := range f.Envelopes() {
		if e.EventID == "EvNOACK" {
			noAckEnvs++
		}
	}
	if noAckEnvs != 4 {
		t.Fatalf("EvNOACK enqueued %d times, want the first delivery and three redeliveries", noAckEnvs)
	}

	got := collectEvents(app)
	for _, id := range ids {
		if n := len(got[id]); n != 1 {
			t.Errorf("event %s delivered %d times", id, n)
		}
	}
	var slashSeen int
	for _, r := range app.requests() {
		if r.EnvelopeID == slashID {
			slashSeen++
		}
	}
	if slashSeen != 1 {
		t.Errorf("slash delivered %d times", slashSeen)
	}
	red := got["EvNOACK"]
	if len(red) != 4 {
		t.Fatalf("EvNOACK delivered %d times", len(red))
	}
	envIDs := map[string]bool{}
	for i, r := range red {
		if r.RetryAttempt != i {
			t.Errorf("delivery %d retry_attempt %d", i, r.RetryAttempt)
		}
		if i > 0 && r.RetryReason != "timeout" {
			t.Errorf("delivery %d retry_reason %q", i, r.RetryReason)
		}
		envIDs[r.EnvelopeID] = true
	}
	if len(envIDs) != 4 {
		t.Errorf("redeliveries reused envelope ids: %v", envIDs)
	}
	// Every event slack-go received parsed as an Events API event.
	for _, e := range app.events() {
		if e.Type == socketmode.EventTypeEventsAPI {
			if _, ok := e.Data.(slackevents.EventsAPIEvent); !ok {
				t.Errorf("unparsed %+v", e)
			}
		}
	}
}

func TestSeveralConnectionsEachEnvelopeToOne(t *testing.T) {
	f := newFake(t, WithOwnEvents(false))
	a1 := startApp(t, f, nil)
	a2 := startApp(t, f, nil)
	testwait.Until(t, 20*time.Second, "two connections", func() bool { return f.Connections() == 2 })
	for i := 0; i < 10; i++ {
		f.Event(map[string]any{"type": "app_mention", "channel": GeneralChannelID, "user": Alice, "text": "hi", "ts": "1.000001"})
	}
	testwait.Until(t, 20*time.Second, "10 acks", func() bool { return len(f.Acks()) >= 10 })
	seen := map[string]int{}
	for _, a := range []*smApp{a1, a2} {
		for _, r := range a.requests() {
			seen[r.EnvelopeID]++
		}
	}
	if len(seen) != 10 {
		t.Fatalf("%d distinct envelopes", len(seen))
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("%s delivered %d times", id, n)
		}
	}
	if len(a1.requests()) == 0 || len(a2.requests()) == 0 {
		t.Errorf("round robin: %d / %d", len(a1.requests()), len(a2.requests()))
	}
}

func TestEventsOnlyWhereBotIsMember(t *testing.T) {
	f := newFake(t, WithOwnEvents(false))
	app := startApp(t, f, nil)
	if _, err := f.PostAsUser(Alice, GeneralChannelID, "bot is not here"); err != nil {
		t.Fatal(err)
	}
	if err := f.Join(BotUserID, GeneralChannelID); err != nil {
		t.Fatal(err)
	}
	ts, err := f.PostAsUser(Alice, GeneralChannelID, "now it is")
	if err != nil {
		t.Fatal(err)
	}
	if err := f.React(Bob, GeneralChannelID, ts, "pushpin"); err != nil {
		t.Fatal(err)
	}
	if err := f.Pin(Carol, GeneralChannelID, ts); err != nil {
		t.Fatal(err)
	}
	testwait.Until(t, 20*time.Second, "4 events", func() bool { return len(app.requests()) >= 4 })
	var types []string
	for _, e := range app.events() {
		if ev, ok := e.Data.(slackevents.EventsAPIEvent); ok {
			types = append(types, ev.InnerEvent.Type)
			if ev.InnerEvent.Type == "message" {
				if m := ev.InnerEvent.Data.(*slackevents.MessageEvent); m.Text != "now it is" {
					t.Errorf("message event for %q", m.Text)
				}
			}
		}
	}
	want := "member_joined_channel,message,reaction_added,pin_added"
	if strings.Join(types, ",") != want {
		t.Fatalf("events %v, want %s", types, want)
	}
}

func TestSlashWithoutAckTimesOut(t *testing.T) {
	f := newFake(t, WithAckTimeout(200*time.Millisecond))
	_, err := f.Slash(Alice, GeneralChannelID, "nobody listens")
	if !errors.Is(err, ErrNoAck) {
		t.Fatalf("err = %v", err)
	}
	testwait.Until(t, 20*time.Second, "operation_timeout ephemeral", func() bool {
		e := f.Ephemerals(Alice)
		return len(e) == 1 && strings.Contains(e[0].Text, "operation_timeout")
	})
}
