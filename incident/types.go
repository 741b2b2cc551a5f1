package incident

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// Severity is how bad an incident is: sev1 is the worst.
type Severity string

// The four severities.
const (
	Sev1 Severity = "sev1"
	Sev2 Severity = "sev2"
	Sev3 Severity = "sev3"
	Sev4 Severity = "sev4"
)

// Severities lists every severity from worst to mildest.
var Severities = []Severity{Sev1, Sev2, Sev3, Sev4}

// DefaultSeverity is used when a declaration names none.
const DefaultSeverity = Sev3

// ParseSeverity accepts "1", "sev1", "SEV1", "sev-1" and "S1". A hyphen
// is read only after "sev" or "s": a bare "-1" is a negative number, not
// sev1, and is refused.
func ParseSeverity(s string) (Severity, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	switch {
	case strings.HasPrefix(t, "sev"):
		t = strings.TrimPrefix(t[3:], "-")
	case strings.HasPrefix(t, "s"):
		t = strings.TrimPrefix(t[1:], "-")
	}
	if len(t) == 1 && t[0] >= '1' && t[0] <= '4' {
		return Severities[t[0]-'1'], nil
	}
	return "", refuse(CodeBadInput, RefuseSeverityWord, clip(s, 20))
}

// Valid reports whether s is one of the four severities.
func (s Severity) Valid() bool { return slices.Contains(Severities, s) }

// Rank is 1 for sev1 … 4 for sev4, 0 when invalid.
func (s Severity) Rank() int {
	return slices.Index(Severities, s) + 1
}

// Status is where an incident stands in its lifecycle.
type Status string

// The lifecycle: active → mitigated → resolved → closed; reopen returns to active.
const (
	StatusActive    Status = "active"
	StatusMitigated Status = "mitigated"
	StatusResolved  Status = "resolved"
	StatusClosed    Status = "closed"
	// StatusCancelled ends an incident declared by mistake: no
	// postmortem, and nothing more happens to it.
	StatusCancelled Status = "cancelled"
)

// Statuses lists every status in lifecycle order.
var Statuses = []Status{StatusActive, StatusMitigated, StatusResolved, StatusClosed, StatusCancelled}

// Valid reports whether s is a known status.
func (s Status) Valid() bool { return slices.Contains(Statuses, s) }

// Open reports whether the incident still needs people.
func (s Status) Open() bool { return s != StatusClosed && s != StatusCancelled }

// Phase groups checklist steps; responders work through them in order.
type Phase string

// The four phases of the method Firebreak teaches.
const (
	PhaseStopBleeding Phase = "stop-the-bleeding"
	PhaseUnderstand   Phase = "understand"
	PhaseFixForward   Phase = "fix-forward"
	PhaseVerify       Phase = "verify"
)

// Phases lists the phases in the order they are worked.
var Phases = []Phase{PhaseStopBleeding, PhaseUnderstand, PhaseFixForward, PhaseVerify}

// Valid reports whether p is one of the four phases.
func (p Phase) Valid() bool { return slices.Contains(Phases, p) }

// StepState is the progress of one checklist step.
type StepState string

// Step states.
const (
	StepOpen    StepState = "open"
	StepDone    StepState = "done"
	StepSkipped StepState = "skipped"
)

// StepDef is a checklist step as a playbook defines it.
type StepDef struct {
	ID       string `json:"id"`
	Title    string `json:"title"`
	Detail   string `json:"detail,omitempty"`
	Link     string `json:"link,omitempty"`
	Phase    Phase  `json:"phase"`
	Approval bool   `json:"approval,omitempty"`
	Role     string `json:"role,omitempty"`
}

// Who may change an incident's lead once it has one (Playbook.LeadChange).
const (
	// LeadChangeLead lets the current lead and the declarer hand the lead
	// on; anyone may take it while nobody leads. The default.
	LeadChangeLead = "lead"
	// LeadChangeAnyone lets any member of the channel take or give the
	// lead at any time, for teams that prefer it.
	LeadChangeAnyone = "anyone"
)

// ValidLeadChange reports whether s is a lead-change policy ("" is the default).
func ValidLeadChange(s string) bool { return s == "" || s == LeadChangeLead || s == LeadChangeAnyone }

// Approval records the two-person rule for a risky step. ID numbers the
// requests made for the step (1, 2, …); an approval names the request it
// answers, so a request replaced after the approver read it can never be
// approved by mistake. Requests stored before requests were numbered have
// ID 0.
type Approval struct {
	ID          int       `json:"id,omitempty"`
	RequestedBy string    `json:"requested_by"`
	RequestedAt time.Time `json:"requested_at"`
	What        string    `json:"what"`
	Where       string    `json:"where"`
	ApprovedBy  string    `json:"approved_by,omitempty"`
	ApprovedAt  time.Time `json:"approved_at,omitzero"`
}

