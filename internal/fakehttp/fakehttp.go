// Package fakehttp is the part the pager fakes (internal/pagerdutyfake,
// internal/opsgeniefake) share: a server on 127.0.0.1, a queue of faults
// for the next requests, request counts, and holding a request until its
// client gives up or the fake closes. What a request means, and the
// limits the real service enforces, stay with each fake.
//
// It imports nothing of the project.
package fakehttp

import (
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
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &Server[F]{ln: ln, hold: make(chan struct{}), srv: &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}}
	go func() { _ = s.srv.Serve(ln) }()
	return s, nil
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
