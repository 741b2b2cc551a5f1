package incident

import (
	"strconv"
	"strings"
	"time"
)

// transitions is the one table that says which command is allowed in
// which status. A missing entry is a refusal whose message comes from
// refusalFor. Commands not listed for a status are refused there.
var transitions = map[Status]map[CommandKind]bool{
	StatusActive:    allowAll(CmdReopen),
	StatusMitigated: allowAll(CmdMitigated, CmdReopen),
	StatusResolved:  allowAll(CmdMitigated, CmdResolve),
	// The text of a message pinned before the close still belongs in
	// the record, even when Slack was too slow to hand it over in time.
	// Key times are corrected after the close too, when the review
	// finds out when the impact really began, and the review's owner
	// may change once the postmortem is filed.
	StatusClosed: {CmdPinnedText: true, CmdTimes: true, CmdReviewOwner: true},
	// A cancelled incident's channel is archived: nothing more applies.
	StatusCancelled: {},
}

func allowAll(except ...CommandKind) map[CommandKind]bool {
	m := make(map[CommandKind]bool, len(CommandKinds))
	for _, k := range CommandKinds {
		m[k] = true
	}
	for _, k := range except {
		delete(m, k)
	}
	return m
}

// Allowed reports whether kind may be applied in status s, and if not,
// the refusal.
func Allowed(s Status, kind CommandKind) error {
	if transitions[s][kind] {
		return nil
	}
	return refusalFor(s, kind)
}

func refusalFor(s Status, kind CommandKind) error {
	switch {
	case s == StatusCancelled:
		return refuse(CodeCancelled, RefuseCancelledNoLonger, kind)
	case s == StatusClosed && kind == CmdCancel:
		return refuse(CodeClosed, RefuseClosedNoCancel)
	case s == StatusClosed:
		return refuse(CodeClosed, RefuseClosedNoLonger, kind)
	case kind == CmdReopen:
		return refuse(CodeInvalidTransition, RefuseReopenNotResolved, s)
	case kind == CmdMitigated && s == StatusMitigated:
		return refuse(CodeInvalidTransition, RefuseAlreadyMitigated)
	case kind == CmdMitigated || kind == CmdResolve:
		return refuse(CodeInvalidTransition, RefuseAlreadyDone, s)
	}
	return refuse(CodeInvalidTransition, RefuseNotNow, kind, s)
}