// Approved reports whether a second person has approved the request.
func (a *Approval) Approved() bool { return a != nil && a.ApprovedBy != "" }

// Step is a checklist step in a running incident.
type Step struct {
	StepDef
	State      StepState `json:"state"`
	Assignee   string    `json:"assignee,omitempty"`
	AssignedAt time.Time `json:"assigned_at,omitzero"`
	By         string    `json:"by,omitempty"`
	At         time.Time `json:"at,omitzero"`
	SkipReason string    `json:"skip_reason,omitempty"`
	Signoff    *Approval `json:"signoff,omitempty"`
	// Requests counts the approval requests made for the step, withdrawn
	// ones included; the next request is numbered Requests+1.
	Requests int `json:"requests,omitempty"`
}

// Finished reports whether the step is done or skipped.
func (s Step) Finished() bool { return s.State == StepDone || s.State == StepSkipped }

// Followup is an action item recorded for the postmortem.
type Followup struct {
	N    int       `json:"n"`
	Text string    `json:"text"`
	By   string    `json:"by"`
	At   time.Time `json:"at"`
	// IssueURL is the follow-up's GitHub issue once filed; ClosedAt is
	// when that issue was seen closed (the follow-up is done).
	IssueURL string    `json:"issue_url,omitempty"`
	ClosedAt time.Time `json:"closed_at,omitzero"`
}

// Playbook is the checklist and defaults for a kind of incident.
type Playbook struct {
	Name         string        `json:"name"`
	Title        string        `json:"title"`
	Description  string        `json:"description,omitempty"`
	Severity     Severity      `json:"severity,omitempty"`
	Invite       []string      `json:"invite,omitempty"`
	Roles        []string      `json:"roles,omitempty"`
	VerifyWindow time.Duration `json:"verify_window,omitempty"`
	// LeadChange says who may change the lead once there is one:
	// LeadChangeLead (the default, also when empty) or LeadChangeAnyone.
	LeadChange string `json:"lead_change,omitempty"`
	// Private declares the playbook's incidents private by default.
	Private bool      `json:"private,omitempty"`
	Steps   []StepDef `json:"steps"`
}

// Validate checks the invariants every playbook must hold, whatever file
// format it came from.
func (p Playbook) Validate() error {
	if p.Name == "" {
		return refuse(CodeBadInput, RefusePlaybookNoName)
	}
	if p.Severity != "" && !p.Severity.Valid() {
		return refuse(CodeBadInput, RefusePlaybookSeverity, p.Name, p.Severity)
	}
	if !ValidLeadChange(p.LeadChange) {
		return refuse(CodeBadInput, RefusePlaybookLeadChange, p.Name, clip(p.LeadChange, 20), LeadChangeLead, LeadChangeAnyone)
	}
	seen := map[string]bool{}
	phases := map[Phase]int{}
	for _, s := range p.Steps {
		if s.ID == "" {
			return refuse(CodeBadInput, RefusePlaybookStepNoID, p.Name)
		}
		if !validStepID(s.ID) {
			return refuse(CodeBadInput, RefusePlaybookStepID, p.Name, s.ID)
		}
		if seen[s.ID] {
			return refuse(CodeBadInput, RefusePlaybookDuplicateStep, p.Name, s.ID)
		}
		seen[s.ID] = true
		if strings.TrimSpace(s.Title) == "" {
			return refuse(CodeBadInput, RefusePlaybookStepNoTitle, p.Name, s.ID)
		}
		if !s.Phase.Valid() {
			return refuse(CodeBadInput, RefusePlaybookStepPhase, p.Name, s.ID, s.Phase)
		}
		phases[s.Phase]++
	}
	for _, ph := range Phases {
		if phases[ph] == 0 {
			return refuse(CodeBadInput, RefusePlaybookEmptyPhase, p.Name, ph)
		}
	}
	return nil
}

