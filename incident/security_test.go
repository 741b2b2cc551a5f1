package incident

import (
	"strings"
	"testing"
	"time"
)

// must applies cmd and fails the test on a refusal.
func must(t *testing.T, inc Incident, cmd Command, at time.Time) Result {
	t.Helper()
	r, err := Apply(inc, cmd, at)
	if err != nil {
		t.Fatalf("%s by %s: %v", cmd.Kind, cmd.Actor, err)
	}
	return r
}

func refusedWith(t *testing.T, err error, code Code, msg string) {
	t.Helper()
	e, ok := IsRefusal(err)
	if !ok || e.Code != code {
		t.Fatalf("want refusal %s, got %v", code, err)
	}
	// What people read is in bot/testdata/refusals.golden; here the
	// refusal's phrase and parameters.
	if msg != "" && e.Error() != msg {
		t.Fatalf("refusal\n got: %s\nwant: %s", e.Error(), msg)
	}
}

// TestApprovalBoundToRequest: two people request approval for the same
// step; the second request withdraws the first, an approval of the first
// is refused, and the approval of the second records what it said.
func TestApprovalBoundToRequest(t *testing.T) {
	inc := declared(t)
	inc = must(t, inc, Command{Kind: CmdRequestApproval, Actor: "UCAROL", StepID: "fix", What: "SELECT 1", Where: "payments-db"}, t0).Incident
	st, _, _ := inc.Step("fix")
	if st.Signoff.ID != 1 {
		t.Fatalf("first request numbered %d", st.Signoff.ID)
	}
	r := must(t, inc, Command{Kind: CmdRequestApproval, Actor: "UDAVE", StepID: "fix", What: "DROP DATABASE payments", Where: "payments-db"}, t0.Add(time.Second))
	inc = r.Incident
	if len(r.Events) != 2 || r.Events[0].Kind != EvApprovalWithdrawn || r.Events[0].Fields["request"] != "1" ||
		r.Events[0].Fields["requested_by"] != "UCAROL" || r.Events[0].Fields["replaced_by"] != "2" || r.Events[1].Fields["request"] != "2" {
		t.Fatalf("events of the replacing request: %+v", r.Events)
	}
	var withdraw *Effect
	for i, e := range r.Effects {
		if e.Kind == EffWithdrawApproval {
			withdraw = &r.Effects[i]
		}
	}
	if withdraw == nil || withdraw.Fields.Request != 1 || withdraw.Fields.Step != "fix" || withdraw.Fields.By != "UDAVE" {
		t.Fatalf("no withdrawal effect for request 1: %+v", r.Effects)
	}

	// Bob read request 1 (SELECT 1) and presses its button.
	_, err := Apply(inc, Command{Kind: CmdApprove, Actor: "UBOB", StepID: "fix", Request: 1}, t0.Add(2*time.Second))
	refusedWith(t, err, CodeWithdrawn, `incident: approval_withdrawn: refuse.approval_withdrawn "Apply the fix" "UDAVE" "2"`)
	// A button that names no request (a card from before requests were
	// numbered) cannot approve a numbered request either.
	_, err = Apply(inc, Command{Kind: CmdApprove, Actor: "UBOB", StepID: "fix"}, t0.Add(2*time.Second))
	refusedWith(t, err, CodeWithdrawn, `incident: approval_withdrawn: refuse.approve_no_request_id "Apply the fix" "UDAVE"`)
	// The requester of the current request cannot approve it; the one
	// whose request was withdrawn is a second person and may.
	_, err = Apply(inc, Command{Kind: CmdApprove, Actor: "UDAVE", StepID: "fix", Request: 2}, t0.Add(2*time.Second))
	refusedWith(t, err, CodeSelfApproval, "")

	r = must(t, inc, Command{Kind: CmdApprove, Actor: "UBOB", StepID: "fix", Request: 2}, t0.Add(3*time.Second))
	st, _, _ = r.Incident.Step("fix")
	if a := st.Signoff; a.ID != 2 || a.What != "DROP DATABASE payments" || a.RequestedBy != "UDAVE" || a.ApprovedBy != "UBOB" {
		t.Fatalf("approval record %+v", a)
	}
	if f := r.Events[0].Fields; f["what"] != "DROP DATABASE payments" || f["where"] != "payments-db" || f["request"] != "2" || f["requested_by"] != "UDAVE" {
		t.Fatalf("approval event does not record what was approved: %+v", f)
	}
	// Once approved, no new request can replace it.
	_, err = Apply(r.Incident, Command{Kind: CmdRequestApproval, Actor: "UCAROL", StepID: "fix", What: "SELECT 1", Where: "x"}, t0.Add(4*time.Second))
	refusedWith(t, err, CodeAlreadyApproved, "")
}

