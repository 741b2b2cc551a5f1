package incident

import (
	"time"
)

// Handover, the joiner's brief and who may see a private incident.

// Message kinds of the handover and the brief.
const (
	// MsgHandover says in the channel that the lead was handed over
	// (Fields: User the new lead, From the old, By who did it; Text the note).
	MsgHandover MessageKind = "handover"
	// MsgBrief is the brief of the incident, rendered from its timeline
	// when it is sent: an ephemeral to someone who joined its channel, or
	// a DM to an incoming lead (Fields.By who handed over, Text the note).
	MsgBrief MessageKind = "brief"
)

// applyHandover passes the lead to cmd.User. The lead-change rule is the
// one `lead` follows; a refused attempt is recorded (recordLeadRefusal).
// The incoming lead is invited and sent the brief with the note, and the
// reminders, which always go to the current lead, follow.
func applyHandover(c *Incident, r *Result, inc Incident, cmd Command, now time.Time) (bool, error) {
	if cmd.User == "" {
		return false, refuse(CodeBadInput, RefuseHandoverNeedsMention)
	}
	note := ""
	if !Blank(cmd.Text) {
		t, err := checkText(SubjectNote, cmd.Text, MaxText)
		if err != nil {
			return false, err
		}
		note = t
	}
	if recordLeadRefusal(r, *c, inc, cmd, now) {
		return true, nil
	}
	if cmd.User == c.Lead {
		return false, refuse(CodeNoop, RefuseHandoverSame, Mention(c.Lead))
	}
	prev := c.Lead
	c.Lead = cmd.User
	r.Events = append(r.Events, ev(now, cmd.Actor, EvHandover, note, "from", prev, "to", cmd.User))
	fields := EffectFields{User: cmd.User, From: prev, By: cmd.Actor}
	r.Effects = append(r.Effects, Effect{Kind: EffUpdateCard}, Effect{Kind: EffSetTopic},
		eff(EffPost, MsgHandover, note, fields),
		Effect{Kind: EffInvite, Users: []string{cmd.User}},
		Effect{Kind: EffDM, Msg: MsgBrief, User: cmd.User, Text: note, Fields: fields})
	r.Reply = Reply{ReplyHandedOver, []any{Mention(cmd.User)}}
	return false, nil
}

// BriefOnJoin reports whether user, having joined the incident channel,
// is sent the brief: everyone but the declarer (who opened it) and the
// lead (who got the brief with the handover, or took the lead knowing).
func (c Incident) BriefOnJoin(user string) bool {
	return user != "" && user != c.Declarer && user != c.Lead
}

// founderJoined takes user off the founders, reporting whether they were
// one (whose first join brings no brief).
func (c *Incident) founderJoined(user string) bool {
	for i, f := range c.Founders {
		if f == user {
			c.Founders = append(c.Founders[:i:i], c.Founders[i+1:]...)
			return true
		}
	}
	return false
}

// BriefEvents is how many of the latest timeline events a brief shows.
const BriefEvents = 5

// PhaseSteps is one phase's open steps.
type PhaseSteps struct {
	Phase Phase
	Steps []Step
}

// Brief is what someone arriving in an incident needs, built from the
// state and the timeline: how old it is, the latest status update, the
// open steps by phase and the latest events (joins left out: the
// newest would be the reader's own).
type Brief struct {
	Incident   Incident
	Age        time.Duration
	LastUpdate *Event
	Open       []PhaseSteps
	Recent     []Event
}

// MakeBrief builds the brief of inc at now from its timeline.
func MakeBrief(inc Incident, events []Event, now time.Time) Brief {
	b := Brief{Incident: inc, Age: now.Sub(inc.DeclaredAt)}
	if b.Age < 0 {
		b.Age = 0
	}
	for _, ph := range Phases {
		var open []Step
		for _, s := range inc.PhaseSteps(ph) {
			if !s.Finished() {
				open = append(open, s)
			}
		}
		if len(open) > 0 {
			b.Open = append(b.Open, PhaseSteps{Phase: ph, Steps: open})
		}
	}
	var recent []Event
	for i := len(events) - 1; i >= 0; i-- {
		e := events[i]
		if e.Kind == EvStatusUpdate && b.LastUpdate == nil {
			u := e
			b.LastUpdate = &u
		}
		if e.Kind != EvMemberJoined && len(recent) < BriefEvents {
			recent = append(recent, e)
		}
	}
	for i := len(recent) - 1; i >= 0; i-- {
		b.Recent = append(b.Recent, recent[i])
	}
	return b
}

// Visible reports whether inc's title and details may be shown to
// someone: always for an incident that is not private; for a private one
// only to a member of its channel (member says whether they are one).
func (c Incident) Visible(member bool) bool { return !c.Private || member }
