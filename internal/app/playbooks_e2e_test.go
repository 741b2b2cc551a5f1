package app_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/firebreak-hq/firebreak/incident"
	"github.com/firebreak-hq/firebreak/internal/app"
	"github.com/firebreak-hq/firebreak/internal/slackfake"
	"github.com/firebreak-hq/firebreak/playbooks"
)

// walk finishes every step of incident n by clicking, with a second
// person approving each risky step.
func (h *harness) walk(n uint64) {
	h.t.Helper()
	inc := h.ready(n)
	for _, st := range inc.Steps {
		val := fmt.Sprintf("%s:%s", inc.ID(), st.ID)
		if st.Approval {
			h.click(bob, inc, "step.approve", h.requestApproval(alice, inc, st.ID, "runbook step "+st.ID, "prod"))
			h.eventually("done button for "+st.ID, func() bool { return cardHasAction(h.card(h.incident(n)), "step.done", val) })
		}
		h.click(alice, inc, "step.done", val)
	}
	h.eventually(inc.ID()+" checklist finished", func() bool { return len(h.incident(n).OpenSteps()) == 0 })
}

// TestEveryEmbeddedPlaybookEndToEnd declares one incident per playbook,
// walks its whole checklist and closes it.
func TestEveryEmbeddedPlaybookEndToEnd(t *testing.T) {
	t.Parallel()
	set, err := playbooks.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	h := startHarness(t)
	shared := 0 // postmortems of playbooks that are not private go to GITHUB_REPO
	for i, name := range set.Names() {
		n := uint64(i + 1)
		t.Run(name, func(t *testing.T) {
			r := h.slash(alice, slackfake.GeneralChannelID, "new playbook:"+name+" Drill for "+name)
			if !strings.Contains(r, incident.ID(n)) {
				t.Fatalf("declare: %q", r)
			}
			inc := h.ready(n)
			pb, _ := set.Get(name)
			if inc.Playbook != name || len(inc.Steps) != len(pb.Steps) {
				t.Fatalf("incident has playbook %q with %d steps", inc.Playbook, len(inc.Steps))
			}
			if len(h.slack.BlockErrors()) > 0 {
				t.Fatalf("card rejected: %+v", h.slack.BlockErrors())
			}
			h.walk(n)
			h.slash(alice, inc.Channel, "resolve")
			if r := h.slash(alice, inc.Channel, "close"); !strings.Contains(r, "closed") {
				t.Fatalf("close: %q", r)
			}
			h.eventually("postmortem filed", func() bool { return h.incident(n).PostmortemURL != "" })
			if inc.Private != pb.Private {
				t.Fatalf("incident private=%v, playbook private=%v", inc.Private, pb.Private)
			}
			if !pb.Private {
				shared++
			} else if u := h.incident(n).PostmortemURL; strings.Contains(u, "acme/ops") {
				t.Fatalf("a private incident's postmortem went to the shared repository: %s", u)
			}
			evs := h.events(n)
			if got := countKind(evs, incident.EvStepDone); got != len(pb.Steps) {
				t.Fatalf("%d steps done on the timeline, want %d", got, len(pb.Steps))
			}
		})
	}
	if got := len(h.gh.Issues("acme", "ops")); got != shared || shared == len(set.Names()) {
		t.Fatalf("want one issue per incident that is not private (%d of %d), got %d", shared, len(set.Names()), got)
	}
}

// TestInvalidPlaybookDirRefusesStart names the file and line.
func TestInvalidPlaybookDirRefusesStart(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	bad := "name: broken\ntitle: Broken\nseverity: sev9\nphases:\n  stop-the-bleeding:\n    - id: a\n      title: A\n"
	if err := os.WriteFile(filepath.Join(dir, "broken.yaml"), []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := app.FromEnv(func(k string) string {
		return map[string]string{"FIREBREAK_PLAYBOOKS": dir, "FIREBREAK_DB": filepath.Join(t.TempDir(), "x.db")}[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	_, err = app.New(cfg, app.Options{NoHTTP: true})
	if err == nil || !strings.Contains(err.Error(), "broken.yaml:3") {
		t.Fatalf("want an error naming broken.yaml:3, got %v", err)
	}
}

// TestPlaybookOverrideFromDir: a directory playbook replaces the
// embedded one by name and is offered in the declare modal.
func TestPlaybookOverrideFromDir(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	pb := `name: general
title: Our general checklist
phases:
  stop-the-bleeding:
    - id: page-oncall
      title: Page the on-call DBA
  understand:
    - id: graphs
      title: Check the graphs
  fix-forward:
    - id: fix
      title: Ship the fix
  verify:
    - id: verify
      title: Watch for 15 minutes
`
	if err := os.WriteFile(filepath.Join(dir, "general.yaml"), []byte(pb), 0o644); err != nil {
		t.Fatal(err)
	}
	h := startHarness(t, withConfig(func(c *app.Config) { c.PlaybooksDir = dir }))
	h.slash(alice, slackfake.GeneralChannelID, "")
	v := h.openView(alice, "declare")
	if !strings.Contains(string(v.JSON), "Our general checklist") {
		t.Fatal("the declare modal does not offer the overriding playbook")
	}
	inc := h.declare(1, alice, slackfake.GeneralChannelID, "Replication lag")
	if len(inc.Steps) != 4 || inc.Steps[0].ID != "page-oncall" {
		t.Fatalf("steps: %+v", inc.Steps)
	}
}

// TestPostmortemPermanentFailureToldToLead: a missing repository is a
// permanent error; the lead hears what to fix, and no issue appears.
func TestPostmortemPermanentFailureToldToLead(t *testing.T) {
	t.Parallel()
	h, inc := startDeclared(t, "Webhook deliveries delayed", withConfig(func(c *app.Config) { c.GitHubRepo = "acme/missing" }))
	h.slash(alice, inc.Channel, "close --force handled by the vendor")
	h.eventually("lead told what to fix", func() bool {
		for _, m := range h.slack.Messages(inc.Channel) {
			if strings.Contains(m.Text, "GITHUB_REPO") && strings.Contains(m.Text, "<@"+alice+">") {
				return true
			}
		}
		return false
	})
	if countKind(h.events(1), incident.EvPostmortemFailed) != 1 {
		t.Fatal("the failure is not on the timeline")
	}
	if len(h.gh.Issues("acme", "ops")) != 0 {
		t.Fatal("an issue was filed somewhere else")
	}
}
