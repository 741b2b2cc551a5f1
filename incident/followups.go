package incident

import (
	"strconv"
	"time"
)

// Follow-ups after the close: each is filed as an issue, and is done once
// that issue is closed. A follow-up still open FollowupDueAfter after its
// incident closed is overdue. Follow-ups of incidents declared longer than
// FollowupHorizon ago are no longer tracked or counted.
const (
	FollowupDueAfter = 30 * 24 * time.Hour
	FollowupHorizon  = 180 * 24 * time.Hour
)

// Done reports whether the follow-up's issue was seen closed.
func (f Followup) Done() bool { return !f.ClosedAt.IsZero() }

// FollowupsOpen counts the incident's follow-ups not done yet, and of
// those the overdue ones: still open FollowupDueAfter after the close.
func (i Incident) FollowupsOpen(now time.Time) (open, overdue int) {
	for _, f := range i.Followups {
		if f.Done() {
			continue
		}
		open++
		if !i.ClosedAt.IsZero() && !now.Before(i.ClosedAt.Add(FollowupDueAfter)) {
			overdue++
		}
	}
	return open, overdue
}

// followupsLeft counts the follow-ups not done yet.
func (i Incident) followupsLeft() int {
	n := 0
	for _, f := range i.Followups {
		if !f.Done() {
			n++
		}
	}
	return n
}

// FollowupIssue is what the issue tracker says of follow-up N.
type FollowupIssue struct {
	N      int
	URL    string
	Closed bool
	// ClosedAt is when the issue was closed (the poll's time when the
	// tracker does not say).
	ClosedAt time.Time
}

// RecordFollowupIssues records the issues of the follow-ups and which of
// them are done. Each change of state is a timeline event; changed is
// false when nothing differs from what is recorded.
func RecordFollowupIssues(inc Incident, found []FollowupIssue, now time.Time) (res Result, changed bool) {
	c := inc.Clone()
	at, back := c.eventTime(now)
	for _, fi := range found {
		k := fi.N - 1
		if k < 0 || k >= len(c.Followups) {
			continue
		}
		f := &c.Followups[k]
		if fi.URL != "" && f.IssueURL != fi.URL {
			f.IssueURL, changed = fi.URL, true
		}
		switch {
		case fi.Closed && !f.Done():
			f.ClosedAt = Stamp(fi.ClosedAt)
			if f.ClosedAt.IsZero() {
				f.ClosedAt = at
			}
			res.Events = append(res.Events, ev(at, "", EvFollowupDone, "", "n", strconv.Itoa(fi.N), "url", f.IssueURL))
		case !fi.Closed && f.Done():
			f.ClosedAt = time.Time{}
			res.Events = append(res.Events, ev(at, "", EvFollowupReopened, "", "n", strconv.Itoa(fi.N), "url", f.IssueURL))
		}
	}
	if len(res.Events) > 0 {
		c.LastEventAt, changed = at, true
	}
	if !changed {
		return Result{}, false
	}
	res.Incident, res.ClockBack = c, back
	return res, true
}
