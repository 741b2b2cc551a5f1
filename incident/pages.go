package incident

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"
)

// CmdPage pages a target (a route or service name) now: Ref is the
// target, Text the optional message.
const CmdPage CommandKind = "page"

// Page effects are performed by the paging runner, not the Slack
// executor, so that a slow pager never holds up the channel and a slow
// Slack never holds up a page.
const (
	// EffPageTrigger pages Fields.Target with dedup key Fields.Dedup.
	EffPageTrigger EffectKind = "page.trigger"
	// EffPageResolve resolves (closes) the page of Fields.Target.
	EffPageResolve EffectKind = "page.resolve"
)

// IsPageEffect reports whether kind belongs to the paging runner.
func IsPageEffect(kind EffectKind) bool { return strings.HasPrefix(string(kind), "page.") }

// MsgPageFailed tells the channel a page could not be delivered.
const MsgPageFailed MessageKind = "page_failed"

// PageState is where one page stands.
type PageState string

// Page states.
const (
	PagePending  PageState = "pending"
	PageSent     PageState = "sent"
	PageFailed   PageState = "failed"
	PageResolved PageState = "resolved"
)

// Page is one target paged for an incident.
type Page struct {
	Target  string    `json:"target"`
	State   PageState `json:"state"`
	Message string    `json:"message,omitempty"`
	By      string    `json:"by"`
	At      time.Time `json:"at"`
	// Report is what the pagers answered to the last attempt. Pages
	// recorded before reports were typed carry Detail instead: the
	// answer as it was worded then.
	Report   *PageReport `json:"report,omitempty"`
	Detail   string      `json:"detail,omitempty"`
	Attempts int         `json:"attempts,omitempty"`
}

// PagePolicy decides who is paged when an incident is declared.
type PagePolicy struct {
	// Severities that page Targets on declaration.
	Severities []Severity
	Targets    []string
	// Always pages Targets whatever the severity (a route's `page`).
	Always bool
}

func (p PagePolicy) pages(sev Severity) []string {
	if len(p.Targets) == 0 {
		return nil
	}
	if p.Always {
		return uniq(p.Targets)
	}
	for _, s := range p.Severities {
		if s == sev {
			return uniq(p.Targets)
		}
	}
	return nil
}

// DedupKey is the PagerDuty dedup_key and Opsgenie alias of incident n's
// pages: one key per incident, so a page sent again after a crash or a
// retry reaches the pager as the same alert.
func DedupKey(n uint64) string { return "firebreak-" + ID(n) }

// maxTarget bounds a page target's name; maxPageMessage what may be said
// with a page.
const (
	maxTarget      = 64
	maxPageMessage = 1000
)

func addPage(c *Incident, r *Result, target, msg, by string, now time.Time) {
	c.Pages = append(c.Pages, Page{Target: target, State: PagePending, Message: msg, By: by, At: now})
	r.Events = append(r.Events, ev(now, by, EvPageRequested, msg, "target", target))
	r.Effects = append(r.Effects, eff(EffPageTrigger, "", msg, EffectFields{Target: target, Dedup: DedupKey(c.Number)}))
}

func applyPage(c *Incident, r *Result, cmd Command, now time.Time) error {
	target := strings.ToLower(strings.TrimSpace(cmd.Ref))
	if target == "" || len(target) > maxTarget {
		return refuse(CodeBadInput, RefusePageTarget)
	}
	msg := strings.TrimSpace(cmd.Text)
	if len([]rune(msg)) > maxPageMessage {
		return refuse(CodeBadInput, RefusePageTooLong, len([]rune(msg)), maxPageMessage)
	}
	if c.paged(target) {
		return refuse(CodeNoop, RefuseAlreadyPaged, c.ID(), target)
	}
	addPage(c, r, target, msg, cmd.Actor, now)
	r.Effects = append(r.Effects, Effect{Kind: EffUpdateCard})
	r.Reply = Reply{ReplyPaging, []any{target}}
	return nil
}

// resolvePages asks the pagers to resolve every page still open.
func resolvePages(c *Incident, r *Result) {
	for i, p := range c.Pages {
		if p.State == PagePending || p.State == PageSent {
			c.Pages[i].State = PageResolved
			r.Effects = append(r.Effects, eff(EffPageResolve, "", "", EffectFields{Target: p.Target, Dedup: DedupKey(c.Number)}))
		}
	}
}

// PageReport is what the pagers of a target answered to one attempt: the
// pagers that took the trigger or the resolve, the failures of the
// others, how long until the next attempt when there is one, and the
// configured page targets when the target names none. Templates word
// it; it is stored on the page, its events and the message that says a
// page failed.
type PageReport struct {
	Accepted []string      `json:"accepted,omitempty"`
	Failures []PageFailure `json:"failures,omitempty"`
	RetryIn  time.Duration `json:"retry_in,omitempty"`
	Targets  []string      `json:"targets,omitempty"`
}

