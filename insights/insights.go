// Package insights turns the incident history into the numbers a team
// reviews: incidents per week by severity, how long mitigation and
// resolution took by severity and playbook, which checklist steps are
// skipped most, and how many follow-ups are done. It owns the
// aggregation and its presentations (CSV, SVG charts, the HTML report);
// it reads the history through a small port and never writes.
package insights

import (
	"cmp"
	"slices"
	"time"

	"github.com/firebreak-hq/firebreak/incident"
)

// Source streams the incident history. Scan calls fn once per incident;
// events streams that incident's timeline, only the given kinds.
type Source interface {
	Scan(kinds []incident.EventKind, fn func(inc incident.Incident, events func(func(incident.Event) error) error) error) error
}

// Options chooses the window of a report.
type Options struct {
	// Since is how far back the report looks from Now (by declaration).
	Since time.Duration
	Now   time.Time
	// Location decides where a week starts (Monday 00:00 there).
	Location *time.Location
}

// Row is one incident in the report (and one CSV line).
type Row struct {
	ID          string
	Severity    incident.Severity
	Playbook    string
	Status      incident.Status
	Declared    time.Time
	Started     time.Time // corrected start; zero when never corrected
	Detected    time.Time // corrected detection; zero when never corrected
	Mitigated   time.Time
	Resolved    time.Time
	Closed      time.Time
	ToMitigate  time.Duration // from impact start; -1 when not mitigated
	ToResolve   time.Duration // from impact start; -1 when not resolved
	Skipped     int
	Followups   int
	FollowDone  int
	Corrections int
	Corrected   []string // which key times were corrected, in order of first correction
	Reopened    int
}

// Week counts the incidents declared in one week.
type Week struct {
	Start time.Time
	Count map[incident.Severity]int
}

// Skip is a checklist step and how many incidents skipped it.
type Skip struct {
	Step     string // title
	Playbook string
	Count    int
}

// Report is the aggregated history of one window.
type Report struct {
	From, To time.Time
	Rows     []Row
	Weeks    []Week
	// Minutes to mitigate / resolve, grouped by severity and by playbook.
	MitigateBySev, ResolveBySev  map[string][]float64
	MitigateByPB, ResolveByPB    map[string][]float64
	Skips                        []Skip
	FollowupsDone, FollowupsOpen int
}

// Collect reads the history from src and aggregates the window. Cancelled
// incidents (declared by mistake) are left out. Events are streamed one
// incident at a time; only key-time corrections are decoded.
func Collect(src Source, opt Options) (*Report, error) {
	loc := opt.Location
	if loc == nil {
		loc = time.UTC
	}
	now := opt.Now.In(loc)
	r := &Report{
		To:            now,
		MitigateBySev: map[string][]float64{}, ResolveBySev: map[string][]float64{},
		MitigateByPB: map[string][]float64{}, ResolveByPB: map[string][]float64{},
	}
	if opt.Since > 0 {
		r.From = now.Add(-opt.Since)
	}
	weeks := map[time.Time]map[incident.Severity]int{}
	skips := map[[2]string]int{}
	kinds := []incident.EventKind{incident.EvTimeCorrected}
	err := src.Scan(kinds, func(inc incident.Incident, events func(func(incident.Event) error) error) error {
		if inc.Status == incident.StatusCancelled || inc.DeclaredAt.Before(r.From) || inc.DeclaredAt.After(opt.Now) {
			return nil
		}
		row := Row{
			ID: inc.ID(), Severity: inc.Severity, Playbook: inc.Playbook, Status: inc.Status,
			Declared: inc.DeclaredAt, Started: inc.StartedAt, Detected: inc.DetectedAt,
			Mitigated: inc.MitigatedAt, Resolved: inc.ResolvedAt, Closed: inc.ClosedAt,
			ToMitigate: -1, ToResolve: -1, Reopened: inc.ReopenCount,
		}
		if inc.TimeCorrections > 0 {
			// Only these timelines are opened, one event at a time, and
			// only their corrections decoded: a million-event history
			// is never read whole.
			err := events(func(e incident.Event) error {
				row.Corrections++
				if w := e.Fields["which"]; w != "" && !slices.Contains(row.Corrected, w) {
					row.Corrected = append(row.Corrected, w)
				}
				return nil
			})
			if err != nil {
				return err
			}
		}
		start := inc.ImpactStart()
		if !inc.MitigatedAt.IsZero() {
			row.ToMitigate = max(inc.MitigatedAt.Sub(start), 0)
			m := row.ToMitigate.Minutes()
			r.MitigateBySev[string(inc.Severity)] = append(r.MitigateBySev[string(inc.Severity)], m)
			r.MitigateByPB[inc.Playbook] = append(r.MitigateByPB[inc.Playbook], m)
		}
		if !inc.ResolvedAt.IsZero() {
			row.ToResolve = max(inc.ResolvedAt.Sub(start), 0)
			m := row.ToResolve.Minutes()
			r.ResolveBySev[string(inc.Severity)] = append(r.ResolveBySev[string(inc.Severity)], m)
			r.ResolveByPB[inc.Playbook] = append(r.ResolveByPB[inc.Playbook], m)
		}
		for _, s := range inc.Steps {
			if s.State == incident.StepSkipped {
				row.Skipped++
				skips[[2]string{s.Title, inc.Playbook}]++
			}
		}
		for _, f := range inc.Followups {
			row.Followups++
			if !f.ClosedAt.IsZero() {
				row.FollowDone++
			}
		}
		r.FollowupsDone += row.FollowDone
		r.FollowupsOpen += row.Followups - row.FollowDone
		w := WeekStart(inc.DeclaredAt, loc)
		if weeks[w] == nil {
			weeks[w] = map[incident.Severity]int{}
		}
		weeks[w][inc.Severity]++
		r.Rows = append(r.Rows, row)
		return nil
	})
	if err != nil {
		return nil, err
	}
	r.Weeks = fillWeeks(weeks, r.From, now, loc)
	for k, n := range skips {
		r.Skips = append(r.Skips, Skip{Step: k[0], Playbook: k[1], Count: n})
	}
	slices.SortFunc(r.Skips, func(a, b Skip) int {
		return cmp.Or(cmp.Compare(b.Count, a.Count), cmp.Compare(a.Step, b.Step), cmp.Compare(a.Playbook, b.Playbook))
	})
	return r, nil
}

// WeekStart is the Monday 00:00 (in loc) of t's week.
func WeekStart(t time.Time, loc *time.Location) time.Time {
	t = t.In(loc)
	d := (int(t.Weekday()) + 6) % 7
	y, m, day := t.Date()
	return time.Date(y, m, day-d, 0, 0, 0, 0, loc)
}

// fillWeeks lists every week of the window, empty ones included, so the
// chart's time axis is true. Without a window it spans the data.
func fillWeeks(weeks map[time.Time]map[incident.Severity]int, from, to time.Time, loc *time.Location) []Week {
	if from.IsZero() {
		for w := range weeks {
			if from.IsZero() || w.Before(from) {
				from = w
			}
		}
		if from.IsZero() {
			return nil
		}
	}
	var out []Week
	for w := WeekStart(from, loc); !w.After(to); w = w.AddDate(0, 0, 7) {
		c := weeks[w]
		if c == nil {
			c = map[incident.Severity]int{}
		}
		out = append(out, Week{Start: w, Count: c})
	}
	return out
}
