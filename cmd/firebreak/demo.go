package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	firebreak "github.com/firebreak-hq/firebreak"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/firebreak-hq/firebreak/internal/app"
	"github.com/firebreak-hq/firebreak/internal/demo"
	"github.com/firebreak-hq/firebreak/internal/githubfake"
	"github.com/firebreak-hq/firebreak/internal/pagerdutyfake"
	"github.com/firebreak-hq/firebreak/internal/slackfake"
)

const (
	defaultDemoAddr = "127.0.0.1:8080"
	demoGitHubToken = "ghp_firebreakdemo"
	demoOwner       = "acme"
	demoRepo        = "postmortems"
	demoAnnounce    = "incidents"
	// demoDave is a fourth person, in no incident unless invited.
	demoDave = "UDAVE"
	// demoPagerDutyKey is the fake PagerDuty's routing key.
	demoPagerDutyKey = "demo0000000000000000000000000000"
)

// demoRoutes sends the demo's alerts (service checkout) to a sev2
// incident, which pages PagerDuty; anything else declares sev3.
const demoRoutes = `routes:
  - name: checkout
    match: {service: checkout}
    action: declare
    severity: sev2
    playbook: general
  - action: declare
`

func randomToken() (string, error) {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return hex.EncodeToString(b), nil
}

// demoDefaults are settings the demo picks when the environment does not:
// short enough that a visitor sees the reminders within minutes.
var demoDefaults = map[string]string{
	"FIREBREAK_VERIFY_WINDOW":    "2m",
	"FIREBREAK_UPDATE_REMINDERS": "sev1=3m,sev2=5m,sev3=10m,sev4=20m",
}

func cmdDemo(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	db := fs.String("db", "", "bbolt database file (default: a fresh temporary file, removed on exit)")
	addr := fs.String("addr", "", "where the browser UI listens (default $FIREBREAK_DEMO_ADDR or "+defaultDemoAddr+")")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("demo takes no arguments, got %q", fs.Args())
	}
	if *addr == "" {
		*addr = getenv("FIREBREAK_DEMO_ADDR")
	}
	if *addr == "" {
		*addr = defaultDemoAddr
	}
	// The bot's own log goes to stderr, warnings only: the page is the
	// demo's output, and stdout carries just the URL.
	log := newLogger(stderr, zapcore.WarnLevel)
	defer func() { _ = log.Sync() }()
	d, err := startDemo(ctx, demoOptions{DB: *db, Addr: *addr, Getenv: getenv, Log: log})
	if err != nil {
		return err
	}
	if !d.Loopback {
		fmt.Fprint(stderr, demoExposedWarning(*addr))
	}
	fmt.Fprintf(stdout, "Firebreak demo is running: open %s\n", d.URL)
	fmt.Fprintf(stdout, "database: %s (press Ctrl-C to stop)\n", d.DBPath)
	select {
	case <-ctx.Done():
	case err = <-d.failed:
	}
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

type demoOptions struct {
	// DB is the bbolt file; "" means a fresh temporary one.
	DB     string
	Addr   string
	Getenv func(string) string
	Log    *zap.Logger
	// CardInterval overrides the bot's least time between card updates.
	CardInterval time.Duration
	// Now is the bot's clock (default: the real one).
	Now func() time.Time
}

// demoRun is the whole product running against the fakes, with the UI.
type demoRun struct {
	URL    string
	DBPath string
	// Loopback is whether the UI listens on a loopback address only.
	Loopback  bool
	Slack     *slackfake.Server
	GitHub    *githubfake.Server
	PagerDuty *pagerdutyfake.Server
	App       *app.App
	Announce  string

	ui     *demo.Server
	srv    *http.Server
	tmp    string
	cancel context.CancelFunc
	done   chan error
	failed chan error
	once   sync.Once
	err    error
}

// fail reports the first failure that should end the demo.
func (d *demoRun) fail(err error) {
	select {
	case d.failed <- err:
	default:
	}
}

