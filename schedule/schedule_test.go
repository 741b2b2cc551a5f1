package schedule_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	_ "time/tzdata"

	"github.com/firebreak-hq/firebreak/incident"
	"github.com/firebreak-hq/firebreak/internal/testclock"
	"github.com/firebreak-hq/firebreak/schedule"
)

// t0 is Monday 2026-03-02 09:00 UTC.
var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

func mins(n int) time.Duration { return time.Duration(n) * time.Minute }

// label renders a reminder effect as "kind user @+offset".
func label(s sent, at time.Duration) string {
	user := s.Effect.Fields.User
	if s.Effect.Kind == incident.EffDM {
		user = "dm:" + s.Effect.User
	}
	l := fmt.Sprintf("%s %s @+%s", s.Effect.Fields.Reminder, user, at)
	if step := s.Effect.Fields.Step; step != "" {
		l += " " + step
	}
	return l
}

// fastForward ticks the scheduler every step from 0 to until (offsets
// from t0), applying cmds at their offsets first, and labels every
// reminder with the tick that sent it.
func fastForward(t *testing.T, m *memStore, s *schedule.Scheduler, n uint64, step, until time.Duration,
	cmds map[time.Duration]incident.Command) []string {
	t.Helper()
	out := []string{}
	seen := 0
	for at := time.Duration(0); at <= until; at += step {
		if cmd, ok := cmds[at]; ok {
			m.do(t, n, t0.Add(at), cmd)
		}
		if _, err := s.Tick(t0.Add(at)); err != nil {
			t.Fatalf("Tick at +%s: %v", at, err)
		}
		rs := m.reminders()
		for _, r := range rs[seen:] {
			out = append(out, label(r, at))
		}
		seen = len(rs)
	}
	return out
}