func validStepID(id string) bool {
	if len(id) == 0 || len(id) > 64 {
		return false
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

// ID formats an incident number as people see it: INC-<n>.
func ID(n uint64) string { return "INC-" + strconv.FormatUint(n, 10) }

// ParseID accepts "INC-7", "inc-7" and "7".
func ParseID(s string) (uint64, error) {
	t := strings.TrimSpace(s)
	if len(t) > 4 && strings.EqualFold(t[:4], "INC-") {
		t = t[4:]
	}
	n, err := strconv.ParseUint(t, 10, 64)
	if err != nil || n == 0 {
		return 0, refuse(CodeBadInput, RefuseBadID, clip(s, 30))
	}
	return n, nil
}

// Incident is the whole state of one incident.
type Incident struct {
	Number       uint64            `json:"number"`
	Title        string            `json:"title"`
	Impact       string            `json:"impact,omitempty"`
	Severity     Severity          `json:"severity"`
	Status       Status            `json:"status"`
	Playbook     string            `json:"playbook"`
	Declarer     string            `json:"declarer"`
	Lead         string            `json:"lead,omitempty"`
	Roles        map[string]string `json:"roles,omitempty"`
	Channel      string            `json:"channel,omitempty"`
	ChannelName  string            `json:"channel_name,omitempty"`
	VerifyWindow time.Duration     `json:"verify_window,omitempty"`
	// LeadChange is the playbook's lead-change policy, kept with the
	// incident so a playbook edited later does not change running ones.
	LeadChange string `json:"lead_change,omitempty"`
	// Private is decided at declaration and never changes: a private
	// incident has a private channel, and whoever is not a member of it
	// sees no title anywhere (see Visible).
	Private bool `json:"private,omitempty"`
	// Founders are the people the declaration invited who have not
	// joined yet: their first join brings no brief (they are there from
	// the start, with nothing to catch up on).
	Founders []string `json:"founders,omitempty"`

	DeclaredAt time.Time `json:"declared_at"`
	// StartedAt is when the impact began and DetectedAt when it was
	// noticed, as corrected with `/incident times`; zero until then (the
	// declaration stands for both).
	StartedAt  time.Time `json:"started_at,omitzero"`
	DetectedAt time.Time `json:"detected_at,omitzero"`
	// TimeCorrections counts the key-time corrections on the timeline, so
	// that readers of many incidents open only those timelines.
	TimeCorrections int       `json:"time_corrections,omitempty"`
	MitigatedAt     time.Time `json:"mitigated_at,omitzero"`
	ResolvedAt      time.Time `json:"resolved_at,omitzero"`
	ClosedAt        time.Time `json:"closed_at,omitzero"`
	LastUpdateAt    time.Time `json:"last_update_at,omitzero"`
	// LastEventAt is the time of the latest timeline event. The next
	// event is never stamped earlier, so the timeline stays in order and
	// durations stay positive when the system clock steps back.
	LastEventAt time.Time `json:"last_event_at,omitzero"`
	// ReopenCount counts false resolutions.
	ReopenCount int    `json:"reopen_count,omitempty"`
	ForceReason string `json:"force_reason,omitempty"`
	// CancelledAt and CancelReason record a cancel (declared by mistake).
	CancelledAt  time.Time `json:"cancelled_at,omitzero"`
	CancelReason string    `json:"cancel_reason,omitempty"`
	// PostmortemURL is where the postmortem was filed, once it was.
	PostmortemURL string `json:"postmortem_url,omitempty"`
	// SourceURL links the chat message the incident was declared from,
	// when it was declared from one whose link could be had.
	SourceURL string `json:"source_url,omitempty"`
	// ReviewedAt is when the postmortem issue was seen closed or labelled
	// reviewed (ReviewedHow says which); the review reminders stop then.
	ReviewedAt  time.Time `json:"reviewed_at,omitzero"`
	ReviewedHow string    `json:"reviewed_how,omitempty"`
	// ReviewOwnerID is who was made the owner of the postmortem's
	// review; empty: the lead, else the declarer (ReviewOwner).
	ReviewOwnerID string `json:"review_owner,omitempty"`

	Steps     []Step     `json:"steps"`
	Followups []Followup `json:"followups,omitempty"`

	// Reminders holds what the scheduler needs to send each reminder once.
	Reminders Reminders `json:"reminders,omitzero"`

	// Alerts is the firing group that opened the incident (nil when a
	// person declared it); Pages who was paged and how it went.
	Alerts *AlertState `json:"alerts,omitempty"`
	Pages  []Page      `json:"pages,omitempty"`
}

// Reminders is the reminder bookkeeping stored with an incident so that a
// restart neither drops nor repeats a reminder.
type Reminders struct {
	// SnoozedUntil postpones the status-update nudge.
	SnoozedUntil time.Time `json:"snoozed_until,omitzero"`
	// Sent maps a reminder key (kind + due moment) to when it was sent.
	Sent map[string]time.Time `json:"sent,omitempty"`
}

// ImpactStart is when the impact began: the corrected start time, or the
// declaration when nobody corrected it. Durations are measured from it.
func (i Incident) ImpactStart() time.Time {
	if !i.StartedAt.IsZero() {
		return i.StartedAt
	}
	return i.DeclaredAt
}

// ID is the incident's identifier, INC-<n>.
func (i Incident) ID() string { return ID(i.Number) }

// Step returns the step with the given id.
func (i Incident) Step(id string) (Step, int, bool) {
	for k, s := range i.Steps {
		if s.ID == id {
			return s, k, true
		}
	}
	return Step{}, -1, false
}

// CurrentPhase is the first phase with an unfinished step; verify when all are finished.
func (i Incident) CurrentPhase() Phase {
	for _, ph := range Phases {
		for _, s := range i.Steps {
			if s.Phase == ph && !s.Finished() {
				return ph
			}
		}
	}
	return PhaseVerify
}

// PhaseSteps returns the steps of one phase in playbook order.
func (i Incident) PhaseSteps(p Phase) []Step {
	var out []Step
	for _, s := range i.Steps {
		if s.Phase == p {
			out = append(out, s)
		}
	}
	return out
}

// OpenSteps returns the unfinished steps.
func (i Incident) OpenSteps() []Step {
	var out []Step
	for _, s := range i.Steps {
		if !s.Finished() {
			out = append(out, s)
		}
	}
	return out
}

// Clone returns a deep copy, so a command never mutates the caller's value.
func (i Incident) Clone() Incident {
	c := i
	if i.Roles != nil {
		c.Roles = make(map[string]string, len(i.Roles))
		for k, v := range i.Roles {
			c.Roles[k] = v
		}
	}
	c.Steps = make([]Step, len(i.Steps))
	for k, s := range i.Steps {
		if s.Signoff != nil {
			a := *s.Signoff
			s.Signoff = &a
		}
		c.Steps[k] = s
	}
	c.Followups = append([]Followup(nil), i.Followups...)
	c.Founders = append([]string(nil), i.Founders...)
	c.Alerts, c.Pages = i.Alerts.clone(), clonePages(i.Pages)
	if i.Reminders.Sent != nil {
		c.Reminders.Sent = make(map[string]time.Time, len(i.Reminders.Sent))
		for k, v := range i.Reminders.Sent {
			c.Reminders.Sent[k] = v
		}
	}
	return c
}

// Responders lists everyone who acted on the incident, lead first.
func (i Incident) Responders() []string {
	seen := map[string]bool{}
	var out []string
	add := func(u string) {
		if u != "" && !seen[u] {
			seen[u] = true
			out = append(out, u)
		}
	}
	add(i.Lead)
	add(i.Declarer)
	for _, u := range i.Roles {
		add(u)
	}
	for _, s := range i.Steps {
		add(s.By)
		add(s.Assignee)
		if s.Signoff != nil {
			add(s.Signoff.RequestedBy)
			add(s.Signoff.ApprovedBy)
		}
	}
	return out
}

func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}

// Must-have text limits. Slack would accept more in places, but incident
// text that long is a paste accident; we refuse with a clear message
// rather than truncating silently.
const (
	MaxTitle = 5000
	MaxText  = 20000
)

func checkText(what Subject, s string, max int) (string, error) {
	t := strings.TrimSpace(s)
	if Blank(t) {
		return "", refuse(CodeBadInput, RefuseTextEmpty, what)
	}
	if len([]rune(t)) > max {
		return "", refuse(CodeBadInput, RefuseTextTooLong, what, len([]rune(t)), max)
	}
	return t, nil
}

// Blank reports whether s shows nothing: only white space and characters
// that render as nothing (format characters such as zero-width spaces and
// joiners, soft hyphens, bidi marks, tag characters; lone combining marks;
// Hangul fillers and the braille blank). Such text would pass an
// emptiness check while saying nothing, e.g. as the reason of a forced close.
func Blank(s string) bool {
	for _, r := range s {
		if !unicode.IsSpace(r) && !invisible(r) {
			return false
		}
	}
	return true
}

func invisible(r rune) bool {
	switch r {
	case '\u115f', '\u1160', '\u3164', '\uffa0', '\u2800', '\u034f':
		return true
	}
	return unicode.In(r, unicode.Cf, unicode.Mn, unicode.Variation_Selector)
}

// String makes Severity print nicely in messages.
func (s Severity) String() string { return string(s) }

var _ fmt.Stringer = Severity("")
