package slackfake

import (
	"testing"
	"time"

	"github.com/slack-go/slack/socketmode"

	"github.com/firebreak-hq/firebreak/internal/testwait"
)

// TestQuiet: an envelope counts as under way until it is acked, and every
// request moves the activity counter.
func TestQuiet(t *testing.T) {
	f := newFake(t)
	busy, a0 := f.Quiet()
	if busy != 0 {
		t.Fatalf("a new workspace has %d things under way", busy)
	}
	if _, err := f.SendSlash(Bob, GeneralChannelID, "status"); err != nil {
		t.Fatal(err)
	}
	busy, a1 := f.Quiet()
	if busy != 1 || a1 == a0 {
		t.Fatalf("after a slash command nobody received: busy %d, activity %d → %d", busy, a0, a1)
	}
	if _, err := apiClient(f).AuthTest(); err != nil {
		t.Fatal(err)
	}
	if busy, a2 := f.Quiet(); busy != 1 || a2 == a1 {
		t.Fatalf("after a Web API call: busy %d, activity %d → %d", busy, a1, a2)
	}
	startApp(t, f, func(c *socketmode.Client, e socketmode.Event) {
		if e.Request != nil && e.Request.EnvelopeID != "" {
			c.Ack(*e.Request)
		}
	})
	testwait.Until(t, 20*time.Second, "the slash command acked", func() bool { busy, _ := f.Quiet(); return busy == 0 })
}