func TestRemindersFastForward(t *testing.T) {
	lead := incident.Command{Kind: incident.CmdLead, User: "ULEAD"}
	cases := []struct {
		name    string
		sev     incident.Severity
		closed  bool // give the scheduler a ClosedLister
		horizon time.Duration
		step    time.Duration
		until   time.Duration
		cmds    map[time.Duration]incident.Command
		want    []string
		check   func(t *testing.T, m *memStore, n uint64)
	}{
		{name: "update nudge repeats each interval and mentions the lead", sev: incident.Sev1, until: mins(31),
			cmds: map[time.Duration]incident.Command{0: lead},
			want: []string{"update ULEAD @+15m0s", "update ULEAD @+30m0s"}},
		{name: "an update resets the nudge", sev: incident.Sev1, until: mins(41),
			cmds: map[time.Duration]incident.Command{0: lead, mins(10): {Kind: incident.CmdUpdate, Text: "rolled back"}},
			want: []string{"update ULEAD @+25m0s", "update ULEAD @+40m0s"}},
		{name: "sev3 waits an hour", sev: incident.Sev3, until: mins(61),
			cmds: map[time.Duration]incident.Command{0: lead},
			want: []string{"update ULEAD @+1h0m0s"}},
		{name: "a snooze postpones the nudge and goes on the timeline", sev: incident.Sev1, until: mins(46),
			cmds: map[time.Duration]incident.Command{0: lead,
				mins(15) + 5*time.Second: {Kind: incident.CmdSnooze, Actor: "ULEAD", Until: t0.Add(mins(30) + 5*time.Second)}},
			want: []string{"update ULEAD @+15m0s", "update ULEAD @+30m5s", "update ULEAD @+45m5s"},
			check: func(t *testing.T, m *memStore, n uint64) {
				for _, e := range m.events[n] {
					if e.Kind == incident.EvSnoozed && e.Actor == "ULEAD" {
						return
					}
				}
				t.Error("no snoozed event on the timeline")
			}},
		{name: "a lead is asked for once after five minutes", sev: incident.Sev4, until: mins(60),
			want: []string{"lead UDECL @+5m0s"}},
		{name: "no lead reminder when a lead came first", sev: incident.Sev4, until: mins(60),
			cmds: map[time.Duration]incident.Command{mins(4): lead}, want: []string{}},
		{name: "a stale step reminds its assignee once", sev: incident.Sev4, until: mins(90),
			cmds: map[time.Duration]incident.Command{0: lead,
				mins(1): {Kind: incident.CmdStepAssign, StepID: "timeline", User: "UBOB"}},
			want: []string{"stale_step UBOB @+31m0s timeline"}},
		{name: "a step done in time is not stale", sev: incident.Sev4, until: mins(90),
			cmds: map[time.Duration]incident.Command{0: lead,
				mins(1):  {Kind: incident.CmdStepAssign, StepID: "timeline", User: "UBOB"},
				mins(30): {Kind: incident.CmdStepDone, StepID: "timeline", Actor: "UBOB"}},
			want: []string{}},
		{name: "the lead is asked to verify after the window", sev: incident.Sev1, until: mins(90),
			cmds: map[time.Duration]incident.Command{0: lead, mins(10): {Kind: incident.CmdResolve}},
			want: []string{"verify ULEAD @+40m0s"},
			check: func(t *testing.T, m *memStore, n uint64) {
				if m.incs[n].Status != incident.StatusResolved {
					t.Errorf("the reminder changed the status to %s; only verify steps gate close", m.incs[n].Status)
				}
			}},
		{name: "closing stops every reminder", sev: incident.Sev1, closed: true, until: 3 * time.Hour,
			cmds: map[time.Duration]incident.Command{
				mins(1): {Kind: incident.CmdStepAssign, StepID: "timeline", User: "UBOB"},
				mins(2): {Kind: incident.CmdClose, Force: true, Text: "false alarm"}},
			want: []string{}},
		{name: "follow-ups are DMed five business days after close", sev: incident.Sev2, closed: true,
			step: time.Minute, until: 8 * 24 * time.Hour,
			cmds: map[time.Duration]incident.Command{0: lead,
				mins(1): {Kind: incident.CmdFollowup, Text: "alert on queue depth"},
				mins(2): {Kind: incident.CmdClose, Force: true, Text: "verified by hand"}},
			// Monday + 5 business days is the next Monday.
			want: []string{"followup dm:ULEAD @+168h2m0s"}},
		{name: "no follow-up DM without follow-ups", sev: incident.Sev2, closed: true,
			step: time.Minute, until: 8 * 24 * time.Hour,
			cmds: map[time.Duration]incident.Command{0: lead,
				mins(2): {Kind: incident.CmdClose, Force: true, Text: "verified by hand"}},
			want: []string{}},
		{name: "incidents closed before the horizon get no follow-up", sev: incident.Sev2, closed: true, horizon: 24 * time.Hour,
			step: time.Minute, until: 8 * 24 * time.Hour,
			cmds: map[time.Duration]incident.Command{0: lead,
				mins(1): {Kind: incident.CmdFollowup, Text: "alert on queue depth"},
				mins(2): {Kind: incident.CmdClose, Force: true, Text: "verified by hand"}},
			want: []string{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := newMem()
			n := m.declare(t, tc.sev, t0)
			cfg := schedule.Config{Reminders: incident.DefaultReminderConfig(), FollowupHorizon: tc.horizon}
			if tc.closed {
				cfg.Closed = m
			}
			step := tc.step
			if step == 0 {
				step = schedule.DefaultEvery
			}
			got := fastForward(t, m, schedule.New(m, cfg, nil), n, step, tc.until, tc.cmds)
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("sent %q, want %q", got, tc.want)
			}
			if tc.check != nil {
				tc.check(t, m, n)
			}
		})
	}
}

