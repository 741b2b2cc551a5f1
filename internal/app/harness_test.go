package app_test

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	firebreak "github.com/firebreak-hq/firebreak"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest"

	"github.com/firebreak-hq/firebreak/incident"
	"github.com/firebreak-hq/firebreak/internal/app"
	"github.com/firebreak-hq/firebreak/internal/githubfake"
	"github.com/firebreak-hq/firebreak/internal/slackfake"
	"github.com/firebreak-hq/firebreak/internal/testwait"
	"github.com/firebreak-hq/firebreak/store"
	"github.com/firebreak-hq/firebreak/store/pgstore/pgtest"
)

const (
	alice = slackfake.Alice
	bob   = slackfake.Bob
	carol = slackfake.Carol
)

// TestMain runs the end-to-end tests several at a time even on a machine
// with few cores: they spend their time waiting on sockets, bbolt syncs
// and timers, not computing. An explicit -parallel is kept.
func TestMain(m *testing.M) {
	flag.Parse()
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == "test.parallel" })
	if !set {
		_ = flag.Set("test.parallel", strconv.Itoa(max(4, runtime.GOMAXPROCS(0))))
	}
	os.Exit(m.Run())
}

// harness runs the whole product against the fakes over real sockets,
// with bbolt on disk.
type harness struct {
	t        *testing.T
	slack    *slackfake.Server
	gh       *githubfake.Server
	cfg      app.Config
	app      *app.App
	cancel   context.CancelFunc
	done     chan error
	announce string
	clock    *clock
	// callTimeout bounds one Slack call (0: the product's default).
	callTimeout time.Duration
	// homeInterval is how long App Home waits to coalesce changes (0: the default).
	homeInterval time.Duration
	// pageTimeout and pageBackoff tune the pager client (0: defaults).
	pageTimeout, pageBackoff time.Duration
	// ledger is what the test expected to be said (nil once lenient).
	ledger *ledger
	// faultHits counts the store faults a test injected, when it counts them.
	faultHits *atomic.Int64
	// logTo, when set, also receives every log entry of the product.
	logTo zapcore.Core
	mu    sync.Mutex
}

type harnessOpt func(*app.Config, *[]slackfake.Option)

// clock is a settable clock shared by the bot, store and scheduler, so
// reminder tests fast-forward instead of sleeping.
type clock struct {
	mu     sync.Mutex
	offset time.Duration
}

// harnessEpoch is where every harness clock starts: a Saturday noon, so no
// weekday schedule (the 09:00 digest) falls due by the time of day the
// tests happen to run at; a test that wants one advances the clock.
var harnessEpoch = time.Date(2026, 3, 7, 12, 0, 0, 0, time.UTC)

// newClock starts at harnessEpoch and runs at the real pace from there.
func newClock() *clock { return &clock{offset: time.Until(harnessEpoch)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.offset)
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.offset += d
	c.mu.Unlock()
}

func withConfig(f func(*app.Config)) harnessOpt {
	return func(c *app.Config, _ *[]slackfake.Option) { f(c) }
}

func withoutGitHub() harnessOpt {
	return func(c *app.Config, _ *[]slackfake.Option) { c.GitHubRepo, c.GitHubToken = "", "" }
}

// workspace is the fake Slack and GitHub a test runs the product
// against, with the environment that points Firebreak at them.
type workspace struct {
	slack    *slackfake.Server
	gh       *githubfake.Server
	announce string
	dir      string
	env      map[string]string
}

