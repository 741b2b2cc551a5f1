package main

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/firebreak-hq/firebreak/incident"
	"github.com/firebreak-hq/firebreak/internal/slackfake"
)

// TestDemoShortcutAndHomeInBrowser: in the demo, a message's ⋯ menu offers
// "Declare incident", which opens the declare form filled from the
// message; the incident declared starts with that message. The Home tab
// shows Firebreak's Home for the person acting, and its Declare incident
// button declares another incident, which the Home then lists.
func TestDemoShortcutAndHomeInBrowser(t *testing.T) {
	ctx, d := demoInBrowser(t)
	shots := screenshotDir(t)
	run := steps(ctx, t)
	const text = "Checkout returns 500 for EU users\nAbout a third of payments fail since 14:02."
	ts, err := d.Slack.PostAsUser(slackfake.Bob, slackfake.GeneralChannelID, text)
	if err != nil {
		t.Fatal(err)
	}
	msg := fmt.Sprintf(`#messages .msg[data-ts=%q]`, ts)

	run("open the demo", openDemo(d.URL), chromedp.WaitReady(chromedp.CSS(msg)))
	run("open the message's menu and choose Declare incident",
		// The ⋯ button shows while the pointer is over the message.
		chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`document.querySelector(%q).click()`, msg+` button[data-menu]`)),
		chromedp.WaitVisible(chromedp.CSS(msg+` [data-testid="shortcut-menu"]`)),
		screenshot(shots, "shortcut-menu.png"),
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
		chromedp.MouseClickXY(400, 10), screenshot(shots, "home.png"))
	run("switch to bob, whose Home lists both",
		actAs(slackfake.Bob),
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
	ctx, d := demoInBrowser(t)
	run := steps(ctx, t)
	const title = "Customer export leaked email addresses"
	home := `#messages [data-testid="home"]`
	run("alice declares a private incident", openDemo(d.URL),
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

// TestDemoReportAndStatusInBrowser: the demo links the insights report
// and the status page; both open in the browser, the charts render as
// SVG with a size, and the status page shows the incident's update.
func TestDemoReportAndStatusInBrowser(t *testing.T) {
	ctx, d := demoInBrowser(t)
	slash := func(channel, text string) {
		t.Helper()
		if _, err := d.Slack.Slash(slackfake.Alice, channel, text); err != nil {
			t.Fatalf("/incident %s: %v", text, err)
		}
	}
	changes, stop := d.Slack.Subscribe()
	defer stop()
	slash(slackfake.GeneralChannelID, "new sev2 Checkout errors")
	slash(slackfake.GeneralChannelID, "new sev1 Logins fail")
	// channels[0] is INC-1's channel, channels[1] INC-2's.
	channels := make([]string, 2)
	timeout := time.After(30 * time.Second)
	// Alice acts in both channels once she is in them: only members may
	// change an incident, and her invitation follows the channel's creation.
	joined := func(n uint64) bool {
		evs, err := d.App.DB.Events(n)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range evs {
			if e.Kind == incident.EvMemberJoined && e.Actor == slackfake.Alice {
				return true
			}
		}
		return false
	}
	for channels[0] == "" || channels[1] == "" || !joined(1) || !joined(2) {
		open, err := d.App.DB.OpenIncidents()
		if err != nil {
			t.Fatal(err)
		}
		for _, inc := range open {
			if inc.Number >= 1 && inc.Number <= 2 {
				channels[inc.Number-1] = inc.Channel
			}
		}
		if channels[0] == "" || channels[1] == "" || !joined(1) || !joined(2) {
			// Look again after the fake Slack's next change.
			select {
			case <-changes:
			case <-time.After(50 * time.Millisecond): // the bot records a join after Slack's change
			case <-timeout:
				t.Fatal("the incident channels were not created, or alice was not invited to them")
			}
		}
	}
	slash(channels[0], "update Payments fail for a fifth of checkouts.")
	slash(channels[0], "mitigated")
	slash(channels[1], "resolve")
	slash(channels[1], "close --force drill over")

	if err := chromedp.Do(ctx, chromedp.Navigate(d.URL), chromedp.WaitVisible(chromedp.CSS(`#link-insights`))); err != nil {
		t.Fatal(err)
	}
	hrefs := read(t, ctx, "demo links", chromedp.Evaluate[[]string](`[...document.querySelectorAll('#topbar a.toplink')].map((a) => a.getAttribute('href'))`))
	if strings.Join(hrefs, " ") != "insights status" {
		t.Fatalf("demo top bar links %v, want insights and status", hrefs)
	}

	type box struct {
		ID     string  `json:"id"`
		Width  float64 `json:"w"`
		Height float64 `json:"h"`
		Marks  int     `json:"marks"`
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(d.URL+"insights"), chromedp.WaitVisible(chromedp.CSS(`#incidents-per-week svg`))); err != nil {
		t.Fatal(err)
	}
	boxes := read(t, ctx, "chart sizes", chromedp.Evaluate[[]box](`[...document.querySelectorAll('figure')].filter((f) => f.querySelector('svg')).map((f) => {
		const s = f.querySelector('svg').getBoundingClientRect();
		return {id: f.id, w: s.width, h: s.height, marks: f.querySelectorAll('svg path, svg text').length};
	})`))
	want := map[string]bool{"incidents-per-week": true, "mitigate-by-severity": true, "resolve-by-severity": true, "mitigate-by-playbook": true, "resolve-by-playbook": true, "followups": false}
	seen := map[string]bool{}
	for _, b := range boxes {
		seen[b.ID] = true
		if b.Width < 100 || b.Height < 50 || b.Marks < 5 {
			t.Errorf("chart %s renders at %.0f×%.0f px with %d marks", b.ID, b.Width, b.Height, b.Marks)
		}
	}
	for id, must := range want {
		if must && !seen[id] {
			t.Errorf("chart %s is not drawn; drawn: %+v", id, boxes)
		}
	}

	if err := chromedp.Do(ctx, chromedp.Navigate(d.URL+"status"), chromedp.WaitVisible(chromedp.CSS(`article`))); err != nil {
		t.Fatal(err)
	}
	text := read(t, ctx, "status page", chromedp.Evaluate[string](`[...document.querySelectorAll('article')].map((a) => a.id + ': ' + a.querySelector('h3').textContent + ' | ' + [...a.querySelectorAll('.text')].map((x) => x.textContent).join(' / ')).join('\n')`))
	if want := "INC-1: INC-1: Checkout errors | Payments fail for a fifth of checkouts.\nINC-2: INC-2: Logins fail | "; text != want {
		t.Errorf("status page articles:\n%s\nwant:\n%s", text, want)
	}
}
