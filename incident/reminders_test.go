package incident_test

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/firebreak-hq/firebreak/incident"
	"github.com/firebreak-hq/firebreak/templates"
)

// t0 is a Monday morning; every test offsets from it.
var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

func mins(n int) time.Duration { return time.Duration(n) * time.Minute }

func declareAt(t *testing.T, sev incident.Severity, at time.Time) incident.Incident {
	t.Helper()
	res, err := incident.Declare(1, incident.Declaration{Title: "checkout errors", Severity: sev, Declarer: "UDECL"}, at)
	if err != nil {
		t.Fatalf("Declare: %v", err)
	}
	return res.Incident
}

func do(t *testing.T, inc incident.Incident, at time.Time, cmd incident.Command) incident.Incident {
	t.Helper()
	if cmd.Actor == "" {
		cmd.Actor = "UDECL"
	}
	res, err := incident.Apply(inc, cmd, at)
	if err != nil {
		t.Fatalf("Apply %s: %v", cmd.Kind, err)
	}
	return res.Incident
}

func mark(t *testing.T, inc incident.Incident, r incident.Reminder, at time.Time) incident.Incident {
	t.Helper()
	res, err := incident.MarkReminded(inc, r, at)
	if err != nil {
		t.Fatalf("MarkReminded %s: %v", r.Key, err)
	}
	return res.Incident
}

// summary renders reminders relative to t0 so expectations read like the issue.
func summary(rs []incident.Reminder) []string {
	out := []string{}
	for _, r := range rs {
		s := fmt.Sprintf("%s +%s %s", r.Kind, r.Due.Sub(t0), r.User)
		if r.StepID != "" {
			s += " " + r.StepID
		}
		out = append(out, s)
	}
	return out
}

