// Package statuspage owns the public status page: the open incidents
// (and those resolved in the last 7 days) with the status updates their
// responders posted, as HTML, JSON and an Atom feed. It shows only what
// was already announced: title, severity, status and status updates.
package statuspage

import (
	"cmp"
	"slices"
	"time"

	"github.com/firebreak-hq/firebreak/incident"
)

// Source is what the page reads.
type Source interface {
	OpenIncidents() ([]incident.Incident, error)
	RecentClosed(since time.Time) ([]incident.Incident, error)
	LatestEvents(n uint64, kind incident.EventKind, limit int) ([]incident.Event, error)
}

const (
	// ResolvedWindow is how long a resolved incident stays on the page.
	ResolvedWindow = 7 * 24 * time.Hour
	// longestIncident bounds the look-back for closed incidents resolved
	// within the window: one declared this long before the window began
	// and closed since is not listed (the open ones always are).
	longestIncident = 30 * 24 * time.Hour
	// UpdatesShown is how many status updates each incident shows.
	UpdatesShown = 5
)

// Page is the status page's content.
type Page struct {
	Generated time.Time `json:"generated_at"`
	Open      []Entry   `json:"open"`
	Resolved  []Entry   `json:"resolved"`
}

// Entry is one incident on the page.
type Entry struct {
	ID        string    `json:"id"`
	Title     string    `json:"title"`
	Severity  string    `json:"severity"`
	Status    string    `json:"status"`
	Started   time.Time `json:"started_at"`
	Mitigated time.Time `json:"mitigated_at,omitzero"`
	Resolved  time.Time `json:"resolved_at,omitzero"`
	Updates   []Update  `json:"updates"`
	number    uint64
}

// Update is one posted status update, newest first.
type Update struct {
	Seq  uint64    `json:"-"`
	At   time.Time `json:"at"`
	Text string    `json:"text"`
}

// listed reports whether inc belongs on the public page: declared for
// real (not cancelled) and not private.
func listed(inc incident.Incident) bool {
	return inc.Status != incident.StatusCancelled && !inc.Private
}

// Build reads the page's content at now.
func Build(src Source, now time.Time) (Page, error) {
	p := Page{Generated: now.UTC(), Open: []Entry{}, Resolved: []Entry{}}
	open, err := src.OpenIncidents()
	if err != nil {
		return p, err
	}
	recent, err := src.RecentClosed(now.Add(-ResolvedWindow - longestIncident))
	if err != nil {
		return p, err
	}
	seen := map[uint64]bool{}
	for _, inc := range append(open, recent...) {
		if seen[inc.Number] || !listed(inc) {
			continue
		}
		seen[inc.Number] = true
		e := Entry{ID: inc.ID(), Title: inc.Title, Severity: string(inc.Severity), Status: string(inc.Status),
			Started: inc.ImpactStart(), Mitigated: inc.MitigatedAt, Resolved: inc.ResolvedAt, number: inc.Number}
		switch {
		case inc.Status == incident.StatusActive || inc.Status == incident.StatusMitigated:
		case !inc.ResolvedAt.IsZero() && now.Sub(inc.ResolvedAt) <= ResolvedWindow:
		default:
			continue
		}
		evs, err := src.LatestEvents(inc.Number, incident.EvStatusUpdate, UpdatesShown)
		if err != nil {
			return p, err
		}
		e.Updates = make([]Update, 0, len(evs))
		for _, ev := range evs {
			e.Updates = append(e.Updates, Update{Seq: ev.Seq, At: ev.At, Text: ev.Text})
		}
		if inc.Status == incident.StatusActive || inc.Status == incident.StatusMitigated {
			p.Open = append(p.Open, e)
		} else {
			p.Resolved = append(p.Resolved, e)
		}
	}
	// Worst first, then most recent.
	slices.SortFunc(p.Open, func(a, b Entry) int {
		return cmp.Or(cmp.Compare(a.Severity, b.Severity), b.Started.Compare(a.Started), cmp.Compare(b.number, a.number))
	})
	slices.SortFunc(p.Resolved, func(a, b Entry) int {
		return cmp.Or(b.Resolved.Compare(a.Resolved), cmp.Compare(b.number, a.number))
	})
	return p, nil
}
