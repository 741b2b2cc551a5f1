package templates

import (
	"strings"
	"testing"
	"time"

	"github.com/firebreak-hq/firebreak/incident"
)

// TestEveryEventKindWorded: the event vocabulary has one descriptor for
// every kind of event, with words for the Slack timeline and for the
// postmortem, and none for a kind the domain does not have.
func TestEveryEventKindWorded(t *testing.T) {
	known := map[incident.EventKind]bool{}
	inc := incident.Incident{Number: 4}
	for _, k := range incident.EventKinds {
		known[k] = true
		w, ok := vocabulary[k]
		if !ok {
			t.Errorf("event kind %q has no descriptor in the vocabulary", k)
			continue
		}
		if w.slack == nil || w.postmortem == nil {
			t.Errorf("event kind %q: descriptor lacks the Slack or the postmortem words", k)
			continue
		}
		e := incident.Event{Kind: k, Actor: "UALICE", Fields: map[string]string{}}
		slackLine := describeEvent(inc, e, time.UTC)
		if !strings.HasPrefix(slackLine, "<@UALICE> ") || strings.Contains(slackLine, string(k)) && strings.Contains(string(k), "_") {
			t.Errorf("event kind %q: Slack timeline says %q", k, slackLine)
		}
		pm := PostmortemEventLine(PostmortemEvent{Event: e, Name: func(u string) string { return u }, Plain: func(s string) string { return s }})
		if pm == "" || strings.Contains(pm, "_") {
			t.Errorf("event kind %q: postmortem says %q", k, pm)
		}
		if c := EventsCounted(k); c == "" || strings.Contains(c, "_") {
			t.Errorf("event kind %q: counted as %q", k, c)
		}
	}
	for k := range vocabulary {
		if !known[k] {
			t.Errorf("the vocabulary words %q, which is not an event kind", k)
		}
	}
}

// TestEventPeople: the people an event names are those its descriptor
// lists, so a postmortem can resolve every name it shows.
func TestEventPeople(t *testing.T) {
	for _, c := range []struct {
		e    incident.Event
		want string
	}{
		{incident.Event{Kind: incident.EvLeadAssigned, Fields: map[string]string{"user": "UB", "previous": "UA"}}, "UB UA"},
		{incident.Event{Kind: incident.EvStepDone, Fields: map[string]string{"step": "fix", "requested_by": "UC", "approved_by": "UD"}}, "UC UD"},
		{incident.Event{Kind: incident.EvMemberJoined, Fields: map[string]string{"inviter": "UE"}}, "UE"},
		{incident.Event{Kind: incident.EvLeadRefused, Fields: map[string]string{"user": "UF", "lead": "UG", "reason": "x"}}, "UF UG"},
		{incident.Event{Kind: incident.EvMessagePinned, Fields: map[string]string{"author": "UH", "ts": "1.2"}}, "UH"},
		{incident.Event{Kind: incident.EvNote, Fields: map[string]string{"user": "UI"}}, ""},
	} {
		if got := strings.Join(EventPeople(c.e), " "); got != c.want {
			t.Errorf("%s: people %q, want %q", c.e.Kind, got, c.want)
		}
	}
}

func TestEventsCounted(t *testing.T) {
	for k, want := range map[incident.EventKind]string{
		incident.EvNote: "notes", incident.EvStepDone: "steps done", incident.EvMemberJoined: "member joined events",
	} {
		if got := EventsCounted(k); got != want {
			t.Errorf("EventsCounted(%s) = %q, want %q", k, got, want)
		}
	}
}
