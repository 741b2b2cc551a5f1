package postmortem

import (
	"fmt"
	"sort"
	"strings"

	"github.com/firebreak-hq/firebreak/incident"
	"github.com/firebreak-hq/firebreak/templates"
)

// The people, checklist, follow-ups and review sections of the draft.

func (r *renderer) people(c caps) ([]templates.PostmortemRow, string, int) {
	inc := r.inc
	rows := []templates.PostmortemRow{
		{Label: "Lead", Value: r.personOr(inc.Lead, "no lead was assigned")},
		{Label: "Declared by", Value: r.person(inc.Declarer)},
	}
	roles := make([]string, 0, len(inc.Roles))
	for k := range inc.Roles {
		roles = append(roles, k)
	}
	sort.Strings(roles)
	for _, k := range roles {
		rows = append(rows, templates.PostmortemRow{Label: cell(k, 30), Value: r.person(inc.Roles[k])})
	}
	named := map[string]bool{inc.Lead: true, inc.Declarer: true, "": true}
	for _, u := range inc.Roles {
		named[u] = true
	}
	var others []string
	seen := map[string]bool{}
	joined := map[string]bool{}
	add := func(u string) {
		if !named[u] && !seen[u] {
			seen[u] = true
			others = append(others, u)
		}
	}
	for _, u := range inc.Responders() {
		add(u)
	}
	for _, e := range r.events {
		if e.Kind == incident.EvMemberJoined {
			joined[e.Actor] = true
			continue
		}
		add(e.Actor)
	}
	var b strings.Builder
	for i, u := range others {
		p := r.person(u)
		if b.Len()+len(p) > c.n(budgetPeople) {
			fmt.Fprintf(&b, " and %d more", len(others)-i)
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(p)
	}
	return rows, b.String(), len(joined)
}

func (r *renderer) personOr(id, none string) string {
	if id == "" {
		return "_" + none + "_"
	}
	return r.person(id)
}

func (r *renderer) checklist(c caps) ([]templates.PostmortemPhase, string) {
	var out []templates.PostmortemPhase
	used, left := 0, 0
	for _, ph := range incident.Phases {
		steps := r.inc.PhaseSteps(ph)
		if len(steps) == 0 {
			continue
		}
		p := templates.PostmortemPhase{Title: templates.PhaseTitle(ph)}
		for _, s := range steps {
			row := r.step(s, c)
			size := len(row.Title) + len(row.Outcome) + len(row.By) + len(row.When) + len(row.Notes) + 16
			if used+size > c.n(budgetChecklist) {
				left++
				continue
			}
			used += size
			p.Steps = append(p.Steps, row)
		}
		if len(p.Steps) > 0 {
			out = append(out, p)
		}
	}
	note := ""
	if left > 0 {
		note = templates.MoreSteps(left)
	}
	return out, note
}

func (r *renderer) step(s incident.Step, c caps) templates.PostmortemStep {
	row := templates.PostmortemStep{Title: cell(s.Title, 200), By: "—", When: "—"}
	row.Outcome = templates.StepOutcome(s.State == incident.StepDone, s.State == incident.StepSkipped)
	if s.Finished() {
		row.By, row.When = r.person(s.By), r.clock(s.At)
	}
	n := templates.StepNotes{NeedsApproval: s.Approval}
	if s.State == incident.StepSkipped && s.SkipReason != "" {
		n.SkipReason = cell(r.plain(s.SkipReason), c.n(clipStepNote))
	}
	if s.Assignee != "" && s.Assignee != s.By {
		n.Assignee = r.person(s.Assignee)
	}
	if a := s.Signoff; a != nil {
		n.Requested, n.RequestedBy, n.RequestedAt = true, r.person(a.RequestedBy), r.clock(a.RequestedAt)
		n.What, n.Where = cell(r.plain(a.What), c.n(300)), cell(r.plain(a.Where), c.n(100))
		if a.Approved() {
			n.ApprovedBy, n.ApprovedAt = r.person(a.ApprovedBy), r.clock(a.ApprovedAt)
		}
	}
	row.Notes = n.Notes()
	return row
}

func (r *renderer) followups(c caps) ([]string, string) {
	var out []string
	used := 0
	for i, f := range r.inc.Followups {
		s := fmt.Sprintf("%s (#%d, %s, %s)", cell(r.plain(f.Text), c.n(clipFollowup)), f.N, r.person(f.By), r.clock(f.At))
		if used+len(s) > c.n(budgetFollowups) && i > 0 || c.scale == 0 {
			return out, templates.MoreFollowups(len(r.inc.Followups) - i)
		}
		used += len(s) + 7
		out = append(out, s)
	}
	return out, ""
}

func (r *renderer) reviewed(fs []Finding, c caps) ([]templates.PostmortemFinding, string) {
	var out []templates.PostmortemFinding
	used := 0
	for i, f := range fs {
		p := templates.PostmortemFinding{
			Source:     inline(f.Source),
			Quote:      inline(f.Quote),
			Pattern:    inline(f.Pattern),
			Suggestion: inline(f.Suggestion),
		}
		size := len(p.Source) + len(p.Quote) + len(p.Pattern) + len(p.Suggestion) + 40
		if used+size > c.n(budgetFindings) {
			return out, templates.MoreFindings(len(fs) - i)
		}
		used += size
		out = append(out, p)
	}
	return out, ""
}
