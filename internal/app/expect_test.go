package app_test

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/firebreak-hq/firebreak/incident"
	"github.com/firebreak-hq/firebreak/internal/slackfake"
	"github.com/firebreak-hq/firebreak/internal/testwait"
	"github.com/slack-go/slack"
)

// ledger is a test's account of what the bot said in Slack: every
// channel message, thread reply, direct message and ephemeral it expected,
// each consumed once. When the test ends, the system is settled and
// anything the bot said that the test did not expect fails it.
// Slash-command and click acks are not listed: they are the answer the
// driver hands straight back to the test.
//
// A test consumes what it expects with expectMessage or expectEphemeral,
// with a wait helper that finds one message (ready, the
// reminders' messageWithAction, …), or with a golden transcript, which
// pins everything it renders. What is left must be exactly the test's
// testdata/said golden file (checkRest), or nothing.
type ledger struct {
	mu   sync.Mutex
	seen map[string]bool
}

func newLedger() *ledger { return &ledger{seen: map[string]bool{}} }

// said is one thing the bot said, with the key the ledger knows it by.
type said struct {
	key, where, text string
}

func msgKey(m slackfake.Message) string { return "msg:" + m.Channel + "/" + m.TS }

func ephKey(user string, i int) string { return fmt.Sprintf("eph:%s/%d", user, i) }

// lenient lets the test end without accounting for everything the bot
// said; reason says why it cannot (load, a crash drill, a known repeat).
func (h *harness) lenient(reason string) {
	h.t.Helper()
	if reason == "" {
		h.t.Fatal("lenient needs a reason")
	}
	h.mu.Lock()
	h.ledger = nil
	h.mu.Unlock()
}

// finish ends the harness: it checks what was said, then stops the bot.
func (h *harness) finish() {
	h.checkSaid()
	h.stop()
}

// checkSaid settles the system, then fails a strict test on anything the
// bot said that it did not expect. It is the end of the account: a test
// calls it itself only before it takes Slack away.
func (h *harness) checkSaid() {
	h.t.Helper()
	h.mu.Lock()
	l, running := h.ledger, h.app != nil
	h.mu.Unlock()
	if l == nil || h.t.Failed() {
		return
	}
	if running {
		h.settle()
	}
	h.checkRest()
	h.mu.Lock()
	h.ledger = nil
	h.mu.Unlock()
}

// checkRest compares what the bot said and the test has not consumed
// with testdata/said/<test>.golden: a test that does not list every text
// one by one pins the rest there, exactly. With no such file, nothing
// may be left. -update writes the file (or removes it when nothing is left).
func (h *harness) checkRest() {
	h.t.Helper()
	name := "said/" + h.t.Name()
	path := filepath.Join("testdata", name+".golden")
	rest := h.restTranscript()
	_, err := os.Stat(path)
	switch {
	case *update && rest == "":
		_ = os.Remove(path)
	case *update || err == nil:
		golden(h.t, name, rest)
	case rest != "":
		h.t.Errorf("unexpected messages (none is in %s):\n%s", path, rest)
	}
}

// restTranscript renders and consumes what the bot said that is not yet
// expected, place by place, places and each place's texts sorted (what
// travels different paths, or is done for several incidents at once, has
// no fixed order). Channel ids, message
// timestamps and the postmortem directory become channel names, <TS> and
// <POSTMORTEMS>.
func (h *harness) restTranscript() string {
	var ids []string
	for _, c := range h.slack.Channels() {
		ids = append(ids, "<#"+c.ID+">", "<#"+c.Name+">", c.ID, "#"+c.Name)
	}
	ids = append(ids, h.cfg.PostmortemDir, "<POSTMORTEMS>")
	names := strings.NewReplacer(ids...)
	byPlace := map[string][]string{}
	var places []string
	for _, s := range h.unexpected() {
		h.consume(s.key)
		where := names.Replace(s.where)
		if byPlace[where] == nil {
			places = append(places, where)
		}
		byPlace[where] = append(byPlace[where], reTS.ReplaceAllString(names.Replace(s.text), "<TS>"))
	}
	slices.Sort(places)
	var b strings.Builder
	for _, p := range places {
		texts := byPlace[p]
		slices.Sort(texts)
		fmt.Fprintf(&b, "=== %s\n", p)
		for _, t := range texts {
			fmt.Fprintf(&b, "%s\n---\n", t)
		}
	}
	return b.String()
}

var reTS = regexp.MustCompile(`\b\d{10}\.\d{6}\b|\bp\d{16}\b`)

// consume marks keys as expected (no-op in a lenient test).
func (h *harness) consume(keys ...string) {
	h.mu.Lock()
	l := h.ledger
	h.mu.Unlock()
	if l == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, k := range keys {
		l.seen[k] = true
	}
}

// consumeMessage marks m (a message or thread reply) as expected and returns it.
func (h *harness) consumeMessage(m slackfake.Message) slackfake.Message {
	h.consume(msgKey(m))
	return m
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
					out = append(out, said{key: msgKey(x), where: where, text: x.Text})
				}
			}
		}
	}
	for _, c := range h.slack.Channels() {
		bot("in #"+c.Name, h.slack.Messages(c.ID))
	}
	for _, u := range h.slack.Users() {
		if u.ID == slackfake.BotUserID {
			continue
		}
		bot("to "+u.ID+" (DM)", h.slack.DirectMessages(u.ID))
		for i, e := range h.slack.Ephemerals(u.ID) {
			if e.Source != "ack" {
				out = append(out, said{key: ephKey(u.ID, i), where: "to " + u.ID + " (" + e.Source + " in " + e.Channel + ")", text: e.Text})
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
		h.t.Fatal("expect… in a lenient test")
	}
	var got said
	ok := testwait.For(15*time.Second, func() bool {
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

// expectDeclared consumes what a public incident's declaration says: its
// announcement in the announce channel and the note to its declarer.
func (h *harness) expectDeclared(inc incident.Incident) {
	h.t.Helper()
	sev := map[incident.Severity]string{incident.Sev1: ":red_circle:", incident.Sev2: ":large_orange_circle:", incident.Sev3: ":large_yellow_circle:"}[inc.Severity]
	h.expectMessage(h.announce, ":rotating_light: "+sev+" *"+inc.ID()+" · "+strings.ToUpper(string(inc.Severity))+"* declared by <@"+inc.Declarer+">: "+inc.Title+"\nJoin <#"+inc.Channel+"> to help.")
	h.expectEphemeral(inc.Declarer, declaredNote(inc))
}

// declaredNote is what the declarer is told privately once inc is declared.
func declaredNote(inc incident.Incident) string {
	return ":rotating_light: *" + inc.ID() + "* declared: " + inc.Title + "\n<#" + inc.Channel + "> is ready. Work the incident there; everything said in it becomes the record.\n\n" +
		"*Next steps*\n1. Take the lead or hand it on: `/incident lead @name`.\n2. Say what you know so far: `/incident update &lt;what is affected, since when&gt;`.\n" +
		"3. Work the checklist on the pinned card, starting with *Stop the bleeding*."
}

// TestLedgerCatchesRepeats: a strict test fails on a second copy of a
// message it expected once, and on a message it never expected.
func TestLedgerCatchesRepeats(t *testing.T) {
	t.Parallel()
	h := startHarness(t)
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
