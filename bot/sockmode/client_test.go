package sockmode

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	"github.com/firebreak-hq/firebreak/internal/slackfake"
)

func fake(t *testing.T, opts ...slackfake.Option) *slackfake.Server {
	t.Helper()
	f, err := slackfake.New(append([]slackfake.Option{slackfake.WithOwnEvents(false)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = f.Close() })
	return f
}

// start runs a client that acks every envelope it is handed and counts what it saw.
type running struct {
	cl   *Client
	mu   sync.Mutex
	seen map[string]int // envelope id → times handed over
	kind map[socketmode.EventType]int
}

func start(t *testing.T, f *slackfake.Server, opt Options) *running {
	t.Helper()
	api := slack.New(f.BotToken(), slack.OptionAPIURL(f.APIURL()), slack.OptionAppLevelToken(f.AppToken()))
	r := &running{cl: New(api, opt), seen: map[string]int{}, kind: map[socketmode.EventType]int{}}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.cl.RunContext(ctx) }()
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case e := <-r.cl.Incoming():
				r.mu.Lock()
				r.kind[e.Type]++
				if e.Request != nil && e.Request.EnvelopeID != "" {
					r.seen[e.Request.EnvelopeID]++
				}
				r.mu.Unlock()
				if e.Request != nil && e.Request.EnvelopeID != "" {
					_ = r.cl.Ack(*e.Request)
				}
			}
		}
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("RunContext: %v", err)
		}
	})
	return r
}

func (r *running) count(k socketmode.EventType) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.kind[k]
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestRefreshOpensTheNewConnectionFirst: asked to refresh, the client has its new connection
// up before the old one closes, closes the old one itself (long before Slack would), and
// every envelope sent around the refresh is acked in time, none redelivered.
func TestRefreshOpensTheNewConnectionFirst(t *testing.T) {
	f := fake(t, slackfake.WithDrainAfter(time.Minute))
	r := start(t, f, Options{})
	waitFor(t, "a connection", func() bool { return len(f.ConnIDs()) == 1 })
	ch, err := f.CreateChannel(slackfake.Alice, "refresh", false, slackfake.BotUserID)
	if err != nil {
		t.Fatal(err)
	}
	var slashErrs []error
	var wg sync.WaitGroup
	var mu sync.Mutex
	for round := 0; round < 3; round++ {
		// The fake registers the new connection just after its hello, which may be after
		// the client closed the old one.
		waitFor(t, "one registered connection", func() bool { return len(f.ConnIDs()) == 1 })
		old := f.ConnIDs()[0]
		for i := 0; i < 20; i++ {
			if i == 5 {
				// Slack warns before it refreshes; both mean "open another connection".
				reason := []string{slackfake.ReasonRefreshRequested, slackfake.ReasonWarning}[round%2]
				if err := f.DisconnectConn(old, reason); err != nil {
					t.Fatal(err)
				}
			}
			f.Event(map[string]any{"type": "pin_added", "channel_id": ch, "user": slackfake.Alice})
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				if _, err := f.Slash(slackfake.Alice, ch, fmt.Sprintf("status %d", i)); err != nil {
					mu.Lock()
					slashErrs = append(slashErrs, err)
					mu.Unlock()
				}
			}(i)
		}
		waitFor(t, "the old connection closed", func() bool {
			for _, sp := range f.ConnHistory() {
				if sp.ID == old {
					return !sp.Closed.IsZero()
				}
			}
			return false
		})
	}
	wg.Wait()
	for _, err := range slashErrs {
		t.Errorf("slash command not acked in time: %v", err)
	}
	waitFor(t, "every envelope acked", func() bool { busy, _ := f.Quiet(); return busy == 0 })
	hist := f.ConnHistory()
	if len(hist) != 4 {
		t.Fatalf("%d connections for 3 refreshes: %+v", len(hist), hist)
	}
	for i, sp := range hist[:3] {
		next := hist[i+1]
		if sp.Reason == "" {
			t.Errorf("connection %d ended without being asked: %+v", sp.ID, sp)
		}
		if !next.Opened.Before(sp.Closed) {
			t.Errorf("connection %d opened at %v, after %d closed at %v: a gap", next.ID, next.Opened, sp.ID, sp.Closed)
		}
	}
	for _, a := range f.Acks() {
		if a.Late || a.RetryAttempt != 0 {
			t.Errorf("ack %+v late or of a redelivery", a)
		}
	}
	if n := len(f.Envelopes()); n != 120 {
		t.Errorf("%d envelopes for 60 events and 60 slash commands: something was redelivered", n)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for id, n := range r.seen {
		if n != 1 {
			t.Errorf("envelope %s handed over %d times", id, n)
		}
	}
	if r.kind[socketmode.EventTypeDisconnect] != 0 || r.kind[socketmode.EventTypeConnected] != 1 {
		t.Errorf("the bot was told of %d disconnects and %d connects; a refresh is neither", r.kind[socketmode.EventTypeDisconnect], r.kind[socketmode.EventTypeConnected])
	}
}

