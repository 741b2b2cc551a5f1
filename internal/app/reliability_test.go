package app_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/firebreak-hq/firebreak/bot"
	"github.com/firebreak-hq/firebreak/incident"
	"github.com/firebreak-hq/firebreak/internal/app"
	"github.com/firebreak-hq/firebreak/internal/slackfake"
	"github.com/firebreak-hq/firebreak/store"
)

// declareReady declares INC-1 from #general and waits for its card.
func declareReady(h *harness) incident.Incident {
	h.t.Helper()
	return h.declare(1, alice, slackfake.GeneralChannelID, "new sev2 Reliability drill")
}

// ackOf returns the ack of an envelope, if any.
func ackOf(fs *slackfake.Server, envID string) (slackfake.Ack, bool) {
	for _, a := range fs.Acks() {
		if a.EnvelopeID == envID {
			return a, true
		}
	}
	return slackfake.Ack{}, false
}

func ackedEvent(fs *slackfake.Server, eventID string) int {
	n := 0
	for _, a := range fs.Acks() {
		if a.EventID == eventID {
			n++
		}
	}
	return n
}

// Every events_api event delivered twice is acked both times and
// recorded once, also when the second delivery reaches a restarted bot.
func TestEventDeliveredTwiceIsRecordedOnce(t *testing.T) {
	t.Parallel()
	h := startReliabilityHarness(t, relOpts{})
	inc := declareReady(h)
	ch := inc.Channel
	h.join(carol, ch)
	ts := h.postAs(carol, ch, "p99 latency 4.2s on checkout")
	cases := []struct {
		name    string
		restart bool
		kind    incident.EventKind
		match   func(incident.Event) bool
		event   map[string]any
	}{
		{name: "pushpin reaction", kind: incident.EvMessagePinned,
			match: func(e incident.Event) bool { return e.Fields["ts"] == ts && e.Actor == carol },
			event: map[string]any{"type": "reaction_added", "user": carol, "reaction": "pushpin", "item_user": carol,
				"item": map[string]any{"type": "message", "channel": ch, "ts": ts}, "event_ts": ts}},
		{name: "pin_added across a restart", restart: true, kind: incident.EvMessagePinned,
			match: func(e incident.Event) bool { return e.Fields["ts"] == ts && e.Actor == bob },
			event: map[string]any{"type": "pin_added", "user": bob, "channel_id": ch, "event_ts": ts,
				"item": map[string]any{"type": "message", "channel": ch, "created": time.Now().Unix(), "created_by": bob,
					"message": map[string]any{"type": "message", "user": carol, "text": "p99 latency 4.2s on checkout", "ts": ts}}}},
		{name: "member joined", kind: incident.EvMemberJoined,
			match: func(e incident.Event) bool { return e.Actor == "UDAVE" },
			event: map[string]any{"type": "member_joined_channel", "user": "UDAVE", "channel": ch,
				"channel_type": "C", "team": slackfake.TeamID, "inviter": alice}},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			id := fmt.Sprintf("Ev0TWICE%02d", i)
			h.slack.EventWithID(id, c.event)
			h.eventually("first delivery acked", func() bool { return ackedEvent(h.slack, id) == 1 })
			if c.restart {
				h.restart()
			}
			h.slack.EventWithID(id, c.event)
			h.eventually("second delivery acked", func() bool { return ackedEvent(h.slack, id) == 2 })
			n := 0
			for _, e := range h.events(1) {
				if e.Kind == c.kind && c.match(e) {
					n++
				}
			}
			if n != 1 {
				t.Fatalf("recorded %d times, want once", n)
			}
		})
	}
}

