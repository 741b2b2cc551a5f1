package incident

import (
	"strings"
	"time"
)

// Alert is one alert as monitoring sent it, already read from whichever
// webhook format it came in. Group is the firing group it belongs to
// (Alertmanager groupKey, Grafana group, generic dedup_key): one group
// opens at most one incident while that incident is open.
type Alert struct {
	Source   string            `json:"source"`
	Group    string            `json:"group"`
	Key      string            `json:"key"` // fingerprint within the group
	Status   AlertStatus       `json:"status"`
	Title    string            `json:"title"`
	Labels   map[string]string `json:"labels,omitempty"`
	URL      string            `json:"url,omitempty"`
	StartsAt time.Time         `json:"starts_at,omitzero"`
	// GroupResolved: the whole group is resolved (Alertmanager's top-level
	// status), not just this alert.
	GroupResolved bool `json:"group_resolved,omitempty"`
}

// AlertStatus is firing or resolved.
type AlertStatus string

// Alert statuses.
const (
	AlertFiring   AlertStatus = "firing"
	AlertResolved AlertStatus = "resolved"
)

// Valid reports whether s is firing or resolved.
func (s AlertStatus) Valid() bool { return s == AlertFiring || s == AlertResolved }

// AlertState is what an incident opened by a firing group remembers of
// it: the count shown on the card and what was already said in the
// channel, so a storm costs a handful of messages, not one per alert.
type AlertState struct {
	Source string `json:"source"`
	Group  string `json:"group"`
	// Count is the number of alerts recorded on the timeline.
	Count int `json:"count"`
	// Summarised is Count when the channel was last told about alerts;
	// Carded when the card was last asked to show it.
	Summarised int `json:"summarised,omitempty"`
	Carded     int `json:"carded,omitempty"`
	// ResolvedPosted: the group's resolution was posted; a firing alert
	// after it clears the flag, so each resolution is posted once.
	ResolvedPosted bool      `json:"resolved_posted,omitempty"`
	Last           string    `json:"last,omitempty"`
	LastAt         time.Time `json:"last_at,omitzero"`
}

// Messages about alerts in the incident channel.
const (
	MsgAlertSummary  MessageKind = "alert_summary"
	MsgAlertResolved MessageKind = "alert_resolved"
)

// AlertDeclaration opens an incident from a firing group.
type AlertDeclaration struct {
	Alert      Alert
	Severity   Severity
	Playbook   Playbook
	Responders []string
	Private    bool
	// Page lists the page targets to page on declaration.
	Page []string
	// Paging pages the configured targets for the configured severities
	// besides Page.
	Paging PagePolicy
}

// AlertTitleMax keeps a title built from labels readable.
const AlertTitleMax = 200

// DeclareFromAlert opens incident n for a firing group. The declarer is
// the monitoring source, which is no Slack user: it is neither invited
// nor told privately.
func DeclareFromAlert(n uint64, d AlertDeclaration, now time.Time) (Result, error) {
	a := d.Alert
	if err := checkAlert(a); err != nil {
		return Result{}, err
	}
	declarer := SourceName(a.Source)
	res, err := Declare(n, Declaration{
		Title:      clip(strings.TrimSpace(a.Title), AlertTitleMax),
		Severity:   d.Severity,
		Playbook:   d.Playbook,
		Declarer:   declarer,
		Responders: d.Responders,
		Paging:     d.Paging,
		Private:    d.Private,
	}, now)
	if err != nil {
		return Result{}, err
	}
	inc := res.Incident
	now = Stamp(now)
	for _, t := range uniq(d.Page) {
		if !inc.paged(t) {
			addPage(&inc, &res, t, "", declarer, now)
		}
	}
	inc.Alerts = &AlertState{Source: a.Source, Group: a.Group, Count: 1, Summarised: 1, Carded: 1, Last: clip(a.Title, 120), LastAt: now}
	effs := res.Effects[:0:0]
	for _, e := range res.Effects {
		switch e.Kind {
		case EffEphemeral:
			continue
		case EffInvite:
			var users []string
			for _, u := range e.Users {
				if u != declarer {
					users = append(users, u)
				}
			}
			if len(users) == 0 {
				continue
			}
			e.Users = users
		}
		effs = append(effs, e)
	}
	res.Effects = effs
	res.Events = append(res.Events, alertEvent(now, a))
	res.Incident = inc
	return res, nil
}

