package app_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/firebreak-hq/firebreak/bot"
	"github.com/firebreak-hq/firebreak/incident"
	"github.com/firebreak-hq/firebreak/internal/slackfake"
)

// shortcut uses "Declare incident" on a message as user and returns the
// declare modal it opened.
func (h *harness) shortcut(user, channel, ts string) slackfake.View {
	h.t.Helper()
	ack, err := h.slack.MessageShortcut(user, channel, ts, bot.ShortcutDeclare)
	if err != nil {
		h.t.Fatalf("message shortcut: %v", err)
	}
	if ack.Late {
		h.t.Errorf("message shortcut acked late (%s)", ack.Latency)
	}
	return h.openView(user, bot.ViewDeclare)
}

// prefilled reads what a modal's inputs hold before anyone types:
// block_id → initial_value (selects: the initial option's value).
func prefilled(v slackfake.View) map[string]string {
	out := map[string]string{}
	for _, b := range v.Blocks {
		el, _ := b["element"].(map[string]any)
		if el == nil {
			continue
		}
		id, _ := b["block_id"].(string)
		if s, ok := el["initial_value"].(string); ok {
			out[id] = s
		}
		if o, ok := el["initial_option"].(map[string]any); ok {
			out[id], _ = o["value"].(string)
		}
	}
	return out
}

// submitAsShown submits the modal with what it was opened with, as a
// person pressing Declare without changing anything.
func (h *harness) submitAsShown(user string, v slackfake.View, change map[string]string) slackfake.Ack {
	h.t.Helper()
	vals := prefilled(v)
	for k, s := range change {
		vals[k] = s
	}
	form := map[string]map[string]string{}
	for k, s := range vals {
		form[k] = map[string]string{k: s}
	}
	ack, err := h.slack.Submit(user, v.ID, form)
	if err != nil {
		h.t.Fatalf("submit: %v", err)
	}
	return ack
}

// contextText is the text of the first context block of a view.
func contextText(v slackfake.View) string {
	return firstText(v.Blocks, func(b map[string]any) bool { return b["type"] == "context" })
}

// TestDeclareFromMessage: the message shortcut opens the declare modal
// filled from the message; the incident it declares starts with the
// message and its permalink, and its card links the message.
func TestDeclareFromMessage(t *testing.T) {
	t.Parallel()
	h := startHarness(t)
	text := "Checkout returns 500 for EU users &amp; refunds stall\nSince 14:02 about 30% of requests fail; <@" + bob + "> is on it: <https://grafana.example/d/1|error graph>"
	ts := h.postAs(alice, slackfake.GeneralChannelID, text)
	v := h.shortcut(carol, slackfake.GeneralChannelID, ts)
	pre := prefilled(v)
	plain := "Checkout returns 500 for EU users & refunds stall\nSince 14:02 about 30% of requests fail; @" + bob + " is on it: error graph (https://grafana.example/d/1)"
	if pre["title"] != "Checkout returns 500 for EU users & refunds stall" || pre["impact"] != plain {
		t.Fatalf("modal prefilled with %q", pre)
	}
	if got, want := contextText(v), "Declaring from a message by <@"+alice+">: the message and its link will be the incident's first timeline event."; got != want {
		t.Fatalf("modal note %q, want %q", got, want)
	}
	if ack := h.submitAsShown(carol, v, nil); len(ack.Errors) > 0 {
		t.Fatalf("submit refused: %v", ack.Errors)
	}
	inc := h.ready(1)
	h.settle()

	link := h.slack.URL() + "/archives/" + slackfake.GeneralChannelID + "/p" + strings.Replace(ts, ".", "", 1)
	evs := h.events(1)
	first := evs[0]
	if first.Kind != incident.EvFromMessage || first.Text != plain || first.Fields["link"] != link || first.Fields["author"] != alice || first.Actor != carol {
		t.Fatalf("first timeline event %+v, want the message with link %s", first, link)
	}
	if evs[1].Kind != incident.EvDeclared || evs[1].Text != "Checkout returns 500 for EU users & refunds stall" {
		t.Fatalf("second event %+v, want the declaration", evs[1])
	}
	if inc.SourceURL != link {
		t.Fatalf("incident links %q, want %q", inc.SourceURL, link)
	}
	if summary := sectionText(h.card(inc), "summary"); !strings.HasSuffix(summary, "\n*Declared from:* <"+link+"|the message>") {
		t.Fatalf("card does not link the message:\n%s", summary)
	}
	tl := h.slash(carol, inc.Channel, "timeline")
	if !strings.Contains(tl, "<@"+carol+"> declared it from <"+link+"|a message> by <@"+alice+">: Checkout returns 500 for EU users &amp; refunds stall Since 14:02") {
		t.Fatalf("timeline does not start with the message:\n%s", tl)
	}
	// The confirmation reaches the declarer where the message is.
	if n := h.ephemeralsContaining(carol, "*INC-1* declared"); n != 1 {
		t.Fatalf("%d confirmations, want 1", n)
	}
}