// Commands keep flowing while Slack asks for 20 reconnects (or the
// network drops the socket 20 times) within a few seconds: every command
// acked is recorded exactly once, and a command is unacked only when the
// socket it was written to died.
func TestReconnectsLoseNoCommand(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		drop func(fs *slackfake.Server, k int)
		// graceful: Slack hands envelopes not yet written to the next
		// connection, so every command must be saved; only an ack written
		// as the old socket closes can be lost.
		graceful bool
	}{
		{name: "20 refresh_requested", graceful: true, drop: func(fs *slackfake.Server, _ int) { fs.Disconnect(slackfake.ReasonRefreshRequested) }},
		{name: "20 abrupt drops", drop: func(fs *slackfake.Server, _ int) { fs.DropSockets() }},
		{name: "alternating", drop: func(fs *slackfake.Server, k int) {
			if k%2 == 0 {
				fs.Disconnect(slackfake.ReasonRefreshRequested)
			} else {
				fs.DropSockets()
			}
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			h := startReliabilityHarness(t, relOpts{})
			h.lenient("connection drill: a drop can eat an ack, and Slack then shows its own timeout notice")
			inc := declareReady(h)
			var (
				mu  sync.Mutex
				ids = map[string]string{} // envelope → note text
			)
			stop := make(chan struct{})
			senderDone := make(chan struct{})
			go func() {
				defer close(senderDone)
				for i := 0; ; i++ {
					select {
					case <-stop:
						return
					case <-time.After(20 * time.Millisecond):
					}
					text := fmt.Sprintf("reconnect-note-%d", i)
					id, err := h.slack.SendSlash(alice, inc.Channel, "note "+text)
					if err != nil {
						t.Error(err)
						return
					}
					mu.Lock()
					ids[id] = text
					mu.Unlock()
				}
			}()
			began := time.Now()
			for k := 0; k < 20; k++ {
				time.Sleep(250 * time.Millisecond)
				c.drop(h.slack, k)
			}
			close(stop)
			<-senderDone
			if d := time.Since(began); d > time.Minute {
				t.Fatalf("20 reconnects took %s", d)
			}
			// Every command is acked or Slack's 3 s ack clock has run out for
			// it, and the bot has finished with what it received.
			h.eventuallyWithin(30*time.Second, "every command acked or past Slack's ack clock", func() bool {
				acked := map[string]bool{}
				for _, a := range h.slack.Acks() {
					acked[a.EnvelopeID] = true
				}
				sent := map[string]time.Time{}
				for _, e := range h.slack.Envelopes() {
					sent[e.ID] = e.Sent
				}
				mu.Lock()
				defer mu.Unlock()
				for id := range ids {
					if s := sent[id]; !acked[id] && (s.IsZero() || time.Since(s) <= 3*time.Second) {
						return false
					}
				}
				return h.app.Bot.Busy() == 0
			})

			evs := h.events(1)
			notes := map[string]int{}
			for _, e := range evs {
				if e.Kind == incident.EvNote {
					notes[e.Text]++
				}
			}
			var unacked, unackedSaved, late int
			for id, text := range ids {
				a, ok := ackOf(h.slack, id)
				switch {
				case !ok:
					unacked++
					if notes[text] == 1 {
						unackedSaved++
					} else if c.graceful {
						t.Errorf("%s was lost across graceful reconnects", text)
					}
				case notes[text] != 1:
					t.Errorf("acked %s is on the timeline %d times", text, notes[text])
				case a.Late:
					late++
				}
				if notes[text] > 1 {
					t.Errorf("%s recorded %d times", text, notes[text])
				}
			}
			t.Logf("reconnect run %q: %d commands, %d unacked (%d of them saved: the ack died with the socket), %d acked late, 20 reconnects",
				c.name, len(ids), unacked, unackedSaved, late)
		})
	}
}

