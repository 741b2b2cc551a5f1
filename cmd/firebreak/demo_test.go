package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"go.uber.org/zap/zapcore"

	"github.com/firebreak-hq/firebreak/internal/slackfake"
)

// findChromium returns a Chromium or Chrome binary, or "" when none is
// installed.
func findChromium() string {
	for _, p := range []string{"/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if path, err := exec.LookPath(p); err == nil {
			return path
		}
	}
	return ""
}

// browser starts a headless Chromium with a fresh profile; the returned
// context drives one tab and ends at the deadline.
func browser(t *testing.T, deadline time.Duration) context.Context {
	t.Helper()
	bin := findChromium()
	if bin == "" {
		t.Skip("no Chromium installed (looked for /usr/bin/chromium, chromium, chromium-browser, google-chrome): install Debian's chromium package to run the browser test")
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(bin),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1440, 900),
	}
	ctx, cancel := context.WithTimeout(context.Background(), deadline)
	t.Cleanup(cancel)
	actx, acancel := chromedp.NewExecAllocator(ctx, opts...)
	t.Cleanup(acancel)
	bctx, bcancel := chromedp.NewContext(actx)
	t.Cleanup(bcancel)
	if err := chromedp.Do(bctx); err != nil {
		t.Fatalf("starting Chromium %s: %v", bin, err)
	}
	return bctx
}