func TestOverlappingTicksSendOnce(t *testing.T) {
	cases := []struct {
		name   string
		offset time.Duration // the second tick's clock ahead of the first
	}{
		{"same moment", 0},
		{"second tick slightly later", 3 * time.Second},
		{"second tick a full interval later", mins(15)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := newMem()
			n := m.declare(t, incident.Sev1, t0)
			m.do(t, n, t0.Add(mins(1)), incident.Command{Kind: incident.CmdStepAssign, StepID: "timeline", User: "UBOB"})
			s := schedule.New(m, schedule.Config{Reminders: incident.DefaultReminderConfig()}, nil)
			// Both ticks read the same state before either writes.
			m.readBarrier = &sync.WaitGroup{}
			m.readBarrier.Add(2)
			now := t0.Add(time.Hour)
			var wg sync.WaitGroup
			counts := make([]int, 2)
			for i, at := range []time.Time{now, now.Add(tc.offset)} {
				wg.Add(1)
				go func() {
					defer wg.Done()
					c, err := s.Tick(at)
					if err != nil {
						t.Error(err)
					}
					counts[i] = c
				}()
			}
			wg.Wait()
			got := m.reminders()
			kinds := map[string]int{}
			for _, r := range got {
				kinds[string(r.Effect.Fields.Reminder)]++
			}
			// lead, update and stale step were each due once at +1h.
			want := map[string]int{"lead": 1, "update": 1, "stale_step": 1}
			if !reflect.DeepEqual(kinds, want) {
				t.Fatalf("sent %v, want %v", kinds, want)
			}
			if counts[0]+counts[1] != 3 {
				t.Fatalf("ticks report %v sent, want 3 in total", counts)
			}
		})
	}
}

// TestChangeBetweenReadAndSendWins: a tick decides from a snapshot, but
// the change that lands before its transaction (an update, a lead, a
// finished step, a close) must cancel the reminder.
func TestChangeBetweenReadAndSendWins(t *testing.T) {
	cases := []struct {
		name string
		cmd  incident.Command
		want []string // reminder kinds still sent
	}{
		{"an update cancels the nudge", incident.Command{Kind: incident.CmdUpdate, Text: "rolled back"}, []string{"lead", "stale_step"}},
		{"a lead cancels the lead reminder", incident.Command{Kind: incident.CmdLead, User: "ULEAD"}, []string{"update", "stale_step"}},
		{"a finished step is not stale", incident.Command{Kind: incident.CmdStepDone, StepID: "timeline", Actor: "UBOB"}, []string{"lead", "update"}},
		{"a close cancels everything", incident.Command{Kind: incident.CmdClose, Force: true, Text: "dup"}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := newMem()
			n := m.declare(t, incident.Sev1, t0)
			m.do(t, n, t0.Add(mins(1)), incident.Command{Kind: incident.CmdStepAssign, StepID: "timeline", User: "UBOB"})
			now := t0.Add(time.Hour)
			m.afterRead = func() { m.afterRead = nil; m.do(t, n, now, tc.cmd) }
			if _, err := schedule.New(m, schedule.Config{Reminders: incident.DefaultReminderConfig()}, nil).Tick(now); err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, r := range m.reminders() {
				got = append(got, string(r.Effect.Fields.Reminder))
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("sent %q, want %q", got, tc.want)
			}
		})
	}
}

func TestRestartBetweenDueAndSend(t *testing.T) {
	m := newMem()
	n := m.declare(t, incident.Sev1, t0)
	m.do(t, n, t0, incident.Command{Kind: incident.CmdLead, User: "ULEAD"})
	cfg := schedule.Config{Reminders: incident.DefaultReminderConfig()}

	before := schedule.New(m, cfg, nil)
	if c, err := before.Tick(t0.Add(mins(14))); err != nil || c != 0 {
		t.Fatalf("before due: %d, %v", c, err)
	}
	// The process stops; the nudge falls due at +15m while it is down. A
	// new process, with nothing in memory, comes back at +50m.
	after := schedule.New(m, cfg, nil)
	for _, at := range []time.Duration{mins(50), mins(50) + 5*time.Second, mins(64)} {
		if _, err := after.Tick(t0.Add(at)); err != nil {
			t.Fatal(err)
		}
	}
	got := m.reminders()
	if len(got) != 1 || !got[0].Effect.Fields.Due.Equal(t0.Add(mins(15))) {
		t.Fatalf("after the restart: %+v, want one nudge for the +15m due moment", got)
	}
	// The rhythm continues from that late send, not from the missed slots.
	if _, err := after.Tick(t0.Add(mins(65))); err != nil {
		t.Fatal(err)
	}
	if got := m.reminders(); len(got) != 2 {
		t.Fatalf("at +65m: %d reminders, want 2", len(got))
	}
}

