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
