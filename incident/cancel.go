package incident

import (
	"fmt"
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
		return refuse(CodeCancelTooLate,
			"%s was declared %s ago, and only an incident declared by mistake can be cancelled, within its first %d minutes. Close it instead: `/incident close --force <reason>`; the postmortem can say it was a false alarm.",
			c.ID(), roundMinutes(age), int(CancelWindow/time.Minute))
	}
	reason, err := checkText("the reason", cmd.Text, MaxText)
	if err != nil {
		return refuse(CodeBadInput, "say why %s is cancelled: `/incident cancel <reason>`, for example `/incident cancel declared by mistake`.", c.ID())
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
	r.Reply = c.ID() + " is cancelled: its channel is being archived and the announcement corrected. No postmortem is filed."
	return nil
}

// roundMinutes says how long ago, to the minute, for a refusal.
func roundMinutes(d time.Duration) string {
	m := int((d + 30*time.Second) / time.Minute)
	if m == 1 {
		return "1 minute"
	}
	return fmt.Sprintf("%d minutes", m)
}

// RecordAnnouncement stores the ts of the declaration's message in the
// announce channel, so that a cancel can correct it in place.
func RecordAnnouncement(inc Incident, ts string) Result {
	c := inc.Clone()
	c.AnnounceTS = ts
	return Result{Incident: c}
}