func newWorkspace(t *testing.T, slackOpts ...slackfake.Option) workspace {
	t.Helper()
	// The workspace has the app installed from the shipped manifest: its scopes, its events.
	fs := must[*slackfake.Server](t)(slackfake.New(append([]slackfake.Option{slackfake.WithPingInterval(time.Second), slackfake.WithManifest(firebreak.Manifest)}, slackOpts...)...))
	t.Cleanup(func() { _ = fs.Close() })
	gh := must[*githubfake.Server](t)(githubfake.New("ghp_test"))
	t.Cleanup(func() { _ = gh.Close() })
	gh.AddRepo("acme", "ops")
	announce := must[string](t)(fs.CreateChannel(alice, "incidents", false, bob, carol))
	dir := t.TempDir()
	db := filepath.Join(dir, "firebreak.db")
	lease := "30s"
	if harnessOnPostgres() {
		db = pgtest.URL(t)
		// A killed bot's claims on effects expire quickly, so that the
		// restarted one performs them within the tests' patience.
		lease = "2s"
	}
	return workspace{slack: fs, gh: gh, announce: announce, dir: dir, env: map[string]string{
		"SLACK_APP_TOKEN":            fs.AppToken(),
		"SLACK_BOT_TOKEN":            fs.BotToken(),
		"SLACK_API_URL":              fs.APIURL(),
		"FIREBREAK_DB":               db,
		"FIREBREAK_CLAIM_LEASE":      lease,
		"FIREBREAK_ANNOUNCE_CHANNEL": announce,
		"FIREBREAK_RESPONDERS":       bob,
		"FIREBREAK_POSTMORTEM_DIR":   filepath.Join(dir, "postmortems"),
		"GITHUB_TOKEN":               "ghp_test",
		"GITHUB_REPO":                "acme/ops",
		"GITHUB_API_URL":             gh.URL(),
		"FIREBREAK_HTTP_ADDR":        "127.0.0.1:0",
		// A test that advances the clock by days would otherwise see the
		// daily digest posted; tests of the digest set the cron they need.
		"FIREBREAK_DIGEST_CRON": noDigest,
	}}
}

