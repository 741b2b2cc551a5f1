package bot

import "github.com/firebreak-hq/firebreak/incident"

// skipEffect reports whether an effect no longer applies: a cancelled
// incident's reminders stop, even those already queued.
func skipEffect(inc incident.Incident, eff incident.Effect) bool {
	if inc.Status != incident.StatusCancelled {
		return false
	}
	return eff.Msg == incident.MsgReminder
}
