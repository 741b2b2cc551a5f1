package app

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/firebreak-hq/firebreak/bot"
	"github.com/firebreak-hq/firebreak/incident"
)

// Metrics are Firebreak's Prometheus series, on their own registry so
// that two Apps in one test process do not collide.
type Metrics struct {
	reg        *prometheus.Registry
	ackLatency *prometheus.HistogramVec
	slackCalls *prometheus.CounterVec
	slackErrs  *prometheus.CounterVec
	ghCalls    *prometheus.CounterVec
	reminders  *prometheus.CounterVec
	connected  prometheus.Gauge
}

func newMetrics(a *App) *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		ackLatency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "firebreak_ack_latency_seconds", Help: "Time from receiving a Socket Mode envelope to acknowledging it.",
			Buckets: []float64{.0005, .001, .002, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 3},
		}, []string{"type"}),
		slackCalls: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "firebreak_slack_calls_total", Help: "Slack Web API calls by method."}, []string{"method"}),
		slackErrs:  prometheus.NewCounterVec(prometheus.CounterOpts{Name: "firebreak_slack_errors_total", Help: "Failed Slack Web API calls by method."}, []string{"method"}),
		ghCalls:    prometheus.NewCounterVec(prometheus.CounterOpts{Name: "firebreak_github_calls_total", Help: "GitHub API requests by method and outcome."}, []string{"method", "outcome"}),
		reminders:  prometheus.NewCounterVec(prometheus.CounterOpts{Name: "firebreak_reminders_sent_total", Help: "Reminders sent by kind."}, []string{"kind"}),
		connected:  prometheus.NewGauge(prometheus.GaugeOpts{Name: "firebreak_slack_connected", Help: "1 while the Socket Mode connection is up."}),
	}
	incidents := prometheus.NewDesc("firebreak_incidents", "Open incidents by status and severity.", []string{"status", "severity"}, nil)
	outbox := prometheus.NewDesc("firebreak_outbox_depth", "Effects waiting to be performed.", nil, nil)
	total := prometheus.NewDesc("firebreak_incidents_declared_total", "Incidents ever declared in this database.", nil, nil)
	m.reg.MustRegister(m.ackLatency, m.slackCalls, m.slackErrs, m.ghCalls, m.reminders, m.connected,
		collectorFunc{descs: []*prometheus.Desc{incidents, outbox, total}, collect: func(ch chan<- prometheus.Metric) {
			if open, err := a.DB.OpenIncidents(); err == nil {
				counts := map[[2]string]int{}
				for _, s := range incident.Statuses[:3] {
					for _, v := range incident.Severities {
						counts[[2]string{string(s), string(v)}] = 0
					}
				}
				for _, inc := range open {
					counts[[2]string{string(inc.Status), string(inc.Severity)}]++
				}
				for k, v := range counts {
					ch <- prometheus.MustNewConstMetric(incidents, prometheus.GaugeValue, float64(v), k[0], k[1])
				}
			}
			// Not Stats: it counts every table, which on PostgreSQL reads millions of
			// dedupe keys at each scrape.
			if n, err := a.DB.OutboxDepth(); err == nil {
				ch <- prometheus.MustNewConstMetric(outbox, prometheus.GaugeValue, float64(n))
			}
			if n, err := a.DB.LastIncident(); err == nil {
				ch <- prometheus.MustNewConstMetric(total, prometheus.CounterValue, float64(n))
			}
		}},
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	return m
}

type collectorFunc struct {
	descs   []*prometheus.Desc
	collect func(chan<- prometheus.Metric)
}

func (c collectorFunc) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range c.descs {
		ch <- d
	}
}
func (c collectorFunc) Collect(ch chan<- prometheus.Metric) { c.collect(ch) }

func (m *Metrics) hooks() bot.Hooks {
	return bot.Hooks{
		Ack: func(kind string, d time.Duration) { m.ackLatency.WithLabelValues(kind).Observe(d.Seconds()) },
		SlackCall: func(method string, err error) {
			m.slackCalls.WithLabelValues(method).Inc()
			if err != nil {
				m.slackErrs.WithLabelValues(method).Inc()
			}
		},
		Connected: func(up bool) {
			if up {
				m.connected.Set(1)
			} else {
				m.connected.Set(0)
			}
		},
	}
}

func (m *Metrics) reminderSent(kind incident.ReminderKind) {
	m.reminders.WithLabelValues(string(kind)).Inc()
}

// GitHubCall counts one GitHub request.
func (m *Metrics) GitHubCall(method, outcome string) {
	m.ghCalls.WithLabelValues(method, outcome).Inc()
}

