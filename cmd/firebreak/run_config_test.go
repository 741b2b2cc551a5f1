package main

import (
	"net"
	"os"
	"path/filepath"
	"testing"
)

// TestRunCreatesNothingUntilConfigIsValid: a configuration mistake is
// reported naming its variable once, and run leaves no database, socket
// or directory behind.
func TestRunCreatesNothingUntilConfigIsValid(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	addr := taken.Addr().String()
	cases := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"SLACK_API_URL without a scheme", map[string]string{"SLACK_API_URL": "slack.com/api"},
			"firebreak: SLACK_API_URL must be an http(s) URL such as https://slack.com/api/, not \"slack.com/api\"\n"},
		{"GITHUB_API_URL not http", map[string]string{"GITHUB_API_URL": "ftp://github.example/"},
			"firebreak: GITHUB_API_URL must be an http(s) URL such as https://api.github.com/, not \"ftp://github.example/\"\n"},
		{"GITHUB_REPO escaping the API path", map[string]string{"GITHUB_TOKEN": "ghp_x", "GITHUB_REPO": "acme/.."},
			"firebreak: GITHUB_REPO must be owner/name (letters, digits, '-', '_' and '.', neither part \".\" nor \"..\"), not \"acme/..\"\n"},
		{"GITHUB_REPO dot owner", map[string]string{"GITHUB_TOKEN": "ghp_x", "GITHUB_REPO": "../ops"},
			"firebreak: GITHUB_REPO must be owner/name (letters, digits, '-', '_' and '.', neither part \".\" nor \"..\"), not \"../ops\"\n"},
		{"HTTP address in use", map[string]string{"FIREBREAK_HTTP_ADDR": addr},
			"firebreak: FIREBREAK_HTTP_ADDR: listen tcp " + addr + ": bind: address already in use\n"},
		{"freeze details not a boolean", map[string]string{"FIREBREAK_FREEZE_DETAILS": "yes"},
			"firebreak: FIREBREAK_FREEZE_DETAILS must be true or false, not \"yes\"\n"},
		{"short HTTP token", map[string]string{"FIREBREAK_HTTP_TOKEN": "secret"},
			"firebreak: FIREBREAK_HTTP_TOKEN must be at least 16 characters (for example the output of `openssl rand -hex 32`)\n"},
	}
	missingDir := filepath.Join(t.TempDir(), "no-such-dir", "fb.db")
	cases = append(cases, struct {
		name string
		env  map[string]string
		want string
	}{"database in a missing directory", map[string]string{"FIREBREAK_DB": missingDir},
		"firebreak: open " + missingDir + ": no such file or directory\n"})
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			env := map[string]string{
				"SLACK_APP_TOKEN": "xapp-1-test", "SLACK_BOT_TOKEN": "xoxb-test",
				"FIREBREAK_DB":             filepath.Join(dir, "firebreak.db"),
				"FIREBREAK_POSTMORTEM_DIR": filepath.Join(dir, "postmortems"),
				"FIREBREAK_HTTP_ADDR":      "127.0.0.1:0",
			}
			for k, v := range tc.env {
				env[k] = v
			}
			if tc.env["FIREBREAK_DB"] != "" {
				defer func() {
					if _, err := os.Stat(filepath.Dir(tc.env["FIREBREAK_DB"])); !os.IsNotExist(err) {
						t.Errorf("run created %s", filepath.Dir(tc.env["FIREBREAK_DB"]))
					}
				}()
			}
			code, out, errOut := cli(t, env, "run")
			if code != 1 || out != "" || errOut != tc.want {
				t.Fatalf("exit %d, stdout %q, stderr %q; want exit 1 and %q", code, out, errOut, tc.want)
			}
			if entries, _ := os.ReadDir(dir); len(entries) != 0 {
				t.Fatalf("run left %v behind", entries)
			}
		})
	}
}