func TestTickKeepsGoingPastAFailure(t *testing.T) {
	m := newMem()
	bad := m.declare(t, incident.Sev1, t0)
	good := m.declare(t, incident.Sev1, t0)
	m.failApply = map[uint64]error{bad: errors.New("record unreadable")}
	var counted atomic.Int32
	s := schedule.New(m, schedule.Config{Reminders: incident.DefaultReminderConfig(),
		Sent: func(k incident.ReminderKind) { counted.Add(1) }}, nil)
	c, err := s.Tick(t0.Add(mins(20)))
	if err == nil || !strings.Contains(err.Error(), "record unreadable") || !strings.Contains(err.Error(), incident.ID(bad)) {
		t.Fatalf("err = %v, want the failure named with its incident", err)
	}
	if c != 2 || counted.Load() != 2 {
		t.Fatalf("sent %d, counted %d; want lead and update for %s", c, counted.Load(), incident.ID(good))
	}
	for _, r := range m.reminders() {
		if r.N != good {
			t.Fatalf("reminder for %s", incident.ID(r.N))
		}
	}
}

func TestNewCorrectsTheInterval(t *testing.T) {
	cases := []struct {
		name  string
		every time.Duration
		want  time.Duration
	}{
		{"default", 0, 5 * time.Second},
		{"kept", 3 * time.Second, 3 * time.Second},
		{"capped at the promised ten seconds", 30 * time.Second, 10 * time.Second},
		{"raised to cron's one second", 100 * time.Millisecond, time.Second},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := schedule.New(newMem(), schedule.Config{Every: tc.every}, nil).Every(); got != tc.want {
				t.Fatalf("Every = %s, want %s", got, tc.want)
			}
		})
	}
}

func TestNextDigest(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	inNY := func(y int, mo time.Month, d, h, mi int) time.Time { return time.Date(y, mo, d, h, mi, 0, 0, ny) }
	cases := []struct {
		name  string
		cron  string
		after time.Time
		want  time.Time
	}{
		{"weekday morning later today", "", inNY(2026, 3, 3, 8, 59), inNY(2026, 3, 3, 9, 0)},
		{"friday's digest done, next is monday", "", inNY(2026, 3, 6, 9, 0), inNY(2026, 3, 9, 9, 0)},
		{"saturday waits for monday", "", inNY(2026, 3, 7, 12, 0), inNY(2026, 3, 9, 9, 0)},
		{"09:00 local across spring-forward", "", time.Date(2026, 3, 6, 14, 30, 0, 0, time.UTC), time.Date(2026, 3, 9, 13, 0, 0, 0, time.UTC)},
		{"09:00 local across fall-back", "", time.Date(2026, 10, 30, 13, 30, 0, 0, time.UTC), time.Date(2026, 11, 2, 14, 0, 0, 0, time.UTC)},
		{"custom expression", "30 17 * * *", inNY(2026, 3, 7, 18, 0), inNY(2026, 3, 8, 17, 30)},
		{"CRON_TZ overrides the zone", "CRON_TZ=UTC 0 9 * * 1-5", inNY(2026, 3, 3, 3, 0), time.Date(2026, 3, 3, 9, 0, 0, 0, time.UTC)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rc := incident.DefaultReminderConfig()
			rc.Location = ny
			s := schedule.New(newMem(), schedule.Config{Reminders: rc, DigestCron: tc.cron}, nil)
			got, err := s.NextDigest(tc.after)
			if err != nil {
				t.Fatal(err)
			}
			if !got.Equal(tc.want) {
				t.Fatalf("NextDigest(%s) = %s, want %s", tc.after, got, tc.want)
			}
		})
	}
}

