package templates

import (
	"fmt"
	"strings"
)

// The refusals of the /incident parser: what was missing or wrong, and
// what to type instead (plain text; the caller makes it a sentence).

// Usage names a parser refusal that has nothing to fill in.
type Usage int

// Parser refusals.
const (
	UsageWhichSeverity Usage = iota + 1
	UsageLeadMention
	UsageRoleAndPerson
	UsageForceReason
	UsageCloseNoText
	UsageHandoverMention
	UsagePageWhom
	UsagePlaybookName
	UsageNewTitle
	UsageWhichTime
	UsageNoPaging
)

const timesUsage = "`/incident times detected|started|mitigated|resolved <YYYY-MM-DD HH:MM | HH:MM>`"

var usages = map[Usage]string{
	UsageWhichSeverity:   "Say which severity: `/incident sev 1` up to `/incident sev 4` (sev1 is the worst).",
	UsageLeadMention:     "Name the lead with a mention: `/incident lead @name`.",
	UsageRoleAndPerson:   "Give a role and a person: `/incident role comms @name`.",
	UsageForceReason:     "A forced close needs a reason: `/incident close --force <reason>`.",
	UsageCloseNoText:     "The `close` subcommand takes no text; to close with open verify steps use `/incident close --force <reason>`.",
	UsageHandoverMention: "Name the incoming lead with a mention: `/incident handover @name [note for them]`.",
	UsagePageWhom:        "Say whom to page: `/incident page <route-or-service> [message]`.",
	UsagePlaybookName:    "The `playbook:` option needs a name, for example `playbook:bad-deploy`.",
	UsageNewTitle:        "A new incident needs a title: `/incident new sev2 Checkout errors`, or run `/incident` alone for the form.",
	UsageWhichTime:       "Say which time to correct and to what: " + timesUsage + ", for example `/incident times started 14:05`.",
	UsageNoPaging:        "Paging is not set up: set PAGERDUTY_ROUTING_KEY or OPSGENIE_API_KEY, or give a route a `page` in FIREBREAK_ROUTES.",
}

// UsageText words a parser refusal.
func UsageText(u Usage) string { return usages[u] }

// textUsages is what each subcommand that needs text looks like.
var textUsages = map[string]string{
	"note":     "`/incident note <what you found>`",
	"update":   "`/incident update <what is happening now>`",
	"followup": "`/incident followup <action item>`",
	"cancel":   "`/incident cancel <why it was declared by mistake>`",
	"reopen":   "`/incident reopen <why the fix did not hold>`",
}

// NeedsText refuses subcommand sub typed without its text.
func NeedsText(sub string) string {
	usage, ok := textUsages[sub]
	if !ok {
		usage = "`/incident " + sub + " <text>`"
	}
	return "This needs some text: " + usage + "."
}

// TakesNoText refuses text after a subcommand that takes none (word), and
// says how to declare or note it instead.
func TakesNoText(word, rest string) string {
	return "The `" + Clip(EscapeMrkdwn(strings.ToLower(word)), 20) + "` subcommand takes no text. To declare an incident with that title use `/incident new " +
		Clip(EscapeMrkdwn(word+" "+rest), 80) + "`; to add a note use `/incident note …`."
}

// KeyTimeNeedsWhen refuses a key time correction that names the key time
// (which) but not the time.
func KeyTimeNeedsWhen(which string) string {
	return "Give the corrected " + which + " time: `/incident times " + which + " 14:05` (today) or `/incident times " + which + " 2026-03-14 14:05`."
}

// BadKeyTime refuses a time that is neither HH:MM nor YYYY-MM-DD HH:MM;
// zone is where a bare HH:MM is read.
func BadKeyTime(typed, zone string) string {
	return "Write the time as `HH:MM` (today, " + zone + ") or `YYYY-MM-DD HH:MM`, for example `14:05` or `2026-03-14 14:05`; “" + EscapeMrkdwn(typed) + "” is neither."
}

// NoPageTarget refuses a page to a target nobody configured, naming the
// ones that exist.
func NoPageTarget(target string, targets []string) string {
	return "There is no page target “" + target + "”; the targets are " + strings.Join(targets, ", ") + "."
}

// BadApprovalRequest is why an Approve button's value cannot be read: its
// request part (typed) is not a request number.
func BadApprovalRequest(typed string) string {
	return fmt.Sprintf("%q does not name an approval request", Clip(typed, 20))
}

// NoSuchIncident refuses a form of incident id, which this database does
// not have.
func NoSuchIncident(id string) string {
	return id + " does not exist in this Firebreak's database."
}

// AlreadyDeclared answers a second press of a "declare it anyway" button:
// id is the incident the first press declared, "" when it is not known.
func AlreadyDeclared(id string) string {
	if id == "" {
		id = "An incident"
	}
	return Sentence(id + " was already declared from this message; nothing more was declared.")
}

// Typo answers a probable typo (word, as typed): the closest subcommands,
// why nothing was declared, and how to declare the text anyway (with the
// button when button, else by command). It is one escaped sentence.
func Typo(word string, suggest []string, inIncident, button bool) string {
	word = "`" + Clip(EscapeMrkdwn(strings.ToLower(word)), 40) + "`"
	var msg strings.Builder
	if len(suggest) > 0 {
		msg.WriteString("Did you mean ")
		for i, s := range suggest {
			switch {
			case i == 0:
			case i == len(suggest)-1:
				msg.WriteString(" or ")
			default:
				msg.WriteString(", ")
			}
			msg.WriteString("`/incident " + s + "`")
		}
		msg.WriteString("? ")
	}
	if inIncident {
		msg.WriteString("Nothing was declared: " + word + " is not a subcommand, and in an incident channel only `/incident new <title>` declares another incident.")
		if len(suggest) == 0 {
			msg.WriteString(" See `/incident help` for what works here.")
		}
	} else {
		msg.WriteString("Nothing was declared yet: " + word + " looks like a mistyped subcommand rather than an incident title.")
	}
	if button {
		msg.WriteString(" To declare it as a new incident anyway, press the button.")
	} else {
		msg.WriteString(" To declare it as a new incident anyway, use `/incident new <title>`.")
	}
	return Sentence(msg.String())
}
