package app_test

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"reflect"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/firebreak-hq/firebreak/incident"
	"github.com/firebreak-hq/firebreak/internal/app"
	"github.com/firebreak-hq/firebreak/internal/crashtest"
	"github.com/firebreak-hq/firebreak/internal/githubfake"
	"github.com/firebreak-hq/firebreak/internal/slackfake"
	"github.com/firebreak-hq/firebreak/internal/testwait"
	"github.com/firebreak-hq/firebreak/store"
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
	r := &crashRig{t: t, bin: bin, env: ws.environ(), db: ws.env["FIREBREAK_DB"], slack: ws.slack, gh: ws.gh}
	killAtCleanup(t, func() []*crashtest.Proc { r.mu.Lock(); defer r.mu.Unlock(); return []*crashtest.Proc{r.proc} }, r.dumpLogs)
	return r
}

func (r *crashRig) dumpLogs() {
	r.mu.Lock()
	defer r.mu.Unlock()
	logs := append([]string(nil), r.logs...)
	if r.proc != nil {
		logs = append(logs, r.proc.Log())
	}
	logTail(r.t, logs, 3, 8000)
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
	awaitStart(r.t, "firebreak run", p, 20*time.Second, func() bool { return r.slack.Connections() > 0 })
}

// awaitStart fails t unless process p, named what, is connected (as up
// tells) within d, or if it exits first.
func awaitStart(t *testing.T, what string, p *crashtest.Proc, d time.Duration, up func() bool) {
	t.Helper()
	exited := false
	connected := testwait.For(d, func() bool {
		select {
		case <-p.Done():
			exited = true
			return true
		default:
		}
		return up()
	})
	switch {
	case exited:
		t.Fatalf("%s exited at start:\n%s", what, p.Log())
	case !connected:
		t.Fatalf("%s did not connect within %s:\n%s", what, d, p.Log())
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
	if !testwait.For(10*time.Second, func() bool { return r.slack.Connections() == 0 }) {
		r.t.Fatal("the fake still sees a socket 10s after SIGKILL")
	}
	k.gone = time.Now()
	r.mu.Lock()
	r.kills = append(r.kills, k)
	r.logs = keepLast(append(r.logs, p.Log()), 3)
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
	known = testwait.For(60*time.Second, func() bool {
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

func crashRuns(t *testing.T) int { return envCount(t, "FIREBREAK_CRASH_RUNS", 5) }

// envCount is the positive number in the environment variable name, or def.
func envCount(t *testing.T, name string, def int) int {
	if v := os.Getenv(name); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			t.Fatalf("%s=%q is not a positive number", name, v)
		}
		return n
	}
	return def
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

	// Between 30 ms and 1.2 s after the last restart: inside start-up, channel creation,
	// card posting, bursts of commands.
	stopKiller := startKiller(kills, r.killCount,
		func() time.Duration { return time.Duration(30+killRNG.IntN(1170)) * time.Millisecond },
		r.crash)
	defer stopKiller()

	d := newDrill(t, r.slack, r.gh, r.settle, r.killCount)
	d.declare(fmt.Sprintf("new sev2 Crash drill %d", seed%100000))
	d.awaitIncident(60 * time.Second)
	// The script runs until the killer has done its work.
	d.script(rng, kills, "crash", began, 8*time.Minute)
	stopKiller()
	d.wrapUp("crash drill complete", 90*time.Second)

	// The card must end showing the stored state. Stop cleanly, compare,
	// and give the executor another run if it had not finished.
	inc, evs, storedCard := d.finalState(r.stop, r.start, func() (store.Store, error) {
		return app.OpenStore(r.db, false, nil, nil)
	})
	losses, dups := d.verify(inc, evs, storedCard)

	r.mu.Lock()
	runs := r.runs
	r.mu.Unlock()
	t.Logf("crash run result: seed=%d kills=%d processes=%d acked=%d unacked=%d expectations=%d losses=%d duplicates=%d elapsed=%s",
		seed, r.killCount(), runs, d.acked, d.unacked, len(d.exp), losses, dups, time.Since(began).Round(time.Second))
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
