package bot

import (
	"fmt"

	"github.com/firebreak-hq/firebreak/incident"
	"github.com/firebreak-hq/firebreak/templates"
)

// The refusals the Slack handlers write themselves (the domain's come
// from incident, the parser's from ParseSlash). Each is one sentence
// through templates.Sentence, like every other refusal; the refusal
// rendering test calls each of them.

func refuseNotInIncident(sub Sub) string {
	return templates.Sentence(fmt.Sprintf(notInIncident, "/incident "+string(sub)))
}

func refuseDBRead(err error, incidentToo bool) string {
	what := "its database"
	if incidentToo {
		what = "this incident from its database"
	}
	return templates.Sentence("Firebreak could not read " + what + ": " + err.Error() + ". Nothing was changed; try again.")
}

func refusePanic() string {
	return templates.Sentence("Something went wrong inside Firebreak while handling that; it was logged. Check `/incident status` before trying again.")
}

func refuseFormFailed(err error) string {
	return templates.Sentence("Firebreak could not open the form (" + err.Error() + "). Try again, or type the command with text, for example `/incident new sev2 Checkout errors`.")
}

func refuseBadButton(err error) string {
	return templates.Sentence("This button is not one Firebreak understands (" + rawUserText(err) + "). The card may be from an older version; use `/incident status`.")
}

func refuseStaleCard(n uint64) string {
	return templates.Sentence(incident.ID(n) + " does not exist in this Firebreak's database; this card is stale.")
}

func refuseNotMember(inc incident.Incident) string {
	return templates.Sentence("Only members of this channel can act on " + inc.ID() + ". Join the channel first; joining is recorded on the timeline.")
}

func refuseWrongChannel(inc incident.Incident) string {
	return templates.Sentence("This button belongs to " + inc.ID() + ", but it was pressed outside " + inc.ID() + "'s channel, so Firebreak did nothing. Use the card in the incident's own channel.")
}

func refuseChannelPending(inc incident.Incident) string {
	return templates.Sentence(inc.ID() + "'s channel is still being created, so nobody can change it yet. Try again in a moment.")
}

func refuseMembershipUnknown(inc incident.Incident) string {
	return templates.Sentence("Firebreak could not check that you are a member of " + inc.ID() + "'s channel (Slack did not answer in time), so nothing was changed. Try again in a moment.")
}

func refuseUnknownStep(inc incident.Incident, stepID string) string {
	return templates.Sentence(fmt.Sprintf("%s has no step %q; this card is out of date.", inc.ID(), templates.Clip(stepID, 64)))
}

func refuseUnknownButton(actionID string) string {
	return templates.Sentence("Firebreak does not know the button `" + templates.Clip(actionID, 60) + "`; the message may be from a newer version.")
}

func refuseNoPlaybook(name string, names []string) error {
	list := ""
	for i, n := range names {
		if i > 0 {
			list += ", "
		}
		list += "`" + n + "`"
	}
	return userErr(fmt.Sprintf("There is no playbook %q. Playbooks: %s.", templates.Clip(name, 40), list))
}