// TestLegacyRequestStillApprovable: a request stored before requests were
// numbered (ID 0) is approved by the button rendered for it.
func TestLegacyRequestStillApprovable(t *testing.T) {
	inc := declared(t)
	_, k, _ := inc.Step("fix")
	inc.Steps[k].Signoff = &Approval{RequestedBy: "UCAROL", RequestedAt: t0, What: "x", Where: "y"}
	r := must(t, inc, Command{Kind: CmdApprove, Actor: "UBOB", StepID: "fix"}, t0.Add(time.Second))
	if st, _, _ := r.Incident.Step("fix"); st.Signoff.ApprovedBy != "UBOB" {
		t.Fatal("legacy request not approved")
	}
	// A new request after the upgrade is numbered past it.
	r = must(t, inc, Command{Kind: CmdRequestApproval, Actor: "UDAVE", StepID: "fix", What: "a", Where: "b"}, t0.Add(time.Second))
	if st, _, _ := r.Incident.Step("fix"); st.Signoff.ID != 1 || r.Events[0].Kind != EvApprovalWithdrawn || r.Events[0].Fields["request"] != "0" {
		t.Fatalf("request after a legacy one: %+v %+v", st.Signoff, r.Events)
	}
}

// TestApproverCannotRunTheStep: after carol asked and bob approved, bob
// cannot mark the step done; carol (or a third person) can, and the
// record names who ran it, who asked and who approved.
func TestApproverCannotRunTheStep(t *testing.T) {
	inc := declared(t)
	inc = must(t, inc, Command{Kind: CmdRequestApproval, Actor: "UCAROL", StepID: "fix", What: "kubectl rollout undo", Where: "prod"}, t0).Incident
	inc = must(t, inc, Command{Kind: CmdApprove, Actor: "UBOB", StepID: "fix", Request: 1}, t0.Add(time.Second)).Incident
	_, err := Apply(inc, Command{Kind: CmdStepDone, Actor: "UBOB", StepID: "fix"}, t0.Add(2*time.Second))
	refusedWith(t, err, CodeApproverRuns, `incident: approver_runs: refuse.approver_runs "Apply the fix" "UCAROL"`)
	for _, runner := range []string{"UCAROL", "UDAVE"} {
		r := must(t, inc, Command{Kind: CmdStepDone, Actor: runner, StepID: "fix"}, t0.Add(3*time.Second))
		st, _, _ := r.Incident.Step("fix")
		if st.By != runner || st.Signoff.RequestedBy != "UCAROL" || st.Signoff.ApprovedBy != "UBOB" {
			t.Fatalf("record: by %s, asked %s, approved %s", st.By, st.Signoff.RequestedBy, st.Signoff.ApprovedBy)
		}
		f := r.Events[0].Fields
		if r.Events[0].Actor != runner || f["requested_by"] != "UCAROL" || f["approved_by"] != "UBOB" || f["request"] != "1" {
			t.Fatalf("done event %+v", r.Events[0])
		}
	}
}

