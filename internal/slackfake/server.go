package slackfake

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// Well-known identifiers of the preloaded workspace.
const (
	TeamID     = "T0FIREBRK"
	TeamName   = "Firebreak"
	TeamDomain = "firebreak"
	AppID      = "A0FIREBRK"
	BotUserID  = "UBOT"
	BotID      = "BBOT"
	BotName    = "firebreak"
	Alice      = "UALICE"
	Bob        = "UBOB"
	Carol      = "UCAROL"
	// GeneralChannelID is #general, where every preloaded person is a member and the bot is not.
	GeneralChannelID = "C0GENERAL"

	// DefaultBotToken and DefaultAppToken are what the fake accepts unless told otherwise.
	DefaultBotToken = "xoxb-firebreak-fake"
	DefaultAppToken = "xapp-1-firebreak-fake"
)

// Option configures a Server.
type Option func(*config)

type config struct {
	addr            string
	botToken        string
	appToken        string
	pingInterval    time.Duration
	triggerTTL      time.Duration
	redeliverAfter  time.Duration
	ackTimeout      time.Duration
	responseURLUses int
	responseURLTTL  time.Duration
	ownEvents       bool
	tierLimits      bool
	manifest        *Manifest
	seed            int64
	drainAfter      time.Duration
}

// WithAddr listens on addr (for the demo); the default is 127.0.0.1:0.
func WithAddr(addr string) Option { return func(c *config) { c.addr = addr } }

// WithTokens sets the bot (xoxb-) and app (xapp-) tokens the fake accepts.
func WithTokens(bot, app string) Option {
	return func(c *config) { c.botToken, c.appToken = bot, app }
}

// WithPingInterval sets how often the server PINGs each socket (default 5 s; slack-go gives
// up after 30 s without one).
func WithPingInterval(d time.Duration) Option { return func(c *config) { c.pingInterval = d } }

// WithTriggerTTL sets how long a trigger_id stays usable (default 3 s, as Slack).
func WithTriggerTTL(d time.Duration) Option { return func(c *config) { c.triggerTTL = d } }

// WithRedeliveryDelay sets how long an events_api envelope may stay unacked before it is
// redelivered (default 3 s).
func WithRedeliveryDelay(d time.Duration) Option { return func(c *config) { c.redeliverAfter = d } }

// WithAckTimeout sets how long the blocking drivers (Slash, Click, Submit) wait for an ack
// (default 3 s, Slack's limit).
func WithAckTimeout(d time.Duration) Option { return func(c *config) { c.ackTimeout = d } }

// WithResponseURLLimits sets how many posts a response_url accepts and for how long
// (default 5 posts within 30 minutes).
func WithResponseURLLimits(uses int, ttl time.Duration) Option {
	return func(c *config) { c.responseURLUses, c.responseURLTTL = uses, ttl }
}

// WithOwnEvents controls whether the bot's own Web API actions (posts, updates, pins,
// reactions, invites, joins) produce events_api envelopes, as they do in Slack when the app
// subscribes to them. Default true: the bot must learn to ignore its own messages.
func WithOwnEvents(on bool) Option { return func(c *config) { c.ownEvents = on } }

// WithTierLimits starts the server with Slack's tier rate limits enabled.
func WithTierLimits() Option { return func(c *config) { c.tierLimits = true } }

// Server is a fake Slack workspace. All methods are safe for concurrent use.
type Server struct {
	cfg      config
	ln       net.Listener
	http     *http.Server
	base     string
	upgrader websocket.Upgrader

	mu         sync.Mutex
	st         state
	sm         sockets
	fl         faults
	app        app
	inj        map[string]*injected
	deadTokens map[string]string // token → the error it now answers
	q          quiet

	subMu sync.Mutex
	subs  map[int]*subscriber
	subN  int

	closed    chan struct{}
	closeOnce sync.Once
	wg        sync.WaitGroup
}

