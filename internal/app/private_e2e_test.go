package app_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/firebreak-hq/firebreak/internal/app"
	"github.com/firebreak-hq/firebreak/internal/logbuf"
	"github.com/firebreak-hq/firebreak/internal/slackfake"
)

const dave = "UDAVE"

// secretTitle is the private incident's title: its words must reach
// nobody outside the incident channel.
const secretTitle = "Leaked signing key zebra-quartz"

// secretWords are what a leak would show: the title, a word of it that
// is in nothing else, and its slug (which a channel name would carry).
var secretWords = []string{secretTitle, "zebra-quartz", "zebra", "quartz", "leaked-signing-key"}

// logBuffer collects the product's log lines at info and above as JSON.
type logBuffer struct{ logbuf.Buffer }

func (l *logBuffer) Sync() error { return nil }

func (l *logBuffer) lines() []string {
	return strings.Split(strings.TrimSpace(l.String()), "\n")
}

func withInfoLog(h *harness) *logBuffer {
	lb := &logBuffer{}
	h.logTo = zapcore.NewCore(zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig()), lb, zapcore.InfoLevel)
	return lb
}

// leak reports which secret word s holds, or "".
func leak(s string) string {
	ls := strings.ToLower(s)
	for _, w := range secretWords {
		if strings.Contains(ls, strings.ToLower(w)) {
			return w
		}
	}
	return ""
}

