package slackfake

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand"
	"net/http"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// Envelope types.
const (
	EnvelopeEvents      = "events_api"
	EnvelopeSlash       = "slash_commands"
	EnvelopeInteractive = "interactive"
)

// Disconnect reasons Slack sends.
const (
	ReasonWarning          = "warning"
	ReasonRefreshRequested = "refresh_requested"
	ReasonLinkDisabled     = "link_disabled"
	// ReasonTooManyWebsockets turns away a connection beyond the app's limit.
	ReasonTooManyWebsockets = "too_many_websockets"
)

// Ack is the app's acknowledgement of an envelope.
type Ack struct {
	EnvelopeID   string
	Type         string
	EventID      string
	RetryAttempt int
	Payload      json.RawMessage
	// Latency runs from the envelope's write to the socket to the ack's arrival.
	Latency time.Duration
	Time    time.Time
	// Late is set when the ack came after Slack's 3 seconds (the ack timeout).
	Late bool
	// ResponseAction and Errors are the parsed view_submission answer.
	ResponseAction string
	Errors         map[string]string
}

// Envelope is a record of one envelope the server created.
type Envelope struct {
	ID           string
	Type         string
	EventID      string
	RetryAttempt int
	RetryReason  string
	Payload      json.RawMessage
	// Sent is zero while the envelope waits for a connection.
	Sent  time.Time
	Acked bool
	// Conn is the connection it was last written to (ConnIDs, ConnHistory); 0 while unsent.
	Conn int
}

type envelope struct {
	Envelope
	// who and where, for acting on the ack as Slack would
	user, channel, viewID, kind string
	enqueued                    time.Time
	expired                     bool
	// conn is the connection the envelope was last written to; avoid is the one a
	// redelivery should not go back to (row "redelivery").
	conn, avoid int
}

type wsConn struct {
	id       int
	ws       *websocket.Conn
	queue    []*envelope
	ctrl     [][]byte
	wake     chan struct{}
	done     chan struct{}
	draining bool
	gone     bool
	once     sync.Once
}

type sockets struct {
	tickets    map[string]bool
	conns      map[int]*wsConn
	connN      int
	pending    []*envelope
	envs       map[string]*envelope
	order      []*envelope
	acks       []Ack
	waiters    map[string]chan Ack
	eventAcked map[string]bool
	connected  chan struct{}
	envN       int
	refused    int // connections turned away as too many
	armed      int // redelivery timers not yet fired
	opening    int // connections upgraded but not yet registered
	rng        *rand.Rand
	spans      map[int]*ConnSpan
	peak       int // most connections open at once
}

func (sm *sockets) init() {
	sm.tickets = map[string]bool{}
	sm.conns = map[int]*wsConn{}
	sm.envs = map[string]*envelope{}
	sm.waiters = map[string]chan Ack{}
	sm.eventAcked = map[string]bool{}
	sm.connected = make(chan struct{})
	sm.rng = rand.New(rand.NewSource(1))
	sm.spans = map[int]*ConnSpan{}
}

func (s *Server) serveWS(w http.ResponseWriter, r *http.Request) {
	ticket := r.URL.Query().Get("ticket")
	s.mu.Lock()
	ok := s.sm.tickets[ticket]
	delete(s.sm.tickets, ticket)
	s.mu.Unlock()
	if !ok {
		http.Error(w, "invalid ticket", http.StatusUnauthorized)
		return
	}
	ws, err := s.upgrader.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	select {
	case <-s.closed:
		_ = ws.Close()
		return
	default:
	}
	s.mu.Lock()
	// Every open connection counts, those asked to leave included (the overlap of a
	// refresh is within the limit), and so do connections between upgrade and
	// registration, so that a burst of dials cannot slip past the limit.
	n := len(s.sm.conns)
	if n+s.sm.opening >= lim("too_many_websockets") {
		// Row "too_many_websockets": Slack turns away a connection beyond its limit.
		s.sm.refused++
		s.mu.Unlock()
		b, _ := json.Marshal(map[string]any{"type": "disconnect", "reason": ReasonTooManyWebsockets,
			"debug_info": map[string]any{"host": "applink-slackfake"}})
		_ = ws.WriteMessage(websocket.TextMessage, b)
		_ = ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
		_ = ws.Close()
		return
	}
	s.sm.connN++
	s.sm.opening++
	c := &wsConn{id: s.sm.connN, ws: ws, wake: make(chan struct{}, 1), done: make(chan struct{})}
	// Open from its hello on: the client may act on the hello before it is registered.
	s.sm.spans[c.id] = &ConnSpan{ID: c.id, Opened: time.Now()}
	s.mu.Unlock()
	hello, _ := json.Marshal(map[string]any{
		"type":            "hello",
		"num_connections": n + 1,
		"connection_info": map[string]any{"app_id": AppID},
		"debug_info":      map[string]any{"host": "applink-slackfake", "build_number": 54, "approximate_connection_time": 3600},
	})
	// hello goes first: nothing else is queued on this connection until it is registered.
	if err := ws.WriteMessage(websocket.TextMessage, hello); err != nil {
		s.mu.Lock()
		s.sm.spans[c.id].Closed = time.Now()
		s.sm.opening--
		s.mu.Unlock()
		_ = ws.Close()
		return
	}
	s.mu.Lock()
	s.sm.opening--
	s.sm.conns[c.id] = c
	s.sm.peak = max(s.sm.peak, len(s.sm.conns))
	if len(s.sm.conns) == 1 {
		close(s.sm.connected)
	}
	s.pumpLocked()
	s.mu.Unlock()
	s.wg.Add(2)
	go func() { defer s.wg.Done(); s.writer(c) }()
	go func() { defer s.wg.Done(); s.reader(c) }()
}

