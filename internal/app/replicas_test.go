package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"github.com/firebreak-hq/firebreak/bot"
	"github.com/firebreak-hq/firebreak/incident"
	"github.com/firebreak-hq/firebreak/internal/app"
	"github.com/firebreak-hq/firebreak/internal/slackfake"
	"github.com/firebreak-hq/firebreak/internal/testwait"
	"github.com/firebreak-hq/firebreak/store/pgstore/pgtest"
)

// inProcReplica is one app of several on one PostgreSQL schema, run in this process.
type inProcReplica struct {
	a      *app.App
	cancel context.CancelFunc
	done   chan error
}

// startReplicas runs n apps on ws (whose FIREBREAK_DB is a PostgreSQL schema) and waits
// until Slack sees all their connections. They are stopped at the end of the test unless
// stopReplica stopped them first.
func startReplicas(t *testing.T, ws workspace, n int) []*inProcReplica {
	t.Helper()
	return startReplicasHTTP(t, ws, n, false)
}

// startReplicasHTTP is startReplicas, each replica serving HTTP (hooks, probes) when http.
func startReplicasHTTP(t *testing.T, ws workspace, n int, http bool) []*inProcReplica {
	t.Helper()
	var reps []*inProcReplica
	for range n {
		reps = append(reps, startReplica(t, ws, http, 20*time.Millisecond))
	}
	testwait.Until(t, 20*time.Second, "every replica connected", func() bool { return ws.slack.Connections() == n })
	return reps
}

// startReplica runs one app on ws that tries to lead every leadEvery.
func startReplica(t *testing.T, ws workspace, http bool, leadEvery time.Duration) *inProcReplica {
	t.Helper()
	return startReplicaOpts(t, ws, app.Options{NoHTTP: !http, LeadEvery: leadEvery})
}

// startReplicaOpts runs one app on ws with opt (a logger and a quick card interval added).
func startReplicaOpts(t *testing.T, ws workspace, opt app.Options) *inProcReplica {
	t.Helper()
	cfg, err := app.FromEnv(func(k string) string { return ws.env[k] })
	if err != nil {
		t.Fatal(err)
	}
	opt.Logger = zaptest.NewLogger(t).Named("app")
	opt.CardInterval = 50 * time.Millisecond
	a, err := app.New(cfg, opt)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &inProcReplica{a: a, cancel: cancel, done: make(chan error, 1)}
	go func() { r.done <- a.Run(ctx) }()
	t.Cleanup(func() { stopReplica(t, r) })
	return r
}

func stopReplica(t *testing.T, r *inProcReplica) {
	if r.cancel == nil {
		return
	}
	r.cancel()
	r.cancel = nil
	if err := <-r.done; err != nil {
		t.Errorf("Run: %v", err)
	}
	_ = r.a.Close()
}

// TestOneLeaderAmongReplicas: three apps on one PostgreSQL schema; exactly one leads (runs
// the scheduler, review polls and the page lane), and when it stops another takes over,
// each time, until the last one left leads.
func TestOneLeaderAmongReplicas(t *testing.T) {
	ws := newWorkspace(t)
	ws.env["FIREBREAK_DB"] = pgtest.URL(t)
	reps := startReplicas(t, ws, 3)
	leader := func() (n, who int) {
		who = -1
		for i, r := range reps {
			if r.cancel != nil && r.a.Leading() {
				n++
				who = i
			}
		}
		return n, who
	}
	for round := 0; round < 3; round++ {
		var who int
		testwait.Until(t, 20*time.Second, "one leader", func() bool {
			n, w := leader()
			if n > 1 {
				t.Fatalf("%d replicas lead at once", n)
			}
			who = w
			return n == 1
		})
		if round < 2 {
			stopReplica(t, reps[who])
		}
	}
}

