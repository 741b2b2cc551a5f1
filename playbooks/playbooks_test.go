package playbooks

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/firebreak-hq/firebreak/incident"
)

// valid is a minimal correct playbook; broken cases start from it.
const valid = `name: tiny
title: Tiny
phases:
  stop-the-bleeding:
    - id: a
      title: A
  understand:
    - id: b
      title: B
  fix-forward:
    - id: c
      title: C
  verify:
    - id: d
      title: D
`

func TestEmbeddedPlaybooks(t *testing.T) {
	if errs := Check(""); len(errs) > 0 {
		t.Fatalf("embedded playbooks do not pass check: %v", errs)
	}
	s, err := Embedded()
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"general", "bad-deploy", "data-loss", "dependency-outage", "security"}
	if got := strings.Join(s.Names(), ","); got != strings.Join(want, ",") {
		t.Fatalf("Names() = %s, want %s", got, strings.Join(want, ","))
	}
	for _, pb := range s.All() {
		t.Run(pb.Name, func(t *testing.T) {
			if err := pb.Validate(); err != nil {
				t.Fatal(err)
			}
			if pb.Title == "" || pb.Description == "" || !pb.Severity.Valid() {
				t.Errorf("playbook lacks title, description or severity: %+v", pb)
			}
			// general follows FIREBREAK_VERIFY_WINDOW; the specialised
			// playbooks set the window their kind of incident needs.
			if (pb.Name == "general") != (pb.VerifyWindow == 0) {
				t.Errorf("verify_window %s for %s", pb.VerifyWindow, pb.Name)
			}
			for _, st := range pb.Steps {
				if !st.Phase.Valid() {
					t.Errorf("step %s has phase %q", st.ID, st.Phase)
				}
			}
			// A declaration with it must work end to end in the domain.
			res, err := incident.Declare(1, incident.Declaration{Title: "x", Playbook: pb, Declarer: "U1"}, time.Unix(0, 0))
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Incident.Steps) != len(pb.Steps) || res.Incident.VerifyWindow != pb.VerifyWindow {
				t.Errorf("declared incident lost steps or verify window")
			}
			// Security incidents are private; the others are not.
			if pb.Private != (pb.Name == "security") || res.Incident.Private != pb.Private {
				t.Errorf("playbook private=%v, its incident private=%v", pb.Private, res.Incident.Private)
			}
		})
	}
}

// The issue names specific safety steps; losing one in an edit should fail.
func TestEmbeddedSafetySteps(t *testing.T) {
	s, err := Embedded()
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		playbook, step string
		phase          incident.Phase
		approval       bool
	}{
		{"bad-deploy", "freeze-deploys", incident.PhaseStopBleeding, false},
		{"bad-deploy", "check-data-shape", incident.PhaseStopBleeding, false},
		{"bad-deploy", "decide-rollback", incident.PhaseStopBleeding, false},
		{"bad-deploy", "rollback", incident.PhaseStopBleeding, true},
		{"bad-deploy", "repair-data", incident.PhaseFixForward, true},
		{"bad-deploy", "error-rates", incident.PhaseVerify, false},
		{"data-loss", "stop-writes", incident.PhaseStopBleeding, true},
		{"data-loss", "snapshot-now", incident.PhaseStopBleeding, false},
		{"data-loss", "find-good-backup", incident.PhaseUnderstand, false},
		{"data-loss", "restore-to-clone", incident.PhaseFixForward, true},
		{"data-loss", "reconcile", incident.PhaseFixForward, false},
		{"data-loss", "apply-repair", incident.PhaseFixForward, true},
		{"data-loss", "verify-counts", incident.PhaseVerify, false},
		{"security", "contain", incident.PhaseStopBleeding, true},
		{"security", "preserve-evidence", incident.PhaseStopBleeding, false},
		{"security", "rotate-credentials", incident.PhaseFixForward, true},
		{"security", "notify", incident.PhaseFixForward, false},
		{"general", "fix", incident.PhaseFixForward, true},
		{"dependency-outage", "degrade-gracefully", incident.PhaseStopBleeding, true},
	}
	for _, c := range cases {
		t.Run(c.playbook+"/"+c.step, func(t *testing.T) {
			pb, ok := s.Get(c.playbook)
			if !ok {
				t.Fatalf("no playbook %s", c.playbook)
			}
			for _, st := range pb.Steps {
				if st.ID == c.step {
					if st.Phase != c.phase || st.Approval != c.approval {
						t.Fatalf("step %s: phase %s approval %v, want %s %v", c.step, st.Phase, st.Approval, c.phase, c.approval)
					}
					return
				}
			}
			t.Fatalf("playbook %s has no step %s", c.playbook, c.step)
		})
	}
	// The snapshot must come before anything is touched.
	pb, _ := s.Get("data-loss")
	var order []string
	for _, st := range pb.Steps {
		order = append(order, st.ID)
	}
	if idx(order, "snapshot-now") > idx(order, "restore-to-clone") || idx(order, "restore-to-clone") > idx(order, "apply-repair") {
		t.Errorf("data-loss steps out of order: %v", order)
	}
}