// TestLeadChangeRules: who may change the lead, and that refused
// attempts are recorded while the lead stays.
func TestLeadChangeRules(t *testing.T) {
	base := declared(t) // declared by UALICE, no lead
	withLead := must(t, base, Command{Kind: CmdLead, Actor: "UBOB", User: "UBOB"}, t0).Incident
	anyone := withLead
	anyone.LeadChange = LeadChangeAnyone
	refusal := `incident: not_authorized: refuse.lead_not_authorized "UBOB" "INC-1" "UBOB"`
	stale := `incident: not_authorized: refuse.lead_stale_button "UBOB" "INC-1" "UBOB"`
	cases := []struct {
		name    string
		inc     Incident
		cmd     Command
		refused string
	}{
		{"anyone takes an empty lead", base, Command{Actor: "UCAROL", User: "UCAROL"}, ""},
		{"take-lead button while nobody leads", base, Command{Actor: "UCAROL", User: "UCAROL", OnlyIfNoLead: true}, ""},
		{"member takes the lead from the lead", withLead, Command{Actor: "UCAROL", User: "UCAROL"}, refusal},
		{"member gives the lead to a third person", withLead, Command{Actor: "UCAROL", User: "UDAVE"}, refusal},
		{"role lead by a member", withLead, Command{Kind: CmdRole, Role: "lead", Actor: "UCAROL", User: "UCAROL"}, refusal},
		{"old take-lead button by a member", withLead, Command{Actor: "UCAROL", User: "UCAROL", OnlyIfNoLead: true}, stale},
		{"old take-lead button by the declarer", withLead, Command{Actor: "UALICE", User: "UALICE", OnlyIfNoLead: true}, stale},
		{"lead hands on", withLead, Command{Actor: "UBOB", User: "UCAROL"}, ""},
		{"declarer reassigns", withLead, Command{Actor: "UALICE", User: "UCAROL"}, ""},
		{"playbook lets anyone", anyone, Command{Actor: "UCAROL", User: "UCAROL"}, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cmd := tc.cmd
			if cmd.Kind == "" {
				cmd.Kind = CmdLead
			}
			r, err := Apply(tc.inc, cmd, t0.Add(time.Minute))
			if err != nil {
				t.Fatal(err)
			}
			if tc.refused == "" {
				if r.Refused != nil || r.Incident.Lead != cmd.User || r.Events[0].Kind != EvLeadAssigned {
					t.Fatalf("not assigned: lead %q, refused %v", r.Incident.Lead, r.Refused)
				}
				return
			}
			refusedWith(t, r.Refused, CodeNotAuthorized, tc.refused)
			if r.Incident.Lead != tc.inc.Lead || len(r.Effects) != 0 {
				t.Fatalf("refused attempt changed the lead to %q or has effects %+v", r.Incident.Lead, r.Effects)
			}
			if len(r.Events) != 1 || r.Events[0].Kind != EvLeadRefused || r.Events[0].Actor != cmd.Actor ||
				r.Events[0].Fields["user"] != cmd.User || r.Events[0].Fields["lead"] != "UBOB" || !HasPhrase(r.Refused, Phrase(r.Events[0].Fields["reason"])) {
				t.Fatalf("refused attempt not recorded: %+v", r.Events)
			}
		})
	}
}

func TestLeadChangePolicyValidated(t *testing.T) {
	pb := DefaultPlaybook()
	pb.LeadChange = "whoever"
	if err := pb.Validate(); err == nil || err.Error() != `incident: bad_input: refuse.playbook_lead_change "general" "whoever" "lead" "anyone"` {
		t.Fatalf("bad lead_change: %v", err)
	}
	pb.LeadChange = LeadChangeAnyone
	r, err := Declare(1, Declaration{Title: "x", Declarer: "UALICE", Playbook: pb}, t0)
	if err != nil || r.Incident.LeadChange != LeadChangeAnyone {
		t.Fatalf("policy not kept with the incident: %v %q", err, r.Incident.LeadChange)
	}
}

func TestParseSeverityRefusesNegative(t *testing.T) {
	for _, in := range []string{"-1", "--1", "sev--1", "s--2", "+1", "-4", "sev-0", "0", "5"} {
		if sev, err := ParseSeverity(in); err == nil {
			t.Errorf("%q read as %s", in, sev)
		}
	}
	_, err := ParseSeverity("-1")
	refusedWith(t, err, CodeBadInput, `incident: bad_input: refuse.severity_word "-1"`)
	for in, want := range map[string]Severity{"1": Sev1, "sev-1": Sev1, "SEV2": Sev2, "s3": Sev3, "S-4": Sev4, " sev4 ": Sev4} {
		if got, err := ParseSeverity(in); err != nil || got != want {
			t.Errorf("%q: %s %v", in, got, err)
		}
	}
}

// TestInvisibleTextIsEmpty: text made only of characters that render as
// nothing is refused where text is required.
func TestInvisibleTextIsEmpty(t *testing.T) {
	invisible := []string{"\u200b", "\u200b\u200c\u200d\u2060\ufeff", "\u00ad", " \u3164 ", "\u2800", "\U000e0041\U000e0042", "\u034f", "\u202e\u202c", "\ufe0f"}
	inc := must(t, declared(t), Command{Kind: CmdResolve, Actor: "UALICE"}, t0).Incident
	for _, s := range invisible {
		_, err := Apply(inc, Command{Kind: CmdClose, Actor: "UALICE", Force: true, Text: s}, t0.Add(time.Minute))
		refusedWith(t, err, CodeBadInput, `incident: bad_input: refuse.force_needs_reason`)
		_, err = Apply(inc, Command{Kind: CmdNote, Actor: "UALICE", Text: s}, t0.Add(time.Minute))
		refusedWith(t, err, CodeBadInput, `incident: bad_input: refuse.text_empty "note"`)
	}
	for _, s := range []string{"é", "a\u200b", "🔥", "中"} {
		if Blank(s) {
			t.Errorf("%q judged blank", s)
		}
	}
}

