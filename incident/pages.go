package incident

import (
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
	// Detail is the pager's answer or the last error, for the card.
	Detail   string `json:"detail,omitempty"`
	Attempts int    `json:"attempts,omitempty"`
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

// PageOutcome is what a pager answered.
type PageOutcome struct {
	Target string
	// Resolve: the outcome of a resolve, not of a trigger.
	Resolve bool
	// Sent: the pager accepted it. Retry: it failed and will be tried
	// again. Neither: it failed for good.
	Sent, Retry bool
	Detail      string
	Attempt     int
}

// RecordPage puts a pager's answer on the timeline and the card. It
// applies in every status: a page resolved after the close is still
// part of the record.
func RecordPage(inc Incident, o PageOutcome, now time.Time) Result {
	now = Stamp(now)
	c := inc.Clone()
	r := Result{}
	detail := clip(o.Detail, 300)
	kv := []string{"target", o.Target, "attempt", strconv.Itoa(o.Attempt)}
	switch {
	case o.Resolve && o.Sent:
		r.Events = append(r.Events, ev(now, "", EvPageResolved, detail, kv...))
	case o.Resolve:
		r.Events = append(r.Events, ev(now, "", EvPageRetry, detail, append(kv, "resolve", "true")...))
	case o.Retry:
		r.Events = append(r.Events, ev(now, "", EvPageRetry, detail, kv...))
	case o.Sent:
		r.Events = append(r.Events, ev(now, "", EvPageSent, detail, kv...))
	default:
		r.Events = append(r.Events, ev(now, "", EvPageFailed, detail, kv...))
	}
	if !o.Resolve {
		for i := range c.Pages {
			p := &c.Pages[i]
			if p.Target != o.Target || p.State == PageResolved && !o.Sent {
				continue
			}
			p.Detail, p.Attempts = detail, o.Attempt
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
			r.Effects = append(r.Effects, eff(EffPost, MsgPageFailed, detail, EffectFields{Target: o.Target}))
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
