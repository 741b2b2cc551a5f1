package templates

import (
	"fmt"
	"strings"
	"time"

	"github.com/firebreak-hq/firebreak/incident"
)

// eventWords is one event kind's vocabulary: everything a person reads
// about it wherever events are shown, and which of its fields name
// people. TestEveryEventKindWorded checks there is one per kind.
type eventWords struct {
	// slack is what the Slack timeline says after who did it; it returns
	// the words and the text to append after a colon ("" for none).
	slack func(x slackEvent) (what, text string)
	// postmortem is the line of the postmortem's timeline (plain text).
	postmortem func(x PostmortemEvent) string
	// people are the fields holding user ids, whose names a postmortem
	// needs.
	people []string
	// written names the event's text in the postmortem's record of what
	// people wrote, which is linted; "" when its text is not.
	written string
	// noise names the kind when a very long postmortem timeline leaves
	// it out first; "" when it is always kept.
	noise string
	// counted names many events of the kind where they are counted;
	// "" for "<kind> events".
	counted string
}

// slackEvent is one event as the Slack timeline words it.
type slackEvent struct {
	inc  incident.Incident
	e    incident.Event
	f    map[string]string
	text string // the event's text, one line, escaped and clipped
	loc  *time.Location
}

func (x slackEvent) step() string { return "“" + stepTitle(x.inc, x.f["step"], x.e.Text) + "”" }

// PostmortemEvent is one event as the postmortem words it: plain text,
// people by name.
type PostmortemEvent struct {
	Event incident.Event
	// Text is the event's text as plain text.
	Text string
	// Step is the title of the step the event is about, "" if unknown.
	Step string
	// Name is a person's name for a user id; Plain turns Slack text
	// into plain text.
	Name  func(user string) string
	Plain func(string) string
}

func (x PostmortemEvent) with(s string) string {
	if x.Text == "" {
		return s
	}
	return s + ": " + x.Text
}

func (x PostmortemEvent) step() string {
	if x.Step != "" {
		return "“" + x.Step + "”"
	}
	if s := x.Event.Fields["step"]; s != "" {
		return "“" + s + "”"
	}
	return "a step"
}

func (x PostmortemEvent) f(k string) string { return x.Event.Fields[k] }

// name is the person in field k, by name; "" when the field is empty.
func (x PostmortemEvent) name(k string) string {
	if u := x.f(k); u != "" {
		return x.Name(u)
	}
	return ""
}

// was adds to s who or what there was before, if anything: "Lead: Bob
// (was Alice)".
func was(s, before string) string {
	if before == "" {
		return s
	}
	return s + " (was " + before + ")"
}

// said is a Slack timeline entry that keeps the event's text.
func said(what string) func(slackEvent) (string, string) {
	return func(x slackEvent) (string, string) { return what, x.text }
}

// with is a postmortem line that keeps the event's text.
func with(what string) func(PostmortemEvent) string {
	return func(x PostmortemEvent) string { return x.with(what) }
}

func approvalWhat(what, where string) string {
	return "`" + clipText(oneLine(what), 200) + "` on `" + clipText(oneLine(where), 100) + "`"
}

