package bot

import (
	"testing"

	"github.com/firebreak-hq/firebreak/incident"
)

// TestQueuedRemindersOfACancelledIncidentStop: a reminder already in the
// outbox when the incident is cancelled is not posted; everything else
// the cancel itself queued still is.
func TestQueuedRemindersOfACancelledIncidentStop(t *testing.T) {
	reminder := incident.Effect{Kind: incident.EffPost, Msg: incident.MsgReminder, Fields: incident.EffectFields{Reminder: incident.ReminderUpdate}}
	followup := incident.Effect{Kind: incident.EffDM, Msg: incident.MsgReminder, Fields: incident.EffectFields{Reminder: incident.ReminderFollowup}}
	cases := []struct {
		name   string
		status incident.Status
		eff    incident.Effect
		skip   bool
	}{
		{"reminder of a cancelled incident", incident.StatusCancelled, reminder, true},
		{"follow-up DM of a cancelled incident", incident.StatusCancelled, followup, true},
		{"the cancel's own channel message", incident.StatusCancelled, incident.Effect{Kind: incident.EffPost, Msg: incident.MsgCancelled}, false},
		{"the announcement correction", incident.StatusCancelled, incident.Effect{Kind: incident.EffCorrectAnnouncement, Msg: incident.MsgCancelled}, false},
		{"the archive", incident.StatusCancelled, incident.Effect{Kind: incident.EffArchiveChannel}, false},
		{"the card", incident.StatusCancelled, incident.Effect{Kind: incident.EffUpdateCard}, false},
		{"reminder of an active incident", incident.StatusActive, reminder, false},
	}
	for _, c := range cases {
		if got := skipEffect(incident.Incident{Status: c.status}, c.eff); got != c.skip {
			t.Errorf("%s: skip = %v, want %v", c.name, got, c.skip)
		}
	}
}