func TestDue(t *testing.T) {
	def := incident.DefaultReminderConfig()
	noSev1 := incident.DefaultReminderConfig()
	delete(noSev1.UpdateEvery, incident.Sev1)
	withLead := func(inc incident.Incident) incident.Incident {
		return do(t, inc, t0.Add(mins(1)), incident.Command{Kind: incident.CmdLead, User: "ULEAD"})
	}
	cases := []struct {
		name  string
		sev   incident.Severity
		setup func(incident.Incident) incident.Incident
		cfg   *incident.ReminderConfig // nil: the defaults
		at    time.Duration
		want  []string
	}{
		{name: "nothing due before the interval", sev: incident.Sev1, setup: withLead, at: mins(15) - time.Second, want: []string{}},
		{name: "update nudge after the severity's interval mentions the lead", sev: incident.Sev1, setup: withLead, at: mins(15),
			want: []string{"update +15m0s ULEAD"}},
		{name: "long downtime yields one nudge, not a backlog", sev: incident.Sev1, setup: withLead, at: 3 * time.Hour,
			want: []string{"update +15m0s ULEAD"}},
		{name: "sev4 waits two hours", sev: incident.Sev4, setup: withLead, at: 2*time.Hour - time.Second, want: []string{}},
		{name: "sev4 after two hours", sev: incident.Sev4, setup: withLead, at: 2 * time.Hour, want: []string{"update +2h0m0s ULEAD"}},
		{name: "an update resets the interval", sev: incident.Sev1, at: mins(24),
			setup: func(inc incident.Incident) incident.Incident {
				inc = withLead(inc)
				return do(t, inc, t0.Add(mins(10)), incident.Command{Kind: incident.CmdUpdate, Text: "rolling back"})
			}, want: []string{}},
		{name: "after the reset the nudge is one interval after the update", sev: incident.Sev1, at: mins(25),
			setup: func(inc incident.Incident) incident.Incident {
				inc = withLead(inc)
				return do(t, inc, t0.Add(mins(10)), incident.Command{Kind: incident.CmdUpdate, Text: "rolling back"})
			}, want: []string{"update +25m0s ULEAD"}},
		{name: "raising the severity shortens the interval", sev: incident.Sev4, at: mins(20),
			setup: func(inc incident.Incident) incident.Incident {
				inc = withLead(inc)
				return do(t, inc, t0.Add(mins(20)), incident.Command{Kind: incident.CmdSeverity, Severity: incident.Sev1})
			}, want: []string{"update +15m0s ULEAD"}},
		{name: "without a lead the declarer is nudged and a lead is asked for", sev: incident.Sev1, at: mins(15),
			want: []string{"lead +5m0s UDECL", "update +15m0s UDECL"}},
		{name: "lead reminder not before five minutes", sev: incident.Sev4, at: mins(5) - time.Millisecond, want: []string{}},
		{name: "mitigated incidents are still nudged", sev: incident.Sev1, at: mins(15),
			setup: func(inc incident.Incident) incident.Incident {
				inc = withLead(inc)
				return do(t, inc, t0.Add(mins(5)), incident.Command{Kind: incident.CmdMitigated})
			}, want: []string{"update +15m0s ULEAD"}},
		{name: "resolved incidents get the verify reminder instead of nudges", sev: incident.Sev1, at: 2 * time.Hour,
			setup: func(inc incident.Incident) incident.Incident {
				inc = withLead(inc)
				return do(t, inc, t0.Add(mins(10)), incident.Command{Kind: incident.CmdResolve})
			}, want: []string{"verify +40m0s ULEAD"}},
		{name: "the incident's own verify window wins", sev: incident.Sev1, at: 2 * time.Hour,
			setup: func(inc incident.Incident) incident.Incident {
				inc = withLead(inc)
				inc.VerifyWindow = mins(5)
				return do(t, inc, t0.Add(mins(10)), incident.Command{Kind: incident.CmdResolve})
			}, want: []string{"verify +15m0s ULEAD"}},
		{name: "a closed incident has no reminders", sev: incident.Sev1, at: 5 * time.Hour,
			setup: func(inc incident.Incident) incident.Incident {
				inc = do(t, inc, t0.Add(mins(2)), incident.Command{Kind: incident.CmdStepAssign, StepID: "timeline", User: "UBOB"})
				return do(t, inc, t0.Add(mins(10)), incident.Command{Kind: incident.CmdClose, Force: true, Text: "duplicate"})
			}, want: []string{}},
		{name: "a severity missing from the config is never nudged", sev: incident.Sev1, cfg: &noSev1, setup: withLead, at: 5 * time.Hour, want: []string{}},
		{name: "a snooze that ends before the due moment changes nothing", sev: incident.Sev1, at: mins(15),
			setup: func(inc incident.Incident) incident.Incident {
				inc = withLead(inc)
				return do(t, inc, t0.Add(mins(5)), incident.Command{Kind: incident.CmdSnooze, Until: t0.Add(mins(10))})
			}, want: []string{"update +15m0s ULEAD"}},
		{name: "stale step reminds its assignee", sev: incident.Sev4, at: mins(32),
			setup: func(inc incident.Incident) incident.Incident {
				inc = withLead(inc)
				return do(t, inc, t0.Add(mins(2)), incident.Command{Kind: incident.CmdStepAssign, StepID: "timeline", User: "UBOB"})
			}, want: []string{"stale_step +32m0s UBOB timeline"}},
		{name: "stale step not before thirty minutes", sev: incident.Sev4, at: mins(32) - time.Second,
			setup: func(inc incident.Incident) incident.Incident {
				inc = withLead(inc)
				return do(t, inc, t0.Add(mins(2)), incident.Command{Kind: incident.CmdStepAssign, StepID: "timeline", User: "UBOB"})
			}, want: []string{}},
		{name: "a finished step is not stale", sev: incident.Sev4, at: time.Hour,
			setup: func(inc incident.Incident) incident.Incident {
				inc = withLead(inc)
				inc = do(t, inc, t0.Add(mins(2)), incident.Command{Kind: incident.CmdStepAssign, StepID: "timeline", User: "UBOB"})
				return do(t, inc, t0.Add(mins(20)), incident.Command{Kind: incident.CmdStepDone, StepID: "timeline", Actor: "UBOB"})
			}, want: []string{}},
		{name: "reassigning restarts the stale clock", sev: incident.Sev4, at: mins(45),
			setup: func(inc incident.Incident) incident.Incident {
				inc = withLead(inc)
				inc = do(t, inc, t0.Add(mins(2)), incident.Command{Kind: incident.CmdStepAssign, StepID: "timeline", User: "UBOB"})
				return do(t, inc, t0.Add(mins(20)), incident.Command{Kind: incident.CmdStepAssign, StepID: "timeline", User: "UCAR"})
			}, want: []string{}},
		{name: "zero durations switch reminders off", sev: incident.Sev1, cfg: &incident.ReminderConfig{}, at: 10 * time.Hour, want: []string{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			inc := declareAt(t, tc.sev, t0)
			if tc.setup != nil {
				inc = tc.setup(inc)
			}
			cfg := def
			if tc.cfg != nil {
				cfg = *tc.cfg
			}
			got := summary(incident.Due(inc, t0.Add(tc.at), cfg))
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("Due at +%s = %q, want %q", tc.at, got, tc.want)
			}
		})
	}
}

