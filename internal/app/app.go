package app

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"
	"go.uber.org/zap"

	"github.com/firebreak-hq/firebreak/bot"
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
	// PageTimeout bounds one call to a pager; PageBackoff is the first
	// delay before a failed page is sent again.
	PageTimeout, PageBackoff time.Duration
}

// App is one running Firebreak.
type App struct {
	Cfg       Config
	DB        *store.DB
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
	db, err := store.Open(cfg.DBPath, store.Options{NoSync: cfg.NoSync, Logger: log.Named("store"), Now: now})
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
	sockOpts := []socketmode.Option{}
	if opt.SocketPing > 0 {
		sockOpts = append(sockOpts, socketmode.OptionPingInterval(opt.SocketPing))
	}
	sock := socketmode.New(a.api, sockOpts...)

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
		Outbox:          outbox{db},
		Playbooks:       pbs,
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
	if err := a.Sched.Start(ctx); err != nil {
		return fmt.Errorf("scheduler: %w", err)
	}
	reviews := a.startReviewPolls(ctx)
	var pagers sync.WaitGroup
	a.runPager(ctx, &pagers)
	err := a.Bot.Run(ctx)
	cancel()
	<-reviews
	<-a.Sched.Done()
	pagers.Wait()
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

// outbox adapts the store's outbox rows to the bot's type.
type outbox struct{ db *store.DB }

var _ bot.Outbox = outbox{}

func (o outbox) Pending(limit int) ([]bot.OutboxItem, error) {
	items, err := o.db.Pending(limit)
	if err != nil {
		return nil, err
	}
	out := make([]bot.OutboxItem, len(items))
	for i, it := range items {
		out[i] = bot.OutboxItem{ID: it.ID, Incident: it.Incident, Effect: it.Effect, Attempts: it.Attempts, NotBefore: it.NotBefore, Created: it.Created}
	}
	return out, nil
}
func (o outbox) Done(ids ...uint64) error { return o.db.Done(ids...) }
func (o outbox) Retry(id uint64, nb time.Time, e string) error {
	return o.db.Retry(id, nb, e)
}
func (o outbox) Notify() <-chan struct{} { return o.db.Notify() }

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
