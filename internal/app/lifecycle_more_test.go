package app_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/firebreak-hq/firebreak/incident"
	"github.com/firebreak-hq/firebreak/internal/app"
	"github.com/firebreak-hq/firebreak/internal/logbuf"
	"github.com/firebreak-hq/firebreak/internal/slackfake"
	"github.com/firebreak-hq/firebreak/store"
)

// TestSubcommandsAndRefusals covers the read-only subcommands, the
// lifecycle subcommands and their refusals, each answered ephemerally.
func TestSubcommandsAndRefusals(t *testing.T) {
	t.Parallel()
	h := startHarness(t)
	general := slackfake.GeneralChannelID
	if r := h.slash(alice, general, "help"); !strings.Contains(r, "/incident") || !strings.Contains(r, "close --force") {
		t.Fatalf("help: %q", r)
	}
	if r := h.slash(alice, general, "list"); !strings.Contains(r, "No open incidents") {
		t.Fatalf("empty list: %q", r)
	}
	h.slash(alice, general, "sev1 Payments API timing out")
	inc := h.ready(1)
	ch := inc.Channel
	if r := h.slash(bob, general, "list"); !strings.Contains(r, "INC-1") || !strings.Contains(r, "Payments API") {
		t.Fatalf("list: %q", r)
	}
	if r := h.slash(bob, general, "status"); !strings.Contains(r, "incident channel") {
		t.Fatalf("status outside: %q", r)
	}
	if r := h.slash(bob, ch, "status"); !strings.Contains(r, "sev1") && !strings.Contains(r, "SEV1") {
		t.Fatalf("status: %q", r)
	}
	for _, c := range []struct{ text, want string }{
		{"note", "needs some text"},
		{"lead bob", "mention"},
		{"role @bob", "role"},
		{"reopen it broke", "only a resolved incident"},
		{"close --force", "reason"},
		{"close now please", "takes no text"},
		{"sev 1", "already sev1"},
		{"new playbook:nonesuch Disk full", "bad-deploy"},
	} {
		if r := h.slash(bob, ch, c.text); !strings.Contains(strings.ToLower(r), strings.ToLower(c.want)) {
			t.Errorf("/incident %s → %q, want it to mention %q", c.text, r, c.want)
		}
	}
	h.slash(alice, ch, "mitigated")
	if r := h.slash(alice, ch, "mitigated"); !strings.Contains(r, "already mitigated") {
		t.Fatalf("double mitigated: %q", r)
	}
	h.slash(alice, ch, "resolve")
	// A non-member changes nothing, whatever the command.
	if r := h.slash(carol, ch, "reopen errors are back"); r != "Only members of this channel can act on INC-1. Join the channel first; joining is recorded on the timeline." {
		t.Fatalf("reopen by a non-member: %q", r)
	}
	if err := h.slack.Join(carol, ch); err != nil {
		t.Fatal(err)
	}
	h.eventually("carol's join recorded", func() bool { return countKind(h.events(1), incident.EvMemberJoined) > 0 })
	// Her brief tells the incident as it stands now, resolved.
	h.eventually("carol's brief", func() bool { return h.ephemeralsContaining(carol, "*Catching up on INC-1") == 1 })
	if r := h.slash(carol, ch, "reopen errors are back"); !strings.Contains(strings.ToLower(r), "lead or the person who declared") {
		t.Fatalf("reopen by a bystander: %q", r)
	}
	h.slash(alice, ch, "reopen errors are back after cache expiry")
	if got := h.incident(1); got.Status != incident.StatusActive || got.ReopenCount != 1 {
		t.Fatalf("reopen: %+v", got.Status)
	}
	if r := h.slash(alice, ch, "timeline"); !strings.Contains(r, "errors are back after cache expiry") {
		t.Fatalf("timeline lacks the reopen reason: %q", r)
	}
	if r := h.slash(alice, ch, "close --force duplicate of INC-0"); !strings.Contains(r, "closed") {
		t.Fatalf("force close: %q", r)
	}
	if r := h.slash(alice, ch, "note too late"); !strings.Contains(r, "closed") {
		t.Fatalf("note after close: %q", r)
	}
	h.eventually("announce hears every status change", func() bool {
		return h.messagesContaining(h.announce, "INC-1") >= 5
	})
}

