package bot

import (
	"context"
	"errors"
	"net"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/firebreak-hq/firebreak/bot/outbox"
)

// call runs one Web API call with up to attempts tries, each bounded by
// CallTimeout, honouring Retry-After and holding back other calls to a
// rate-limited method, and reports every try to the metrics hook. Every
// Slack call of the bot goes through here.
func (e *executor) call(ctx context.Context, method string, fn func(context.Context) error, attempts int) error {
	var err error
	for a := 0; ; a++ {
		if wait := e.gated(method); wait > 0 {
			if !e.sleep(ctx, wait) {
				return ctx.Err()
			}
		}
		cctx, cancel := context.WithTimeout(ctx, e.b.cfg.CallTimeout)
		err = asRateLimit(fn(cctx))
		cancel()
		if h := e.b.cfg.Hooks.SlackCall; h != nil {
			h(method, err)
		}
		if err == nil {
			if method != "response_url" {
				e.b.clearAuth(method)
			}
			return nil
		}
		if _, ok := authProblem(err); ok {
			e.b.noteAuth(method, err)
			return err
		}
		d, transient := retryable(err)
		if !transient || a+1 >= attempts || ctx.Err() != nil {
			return err
		}
		var rl *slack.RateLimitedError
		if errors.As(err, &rl) {
			e.holdBack(method, d)
			continue
		}
		if d == 0 {
			d = 200 * time.Millisecond << min(a, 5)
		}
		if !e.sleep(ctx, d) {
			return ctx.Err()
		}
	}
}

// gated is how long calls of method must still wait after a 429.
func (e *executor) gated(method string) time.Duration {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.gate[method].Sub(e.b.now())
}

// holdBack keeps calls of method back for d.
func (e *executor) holdBack(method string, d time.Duration) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if t := e.b.now().Add(d); t.After(e.gate[method]) {
		e.gate[method] = t
	}
}

func (e *executor) sleep(ctx context.Context, d time.Duration) bool {
	return outbox.Sleep(ctx, botClock{e.b.now}, d)
}

// slackCode returns Slack's error code ("name_taken") or "".
func slackCode(err error) string {
	var se slack.SlackErrorResponse
	if errors.As(err, &se) {
		return se.Err
	}
	var sep *slack.SlackErrorResponse
	if errors.As(err, &sep) {
		return sep.Err
	}
	return ""
}

// retryable says whether err is worth retrying and after how long.
func retryable(err error) (time.Duration, bool) {
	if err == nil {
		return 0, false
	}
	var rl *slack.RateLimitedError
	if errors.As(err, &rl) {
		return rl.RetryAfter, true
	}
	var sc slack.StatusCodeError
	if errors.As(err, &sc) {
		return 0, sc.Code >= 500 || sc.Code == 408
	}
	var perm interface{ Permanent() bool }
	if errors.As(err, &perm) && perm.Permanent() {
		return 0, false
	}
	var ra interface{ RetryAfter() time.Duration }
	if errors.As(err, &ra) {
		return ra.RetryAfter(), true
	}
	switch slackCode(err) {
	case "internal_error", "fatal_error", "ratelimited", "service_unavailable", "request_timeout":
		return 0, true
	case "":
	default:
		return 0, false
	}
	var ne net.Error
	if errors.As(err, &ne) || errors.Is(err, context.DeadlineExceeded) {
		return 0, true
	}
	msg := err.Error()
	return 0, strings.Contains(msg, "EOF") || strings.Contains(msg, "connection reset") || strings.Contains(msg, "connection refused")
}

// ambiguous errors leave it unknown whether Slack performed the call.
func ambiguous(err error) bool {
	var rl *slack.RateLimitedError
	if errors.As(err, &rl) {
		return false
	}
	_, transient := retryable(err)
	return transient
}