// New starts a fake workspace listening on 127.0.0.1 (or WithAddr).
func New(opts ...Option) (*Server, error) {
	cfg := config{
		addr:            "127.0.0.1:0",
		botToken:        DefaultBotToken,
		appToken:        DefaultAppToken,
		pingInterval:    5 * time.Second,
		triggerTTL:      3 * time.Second,
		redeliverAfter:  3 * time.Second,
		ackTimeout:      3 * time.Second,
		responseURLUses: 5,
		responseURLTTL:  30 * time.Minute,
		ownEvents:       true,
		seed:            1,
		drainAfter:      time.Duration(lim("refresh_requested")) * time.Second,
	}
	for _, o := range opts {
		o(&cfg)
	}
	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return nil, fmt.Errorf("slackfake: listen %s: %w", cfg.addr, err)
	}
	s := &Server{
		cfg:    cfg,
		ln:     ln,
		base:   "http://" + ln.Addr().String(),
		subs:   map[int]*subscriber{},
		closed: make(chan struct{}),
		// slack-go sends Origin: https://api.slack.com; gorilla's default check would refuse it.
		upgrader: websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }},
	}
	s.st.init()
	s.sm.init()
	s.sm.rng = rand.New(rand.NewSource(cfg.seed))
	s.app = newApp(cfg.manifest)
	s.inj = map[string]*injected{}
	s.deadTokens = map[string]string{}
	s.fl.init()
	s.fl.tiers = cfg.tierLimits
	mux := http.NewServeMux()
	mux.Handle("/api/", s.counting(http.HandlerFunc(s.serveAPI)))
	mux.HandleFunc("/ws", s.serveWS)
	mux.Handle("/response/", s.counting(http.HandlerFunc(s.serveResponseURL)))
	s.http = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 60 * time.Second}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		_ = s.http.Serve(ln)
	}()
	return s, nil
}

// URL is the server's base URL, e.g. http://127.0.0.1:1234.
func (s *Server) URL() string { return s.base }

// APIURL is the Web API base with the trailing slash slack.OptionAPIURL needs.
func (s *Server) APIURL() string { return s.base + "/api/" }

// BotToken is the xoxb- token the Web API accepts.
func (s *Server) BotToken() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cfg.botToken
}

// AppToken is the xapp- token apps.connections.open accepts.
func (s *Server) AppToken() string { return s.cfg.appToken }

// Close drops every socket, stops the HTTP server and waits for its goroutines.
func (s *Server) Close() error {
	var err error
	s.closeOnce.Do(func() {
		close(s.closed)
		s.DropSockets()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		// Shutdown waits up to 5 s for connections that were dialled but
		// never sent a request (net/http counts them as active); those are
		// closed outright, which is no failure of the fake.
		if serr := s.http.Shutdown(ctx); serr != nil {
			err = s.http.Close()
			if !errors.Is(serr, context.DeadlineExceeded) {
				err = serr
			}
		}
		s.wg.Wait()
		s.subMu.Lock()
		for id, sub := range s.subs {
			close(sub.ch)
			delete(s.subs, id)
		}
		s.subMu.Unlock()
	})
	return err
}

// Call is one Web API request as the fake saw it.
type Call struct {
	Method string
	Params map[string]string
	// Error is the Slack error code returned, "" on success; "ratelimited" for a 429 and
	// "http_<status>" for an injected 5xx.
	Error string
	Time  time.Time
}

// Calls returns the recorded calls to one method, oldest first.
func (s *Server) Calls(method string) []Call {
	return copiesOf(s, func() []Call { return s.st.calls }, func(c Call) bool { return c.Method == method }, copyCall)
}

// AllCalls returns every recorded Web API call, oldest first.
func (s *Server) AllCalls() []Call {
	return copiesOf(s, func() []Call { return s.st.calls }, nil, copyCall)
}

// UnknownMethods returns the distinct methods the fake does not implement that were called.
func (s *Server) UnknownMethods() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := append([]string(nil), s.st.unknown...)
	return out
}

func copyCall(c Call) Call {
	p := make(map[string]string, len(c.Params))
	for k, v := range c.Params {
		p[k] = v
	}
	c.Params = p
	return c
}

// apiError is a Slack error code, with optional extra top-level fields.
type apiError struct {
	code  string
	extra map[string]any
}

func (e *apiError) Error() string { return e.code }

func slackErr(code string) *apiError { return &apiError{code: code} }