// run fast-forwards a fake clock in 10-second checks (the scheduler's
// worst case), sending whatever is due, and returns what was sent.
func run(t *testing.T, inc incident.Incident, cfg incident.ReminderConfig, from, to time.Duration,
	events map[time.Duration]incident.Command) (incident.Incident, []string) {
	t.Helper()
	var sent []string
	for at := from; at <= to; at += 10 * time.Second {
		if cmd, ok := events[at]; ok {
			inc = do(t, inc, t0.Add(at), cmd)
		}
		for _, r := range incident.Due(inc, t0.Add(at), cfg) {
			inc = mark(t, inc, r, t0.Add(at))
			sent = append(sent, fmt.Sprintf("%s@+%s", r.Kind, at))
		}
	}
	return inc, sent
}

func TestUpdateNudgeRepeatsResetsAndSnoozes(t *testing.T) {
	cfg := incident.DefaultReminderConfig()
	cases := []struct {
		name   string
		events map[time.Duration]incident.Command
		until  time.Duration
		want   []string
	}{
		{name: "repeats every interval while nobody updates", until: mins(61),
			want: []string{"update@+15m0s", "update@+30m0s", "update@+45m0s", "update@+1h0m0s"}},
		{name: "an update restarts the cycle", until: mins(81),
			events: map[time.Duration]incident.Command{mins(20): {Kind: incident.CmdUpdate, Text: "still digging"}},
			want:   []string{"update@+15m0s", "update@+35m0s", "update@+50m0s", "update@+1h5m0s", "update@+1h20m0s"}},
		{name: "a snooze postpones the next nudge and the cycle continues from it", until: mins(66),
			events: map[time.Duration]incident.Command{mins(16): {Kind: incident.CmdSnooze, Until: t0.Add(mins(31))}},
			want:   []string{"update@+15m0s", "update@+31m0s", "update@+46m0s", "update@+1h1m0s"}},
		{name: "an update after a snooze clears it", until: mins(45),
			events: map[time.Duration]incident.Command{
				mins(16): {Kind: incident.CmdSnooze, Until: t0.Add(time.Hour)},
				mins(20): {Kind: incident.CmdUpdate, Text: "fixed the config"},
			},
			want: []string{"update@+15m0s", "update@+35m0s"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			inc := declareAt(t, incident.Sev1, t0)
			inc = do(t, inc, t0, incident.Command{Kind: incident.CmdLead, User: "ULEAD"})
			_, sent := run(t, inc, cfg, 0, tc.until, tc.events)
			if !reflect.DeepEqual(sent, tc.want) {
				t.Fatalf("sent %q, want %q", sent, tc.want)
			}
		})
	}
}