func idx(list []string, s string) int {
	for i, v := range list {
		if v == s {
			return i
		}
	}
	return -1
}

func TestParseFields(t *testing.T) {
	src := `name: db
title: Database trouble
description: d
severity: SEV1
invite: [U0123ABC, W0999ZZZ]
roles: [db-owner]
verify_window: 1h30m
lead_change: anyone
private: true
phases:
  stop-the-bleeding:
    - id: stop
      title: Stop writes
      detail: pause the writers
      link: https://runbooks.example/db#stop
      role: db-owner
      approval: true
  understand:
    - {id: look, title: Look}
  fix-forward:
    - {id: fix, title: Fix, role: lead}
  verify:
    - {id: check, title: Check, approval: false}
`
	pb, line, errs := parse("db.yaml", []byte(src))
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	if line != 1 || pb.Name != "db" || pb.Severity != incident.Sev1 || pb.VerifyWindow != 90*time.Minute || pb.LeadChange != incident.LeadChangeAnyone || !pb.Private ||
		strings.Join(pb.Invite, ",") != "U0123ABC,W0999ZZZ" || strings.Join(pb.Roles, ",") != "db-owner" {
		t.Fatalf("unexpected playbook %+v (line %d)", pb, line)
	}
	want := incident.StepDef{ID: "stop", Title: "Stop writes", Detail: "pause the writers", Link: "https://runbooks.example/db#stop",
		Phase: incident.PhaseStopBleeding, Approval: true, Role: "db-owner"}
	if pb.Steps[0] != want {
		t.Fatalf("step 0 = %+v, want %+v", pb.Steps[0], want)
	}
	if len(pb.Steps) != 4 || pb.Steps[3].Phase != incident.PhaseVerify || pb.Steps[3].Approval {
		t.Fatalf("steps = %+v", pb.Steps)
	}
}

