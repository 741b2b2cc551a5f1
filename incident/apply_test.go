package incident

import (
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2026, 3, 6, 16, 0, 0, 0, time.UTC)

func declared(t *testing.T) Incident {
	t.Helper()
	res, err := Declare(1, Declaration{Title: "Checkout returns 500", Declarer: "UALICE", Severity: Sev2}, t0)
	if err != nil {
		t.Fatal(err)
	}
	return res.Incident
}

// inStatus builds an incident in status s through real commands.
func inStatus(t *testing.T, s Status) Incident {
	t.Helper()
	inc := declared(t)
	step := func(cmd Command) {
		t.Helper()
		res, err := Apply(inc, cmd, t0.Add(time.Minute))
		if err != nil {
			t.Fatalf("%s: %v", cmd.Kind, err)
		}
		inc = res.Incident
	}
	switch s {
	case StatusMitigated:
		step(Command{Kind: CmdMitigated, Actor: "UALICE"})
	case StatusResolved:
		step(Command{Kind: CmdResolve, Actor: "UALICE"})
	case StatusClosed:
		step(Command{Kind: CmdClose, Actor: "UALICE", Force: true, Text: "test"})
	case StatusCancelled:
		step(Command{Kind: CmdCancel, Actor: "UALICE", Text: "declared by mistake"})
	}
	if inc.Status != s {
		t.Fatalf("built %s, want %s", inc.Status, s)
	}
	return inc
}

// validCommand returns a command of kind k that passes input validation,
// so the transition table alone decides.
func validCommand(inc Incident, k CommandKind) Command {
	c := Command{Kind: k, Actor: "UALICE", Text: "some text", User: "UBOB", Role: "comms", Severity: Sev1,
		What: "rollback.sh v41", Where: "prod-eu", Until: t0.Add(time.Hour), Force: true}
	switch k {
	case CmdStepDone, CmdStepSkip, CmdStepAssign:
		c.StepID = "assess-impact"
	case CmdRequestApproval:
		c.StepID = "fix"
	case CmdApprove:
		c.StepID, c.Request = "fix", 1
	case CmdPinnedText, CmdPinned:
		c.Ref = "1700000000.000100"
	case CmdTimes:
		c.Role, c.At = "started", t0.Add(-30*time.Minute)
	case CmdPage:
		c.Ref = "db-oncall"
	}
	return c
}

func TestTransitionTableEveryPair(t *testing.T) {
	want := map[Status]map[CommandKind]Status{
		StatusActive: {
			CmdMitigated: StatusMitigated, CmdResolve: StatusResolved, CmdClose: StatusClosed, CmdCancel: StatusCancelled,
		},
		StatusMitigated: {CmdResolve: StatusResolved, CmdClose: StatusClosed, CmdCancel: StatusCancelled},
		StatusResolved:  {CmdReopen: StatusActive, CmdClose: StatusClosed, CmdCancel: StatusCancelled},
	}
	refused := map[Status]map[CommandKind]Code{
		StatusActive:    {CmdReopen: CodeInvalidTransition},
		StatusMitigated: {CmdMitigated: CodeInvalidTransition, CmdReopen: CodeInvalidTransition},
		StatusResolved:  {CmdMitigated: CodeInvalidTransition, CmdResolve: CodeInvalidTransition},
	}
	for _, s := range Statuses {
		for _, k := range CommandKinds {
			t.Run(string(s)+"/"+string(k), func(t *testing.T) {
				inc := inStatus(t, s)
				cmd := validCommand(inc, k)
				if k == CmdApprove {
					// an approval needs a request by someone else first
					if s != StatusClosed && s != StatusCancelled {
						r, err := Apply(inc, Command{Kind: CmdRequestApproval, Actor: "UBOB", StepID: "fix", What: "x", Where: "y"}, t0)
						if err != nil {
							t.Fatal(err)
						}
						inc = r.Incident
					}
				}
				res, err := Apply(inc, cmd, t0.Add(2*time.Minute))
				if s == StatusClosed && k == CmdTimes {
					// the review corrects key times after the close
					if err != nil || len(res.Events) != 1 || !res.Incident.StartedAt.Equal(t0.Add(-30*time.Minute)) {
						t.Fatalf("key-time correction after close refused: %v", err)
					}
					return
				}
				if s == StatusClosed && k == CmdReviewOwner {
					// the review's owner changes once the postmortem is filed
					if err != nil || len(res.Events) != 1 || res.Incident.ReviewOwner() != "UBOB" {
						t.Fatalf("review owner after close refused: %v", err)
					}
					return
				}
				if s == StatusClosed && k == CmdPinnedText {
					// a late pinned text still joins the record
					if err != nil || len(res.Events) != 1 {
						t.Fatalf("late pinned text refused: %v", err)
					}
					return
				}
				if s == StatusCancelled {
					if !HasCode(err, CodeCancelled) {
						t.Fatalf("cancelled incident accepted %s: %v", k, err)
					}
					return
				}
				if s == StatusClosed {
					if !HasCode(err, CodeClosed) {
						t.Fatalf("closed incident accepted %s: %v", k, err)
					}
					return
				}
				if code, ok := refused[s][k]; ok {
					if !HasCode(err, code) {
						t.Fatalf("want refusal %s, got %v", code, err)
					}
					if res.Incident.Number != 0 || len(res.Events) != 0 {
						t.Fatal("a refusal produced state or events")
					}
					return
				}
				if err != nil {
					t.Fatalf("unexpected refusal: %v", err)
				}
				wantStatus := s
				if to, ok := want[s][k]; ok {
					wantStatus = to
				}
				if k == CmdStepDone || k == CmdStepSkip {
					// assess-impact alone does not finish stop-the-bleeding
					wantStatus = s
				}
				if res.Incident.Status != wantStatus {
					t.Fatalf("status %s, want %s", res.Incident.Status, wantStatus)
				}
				if len(res.Events) == 0 {
					t.Fatal("an accepted command produced no timeline event")
				}
				for _, e := range res.Events {
					if e.At.Location() != time.UTC || e.At.Nanosecond()%int(time.Millisecond) != 0 {
						t.Fatalf("event time %v is not UTC milliseconds", e.At)
					}
				}
				if inc.Status != s {
					t.Fatal("Apply mutated its input")
				}
			})
		}
	}
}

