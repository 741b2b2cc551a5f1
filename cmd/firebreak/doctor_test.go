package main

import (
	firebreak "github.com/firebreak-hq/firebreak"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/firebreak-hq/firebreak/internal/app"
	"github.com/firebreak-hq/firebreak/internal/slackfake"
)

// scopeProxy fronts the fake Slack and reports granted scopes on
// auth.test the way Slack does, in X-OAuth-Scopes.
func scopeProxy(t *testing.T, apiURL string, scopes []string) string {
	return slackProxy(t, apiURL, func(r *http.Response) {
		if strings.HasSuffix(r.Request.URL.Path, "/auth.test") {
			r.Header.Set("X-OAuth-Scopes", strings.Join(scopes, ","))
		}
	})
}

// slackProxy is Slack's API at apiURL as seen through a proxy that changes
// every response with modify.
func slackProxy(t *testing.T, apiURL string, modify func(*http.Response)) string {
	t.Helper()
	target, err := url.Parse(apiURL)
	if err != nil {
		t.Fatal(err)
	}
	p := httputil.NewSingleHostReverseProxy(&url.URL{Scheme: target.Scheme, Host: target.Host})
	p.ModifyResponse = func(r *http.Response) error {
		modify(r)
		return nil
	}
	srv := httptest.NewServer(p)
	t.Cleanup(srv.Close)
	return srv.URL + target.Path
}

