package schedule

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/robfig/cron/v3"
	"go.uber.org/zap"

	"github.com/firebreak-hq/firebreak/incident"
)

// Store is what the scheduler needs from storage. Apply must run fn on
// the current state and commit its result (state, events, effects) in
// one transaction, committing nothing when fn returns an error.
type Store interface {
	OpenIncidents() ([]incident.Incident, error)
	Apply(n uint64, fn func(incident.Incident) (incident.Result, error)) (incident.Result, error)
}

// ClosedLister finds recently closed incidents for the post-close
// follow-up reminder: List returns up to limit incidents, newest first,
// any status.
type ClosedLister interface {
	List(limit int) ([]incident.Incident, error)
}

// Defaults and limits of Config.
const (
	DefaultEvery      = 5 * time.Second
	MaxEvery          = 10 * time.Second // the contract promises reminders within 10 s
	DefaultDigestCron = "0 9 * * 1-5"
	DefaultClosedScan = 200
	// DefaultFollowupHorizon bounds how far back closed incidents are
	// looked at, so that turning the reminder on (or restoring an old
	// backup) does not DM people about incidents closed long ago.
	DefaultFollowupHorizon = 30 * 24 * time.Hour
)

// Config configures a Scheduler. Zero values take the defaults.
type Config struct {
	Reminders incident.ReminderConfig
	// Every is how often due reminders are looked for; at most MaxEvery.
	Every time.Duration
	// DigestCron is a standard five-field cron expression in
	// Reminders.Location (a CRON_TZ= prefix overrides it).
	DigestCron string
	// Now is the clock; default time.Now.
	Now func() time.Time
	// Digests queues the daily digest; nil disables it. Each due moment
	// of DigestCron is queued once (keyed by that moment), so a restart
	// neither drops nor repeats one; a digest missed by more than
	// DigestHorizon is skipped rather than sent late.
	Digests DigestQueue
	// DigestHorizon: default DefaultDigestHorizon.
	DigestHorizon time.Duration
	// Closed, when set, enables the post-close follow-up reminder.
	Closed ClosedLister
	// ClosedScan is how many of the newest incidents are looked at for
	// follow-ups.
	ClosedScan int
	// FollowupHorizon: incidents closed longer ago get no follow-up.
	FollowupHorizon time.Duration
	// Sent is told of every reminder committed, for metrics.
	Sent func(kind incident.ReminderKind)
}

// DigestQueue adds the digest effect to the outbox unless key was seen;
// every store.Store satisfies it.
type DigestQueue interface {
	EnqueueOnce(key string, eff incident.Effect) (bool, error)
}

// DefaultDigestHorizon is how late a digest may still go out after its
// due moment (the bot was down at 09:00 and came back at 10:30).
const DefaultDigestHorizon = 6 * time.Hour

// Scheduler finds due reminders and hands them to the store's outbox.
type Scheduler struct {
	st  Store
	cfg Config
	log *zap.Logger
	loc *time.Location
	// runMu guards done and running: a scheduler runs one term at a
	// time, and may start again once a term has stopped.
	runMu   sync.Mutex
	done    chan struct{}
	running bool
	// tickMu is held while a periodic check runs (see Settle).
	tickMu sync.Mutex
}