// With Slack's tier limits on every method, a burst of 429s, a burst of
// 5xx and 2 s of latency on every call, every ack stays under 3 s, every
// effect lands in commit order, and the declarer hears that the channel
// is delayed.
func TestSlackFaultsKeepAcksFastAndEffectsOrdered(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("waits out injected latency")
	}
	h := startReliabilityHarness(t, relOpts{slack: []slackfake.Option{slackfake.WithTierLimits()}})
	h.lenient("load: commands under injected Slack faults and rate limits")
	fs := h.slack
	fs.RateLimitNext("conversations.create", 1, 3*time.Second)
	if r := h.slash(alice, slackfake.GeneralChannelID, "new sev2 Slack is slow today"); !strings.Contains(r, "INC-1") {
		t.Fatalf("declare reply %q", r)
	}
	h.eventuallyWithin(30*time.Second, "the declarer told the channel is delayed", func() bool {
		return h.ephemeralsContaining(alice, "rate-limiting") > 0
	})
	inc := h.ready(1)
	ch := inc.Channel
	if err := fs.Join(carol, ch); err != nil {
		t.Fatal(err)
	}

	fs.SetLatency("", 2*time.Second)
	fs.RateLimitNext("", 15, time.Second)
	fs.FailNext("", 6, 503)
	firstAck := len(fs.Acks())

	const updates = 4
	for i := 1; i <= updates; i++ {
		h.slash(alice, ch, fmt.Sprintf("update fault-update-%d of %d", i, updates))
		h.slash(bob, ch, fmt.Sprintf("note fault-note-%d", i))
	}
	pb := mustPlaybook(t, "general")
	clicked := 0
	for _, s := range pb.Steps {
		if s.Approval || s.Phase != incident.PhaseStopBleeding {
			continue
		}
		h.click(carol, inc, "step.done", "INC-1:"+s.ID)
		clicked++
	}
	ts, err := fs.PostAsUser(carol, ch, "fault-pin: error budget burned")
	if err != nil {
		t.Fatal(err)
	}
	pinID := fs.Event(map[string]any{"type": "reaction_added", "user": carol, "reaction": "pushpin", "item_user": carol,
		"item": map[string]any{"type": "message", "channel": ch, "ts": ts}, "event_ts": ts})
	h.eventuallyWithin(30*time.Second, "pin acked", func() bool { return ackedEvent(fs, pinID) > 0 })

	// Effects land, in commit order, once the latency eases; the tier
	// limits and whatever is left of the bursts stay on.
	fs.SetLatency("", 0)
	inOrder := func(channel string) bool {
		next := 1
		for _, m := range fs.Messages(channel) {
			if strings.Contains(m.Text, fmt.Sprintf("fault-update-%d ", next)) {
				next++
			}
		}
		return next == updates+1
	}
	h.eventuallyWithin(120*time.Second, "updates posted in order in the incident channel", func() bool { return inOrder(ch) })
	h.eventuallyWithin(120*time.Second, "updates announced in order", func() bool { return inOrder(h.announce) })
	h.eventuallyWithin(120*time.Second, "card shows the final state", func() bool {
		cur := h.incident(1)
		m, ok := fs.Message(ch, h.cardTS(1))
		return ok && sameBlocks(t, m.BlocksDecoded, bot.CardBlocks(cur, time.UTC))
	})
	evs := h.events(1)
	if n := countKind(evs, incident.EvStepDone); n != clicked {
		t.Errorf("%d steps done on the timeline, clicked %d", n, clicked)
	}
	if n := countKind(evs, incident.EvMessagePinned); n != 1 {
		t.Errorf("%d pins recorded, want 1", n)
	}

	var worst time.Duration
	acks := fs.Acks()[firstAck:]
	for _, a := range acks {
		if a.Latency > worst {
			worst = a.Latency
		}
		if a.Late || a.Latency >= 3*time.Second {
			t.Errorf("%s envelope acked after %s", a.Type, a.Latency)
		}
	}
	t.Logf("slack faults: %d acks under tier limits + 429/5xx bursts + 2s latency, slowest %s", len(acks), worst.Round(time.Millisecond))
}