// withRoutes has the workspace route alerts as the routes file yaml says.
func (w workspace) withRoutes(t *testing.T, yaml string) {
	t.Helper()
	f := filepath.Join(w.dir, "routes.yaml")
	if err := os.WriteFile(f, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	w.env["FIREBREAK_ROUTES"] = f
}

// harnessOnPostgres: FIREBREAK_TEST_HARNESS_DB=postgres runs the whole
// end-to-end suite on PostgreSQL (a schema per test, from
// FIREBREAK_TEST_POSTGRES) instead of bbolt files.
func harnessOnPostgres() bool { return os.Getenv("FIREBREAK_TEST_HARNESS_DB") == "postgres" }

// boltOnly skips a test of what only a bbolt file does (its lock, its
// file-level backup and schema, faults injected into its transactions)
// when the suite runs on PostgreSQL.
func boltOnly(t *testing.T) {
	t.Helper()
	if harnessOnPostgres() {
		t.Skip("tests the bbolt file itself; the suite runs on PostgreSQL")
	}
}

// noDigest is a valid cron expression that never fires (30 February).
const noDigest = "0 9 30 2 *"

// harnessFor builds (but does not boot) a harness over ws.
func harnessFor(t *testing.T, ws workspace, opts ...harnessOpt) *harness {
	t.Helper()
	cfg, err := app.FromEnv(func(k string) string { return ws.env[k] })
	if err != nil {
		t.Fatal(err)
	}
	var sopts []slackfake.Option
	for _, o := range opts {
		o(&cfg, &sopts)
	}
	h := &harness{t: t, slack: ws.slack, gh: ws.gh, cfg: cfg, announce: ws.announce, clock: newClock(), ledger: newLedger()}
	t.Cleanup(h.finish)
	return h
}

// startDeclared starts a harness in which alice has declared an incident
// with text in #general, and returns it once incident 1 is ready.
func startDeclared(t *testing.T, text string, opts ...harnessOpt) (*harness, incident.Incident) {
	t.Helper()
	h := startHarness(t, opts...)
	inc := h.declare(1, alice, slackfake.GeneralChannelID, text)
	h.expectDeclared(inc)
	return h, inc
}

// declare runs /incident text as user in channel, checks that its ack
// names incident n, and waits until n is ready.
func (h *harness) declare(n uint64, user, channel, text string) incident.Incident {
	h.t.Helper()
	if r := h.slash(user, channel, text); !strings.Contains(r, incident.ID(n)) {
		h.t.Fatalf("/incident %s: ack %q does not name %s", text, r, incident.ID(n))
	}
	return h.ready(n)
}

func startHarness(t *testing.T, opts ...harnessOpt) *harness {
	t.Helper()
	h := harnessFor(t, newWorkspace(t), opts...)
	h.boot()
	return h
}

func (h *harness) boot() { h.t.Helper(); h.bootWith(nil) }

// bootWith starts the app, running beforeRun on it first (where store
// faults are armed, before any goroutine writes).
func (h *harness) bootWith(beforeRun func(*app.App)) {
	h.t.Helper()
	logger := zaptest.NewLogger(h.t)
	if h.logTo != nil {
		logger = zap.New(zapcore.NewTee(logger.Core(), h.logTo))
	}
	a, err := app.New(h.cfg, app.Options{Logger: logger.Named("app"), CardInterval: 50 * time.Millisecond, Now: h.clock.Now, CallTimeout: h.callTimeout, HomeInterval: h.homeInterval, PageTimeout: h.pageTimeout, PageBackoff: h.pageBackoff})
	if err != nil {
		h.t.Fatal(err)
	}
	if beforeRun != nil {
		beforeRun(a)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	h.mu.Lock()
	h.app, h.cancel, h.done = a, cancel, done
	h.mu.Unlock()
	wctx, wcancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer wcancel()
	if err := h.slack.WaitConnected(wctx); err != nil {
		h.t.Fatalf("bot did not connect: %v", err)
	}
	h.eventually("bot ready", func() bool { return a.Bot.Connected() })
}

func (h *harness) stop() {
	h.mu.Lock()
	a, cancel, done := h.app, h.cancel, h.done
	h.app = nil
	h.mu.Unlock()
	if a == nil {
		return
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			h.t.Errorf("app.Run: %v", err)
		}
	case <-time.After(20 * time.Second):
		h.t.Error("app did not stop within 20s")
	}
	if err := a.DB.Check(); err != nil {
		h.t.Errorf("bbolt consistency: %v", err)
	}
	_ = a.Close()
}

// restart stops the bot and starts a new one on the same database file.
func (h *harness) restart() {
	h.t.Helper()
	h.stop()
	h.boot()
}

func (h *harness) db() store.Store { return h.app.DB }

func (h *harness) eventually(what string, cond func() bool) {
	h.t.Helper()
	h.eventuallyWithin(15*time.Second, what, cond)
}

// eventuallyWithin waits up to d for cond, looking every few milliseconds.
func (h *harness) eventuallyWithin(d time.Duration, what string, cond func() bool) {
	h.t.Helper()
	testwait.Until(h.t, d, what, cond)
}

// settle waits until the system is at rest: no envelope waiting for its
// ack and no Web API or response_url request being served (the fake's
// Quiet), no handler, reply or member fetch running in the bot, no
// periodic reminder check running, and the outbox empty — seen twice in a
// row with nothing reaching the fake in between. Only then may a test
// conclude that something did not happen.
func (h *harness) settle() {
	h.t.Helper()
	var (
		calm bool
		last uint64
		why  string
	)
	ok := testwait.For(15*time.Second, func() bool {
		h.app.Sched.Settle()
		busy, activity := h.slack.Quiet()
		depth, err := h.db().OutboxDepth()
		switch {
		case err != nil:
			why = "outbox: " + err.Error()
		case busy > 0:
			why = fmt.Sprintf("%d envelopes or requests under way in Slack", busy)
		case h.app.Bot.Busy() > 0:
			why = fmt.Sprintf("%d bot tasks running", h.app.Bot.Busy())
		case depth > 0:
			why = fmt.Sprintf("%d effects in the outbox", depth)
		default:
			settled := calm && activity == last
			calm, last = true, activity
			return settled
		}
		calm = false
		return false
	})
	if !ok {
		h.t.Fatalf("the system did not settle within 15s: %s", why)
	}
}

// slash runs /incident and returns the text of its ack.
func (h *harness) slash(user, channel, text string) string {
	h.t.Helper()
	ack, err := h.slack.Slash(user, channel, text)
	if err != nil {
		h.t.Fatalf("/incident %s: %v", text, err)
	}
	if ack.Late {
		h.t.Errorf("/incident %s acked late (%s)", text, ack.Latency)
	}
	return ackText(h.t, ack.Payload)
}

// decoded is the JSON raw holds (the zero T when raw is empty); a payload
// that is not JSON of that shape fails t.
func decoded[T any](t testing.TB, raw json.RawMessage) T {
	t.Helper()
	var v T
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &v); err != nil {
			t.Fatalf("payload %.300s: %v", raw, err)
		}
	}
	return v
}

// ackText is the text of an ack's payload.
func ackText(t testing.TB, payload json.RawMessage) string {
	t.Helper()
	return decoded[struct {
		Text string `json:"text"`
	}](t, payload).Text
}

// must passes on a result, failing the test on its error.
func must[T any](t testing.TB) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

// slashAll runs each command in turn, as user in channel.
func (h *harness) slashAll(user, channel string, cmds ...string) {
	h.t.Helper()
	for _, c := range cmds {
		h.slash(user, channel, c)
	}
}

// withoutScope takes scope from the app's grant, leaving every other it needs.
func (h *harness) withoutScope(scope string) {
	var rest []string
	for _, s := range app.RequiredScopes() {
		if s != scope {
			rest = append(rest, s)
		}
	}
	h.slack.SetScopes(rest...)
}