func TestBrokenFiles(t *testing.T) {
	cases := []struct {
		name string
		src  string
		want []string
	}{
		{"empty", "", []string{"x.yaml:1: file is empty; a playbook needs name, title and phases"}},
		{"comment only", "# nothing\n", []string{"x.yaml:1: file is empty; a playbook needs name, title and phases"}},
		{"not a mapping", "- a\n- b\n", []string{"x.yaml:1: a playbook must be a mapping with name, title and phases, not a list"}},
		{"unquoted colon", "name: a\ntitle: Degrade: fail over\n", []string{"x.yaml:2: not valid YAML: mapping values are not allowed in this context"}},
		{"unterminated quote", "name: a\ntitle: 'x\n", []string{"x.yaml:2: not valid YAML: found unexpected end of stream"}},
		{"tab indent", "name: a\n\ttitle: b\n", []string{"x.yaml:2: not valid YAML: found a tab character that violates indentation"}},
		{"two documents", valid + "---\nname: other\n", []string{"x.yaml:17: a file holds one playbook; found a second YAML document"}},
		{"unknown top key", strings.Replace(valid, "title: Tiny\n", "title: Tiny\nseverty: sev2\n", 1),
			[]string{`x.yaml:3: unknown key "severty" in playbook (known: name, title, description, severity, invite, roles, verify_window, lead_change, private, phases)`}},
		{"private not a flag", strings.Replace(valid, "title: Tiny\n", "title: Tiny\nprivate: yes please\n", 1),
			[]string{`x.yaml:3: private must be true or false`}},
		{"unknown step key", strings.Replace(valid, "      title: C\n", "      title: C\n      aproval: true\n", 1),
			[]string{`x.yaml:13: unknown key "aproval" in step (known: id, title, detail, link, role, approval)`}},
		{"duplicate key", strings.Replace(valid, "title: Tiny\n", "title: Tiny\ntitle: Again\n", 1),
			[]string{`x.yaml:3: key "title" appears twice in this playbook (first on line 2)`}},
		{"missing name", strings.Replace(valid, "name: tiny\n", "", 1), []string{`x.yaml:1: missing key "name"`}},
		{"missing title", strings.Replace(valid, "title: Tiny\n", "", 1), []string{`x.yaml:1: missing key "title"`}},
		{"missing phases", "name: a\ntitle: A\n", []string{`x.yaml:1: missing key "phases" (stop-the-bleeding, understand, fix-forward, verify)`}},
		{"bad name", strings.Replace(valid, "name: tiny", "name: Tiny Playbook", 1),
			[]string{`x.yaml:1: name "Tiny Playbook" may contain only a-z, 0-9, - and _ (at most 64, starting with a letter or digit)`}},
		{"bad severity", strings.Replace(valid, "title: Tiny\n", "title: Tiny\nseverity: sev5\n", 1),
			[]string{`x.yaml:3: severity "sev5" is not one of sev1, sev2, sev3, sev4 (sev1 is the worst)`}},
		{"severity as list", strings.Replace(valid, "title: Tiny\n", "title: Tiny\nseverity: [sev1]\n", 1),
			[]string{`x.yaml:3: severity must be a single value, not a list`}},
		{"missing phase", strings.Replace(valid, "  understand:\n    - id: b\n      title: B\n", "", 1),
			[]string{`x.yaml:3: phase understand is missing; every playbook needs steps in stop-the-bleeding, understand, fix-forward, verify`}},
		{"empty phase", strings.Replace(valid, "  understand:\n    - id: b\n      title: B\n", "  understand: []\n", 1),
			[]string{`x.yaml:7: phase understand needs a list of at least one step`}},
		{"unknown phase", strings.Replace(valid, "  verify:", "  verfy:", 1),
			[]string{`x.yaml:3: phase verify is missing; every playbook needs steps in stop-the-bleeding, understand, fix-forward, verify`,
				`x.yaml:13: unknown key "verfy" in phases (known: stop-the-bleeding, understand, fix-forward, verify)`}},
		{"duplicate step id", strings.Replace(valid, "id: c", "id: a", 1),
			[]string{`x.yaml:11: duplicate step id "a" (first on line 5)`}},
		{"step without title", strings.Replace(valid, "      title: B\n", "", 1),
			[]string{`x.yaml:8: step "b" has no title`}},
		{"step with empty title", strings.Replace(valid, "      title: B\n", "      title: \"  \"\n", 1),
			[]string{`x.yaml:9: title is empty`}},
		{"step without id", strings.Replace(valid, "    - id: b\n      title: B\n", "    - title: B\n", 1),
			[]string{`x.yaml:8: step has no id`}},
		{"bad step id", strings.Replace(valid, "id: b", "id: B:1", 1),
			[]string{`x.yaml:8: step id "B:1" may contain only a-z, 0-9, - and _ (at most 64); it is stored in button values`}},
		{"step not mapping", strings.Replace(valid, "    - id: b\n      title: B\n", "    - just text\n", 1),
			[]string{`x.yaml:8: a step must be a mapping with id and title, not the value "just text"`}},
		{"approval not bool", strings.Replace(valid, "      title: C\n", "      title: C\n      approval: yes please\n", 1),
			[]string{`x.yaml:13: approval must be true or false`}},
		{"unknown role", strings.Replace(valid, "      title: C\n", "      title: C\n      role: dba\n", 1),
			[]string{`x.yaml:13: step role "dba" is not lead, comms, scribe or listed under roles`}},
		{"bad link", strings.Replace(valid, "      title: C\n", "      title: C\n      link: runbooks/x\n", 1),
			[]string{`x.yaml:13: link "runbooks/x" must be an absolute http(s) URL`}},
		{"bad verify window", strings.Replace(valid, "title: Tiny\n", "title: Tiny\nverify_window: soon\n", 1),
			[]string{`x.yaml:3: verify_window "soon" is not a duration like 30m or 2h`}},
		{"bad lead_change", strings.Replace(valid, "title: Tiny\n", "title: Tiny\nlead_change: whoever\n", 1),
			[]string{`x.yaml:3: lead_change "whoever" is not "lead" (the lead or the declarer may change the lead; the default) or "anyone" (any member may)`}},
		{"negative verify window", strings.Replace(valid, "title: Tiny\n", "title: Tiny\nverify_window: -5m\n", 1),
			[]string{`x.yaml:3: verify_window -5m must be more than 0 and at most 168h`}},
		{"bad invite", strings.Replace(valid, "title: Tiny\n", "title: Tiny\ninvite: [\"@carol\"]\n", 1),
			[]string{`x.yaml:3: invite "@carol" is not a Slack user id like U012AB3CD`}},
		{"roles not list", strings.Replace(valid, "title: Tiny\n", "title: Tiny\nroles: comms\n", 1),
			[]string{`x.yaml:3: roles must be a list like [a, b], not the value "comms"`}},
		{"lead role", strings.Replace(valid, "title: Tiny\n", "title: Tiny\nroles:\n  - dba\n  - lead\n", 1),
			[]string{`x.yaml:5: role "lead" is built in; do not list it under roles`}},
		{"alias", strings.Replace(valid, "title: Tiny\n", "title: &t Tiny\ndescription: *t\n", 1),
			[]string{`x.yaml:3: YAML aliases are not supported in playbooks; write the value out`}},
		{"several problems", "name: a\ntitle: A\nseverity: bad\nfoo: 1\n",
			[]string{`x.yaml:1: missing key "phases" (stop-the-bleeding, understand, fix-forward, verify)`,
				`x.yaml:3: severity "bad" is not one of sev1, sev2, sev3, sev4 (sev1 is the worst)`,
				`x.yaml:4: unknown key "foo" in playbook (known: name, title, description, severity, invite, roles, verify_window, lead_change, private, phases)`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "x.yaml"), []byte(c.src), 0o600); err != nil {
				t.Fatal(err)
			}
			errs := Check(dir)
			var got []string
			for _, e := range errs {
				got = append(got, strings.TrimPrefix(e.Error(), dir+string(filepath.Separator)))
			}
			if strings.Join(got, "\n") != strings.Join(c.want, "\n") {
				t.Fatalf("got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(c.want, "\n"))
			}
			if _, err := Load(dir); err == nil {
				t.Fatal("Load accepted a broken directory")
			} else if !strings.Contains(err.Error(), filepath.Join(dir, "x.yaml")+":") {
				t.Fatalf("Load error does not name the file: %v", err)
			}
		})
	}
}

