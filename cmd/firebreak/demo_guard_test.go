package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/firebreak-hq/firebreak/internal/golden"
	"github.com/firebreak-hq/firebreak/internal/slackfake"
)

// TestDemoRefusesCrossSiteRequests: a page on another site (or one that
// rebinds its DNS name to 127.0.0.1) cannot make the demo post as
// someone: wrong Host, foreign Origin, a cross-site fetch or a
// form-encoded POST are refused and nothing is posted; the demo's own
// page still works.
func TestDemoRefusesCrossSiteRequests(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	d, err := startDemo(ctx, demoOptions{DB: filepath.Join(t.TempDir(), "demo.db"), Addr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if !d.Loopback {
		t.Fatal("a demo on 127.0.0.1 is not marked loopback")
	}
	host := strings.TrimSuffix(strings.TrimPrefix(d.URL, "http://"), "/")
	body := `{"user":"` + slackfake.Alice + `","channel":"` + slackfake.GeneralChannelID + `","text":"posted by %s"}`
	cases := []struct {
		name, host, ctype, origin, fetchSite string
		want                                 int
		wantBody                             string
	}{
		{name: "form post from another site", host: host, ctype: "application/x-www-form-urlencoded", origin: "http://evil.example", want: 403,
			wantBody: `{"error":"Cross-site requests are refused."}`},
		{name: "text/plain post", host: host, ctype: "text/plain", want: 403,
			wantBody: `{"error":"The demo's API takes Content-Type: application/json."}`},
		{name: "json from another origin", host: host, ctype: "application/json", origin: "http://evil.example", want: 403,
			wantBody: `{"error":"Cross-site requests are refused."}`},
		{name: "cross-site fetch", host: host, ctype: "application/json", fetchSite: "cross-site", want: 403,
			wantBody: `{"error":"Cross-site requests are refused."}`},
		{name: "DNS rebinding", host: "evil.example:" + strings.Split(host, ":")[1], ctype: "application/json", origin: "http://evil.example:" + strings.Split(host, ":")[1], want: 403,
			wantBody: `{"error":"The demo answers only requests addressed to localhost."}`},
		{name: "the demo's own page", host: host, ctype: "application/json", origin: "http://" + host, fetchSite: "same-origin", want: 200,
			wantBody: `{"ok":true,"ts":`},
		{name: "localhost by name", host: "localhost:" + strings.Split(host, ":")[1], ctype: "application/json; charset=utf-8", want: 200,
			wantBody: `{"ok":true,"ts":`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodPost, d.URL+"api/send", strings.NewReader(strings.Replace(body, "%s", tc.name, 1)))
			if err != nil {
				t.Fatal(err)
			}
			req.Host = tc.host
			req.Header.Set("Content-Type", tc.ctype)
			if tc.origin != "" {
				req.Header.Set("Origin", tc.origin)
			}
			if tc.fetchSite != "" {
				req.Header.Set("Sec-Fetch-Site", tc.fetchSite)
			}
			resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			got := strings.TrimSpace(string(b))
			if resp.StatusCode != tc.want || (tc.want == 403 && got != tc.wantBody) || !strings.HasPrefix(got, tc.wantBody) {
				t.Fatalf("%d %s; want %d %s", resp.StatusCode, got, tc.want, tc.wantBody)
			}
			posted := false
			for _, m := range d.Slack.Messages(slackfake.GeneralChannelID) {
				posted = posted || m.Text == "posted by "+tc.name
			}
			if posted != (tc.want == 200) {
				t.Fatalf("message posted: %v, want %v", posted, tc.want == 200)
			}
		})
	}
}

// TestDemoWarnsBeyondLoopback: the warning printed when the demo listens
// on an address other machines can reach.
func TestDemoWarnsBeyondLoopback(t *testing.T) {
	golden.Check(t, filepath.Join("testdata", "demo-exposed-warning.txt"), []byte(demoExposedWarning("0.0.0.0:8080")), *update)
	for _, tc := range []struct {
		ip   net.IP
		want bool
	}{
		{net.IPv4(127, 0, 0, 1), true}, {net.IPv6loopback, true},
		{net.IPv4zero, false}, {net.IPv6unspecified, false}, {net.IPv4(192, 168, 1, 10), false},
	} {
		if got := isLoopback(&net.TCPAddr{IP: tc.ip, Port: 8080}); got != tc.want {
			t.Errorf("isLoopback(%s) = %v, want %v", tc.ip, got, tc.want)
		}
	}
}
