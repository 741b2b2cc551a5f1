package templates

import (
	"fmt"
	"strconv"
	"strings"
)

// PostmortemSummary is what the postmortem's opening paragraph says,
// every value already plain text fit for a Markdown cell.
type PostmortemSummary struct {
	ID, Title, Declarer, DeclaredAt string
	// First, Worst and Final are the severity at declaration, the worst
	// one reached and the one at the end.
	First, Worst, Final string
	// MitigatedAfter, ResolvedAfter and ClosedAfter say how long after
	// the declaration each happened; "" when it has not.
	MitigatedAfter, ResolvedAfter, ClosedAfter string
	// Status is the incident's status, said when none of those happened.
	Status               string
	Reopened             int
	Playbook             string
	Done, Skipped, Steps int
}

// Summary is the postmortem's opening paragraph.
func (s PostmortemSummary) Summary() string {
	var b strings.Builder
	fmt.Fprintf(&b, "**%s** “%s” was declared by %s on %s as %s", s.ID, s.Title, s.Declarer, s.DeclaredAt, s.First)
	if s.Worst != s.First {
		fmt.Fprintf(&b, " and reached %s", s.Worst)
	}
	if s.Final != s.Worst {
		fmt.Fprintf(&b, " (%s at the end)", s.Final)
	}
	b.WriteString(".")
	var steps []string
	if s.MitigatedAfter != "" {
		steps = append(steps, "mitigated after "+s.MitigatedAfter)
	}
	if s.ResolvedAfter != "" {
		steps = append(steps, "resolved after "+s.ResolvedAfter)
	}
	if s.ClosedAfter != "" {
		steps = append(steps, "closed after "+s.ClosedAfter)
	}
	if len(steps) > 0 {
		b.WriteString(" It was " + strings.Join(steps, ", ") + ".")
	} else {
		b.WriteString(" It is " + s.Status + ".")
	}
	if s.Reopened > 0 {
		fmt.Fprintf(&b, " It was reopened %s after being resolved.", Times(s.Reopened))
	}
	fmt.Fprintf(&b, " Playbook %s: %d of %d checklist steps done, %d skipped.", s.Playbook, s.Done, s.Steps, s.Skipped)
	return b.String()
}

// Times says how often: "once", "3 times".
func Times(n int) string {
	if n == 1 {
		return "once"
	}
	return strconv.Itoa(n) + " times"
}

// MoreLines ends a list cut short: how many more of what are left out.
func MoreLines(n int, what string) string {
	return fmt.Sprintf("… and %d more %s; see the timeline.", n, what)
}

// ReopenedNoDetails stands for false resolutions the timeline does not
// describe.
func ReopenedNoDetails(n int) string {
	return fmt.Sprintf("Reopened %s (the timeline holds no details).", Times(n))
}

// The postmortem's sentences and notes; every value is plain text fit
// for a Markdown cell, already shortened by the caller.

// FalseResolution says when the incident was resolved and reopened, and
// why (resolvedAt is "" when the timeline holds no resolution before it).
func FalseResolution(resolvedAt, resolvedBy, after, reopenedAt, reopenedBy, why string) string {
	s := "Reopened at " + reopenedAt + " by " + reopenedBy
	if resolvedAt != "" {
		s = "Resolved at " + resolvedAt + " by " + resolvedBy + "; reopened " + after + " later by " + reopenedBy
	}
	if why != "" {
		s += ": “" + why + "”"
	}
	return s
}

// SeverityDeclared is the first line of the severity history.
func SeverityDeclared(sev, at, by string) string {
	return fmt.Sprintf("%s at declaration, %s by %s", sev, at, by)
}

// SeverityChanged is one change in the severity history.
func SeverityChanged(from, to, at, by string) string {
	return fmt.Sprintf("%s → %s at %s by %s", from, to, at, by)
}

// SeverityUnknownAtDeclaration opens a severity history whose timeline
// lacks the declaration's severity; SeverityThroughout stands alone when
// nothing else is known.
func SeverityUnknownAtDeclaration() string {
	return "declared; the timeline does not say at which severity"
}

// SeverityThroughout says the severity never changed.
func SeverityThroughout(sev string) string { return sev + " throughout" }

// StepOutcome words a step's state in the checklist table.
func StepOutcome(done, skipped bool) string {
	switch {
	case done:
		return "done"
	case skipped:
		return "skipped"
	}
	return "not done"
}

// StepNotes are the checklist table's notes on one step: why it was
// skipped, who it was assigned to, and its approval.
type StepNotes struct {
	SkipReason, Assignee string
	// Approval: whether the step needs one, and the request, if any.
	NeedsApproval, Requested              bool
	RequestedBy, RequestedAt, What, Where string
	ApprovedBy, ApprovedAt                string
}

// Notes joins the notes on a step.
func (n StepNotes) Notes() string {
	var notes []string
	if n.SkipReason != "" {
		notes = append(notes, "Reason: "+n.SkipReason)
	}
	if n.Assignee != "" {
		notes = append(notes, "assigned to "+n.Assignee)
	}
	switch {
	case n.Requested:
		s := "approval requested by " + n.RequestedBy + " at " + n.RequestedAt + " to run “" + n.What + "” on “" + n.Where + "”"
		if n.ApprovedBy != "" {
			s += "; approved by " + n.ApprovedBy + " at " + n.ApprovedAt
		} else {
			s += "; not approved"
		}
		notes = append(notes, s)
	case n.NeedsApproval:
		notes = append(notes, "needs a second person's approval; none was requested")
	}
	return strings.Join(notes, "; ")
}

// MoreSteps, MoreFollowups and MoreFindings end a section cut short.
func MoreSteps(n int) string {
	return fmt.Sprintf("%d more steps are not shown here; what was done to them is in the timeline.", n)
}

// MoreFollowups ends the follow-ups cut short.
func MoreFollowups(n int) string { return fmt.Sprintf("%d more follow-ups are in the timeline.", n) }

// MoreFindings ends the review findings cut short.
func MoreFindings(n int) string { return fmt.Sprintf("%d more findings are not shown here.", n) }

// The notes of a timeline too long for the issue body. Counts are
// already written with thousands separators.

// TimelineLeavesOut says the table leaves out count events of a noisy
// kind (Noise names it).
func TimelineLeavesOut(count, what string) string {
	return "the table leaves out " + count + " " + what
}

// TimelineGapRow is the table row standing for the events left out of
// the middle, from and to the times given, with their counts by kind.
func TimelineGapRow(from, to, count, byKind string) string {
	return fmt.Sprintf("| %s – %s | | … %s events are not shown: %s |\n", from, to, count, byKind)
}

// TimelineGapNote explains the gap row.
func TimelineGapNote(count string) string {
	return count + " events in the middle of the incident are counted by kind in the row that stands for them"
}

// TimelineContinued heads a comment that continues the timeline.
func TimelineContinued(id string, part, of int) string {
	return fmt.Sprintf("**Timeline of %s, continued (part %d of %d)**\n\n", id, part, of)
}

// TimelineNote says where the rest of the timeline is and what was left
// out of it (the notes above).
func TimelineNote(events, inBody string, comments int, left []string) string {
	var s []string
	if comments > 0 {
		s = append(s, fmt.Sprintf("The timeline has %s events; the first %s are below and the rest continue in %d comments on this issue.",
			events, inBody, comments))
	}
	if len(left) > 0 {
		s = append(s, "To stay readable, "+strings.Join(left, "; ")+".")
	}
	return strings.Join(s, " ")
}

// Shortened ends a text cut to fit GitHub's limit.
const Shortened = "\n\n_This text was shortened to fit GitHub's limit._\n"
