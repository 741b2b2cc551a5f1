package slackfake

import (
	"encoding/json"
	"fmt"
	"reflect"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"github.com/firebreak-hq/firebreak/internal/testwait"
)

// rawFrame is one frame a raw connection read, with the connection's index.
type rawFrame struct {
	conn int
	m    map[string]any
}

// rawReaders reads every frame of conns (after hello) into one channel until they close.
func rawReaders(conns []*websocket.Conn) <-chan rawFrame {
	out := make(chan rawFrame, 256)
	var wg sync.WaitGroup
	for i, c := range conns {
		wg.Add(1)
		go func(i int, c *websocket.Conn) {
			defer wg.Done()
			for {
				_ = c.SetReadDeadline(time.Now().Add(30 * time.Second))
				_, data, err := c.ReadMessage()
				if err != nil {
					out <- rawFrame{conn: i, m: map[string]any{"type": "closed"}}
					return
				}
				var m map[string]any
				if json.Unmarshal(data, &m) == nil {
					out <- rawFrame{conn: i, m: m}
				}
			}
		}(i, c)
	}
	go func() { wg.Wait(); close(out) }()
	return out
}

func next(e refEnv, frames <-chan rawFrame, what string) rawFrame {
	e.t.Helper()
	select {
	case f, ok := <-frames:
		if !ok {
			e.t.Fatalf("connections closed while waiting for %s", what)
		}
		return f
	case <-time.After(20 * time.Second):
		e.t.Fatalf("timed out waiting for %s", what)
	}
	return rawFrame{}
}

func dialN(e refEnv, n int) []*websocket.Conn {
	e.t.Helper()
	var conns []*websocket.Conn
	for i := 0; i < n; i++ {
		c, hello := dialRaw(e)
		if hello["type"] != "hello" {
			e.t.Fatalf("connection %d got %v", i+1, hello)
		}
		conns = append(conns, c)
	}
	e.t.Cleanup(func() {
		for _, c := range conns {
			_ = c.Close()
		}
	})
	// The fake registers a connection just after its hello: wait until all take envelopes.
	testwait.Until(e.t, 20*time.Second, "connections registered", func() bool { return e.f.Connections() >= n })
	return conns
}

