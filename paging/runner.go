package paging

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"runtime/debug"
	"sort"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/firebreak-hq/firebreak/incident"
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

// Runner drains the page lane.
type Runner struct {
	cfg  Config
	log  *zap.Logger
	mu   sync.Mutex
	busy map[uint64]bool
	kick chan struct{}
	wg   sync.WaitGroup
}

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
	return &Runner{cfg: cfg, log: cfg.Logger.Named("paging"), busy: map[uint64]bool{}, kick: make(chan struct{}, 1)}
}

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
func (r *Runner) Run(ctx context.Context) {
	t := time.NewTicker(250 * time.Millisecond)
	defer t.Stop()
	for {
		r.drain(ctx)
		select {
		case <-ctx.Done():
			r.wg.Wait()
			return
		case <-r.cfg.Lane.Notify():
		case <-r.kick:
		case <-t.C:
		}
	}
}

func (r *Runner) poke() {
	select {
	case r.kick <- struct{}{}:
	default:
	}
}

func (r *Runner) drain(ctx context.Context) {
	// An incident whose worker runs while the lane is read may settle
	// pages this read still holds: it waits for the next read (its worker
	// pokes the loop when it ends), so no page is sent twice from a stale
	// snapshot.
	r.mu.Lock()
	wasBusy := make(map[uint64]bool, len(r.busy))
	for n := range r.busy {
		wasBusy[n] = true
	}
	r.mu.Unlock()
	items, err := r.cfg.Lane.Pending(1000)
	if err != nil {
		r.log.Warn("reading the page outbox failed", zap.Error(err))
		return
	}
	groups := map[uint64][]Item{}
	var order []uint64
	for _, it := range items {
		if _, ok := groups[it.Incident]; !ok {
			order = append(order, it.Incident)
		}
		groups[it.Incident] = append(groups[it.Incident], it)
	}
	now := r.cfg.Now()
	for _, n := range order {
		its := groups[n]
		if its[0].NotBefore.After(now) {
			continue
		}
		r.mu.Lock()
		if wasBusy[n] || r.busy[n] {
			r.mu.Unlock()
			continue
		}
		r.busy[n] = true
		r.mu.Unlock()
		r.wg.Add(1)
		go func() {
			defer r.wg.Done()
			defer func() {
				if p := recover(); p != nil {
					r.log.Error("page runner panicked", zap.Uint64("incident", n), zap.Any("panic", p), zap.ByteString("stack", debug.Stack()))
				}
				r.mu.Lock()
				delete(r.busy, n)
				r.mu.Unlock()
				r.poke()
			}()
			for _, it := range its {
				if ctx.Err() != nil || it.NotBefore.After(r.cfg.Now()) || !r.perform(ctx, it) {
					return // later pages of the incident keep their order
				}
			}
		}()
	}
}

type permanent struct{ error }

func (permanent) Permanent() bool { return true }

// perform sends one page effect and records the outcome; false when it
// was postponed.
func (r *Runner) perform(ctx context.Context, it Item) bool {
	log := r.log.With(zap.String("incident", incident.ID(it.Incident)))
	inc, err := r.cfg.Incidents.Get(it.Incident)
	if err != nil {
		if r.cfg.NotFound(err) {
			_ = r.cfg.Lane.Done(it.ID)
			return true
		}
		log.Warn("reading the incident of a page failed", zap.Error(err))
		_ = r.cfg.Lane.Retry(it.ID, r.cfg.Now().Add(r.cfg.Backoff), err.Error())
		return false
	}
	target := it.Effect.Fields.Target
	resolve := it.Effect.Kind == incident.EffPageResolve
	if !resolve && pageState(inc, target) == incident.PageSent {
		// Recorded before a crash that came before the row's removal.
		_ = r.cfg.Lane.Done(it.ID)
		return true
	}
	provs := r.cfg.Targets[target]
	pg := Page{DedupKey: it.Effect.Fields.Dedup, Summary: inc.Title, Message: it.Effect.Text, Severity: inc.Severity, Incident: inc.ID()}
	if pg.DedupKey == "" {
		pg.DedupKey = incident.DedupKey(inc.Number)
	}
	var names []string
	var errs []error
	if len(provs) == 0 {
		errs = append(errs, permanent{fmt.Errorf("no page target %q is configured (targets: %s)", target, strings.Join(r.Targets(), ", "))})
	}
	for _, p := range provs {
		names = append(names, p.Name())
		cctx, cancel := context.WithTimeout(ctx, r.cfg.Timeout)
		if resolve {
			err = p.Resolve(cctx, pg)
		} else {
			err = p.Trigger(cctx, pg)
		}
		cancel()
		if err != nil {
			errs = append(errs, err)
		}
	}
	if ctx.Err() != nil {
		return false
	}
	attempt := it.Attempts + 1
	o := incident.PageOutcome{Target: target, Resolve: resolve, Attempt: attempt}
	var retryIn time.Duration
	switch {
	case len(errs) == 0:
		o.Sent = true
		o.Detail = strings.Join(names, " and ") + " accepted it"
		if resolve {
			o.Detail = strings.Join(names, " and ") + " resolved it"
		}
	case transient(errs):
		o.Retry = true
		retryIn = r.backoff(it.Attempts, errs)
		o.Detail = fmt.Sprintf("%s; retrying in %s", errors.Join(errs...), retryIn.Round(time.Millisecond))
	default:
		o.Detail = errors.Join(errs...).Error()
	}
	o.Detail = strings.ReplaceAll(o.Detail, "\n", "; ")
	now := r.cfg.Now()
	if _, err := r.cfg.Incidents.Apply(it.Incident, func(cur incident.Incident) (incident.Result, error) {
		return incident.RecordPage(cur, o, now), nil
	}); err != nil {
		log.Warn("recording a page outcome failed; it will be sent again with the same dedup key", zap.Error(err))
		_ = r.cfg.Lane.Retry(it.ID, now.Add(r.cfg.Backoff), err.Error())
		return false
	}
	if o.Retry {
		log.Info("page postponed", zap.String("target", target), zap.Duration("retry_in", retryIn), zap.Error(errors.Join(errs...)))
		if err := r.cfg.Lane.Retry(it.ID, now.Add(retryIn), o.Detail); err != nil {
			log.Warn("could not postpone a page", zap.Error(err))
		}
		return false
	}
	if !o.Sent {
		log.Error("page failed for good", zap.String("target", target), zap.String("detail", o.Detail))
	} else if !resolve && r.cfg.Sent != nil {
		r.cfg.Sent(target, now.Sub(it.Created))
	}
	if err := r.cfg.Lane.Done(it.ID); err != nil {
		log.Warn("could not remove a performed page", zap.Error(err))
	}
	return true
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