func TestBadDigestCronIsRefused(t *testing.T) {
	s := schedule.New(newMem(), schedule.Config{DigestCron: "at nine", Digests: &digestQueue{}}, nil)
	if _, err := s.NextDigest(t0); err == nil || !strings.Contains(err.Error(), "at nine") {
		t.Fatalf("NextDigest err = %v", err)
	}
	if err := s.Start(t.Context()); err == nil || !strings.Contains(err.Error(), "at nine") {
		t.Fatalf("Start err = %v, want the bad expression named", err)
	}
}

func TestDigestListsOpenIncidentsWorstFirst(t *testing.T) {
	m := newMem()
	a := m.declare(t, incident.Sev3, t0)
	b := m.declare(t, incident.Sev1, t0.Add(time.Hour))
	c := m.declare(t, incident.Sev3, t0.Add(-time.Hour))
	d := m.declare(t, incident.Sev2, t0)
	m.do(t, b, t0.Add(time.Hour), incident.Command{Kind: incident.CmdLead, User: "ULEAD"})
	m.do(t, d, t0.Add(time.Hour), incident.Command{Kind: incident.CmdClose, Force: true, Text: "dup"})
	s := schedule.New(m, schedule.Config{}, nil)
	items, err := s.Digest(t0.Add(3 * time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, it := range items {
		got = append(got, fmt.Sprintf("%s %s %s lead=%s", incident.ID(it.Number), it.Severity, it.Age, it.Lead))
	}
	want := []string{
		fmt.Sprintf("%s sev1 2h0m0s lead=ULEAD", incident.ID(b)),
		fmt.Sprintf("%s sev3 4h0m0s lead=", incident.ID(c)),
		fmt.Sprintf("%s sev3 3h0m0s lead=", incident.ID(a)),
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("digest %q, want %q", got, want)
	}
}

// TestStartChecksAtOnceAndStops runs the real cron loop with a one-second
// interval against a fake clock; it waits on the reminders it is told of,
// never on a fixed sleep.
func TestStartChecksAtOnceAndStops(t *testing.T) {
	m := newMem()
	n := m.declare(t, incident.Sev1, t0)
	m.do(t, n, t0, incident.Command{Kind: incident.CmdLead, User: "ULEAD"})
	clk := testclock.New(t0.Add(mins(20)))
	sent := make(chan incident.ReminderKind, 64)
	s := schedule.New(m, schedule.Config{
		Reminders: incident.DefaultReminderConfig(),
		Every:     time.Second,
		Now:       clk.Now,
		Sent:      func(k incident.ReminderKind) { sent <- k },
		Digests:   &digestQueue{},
	}, nil)
	// await waits until the scheduler has committed and told of another
	// reminder, and returns how many it has sent in all.
	await := func(what string) int {
		t.Helper()
		select {
		case <-sent:
		case <-time.After(10 * time.Second):
			t.Fatalf("timed out waiting: %s", what)
		}
		return len(m.reminders())
	}
	stopped := func(what string) {
		t.Helper()
		select {
		case <-s.Done():
		case <-time.After(10 * time.Second):
			t.Fatalf("%s did not stop", what)
		}
	}
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	if err := s.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.Start(ctx); err == nil {
		t.Fatal("a second Start was accepted")
	}
	if got := await("the start-up check sends the overdue nudge"); got != 1 {
		t.Fatalf("%d reminders after the start-up check, want 1", got)
	}
	clk.Set(t0.Add(mins(35)))
	if got := await("a scheduled check sends the next nudge"); got != 2 {
		t.Fatalf("%d reminders after the next check, want 2", got)
	}
	cancel()
	stopped("scheduler")
	if len(sent) != 0 {
		t.Fatalf("Sent told of %d reminders more than were sent", len(sent))
	}
	clk.Set(t0.Add(2 * time.Hour))
	if got := len(m.reminders()); got != 2 {
		t.Fatalf("%d reminders after stop", got)
	}
	// Started again (a replica that lost the lead and took it back), it
	// checks at once and sends what fell due meanwhile.
	ctx2, cancel2 := context.WithCancel(t.Context())
	if err := s.Start(ctx2); err != nil {
		t.Fatalf("a start after the previous one stopped: %v", err)
	}
	if got := await("the restarted scheduler sends what fell due"); got < 3 {
		t.Fatalf("%d reminders after the restart, want more than 2", got)
	}
	cancel2()
	stopped("restarted scheduler")
}

func BenchmarkTick(b *testing.B) {
	m := newMem()
	const open = 200
	for range open {
		m.declare(b, incident.Sev3, t0)
	}
	s := schedule.New(m, schedule.Config{Reminders: incident.DefaultReminderConfig()}, nil)
	// Everything already reminded: the steady state of a busy day.
	if _, err := s.Tick(t0.Add(mins(61))); err != nil {
		b.Fatal(err)
	}
	now := t0.Add(mins(62))
	for b.Loop() {
		if _, err := s.Tick(now); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(open, "incidents/op")
}

// digestQueue is an in-memory DigestQueue.
type digestQueue struct {
	mu   sync.Mutex
	keys map[string]bool
	effs []incident.Effect
}

func (q *digestQueue) EnqueueOnce(key string, eff incident.Effect) (bool, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.keys[key] {
		return false, nil
	}
	if q.keys == nil {
		q.keys = map[string]bool{}
	}
	q.keys[key] = true
	q.effs = append(q.effs, eff)
	return true, nil
}

// TestDigestQueuedOncePerDueMoment: the digest due at 09:00 on a weekday
// is queued once however many checks run, still goes out if the bot came
// back within the horizon, and not at all on a weekend.
func TestDigestQueuedOncePerDueMoment(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	q := &digestQueue{}
	rc := incident.DefaultReminderConfig()
	rc.Location = ny
	s := schedule.New(newMem(), schedule.Config{Reminders: rc, Digests: q}, nil)
	mon := time.Date(2026, 11, 23, 8, 59, 0, 0, ny) // a Monday
	cases := []struct {
		name string
		at   time.Time
		want bool
	}{
		{"before nine", mon, false},
		{"at nine", mon.Add(time.Minute), true},
		{"a later check the same morning", mon.Add(5 * time.Minute), false},
		{"after a restart at half past ten", mon.Add(91 * time.Minute), false},
		{"next morning, bot back late but within the horizon", time.Date(2026, 11, 24, 13, 0, 0, 0, ny), true},
		{"saturday", time.Date(2026, 11, 28, 9, 30, 0, 0, ny), false},
	}
	for _, c := range cases {
		got, err := s.TickDigest(c.at)
		if err != nil {
			t.Fatal(err)
		}
		if got != c.want {
			t.Fatalf("%s: queued %v, want %v", c.name, got, c.want)
		}
	}
	if len(q.effs) != 2 || q.effs[0].Msg != incident.MsgDigest || q.effs[0].Fields.Due.Format(time.RFC3339) != "2026-11-23T14:00:00Z" {
		t.Fatalf("queued: %+v", q.effs)
	}
}

// TestSettleWaitsForTheRunningCheck: Settle returns only once a check in
// progress has committed what it decided to send.
func TestSettleWaitsForTheRunningCheck(t *testing.T) {
	m := newMem()
	n := m.declare(t, incident.Sev1, t0)
	m.do(t, n, t0, incident.Command{Kind: incident.CmdLead, User: "ULEAD"})
	reading, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	m.afterRead = func() {
		once.Do(func() {
			close(reading)
			<-release
		})
	}
	clk := testclock.New(t0.Add(mins(20)))
	s := schedule.New(m, schedule.Config{Reminders: incident.DefaultReminderConfig(), Every: time.Second, Now: clk.Now}, nil)
	ctx, cancel := context.WithCancel(t.Context())
	defer func() { cancel(); <-s.Done() }()
	if err := s.Start(ctx); err != nil {
		t.Fatal(err)
	}
	<-reading // the start-up check is under way, held between its read and its write
	calling, seen := make(chan struct{}), make(chan int)
	go func() {
		close(calling)
		s.Settle()
		seen <- len(m.reminders())
	}()
	<-calling
	close(release)
	// Had Settle not waited, it would have seen the reminder not yet sent.
	if got := <-seen; got != 1 {
		t.Fatalf("Settle returned with %d reminders sent, want the overdue nudge", got)
	}
}
