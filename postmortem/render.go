package postmortem

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/firebreak-hq/firebreak/incident"
	"github.com/firebreak-hq/firebreak/templates"
)

// MaxBody is GitHub's limit on an issue or comment body, in characters.
// Render budgets in bytes, which is never fewer than characters, so a
// draft stays within the limit whatever alphabet people wrote in.
const MaxBody = 65536

// MaxTitle is the longest issue title Render produces, in characters.
const MaxTitle = 256

// maxComments bounds how many comments a long timeline continues in;
// beyond that the timeline is summarised rather than flooding the issue.
const maxComments = 10

// Per-item clips (in characters of plain text) and per-section budgets (in
// bytes of markdown). The budgets leave at least half the body for the
// timeline whatever the incident holds.
const (
	clipTitle    = 300
	clipImpact   = 4000
	clipUpdate   = 1500
	clipEvent    = 2000
	clipStepNote = 500
	clipFollowup = 500
	clipName     = 80

	budgetChecklist = 12000
	budgetFollowups = 8000
	budgetFindings  = 6000
	budgetSevHist   = 3000
	budgetPeople    = 3000
)

// Draft is a rendered postmortem: what is filed as an issue.
type Draft struct {
	// Title is "Postmortem: INC-<n> <title>", at most MaxTitle characters.
	Title string
	// Body is the issue body, at most MaxBody characters. It starts with
	// the hidden marker that identifies the incident.
	Body string
	// Comments continue a timeline too long for the body, in order; each
	// starts with its own hidden marker and is at most MaxBody characters.
	Comments []string
	// Findings are the blameless-language findings over everything people
	// wrote, also listed in the body's review section.
	Findings []Finding
	// Key is the label that finds the issue again: "firebreak:INC-<n>".
	Key string
}

// Key is the label that identifies an incident's postmortem issue.
func Key(n uint64) string { return "firebreak:" + incident.ID(n) }

// Marker is the hidden first line of a postmortem body.
func Marker(n uint64) string { return "<!-- firebreak-postmortem: " + incident.ID(n) + " -->" }

func commentMarker(n uint64, part int) string {
	return "<!-- firebreak-postmortem: " + incident.ID(n) + " timeline " + strconv.Itoa(part) + " -->"
}

// Render builds the postmortem draft for an incident from its stored state
// and timeline. names maps Slack user ids to display names; loc is the zone
// times are shown in (nil means UTC). It does no I/O.
func Render(inc incident.Incident, events []incident.Event, names map[string]string, loc *time.Location) (Draft, error) {
	if inc.Number == 0 {
		return Draft{}, fmt.Errorf("render postmortem: incident has no number")
	}
	if loc == nil {
		loc = time.UTC
	}
	r := newRenderer(inc, events, names, loc)
	d := Draft{
		Title:    r.title(),
		Findings: r.findings(),
		Key:      Key(inc.Number),
	}
	body, comments, err := r.fit(d.Findings)
	if err != nil {
		return Draft{}, err
	}
	d.Body, d.Comments = body, comments
	return d, nil
}

// Preview is exactly what would be filed, as one markdown document: the
// title as a heading, the body, then each continuation comment.
func Preview(inc incident.Incident, events []incident.Event, names map[string]string, loc *time.Location) (string, error) {
	d, err := Render(inc, events, names, loc)
	if err != nil {
		return "", err
	}
	return d.document(), nil
}

func (d Draft) document() string {
	var b strings.Builder
	b.WriteString("# ")
	b.WriteString(d.Title)
	b.WriteString("\n\n")
	b.WriteString(d.Body)
	for _, c := range d.Comments {
		b.WriteString("\n---\n\n")
		b.WriteString(c)
	}
	return b.String()
}

type renderer struct {
	inc    incident.Incident
	events []incident.Event
	names  map[string]string
	loc    *time.Location
	steps  map[string]string
	// multiDay shows dates with times when the incident spans local days.
	multiDay bool
}

