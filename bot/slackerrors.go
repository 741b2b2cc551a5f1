package bot

import (
	"errors"
	"time"

	"github.com/slack-go/slack"
	"go.uber.org/zap"

	"github.com/firebreak-hq/firebreak/templates"
)

// Slack answers these, with HTTP 200, when it refuses the bot's token. None of them means the
// work should be thrown away: the token is fixed and the work done then.
// https://api.slack.com/methods/auth.test (errors)
var authCodes = map[string]bool{
	"token_revoked": true, "account_inactive": true, "invalid_auth": true, "not_authed": true, "token_expired": true,
}

// authProblem is a refusal of the bot's token or scopes, which an operator must fix.
func authProblem(err error) (code string, ok bool) {
	code = slackCode(err)
	if authCodes[code] || code == "missing_scope" {
		return code, true
	}
	return "", false
}

// rateLimitedCodes are Slack's HTTP-200 rate-limit answers, handled as a 429.
// https://api.slack.com/methods/chat.postMessage (errors: rate_limited)
var rateLimitedCodes = map[string]bool{"rate_limited": true, "ratelimited": true}

// asRateLimit turns an HTTP-200 rate-limit answer into the error a 429 gives, so every path
// that waits out a 429 waits this out too.
func asRateLimit(err error) error {
	if err != nil && rateLimitedCodes[slackCode(err)] {
		return &slack.RateLimitedError{RetryAfter: time.Second}
	}
	return err
}

// SlackProblem is why Slack currently refuses the bot's work ("" when it does not): a revoked
// or inactive token or a missing scope, with what to do about it. /readyz reports it.
func (b *Bot) SlackProblem() string {
	b.connMu.Lock()
	defer b.connMu.Unlock()
	return b.problem
}

// noteAuth records (and logs once) that Slack refused the token or a scope.
func (b *Bot) noteAuth(method string, err error) {
	code, _ := authProblem(err)
	var what string
	if code == "missing_scope" {
		needed := ""
		var se slack.SlackErrorResponse
		if errors.As(err, &se) {
			needed = se.Needed
		}
		what = templates.ScopeMissing(method, needed)
	} else {
		what = templates.TokenRefused(code)
	}
	scopeOf := ""
	if code == "missing_scope" {
		scopeOf = method
	}
	b.connMu.Lock()
	changed := b.problem != what
	b.problem, b.problemMethod = what, scopeOf
	b.connMu.Unlock()
	if changed {
		b.log.Error(what, zap.String("method", method), zap.String("error", code))
	}
}

// clearAuth notes that Slack accepted a call of method: the token works again, and a
// missing scope is cleared once the method that lacked it succeeds.
func (b *Bot) clearAuth(method string) {
	b.connMu.Lock()
	was := b.problem
	if was == "" || (b.problemMethod != "" && b.problemMethod != method) {
		b.connMu.Unlock()
		return
	}
	b.problem, b.problemMethod = "", ""
	b.connMu.Unlock()
	if was != "" {
		b.log.Info("Slack accepts the bot token again")
	}
}