func init() {
	probes["one_connection_each"] = func(e refEnv, r Rule) {
		// Three connections, 30 events acked where they arrive: each is written once, more
		// than one connection takes part, and the same seed deals them out the same way.
		deal := func(e refEnv) []int {
			conns := dialN(e, 3)
			frames := rawReaders(conns)
			for i := 0; i < 30; i++ {
				e.f.Event(map[string]any{"type": "pin_added", "channel_id": e.ch})
			}
			seen := map[string]int{}
			byConn := map[int]bool{}
			for len(seen) < 30 {
				f := next(e, frames, "30 envelopes")
				id, _ := f.m["envelope_id"].(string)
				if id == "" {
					continue
				}
				if _, dup := seen[id]; dup {
					e.t.Fatalf("%s: envelope %s written twice", r.ID, id)
				}
				seen[id] = f.conn
				byConn[f.conn] = true
				_ = conns[f.conn].WriteJSON(map[string]any{"envelope_id": id})
			}
			if len(byConn) < 2 {
				e.t.Fatalf("%s: 30 envelopes all went to connection %v", r.ID, byConn)
			}
			var order []int
			for _, env := range e.f.Envelopes() {
				order = append(order, seen[env.ID])
			}
			return order
		}
		first := deal(e)
		again := newFake(e.t, WithOwnEvents(false))
		e2 := refEnv{t: e.t, f: again}
		e2.ch = e2.fresh("probe")
		if second := deal(e2); !reflect.DeepEqual(first, second) {
			e.t.Fatalf("%s: the same seed dealt %v, then %v", r.ID, first, second)
		}
	}
	probes["redelivery"] = func(e refEnv, r Rule) {
		f := newFake(e.t, WithOwnEvents(false), WithRedeliveryDelay(150*time.Millisecond), WithAckTimeout(150*time.Millisecond))
		e = refEnv{t: e.t, f: f}
		e.ch = e.fresh("probe")
		conns := dialN(e, 2)
		frames := rawReaders(conns)
		f.EventWithID("EvSILENT", map[string]any{"type": "pin_added", "channel_id": e.ch})
		last := -1
		for attempt := 0; attempt <= r.Max; attempt++ {
			fr := next(e, frames, fmt.Sprintf("delivery %d", attempt))
			p, _ := fr.m["payload"].(map[string]any)
			if p["event_id"] != "EvSILENT" || fr.m["retry_attempt"] != float64(attempt) {
				e.t.Fatalf("%s: delivery %d is %v", r.ID, attempt, fr.m)
			}
			if attempt > 0 && (fr.m["retry_reason"] != "timeout" || fr.conn == last) {
				e.t.Fatalf("%s: redelivery %d on connection %d (last %d), reason %v", r.ID, attempt, fr.conn, last, fr.m["retry_reason"])
			}
			last = fr.conn
		}
		// The last redelivery was the last: no timer is left to send a fifth.
		testwait.Until(e.t, 20*time.Second, "the redelivery timers", func() bool {
			f.mu.Lock()
			defer f.mu.Unlock()
			return f.sm.armed == 0
		})
		if n := len(f.Envelopes()); n != r.Max+1 {
			e.t.Fatalf("%s: %d envelopes for one silent event, want %d", r.ID, n, r.Max+1)
		}
		// A slash command left unacked is not sent again.
		if _, err := f.SendSlash(Alice, GeneralChannelID, "x"); err != nil {
			e.t.Fatal(err)
		}
		fr := next(e, frames, "the slash command")
		if fr.m["type"] != EnvelopeSlash {
			e.t.Fatalf("%s: got %v", r.ID, fr.m)
		}
		testwait.Until(e.t, 20*time.Second, "the slash command to expire", func() bool { return len(f.Ephemerals(Alice)) == 1 })
		if n := len(f.Envelopes()); n != r.Max+2 {
			e.t.Fatalf("%s: the slash command was sent again (%d envelopes)", r.ID, n)
		}
	}
	probes["refresh_requested"] = func(e refEnv, r Rule) {
		f := newFake(e.t, WithOwnEvents(false), WithDrainAfter(2*time.Second))
		e = refEnv{t: e.t, f: f}
		e.ch = e.fresh("probe")
		conns := dialN(e, 2)
		frames := rawReaders(conns)
		ids := f.ConnIDs()
		if err := f.DisconnectConn(ids[0], ReasonRefreshRequested); err != nil {
			e.t.Fatal(err)
		}
		fr := next(e, frames, "the disconnect frame")
		if fr.conn != 0 || fr.m["type"] != "disconnect" || fr.m["reason"] != ReasonRefreshRequested {
			e.t.Fatalf("%s: first frame %v on connection %d", r.ID, fr.m, fr.conn)
		}
		if !f.Draining(ids[0]) || f.Draining(ids[1]) {
			e.t.Fatalf("%s: draining %v/%v", r.ID, f.Draining(ids[0]), f.Draining(ids[1]))
		}
		for i := 0; i < 10; i++ {
			f.Event(map[string]any{"type": "pin_added", "channel_id": e.ch})
		}
		for got := 0; got < 10; {
			fr := next(e, frames, "10 envelopes")
			id, _ := fr.m["envelope_id"].(string)
			if id == "" {
				e.t.Fatalf("%s: unexpected frame %v on connection %d", r.ID, fr.m, fr.conn)
			}
			if fr.conn != 1 {
				e.t.Fatalf("%s: envelope written to the connection asked to leave", r.ID)
			}
			got++
			// Acks written on the leaving connection still count while it is open.
			_ = conns[0].WriteJSON(map[string]any{"envelope_id": id})
		}
		testwait.Until(e.t, 20*time.Second, "10 acks", func() bool { return len(f.Acks()) == 10 })
		if fr := next(e, frames, "the close of the old connection"); fr.conn != 0 || fr.m["type"] != "closed" {
			e.t.Fatalf("%s: got %v on connection %d", r.ID, fr.m, fr.conn)
		}
		testwait.Until(e.t, 20*time.Second, "the old connection forgotten", func() bool { return len(f.ConnIDs()) == 1 })
		if n := len(f.ConnIDs()); n != 1 {
			e.t.Fatalf("%s: %d connections open after the drain", r.ID, n)
		}
	}
}
