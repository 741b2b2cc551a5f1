package app_test

import (
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/firebreak-hq/firebreak/internal/slackfake"
	"github.com/slack-go/slack"
)

// ledger is a strict test's account of what the bot said in Slack: every
// channel message, thread reply, direct message and ephemeral it expected,
// each consumed once. When the test ends, the system is settled and
// anything the bot said that the test did not expect fails it.
// Slash-command and click acks are not listed: they are the answer the
// driver hands straight back to the test.
type ledger struct {
	mu   sync.Mutex
	seen map[string]bool
}

// said is one thing the bot said, with the key the ledger knows it by.
type said struct {
	key, where, text string
}

// strict makes the test fail on anything the bot says that it did not
// expect with expectMessage, expectEphemeral or expectCard.
func (h *harness) strict() {
	h.t.Helper()
	h.mu.Lock()
	h.ledger = &ledger{seen: map[string]bool{}}
	h.mu.Unlock()
	h.t.Cleanup(func() {
		if h.t.Failed() {
			return
		}
		h.settle()
		for _, s := range h.unexpected() {
			h.t.Errorf("unexpected message %s: %q", s.where, s.text)
		}
	})
}

// unexpected is what the bot said that the test has not expected.
func (h *harness) unexpected() []said {
	var out []said
	for _, s := range h.said() {
		if !h.ledger.has(s.key) {
			out = append(out, s)
		}
	}
	return out
}

func (l *ledger) has(key string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.seen[key]
}

// take marks the first unconsumed candidate and reports whether there was one.
func (l *ledger) take(cands []said) (said, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, c := range cands {
		if !l.seen[c.key] {
			l.seen[c.key] = true
			return c, true
		}
	}
	return said{}, false
}

// said lists everything the bot said so far, oldest first per place.
func (h *harness) said() []said {
	var out []said
	bot := func(where string, ms []slackfake.Message) {
		for _, m := range ms {
			for _, x := range append([]slackfake.Message{m}, m.Replies...) {
				if x.User == slackfake.BotUserID {
					out = append(out, said{key: "msg:" + x.Channel + "/" + x.TS, where: where, text: x.Text})
				}
			}
		}
	}
	for _, c := range h.slack.Channels() {
		bot("in #"+c.Name, h.slack.Messages(c.ID))
	}
	for _, u := range h.slack.Users() {
		bot("to "+u.ID+" (DM)", h.slack.DirectMessages(u.ID))
		for i, e := range h.slack.Ephemerals(u.ID) {
			if e.Source != "ack" {
				out = append(out, said{key: fmt.Sprintf("eph:%s/%d", u.ID, i), where: "to " + u.ID + " (" + e.Source + " in " + e.Channel + ")", text: e.Text})
			}
		}
	}
	return out
}

// expect waits for the bot to say something at where that it has not
// been consumed yet and that match accepts, and consumes it.
func (h *harness) expect(what, prefix string, match func(said) bool) said {
	h.t.Helper()
	if h.ledger == nil {
		h.t.Fatal("expect… needs h.strict() first")
	}
	var got said
	ok := poll(15*time.Second, func() bool {
		var cands []said
		for _, s := range h.said() {
			if strings.HasPrefix(s.key, prefix) && !h.ledger.has(s.key) && match(s) {
				cands = append(cands, s)
			}
		}
		var found bool
		got, found = h.ledger.take(cands)
		return found
	})
	if !ok {
		var have []string
		for _, s := range h.said() {
			if strings.HasPrefix(s.key, prefix) && !h.ledger.has(s.key) {
				have = append(have, fmt.Sprintf("%s: %q", s.where, s.text))
			}
		}
		h.t.Fatalf("never said: %s\nnot yet expected there:\n%s", what, strings.Join(have, "\n"))
	}
	return got
}

// expectMessage consumes the bot's message (or thread reply) in channel
// whose text is exactly want.
func (h *harness) expectMessage(channel, want string) {
	h.t.Helper()
	h.expect(fmt.Sprintf("%q in %s", want, channel), "msg:"+channel+"/", func(s said) bool { return s.text == want })
}

// expectEphemeral consumes what user was shown privately (by
// chat.postEphemeral or a response_url) whose text is exactly want.
func (h *harness) expectEphemeral(user, want string) {
	h.t.Helper()
	h.expect(fmt.Sprintf("%q to %s", want, user), "eph:"+user+"/", func(s said) bool { return s.text == want })
}

// expectCard consumes the card of an incident, whatever its text now is
// (cards are rendered and checked by the golden tests).
func (h *harness) expectCard(channel, ts string) {
	h.t.Helper()
	key := "msg:" + channel + "/" + ts
	h.expect("the card "+ts+" in "+channel, key, func(s said) bool { return s.key == key })
}

// TestLedgerCatchesRepeats: a strict test fails on a second copy of a
// message it expected once, and on a message it never expected.
func TestLedgerCatchesRepeats(t *testing.T) {
	t.Parallel()
	h := startHarness(t)
	h.ledger = &ledger{seen: map[string]bool{}}
	api := slack.New(h.slack.BotToken(), slack.OptionAPIURL(h.slack.APIURL()))
	for _, text := range []string{"twice", "twice", "never expected"} {
		if _, _, err := api.PostMessage(h.announce, slack.MsgOptionText(text, false)); err != nil {
			t.Fatal(err)
		}
	}
	h.settle()
	h.expectMessage(h.announce, "twice")
	var left []string
	for _, s := range h.unexpected() {
		left = append(left, s.text)
	}
	if want := []string{"twice", "never expected"}; !reflect.DeepEqual(left, want) {
		t.Fatalf("unexpected = %q, want %q", left, want)
	}
	h.expectMessage(h.announce, "twice")
	h.expectMessage(h.announce, "never expected")
	if u := h.unexpected(); len(u) != 0 {
		t.Fatalf("everything was expected, yet %v is left", u)
	}
}
