package templates

import (
	"testing"
	"time"

	"github.com/firebreak-hq/firebreak/incident"
)

func TestSentence(t *testing.T) {
	cases := []struct{ in, want string }{
		{"this needs some text: `/incident note <text>`", "This needs some text: `/incident note &lt;text&gt;`."},
		{"only <@U123ABC> may do that", "Only <@U123ABC> may do that."},
		{"see <#C0INC7|inc-7> and <https://x.test/a?b=1&amp;c=2|the issue>.", "See <#C0INC7|inc-7> and <https://x.test/a?b=1&amp;c=2|the issue>."},
		{"a & b, <!channel> and <!here>", "A &amp; b, &lt;!channel&gt; and &lt;!here&gt;."},
		{"already &lt;escaped&gt; &amp; fine.", "Already &lt;escaped&gt; &amp; fine."},
		{"Did you mean `status`?", "Did you mean `status`?"},
		{"`close` takes no text", "`close` takes no text."},
		{"  ", ""},
	}
	for _, c := range cases {
		if got := Sentence(c.in); got != c.want {
			t.Errorf("Sentence(%q)\n got %q\nwant %q", c.in, got, c.want)
		}
		if got := Sentence(Sentence(c.in)); got != Sentence(c.in) {
			t.Errorf("Sentence is not idempotent on %q: %q", c.in, got)
		}
	}
	if got := Plain("Say what: `/incident note &lt;text&gt;` &amp; more."); got != "Say what: `/incident note <text>` & more." {
		t.Errorf("Plain: %q", got)
	}
}

func TestElapsed(t *testing.T) {
	for _, c := range []struct {
		d    time.Duration
		want string
	}{
		{-time.Second, "0s"}, {45 * time.Second, "45s"}, {2 * time.Minute, "2m"}, {3*time.Minute + 4*time.Second, "3m 4s"},
		{2*time.Minute + 59*time.Second, "2m 59s"}, {12*time.Minute + 31*time.Second, "13m"}, {time.Hour + 4*time.Minute + 40*time.Second, "1h 5m"},
	} {
		if got := Elapsed(c.d); got != c.want {
			t.Errorf("Elapsed(%s) = %q, want %q", c.d, got, c.want)
		}
	}
}

// TestReminderSaysHowLongTruthfully: a nudge that fell due at 2 minutes
// but is posted at 3 m 04 s says 3m 4s, not 2m.
func TestReminderSaysHowLongTruthfully(t *testing.T) {
	at := time.Date(2026, 3, 6, 16, 0, 0, 0, time.UTC)
	inc := incident.Incident{Number: 4, Title: "Checkout", Severity: incident.Sev1, Status: incident.StatusActive, Declarer: "UALICE", DeclaredAt: at}
	e := incident.Effect{Kind: incident.EffPost, Msg: incident.MsgReminder, Fields: incident.EffectFields{
		Reminder: incident.ReminderUpdate, Due: at.Add(2 * time.Minute), User: "UALICE"}}
	got, err := Reminder(inc, e, at.Add(3*time.Minute+4*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	want := ":alarm_clock: <@UALICE>, there has been no status update on *INC-4* (SEV1) for 3m 4s. Post one with `/incident update &lt;text&gt;`, even if nothing changed, or snooze this reminder."
	if got != want {
		t.Fatalf("reminder\n got %q\nwant %q", got, want)
	}
}

// TestTimelineSaysWhoWasRemindedOfWhat replaces "Firebreak was reminded
// (update)" with who was reminded of what.
func TestTimelineSaysWhoWasRemindedOfWhat(t *testing.T) {
	at := time.Date(2026, 3, 6, 16, 0, 0, 0, time.UTC)
	inc := incident.Incident{Number: 4, Title: "Checkout", Severity: incident.Sev1, Status: incident.StatusActive, Declarer: "UALICE", DeclaredAt: at,
		Steps: []incident.Step{{StepDef: incident.StepDef{ID: "timeline", Title: "Write down what changed", Phase: incident.PhaseUnderstand}}}}
	ev := func(min int, kind string, kv ...string) incident.Event {
		f := map[string]string{"reminder": kind}
		for i := 0; i+1 < len(kv); i += 2 {
			f[kv[i]] = kv[i+1]
		}
		return incident.Event{Seq: uint64(min), At: at.Add(time.Duration(min) * time.Minute), Kind: incident.EvReminderSent, Fields: f}
	}
	evs := []incident.Event{
		ev(5, "lead", "user", "UALICE"),
		ev(16, "update", "user", "UBOB"),
		ev(40, "stale_step", "user", "UCAROL", "step", "timeline"),
		ev(50, "verify", "user", "UBOB"),
		ev(60, "followup", "user", "UBOB"),
		{Seq: 61, At: at.Add(61 * time.Minute), Actor: "UALICE", Kind: incident.EvCancelled, Text: "typo"},
	}
	got := Timeline(inc, evs, time.UTC, 4000)
	want := "*Timeline of INC-4* (6 events)\n" +
		"`2026-03-06 16:05 UTC` Firebreak asked <@UALICE> to take the lead or hand it on\n" +
		"`2026-03-06 16:16 UTC` Firebreak reminded <@UBOB> to post a status update\n" +
		"`2026-03-06 16:40 UTC` Firebreak reminded <@UCAROL> of the open step “Write down what changed”\n" +
		"`2026-03-06 16:50 UTC` Firebreak asked <@UBOB> to confirm the fix held, then close or reopen\n" +
		"`2026-03-06 17:00 UTC` Firebreak reminded <@UBOB> of the open follow-ups\n" +
		"`2026-03-06 17:01 UTC` <@UALICE> cancelled it as declared by mistake: typo"
	if got != want {
		t.Fatalf("timeline\n got %q\nwant %q", got, want)
	}
}

func TestSnoozedSaysUntilWhenInTheConfiguredZone(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	until := time.Date(2026, 3, 6, 16, 15, 0, 0, time.UTC)
	got := Snoozed(incident.Incident{Number: 4}, until, berlin)
	if want := "Snoozed: the status-update reminder for *INC-4* will wait until 2026-03-06 17:15 CET."; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}
