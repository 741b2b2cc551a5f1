package fakehttp

import (
	"net/http"
	"testing"
	"time"
)

// TestFaultsInOrderAndHoldReleasedOnClose: queued faults apply to the
// next requests in order, each request is counted and in flight until it
// ends, and a held request is released when the server closes.
func TestFaultsInOrderAndHoldReleasedOnClose(t *testing.T) {
	held := make(chan struct{})
	var s *Server[int]
	s, err := Start[int](http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f, _, end := s.Begin()
		defer end()
		if f == 9 {
			close(held)
			s.Hold(r)
			return
		}
		w.WriteHeader(200 + f)
	}))
	if err != nil {
		t.Fatal(err)
	}
	s.Fail(1, 2)
	s.Fail(9, 1)
	c := &http.Client{Timeout: 10 * time.Second}
	for _, want := range []int{201, 201} {
		resp, err := c.Get(s.Base())
		if err != nil || resp.StatusCode != want {
			t.Fatalf("GET: %v %v, want %d", resp, err, want)
		}
		resp.Body.Close()
	}
	done := make(chan error, 1)
	go func() {
		resp, err := c.Get(s.Base())
		if err == nil {
			resp.Body.Close()
		}
		done <- err
	}()
	<-held
	if s.InFlight() != 1 || s.Requests() != 3 {
		t.Fatalf("in flight %d, requests %d", s.InFlight(), s.Requests())
	}
	s.Close()
	<-done // released (the client sees the connection end)
}
