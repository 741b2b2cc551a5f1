package postmortem

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/google/go-github/v60/github"
)

// Error is why publishing failed, classified so that the caller's retry
// loop can decide without knowing GitHub: a transient error says how long
// to wait at least (RetryAfter), a permanent one (Permanent) says what a
// person must fix first. Error() never contains the token.
type Error struct {
	// Op is what was being done, e.g. "create the issue".
	Op string
	// Status is the HTTP status GitHub answered, 0 when there was none.
	Status int
	// Fix tells a person what to change; set for permanent errors.
	Fix string

	wait      time.Duration
	permanent bool
	// ambiguous marks a failure after which a write may have happened.
	ambiguous bool
	msg       string
	err       error
}

// Default waits when GitHub does not say how long to wait.
const (
	retryTransient = 5 * time.Second
	retryRateLimit = 60 * time.Second
)

func (e *Error) Error() string {
	s := "postmortem: " + e.Op + ": " + e.msg
	if e.Fix != "" {
		s += ". To fix: " + e.Fix
	}
	return s
}

func (e *Error) Unwrap() error { return e.err }

// RetryAfter is the least time to wait before trying again: GitHub's
// Retry-After or rate-limit reset when it gave one. It is 0 for a
// permanent error.
func (e *Error) RetryAfter() time.Duration {
	if e.permanent {
		return 0
	}
	return e.wait
}

// Permanent reports whether trying again cannot help until a person fixes
// the configuration (token, repository, permissions) or the draft.
func (e *Error) Permanent() bool { return e.permanent }

// classify turns a go-github or transport error into an *Error.
func classify(op, repo, token string, err error, now time.Time) *Error {
	e := &Error{Op: op, err: err}
	var rl *github.RateLimitError
	var abuse *github.AbuseRateLimitError
	var er *github.ErrorResponse
	switch {
	case errors.As(err, &rl):
		e.Status = status(rl.Response)
		e.wait = max(rl.Rate.Reset.Time.Sub(now), time.Second)
		e.msg = fmt.Sprintf("GitHub's rate limit is used up until %s", rl.Rate.Reset.Time.UTC().Format(time.RFC3339))
	case errors.As(err, &abuse):
		e.Status = status(abuse.Response)
		e.wait = retryRateLimit
		if abuse.RetryAfter != nil {
			e.wait = max(*abuse.RetryAfter, time.Second)
		}
		e.msg = "GitHub's secondary rate limit was hit; retry after " + e.wait.String()
	case errors.As(err, &er) && er.Response != nil:
		e.Status = er.Response.StatusCode
		e.classifyStatus(repo, er, now)
	case errors.Is(err, context.Canceled):
		e.wait = retryTransient
		e.ambiguous = true
		e.msg = "stopped before GitHub answered"
	default:
		// Timeouts, refused connections, resets: the request may or may not
		// have reached GitHub.
		e.wait = retryTransient
		e.ambiguous = true
		e.msg = "GitHub could not be reached or did not answer: " + err.Error()
	}
	if token != "" {
		e.msg = strings.ReplaceAll(e.msg, token, "[token]")
	}
	return e
}

func status(r *http.Response) int {
	if r == nil {
		return 0
	}
	return r.StatusCode
}

func (e *Error) classifyStatus(repo string, er *github.ErrorResponse, now time.Time) {
	code := er.Response.StatusCode
	detail := fmt.Sprintf("GitHub answered %d %s", code, er.Message)
	for _, v := range er.Errors {
		detail += fmt.Sprintf(" (%s %s %s: %s)", v.Resource, v.Field, v.Code, v.Message)
	}
	e.msg = detail
	switch {
	case code == http.StatusTooManyRequests:
		e.wait = retryAfter(er.Response.Header.Get("Retry-After"), retryRateLimit, now)
		e.msg = detail + "; retry after " + e.wait.String()
	case code == http.StatusForbidden && er.Response.Header.Get("X-RateLimit-Remaining") == "0":
		e.wait = retryRateLimit
		if reset, err := strconv.ParseInt(er.Response.Header.Get("X-RateLimit-Reset"), 10, 64); err == nil {
			e.wait = max(time.Unix(reset, 0).Sub(now), time.Second)
		}
	case code >= 500:
		e.wait = retryTransient
		e.ambiguous = true
	case code == http.StatusRequestTimeout || code == http.StatusConflict:
		e.wait = retryTransient
	case code == http.StatusUnauthorized:
		e.permanent = true
		e.Fix = "GITHUB_TOKEN is not accepted by GitHub (expired, revoked or mistyped); create a token with read and write access to Issues of " + repo + " and set GITHUB_TOKEN to it"
	case code == http.StatusNotFound:
		e.permanent = true
		e.Fix = "check that GITHUB_REPO names an existing repository (" + repo + " was not found) and that the token has access to it"
	case code == http.StatusForbidden:
		e.permanent = true
		e.Fix = "give the token read and write access to Issues of " + repo
	case code == http.StatusGone:
		e.permanent = true
		e.Fix = "turn on Issues in the settings of " + repo
	case code == http.StatusUnprocessableEntity:
		e.permanent = true
		e.Fix = "GitHub refused the draft itself; check the repository's issue rules, or report this to the Firebreak maintainers with the message above"
	default:
		e.permanent = true
		e.Fix = "check GITHUB_REPO and GITHUB_TOKEN"
	}
}

// retryAfter reads a Retry-After header: seconds, or an HTTP date.
func retryAfter(h string, def time.Duration, now time.Time) time.Duration {
	h = strings.TrimSpace(h)
	if h == "" {
		return def
	}
	if s, err := strconv.Atoi(h); err == nil && s >= 0 {
		return max(time.Duration(s)*time.Second, time.Second)
	}
	if t, err := http.ParseTime(h); err == nil {
		return max(t.Sub(now), time.Second)
	}
	return def
}
