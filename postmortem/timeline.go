package postmortem

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/firebreak-hq/firebreak/incident"
	"github.com/firebreak-hq/firebreak/templates"
)

const tableHead = "| Time | Who | What |\n|---|---|---|\n"

// noise is what may be left out of a very long timeline first: it says
// little about what happened.
var noise = map[incident.EventKind]string{
	incident.EvMemberJoined: "channel joins",
	incident.EvReminderSent: "reminders",
	incident.EvSnoozed:      "reminder snoozes",
}

// row is one timeline table line.
func (r *renderer) row(e incident.Event) string {
	what := r.what(e)
	var b strings.Builder
	b.Grow(len(what) + 48)
	b.WriteString("| ")
	b.WriteString(r.clock(e.At))
	b.WriteString(" | ")
	b.WriteString(r.person(e.Actor))
	b.WriteString(" | ")
	b.WriteString(cell(what, clipEvent))
	b.WriteString(" |\n")
	return b.String()
}

// what describes an event in plain text (escaped later, as a whole).
func (r *renderer) what(e incident.Event) string {
	f := e.Fields
	text := r.plain(e.Text)
	with := func(s string) string {
		if text == "" {
			return s
		}
		return s + ": " + text
	}
	step := func() string {
		if t := r.steps[f["step"]]; t != "" {
			return "“" + t + "”"
		}
		if f["step"] != "" {
			return "“" + f["step"] + "”"
		}
		return "a step"
	}
	switch e.Kind {
	case incident.EvDeclared:
		return fmt.Sprintf("Declared “%s” (%s, playbook %s)", text, f["severity"], f["playbook"])
	case incident.EvChannelCreated:
		return "Channel #" + text + " created"
	case incident.EvSeverityChanged:
		return "Severity " + f["from"] + " → " + f["to"]
	case incident.EvMitigated:
		return with("Mitigated")
	case incident.EvResolved:
		return with("Resolved")
	case incident.EvReopened:
		return with("Reopened (false resolution)")
	case incident.EvClosed:
		if text != "" {
			return "Closed with verify steps open: " + text
		}
		return "Closed"
	case incident.EvLeadAssigned:
		s := "Lead: " + r.name(f["user"])
		if f["previous"] != "" {
			s += " (was " + r.name(f["previous"]) + ")"
		}
		return s
	case incident.EvRoleAssigned:
		return "Role " + f["role"] + ": " + r.name(f["user"])
	case incident.EvNote:
		return with("Note")
	case incident.EvStatusUpdate:
		return with("Status update")
	case incident.EvFollowup:
		return with("Follow-up")
	case incident.EvStepDone:
		return "Done " + step()
	case incident.EvStepSkipped:
		return with("Skipped " + step())
	case incident.EvStepAssigned:
		return "Assigned " + step() + " to " + r.name(f["user"])
	case incident.EvApprovalRequested:
		return "Asked for approval of " + step() + " to run “" + r.plain(f["what"]) + "” on “" + r.plain(f["where"]) + "”"
	case incident.EvApprovalGranted:
		s := "Approved " + step() + " (asked by " + r.name(f["requested_by"]) + ")"
		if f["what"] != "" {
			s += " to run “" + r.plain(f["what"]) + "” on “" + r.plain(f["where"]) + "”"
		}
		return s
	case incident.EvApprovalWithdrawn:
		return "Withdrew the approval request of " + step() + " by " + r.name(f["requested_by"]) + " with a new request"
	case incident.EvLeadRefused:
		return "Refused: tried to make " + r.name(f["user"]) + " the lead instead of " + r.name(f["lead"])
	case incident.EvMemberJoined:
		return "Joined the channel"
	case incident.EvPinnedText:
		return with("Text of the message pinned earlier")
	case incident.EvMessagePinned:
		if a := f["author"]; a != "" && a != e.Actor {
			return with("Pinned a message by " + r.name(a))
		}
		return with("Pinned a message")
	case incident.EvReminderSent:
		return with("Reminder sent")
	case incident.EvSnoozed:
		return "Update reminder snoozed until " + f["until"]
	case incident.EvTimeCorrected:
		s := "Corrected the " + f["which"] + " time to " + r.keyTime(f["to"])
		if from := r.keyTime(f["from"]); from != "" {
			s += " (was " + from + ")"
		}
		return s
	case incident.EvPostmortem:
		return with("Postmortem published")
	case incident.EvPostmortemFailed:
		return with("Postmortem publishing failed")
	}
	return with(strings.ReplaceAll(string(e.Kind), "_", " "))
}

