package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/firebreak-hq/firebreak/internal/slackfake"
	"github.com/firebreak-hq/firebreak/internal/testwait"
)

// TestDemoFireAlert presses the demo's "Fire an alert" control through its
// API: a real Alertmanager webhook reaches the bot's hook, a sev2
// incident opens with its channel, PagerDuty gets one page, and a second
// alert of the group attaches instead of paging again.
func TestDemoFireAlert(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel) // after the demo's close, registered later
	d := runDemo(ctx, t, quickDemo, nil)
	fire := func() map[string]any {
		t.Helper()
		resp, err := http.Post(d.URL+"api/fire-alert", "application/json", bytes.NewReader([]byte(`{"user":"`+slackfake.Alice+`"}`)))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&out)
		if resp.StatusCode != 200 || out["status"] != 202.0 {
			t.Fatalf("fire-alert: %d %v", resp.StatusCode, out)
		}
		return out
	}
	type state struct {
		Channels []struct{ Name string } `json:"channels"`
		Pages    []struct {
			DedupKey string `json:"dedup_key"`
			Severity string `json:"severity"`
			Triggers int    `json:"triggers"`
		} `json:"pages"`
	}
	read := func() state {
		t.Helper()
		resp, err := http.Get(d.URL + "api/state?user=" + slackfake.Bob)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var st state
		if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
			t.Fatal(err)
		}
		return st
	}
	if st := read(); st.Pages == nil || len(st.Pages) != 0 {
		t.Fatalf("before any alert the state lists pages %v", st.Pages)
	}
	if out := fire(); out["answer"].(map[string]any)["incidents"].([]any)[0] != "INC-1" {
		t.Fatalf("first alert: %v", out)
	}
	var st state
	if !testwait.For(15*time.Second, func() bool {
		st = read()
		channel := false
		for _, c := range st.Channels {
			channel = channel || strings.HasPrefix(c.Name, "inc-1-")
		}
		return channel && len(st.Pages) == 1
	}) {
		t.Fatalf("no incident channel and page: %+v", st)
	}
	if p := st.Pages[0]; p.DedupKey != "firebreak-INC-1" || p.Severity != "error" {
		t.Fatalf("page %+v", p)
	}
	fire()
	if inc, err := d.App.DB.Get(1); err != nil || inc.Alerts == nil || inc.Alerts.Count != 2 {
		t.Fatalf("second alert did not attach: %+v %v", inc.Alerts, err)
	}
	if open, _ := d.App.DB.OpenIncidents(); len(open) != 1 {
		t.Fatalf("%d incidents", len(open))
	}
	if n := len(read().Pages); n != 1 {
		t.Fatalf("%d pages after the second alert", n)
	}
}

// TestDemoFireAlertInBrowser presses the "Fire an alert" button as a
// visitor would: the incident channel appears, and the GitHub pane lists
// the page PagerDuty received.
func TestDemoFireAlertInBrowser(t *testing.T) {
	ctx, d := demoInBrowser(t)
	do := func(what string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		sctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		if err := chromedp.Do(sctx, actions...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	do("open the demo",
		chromedp.EmulateViewport(1280, 800),
		chromedp.Navigate(d.URL), chromedp.WaitVisible(chromedp.CSS(`body[data-ready] #fire-alert`)))
	do("the pages pane says there are none yet",
		chromedp.Poll[chromedp.Void](`document.querySelector('#pages .gh-empty') !== null`))
	do("fire an alert", click(`#fire-alert`),
		chromedp.WaitVisible(chromedp.CSS(`#channels li[data-name^="inc-1-"]`)))
	do("the page is listed",
		chromedp.WaitVisible(chromedp.CSS(`#pages [data-testid="page"]`)),
		chromedp.Poll[chromedp.Void](`document.querySelector('#pages [data-testid="page"] code').textContent === "firebreak-INC-1"`))
}
