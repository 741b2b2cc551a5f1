package incident

import (
	"strings"
	"time"
)

// Postmortem review: the postmortem has an owner (whoever was made it
// with `postmortem owner`, else the lead, else the declarer) and a review due date counted from the close — 3 calendar
// days for sev1, 5 business days for sev2, 10 for sev3 and sev4. The
// owner is reminded the day before and when it is overdue, until the
// postmortem issue is closed or labelled reviewed.

// Review reminder kinds.
const (
	// ReminderReviewSoon is the DM to the owner the day before the review is due.
	ReminderReviewSoon ReminderKind = "review_soon"
	// ReminderReviewOverdue is the DM to the owner once the review is overdue.
	ReminderReviewOverdue ReminderKind = "review_overdue"
)

// ReviewOwner is who owns the postmortem's review: whoever was made its
// owner, else the lead, else the declarer.
func (i Incident) ReviewOwner() string {
	if i.ReviewOwnerID != "" {
		return i.ReviewOwnerID
	}
	return i.owner()
}

// applyReviewOwner makes cmd.User the owner of the postmortem's review.
// The lead, the declarer and the current owner may choose; the review
// reminders go to the new owner from then on.
func applyReviewOwner(c *Incident, r *Result, cmd Command, now time.Time) error {
	if cmd.User == "" {
		return refuse(CodeBadInput, RefuseReviewOwnerNeedsMention)
	}
	prev := c.ReviewOwner()
	if cmd.Actor != c.Lead && cmd.Actor != c.Declarer && cmd.Actor != prev {
		return refuse(CodeNotAuthorized, RefuseReviewOwnerNotAllowed, c.ID(), Mention(prev))
	}
	if cmd.User == prev {
		return refuse(CodeNoop, RefuseReviewOwnerSame, Mention(prev), c.ID())
	}
	c.ReviewOwnerID = cmd.User
	r.Events = append(r.Events, ev(now, cmd.Actor, EvReviewOwner, "", "from", prev, "to", cmd.User))
	r.Effects = append(r.Effects, eff(EffPost, MsgReviewOwner, "", EffectFields{User: cmd.User, From: prev, By: cmd.Actor}))
	r.Reply = Reply{ReplyReviewOwnerSet, []any{Mention(cmd.User), c.ID()}}
	return nil
}

// ReviewDue is when the postmortem's review is due (zero before close).
func ReviewDue(inc Incident, loc *time.Location) time.Time {
	if inc.ClosedAt.IsZero() {
		return time.Time{}
	}
	switch inc.Severity {
	case Sev1:
		return inc.ClosedAt.AddDate(0, 0, 3)
	case Sev2:
		return AddBusinessDays(inc.ClosedAt, 5, loc).UTC()
	}
	return AddBusinessDays(inc.ClosedAt, 10, loc).UTC()
}

// ReviewPending reports whether the incident's filed postmortem still
// awaits its review.
func (i Incident) ReviewPending() bool {
	return i.Status == StatusClosed && i.ReviewedAt.IsZero() && strings.HasPrefix(i.PostmortemURL, "http")
}

// reviewReminders adds the review reminders of a closed incident.
func reviewReminders(inc Incident, loc *time.Location, add func(ReminderKind, time.Time, string, string)) {
	if !inc.ReviewPending() {
		return
	}
	due := ReviewDue(inc, loc)
	add(ReminderReviewSoon, due.Add(-24*time.Hour), inc.ReviewOwner(), "")
	add(ReminderReviewOverdue, due, inc.ReviewOwner(), "")
}

func isReviewReminder(k ReminderKind) bool {
	return k == ReminderReviewSoon || k == ReminderReviewOverdue
}

// RecordReviewed records that the postmortem issue was closed or labelled
// reviewed on GitHub; the reminders stop. A second report is a no-op.
func RecordReviewed(inc Incident, how string, now time.Time) (Result, error) {
	if !inc.ReviewedAt.IsZero() {
		return Result{}, refuse(CodeNoop, RefuseReviewedAlready, inc.ID())
	}
	c := inc.Clone()
	now, back := c.eventTime(now)
	c.ReviewedAt, c.ReviewedHow, c.LastEventAt = now, how, now
	return Result{Incident: c, Events: []Event{ev(now, "", EvReviewed, "", "how", how)}, ClockBack: back}, nil
}
