package app_test

import (
	"strings"
	"testing"
	"time"

	"github.com/firebreak-hq/firebreak/internal/app"
)

func TestConfigErrorsNameTheVariable(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"bad announce channel", map[string]string{"FIREBREAK_ANNOUNCE_CHANNEL": "#incidents"}, "FIREBREAK_ANNOUNCE_CHANNEL"},
		{"bad responder", map[string]string{"FIREBREAK_RESPONDERS": "UBOB,@carol"}, "FIREBREAK_RESPONDERS"},
		{"github half set", map[string]string{"GITHUB_TOKEN": "x"}, "GITHUB_REPO"},
		{"bad repo", map[string]string{"GITHUB_TOKEN": "x", "GITHUB_REPO": "nope"}, "GITHUB_REPO"},
		{"bad http addr", map[string]string{"FIREBREAK_HTTP_ADDR": "9090"}, "FIREBREAK_HTTP_ADDR"},
		{"bad timezone", map[string]string{"FIREBREAK_TIMEZONE": "Mars/Olympus"}, "FIREBREAK_TIMEZONE"},
		{"bad reminders", map[string]string{"FIREBREAK_UPDATE_REMINDERS": "sev5=1h"}, "FIREBREAK_UPDATE_REMINDERS"},
		{"bad verify window", map[string]string{"FIREBREAK_VERIFY_WINDOW": "soon"}, "FIREBREAK_VERIFY_WINDOW"},
		{"bad backup cron", map[string]string{"FIREBREAK_BACKUP_CRON": "every hour"}, "FIREBREAK_BACKUP_CRON"},
		{"bad backup keep", map[string]string{"FIREBREAK_BACKUP_KEEP": "0"}, "FIREBREAK_BACKUP_KEEP"},
		{"claim lease too short", map[string]string{"FIREBREAK_CLAIM_LEASE": "100ms"}, "FIREBREAK_CLAIM_LEASE"},
		{"claim lease not a duration", map[string]string{"FIREBREAK_CLAIM_LEASE": "half a minute"}, "FIREBREAK_CLAIM_LEASE"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := app.FromEnv(func(k string) string { return c.env[k] })
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("want an error naming %s, got %v", c.want, err)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("error is not one line: %q", err)
			}
		})
	}
	cfg, err := app.FromEnv(func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	if cfg.DBPath != "firebreak.db" || cfg.HTTPAddr != "127.0.0.1:9090" || cfg.SlackAPIURL != "https://slack.com/api/" || cfg.BackupKeep != 24 || cfg.ClaimLease != 30*time.Second {
		t.Fatalf("defaults: %+v", cfg)
	}
}

func TestRequireTokens(t *testing.T) {
	t.Parallel()
	for name, c := range map[string]struct{ app, bot, want string }{
		"no app token":    {"", "xoxb-1", "SLACK_APP_TOKEN is not set"},
		"wrong app token": {"xoxb-1", "xoxb-1", "must start with xapp-"},
		"no bot token":    {"xapp-1", "", "SLACK_BOT_TOKEN is not set"},
		"wrong bot token": {"xapp-1", "xoxp-secret", "must start with xoxb-"},
	} {
		t.Run(name, func(t *testing.T) {
			err := app.Config{AppToken: c.app, BotToken: c.bot}.RequireTokens()
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v", err)
			}
			if strings.Contains(err.Error(), "secret") {
				t.Fatal("the error echoes the token")
			}
		})
	}
	if err := (app.Config{AppToken: "xapp-1", BotToken: "xoxb-1"}).RequireTokens(); err != nil {
		t.Fatal(err)
	}
}