var vocabulary = map[incident.EventKind]eventWords{
	incident.EvDeclared: {
		slack: func(x slackEvent) (string, string) {
			return fmt.Sprintf("declared it (%s, playbook %s)", sevLabel(incident.Severity(x.f["severity"])), EscapeMrkdwn(x.f["playbook"])), x.text
		},
		postmortem: func(x PostmortemEvent) string {
			return fmt.Sprintf("Declared “%s” (%s, playbook %s)", x.Text, x.f("severity"), x.f("playbook"))
		},
	},
	incident.EvChannelCreated: {
		slack:      said("created the channel"),
		postmortem: func(x PostmortemEvent) string { return "Channel #" + x.Text + " created" },
	},
	incident.EvSeverityChanged: {
		slack: func(x slackEvent) (string, string) {
			return fmt.Sprintf("changed severity from %s to %s", sevLabel(incident.Severity(x.f["from"])), sevLabel(incident.Severity(x.f["to"]))), x.text
		},
		postmortem: func(x PostmortemEvent) string { return "Severity " + x.f("from") + " → " + x.f("to") },
		counted:    "severity changes",
	},
	incident.EvMitigated: {slack: said("marked it mitigated"), postmortem: with("Mitigated")},
	incident.EvResolved:  {slack: said("resolved it"), postmortem: with("Resolved")},
	incident.EvReopened: {
		slack: said("reopened it (false resolution)"), postmortem: with("Reopened (false resolution)"),
		written: "reopen reason",
	},
	incident.EvClosed: {
		slack: func(x slackEvent) (string, string) {
			if x.text != "" {
				return "force-closed it", x.text
			}
			return "closed it", ""
		},
		postmortem: func(x PostmortemEvent) string {
			if x.Text != "" {
				return "Closed with verify steps open: " + x.Text
			}
			return "Closed"
		},
		written: "close reason",
	},
	incident.EvLeadAssigned: {
		slack: func(x slackEvent) (string, string) { return "made " + mention(x.f["user"]) + " the lead", x.text },
		postmortem: func(x PostmortemEvent) string {
			return was("Lead: "+x.Name(x.f("user")), x.name("previous"))
		},
		people:  []string{"user", "previous"},
		counted: "lead changes",
	},
	incident.EvRoleAssigned: {
		slack: func(x slackEvent) (string, string) {
			return "gave " + mention(x.f["user"]) + " the " + EscapeMrkdwn(x.f["role"]) + " role", x.text
		},
		postmortem: func(x PostmortemEvent) string { return "Role " + x.f("role") + ": " + x.Name(x.f("user")) },
		people:     []string{"user"},
		counted:    "role changes",
	},
	incident.EvNote:         {slack: said("noted"), postmortem: with("Note"), written: "note", counted: "notes"},
	incident.EvStatusUpdate: {slack: said("posted an update"), postmortem: with("Status update"), written: "status update", counted: "status updates"},
	incident.EvFollowup:     {slack: said("added a follow-up"), postmortem: with("Follow-up"), written: "follow-up", counted: "follow-ups"},
	incident.EvStepDone: {
		slack:      func(x slackEvent) (string, string) { return "finished " + x.step(), "" },
		postmortem: func(x PostmortemEvent) string { return "Done " + x.step() },
		people:     []string{"requested_by", "approved_by"},
		counted:    "steps done",
	},
	incident.EvStepSkipped: {
		slack:      func(x slackEvent) (string, string) { return "skipped " + x.step(), x.text },
		postmortem: func(x PostmortemEvent) string { return x.with("Skipped " + x.step()) },
		written:    "skip reason",
		counted:    "steps skipped",
	},
	incident.EvStepAssigned: {
		slack: func(x slackEvent) (string, string) { return "assigned " + x.step() + " to " + mention(x.f["user"]), "" },
		postmortem: func(x PostmortemEvent) string {
			return "Assigned " + x.step() + " to " + x.Name(x.f("user"))
		},
		people:  []string{"user"},
		counted: "step assignments",
	},
	incident.EvApprovalRequested: {
		slack: func(x slackEvent) (string, string) {
			return "asked for approval of " + x.step() + ": " + approvalWhat(x.f["what"], x.f["where"]), ""
		},
		postmortem: func(x PostmortemEvent) string {
			return "Asked for approval of " + x.step() + " to run “" + x.Plain(x.f("what")) + "” on “" + x.Plain(x.f("where")) + "”"
		},
	},
	incident.EvApprovalGranted: {
		slack: func(x slackEvent) (string, string) {
			what := "approved " + x.step()
			if w := x.f["what"]; w != "" {
				what += " (asked by " + mention(x.f["requested_by"]) + "): " + approvalWhat(w, x.f["where"])
			}
			return what, ""
		},
		postmortem: func(x PostmortemEvent) string {
			s := "Approved " + x.step() + " (asked by " + x.Name(x.f("requested_by")) + ")"
			if x.f("what") != "" {
				s += " to run “" + x.Plain(x.f("what")) + "” on “" + x.Plain(x.f("where")) + "”"
			}
			return s
		},
		people: []string{"requested_by", "approved_by"},
	},
	incident.EvApprovalWithdrawn: {
		slack: func(x slackEvent) (string, string) {
			return "withdrew the approval request of " + x.step() + " by " + mention(x.f["requested_by"]) + " with a new request", ""
		},
		postmortem: func(x PostmortemEvent) string {
			return "Withdrew the approval request of " + x.step() + " by " + x.Name(x.f("requested_by")) + " with a new request"
		},
		people: []string{"requested_by"},
	},
	incident.EvLeadRefused: {
		slack: func(x slackEvent) (string, string) {
			return "tried to make " + mention(x.f["user"]) + " the lead instead of " + mention(x.f["lead"]) + " (refused)", ""
		},
		postmortem: func(x PostmortemEvent) string {
			return "Refused: tried to make " + x.Name(x.f("user")) + " the lead instead of " + x.Name(x.f("lead"))
		},
		people: []string{"user", "lead"},
	},
	incident.EvMemberJoined: {
		slack:      said("joined the channel"),
		postmortem: func(PostmortemEvent) string { return "Joined the channel" },
		people:     []string{"inviter"},
		noise:      "channel joins",
	},
	incident.EvMessagePinned: {
		slack: said("pinned a message"),
		postmortem: func(x PostmortemEvent) string {
			if a := x.f("author"); a != "" && a != x.Event.Actor {
				return x.with("Pinned a message by " + x.Name(a))
			}
			return x.with("Pinned a message")
		},
		people:  []string{"author"},
		written: "pinned message",
		counted: "pinned messages",
	},
	incident.EvPinnedText: {
		slack:      said("· text of a message pinned earlier"),
		postmortem: with("Text of the message pinned earlier"),
		people:     []string{"author"},
		written:    "pinned message",
	},
	incident.EvReminderSent: {
		slack:      func(x slackEvent) (string, string) { return reminded(x.inc, x.f), x.text },
		postmortem: with("Reminder sent"),
		people:     []string{"user"},
		noise:      "reminders",
	},
	incident.EvSnoozed: {
		slack: func(x slackEvent) (string, string) {
			what := "snoozed the update reminder"
			if t, err := time.Parse(time.RFC3339, x.f["until"]); err == nil {
				what += " until " + when(t, x.loc)
			}
			return what, x.text
		},
		postmortem: func(x PostmortemEvent) string { return "Update reminder snoozed until " + x.f("until") },
		noise:      "reminder snoozes",
	},
	incident.EvPostmortem:       {slack: said("published the postmortem"), postmortem: with("Postmortem published")},
	incident.EvPostmortemFailed: {slack: said("could not publish the postmortem"), postmortem: with("Postmortem publishing failed")},
	incident.EvCancelled:        {slack: said("cancelled it as declared by mistake"), postmortem: with("cancelled")},
}