// Apply validates cmd against inc and returns the new state, events and
// effects. inc is never modified.
func Apply(inc Incident, cmd Command, now time.Time) (Result, error) {
	if err := Allowed(inc.Status, cmd.Kind); err != nil {
		return Result{}, err
	}
	if cmd.Actor == "" {
		return Result{}, refuse(CodeBadInput, RefuseNoActor)
	}
	c := inc.Clone()
	now, back := c.eventTime(now)
	r := Result{ClockBack: back}
	card := Effect{Kind: EffUpdateCard}
	topic := Effect{Kind: EffSetTopic}

	switch cmd.Kind {
	case CmdNote:
		t, err := checkText(SubjectNote, cmd.Text, MaxText)
		if err != nil {
			return r, err
		}
		r.Events = append(r.Events, ev(now, cmd.Actor, EvNote, t))
		r.Reply = Reply{ReplyNoted, []any{c.ID()}}

	case CmdUpdate:
		t, err := checkText(SubjectUpdate, cmd.Text, MaxText)
		if err != nil {
			return r, err
		}
		c.LastUpdateAt = now
		c.Reminders.SnoozedUntil = time.Time{}
		r.Events = append(r.Events, ev(now, cmd.Actor, EvStatusUpdate, t))
		at := EffectFields{By: cmd.Actor, Severity: c.Severity, Status: c.Status}
		r.Effects = append(r.Effects,
			eff(EffPost, MsgStatusUpdate, t, at),
			eff(EffAnnounce, MsgStatusUpdate, t, at), card)
		r.Reply = Reply{Phrase: ReplyUpdatePosted}

	case CmdSeverity:
		if !cmd.Severity.Valid() {
			return r, refuse(CodeBadInput, RefuseSeverityRange)
		}
		if cmd.Severity == c.Severity {
			return r, refuse(CodeNoop, RefuseSameSeverity, c.ID(), c.Severity)
		}
		from := c.Severity
		c.Severity = cmd.Severity
		r.Events = append(r.Events, ev(now, cmd.Actor, EvSeverityChanged, "",
			"from", string(from), "to", string(cmd.Severity)))
		fields := EffectFields{From: string(from), To: string(cmd.Severity), By: cmd.Actor}
		r.Effects = append(r.Effects, card, topic,
			eff(EffPost, MsgSeverityChanged, "", fields),
			eff(EffAnnounce, MsgSeverityChanged, "", fields))
		r.Reply = Reply{ReplySeverityChanged, []any{from, cmd.Severity}}

	case CmdLead:
		if cmd.User == "" {
			return r, refuse(CodeBadInput, RefuseLeadNeedsMention)
		}
		if recordLeadRefusal(&r, c, inc, cmd, now) {
			return r, nil
		}
		if cmd.User == c.Lead {
			return r, refuse(CodeNoop, RefuseSameLead)
		}
		prev := c.Lead
		c.Lead = cmd.User
		r.Events = append(r.Events, ev(now, cmd.Actor, EvLeadAssigned, "", "user", cmd.User, "previous", prev))
		// The new lead is invited: only members act on an incident.
		r.Effects = append(r.Effects, card, topic,
			eff(EffPost, MsgLeadAssigned, "", EffectFields{User: cmd.User, By: cmd.Actor}),
			Effect{Kind: EffInvite, Users: []string{cmd.User}})
		r.Reply = Reply{Phrase: ReplyLeadAssigned}

	case CmdRole:
		role := strings.ToLower(strings.TrimSpace(cmd.Role))
		if !ValidRole(role) {
			return r, refuse(CodeBadInput, RefuseRoleName)
		}
		if cmd.User == "" {
			return r, refuse(CodeBadInput, RefuseRoleNeedsMention, role)
		}
		if role == "lead" {
			return Apply(inc, Command{Kind: CmdLead, Actor: cmd.Actor, User: cmd.User, OnlyIfNoLead: cmd.OnlyIfNoLead}, now)
		}
		if c.Roles == nil {
			c.Roles = map[string]string{}
		}
		if c.Roles[role] == cmd.User {
			return r, refuse(CodeNoop, RefuseSameRole, role)
		}
		c.Roles[role] = cmd.User
		r.Events = append(r.Events, ev(now, cmd.Actor, EvRoleAssigned, "", "role", role, "user", cmd.User))
		r.Effects = append(r.Effects, card,
			eff(EffPost, MsgRoleAssigned, "", EffectFields{Role: role, User: cmd.User, By: cmd.Actor}),
			Effect{Kind: EffInvite, Users: []string{cmd.User}})
		r.Reply = Reply{ReplyRoleAssigned, []any{role}}

	case CmdFollowup:
		t, err := checkText(SubjectFollowup, cmd.Text, MaxText)
		if err != nil {
			return r, err
		}
		c.Followups = append(c.Followups, Followup{N: len(c.Followups) + 1, Text: t, By: cmd.Actor, At: now})
		r.Events = append(r.Events, ev(now, cmd.Actor, EvFollowup, t))
		r.Effects = append(r.Effects, card)
		r.Reply = Reply{ReplyFollowup, []any{len(c.Followups)}}

	case CmdMitigated:
		markMitigated(&c, &r, cmd.Actor, now, "")
		r.Reply = Reply{ReplyMitigated, []any{c.ID()}}

	case CmdResolve:
		if c.Status == StatusActive {
			markMitigated(&c, &r, cmd.Actor, now, TextImpliedByResolve)
			r.Effects = nil // one card/topic/announce set below is enough
		}
		setStatus(&c, &r, cmd.Actor, now, StatusResolved, EvResolved, "")
		c.ResolvedAt = now
		resolvePages(&c, &r)
		r.Reply = Reply{ReplyResolved, []any{c.ID()}}

	case CmdReopen:
		if err := leadOrDeclarer(c, cmd.Actor, "reopen"); err != nil {
			return r, err
		}
		reason, err := checkText(SubjectReopenReason, cmd.Text, MaxText)
		if err != nil {
			return r, refuse(CodeBadInput, RefuseReopenNeedsReason)
		}
		c.ReopenCount++
		c.ResolvedAt = time.Time{}
		c.Reminders.Sent = dropKeys(c.Reminders.Sent, "verify:")
		setStatus(&c, &r, cmd.Actor, now, StatusActive, EvReopened, reason)
		r.Reply = Reply{ReplyReopened, []any{c.ID()}}

	case CmdClose:
		if cmd.Force {
			if err := leadOrDeclarer(c, cmd.Actor, "force-close"); err != nil {
				return r, err
			}
			reason, err := checkText(SubjectReason, cmd.Text, MaxText)
			if err != nil {
				return r, refuse(CodeBadInput, RefuseForceNeedsReason)
			}
			c.ForceReason = reason
		} else if open := openVerify(c); len(open) > 0 {
			return r, refuse(CodeVerifyOpen, RefuseVerifyOpen,
				c.ID(), open)
		}
		if c.Status != StatusResolved {
			if c.MitigatedAt.IsZero() {
				c.MitigatedAt = now
			}
			c.ResolvedAt = now
		}
		setStatus(&c, &r, cmd.Actor, now, StatusClosed, EvClosed, c.ForceReason)
		c.ClosedAt = now
		r.Effects = append(r.Effects, Effect{Kind: EffPublishPostmortem})
		resolvePages(&c, &r)
		r.Reply = Reply{ReplyClosed, []any{c.ID()}}

	case CmdStepDone, CmdStepSkip, CmdStepAssign, CmdRequestApproval, CmdApprove:
		if err := applyStep(&c, &r, cmd, now); err != nil {
			return Result{}, err
		}
		r.Effects = append([]Effect{card}, r.Effects...)

	case CmdMemberJoined:
		if cmd.User == "" {
			return r, refuse(CodeBadInput, RefuseJoinNeedsUser)
		}
		r.Events = append(r.Events, ev(now, cmd.User, EvMemberJoined, "", "inviter", cmd.Actor))
		if founder := c.founderJoined(cmd.User); !founder && c.BriefOnJoin(cmd.User) {
			r.Effects = append(r.Effects, Effect{Kind: EffEphemeral, Msg: MsgBrief, User: cmd.User})
		}

	case CmdPinned:
		if cmd.Ref == "" {
			// Nothing names the message: there is nothing to record, and
			// no way to fetch its text later.
			return r, refuse(CodeBadInput, RefusePinNeedsTS)
		}
		// Pinned text is capped as notes are; it comes from Slack, so it
		// is cut rather than refused.
		t := strings.TrimSpace(cmd.Text)
		if Blank(t) {
			t = ""
		}
		r.Events = append(r.Events, ev(now, cmd.Actor, EvMessagePinned, clip(t, MaxText), "ts", cmd.Ref, "author", cmd.User))
		if t == "" {
			r.Effects = append(r.Effects, Effect{Kind: EffFetchPinned, Fields: EffectFields{TS: cmd.Ref}})
		}
		r.Reply = Reply{Phrase: ReplyPinned}

	case CmdPinnedText:
		if cmd.Ref == "" {
			return r, refuse(CodeBadInput, RefusePinnedTextNeedsTS)
		}
		t := strings.TrimSpace(cmd.Text)
		if Blank(t) {
			t = TextPinnedNone
		}
		r.Events = append(r.Events, ev(now, cmd.Actor, EvPinnedText, clip(t, MaxText), "ts", cmd.Ref, "author", cmd.User))

	case CmdSnooze:
		if !cmd.Until.After(now) {
			return r, refuse(CodeBadInput, RefuseSnoozePast)
		}
		c.Reminders.SnoozedUntil = Stamp(cmd.Until)
		r.Events = append(r.Events, ev(now, cmd.Actor, EvSnoozed, "", "until", c.Reminders.SnoozedUntil.Format(time.RFC3339)))
		r.Reply = Reply{ReplySnoozed, []any{c.Reminders.SnoozedUntil}}

	case CmdCancel:
		if err := applyCancel(&c, &r, cmd, now); err != nil {
			return Result{}, err
		}
		resolvePages(&c, &r)

	case CmdPage:
		if err := applyPage(&c, &r, cmd, now); err != nil {
			return Result{}, err
		}

	case CmdTimes:
		if err := applyTimes(&c, &r, cmd, now); err != nil {
			return Result{}, err
		}

	case CmdHandover:
		refused, err := applyHandover(&c, &r, inc, cmd, now)
		if err != nil || refused {
			return r, err
		}

	case CmdReviewOwner:
		if err := applyReviewOwner(&c, &r, cmd, now); err != nil {
			return Result{}, err
		}

	default:
		return r, refusalFor(c.Status, cmd.Kind)
	}
	if len(r.Events) > 0 {
		c.LastEventAt = now
	}
	r.Incident = c
	return r, nil
}

