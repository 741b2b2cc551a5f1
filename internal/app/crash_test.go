package app_test

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/firebreak-hq/firebreak/bot"
	"github.com/firebreak-hq/firebreak/incident"
	"github.com/firebreak-hq/firebreak/internal/app"
	"github.com/firebreak-hq/firebreak/internal/crashtest"
	"github.com/firebreak-hq/firebreak/internal/githubfake"
	"github.com/firebreak-hq/firebreak/internal/slackfake"
)

// crashRig runs the real binary against the fakes and kills it on demand.
type crashRig struct {
	t     *testing.T
	bin   string
	env   []string
	db    string
	slack *slackfake.Server
	gh    *githubfake.Server

	mu    sync.Mutex
	proc  *crashtest.Proc
	runs  int
	kills []kill
	logs  []string
}

// kill is one SIGKILL: gone is when the fake saw the socket close (every
// envelope written before it went to the dead process), back is when the
// next process was connected again (zero while it is not).
type kill struct {
	at, gone, back time.Time
}

func newCrashRig(t *testing.T) *crashRig {
	t.Helper()
	bin, err := crashtest.Build("../..", "./cmd/firebreak", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ws := newWorkspace(t, slackfake.WithRedeliveryDelay(time.Second))
	r := &crashRig{t: t, bin: bin, db: ws.env["FIREBREAK_DB"], slack: ws.slack, gh: ws.gh}
	for k, v := range ws.env {
		r.env = append(r.env, k+"="+v)
	}
	sort.Strings(r.env)
	t.Cleanup(func() {
		r.mu.Lock()
		p := r.proc
		r.mu.Unlock()
		if p != nil {
			_ = p.Kill()
		}
		if t.Failed() {
			r.dumpLogs()
		}
	})
	return r
}

func (r *crashRig) dumpLogs() {
	r.mu.Lock()
	defer r.mu.Unlock()
	logs := append([]string(nil), r.logs...)
	if r.proc != nil {
		logs = append(logs, r.proc.Log())
	}
	if len(logs) > 3 {
		logs = logs[len(logs)-3:]
	}
	for _, l := range logs {
		if len(l) > 8000 {
			l = "…" + l[len(l)-8000:]
		}
		r.t.Logf("bot log:\n%s", l)
	}
}

// start runs a new process on the database and waits for its socket.
func (r *crashRig) start() {
	r.t.Helper()
	p, err := crashtest.Start(r.bin, r.env, "run")
	if err != nil {
		r.t.Fatal(err)
	}
	r.mu.Lock()
	r.proc = p
	r.runs++
	r.mu.Unlock()
	exited := false
	connected := poll(20*time.Second, func() bool {
		select {
		case <-p.Done():
			exited = true
			return true
		default:
		}
		return r.slack.Connections() > 0
	})
	switch {
	case exited:
		r.t.Fatalf("firebreak run exited at start:\n%s", p.Log())
	case !connected:
		r.t.Fatalf("firebreak run did not connect within 20s:\n%s", p.Log())
	}
}

// crash SIGKILLs the running process and starts the next one.
func (r *crashRig) crash() {
	r.t.Helper()
	r.mu.Lock()
	p := r.proc
	r.mu.Unlock()
	k := kill{at: time.Now()}
	if err := p.Kill(); err != nil {
		r.t.Fatal(err)
	}
	if !poll(10*time.Second, func() bool { return r.slack.Connections() == 0 }) {
		r.t.Fatal("the fake still sees a socket 10s after SIGKILL")
	}
	k.gone = time.Now()
	r.mu.Lock()
	r.kills = append(r.kills, k)
	r.logs = append(r.logs, p.Log())
	if len(r.logs) > 3 {
		r.logs = r.logs[1:]
	}
	idx := len(r.kills) - 1
	r.mu.Unlock()
	r.start()
	r.mu.Lock()
	r.kills[idx].back = time.Now()
	r.mu.Unlock()
}

// stop ends the process with SIGTERM, as an operator would.
func (r *crashRig) stop() {
	r.t.Helper()
	r.mu.Lock()
	p := r.proc
	r.proc = nil
	r.mu.Unlock()
	if p == nil {
		return
	}
	if err := p.Stop(20 * time.Second); err != nil {
		r.t.Errorf("firebreak run did not stop cleanly: %v\n%s", err, p.Log())
	}
}

// settle waits for the fate of an envelope Slack will not redeliver
// (slash command, click): acked, or sent to a process that was then
// killed, so no answer can come any more.
func (r *crashRig) settle(envID string) (slackfake.Ack, bool) {
	r.t.Helper()
	var (
		ack          slackfake.Ack
		acked, known bool
	)
	known = poll(60*time.Second, func() bool {
		for _, a := range r.slack.Acks() {
			if a.EnvelopeID == envID {
				ack, acked = a, true
				return true
			}
		}
		var sent time.Time
		for _, e := range r.slack.Envelopes() {
			if e.ID == envID {
				sent = e.Sent
			}
		}
		if sent.IsZero() {
			return false
		}
		r.mu.Lock()
		defer r.mu.Unlock()
		for _, k := range r.kills {
			if k.gone.After(sent) && !k.back.IsZero() {
				return true
			}
		}
		return false
	})
	if !known {
		r.t.Fatalf("envelope %s neither acked nor lost within 60s", envID)
	}
	return ack, acked
}

func (r *crashRig) slash(user, channel, text string) (string, bool) {
	r.t.Helper()
	id, err := r.slack.SendSlash(user, channel, text)
	if err != nil {
		r.t.Fatal(err)
	}
	a, ok := r.settle(id)
	if !ok {
		return "", false
	}
	var p struct {
		Text string `json:"text"`
	}
	_ = json.Unmarshal(a.Payload, &p)
	return p.Text, true
}

func (r *crashRig) killCount() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.kills)
}

