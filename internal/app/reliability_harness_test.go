package app_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"github.com/firebreak-hq/firebreak/incident"
	"github.com/firebreak-hq/firebreak/internal/app"
	"github.com/firebreak-hq/firebreak/internal/githubfake"
	"github.com/firebreak-hq/firebreak/internal/slackfake"
	"github.com/firebreak-hq/firebreak/playbooks"
)

// relOpts adjust the reliability harness: fake Slack options, and a hook
// run on the built App before it starts (where store faults are armed,
// so that the hook is installed before any goroutine writes).
type relOpts struct {
	slack     []slackfake.Option
	beforeRun func(*app.App)
}

// startReliabilityHarness is startHarness with options for the fake Slack
// and a pre-start hook; the returned harness has every helper of
// harness_test.go.
func startReliabilityHarness(t *testing.T, o relOpts) *harness {
	t.Helper()
	fs, err := slackfake.New(append([]slackfake.Option{slackfake.WithPingInterval(time.Second)}, o.slack...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = fs.Close() })
	gh, err := githubfake.New("ghp_test")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = gh.Close() })
	gh.AddRepo("acme", "ops")
	announce, err := fs.CreateChannel(alice, "incidents", false, bob, carol)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	env := map[string]string{
		"SLACK_APP_TOKEN":            fs.AppToken(),
		"SLACK_BOT_TOKEN":            fs.BotToken(),
		"SLACK_API_URL":              fs.APIURL(),
		"FIREBREAK_DB":               filepath.Join(dir, "firebreak.db"),
		"FIREBREAK_ANNOUNCE_CHANNEL": announce,
		"FIREBREAK_RESPONDERS":       bob,
		"FIREBREAK_POSTMORTEM_DIR":   filepath.Join(dir, "postmortems"),
		"GITHUB_TOKEN":               "ghp_test",
		"GITHUB_REPO":                "acme/ops",
		"GITHUB_API_URL":             gh.URL(),
		"FIREBREAK_HTTP_ADDR":        "127.0.0.1:0",
	}
	cfg, err := app.FromEnv(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, slack: fs, gh: gh, cfg: cfg, announce: announce, clock: &clock{}}
	h.bootWith(o.beforeRun)
	t.Cleanup(h.stop)
	return h
}

// bootWith is boot with a hook on the App before it runs; a restart
// through harness.restart goes through boot and drops the hook.
func (h *harness) bootWith(beforeRun func(*app.App)) {
	h.t.Helper()
	a, err := app.New(h.cfg, app.Options{Logger: zaptest.NewLogger(h.t).Named("app"), CardInterval: 50 * time.Millisecond, Now: h.clock.Now})
	if err != nil {
		h.t.Fatal(err)
	}
	if beforeRun != nil {
		beforeRun(a)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	h.mu.Lock()
	h.app, h.cancel, h.done = a, cancel, done
	h.mu.Unlock()
	wctx, wcancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer wcancel()
	if err := h.slack.WaitConnected(wctx); err != nil {
		h.t.Fatalf("bot did not connect: %v", err)
	}
	h.eventually("bot ready", func() bool { return a.Bot.Connected() })
}

// eventuallyWithin is eventually with a longer bound, for paths that wait
// out injected rate limits and latency.
func (h *harness) eventuallyWithin(d time.Duration, what string, cond func() bool) {
	h.t.Helper()
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	h.t.Fatalf("timed out after %s waiting for: %s", d, what)
}

// mustPlaybook returns an embedded playbook.
func mustPlaybook(t *testing.T, name string) incident.Playbook {
	t.Helper()
	set, err := playbooks.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	pb, ok := set.Get(name)
	if !ok {
		t.Fatalf("no embedded playbook %q", name)
	}
	return pb
}