// TestTooManyWebsocketsBacksOff: with the app's 10 connections taken, the client is turned
// away, waits longer after each refusal, and connects once a place is free.
func TestTooManyWebsocketsBacksOff(t *testing.T) {
	f := fake(t)
	others := dialMany(t, f, 10)
	min := 20 * time.Millisecond
	r := start(t, f, Options{BackoffMin: min, BackoffMax: 5 * time.Second})
	waitFor(t, "five refusals", func() bool { return f.RefusedConnections() >= 5 })
	if r.count(socketmode.EventTypeConnectionError) < 4 {
		t.Errorf("the bot heard of %d connection errors", r.count(socketmode.EventTypeConnectionError))
	}
	calls := f.Calls("apps.connections.open")[len(others):]
	// The k-th wait is at least half of min·2^k (jitter takes up to half off).
	for k := 1; k < 5; k++ {
		gap := calls[k].Time.Sub(calls[k-1].Time)
		if floor := min << (k - 1) / 2; gap < floor {
			t.Errorf("attempt %d came %v after the one before, less than %v: no backoff", k+1, gap, floor)
		}
	}
	_ = others[0].Close()
	waitFor(t, "a connection", func() bool { opened, _ := r.cl.Stats(); return opened == 1 })
	ch, err := f.CreateChannel(slackfake.Alice, "busy", false, slackfake.BotUserID)
	if err != nil {
		t.Fatal(err)
	}
	// Envelopes are dealt at random among the 10 open connections, the client's included.
	waitFor(t, "the client takes envelopes", func() bool {
		f.Event(map[string]any{"type": "pin_added", "channel_id": ch, "user": slackfake.Alice})
		r.mu.Lock()
		defer r.mu.Unlock()
		return len(r.seen) > 0
	})
}

// dialMany opens n raw Socket Mode connections, closed when the test ends.
func dialMany(t *testing.T, f *slackfake.Server, n int) []*websocket.Conn {
	t.Helper()
	var conns []*websocket.Conn
	for range n {
		conns = append(conns, dialRaw(t, f))
	}
	t.Cleanup(func() {
		for _, c := range conns {
			_ = c.Close()
		}
	})
	return conns
}

func dialRaw(t *testing.T, f *slackfake.Server) *websocket.Conn {
	t.Helper()
	api := slack.New(f.BotToken(), slack.OptionAPIURL(f.APIURL()), slack.OptionAppLevelToken(f.AppToken()))
	_, url, err := api.StartSocketModeContext(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	c, _, err := websocket.DefaultDialer.Dial(url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.ReadMessage(); err != nil {
		t.Fatal(err)
	}
	return c
}

// TestRefreshRefusedKeepsTheOldConnection: asked to refresh while the app's 10 connections are
// all open (the one asked to leave counts), the client is turned away, keeps its old
// connection until Slack closes it, and then connects again.
func TestRefreshRefusedKeepsTheOldConnection(t *testing.T) {
	f := fake(t, slackfake.WithDrainAfter(time.Second))
	r := start(t, f, Options{BackoffMin: 20 * time.Millisecond, BackoffMax: 200 * time.Millisecond})
	waitFor(t, "a connection", func() bool { return len(f.ConnIDs()) == 1 })
	old := f.ConnIDs()[0]
	dialMany(t, f, 9)
	if err := f.DisconnectConn(old, slackfake.ReasonRefreshRequested); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the replacement turned away", func() bool { return f.RefusedConnections() >= 1 })
	// Read the bot's news first: if the old connection is still open afterwards, the bot
	// must not have been told it was disconnected.
	told := r.count(socketmode.EventTypeDisconnect)
	for _, sp := range f.ConnHistory() {
		if sp.ID != old {
			continue
		}
		if !sp.Closed.IsZero() && sp.Closed.Sub(sp.Asked) < time.Second {
			t.Fatalf("the client closed its only connection %v after the refresh, before Slack did", sp.Closed.Sub(sp.Asked))
		}
		if sp.Closed.IsZero() && told != 0 {
			t.Fatal("the bot was told it is disconnected while its old connection was still open")
		}
	}
	waitFor(t, "connected again", func() bool { opened, _ := r.cl.Stats(); return opened == 2 })
	hist := f.ConnHistory()
	last := hist[len(hist)-1]
	if last.ID == old || !last.Closed.IsZero() {
		t.Fatalf("connections %+v", hist)
	}
}