func TestLoadOverrideAndAdd(t *testing.T) {
	dir := t.TempDir()
	override := strings.Replace(valid, "name: tiny\ntitle: Tiny", "name: general\ntitle: Our general", 1)
	write(t, dir, "general.yml", override)
	write(t, dir, "extra.yaml", valid)
	write(t, dir, "README.md", "not a playbook: [")
	write(t, dir, ".hidden.yaml", "broken: [")
	if err := os.Mkdir(filepath.Join(dir, "sub.yaml"), 0o700); err != nil {
		t.Fatal(err)
	}
	s, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(s.Names(), ","); got != "general,bad-deploy,data-loss,dependency-outage,security,tiny" {
		t.Fatalf("Names() = %s", got)
	}
	g, ok := s.Get("general")
	if !ok || g.Title != "Our general" || len(g.Steps) != 4 {
		t.Fatalf("general was not overridden: %+v", g)
	}
	if src := s.Source("general"); src != filepath.Join(dir, "general.yml")+":1" {
		t.Fatalf("Source(general) = %s", src)
	}
	if src := s.Source("bad-deploy"); src != "embedded:bad-deploy.yaml:1" {
		t.Fatalf("Source(bad-deploy) = %s", src)
	}
	if len(s.All()) != 6 {
		t.Fatalf("All() has %d playbooks", len(s.All()))
	}
	// Mutating a returned playbook must not change the set.
	g.Steps[0].Title = "changed"
	if g2, _ := s.Get("general"); g2.Steps[0].Title == "changed" {
		t.Fatal("Get returned shared steps")
	}
	if _, ok := s.Get("nope"); ok {
		t.Fatal("Get(nope) found something")
	}
	e, _ := Embedded()
	if g, _ := e.Get("general"); g.Title != "General incident" {
		t.Fatalf("embedded general = %q", g.Title)
	}
	if s, err := Load(""); err != nil || len(s.Names()) != 5 {
		t.Fatalf("Load(\"\") = %v, %v", s, err)
	}
}