// fit renders the body with as much of the timeline as fits, continues
// the rest in comments, and summarises what would not fit in those either.
func (r *renderer) fit(findings []Finding) (string, []string, error) {
	var d templates.PostmortemData
	var base int
	// Shrink the other sections until at least half the body is left for
	// the timeline; at scale 0 they hold only counts.
	for _, s := range []float64{1, 0.5, 0.25, 0.1, 0} {
		d = r.data(findings, caps{s})
		b, err := render(d)
		if err != nil {
			return "", nil, err
		}
		base = len(b)
		if base <= MaxBody/2 {
			break
		}
	}
	const noteRoom = 600
	room := MaxBody - base - noteRoom

	rows := make([]string, len(r.events))
	total, longest := 0, 0
	for i, e := range r.events {
		rows[i] = r.row(e)
		total += len(rows[i])
		longest = max(longest, len(rows[i]))
	}
	var summary []string
	kept := r.events
	perComment := MaxBody - len(commentHeader(r.inc, 999, 999)) - 16
	// A comment may end up to one row short of full, hence the margin.
	capacity := room + maxComments*(perComment-longest)
	if total > capacity {
		// Leave out the noise first.
		counts := map[incident.EventKind]int{}
		var krows []string
		var kevents []incident.Event
		ktotal := 0
		for i, e := range r.events {
			if _, ok := noise[e.Kind]; ok {
				counts[e.Kind]++
				continue
			}
			krows = append(krows, rows[i])
			kevents = append(kevents, e)
			ktotal += len(rows[i])
		}
		for _, k := range sortedKinds(counts) {
			summary = append(summary, fmt.Sprintf("the table leaves out %s %s", thousands(counts[k]), noise[k]))
		}
		rows, kept, total = krows, kevents, ktotal
	}
	gap := ""
	if total > capacity {
		// Keep the beginning and the end, which hold the declaration and
		// the resolution, and count what lies between.
		half := (capacity - 400) / 2
		head, used := 0, 0
		for head < len(rows) && used+len(rows[head]) <= half {
			used += len(rows[head])
			head++
		}
		tail, used := len(rows), 0
		for tail > head && used+len(rows[tail-1]) <= half {
			used += len(rows[tail-1])
			tail--
		}
		omitted := kept[head:tail]
		gap = fmt.Sprintf("| %s – %s | | … %s events are not shown: %s |\n",
			r.clock(omitted[0].At), r.clock(omitted[len(omitted)-1].At), thousands(len(omitted)), kindCounts(omitted))
		rows = append(append(rows[:head:head], gap), rows[tail:]...)
		summary = append(summary, thousands(len(omitted))+" events in the middle of the incident are counted by kind in the row that stands for them")
	}

	// Rows for the body, then comments.
	inBody, used := 0, 0
	for inBody < len(rows) && used+len(rows[inBody]) <= room {
		used += len(rows[inBody])
		inBody++
	}
	var parts [][]string
	for i := inBody; i < len(rows); {
		j, size := i, 0
		for j < len(rows) && (j == i || size+len(rows[j]) <= perComment) {
			size += len(rows[j])
			j++
		}
		parts = append(parts, rows[i:j])
		i = j
	}
	d.TimelineRows = strings.Join(rows[:inBody], "")
	d.TimelineNote = timelineNote(len(r.events), inBody, len(parts), summary)
	body, err := render(d)
	if err != nil {
		return "", nil, err
	}
	body = limit(body)
	comments := make([]string, len(parts))
	for k, p := range parts {
		comments[k] = limit(commentHeader(r.inc, k+1, len(parts)) + strings.Join(p, ""))
	}
	return body, comments, nil
}

func commentHeader(inc incident.Incident, part, of int) string {
	return commentMarker(inc.Number, part) + "\n" +
		fmt.Sprintf("**Timeline of %s, continued (part %d of %d)**\n\n", inc.ID(), part, of) + tableHead
}

func timelineNote(events, inBody, comments int, summary []string) string {
	var s []string
	if comments > 0 {
		s = append(s, fmt.Sprintf("The timeline has %s events; the first %s are below and the rest continue in %d comments on this issue.",
			thousands(events), thousands(inBody), comments))
	}
	if len(summary) > 0 {
		s = append(s, "To stay readable, "+strings.Join(summary, "; ")+".")
	}
	return strings.Join(s, " ")
}

func render(d templates.PostmortemData) (string, error) {
	var b strings.Builder
	b.Grow(8192 + len(d.TimelineRows))
	if err := templates.RenderPostmortem(&b, d); err != nil {
		return "", err
	}
	return b.String(), nil
}

// limit is the last guard on GitHub's limit: the budgets above should
// make it unnecessary, but a body over the limit would be refused, so it
// is cut at a line boundary and says so.
func limit(s string) string {
	if len(s) <= MaxBody {
		return s
	}
	const note = "\n\n_This text was shortened to fit GitHub's limit._\n"
	cut := strings.LastIndexByte(s[:MaxBody-len(note)], '\n')
	if cut < 0 {
		cut = MaxBody - len(note)
	}
	return s[:cut] + note
}

func kindCounts(evs []incident.Event) string {
	counts := map[incident.EventKind]int{}
	for _, e := range evs {
		counts[e.Kind]++
	}
	var parts []string
	for _, k := range sortedKinds(counts) {
		parts = append(parts, thousands(counts[k])+" "+kindPlural(k))
	}
	return strings.Join(parts, ", ")
}

// sortedKinds orders kinds by count, most frequent first.
func sortedKinds(counts map[incident.EventKind]int) []incident.EventKind {
	ks := make([]incident.EventKind, 0, len(counts))
	for k := range counts {
		ks = append(ks, k)
	}
	sort.Slice(ks, func(i, j int) bool {
		if counts[ks[i]] != counts[ks[j]] {
			return counts[ks[i]] > counts[ks[j]]
		}
		return ks[i] < ks[j]
	})
	return ks
}

func thousands(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

var plurals = map[incident.EventKind]string{
	incident.EvNote:            "notes",
	incident.EvStatusUpdate:    "status updates",
	incident.EvFollowup:        "follow-ups",
	incident.EvStepDone:        "steps done",
	incident.EvStepSkipped:     "steps skipped",
	incident.EvStepAssigned:    "step assignments",
	incident.EvMessagePinned:   "pinned messages",
	incident.EvSeverityChanged: "severity changes",
	incident.EvRoleAssigned:    "role changes",
	incident.EvLeadAssigned:    "lead changes",
}

func kindPlural(k incident.EventKind) string {
	if p, ok := plurals[k]; ok {
		return p
	}
	return strings.ReplaceAll(string(k), "_", " ") + " events"
}

// keyTime shows a key time recorded on the timeline (RFC 3339).
func (r *renderer) keyTime(s string) string {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return s
	}
	return r.full(t)
}
