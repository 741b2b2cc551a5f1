package bot

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/slack-go/slack"
	"go.uber.org/zap"

	"github.com/firebreak-hq/firebreak/bot/outbox"
	"github.com/firebreak-hq/firebreak/incident"
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

// channelRefusal is an answer of conversations.create that only a workspace admin can fix.
// https://api.slack.com/methods/conversations.create (errors: restricted_action, missing_scope)
func channelRefusal(err error) bool {
	switch slackCode(err) {
	case "restricted_action", "missing_scope":
		return true
	}
	return false
}

// channelWait is how long a refused channel creation is retried before the incident's
// channel work is given up (everyone concerned is told both times).
const channelWait = 24 * time.Hour

// channelRetry is the pace at which a refused creation is tried again: an admin's fix is
// picked up within minutes, and Slack is not asked more than that.
func channelRetry(attempt int) time.Duration {
	return min(time.Minute<<min(attempt, 4), 5*time.Minute)
}

// refusedText tells people what an admin must change for the incident to get its channel.
func refusedText(inc incident.Incident, err error) string {
	block := templates.ChannelsRestricted
	if slackCode(err) == "missing_scope" {
		block = templates.ChannelsScopeMissing
		if inc.Private {
			block = templates.PrivateChannelsMissing
		}
	}
	return templates.ChannelRefused(inc.ID(), slackCode(err), block)
}

func gaveUpText(inc incident.Incident, err error) string {
	return templates.ChannelGaveUp(inc.ID(), slackCode(err), channelWait)
}

// needsChannel are the effects that act in the incident's channel.
func needsChannel(k incident.EffectKind) bool {
	switch k {
	case incident.EffCreateChannel, incident.EffAnnounce, incident.EffDM, incident.EffPublishPostmortem:
		return false
	}
	return true
}

// rejoin gets the bot back into the incident channel it was removed from: it joins a public
// channel itself; for a private one it tells the lead how to invite it back. It reports
// whether the bot is in again.
func (e *executor) rejoin(ctx context.Context, inc incident.Incident) bool {
	if e.join(ctx, inc.Channel) == nil {
		e.b.log.Info("rejoined the incident channel it was removed from", zap.String("incident", inc.ID()))
		return true
	}
	e.tellLead(ctx, inc, "removed", templates.RemovedFromChannel(inc.Channel, inc.ID()))
	return false
}

// tellLead sends the incident's lead (or its declarer) a DM once per incident and reason, in
// this run.
func (e *executor) tellLead(ctx context.Context, inc incident.Incident, reason, text string) {
	key := fmt.Sprintf("%d:%s", inc.Number, reason)
	e.mu.Lock()
	told := e.kickTold[key]
	e.kickTold[key] = true
	e.mu.Unlock()
	if told {
		return
	}
	lead := inc.Owner()
	if err := e.post(ctx, lead, text, nil); err != nil {
		e.b.log.Warn("could not tell the lead", zap.String("incident", inc.ID()), zap.String("reason", reason), zap.Error(err))
	}
}

// postingRefused tells the lead that Slack does not let the bot post in the incident
// channel (a posting permission), and keeps the effect for when it does.
// https://api.slack.com/methods/chat.postMessage (errors: restricted_action)
func (e *executor) postingRefused(ctx context.Context, inc incident.Incident, it OutboxItem) error {
	e.tellLead(ctx, inc, "restricted", templates.PostingRestricted(inc.Channel, inc.ID()))
	return &outbox.Later{D: channelRetry(it.Attempts), Why: "posting in the incident channel is restricted"}
}

// channelGone is an answer that means the bot is no longer in the incident channel: Slack
// says not_in_channel for a public channel and channel_not_found for a private one (which
// the bot no longer sees).
func channelGone(err error) bool {
	switch slackCode(err) {
	case "not_in_channel", "channel_not_found":
		return true
	}
	return false
}