// leadChangeRefusal says why actor may not make cmd.User the lead, or nil.
// While nobody leads anyone may take or give the lead; after that the
// lead and the declarer may hand it on, and everyone else is refused
// unless the playbook says lead_change: anyone. A reminder's "Take lead"
// button only ever fills an empty lead: pressed after someone took it, it
// is refused even for them, so an old button cannot move the lead.
func leadChangeRefusal(c Incident, cmd Command) *Error {
	switch {
	case c.Lead == "":
		return nil
	case cmd.OnlyIfNoLead:
		if cmd.Actor == c.Lead {
			return nil // pressing it again changes nothing; answered as a no-op
		}
		return &Error{Code: CodeNotAuthorized, Phrase: RefuseLeadStaleButton, Args: []any{c.Lead, c.ID(), c.Lead}}
	case cmd.Actor == c.Lead || cmd.Actor == c.Declarer || c.LeadChange == LeadChangeAnyone:
		return nil
	}
	return &Error{Code: CodeNotAuthorized, Phrase: RefuseLeadNotAuthorized, Args: []any{c.Lead, c.ID(), c.Lead}}
}

// recordLeadRefusal reports whether the lead-change rule refuses cmd on
// c; a refused attempt is itself part of the record, committed in r with
// the incident (inc) unchanged but for its last event time.
func recordLeadRefusal(r *Result, c, inc Incident, cmd Command, now time.Time) bool {
	why := leadChangeRefusal(c, cmd)
	if why == nil {
		return false
	}
	r.Events = append(r.Events, ev(now, cmd.Actor, EvLeadRefused, "", "user", cmd.User, "lead", c.Lead, "reason", string(why.Phrase)))
	r.Refused = why
	r.Incident = inc.Clone()
	r.Incident.LastEventAt = now
	return true
}