// screenshotDir is docs/screenshots when FIREBREAK_SCREENSHOTS=1 (to
// refresh the README's pictures), a temporary directory otherwise.
func screenshotDir(t *testing.T) string {
	if os.Getenv("FIREBREAK_SCREENSHOTS") != "1" {
		return t.TempDir()
	}
	dir := filepath.Join("..", "..", "docs", "screenshots")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestDemoInBrowser drives the whole product through the demo UI as people
// would: declare, work the checklist with a second person approving the
// risky step, pin evidence, resolve, close, and read the postmortem issue.
func TestDemoInBrowser(t *testing.T) {
	ctx := browser(t, 90*time.Second)
	var logs syncBuffer
	d, err := startDemo(ctx, demoOptions{Addr: "127.0.0.1:0", Log: newLogger(&logs, zapcore.InfoLevel), CardInterval: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := d.Close(); err != nil {
			t.Errorf("closing the demo: %v", err)
		}
		if t.Failed() {
			t.Logf("bot log:\n%s", logs.String())
			for _, u := range []string{slackfake.Alice, slackfake.Bob, slackfake.Carol} {
				for _, e := range d.Slack.Ephemerals(u) {
					t.Logf("ephemeral to %s: %s", u, e.Text)
				}
			}
		}
	})
	shots := screenshotDir(t)
	shot := func(name string) chromedp.Action[chromedp.Void] {
		return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			png, err := chromedp.CaptureScreenshot()(ctx, tg)
			if err != nil {
				return err
			}
			return os.WriteFile(filepath.Join(shots, name), png, 0o644)
		})
	}
	// Each step is bounded (and so is the whole test); run names the step
	// that failed.
	run := func(what string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		sctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		if err := chromedp.Do(sctx, actions...); err != nil {
			// The page as it was is the quickest way to see why; it is
			// kept after the test for that reason.
			if png, serr := chromedp.Run(ctx, chromedp.CaptureScreenshot()); serr == nil {
				if dir, derr := os.MkdirTemp("", "firebreak-demo-failure-"); derr == nil {
					path := filepath.Join(dir, "failure.png")
					if os.WriteFile(path, png, 0o644) == nil {
						t.Logf("screenshot of the failure: %s", path)
					}
				}
			}
			t.Fatalf("%s: %v", what, err)
		}
	}
	step := func(id string) string { return `#messages .msg.pinned [data-block-id="act:` + id + `"]` }
	done := func(id string) chromedp.Action[chromedp.Void] {
		return chromedp.Steps(
			click(step(id)+` button[data-action-id="step.done"]`),
			chromedp.WaitNotPresent(chromedp.CSS(step(id))),
		)
	}
	actAs := func(user string) chromedp.Action[chromedp.Void] {
		return chromedp.Steps(
			chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`(() => { const s = document.querySelector('#as'); s.value = %q; s.dispatchEvent(new Event('change')); })()`, user)),
			chromedp.WaitReady(chromedp.CSS(fmt.Sprintf(`body[data-me=%q]`, user))),
		)
	}

	run("open the demo", chromedp.Navigate(d.URL), chromedp.WaitVisible(chromedp.CSS(`body[data-ready] #channels li[data-name="general"].active`)))
	t.Run("text rendering", func(t *testing.T) {
		cases := []struct {
			name, expr, want string
		}{
			{"mrkdwn escapes HTML", `mrkdwn("<script>alert(1)</script> &lt;b&gt;")`, "&lt;script&gt;alert(1)&lt;/script&gt; &lt;b&gt;"},
			{"mrkdwn formatting", "mrkdwn(\"*bold* _it_ `code` ~gone~\")", "<b>bold</b> <i>it</i> <code>code</code> <s>gone</s>"},
			{"mrkdwn mentions", `mrkdwn("<@UBOB> in <#C0GENERAL> <!here>")`, `<span class="mention">@bob</span> in <span class="chanref" data-channel="C0GENERAL">#general</span> <span class="mention">@here</span>`},
			{"mrkdwn links are http only", `mrkdwn("<javascript:alert(1)|x> <https://example.com/?a=1&amp;b=2|site>")`, `&lt;javascript:alert(1)|x&gt; <a href="https://example.com/?a=1&amp;b=2" target="_blank" rel="noopener">site</a>`},
			{"markdown escapes HTML", `markdown("<img src=x onerror=alert(1)>")`, "<p>&lt;img src=x onerror=alert(1)&gt;</p>"},
			{"markdown table and tasks", `markdown("| a | b |\n|---|---|\n| 1 | **2** |\n\n- [ ] fix")`, `<table><thead><tr><th>a</th><th>b</th></tr></thead><tbody><tr><td>1</td><td><strong>2</strong></td></tr></tbody></table>` + "\n" + `<ul><li class="task"><input type="checkbox" disabled> fix</li></ul>`},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				got := read(t, ctx, tc.name, chromedp.Evaluate[string](tc.expr))
				if got != tc.want {
					t.Errorf("%s\n got %s\nwant %s", tc.expr, got, tc.want)
				}
			})
		}
	})
	run("declare from #general",
		chromedp.SendKeys(chromedp.CSS(`#input`), "/incident new sev2 Checkout returns 500 for EU users"+kb.Enter),
		chromedp.WaitVisible(chromedp.CSS(`#messages .msg.ephemeral`)),
		click(`#channels li[data-name^="inc-1-checkout"]`),
		chromedp.WaitVisible(chromedp.CSS(`#messages .msg.pinned .bk-header`)),
		chromedp.WaitVisible(chromedp.CSS(step("assess-impact")+` button[data-action-id="step.done"]`)),
	)
	header := read(t, ctx, "read the card", chromedp.Text(chromedp.CSS(`#messages .msg.pinned .bk-header`)))
	if !strings.Contains(header, "INC-1") || !strings.Contains(header, "Checkout returns 500 for EU users") {
		t.Errorf("card header = %q, want INC-1 and the title", header)
	}

	run("post evidence and mark it with 📌",
		chromedp.SendKeys(chromedp.CSS(`#input`), "Deploy 4812 reached eu-west at 14:02; errors start 14:03"+kb.Enter),
		// The message's hover menu is hidden until the pointer is over it.
		chromedp.WaitReady(chromedp.Search(`//div[@data-testid="message"][.//div[contains(., "Deploy 4812")]]//button[@data-react]`)),
		chromedp.Evaluate[chromedp.Void](`[...document.querySelectorAll('#messages .msg')].find(m => m.textContent.includes('Deploy 4812')).querySelector('button[data-react]').click()`),
		chromedp.WaitVisible(chromedp.Search(`//div[@data-testid="message"][.//div[contains(., "Deploy 4812")]]//span[contains(@class, "reaction")]`)),
	)
	run("stop the bleeding", done("assess-impact"), done("assign-roles"), shot("card.png"), done("mitigate"))
	run("understand", done("what-changed"), done("hypothesis"))

	run("alice asks for approval of the fix",
		click(step("fix")+` button[data-action-id="step.request_approval"]`),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="modal"] [data-block-id="what"] textarea`)),
		chromedp.SendKeys(chromedp.CSS(`[data-testid="modal"] [data-block-id="what"] textarea`), "kubectl rollout undo deploy/checkout -n shop"),
		chromedp.SendKeys(chromedp.CSS(`[data-testid="modal"] [data-block-id="where"] input`), "prod-eu-west-1"),
		shot("approval-modal.png"),
		click(`[data-testid="modal-submit"]`),
		chromedp.WaitNotPresent(chromedp.CSS(`[data-testid="modal"]`)),
		chromedp.WaitVisible(chromedp.CSS(step("fix")+` button[data-action-id="step.approve"]`)),
	)
	run("alice may not approve her own request",
		click(step("fix")+` button[data-action-id="step.approve"]`),
		chromedp.WaitVisible(chromedp.Search(`//div[contains(@class, "ephemeral")][contains(., "different person")]`)),
	)
	run("bob approves",
		actAs(slackfake.Bob),
		chromedp.WaitVisible(chromedp.CSS(step("fix")+` button[data-action-id="step.approve"]`)),
		click(step("fix")+` button[data-action-id="step.approve"]`),
		chromedp.WaitVisible(chromedp.CSS(step("fix")+` button[data-action-id="step.done"]`)),
		shot("approved.png"),
	)
	run("alice finishes the checklist",
		actAs(slackfake.Alice),
		done("fix"), done("guard"), done("verify-metrics"), done("verify-users"),
	)
	run("resolve and close",
		click(`#messages .msg.pinned [data-action-id="incident.resolve"]`),
		chromedp.WaitNotPresent(chromedp.CSS(`#messages .msg.pinned [data-action-id="incident.resolve"]`)),
		click(`#messages .msg.pinned [data-action-id="incident.close"]`),
		chromedp.WaitNotPresent(chromedp.CSS(`#messages .msg.pinned [data-action-id="incident.close"]`)),
	)
	run("see the postmortem issue",
		chromedp.WaitVisible(chromedp.Search(`//div[@data-testid="issue"][contains(., "Postmortem: INC-1")]//div[@data-testid="issue-body"]//h2`)),
		chromedp.ScrollIntoView(chromedp.CSS(`#messages .msg:last-child`)),
		shot("postmortem.png"),
	)
	body := read(t, ctx, "read the postmortem", chromedp.Text(chromedp.CSS(`[data-testid="issue-body"]`)))
	for _, want := range []string{"Key times", "Timeline", "Checkout returns 500 for EU users"} {
		if !strings.Contains(body, want) {
			t.Errorf("the rendered postmortem lacks %q", want)
		}
	}
	raw := read(t, ctx, "read the issue's HTML", chromedp.InnerHTML(chromedp.CSS(`[data-testid="issue-body"]`)))
	if strings.Contains(raw, "<script") || strings.Contains(raw, "| ---") {
		t.Errorf("issue body was not rendered as markdown: %.300s", raw)
	}

	issues := d.GitHub.Issues(demoOwner, demoRepo)
	if len(issues) != 1 {
		t.Fatalf("GitHub has %d issues, want exactly 1", len(issues))
	}
	if !slices.Contains(issues[0].Labels, "postmortem") || !slices.Contains(issues[0].Labels, "sev2") {
		t.Errorf("issue labels = %v, want postmortem and sev2", issues[0].Labels)
	}
	approvals := 0
	for _, a := range d.Slack.Envelopes() {
		if bytes.Contains(a.Payload, []byte(`"step.approve"`)) && bytes.Contains(a.Payload, []byte(`"UBOB"`)) {
			approvals++
		}
	}
	if approvals != 1 {
		t.Errorf("bob's approval clicks reaching the bot = %d, want 1", approvals)
	}
}

