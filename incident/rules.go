package incident

import (
	"regexp"
	"sort"
	"time"
)

// The rules the edges ask about, answered once here.

// DefaultPlaybookName is the playbook a declaration uses when it names
// none.
const DefaultPlaybookName = "general"

// UserIDPattern is the shape of a Slack user id (U… or, on Enterprise
// Grid, W…), unanchored, for the edges that read ids out of mentions.
const UserIDPattern = `[UW][A-Z0-9]{1,30}`

var (
	userID   = regexp.MustCompile(`^` + UserIDPattern + `$`)
	roleName = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,29}$`)
)

// ValidUserID reports whether s is a Slack user id.
func ValidUserID(s string) bool { return userID.MatchString(s) }

// ValidRole reports whether s can name a role: one word of a-z, 0-9, -
// or _, starting with a letter, at most 30 long.
func ValidRole(s string) bool { return roleName.MatchString(s) }

// Owner is who answers for the incident: its lead, else whoever
// declared it.
func (c Incident) Owner() string {
	if c.Lead != "" {
		return c.Lead
	}
	return c.Declarer
}

// StepActions lists what can be done to step st from the card, the main
// action first: request approval, approve or done, then skip and assign.
// It is empty when the step is finished or the incident no longer open.
func (c Incident) StepActions(st Step) []CommandKind {
	if st.Finished() || !c.Status.Open() {
		return nil
	}
	first := CmdStepDone
	switch {
	case st.Approval && st.Signoff == nil:
		first = CmdRequestApproval
	case st.Approval && !st.Signoff.Approved():
		first = CmdApprove
	}
	return []CommandKind{first, CmdStepSkip, CmdStepAssign}
}

// NeedsForm reports whether command kind, pressed as a button (on step
// stepID, for step commands), must first ask the person for text in a
// form: why a step is skipped, what an approval will run and where, a
// status update, why the incident is reopened. It is false when the
// command would be refused anyway, so that the refusal comes at once.
func (c Incident) NeedsForm(kind CommandKind, stepID string) bool {
	if Allowed(c.Status, kind) != nil {
		return false
	}
	switch kind {
	case CmdUpdate, CmdReopen:
		return true
	case CmdStepSkip, CmdRequestApproval:
		st, _, ok := c.Step(stepID)
		if !ok || st.Finished() {
			return false
		}
		return kind == CmdStepSkip || st.Approval && !st.Signoff.Approved()
	}
	return false
}

// QuietAfter is how long an active incident may go without a status
// update before the daily digest flags it.
const QuietAfter = 4 * time.Hour

// Quiet reports whether inc is active and has had no status update yet,
// or none for longer than QuietAfter at now, and since when (the last
// update, else the declaration).
func (c Incident) Quiet(now time.Time) (bool, time.Time) {
	last := c.LastUpdateAt
	if c.Status != StatusActive || !last.IsZero() && now.Sub(last) <= QuietAfter {
		return false, time.Time{}
	}
	if last.Before(c.DeclaredAt) {
		last = c.DeclaredAt
	}
	return true, last
}

// DigestWindow is how far back the daily digest lists closed incidents.
const DigestWindow = 24 * time.Hour

// ClosedWithin reports whether inc closed no longer than d before now.
func (c Incident) ClosedWithin(d time.Duration, now time.Time) bool {
	return !c.ClosedAt.IsZero() && now.Sub(c.ClosedAt) <= d
}

// ByUrgency orders incidents worst severity first, then oldest first.
func ByUrgency(incs []Incident) {
	sort.SliceStable(incs, func(i, j int) bool {
		a, b := incs[i].Severity.Rank(), incs[j].Severity.Rank()
		if a != b {
			return a < b
		}
		return incs[i].Number < incs[j].Number
	})
}

// Involves reports whether user has a part in the incident: its lead, a
// role holder, or the assignee of an open step. App Home lists these
// incidents first.
func (c Incident) Involves(user string) bool {
	if user == "" {
		return false
	}
	if c.Lead == user {
		return true
	}
	for _, u := range c.Roles {
		if u == user {
			return true
		}
	}
	return len(c.AssignedTo(user)) > 0
}

// AssignedTo lists the open steps assigned to user, in playbook order;
// none once the incident is no longer open.
func (c Incident) AssignedTo(user string) []Step {
	if user == "" || !c.Status.Open() {
		return nil
	}
	var out []Step
	for _, st := range c.Steps {
		if !st.Finished() && st.Assignee == user {
			out = append(out, st)
		}
	}
	return out
}

// AwaitingApproval lists the steps whose pending approval request waits
// for user: requested by someone else (nobody approves their own), in an
// incident user leads, owns or has a part in.
func (c Incident) AwaitingApproval(user string) []Step {
	if user == "" || !c.Status.Open() || !(c.Involves(user) || c.Owner() == user) {
		return nil
	}
	var out []Step
	for _, st := range c.Steps {
		if st.Finished() || !st.Approval || st.Signoff == nil || st.Signoff.Approved() || st.Signoff.RequestedBy == user {
			continue
		}
		out = append(out, st)
	}
	return out
}
