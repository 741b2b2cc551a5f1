package templates

import (
	"time"

	"github.com/firebreak-hq/firebreak/incident"
)

// ReviewReminder is the DM to the postmortem's owner the day before its
// review is due (overdue false) and once it is overdue.
func ReviewReminder(inc incident.Incident, due time.Time, overdue bool, loc *time.Location) string {
	v := struct {
		Inc       incView
		Due, Link string
		Overdue   bool
	}{Inc: viewOf(inc, nil, time.Time{}), Due: when(due, loc), Overdue: overdue}
	if inc.PostmortemURL != "" {
		v.Link = link(inc.PostmortemURL, "the "+inc.ID()+" postmortem")
	}
	return mustSlack("review_reminder", v, maxMessage)
}