// Registry exposes the registry for tests.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves /healthz, /readyz, /metrics and /freeze.
func (a *App) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if err := a.DB.Ping(); err != nil {
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte("database not readable: " + err.Error() + "\n"))
			return
		}
		if p := a.Bot.SlackProblem(); p != "" {
			// A revoked token or a missing scope: work is kept, not done.
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte(p + "\n"))
			return
		}
		if !a.Bot.Connected() {
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte("slack socket mode not connected\n"))
			return
		}
		_, _ = w.Write([]byte("ready\n"))
	})
	mux.Handle("GET /metrics", a.requireToken(promhttp.HandlerFor(a.Metrics.reg, promhttp.HandlerOpts{})))
	mux.HandleFunc("GET /freeze", a.freeze)
	a.pages(mux)
	if a.hooks != nil {
		a.hooks.Register(mux)
	}
	return mux
}

// requireToken guards next with FIREBREAK_HTTP_TOKEN when one is set:
// `Authorization: Bearer <token>`, compared in constant time. /healthz,
// /readyz and /freeze stay open for probes and deploy pipelines.
func (a *App) requireToken(next http.Handler) http.Handler {
	if a.Cfg.HTTPToken == "" {
		return next
	}
	want := sha256.Sum256([]byte(a.Cfg.HTTPToken))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		sum := sha256.Sum256([]byte(got))
		if !ok || subtle.ConstantTimeCompare(sum[:], want[:]) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="firebreak"`)
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write([]byte("This endpoint needs the header Authorization: Bearer <FIREBREAK_HTTP_TOKEN>.\n"))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// frozenIncident is one incident on /freeze. Title, status, channel and
// start appear only with FIREBREAK_FREEZE_DETAILS=true: the endpoint is
// open to anyone who can reach the port. A private incident never shows
// them; it is marked private instead.
type frozenIncident struct {
	ID       string `json:"id"`
	Severity string `json:"severity"`
	Title    string `json:"title,omitempty"`
	Status   string `json:"status,omitempty"`
	Channel  string `json:"channel,omitempty"`
	Since    string `json:"since,omitempty"`
	Private  bool   `json:"private,omitempty"`
}

// freeze lets a deploy pipeline refuse to ship during a sev1/sev2.
func (a *App) freeze(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	open, err := a.DB.OpenIncidents()
	if err != nil {
		w.WriteHeader(http.StatusServiceUnavailable)
		_ = json.NewEncoder(w).Encode(map[string]any{"error": err.Error()})
		return
	}
	var active []frozenIncident
	for _, inc := range open {
		if inc.Severity.Rank() <= 2 && inc.Status != incident.StatusResolved {
			fi := frozenIncident{ID: inc.ID(), Severity: string(inc.Severity)}
			if inc.Private {
				// A private incident freezes deploys like any other,
				// and says nothing more about itself.
				fi.Private = true
			} else if a.Cfg.FreezeDetails {
				fi.Title, fi.Status, fi.Channel, fi.Since = inc.Title, string(inc.Status), inc.Channel, inc.DeclaredAt.Format(time.RFC3339)
			}
			active = append(active, fi)
		}
	}
	sort.Slice(active, func(i, j int) bool { return active[i].ID < active[j].ID })
	if len(active) == 0 {
		_ = json.NewEncoder(w).Encode(map[string]any{"frozen": false})
		return
	}
	w.WriteHeader(http.StatusLocked)
	_ = json.NewEncoder(w).Encode(map[string]any{"frozen": true, "incidents": active})
}

// countingTransport counts GitHub requests by route and outcome for
// /metrics. Routes are templated ("POST /repos/:repo/issues/:n") so the
// series stay few however many issues there are.
type countingTransport struct {
	next  http.RoundTripper
	count func(method, outcome string)
}

func (c countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	next := c.next
	if next == nil {
		next = http.DefaultTransport
	}
	resp, err := next.RoundTrip(r)
	outcome := "error"
	if err == nil {
		outcome = strconv.Itoa(resp.StatusCode)
	}
	c.count(r.Method+" "+githubRoute(r.URL.Path), outcome)
	return resp, err
}

func githubRoute(path string) string {
	parts := strings.Split(strings.Trim(path, "/"), "/")
	// A GitHub Enterprise base such as /api/v3 is not part of the route.
	for i, p := range parts {
		if p == "repos" || p == "search" || p == "user" {
			parts = parts[i:]
			break
		}
	}
	if len(parts) >= 3 && parts[0] == "repos" {
		parts = append([]string{"repos", ":repo"}, parts[3:]...)
	}
	for i, p := range parts {
		if _, err := strconv.Atoi(p); err == nil {
			parts[i] = ":n"
		} else if i > 0 && parts[i-1] == "labels" {
			parts[i] = ":name"
		}
	}
	return "/" + strings.Join(parts, "/")
}