func newRenderer(inc incident.Incident, events []incident.Event, names map[string]string, loc *time.Location) *renderer {
	if !sort.SliceIsSorted(events, func(i, j int) bool { return less(events[i], events[j]) }) {
		events = append([]incident.Event(nil), events...)
		sort.SliceStable(events, func(i, j int) bool { return less(events[i], events[j]) })
	}
	events = recordedTexts(events)
	r := &renderer{inc: inc, events: events, names: names, loc: loc, steps: map[string]string{}}
	for _, s := range inc.Steps {
		r.steps[s.ID] = s.Title
	}
	first, last := inc.DeclaredAt, inc.ClosedAt
	if len(events) > 0 {
		if first.IsZero() || events[0].At.Before(first) {
			first = events[0].At
		}
		if e := events[len(events)-1].At; e.After(last) {
			last = e
		}
	}
	y1, m1, d1 := first.In(loc).Date()
	y2, m2, d2 := last.In(loc).Date()
	r.multiDay = !last.IsZero() && (y1 != y2 || m1 != m2 || d1 != d2)
	return r
}

func less(a, b incident.Event) bool {
	if a.Seq != b.Seq && a.Seq != 0 && b.Seq != 0 {
		return a.Seq < b.Seq
	}
	return a.At.Before(b.At)
}

// name is a person's display name; the system acts as "Firebreak".
func (r *renderer) name(id string) string {
	if id == "" {
		return "Firebreak"
	}
	if n := strings.TrimSpace(r.names[id]); n != "" {
		return oneLine(n)
	}
	return id
}

func (r *renderer) person(id string) string { return cell(r.name(id), clipName) }

func (r *renderer) plain(s string) string { return plain(s, r.names) }

func (r *renderer) title() string {
	t := titleText(r.plain(r.inc.Title))
	return clip("Postmortem: "+r.inc.ID()+" "+t, MaxTitle)
}

// clock is a time of day for the timeline, with the date when the
// incident spans days.
func (r *renderer) clock(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	if r.multiDay {
		return t.In(r.loc).Format("Jan 2 15:04:05")
	}
	return t.In(r.loc).Format("15:04:05")
}

func (r *renderer) short(t time.Time) string {
	if r.multiDay {
		return t.In(r.loc).Format("Jan 2 15:04")
	}
	return t.In(r.loc).Format("15:04")
}

func (r *renderer) full(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.In(r.loc).Format("2006-01-02 15:04:05")
}

// duration prints a span the way people say it: "1h 5m", "42s", "2d 3h".
func duration(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	d = d.Round(time.Second)
	days := d / (24 * time.Hour)
	d -= days * 24 * time.Hour
	h, m, s := d/time.Hour, (d%time.Hour)/time.Minute, (d%time.Minute)/time.Second
	var parts []string
	add := func(n time.Duration, unit string) {
		if n > 0 {
			parts = append(parts, strconv.FormatInt(int64(n), 10)+unit)
		}
	}
	add(days, "d")
	add(h, "h")
	if days == 0 {
		add(m, "m")
	}
	if days == 0 && h == 0 {
		add(s, "s")
	}
	if len(parts) == 0 {
		return "0s"
	}
	return strings.Join(parts, " ")
}

// since is how long after the impact started (the declaration unless a
// key-time correction says otherwise) t came.
func (r *renderer) since(t time.Time) string {
	start := r.inc.ImpactStart()
	if t.IsZero() || start.IsZero() {
		return "—"
	}
	return duration(max(t.Sub(start), 0))
}

// written is one piece of text a person wrote, to be linted.
type written struct {
	what, by string
	at       time.Time
	text     string
}

func (r *renderer) writings() []written {
	var out []written
	if r.inc.Impact != "" {
		out = append(out, written{"impact", r.inc.Declarer, r.inc.DeclaredAt, r.inc.Impact})
	}
	for _, e := range r.events {
		if e.Text == "" {
			continue
		}
		what := templates.WrittenAs(e.Kind)
		if what == "" {
			continue
		}
		// A pinned message was written by its author, not by whoever
		// pinned it.
		who := e.Actor
		if a := e.Fields["author"]; a != "" && (e.Kind == incident.EvMessagePinned || e.Kind == incident.EvPinnedText) {
			who = a
		}
		out = append(out, written{what, who, e.At, e.Text})
	}
	return out
}