// SourceName is how an alert source is named where a person would be.
func SourceName(source string) string {
	switch source {
	case "alertmanager":
		return "Alertmanager"
	case "grafana":
		return "Grafana"
	case "generic", "":
		return "Monitoring"
	}
	return source
}

func checkAlert(a Alert) error {
	if strings.TrimSpace(a.Group) == "" {
		return refuse(CodeBadInput, RefuseAlertNoGroup)
	}
	if !a.Status.Valid() {
		return refuse(CodeBadInput, RefuseAlertStatus, clip(string(a.Status), 20))
	}
	if strings.TrimSpace(a.Title) == "" {
		return refuse(CodeBadInput, RefuseAlertNoTitle)
	}
	return nil
}

func alertEvent(now time.Time, a Alert) Event {
	kv := []string{"source", a.Source, "group", a.Group, "status", string(a.Status)}
	if a.Key != "" {
		kv = append(kv, "key", a.Key)
	}
	if a.URL != "" {
		kv = append(kv, "url", a.URL)
	}
	if len(a.Labels) > 0 {
		kv = append(kv, "labels", LabelString(a.Labels))
	}
	return ev(now, SourceName(a.Source), EvAlert, clip(a.Title, 500), kv...)
}

// LabelString renders labels as sorted k=v pairs separated by commas.
func LabelString(l map[string]string) string {
	keys := make([]string, 0, len(l))
	for k := range l {
		keys = append(keys, k)
	}
	sortStrings(keys)
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(k + "=" + l[k])
	}
	return b.String()
}

func sortStrings(s []string) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

// summaryDue says whether the channel hears about alerts at count n: at
// the first attached alert and then each time the count passes the next
// of 10, 100, 1000… so a storm of any size costs a few messages.
func summaryDue(prev, n int) bool {
	if prev <= 1 && n > 1 {
		return true
	}
	for step := 10; step <= 1_000_000_000; step *= 10 {
		if prev < step && n >= step {
			return true
		}
	}
	return false
}

// AttachAlert records one more alert of the incident's group on the
// timeline and in the count. It posts nothing and leaves the card alone:
// FlushAlerts does that once per delivery, so a storm of alerts costs a
// few card updates and messages, not one per alert. The group's
// resolution is posted once and never closes the incident.
func AttachAlert(inc Incident, a Alert, now time.Time) (Result, error) {
	if !inc.Status.Open() {
		return Result{}, refuse(CodeClosed, RefuseAlertsNoLonger, inc.ID(), inc.Status)
	}
	if err := checkAlert(a); err != nil {
		return Result{}, err
	}
	now = Stamp(now)
	c := inc.Clone()
	if c.Alerts == nil {
		c.Alerts = &AlertState{Source: a.Source, Group: a.Group}
	}
	st := c.Alerts
	r := Result{}
	if a.GroupResolved {
		r.Events = append(r.Events, ev(now, SourceName(a.Source), EvAlertsResolved, clip(a.Title, 500), "source", a.Source, "group", a.Group))
		if !st.ResolvedPosted {
			st.ResolvedPosted = true
			r.Effects = append(r.Effects, eff(EffPost, MsgAlertResolved, "", EffectFields{Source: a.Source}), Effect{Kind: EffUpdateCard})
		}
		r.Incident = c
		return r, nil
	}
	r.Events = append(r.Events, alertEvent(now, a))
	if a.Status == AlertFiring {
		st.Count++
		st.Last, st.LastAt = clip(a.Title, 120), now
		st.ResolvedPosted = false
	}
	r.Incident = c
	return r, nil
}

// FlushAlerts brings the card and the channel up to date with the alerts
// attached since the last flush: one card update, and a summary in the
// channel when the count passed the next step (2, 10, 100, 1000…). It
// does nothing when nothing changed.
func FlushAlerts(inc Incident) Result {
	st := inc.Alerts
	if st == nil || !inc.Status.Open() || st.Carded == st.Count {
		return Result{Incident: inc}
	}
	c := inc.Clone()
	st = c.Alerts
	st.Carded = st.Count
	r := Result{Incident: c, Effects: []Effect{{Kind: EffUpdateCard}}}
	if summaryDue(st.Summarised, st.Count) {
		r.Effects = append(r.Effects, eff(EffPost, MsgAlertSummary, st.Last,
			EffectFields{Count: st.Count, New: st.Count - st.Summarised, Source: st.Source}))
		st.Summarised = st.Count
	}
	return r
}

func (s *AlertState) clone() *AlertState {
	if s == nil {
		return nil
	}
	c := *s
	return &c
}
