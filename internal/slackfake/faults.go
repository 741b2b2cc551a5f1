package slackfake

import (
	"errors"
	"math"
	"net/http"
	"sort"
	"time"
)

// ---- faults ----

// Tier is a Slack rate-limit tier.
type Tier int

// Slack's tiers, in calls per minute per method per workspace.
const (
	Tier1 Tier = 1
	Tier2 Tier = 20
	Tier3 Tier = 50
	Tier4 Tier = 100
)

// MethodTiers maps methods to their Slack tier (https://api.slack.com/docs/rate-limits, each
// method's reference page). chat.postMessage is absent: it is limited per channel (about one
// a second, with short bursts).
var MethodTiers = map[string]Tier{
	"conversations.create":     Tier2,
	"conversations.setTopic":   Tier2,
	"conversations.setPurpose": Tier2,
	"conversations.archive":    Tier2,
	"conversations.rename":     Tier2,
	"pins.add":                 Tier2,
	"pins.remove":              Tier2,
	"bookmarks.add":            Tier2,
	"bookmarks.list":           Tier3,
	"conversations.invite":     Tier3,
	"conversations.join":       Tier3,
	"conversations.info":       Tier3,
	"conversations.history":    Tier3,
	"conversations.replies":    Tier3,
	"chat.update":              Tier3,
	"chat.delete":              Tier3,
	"reactions.add":            Tier3,
	"conversations.members":    Tier4,
	"conversations.list":       Tier2,
	"chat.postEphemeral":       Tier4,
	"chat.getPermalink":        Tier4,
	"users.info":               Tier4,
	"users.list":               Tier2,
	"users.conversations":      Tier3,
	"views.open":               Tier4,
	"views.update":             Tier4,
	"views.push":               Tier4,
	// https://api.slack.com/methods/views.publish ("Rate limits: Tier 4")
	"views.publish":         Tier4,
	"pins.list":             Tier2,
	"team.info":             Tier3,
	"auth.test":             Tier4,
	"apps.connections.open": Tier1,
}

// postMessageBurst is how many chat.postMessage calls a channel takes at once before the
// one-per-second pace applies. Slack documents "short bursts" without a number.
const postMessageBurst = 5

type faults struct {
	tiers    bool
	perMin   map[string]int
	windows  map[string][]time.Time
	buckets  map[string]*bucket
	n429     map[string]*fixedFault
	n5xx     map[string]*fixedFault
	after5xx map[string]*fixedFault
	latency  map[string]time.Duration
	latencyA time.Duration
}

type fixedFault struct {
	n      int
	status int
	retry  int
}

type bucket struct {
	tokens float64
	last   time.Time
}

func (f *faults) init() {
	f.perMin = map[string]int{}
	f.windows = map[string][]time.Time{}
	f.buckets = map[string]*bucket{}
	f.n429 = map[string]*fixedFault{}
	f.n5xx = map[string]*fixedFault{}
	f.after5xx = map[string]*fixedFault{}
	f.latency = map[string]time.Duration{}
}

// EnableTierLimits turns on Slack's per-method tier limits (MethodTiers) and the per-channel
// pace of chat.postMessage.
func (s *Server) EnableTierLimits() {
	s.mu.Lock()
	s.fl.tiers = true
	s.mu.Unlock()
}

// DisableTierLimits turns the tier limits off again.
func (s *Server) DisableTierLimits() {
	s.mu.Lock()
	s.fl.tiers = false
	s.mu.Unlock()
}

// SetRateLimit limits method to perMinute calls in any sliding minute, overriding its tier;
// 0 removes the explicit limit.
func (s *Server) SetRateLimit(method string, perMinute int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if perMinute <= 0 {
		delete(s.fl.perMin, method)
		return
	}
	s.fl.perMin[method] = perMinute
}

// RateLimitNext makes the next n calls to method ("" for any method) answer 429 with
// Retry-After: retryAfter (rounded up to whole seconds, at least 1).
func (s *Server) RateLimitNext(method string, n int, retryAfter time.Duration) {
	secs := int(math.Ceil(retryAfter.Seconds()))
	if secs < 1 {
		secs = 1
	}
	s.mu.Lock()
	s.fl.n429[method] = &fixedFault{n: n, status: http.StatusTooManyRequests, retry: secs}
	s.mu.Unlock()
}

// FailNext makes the next n calls to method ("" for any method) answer with HTTP status
// (a 5xx such as 500 or 503), after auth succeeds and before any state changes.
func (s *Server) FailNext(method string, n int, status int) {
	s.mu.Lock()
	s.fl.n5xx[method] = &fixedFault{n: n, status: status}
	s.mu.Unlock()
}

// FailAfterWriteNext makes the next n successful calls to method answer
// with HTTP status although the call took effect: the ambiguous failure
// after which retrying chat.postMessage blindly would post twice.
func (s *Server) FailAfterWriteNext(method string, n int, status int) {
	s.mu.Lock()
	s.fl.after5xx[method] = &fixedFault{n: n, status: status}
	s.mu.Unlock()
}

func (s *Server) failAfterWrite(method string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.fl.after5xx[method]
	if f == nil || f.n <= 0 {
		return 0
	}
	f.n--
	return f.status
}

// SetLatency delays every call to method ("" for all methods) by d before it is handled.
func (s *Server) SetLatency(method string, d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if method == "" {
		s.fl.latencyA = d
		return
	}
	s.fl.latency[method] = d
}

func (s *Server) latencyFor(method string) time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	if d, ok := s.fl.latency[method]; ok {
		return d
	}
	return s.fl.latencyA
}

// faultFor decides whether this call fails before it is handled: injected faults first,
// then the limits. It returns (status, Retry-After seconds).
func (s *Server) faultFor(method string, p params) (int, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, key := range []string{method, ""} {
		if f := s.fl.n429[key]; f != nil && f.n > 0 {
			f.n--
			return f.status, f.retry
		}
		if f := s.fl.n5xx[key]; f != nil && f.n > 0 {
			f.n--
			return f.status, 0
		}
	}
	now := time.Now()
	limit := s.fl.perMin[method]
	if limit == 0 && s.fl.tiers {
		if method == "chat.postMessage" {
			return s.fl.postMessagePace(p.str("channel"), now)
		}
		limit = int(MethodTiers[method])
	}
	if limit == 0 {
		return 0, 0
	}
	win := s.fl.windows[method]
	cut := now.Add(-time.Minute)
	i := sort.Search(len(win), func(i int) bool { return win[i].After(cut) })
	win = win[i:]
	if len(win) >= limit {
		s.fl.windows[method] = win
		retry := int(math.Ceil(win[0].Add(time.Minute).Sub(now).Seconds()))
		return http.StatusTooManyRequests, max(retry, 1)
	}
	s.fl.windows[method] = append(win, now)
	return 0, 0
}

func (f *faults) postMessagePace(channel string, now time.Time) (int, int) {
	b := f.buckets[channel]
	if b == nil {
		b = &bucket{tokens: postMessageBurst, last: now}
		f.buckets[channel] = b
	}
	b.tokens = math.Min(postMessageBurst, b.tokens+now.Sub(b.last).Seconds())
	b.last = now
	if b.tokens < 1 {
		return http.StatusTooManyRequests, 1
	}
	b.tokens--
	return 0, 0
}

var errClosed = errors.New("slackfake: server closed")