// PageFailure is one pager's failure to take a page: the pager as people
// know it ("PagerDuty"; "" when the target names none), why, the HTTP
// status it answered (0 when it did not) and what it said was wrong (the
// message and errors of its answer), as it said it.
type PageFailure struct {
	Provider string          `json:"provider,omitempty"`
	Kind     PageFailureKind `json:"kind"`
	Status   int             `json:"status,omitempty"`
	Message  string          `json:"message,omitempty"`
}

// PageFailureKind is why a pager did not take a page: it refused it (a
// 4xx: sending it again will not help), asked to slow down (429), had an
// error of its own (5xx, or another status that is neither success nor
// a refusal), did not answer in time (the page may have arrived: the
// retry carries the same dedup key), could not be reached (connection
// refused, no route, unknown host), failed in another way, or the target
// names no pager at all.
type PageFailureKind string

// Page failure kinds, in the order above.
const (
	PageRefused       PageFailureKind = "refused"
	PageRateLimited   PageFailureKind = "rate_limited"
	PagePagerError    PageFailureKind = "server_error"
	PageTimedOut      PageFailureKind = "timed_out"
	PageUnreachable   PageFailureKind = "unreachable"
	PageCallFailed    PageFailureKind = "call_failed"
	PageNotConfigured PageFailureKind = "not_configured"
)

// reportText is the stored form of a report: JSON, held as one string
// wherever particulars are strings (event and effect fields).
type reportText PageReport

// MarshalText stores r as one string.
func (r PageReport) MarshalText() ([]byte, error) { return json.Marshal(reportText(r)) }

// UnmarshalText reads what MarshalText stored.
func (r *PageReport) UnmarshalText(b []byte) error { return json.Unmarshal(b, (*reportText)(r)) }

// PageReportOf is the report an event of a page's outcome carries; ok is
// false for an event recorded before reports were typed, whose Text
// holds the answer as it was worded then.
func PageReportOf(e Event) (PageReport, bool) {
	var r PageReport
	s, ok := e.Fields[pageReportField]
	if !ok || r.UnmarshalText([]byte(s)) != nil {
		return PageReport{}, false
	}
	return r, true
}

const pageReportField = "report"

// maxPagerMessage bounds what is kept of a pager's own words.
const maxPagerMessage = 300

func (r PageReport) clipped() PageReport {
	c := r
	c.Failures = nil
	for _, f := range r.Failures {
		f.Message = clip(strings.Join(strings.Fields(f.Message), " "), maxPagerMessage)
		c.Failures = append(c.Failures, f)
	}
	return c
}

// PageOutcome is what the pagers of a target answered.
type PageOutcome struct {
	Target string
	// Resolve: the outcome of a resolve, not of a trigger.
	Resolve bool
	// Sent: the pager accepted it. Retry: it failed and will be tried
	// again. Neither: it failed for good.
	Sent, Retry bool
	Report      PageReport
	Attempt     int
}

// RecordPage puts a pager's answer on the timeline and the card. It
// applies in every status: a page resolved after the close is still
// part of the record.
func RecordPage(inc Incident, o PageOutcome, now time.Time) Result {
	now = Stamp(now)
	c := inc.Clone()
	r := Result{}
	report := o.Report.clipped()
	stored, _ := report.MarshalText() // plain data: it always encodes
	kv := []string{"target", o.Target, "attempt", strconv.Itoa(o.Attempt), pageReportField, string(stored)}
	switch {
	case o.Resolve && o.Sent:
		r.Events = append(r.Events, ev(now, "", EvPageResolved, "", kv...))
	case o.Resolve:
		r.Events = append(r.Events, ev(now, "", EvPageRetry, "", append(kv, "resolve", "true")...))
	case o.Retry:
		r.Events = append(r.Events, ev(now, "", EvPageRetry, "", kv...))
	case o.Sent:
		r.Events = append(r.Events, ev(now, "", EvPageSent, "", kv...))
	default:
		r.Events = append(r.Events, ev(now, "", EvPageFailed, "", kv...))
	}
	if !o.Resolve {
		for i := range c.Pages {
			p := &c.Pages[i]
			if p.Target != o.Target || p.State == PageResolved && !o.Sent {
				continue
			}
			rep := report
			p.Report, p.Detail, p.Attempts = &rep, "", o.Attempt
			switch {
			case o.Sent && p.State != PageResolved:
				p.State = PageSent
			case !o.Sent && !o.Retry:
				p.State = PageFailed
			}
		}
		// The channel may not exist yet (a page is faster than Slack):
		// the post waits for it in the outbox.
		if !o.Sent && !o.Retry && c.Status.Open() {
			rep := report
			r.Effects = append(r.Effects, eff(EffPost, MsgPageFailed, "", EffectFields{Target: o.Target, Page: &rep}))
		}
	}
	if c.Status.Open() {
		r.Effects = append(r.Effects, Effect{Kind: EffUpdateCard})
	}
	r.Incident = c
	return r
}

func clonePages(p []Page) []Page { return append([]Page(nil), p...) }

// paged reports whether target has a page that is pending or sent.
func (i Incident) paged(target string) bool {
	for _, p := range i.Pages {
		if p.Target == target && (p.State == PagePending || p.State == PageSent) {
			return true
		}
	}
	return false
}