// TestDeclareFromMessageEdges: a message in a conversation the bot cannot
// see is declared from without a link; a message without text opens the
// form asking for a title; a very long message keeps its start, marked
// as clipped, within Slack's limits.
func TestDeclareFromMessageEdges(t *testing.T) {
	t.Parallel()
	h := startHarness(t)

	// A private channel the bot is not in: chat.getPermalink answers
	// channel_not_found. The incident is declared all the same.
	secret := h.channel(alice, "payments-private", true, bob)
	ts := h.postAs(bob, secret, "Refund job double-charges some cards")
	v := h.shortcut(alice, secret, ts)
	if ack := h.submitAsShown(alice, v, nil); len(ack.Errors) > 0 {
		t.Fatalf("submit refused: %v", ack.Errors)
	}
	inc := h.ready(1)
	h.settle()
	first := h.events(1)[0]
	if first.Kind != incident.EvFromMessage || first.Text != "Refund job double-charges some cards" || first.Fields["link"] != "" || inc.SourceURL != "" {
		t.Fatalf("first event %+v, source %q: want the text without a link", first, inc.SourceURL)
	}
	if strings.Contains(sectionText(h.card(inc), "summary"), "Declared from") {
		t.Fatal("the card links a message it has no link for")
	}

	// Slack will not open the form: the person is told privately where the
	// message is, through the shortcut's response_url, though the bot is
	// not in that channel.
	h.slack.FailWith("views.open", "expired_trigger_id", 1)
	if _, err := h.slack.MessageShortcut(alice, secret, ts, bot.ShortcutDeclare); err != nil {
		t.Fatal(err)
	}
	h.settle()
	var told []slackfake.Ephemeral
	for _, e := range h.slack.Ephemerals(alice) {
		if e.Channel == secret && strings.Contains(e.Text, "could not open the form") {
			told = append(told, e)
		}
	}
	if len(told) != 1 || told[0].Source != "response_url" {
		t.Fatalf("told %+v, want one answer through the response_url", told)
	}

	// A message with no text (files only): the form says so, and asks for a title.
	ts = h.postAs(alice, slackfake.GeneralChannelID, "")
	v = h.shortcut(alice, slackfake.GeneralChannelID, ts)
	if pre := prefilled(v); pre["title"] != "" || pre["impact"] != "" {
		t.Fatalf("empty message prefilled %q", pre)
	}
	if got := contextText(v); !strings.Contains(got, "has no text") {
		t.Fatalf("note %q does not say the message has no text", got)
	}
	if ack := h.submitAsShown(alice, v, nil); ack.Errors["title"] == "" {
		t.Fatalf("a declaration without a title was accepted: %+v", ack)
	}
	if ack := h.submitAsShown(alice, h.openView(alice, bot.ViewDeclare), map[string]string{"title": "Screenshots show a blank checkout"}); len(ack.Errors) > 0 {
		t.Fatalf("submit refused: %v", ack.Errors)
	}
	h.ready(2)
	h.settle()
	first = h.events(2)[0]
	if first.Kind != incident.EvFromMessage || first.Text != "" || first.Fields["link"] == "" {
		t.Fatalf("first event of a message without text %+v", first)
	}

	// A very long message: 30,000 characters.
	long := "Database primary is refusing connections " + strings.Repeat("log line ", 3300)
	ts = h.postAs(alice, slackfake.GeneralChannelID, long)
	v = h.shortcut(alice, slackfake.GeneralChannelID, ts)
	var raw map[string]any
	_ = json.Unmarshal(v.JSON, &raw)
	if pm, _ := raw["private_metadata"].(string); utf8.RuneCountInString(pm) > 3000 {
		t.Fatalf("private_metadata is %d characters", utf8.RuneCountInString(pm))
	}
	pre := prefilled(v)
	if utf8.RuneCountInString(pre["impact"]) > 3000 || utf8.RuneCountInString(pre["title"]) > 150 || !strings.HasPrefix(pre["title"], "Database primary is refusing connections") {
		t.Fatalf("long message prefilled a %d-character title %q and a %d-character impact", utf8.RuneCountInString(pre["title"]), pre["title"], utf8.RuneCountInString(pre["impact"]))
	}
	if ack := h.submitAsShown(alice, v, nil); len(ack.Errors) > 0 {
		t.Fatalf("submit refused: %v", ack.Errors)
	}
	inc3 := h.ready(3)
	h.settle()
	first = h.events(3)[0]
	if first.Kind != incident.EvFromMessage || first.Fields["clipped"] != "true" || !strings.HasPrefix(long, first.Text) || len(first.Text) < 2500 || first.Fields["link"] == "" {
		t.Fatalf("first event of a long message: clipped=%q, %d characters, link %q", first.Fields["clipped"], len(first.Text), first.Fields["link"])
	}
	if errs := h.slack.BlockErrors(); len(errs) > 0 {
		t.Fatalf("Slack refused blocks: %+v", errs)
	}
	tl := h.slash(alice, inc3.Channel, "timeline")
	if !strings.Contains(tl, "declared it from <") {
		t.Fatalf("timeline of the long message:\n%s", tl)
	}
}

