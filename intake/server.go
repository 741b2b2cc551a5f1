package intake

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/firebreak-hq/firebreak/incident"
	"github.com/firebreak-hq/firebreak/templates"
)

// MaxBody is the largest webhook body accepted (1 MiB); more is 413.
const MaxBody = 1 << 20

// Config wires the hooks.
type Config struct {
	Recorder  Recorder
	Playbooks Playbooks
	Routes    *Routes // nil: DefaultRoutes
	// Tokens maps a token's name to its value (FIREBREAK_HOOK_TOKENS). A
	// token named after a source (alertmanager, grafana, generic) opens
	// only that hook; any other name opens every hook.
	Tokens     map[string]string
	Responders []string
	// Paging is who declarations page by severity; route targets are
	// added on top.
	Paging incident.PagePolicy
	Now    func() time.Time
	Logger *zap.Logger
	// Observe receives each request's outcome and latency (metrics).
	Observe func(source string, status int, d time.Duration)
}

// Hooks serves /hooks/{source}.
type Hooks struct {
	cfg    Config
	log    *zap.Logger
	tokens []token
	fl     flusher
}

type token struct {
	name string
	sum  [32]byte
}

// New builds the hook handler.
func New(cfg Config) *Hooks {
	if cfg.Routes == nil {
		cfg.Routes = DefaultRoutes()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = zap.NewNop()
	}
	h := &Hooks{cfg: cfg, log: cfg.Logger.Named("intake"), fl: flusher{last: map[string]time.Time{}, dirty: map[string]bool{}}}
	for name, v := range cfg.Tokens {
		h.tokens = append(h.tokens, token{name: name, sum: sha256.Sum256([]byte(v))})
	}
	return h
}

// Register mounts the three hooks on mux.
func (h *Hooks) Register(mux *http.ServeMux) {
	for _, s := range []string{SourceAlertmanager, SourceGrafana, SourceGeneric} {
		mux.Handle("POST /hooks/"+s, h.handler(s))
	}
}

// Answer is the JSON body of every hook response.
type Answer struct {
	Accepted   int      `json:"accepted,omitempty"`
	Duplicates int      `json:"duplicates,omitempty"`
	Incidents  []string `json:"incidents,omitempty"`
	Error      string   `json:"error,omitempty"`
	Field      string   `json:"field,omitempty"`
}

func reply(w http.ResponseWriter, status int, a Answer) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(a)
}

// authorized compares the bearer token with every configured token in
// constant time (hashes of equal length, no early exit), so neither the
// match nor its position leaks through timing.
func (h *Hooks) authorized(r *http.Request, source string) bool {
	auth := r.Header.Get("Authorization")
	const prefix = "Bearer "
	if len(auth) <= len(prefix) || !strings.EqualFold(auth[:len(prefix)], prefix) {
		return false
	}
	got := sha256.Sum256([]byte(auth[len(prefix):]))
	ok := 0
	for _, t := range h.tokens {
		match := subtle.ConstantTimeCompare(got[:], t.sum[:])
		scoped := t.name == SourceAlertmanager || t.name == SourceGrafana || t.name == SourceGeneric
		allowed := 1
		if scoped && t.name != source {
			allowed = 0
		}
		ok |= match & allowed
	}
	return ok == 1
}

func (h *Hooks) handler(source string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		status := h.serve(w, r, source)
		if h.cfg.Observe != nil {
			h.cfg.Observe(source, status, time.Since(start))
		}
	})
}

