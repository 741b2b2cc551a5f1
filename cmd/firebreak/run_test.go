package main

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

func runCLI(t *testing.T, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(args, &out, &errb, func(k string) string { return env[k] })
	return code, out.String(), errb.String()
}

func TestRunWithoutTokensExplains(t *testing.T) {
	code, _, stderr := runCLI(t, nil, "run")
	if code == 0 {
		t.Fatal("run without tokens succeeded")
	}
	for _, want := range []string{"SLACK_APP_TOKEN is not set", "xapp-", "firebreak demo"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	if strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
		t.Errorf("start-up error is not one line:\n%s", stderr)
	}
}

func TestRunRejectsMalformedConfig(t *testing.T) {
	code, _, stderr := runCLI(t, map[string]string{
		"SLACK_APP_TOKEN": "xapp-1", "SLACK_BOT_TOKEN": "xoxb-2", "FIREBREAK_VERIFY_WINDOW": "later",
	}, "run")
	if code == 0 || !strings.Contains(stderr, "FIREBREAK_VERIFY_WINDOW") {
		t.Fatalf("code %d, stderr %q", code, stderr)
	}
	if strings.Contains(stderr, "xoxb-2") {
		t.Fatal("a token was echoed")
	}
}

func TestVersionAndUsage(t *testing.T) {
	code, out, _ := runCLI(t, nil, "version")
	if code != 0 || !strings.Contains(out, "firebreak dev") || !strings.Contains(out, "schema") {
		t.Fatalf("version: %d %q", code, out)
	}
	code, _, stderr := runCLI(t, nil, "launch-rockets")
	if code != 2 || !strings.Contains(stderr, "unknown command") || !strings.Contains(stderr, "firebreak demo") {
		t.Fatalf("unknown command: %d %q", code, stderr)
	}
}

func TestPlaybooksCheckCommand(t *testing.T) {
	code, out, _ := runCLI(t, nil, "playbooks", "check")
	if code != 0 || !strings.Contains(out, "bad-deploy") {
		t.Fatalf("embedded playbooks: %d %q", code, out)
	}
	dir := t.TempDir()
	writeFile(t, dir+"/bad.yaml", "name: bad\ntitle: Bad\nphases:\n  stop-the-bleeding:\n    - id: x\n      titel: typo\n")
	code, out, _ = runCLI(t, nil, "playbooks", "check", dir)
	if code == 0 || !strings.Contains(out, "bad.yaml:6") {
		t.Fatalf("broken dir: %d %q", code, out)
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