func (r *renderer) findings() []Finding {
	l := newLinter(r.names)
	var out []Finding
	for _, w := range r.writings() {
		for _, f := range l.lint(w.text, r.names) {
			f.Source = w.what + " by " + r.name(w.by) + " at " + r.short(w.at)
			out = append(out, f)
		}
	}
	return out
}

// caps scales the section budgets down when an incident's other sections
// would not leave room for the timeline.
type caps struct{ scale float64 }

func (c caps) n(v int) int { return int(float64(v) * c.scale) }

// data builds everything but the timeline rows.
func (r *renderer) data(findings []Finding, c caps) templates.PostmortemData {
	inc := r.inc
	d := templates.PostmortemData{
		Marker:   Marker(inc.Number),
		ID:       inc.ID(),
		Title:    cell(r.plain(inc.Title), clipTitle),
		Severity: string(inc.Severity),
		Status:   string(inc.Status),
		Playbook: cell(inc.Playbook, clipName),
		Zone:     inline(r.loc.String()),
		Impact:   quoteBlock(clip(r.plain(inc.Impact), c.n(clipImpact))),
	}
	d.Summary = r.summary()
	for i := len(r.events) - 1; i >= 0; i-- {
		if e := r.events[i]; e.Kind == incident.EvStatusUpdate {
			d.LastUpdate = quoteBlock(clip(r.plain(e.Text), c.n(clipUpdate))) +
				"\n>\n> — " + r.person(e.Actor) + ", " + r.full(e.At)
			break
		}
	}
	d.Times = r.times()
	d.FalseResolutions = r.falseResolutions(c)
	if inc.ForceReason != "" {
		d.ForceReason = cell(r.plain(inc.ForceReason), c.n(clipStepNote))
	}
	d.SeverityHistory = r.severityHistory(c)
	d.Roles, d.Responders, d.Joined = r.people(c)
	d.Checklist, d.ChecklistNote = r.checklist(c)
	d.Followups, d.FollowupsNote = r.followups(c)
	d.Findings, d.FindingsNote = r.reviewed(findings, c)
	return d
}

func (r *renderer) summary() string {
	inc := r.inc
	first, worst := r.severities()
	s := templates.PostmortemSummary{
		ID: inc.ID(), Title: cell(r.plain(inc.Title), clipTitle), Declarer: r.person(inc.Declarer), DeclaredAt: r.full(inc.DeclaredAt),
		First: string(first), Worst: string(worst), Final: string(inc.Severity),
		Status: string(inc.Status), Reopened: inc.ReopenCount, Playbook: cell(inc.Playbook, clipName), Steps: len(inc.Steps),
	}
	if !inc.MitigatedAt.IsZero() {
		s.MitigatedAfter = r.since(inc.MitigatedAt)
	}
	if !inc.ResolvedAt.IsZero() {
		s.ResolvedAfter = r.since(inc.ResolvedAt)
	}
	if !inc.ClosedAt.IsZero() {
		s.ClosedAfter = r.since(inc.ClosedAt)
	}
	for _, st := range inc.Steps {
		switch st.State {
		case incident.StepDone:
			s.Done++
		case incident.StepSkipped:
			s.Skipped++
		}
	}
	return s.Summary()
}

// severities is the severity at declaration and the worst one reached.
func (r *renderer) severities() (first, worst incident.Severity) {
	first, worst = r.inc.Severity, r.inc.Severity
	seen := false
	for _, e := range r.events {
		var s incident.Severity
		switch e.Kind {
		case incident.EvDeclared:
			s = incident.Severity(e.Fields["severity"])
			if s.Valid() && !seen {
				first, seen = s, true
			}
		case incident.EvSeverityChanged:
			s = incident.Severity(e.Fields["to"])
		}
		if s.Valid() && s.Rank() < worst.Rank() {
			worst = s
		}
	}
	if !worst.Valid() {
		worst = first
	}
	return first, worst
}