func (h *harness) incident(n uint64) incident.Incident {
	return must[incident.Incident](h.t)(h.db().Get(n))
}

// slackRecord is what the bot keeps about incident n's Slack side.
func (h *harness) slackRecord(n uint64) store.SlackRecord {
	return must[store.SlackRecord](h.t)(h.db().Slack(n))
}

// cardTS is the ts of incident n's card, "" before it is posted.
func (h *harness) cardTS(n uint64) string { return h.slackRecord(n).CardTS }

// ready waits until incident n has its channel and pinned card.
func (h *harness) ready(n uint64) incident.Incident {
	h.t.Helper()
	var inc incident.Incident
	h.eventually(fmt.Sprintf("INC-%d channel and card", n), func() bool {
		inc = h.incident(n)
		ts := h.cardTS(n)
		if inc.Channel == "" || ts == "" {
			return false
		}
		m, ok := h.slack.Message(inc.Channel, ts)
		return ok && m.Pinned
	})
	h.consume(msgKey(slackfake.Message{Channel: inc.Channel, TS: h.cardTS(n)}))
	return inc
}

// postmortemFile is the postmortem of incident n written to FIREBREAK_POSTMORTEM_DIR.
func (h *harness) postmortemFile(n uint64) string {
	h.t.Helper()
	md, err := os.ReadFile(filepath.Join(h.cfg.PostmortemDir, incident.ID(n)+".md"))
	if err != nil {
		h.t.Fatal(err)
	}
	return string(md)
}

// postAs posts text as user in channel and returns its ts.
func (h *harness) postAs(user, channel, text string) string {
	h.t.Helper()
	return must[string](h.t)(h.slack.PostAsUser(user, channel, text))
}

// channel has creator create a channel with members and returns its id.
func (h *harness) channel(creator, name string, private bool, members ...string) string {
	h.t.Helper()
	return must[string](h.t)(h.slack.CreateChannel(creator, name, private, members...))
}

func (h *harness) card(inc incident.Incident) slackfake.Message {
	h.t.Helper()
	m, ok := h.slack.Message(inc.Channel, h.cardTS(inc.Number))
	if !ok {
		h.t.Fatalf("card of %s not found", inc.ID())
	}
	return m
}

// click presses a button on the card and fails on a late ack.
func (h *harness) click(user string, inc incident.Incident, action, value string) {
	h.t.Helper()
	ack, err := h.slack.Click(user, inc.Channel, h.cardTS(inc.Number), action, value)
	if err != nil {
		h.t.Fatalf("click %s %s: %v", action, value, err)
	}
	if ack.Late {
		h.t.Errorf("click %s acked late", action)
	}
}

func (h *harness) events(n uint64) []incident.Event {
	return must[[]incident.Event](h.t)(h.db().Events(n))
}

// count is how many of xs ok accepts.
func count[T any](xs []T, ok func(T) bool) int {
	n := 0
	for _, x := range xs {
		if ok(x) {
			n++
		}
	}
	return n
}

func countKind(evs []incident.Event, k incident.EventKind) int {
	return count(evs, func(e incident.Event) bool { return e.Kind == k })
}

func (h *harness) ephemeralsContaining(user, substr string) int {
	return count(h.slack.Ephemerals(user), func(e slackfake.Ephemeral) bool { return strings.Contains(e.Text, substr) })
}

func (h *harness) messagesContaining(channel, substr string) int {
	return count(h.slack.Messages(channel), func(m slackfake.Message) bool { return strings.Contains(m.Text, substr) })
}

func (h *harness) openView(user, callback string) slackfake.View {
	h.t.Helper()
	var v slackfake.View
	h.eventually("modal "+callback+" for "+user, func() bool {
		for _, x := range h.slack.Views(user) {
			if x.CallbackID == callback {
				v = x
				return true
			}
		}
		return false
	})
	return v
}

// cardHasAction reports whether the card currently offers action for step.
func cardHasAction(m slackfake.Message, action, value string) bool {
	for _, b := range m.BlocksDecoded {
		els, _ := b["elements"].([]any)
		for _, e := range els {
			em, _ := e.(map[string]any)
			if em["action_id"] == action && em["value"] == value {
				return true
			}
		}
	}
	return false
}

// runAndStop runs a in the background, calls during, then stops it.
func runAndStop(t *testing.T, a *app.App, during func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	defer func() {
		cancel()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			t.Error("app did not stop")
		}
		_ = a.Close()
	}()
	during()
}
