package paging

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"time"

	"go.uber.org/zap"

	"github.com/firebreak-hq/firebreak/bot/outbox"
	"github.com/firebreak-hq/firebreak/incident"
	"github.com/firebreak-hq/firebreak/templates"
)

// Config wires a Runner.
type Config struct {
	Lane      Lane
	Incidents Incidents
	// NotFound reports whether a storage error means "no such incident".
	NotFound func(error) bool
	// Targets maps a page target (`pagerduty`, `opsgenie`, a route's
	// name) to the providers it pages.
	Targets map[string][]Provider
	Now     func() time.Time
	Logger  *zap.Logger
	// Timeout bounds one call to a pager (default 10 s). A call that
	// times out may have paged: the retry carries the same dedup key.
	Timeout time.Duration
	// Backoff is the first retry delay, doubled per attempt up to a
	// minute (default 1 s).
	Backoff time.Duration
	// Sent observes each accepted trigger: how long after its commit.
	Sent func(target string, d time.Duration)
}

// Runner drains the page lane. It is the generic outbox runner
// (bot/outbox: each incident's pages in commit order, incidents in
// parallel, retries with backoff, every goroutine owned and waited for)
// with the pagers behind its Port.
type Runner struct {
	cfg Config
	log *zap.Logger
	run *outbox.Runner[incident.Incident]
}

var _ outbox.Port[incident.Incident] = (*Runner)(nil)

// New builds a runner; Run starts it.
func New(cfg Config) *Runner {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = zap.NewNop()
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 10 * time.Second
	}
	if cfg.Backoff <= 0 {
		cfg.Backoff = time.Second
	}
	if cfg.NotFound == nil {
		cfg.NotFound = func(error) bool { return false }
	}
	r := &Runner{cfg: cfg, log: cfg.Logger.Named("paging")}
	r.run = outbox.New[incident.Incident](cfg.Lane, r, clock{cfg.Now},
		outbox.Policy{Poll: 250 * time.Millisecond, Batch: 1000, Backoff: cfg.Backoff},
		outbox.Events{
			Postponed: func(it Item, err error, at time.Time) {
				r.log.Info("page postponed", zap.String("incident", incident.ID(it.Incident)), zap.String("target", it.Effect.Fields.Target),
					zap.Time("retry_at", at), zap.Error(err))
			},
			Failed: func(it Item, err error) {
				r.log.Error("page failed for good", zap.String("incident", incident.ID(it.Incident)), zap.String("target", it.Effect.Fields.Target), zap.Error(err))
			},
			Dropped: func(n uint64, ids []uint64, err error) {
				r.log.Info("pages of a missing incident dropped", zap.String("incident", incident.ID(n)), zap.Int("pages", len(ids)), zap.Error(err))
			},
			Problem: func(what string, err error) { r.log.Warn(what, zap.Error(err)) },
		})
	return r
}

// clock is the injected time, waiting on real timers.
type clock struct{ now func() time.Time }

