package app

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/slack-go/slack"
	"go.uber.org/zap"

	"github.com/firebreak-hq/firebreak/bot"
	"github.com/firebreak-hq/firebreak/bot/outbox"
	"github.com/firebreak-hq/firebreak/bot/sockmode"
	"github.com/firebreak-hq/firebreak/incident"
	"github.com/firebreak-hq/firebreak/intake"
	"github.com/firebreak-hq/firebreak/paging"
	"github.com/firebreak-hq/firebreak/playbooks"
	"github.com/firebreak-hq/firebreak/schedule"
	"github.com/firebreak-hq/firebreak/store"
)

// Options adjust an App beyond the environment; tests and the demo use them.
type Options struct {
	Logger *zap.Logger
	Now    func() time.Time
	// HTTPClient is used for Slack and GitHub calls.
	HTTPClient *http.Client
	// NoHTTP skips the health/metrics listener.
	NoHTTP bool
	// CardInterval overrides the least time between card updates.
	CardInterval time.Duration
	// HomeInterval overrides how long a change waits for others before
	// App Home views are republished.
	HomeInterval time.Duration
	// CallTimeout overrides how long one Slack Web API call may take.
	CallTimeout time.Duration
	// SocketPing overrides how long the Socket Mode client waits for a ping.
	SocketPing time.Duration
	// LeadEvery overrides how often a replica that does not lead tries to (DefaultLeadEvery).
	LeadEvery time.Duration
	// SocketBackoff overrides the first wait after a failed Socket Mode connection (1 s).
	SocketBackoff time.Duration
	// PageTimeout bounds one call to a pager; PageBackoff is the first
	// delay before a failed page is sent again.
	PageTimeout, PageBackoff time.Duration
}

// App is one running Firebreak.
type App struct {
	Cfg       Config
	DB        store.Store
	Bot       *bot.Bot
	Sched     *schedule.Scheduler
	Playbooks *playbooks.Set
	Metrics   *Metrics

	log  *zap.Logger
	api  *slack.Client
	now  func() time.Time
	http *http.Server
	ln   net.Listener
	// github polls postmortem issues for their review; nil without GitHub.
	github reviewPoller
	// githubPrivate does the same for GITHUB_PRIVATE_REPO.
	githubPrivate reviewPoller

	closeOnce sync.Once
	// leader is set while this process runs the once-per-moment jobs (leader.go).
	leader    atomic.Bool
	leadTerms atomic.Int64
	leadEvery time.Duration

	// hooks take alerts in; pager sends pages (alerts.go).
	hooks   *intake.Hooks
	pager   *paging.Runner
	alertMx *alertMetrics
}

// New opens the database, loads playbooks and builds every part. It
// fails fast, with one clear line, on a locked database or an invalid
// playbook directory.
func New(cfg Config, opt Options) (*App, error) {
	log := opt.Logger
	if log == nil {
		log = zap.NewNop()
	}
	now := opt.Now
	if now == nil {
		now = time.Now
	}
	pbs, err := playbooks.Load(cfg.PlaybooksDir)
	if err != nil {
		return nil, fmt.Errorf("playbooks: %w", err)
	}
	// Everything that can refuse the configuration comes before the
	// database is opened, so a mistake creates no file.
	a := &App{Cfg: cfg, Playbooks: pbs, log: log, now: now}
	hc := opt.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: 20 * time.Second}
	}
	ghClient := &http.Client{Timeout: hc.Timeout, Transport: countingTransport{next: hc.Transport,
		count: func(method, outcome string) { a.Metrics.GitHubCall(method, outcome) }}}
	pm, err := newPostmortems(cfg, ghClient, log)
	if err != nil {
		return nil, err
	}
	if pm.github != nil {
		a.github = pm.github
	}
	if pm.private != nil {
		a.githubPrivate = pm.private
	}
	if !opt.NoHTTP {
		ln, err := net.Listen("tcp", cfg.HTTPAddr)
		if err != nil {
			return nil, fmt.Errorf("FIREBREAK_HTTP_ADDR: %w", err)
		}
		a.ln = ln
	}
	a.leadEvery = opt.LeadEvery
	if a.leadEvery <= 0 {
		a.leadEvery = DefaultLeadEvery
	}
	db, err := openStore(cfg.DBPath, cfg.NoSync, cfg.ClaimLease, a.leadEvery, log, now)
	if err != nil {
		if a.ln != nil {
			_ = a.ln.Close()
		}
		return nil, err
	}
	a.DB = db
	a.Metrics = newMetrics(a)

	a.api = slack.New(cfg.BotToken,
		slack.OptionAPIURL(cfg.SlackAPIURL),
		slack.OptionAppLevelToken(cfg.AppToken),
		slack.OptionHTTPClient(hc))
	sock := sockmode.New(a.api, sockmode.Options{PingTimeout: opt.SocketPing, BackoffMin: opt.SocketBackoff, Logger: log})

	a.alertMx = newAlertMetrics(a.Metrics.reg)
	policy, targets, err := a.setupAlerts(cfg, opt)
	if err != nil {
		if a.ln != nil {
			_ = a.ln.Close()
		}
		_ = db.Close()
		return nil, err
	}
	a.Bot, err = bot.New(bot.Config{
		Paging:          policy,
		PageTargets:     targets,
		API:             a.api,
		Socket:          sock,
		Store:           incidents{db},
		Reader:          db,
		Outbox:          queue{db},
		Playbooks:       pbs,
		Viewers:         homeViewers{db},
		NotFound:        func(err error) bool { return errors.Is(err, store.ErrNotFound) },
		Postmortems:     pm,
		AnnounceChannel: cfg.AnnounceChannel,
		Responders:      cfg.Responders,
		VerifyWindow:    cfg.VerifyWindow,
		Location:        cfg.Location,
		Now:             now,
		Logger:          log,
		Hooks:           a.Metrics.hooks(),
		CardInterval:    opt.CardInterval,
		HomeInterval:    opt.HomeInterval,
		CallTimeout:     opt.CallTimeout,
	})
	if err != nil {
		if a.ln != nil {
			_ = a.ln.Close()
		}
		_ = db.Close()
		return nil, err
	}
	rc := incident.DefaultReminderConfig()
	rc.UpdateEvery = cfg.UpdateReminders
	rc.VerifyWindow = cfg.VerifyWindow
	rc.Location = cfg.Location
	scfg := schedule.Config{
		Reminders:  rc,
		Every:      cfg.ReminderEvery,
		DigestCron: cfg.DigestCron,
		Now:        now,
		Closed:     db,
		Sent:       a.Metrics.reminderSent,
	}
	if cfg.AnnounceChannel != "" {
		scfg.Digests = db
	}
	a.Sched = schedule.New(db, scfg, log)

	if a.ln != nil {
		a.http = NewHTTPServer(a.Handler())
	}
	return a, nil
}