// startDemo starts fake Slack, fake GitHub, the real bot and the UI. On
// error everything already started is stopped again.
func startDemo(ctx context.Context, o demoOptions) (d *demoRun, err error) {
	if o.Getenv == nil {
		o.Getenv = func(string) string { return "" }
	}
	if o.Log == nil {
		o.Log = zap.NewNop()
	}
	d = &demoRun{done: make(chan error, 1), failed: make(chan error, 1)}
	defer func() {
		if err != nil {
			_ = d.Close()
		}
	}()
	d.tmp, err = os.MkdirTemp("", "firebreak-demo-")
	if err != nil {
		return nil, err
	}
	d.DBPath = o.DB
	if d.DBPath == "" {
		d.DBPath = filepath.Join(d.tmp, "firebreak.db")
	}
	if d.Slack, err = slackfake.New(slackfake.WithManifest(firebreak.Manifest)); err != nil {
		return d, fmt.Errorf("fake Slack: %w", err)
	}
	if d.GitHub, err = githubfake.New(demoGitHubToken); err != nil {
		return d, fmt.Errorf("fake GitHub: %w", err)
	}
	d.GitHub.AddRepo(demoOwner, demoRepo)
	if d.PagerDuty, err = pagerdutyfake.New(demoPagerDutyKey); err != nil {
		return d, fmt.Errorf("fake PagerDuty: %w", err)
	}
	routes := filepath.Join(d.tmp, "routes.yaml")
	if err := os.WriteFile(routes, []byte(demoRoutes), 0o600); err != nil {
		return d, err
	}
	hookToken, err := randomToken()
	if err != nil {
		return d, err
	}
	d.Announce, err = d.Slack.CreateChannel(slackfake.Alice, demoAnnounce, false, slackfake.Bob, slackfake.Carol)
	if err != nil {
		return d, fmt.Errorf("fake Slack: creating #%s: %w", demoAnnounce, err)
	}
	if err := d.Slack.Invite(slackfake.Alice, d.Announce, slackfake.BotUserID); err != nil {
		return d, fmt.Errorf("fake Slack: inviting the bot to #%s: %w", demoAnnounce, err)
	}
	// Dave is in the workspace and its public channels but invited to no
	// incident: a private incident shows him no title anywhere.
	d.Slack.AddUser(slackfake.User{ID: demoDave, Name: "dave", RealName: "Dave Diaz", DisplayName: "Dave"})
	for _, ch := range []string{slackfake.GeneralChannelID, d.Announce} {
		if err := d.Slack.Join(demoDave, ch); err != nil {
			return d, fmt.Errorf("fake Slack: dave joining %s: %w", ch, err)
		}
	}

	set := map[string]string{
		"SLACK_APP_TOKEN":            d.Slack.AppToken(),
		"SLACK_BOT_TOKEN":            d.Slack.BotToken(),
		"SLACK_API_URL":              d.Slack.APIURL(),
		"FIREBREAK_DB":               d.DBPath,
		"FIREBREAK_ANNOUNCE_CHANNEL": d.Announce,
		"FIREBREAK_RESPONDERS":       slackfake.Bob,
		"FIREBREAK_POSTMORTEM_DIR":   filepath.Join(d.tmp, "postmortems"),
		"GITHUB_TOKEN":               demoGitHubToken,
		"GITHUB_REPO":                demoOwner + "/" + demoRepo,
		"GITHUB_API_URL":             d.GitHub.URL(),
		"FIREBREAK_HTTP_ADDR":        "127.0.0.1:0",
		"FIREBREAK_BACKUP_DIR":       "",
		"FIREBREAK_HOOK_TOKENS":      "alertmanager=" + hookToken,
		"FIREBREAK_ROUTES":           routes,
		"PAGERDUTY_ROUTING_KEY":      demoPagerDutyKey,
		"PAGERDUTY_EVENTS_URL":       d.PagerDuty.URL,
		"OPSGENIE_API_KEY":           "",
	}
	// Only the settings that shape the product (playbooks, time zone,
	// reminder timings) come from the environment: the accounts, URLs and
	// files are the demo's own, so a real token set in the shell is never
	// used.
	getenv := func(k string) string {
		if v, ok := set[k]; ok {
			return v
		}
		if v := o.Getenv(k); v != "" {
			return v
		}
		return demoDefaults[k]
	}
	cfg, err := app.FromEnv(getenv)
	if err != nil {
		return d, err
	}
	cfg.NoSync = true
	// The HTTP listener (on a free loopback port) carries the alert hook
	// the "Fire an alert" control posts to.
	d.App, err = app.New(cfg, app.Options{Logger: o.Log, CardInterval: o.CardInterval, Now: o.Now})
	if err != nil {
		return d, err
	}
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	d.cancel = cancel
	go func() {
		err := d.App.Run(runCtx)
		d.done <- err
		if err != nil && runCtx.Err() == nil {
			d.fail(fmt.Errorf("the bot stopped: %w", err))
		}
	}()
	wctx, wcancel := context.WithTimeout(ctx, 15*time.Second)
	defer wcancel()
	if err := d.Slack.WaitConnected(wctx); err != nil {
		return d, fmt.Errorf("the bot did not connect to the fake Slack: %w", err)
	}

	ln, err := net.Listen("tcp", o.Addr)
	if err != nil {
		return d, fmt.Errorf("demo UI on %s (set --addr or FIREBREAK_DEMO_ADDR): %w", o.Addr, err)
	}
	d.ui = demo.New(d.Slack, d.GitHub, demoOwner, demoRepo)
	d.ui.EnableAlerts("http://"+d.App.HTTPAddr()+"/hooks/alertmanager", hookToken, d.PagerDuty)
	d.Loopback = isLoopback(ln.Addr())
	// The insights report and the status page are the product's own,
	// served beside the UI (the demo runs no other HTTP server).
	root := http.NewServeMux()
	pages := d.App.Handler()
	for _, p := range []string{"/insights", "/insights.csv", "/status", "/status.json", "/status.atom"} {
		root.Handle("GET "+p, pages)
	}
	root.Handle("/", d.ui)
	d.srv = app.NewHTTPServer(demo.Guard(root, d.Loopback))
	go func() {
		if err := d.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			d.fail(fmt.Errorf("demo UI: %w", err))
		}
	}()
	d.URL = "http://" + browsable(ln.Addr()) + "/"
	return d, nil
}

