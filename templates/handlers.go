package templates

import "fmt"

// StorageFault is why a write failed, as far as a person needs to know.
type StorageFault int

// Storage faults.
const (
	StorageFailed StorageFault = iota
	StorageFull
	StorageReadOnly
)

// NotSaved tells a person that what they did was not saved (plain text;
// the caller makes it a sentence).
func NotSaved(f StorageFault) string {
	switch f {
	case StorageFull:
		return "Firebreak could not save that: the disk holding its database is full. Nothing was changed; tell whoever runs Firebreak, and try again once it has space."
	case StorageReadOnly:
		return "Firebreak could not save that: its database file is read-only. Nothing was changed; tell whoever runs Firebreak, and try again once it is writable."
	}
	return "Firebreak could not save that. Nothing was changed; please try again."
}

// The refusals the Slack edge raises itself (not the domain's): each is
// one escaped sentence.

// NotInIncident refuses a subcommand that works only in an incident
// channel.
func NotInIncident(sub string) string {
	return Sentence("Run this in an incident channel: `/incident " + sub + "` works only inside a channel that Firebreak opened for an incident. Use `/incident list` to find them.")
}

// ReadFailed says the database could not be read (the cause is logged).
func ReadFailed(incidentToo bool) string {
	what := "its database"
	if incidentToo {
		what = "this incident from its database"
	}
	return Sentence("Firebreak could not read " + what + ". Nothing was changed; try again.")
}

// Panicked answers a command whose handling failed inside Firebreak.
func Panicked() string {
	return Sentence("Something went wrong inside Firebreak while handling that; it was logged. Check `/incident status` before trying again.")
}

// FormFailed says a form could not be opened (the cause is logged).
func FormFailed() string {
	return Sentence("Firebreak could not open the form. Try again, or type the command with text, for example `/incident new sev2 Checkout errors`.")
}

// BadButton refuses a button value Firebreak cannot read; why is the
// parser's own plain words.
func BadButton(why string) string {
	return Sentence("This button is not one Firebreak understands (" + why + "). The card may be from an older version; use `/incident status`.")
}

// StaleCard refuses a card of an incident this database does not have.
func StaleCard(id string) string {
	return Sentence(id + " does not exist in this Firebreak's database; this card is stale.")
}

// NotMember refuses an action by someone outside the incident channel.
func NotMember(id string) string {
	return Sentence("Only members of this channel can act on " + id + ". Join the channel first; joining is recorded on the timeline.")
}

// WrongChannel refuses a button pressed outside its incident's channel.
func WrongChannel(id string) string {
	return Sentence("This button belongs to " + id + ", but it was pressed outside " + id + "'s channel, so Firebreak did nothing. Use the card in the incident's own channel.")
}

// ChannelPending refuses a change while the channel is being created.
func ChannelPending(id string) string {
	return Sentence(id + "'s channel is still being created, so nobody can change it yet. Try again in a moment.")
}

// MembershipUnknown refuses a change when membership could not be checked.
func MembershipUnknown(id string) string {
	return Sentence("Firebreak could not check that you are a member of " + id + "'s channel (Slack did not answer in time), so nothing was changed. Try again in a moment.")
}

// UnknownStepButton refuses a step button for a step the incident lacks.
func UnknownStepButton(id, stepID string) string {
	return Sentence(fmt.Sprintf("%s has no step %q; this card is out of date.", id, Clip(stepID, 64)))
}

// UnknownButton refuses a button with an action id Firebreak does not know.
func UnknownButton(actionID string) string {
	return Sentence("Firebreak does not know the button `" + Clip(actionID, 60) + "`; the message may be from a newer version.")
}

// NoPlaybook refuses an unknown playbook name, listing the known ones
// (plain text: the caller makes it a sentence).
func NoPlaybook(name string, names []string) string {
	list := ""
	for i, n := range names {
		if i > 0 {
			list += ", "
		}
		list += "`" + n + "`"
	}
	return fmt.Sprintf("There is no playbook %q. Playbooks: %s.", Clip(name, 40), list)
}

// PersonTask is what someone named for the lead or a role would take on
// in incident id ("lead INC-7", "hold the comms role in INC-7").
func PersonTask(id, role string) string {
	if role == "lead" {
		return "lead " + id
	}
	return "hold the " + Clip(EscapeMrkdwn(role), 30) + " role in " + id
}

// ReviewOwnerTask is what the owner of an incident's postmortem review
// does, in a refusal that says why someone cannot.
func ReviewOwnerTask(id string) string { return "own the postmortem review of " + id }

// PersonProblem is why someone cannot be the lead or hold a role.
type PersonProblem int

// Person problems.
const (
	PersonUnknown      PersonProblem = iota + 1 // Slack knows no such user
	PersonLookupFailed                          // Slack did not answer in time
	PersonSlackbot
	PersonBot
	PersonDeactivated
)

// PersonRefusal refuses naming user for task (PersonTask).
func PersonRefusal(p PersonProblem, user, task string) string {
	who := "<@" + user + ">"
	switch p {
	case PersonUnknown:
		return "Slack knows no user " + EscapeMrkdwn(user) + ", so they cannot " + task + ". Pick the person from the @-mention list."
	case PersonLookupFailed:
		return "Firebreak could not look up " + who + " in Slack (it did not answer in time), so nothing was changed. Try again in a moment."
	case PersonSlackbot:
		return "Slackbot cannot " + task + ": name a person."
	case PersonBot:
		return Sentence("The user " + who + " is a bot, so it cannot " + task + ": name a person.")
	case PersonDeactivated:
		return Sentence("The account of " + who + " is deactivated, so they cannot " + task + ": name someone who can act.")
	}
	return ""
}

// ForeignWorkspace answers a slash command from another workspace than
// the one Firebreak is installed in.
func ForeignWorkspace() string {
	return "This Firebreak serves another Slack workspace, so it did nothing with this command."
}

// CutMark ends a text cut to fit Slack's limit on an answer.
const CutMark = "\n… (cut to fit Slack's limit)"

// UnreadableCommand answers a slash command whose payload could not be
// read.
func UnreadableCommand() string {
	return "Firebreak could not read that command, so it did nothing: Slack delivered it in a form Firebreak does not understand. Type it again; if this keeps happening, tell whoever runs Firebreak (its log has the details)."
}