func TestPinnedTextCappedAndEmptyPinRefused(t *testing.T) {
	inc := declared(t)
	r := must(t, inc, Command{Kind: CmdPinned, Actor: "UBOB", Ref: "1.000001", Text: strings.Repeat("p", MaxText+500)}, t0)
	if n := len([]rune(r.Events[0].Text)); n != MaxText+1 || !strings.HasSuffix(r.Events[0].Text, "…") {
		t.Fatalf("pinned text of %d runes kept", n)
	}
	_, err := Apply(inc, Command{Kind: CmdPinned, Actor: "UBOB"}, t0)
	refusedWith(t, err, CodeBadInput, `incident: bad_input: refuse.pin_needs_ts`)
	// Invisible text counts as none: the real text is fetched.
	r = must(t, inc, Command{Kind: CmdPinned, Actor: "UBOB", Ref: "1.000002", Text: "\u200b "}, t0)
	if r.Events[0].Text != "" || len(r.Effects) != 1 || r.Effects[0].Kind != EffFetchPinned {
		t.Fatalf("blank pin: %+v %+v", r.Events, r.Effects)
	}
	r = must(t, inc, Command{Kind: CmdPinnedText, Actor: "UBOB", Ref: "1.000002", Text: "\u2060"}, t0)
	if r.Events[0].Text != TextPinnedNone {
		t.Fatalf("empty pinned text: %q", r.Events[0].Text)
	}
}

// TestClockStepsBack: when the clock steps back, events are stamped just
// after the latest one, so the timeline stays ordered and durations stay
// positive; the step is reported for logging.
func TestClockStepsBack(t *testing.T) {
	inc := declared(t) // at t0
	back := t0.Add(-time.Hour)
	r := must(t, inc, Command{Kind: CmdNote, Actor: "UALICE", Text: "clock stepped"}, back)
	if want := t0.Add(time.Millisecond); !r.Events[0].At.Equal(want) || r.ClockBack != time.Hour {
		t.Fatalf("note at %v (clock back %v), want %v", r.Events[0].At, r.ClockBack, want)
	}
	inc = r.Incident
	r = must(t, inc, Command{Kind: CmdMitigated, Actor: "UALICE"}, back.Add(time.Second))
	inc = r.Incident
	if !inc.MitigatedAt.After(inc.DeclaredAt) || !r.Events[0].At.After(t0.Add(time.Millisecond)) {
		t.Fatalf("mitigated at %v, declared at %v", inc.MitigatedAt, inc.DeclaredAt)
	}
	r = must(t, inc, Command{Kind: CmdResolve, Actor: "UALICE"}, back.Add(2*time.Second))
	inc = r.Incident
	if !inc.ResolvedAt.After(inc.MitigatedAt) {
		t.Fatalf("resolved %v not after mitigated %v", inc.ResolvedAt, inc.MitigatedAt)
	}
	// Other writers of the timeline follow the same clock.
	rc := RecordChannel(inc, "C1", "inc-1-x", back)
	if !rc.Events[0].At.After(inc.ResolvedAt) || rc.ClockBack <= 0 {
		t.Fatalf("channel event at %v", rc.Events[0].At)
	}
	rm, err := MarkReminded(inc, Reminder{Kind: ReminderVerify, Key: "verify:x", Due: t0}, back)
	if err != nil || !rm.Events[0].At.After(inc.ResolvedAt) {
		t.Fatalf("reminder event at %v: %v", rm.Events[0].At, err)
	}
	rp, err := RecordPostmortem(inc, "https://x.test/1", 0, back)
	if err != nil || !rp.Events[0].At.After(inc.ResolvedAt) {
		t.Fatalf("postmortem event at %v: %v", rp.Events[0].At, err)
	}
	// A clock that is right again is used as is.
	later := t0.Add(time.Hour)
	r = must(t, inc, Command{Kind: CmdNote, Actor: "UALICE", Text: "clock fixed"}, later)
	if !r.Events[0].At.Equal(later) || r.ClockBack != 0 {
		t.Fatalf("note at %v after the clock recovered", r.Events[0].At)
	}
	// An incident stored before LastEventAt existed is judged by its key times.
	old := inc
	old.LastEventAt = time.Time{}
	r = must(t, old, Command{Kind: CmdNote, Actor: "UALICE", Text: "x"}, back)
	if !r.Events[0].At.After(inc.ResolvedAt) {
		t.Fatalf("legacy incident: note at %v", r.Events[0].At)
	}
}
