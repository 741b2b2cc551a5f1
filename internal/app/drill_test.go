package app_test

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/firebreak-hq/firebreak/bot"
	"github.com/firebreak-hq/firebreak/incident"
	"github.com/firebreak-hq/firebreak/internal/crashtest"
	"github.com/firebreak-hq/firebreak/internal/githubfake"
	"github.com/firebreak-hq/firebreak/internal/pagerdutyfake"
	"github.com/firebreak-hq/firebreak/internal/slackfake"
	"github.com/firebreak-hq/firebreak/internal/testwait"
	"github.com/firebreak-hq/firebreak/store"
)

// drill is the script both kill drills (one process on bbolt, replicas on PostgreSQL) run
// against the fakes, and the bookkeeping of what Slack saw acknowledged. settle and
// killCount come from the rig: how an envelope's fate is known differs between them.
type drill struct {
	t         *testing.T
	slack     *slackfake.Server
	gh        *githubfake.Server
	settle    func(envID string) (slackfake.Ack, bool)
	killCount func() int

	exp      []expectation
	acked    int
	unacked  int
	eventIDs map[string]expectation

	ch slackfake.Channel
}

func newDrill(t *testing.T, slack *slackfake.Server, gh *githubfake.Server, settle func(string) (slackfake.Ack, bool), killCount func() int) *drill {
	return &drill{t: t, slack: slack, gh: gh, settle: settle, killCount: killCount, eventIDs: map[string]expectation{}}
}

// slashVia sends a slash command and waits for its fate: the ack's text, or false when the
// envelope went to a process that died before answering.
func slashVia(t *testing.T, slack *slackfake.Server, settle func(string) (slackfake.Ack, bool), user, channel, text string) (string, bool) {
	t.Helper()
	id, err := slack.SendSlash(user, channel, text)
	if err != nil {
		t.Fatal(err)
	}
	a, ok := settle(id)
	if !ok {
		return "", false
	}
	return ackText(t, a.Payload), true
}

func (d *drill) slash(user, channel, text string) (string, bool) {
	d.t.Helper()
	return slashVia(d.t, d.slack, d.settle, user, channel, text)
}

// declare declares until INC-1 exists; a declaration whose fate is unknown is looked up with
// list rather than repeated blindly.
func (d *drill) declare(command string) {
	d.t.Helper()
	for declared := false; !declared; {
		reply, ok := d.slash(alice, slackfake.GeneralChannelID, command)
		if ok {
			d.acked++
			if !strings.Contains(reply, "INC-1") {
				d.t.Fatalf("declare reply %q", reply)
			}
			break
		}
		d.unacked++
		for {
			list, ok := d.slash(alice, slackfake.GeneralChannelID, "list")
			if !ok {
				continue
			}
			declared = strings.Contains(list, "INC-1")
			break
		}
	}
	d.exp = append(d.exp, expectation{what: "declaration", kind: incident.EvDeclared, once: true,
		match: func(incident.Event) bool { return true }})
}

// awaitIncident waits for INC-1's channel and pinned card, and lets carol join the channel
// as a person would: only channel members may act on the card.
func (d *drill) awaitIncident(wait time.Duration) {
	d.t.Helper()
	testwait.Until(d.t, wait, "INC-1 channel", func() bool {
		for _, c := range d.slack.Channels() {
			if strings.HasPrefix(c.Name, "inc-1-") {
				d.ch = c
				return true
			}
		}
		return false
	})
	testwait.Until(d.t, wait, "INC-1 card pinned", func() bool { return d.cardTS() != "" })
	if err := d.slack.Join(carol, d.ch.ID); err != nil {
		d.t.Fatal(err)
	}
}

// cardTS is the ts of the bot's pinned message in the incident channel.
func (d *drill) cardTS() string {
	for _, p := range d.slack.Pins(d.ch.ID) {
		if m, ok := d.slack.Message(d.ch.ID, p.TS); ok && m.User == slackfake.BotUserID {
			return p.TS
		}
	}
	return ""
}

