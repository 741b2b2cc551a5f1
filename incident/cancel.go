package incident

import (
	"time"
)

// CancelWindow is how long after its declaration an incident may be
// cancelled. Cancel is for an incident declared by mistake; one that has
// run longer than this is real work and is closed instead, with its
// postmortem.
const CancelWindow = 10 * time.Minute

// applyCancel ends an incident declared by mistake: no postmortem, the
// channel archived, the announcement corrected. The number stays used.
func applyCancel(c *Incident, r *Result, cmd Command, now time.Time) error {
	if err := leadOrDeclarer(*c, cmd.Actor, "cancel"); err != nil {
		return err
	}
	if age := now.Sub(c.DeclaredAt); age > CancelWindow {
		return refuse(CodeCancelTooLate, RefuseCancelTooLate,
			c.ID(), age, int(CancelWindow/time.Minute))
	}
	reason, err := checkText(SubjectReason, cmd.Text, MaxText)
	if err != nil {
		return refuse(CodeBadInput, RefuseCancelNeedsReason, c.ID())
	}
	from := c.Status
	c.Status = StatusCancelled
	c.CancelledAt = now
	c.CancelReason = reason
	r.Events = append(r.Events, ev(now, cmd.Actor, EvCancelled, reason, "from", string(from), "to", string(StatusCancelled)))
	fields := EffectFields{From: string(from), To: string(StatusCancelled), By: cmd.Actor}
	r.Effects = append(r.Effects,
		Effect{Kind: EffUpdateCard},
		eff(EffPost, MsgCancelled, reason, fields),
		eff(EffCorrectAnnouncement, MsgCancelled, reason, fields),
		Effect{Kind: EffArchiveChannel},
	)
	r.Reply = Reply{ReplyCancelled, []any{c.ID()}}
	return nil
}

// RecordAnnouncement stores the ts of the declaration's message in the
// announce channel, so that a cancel can correct it in place.
func RecordAnnouncement(inc Incident, ts string) Result {
	c := inc.Clone()
	c.AnnounceTS = ts
	return Result{Incident: c}
}
