package app_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/firebreak-hq/firebreak/internal/slackfake"
	"github.com/firebreak-hq/firebreak/internal/testwait"
	"github.com/firebreak-hq/firebreak/store/pgstore/pgtest"
)

// settleReplicas waits until Slack has nothing under way, no replica's bot
// is busy (App Home rounds included) and the shared outbox is empty, twice
// in a row with no Slack activity between.
func settleReplicas(t *testing.T, ws workspace, reps ...*inProcReplica) {
	t.Helper()
	var (
		calm bool
		last uint64
		why  string
	)
	ok := testwait.For(20*time.Second, func() bool {
		busy, activity := ws.slack.Quiet()
		why = ""
		for i, r := range reps {
			if n := r.a.Bot.Busy(); n > 0 {
				why = fmt.Sprintf("replica %d: %d bot tasks running", i, n)
			}
		}
		depth, err := reps[0].a.DB.OutboxDepth()
		switch {
		case err != nil:
			why = "outbox: " + err.Error()
		case busy > 0:
			why = fmt.Sprintf("%d envelopes or requests under way in Slack", busy)
		case depth > 0:
			why = fmt.Sprintf("%d effects in the outbox", depth)
		}
		if why != "" {
			calm = false
			return false
		}
		settled := calm && activity == last
		calm, last = true, activity
		return settled
	})
	if !ok {
		t.Fatalf("the replicas did not settle within 20s: %s", why)
	}
}

// TestAppHomeAcrossReplicas: carol opens Home while replica A holds the
// only connection, so app_home_opened reaches A; A then stops and an
// incident is declared and performed by replica B, which never heard
// from carol. B republishes carol's Home with the new incident, because
// who has opened Home is kept in the shared PostgreSQL store.
func TestAppHomeAcrossReplicas(t *testing.T) {
	ws := newWorkspace(t)
	ws.env["FIREBREAK_DB"] = pgtest.URL(t)
	a := startReplica(t, ws, false, 20*time.Millisecond)
	testwait.Until(t, 20*time.Second, "replica A connected", func() bool { return ws.slack.Connections() == 1 })
	if err := ws.slack.OpenHome(carol); err != nil {
		t.Fatal(err)
	}
	testwait.Until(t, 20*time.Second, "carol's Home published by A", func() bool { return ws.slack.Publishes(carol) == 1 })
	settleReplicas(t, ws, a)
	if got := ws.slack.ConnDeliveries(); len(got) != 1 {
		t.Fatalf("deliveries on %d connections before B started, want 1 (A's)", len(got))
	}

	b := startReplica(t, ws, false, 20*time.Millisecond)
	testwait.Until(t, 20*time.Second, "both replicas connected", func() bool { return ws.slack.Connections() == 2 })
	stopReplica(t, a)
	testwait.Until(t, 20*time.Second, "only B connected", func() bool { return ws.slack.Connections() == 1 })

	if _, err := ws.slack.Slash(alice, slackfake.GeneralChannelID, "new sev2 Checkout returns 500 for EU users"); err != nil {
		t.Fatal(err)
	}
	testwait.Until(t, 30*time.Second, "INC-1's channel", func() bool {
		inc, err := b.a.DB.Get(1)
		return err == nil && inc.Channel != ""
	})
	settleReplicas(t, ws, b)
	if n := ws.slack.Publishes(carol); n < 2 {
		t.Fatalf("carol's Home published %d times; B performed the declaration and did not republish it", n)
	}
	v, _ := ws.slack.Home(carol)
	if text := homeText(v); !strings.Contains(text, "Checkout returns 500 for EU users") {
		t.Fatalf("carol's Home after B's change does not list INC-1:\n%s", text)
	}
}