// describeEvent is what one timeline event says in Slack, after its time.
func describeEvent(inc incident.Incident, e incident.Event, loc *time.Location) string {
	who := mention(e.Actor)
	if e.Actor == "" {
		who = "Firebreak"
	}
	x := slackEvent{inc: inc, e: e, f: e.Fields, text: clipText(oneLine(RecordedText(e.Text)), maxReasonLen), loc: loc}
	what, text := EscapeMrkdwn(string(e.Kind)), x.text
	if w, ok := vocabulary[e.Kind]; ok {
		what, text = w.slack(x)
	}
	if text != "" {
		what += ": " + text
	}
	return who + " " + what
}

// PostmortemEventLine is what one event says in the postmortem's
// timeline (plain text; the caller escapes it).
func PostmortemEventLine(x PostmortemEvent) string {
	if w, ok := vocabulary[x.Event.Kind]; ok {
		return w.postmortem(x)
	}
	return x.with(strings.ReplaceAll(string(x.Event.Kind), "_", " "))
}

// EventPeople lists the user ids an event names besides its actor.
func EventPeople(e incident.Event) []string {
	var out []string
	for _, k := range vocabulary[e.Kind].people {
		if v := e.Fields[k]; v != "" {
			out = append(out, v)
		}
	}
	return out
}

// WrittenAs names an event's text in the postmortem's record of what
// people wrote (which is linted), or "" when its text is not part of it.
func WrittenAs(k incident.EventKind) string { return vocabulary[k].written }

// EventsCounted names many events of kind k, where they are counted
// ("notes", "steps done").
func EventsCounted(k incident.EventKind) string {
	if c := vocabulary[k].counted; c != "" {
		return c
	}
	return strings.ReplaceAll(string(k), "_", " ") + " events"
}

// Noise names an event kind a very long postmortem timeline leaves out
// first, or "" when it is always kept.
func Noise(k incident.EventKind) string { return vocabulary[k].noise }
