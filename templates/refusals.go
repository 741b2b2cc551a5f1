package templates

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/firebreak-hq/firebreak/incident"
)

// subjects words what a text refusal is about.
var subjects = map[incident.Subject]string{
	incident.SubjectNote:         "the note",
	incident.SubjectUpdate:       "the status update",
	incident.SubjectFollowup:     "the follow-up",
	incident.SubjectReopenReason: "the reason for reopening",
	incident.SubjectReason:       "the reason",
	incident.SubjectSkipReason:   "the reason for skipping",
	incident.SubjectWhat:         "what will be run",
	incident.SubjectWhere:        "where it will be run",
	incident.SubjectTitle:        "the title",
}

// PhraseText words one phrase of the domain with its parameters, as
// plain text (not yet escaped or made a sentence); times are shown in UTC.
func PhraseText(p incident.Phrase, args []any) string { return PhraseTextIn(p, args, nil) }

// PhraseTextIn is PhraseText with times shown in loc (UTC when nil), the
// zone of FIREBREAK_TIMEZONE for what people read in Slack.
func PhraseTextIn(p incident.Phrase, args []any, loc *time.Location) string {
	format, ok := phrases[p]
	if !ok {
		return string(p)
	}
	shown := make([]any, len(args))
	for i, a := range args {
		shown[i] = phraseArg(a, loc)
	}
	return fmt.Sprintf(format, shown...)
}

func phraseArg(a any, loc *time.Location) any {
	if loc == nil {
		loc = time.UTC
	}
	switch v := a.(type) {
	case incident.StepName:
		return "“" + string(v) + "”"
	case incident.StepNames:
		q := make([]string, len(v))
		for i, s := range v {
			q[i] = "“" + s + "”"
		}
		return strings.Join(q, ", ")
	case incident.Subject:
		return wordFor(subjects, v, string(v))
	case time.Duration:
		m := int((v + 30*time.Second) / time.Minute)
		if m == 1 {
			return "1 minute"
		}
		return fmt.Sprintf("%d minutes", m)
	case time.Time:
		return v.In(loc).Format("15:04 MST")
	case incident.Moment:
		return when(time.Time(v), loc)
	case incident.Mention:
		return mention(string(v))
	}
	return a
}

// Refusal is a domain refusal as a person reads it in Slack: one escaped
// sentence.
func Refusal(e *incident.Error) string { return Sentence(RefusalText(e)) }

// RefusalText is a domain refusal in plain words, starting with a
// capital letter, for operators (configuration and playbook checks) and
// for callers that escape it themselves.
func RefusalText(e *incident.Error) string { return RefusalTextIn(e, nil) }

// RefusalTextIn is RefusalText with times shown in loc.
func RefusalTextIn(e *incident.Error, loc *time.Location) string {
	return upperFirst(PhraseTextIn(e.Phrase, e.Args, loc))
}

// ReplyText is what a successful command tells the person who issued it,
// as one escaped sentence.
func ReplyText(r incident.Reply) string { return ReplyTextIn(r, nil) }

// ReplyTextIn is ReplyText with times shown in loc.
func ReplyTextIn(r incident.Reply, loc *time.Location) string {
	return Sentence(PhraseTextIn(r.Phrase, r.Args, loc))
}

// ErrorText words err for an operator: a domain refusal in words, any
// other error as it is.
func ErrorText(err error) string {
	var e *incident.Error
	if errors.As(err, &e) {
		return PhraseText(e.Phrase, e.Args)
	}
	return err.Error()
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// PhaseTitle is a checklist phase's name as people read it.
func PhaseTitle(p incident.Phase) string {
	return wordFor(phaseTitles, p, string(p))
}

var phaseTitles = map[incident.Phase]string{
	incident.PhaseStopBleeding: "Stop the bleeding", incident.PhaseUnderstand: "Understand",
	incident.PhaseFixForward: "Fix forward", incident.PhaseVerify: "Verify",
}

// SeverityOption is a severity as the declaration form offers it.
func SeverityOption(s incident.Severity) string {
	return wordFor(severityOptions, s, "SEV4 · low, no customer impact")
}

var severityOptions = map[incident.Severity]string{
	incident.Sev1: "SEV1 · critical, customers down", incident.Sev2: "SEV2 · major, degraded", incident.Sev3: "SEV3 · minor",
}

// recorded words the texts the domain records when nobody typed one.
var recorded = map[string]string{
	incident.TextImpliedByResolve: "implied by resolve",
	incident.TextStopStepsDone:    "every stop-the-bleeding step is finished",
	incident.TextPinnedNone:       "(no text: the message has none, or is no longer available)",
}

// RecordedText is an event's or a message's text as people read it: what
// someone typed, or the words for what the domain recorded on its own.
func RecordedText(s string) string {
	return wordFor(recorded, s, s)
}
