package app_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"github.com/firebreak-hq/firebreak/internal/app"
	"github.com/firebreak-hq/firebreak/internal/slackfake"
)

// These tests run Firebreak against the fake workspace as Slack really behaves (the fake
// holds to slackfake.Reference and the shipped manifest) and break it the ways a real
// workspace does. Each ends with nothing lost and the right person told, in exact words.

func (h *harness) callsWith(method, code string) int {
	n := 0
	for _, c := range h.slack.Calls(method) {
		if c.Error == code {
			n++
		}
	}
	return n
}

// waitPostponed waits until a failed effect has been put back in the outbox for later, so
// that advancing the clock reaches its retry.
func (h *harness) waitPostponed() {
	h.t.Helper()
	h.eventually("a failed effect postponed", func() bool {
		items, err := h.db().Pending(1000)
		if err != nil {
			return false
		}
		for _, it := range items {
			if it.Attempts > 0 {
				return true
			}
		}
		return false
	})
}

func (h *harness) readyz() (int, string) {
	h.t.Helper()
	return get(h.t, "http://"+h.app.HTTPAddr()+"/readyz")
}

func (h *harness) pending() int {
	h.t.Helper()
	d, err := h.db().OutboxDepth()
	if err != nil {
		h.t.Fatal(err)
	}
	return d
}

// TestRealSlackChannelCreationRefused: a workspace that restricts channel creation, or an
// app without channels:manage. The declarer and the announce channel hear what an admin must
// change; the creation is retried at a slow pace (not hammered, not dropped); once the admin
// fixes it the incident gets its channel and everything acknowledged happens once.
func TestRealSlackChannelCreationRefused(t *testing.T) {
	t.Parallel()
	for _, code := range []string{"restricted_action", "missing_scope"} {
		t.Run(code, func(t *testing.T) {
			t.Parallel()
			h := startHarness(t)
			h.slack.FailWith("conversations.create", code, -1)
			h.slash(alice, slackfake.GeneralChannelID, "new sev2 Payments API down")
			h.eventually("the announce channel told what to change", func() bool {
				return h.messagesContaining(h.announce, "Slack refused to create the channel") == 1
			})
			h.eventually("the declarer told", func() bool { return h.ephemeralsContaining(alice, "Slack refused") == 1 })
			if got := h.callsWith("conversations.create", code); got != 1 {
				t.Fatalf("conversations.create refused %d times before the retry is due, want 1 (no hammering)", got)
			}
			if h.pending() == 0 {
				t.Fatal("the incident's effects were dropped while the creation is refused")
			}
			if code == "restricted_action" {
				if c, b := h.readyz(); c != http.StatusOK {
					t.Fatalf("/readyz %d %q: a workspace setting is not the bot's token failing", c, b)
				}
			}

			// An admin fixes the workspace; the next try (a minute later) succeeds.
			h.waitPostponed()
			h.slack.ClearFailures()
			h.clock.Advance(2 * time.Minute)
			inc := h.ready(1)
			h.settle()
			if inc.ChannelName != "inc-1-payments-api-down" {
				t.Fatalf("channel %q", inc.ChannelName)
			}
			ch, _ := h.slack.Channel(inc.Channel)
			if !contains(ch.Members, alice) || !contains(ch.Members, bob) {
				t.Fatalf("members %v", ch.Members)
			}
			golden(t, "realslack/create_refused_"+code, h.transcript([][2]string{{"incidents", h.announce}, {"incident", inc.Channel}}, alice))
		})
	}
	t.Run("gives up after a day, saying so", func(t *testing.T) {
		t.Parallel()
		h := startHarness(t)
		h.slack.FailWith("conversations.create", "restricted_action", -1)
		h.slash(alice, slackfake.GeneralChannelID, "new sev3 Reports slow")
		h.eventually("the declarer told", func() bool { return h.ephemeralsContaining(alice, "Slack refused") == 1 })
		h.clock.Advance(25 * time.Hour)
		h.settle()
		golden(t, "realslack/create_gave_up", h.transcript([][2]string{{"incidents", h.announce}}, alice))
		if h.incident(1).Title != "Reports slow" {
			t.Fatal("the incident record was lost")
		}
	})
}

