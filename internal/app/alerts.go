package app

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/firebreak-hq/firebreak/incident"
	"github.com/firebreak-hq/firebreak/intake"
	"github.com/firebreak-hq/firebreak/paging"
	"github.com/firebreak-hq/firebreak/store"
)

// AlertConfig is the part of the environment about alerts and pages
// (CONTRACT.md "Alerts in" and "Paging").
type AlertConfig struct {
	HookTokens     map[string]string
	RoutesFile     string
	PageSeverities []incident.Severity
	PagerDutyKey   string
	PagerDutyURL   string
	OpsgenieKey    string
	OpsgenieURL    string
	OpsgenieTeam   string
}

var tokenName = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,64}$`)

// alertsFromEnv reads FIREBREAK_HOOK_TOKENS, FIREBREAK_ROUTES,
// FIREBREAK_PAGE_SEVERITIES, PAGERDUTY_* and OPSGENIE_*; tokens are never
// echoed in an error.
func alertsFromEnv(get func(k, def string) string) (AlertConfig, error) {
	c := AlertConfig{
		HookTokens:   map[string]string{},
		RoutesFile:   get("FIREBREAK_ROUTES", ""),
		PagerDutyKey: get("PAGERDUTY_ROUTING_KEY", ""),
		PagerDutyURL: get("PAGERDUTY_EVENTS_URL", paging.DefaultPagerDutyURL),
		OpsgenieKey:  get("OPSGENIE_API_KEY", ""),
		OpsgenieURL:  get("OPSGENIE_API_URL", paging.DefaultOpsgenieURL),
		OpsgenieTeam: get("OPSGENIE_TEAM", ""),
	}
	for i, part := range strings.Split(get("FIREBREAK_HOOK_TOKENS", ""), ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		name, tok, ok := strings.Cut(part, "=")
		name, tok = strings.TrimSpace(name), strings.TrimSpace(tok)
		if !ok || !tokenName.MatchString(name) || tok == "" {
			return c, fmt.Errorf("FIREBREAK_HOOK_TOKENS must be name=token pairs separated by commas; entry %d is not", i+1)
		}
		if len(tok) < 16 {
			return c, fmt.Errorf("FIREBREAK_HOOK_TOKENS: the token named %q is shorter than 16 characters; use a long random one", name)
		}
		if _, dup := c.HookTokens[name]; dup {
			return c, fmt.Errorf("FIREBREAK_HOOK_TOKENS: the name %q is given twice", name)
		}
		c.HookTokens[name] = tok
	}
	for _, s := range strings.Split(get("FIREBREAK_PAGE_SEVERITIES", "sev1,sev2"), ",") {
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		sev, err := incident.ParseSeverity(s)
		if err != nil {
			return c, fmt.Errorf("FIREBREAK_PAGE_SEVERITIES must list severities like sev1,sev2; %q is not one", s)
		}
		c.PageSeverities = append(c.PageSeverities, sev)
	}
	for _, u := range []struct{ name, v string }{{"PAGERDUTY_EVENTS_URL", c.PagerDutyURL}, {"OPSGENIE_API_URL", c.OpsgenieURL}} {
		pu, err := url.Parse(u.v)
		if err != nil || (pu.Scheme != "https" && pu.Scheme != "http") || pu.Host == "" {
			return c, fmt.Errorf("%s must be an http(s) URL, not %q", u.name, u.v)
		}
	}
	if !strings.HasSuffix(c.OpsgenieURL, "/") {
		c.OpsgenieURL += "/"
	}
	return c, nil
}

// setupAlerts builds the hooks and the page runner; it returns the
// paging policy and page targets the bot needs.
func (a *App) setupAlerts(cfg Config, opt Options) (incident.PagePolicy, []string, error) {
	ac := cfg.Alerts
	routes := intake.DefaultRoutes()
	if ac.RoutesFile != "" {
		var err error
		if routes, err = intake.LoadRoutes(ac.RoutesFile, a.Playbooks); err != nil {
			return incident.PagePolicy{}, nil, err
		}
	}
	timeout := opt.PageTimeout
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	hc := paging.NewHTTPClient(timeout)
	targets := map[string][]paging.Provider{}
	var defaults []string
	if ac.PagerDutyKey != "" {
		targets["pagerduty"] = []paging.Provider{&paging.PagerDuty{Label: "PagerDuty", URL: ac.PagerDutyURL, RoutingKey: ac.PagerDutyKey, Client: hc}}
		defaults = append(defaults, "pagerduty")
	}
	if ac.OpsgenieKey != "" {
		targets["opsgenie"] = []paging.Provider{&paging.Opsgenie{Label: "Opsgenie", URL: ac.OpsgenieURL, APIKey: ac.OpsgenieKey, Team: ac.OpsgenieTeam, Client: hc}}
		defaults = append(defaults, "opsgenie")
	}
	for _, r := range routes.PageRoutes() {
		var ps []paging.Provider
		if r.PagerDutyKey != "" {
			ps = append(ps, &paging.PagerDuty{Label: "PagerDuty (" + r.Name + ")", URL: ac.PagerDutyURL, RoutingKey: r.PagerDutyKey, Client: hc})
		}
		if r.OpsgenieTeam != "" {
			if ac.OpsgenieKey == "" {
				return incident.PagePolicy{}, nil, fmt.Errorf("%s:%d: route %s pages the Opsgenie team %q, but OPSGENIE_API_KEY is not set", routes.File, r.Line, r.Name, r.OpsgenieTeam)
			}
			ps = append(ps, &paging.Opsgenie{Label: "Opsgenie (" + r.Name + ")", URL: ac.OpsgenieURL, APIKey: ac.OpsgenieKey, Team: r.OpsgenieTeam, Client: hc})
		}
		targets[r.Name] = ps
	}
	for _, r := range routes.Routes {
		for _, t := range r.PageTargets {
			if _, ok := targets[t]; !ok {
				return incident.PagePolicy{}, nil, fmt.Errorf("%s:%d: route pages %s, which is not configured (set PAGERDUTY_ROUTING_KEY or OPSGENIE_API_KEY)", routes.File, r.Line, t)
			}
		}
	}
	sort.Strings(defaults)
	policy := incident.PagePolicy{Severities: ac.PageSeverities, Targets: defaults}
	a.hooks = intake.New(intake.Config{
		Recorder:   recorder{a.DB},
		Playbooks:  a.Playbooks,
		Routes:     routes,
		Tokens:     ac.HookTokens,
		Responders: cfg.Responders,
		Paging:     policy,
		Now:        a.now,
		Logger:     a.log,
		Observe:    a.alertMx.hookObserved,
	})
	a.pager = paging.New(paging.Config{
		Lane:      queue{a.DB.PageOutbox()},
		Incidents: a.DB,
		NotFound:  func(err error) bool { return errors.Is(err, store.ErrNotFound) },
		Targets:   targets,
		Now:       a.now,
		Logger:    a.log,
		Timeout:   timeout,
		Backoff:   opt.PageBackoff,
		Sent:      a.alertMx.pageSent,
	})
	return policy, paging.TargetNames(targets), nil
}

// runPager drains the page lane until ctx ends (on the leader only: see leader.go).
func (a *App) runPager(ctx context.Context, wg *sync.WaitGroup) {
	wg.Add(1)
	go func() {
		defer wg.Done()
		a.pager.Run(ctx)
	}()
}

// runAlertRefresh refreshes the cards of alert groups until ctx ends. Every replica runs
// it: a group is marked for refresh in the process whose hook received its alert.
func (a *App) runAlertRefresh(ctx context.Context, wg *sync.WaitGroup) {
	wg.Add(1)
	go func() {
		defer wg.Done()
		var groups []string
		if open, err := a.DB.OpenIncidents(); err == nil {
			for _, inc := range open {
				if inc.Alerts != nil {
					groups = append(groups, inc.Alerts.Group)
				}
			}
		}
		a.hooks.Run(ctx, groups)
	}()
}

// recorder adapts the store's alert transaction to intake's port.
type recorder struct{ db store.Store }

var _ intake.Recorder = recorder{}

func (r recorder) RecordAlert(key, group string, decide func(*incident.Incident, uint64) (intake.Decision, error)) intake.Pending {
	return pendingAlert{r.db.RecordAlertAsync(key, group, func(open *incident.Incident, next uint64) (store.AlertDecision, error) {
		d, err := decide(open, next)
		return store.AlertDecision{Result: d.Result, Create: d.Create, Global: d.Global}, err
	})}
}

type pendingAlert struct{ c *store.AlertCommit }

func (p pendingAlert) Wait() (incident.Result, bool, error) {
	res, err := p.c.Wait()
	return res, p.c.Dup(), err
}

// alertMetrics are the series of hooks and pages.
type alertMetrics struct {
	hookLatency *prometheus.HistogramVec
	pageLatency prometheus.Histogram
}

func newAlertMetrics(reg *prometheus.Registry) *alertMetrics {
	m := &alertMetrics{
		hookLatency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "firebreak_hook_latency_seconds", Help: "Time to answer an alert hook, the commit included, by source and status.",
			Buckets: []float64{.001, .002, .005, .01, .02, .05, .1, .25, 1},
		}, []string{"source", "code"}),
		pageLatency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "firebreak_page_latency_seconds", Help: "Time from committing a page to the pager accepting it.",
			Buckets: []float64{.01, .05, .1, .25, .5, 1, 2.5, 10, 60},
		}),
	}
	reg.MustRegister(m.hookLatency, m.pageLatency)
	return m
}

func (m *alertMetrics) hookObserved(source string, status int, d time.Duration) {
	m.hookLatency.WithLabelValues(source, strconv.Itoa(status)).Observe(d.Seconds())
}

func (m *alertMetrics) pageSent(_ string, d time.Duration) { m.pageLatency.Observe(d.Seconds()) }
