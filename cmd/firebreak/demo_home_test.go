package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/firebreak-hq/firebreak/incident"
	"github.com/firebreak-hq/firebreak/internal/slackfake"
)

// TestDemoShortcutAndHomeInBrowser: in the demo, a message's ⋯ menu offers
// "Declare incident", which opens the declare form filled from the
// message; the incident declared starts with that message. The Home tab
// shows Firebreak's Home for the person acting, and its Declare incident
// button declares another incident, which the Home then lists.
func TestDemoShortcutAndHomeInBrowser(t *testing.T) {
	ctx := browser(t, 2*time.Minute)
	d := runDemo(ctx, t, demoOptions{Addr: "127.0.0.1:0", CardInterval: 20 * time.Millisecond}, nil)
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
	run := steps(ctx, t)
	const text = "Checkout returns 500 for EU users\nAbout a third of payments fail since 14:02."
	ts, err := d.Slack.PostAsUser(slackfake.Bob, slackfake.GeneralChannelID, text)
	if err != nil {
		t.Fatal(err)
	}
	msg := fmt.Sprintf(`#messages .msg[data-ts=%q]`, ts)

	run("open the demo", chromedp.EmulateViewport(1280, 800), chromedp.Navigate(d.URL),
		chromedp.WaitVisible(chromedp.CSS(`body[data-ready] #channels li[data-name="general"].active`)),
		chromedp.WaitReady(chromedp.CSS(msg)))
	run("open the message's menu and choose Declare incident",
		// The ⋯ button shows while the pointer is over the message.
		chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`document.querySelector(%q).click()`, msg+` button[data-menu]`)),
		chromedp.WaitVisible(chromedp.CSS(msg+` [data-testid="shortcut-menu"]`)),
		shot("shortcut-menu.png"),
		click(msg+` [data-testid="shortcut-menu"] button[data-shortcut="incident.declare_from_message"]`),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="modal"] input[data-action-id="title"]`)))
	title := read(t, ctx, "the form's title", chromedp.Evaluate[string](`document.querySelector('[data-testid="modal"] input[data-action-id="title"]').value`))
	impact := read(t, ctx, "the form's impact", chromedp.Evaluate[string](`document.querySelector('[data-testid="modal"] textarea[data-action-id="impact"]').value`))
	if title != "Checkout returns 500 for EU users" || impact != text {
		t.Fatalf("the form is filled with title %q and impact %q", title, impact)
	}
	note := read(t, ctx, "the form's note", chromedp.Evaluate[string](`document.querySelector('[data-testid="modal"] .bk-context').textContent`))
	if !strings.Contains(note, "first timeline event") {
		t.Fatalf("the form says %q", note)
	}
	run("declare", click(`[data-testid="modal-submit"]`), chromedp.WaitNotPresent(chromedp.CSS(`[data-testid="modal"]`)),
		chromedp.Poll[chromedp.Void](`[...document.querySelectorAll('#messages .msg.ephemeral')].some((m) => m.textContent.includes("INC-1"))`))
	evs, err := d.App.DB.Events(1)
	if err != nil || len(evs) == 0 || evs[0].Kind != incident.EvFromMessage || evs[0].Text != text || evs[0].Fields["link"] == "" {
		t.Fatalf("INC-1 starts with %+v (%v), want the message with its link", evs, err)
	}

	home := `#messages [data-testid="home"]`
	run("open the Home tab", click(`[data-testid="home-tab"]`),
		chromedp.Poll[chromedp.Void](fmt.Sprintf(`(() => { const h = document.querySelector(%q); return h && h.textContent.includes("INC-1"); })()`, home)))
	run("press Declare incident on Home", click(home+` button[data-action-id="home.declare"]`),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="modal"] input[data-action-id="title"]`)),
		chromedp.SendKeys(chromedp.CSS(`[data-testid="modal"] input[data-action-id="title"]`), "Login emails are delayed"),
		click(`[data-testid="modal-submit"]`), chromedp.WaitNotPresent(chromedp.CSS(`[data-testid="modal"]`)),
		chromedp.Poll[chromedp.Void](fmt.Sprintf(`document.querySelector(%q).textContent.includes("INC-2 Login emails are delayed")`, home)),
		chromedp.MouseClickXY(400, 10), shot("home.png"))
	run("switch to bob, whose Home lists both",
		chromedp.Evaluate[chromedp.Void](`(() => { const s = document.querySelector('#as'); s.value = "UBOB"; s.dispatchEvent(new Event('change')); })()`),
		chromedp.WaitReady(chromedp.CSS(`body[data-me="UBOB"]`)),
		chromedp.Poll[chromedp.Void](fmt.Sprintf(`(() => { const h = document.querySelector(%q); return h && h.textContent.includes("INC-1") && h.textContent.includes("INC-2"); })()`, home)))
	if d.Slack.Publishes(slackfake.Bob) == 0 {
		t.Fatal("bob's Home was never published")
	}
}

// TestDemoPrivateIncidentInBrowser: in the demo, alice declares a private
// incident; her Home tab lists it, while dave, who is not in its channel,
// sees its title nowhere: not in his Home, not in the channel list, not in
// `/incident list`.
func TestDemoPrivateIncidentInBrowser(t *testing.T) {
	ctx := browser(t, 2*time.Minute)
	d := runDemo(ctx, t, demoOptions{Addr: "127.0.0.1:0", CardInterval: 20 * time.Millisecond}, nil)
	run := steps(ctx, t)
	const title = "Customer export leaked email addresses"
	typed := func(text string) chromedp.Action[chromedp.Void] {
		return chromedp.Steps(
			chromedp.SendKeys(chromedp.CSS(`#input`), text+kb.Enter),
			chromedp.Poll[chromedp.Void](`document.querySelector('#input').value === ""`),
		)
	}
	actAs := func(user string) chromedp.Action[chromedp.Void] {
		return chromedp.Steps(
			chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`(() => { const s = document.querySelector('#as'); s.value = %q; s.dispatchEvent(new Event('change')); })()`, user)),
			chromedp.WaitReady(chromedp.CSS(fmt.Sprintf(`body[data-me=%q]`, user))),
		)
	}
	home := `#messages [data-testid="home"]`
	run("alice declares a private incident", chromedp.EmulateViewport(1280, 800), chromedp.Navigate(d.URL),
		chromedp.WaitVisible(chromedp.CSS(`body[data-ready] #channels li[data-name="general"].active`)),
		typed("/incident new private sev2 "+title),
		chromedp.Poll[chromedp.Void](`[...document.querySelectorAll('#channels li')].some((li) => li.dataset.name.startsWith("inc-1-"))`))
	run("alice's Home lists it", click(`[data-testid="home-tab"]`),
		chromedp.Poll[chromedp.Void](fmt.Sprintf(`(() => { const h = document.querySelector(%q); return h && h.textContent.includes(%q); })()`, home, title)))

	before := d.Slack.Publishes(demoDave)
	run("dave's Home does not", actAs(demoDave),
		chromedp.Poll[chromedp.Void](fmt.Sprintf(`(() => { const h = document.querySelector(%q); return h && h.textContent.includes("Declare incident"); })()`, home)))
	if d.Slack.Publishes(demoDave) <= before {
		t.Fatal("dave's Home was not published")
	}
	seen := func(what string) {
		t.Helper()
		// Dave's Slack: the channel list and the conversation or Home (the
		// GitHub and PagerDuty panes beside them are not Slack).
		page := read(t, ctx, what, chromedp.Evaluate[string](`document.querySelector('#sidebar').innerText + "\n" + document.querySelector('#main').innerText`))
		if strings.Contains(page, title) || strings.Contains(page, "inc-1-") {
			t.Fatalf("%s: dave's page shows the private incident:\n%s", what, page)
		}
	}
	seen("dave's Home")
	if v, ok := d.Slack.Home(demoDave); !ok || strings.Contains(string(v.JSON), title) {
		t.Fatalf("dave's published Home names the private incident: %s", v.JSON)
	}
	run("dave lists the open incidents in #general", click(`#channels li[data-name="general"]`),
		chromedp.WaitVisible(chromedp.CSS(`#channels li[data-name="general"].active`)),
		typed("/incident list"),
		chromedp.Poll[chromedp.Void](`[...document.querySelectorAll('#messages .msg.ephemeral')].some((m) => m.textContent.includes("INC-1") && m.textContent.includes("private incident"))`))
	seen("dave's #general after /incident list")
}

// steps runs browser actions as one named step, bounded to 20 s; a step
// that fails ends the test with what the page shows.
func steps(ctx context.Context, t *testing.T) func(what string, actions ...chromedp.Action[chromedp.Void]) {
	return func(what string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		sctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		if err := chromedp.Do(sctx, actions...); err != nil {
			html, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('#main').innerText`))
			t.Fatalf("%s: %v\nthe page shows:\n%s", what, err, html)
		}
	}
}
