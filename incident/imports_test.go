package incident

import (
	"os/exec"
	"strings"
	"testing"
)

// TestLayering enforces ARCHITECTURE.md: the domain is stdlib-only and
// the Slack transport reaches storage only through its own interfaces.
func TestLayering(t *testing.T) {
	goList := func(args ...string) []string {
		t.Helper()
		out, err := exec.Command("go", append([]string{"list"}, args...)...).CombinedOutput()
		if err != nil {
			// A layering rule that cannot be checked is not a pass.
			t.Fatalf("go list %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return strings.Fields(string(out))
	}
	for _, dep := range goList("-deps", "github.com/firebreak-hq/firebreak/incident") {
		if strings.Contains(strings.SplitN(dep, "/", 2)[0], ".") && dep != "github.com/firebreak-hq/firebreak/incident" {
			t.Errorf("incident depends on %s; it must use the standard library only", dep)
		}
	}
	for _, dep := range goList("-deps", "github.com/firebreak-hq/firebreak/bot") {
		if dep == "github.com/firebreak-hq/firebreak/store" || strings.HasPrefix(dep, "go.etcd.io/bbolt") {
			t.Errorf("bot depends on %s; declare an interface in bot instead", dep)
		}
	}
}