func leadOrDeclarer(c Incident, actor, what string) error {
	if actor == c.Lead || actor == c.Declarer {
		return nil
	}
	return refuse(CodeNotAuthorized, RefuseLeadOrDeclarer, c.ID(), what)
}

func openVerify(c Incident) StepNames {
	var out StepNames
	for _, s := range c.Steps {
		if s.Phase == PhaseVerify && !s.Finished() {
			out = append(out, clip(s.Title, 60))
		}
	}
	return out
}

func dropKeys(m map[string]time.Time, prefix string) map[string]time.Time {
	for k := range m {
		if strings.HasPrefix(k, prefix) {
			delete(m, k)
		}
	}
	return m
}

func setStatus(c *Incident, r *Result, actor string, now time.Time, to Status, kind EventKind, text string) {
	from := c.Status
	c.Status = to
	r.Events = append(r.Events, ev(now, actor, kind, text, "from", string(from), "to", string(to)))
	fields := EffectFields{From: string(from), To: string(to), By: actor}
	r.Effects = append(r.Effects, Effect{Kind: EffUpdateCard}, Effect{Kind: EffSetTopic},
		eff(EffPost, MsgStatusChanged, text, fields),
		eff(EffAnnounce, MsgStatusChanged, text, fields))
}

func markMitigated(c *Incident, r *Result, actor string, now time.Time, why string) {
	if c.MitigatedAt.IsZero() || c.ReopenCount > 0 {
		c.MitigatedAt = now
	}
	setStatus(c, r, actor, now, StatusMitigated, EvMitigated, why)
}

