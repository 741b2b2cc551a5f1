package incident

import (
	"strings"
	"time"
)

// CommandKind names a change someone asks for.
type CommandKind string

// Commands that change an incident.
const (
	CmdNote            CommandKind = "note"
	CmdUpdate          CommandKind = "update"
	CmdSeverity        CommandKind = "sev"
	CmdLead            CommandKind = "lead"
	CmdRole            CommandKind = "role"
	CmdFollowup        CommandKind = "followup"
	CmdMitigated       CommandKind = "mitigated"
	CmdResolve         CommandKind = "resolve"
	CmdReopen          CommandKind = "reopen"
	CmdClose           CommandKind = "close"
	CmdStepDone        CommandKind = "step.done"
	CmdStepSkip        CommandKind = "step.skip"
	CmdStepAssign      CommandKind = "step.assign"
	CmdRequestApproval CommandKind = "step.request_approval"
	CmdApprove         CommandKind = "step.approve"
	CmdMemberJoined    CommandKind = "member_joined"
	CmdPinned          CommandKind = "pinned"
	CmdSnooze          CommandKind = "snooze"
	CmdPinnedText      CommandKind = "pinned_text"
	CmdCancel          CommandKind = "cancel"
	CmdTimes           CommandKind = "times"
	// CmdHandover passes the lead to User with an optional note (Text).
	CmdHandover CommandKind = "handover"
	// CmdReviewOwner makes User the owner of the postmortem's review.
	CmdReviewOwner CommandKind = "postmortem_owner"
)

// CommandKinds lists every command, for exhaustive tests.
var CommandKinds = []CommandKind{
	CmdNote, CmdUpdate, CmdSeverity, CmdLead, CmdRole, CmdFollowup,
	CmdMitigated, CmdResolve, CmdReopen, CmdClose, CmdStepDone, CmdStepSkip,
	CmdStepAssign, CmdRequestApproval, CmdApprove, CmdMemberJoined, CmdPinned, CmdSnooze, CmdPinnedText,
	CmdCancel, CmdTimes, CmdPage, CmdHandover, CmdReviewOwner,
}

// Command is one request to change an incident. Only the fields its Kind
// needs are read.
type Command struct {
	Kind     CommandKind
	Actor    string // Slack user id of who asked
	Text     string // note, update, follow-up, reason, pinned message text
	Severity Severity
	User     string // lead/role assignee
	Role     string
	StepID   string
	What     string // approval: what will be run
	Where    string // approval: where it will be run
	// Request is the approval request an approval answers (the number
	// its button carries); 0 when the button named none.
	Request int
	// OnlyIfNoLead marks a lead command from a reminder's "Take lead"
	// button: it offers the lead while nobody has it, and never takes it
	// from someone who took it since.
	OnlyIfNoLead bool
	Force        bool // close --force
	Until        time.Time
	At           time.Time // times: the corrected key time (Role names which)
	Ref          string    // pinned message ts, reaction name…
}

// Result is what a command produced: the new state, the timeline events,
// the effects to perform, and a short reply for the person who asked.
type Result struct {
	Incident Incident
	Events   []Event
	Effects  []Effect
	Reply    Reply
	// Refused, when set, is a refusal that is itself recorded: the events
	// (say, a refused attempt to take the lead) are committed, the state
	// is unchanged, and the person is answered with this refusal.
	Refused error
	// ClockBack is how far the clock had stepped back behind the
	// incident's latest event; the events were stamped just after that
	// event instead. Zero normally.
	ClockBack time.Duration
}

// Declaration is everything needed to open an incident.
type Declaration struct {
	Title        string
	Impact       string
	Severity     Severity // empty: the playbook's, else sev3
	Playbook     Playbook
	Declarer     string
	Responders   []string // invited besides the declarer and the playbook's list
	VerifyWindow time.Duration
	// Paging says whom to page on declaration, by severity.
	Paging PagePolicy
	// Private asks for a private incident; the playbook's private: true
	// does too.
	Private bool
	// Source is the chat message the incident was declared from (nil
	// when it was not): it becomes the first timeline event.
	Source *SourceMessage
}

// SourceMessage is a chat message an incident is declared from.
type SourceMessage struct {
	// Text is the message as written; it may be empty (a message of
	// files only) and is clipped to MaxText.
	Text string
	// Author is who wrote it ("" when no person did: a bot, a workflow).
	Author string
	// Link is its permalink, "" when it could not be had (the bot cannot
	// see that conversation).
	Link string
	// Clipped says Text is the start of a longer message.
	Clipped bool
}