// TestRealSlackTokenRefused: the bot token is revoked (or the bot deactivated, the token
// invalid or expired) while people keep working. Every acknowledged effect is kept, /readyz
// says why with what to do, and after a restart with a valid token everything is delivered
// exactly once.
func TestRealSlackTokenRefused(t *testing.T) {
	t.Parallel()
	for _, code := range []string{"token_revoked", "account_inactive", "invalid_auth", "not_authed", "token_expired"} {
		t.Run(code, func(t *testing.T) {
			t.Parallel()
			h, inc := startDeclared(t, "new sev2 Login errors")
			h.settle()

			h.slack.RevokeBotToken(code, "")
			update := "Rolled back the auth deploy; errors falling"
			if r := h.slash(alice, inc.Channel, "update "+update); r == "" {
				t.Fatal("the update was not acknowledged")
			}
			var body string
			h.eventually("/readyz reports the refused token", func() bool {
				var c int
				c, body = h.readyz()
				return c == http.StatusServiceUnavailable && strings.Contains(body, code)
			})
			golden(t, "realslack/readyz_"+code, body)
			if h.pending() == 0 {
				t.Fatal("effects were dropped while the token is refused")
			}

			// The app is reinstalled: a new token, a restart.
			h.slack.RevokeBotToken(code, "xoxb-reinstalled")
			h.cfg.BotToken = "xoxb-reinstalled"
			h.restart()
			h.settle()
			if c, b := h.readyz(); c != http.StatusOK {
				t.Fatalf("/readyz after the fix: %d %q", c, b)
			}
			if n := h.messagesContaining(inc.Channel, update); n != 1 {
				t.Fatalf("the update was posted %d times in the incident channel, want once", n)
			}
			if n := h.messagesContaining(h.announce, update); n != 1 {
				t.Fatalf("the update was announced %d times, want once", n)
			}
		})
	}
}

// TestRealSlackInviteOneRefusalDoesNotBlockOthers: someone joined the incident channel
// before the invite (already_in_channel) and a responder no longer exists: everyone else is
// still invited, and the channel is told who could not be.
func TestRealSlackInviteOneRefusalDoesNotBlockOthers(t *testing.T) {
	t.Parallel()
	h := startHarness(t, withConfig(func(c *app.Config) { c.Responders = []string{bob, carol, "UGHOST"} }))
	changes, stop := h.slack.Subscribe()
	defer stop()
	joined := make(chan struct{})
	go func() {
		for c := range changes {
			if ch, ok := h.slack.Channel(c.Channel); ok && strings.HasPrefix(ch.Name, "inc-1-") {
				// Alice follows the announcement into the channel before the invite.
				_ = h.slack.Join(alice, c.Channel)
				close(joined)
				return
			}
		}
	}()
	h.slack.SetLatency("conversations.invite", 300*time.Millisecond)
	h.slash(alice, slackfake.GeneralChannelID, "new sev2 Queue backlog growing")
	<-joined
	inc := h.ready(1)
	h.settle()
	ch, _ := h.slack.Channel(inc.Channel)
	for _, u := range []string{alice, bob, carol} {
		if !contains(ch.Members, u) {
			t.Errorf("%s was not invited; members %v", u, ch.Members)
		}
	}
	for _, c := range h.slack.Calls("conversations.invite") {
		if strings.Contains(c.Params["users"], ",") && c.Params["force"] != "true" {
			t.Errorf("an invite of several users without force=true: %v", c.Params)
		}
	}
	golden(t, "realslack/invite_refused", h.transcript([][2]string{{"incident", inc.Channel}}))
}

// TestRealSlackRateLimitedIsRetried: chat.postMessage answers HTTP 200 rate_limited; the
// post waits and goes out once.
func TestRealSlackRateLimitedIsRetried(t *testing.T) {
	t.Parallel()
	h, inc := startDeclared(t, "new sev3 Webhooks delayed")
	h.settle()
	h.slack.FailWith("chat.postMessage", "rate_limited", 2)
	update := "Webhook workers scaled from 4 to 12"
	h.slash(alice, inc.Channel, "update "+update)
	h.settle()
	if got := h.callsWith("chat.postMessage", "rate_limited"); got != 2 {
		t.Fatalf("rate_limited answered %d times, want 2", got)
	}
	if a, c := h.messagesContaining(h.announce, update), h.messagesContaining(inc.Channel, update); a != 1 || c != 1 {
		t.Fatalf("update announced %d times and posted %d times, want once each", a, c)
	}
}