// TestPrivateIncidentNeverReachesNonMembers: alice declares a private
// incident; dave, who is in the announce channel and #general but not in
// the incident's channel, never reads its title, on any surface (App
// Home included: his views.publish payloads are among the calls). Every
// Slack call the fake recorded (all methods, all payloads) that could
// reach anyone but the channel's members, every message in every other
// channel, every ephemeral, DM and ack that was not for a member, every
// HTTP page the bot serves and every log line at info are scanned.
func TestPrivateIncidentNeverReachesNonMembers(t *testing.T) {
	t.Parallel()
	ws := newWorkspace(t)
	ws.slack.AddUser(slackfake.User{ID: dave, Name: "dave", RealName: "Dave Bystander"})
	for _, ch := range []string{ws.announce, slackfake.GeneralChannelID} {
		if err := ws.slack.Join(dave, ch); err != nil {
			t.Fatal(err)
		}
	}
	h := harnessFor(t, ws, withConfig(func(c *app.Config) { c.FreezeDetails = true; c.DigestCron = "0 9 * * 1-5" }))
	logs := withInfoLog(h)
	h.boot()

	// A public incident beside it, so every surface has something to show.
	h.slash(bob, slackfake.GeneralChannelID, "new sev2 Search is slow")
	ack := h.slash(alice, slackfake.GeneralChannelID, "new private sev1 "+secretTitle)
	if !strings.Contains(ack, "INC-2") {
		t.Fatalf("declaration ack %q", ack)
	}
	pub := h.ready(1)
	inc := h.ready(2)
	if !inc.Private || inc.Title != secretTitle {
		t.Fatalf("INC-2 private=%v title %q", inc.Private, inc.Title)
	}
	ch, _ := h.slack.Channel(inc.Channel)
	if !ch.IsPrivate || ch.Name != "inc-2-private" {
		t.Fatalf("channel %q private=%v, want a private inc-2-private", ch.Name, ch.IsPrivate)
	}
	if card := h.card(inc); !strings.Contains(card.Text+string(card.Blocks), "Private incident") {
		t.Fatalf("the card does not say the incident is private: %s", card.Blocks)
	}
	members := map[string]bool{slackfake.BotUserID: true}
	for _, m := range ch.Members {
		members[m] = true
	}
	if !members[alice] || !members[bob] || members[dave] {
		t.Fatalf("members %v", ch.Members)
	}

	// App Home: alice (a member) sees it; dave sees the public one only.
	// Both stay viewers, so every change below republishes both Homes.
	if v := homeText(h.home(alice)); !strings.Contains(v, secretTitle) {
		t.Fatalf("alice's Home lacks the private incident:\n%s", v)
	}
	if v := homeText(h.home(dave)); strings.Contains(v, "INC-2") || !strings.Contains(v, pub.Title) {
		t.Fatalf("dave's Home:\n%s", v)
	}

	// Work on it: updates (with the secret word in them), a severity
	// change, a note.
	h.slashAll(alice, inc.Channel, "update Rotating the zebra-quartz key now", "sev 2", "note zebra-quartz was in a public gist")
	// A change to the public incident changes dave's Home: republished,
	// still without the private one.
	h.slash(bob, pub.Channel, "sev 1")

	// Lists: members see the title, dave a placeholder.
	if got := h.slash(alice, slackfake.GeneralChannelID, "list"); !strings.Contains(got, secretTitle) {
		t.Fatalf("alice's list lacks the private incident's title: %q", got)
	}
	daveList := h.slash(dave, slackfake.GeneralChannelID, "list")
	if !strings.Contains(daveList, "INC-2") || !strings.Contains(daveList, "private incident") || !strings.Contains(daveList, pub.Title) {
		t.Fatalf("dave's list: %q", daveList)
	}

	// The daily digest, in the announce channel.
	monday := time.Date(2026, 11, 23, 9, 0, 30, 0, time.UTC)
	if _, err := h.app.Sched.TickDigest(monday); err != nil {
		t.Fatal(err)
	}
	h.eventually("the digest", func() bool { return h.messagesContaining(h.announce, "Daily incident digest") == 1 })

	// The HTTP pages, while it is open and sev2 (so /freeze lists it).
	base := "http://" + h.app.HTTPAddr()
	pages := map[string]string{}
	h.settle()
	for _, p := range []string{"/freeze", "/metrics", "/status", "/status.json", "/status.atom", "/insights", "/insights.csv", "/healthz", "/readyz"} {
		_, body := get(t, base+p)
		pages[p+" (open)"] = body
	}
	if !strings.Contains(pages["/freeze (open)"], `"id":"INC-2"`) || !strings.Contains(pages["/freeze (open)"], `"private":true`) ||
		!strings.Contains(pages["/freeze (open)"], pub.Title) {
		t.Fatalf("/freeze: %s", pages["/freeze (open)"])
	}
	if !strings.Contains(pages["/status.json (open)"], pub.Title) {
		t.Fatalf("/status.json lacks the public incident: %s", pages["/status.json (open)"])
	}

	// Closed: the postmortem stays on disk (no GITHUB_PRIVATE_REPO), the
	// closure is announced without the title.
	h.slash(alice, inc.Channel, "close --force rotated and verified")
	h.eventually("the postmortem written and linked", func() bool {
		return h.incident(2).PostmortemURL != "" && h.messagesContaining(inc.Channel, "INC-2.md") > 0
	})
	if md := h.postmortemFile(2); !strings.Contains(md, secretTitle) {
		t.Fatalf("postmortem on disk: %.200s", md)
	}
	for _, is := range h.gh.Issues("acme", "ops") {
		if w := leak(is.Title + is.Body); w != "" {
			t.Errorf("GitHub issue #%d in the shared repository holds %q", is.Number, w)
		}
	}
	h.settle()
	for _, p := range []string{"/freeze", "/metrics", "/status", "/status.json", "/status.atom", "/insights", "/insights.csv"} {
		_, body := get(t, base+p)
		pages[p+" (closed)"] = body
	}

	// Both Homes were republished as it changed; dave's never showed it.
	if h.slack.Publishes(dave) < 2 || h.slack.Publishes(alice) < 2 {
		t.Errorf("Home publishes: dave %d, alice %d", h.slack.Publishes(dave), h.slack.Publishes(alice))
	}
	publishes := 0
	for _, c := range h.slack.AllCalls() {
		if c.Method == "views.publish" && c.Params["user_id"] == dave {
			publishes++
		}
	}
	if publishes < 2 {
		t.Errorf("the scan sees %d views.publish calls for dave", publishes)
	}

	// The announce channel heard of it, without its title.
	if h.messagesContaining(h.announce, "*INC-2* is a private incident") < 4 {
		t.Errorf("announce channel: %d neutral lines for INC-2", h.messagesContaining(h.announce, "*INC-2* is a private incident"))
	}
	h.settle()
	scanned := daveScan(t, h, inc.Channel, members)
	for p, body := range pages {
		scanned++
		if w := leak(body); w != "" {
			t.Errorf("GET %s shows %q: %.300s", p, w, body)
		}
	}
	for _, l := range logs.lines() {
		scanned++
		if w := leak(l); w != "" {
			t.Errorf("a log line at info holds %q: %s", w, l)
		}
	}
	// The public incident's declaration is logged with its title; the
	// private one's without.
	if n := count(logs.lines(), func(l string) bool { return strings.Contains(l, "incident declared") }); n != 2 {
		t.Errorf("%d declarations logged at info, want 2", n)
	}
	if n := count(logs.lines(), func(l string) bool { return strings.Contains(l, pub.Title) }); n == 0 {
		t.Errorf("the public incident's title is in no log line: the log capture sees nothing")
	}
	t.Logf("scanned %d Slack calls, messages, ephemerals, acks, pages and log lines", scanned)
}

