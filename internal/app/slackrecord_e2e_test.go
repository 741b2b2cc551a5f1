package app_test

import (
	"strings"
	"testing"
	"time"

	"github.com/firebreak-hq/firebreak/bot"
	"github.com/firebreak-hq/firebreak/internal/slackfake"
	"github.com/firebreak-hq/firebreak/store"
)

// TestSlackRecordSurvivesSchemaMigration: a database taken down to schema
// v3 (the Slack side inside the incident record) and opened again by this
// binary (v4: beside it) still knows the card and the announcement, so
// a cancel edits both in place instead of posting second copies.
func TestSlackRecordSurvivesSchemaMigration(t *testing.T) {
	boltOnly(t)
	t.Parallel()
	h, inc := startDeclared(t, "new sev1 frobnicate")
	h.eventually("announcement recorded", func() bool { return h.slackRecord(1).AnnounceTS != "" })
	h.settle()
	before := h.slackRecord(1)
	if before.OriginChannel != slackfake.GeneralChannelID || before.ReplyURL == "" || before.CardTS == "" {
		t.Fatalf("Slack record after the declaration: %+v", before)
	}

	h.stop()
	if err := store.MigrateFile(h.cfg.DBPath, 3, store.Options{}); err != nil {
		t.Fatal(err)
	}
	if rep, err := store.Verify(h.cfg.DBPath); err != nil || rep.Schema != 3 {
		t.Fatalf("after migrating down: %+v, %v", rep, err)
	}
	h.boot()
	if got := h.slackRecord(1); got != before {
		t.Fatalf("Slack record after down and up again\n got %+v\nwant %+v", got, before)
	}

	h.clock.Advance(4 * time.Minute)
	h.slash(alice, inc.Channel, "cancel typed in the wrong place, meant status")
	h.eventually("channel archived", func() bool { c, ok := h.slack.Channel(inc.Channel); return ok && c.IsArchived })
	h.settle()

	ann, ok := h.slack.Message(h.announce, before.AnnounceTS)
	wantAnn := ":no_entry_sign: *INC-1 · SEV1* “frobnicate”, declared by <@" + alice + ">, was cancelled by <@" + alice + ">: it was declared by mistake, so there is no incident to follow. Reason: typed in the wrong place, meant status."
	if !ok || !ann.Edited || ann.Text != wantAnn {
		t.Fatalf("announcement\n got %q (edited %v)\nwant %q", ann.Text, ann.Edited, wantAnn)
	}
	if n := h.messagesContaining(h.announce, "INC-1"); n != 1 {
		t.Fatalf("%d announce messages name INC-1, want the corrected one only", n)
	}
	cards := 0
	for _, m := range h.slack.Messages(inc.Channel) {
		if m.User == slackfake.BotUserID && strings.Contains(string(m.Blocks), `"card:INC-1"`) {
			cards++
		}
	}
	card, ok := h.slack.Message(inc.Channel, before.CardTS)
	if cards != 1 || !ok || !sameBlocks(t, card.BlocksDecoded, bot.CardBlocks(h.incident(1), time.UTC)) {
		t.Fatalf("%d cards; the first one (found: %v) shows the cancelled incident: %v", cards, ok, ok && sameBlocks(t, card.BlocksDecoded, bot.CardBlocks(h.incident(1), time.UTC)))
	}
}
