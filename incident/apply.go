package incident

import (
	"fmt"
	"regexp"
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
	// finds out when the impact really began.
	StatusClosed: {CmdPinnedText: true, CmdTimes: true},
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
		return refuse(CodeCancelled, "this incident was cancelled as declared by mistake, so `%s` no longer applies. Declare a new incident with `/incident new <title>` if there is a real problem.", kind)
	case s == StatusClosed && kind == CmdCancel:
		return refuse(CodeClosed, "this incident is closed, so it can no longer be cancelled.")
	case s == StatusClosed:
		return refuse(CodeClosed, "this incident is closed, so `%s` no longer applies. Declare a new incident with `/incident new <title>` if the problem is back.", kind)
	case kind == CmdReopen:
		return refuse(CodeInvalidTransition, "only a resolved incident can be reopened; this one is %s.", s)
	case kind == CmdMitigated && s == StatusMitigated:
		return refuse(CodeInvalidTransition, "the incident is already mitigated.")
	case kind == CmdMitigated || kind == CmdResolve:
		return refuse(CodeInvalidTransition, "the incident is already %s; use `reopen <reason>` if the fix did not hold.", s)
	}
	return refuse(CodeInvalidTransition, "the `%s` command is not possible while the incident is %s.", kind, s)
}

var roleName = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,29}$`)

// Apply validates cmd against inc and returns the new state, events and
// effects. inc is never modified.
func Apply(inc Incident, cmd Command, now time.Time) (Result, error) {
	if err := Allowed(inc.Status, cmd.Kind); err != nil {
		return Result{}, err
	}
	if cmd.Actor == "" {
		return Result{}, refuse(CodeBadInput, "a command needs an acting user")
	}
	c := inc.Clone()
	now, back := c.eventTime(now)
	r := Result{ClockBack: back}
	card := Effect{Kind: EffUpdateCard}
	topic := Effect{Kind: EffSetTopic}

	switch cmd.Kind {
	case CmdNote:
		t, err := checkText("the note", cmd.Text, MaxText)
		if err != nil {
			return r, err
		}
		r.Events = append(r.Events, ev(now, cmd.Actor, EvNote, t))
		r.Reply = "Note added to the timeline of " + c.ID() + "."

	case CmdUpdate:
		t, err := checkText("the status update", cmd.Text, MaxText)
		if err != nil {
			return r, err
		}
		c.LastUpdateAt = now
		c.Reminders.SnoozedUntil = time.Time{}
		r.Events = append(r.Events, ev(now, cmd.Actor, EvStatusUpdate, t))
		r.Effects = append(r.Effects,
			eff(EffPost, MsgStatusUpdate, t, EffectFields{By: cmd.Actor}),
			eff(EffAnnounce, MsgStatusUpdate, t, EffectFields{By: cmd.Actor}), card)
		r.Reply = "Status update posted here and in the announce channel."

	case CmdSeverity:
		if !cmd.Severity.Valid() {
			return r, refuse(CodeBadInput, "severity must be sev1–sev4 (sev1 is the worst).")
		}
		if cmd.Severity == c.Severity {
			return r, refuse(CodeNoop, "%s is already %s.", c.ID(), c.Severity)
		}
		from := c.Severity
		c.Severity = cmd.Severity
		r.Events = append(r.Events, ev(now, cmd.Actor, EvSeverityChanged, "",
			"from", string(from), "to", string(cmd.Severity)))
		fields := EffectFields{From: string(from), To: string(cmd.Severity), By: cmd.Actor}
		r.Effects = append(r.Effects, card, topic,
			eff(EffPost, MsgSeverityChanged, "", fields),
			eff(EffAnnounce, MsgSeverityChanged, "", fields))
		r.Reply = fmt.Sprintf("Severity changed from %s to %s.", from, cmd.Severity)

	case CmdLead:
		if cmd.User == "" {
			return r, refuse(CodeBadInput, "name the new lead with a mention: `/incident lead @name`.")
		}
		if why := leadChangeRefusal(c, cmd); why != nil {
			// A refused attempt is itself part of the record: it is
			// committed with the incident unchanged.
			r.Events = append(r.Events, ev(now, cmd.Actor, EvLeadRefused, why.Msg, "user", cmd.User, "lead", c.Lead))
			r.Refused = why
			r.Incident = inc.Clone()
			r.Incident.LastEventAt = now
			return r, nil
		}
		if cmd.User == c.Lead {
			return r, refuse(CodeNoop, "that person is already the lead.")
		}
		prev := c.Lead
		c.Lead = cmd.User
		r.Events = append(r.Events, ev(now, cmd.Actor, EvLeadAssigned, "", "user", cmd.User, "previous", prev))
		// The new lead is invited: only members act on an incident.
		r.Effects = append(r.Effects, card, topic,
			eff(EffPost, MsgLeadAssigned, "", EffectFields{User: cmd.User, By: cmd.Actor}),
			Effect{Kind: EffInvite, Users: []string{cmd.User}})
		r.Reply = "Lead assigned."

	case CmdRole:
		role := strings.ToLower(strings.TrimSpace(cmd.Role))
		if !roleName.MatchString(role) {
			return r, refuse(CodeBadInput, "a role name is one word of a-z, 0-9, - or _ (for example `comms` or `scribe`): `/incident role comms @name`.")
		}
		if cmd.User == "" {
			return r, refuse(CodeBadInput, "name who takes the role with a mention: `/incident role %s @name`.", role)
		}
		if role == "lead" {
			return Apply(inc, Command{Kind: CmdLead, Actor: cmd.Actor, User: cmd.User, OnlyIfNoLead: cmd.OnlyIfNoLead}, now)
		}
		if c.Roles == nil {
			c.Roles = map[string]string{}
		}
		if c.Roles[role] == cmd.User {
			return r, refuse(CodeNoop, "that person already has the %s role.", role)
		}
		c.Roles[role] = cmd.User
		r.Events = append(r.Events, ev(now, cmd.Actor, EvRoleAssigned, "", "role", role, "user", cmd.User))
		r.Effects = append(r.Effects, card,
			eff(EffPost, MsgRoleAssigned, "", EffectFields{Role: role, User: cmd.User, By: cmd.Actor}),
			Effect{Kind: EffInvite, Users: []string{cmd.User}})
		r.Reply = "Role " + role + " assigned."

	case CmdFollowup:
		t, err := checkText("the follow-up", cmd.Text, MaxText)
		if err != nil {
			return r, err
		}
		c.Followups = append(c.Followups, Followup{N: len(c.Followups) + 1, Text: t, By: cmd.Actor, At: now})
		r.Events = append(r.Events, ev(now, cmd.Actor, EvFollowup, t))
		r.Effects = append(r.Effects, card)
		r.Reply = fmt.Sprintf("Follow-up #%d recorded for the postmortem.", len(c.Followups))

	case CmdMitigated:
		markMitigated(&c, &r, cmd.Actor, now, "")
		r.Reply = c.ID() + " marked mitigated."

	case CmdResolve:
		if c.Status == StatusActive {
			markMitigated(&c, &r, cmd.Actor, now, "implied by resolve")
			r.Effects = nil // one card/topic/announce set below is enough
		}
		setStatus(&c, &r, cmd.Actor, now, StatusResolved, EvResolved, "")
		c.ResolvedAt = now
		r.Reply = c.ID() + " resolved. Finish the verify steps, then close it."

	case CmdReopen:
		if err := leadOrDeclarer(c, cmd.Actor, "reopen"); err != nil {
			return r, err
		}
		reason, err := checkText("the reason for reopening", cmd.Text, MaxText)
		if err != nil {
			return r, refuse(CodeBadInput, "say why it is being reopened: `/incident reopen <reason>`.")
		}
		c.ReopenCount++
		c.ResolvedAt = time.Time{}
		c.Reminders.Sent = dropKeys(c.Reminders.Sent, "verify:")
		setStatus(&c, &r, cmd.Actor, now, StatusActive, EvReopened, reason)
		r.Reply = c.ID() + " reopened; the earlier resolution is recorded as a false resolution."

	case CmdClose:
		if cmd.Force {
			if err := leadOrDeclarer(c, cmd.Actor, "force-close"); err != nil {
				return r, err
			}
			reason, err := checkText("the reason", cmd.Text, MaxText)
			if err != nil {
				return r, refuse(CodeBadInput, "a forced close needs a reason: `/incident close --force <reason>`.")
			}
			c.ForceReason = reason
		} else if open := openVerify(c); len(open) > 0 {
			return r, refuse(CodeVerifyOpen, "%s cannot close while verify steps are open: %s. Finish or skip them, or use `/incident close --force <reason>`.",
				c.ID(), strings.Join(open, ", "))
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
		r.Reply = c.ID() + " closed. The postmortem draft is being filed."

	case CmdStepDone, CmdStepSkip, CmdStepAssign, CmdRequestApproval, CmdApprove:
		if err := applyStep(&c, &r, cmd, now); err != nil {
			return Result{}, err
		}
		r.Effects = append([]Effect{card}, r.Effects...)

	case CmdMemberJoined:
		if cmd.User == "" {
			return r, refuse(CodeBadInput, "a member_joined event needs a user")
		}
		r.Events = append(r.Events, ev(now, cmd.User, EvMemberJoined, "", "inviter", cmd.Actor))

	case CmdPinned:
		if cmd.Ref == "" {
			// Nothing names the message: there is nothing to record, and
			// no way to fetch its text later.
			return r, refuse(CodeBadInput, "a pin needs the pinned message's ts")
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
		r.Reply = "Pinned to the timeline."

	case CmdPinnedText:
		if cmd.Ref == "" {
			return r, refuse(CodeBadInput, "pinned text needs the message ts")
		}
		t := strings.TrimSpace(cmd.Text)
		if Blank(t) {
			t = "(no text: the message has none, or is no longer available)"
		}
		r.Events = append(r.Events, ev(now, cmd.Actor, EvPinnedText, clip(t, MaxText), "ts", cmd.Ref, "author", cmd.User))

	case CmdSnooze:
		if !cmd.Until.After(now) {
			return r, refuse(CodeBadInput, "a snooze must end in the future")
		}
		c.Reminders.SnoozedUntil = Stamp(cmd.Until)
		r.Events = append(r.Events, ev(now, cmd.Actor, EvSnoozed, "", "until", c.Reminders.SnoozedUntil.Format(time.RFC3339)))
		r.Reply = "Status-update reminder snoozed until " + c.Reminders.SnoozedUntil.Format("15:04 UTC") + "."

	case CmdCancel:
		if err := applyCancel(&c, &r, cmd, now); err != nil {
			return Result{}, err
		}

	case CmdTimes:
		if err := applyTimes(&c, &r, cmd, now); err != nil {
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
		return &Error{Code: CodeNotAuthorized, Msg: fmt.Sprintf(
			"<@%s> has led %s since this reminder was sent, so its button no longer applies. To change the lead, <@%s> or the person who declared it runs `/incident lead @name`.",
			c.Lead, c.ID(), c.Lead)}
	case cmd.Actor == c.Lead || cmd.Actor == c.Declarer || c.LeadChange == LeadChangeAnyone:
		return nil
	}
	return &Error{Code: CodeNotAuthorized, Msg: fmt.Sprintf(
		"only the current lead (<@%s>) or the person who declared %s may change its lead. Ask <@%s> to run `/incident lead @name`; this attempt is recorded on the timeline.",
		c.Lead, c.ID(), c.Lead)}
}

func leadOrDeclarer(c Incident, actor, what string) error {
	if actor == c.Lead || actor == c.Declarer {
		return nil
	}
	return refuse(CodeNotAuthorized, "only the incident lead or the person who declared %s may %s it.", c.ID(), what)
}

func openVerify(c Incident) []string {
	var out []string
	for _, s := range c.Steps {
		if s.Phase == PhaseVerify && !s.Finished() {
			out = append(out, "“"+clip(s.Title, 60)+"”")
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
		return refuse(CodeUnknownStep, "%s has no step %q; the card may be out of date (its checklist comes from the %s playbook).", c.ID(), clip(cmd.StepID, 64), c.Playbook)
	}
	label := "“" + clip(st.Title, 80) + "”"
	if st.Finished() && cmd.Kind != CmdStepAssign {
		return refuse(CodeStepFinished, "step %s is already %s by <@%s>.", label, st.State, st.By)
	}
	switch cmd.Kind {
	case CmdStepDone:
		if st.Approval && !st.Signoff.Approved() {
			if st.Signoff == nil {
				return refuse(CodeNeedsApproval, "step %s needs a second person's approval before it is done: press “Request approval”, say what will be run and where, then someone else approves.", label)
			}
			return refuse(CodeNeedsApproval, "step %s is waiting for approval from someone other than <@%s>.", label, st.Signoff.RequestedBy)
		}
		e := ev(now, cmd.Actor, EvStepDone, st.Title, "step", st.ID, "phase", string(st.Phase))
		if st.Approval {
			a := st.Signoff
			if a.ApprovedBy == cmd.Actor {
				return refuse(CodeApproverRuns, "you approved step %s, so someone else must run it and mark it done: usually <@%s>, who asked for the approval. Two people are needed: one runs, one approves.", label, a.RequestedBy)
			}
			// The record names who ran it, who asked and who approved.
			e.Fields["requested_by"], e.Fields["approved_by"] = a.RequestedBy, a.ApprovedBy
			e.Fields["request"] = strconv.Itoa(a.ID)
		}
		st.State, st.By, st.At = StepDone, cmd.Actor, now
		r.Events = append(r.Events, e)
		r.Reply = "Done: " + label + "."
	case CmdStepSkip:
		reason, err := checkText("the reason for skipping", cmd.Text, MaxText)
		if err != nil {
			return refuse(CodeBadInput, "skipping step %s needs a reason.", label)
		}
		st.State, st.By, st.At, st.SkipReason = StepSkipped, cmd.Actor, now, reason
		r.Events = append(r.Events, ev(now, cmd.Actor, EvStepSkipped, reason, "step", st.ID, "phase", string(st.Phase)))
		r.Reply = "Skipped: " + label + "."
	case CmdStepAssign:
		who := cmd.User
		if who == "" {
			who = cmd.Actor
		}
		if st.Assignee == who {
			return refuse(CodeNoop, "step %s is already assigned to <@%s>.", label, who)
		}
		st.Assignee, st.AssignedAt = who, now
		r.Events = append(r.Events, ev(now, cmd.Actor, EvStepAssigned, st.Title, "step", st.ID, "user", who))
		r.Reply = "Assigned: " + label + "."
	case CmdRequestApproval:
		if !st.Approval {
			return refuse(CodeNotApprovalStep, "step %s does not need approval; mark it done directly.", label)
		}
		if st.Signoff.Approved() {
			return refuse(CodeAlreadyApproved, "step %s is already approved by <@%s>.", label, st.Signoff.ApprovedBy)
		}
		what, err := checkText("what will be run", cmd.What, 2000)
		if err != nil {
			return refuse(CodeBadInput, "say exactly what will be run for step %s.", label)
		}
		where, err := checkText("where it will be run", cmd.Where, 500)
		if err != nil {
			return refuse(CodeBadInput, "say where (which host, cluster or database) step %s will be run.", label)
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
		r.Reply = "Approval requested for " + label + "; someone else must approve it."
	case CmdApprove:
		a := st.Signoff
		if !st.Approval {
			return refuse(CodeNotApprovalStep, "step %s does not need approval.", label)
		}
		if a == nil {
			return refuse(CodeNoRequest, "nobody has requested approval for step %s yet: the person who will run it presses “Request approval” first and says what and where.", label)
		}
		if a.Approved() {
			return refuse(CodeAlreadyApproved, "step %s is already approved by <@%s>.", label, a.ApprovedBy)
		}
		if cmd.Request != a.ID {
			if cmd.Request == 0 {
				return refuse(CodeWithdrawn, "this Approve button does not say which request for step %s it answers, so it cannot be used. Read the current request on the card (asked by <@%s>), then press Approve there.", label, a.RequestedBy)
			}
			return refuse(CodeWithdrawn, "the request you are approving for step %s was withdrawn: <@%s> replaced it with a new one (request #%d), which may run something else. Nothing was approved. Read the new request in the channel, then press Approve under it.",
				label, a.RequestedBy, a.ID)
		}
		if a.RequestedBy == cmd.Actor {
			return refuse(CodeSelfApproval, "you requested approval for step %s, so a different person must approve it.", label)
		}
		a.ApprovedBy, a.ApprovedAt = cmd.Actor, now
		// The approval records exactly what the approver was shown.
		rid := strconv.Itoa(a.ID)
		r.Events = append(r.Events, ev(now, cmd.Actor, EvApprovalGranted, st.Title, "step", st.ID, "requested_by", a.RequestedBy,
			"request", rid, "what", a.What, "where", a.Where))
		r.Effects = append(r.Effects, eff(EffPost, MsgApproved, st.Title, EffectFields{Step: st.ID, By: cmd.Actor, RequestedBy: a.RequestedBy, Request: a.ID}))
		r.Reply = "Approved: " + label + "."
	}
	c.Steps[k] = st
	if cmd.Kind == CmdStepDone || cmd.Kind == CmdStepSkip {
		if c.Status == StatusActive && phaseFinished(*c, PhaseStopBleeding) {
			markMitigated(c, r, cmd.Actor, now, "every stop-the-bleeding step is finished")
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
