package slackfake

import (
	"encoding/json"
	"fmt"
	"sort"
	"time"
)

// WithSeed seeds the choice of connection for each envelope (default 1), so that a run with
// several connections delivers the same way each time.
func WithSeed(seed int64) Option { return func(c *config) { c.seed = seed } }

// WithDrainAfter sets how long a connection sent a disconnect may linger before the fake
// closes it (default 10 s, row "refresh_requested").
func WithDrainAfter(d time.Duration) Option { return func(c *config) { c.drainAfter = d } }

// pickLocked is row "one_connection_each": one live connection chosen at random, not avoid
// when another is live (row "redelivery": a redelivery goes elsewhere).
func (s *Server) pickLocked(live []*wsConn, avoid int) *wsConn {
	cands := live
	if avoid != 0 && len(live) > 1 {
		cands = make([]*wsConn, 0, len(live)-1)
		for _, c := range live {
			if c.id != avoid {
				cands = append(cands, c)
			}
		}
	}
	return cands[s.sm.rng.Intn(len(cands))]
}

// ConnIDs lists the open connections, oldest first; Draining tells those asked to leave.
func (s *Server) ConnIDs() []int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]int, 0, len(s.sm.conns))
	for id := range s.sm.conns {
		out = append(out, id)
	}
	sort.Ints(out)
	return out
}

// PeakConnections is the most connections that were open at once.
func (s *Server) PeakConnections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sm.peak
}

// Draining reports whether connection id was sent a disconnect and takes no more envelopes.
func (s *Server) Draining(id int) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.sm.conns[id]
	return c != nil && c.draining
}

// ConnDeliveries returns the ids of the envelopes written to each connection, by connection.
func (s *Server) ConnDeliveries() map[int][]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[int][]string{}
	for _, e := range s.sm.order {
		if !e.Sent.IsZero() {
			out[e.conn] = append(out[e.conn], e.ID)
		}
	}
	return out
}

// ConnSpan is the life of one connection: from its hello to its end (zero while open), and
// the disconnect reason it was sent, if any.
type ConnSpan struct {
	ID             int
	Opened, Closed time.Time
	Reason         string
	Asked          time.Time
}

// ConnHistory returns every connection that said hello, oldest first.
func (s *Server) ConnHistory() []ConnSpan {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]ConnSpan, 0, len(s.sm.spans))
	for _, sp := range s.sm.spans {
		out = append(out, *sp)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// DisconnectConn sends {"type":"disconnect","reason":reason} on connection id only (row
// "refresh_requested"): it takes no more envelopes, acks on it still count, and it is closed
// after 10 s if the client lingers. The others are untouched.
func (s *Server) DisconnectConn(id int, reason string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.sm.conns[id]
	if c == nil {
		return fmt.Errorf("slackfake: no connection %d", id)
	}
	s.drainLocked(c, reason)
	s.afterDrainLocked()
	return nil
}

// drainLocked queues a disconnect frame on c and gives what c had not yet written to others.
func (s *Server) drainLocked(c *wsConn, reason string) {
	if c.draining {
		return
	}
	b, _ := json.Marshal(map[string]any{
		"type":       "disconnect",
		"reason":     reason,
		"debug_info": map[string]any{"host": "applink-slackfake"},
	})
	c.draining = true
	if sp := s.sm.spans[c.id]; sp != nil {
		sp.Reason, sp.Asked = reason, time.Now()
	}
	s.sm.pending = append(c.queue, s.sm.pending...)
	c.queue = nil
	c.ctrl = append(c.ctrl, b)
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// afterDrainLocked keeps "connected" meaning a connection that takes envelopes, and hands the
// envelopes taken back to the connections left.
func (s *Server) afterDrainLocked() {
	live := false
	for _, c := range s.sm.conns {
		live = live || !c.draining
	}
	if !live {
		select {
		case <-s.sm.connected:
			s.sm.connected = make(chan struct{})
		default:
		}
	}
	s.pumpLocked()
}