// pumpLocked hands waiting envelopes to live connections, each to exactly one of them chosen
// at random (row "one_connection_each"; seeded, see WithSeed), and a redelivery to another
// connection than the one that left it unacked when there is another.
func (s *Server) pumpLocked() {
	var live []*wsConn
	for id := 1; id <= s.sm.connN; id++ {
		if c := s.sm.conns[id]; c != nil && !c.draining {
			live = append(live, c)
		}
	}
	if len(live) == 0 || len(s.sm.pending) == 0 {
		return
	}
	for _, e := range s.sm.pending {
		c := s.pickLocked(live, e.avoid)
		c.queue = append(c.queue, e)
		select {
		case c.wake <- struct{}{}:
		default:
		}
	}
	s.sm.pending = nil
}

// dropLocked forgets a connection and puts what it had not yet written back in line.
func (s *Server) dropLocked(c *wsConn) {
	if c.gone {
		return
	}
	c.gone = true
	delete(s.sm.conns, c.id)
	if sp := s.sm.spans[c.id]; sp != nil {
		sp.Closed = time.Now()
	}
	s.sm.pending = append(c.queue, s.sm.pending...)
	c.queue = nil
	if len(s.sm.conns) == 0 {
		s.sm.connected = make(chan struct{})
	}
	c.once.Do(func() { close(c.done) })
	s.pumpLocked()
}

func (s *Server) writer(c *wsConn) {
	ping := time.NewTicker(s.cfg.pingInterval)
	defer ping.Stop()
	var drainTimer <-chan time.Time
	fail := func() {
		s.mu.Lock()
		s.dropLocked(c)
		s.mu.Unlock()
		_ = c.ws.Close()
	}
	for {
		select {
		case <-c.done:
			_ = c.ws.Close()
			return
		case <-s.closed:
			fail()
			return
		case <-drainTimer:
			// Slack closes a connection it asked the client to leave if the client lingers.
			fail()
			return
		case <-ping.C:
			if err := c.ws.WriteControl(websocket.PingMessage, []byte("ping"), time.Now().Add(5*time.Second)); err != nil {
				fail()
				return
			}
		case <-c.wake:
			s.mu.Lock()
			ctrl := c.ctrl
			c.ctrl = nil
			var batch []*envelope
			if !c.draining {
				batch = c.queue
				c.queue = nil
			}
			s.mu.Unlock()
			for i, e := range batch {
				s.mu.Lock()
				b := e.frame()
				e.Sent = time.Now()
				e.conn = c.id
				s.mu.Unlock()
				_ = c.ws.SetWriteDeadline(time.Now().Add(10 * time.Second))
				if err := c.ws.WriteMessage(websocket.TextMessage, b); err != nil {
					s.mu.Lock()
					for _, r := range batch[i:] {
						r.Sent = time.Time{}
					}
					s.sm.pending = append(batch[i:], s.sm.pending...)
					s.dropLocked(c)
					s.mu.Unlock()
					_ = c.ws.Close()
					return
				}
				s.afterSend(e)
			}
			for _, b := range ctrl {
				_ = c.ws.SetWriteDeadline(time.Now().Add(10 * time.Second))
				if err := c.ws.WriteMessage(websocket.TextMessage, b); err != nil {
					fail()
					return
				}
				// Row "refresh_requested": closed some seconds after the disconnect.
				drainTimer = time.After(s.cfg.drainAfter)
			}
		}
	}
}

func (e *envelope) frame() []byte {
	f := map[string]any{
		"type":                     e.Type,
		"envelope_id":              e.ID,
		"payload":                  e.Payload,
		"accepts_response_payload": acceptsResponsePayload(e.Type, e.kind),
	}
	// Row "retry_fields": only Events API envelopes are redelivered, so only they say so.
	if e.Type == EnvelopeEvents {
		f["retry_attempt"] = e.RetryAttempt
		f["retry_reason"] = e.RetryReason
	}
	b, _ := json.Marshal(f)
	return b
}

// acceptsResponsePayload is row "accepts_response_payload": an ack may carry a payload for a
// slash command (the reply) and a view submission (response_action), not for events or
// block actions.
func acceptsResponsePayload(typ, kind string) bool {
	switch typ {
	case EnvelopeSlash:
		return true
	case EnvelopeInteractive:
		return kind == "view_submission"
	}
	return false
}

