// Package fakehttp is the part the fakes of HTTP services share: listening and serving
// (also for internal/githubfake), and for the pager fakes (internal/pagerdutyfake,
// internal/opsgeniefake) a server on 127.0.0.1, JSON answers, a queue of faults
// for the next requests, request counts, holding a request until its
// client gives up or the fake closes, and the book of alerts deduplicated by
// key that both pager services keep (Alerts). What a request means, and the
// limits the real service enforces, stay with each fake.
//
// It imports nothing of the project.
package fakehttp

import (
	"encoding/json"
	"io"
	"log"
	"net"
	"net/http"
	"sync"
	"time"
)

// Server is a running fake's HTTP side; F is the fake's kind of fault.
// Its methods are safe for concurrent use.
type Server[F comparable] struct {
	ln  net.Listener
	srv *http.Server

	mu       sync.Mutex
	faults   []F
	requests int
	inflight int
	hold     chan struct{}
}

// Start serves h on a free port of 127.0.0.1.
func Start[F comparable](h http.Handler) (*Server[F], error) {
	ln, err := Listen("")
	if err != nil {
		return nil, err
	}
	return &Server[F]{ln: ln, hold: make(chan struct{}), srv: Serve(ln, h, nil)}, nil
}

// Routes is a handler of the routes, by ServeMux pattern (such as "POST /v2/alerts").
func Routes(routes map[string]http.HandlerFunc) http.Handler {
	mux := http.NewServeMux()
	for pattern, h := range routes {
		mux.HandleFunc(pattern, h)
	}
	return mux
}

// Listen listens on addr, or on a free port of 127.0.0.1 when addr is "".
func Listen(addr string) (net.Listener, error) {
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	return net.Listen("tcp", addr)
}

// Serve serves h on ln in a goroutine of its own, which calls done (when not nil) as it
// ends. Errors of clients that go away are not logged: a fake's clients are tests that
// give up on purpose.
func Serve(ln net.Listener, h http.Handler, done func()) *http.Server {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 60 * time.Second,
		ErrorLog: log.New(io.Discard, "", 0)}
	go func() {
		if done != nil {
			defer done()
		}
		_ = srv.Serve(ln)
	}()
	return srv
}

// JSON answers v as a JSON body with status.
func JSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// Base is the server's root URL, "http://127.0.0.1:port".
func (s *Server[F]) Base() string { return "http://" + s.ln.Addr().String() }

// Close stops the server and releases held requests.
func (s *Server[F]) Close() {
	s.mu.Lock()
	select {
	case <-s.hold:
	default:
		close(s.hold)
	}
	s.mu.Unlock()
	_ = s.srv.Close()
}

// Fail makes the next times requests fail with f (after any queued).
func (s *Server[F]) Fail(f F, times int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := 0; i < times; i++ {
		s.faults = append(s.faults, f)
	}
}

// Requests is how many requests arrived, failed ones included.
func (s *Server[F]) Requests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests
}

// InFlight is how many requests are being answered (or held) now.
func (s *Server[F]) InFlight() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.inflight
}

// Begin counts a request and takes the next queued fault (the zero F when
// none); it returns the request's number, from 1, and end, to be called
// when the request has been answered.
func (s *Server[F]) Begin() (fault F, seq int, end func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests++
	s.inflight++
	if len(s.faults) > 0 {
		fault, s.faults = s.faults[0], s.faults[1:]
	}
	return fault, s.requests, func() {
		s.mu.Lock()
		s.inflight--
		s.mu.Unlock()
	}
}

// Hold blocks until r's client goes away or the server closes: a request
// that is never answered.
func (s *Server[F]) Hold(r *http.Request) {
	select {
	case <-r.Context().Done():
	case <-s.hold:
	}
}
