package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime/debug"
	"sync"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
	"github.com/slack-go/slack/socketmode"
	"go.uber.org/zap"

	"github.com/firebreak-hq/firebreak/bot/sockmode"
	"github.com/firebreak-hq/firebreak/incident"
	"github.com/firebreak-hq/firebreak/templates"
)

// Config wires the bot. API, Store, Reader, Outbox and Playbooks are required.
type Config struct {
	API    *slack.Client
	Socket Socket // a sockmode.Client on API when nil

	Store     Incidents
	Reader    Reader
	Outbox    Outbox
	Playbooks Playbooks
	// Viewers shares who has opened App Home between replicas; nil: this
	// process's memory only.
	Viewers HomeViewers
	// NotFound reports whether a storage error means "no such incident".
	NotFound    func(error) bool
	Postmortems Postmortems // nil: postmortems are not published

	AnnounceChannel string
	Responders      []string
	VerifyWindow    time.Duration
	Location        *time.Location
	Now             func() time.Time
	Logger          *zap.Logger
	Hooks           Hooks
	// CardInterval is the least time between two updates of one card, so
	// a burst of clicks costs a few chat.update calls, not one each.
	CardInterval time.Duration
	// HomeInterval is how long a change waits for others before App Home
	// views are republished (default 300 ms).
	HomeInterval time.Duration
	// CallTimeout bounds one Web API call (default 15 s); a call that
	// times out may still have happened, which postOnce accounts for.
	CallTimeout time.Duration
	// Paging says whom declarations page, by severity; PageTargets lists
	// the targets `/incident page` accepts (see page.go).
	Paging      incident.PagePolicy
	PageTargets []string
}

// Socket is the Socket Mode connection: sockmode.Client, which replaces a connection
// without a gap in acks and backs off when Slack refuses one.
type Socket interface {
	RunContext(ctx context.Context) error
	Ack(req socketmode.Request, payload ...any) error
	Incoming() <-chan socketmode.Event
}

// Bot is the running Slack side of Firebreak.
type Bot struct {
	cfg     Config
	api     *slack.Client
	sock    Socket
	log     *zap.Logger
	now     func() time.Time
	loc     *time.Location
	started time.Time

	botUser string
	// team and enterprise are the workspace (and Enterprise Grid org)
	// the bot is installed in, from auth.test; payloads from anywhere
	// else are refused.
	team, enterprise string

	qmu    sync.Mutex
	queues map[string]*serialQueue

	names   sync.Map // user id → display name
	members *members
	exec    *executor
	home    *home
	connMu  sync.Mutex
	conn    bool
	problem string // why Slack refuses the bot's work, for /readyz
	// problemMethod is the method a missing scope was reported for ("" for the token).
	problemMethod string
	wg            workGroup
	baseCtx       context.Context
}