func TestDemoCommand(t *testing.T) {
	cases := []struct {
		name    string
		args    []string
		env     map[string]string
		wantErr string
	}{
		{name: "extra argument", args: []string{"now"}, wantErr: "no arguments"},
		{name: "address taken", args: []string{"--addr", "TAKEN"}, wantErr: "set --addr or FIREBREAK_DEMO_ADDR"},
		{name: "bad address from the environment", env: map[string]string{"FIREBREAK_DEMO_ADDR": "127.0.0.1:notaport"}, wantErr: "FIREBREAK_DEMO_ADDR"},
		{name: "bad verify window", args: []string{"--addr", "127.0.0.1:0"}, env: map[string]string{"FIREBREAK_VERIFY_WINDOW": "soon"}, wantErr: "FIREBREAK_VERIFY_WINDOW"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			taken := &http.Server{}
			ln := listenLocal(t)
			go func() { _ = taken.Serve(ln) }()
			t.Cleanup(func() { _ = taken.Close() })
			args := append([]string{"--db", filepath.Join(t.TempDir(), "demo.db")}, tc.args...)
			for i, a := range args {
				if a == "TAKEN" {
					args[i] = ln.Addr().String()
				}
			}
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			var out, errOut bytes.Buffer
			err := cmdDemo(ctx, args, &out, &errOut, func(k string) string { return tc.env[k] })
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("err = %v, want one containing %q", err, tc.wantErr)
			}
		})
	}
}