// sectionText is the text of the section block_id of a message.
func sectionText(m slackfake.Message, blockID string) string {
	return firstText(m.BlocksDecoded, func(b map[string]any) bool { return b["block_id"] == blockID })
}

// firstText is the text of the first block ok accepts (a context block's
// first element), "" when there is none.
func firstText(blocks []map[string]any, ok func(map[string]any) bool) string {
	for _, b := range blocks {
		if !ok(b) {
			continue
		}
		t, _ := b["text"].(map[string]any)
		if els, _ := b["elements"].([]any); t == nil && len(els) > 0 {
			t, _ = els[0].(map[string]any)
		}
		s, _ := t["text"].(string)
		return s
	}
	return ""
}

// TestDeclareFromMessageSlowPermalink: when Slack is slow to give the
// message's permalink, the submission is still answered within Slack's
// 3 s and the incident is declared with the message, without its link.
func TestDeclareFromMessageSlowPermalink(t *testing.T) {
	t.Parallel()
	h := startHarness(t)
	ts := h.postAs(alice, slackfake.GeneralChannelID, "Queue consumers are stuck")
	v := h.shortcut(alice, slackfake.GeneralChannelID, ts)
	h.slack.SetLatency("chat.getPermalink", 2500*time.Millisecond)
	ack := h.submitAsShown(alice, v, nil)
	if len(ack.Errors) > 0 || ack.Late {
		t.Fatalf("submission answered late (%v) or refused: %v", ack.Latency, ack.Errors)
	}
	inc := h.ready(1)
	h.settle()
	if first := h.events(1)[0]; first.Kind != incident.EvFromMessage || first.Text != "Queue consumers are stuck" || first.Fields["link"] != "" || inc.SourceURL != "" {
		t.Fatalf("first event %+v", first)
	}
}