// isLoopback reports whether a listener is reachable from this machine
// only.
func isLoopback(a net.Addr) bool {
	ta, ok := a.(*net.TCPAddr)
	return ok && ta.IP.IsLoopback()
}

// demoExposedWarning is printed when the demo listens beyond loopback.
func demoExposedWarning(addr string) string {
	return "WARNING: the demo listens on " + addr + ", which other machines can reach.\n" +
		"WARNING: anyone who reaches it can act as every person of the demo workspace; it has no login.\n" +
		"WARNING: use --addr " + defaultDemoAddr + " unless you mean to share it on a trusted network.\n"
}

// browsable turns a listen address into one a browser can open.
func browsable(a net.Addr) string {
	host, port, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "localhost"
	}
	return net.JoinHostPort(host, port)
}

// Close stops the UI (ending its event streams first, so the HTTP server
// can drain), then the bot, the fakes, and removes the temporary files.
func (d *demoRun) Close() error {
	d.once.Do(func() { d.err = d.close() })
	return d.err
}

func (d *demoRun) close() error {
	var errs []error
	if d.ui != nil {
		_ = d.ui.Close()
	}
	if d.srv != nil {
		sctx, c := context.WithTimeout(context.Background(), 3*time.Second)
		if err := d.srv.Shutdown(sctx); err != nil {
			_ = d.srv.Close()
		}
		c()
	}
	if d.cancel != nil {
		d.cancel()
		select {
		case <-d.done:
		case <-time.After(10 * time.Second):
			errs = append(errs, errors.New("the bot did not stop within 10 s"))
		}
	}
	if d.App != nil {
		errs = append(errs, d.App.Close())
	}
	if d.Slack != nil {
		errs = append(errs, d.Slack.Close())
	}
	if d.GitHub != nil {
		errs = append(errs, d.GitHub.Close())
	}
	if d.PagerDuty != nil {
		d.PagerDuty.Close()
	}
	if d.tmp != "" {
		errs = append(errs, os.RemoveAll(d.tmp))
	}
	return errors.Join(errs...)
}