func TestUpdateNudgeAfterDowntimeIsTimedFromTheSend(t *testing.T) {
	inc := declareAt(t, incident.Sev1, t0)
	inc = do(t, inc, t0, incident.Command{Kind: incident.CmdLead, User: "ULEAD"})
	// Nothing checked for three hours: one nudge, then the normal rhythm.
	_, sent := run(t, inc, incident.DefaultReminderConfig(), 3*time.Hour, 3*time.Hour+mins(31), nil)
	want := []string{"update@+3h0m0s", "update@+3h15m0s", "update@+3h30m0s"}
	if !reflect.DeepEqual(sent, want) {
		t.Fatalf("sent %q, want %q", sent, want)
	}
}

func TestLeadStaleAndVerifyAreSentOnce(t *testing.T) {
	cfg := incident.DefaultReminderConfig()
	cfg.UpdateEvery = nil
	lead := incident.Command{Kind: incident.CmdLead, User: "ULEAD"}
	resolve := incident.Command{Kind: incident.CmdResolve}
	reopen := incident.Command{Kind: incident.CmdReopen, Text: "errors are back"}
	cases := []struct {
		name   string
		events map[time.Duration]incident.Command
		until  time.Duration
		want   []string
	}{
		{name: "lead asked for once", until: 3 * time.Hour, want: []string{"lead@+5m0s"}},
		{name: "no lead reminder once a lead is assigned", until: 3 * time.Hour,
			events: map[time.Duration]incident.Command{mins(4): lead}, want: nil},
		{name: "stale step once per assignment", until: 3 * time.Hour,
			events: map[time.Duration]incident.Command{
				mins(1):  lead,
				mins(2):  {Kind: incident.CmdStepAssign, StepID: "timeline", User: "UBOB"},
				mins(40): {Kind: incident.CmdStepAssign, StepID: "timeline", User: "UCAR"},
				mins(80): {Kind: incident.CmdStepDone, StepID: "timeline", Actor: "UCAR"},
			},
			want: []string{"stale_step@+32m0s", "stale_step@+1h10m0s"}},
		{name: "verify once per resolution, again after reopen and resolve", until: 3 * time.Hour,
			events: map[time.Duration]incident.Command{
				mins(1):   lead,
				mins(10):  resolve,
				mins(50):  reopen,
				mins(60):  resolve,
				mins(100): {Kind: incident.CmdClose, Force: true, Text: "checked by hand"},
			},
			want: []string{"verify@+40m0s", "verify@+1h30m0s"}},
		{name: "reopening inside the window cancels the verify reminder", until: 3 * time.Hour,
			events: map[time.Duration]incident.Command{
				mins(1):  lead,
				mins(10): resolve,
				mins(20): reopen,
			},
			want: nil},
		{name: "closing stops every reminder", until: 3 * time.Hour,
			events: map[time.Duration]incident.Command{
				mins(2): {Kind: incident.CmdStepAssign, StepID: "timeline", User: "UBOB"},
				mins(3): {Kind: incident.CmdClose, Force: true, Text: "false alarm"},
			},
			want: nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			inc := declareAt(t, incident.Sev1, t0)
			_, sent := run(t, inc, cfg, 0, tc.until, tc.events)
			if !reflect.DeepEqual(sent, tc.want) {
				t.Fatalf("sent %q, want %q", sent, tc.want)
			}
		})
	}
}

