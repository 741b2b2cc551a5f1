package main

import (
	"bytes"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/firebreak-hq/firebreak/internal/crashtest"
	"github.com/firebreak-hq/firebreak/store"
)

// closedURL is an http URL on a loopback port nothing listens on.
func closedURL(t *testing.T, path string) string {
	t.Helper()
	addr, err := crashtest.FreeAddr()
	if err != nil {
		t.Fatal(err)
	}
	return "http://" + addr + path
}

// TestDoctorSaysNotCheckedAndWhyUnreachable: a check doctor could not
// make says "not checked" (and does not fail the run), and a service it
// could not reach gets a network hint, not "reinstall the app".
func TestDoctorSaysNotCheckedAndWhyUnreachable(t *testing.T) {
	fs, gh := fakeSlack(t), fakeGitHub(t)
	slackDown, ghDown := closedURL(t, "/api/"), closedURL(t, "/")
	db := filepath.Join(t.TempDir(), "fb.db")
	seedDB(t, db, 1)
	_, stop := runningApp(t, db)
	defer stop()

	env := func(change map[string]string) map[string]string {
		e := map[string]string{
			"SLACK_APP_TOKEN": fs.AppToken(), "SLACK_BOT_TOKEN": fs.BotToken(), "SLACK_API_URL": fs.APIURL(),
			"GITHUB_TOKEN": "ghp_doctor", "GITHUB_REPO": "acme/ops", "GITHUB_API_URL": gh.URL(),
			"FIREBREAK_DB": db,
		}
		for k, v := range change {
			e[k] = v
		}
		return e
	}
	cases := []struct {
		name     string
		env      map[string]string
		wantCode int
		want     []string // lines that must appear exactly
	}{
		{"scopes and a database in use", env(map[string]string{"SLACK_API_URL": withoutScopesHeader(t, fs.APIURL())}), 0, []string{
			"--   slack scopes           not checked: Slack did not report the token's scopes; compare the app's OAuth scopes with slack-app-manifest.yaml",
			"--   database               not checked: in use: " + db + " (a running firebreak holds its lock)",
		}},
		{"Slack unreachable", env(map[string]string{"SLACK_API_URL": slackDown}), 1, []string{
			"FAIL slack bot token        could not reach Slack at " + slackDown + " (connection refused) — check the network, proxy settings and SLACK_API_URL; the token was not checked",
			"FAIL slack app token        could not reach Slack at " + slackDown + " (connection refused) — check the network, proxy settings and SLACK_API_URL; the token was not checked",
		}},
		{"GitHub unreachable", env(map[string]string{"GITHUB_API_URL": ghDown}), 1, []string{
			"FAIL github                 could not reach GitHub at " + ghDown + " (connection refused) — check the network, proxy settings and GITHUB_API_URL; the token was not checked",
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, out, _ := cli(t, tc.env, "doctor")
			if code != tc.wantCode {
				t.Errorf("exit %d, want %d", code, tc.wantCode)
			}
			lines := map[string]bool{}
			for _, l := range strings.Split(out, "\n") {
				lines[l] = true
			}
			for _, w := range tc.want {
				if !lines[w] {
					t.Errorf("missing line %q", w)
				}
			}
			if t.Failed() {
				t.Logf("doctor printed:\n%s", out)
			}
		})
	}
}

// TestDoctorLeavesTheDatabaseAsItIs: doctor checks an existing database
// read-only; a file of an older schema is reported, not migrated.
func TestDoctorLeavesTheDatabaseAsItIs(t *testing.T) {
	db := filepath.Join(t.TempDir(), "fb.db")
	old := readRepoFile(t, "store/testdata/schema-v2.db")
	if err := os.WriteFile(db, old, 0o600); err != nil {
		t.Fatal(err)
	}
	_, out, _ := cli(t, map[string]string{"FIREBREAK_DB": db}, "doctor")
	want := fmt.Sprintf("ok   database               %s verifies (schema 2, 4 incidents; `firebreak run` migrates it to schema %d)", db, store.SchemaVersion)
	if !slices.Contains(strings.Split(out, "\n"), want) {
		t.Fatalf("doctor printed:\n%s\nwant the line %q", out, want)
	}
	if now, _ := os.ReadFile(db); !bytes.Equal(now, old) {
		t.Fatal("doctor changed the database file")
	}
}

// withoutScopesHeader is Slack's API at api as seen through a proxy that
// drops the X-OAuth-Scopes header, so doctor cannot know the token's scopes.
func withoutScopesHeader(t *testing.T, api string) string {
	return slackProxy(t, api, func(r *http.Response) { r.Header.Del("X-OAuth-Scopes") })
}
