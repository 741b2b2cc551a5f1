package incident

import (
	"reflect"
	"testing"
	"time"
)

func TestOwnerIsLeadElseDeclarer(t *testing.T) {
	inc := declared(t) // declared by UALICE
	if got := inc.Owner(); got != "UALICE" {
		t.Fatalf("owner without a lead: %q", got)
	}
	inc = must(t, inc, Command{Kind: CmdLead, Actor: "UALICE", User: "UBOB"}, t0).Incident
	if got := inc.Owner(); got != "UBOB" {
		t.Fatalf("owner with a lead: %q", got)
	}
}

func TestStepActions(t *testing.T) {
	inc := declared(t)
	step := func(inc Incident, id string) Step {
		st, _, ok := inc.Step(id)
		if !ok {
			t.Fatalf("no step %s", id)
		}
		return st
	}
	want := func(inc Incident, id string, kinds ...CommandKind) {
		t.Helper()
		if got := inc.StepActions(step(inc, id)); !reflect.DeepEqual(got, kinds) {
			t.Errorf("%s (%s): actions %v, want %v", id, inc.Status, got, kinds)
		}
	}
	want(inc, "timeline", CmdStepDone, CmdStepSkip, CmdStepAssign)
	want(inc, "fix", CmdRequestApproval, CmdStepSkip, CmdStepAssign)
	asked := must(t, inc, Command{Kind: CmdRequestApproval, Actor: "UBOB", StepID: "fix", What: "x", Where: "y"}, t0).Incident
	want(asked, "fix", CmdApprove, CmdStepSkip, CmdStepAssign)
	approved := must(t, asked, Command{Kind: CmdApprove, Actor: "UCAROL", StepID: "fix", Request: 1}, t0).Incident
	want(approved, "fix", CmdStepDone, CmdStepSkip, CmdStepAssign)
	done := must(t, inc, Command{Kind: CmdStepDone, Actor: "UBOB", StepID: "timeline"}, t0).Incident
	want(done, "timeline")
	closed := must(t, inc, Command{Kind: CmdClose, Actor: "UALICE", Force: true, Text: "x"}, t0.Add(time.Minute)).Incident
	want(closed, "guard")
}

func TestNeedsForm(t *testing.T) {
	inc := declared(t)
	for _, c := range []struct {
		inc  Incident
		kind CommandKind
		step string
		want bool
	}{
		{inc, CmdStepSkip, "timeline", true},
		{inc, CmdStepSkip, "nope", false},
		{inc, CmdRequestApproval, "fix", true},
		{inc, CmdRequestApproval, "timeline", false},
		{inc, CmdUpdate, "", true},
		{inc, CmdReopen, "", false}, // only a resolved incident reopens
		{inc, CmdStepDone, "timeline", false},
		{must(t, inc, Command{Kind: CmdResolve, Actor: "UALICE"}, t0).Incident, CmdReopen, "", true},
		{must(t, inc, Command{Kind: CmdStepDone, Actor: "UBOB", StepID: "timeline"}, t0).Incident, CmdStepSkip, "timeline", false},
	} {
		if got := c.inc.NeedsForm(c.kind, c.step); got != c.want {
			t.Errorf("%s on %q while %s: needs form %v, want %v", c.kind, c.step, c.inc.Status, got, c.want)
		}
	}
}

func TestValidUserIDAndRole(t *testing.T) {
	for s, want := range map[string]bool{"U123ABC": true, "W9": true, "U": false, "u123": false, "B0DEPLOY": false, "U12<": false, "": false} {
		if ValidUserID(s) != want {
			t.Errorf("ValidUserID(%q) = %v", s, !want)
		}
	}
	for s, want := range map[string]bool{"comms": true, "on-call_2": true, "2nd": false, "Comms": false, "": false} {
		if ValidRole(s) != want {
			t.Errorf("ValidRole(%q) = %v", s, !want)
		}
	}
}
