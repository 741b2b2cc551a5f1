package postmortem

import (
	"sort"
	"strconv"
	"strings"

	"github.com/firebreak-hq/firebreak/incident"
	"github.com/firebreak-hq/firebreak/templates"
)

const tableHead = "| Time | Who | What |\n|---|---|---|\n"

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

// what describes an event in plain text (escaped later, as a whole),
// in the words of templates' event vocabulary.
func (r *renderer) what(e incident.Event) string {
	return templates.PostmortemEventLine(templates.PostmortemEvent{
		Event: e, Text: r.plain(e.Text), Step: r.steps[e.Fields["step"]], Name: r.name, Plain: r.plain,
	})
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
			if templates.Noise(e.Kind) != "" {
				counts[e.Kind]++
				continue
			}
			krows = append(krows, rows[i])
			kevents = append(kevents, e)
			ktotal += len(rows[i])
		}
		for _, k := range sortedKinds(counts) {
			summary = append(summary, templates.TimelineLeavesOut(thousands(counts[k]), templates.Noise(k)))
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
		gap = templates.TimelineGapRow(r.clock(omitted[0].At), r.clock(omitted[len(omitted)-1].At), thousands(len(omitted)), kindCounts(omitted))
		rows = append(append(rows[:head:head], gap), rows[tail:]...)
		summary = append(summary, templates.TimelineGapNote(thousands(len(omitted))))
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
		templates.TimelineContinued(inc.ID(), part, of) + tableHead
}

func timelineNote(events, inBody, comments int, summary []string) string {
	return templates.TimelineNote(thousands(events), thousands(inBody), comments, summary)
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
	const note = templates.Shortened
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

func kindPlural(k incident.EventKind) string { return templates.EventsCounted(k) }

// recordedTexts words the texts the domain records when nobody typed
// one (templates.RecordedText); events is copied only if one has such a
// text.
func recordedTexts(events []incident.Event) []incident.Event {
	copied := false
	for i, e := range events {
		if t := templates.RecordedText(e.Text); t != e.Text {
			if !copied {
				events = append([]incident.Event(nil), events...)
				copied = true
			}
			events[i].Text = t
		}
	}
	return events
}