func (h *Hooks) serve(w http.ResponseWriter, r *http.Request, source string) int {
	if !h.authorized(r, source) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="firebreak hooks"`)
		msg := "missing or wrong bearer token"
		if len(h.tokens) == 0 {
			msg = "no hook tokens are configured: set FIREBREAK_HOOK_TOKENS"
		}
		reply(w, http.StatusUnauthorized, Answer{Error: msg})
		return http.StatusUnauthorized
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBody))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			reply(w, http.StatusRequestEntityTooLarge, Answer{Error: fmt.Sprintf("the body is over %d bytes (1 MiB)", MaxBody)})
			return http.StatusRequestEntityTooLarge
		}
		reply(w, http.StatusBadRequest, Answer{Error: "could not read the body: " + err.Error(), Field: "body"})
		return http.StatusBadRequest
	}
	d, err := Parse(source, body)
	if err != nil {
		var fe *FieldError
		if errors.As(err, &fe) {
			reply(w, http.StatusBadRequest, Answer{Error: fe.Field + " " + fe.Msg, Field: fe.Field})
		} else {
			reply(w, http.StatusBadRequest, Answer{Error: err.Error(), Field: "body"})
		}
		return http.StatusBadRequest
	}
	now := h.cfg.Now()
	pend := make([]Pending, len(d.Alerts), len(d.Alerts)+1)
	for i, a := range d.Alerts {
		route := h.cfg.Routes.Match(a.Labels)
		first := i == 0
		pend[i] = h.cfg.Recorder.RecordAlert(d.Keys[i], a.Group, func(open *incident.Incident, next uint64) (Decision, error) {
			return h.decide(a, route, first, len(d.Alerts), open, next, now)
		})
	}
	// The card and the channel hear about a group's alerts at most once
	// a FlushEvery (flush.go), however many alerts or deliveries come.
	var flush Pending
	if h.fl.due(d.Group, time.Now()) {
		flush = h.flushWrite(d.Group)
	}
	ans := Answer{}
	seen := map[uint64]bool{}
	var failed error
	if flush != nil {
		if _, _, err := flush.Wait(); err != nil {
			h.log.Warn("refreshing the alerts' card failed; the next flush retries", zap.Error(err))
			h.fl.mu.Lock()
			h.fl.dirty[d.Group] = true
			h.fl.mu.Unlock()
		}
	}
	for _, p := range pend {
		res, dup, err := p.Wait()
		switch {
		case err != nil:
			if _, ok := incident.IsRefusal(err); ok {
				// The domain said no (e.g. an alert too odd to declare
				// from): recorded nothing; the sender should not retry.
				h.log.Info("alert refused", zap.Error(err))
				ans.Accepted++
				continue
			}
			failed = err
		case dup:
			ans.Duplicates++
		default:
			ans.Accepted++
			if n := res.Incident.Number; n != 0 && !seen[n] {
				seen[n] = true
				ans.Incidents = append(ans.Incidents, incident.ID(n))
			}
		}
	}
	if failed != nil {
		// Alertmanager retries on 5xx; what did commit is deduplicated.
		h.log.Error("recording alerts failed", zap.Error(failed))
		reply(w, http.StatusServiceUnavailable, Answer{Error: "could not record the alerts; retry: " + failed.Error()})
		return http.StatusServiceUnavailable
	}
	reply(w, http.StatusAccepted, ans)
	return http.StatusAccepted
}

// decide is pure: it runs inside the store's transaction.
func (h *Hooks) decide(a incident.Alert, route *Route, first bool, total int, open *incident.Incident, next uint64, now time.Time) (Decision, error) {
	if open != nil && (a.Status == incident.AlertResolved || a.GroupResolved) {
		// Whatever the rules say, the group's incident hears that it
		// cleared (a resolved notification may carry fewer labels).
		res, err := incident.AttachAlert(*open, a, now)
		return Decision{Result: res}, err
	}
	if route == nil || route.Action == ActIgnore {
		return Decision{}, nil
	}
	if route.Action == ActNotify {
		if !first || a.Status != incident.AlertFiring {
			return Decision{}, nil
		}
		text := templates.AlertNotice(a, total)
		return Decision{Global: []incident.Effect{{Kind: incident.EffPost, Msg: incident.MsgText, Text: text, Fields: incident.EffectFields{Channel: route.Channel}}}}, nil
	}
	if open != nil {
		res, err := incident.AttachAlert(*open, a, now)
		return Decision{Result: res}, err
	}
	if route.Action != ActDeclare || a.Status != incident.AlertFiring || a.GroupResolved {
		return Decision{}, nil
	}
	pb, ok := h.cfg.Playbooks.Get(route.Playbook)
	if !ok {
		pb, _ = h.cfg.Playbooks.Get("general")
	}
	sev := route.Severity
	if s := incident.Severity(a.Labels["severity"]); sev == "" && s.Valid() {
		sev = s
	}
	var page []string
	if route.PageDefault {
		page = append(page, h.cfg.Paging.Targets...)
	}
	page = append(page, route.PageTargets...)
	if route.PagerDutyKey != "" || route.OpsgenieTeam != "" {
		page = append(page, route.Name)
	}
	res, err := incident.DeclareFromAlert(next, incident.AlertDeclaration{
		Alert: a, Severity: sev, Playbook: pb, Responders: append(append([]string(nil), h.cfg.Responders...), route.Responders...),
		Private: route.Private, Page: page, Paging: h.cfg.Paging,
	}, now)
	if err != nil {
		return Decision{}, err
	}
	return Decision{Result: res, Create: true}, nil
}