// TestRealSlackRemovedFromIncidentChannel: someone removes the bot from the incident
// channel. A public channel it rejoins by itself; for a private one the lead is told how to
// invite it back, and what waited is posted then, once.
func TestRealSlackRemovedFromIncidentChannel(t *testing.T) {
	t.Parallel()
	t.Run("public", func(t *testing.T) {
		t.Parallel()
		h, inc := startDeclared(t, "new sev2 Search returns nothing")
		h.settle()
		if err := h.slack.Leave(slackfake.BotUserID, inc.Channel); err != nil {
			t.Fatal(err)
		}
		update := "Reindex started, ETA 20 minutes"
		h.slash(alice, inc.Channel, "update "+update)
		h.settle()
		if n := h.messagesContaining(inc.Channel, update); n != 1 {
			t.Fatalf("update posted %d times, want once", n)
		}
		if ch, _ := h.slack.Channel(inc.Channel); !contains(ch.Members, slackfake.BotUserID) {
			t.Fatal("the bot did not rejoin")
		}
	})
	t.Run("private", func(t *testing.T) {
		t.Parallel()
		h, inc := startDeclared(t, "new sev2 Billing export stuck")
		h.slash(alice, inc.Channel, "lead <@UCAROL|carol>")
		h.settle()
		if err := h.slack.MakePrivate(inc.Channel); err != nil {
			t.Fatal(err)
		}
		if err := h.slack.Leave(slackfake.BotUserID, inc.Channel); err != nil {
			t.Fatal(err)
		}
		update := "Export job restarted on a new worker"
		h.updatePostponed(alice, inc.Channel, update)
		if err := h.slack.Invite(carol, inc.Channel, slackfake.BotUserID); err != nil {
			t.Fatal(err)
		}
		h.clock.Advance(10 * time.Minute)
		h.settle()
		if n := h.messagesContaining(inc.Channel, update); n != 1 {
			t.Fatalf("update posted %d times, want once", n)
		}
		golden(t, "realslack/removed_private", h.transcript(nil, carol))
	})
}

// TestRealSlackRefusedDM: the app's Messages tab is off, so Slack refuses its DMs
// (messages_tab_disabled); the closure DM reaches the lead as an ephemeral in the incident
// channel instead.
func TestRealSlackRefusedDM(t *testing.T) {
	t.Parallel()
	h := startHarness(t)
	h.slack.SetMessagesTab(false)
	inc := h.declare(1, alice, slackfake.GeneralChannelID, "new sev3 Avatars missing")
	h.slash(alice, inc.Channel, "close --force CDN config restored")
	h.settle()
	if h.callsWith("chat.postMessage", "messages_tab_disabled") == 0 {
		t.Fatal("no DM was attempted")
	}
	var got []string
	for _, e := range h.slack.Ephemerals(alice) {
		if e.Channel == inc.Channel && e.Source == "chat.postEphemeral" {
			got = append(got, e.Text)
		}
	}
	golden(t, "realslack/refused_dm", strings.Join(got, "\n---\n"))
}

// TestRealSlackNameTaken: the channel name is taken by someone else's channel; the next
// suffix is tried at once, without listing the workspace's channels.
func TestRealSlackNameTaken(t *testing.T) {
	t.Parallel()
	h := startHarness(t)
	h.channel(carol, "inc-1-dns-failures", false, carol)
	inc := h.declare(1, alice, slackfake.GeneralChannelID, "new sev2 DNS failures")
	if inc.ChannelName != "inc-1-dns-failures-2" {
		t.Fatalf("channel %q, want inc-1-dns-failures-2", inc.ChannelName)
	}
	if n := len(h.slack.Calls("conversations.list")) + len(h.slack.Calls("users.conversations")); n != 0 {
		t.Fatalf("%d channel listings for a name_taken", n)
	}
}

// TestRealSlackEventsAsSubscribed: member_left_channel reaches the bot (the manifest
// subscribes to it), and no event the bot handles is held back by the manifest.
func TestRealSlackEventsAsSubscribed(t *testing.T) {
	t.Parallel()
	h, inc := startDeclared(t, "new sev3 Metrics gap")
	h.settle()
	if err := h.slack.Leave(bob, inc.Channel); err != nil {
		t.Fatal(err)
	}
	h.eventually("member_left_channel delivered and acked", func() bool {
		for _, a := range h.slack.Acks() {
			for _, e := range h.slack.Envelopes() {
				if e.ID == a.EnvelopeID && strings.Contains(string(e.Payload), `"member_left_channel"`) {
					return true
				}
			}
		}
		return false
	})
	for _, d := range h.slack.DroppedEvents() {
		if d != "message.channels" {
			t.Errorf("event %s was not delivered for want of a subscription", d)
		}
	}
}

