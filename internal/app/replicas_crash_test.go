package app_test

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/firebreak-hq/firebreak/internal/crashtest"
	"github.com/firebreak-hq/firebreak/internal/githubfake"
	"github.com/firebreak-hq/firebreak/internal/pagerdutyfake"
	"github.com/firebreak-hq/firebreak/internal/slackfake"
	"github.com/firebreak-hq/firebreak/internal/testwait"
	"github.com/firebreak-hq/firebreak/store"
	"github.com/firebreak-hq/firebreak/store/pgstore"
	"github.com/firebreak-hq/firebreak/store/pgstore/pgtest"
)

// replicaCount is how many `firebreak run` processes share the database.
const replicaCount = 3

// replicaRig runs replicaCount processes of the real binary on one PostgreSQL schema, with
// the fake Slack dealing every envelope to one of their connections at random.
type replicaRig struct {
	t     *testing.T
	bin   string
	env   []string
	dsn   string
	slack *slackfake.Server
	gh    *githubfake.Server
	pd    *pagerdutyfake.Server
	// announce is the announce channel.
	announce string

	mu        sync.Mutex
	procs     [replicaCount]*crashtest.Proc
	runs      int
	kills     int
	refreshes int
	logs      []string
}

func newReplicaRig(t *testing.T, seed uint64) *replicaRig {
	t.Helper()
	dsn := pgtest.URL(t)
	bin, err := crashtest.Build("../..", "./cmd/firebreak", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ws := newWorkspace(t, slackfake.WithRedeliveryDelay(time.Second), slackfake.WithSeed(int64(seed)))
	pd := ws.withPagerDuty(t)
	ws.env["FIREBREAK_DB"] = dsn
	ws.env["FIREBREAK_PAGE_SEVERITIES"] = "sev1"
	// A killed replica's claimed effects are taken over after 5 s rather than 30 s, so the
	// run exercises the takeover often and stays short.
	ws.env["FIREBREAK_CLAIM_LEASE"] = "5s"
	r := &replicaRig{t: t, bin: bin, env: ws.environ(), dsn: dsn, slack: ws.slack, gh: ws.gh, pd: pd, announce: ws.announce}
	killAtCleanup(t, func() []*crashtest.Proc {
		r.mu.Lock()
		defer r.mu.Unlock()
		return append([]*crashtest.Proc(nil), r.procs[:]...)
	}, r.dumpLogs)
	return r
}

func (r *replicaRig) dumpLogs() {
	r.mu.Lock()
	defer r.mu.Unlock()
	logs := append([]string(nil), r.logs...)
	for _, p := range r.procs {
		if p != nil {
			logs = append(logs, p.Log())
		}
	}
	logTail(r.t, logs, 4, 6000)
}

func (r *replicaRig) live() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, p := range r.procs {
		if p != nil {
			n++
		}
	}
	return n
}

// start runs replica i and waits until every live replica has its connection.
func (r *replicaRig) start(i int) {
	r.t.Helper()
	p, err := crashtest.Start(r.bin, r.env, "run")
	if err != nil {
		r.t.Fatal(err)
	}
	r.mu.Lock()
	r.procs[i] = p
	r.runs++
	r.mu.Unlock()
	want := r.live()
	awaitStart(r.t, fmt.Sprintf("replica %d", i), p, 30*time.Second, func() bool { return r.slack.Connections() >= want })
}

// crash SIGKILLs replica i, waits for Slack to see its connection go, and starts it again.
func (r *replicaRig) crash(i int) {
	r.t.Helper()
	r.mu.Lock()
	p := r.procs[i]
	r.procs[i] = nil
	r.mu.Unlock()
	if err := p.Kill(); err != nil {
		r.t.Fatal(err)
	}
	want := r.live()
	if !testwait.For(10*time.Second, func() bool { return r.slack.Connections() <= want }) {
		r.t.Fatal("the fake still sees the killed replica's socket 10s after SIGKILL")
	}
	r.mu.Lock()
	r.kills++
	r.logs = keepLast(append(r.logs, p.Log()), 3)
	r.mu.Unlock()
	r.start(i)
}

// refresh sends refresh_requested to the k-th open connection (modulo their number).
func (r *replicaRig) refresh(k int) {
	ids := r.slack.ConnIDs()
	var live []int
	for _, id := range ids {
		if !r.slack.Draining(id) {
			live = append(live, id)
		}
	}
	if len(live) == 0 {
		return
	}
	if err := r.slack.DisconnectConn(live[k%len(live)], slackfake.ReasonRefreshRequested); err == nil {
		r.mu.Lock()
		r.refreshes++
		r.mu.Unlock()
	}
}

func (r *replicaRig) killCount() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.kills
}

// stopAll ends every replica with SIGTERM, as an operator would.
func (r *replicaRig) stopAll() {
	r.t.Helper()
	for i := range r.procs {
		r.mu.Lock()
		p := r.procs[i]
		r.procs[i] = nil
		r.mu.Unlock()
		if p == nil {
			continue
		}
		if err := p.Stop(20 * time.Second); err != nil {
			r.t.Errorf("replica %d did not stop cleanly: %v\n%s", i, err, p.Log())
		}
	}
}