func (c clock) Now() time.Time                         { return c.now() }
func (c clock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// NewHTTPClient is a client for pagers: no redirects to other hosts
// carrying a key, and a bound on every call.
func NewHTTPClient(timeout time.Duration) *http.Client {
	return &http.Client{Timeout: timeout, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// Targets lists the configured target names, sorted.
func (r *Runner) Targets() []string { return TargetNames(r.cfg.Targets) }

// TargetNames lists the keys of a target map, sorted.
func TargetNames(t map[string][]Provider) []string {
	out := make([]string, 0, len(t))
	for k := range t {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Run drains the lane until ctx ends, then waits for calls in flight.
func (r *Runner) Run(ctx context.Context) { r.run.Run(ctx) }

type permanent struct{ error }

func (permanent) Permanent() bool { return true }

// Load reads the incident of a batch of pages; the pages of an incident
// that does not exist are dropped.
func (r *Runner) Load(n uint64, _ []Item) (incident.Incident, error) {
	inc, err := r.cfg.Incidents.Get(n)
	if err != nil && r.cfg.NotFound(err) {
		return inc, fmt.Errorf("%w: %w", outbox.ErrDrop, err)
	}
	return inc, err
}

// Classify keeps a page whose pager failed for now (a *outbox.Later
// carries when to try again) or whose outcome could not be recorded; a
// page refused for good leaves the lane (its failure is recorded).
func (r *Runner) Classify(err error) (time.Duration, bool) {
	var l *outbox.Later
	if errors.As(err, &l) {
		return l.D, true
	}
	var p permanent
	return 0, !errors.As(err, &p)
}

// Perform sends one page effect and records the outcome on the incident.
func (r *Runner) Perform(ctx context.Context, inc incident.Incident, it Item) (incident.Incident, error) {
	target := it.Effect.Fields.Target
	resolve := it.Effect.Kind == incident.EffPageResolve
	if !resolve && pageState(inc, target) == incident.PageSent {
		// Recorded before a crash that came before the row's removal.
		return inc, nil
	}
	provs := r.cfg.Targets[target]
	pg := Page{DedupKey: it.Effect.Fields.Dedup, Summary: templates.PageSummary(inc), Message: it.Effect.Text, Severity: inc.Severity, Incident: inc.ID(),
		LinkText: templates.PageLinkText(inc)}
	if pg.DedupKey == "" {
		pg.DedupKey = incident.DedupKey(inc.Number)
	}
	o := incident.PageOutcome{Target: target, Resolve: resolve, Attempt: it.Attempts + 1}
	var errs []error
	if len(provs) == 0 {
		errs = append(errs, permanent{fmt.Errorf("no page target %q is configured", target)})
		o.Report.Failures = append(o.Report.Failures, incident.PageFailure{Kind: incident.PageNotConfigured})
		o.Report.Targets = r.Targets()
	}
	for _, p := range provs {
		cctx, cancel := context.WithTimeout(ctx, r.cfg.Timeout)
		var err error
		if resolve {
			err = p.Resolve(cctx, pg)
		} else {
			err = p.Trigger(cctx, pg)
		}
		cancel()
		if err == nil {
			o.Report.Accepted = append(o.Report.Accepted, p.Name())
			continue
		}
		errs = append(errs, err)
		f := failureOf(p.Name(), err)
		o.Report.Failures = append(o.Report.Failures, f)
		if ctx.Err() != nil {
			continue
		}
		r.log.Warn("pager call failed", zap.String("incident", inc.ID()), zap.String("target", target),
			zap.String("provider", p.Name()), zap.String("kind", string(f.Kind)), zap.Int("status", f.Status), zap.Error(err))
	}
	if err := ctx.Err(); err != nil {
		return inc, err // neither done nor postponed: sent again after the restart
	}
	switch {
	case len(errs) == 0:
		o.Sent = true
	case transient(errs):
		o.Retry = true
		o.Report.RetryIn = r.backoff(it.Attempts, errs)
	}
	now := r.cfg.Now()
	res, err := r.cfg.Incidents.Apply(it.Incident, func(cur incident.Incident) (incident.Result, error) {
		return incident.RecordPage(cur, o, now), nil
	})
	if err != nil {
		// Kept: it will be sent again with the same dedup key.
		return inc, fmt.Errorf("recording a page outcome: %w", err)
	}
	switch {
	case o.Retry:
		return res.Incident, &outbox.Later{D: o.Report.RetryIn, Why: errors.Join(errs...).Error()}
	case !o.Sent:
		return res.Incident, permanent{errors.Join(errs...)}
	case !resolve && r.cfg.Sent != nil:
		r.cfg.Sent(target, now.Sub(it.Created))
	}
	return res.Incident, nil
}

func pageState(inc incident.Incident, target string) incident.PageState {
	var st incident.PageState
	for _, p := range inc.Pages {
		if p.Target == target {
			st = p.State
		}
	}
	return st
}

func transient(errs []error) bool {
	for _, err := range errs {
		var p interface{ Permanent() bool }
		if errors.As(err, &p) && p.Permanent() {
			continue
		}
		return true
	}
	return false
}

func (r *Runner) backoff(attempts int, errs []error) time.Duration {
	d := r.cfg.Backoff << min(attempts, 6)
	d = min(d, time.Minute)
	for _, err := range errs {
		var ra interface{ RetryAfter() time.Duration }
		if errors.As(err, &ra) && ra.RetryAfter() > d {
			d = ra.RetryAfter()
		}
	}
	return d
}
