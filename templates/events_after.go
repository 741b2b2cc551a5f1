package templates

import (
	"time"

	"github.com/firebreak-hq/firebreak/incident"
)

// The words of the events that come after the incident: key-time
// corrections, the postmortem's review and the follow-ups' issues.
func init() {
	for p, text := range map[incident.Phrase]string{
		incident.RefuseTimesWhich:               "say which time to correct: `detected`, `started`, `mitigated` or `resolved`, not %q. For example `/incident times started 14:05`.",
		incident.RefuseTimesNoTime:              "give the corrected time: `/incident times %s 2026-03-14 09:30` or `/incident times %s 09:30`.",
		incident.RefuseTimesFuture:              "%s is in the future; a key time can only be corrected to a moment that has passed.",
		incident.RefuseTimesNotYet:              "%s is not %s yet, so there is no %s time to correct; use `/incident %s` when it is.",
		incident.RefuseTimesSame:                "the %s time of %s is already %s.",
		incident.RefuseTimesDetectedEarly:       "the impact cannot be detected (%s) before it started (%s).",
		incident.RefuseTimesMitigatedEarly:      "the incident cannot be mitigated (%s) before the impact started (%s).",
		incident.RefuseTimesResolvedEarly:       "the incident cannot be resolved (%s) before it was mitigated (%s).",
		incident.RefuseTimesResolvedBeforeStart: "the incident cannot be resolved (%s) before the impact started (%s).",
		incident.RefuseReviewedAlready:          "the postmortem of %s was already reviewed",
		incident.ReplyTimeSet:                   "The %s time of %s is now %s; it was not set (the declaration, %s, stood for it). The correction is on the timeline.",
		incident.ReplyTimeCorrected:             "The %s time of %s is now %s; it was %s. The correction is on the timeline.",
	} {
		phrases[p] = text
	}
	vocabulary[incident.EvTimeCorrected] = eventWords{
		slack: func(x slackEvent) (string, string) {
			return was("corrected the "+EscapeMrkdwn(x.f["which"])+" time to "+keyTimeIn(x.f["to"], x.loc), keyTimeIn(x.f["from"], x.loc)), ""
		},
		postmortem: func(x PostmortemEvent) string {
			return was("Corrected the "+x.f("which")+" time to "+keyTimeIn(x.f("to"), time.UTC), keyTimeIn(x.f("from"), time.UTC))
		},
	}
	vocabulary[incident.EvReviewed] = eventWords{
		slack: func(x slackEvent) (string, string) {
			if x.f["how"] == "closed" {
				return "saw the postmortem issue closed: the review is done", ""
			}
			return "saw the postmortem issue labelled reviewed: the review is done", ""
		},
		postmortem: func(x PostmortemEvent) string { return "Postmortem reviewed (issue " + x.f("how") + ")" },
	}
	vocabulary[incident.EvReviewOwner] = eventWords{
		slack: func(x slackEvent) (string, string) {
			return "made " + mention(x.f["to"]) + " the owner of the postmortem review", ""
		},
		postmortem: func(x PostmortemEvent) string {
			return was("Postmortem review owner: "+x.Name(x.f("to")), x.name("from"))
		},
		people: []string{"from", "to"},
	}
	vocabulary[incident.EvFollowupDone] = eventWords{
		slack: func(x slackEvent) (string, string) {
			return "saw " + link(x.f["url"], "the issue") + " of follow-up #" + EscapeMrkdwn(x.f["n"]) + " closed: it is done", ""
		},
		postmortem: func(x PostmortemEvent) string { return "Follow-up #" + x.f("n") + " done (issue closed)" },
	}
	vocabulary[incident.EvFollowupReopened] = eventWords{
		slack: func(x slackEvent) (string, string) {
			return "saw " + link(x.f["url"], "the issue") + " of follow-up #" + EscapeMrkdwn(x.f["n"]) + " reopened: it is open again", ""
		},
		postmortem: func(x PostmortemEvent) string { return "Follow-up #" + x.f("n") + " open again (issue reopened)" },
	}
}

// keyTimeIn shows a key time recorded on the timeline (RFC 3339) in loc;
// "" when there is none.
func keyTimeIn(s string, loc *time.Location) string {
	if s == "" {
		return ""
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return EscapeMrkdwn(s)
	}
	return when(t, loc)
}