// script acts on the incident at random (notes, follow-ups, 📌 reactions, step clicks) until
// the killer has done its work and at least 12 actions were tried.
func (d *drill) script(rng *rand.Rand, kills int, label string, began time.Time, limit time.Duration) {
	d.t.Helper()
	var clickable []incident.StepDef
	for _, s := range mustPlaybook(d.t, "general").Steps {
		if !s.Approval {
			clickable = append(clickable, s)
		}
	}
	ch := d.ch.ID
	step := 0
	for i := 0; d.killCount() < kills || i < 12; i++ {
		if time.Since(began) > limit {
			d.t.Fatalf("script still running after %s (%d kills)", limit, d.killCount())
		}
		switch op := rng.IntN(10); {
		case op < 5:
			d.command(alice, "note", fmt.Sprintf("%s-note-%d", label, i), "Note added", incident.EvNote)
		case op < 6:
			d.command(bob, "followup", fmt.Sprintf("%s-followup-%d", label, i), "Follow-up", incident.EvFollowup)
		case op < 8:
			// A 📌 reaction: an events_api envelope, redelivered until acked.
			ts, err := d.slack.PostAsUser(bob, ch, fmt.Sprintf("%s-pin-%d", label, i))
			if err != nil {
				d.t.Fatal(err)
			}
			id := d.slack.Event(map[string]any{"type": "reaction_added", "user": bob, "reaction": "pushpin", "item_user": bob,
				"item": map[string]any{"type": "message", "channel": ch, "ts": ts}, "event_ts": ts})
			d.eventIDs[id] = expectation{what: "pin " + ts, kind: incident.EvMessagePinned, once: true,
				match: func(e incident.Event) bool { return e.Fields["ts"] == ts }}
		default:
			if step >= len(clickable) {
				continue
			}
			ts := d.cardTS()
			if ts == "" {
				continue
			}
			s := clickable[step]
			id, err := d.slack.SendClick(carol, ch, ts, "step.done", "INC-1:"+s.ID)
			if err != nil {
				step++ // the card no longer offers it: done by an earlier click
				continue
			}
			if _, ok := d.settle(id); !ok {
				d.unacked++
				continue
			}
			d.acked++
			step++
			d.exp = append(d.exp, expectation{what: "step.done " + s.ID, kind: incident.EvStepDone, once: true,
				match: func(e incident.Event) bool { return e.Fields["step"] == s.ID }})
		}
	}
}

// command runs "/incident verb text" in the incident channel; when acked, the reply must say
// ack and the text must reach the timeline once as kind.
func (d *drill) command(user, verb, text, ack string, kind incident.EventKind) {
	d.t.Helper()
	reply, ok := d.slash(user, d.ch.ID, verb+" "+text)
	if !ok {
		d.unacked++
		return
	}
	d.acked++
	if !strings.Contains(reply, ack) {
		d.t.Errorf("%s %q acked with %q", verb, text, reply)
		return
	}
	d.exp = append(d.exp, expectation{what: verb + " " + text, kind: kind, once: true,
		match: func(e incident.Event) bool { return e.Text == text }})
}

// close closes the incident, retrying a close whose fate is unknown.
func (d *drill) close(reason string) {
	d.t.Helper()
	for {
		reply, ok := d.slash(alice, d.ch.ID, "close --force "+reason)
		if !ok {
			d.unacked++
			continue
		}
		d.acked++
		if !strings.Contains(reply, "closed") {
			d.t.Fatalf("close reply %q", reply)
		}
		break
	}
	d.exp = append(d.exp, expectation{what: "close", kind: incident.EvClosed, once: true, match: func(incident.Event) bool { return true }})
}

// wrapUp ends the script: once the redeliveries of 📌 events (1 s apart,
// three times) have run out (a pin that reaches a closed incident is
// refused), it closes the incident, waits up to filing for the postmortem
// issue and counts the events Slack saw acked.
func (d *drill) wrapUp(reason string, filing time.Duration) {
	d.t.Helper()
	testwait.Until(d.t, 30*time.Second, "every event acked or redelivered for the last time", func() bool {
		return redeliveriesDone(d.slack.Envelopes())
	})
	d.close(reason)
	testwait.Until(d.t, filing, "postmortem issue filed", func() bool { return len(d.gh.Issues("acme", "ops")) > 0 })
	d.countEvents()
}

// countEvents turns the events Slack saw acked into expectations; the others count as unacked.
func (d *drill) countEvents() {
	ackedEvents := map[string]bool{}
	for _, a := range d.slack.Acks() {
		if a.EventID != "" {
			ackedEvents[a.EventID] = true
		}
	}
	for id, e := range d.eventIDs {
		if ackedEvents[id] {
			d.acked++
			d.exp = append(d.exp, e)
		} else {
			d.unacked++
		}
	}
}