// New returns a scheduler; nothing runs until Start. Out-of-range values
// in cfg are corrected and logged rather than refused, so a typo in an
// interval never leaves reminders off.
func New(st Store, cfg Config, log *zap.Logger) *Scheduler {
	if log == nil {
		log = zap.NewNop()
	}
	log = log.Named("schedule")
	switch {
	case cfg.Every <= 0:
		cfg.Every = DefaultEvery
	case cfg.Every > MaxEvery:
		log.Warn("reminder check interval lowered to the maximum", zap.Duration("asked", cfg.Every), zap.Duration("used", MaxEvery))
		cfg.Every = MaxEvery
	case cfg.Every < time.Second:
		cfg.Every = time.Second // cron's finest @every resolution
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	cfg.DigestCron = cmp.Or(cfg.DigestCron, DefaultDigestCron)
	cfg.ClosedScan = positive(cfg.ClosedScan, DefaultClosedScan)
	cfg.DigestHorizon = positive(cfg.DigestHorizon, DefaultDigestHorizon)
	cfg.FollowupHorizon = positive(cfg.FollowupHorizon, DefaultFollowupHorizon)
	loc := cfg.Reminders.Location
	if loc == nil {
		loc = time.UTC
	}
	return &Scheduler{st: st, cfg: cfg, log: log, loc: loc, done: make(chan struct{})}
}

// Every is the check interval in use.
func (s *Scheduler) Every() time.Duration { return s.cfg.Every }

// errNotDue aborts a transaction whose fresh state says the reminder was
// already sent (by an overlapping check or before a restart) or is no
// longer due (an update, a lead or a close came first).
var errNotDue = errors.New("reminder no longer due")

// Tick sends every reminder due at now and returns how many it sent.
// It is safe to call concurrently with itself: each reminder is decided
// again inside its store transaction.
func (s *Scheduler) Tick(now time.Time) (int, error) {
	incs, err := s.st.OpenIncidents()
	if err != nil {
		return 0, fmt.Errorf("schedule: reading open incidents: %w", err)
	}
	var errs []error
	if s.cfg.Closed != nil {
		closed, err := s.recentlyClosed(now)
		if err != nil {
			errs = append(errs, err)
		}
		incs = append(incs, closed...)
	}
	sent := 0
	for _, inc := range incs {
		for _, r := range incident.Due(inc, now, s.cfg.Reminders) {
			ok, err := s.send(inc.Number, r, now)
			if err != nil {
				errs = append(errs, fmt.Errorf("schedule: %s reminder %s: %w", inc.ID(), r.Key, err))
				continue
			}
			if ok {
				sent++
			}
		}
	}
	return sent, errors.Join(errs...)
}

func (s *Scheduler) recentlyClosed(now time.Time) ([]incident.Incident, error) {
	list, err := s.cfg.Closed.List(s.cfg.ClosedScan)
	if err != nil {
		return nil, fmt.Errorf("schedule: listing closed incidents: %w", err)
	}
	since := now.Add(-s.cfg.FollowupHorizon)
	var out []incident.Incident
	for _, inc := range list {
		if inc.Status == incident.StatusClosed && (len(inc.Followups) > 0 || inc.ReviewPending()) && inc.ClosedAt.After(since) {
			out = append(out, inc)
		}
	}
	return out, nil
}

func (s *Scheduler) send(n uint64, r incident.Reminder, now time.Time) (bool, error) {
	res, err := s.st.Apply(n, func(cur incident.Incident) (incident.Result, error) {
		for _, d := range incident.Due(cur, now, s.cfg.Reminders) {
			if d.Key == r.Key {
				return incident.MarkReminded(cur, d, now)
			}
		}
		return incident.Result{}, errNotDue
	})
	switch {
	case errors.Is(err, errNotDue), incident.HasCode(err, incident.CodeNoop), incident.HasCode(err, incident.CodeClosed):
		return false, nil
	case err != nil:
		return false, err
	}
	if res.ClockBack > 0 {
		s.log.Warn("the system clock stepped back behind the incident's latest event; the reminder is stamped just after it",
			zap.String("incident", incident.ID(n)), zap.Duration("behind", res.ClockBack))
	}
	s.log.Info("reminder sent", zap.String("incident", incident.ID(n)), zap.String("reminder", string(r.Kind)),
		zap.String("user", r.User), zap.Time("due", r.Due))
	if s.cfg.Sent != nil {
		s.cfg.Sent(r.Kind)
	}
	return true, nil
}

// NextDigest is when the digest runs next after t, in the configured
// location.
func (s *Scheduler) NextDigest(after time.Time) (time.Time, error) {
	sched, err := s.digestSchedule()
	if err != nil {
		return time.Time{}, err
	}
	return sched.Next(after.In(s.loc)), nil
}

func (s *Scheduler) digestSchedule() (cron.Schedule, error) {
	sched, err := cron.ParseStandard(s.cfg.DigestCron)
	if err != nil {
		return nil, fmt.Errorf("schedule: digest cron %q: %w", s.cfg.DigestCron, err)
	}
	return sched, nil
}

// Start runs the reminder check every Every (and once at once, so what
// fell due while the process was down goes out without waiting) and the
// digest on its cron expression, until ctx ends. Done is closed once
// both have stopped and no check is still running. A check that would
// overlap a running one is skipped. A scheduler runs once at a time: it
// can start again after Done of the previous start is closed (a replica
// that lost the lead and takes it again).
func (s *Scheduler) Start(ctx context.Context) error {
	digest, err := s.digestSchedule()
	if err != nil {
		return err
	}
	s.runMu.Lock()
	if s.running {
		s.runMu.Unlock()
		return errors.New("schedule: already started")
	}
	s.running = true
	done := make(chan struct{})
	s.done = done
	s.runMu.Unlock()
	logger := cronLogger{s.log.Sugar()}
	c := cron.New(cron.WithLocation(s.loc), cron.WithLogger(logger),
		cron.WithChain(cron.Recover(logger), cron.SkipIfStillRunning(logger)))
	_ = digest // validated above; the check below queues each due digest
	tick := c.Schedule(cron.Every(s.cfg.Every), cron.FuncJob(s.runTick))
	// The wrapped job shares SkipIfStillRunning with the cron entry, so
	// this first check cannot overlap the first scheduled one.
	first := c.Entry(tick).WrappedJob
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); first.Run() }()
	c.Start()
	go func() {
		<-ctx.Done()
		<-c.Stop().Done()
		wg.Wait()
		s.runMu.Lock()
		s.running = false
		s.runMu.Unlock()
		close(done)
	}()
	return nil
}

