package slackfake

import (
	"net/http"
	"sync/atomic"
)

// quiet counts what a test must see finished before it looks at the workspace: HTTP
// requests being served and every request or envelope ever started.
type quiet struct {
	serving  atomic.Int64
	activity atomic.Uint64
}

// counting wraps a Web API or response_url handler so Quiet sees requests in progress
// (not the Socket Mode connection, which lasts as long as the app is connected).
func (s *Server) counting(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.q.activity.Add(1)
		s.q.serving.Add(1)
		defer func() {
			s.q.serving.Add(-1)
			s.q.activity.Add(1)
		}()
		next.ServeHTTP(w, r)
	})
}

// Quiet reports how much is still under way in the workspace — envelopes created and not
// yet acknowledged (Slack gives up on a slash command or click after the ack timeout, and
// so does Quiet), plus Web API and response_url requests being served — and a counter
// that moves whenever a request or envelope starts or ends. Two looks with busy == 0 and
// the same activity mean nothing reached or left the workspace in between.
func (s *Server) Quiet() (busy int, activity uint64) {
	s.mu.Lock()
	for _, e := range s.sm.order {
		if !e.Acked && !e.expired && (e.EventID == "" || !s.sm.eventAcked[e.EventID]) {
			busy++
		}
	}
	envs := uint64(s.sm.envN)
	s.mu.Unlock()
	busy += int(s.q.serving.Load())
	return busy, s.q.activity.Load() + envs
}
