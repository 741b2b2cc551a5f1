package bot

import (
	"github.com/firebreak-hq/firebreak/incident"
	"github.com/firebreak-hq/firebreak/templates"
)

// The refusals the Slack handlers raise themselves (the domain's come
// from incident, the parser's from ParseSlash), worded by templates. The
// refusal rendering test calls each of them.

func refuseNotInIncident(sub Sub) string { return templates.NotInIncident(string(sub)) }

func refuseDBRead(incidentToo bool) string { return templates.ReadFailed(incidentToo) }

func refusePanic() string { return templates.Panicked() }

func refuseFormFailed() string { return templates.FormFailed() }

func refuseBadButton(err error) string { return templates.BadButton(rawUserText(err)) }

func refuseStaleCard(n uint64) string { return templates.StaleCard(incident.ID(n)) }

func refuseNotMember(inc incident.Incident) string { return templates.NotMember(inc.ID()) }

func refuseWrongChannel(inc incident.Incident) string { return templates.WrongChannel(inc.ID()) }

func refuseChannelPending(inc incident.Incident) string { return templates.ChannelPending(inc.ID()) }

func refuseMembershipUnknown(inc incident.Incident) string {
	return templates.MembershipUnknown(inc.ID())
}

func refuseUnknownStep(inc incident.Incident, stepID string) string {
	return templates.UnknownStepButton(inc.ID(), stepID)
}

func refuseUnknownButton(actionID string) string { return templates.UnknownButton(actionID) }

func refuseNoPlaybook(name string, names []string) error {
	return userErr(templates.NoPlaybook(name, names))
}
