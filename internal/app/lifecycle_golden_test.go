package app_test

import (
	"strings"
	"testing"

	"github.com/firebreak-hq/firebreak/internal/app"
	"github.com/firebreak-hq/firebreak/internal/slackfake"
	"github.com/firebreak-hq/firebreak/store/pgstore/pgtest"
)

// TestLifecycleTranscript runs one incident from declaration to the filed postmortem and
// compares every text people read with testdata/lifecycle_transcript.golden: each
// announce-channel message, each message in the incident channel, each ephemeral and each
// direct message. A wrong or repeated announcement cannot pass.
func TestLifecycleTranscript(t *testing.T) {
	t.Parallel()
	lifecycleTranscript(t)
}

// TestLifecycleTranscriptPostgres is the same incident, word for word,
// on PostgreSQL.
func TestLifecycleTranscriptPostgres(t *testing.T) {
	t.Parallel()
	dsn := pgtest.URL(t)
	lifecycleTranscript(t, withConfig(func(c *app.Config) { c.DBPath = dsn }))
}

func lifecycleTranscript(t *testing.T, opts ...harnessOpt) {
	h := startHarness(t, opts...)
	step := func(user, channel, text string) {
		t.Helper()
		h.slash(user, channel, text)
		h.settle()
	}
	step(alice, slackfake.GeneralChannelID, "new sev2 Checkout returns 500 for EU users")
	inc := h.ready(1)
	h.settle()
	ch := inc.Channel
	step(alice, ch, "note error rate spiked after deploy 4812")
	step(alice, ch, "update Rolling back deploy 4812; checkout failing for 30% of EU users")
	step(alice, ch, "sev 1")
	step(alice, ch, "lead <@UCAROL|carol>")
	step(carol, ch, "role comms <@UBOB|bob>")
	step(bob, ch, "followup Add a canary stage for checkout deploys")
	h.walk(1)
	h.settle()
	step(carol, ch, "update Rollback complete; error rate back to baseline")
	step(carol, ch, "resolve")
	step(carol, ch, "close")
	h.eventually("postmortem filed", func() bool { return h.incident(1).PostmortemURL != "" })
	h.settle()

	got := h.transcript([][2]string{{"incidents", h.announce}, {"incident", ch}}, alice, bob, carol)
	golden(t, "lifecycle_transcript", got)

	// The closure is announced once, naming who closed it, with the postmortem link.
	closures := 0
	for _, m := range h.slack.Messages(h.announce) {
		if strings.Contains(m.Text, ":lock:") {
			closures++
		}
	}
	if closures != 1 {
		t.Fatalf("%d closure announcements, want 1", closures)
	}
}