// HTTP server timeouts: a client gets ReadHeaderTimeout to send its
// headers and ReadTimeout for the whole request, and an idle keep-alive
// connection is closed after IdleTimeout, so slow or silent clients
// cannot hold connections open.
const (
	HTTPReadHeaderTimeout = 5 * time.Second
	HTTPReadTimeout       = 30 * time.Second
	HTTPIdleTimeout       = 60 * time.Second
)

// NewHTTPServer is the http.Server every Firebreak listener uses.
func NewHTTPServer(h http.Handler) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: HTTPReadHeaderTimeout,
		ReadTimeout:       HTTPReadTimeout,
		IdleTimeout:       HTTPIdleTimeout,
	}
}

// HTTPServer is the health and metrics server (nil with NoHTTP).
func (a *App) HTTPServer() *http.Server { return a.http }

// HTTPAddr is where health and metrics are served ("" when disabled).
func (a *App) HTTPAddr() string {
	if a.ln == nil {
		return ""
	}
	return a.ln.Addr().String()
}

// Run serves until ctx ends. It returns an error if Slack refuses the
// tokens for good.
func (a *App) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if a.http != nil {
		go func() {
			if err := a.http.Serve(a.ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				a.log.Error("http server stopped", zap.Error(err))
			}
		}()
	}
	led, err := a.startLeading(ctx)
	if err != nil {
		return fmt.Errorf("scheduler: %w", err)
	}
	var refresh sync.WaitGroup
	a.runAlertRefresh(ctx, &refresh)
	err = a.Bot.Run(ctx)
	cancel()
	<-led
	refresh.Wait()
	if a.http != nil {
		sctx, c := context.WithTimeout(context.Background(), 2*time.Second)
		_ = a.http.Shutdown(sctx)
		c()
	}
	return err
}

// Close releases the database.
func (a *App) Close() error {
	var err error
	a.closeOnce.Do(func() { err = a.DB.Close() })
	return err
}

// rows is a store outbox: the Slack effects' (store.Store) or the page
// lane (store.Lane).
type rows interface {
	Pending(limit int) ([]store.OutboxItem, error)
	Done(ids ...uint64) error
	Retry(id uint64, notBefore time.Time, lastErr string) error
	Notify() <-chan struct{}
}

// queue adapts a store outbox to the runners' queue (bot/outbox).
type queue struct{ rows }

var (
	_ bot.Outbox  = queue{}
	_ paging.Lane = queue{}
)

func (q queue) Pending(limit int) ([]outbox.Item, error) {
	items, err := q.rows.Pending(limit)
	if err != nil {
		return nil, err
	}
	out := make([]outbox.Item, len(items))
	for i, it := range items {
		out[i] = outbox.Item{ID: it.ID, Incident: it.Incident, Effect: it.Effect, Attempts: it.Attempts, NotBefore: it.NotBefore, Created: it.Created}
	}
	return out, nil
}

// Announce posts an operational message in the announce channel (or logs
// it when there is none).
func (a *App) Announce(text string) {
	if a.Cfg.AnnounceChannel == "" {
		a.log.Warn("announcement with no announce channel", zap.String("text", text))
		return
	}
	if _, _, err := a.api.PostMessage(a.Cfg.AnnounceChannel, slack.MsgOptionText(text, false)); err != nil {
		a.log.Error("could not announce", zap.Error(err))
	}
}