// TestDemoServesUntilCancelled runs the subcommand as main does: it prints
// the URL, the page answers, and cancelling the context (Ctrl-C) stops it
// cleanly, removing the temporary database.
func TestDemoServesUntilCancelled(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer pr.Close()
	errc := make(chan error, 1)
	go func() {
		errc <- cmdDemo(ctx, []string{"--addr", "127.0.0.1:0"}, pw, &bytes.Buffer{}, func(string) string { return "" })
		pw.Close()
	}()
	br := bufio.NewReader(pr)
	var banner string
	for range 2 {
		line, err := br.ReadString('\n')
		if err != nil {
			t.Fatalf("reading the banner: %v (so far %q)", err, banner)
		}
		banner += line
	}
	i := strings.Index(banner, "http://")
	if i < 0 {
		t.Fatalf("banner %q has no URL", banner)
	}
	url := strings.Fields(banner[i:])[0]
	resp, err := http.Get(url + "api/state?user=" + slackfake.Alice)
	if err != nil {
		t.Fatalf("GET state: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("state: %s", resp.Status)
	}
	cancel()
	select {
	case err := <-errc:
		if err != nil {
			t.Fatalf("demo ended with %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("demo did not stop within 15 s of cancellation")
	}
	j := strings.Index(banner, "database: ")
	if j < 0 {
		t.Fatalf("banner %q does not name the database", banner)
	}
	db := strings.Fields(banner[j+len("database: "):])[0]
	if _, err := os.Stat(db); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("temporary database %s still exists after exit (stat: %v)", db, err)
	}
}

// syncBuffer is a bytes.Buffer safe for the logger's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func listenLocal(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	return ln
}

// click clicks the first element matching the CSS selector. The page
// re-renders as the bot's changes stream in, so the node found may be
// replaced before the click lands; then the lookup is done again.
func click(sel string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		for {
			_, err := chromedp.Click(chromedp.CSS(sel))(ctx, tg)
			if err == nil || !strings.Contains(err.Error(), "Could not find node") {
				return err
			}
			select {
			case <-ctx.Done():
				return err
			case <-time.After(50 * time.Millisecond):
			}
		}
	})
}

// read runs one action that returns a value, failing the test with what on
// error.
func read[T any](t *testing.T, ctx context.Context, what string, a chromedp.Action[T]) T {
	t.Helper()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return v
}
