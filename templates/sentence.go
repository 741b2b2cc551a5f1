package templates

import (
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/firebreak-hq/firebreak/incident"
)

// slackSyntax matches what Slack itself reads as markup and Firebreak
// writes on purpose: user and channel mentions, labelled links, and the
// three entities. Everything else that is &, < or > is text.
// https://api.slack.com/reference/surfaces/formatting#escaping
var slackSyntax = regexp.MustCompile(`<(?:@[UW][A-Z0-9]{2,30}(?:\|[^<>]*)?|#[CG][A-Z0-9]{2,30}(?:\|[^<>]*)?|https?://[^\s<>|]+(?:\|[^<>]*)?)>|&(?:amp|lt|gt);`)

// EscapeText escapes &, < and > in literal text (a hint such as
// "/incident note <text>", or a value someone typed) while keeping the
// mentions, channel links and links Firebreak writes, and entities that
// are already escaped. Special mentions such as <!channel> are not kept:
// Firebreak never writes them, so one in a text came from a person.
func EscapeText(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	var b strings.Builder
	last := 0
	for _, m := range slackSyntax.FindAllStringIndex(s, -1) {
		b.WriteString(mrkdwnEscaper.Replace(s[last:m[0]]))
		b.WriteString(s[m[0]:m[1]])
		last = m[1]
	}
	b.WriteString(mrkdwnEscaper.Replace(s[last:]))
	return b.String()
}

// Sentence is how every refusal and hint reaches a person: escaped as
// EscapeText does, starting with a capital letter and ending with a full
// stop (or the question or exclamation mark it already has).
func Sentence(s string) string {
	s = strings.TrimSpace(EscapeText(s))
	if s == "" {
		return s
	}
	r, n := utf8.DecodeRuneInString(s)
	if unicode.IsLower(r) {
		s = string(unicode.ToUpper(r)) + s[n:]
	}
	switch last, _ := utf8.DecodeLastRuneInString(s); last {
	case '.', '?', '!', '…':
	default:
		s += "."
	}
	return s
}

// Plain turns Sentence's mrkdwn back into plain text, for the places
// Slack shows as typed (modal field errors).
func Plain(s string) string {
	return strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&").Replace(s)
}

// Elapsed says how long something has lasted without rounding it down to
// a smaller unit people would misread: under ten minutes to the second
// ("3m 4s"), then to the nearest minute ("12m", "1h 5m").
func Elapsed(d time.Duration) string {
	switch {
	case d < time.Minute:
		return human(d)
	case d < 10*time.Minute:
		return units(int(d/time.Minute), "m", int(d%time.Minute/time.Second), "s")
	}
	return human(d.Round(time.Minute))
}

// sentenceEnd ends already-escaped text with a full stop unless it has
// its own end mark.
func sentenceEnd(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return s
	}
	switch last, _ := utf8.DecodeLastRuneInString(s); last {
	case '.', '?', '!', '…':
		return s
	}
	return s + "."
}

// reminded is what a reminder_sent event says on the timeline: who was
// reminded of what.
func reminded(inc incident.Incident, f map[string]string) string {
	who := mention(f["user"])
	if f["user"] == "" {
		who = "the channel"
	}
	switch incident.ReminderKind(f["reminder"]) {
	case incident.ReminderUpdate:
		return "reminded " + who + " to post a status update"
	case incident.ReminderLead:
		return "asked " + who + " to take the lead or hand it on"
	case incident.ReminderStaleStep:
		return "reminded " + who + " of the open step “" + stepTitle(inc, f["step"], "") + "”"
	case incident.ReminderVerify:
		return "asked " + who + " to confirm the fix held, then close or reopen"
	case incident.ReminderFollowup:
		return "reminded " + who + " of the open follow-ups"
	case incident.ReminderReviewSoon:
		return "reminded " + who + " that the postmortem review is due tomorrow"
	case incident.ReminderReviewOverdue:
		return "reminded " + who + " that the postmortem review is overdue"
	}
	if k := f["reminder"]; k != "" {
		return "sent " + who + " a reminder (" + EscapeMrkdwn(k) + ")"
	}
	return "sent " + who + " a reminder"
}

// Snoozed answers the *Snooze* button: until when, in the configured
// time zone.
func Snoozed(inc incident.Incident, until time.Time, loc *time.Location) string {
	v := struct{ ID, Until string }{ID: inc.ID(), Until: when(until, loc)}
	return mustSlack("snoozed", v, maxSection)
}
