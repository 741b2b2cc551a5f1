// Package sockmode is the bot's Socket Mode client: one connection per process, replaced
// without a gap when Slack asks, and never hammering Slack when it refuses a connection.
//
// slack-go's socketmode.Client closes its connection the moment Slack sends
// {"type":"disconnect"} and only then opens the next one, so acks wait and envelopes meant
// for this process go elsewhere or wait meanwhile; and when Slack answers a new connection
// with too_many_websockets it dials again at once. This client speaks the same envelopes and
// hands the bot the same socketmode.Event values, but:
//
//   - on reason "warning" or "refresh_requested" (or "link_disabled") it opens the new
//     connection first and retires the old one only once the new one has said hello, as
//     Slack's Python SDK does; the old one stays open until every envelope it delivered has
//     been acked (or Slack closes it), so acks always have a connection to go out on;
//   - on "too_many_websockets", and on any failure to open a connection, it backs off
//     (exponentially, with jitter, honouring Retry-After) and keeps the connection it has;
//   - an ack goes out on the connection its envelope came from while that is open, else on
//     the current one, else it waits for the next one.
package sockmode

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand"
	"net/http"
	"sync"
	"time"

	"github.com/gorilla/websocket"
	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"
	"go.uber.org/zap"
)

// Reasons Slack gives in a disconnect message.
const (
	ReasonWarning           = "warning"
	ReasonRefreshRequested  = "refresh_requested"
	ReasonLinkDisabled      = "link_disabled"
	ReasonTooManyWebsockets = "too_many_websockets"
)

// maxAck is the size from which Slack drops an ack silently (SLACK-PLATFORM.md).
const maxAck = 20 * 1024

// ErrTooManyWebsockets is a connection Slack turned away: the app has its 10 already.
var ErrTooManyWebsockets = errors.New("slack refused the connection: too_many_websockets (the app already has 10 Socket Mode connections)")

// Options tune a Client; the zero value is Slack's defaults.
type Options struct {
	// PingTimeout is how long a connection may go without a frame or a PING from Slack
	// before it is taken for dead (default 30 s, as slack-go).
	PingTimeout time.Duration
	// BackoffMin and BackoffMax bound the wait between failed attempts to connect
	// (default 1 s and 2 min).
	BackoffMin, BackoffMax time.Duration
	// RetireAfter bounds how long a replaced connection is kept for the acks of what it
	// delivered (default 10 s, when Slack closes it anyway).
	RetireAfter time.Duration
	Logger      *zap.Logger
}

// Client is a Socket Mode client. Run it with RunContext and read Incoming.
type Client struct {
	api    *slack.Client
	opt    Options
	log    *zap.Logger
	events chan socketmode.Event
	rng    *rand.Rand

	mu      sync.Mutex
	cur     *conn
	open    map[*conn]bool
	origin  map[string]*conn // envelope id → the connection it came on, until acked
	held    [][]byte         // acks waiting for a connection
	lost    chan *conn
	refresh chan *conn
	opened  int
	refused int
}

type conn struct {
	ws      *websocket.Conn
	wmu     sync.Mutex
	closed  chan struct{}
	once    sync.Once
	retired bool
	owed    int // envelopes delivered on it and not yet acked
}

func (c *conn) close() {
	c.once.Do(func() {
		close(c.closed)
		c.wmu.Lock()
		_ = c.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
		c.wmu.Unlock()
		_ = c.ws.Close()
	})
}

func (c *conn) write(b []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	select {
	case <-c.closed:
		return errors.New("connection closed")
	default:
	}
	_ = c.ws.SetWriteDeadline(time.Now().Add(10 * time.Second))
	return c.ws.WriteMessage(websocket.TextMessage, b)
}

