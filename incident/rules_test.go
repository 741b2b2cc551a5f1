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

func TestQuietAndDigestRules(t *testing.T) {
	inc := declared(t) // declared at t0
	// Without any status update an active incident is flagged, since its
	// declaration.
	if quiet, since := inc.Quiet(t0.Add(time.Minute)); !quiet || !since.Equal(inc.DeclaredAt) {
		t.Fatalf("no update yet: quiet %v since %v", quiet, since)
	}
	updated := must(t, inc, Command{Kind: CmdUpdate, Actor: "UALICE", Text: "x"}, t0.Add(time.Hour)).Incident
	if quiet, _ := updated.Quiet(t0.Add(time.Hour + QuietAfter)); quiet {
		t.Fatal("quiet within QuietAfter of an update")
	}
	if quiet, since := updated.Quiet(t0.Add(time.Hour + QuietAfter + time.Minute)); !quiet || !since.Equal(updated.LastUpdateAt) {
		t.Fatalf("quiet since %v, want the last update", since)
	}
	mitigated := must(t, inc, Command{Kind: CmdMitigated, Actor: "UALICE"}, t0).Incident
	if quiet, _ := mitigated.Quiet(t0.Add(48 * time.Hour)); quiet {
		t.Fatal("a mitigated incident is flagged as quiet")
	}
	closed := Incident{ClosedAt: t0}
	if !closed.ClosedWithin(DigestWindow, t0.Add(DigestWindow)) || closed.ClosedWithin(DigestWindow, t0.Add(DigestWindow+time.Second)) || (Incident{}).ClosedWithin(DigestWindow, t0) {
		t.Fatal("ClosedWithin")
	}
	incs := []Incident{{Number: 3, Severity: Sev2}, {Number: 1, Severity: Sev3}, {Number: 2, Severity: Sev2}, {Number: 4, Severity: Sev1}}
	ByUrgency(incs)
	var got []uint64
	for _, c := range incs {
		got = append(got, c.Number)
	}
	if !reflect.DeepEqual(got, []uint64{4, 2, 3, 1}) {
		t.Fatalf("by urgency: %v", got)
	}
}
