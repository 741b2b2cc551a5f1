package main

import (
	"os"
	"testing"
)

func TestRoutesCheckCommand(t *testing.T) {
	code, out, _ := runCLI(t, nil, "routes", "check", "testdata/routes-good.yaml")
	if want := "ok: 4 routes (database → declare, line 8 → ignore, line 10 → notify, line 13 → declare)\n"; code != 0 || out != want {
		t.Fatalf("good file: %d %q\nwant %q", code, out, want)
	}
	code, out, _ = runCLI(t, nil, "routes", "check", "testdata/routes-bad.yaml")
	want, err := os.ReadFile("testdata/routes-bad.golden")
	if err != nil {
		t.Fatal(err)
	}
	if code != 1 || out != string(want) {
		t.Fatalf("bad file: exit %d\n%s\nwant exit 1\n%s", code, out, want)
	}
	if code, _, _ = runCLI(t, nil, "routes", "check"); code == 0 {
		t.Fatal("no file accepted")
	}
}