func TestDoctor(t *testing.T) {
	// The workspace has the app installed from the shipped manifest, so the fake reports its
	// scopes in X-OAuth-Scopes as Slack does.
	fs := fakeSlack(t, slackfake.WithManifest(firebreak.Manifest))
	announce, err := fs.CreateChannel(slackfake.Alice, "incidents", false, slackfake.Alice)
	if err != nil {
		t.Fatal(err)
	}
	archived, err := fs.CreateChannel(slackfake.Alice, "old-incidents", false, slackfake.Alice)
	if err != nil {
		t.Fatal(err)
	}
	if err := fs.Archive(archived); err != nil {
		t.Fatal(err)
	}
	private, err := fs.CreateChannel(slackfake.Alice, "secret-incidents", true, slackfake.Alice)
	if err != nil {
		t.Fatal(err)
	}
	gh := fakeGitHub(t)

	badPlaybooks := t.TempDir()
	writeFile(t, filepath.Join(badPlaybooks, "broken.yaml"), "name: broken\nsteps:\n  - id: Not Valid!\n    title: x\n")
	goodPlaybooks := t.TempDir()
	blocker := filepath.Join(t.TempDir(), "a-file")
	_ = os.WriteFile(blocker, nil, 0o600)
	all := app.RequiredScopes()

	good := func() map[string]string {
		return map[string]string{
			"SLACK_APP_TOKEN": fs.AppToken(), "SLACK_BOT_TOKEN": fs.BotToken(), "SLACK_API_URL": fs.APIURL(),
			"GITHUB_TOKEN": "ghp_doctor", "GITHUB_REPO": "acme/ops", "GITHUB_API_URL": gh.URL(),
			"FIREBREAK_DB": filepath.Join(t.TempDir(), "fb.db"), "FIREBREAK_PLAYBOOKS": goodPlaybooks,
			"FIREBREAK_ANNOUNCE_CHANNEL": announce,
		}
	}
	cases := []struct {
		name   string
		change func(env map[string]string)
		fail   string // the check expected to fail; "" when all pass
		fix    string // what its line must tell the operator
	}{
		{name: "good configuration", change: func(map[string]string) {}},
		{name: "every scope granted", change: func(env map[string]string) { env["SLACK_API_URL"] = scopeProxy(t, fs.APIURL(), all) }},
		{name: "github not configured", change: func(env map[string]string) { delete(env, "GITHUB_TOKEN"); delete(env, "GITHUB_REPO") }},
		{name: "bad bot token", change: func(env map[string]string) { env["SLACK_BOT_TOKEN"] = "xoxb-wrong" }, fail: "slack bot token", fix: "reinstall the app"},
		{name: "bad app token", change: func(env map[string]string) { env["SLACK_APP_TOKEN"] = "xapp-wrong" }, fail: "slack app token", fix: "connections:write"},
		{name: "no tokens", change: func(env map[string]string) { delete(env, "SLACK_APP_TOKEN") }, fail: "slack tokens", fix: "App-Level Tokens"},
		{name: "missing scopes", change: func(env map[string]string) {
			env["SLACK_API_URL"] = scopeProxy(t, fs.APIURL(), []string{"chat:write", "commands"})
		}, fail: "slack scopes", fix: "pins:write"},
		{name: "announce channel not set", change: func(env map[string]string) { delete(env, "FIREBREAK_ANNOUNCE_CHANNEL") }},
		{name: "announce channel missing", change: func(env map[string]string) { env["FIREBREAK_ANNOUNCE_CHANNEL"] = "C0NOPE" }, fail: "announce channel", fix: "check FIREBREAK_ANNOUNCE_CHANNEL"},
		{name: "announce channel archived", change: func(env map[string]string) { env["FIREBREAK_ANNOUNCE_CHANNEL"] = archived }, fail: "announce channel", fix: "unarchive it"},
		{name: "announce channel private without the bot", change: func(env map[string]string) { env["FIREBREAK_ANNOUNCE_CHANNEL"] = private }, fail: "announce channel", fix: "invite @firebreak"},
		{name: "missing repo", change: func(env map[string]string) { env["GITHUB_REPO"] = "acme/missing" }, fail: "github", fix: "acme/missing"},
		{name: "bad github token", change: func(env map[string]string) { env["GITHUB_TOKEN"] = "ghp_wrong" }, fail: "github", fix: "token"},
		{name: "invalid playbook dir", change: func(env map[string]string) { env["FIREBREAK_PLAYBOOKS"] = badPlaybooks }, fail: "playbooks", fix: "firebreak playbooks check " + badPlaybooks},
		{name: "missing playbook dir", change: func(env map[string]string) { env["FIREBREAK_PLAYBOOKS"] = filepath.Join(goodPlaybooks, "nope") }, fail: "playbooks", fix: "firebreak playbooks check"},
		{name: "database not writable", change: func(env map[string]string) { env["FIREBREAK_DB"] = filepath.Join(blocker, "fb.db") }, fail: "database", fix: "cannot create files"},
		{name: "malformed environment", change: func(env map[string]string) { env["FIREBREAK_ANNOUNCE_CHANNEL"] = "#incidents" }, fail: "configuration", fix: "FIREBREAK_ANNOUNCE_CHANNEL"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			env := good()
			tc.change(env)
			code, out, errOut := cli(t, env, "doctor")
			lines := strings.Split(strings.TrimSpace(out), "\n")
			if errOut != "" {
				t.Errorf("doctor wrote to stderr: %q", errOut)
			}
			for _, secret := range []string{env["SLACK_BOT_TOKEN"], env["SLACK_APP_TOKEN"], env["GITHUB_TOKEN"]} {
				if secret != "" && strings.Contains(out, secret) {
					t.Errorf("doctor printed a token")
				}
			}
			var failed []string
			for _, l := range lines {
				switch {
				case strings.HasPrefix(l, "FAIL "):
					failed = append(failed, l)
				case !strings.HasPrefix(l, "ok   ") && !strings.HasPrefix(l, "--   "):
					t.Errorf("line is neither ok, FAIL nor not checked: %q", l)
				}
			}
			if tc.fail == "" {
				if code != 0 || len(failed) > 0 || len(lines) < 8 {
					t.Fatalf("exit %d, want 0 with eight ok lines:\n%s", code, out)
				}
				if env["FIREBREAK_ANNOUNCE_CHANNEL"] != "" && !strings.Contains(out, "can post") {
					t.Fatalf("the announce channel was not checked:\n%s", out)
				}
				return
			}
			if code == 0 {
				t.Fatalf("exit 0 for a broken setup:\n%s", out)
			}
			if len(failed) != 1 || !strings.HasPrefix(strings.TrimPrefix(failed[0], "FAIL "), tc.fail) {
				t.Fatalf("want exactly the %q check to fail:\n%s", tc.fail, out)
			}
			if !strings.Contains(failed[0], tc.fix) {
				t.Fatalf("the failing line does not name the fix %q:\n%s", tc.fix, failed[0])
			}
		})
	}
}
