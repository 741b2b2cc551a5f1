package main

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/firebreak-hq/firebreak/incident"
	"github.com/firebreak-hq/firebreak/internal/slackfake"
)

// TestDemoReportAndStatusInBrowser: the demo links the insights report
// and the status page; both open in the browser, the charts render as
// SVG with a size, and the status page shows the incident's update.
func TestDemoReportAndStatusInBrowser(t *testing.T) {
	ctx := browser(t, 2*time.Minute)
	d := runDemo(ctx, t, demoOptions{Addr: "127.0.0.1:0", CardInterval: 20 * time.Millisecond}, nil)
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
