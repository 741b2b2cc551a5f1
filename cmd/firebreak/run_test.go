package main

import (
	"strings"
	"testing"

	"github.com/firebreak-hq/firebreak/internal/golden"
)

func TestRunWithoutTokensExplains(t *testing.T) {
	code, _, stderr := cli(t, nil, "run")
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
	code, _, stderr := cli(t, map[string]string{
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
	code, out, _ := cli(t, nil, "version")
	if code != 0 || !strings.Contains(out, "firebreak dev") || !strings.Contains(out, "schema") {
		t.Fatalf("version: %d %q", code, out)
	}
	code, _, stderr := cli(t, nil, "launch-rockets")
	if code != 2 || !strings.Contains(stderr, "unknown command") || !strings.Contains(stderr, "firebreak demo") {
		t.Fatalf("unknown command: %d %q", code, stderr)
	}
}

func TestPlaybooksCheckCommand(t *testing.T) {
	code, out, _ := cli(t, nil, "playbooks", "check")
	if code != 0 || !strings.Contains(out, "bad-deploy") {
		t.Fatalf("embedded playbooks: %d %q", code, out)
	}
	dir := t.TempDir()
	writeFile(t, dir+"/bad.yaml", "name: bad\ntitle: Bad\nphases:\n  stop-the-bleeding:\n    - id: x\n      titel: typo\n")
	code, out, _ = cli(t, nil, "playbooks", "check", dir)
	if code == 0 || !strings.Contains(out, "bad.yaml:6") {
		t.Fatalf("broken dir: %d %q", code, out)
	}
}

func TestRoutesCheckCommand(t *testing.T) {
	code, out, _ := cli(t, nil, "routes", "check", "testdata/routes-good.yaml")
	if want := "ok: 4 routes (database → declare, line 8 → ignore, line 10 → notify, line 13 → declare)\n"; code != 0 || out != want {
		t.Fatalf("good file: %d %q\nwant %q", code, out, want)
	}
	code, out, _ = cli(t, nil, "routes", "check", "testdata/routes-bad.yaml")
	if code != 1 {
		t.Errorf("bad file: exit %d, want 1", code)
	}
	golden.Check(t, "testdata/routes-bad.golden", []byte(out), *update)
	if code, _, _ = cli(t, nil, "routes", "check"); code == 0 {
		t.Fatal("no file accepted")
	}
}
