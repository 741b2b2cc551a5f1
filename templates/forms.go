package templates

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Button labels: the words on the buttons of cards, reminders and
// approval requests.
const (
	ButtonResolve         = "Resolve"
	ButtonClose           = "Close"
	ButtonReopen          = "Reopen"
	ButtonApprove         = "Approve"
	ButtonDone            = "Done"
	ButtonSkip            = "Skip"
	ButtonAssign          = "Assign me"
	ButtonRequestApproval = "Request approval"
	ButtonUpdateNow       = "Post an update"
	ButtonTakeLead        = "Take lead"
)

// SnoozeButton is the label of the reminder's snooze button, which
// postpones it by d.
func SnoozeButton(d time.Duration) string {
	return "Snooze " + strconv.Itoa(int(d/time.Minute)) + " min"
}

// DeclareTypedButton is the label of the button that declares, after
// all, a text that looked like a mistyped subcommand.
func DeclareTypedButton(title string) string {
	return "Declare “" + title + "” as a new incident"
}

// PhaseSection is one checklist phase on the card (mrkdwn): its title,
// marked when it is the current phase, its finished steps, the open steps
// that no longer fit on the card, or that it has no steps at all.
func PhaseSection(title string, current bool, done, overflow []string, empty bool) string {
	text := "*" + title + "*"
	if current {
		text += "  ← current phase"
	}
	if len(done) > 0 {
		text += "\n" + strings.Join(done, "\n")
	}
	if len(overflow) > 0 {
		text += "\n" + strings.Join(overflow, "\n") + "\n_More open steps than fit on the card: use `/incident status`._"
	}
	if empty {
		text += "\n_no steps_"
	}
	return text
}

// CardFooter closes the incident card.
func CardFooter() string {
	return "Use `/incident help` for commands · every click is recorded on the timeline"
}

// CardHeader is the card's plain-text header: the incident and its title
// on one line.
func CardHeader(id, title string) string {
	return id + " · " + strings.Join(strings.Fields(title), " ")
}

// CardFallback is the notification text beside the card's blocks
// (mrkdwn, not yet clipped).
func CardFallback(id, severity, status, title string) string {
	return id + " (" + severity + ", " + status + "): " + EscapeMrkdwn(title)
}

// FormField words one input of a form: its label, and the placeholder
// shown while it is empty.
type FormField struct{ Label, Placeholder string }

// Form words a modal: its title, its submit and cancel buttons, an
// optional mrkdwn intro above the inputs, and its inputs by block id.
type Form struct {
	Title, Submit, Cancel string
	Intro                 string
	Fields                map[string]FormField
}

func form(title, submit, intro string, fields map[string]FormField) Form {
	return Form{Title: title, Submit: submit, Cancel: "Cancel", Intro: intro, Fields: fields}
}

// DeclareForm words the form that declares an incident.
func DeclareForm() Form {
	return form("Declare an incident", "Declare", "", map[string]FormField{
		"title":    {"Title", "Checkout returns 500 for EU users"},
		"severity": {"Severity", "Severity"},
		"playbook": {"Playbook", "Playbook"},
		"impact":   {"Impact", "Who is affected and how?"},
		"private":  {Label: "Private"},
	})
}

// SkipForm words the form that asks why step (its title) of incident id
// is skipped.
func SkipForm(id, step string) Form {
	return form("Skip a step", "Skip",
		"Skipping *"+Clip(EscapeMrkdwn(step), 500)+"* in "+id+". The reason goes on the timeline and into the postmortem.",
		map[string]FormField{"reason": {"Why is it safe to skip?", "Not applicable: no schema change in this deploy"}})
}

// ApprovalForm words the form that asks what risky step (its title) will
// run and where.
func ApprovalForm(step string) Form {
	return form("Request approval", "Request",
		"*"+Clip(EscapeMrkdwn(step), 500)+"* is a risky step: a second person must approve it before it is done.",
		map[string]FormField{
			"what":  {"What exactly will be run?", "psql -c 'UPDATE … WHERE …' (paste the command)"},
			"where": {"Where will it be run?", "prod-db-2 (eu-west-1), primary"},
		})
}

// UpdateForm words the form that posts a status update.
func UpdateForm() Form {
	return form("Post a status update", "Post", "",
		map[string]FormField{"text": {"What is happening now?", "Error rate is down to 0.5%; still investigating the cause."}})
}

// ReopenForm words the form that asks why a resolved incident reopens.
func ReopenForm() Form {
	return form("Reopen incident", "Reopen", "",
		map[string]FormField{"reason": {"Why did the fix not hold?", "Errors came back after the cache expired."}})
}

// Approval form field errors, shown under the field (plain text).
const (
	ApprovalNeedsWhat  = "Say exactly what will be run, for example the command you will paste."
	ApprovalNeedsWhere = "Say where it will be run: which host, cluster or database."
)

// FieldTooLong refuses a form field of n characters when most are allowed
// (plain text).
func FieldTooLong(n, most int) string {
	return fmt.Sprintf("This is %d characters; keep it to %d or fewer.", n, most)
}
