package githubfake

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/firebreak-hq/firebreak/internal/fakehttp"
)

// DefaultRateLimit is the X-RateLimit-Limit of an authenticated REST client.
const DefaultRateLimit = 5000

// DefaultLogin is the login of the token's user unless WithLogin says otherwise.
const DefaultLogin = "firebreak-bot"

// requestLogLimit bounds the request log so a long-running demo cannot grow
// without limit; the oldest entries are dropped first.
const requestLogLimit = 10000

// Option configures a Server.
type Option func(*config)

type config struct {
	addr      string
	login     string
	searchLag time.Duration
	rateLimit int
	now       func() time.Time
}

// WithAddr sets the listen address (default "127.0.0.1:0", a free port).
func WithAddr(addr string) Option { return func(c *config) { c.addr = addr } }

// WithLogin sets the login of the user the token belongs to (GET /user, and
// the author of created issues and comments).
func WithLogin(login string) Option { return func(c *config) { c.login = login } }

// WithSearchLag makes an issue invisible to GET /search/issues until d after
// its creation, as GitHub's search index lags behind writes. The list
// endpoint is never lagged. See also FlushSearchIndex.
func WithSearchLag(d time.Duration) Option { return func(c *config) { c.searchLag = d } }

// WithRateLimit sets the primary rate limit per hour window (default
// DefaultRateLimit). When it is used up the fake answers like GitHub does
// (403, X-RateLimit-Remaining: 0) until the window resets.
func WithRateLimit(limit int) Option { return func(c *config) { c.rateLimit = limit } }

// WithClock injects the clock used for timestamps, the search lag and the
// rate-limit window (default time.Now).
func WithClock(now func() time.Time) Option { return func(c *config) { c.now = now } }

// Server is a running fake GitHub. All methods are safe for concurrent use.
type Server struct {
	token string
	cfg   config
	ln    net.Listener
	srv   *http.Server
	base  string // "http://127.0.0.1:port/"

	closeOnce sync.Once
	closed    chan struct{}
	handlers  sync.WaitGroup

	mu       sync.Mutex
	repos    map[string]*repo // key "owner/name" lower-cased
	order    []string         // repo keys in AddRepo order
	nextID   int64
	faults   []*pendingFault
	requests []Request
	attempts int // POST .../issues that passed authentication
	created  int // issues stored
	used     int // rate-limit units used in the current window
	resetAt  time.Time
	subs     map[int]chan struct{}
	nextSub  int
}

// New starts a fake that accepts token (as "Bearer <token>" or
// "token <token>") and listens on 127.0.0.1 on a free port unless WithAddr
// says otherwise. Call Close when done.
func New(token string, opts ...Option) (*Server, error) {
	if token == "" {
		return nil, errors.New("githubfake: empty token")
	}
	cfg := config{addr: "127.0.0.1:0", login: DefaultLogin, rateLimit: DefaultRateLimit, now: time.Now}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.rateLimit <= 0 {
		return nil, fmt.Errorf("githubfake: rate limit %d must be positive", cfg.rateLimit)
	}
	if cfg.searchLag < 0 {
		return nil, fmt.Errorf("githubfake: negative search lag %v", cfg.searchLag)
	}
	ln, err := fakehttp.Listen(cfg.addr)
	if err != nil {
		return nil, fmt.Errorf("githubfake: listen %s: %w", cfg.addr, err)
	}
	s := &Server{
		token:  token,
		cfg:    cfg,
		ln:     ln,
		base:   "http://" + ln.Addr().String() + "/",
		closed: make(chan struct{}),
		repos:  map[string]*repo{},
		subs:   map[int]chan struct{}{},
	}
	s.srv = fakehttp.Serve(ln, s, nil)
	return s, nil
}

// URL is the API base with a trailing slash, ready for url.Parse into
// github.Client.BaseURL.
func (s *Server) URL() string { return s.base }

// Addr is the host:port the fake listens on.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Close stops the server, releases any request held by a timeout fault,
// waits for in-flight handlers and closes every subscription channel. It is
// safe to call more than once.
func (s *Server) Close() error {
	var err error
	s.closeOnce.Do(func() {
		close(s.closed)
		err = s.srv.Close()
		s.handlers.Wait()
		s.mu.Lock()
		for id, ch := range s.subs {
			close(ch)
			delete(s.subs, id)
		}
		s.mu.Unlock()
	})
	return err
}

// Subscribe returns a channel that receives a value after any change of
// state (a request served, an issue written, a fault injected). Notifications
// coalesce: the channel has a buffer of one and the server never blocks on
// it. cancel ends the subscription; the channel is closed by cancel or Close.
func (s *Server) Subscribe() (<-chan struct{}, func()) {
	ch := make(chan struct{}, 1)
	s.mu.Lock()
	defer s.mu.Unlock()
	select {
	case <-s.closed:
		close(ch)
		return ch, func() {}
	default:
	}
	id := s.nextSub
	s.nextSub++
	s.subs[id] = ch
	return ch, func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if c, ok := s.subs[id]; ok {
			close(c)
			delete(s.subs, id)
		}
	}
}

// notifyLocked wakes subscribers; s.mu must be held.
func (s *Server) notifyLocked() {
	for _, ch := range s.subs {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}

// AddRepo creates an empty repository. Adding an existing one is a no-op.
func (s *Server) AddRepo(owner, name string) {
	key := repoKey(owner, name)
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.repos[key]; ok {
		return
	}
	s.nextID++
	s.repos[key] = &repo{id: s.nextID, owner: owner, name: name, labels: map[string]*label{}, created: s.cfg.now().UTC()}
	s.order = append(s.order, key)
	s.notifyLocked()
}

// Repos lists "owner/name" of every repository, in the order they were added.
func (s *Server) Repos() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]string, 0, len(s.order))
	for _, k := range s.order {
		r := s.repos[k]
		out = append(out, r.owner+"/"+r.name)
	}
	return out
}

func repoKey(owner, name string) string { return strings.ToLower(owner) + "/" + strings.ToLower(name) }
