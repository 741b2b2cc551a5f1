package app_test

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/firebreak-hq/firebreak/bot"
	"github.com/firebreak-hq/firebreak/incident"
	"github.com/firebreak-hq/firebreak/internal/slackfake"
)

// The figures of BENCHMARKS.md come from cmd/firebreak-load; these are
// the short, untimed variants that keep the behaviour behind them true.

// TestRateLimitedDeclarationsAllLand: Slack refuses channel creation for
// a while; every declaration still gets exactly one channel and each
// declarer hears about the delay once.
func TestRateLimitedDeclarationsAllLand(t *testing.T) {
	t.Parallel()
	h := startHarness(t, withoutGitHub())
	h.lenient("load: a burst of declarations under rate limits")
	const n = 5
	h.slack.RateLimitNext("conversations.create", n, time.Second)
	var ids []string
	for i := range n {
		id, err := h.slack.SendSlash(alice, slackfake.GeneralChannelID, fmt.Sprintf("new sev2 Rate limited %d", i))
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	h.eventually("every declaration acked", func() bool { return acked(h, ids) == n })
	for i := uint64(1); i <= n; i++ {
		h.ready(i)
	}
	channels := 0
	for _, c := range h.slack.Channels() {
		if strings.HasPrefix(c.Name, "inc-") {
			channels++
		}
	}
	if channels != n {
		t.Fatalf("%d incident channels in Slack, want %d", channels, n)
	}
	told := 0
	for i := uint64(1); i <= n; i++ {
		c := 0
		for _, e := range h.slack.Ephemerals(alice) {
			if strings.Contains(e.Text, "rate-limiting") && strings.Contains(e.Text, incident.ID(i)+" ") {
				c++
			}
		}
		if c > 1 {
			t.Errorf("%s: declarer told of the delay %d times, want once", incident.ID(i), c)
		}
		told += c
	}
	if told == 0 {
		t.Error("no declarer was told that channel creation is rate-limited")
	}
}

// TestClickStormCoalesced: a burst of clicks on one card is all on the
// timeline, costs fewer card updates than clicks, and leaves the card
// showing exactly the final state.
func TestClickStormCoalesced(t *testing.T) {
	t.Parallel()
	h, inc := startDeclared(t, "new sev2 Click storm", withoutGitHub())
	h.lenient("load: a storm of clicks, the test checks the card is coalesced")
	h.eventually("responder invited", func() bool {
		ch, _ := h.slack.Channel(inc.Channel)
		return strings.Contains(strings.Join(ch.Members, ","), bob)
	})
	var steps []string
	for _, s := range inc.Steps {
		steps = append(steps, s.ID)
	}
	users := []string{alice, bob}
	before := len(h.slack.Calls("chat.update"))
	const clicks = 40
	var ids []string
	for i := range clicks {
		// Consecutive clicks on one step come from different people, so
		// the domain accepts every one.
		user := users[(i/len(steps))%len(users)]
		id, err := h.slack.SendClick(user, inc.Channel, h.cardTS(inc.Number), bot.ActStepAssign, inc.ID()+":"+steps[i%len(steps)])
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	h.eventually("every click acked", func() bool { return acked(h, ids) == clicks })
	h.eventually("timeline holds every click", func() bool { return countKind(h.events(1), incident.EvStepAssigned) == clicks })
	h.eventually("card shows the final state", func() bool {
		ok, _ := cardIsRender(h, h.incident(1))
		return ok
	})
	if ok, why := cardIsRender(h, h.incident(1)); !ok {
		t.Fatal(why)
	}
	if updates := len(h.slack.Calls("chat.update")) - before; updates >= clicks/2 {
		t.Errorf("%d chat.update calls for %d clicks: card updates are not coalesced", updates, clicks)
	}
}

func acked(h *harness, ids []string) int {
	want := map[string]bool{}
	for _, id := range ids {
		want[id] = true
	}
	n := 0
	for _, a := range h.slack.Acks() {
		if want[a.EnvelopeID] {
			n++
		}
	}
	return n
}

// cardIsRender compares the card in Slack with a fresh render of inc.
func cardIsRender(h *harness, inc incident.Incident) (bool, string) {
	m, ok := h.slack.Message(inc.Channel, h.cardTS(inc.Number))
	if !ok {
		return false, "card missing"
	}
	want, err := json.Marshal(bot.CardBlocks(inc, h.cfg.Location))
	if err != nil {
		return false, err.Error()
	}
	var a, b any
	_ = json.Unmarshal(want, &a)
	_ = json.Unmarshal(m.Blocks, &b)
	if !reflect.DeepEqual(a, b) {
		return false, fmt.Sprintf("card differs from a render of the stored state:\nslack  %s\nrender %s", m.Blocks, want)
	}
	return true, ""
}
