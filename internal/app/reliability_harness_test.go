package app_test

import (
	"testing"

	"github.com/firebreak-hq/firebreak/incident"
	"github.com/firebreak-hq/firebreak/playbooks"
)

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