// TestRealSlackLongTitleThroughSlash: a title longer than the modal may take (Slack caps a
// text input at 3000) is still accepted through the slash command.
func TestRealSlackLongTitleThroughSlash(t *testing.T) {
	t.Parallel()
	h := startHarness(t)
	title := strings.Repeat("checkout ", 400) // 3600 characters
	h.declare(1, alice, slackfake.GeneralChannelID, "new sev3 "+title)
	if got := h.incident(1).Title; got != strings.TrimSpace(title) {
		t.Fatalf("title of %d characters stored as %d", len(strings.TrimSpace(title)), len(got))
	}
	if errs := h.slack.BlockErrors(); len(errs) > 0 {
		t.Fatalf("Slack refused: %+v", errs)
	}
}

// TestRealSlackMissingScope: the app was installed without pins:write. The card is posted
// but cannot be pinned; the pin is kept, /readyz names the scope and what to do, and once
// the scope is granted the card is pinned.
func TestRealSlackMissingScope(t *testing.T) {
	t.Parallel()
	h := startHarness(t)
	h.withoutScope("pins:write")
	h.slash(alice, slackfake.GeneralChannelID, "new sev3 Pins refused")
	var body string
	h.eventually("/readyz names the missing scope", func() bool {
		var c int
		c, body = h.readyz()
		return c == http.StatusServiceUnavailable
	})
	golden(t, "realslack/readyz_missing_scope", body)
	if h.pending() == 0 {
		t.Fatal("the pin was dropped")
	}
	h.waitPostponed()
	h.slack.SetScopes(app.RequiredScopes()...)
	h.clock.Advance(2 * time.Minute)
	h.ready(1)
	h.settle()
	if c, b := h.readyz(); c != http.StatusOK {
		t.Fatalf("/readyz once the scope is granted: %d %q", c, b)
	}
}

// TestRealSlackStartWithRefusedToken: started with a revoked token, Firebreak stops with one
// line saying what to do, keeps what was queued, and sends it once started with a valid one.
func TestRealSlackStartWithRefusedToken(t *testing.T) {
	t.Parallel()
	h, inc := startDeclared(t, "new sev2 Queue stalled")
	h.settle()
	h.slack.RevokeBotToken("token_revoked", "")
	update := "Consumers restarted"
	h.slash(alice, inc.Channel, "update "+update)
	h.stop()

	a, err := app.New(h.cfg, app.Options{NoHTTP: true, Logger: zaptest.NewLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	runErr := a.Run(ctx)
	_ = a.Close()
	if runErr == nil {
		t.Fatal("started with a revoked token")
	}
	golden(t, "realslack/start_token_revoked", runErr.Error())

	h.slack.RevokeBotToken("token_revoked", "xoxb-reinstalled")
	h.cfg.BotToken = "xoxb-reinstalled"
	h.boot()
	h.settle()
	if a, c := h.messagesContaining(h.announce, update), h.messagesContaining(inc.Channel, update); a != 1 || c != 1 {
		t.Fatalf("update announced %d times and posted %d times, want once each", a, c)
	}
}

// TestRealSlackPostingRestricted: the incident channel's posting permissions keep the bot
// out (restricted_action). The lead is told what to change; once it is changed, what waited
// is posted once.
func TestRealSlackPostingRestricted(t *testing.T) {
	t.Parallel()
	h, inc := startDeclared(t, "new sev2 Cache evictions")
	h.slash(alice, inc.Channel, "lead <@UCAROL|carol>")
	h.settle()
	if err := h.slack.RestrictPosting(inc.Channel, true); err != nil {
		t.Fatal(err)
	}
	update := "Cache size doubled; evictions stopped"
	h.updatePostponed(carol, inc.Channel, update)
	if err := h.slack.RestrictPosting(inc.Channel, false); err != nil {
		t.Fatal(err)
	}
	h.clock.Advance(10 * time.Minute)
	h.settle()
	if a, c := h.messagesContaining(h.announce, update), h.messagesContaining(inc.Channel, update); a != 1 || c != 1 {
		t.Fatalf("update announced %d times and posted %d times, want once each", a, c)
	}
	golden(t, "realslack/posting_restricted", h.transcript(nil, carol))
}

// updatePostponed posts an update that Slack cannot take yet: carol, the lead, is told
// by DM what to do, and the update waits in the outbox, postponed, rather than dropped.
func (h *harness) updatePostponed(user, channel, update string) {
	h.t.Helper()
	h.slash(user, channel, "update "+update)
	h.eventually("the lead told", func() bool { return len(h.dmsTo(carol)) == 1 })
	if h.pending() == 0 {
		h.t.Fatal("the update was dropped")
	}
	h.waitPostponed()
}