// New checks the configuration and builds a bot; Run starts it.
func New(cfg Config) (*Bot, error) {
	if cfg.API == nil || cfg.Store == nil || cfg.Reader == nil || cfg.Outbox == nil || cfg.Playbooks == nil {
		return nil, errors.New("bot: API, Store, Reader, Outbox and Playbooks are required")
	}
	if cfg.NotFound == nil {
		cfg.NotFound = func(error) bool { return false }
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Location == nil {
		cfg.Location = time.UTC
	}
	if cfg.Logger == nil {
		cfg.Logger = zap.NewNop()
	}
	if cfg.CardInterval == 0 {
		cfg.CardInterval = 250 * time.Millisecond
	}
	if cfg.HomeInterval == 0 {
		cfg.HomeInterval = homeInterval
	}
	if cfg.CallTimeout == 0 {
		cfg.CallTimeout = 15 * time.Second
	}
	if cfg.VerifyWindow == 0 {
		cfg.VerifyWindow = 30 * time.Minute
	}
	sock := cfg.Socket
	if sock == nil {
		sock = sockmode.New(cfg.API, sockmode.Options{Logger: cfg.Logger})
	}
	b := &Bot{
		cfg:     cfg,
		api:     cfg.API,
		sock:    sock,
		log:     cfg.Logger.Named("bot"),
		now:     cfg.Now,
		loc:     cfg.Location,
		queues:  map[string]*serialQueue{},
		members: newMembers(cfg.Now, memberTTL, MemberRecheck),
	}
	b.exec = newExecutor(b)
	b.home = newHome(b)
	return b, nil
}

// Connected reports whether the Socket Mode connection is up.
func (b *Bot) Connected() bool {
	b.connMu.Lock()
	defer b.connMu.Unlock()
	return b.conn
}

func (b *Bot) setConnected(v bool) {
	b.connMu.Lock()
	b.conn = v
	b.connMu.Unlock()
	if b.cfg.Hooks.Connected != nil {
		b.cfg.Hooks.Connected(v)
	}
}

// Run connects to Slack and serves until ctx ends or the connection
// fails for good (bad token). It drains in-flight work before returning.
func (b *Bot) Run(ctx context.Context) error {
	b.started = b.now()
	b.baseCtx = ctx
	var auth *slack.AuthTestResponse
	err := b.exec.call(ctx, "auth.test", func(ctx context.Context) error {
		var err error
		auth, err = b.api.AuthTestContext(ctx)
		return err
	}, 1)
	if err != nil {
		if code, ok := authProblem(err); ok {
			// call has told the operator (noteAuth).
			return fmt.Errorf("slack refuses SLACK_BOT_TOKEN (%s: %s): reinstall the app, set the new xoxb- token and start again; work already queued is kept and sent then: %w", code, templates.TokenMeaning(code), err)
		}
		return fmt.Errorf("slack auth.test: %w", err)
	}
	b.botUser = auth.UserID
	b.team, b.enterprise = auth.TeamID, auth.EnterpriseID
	if b.team == "" {
		b.log.Warn("auth.test named no workspace; payloads cannot be checked against it")
	}
	if ch := b.cfg.AnnounceChannel; ch != "" {
		if err := b.exec.join(ctx, ch); err != nil {
			b.log.Warn("cannot join the announce channel; announcements will be retried", zap.String("channel", ch), zap.Error(err))
		}
	}
	if open, err := b.cfg.Reader.OpenIncidents(); err == nil {
		for _, inc := range open {
			if inc.Channel != "" {
				b.warmMembers(inc.Channel)
			}
		}
	}
	execDone := make(chan struct{})
	go func() { b.exec.run(ctx); close(execDone) }()

	sockErr := make(chan error, 1)
	go func() { sockErr <- b.sock.RunContext(ctx) }()

	var runErr error
loop:
	for {
		select {
		case <-ctx.Done():
			break loop
		case err := <-sockErr:
			if ctx.Err() == nil && err != nil {
				runErr = fmt.Errorf("slack socket mode: %w", err)
			}
			break loop
		case evt, ok := <-b.sock.Incoming():
			if !ok {
				break loop
			}
			b.handle(evt)
		}
	}
	b.setConnected(false)
	b.wg.Wait()
	<-execDone
	// Nothing can start an App Home round any more.
	b.home.wg.Wait()
	return runErr
}

func (b *Bot) handle(evt socketmode.Event) {
	// A handler may ack first and call Slack after (a shortcut opens its
	// form once acked): it counts as running until it returns.
	b.wg.Add(1)
	defer b.wg.Done()
	switch evt.Type {
	case socketmode.EventTypeConnected, socketmode.EventTypeHello:
		b.setConnected(true)
	case socketmode.EventTypeConnecting, socketmode.EventTypeDisconnect, socketmode.EventTypeConnectionError:
		b.setConnected(false)
	case socketmode.EventTypeInvalidAuth:
		b.setConnected(false)
		b.log.Error("slack rejected the app token")
	case socketmode.EventTypeErrorBadMessage:
		b.onBadMessage(evt)
	case socketmode.EventTypeSlashCommand:
		cmd, ok := evt.Data.(slack.SlashCommand)
		start, ok := b.admit(evt, ok, cmd.TeamID, cmd.EnterpriseID, cmd.UserID, slashReply(templates.ForeignWorkspace()))
		if !ok {
			return
		}
		b.route(cmd.ChannelID, func(inc *incident.Incident) {
			b.onSlash(*evt.Request, cmd, inc, start)
		}, *evt.Request)
	case socketmode.EventTypeInteractive:
		cb, ok := evt.Data.(slack.InteractionCallback)
		// From another workspace nothing is posted back: the response_url
		// of a payload that did not come from our workspace is not ours to
		// call.
		start, ok := b.admit(evt, ok, cb.Team.ID, cb.Enterprise.ID, cb.User.ID, nil)
		if !ok {
			return
		}
		b.routeInteraction(*evt.Request, cb, start)
	case socketmode.EventTypeEventsAPI:
		if evt.Request == nil {
			return
		}
		ev, _ := evt.Data.(slackevents.EventsAPIEvent)
		if b.foreign(ev.TeamID, ev.EnterpriseID) {
			b.log.Warn("event from another workspace refused", zap.String("team", ev.TeamID), zap.String("enterprise", ev.EnterpriseID))
			b.ack(*evt.Request, b.now(), nil)
			return
		}
		b.onEvent(*evt.Request, ev)
	}
}

// foreign reports whether a payload's team and enterprise ids are not the
// installed workspace's (auth.test). An org-wide install matches on the
// Enterprise Grid org. When auth.test named no workspace there is nothing
// to compare with.
func (b *Bot) foreign(team, enterprise string) bool {
	switch {
	case b.team == "":
		return false
	case team == b.team:
		return false
	case b.enterprise != "" && enterprise == b.enterprise:
		return false
	}
	return true
}

// onBadMessage acks an envelope slack-go could not parse (for example a
// slash command whose text is a JSON number). Unacked, the person would
// only see Slack's timeout; a slash command is told plainly that nothing
// was done. Redelivering an unreadable event cannot make it readable, so
// events are acked too, and logged.
func (b *Bot) onBadMessage(evt socketmode.Event) {
	bm, ok := evt.Data.(*socketmode.ErrorBadMessage)
	if !ok || bm == nil {
		return
	}
	var env struct {
		Type       string `json:"type"`
		EnvelopeID string `json:"envelope_id"`
	}
	if json.Unmarshal(bm.Message, &env) != nil || env.EnvelopeID == "" {
		b.log.Warn("unreadable Socket Mode message without an envelope id", zap.Error(bm.Cause))
		return
	}
	b.log.Warn("unreadable Socket Mode envelope acked", zap.String("type", env.Type), zap.String("envelope", env.EnvelopeID), zap.Error(bm.Cause))
	req := socketmode.Request{Type: env.Type, EnvelopeID: env.EnvelopeID}
	if env.Type == string(socketmode.RequestTypeSlashCommands) {
		b.ack(req, b.now(), slashReply(templates.UnreadableCommand()))
		return
	}
	b.ack(req, b.now(), nil)
}

// admit starts handling an envelope whose payload was read when ok: one
// that was not, or came without a request, is acked as bad; one from
// another workspace (team, enterprise) than ours is logged and acked with
// refusal. It returns when handling started, and whether to go on.
func (b *Bot) admit(evt socketmode.Event, ok bool, team, enterprise, user string, refusal any) (time.Time, bool) {
	if !ok || evt.Request == nil {
		b.ackBad(evt)
		return time.Time{}, false
	}
	start := b.now()
	if b.foreign(team, enterprise) {
		b.log.Warn("payload from another workspace refused", zap.String("type", string(evt.Type)), zap.String("team", team), zap.String("enterprise", enterprise), zap.String("user", user))
		b.ack(*evt.Request, start, refusal)
		return start, false
	}
	return start, true
}

func (b *Bot) ackBad(evt socketmode.Event) {
	if evt.Request != nil {
		_ = b.sock.Ack(*evt.Request)
	}
}

// ack answers Slack and records the latency.
func (b *Bot) ack(req socketmode.Request, start time.Time, payload any) {
	var err error
	if payload == nil {
		err = b.sock.Ack(req)
	} else {
		err = b.sock.Ack(req, payload)
	}
	if err != nil {
		b.log.Warn("ack failed", zap.String("envelope", req.EnvelopeID), zap.Error(err))
	}
	if b.cfg.Hooks.Ack != nil {
		b.cfg.Hooks.Ack(req.Type, b.now().Sub(start))
	}
}

// serialQueue runs the work of one incident in arrival order.
type serialQueue struct {
	work []func()
}

// serial runs fn after every earlier fn with the same key; different
// keys run in parallel. The goroutine of a key exits when its queue
// empties, so idle incidents cost nothing.
func (b *Bot) serial(key string, fn func()) {
	b.wg.Add(1)
	b.qmu.Lock()
	q, ok := b.queues[key]
	if ok {
		q.work = append(q.work, fn)
		b.qmu.Unlock()
		return
	}
	q = &serialQueue{work: []func(){fn}}
	b.queues[key] = q
	b.qmu.Unlock()
	go func() {
		for {
			b.qmu.Lock()
			if len(q.work) == 0 {
				delete(b.queues, key)
				b.qmu.Unlock()
				return
			}
			next := q.work[0]
			q.work = q.work[1:]
			b.qmu.Unlock()
			b.safely(key, next)
			b.wg.Done()
		}
	}()
}

// safely keeps a bug in one handler from killing the process.
func (b *Bot) safely(where string, fn func()) {
	defer func() {
		if r := recover(); r != nil {
			b.log.Error("handler panicked", zap.String("where", where), zap.Any("panic", r), zap.ByteString("stack", debug.Stack()))
		}
	}()
	fn()
}

// route looks up the incident of a channel and runs fn in that
// incident's queue (or on its own when the channel is not an incident's).
func (b *Bot) route(channel string, fn func(inc *incident.Incident), req socketmode.Request) {
	inc, err := b.cfg.Store.ByChannel(channel)
	switch {
	case err == nil:
		n := inc.Number
		b.serial(fmt.Sprintf("inc-%d", n), func() {
			defer b.recoverAck(req)
			cur, err := b.cfg.Store.Get(n)
			if err != nil {
				b.log.Warn("reading the incident failed", zap.Uint64("incident", n), zap.Error(err))
				b.ack(req, b.now(), slashReply(refuseDBRead(true)))
				return
			}
			fn(&cur)
		})
	case b.cfg.NotFound(err):
		b.serial("free:"+req.EnvelopeID, func() {
			defer b.recoverAck(req)
			fn(nil)
		})
	default:
		b.log.Warn("reading the channel's incident failed", zap.Error(err))
		b.ack(req, b.now(), slashReply(refuseDBRead(false)))
	}
}

// recoverAck answers the user when a handler panics, so nothing they
// typed disappears silently.
func (b *Bot) recoverAck(req socketmode.Request) {
	if r := recover(); r != nil {
		b.log.Error("handler panicked", zap.String("envelope", req.EnvelopeID), zap.Any("panic", r), zap.ByteString("stack", debug.Stack()))
		if req.Type == string(socketmode.EventTypeSlashCommand) {
			b.ack(req, b.now(), slashReply(refusePanic()))
		} else {
			_ = b.sock.Ack(req)
		}
	}
}

func (b *Bot) ctx() context.Context {
	if b.baseCtx != nil {
		return b.baseCtx
	}
	return context.Background()
}

// apply commits cmd on incident n.
func (b *Bot) apply(n uint64, cmd incident.Command) (incident.Result, error) {
	now := b.now()
	res, err := b.cfg.Store.Apply(n, func(cur incident.Incident) (incident.Result, error) {
		return incident.Apply(cur, cmd, now)
	})
	if err != nil {
		return res, err
	}
	b.noteClockBack(n, res)
	if res.Refused != nil {
		// Recorded on the timeline, and still a refusal for the person.
		return res, res.Refused
	}
	return res, nil
}

// noteClockBack logs a backwards step of the clock that the domain
// absorbed by stamping events just after the incident's latest one.
func (b *Bot) noteClockBack(n uint64, res incident.Result) {
	if res.ClockBack > 0 {
		b.log.Warn("the system clock stepped back behind the incident's latest event; events are stamped just after it",
			zap.String("incident", incident.ID(n)), zap.Duration("behind", res.ClockBack))
	}
}