// Declare opens incident number n.
func Declare(n uint64, d Declaration, now time.Time) (Result, error) {
	title, err := checkText(SubjectTitle, d.Title, MaxTitle)
	if err != nil {
		return Result{}, err
	}
	if d.Declarer == "" {
		return Result{}, refuse(CodeBadInput, RefuseNoDeclarer)
	}
	pb := d.Playbook
	if len(pb.Steps) == 0 {
		pb = DefaultPlaybook()
	}
	if err := pb.Validate(); err != nil {
		return Result{}, err
	}
	sev := d.Severity
	if sev == "" {
		sev = pb.Severity
	}
	if sev == "" {
		sev = DefaultSeverity
	}
	if !sev.Valid() {
		return Result{}, refuse(CodeBadInput, RefuseDeclareSeverity, clip(string(sev), 20))
	}
	impact := strings.TrimSpace(d.Impact)
	if len([]rune(impact)) > MaxText {
		return Result{}, refuse(CodeBadInput, RefuseImpactTooLong, len([]rune(impact)), MaxText)
	}
	window := d.VerifyWindow
	if pb.VerifyWindow > 0 {
		window = pb.VerifyWindow
	}
	now = Stamp(now)
	inc := Incident{
		Number:       n,
		Title:        title,
		Impact:       impact,
		Severity:     sev,
		Status:       StatusActive,
		Playbook:     pb.Name,
		Declarer:     d.Declarer,
		VerifyWindow: window,
		LeadChange:   pb.LeadChange,
		Private:      d.Private || pb.Private,
		DeclaredAt:   now,
		LastEventAt:  now,
	}
	for _, s := range pb.Steps {
		inc.Steps = append(inc.Steps, Step{StepDef: s, State: StepOpen})
	}
	invite := uniq(append(append([]string{d.Declarer}, d.Responders...), pb.Invite...))
	inc.Founders = append([]string(nil), invite...)
	var paged Result
	for _, t := range d.Paging.pages(sev) {
		addPage(&inc, &paged, t, "", d.Declarer, now)
	}
	var events []Event
	if m := d.Source; m != nil {
		inc.SourceURL = m.Link
		e := ev(now, d.Declarer, EvFromMessage, clip(strings.TrimSpace(m.Text), MaxText))
		e.Fields = map[string]string{}
		for k, v := range map[string]string{"author": m.Author, "link": m.Link} {
			if v != "" {
				e.Fields[k] = v
			}
		}
		if m.Clipped {
			e.Fields["clipped"] = "true"
		}
		events = append(events, e)
	}
	declared := ev(now, d.Declarer, EvDeclared, title, "severity", string(sev), "playbook", pb.Name)
	if inc.Private {
		declared.Fields["private"] = "true"
	}
	res := Result{
		Incident: inc,
		Events:   append(events, declared),
		Effects: []Effect{
			{Kind: EffCreateChannel},
			{Kind: EffPostCard},
			{Kind: EffInvite, Users: invite},
			{Kind: EffSetTopic},
			{Kind: EffAnnounce, Msg: MsgDeclared},
			{Kind: EffEphemeral, Msg: MsgDeclared, User: d.Declarer},
		},
		Reply: Reply{ReplyDeclared, []any{ID(n)}},
	}
	res.Incident = inc
	res.Events = append(res.Events, paged.Events...)
	res.Effects = append(res.Effects, paged.Effects...)
	return res, nil
}

func uniq(in []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range in {
		s = strings.TrimSpace(s)
		if s != "" && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// RecordChannel stores the channel the executor created.
func RecordChannel(inc Incident, id, name string, now time.Time) Result {
	c := inc.Clone()
	now, back := c.eventTime(now)
	c.Channel, c.ChannelName = id, name
	c.LastEventAt = now
	return Result{Incident: c, Events: []Event{ev(now, "", EvChannelCreated, name, "channel", id)}, ClockBack: back}
}

// eventTime is the time to stamp the incident's next events with: now,
// unless the clock stepped back behind the latest moment on record, in
// which case one millisecond after that moment, so the timeline stays in
// order and no duration comes out negative or zero. The step back is
// returned for the caller to log.
func (i Incident) eventTime(now time.Time) (time.Time, time.Duration) {
	now = Stamp(now)
	last := i.latest()
	if now.Before(last) {
		return last.Add(time.Millisecond), last.Sub(now)
	}
	return now, 0
}

// latest is the latest moment on the incident's record. LastEventAt
// covers it for incidents stored since it exists; the key times cover
// older ones.
func (i Incident) latest() time.Time {
	t := i.LastEventAt
	for _, x := range []time.Time{i.DeclaredAt, i.MitigatedAt, i.ResolvedAt, i.ClosedAt, i.LastUpdateAt} {
		if x.After(t) {
			t = x
		}
	}
	return t
}