// expectation is what an acknowledged action must have left on the timeline.
type expectation struct {
	what  string
	kind  incident.EventKind
	match func(incident.Event) bool
	// once: the action must appear exactly once (not redone by a restart).
	once bool
}

func crashRuns(t *testing.T) int {
	if v := os.Getenv("FIREBREAK_CRASH_RUNS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			t.Fatalf("FIREBREAK_CRASH_RUNS=%q is not a positive number", v)
		}
		return n
	}
	return 5
}

func crashSeed(t *testing.T) uint64 {
	if v := os.Getenv("FIREBREAK_CRASH_SEED"); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			t.Fatalf("FIREBREAK_CRASH_SEED=%q is not a number", v)
		}
		return n
	}
	return uint64(time.Now().UnixNano())
}

// TestCrashSafety drives an incident through the fake Slack while the
// real binary is SIGKILLed at random moments and restarted on the same
// file. Every action Slack saw acknowledged must be on the timeline,
// exactly once; the incident ends with one channel, one pinned card
// showing the final state and one postmortem issue.
//
// FIREBREAK_CRASH_RUNS sets the number of kills (default 5) and
// FIREBREAK_CRASH_SEED replays a run (the seed is logged).
func TestCrashSafety(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	kills, seed := crashRuns(t), crashSeed(t)
	t.Logf("crash run: %d kills, FIREBREAK_CRASH_SEED=%d", kills, seed)
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	// The killer has its own stream, so the script's choices replay
	// identically whatever the kill timing.
	killRNG := rand.New(rand.NewPCG(seed+1, seed))
	r := newCrashRig(t)
	r.start()
	began := time.Now()

	stopKiller := make(chan struct{})
	killerDone := make(chan struct{})
	go func() {
		defer close(killerDone)
		for r.killCount() < kills {
			// Between 30 ms and 1.2 s after the last restart: inside
			// start-up, channel creation, card posting, bursts of commands.
			d := time.Duration(30+killRNG.IntN(1170)) * time.Millisecond
			select {
			case <-stopKiller:
				return
			case <-time.After(d):
			}
			r.crash()
		}
	}()
	defer func() {
		close(stopKiller)
		<-killerDone
	}()

	var (
		exp      []expectation
		acked    int
		unacked  int
		eventIDs = map[string]expectation{}
	)
	general := slackfake.GeneralChannelID
	title := fmt.Sprintf("Crash drill %d", seed%100000)

	// Declare until INC-1 exists; a declaration whose fate is unknown is
	// looked up with list rather than repeated blindly.
	for declared := false; !declared; {
		reply, ok := r.slash(alice, general, "new sev2 "+title)
		if ok {
			acked++
			if !strings.Contains(reply, "INC-1") {
				t.Fatalf("declare reply %q", reply)
			}
			declared = true
			break
		}
		unacked++
		for {
			list, ok := r.slash(alice, general, "list")
			if !ok {
				continue
			}
			declared = strings.Contains(list, "INC-1")
			break
		}
	}
	exp = append(exp, expectation{what: "declaration", kind: incident.EvDeclared, once: true,
		match: func(e incident.Event) bool { return true }})

	var ch slackfake.Channel
	waitFor(t, 60*time.Second, "INC-1 channel", func() bool {
		for _, c := range r.slack.Channels() {
			if strings.HasPrefix(c.Name, "inc-1-") {
				ch = c
				return true
			}
		}
		return false
	})
	var inc incident.Incident
	inc.Number = 1
	pb := mustPlaybook(t, "general")
	var clickable []incident.StepDef
	for _, s := range pb.Steps {
		if !s.Approval {
			clickable = append(clickable, s)
		}
	}

	cardTS := func() string {
		for _, p := range r.slack.Pins(ch.ID) {
			if m, ok := r.slack.Message(ch.ID, p.TS); ok && m.User == slackfake.BotUserID {
				return p.TS
			}
		}
		return ""
	}
	waitFor(t, 60*time.Second, "INC-1 card pinned", func() bool { return cardTS() != "" })
	// Only channel members may act on the card; carol joins as a person would.
	if err := r.slack.Join(carol, ch.ID); err != nil {
		t.Fatal(err)
	}

	// The script runs until the killer has done its work.
	step := 0
	for i := 0; r.killCount() < kills || i < 12; i++ {
		if time.Since(began) > 8*time.Minute {
			t.Fatalf("script still running after 8 minutes (%d kills)", r.killCount())
		}
		switch op := rng.IntN(10); {
		case op < 5:
			text := fmt.Sprintf("crash-note-%d", i)
			reply, ok := r.slash(alice, ch.ID, "note "+text)
			if !ok {
				unacked++
				continue
			}
			acked++
			if !strings.Contains(reply, "Note added") {
				t.Errorf("note %d acked with %q", i, reply)
				continue
			}
			exp = append(exp, expectation{what: "note " + text, kind: incident.EvNote, once: true,
				match: func(e incident.Event) bool { return e.Text == text }})
		case op < 6:
			text := fmt.Sprintf("crash-followup-%d", i)
			reply, ok := r.slash(bob, ch.ID, "followup "+text)
			if !ok {
				unacked++
				continue
			}
			acked++
			if !strings.Contains(reply, "Follow-up") {
				t.Errorf("followup %d acked with %q", i, reply)
				continue
			}
			exp = append(exp, expectation{what: "followup " + text, kind: incident.EvFollowup, once: true,
				match: func(e incident.Event) bool { return e.Text == text }})
		case op < 8:
			// A 📌 reaction: an events_api envelope, redelivered until acked.
			ts, err := r.slack.PostAsUser(bob, ch.ID, fmt.Sprintf("crash-pin-%d", i))
			if err != nil {
				t.Fatal(err)
			}
			id := r.slack.Event(map[string]any{"type": "reaction_added", "user": bob, "reaction": "pushpin", "item_user": bob,
				"item": map[string]any{"type": "message", "channel": ch.ID, "ts": ts}, "event_ts": ts})
			eventIDs[id] = expectation{what: "pin " + ts, kind: incident.EvMessagePinned, once: true,
				match: func(e incident.Event) bool { return e.Fields["ts"] == ts }}
		default:
			if step >= len(clickable) {
				continue
			}
			ts := cardTS()
			if ts == "" {
				continue
			}
			s := clickable[step]
			id, err := r.slack.SendClick(carol, ch.ID, ts, "step.done", "INC-1:"+s.ID)
			if err != nil {
				step++ // the card no longer offers it: done by an earlier click
				continue
			}
			if _, ok := r.settle(id); !ok {
				unacked++
				continue
			}
			acked++
			step++
			exp = append(exp, expectation{what: "step.done " + s.ID, kind: incident.EvStepDone, once: true,
				match: func(e incident.Event) bool { return e.Fields["step"] == s.ID }})
		}
	}
	close(stopKiller)
	<-killerDone
	stopKiller = make(chan struct{})

	// Let the redeliveries of 📌 events (1 s apart, three times) run out
	// before closing: a pin that reaches a closed incident is refused.
	waitFor(t, 20*time.Second, "every event acked or redelivered for the last time", func() bool {
		return redeliveriesDone(r.slack.Envelopes())
	})

	// Close, retrying a close whose fate is unknown.
	for {
		reply, ok := r.slash(alice, ch.ID, "close --force crash drill complete")
		if !ok {
			unacked++
			continue
		}
		acked++
		if !strings.Contains(reply, "closed") {
			t.Fatalf("close reply %q", reply)
		}
		break
	}
	exp = append(exp, expectation{what: "close", kind: incident.EvClosed, once: true, match: func(incident.Event) bool { return true }})

	waitFor(t, 90*time.Second, "postmortem issue filed", func() bool { return len(r.gh.Issues("acme", "ops")) > 0 })
	ackedEvents := map[string]bool{}
	for _, a := range r.slack.Acks() {
		if a.EventID != "" {
			ackedEvents[a.EventID] = true
		}
	}
	for id, e := range eventIDs {
		if ackedEvents[id] {
			acked++
			exp = append(exp, e)
		} else {
			unacked++
		}
	}

	// The card must end showing the stored state. Stop cleanly, compare,
	// and give the executor another run if it had not finished.
	var evs []incident.Event
	var storedCard string
	for attempt := 0; ; attempt++ {
		r.stop()
		db, err := app.OpenStore(r.db, false, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		inc, err = db.Get(1)
		if err != nil {
			t.Fatal(err)
		}
		rec, err := db.Slack(1)
		if err != nil {
			t.Fatal(err)
		}
		storedCard = rec.CardTS
		evs, err = db.Events(1)
		if err != nil {
			t.Fatal(err)
		}
		pending, _ := db.Pending(100)
		if err := db.Check(); err != nil {
			t.Errorf("store consistency: %v", err)
		}
		_ = db.Close()
		card, ok := r.slack.Message(ch.ID, storedCard)
		if ok && len(pending) == 0 && sameBlocks(t, card.BlocksDecoded, bot.CardBlocks(inc, time.UTC)) {
			break
		}
		if attempt == 10 {
			t.Fatalf("card never matched the stored state; %d effects pending", len(pending))
		}
		r.start()
		time.Sleep(time.Second)
	}

	// Every acknowledged action is on the timeline, exactly once.
	losses, dups := 0, 0
	for _, x := range exp {
		n := 0
		for _, e := range evs {
			if e.Kind == x.kind && x.match(e) {
				n++
			}
		}
		switch {
		case n == 0:
			losses++
			t.Errorf("LOST: acknowledged %s is not on the timeline", x.what)
		case n > 1 && x.once:
			dups++
			t.Errorf("DUPLICATE: %s is on the timeline %d times", x.what, n)
		}
	}
	if inc.Status != incident.StatusClosed || inc.PostmortemURL == "" {
		t.Errorf("final state %s, postmortem %q", inc.Status, inc.PostmortemURL)
	}
	if n := countKind(evs, incident.EvPostmortem); n != 1 {
		t.Errorf("%d postmortem events, want 1", n)
	}

	// One channel, one card (posted once, pinned), one issue.
	var chans []string
	for _, c := range r.slack.Channels() {
		if strings.HasPrefix(c.Name, "inc-") {
			chans = append(chans, c.Name)
		}
	}
	if len(chans) != 1 {
		t.Errorf("incident channels %v, want exactly one", chans)
	}
	cards := 0
	for _, m := range r.slack.Messages(ch.ID) {
		if m.User == slackfake.BotUserID && strings.Contains(string(m.Blocks), `"card:INC-1"`) {
			cards++
			if m.TS != storedCard {
				t.Errorf("a second card %s besides %s", m.TS, storedCard)
			}
		}
	}
	pinned := 0
	for _, p := range r.slack.Pins(ch.ID) {
		if p.TS == storedCard {
			pinned++
		}
	}
	if cards != 1 || pinned != 1 {
		t.Errorf("cards posted %d, card pinned %d; want 1 and 1", cards, pinned)
	}
	// One postmortem, and each follow-up filed as its own issue once,
	// across every kill.
	var issues []githubfake.Issue
	followups := map[string]int{}
	for _, is := range r.gh.Issues("acme", "ops") {
		if slices.Contains(is.Labels, "follow-up") {
			marker, _, _ := strings.Cut(is.Body, "\n")
			followups[marker]++
			continue
		}
		issues = append(issues, is)
	}
	if _, stored := r.gh.IssueCreates(); len(issues) != 1 || stored != 1+len(followups) {
		t.Errorf("%d postmortem issues (%d issues stored), want exactly one and %d follow-ups", len(issues), stored, len(followups))
	}
	for m, n := range followups {
		if n != 1 {
			t.Errorf("follow-up %s filed %d times", m, n)
		}
	}
	if len(followups) != len(inc.Followups) {
		t.Errorf("%d follow-up issues for %d follow-ups", len(followups), len(inc.Followups))
	}

	r.mu.Lock()
	runs := r.runs
	r.mu.Unlock()
	t.Logf("crash run result: seed=%d kills=%d processes=%d acked=%d unacked=%d expectations=%d losses=%d duplicates=%d elapsed=%s",
		seed, r.killCount(), runs, acked, unacked, len(exp), losses, dups, time.Since(began).Round(time.Second))
}

func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	if !poll(d, cond) {
		t.Fatalf("timed out after %s waiting for %s", d, what)
	}
}

// redeliveriesDone reports whether Slack will send none of these events
// again: each was acked, or its last redelivery (the third) was sent.
func redeliveriesDone(envs []slackfake.Envelope) bool {
	acked, last := map[string]bool{}, map[string]bool{}
	for _, e := range envs {
		if e.Type != slackfake.EnvelopeEvents {
			continue
		}
		if e.Acked {
			acked[e.EventID] = true
		}
		if e.RetryAttempt >= 3 && !e.Sent.IsZero() {
			last[e.EventID] = true
		}
	}
	for _, e := range envs {
		if e.Type == slackfake.EnvelopeEvents && !acked[e.EventID] && !last[e.EventID] {
			return false
		}
	}
	return true
}

// sameBlocks compares what Slack holds with a fresh render.
func sameBlocks(t *testing.T, got []map[string]any, want any) bool {
	t.Helper()
	b, err := json.Marshal(want)
	if err != nil {
		t.Fatal(err)
	}
	var w []map[string]any
	if err := json.Unmarshal(b, &w); err != nil {
		t.Fatal(err)
	}
	return reflect.DeepEqual(got, w)
}