func TestFollowupReminder(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Skip(err)
	}
	// Friday 2026-03-06 15:00 UTC is 10:00 EST; five business days later
	// is Friday 2026-03-13 10:00 EDT, which is 14:00 UTC.
	closeAt := time.Date(2026, 3, 6, 15, 0, 0, 0, time.UTC)
	closed := func(t *testing.T, followups bool) incident.Incident {
		inc := declareAt(t, incident.Sev2, closeAt.Add(-time.Hour))
		inc = do(t, inc, closeAt.Add(-time.Hour), incident.Command{Kind: incident.CmdLead, User: "ULEAD"})
		if followups {
			inc = do(t, inc, closeAt.Add(-mins(30)), incident.Command{Kind: incident.CmdFollowup, Text: "alert on queue depth"})
		}
		return do(t, inc, closeAt, incident.Command{Kind: incident.CmdClose, Force: true, Text: "verified by hand"})
	}
	cfgIn := func(loc *time.Location, n int) incident.ReminderConfig {
		c := incident.DefaultReminderConfig()
		c.Location, c.FollowupBusinessDays = loc, n
		return c
	}
	cases := []struct {
		name      string
		followups bool
		done      bool // the follow-up's issue was seen closed
		cfg       incident.ReminderConfig
		at        time.Time
		wantDue   time.Time // zero: nothing due
	}{
		{"not before five business days", true, false, cfgIn(time.UTC, 5), time.Date(2026, 3, 13, 14, 59, 59, 0, time.UTC), time.Time{}},
		{"five business days in UTC", true, false, cfgIn(time.UTC, 5), time.Date(2026, 3, 13, 15, 0, 0, 0, time.UTC), time.Date(2026, 3, 13, 15, 0, 0, 0, time.UTC)},
		{"counted in the configured zone across the DST change", true, false, cfgIn(ny, 5), time.Date(2026, 3, 13, 14, 0, 0, 0, time.UTC), time.Date(2026, 3, 13, 14, 0, 0, 0, time.UTC)},
		{"one business day skips the weekend", true, false, cfgIn(time.UTC, 1), time.Date(2026, 3, 8, 23, 0, 0, 0, time.UTC), time.Time{}},
		{"one business day is monday", true, false, cfgIn(time.UTC, 1), time.Date(2026, 3, 9, 15, 0, 0, 0, time.UTC), time.Date(2026, 3, 9, 15, 0, 0, 0, time.UTC)},
		{"no follow-ups, no reminder", false, false, cfgIn(time.UTC, 5), time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC), time.Time{}},
		{"every follow-up done, no reminder", true, true, cfgIn(time.UTC, 5), time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC), time.Time{}},
		{"switched off", true, false, cfgIn(time.UTC, 0), time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC), time.Time{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			inc := closed(t, tc.followups)
			if tc.done {
				res, _ := incident.RecordFollowupIssues(inc, []incident.FollowupIssue{{N: 1, URL: "https://github.test/acme/ops/issues/2", Closed: true}}, inc.ClosedAt.Add(time.Hour))
				inc = res.Incident
			}
			got := incident.Due(inc, tc.at, tc.cfg)
			if tc.wantDue.IsZero() {
				if len(got) != 0 {
					t.Fatalf("Due = %+v, want nothing", got)
				}
				return
			}
			if len(got) != 1 || got[0].Kind != incident.ReminderFollowup || !got[0].Due.Equal(tc.wantDue) || got[0].User != "ULEAD" {
				t.Fatalf("Due = %+v, want one followup for ULEAD due %s", got, tc.wantDue)
			}
			res, err := incident.MarkReminded(inc, got[0], tc.at)
			if err != nil {
				t.Fatal(err)
			}
			want := incident.Effect{Kind: incident.EffDM, Msg: incident.MsgReminder, User: "ULEAD",
				Fields: incident.EffectFields{Reminder: incident.ReminderFollowup, Due: tc.wantDue, Followups: 1}}
			if len(res.Effects) != 1 || !reflect.DeepEqual(res.Effects[0], want) {
				t.Fatalf("effects %+v, want %+v", res.Effects, want)
			}
			if again := incident.Due(res.Incident, tc.at.AddDate(0, 1, 0), tc.cfg); len(again) != 0 {
				t.Fatalf("after sending, still due: %+v", again)
			}
		})
	}
}

