package templates

import (
	"sort"
	"strconv"
	"time"

	"github.com/firebreak-hq/firebreak/incident"
)

// The answers to /incident status, list and timeline, and the daily digest.

// StatusSummary answers `/incident status`.
func StatusSummary(inc incident.Incident, now time.Time, loc *time.Location) string {
	v := struct {
		Inc        incView
		Roles      []string
		LastUpdate string
		Open       []string
		More       int
	}{Inc: viewOf(inc, loc, now)}
	v.Roles = roleLines(inc)
	if inc.LastUpdateAt.IsZero() {
		v.LastUpdate = "none yet; post one with `/incident update &lt;text&gt;`"
	} else {
		v.LastUpdate = human(now.Sub(inc.LastUpdateAt)) + " ago"
	}
	for _, st := range inc.OpenSteps() {
		if len(v.Open) == maxOpenSteps {
			v.More++
			continue
		}
		v.Open = append(v.Open, StepLine(st))
	}
	return mustSlack("status_summary", v, maxMessage)
}

// listRow is one incident in the list and the digest.
func listRow(inc incident.Incident, now time.Time) string {
	v := viewOf(inc, nil, now)
	v.Title = clipText(oneLine(inc.Title), 80)
	return mustSlack("list_row", v, 600)
}

// List answers `/incident list`: the open incidents, worst first. A
// private incident whose channel the asker is not in (member says) is
// listed by number and severity only.
func List(incs []incident.Incident, now time.Time, member func(incident.Incident) bool) string {
	var open []incident.Incident
	for _, inc := range incs {
		if inc.Status.Open() {
			open = append(open, inc)
		}
	}
	incident.ByUrgency(open)
	v := struct {
		Rows        []string
		Total, More int
	}{Total: len(open)}
	v.Rows, v.More = rows(open, func(inc incident.Incident) string {
		if !inc.Visible(inc.Private && member != nil && member(inc)) {
			return hiddenRow(inc)
		}
		return listRow(inc, now)
	})
	return mustSlack("list", v, maxMessage)
}

// Timeline answers `/incident timeline`: one line per event, oldest
// first, within max runes. When they do not all fit, the newest are kept
// and the message says how many earlier ones were left out.
func Timeline(inc incident.Incident, events []incident.Event, loc *time.Location, max int) string {
	evs := append([]incident.Event(nil), events...)
	sort.SliceStable(evs, func(i, j int) bool {
		if !evs[i].At.Equal(evs[j].At) {
			return evs[i].At.Before(evs[j].At)
		}
		return evs[i].Seq < evs[j].Seq
	})
	lines := make([]string, len(evs))
	for i, e := range evs {
		lines[i] = "`" + when(e.At, loc) + "` " + describeEvent(inc, e, loc)
	}
	v := struct {
		ID      string
		Total   int
		Omitted int
		Lines   []string
	}{ID: inc.ID(), Total: len(evs), Lines: lines}
	if s := mustSlack("timeline", v, maxMessage*100); runeLen(s) <= max {
		return s
	}
	// Keep the newest lines that fit beside the header and the omission
	// note, then render once; the loop is only a guard should the
	// templates' fixed text outgrow this estimate.
	digits := len(strconv.Itoa(len(lines)))
	budget := max - (51 + runeLen(inc.ID()) + 2*digits)
	keep, used := 0, 0
	for i := len(lines) - 1; i >= 0; i-- {
		n := runeLen(lines[i]) + 1
		if used+n > budget {
			break
		}
		used += n
		keep++
	}
	v.Omitted = len(lines) - keep
	v.Lines = lines[v.Omitted:]
	for {
		s := mustSlack("timeline", v, maxMessage*100)
		if runeLen(s) <= max || len(v.Lines) == 0 {
			return Clip(s, max)
		}
		v.Lines = v.Lines[1:]
		v.Omitted++
	}
}

func runeLen(s string) int { return len([]rune(s)) }

// Digest is the daily summary for the announce channel: what is open,
// worst first, what closed in the last 24 hours, and how many follow-ups
// of the closed incidents given are open and overdue. Private incidents
// are there by number and severity only.
func Digest(incs []incident.Incident, now time.Time) string {
	var open, closed []incident.Incident
	v := struct {
		Date                            string
		Open, Closed                    []string
		More                            int
		FollowupsOpen, FollowupsOverdue int
		DueDays                         int
	}{Date: now.UTC().Format("2006-01-02"), DueDays: int(incident.FollowupDueAfter / (24 * time.Hour))}
	for _, inc := range incs {
		switch {
		case inc.Status.Open():
			open = append(open, inc)
			continue
		case inc.ClosedWithin(incident.DigestWindow, now):
			closed = append(closed, inc)
		}
		if inc.Status == incident.StatusClosed {
			o, late := inc.FollowupsOpen(now)
			v.FollowupsOpen += o
			v.FollowupsOverdue += late
		}
	}
	incident.ByUrgency(open)
	incident.ByUrgency(closed)
	var moreOpen, moreClosed int
	v.Open, moreOpen = rows(open, func(inc incident.Incident) string {
		if inc.Private {
			return hiddenRow(inc)
		}
		row := listRow(inc, now)
		if quiet, since := inc.Quiet(now); quiet {
			row += " · :warning: no update for " + human(now.Sub(since))
		}
		return row
	})
	v.Closed, moreClosed = rows(closed, func(inc incident.Incident) string {
		if inc.Private {
			return hiddenRow(inc)
		}
		return listRow(inc, now)
	})
	v.More = moreOpen + moreClosed
	return mustSlack("digest", v, maxMessage)
}

// rows renders at most maxListRows incidents and counts the rest.
func rows(incs []incident.Incident, row func(incident.Incident) string) ([]string, int) {
	var out []string
	for _, inc := range incs[:min(len(incs), maxListRows)] {
		out = append(out, row(inc))
	}
	return out, len(incs) - len(out)
}

// roleLines lists the incident's roles by name, each with who holds it.
func roleLines(inc incident.Incident) []string {
	names := make([]string, 0, len(inc.Roles))
	for r := range inc.Roles {
		names = append(names, r)
	}
	sort.Strings(names)
	var lines []string
	for _, r := range names {
		lines = append(lines, EscapeMrkdwn(r)+" "+mention(inc.Roles[r]))
	}
	return lines
}