func (r *renderer) times() []templates.PostmortemRow {
	inc := r.inc
	var rows []templates.PostmortemRow
	if !inc.StartedAt.IsZero() {
		rows = append(rows, templates.PostmortemRow{Label: "Impact started", Value: r.full(inc.StartedAt)})
	}
	if !inc.DetectedAt.IsZero() {
		rows = append(rows, templates.PostmortemRow{Label: "Detected", Value: r.full(inc.DetectedAt)})
	}
	rows = append(rows, templates.PostmortemRow{Label: "Declared", Value: r.full(inc.DeclaredAt)})
	if first := r.firstAt(incident.EvMitigated); !first.IsZero() && !first.Equal(inc.MitigatedAt) {
		rows = append(rows, templates.PostmortemRow{Label: "First mitigated", Value: r.full(first)})
	}
	rows = append(rows,
		templates.PostmortemRow{Label: "Mitigated", Value: r.full(inc.MitigatedAt)},
		templates.PostmortemRow{Label: "Resolved", Value: r.full(inc.ResolvedAt)},
		templates.PostmortemRow{Label: "Closed", Value: r.full(inc.ClosedAt)},
		templates.PostmortemRow{Label: "Time to mitigate", Value: r.since(inc.MitigatedAt)},
		templates.PostmortemRow{Label: "Time to resolve", Value: r.since(inc.ResolvedAt)},
		templates.PostmortemRow{Label: "Time to close", Value: r.since(inc.ClosedAt)},
	)
	return rows
}

func (r *renderer) firstAt(k incident.EventKind) time.Time {
	for _, e := range r.events {
		if e.Kind == k {
			return e.At
		}
	}
	return time.Time{}
}

func (r *renderer) falseResolutions(c caps) []string {
	var out []string
	var resolved *incident.Event
	for i := range r.events {
		e := &r.events[i]
		switch e.Kind {
		case incident.EvResolved:
			resolved = e
		case incident.EvReopened:
			var at, by, after, why string
			if resolved != nil {
				at, by, after = r.full(resolved.At), r.person(resolved.Actor), duration(e.At.Sub(resolved.At))
			}
			if e.Text != "" {
				why = cell(r.plain(e.Text), c.n(clipStepNote))
			}
			out = append(out, templates.FalseResolution(at, by, after, r.full(e.At), r.person(e.Actor), why))
			resolved = nil
		}
	}
	if len(out) == 0 && r.inc.ReopenCount > 0 {
		out = append(out, templates.ReopenedNoDetails(r.inc.ReopenCount))
	}
	return capLines(out, c.n(budgetSevHist), "false resolutions")
}

func (r *renderer) severityHistory(c caps) []string {
	var out []string
	declared := false
	for _, e := range r.events {
		switch e.Kind {
		case incident.EvDeclared:
			if sev := e.Fields["severity"]; sev != "" {
				out = append(out, templates.SeverityDeclared(inline(sev), r.clock(e.At), r.person(e.Actor)))
				declared = true
			}
		case incident.EvSeverityChanged:
			out = append(out, templates.SeverityChanged(inline(e.Fields["from"]), inline(e.Fields["to"]), r.clock(e.At), r.person(e.Actor)))
		}
	}
	if !declared {
		out = append([]string{templates.SeverityUnknownAtDeclaration()}, out...)
		if len(out) == 1 {
			out = []string{templates.SeverityThroughout(string(r.inc.Severity))}
		}
	}
	return capLines(out, c.n(budgetSevHist), "severity changes")
}

// capLines keeps lines while they fit in budget bytes and says how many
// were left out.
func capLines(lines []string, budget int, what string) []string {
	used := 0
	for i, l := range lines {
		used += len(l) + 3
		if used > budget && i > 0 {
			return append(lines[:i:i], templates.MoreLines(len(lines)-i, what))
		}
	}
	return lines
}