func TestMarkReminded(t *testing.T) {
	cfg := incident.DefaultReminderConfig()
	inc := declareAt(t, incident.Sev3, t0)
	inc = do(t, inc, t0.Add(mins(1)), incident.Command{Kind: incident.CmdLead, User: "ULEAD"})
	inc = do(t, inc, t0.Add(mins(2)), incident.Command{Kind: incident.CmdStepAssign, StepID: "timeline", User: "UBOB"})
	now := t0.Add(mins(40))
	due := incident.Due(inc, now, cfg)
	if len(due) != 1 || due[0].Kind != incident.ReminderStaleStep {
		t.Fatalf("Due = %+v, want one stale-step reminder", due)
	}
	r := due[0]
	if want := "stale_step:2026-03-02T09:32:00.000Z:timeline"; r.Key != want {
		t.Fatalf("key %q, want %q", r.Key, want)
	}
	before := inc.Clone()
	res, err := incident.MarkReminded(inc, r, now)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(inc, before) {
		t.Fatal("MarkReminded modified its input")
	}
	if at, ok := res.Incident.Reminders.Sent[r.Key]; !ok || !at.Equal(now) {
		t.Fatalf("Sent[%s] = %v, %v; want %s", r.Key, at, ok, now)
	}
	wantEff := incident.Effect{Kind: incident.EffPost, Msg: incident.MsgReminder,
		Fields: incident.EffectFields{Reminder: incident.ReminderStaleStep, User: "UBOB", Step: "timeline", Due: t0.Add(mins(32))}}
	if len(res.Effects) != 1 || !reflect.DeepEqual(res.Effects[0], wantEff) {
		t.Fatalf("effects = %+v, want %+v", res.Effects, wantEff)
	}
	if len(res.Events) != 1 || res.Events[0].Kind != incident.EvReminderSent || res.Events[0].Fields["key"] != r.Key ||
		res.Events[0].Fields["step"] != "timeline" || !res.Events[0].At.Equal(now) {
		t.Fatalf("events = %+v", res.Events)
	}

	refusals := []struct {
		name string
		inc  incident.Incident
		r    incident.Reminder
		code incident.Code
	}{
		{"the same key twice", res.Incident, r, incident.CodeNoop},
		{"no key", inc, incident.Reminder{Kind: incident.ReminderLead}, incident.CodeBadInput},
		{"unknown kind", inc, incident.Reminder{Kind: "pager", Key: "pager:x"}, incident.CodeBadInput},
		{"a closed incident's channel reminder",
			do(t, inc, now, incident.Command{Kind: incident.CmdClose, Force: true, Text: "done"}), r, incident.CodeClosed},
	}
	for _, tc := range refusals {
		t.Run(tc.name, func(t *testing.T) {
			_, err := incident.MarkReminded(tc.inc, tc.r, now)
			if !incident.HasCode(err, tc.code) {
				t.Fatalf("err = %v, want code %s", err, tc.code)
			}
		})
	}
}

func TestSentKeysStayFewOverALongIncident(t *testing.T) {
	inc := declareAt(t, incident.Sev1, t0)
	inc = do(t, inc, t0, incident.Command{Kind: incident.CmdStepAssign, StepID: "timeline", User: "UBOB"})
	inc = do(t, inc, t0.Add(time.Hour), incident.Command{Kind: incident.CmdStepDone, StepID: "timeline", Actor: "UBOB"})
	inc, sent := run(t, inc, incident.DefaultReminderConfig(), time.Hour, 25*time.Hour, nil)
	if len(sent) < 90 {
		t.Fatalf("only %d reminders over a day of silence on a sev1", len(sent))
	}
	// One lead key and the latest update nudge: the finished step's key
	// and the earlier nudges are forgotten.
	if n := len(inc.Reminders.Sent); n != 2 {
		t.Fatalf("%d sent keys kept: %v", n, inc.Reminders.Sent)
	}
}