// TestSlowSlackStillAcksFast: acks never wait for Slack's Web API.
func TestSlowSlackStillAcksFast(t *testing.T) {
	t.Parallel()
	h := startHarness(t)
	h.slack.SetLatency("", 2*time.Second)
	// h.slash fails the test on an ack later than Slack's 3 s; every Web
	// API call now takes 2 s, so an ack that waited for one would be late.
	reply := h.slash(alice, slackfake.GeneralChannelID, "new sev2 Slack is slow today")
	if !strings.Contains(reply, "INC-1") {
		t.Fatalf("reply %q", reply)
	}
	h.slash(alice, slackfake.GeneralChannelID, "list")
	h.slack.SetLatency("", 0)
	h.ready(1)
}

// TestChannelNames: a taken name gets a suffix; odd titles still give
// valid names.
func TestChannelNames(t *testing.T) {
	t.Parallel()
	h := startHarness(t)
	if _, err := h.slack.CreateChannel(carol, "inc-1-db-down", false); err != nil {
		t.Fatal(err)
	}
	titles := []string{"DB down", "🔥🔥🔥", "数据库宕机", strings.Repeat("long title ", 454) + "end!!", "!!!???", "<!channel> & <@UBOB>"}
	for _, title := range titles {
		h.slash(alice, slackfake.GeneralChannelID, title)
	}
	for i := range titles {
		inc := h.ready(uint64(i + 1))
		name := inc.ChannelName
		if len(name) > 80 || !strings.HasPrefix(name, "inc-") {
			t.Errorf("title %.20q → channel %q", titles[i], name)
		}
		for _, r := range name {
			if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
				t.Errorf("channel %q has %q", name, r)
			}
		}
	}
	if got := h.incident(1).ChannelName; got != "inc-1-db-down-2" {
		t.Errorf("name_taken suffix: got %q", got)
	}
	if got := h.incident(3).ChannelName; got != "inc-3-incident" {
		t.Errorf("CJK-only title: got %q", got)
	}
	if errs := h.slack.BlockErrors(); len(errs) > 0 {
		t.Errorf("Slack rejected blocks: %+v", errs)
	}
}

// TestPostmortemFileWithoutGitHub: with no GitHub, close writes
// FIREBREAK_POSTMORTEM_DIR/INC-<n>.md and links it in the channel.
func TestPostmortemFileWithoutGitHub(t *testing.T) {
	t.Parallel()
	h, inc := startDeclared(t, "Cache stampede", withoutGitHub())
	h.slash(alice, inc.Channel, "close --force false alarm: synthetic check misfired")
	path := filepath.Join(h.cfg.PostmortemDir, "INC-1.md")
	h.eventually("postmortem file and link", func() bool {
		return h.incident(1).PostmortemURL != "" && h.messagesContaining(inc.Channel, "INC-1.md") > 0
	})
	md, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(md), "Postmortem: INC-1 Cache stampede") || !strings.Contains(string(md), "synthetic check misfired") {
		t.Fatalf("postmortem file content:\n%.500s", md)
	}
}

// TestSecondRunOnSameDBFails: bbolt's lock makes a second process fail
// at once with a clear message instead of hanging.
func TestSecondRunOnSameDBFails(t *testing.T) {
	boltOnly(t)
	t.Parallel()
	h := startHarness(t)
	cfg := h.cfg
	cfg.HTTPAddr = "127.0.0.1:0"
	start := time.Now()
	_, err := app.New(cfg, app.Options{NoHTTP: true})
	if err == nil {
		t.Fatal("a second app opened the same database")
	}
	if !strings.Contains(err.Error(), "in use by another firebreak process") {
		t.Fatalf("unclear error: %v", err)
	}
	if el := time.Since(start); el > 10*time.Second {
		t.Fatalf("took %s to fail: a second process must not hang on the lock", el)
	}
	_ = store.ErrLocked
}