// verify checks the end state: every acknowledged action on the timeline exactly once, the
// incident closed with one postmortem, one channel, one card (posted once, pinned) and one
// postmortem issue with each follow-up filed once, across every kill.
func (d *drill) verify(inc incident.Incident, evs []incident.Event, storedCard string) (losses, dups int) {
	t := d.t
	t.Helper()
	for _, x := range d.exp {
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
	var chans []string
	for _, c := range d.slack.Channels() {
		if strings.HasPrefix(c.Name, "inc-") {
			chans = append(chans, c.Name)
		}
	}
	if len(chans) != 1 {
		t.Errorf("incident channels %v, want exactly one", chans)
	}
	cards, pinned := 0, 0
	for _, m := range d.slack.Messages(d.ch.ID) {
		if m.User == slackfake.BotUserID && strings.Contains(string(m.Blocks), `"card:INC-1"`) {
			cards++
			if m.TS != storedCard {
				t.Errorf("a second card %s besides %s", m.TS, storedCard)
			}
		}
	}
	for _, p := range d.slack.Pins(d.ch.ID) {
		if p.TS == storedCard {
			pinned++
		}
	}
	if cards != 1 || pinned != 1 {
		t.Errorf("cards posted %d, card pinned %d; want 1 and 1", cards, pinned)
	}
	var issues []githubfake.Issue
	followups := map[string]int{}
	for _, is := range d.gh.Issues("acme", "ops") {
		if slices.Contains(is.Labels, "follow-up") {
			marker, _, _ := strings.Cut(is.Body, "\n")
			followups[marker]++
			continue
		}
		issues = append(issues, is)
	}
	if _, stored := d.gh.IssueCreates(); len(issues) != 1 || stored != 1+len(followups) {
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
	return losses, dups
}

// finalState stops every process, reads INC-1 from the store and checks the store; it gives
// one process another run (a second apart) until the outboxes are drained and the card in
// Slack shows the stored state, failing after ten tries.
func (d *drill) finalState(stop, restart func(), open func() (store.Store, error)) (inc incident.Incident, evs []incident.Event, storedCard string) {
	t := d.t
	t.Helper()
	for attempt := 0; ; attempt++ {
		stop()
		db, err := open()
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
		depth, _ := db.OutboxDepth()
		pages, _ := db.PageOutbox().Depth()
		if err := db.Check(); err != nil {
			t.Errorf("store check: %v", err)
		}
		_ = db.Close()
		card, ok := d.slack.Message(d.ch.ID, storedCard)
		if ok && depth == 0 && pages == 0 && sameBlocks(t, card.BlocksDecoded, bot.CardBlocks(inc, time.UTC)) {
			return inc, evs, storedCard
		}
		if attempt == 10 {
			t.Fatalf("card never matched the stored state; %d effects and %d pages pending", depth, pages)
		}
		restart()
		time.Sleep(time.Second)
	}
}

// startKiller runs act after each pause until kills kills are done; the stop it returns
// (safe to call twice) ends it and waits for it.
func startKiller(kills int, killCount func() int, pause func() time.Duration, act func()) (stop func()) {
	quit, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		for killCount() < kills {
			select {
			case <-quit:
				return
			case <-time.After(pause()):
			}
			act()
		}
	}()
	var once sync.Once
	return func() {
		once.Do(func() {
			close(quit)
			<-done
		})
	}
}

// environ is the workspace's environment as a process takes it, sorted.
func (w workspace) environ() []string {
	env := make([]string, 0, len(w.env))
	for k, v := range w.env {
		env = append(env, k+"="+v)
	}
	sort.Strings(env)
	return env
}

// withPagerDuty starts a fake PagerDuty for the test and points the workspace at it.
func (w workspace) withPagerDuty(t *testing.T) *pagerdutyfake.Server {
	t.Helper()
	pd, err := pagerdutyfake.New(pdKey)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pd.Close)
	w.env["PAGERDUTY_ROUTING_KEY"] = pdKey
	w.env["PAGERDUTY_EVENTS_URL"] = pd.URL
	return pd
}

// postAlertmanager delivers body to the Alertmanager hook at addr (host:port); the hook
// must answer 202.
func postAlertmanager(t *testing.T, addr string, body []byte) {
	t.Helper()
	if code, ans := postHook(t, "http://"+addr+"/hooks/alertmanager", amToken, body); code != http.StatusAccepted {
		t.Fatalf("hook answered %d %v", code, ans)
	}
}

// killAtCleanup SIGKILLs, when the test ends, every process procs returns (nil ones are
// skipped), then calls dump if the test failed.
func killAtCleanup(t *testing.T, procs func() []*crashtest.Proc, dump func()) {
	t.Cleanup(func() {
		for _, p := range procs() {
			if p != nil {
				_ = p.Kill()
			}
		}
		if t.Failed() {
			dump()
		}
	})
}

// logTail logs the last keep of the bots' logs, each cut to its last size bytes.
func logTail(t *testing.T, logs []string, keep, size int) {
	for _, l := range logs[max(0, len(logs)-keep):] {
		if len(l) > size {
			l = "…" + l[len(l)-size:]
		}
		t.Logf("bot log:\n%s", l)
	}
}

// keepLast is the last n of logs.
func keepLast(logs []string, n int) []string { return logs[max(0, len(logs)-n):] }