// Done is closed when the latest start of the scheduler has stopped.
func (s *Scheduler) Done() <-chan struct{} {
	s.runMu.Lock()
	defer s.runMu.Unlock()
	return s.done
}

func (s *Scheduler) runTick() {
	s.tickMu.Lock()
	defer s.tickMu.Unlock()
	now := s.cfg.Now()
	if _, err := s.Tick(now); err != nil {
		s.log.Error("reminder check failed", zap.Error(err))
	}
	if _, err := s.TickDigest(now); err != nil {
		s.log.Error("queueing the daily digest failed", zap.Error(err))
	}
}

// Settle waits until no periodic check is running: when it returns,
// every reminder a check decided to send is in the store's outbox.
func (s *Scheduler) Settle() {
	s.tickMu.Lock()
	//lint:ignore SA2001 the empty critical section is the point: wait for a running check
	s.tickMu.Unlock()
}

// TickDigest queues the digest whose due moment is the latest at or
// before now (within DigestHorizon), once; it reports whether it queued.
func (s *Scheduler) TickDigest(now time.Time) (bool, error) {
	if s.cfg.Digests == nil {
		return false, nil
	}
	sched, err := s.digestSchedule()
	if err != nil {
		return false, err
	}
	var due time.Time
	for t := now.In(s.loc).Add(-s.cfg.DigestHorizon); ; {
		next := sched.Next(t)
		if next.IsZero() || next.After(now) {
			break
		}
		due, t = next, next
	}
	if due.IsZero() {
		return false, nil
	}
	at := due.UTC().Format(time.RFC3339)
	return s.cfg.Digests.EnqueueOnce("digest:"+at, incident.Effect{
		Kind: incident.EffAnnounce, Msg: incident.MsgDigest, Fields: incident.EffectFields{Due: incident.DueAt(due)},
	})
}

// DigestItem is one open incident as the daily digest lists it.
type DigestItem struct {
	Number     uint64
	Title      string
	Severity   incident.Severity
	Status     incident.Status
	Lead       string // empty: nobody leads it
	Channel    string
	DeclaredAt time.Time
	Age        time.Duration
}

// Digest lists the open incidents for the daily digest at now, worst
// severity first and, within one severity, oldest first.
func (s *Scheduler) Digest(now time.Time) ([]DigestItem, error) {
	incs, err := s.st.OpenIncidents()
	if err != nil {
		return nil, fmt.Errorf("schedule: digest: %w", err)
	}
	return DigestOf(incs, now), nil
}

// DigestOf is Digest over a given set; closed incidents are left out.
func DigestOf(incs []incident.Incident, now time.Time) []DigestItem {
	out := []DigestItem{}
	for _, inc := range incs {
		if !inc.Status.Open() {
			continue
		}
		age := now.Sub(inc.DeclaredAt)
		if age < 0 {
			age = 0
		}
		out = append(out, DigestItem{Number: inc.Number, Title: inc.Title, Severity: inc.Severity, Status: inc.Status,
			Lead: inc.Lead, Channel: inc.Channel, DeclaredAt: inc.DeclaredAt, Age: age})
	}
	sort.SliceStable(out, func(a, b int) bool {
		if ra, rb := out[a].Severity.Rank(), out[b].Severity.Rank(); ra != rb {
			return ra < rb
		}
		if !out[a].DeclaredAt.Equal(out[b].DeclaredAt) {
			return out[a].DeclaredAt.Before(out[b].DeclaredAt)
		}
		return out[a].Number < out[b].Number
	})
	return out
}

// cronLogger routes cron's own messages to zap; its routine chatter
// (wake, run, skip) is debug-level.
type cronLogger struct{ l *zap.SugaredLogger }

func (c cronLogger) Info(msg string, kv ...any) { c.l.Debugw("cron: "+msg, kv...) }
func (c cronLogger) Error(err error, msg string, kv ...any) {
	c.l.Errorw("cron: "+msg, append(kv, "error", err)...)
}

var _ cron.Logger = cronLogger{}

// positive is v, or def when v is not above zero (unset).
func positive[T int | time.Duration](v, def T) T {
	if v <= 0 {
		return def
	}
	return v
}