func TestLoadDirectoryProblems(t *testing.T) {
	t.Run("missing dir", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "nope")
		_, err := Load(dir)
		if err == nil || err.Error() != dir+":1: cannot read the playbook directory: no such file or directory" {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("same name twice in dir", func(t *testing.T) {
		dir := t.TempDir()
		write(t, dir, "a.yaml", valid)
		write(t, dir, "b.yaml", "\n"+valid)
		errs := Check(dir)
		want := filepath.Join(dir, "b.yaml") + `:2: playbook "tiny" is already defined at ` + filepath.Join(dir, "a.yaml") + ":1"
		if len(errs) != 1 || errs[0].Error() != want {
			t.Fatalf("errs = %v, want %s", errs, want)
		}
	})
	t.Run("too large", func(t *testing.T) {
		dir := t.TempDir()
		write(t, dir, "big.yaml", valid+"# "+strings.Repeat("x", MaxFileSize)+"\n")
		errs := Check(dir)
		if len(errs) != 1 || !strings.HasPrefix(errs[0].Error(), filepath.Join(dir, "big.yaml")+":1: file is ") {
			t.Fatalf("errs = %v", errs)
		}
	})
	t.Run("unreadable", func(t *testing.T) {
		if os.Geteuid() == 0 {
			t.Skip("root reads files regardless of mode")
		}
		dir := t.TempDir()
		write(t, dir, "a.yaml", valid)
		if err := os.Chmod(filepath.Join(dir, "a.yaml"), 0); err != nil {
			t.Fatal(err)
		}
		errs := Check(dir)
		if len(errs) != 1 || errs[0].Error() != filepath.Join(dir, "a.yaml")+":1: cannot read: permission denied" {
			t.Fatalf("errs = %v", errs)
		}
	})
}

func write(t *testing.T, dir, name, content string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

var fileLine = regexp.MustCompile(`^f\.yaml:[1-9][0-9]*: \S`)

func FuzzLoad(f *testing.F) {
	f.Add([]byte(valid))
	f.Add([]byte(""))
	f.Add([]byte("name: [\n"))
	f.Add([]byte("a: &a [*a, *a]\n"))
	f.Add([]byte(strings.Replace(valid, "id: c", "id: a", 1)))
	entries, _ := defaults.ReadDir("defaults")
	for _, e := range entries {
		b, _ := defaults.ReadFile("defaults/" + e.Name())
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		pb, _, errs := parse("f.yaml", data)
		for _, e := range errs {
			if !fileLine.MatchString(e.Error()) {
				t.Fatalf("error without file:line: %q", e.Error())
			}
		}
		if len(errs) == 0 {
			if err := pb.Validate(); err != nil {
				t.Fatalf("accepted a playbook the domain rejects: %v", err)
			}
		}
	})
}