// A write that fails (disk full, file gone read-only) is reported to the
// person with a retry hint, changes nothing, and leaves reads working;
// once the disk is back the same action succeeds.
func TestStorageFaultIsReportedAndReadsKeepWorking(t *testing.T) {
	boltOnly(t)
	t.Parallel()
	faults := []struct {
		name string
		err  error
		says string
	}{
		{name: "disk full", err: fmt.Errorf("write firebreak.db: %w", syscall.ENOSPC), says: "is full"},
		{name: "read-only file", err: fmt.Errorf("write firebreak.db: %w", syscall.EROFS), says: "read-only"},
	}
	actions := []struct {
		name string
		// do performs the action under the fault and checks what the
		// person was told; it returns a check that the action took effect.
		do func(t *testing.T, h *harness, inc incident.Incident, says string) (after func() bool)
	}{
		{name: "slash note", do: func(t *testing.T, h *harness, inc incident.Incident, says string) func() bool {
			r := h.slash(alice, inc.Channel, "note written while the disk is full")
			assertNotSaved(t, r, says)
			return func() bool {
				return strings.Contains(h.slash(alice, inc.Channel, "note written while the disk is full"), "Note added")
			}
		}},
		{name: "declare", do: func(t *testing.T, h *harness, inc incident.Incident, says string) func() bool {
			r := h.slash(bob, slackfake.GeneralChannelID, "new sev3 Second incident")
			assertNotSaved(t, r, says)
			return func() bool {
				return strings.Contains(h.slash(bob, slackfake.GeneralChannelID, "new sev3 Second incident"), "INC-2")
			}
		}},
		{name: "card click", do: func(t *testing.T, h *harness, inc incident.Incident, says string) func() bool {
			val := "INC-1:" + inc.Steps[0].ID
			h.click(carol, inc, "step.done", val)
			h.eventually("carol told the click was not saved", func() bool { return h.ephemeralsContaining(carol, says) > 0 })
			for _, e := range h.ephemerals(carol) {
				if strings.Contains(e, says) {
					assertNotSaved(t, e, says)
				}
			}
			return func() bool {
				h.click(carol, inc, "step.done", val)
				st, _, _ := h.incident(1).Step(inc.Steps[0].ID)
				return st.Finished()
			}
		}},
		{name: "modal submission", do: func(t *testing.T, h *harness, inc incident.Incident, says string) func() bool {
			var skip incident.Step
			for _, s := range inc.Steps {
				if !s.Approval {
					skip = s
				}
			}
			h.click(carol, inc, "step.skip", "INC-1:"+skip.ID)
			v := h.openView(carol, "step.skip")
			ack, err := h.slack.Submit(carol, v.ID, map[string]map[string]string{"reason": {"reason": "not relevant here"}})
			if err != nil {
				t.Fatal(err)
			}
			assertNotSaved(t, ack.Errors["reason"], says)
			return func() bool {
				ack, err := h.slack.Submit(carol, v.ID, map[string]map[string]string{"reason": {"reason": "not relevant here"}})
				return err == nil && len(ack.Errors) == 0
			}
		}},
		{name: "pin event", do: func(t *testing.T, h *harness, inc incident.Incident, says string) func() bool {
			ts := h.postAs(carol, inc.Channel, "disk-full pin")
			id := h.slack.Event(map[string]any{"type": "reaction_added", "user": carol, "reaction": "pushpin", "item_user": carol,
				"item": map[string]any{"type": "message", "channel": inc.Channel, "ts": ts}, "event_ts": ts})
			// The bot tried to store the pin and failed, and is done with it;
			// a status answered over the same socket afterwards means any
			// ack the bot sent before has reached Slack too.
			h.eventually("the pin's write refused", func() bool { return h.faultHits.Load() > 0 && h.app.Bot.Busy() == 0 })
			h.slash(bob, inc.Channel, "status")
			if ackedEvent(h.slack, id) > 0 {
				t.Fatal("an event that could not be stored was acked, so Slack will not redeliver it")
			}
			return func() bool {
				return ackedEvent(h.slack, id) > 0 && countKind(h.events(1), incident.EvMessagePinned) == 1
			}
		}},
	}
	for _, f := range faults {
		for _, a := range actions {
			t.Run(f.name+"/"+a.name, func(t *testing.T) {
				t.Parallel()
				var armed atomic.Bool
				var hits atomic.Int64
				h := startReliabilityHarness(t, relOpts{
					slack: []slackfake.Option{slackfake.WithRedeliveryDelay(time.Second)},
					beforeRun: func(a *app.App) {
						a.DB.(*store.DB).SetFault(func(stage string) error {
							if armed.Load() && stage == "incident" {
								hits.Add(1)
								return f.err
							}
							return nil
						})
					},
				})
				h.faultHits = &hits
				inc := declareReady(h)
				h.join(carol, inc.Channel)
				quiesce(h)
				before, beforeEvents := h.incident(1), len(h.events(1))

				armed.Store(true)
				after := a.do(t, h, inc, f.says)

				// Nothing half-applied.
				if got := h.incident(1); !sameJSON(t, got, before) {
					t.Errorf("incident changed under a failed write")
				}
				if n := len(h.events(1)); n != beforeEvents {
					t.Errorf("timeline grew from %d to %d under a failed write", beforeEvents, n)
				}
				// Reads keep working.
				if r := h.slash(bob, inc.Channel, "status"); !strings.Contains(r, "INC-1") {
					t.Errorf("status during the fault: %q", r)
				}
				if r := h.slash(bob, slackfake.GeneralChannelID, "list"); !strings.Contains(r, "INC-1") {
					t.Errorf("list during the fault: %q", r)
				}
				if r := h.slash(bob, inc.Channel, "timeline"); !strings.Contains(r, "INC-1") && !strings.Contains(strings.ToLower(r), "declared") {
					t.Errorf("timeline during the fault: %q", r)
				}

				armed.Store(false)
				h.eventually("the same action succeeds once the disk is back", after)
			})
		}
	}
}

// quiesce waits until the outbox is empty and the timeline has stopped
// growing (joins caused by the bot's own invites arrive as events).
func quiesce(h *harness) {
	h.t.Helper()
	last, stable := -1, 0
	h.eventually("incident quiet", func() bool {
		n := len(h.events(1))
		pending, err := h.db().Pending(10)
		if err != nil || len(pending) > 0 || n != last {
			last, stable = n, 0
			return false
		}
		stable++
		return stable >= 15
	})
}

func assertNotSaved(t *testing.T, said, why string) {
	t.Helper()
	low := strings.ToLower(said)
	for _, want := range []string{"could not save", strings.ToLower(why), "nothing was changed", "try again"} {
		if !strings.Contains(low, want) {
			t.Errorf("the person was told %q, which does not say %q", said, want)
		}
	}
}

func (h *harness) ephemerals(user string) []string {
	var out []string
	for _, e := range h.slack.Ephemerals(user) {
		out = append(out, e.Text)
	}
	return out
}

func sameJSON(t *testing.T, a, b any) bool {
	t.Helper()
	x, err1 := json.Marshal(a)
	y, err2 := json.Marshal(b)
	if err := errors.Join(err1, err2); err != nil {
		t.Fatal(err)
	}
	return string(x) == string(y)
}