// TestClickStormCoalescedAcrossReplicas: a burst of clicks on one card (up to 40), dealt by Slack to three
// replicas at random, are all on the timeline, cost fewer card updates than half the clicks
// (the incident's outbox rows are claimed together, so one replica renders them at once),
// and leave the card showing exactly the final state.
func TestClickStormCoalescedAcrossReplicas(t *testing.T) {
	ws := newWorkspace(t)
	ws.env["FIREBREAK_DB"] = pgtest.URL(t)
	delete(ws.env, "GITHUB_TOKEN")
	delete(ws.env, "GITHUB_REPO")
	delete(ws.env, "GITHUB_API_URL")
	reps := startReplicas(t, ws, 3)
	db := reps[0].a.DB
	if _, err := ws.slack.Slash(alice, slackfake.GeneralChannelID, "new sev2 Click storm"); err != nil {
		t.Fatal(err)
	}
	var inc incident.Incident
	var cardTS string
	testwait.Until(t, 30*time.Second, "INC-1 card pinned and bob invited", func() bool {
		var err error
		if inc, err = db.Get(1); err != nil || inc.Channel == "" {
			return false
		}
		rec, err := db.Slack(1)
		if err != nil || rec.CardTS == "" {
			return false
		}
		cardTS = rec.CardTS
		m, ok := ws.slack.Message(inc.Channel, cardTS)
		ch, _ := ws.slack.Channel(inc.Channel)
		return ok && m.Pinned && strings.Contains(strings.Join(ch.Members, ","), bob)
	})
	// Each step is assigned once by alice and once by bob: the replicas may apply the two in
	// either order (Slack promises none across connections), and either way both change it.
	steps := inc.Steps[:min(len(inc.Steps), 20)]
	clicks := 2 * len(steps)
	before := len(ws.slack.Calls("chat.update"))
	var ids []string
	for i := range clicks {
		user := []string{alice, bob}[i/len(steps)]
		id, err := ws.slack.SendClick(user, inc.Channel, cardTS, bot.ActStepAssign, inc.ID()+":"+steps[i%len(steps)].ID)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	want := map[string]bool{}
	for _, id := range ids {
		want[id] = true
	}
	conns := map[int]bool{}
	testwait.Until(t, 30*time.Second, "every click acked", func() bool {
		n := 0
		for _, a := range ws.slack.Acks() {
			if want[a.EnvelopeID] {
				n++
			}
		}
		return n == clicks
	})
	for _, e := range ws.slack.Envelopes() {
		if want[e.ID] {
			conns[e.Conn] = true
		}
	}
	if len(conns) < 2 {
		t.Fatalf("the clicks went to %d connection(s); the test needs them spread", len(conns))
	}
	why := ""
	defer func() {
		if t.Failed() {
			t.Log(why)
		}
	}()
	testwait.Until(t, 30*time.Second, "the timeline holds every click and the card the final state", func() bool {
		evs, err := db.Events(1)
		if n := countKind(evs, incident.EvStepAssigned); err != nil || n != clicks {
			why = fmt.Sprintf("%d clicks on the timeline (%v)", n, err)
			return false
		}
		why = "the card differs from the render of the stored state"
		cur, err := db.Get(1)
		if err != nil {
			return false
		}
		m, ok := ws.slack.Message(inc.Channel, cardTS)
		if !ok {
			return false
		}
		b, _ := json.Marshal(bot.CardBlocks(cur, time.UTC))
		var w, g any
		_ = json.Unmarshal(b, &w)
		gb, _ := json.Marshal(m.BlocksDecoded)
		_ = json.Unmarshal(gb, &g)
		return reflect.DeepEqual(w, g)
	})
	if updates := len(ws.slack.Calls("chat.update")) - before; updates >= clicks/2 {
		t.Errorf("%d chat.update calls for %d clicks on three replicas: card updates are not coalesced", updates, clicks)
	} else {
		t.Logf("%d chat.update calls for %d clicks dealt to %d replicas", updates, clicks, len(conns))
	}
}

// TestAlertsOnAFollowerReplica: Alertmanager's webhooks reach a replica that does not lead.
// The alert declares, the sev1 is paged once (by the leader's page lane), and a later alert
// of the group is counted on the card, refreshed by the replica that received it.
func TestAlertsOnAFollowerReplica(t *testing.T) {
	ws := newWorkspace(t)
	pd := ws.withPagerDuty(t)
	ws.env["FIREBREAK_DB"] = pgtest.URL(t)
	ws.env["FIREBREAK_HOOK_TOKENS"] = "alertmanager=" + amToken
	ws.withRoutes(t, testRoutes)
	reps := startReplicasHTTP(t, ws, 3, true)
	var follower *inProcReplica
	testwait.Until(t, 20*time.Second, "a leader", func() bool {
		leaders := 0
		for _, r := range reps {
			if r.a.Leading() {
				leaders++
			} else {
				follower = r
			}
		}
		return leaders == 1
	})
	post := func(body []byte) { t.Helper(); postAlertmanager(t, follower.a.HTTPAddr(), body) }
	group := `{}:{alertname="HighErrorRate"}`
	post(amPayload("firing", group, amAlert("firing", "fp1", "web-1")))
	db := follower.a.DB
	cardAlerts := func() string {
		inc, err := db.Get(1)
		if err != nil {
			return ""
		}
		rec, err := db.Slack(1)
		if err != nil || rec.CardTS == "" {
			return ""
		}
		m, ok := ws.slack.Message(inc.Channel, rec.CardTS)
		if !ok {
			return ""
		}
		return sectionText(m, "alerts")
	}
	testwait.Until(t, 30*time.Second, "the card shows the alert and the page", func() bool {
		return cardAlerts() == "*Alerts:* 1 from Alertmanager\n*Pages:* :pager: pagerduty paged"
	})
	post(amPayload("firing", group, amAlert("firing", "fp1", "web-1"), amAlert("firing", "fp2", "web-2")))
	testwait.Until(t, 30*time.Second, "the card counts 2 alerts", func() bool {
		return strings.HasPrefix(cardAlerts(), "*Alerts:* 2 from Alertmanager\n")
	})
	if n := len(pd.Alerts()); n != 1 {
		t.Fatalf("PagerDuty has %d alerts for one sev1", n)
	}
}

// TestLeaderStopsWhenItsLockConnectionEnds: the database session holding the leader's lock
// is terminated (as a failover or a cut connection ends it). The leader learns it lost the
// lead and stops its jobs, the other replica takes over, and the first competes again: it
// leads once more when the second stops.
func TestLeaderStopsWhenItsLockConnectionEnds(t *testing.T) {
	ws := newWorkspace(t)
	ws.env["FIREBREAK_DB"] = pgtest.URL(t)
	// The first replica checks its lead, and competes, every second; the second every 20 ms,
	// so it is the one that takes over while the first waits out its pause after the loss.
	first := startReplica(t, ws, false, time.Second)
	testwait.Until(t, 20*time.Second, "the first replica leads", func() bool { return first.a.Leading() })
	second := startReplica(t, ws, false, 20*time.Millisecond)
	testwait.Until(t, 20*time.Second, "both replicas connected", func() bool { return ws.slack.Connections() == 2 })
	if n := pgtest.TerminateLead(t, ws.env["FIREBREAK_DB"], "firebreak-scheduler"); n != 1 {
		t.Fatalf("terminated %d sessions holding the lead, want 1", n)
	}
	testwait.Until(t, 20*time.Second, "the first replica stops leading and the second leads", func() bool {
		return !first.a.Leading() && second.a.Leading()
	})
	select {
	case <-first.a.Sched.Done():
	default:
		t.Fatal("the replica that lost the lead still runs its scheduler")
	}
	if got := first.a.LeadTerms(); got != 1 {
		t.Fatalf("the first replica took the lead %d times, want 1", got)
	}
	stopReplica(t, second)
	testwait.Until(t, 20*time.Second, "the first replica leads again", func() bool { return first.a.Leading() })
	if got := first.a.LeadTerms(); got != 2 {
		t.Fatalf("the first replica took the lead %d times, want 2", got)
	}
}

// TestDeclareAnywayOnceAcrossReplicas: the "declare anyway" button under a typo is pressed
// again and again while Slack deals the presses to two replicas; exactly one incident is
// declared, and the presses after it are told which one.
func TestDeclareAnywayOnceAcrossReplicas(t *testing.T) {
	ws := newWorkspace(t)
	ws.env["FIREBREAK_DB"] = pgtest.URL(t)
	reps := startReplicas(t, ws, 2)
	db := reps[0].a.DB
	if _, err := ws.slack.Slash(alice, slackfake.GeneralChannelID, "lsit"); err != nil {
		t.Fatal(err)
	}
	var eph slackfake.Ephemeral
	testwait.Until(t, 20*time.Second, "the typo's answer with its button", func() bool {
		for _, e := range ws.slack.Ephemerals(alice) {
			if strings.Contains(string(e.Blocks), "incident.declare_typed") {
				eph = e
				return true
			}
		}
		return false
	})
	// Press until presses have reached both replicas' connections (at most 20 presses).
	pressed := map[string]bool{}
	conns := map[int]bool{}
	for i := 0; i < 20 && len(conns) < 2; i++ {
		ack, err := ws.slack.ClickEphemeral(alice, eph.TS, "incident.declare_typed")
		if err != nil || ack.Late {
			t.Fatalf("press %d: %v (late %v)", i, err, ack.Late)
		}
		pressed[ack.EnvelopeID] = true
		for _, e := range ws.slack.Envelopes() {
			if pressed[e.ID] {
				conns[e.Conn] = true
			}
		}
	}
	if len(conns) < 2 {
		t.Fatalf("20 presses all reached one connection")
	}
	presses := len(pressed)
	// Each press is answered once: with the declaration, or with the incident an earlier
	// press declared.
	declared := regexp.MustCompile(`^INC-\d+ declared; its channel is being created\.$`)
	want := "INC-1 was already declared from this message; nothing more was declared."
	var decls, dups int
	testwait.Until(t, 30*time.Second, "every press answered", func() bool {
		decls, dups = 0, 0
		for _, e := range ws.slack.Ephemerals(alice) {
			switch {
			case declared.MatchString(e.Text):
				decls++
			case e.Text == want:
				dups++
			}
		}
		return decls+dups >= presses
	})
	if decls != 1 || dups != presses-1 {
		t.Fatalf("%d presses reaching two replicas: %d declarations, %d told it was already declared", presses, decls, dups)
	}
	if _, err := db.Get(1); err != nil {
		t.Fatalf("INC-1: %v", err)
	}
	if inc, err := db.Get(2); err == nil {
		t.Fatalf("%d presses on two replicas declared twice: %s %q", presses, inc.ID(), inc.Title)
	}
}

// TestLeaverRefusedOnEveryReplica: bob acts on an incident through both replicas, so both
// remember him as a member; he leaves the channel, and Slack tells only one replica. Once
// the remembered "yes" is older than bot.MemberRecheck, every replica asks Slack again
// before a change, and bob's commands are refused whichever replica takes them.
func TestLeaverRefusedOnEveryReplica(t *testing.T) {
	ws := newWorkspace(t)
	ws.env["FIREBREAK_DB"] = pgtest.URL(t)
	clk := newClock()
	var reps []*inProcReplica
	for range 2 {
		reps = append(reps, startReplicaOpts(t, ws, app.Options{NoHTTP: true, LeadEvery: 20 * time.Millisecond, Now: clk.Now}))
	}
	testwait.Until(t, 20*time.Second, "both replicas connected", func() bool { return ws.slack.Connections() == 2 })
	db := reps[0].a.DB
	if _, err := ws.slack.Slash(alice, slackfake.GeneralChannelID, "new sev2 Leaver drill"); err != nil {
		t.Fatal(err)
	}
	var ch string
	testwait.Until(t, 30*time.Second, "INC-1's channel with bob in it", func() bool {
		inc, err := db.Get(1)
		if err != nil || inc.Channel == "" {
			return false
		}
		c, ok := ws.slack.Channel(inc.Channel)
		ch = inc.Channel
		return ok && strings.Contains(strings.Join(c.Members, ","), bob)
	})
	// note sends bob's notes until they have reached both replicas' connections (at most
	// 20) and returns the answers.
	note := func(text string) []string {
		t.Helper()
		var answers []string
		conns := map[int]bool{}
		for i := 0; i < 20 && len(conns) < 2; i++ {
			ack, err := ws.slack.Slash(bob, ch, fmt.Sprintf("note %s %d", text, i))
			if err != nil || ack.Late {
				t.Fatalf("note %d: %v (late %v)", i, err, ack.Late)
			}
			answers = append(answers, ackText(t, ack.Payload))
			for _, e := range ws.slack.Envelopes() {
				if e.ID == ack.EnvelopeID {
					conns[e.Conn] = true
				}
			}
		}
		if len(conns) < 2 {
			t.Fatal("20 commands all reached one connection")
		}
		return answers
	}
	for _, a := range note("while a member") {
		if a != "Note added to the timeline of INC-1." {
			t.Fatalf("a member's note answered %q", a)
		}
	}
	if err := ws.slack.Leave(bob, ch); err != nil {
		t.Fatal(err)
	}
	testwait.Until(t, 20*time.Second, "the leave delivered and acked by one replica", func() bool {
		for _, e := range ws.slack.Envelopes() {
			if !e.Acked {
				return false
			}
		}
		return true
	})
	clk.Advance(bot.MemberRecheck + time.Second)
	notMember := "Only members of this channel can act on INC-1. Join the channel first; joining is recorded on the timeline."
	for i, a := range note("after leaving") {
		if a != notMember {
			t.Fatalf("note %d after bob left answered %q", i, a)
		}
	}
	evs, err := db.Events(1)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range evs {
		if e.Kind == incident.EvNote && strings.Contains(e.Text, "after leaving") {
			t.Fatalf("a note from someone who left was recorded: %q", e.Text)
		}
	}
}