// daveScan checks everything Slack recorded that someone outside the
// private channel could read, and returns how many items it looked at.
func daveScan(t *testing.T, h *harness, private string, members map[string]bool) int {
	t.Helper()
	n := 0
	ims := map[string]string{} // IM channel → its person
	for _, c := range h.slack.Channels() {
		if c.IsIM {
			for _, m := range c.Members {
				if m != slackfake.BotUserID {
					ims[c.ID] = m
				}
			}
		}
	}
	// Every Web API call: the ones that reach only members are those in
	// the private channel, ephemerals and DMs for members, and views for
	// members. Everything else must not hold the title.
	for _, c := range h.slack.AllCalls() {
		n++
		p := c.Params
		audience := ""
		switch {
		case p["channel"] == private:
			audience = "members"
		case c.Method == "chat.postEphemeral" && members[p["user"]]:
			audience = "members"
		case members[p["channel"]] || members[ims[p["channel"]]]:
			audience = "members" // a DM
		case strings.HasPrefix(c.Method, "views.") && members[p["user_id"]]:
			audience = "members"
		}
		all, _ := json.Marshal(p)
		if audience == "" {
			if w := leak(string(all)); w != "" {
				t.Errorf("%s %s holds %q: %.400s", c.Method, p["channel"], w, all)
			}
		}
		// Nowhere, not even for members, does the title become a channel name.
		if strings.Contains(string(all), "leaked-signing-key") {
			t.Errorf("%s carries the title's slug: %.300s", c.Method, all)
		}
	}
	// Every message in every channel but the private one, dave's DMs.
	for _, c := range h.slack.Channels() {
		if c.ID == private || (c.IsIM && members[ims[c.ID]]) {
			continue
		}
		for _, m := range h.slack.Messages(c.ID) {
			n++
			if w := leak(m.Text + string(m.Blocks)); w != "" {
				t.Errorf("message in %s (%s) holds %q: %.300s", c.Name, c.ID, w, m.Text)
			}
		}
	}
	// Ephemerals (chat.postEphemeral, response_url, acks) for non-members.
	for _, u := range []string{dave, carol} {
		for _, e := range h.slack.Ephemerals(u) {
			n++
			if w := leak(e.Text + string(e.Blocks)); w != "" {
				t.Errorf("ephemeral for %s (%s) holds %q: %.300s", u, e.Source, w, e.Text)
			}
		}
	}
	// Acks to envelopes sent by non-members.
	from := map[string]string{}
	for _, e := range h.slack.Envelopes() {
		p := decoded[struct {
			UserID string `json:"user_id"`
			User   struct {
				ID string `json:"id"`
			} `json:"user"`
		}](t, e.Payload)
		from[e.ID] = p.UserID + p.User.ID
	}
	for _, a := range h.slack.Acks() {
		n++
		if u := from[a.EnvelopeID]; !members[u] {
			if w := leak(string(a.Payload)); w != "" {
				t.Errorf("ack to %s's %s holds %q: %.300s", u, a.Type, w, a.Payload)
			}
		}
	}
	return n
}

// TestPrivateChannelNeedsGroupsWrite: installed without groups:write,
// a private incident's channel cannot be created; the declarer is told
// which scope to grant, the declaration is kept, and once the scope is
// granted the private channel is created. Public incidents are not held
// up meanwhile.
func TestPrivateChannelNeedsGroupsWrite(t *testing.T) {
	t.Parallel()
	h := startHarness(t)
	h.withoutScope("groups:write")
	h.slash(alice, slackfake.GeneralChannelID, "new private sev2 Session tokens in logs")
	h.eventually("alice told which scope to grant", func() bool {
		return h.ephemeralsContaining(alice, "groups:write") == 1
	})
	h.declare(2, alice, slackfake.GeneralChannelID, "new sev3 Public one meanwhile")
	if h.incident(1).Channel != "" {
		t.Fatal("a channel was recorded without groups:write")
	}
	h.waitPostponed()
	h.slack.SetScopes(app.RequiredScopes()...)
	h.clock.Advance(5 * time.Minute)
	inc := h.ready(1)
	if ch, _ := h.slack.Channel(inc.Channel); !ch.IsPrivate || ch.Name != "inc-1-private" {
		t.Fatalf("channel %+v", ch)
	}
}
