package app_test

import (
	"testing"

	"github.com/firebreak-hq/firebreak/incident"
	"github.com/firebreak-hq/firebreak/internal/app"
	"github.com/firebreak-hq/firebreak/internal/slackfake"
	"github.com/firebreak-hq/firebreak/playbooks"
)

// relOpts adjust the reliability harness: fake Slack options, and a hook
// run on the built App before it starts (where store faults are armed,
// so that the hook is installed before any goroutine writes).
type relOpts struct {
	slack     []slackfake.Option
	beforeRun func(*app.App)
}

// startReliabilityHarness is startHarness with options for the fake Slack
// and a pre-start hook; the returned harness has every helper of
// harness_test.go.
func startReliabilityHarness(t *testing.T, o relOpts) *harness {
	t.Helper()
	h := harnessFor(t, newWorkspace(t, o.slack...))
	h.bootWith(o.beforeRun)
	return h
}

// mustPlaybook returns an embedded playbook.
func mustPlaybook(t *testing.T, name string) incident.Playbook {
	t.Helper()
	set, err := playbooks.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	pb, ok := set.Get(name)
	if !ok {
		t.Fatalf("no embedded playbook %q", name)
	}
	return pb
}