// TestTokensNeverLogged runs an incident with the log captured and looks
// for the tokens.
func TestTokensNeverLogged(t *testing.T) {
	t.Parallel()
	h := startHarness(t)
	h.lenient("runs its own app and stops it once the card is posted; what else it says depends on when it stops")
	var buf logbuf.Buffer
	h.stop()
	log := zap.New(zapcore.NewCore(zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig()), zapcore.AddSync(&buf), zapcore.DebugLevel))
	a, err := app.New(h.cfg, app.Options{Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	h.app = nil
	runAndStop(t, a, func() {
		h.slack.Slash(alice, slackfake.GeneralChannelID, "Token leak check")
		h.eventually("incident ready", func() bool { r, err := a.DB.Slack(1); return err == nil && r.CardTS != "" })
	})
	for _, tok := range []string{h.cfg.BotToken, h.cfg.AppToken, h.cfg.GitHubToken} {
		if strings.Contains(buf.String(), tok) {
			t.Fatalf("log contains a token")
		}
	}
	if buf.Len() == 0 {
		t.Fatal("nothing was logged; the check proves nothing")
	}
}

// TestSlowPinnedTextArrivesLater: when Slack is too slow to return a
// 📌-reacted message within the ack deadline, the pin is recorded at once
// and its text joins the timeline from the outbox.
func TestSlowPinnedTextArrivesLater(t *testing.T) {
	t.Parallel()
	h, inc := startDeclared(t, "Billing exports stuck")
	ts, err := h.slack.PostAsUser(alice, inc.Channel, "Export worker OOM-killed at 09:14, queue depth 48k")
	if err != nil {
		t.Fatal(err)
	}
	h.slack.SetLatency("conversations.history", 2*time.Second)
	if err := h.slack.React(bob, inc.Channel, ts, "pushpin"); err != nil {
		t.Fatal(err)
	}
	h.eventually("pin recorded", func() bool { return countKind(h.events(1), incident.EvMessagePinned) == 1 })
	for _, a := range h.slack.Acks() {
		if a.Late {
			t.Fatalf("an ack was late: %+v", a)
		}
	}
	h.slack.SetLatency("conversations.history", 0)
	h.eventually("pinned text recorded", func() bool {
		for _, e := range h.events(1) {
			if e.Kind == incident.EvPinnedText && strings.Contains(e.Text, "OOM-killed") && e.Fields["ts"] == ts {
				return true
			}
		}
		return false
	})
	if r := h.slash(alice, inc.Channel, "timeline"); !strings.Contains(r, "OOM-killed") {
		t.Fatalf("timeline lacks the pinned text: %q", r)
	}
}

// TestAmbiguousPostNotRepeated: when Slack answers 5xx after it did post,
// the retry finds the message by its marker instead of posting it again.
func TestAmbiguousPostNotRepeated(t *testing.T) {
	t.Parallel()
	h := startHarness(t)
	h.slash(alice, slackfake.GeneralChannelID, "CDN purge failing")
	inc := h.ready(1)
	h.slack.FailAfterWriteNext("chat.postMessage", 2, 502)
	h.slash(alice, inc.Channel, "update Purges queue up; origin load normal")
	h.slash(alice, inc.Channel, "note after the update")
	h.settle()
	// Each text once (the card was consumed by ready): a second copy would
	// be a message the test did not expect.
	h.expectMessage(inc.Channel, ":mega: *Status update* from <@UALICE> (SEV3, active):\n>Purges queue up; origin load normal")
	h.expectMessage(h.announce, ":rotating_light: :large_yellow_circle: *INC-1 · SEV3* declared by <@UALICE>: CDN purge failing\nJoin <#"+inc.Channel+"> to help.")
	h.expectMessage(h.announce, ":mega: *INC-1 · SEV3 · active* update from <@UALICE>: CDN purge failing\n>Purges queue up; origin load normal\nFollow along in <#"+inc.Channel+">.")
	h.expectEphemeral(alice, ":rotating_light: *INC-1* declared: CDN purge failing\n<#"+inc.Channel+"> is ready. Work the incident there; everything said in it becomes the record.\n\n"+
		"*Next steps*\n1. Take the lead or hand it on: `/incident lead @name`.\n2. Say what you know so far: `/incident update &lt;what is affected, since when&gt;`.\n"+
		"3. Work the checklist on the pinned card, starting with *Stop the bleeding*.")
	if failed := count(h.slack.Calls("chat.postMessage"), func(c slackfake.Call) bool { return c.Error == "http_502" }); failed != 2 {
		t.Fatalf("the fault was not exercised: %d failed posts", failed)
	}
}

// TestLongUpdatePostedWhole: a status update longer than one Block Kit
// section is posted in several, not cut.
func TestLongUpdatePostedWhole(t *testing.T) {
	t.Parallel()
	h, inc := startDeclared(t, "Long update")
	long := strings.Repeat("Replica lag on db-7 is climbing; ", 300) + "END-OF-UPDATE"
	if r := h.slash(alice, inc.Channel, "update "+long); !strings.Contains(r, "posted") {
		t.Fatalf("update refused: %q", r)
	}
	h.eventually("whole update posted", func() bool {
		for _, m := range h.slack.Messages(inc.Channel) {
			if strings.Contains(string(m.Blocks), "END-OF-UPDATE") {
				return true
			}
		}
		return false
	})
	if errs := h.slack.BlockErrors(); len(errs) > 0 {
		t.Fatalf("blocks rejected: %+v", errs)
	}
}
