package githubfake

import (
	"fmt"
	"net/http"
	"strings"
	"time"
)

// FaultKind says how an injected fault fails a request.
type FaultKind int

const (
	// FaultNone marks a request no fault applied to (in the request log).
	FaultNone FaultKind = iota
	// FaultServerError answers Fault.Status (500, 502 or 503; default 500).
	// With Fault.AfterWrite the operation is performed first, so a write is
	// stored although the client sees the error.
	FaultServerError
	// FaultTimeoutAfterWrite performs the operation, records it, then never
	// answers: the request is held until the client gives up (its timeout or
	// context) or the server is closed, and the connection is then closed
	// without a response. A client with a timeout sees a timeout.
	FaultTimeoutAfterWrite
	// FaultDropAfterWrite performs the operation, records it, then closes the
	// connection without a response: the client sees EOF at once. (Go's
	// transport may silently replay an idempotent request such as a GET
	// that failed this way on a reused connection.)
	FaultDropAfterWrite
	// FaultRateLimit is GitHub's primary rate limit: 403 with
	// X-RateLimit-Remaining: 0 and X-RateLimit-Reset now+Fault.Reset
	// (default 60 s). go-github returns *github.RateLimitError and then
	// refuses further calls locally until the reset.
	FaultRateLimit
	// FaultSecondaryRateLimit is 403 "You have exceeded a secondary rate
	// limit" with a documentation_url ending in "secondary-rate-limits" and
	// Retry-After (Fault.RetryAfter, default 60 s). go-github returns
	// *github.AbuseRateLimitError and refuses further calls locally until
	// RetryAfter has passed.
	FaultSecondaryRateLimit
	// FaultTooManyRequests is 429 with Retry-After (Fault.RetryAfter,
	// default 60 s); go-github v60 returns a plain *github.ErrorResponse.
	FaultTooManyRequests
)

var faultNames = map[FaultKind]string{
	FaultNone:               "none",
	FaultServerError:        "server_error",
	FaultTimeoutAfterWrite:  "timeout_after_write",
	FaultDropAfterWrite:     "drop_after_write",
	FaultRateLimit:          "rate_limit",
	FaultSecondaryRateLimit: "secondary_rate_limit",
	FaultTooManyRequests:    "too_many_requests",
}

func (k FaultKind) String() string {
	if n, ok := faultNames[k]; ok {
		return n
	}
	return fmt.Sprintf("FaultKind(%d)", int(k))
}

// Fault describes a failure to inject into the next Times requests that
// match Method and Path.
type Fault struct {
	Kind FaultKind
	// Method matches the HTTP method ("" or "*" = any).
	Method string
	// Path matches the unescaped request path ("" = any). A "*" segment
	// matches one segment and a final "**" matches the rest, e.g.
	// "/repos/*/*/issues", "/repos/acme/ops/issues/*/comments", "/repos/**".
	Path string
	// Times is how many matching requests fail (0 means 1, negative means
	// every matching request until ClearFaults).
	Times int
	// Status is the status of FaultServerError (500..599, default 500).
	Status int
	// AfterWrite makes FaultServerError perform the operation before failing.
	AfterWrite bool
	// RetryAfter is the Retry-After of FaultSecondaryRateLimit and
	// FaultTooManyRequests, sent in whole seconds (default 60 s, minimum 1 s).
	RetryAfter time.Duration
	// Reset is how far in the future X-RateLimit-Reset lies for
	// FaultRateLimit (default 60 s, minimum 1 s).
	Reset time.Duration
}

type pendingFault struct {
	Fault
	left int // <0: unlimited
}

// Inject queues a fault. When several pending faults match a request, the
// one injected first applies. Faults are matched after authentication, so a
// request with a bad token fails with 401 and consumes nothing.
func (s *Server) Inject(f Fault) error {
	switch f.Kind {
	case FaultServerError:
		if f.Status == 0 {
			f.Status = http.StatusInternalServerError
		}
		if f.Status < 500 || f.Status > 599 {
			return fmt.Errorf("githubfake: server error fault needs a 5xx status, got %d", f.Status)
		}
	case FaultTimeoutAfterWrite, FaultDropAfterWrite, FaultRateLimit, FaultSecondaryRateLimit, FaultTooManyRequests:
	default:
		return fmt.Errorf("githubfake: unknown fault kind %v", f.Kind)
	}
	if f.RetryAfter <= 0 {
		f.RetryAfter = time.Minute
	}
	if f.Reset <= 0 {
		f.Reset = time.Minute
	}
	if f.Method == "*" {
		f.Method = ""
	}
	left := f.Times
	if left == 0 {
		left = 1
		f.Times = 1
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, &pendingFault{Fault: f, left: left})
	s.notifyLocked()
	return nil
}

// PendingFaults returns the queued faults with Times set to what is left
// (negative for unlimited).
func (s *Server) PendingFaults() []Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Fault, 0, len(s.faults))
	for _, p := range s.faults {
		f := p.Fault
		f.Times = p.left
		out = append(out, f)
	}
	return out
}

// ClearFaults drops every pending fault.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
	s.notifyLocked()
}

// takeFaultLocked consumes one use of the first fault matching the request.
func (s *Server) takeFaultLocked(method string, segs []string) (Fault, bool) {
	for i, p := range s.faults {
		if p.Method != "" && !strings.EqualFold(p.Method, method) {
			continue
		}
		if p.Path != "" && !matchPath(p.Path, segs) {
			continue
		}
		if p.left > 0 {
			p.left--
			if p.left == 0 {
				s.faults = append(s.faults[:i:i], s.faults[i+1:]...)
			}
		}
		return p.Fault, true
	}
	return Fault{}, false
}

func matchPath(pattern string, segs []string) bool {
	ps := splitPath(pattern)
	for i, p := range ps {
		if p == "**" && i == len(ps)-1 {
			return true
		}
		if i >= len(segs) {
			return false
		}
		if p != "*" && p != segs[i] {
			return false
		}
	}
	return len(ps) == len(segs)
}

func splitPath(p string) []string {
	p = strings.Trim(p, "/")
	if p == "" {
		return nil
	}
	return strings.Split(p, "/")
}

func ceilSeconds(d time.Duration) int64 {
	sec := int64((d + time.Second - 1) / time.Second)
	if sec < 1 {
		sec = 1
	}
	return sec
}