// New builds a client that opens connections with api (which needs the xapp- token).
func New(api *slack.Client, opt Options) *Client {
	if opt.PingTimeout <= 0 {
		opt.PingTimeout = 30 * time.Second
	}
	if opt.BackoffMin <= 0 {
		opt.BackoffMin = time.Second
	}
	if opt.BackoffMax <= 0 {
		opt.BackoffMax = 2 * time.Minute
	}
	if opt.RetireAfter <= 0 {
		opt.RetireAfter = 10 * time.Second
	}
	if opt.Logger == nil {
		opt.Logger = zap.NewNop()
	}
	return &Client{
		api: api, opt: opt, log: opt.Logger.Named("socket"),
		events:  make(chan socketmode.Event, 50),
		rng:     rand.New(rand.NewSource(time.Now().UnixNano())),
		open:    map[*conn]bool{},
		origin:  map[string]*conn{},
		lost:    make(chan *conn, 8),
		refresh: make(chan *conn, 8),
	}
}

// Incoming is where envelopes and connection news arrive, as socketmode.Events.
func (cl *Client) Incoming() <-chan socketmode.Event { return cl.events }

// Stats reports how many connections were opened and how many Slack turned away.
func (cl *Client) Stats() (opened, refused int) {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	return cl.opened, cl.refused
}

// RunContext keeps one connection open until ctx ends; it returns an error only when Slack
// refuses the app token for good.
func (cl *Client) RunContext(ctx context.Context) error {
	defer cl.closeAll()
	failures := 0
	want := true // a (new) connection is needed
	for {
		if want {
			c, err := cl.dial(ctx)
			if err != nil {
				if ctx.Err() != nil {
					return nil
				}
				if fatal(err) {
					cl.emit(ctx, socketmode.Event{Type: socketmode.EventTypeInvalidAuth, Data: &slack.InvalidAuthEvent{}})
					return err
				}
				wait := cl.backoff(failures, err)
				failures++
				if !cl.hasCurrent() {
					cl.emit(ctx, socketmode.Event{Type: socketmode.EventTypeConnectionError,
						Data: &slack.ConnectionErrorEvent{Attempt: failures, Backoff: wait, ErrorObj: err}})
				}
				cl.log.Warn("cannot open a Socket Mode connection; trying again", zap.Error(err), zap.Duration("in", wait))
				t := time.NewTimer(wait)
				select {
				case <-ctx.Done():
					t.Stop()
					return nil
				case <-t.C:
				case c := <-cl.lost:
					// The connection kept meanwhile died: dial at once.
					t.Stop()
					cl.forget(ctx, c)
				}
				continue
			}
			failures = 0
			want = false
			cl.up(ctx, c)
			continue
		}
		select {
		case <-ctx.Done():
			return nil
		case c := <-cl.lost:
			if cl.forget(ctx, c) {
				want = true
			}
		case c := <-cl.refresh:
			cl.mu.Lock()
			want = c == cl.cur
			cl.mu.Unlock()
		}
	}
}

// hasCurrent reports whether a connection takes envelopes (a replacement is being opened
// beside it, or none is needed): the bot stays ready meanwhile.
func (cl *Client) hasCurrent() bool {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	return cl.cur != nil
}

// forget drops a dead connection and reports whether it was the current one.
func (cl *Client) forget(ctx context.Context, c *conn) bool {
	c.close()
	cl.mu.Lock()
	delete(cl.open, c)
	for id, o := range cl.origin {
		if o == c {
			delete(cl.origin, id)
		}
	}
	wasCur := c == cl.cur
	if wasCur {
		cl.cur = nil
	}
	cl.mu.Unlock()
	if wasCur {
		cl.emit(ctx, socketmode.Event{Type: socketmode.EventTypeDisconnect})
	}
	return wasCur
}

// up makes c the current connection, retires the one it replaces and sends held acks.
func (cl *Client) up(ctx context.Context, c *conn) {
	cl.mu.Lock()
	old := cl.cur
	cl.cur = c
	cl.open[c] = true
	cl.opened++
	held := cl.held
	cl.held = nil
	cl.mu.Unlock()
	for _, b := range held {
		if err := c.write(b); err != nil {
			cl.hold(b)
		}
	}
	if old != nil {
		cl.retire(old)
	} else {
		cl.emit(ctx, socketmode.Event{Type: socketmode.EventTypeConnected, Data: &socketmode.ConnectedEvent{}})
	}
	go cl.read(ctx, c)
}

