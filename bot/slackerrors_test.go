package bot

import (
	"errors"
	"testing"

	"github.com/slack-go/slack"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

// TestAuthProblemIsLoggedOnceWithTheFix: a refused token is logged once, at error level,
// saying what to do; /readyz's reason follows it; the first accepted call clears it. A
// missing scope clears only when the method that lacked it succeeds.
func TestAuthProblemIsLoggedOnceWithTheFix(t *testing.T) {
	core, logs := observer.New(zapcore.InfoLevel)
	b := &Bot{log: zap.New(core)}
	revoked := slack.SlackErrorResponse{Err: "token_revoked"}
	b.noteAuth("chat.postMessage", revoked)
	b.noteAuth("chat.update", revoked)
	want := "Slack refuses the bot token (token_revoked: the bot token was revoked (the app was uninstalled or the token regenerated)). Reinstall the app (or reactivate it), put the new xoxb- token in SLACK_BOT_TOKEN and restart; nothing waiting is lost."
	if errs := logs.FilterLevelExact(zapcore.ErrorLevel).All(); len(errs) != 1 || errs[0].Message != want {
		t.Fatalf("error logs %+v, want one: %q", errs, want)
	}
	if got := b.SlackProblem(); got != want {
		t.Fatalf("SlackProblem %q", got)
	}
	b.clearAuth("users.info")
	if b.SlackProblem() != "" || logs.FilterMessage("Slack accepts the bot token again").Len() != 1 {
		t.Fatal("an accepted call did not clear the token problem")
	}

	b.noteAuth("pins.add", slack.SlackErrorResponse{Err: "missing_scope", Needed: "pins:write", Provided: "chat:write"})
	b.clearAuth("chat.postMessage")
	if b.SlackProblem() == "" {
		t.Fatal("a call that needs another scope cleared the missing scope")
	}
	b.clearAuth("pins.add")
	if b.SlackProblem() != "" {
		t.Fatal("the method that lacked the scope succeeded but the problem stayed")
	}
}

// TestRateLimitedIsA429: Slack's HTTP-200 rate_limited is handled as its 429.
func TestRateLimitedIsA429(t *testing.T) {
	for _, code := range []string{"rate_limited", "ratelimited"} {
		var rl *slack.RateLimitedError
		if err := asRateLimit(slack.SlackErrorResponse{Err: code}); !errors.As(err, &rl) {
			t.Errorf("%s became %v", code, err)
		}
		if _, transient := retryable(asRateLimit(slack.SlackErrorResponse{Err: code})); !transient {
			t.Errorf("%s is not retried", code)
		}
	}
	if _, transient := retryable(asRateLimit(slack.SlackErrorResponse{Err: "restricted_action"})); transient {
		t.Error("restricted_action taken as a rate limit")
	}
}