func TestDueIsTheSameAfterAStoreRoundTrip(t *testing.T) {
	cfg := incident.DefaultReminderConfig()
	inc := declareAt(t, incident.Sev2, t0)
	inc = do(t, inc, t0.Add(mins(3)), incident.Command{Kind: incident.CmdStepAssign, StepID: "fix", User: "UBOB"})
	inc, _ = run(t, inc, cfg, 0, mins(45), map[time.Duration]incident.Command{
		mins(40): {Kind: incident.CmdSnooze, Until: t0.Add(mins(55))},
	})
	raw, err := json.Marshal(inc)
	if err != nil {
		t.Fatal(err)
	}
	var back incident.Incident
	if err := json.Unmarshal(raw, &back); err != nil {
		t.Fatal(err)
	}
	for at := mins(45); at <= 3*time.Hour; at += mins(1) {
		a, b := incident.Due(inc, t0.Add(at), cfg), incident.Due(back, t0.Add(at), cfg)
		if !reflect.DeepEqual(summary(a), summary(b)) {
			t.Fatalf("at +%s: before %q, after round trip %q", at, summary(a), summary(b))
		}
		for i := range a {
			if a[i].Key != b[i].Key {
				t.Fatalf("at +%s: key %s became %s", at, a[i].Key, b[i].Key)
			}
		}
	}
	if got := summary(incident.Due(back, t0.Add(mins(55)), cfg)); !reflect.DeepEqual(got, []string{"update +55m0s UDECL"}) {
		t.Fatalf("after the snooze: %q", got)
	}
}

func TestParseUpdateReminders(t *testing.T) {
	def := incident.DefaultUpdateEvery()
	with := func(sev incident.Severity, d time.Duration) map[incident.Severity]time.Duration {
		m := incident.DefaultUpdateEvery()
		m[sev] = d
		return m
	}
	cases := []struct {
		name    string
		in      string
		want    map[incident.Severity]time.Duration
		errPart string
	}{
		{name: "documented default", in: "sev1=15m,sev2=30m,sev3=1h,sev4=2h", want: def},
		{name: "empty means defaults", in: "  ", want: def},
		{name: "partial keeps other defaults", in: "sev1=5m", want: with(incident.Sev1, 5*time.Minute)},
		{name: "spaces and short severity names", in: " 2 = 45m ", want: with(incident.Sev2, 45*time.Minute)},
		{name: "unknown severity", in: "sev1=15m,sev5=1h", errPart: `"sev5=1h"`},
		{name: "bad duration", in: "sev1=soon", errPart: `"soon"`},
		{name: "missing equals", in: "sev1:15m", errPart: `"sev1:15m"`},
		{name: "empty entry", in: "sev1=15m,,sev2=30m", errPart: "empty entry"},
		{name: "named twice", in: "sev1=15m,sev1=20m", errPart: "named twice"},
		{name: "too short", in: "sev1=5s", errPart: `"sev1=5s"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := incident.ParseUpdateReminders(tc.in)
			if tc.errPart != "" {
				if err == nil || !strings.Contains(templates.ErrorText(err), tc.errPart) || !incident.HasCode(err, incident.CodeBadInput) {
					t.Fatalf("err = %v, want a bad-input error naming %s", err, tc.errPart)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func BenchmarkDue(b *testing.B) {
	res, err := incident.Declare(1, incident.Declaration{Title: "x", Severity: incident.Sev1, Declarer: "U1"}, t0)
	if err != nil {
		b.Fatal(err)
	}
	inc := res.Incident
	now := t0.Add(3 * time.Hour)
	cfg := incident.DefaultReminderConfig()
	for b.Loop() {
		_ = incident.Due(inc, now, cfg)
	}
}