func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request) {
	method := strings.TrimPrefix(r.URL.Path, "/api/")
	p, perr := parseParams(r)
	call := Call{Method: method, Params: p.flat(), Time: time.Now()}
	delete(call.Params, "token")
	record := func(code string) {
		call.Error = code
		s.mu.Lock()
		s.st.calls = append(s.st.calls, call)
		if code == "unknown_method" && !contains(s.st.unknown, method) {
			s.st.unknown = append(s.st.unknown, method)
		}
		s.mu.Unlock()
	}
	if d := s.latencyFor(method); d > 0 {
		select {
		case <-time.After(d):
		case <-r.Context().Done():
			record("canceled")
			return
		case <-s.closed:
		}
	}
	if perr != nil {
		record("invalid_form_data")
		writeJSON(w, http.StatusOK, map[string]any{"ok": false, "error": "invalid_form_data"})
		return
	}
	h, known := endpoints[method]
	if !known {
		record("unknown_method")
		writeJSON(w, http.StatusOK, map[string]any{"ok": false, "error": "unknown_method"})
		return
	}
	code, isBot := s.checkAuth(method, r, p)
	if code != "" {
		record(code)
		writeJSON(w, http.StatusOK, map[string]any{"ok": false, "error": code})
		return
	}
	if isBot {
		// Slack reports the token's scopes, and those the method accepts, on every answer.
		s.mu.Lock()
		w.Header().Set("X-OAuth-Scopes", s.app.scopeList())
		s.mu.Unlock()
		w.Header().Set("X-Accepted-OAuth-Scopes", MethodScopes[method])
		if e := s.scopeErr(method); e != nil {
			writeAPIError(w, e, record)
			return
		}
	}
	if e := s.injectedFor(method); e != nil {
		writeAPIError(w, e, record)
		return
	}
	if status, retry := s.faultFor(method, p); status != 0 {
		if status == http.StatusTooManyRequests {
			record("ratelimited")
			w.Header().Set("Retry-After", strconv.Itoa(retry))
			writeJSON(w, status, map[string]any{"ok": false, "error": "ratelimited"})
			return
		}
		record("http_" + strconv.Itoa(status))
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, "<html><body>Slack is having trouble</body></html>")
		return
	}
	a := &api{Server: s}
	s.mu.Lock()
	if isBot {
		if e := s.privateScopeErr(method, p); e != nil {
			s.mu.Unlock()
			writeAPIError(w, e, record)
			return
		}
	}
	resp, aerr := h(a, p)
	s.mu.Unlock()
	s.publish(a.changes...)
	if aerr != nil {
		writeAPIError(w, aerr, record)
		return
	}
	if status := s.failAfterWrite(method); status != 0 {
		record("http_" + strconv.Itoa(status))
		w.WriteHeader(status)
		_, _ = io.WriteString(w, "<html><body>Slack is having trouble</body></html>")
		return
	}
	record("")
	b, err := encodeOK(resp)
	if err != nil {
		writeJSON(w, http.StatusOK, map[string]any{"ok": false, "error": "internal_error"})
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b)
}

func writeAPIError(w http.ResponseWriter, e *apiError, record func(string)) {
	record(e.code)
	out := map[string]any{"ok": false, "error": e.code}
	for k, v := range e.extra {
		out[k] = v
	}
	writeJSON(w, http.StatusOK, out)
}

// checkAuth returns the error for the call's token ("" when accepted) and whether it is the
// bot token.
func (s *Server) checkAuth(method string, r *http.Request, p params) (string, bool) {
	tok := p.str("token")
	if h := r.Header.Get("Authorization"); tok == "" && strings.HasPrefix(h, "Bearer ") {
		tok = strings.TrimSpace(strings.TrimPrefix(h, "Bearer "))
	}
	if tok == "" {
		return "not_authed", false
	}
	s.mu.Lock()
	bot, appTok, dead := s.cfg.botToken, s.cfg.appToken, s.deadTokens[tok]
	s.mu.Unlock()
	if dead != "" {
		return dead, false
	}
	if tok != bot && tok != appTok {
		return "invalid_auth", false
	}
	switch {
	case method == "apps.connections.open" && tok != appTok:
		return "not_allowed_token_type", false
	case method == "auth.test":
		return "", tok == bot
	case method != "apps.connections.open" && tok != bot:
		return "not_allowed_token_type", false
	}
	return "", tok == bot
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		b = []byte(`{"ok":false,"error":"internal_error"}`)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

func contains(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}