// retire closes old once every envelope it delivered is acked, or after RetireAfter.
func (cl *Client) retire(old *conn) {
	cl.mu.Lock()
	old.retired = true
	cl.mu.Unlock()
	go func() {
		deadline := time.Now().Add(cl.opt.RetireAfter)
		for time.Now().Before(deadline) {
			cl.mu.Lock()
			owed := old.owed
			cl.mu.Unlock()
			if owed == 0 {
				break
			}
			select {
			case <-old.closed:
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
		old.close()
	}()
}

func (cl *Client) closeAll() {
	cl.mu.Lock()
	var all []*conn
	for c := range cl.open {
		all = append(all, c)
	}
	cl.open = map[*conn]bool{}
	cl.cur = nil
	cl.mu.Unlock()
	for _, c := range all {
		c.close()
	}
}

func (cl *Client) emit(ctx context.Context, e socketmode.Event) {
	select {
	case cl.events <- e:
	case <-ctx.Done():
	}
}

// backoff is the wait before attempt failures+1: exponential with jitter, at least
// Retry-After when Slack gave one.
func (cl *Client) backoff(failures int, err error) time.Duration {
	d := cl.opt.BackoffMin
	for i := 0; i < failures && d < cl.opt.BackoffMax; i++ {
		d *= 2
	}
	if d > cl.opt.BackoffMax {
		d = cl.opt.BackoffMax
	}
	cl.mu.Lock()
	d = d/2 + time.Duration(cl.rng.Int63n(int64(d/2)+1))
	cl.mu.Unlock()
	var rl *slack.RateLimitedError
	if errors.As(err, &rl) && rl.RetryAfter > d {
		d = rl.RetryAfter
	}
	return d
}

// fatal reports whether Slack refuses the app token: trying again cannot help.
func fatal(err error) bool {
	var se slack.SlackErrorResponse
	if errors.As(err, &se) {
		switch se.Err {
		case "invalid_auth", "account_inactive", "not_authed", "token_revoked":
			return true
		}
	}
	var sc slack.StatusCodeError
	return errors.As(err, &sc) && sc.Code == http.StatusNotFound
}

// dial opens one connection and waits for its hello.
func (cl *Client) dial(ctx context.Context) (*conn, error) {
	if !cl.hasCurrent() {
		cl.emit(ctx, socketmode.Event{Type: socketmode.EventTypeConnecting, Data: &slack.ConnectingEvent{}})
	}
	_, url, err := cl.api.StartSocketModeContext(ctx)
	if err != nil {
		return nil, err
	}
	h := http.Header{}
	h.Set("Origin", "https://api.slack.com")
	d := websocket.Dialer{Proxy: http.ProxyFromEnvironment, HandshakeTimeout: 30 * time.Second}
	ws, _, err := d.DialContext(ctx, url, h)
	if err != nil {
		return nil, fmt.Errorf("dial Socket Mode: %w", err)
	}
	_ = ws.SetReadDeadline(time.Now().Add(cl.opt.PingTimeout))
	_, data, err := ws.ReadMessage()
	if err != nil {
		_ = ws.Close()
		return nil, fmt.Errorf("read hello: %w", err)
	}
	var first socketmode.Request
	if err := json.Unmarshal(data, &first); err != nil {
		_ = ws.Close()
		return nil, fmt.Errorf("read hello: %w", err)
	}
	switch {
	case first.Type == "hello":
	case first.Type == "disconnect" && first.Reason == ReasonTooManyWebsockets:
		_ = ws.Close()
		cl.mu.Lock()
		cl.refused++
		cl.mu.Unlock()
		return nil, ErrTooManyWebsockets
	default:
		_ = ws.Close()
		return nil, fmt.Errorf("slack answered a new connection with %s %s", first.Type, first.Reason)
	}
	c := &conn{ws: ws, closed: make(chan struct{})}
	ws.SetPingHandler(func(data string) error {
		_ = ws.SetReadDeadline(time.Now().Add(cl.opt.PingTimeout))
		c.wmu.Lock()
		defer c.wmu.Unlock()
		err := ws.WriteControl(websocket.PongMessage, []byte(data), time.Now().Add(5*time.Second))
		if errors.Is(err, websocket.ErrCloseSent) {
			return nil
		}
		return err
	})
	return c, nil
}