func TestCloseRefusedWhileVerifyOpen(t *testing.T) {
	inc := inStatus(t, StatusResolved)
	_, err := Apply(inc, Command{Kind: CmdClose, Actor: "UALICE"}, t0)
	if !HasCode(err, CodeVerifyOpen) {
		t.Fatalf("want verify_open, got %v", err)
	}
	if !HasPhrase(err, RefuseVerifyOpen) {
		t.Fatalf("refusal is not the one that says how to force: %v", err)
	}
	for _, id := range []string{"verify-metrics", "verify-users"} {
		r, err := Apply(inc, Command{Kind: CmdStepDone, Actor: "UBOB", StepID: id}, t0)
		if err != nil {
			t.Fatal(err)
		}
		inc = r.Incident
	}
	r, err := Apply(inc, Command{Kind: CmdClose, Actor: "UALICE"}, t0.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if r.Incident.Status != StatusClosed || r.Incident.ClosedAt.IsZero() {
		t.Fatalf("not closed: %+v", r.Incident.Status)
	}
	var publish int
	for _, e := range r.Effects {
		if e.Kind == EffPublishPostmortem {
			publish++
		}
	}
	if publish != 1 {
		t.Fatalf("close must enqueue exactly one postmortem publish, got %d", publish)
	}
}

func TestForceCloseNeedsReasonAndAuthority(t *testing.T) {
	inc := declared(t)
	if _, err := Apply(inc, Command{Kind: CmdClose, Actor: "UALICE", Force: true}, t0); !HasCode(err, CodeBadInput) {
		t.Fatalf("force close without reason: %v", err)
	}
	if _, err := Apply(inc, Command{Kind: CmdClose, Actor: "UCAROL", Force: true, Text: "dup"}, t0); !HasCode(err, CodeNotAuthorized) {
		t.Fatalf("force close by a bystander: %v", err)
	}
	r, err := Apply(inc, Command{Kind: CmdClose, Actor: "UALICE", Force: true, Text: "duplicate of INC-3"}, t0)
	if err != nil {
		t.Fatal(err)
	}
	if r.Incident.ForceReason != "duplicate of INC-3" {
		t.Fatal("force reason not recorded")
	}
}

func TestTwoPersonRule(t *testing.T) {
	inc := declared(t)
	apply := func(c Command) (Result, error) { return Apply(inc, c, t0) }
	if _, err := apply(Command{Kind: CmdStepDone, Actor: "UALICE", StepID: "fix"}); !HasCode(err, CodeNeedsApproval) {
		t.Fatalf("done before approval: %v", err)
	}
	if _, err := apply(Command{Kind: CmdApprove, Actor: "UBOB", StepID: "fix"}); !HasCode(err, CodeNoRequest) {
		t.Fatalf("approve without request: %v", err)
	}
	r, err := apply(Command{Kind: CmdRequestApproval, Actor: "UALICE", StepID: "fix", What: "DELETE FROM carts WHERE expired", Where: "prod-db-1"})
	if err != nil {
		t.Fatal(err)
	}
	inc = r.Incident
	if _, err := apply(Command{Kind: CmdApprove, Actor: "UALICE", StepID: "fix", Request: 1}); !HasCode(err, CodeSelfApproval) {
		t.Fatalf("self approval: %v", err)
	}
	if _, err := apply(Command{Kind: CmdStepDone, Actor: "UALICE", StepID: "fix"}); !HasCode(err, CodeNeedsApproval) {
		t.Fatalf("done while pending: %v", err)
	}
	r, err = apply(Command{Kind: CmdApprove, Actor: "UBOB", StepID: "fix", Request: 1})
	if err != nil {
		t.Fatal(err)
	}
	inc = r.Incident
	r, err = apply(Command{Kind: CmdStepDone, Actor: "UALICE", StepID: "fix"})
	if err != nil {
		t.Fatal(err)
	}
	st, _, _ := r.Incident.Step("fix")
	if st.State != StepDone || st.Signoff.ApprovedBy != "UBOB" || st.Signoff.RequestedBy != "UALICE" {
		t.Fatalf("step record wrong: %+v %+v", st, st.Signoff)
	}
}

func TestAutoMitigateWhenStopTheBleedingFinished(t *testing.T) {
	inc := declared(t)
	r, err := Apply(inc, Command{Kind: CmdStepDone, Actor: "UBOB", StepID: "assess-impact"}, t0)
	if err != nil {
		t.Fatal(err)
	}
	if r.Incident.Status != StatusActive {
		t.Fatal("mitigated too early")
	}
	r, err = Apply(r.Incident, Command{Kind: CmdStepSkip, Actor: "UBOB", StepID: "mitigate", Text: "nothing to roll back"}, t0.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if r.Incident.Status != StatusMitigated || r.Incident.MitigatedAt.IsZero() {
		t.Fatalf("want automatic mitigation, got %s", r.Incident.Status)
	}
	if r.Incident.CurrentPhase() != PhaseUnderstand {
		t.Fatalf("phase %s", r.Incident.CurrentPhase())
	}
}

func TestReopenIsFalseResolution(t *testing.T) {
	inc := inStatus(t, StatusResolved)
	if _, err := Apply(inc, Command{Kind: CmdReopen, Actor: "UCAROL", Text: "errors back"}, t0); !HasCode(err, CodeNotAuthorized) {
		t.Fatalf("reopen by bystander: %v", err)
	}
	if _, err := Apply(inc, Command{Kind: CmdReopen, Actor: "UALICE"}, t0); !HasCode(err, CodeBadInput) {
		t.Fatalf("reopen without reason: %v", err)
	}
	r, err := Apply(inc, Command{Kind: CmdReopen, Actor: "UALICE", Text: "errors back"}, t0)
	if err != nil {
		t.Fatal(err)
	}
	if r.Incident.Status != StatusActive || r.Incident.ReopenCount != 1 || !r.Incident.ResolvedAt.IsZero() {
		t.Fatalf("reopen state wrong: %+v", r.Incident)
	}
}

func TestParseSeverity(t *testing.T) {
	for in, want := range map[string]Severity{"1": Sev1, "sev2": Sev2, "SEV3": Sev3, "sev-4": Sev4, "S2": Sev2} {
		got, err := ParseSeverity(in)
		if err != nil || got != want {
			t.Errorf("%q → %q, %v", in, got, err)
		}
	}
	for _, in := range []string{"", "0", "5", "sev12", "high", "sev"} {
		if _, err := ParseSeverity(in); !HasCode(err, CodeBadInput) || !HasPhrase(err, RefuseSeverityWord) {
			t.Errorf("%q accepted or unclear: %v", in, err)
		}
	}
}

func TestDeclareValidates(t *testing.T) {
	cases := map[string]Declaration{
		"empty title":  {Title: "  ", Declarer: "U1"},
		"no declarer":  {Title: "x"},
		"huge title":   {Title: strings.Repeat("x", MaxTitle+1), Declarer: "U1"},
		"bad severity": {Title: "x", Declarer: "U1", Severity: "sev9"},
	}
	for name, d := range cases {
		t.Run(name, func(t *testing.T) {
			if _, err := Declare(1, d, t0); !HasCode(err, CodeBadInput) {
				t.Fatalf("want bad input, got %v", err)
			}
		})
	}
	r, err := Declare(7, Declaration{Title: "ok", Declarer: "U1", Responders: []string{"U2", "U1"}}, t0)
	if err != nil {
		t.Fatal(err)
	}
	if r.Incident.Severity != Sev3 || r.Incident.ID() != "INC-7" || len(r.Incident.Steps) < 8 {
		t.Fatalf("defaults wrong: %+v", r.Incident)
	}
	if r.Effects[0].Kind != EffCreateChannel {
		t.Fatal("channel creation must come first")
	}
}

func TestPlaybookValidate(t *testing.T) {
	pb := DefaultPlaybook()
	if err := pb.Validate(); err != nil {
		t.Fatal(err)
	}
	dup := DefaultPlaybook()
	dup.Steps[1].ID = dup.Steps[0].ID
	if err := dup.Validate(); err == nil || !strings.Contains(err.Error(), "duplicate") {
		t.Fatalf("duplicate id: %v", err)
	}
	missing := DefaultPlaybook()
	missing.Steps = missing.Steps[:6]
	if err := missing.Validate(); err == nil || !strings.Contains(err.Error(), "verify") {
		t.Fatalf("missing phase: %v", err)
	}
}