// settle waits for the fate of an envelope Slack will not redeliver: acked, or written to a
// connection that has since closed (its replica was killed), so no ack can come.
func (r *replicaRig) settle(envID string) (slackfake.Ack, bool) {
	r.t.Helper()
	var (
		ack   slackfake.Ack
		acked bool
	)
	known := testwait.For(60*time.Second, func() bool {
		for _, a := range r.slack.Acks() {
			if a.EnvelopeID == envID {
				ack, acked = a, true
				return true
			}
		}
		conn := 0
		for _, e := range r.slack.Envelopes() {
			if e.ID == envID && !e.Sent.IsZero() {
				conn = e.Conn
			}
		}
		if conn == 0 {
			return false
		}
		for _, sp := range r.slack.ConnHistory() {
			if sp.ID == conn {
				return !sp.Closed.IsZero()
			}
		}
		return false
	})
	if !known {
		r.t.Fatalf("envelope %s neither acked nor lost within 60s", envID)
	}
	return ack, acked
}

func replicaKills(t *testing.T) int { return envCount(t, "FIREBREAK_REPLICA_KILLS", 20) }

// TestReplicasSurviveSIGKILL runs three replicas of the real binary on one PostgreSQL
// database while the fake Slack deals every envelope to one of their connections at random,
// and SIGKILLs a random replica again and again (restarting it each time) during a busy sev1
// incident, while Slack also asks a random connection now and then to refresh
// (refresh_requested). No ack may come after Slack's 3 s. Every action Slack saw acknowledged must be on the timeline exactly once, and the
// incident must end with one channel, one pinned card showing the final state, every bot
// message posted once, one postmortem issue (follow-ups filed once each) and one page.
//
// FIREBREAK_REPLICA_KILLS sets the number of kills (default 20), FIREBREAK_CRASH_SEED
// replays a run (the seed is logged); FIREBREAK_TEST_POSTGRES names the server.
func TestReplicasSurviveSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary three times over")
	}
	kills, seed := replicaKills(t), crashSeed(t)
	r := newReplicaRig(t, seed)
	t.Logf("replica crash run: %d kills, FIREBREAK_CRASH_SEED=%d", kills, seed)
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	killRNG := rand.New(rand.NewPCG(seed+1, seed))
	for i := range replicaCount {
		r.start(i)
	}
	var began time.Time

	d := newDrill(t, r.slack, r.gh, r.settle, r.killCount)
	d.declare(fmt.Sprintf("new sev1 Replica drill %d", seed%100000))
	d.awaitIncident(90 * time.Second)
	// The kills start once the incident is up and busy: its card pinned, people acting.
	began = time.Now()
	stop := startKiller(kills, r.killCount,
		func() time.Duration { return time.Duration(30+killRNG.IntN(600)) * time.Millisecond },
		func() {
			// One time in three Slack refreshes a connection instead: the replica must
			// open its next one before the old one closes, acking throughout.
			if killRNG.IntN(3) == 0 {
				r.refresh(killRNG.IntN(replicaCount + 1))
				return
			}
			r.crash(killRNG.IntN(replicaCount))
		})
	defer stop()

	d.script(rng, kills, "replica", began, 6*time.Minute)
	stop()
	d.wrapUp("replica drill complete", 120*time.Second)
	testwait.Until(t, 120*time.Second, "the page", func() bool { return len(r.pd.Alerts()) > 0 })

	// The card must end showing the stored state: stop every replica, compare, and give one
	// replica another run if the outbox had not drained.
	inc, evs, storedCard := d.finalState(r.stopAll, func() { r.start(0) }, func() (store.Store, error) {
		return pgstore.Open(r.dsn, pgstore.Options{})
	})
	losses, dups := d.verify(inc, evs, storedCard)
	if n := len(r.pd.Alerts()); n != 1 {
		t.Errorf("%d PagerDuty alerts for one sev1, want 1", n)
	}
	// Every message the bot posted in the incident's channel and in the announce channel
	// was posted once: no effect was performed twice across replicas and kills.
	for _, c := range []string{d.ch.ID, r.announce} {
		seen := map[string]int{}
		for _, m := range r.slack.Messages(c) {
			if m.User == slackfake.BotUserID {
				seen[m.Text]++
			}
		}
		for text, n := range seen {
			if n > 1 {
				t.Errorf("DUPLICATE: the bot posted %d times in %s: %.200q", n, c, text)
			}
		}
	}
	// One connection per replica, two for a moment while one is refreshed.
	if peak := r.slack.PeakConnections(); peak > 2*replicaCount {
		t.Errorf("%d Socket Mode connections were open at once for %d replicas", peak, replicaCount)
	}
	per := map[int]int{}
	for _, e := range r.slack.Envelopes() {
		if !e.Sent.IsZero() {
			per[e.Conn]++
		}
	}
	r.mu.Lock()
	runs, refreshes := r.runs, r.refreshes
	r.mu.Unlock()
	late := 0
	for _, a := range r.slack.Acks() {
		if a.Late {
			late++
		}
	}
	if late > 0 {
		t.Errorf("%d acks came after Slack's 3 s", late)
	}
	t.Logf("replica crash run result: seed=%d kills=%d refreshes=%d processes=%d connections=%d peak=%d acked=%d unacked=%d expectations=%d losses=%d duplicates=%d elapsed=%s",
		seed, r.killCount(), refreshes, runs, len(per), r.slack.PeakConnections(), d.acked, d.unacked, len(d.exp), losses, dups, time.Since(began).Round(time.Second))
}