// afterSend arms redelivery: Slack resends an unacked events_api envelope, with the same
// event_id, up to three times.
func (s *Server) afterSend(e *envelope) {
	if e.Type != EnvelopeEvents {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if e.RetryAttempt >= lim("redelivery") {
		return
	}
	s.sm.armed++
	time.AfterFunc(s.cfg.redeliverAfter, func() {
		s.mu.Lock()
		s.sm.armed--
		select {
		case <-s.closed:
			s.mu.Unlock()
			return
		default:
		}
		if e.Acked || s.sm.eventAcked[e.EventID] {
			s.mu.Unlock()
			return
		}
		r := &envelope{Envelope: Envelope{Type: e.Type, EventID: e.EventID, RetryAttempt: e.RetryAttempt + 1,
			RetryReason: "timeout", Payload: e.Payload}, kind: e.kind, avoid: e.conn}
		s.enqueueLocked(r)
		s.mu.Unlock()
	})
}

func (s *Server) reader(c *wsConn) {
	defer func() {
		s.mu.Lock()
		s.dropLocked(c)
		s.mu.Unlock()
	}()
	for {
		_, data, err := c.ws.ReadMessage()
		if err != nil {
			return
		}
		var msg struct {
			EnvelopeID string          `json:"envelope_id"`
			Payload    json.RawMessage `json:"payload"`
		}
		if json.Unmarshal(data, &msg) != nil || msg.EnvelopeID == "" {
			continue
		}
		s.handleAck(msg.EnvelopeID, msg.Payload)
	}
}

func (s *Server) enqueueLocked(e *envelope) string {
	s.sm.envN++
	// Slack's envelope ids are UUIDs; a counter keeps them unique and readable.
	e.ID = fmt.Sprintf("%08x-5f1a-4c0e-9b2d-%012x", s.sm.envN, time.Now().UnixNano()&0xffffffffffff)
	e.enqueued = time.Now()
	s.sm.envs[e.ID] = e
	s.sm.order = append(s.sm.order, e)
	s.sm.pending = append(s.sm.pending, e)
	s.pumpLocked()
	return e.ID
}

// Envelopes returns every envelope created so far, oldest first.
func (s *Server) Envelopes() []Envelope {
	return copiesOf(s, func() []*envelope { return s.sm.order }, nil, func(e *envelope) Envelope {
		out := e.Envelope
		out.Conn = e.conn
		out.Payload = append(json.RawMessage(nil), e.Payload...)
		return out
	})
}

// Acks returns every ack received, oldest first.
func (s *Server) Acks() []Ack {
	return copiesOf(s, func() []Ack { return s.sm.acks }, nil, copyAck)
}

func copyAck(a Ack) Ack {
	a.Payload = append(json.RawMessage(nil), a.Payload...)
	if a.Errors != nil {
		m := map[string]string{}
		for k, v := range a.Errors {
			m[k] = v
		}
		a.Errors = m
	}
	return a
}

// Connections returns how many sockets are open (including ones asked to disconnect).
func (s *Server) Connections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.sm.conns)
}

// WaitConnected returns once at least one socket is connected (after hello).
func (s *Server) WaitConnected(ctx context.Context) error {
	s.mu.Lock()
	ch := s.sm.connected
	s.mu.Unlock()
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-s.closed:
		return errClosed
	}
}

// DropSockets closes every socket abruptly, without a close frame, as a network failure
// would. Envelopes not yet written wait for the next connection.
func (s *Server) DropSockets() {
	s.mu.Lock()
	var conns []*wsConn
	for _, c := range s.sm.conns {
		conns = append(conns, c)
	}
	for _, c := range conns {
		s.dropLocked(c)
	}
	s.mu.Unlock()
	for _, c := range conns {
		_ = c.ws.UnderlyingConn().Close()
	}
}

// Disconnect sends {"type":"disconnect","reason":reason} on every socket and stops giving
// them envelopes; a client is expected to open a new connection. Sockets that linger are
// closed after 10 s.
func (s *Server) Disconnect(reason string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.sm.conns {
		s.drainLocked(c, reason)
	}
	s.afterDrainLocked()
}

func (s *Server) handleAck(id string, payload json.RawMessage) {
	now := time.Now()
	s.mu.Lock()
	e := s.sm.envs[id]
	if e == nil || e.Acked {
		s.mu.Unlock()
		return
	}
	e.Acked = true
	if e.EventID != "" {
		s.sm.eventAcked[e.EventID] = true
	}
	a := Ack{EnvelopeID: id, Type: e.Type, EventID: e.EventID, RetryAttempt: e.RetryAttempt,
		Payload: append(json.RawMessage(nil), payload...), Time: now, Late: e.expired}
	if !e.Sent.IsZero() {
		a.Latency = now.Sub(e.Sent)
	}
	var changes []Change
	if !e.expired {
		changes = s.actOnAckLocked(e, payload, &a)
	}
	s.sm.acks = append(s.sm.acks, a)
	w := s.sm.waiters[id]
	delete(s.sm.waiters, id)
	s.mu.Unlock()
	if w != nil {
		w <- copyAck(a)
	}
	s.publish(changes...)
}

// RefusedConnections is how many sockets were turned away with too_many_websockets.
func (s *Server) RefusedConnections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sm.refused
}