func applyStep(c *Incident, r *Result, cmd Command, now time.Time) error {
	st, k, ok := c.Step(cmd.StepID)
	if !ok {
		return refuse(CodeUnknownStep, RefuseUnknownStep, c.ID(), clip(cmd.StepID, 64), c.Playbook)
	}
	label := StepName(clip(st.Title, 80))
	if st.Finished() && cmd.Kind != CmdStepAssign {
		return refuse(CodeStepFinished, RefuseStepFinished, label, st.State, st.By)
	}
	switch cmd.Kind {
	case CmdStepDone:
		if st.Approval && !st.Signoff.Approved() {
			if st.Signoff == nil {
				return refuse(CodeNeedsApproval, RefuseNeedsApproval, label)
			}
			return refuse(CodeNeedsApproval, RefuseAwaitsApproval, label, st.Signoff.RequestedBy)
		}
		e := ev(now, cmd.Actor, EvStepDone, st.Title, "step", st.ID, "phase", string(st.Phase))
		if st.Approval {
			a := st.Signoff
			if a.ApprovedBy == cmd.Actor {
				return refuse(CodeApproverRuns, RefuseApproverRuns, label, a.RequestedBy)
			}
			// The record names who ran it, who asked and who approved.
			e.Fields["requested_by"], e.Fields["approved_by"] = a.RequestedBy, a.ApprovedBy
			e.Fields["request"] = strconv.Itoa(a.ID)
		}
		st.State, st.By, st.At = StepDone, cmd.Actor, now
		r.Events = append(r.Events, e)
		r.Reply = Reply{ReplyStepDone, []any{label}}
	case CmdStepSkip:
		reason, err := checkText(SubjectSkipReason, cmd.Text, MaxText)
		if err != nil {
			return refuse(CodeBadInput, RefuseSkipNeedsReason, label)
		}
		st.State, st.By, st.At, st.SkipReason = StepSkipped, cmd.Actor, now, reason
		r.Events = append(r.Events, ev(now, cmd.Actor, EvStepSkipped, reason, "step", st.ID, "phase", string(st.Phase)))
		r.Reply = Reply{ReplyStepSkipped, []any{label}}
	case CmdStepAssign:
		who := cmd.User
		if who == "" {
			who = cmd.Actor
		}
		if st.Assignee == who {
			return refuse(CodeNoop, RefuseSameAssignee, label, who)
		}
		st.Assignee, st.AssignedAt = who, now
		r.Events = append(r.Events, ev(now, cmd.Actor, EvStepAssigned, st.Title, "step", st.ID, "user", who))
		r.Reply = Reply{ReplyStepAssigned, []any{label}}
	case CmdRequestApproval:
		if !st.Approval {
			return refuse(CodeNotApprovalStep, RefuseNotApprovalStep, label)
		}
		if st.Signoff.Approved() {
			return refuse(CodeAlreadyApproved, RefuseAlreadyApproved, label, st.Signoff.ApprovedBy)
		}
		what, err := checkText(SubjectWhat, cmd.What, 2000)
		if err != nil {
			return refuse(CodeBadInput, RefuseApprovalNeedsWhat, label)
		}
		where, err := checkText(SubjectWhere, cmd.Where, 500)
		if err != nil {
			return refuse(CodeBadInput, RefuseApprovalNeedsWhere, label)
		}
		id := st.Requests + 1
		if old := st.Signoff; old != nil && old.ID >= id {
			id = old.ID + 1
		}
		if old := st.Signoff; old != nil {
			// The pending request is withdrawn: its Approve button stops
			// working and is replaced, so nobody approves a command that
			// is no longer the one that will be run.
			oid := strconv.Itoa(old.ID)
			r.Events = append(r.Events, ev(now, cmd.Actor, EvApprovalWithdrawn, st.Title, "step", st.ID, "request", oid,
				"requested_by", old.RequestedBy, "replaced_by", strconv.Itoa(id)))
			r.Effects = append(r.Effects, eff(EffWithdrawApproval, "", st.Title, EffectFields{Step: st.ID, Request: old.ID,
				RequestedBy: old.RequestedBy, By: cmd.Actor, What: old.What, Where: old.Where}))
		}
		st.Requests = id
		rid := strconv.Itoa(id)
		st.Signoff = &Approval{ID: id, RequestedBy: cmd.Actor, RequestedAt: now, What: what, Where: where}
		r.Events = append(r.Events, ev(now, cmd.Actor, EvApprovalRequested, st.Title, "step", st.ID, "what", what, "where", where, "request", rid))
		r.Effects = append(r.Effects, eff(EffPost, MsgApprovalAsked, st.Title, EffectFields{Step: st.ID, By: cmd.Actor, What: what, Where: where, Request: id}))
		r.Reply = Reply{ReplyApprovalRequested, []any{label}}
	case CmdApprove:
		a := st.Signoff
		if !st.Approval {
			return refuse(CodeNotApprovalStep, RefuseApproveOrdinary, label)
		}
		if a == nil {
			return refuse(CodeNoRequest, RefuseNoRequest, label)
		}
		if a.Approved() {
			return refuse(CodeAlreadyApproved, RefuseAlreadyApproved, label, a.ApprovedBy)
		}
		if cmd.Request != a.ID {
			if cmd.Request == 0 {
				return refuse(CodeWithdrawn, RefuseApproveNoRequestID, label, a.RequestedBy)
			}
			return refuse(CodeWithdrawn, RefuseApprovalWithdrawn,
				label, a.RequestedBy, a.ID)
		}
		if a.RequestedBy == cmd.Actor {
			return refuse(CodeSelfApproval, RefuseSelfApproval, label)
		}
		a.ApprovedBy, a.ApprovedAt = cmd.Actor, now
		// The approval records exactly what the approver was shown.
		rid := strconv.Itoa(a.ID)
		r.Events = append(r.Events, ev(now, cmd.Actor, EvApprovalGranted, st.Title, "step", st.ID, "requested_by", a.RequestedBy,
			"request", rid, "what", a.What, "where", a.Where))
		r.Effects = append(r.Effects, eff(EffPost, MsgApproved, st.Title, EffectFields{Step: st.ID, By: cmd.Actor, RequestedBy: a.RequestedBy, Request: a.ID}))
		r.Reply = Reply{ReplyApproved, []any{label}}
	}
	c.Steps[k] = st
	if cmd.Kind == CmdStepDone || cmd.Kind == CmdStepSkip {
		if c.Status == StatusActive && phaseFinished(*c, PhaseStopBleeding) {
			markMitigated(c, r, cmd.Actor, now, TextStopStepsDone)
		}
	}
	return nil
}

func phaseFinished(c Incident, p Phase) bool {
	n := 0
	for _, s := range c.Steps {
		if s.Phase == p {
			n++
			if !s.Finished() {
				return false
			}
		}
	}
	return n > 0
}
