package incident

import (
	"testing"
	"time"
)

func apply(t *testing.T, inc Incident, cmd Command, at time.Duration) Result {
	t.Helper()
	res, err := Apply(inc, cmd, t0.Add(at))
	if err != nil {
		t.Fatalf("%s: %v", cmd.Kind, err)
	}
	return res
}

func TestPrivateIsDecidedAtDeclaration(t *testing.T) {
	for _, c := range []struct {
		name            string
		asked, playbook bool
		want            bool
	}{
		{"neither", false, false, false},
		{"asked", true, false, true},
		{"the playbook says so", false, true, true},
		{"both", true, true, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			pb := DefaultPlaybook()
			pb.Private = c.playbook
			res, err := Declare(1, Declaration{Title: "Key leaked", Declarer: "UALICE", Playbook: pb, Private: c.asked}, t0)
			if err != nil {
				t.Fatal(err)
			}
			if res.Incident.Private != c.want || (res.Events[0].Fields["private"] == "true") != c.want {
				t.Fatalf("private=%v event %v, want %v", res.Incident.Private, res.Events[0].Fields, c.want)
			}
			if res.Incident.Visible(false) == c.want || !res.Incident.Visible(true) {
				t.Fatalf("Visible(non-member)=%v Visible(member)=%v", res.Incident.Visible(false), res.Incident.Visible(true))
			}
		})
	}
}

func TestHandoverPassesTheLead(t *testing.T) {
	inc := apply(t, declared(t), Command{Kind: CmdLead, Actor: "UALICE", User: "UALICE"}, time.Minute).Incident
	res := apply(t, inc, Command{Kind: CmdHandover, Actor: "UALICE", User: "UCAROL", Text: "  eu-1 still flaky  "}, 2*time.Minute)
	if res.Incident.Lead != "UCAROL" || res.Incident.Owner() != "UCAROL" {
		t.Fatalf("lead %q", res.Incident.Lead)
	}
	if len(res.Events) != 1 || res.Events[0].Kind != EvHandover || res.Events[0].Text != "eu-1 still flaky" ||
		res.Events[0].Fields["from"] != "UALICE" || res.Events[0].Fields["to"] != "UCAROL" || res.Events[0].Actor != "UALICE" {
		t.Fatalf("events %+v", res.Events)
	}
	var dm, invite, post bool
	for _, e := range res.Effects {
		switch {
		case e.Kind == EffDM && e.Msg == MsgBrief && e.User == "UCAROL" && e.Text == "eu-1 still flaky" && e.Fields.By == "UALICE":
			dm = true
		case e.Kind == EffInvite && len(e.Users) == 1 && e.Users[0] == "UCAROL":
			invite = true
		case e.Kind == EffPost && e.Msg == MsgHandover && e.Fields.From == "UALICE":
			post = true
		}
	}
	if !dm || !invite || !post {
		t.Fatalf("effects %+v", res.Effects)
	}
	// The update reminder is the new lead's.
	updates := 0
	for _, r := range Due(res.Incident, t0.Add(3*time.Hour), DefaultReminderConfig()) {
		if r.Kind == ReminderUpdate {
			updates++
			if r.User != "UCAROL" {
				t.Fatalf("update reminder for %q after the handover", r.User)
			}
		}
	}
	if updates == 0 {
		t.Fatal("no update reminder due three hours on")
	}
	// No note is fine; to the lead again is refused.
	if _, err := Apply(res.Incident, Command{Kind: CmdHandover, Actor: "UCAROL", User: "UCAROL"}, t0.Add(3*time.Minute)); !HasCode(err, CodeNoop) {
		t.Fatalf("handover to the lead: %v", err)
	}
	if _, err := Apply(res.Incident, Command{Kind: CmdHandover, Actor: "UCAROL"}, t0.Add(3*time.Minute)); !HasCode(err, CodeBadInput) {
		t.Fatalf("handover to nobody: %v", err)
	}
}

func TestHandoverFollowsTheLeadChangeRule(t *testing.T) {
	inc := apply(t, declared(t), Command{Kind: CmdLead, Actor: "UALICE", User: "UBOB"}, time.Minute).Incident
	// dave neither leads nor declared it: refused, and the attempt recorded.
	res := apply(t, inc, Command{Kind: CmdHandover, Actor: "UDAVE", User: "UDAVE"}, 2*time.Minute)
	if res.Refused == nil || res.Incident.Lead != "UBOB" || len(res.Events) != 1 || res.Events[0].Kind != EvLeadRefused || len(res.Effects) != 0 {
		t.Fatalf("refused=%v lead=%q events=%+v effects=%+v", res.Refused, res.Incident.Lead, res.Events, res.Effects)
	}
	// The declarer may; with lead_change: anyone, anybody may.
	if res := apply(t, inc, Command{Kind: CmdHandover, Actor: "UALICE", User: "UCAROL"}, 2*time.Minute); res.Incident.Lead != "UCAROL" {
		t.Fatalf("the declarer's handover: lead %q", res.Incident.Lead)
	}
	inc.LeadChange = LeadChangeAnyone
	if res := apply(t, inc, Command{Kind: CmdHandover, Actor: "UDAVE", User: "UDAVE"}, 2*time.Minute); res.Incident.Lead != "UDAVE" || res.Refused != nil {
		t.Fatalf("lead_change anyone: lead %q refused %v", res.Incident.Lead, res.Refused)
	}
}

func TestBriefOnJoin(t *testing.T) {
	res, err := Declare(1, Declaration{Title: "Checkout returns 500", Declarer: "UALICE", Responders: []string{"UBOB"}, Severity: Sev2}, t0)
	if err != nil {
		t.Fatal(err)
	}
	inc := res.Incident
	briefs := func(r Result) int {
		n := 0
		for _, e := range r.Effects {
			if e.Kind == EffEphemeral && e.Msg == MsgBrief {
				n++
			}
		}
		return n
	}
	join := func(user string) Result {
		t.Helper()
		r := apply(t, inc, Command{Kind: CmdMemberJoined, Actor: user, User: user}, time.Minute)
		inc = r.Incident
		return r
	}
	if n := briefs(join("UALICE")); n != 0 {
		t.Fatalf("the declarer got %d briefs", n)
	}
	if n := briefs(join("UBOB")); n != 0 {
		t.Fatalf("a responder the declaration invited got %d briefs on first join", n)
	}
	if n := briefs(join("UBOB")); n != 1 {
		t.Fatalf("the responder's second join brought %d briefs", n)
	}
	if r := join("UCAROL"); briefs(r) != 1 || r.Effects[0].User != "UCAROL" {
		t.Fatalf("a newcomer's join: %+v", r.Effects)
	}
	inc = apply(t, inc, Command{Kind: CmdLead, Actor: "UALICE", User: "UDAVE"}, 2*time.Minute).Incident
	if n := briefs(join("UDAVE")); n != 0 {
		t.Fatalf("the lead got %d briefs on joining", n)
	}
}

func TestMakeBrief(t *testing.T) {
	inc := declared(t)
	at := func(m int) time.Time { return t0.Add(time.Duration(m) * time.Minute) }
	evs := []Event{
		{Seq: 1, At: at(0), Kind: EvDeclared, Actor: "UALICE"},
		{Seq: 2, At: at(1), Kind: EvStatusUpdate, Actor: "UALICE", Text: "first"},
		{Seq: 3, At: at(2), Kind: EvNote, Actor: "UBOB", Text: "n1"},
		{Seq: 4, At: at(3), Kind: EvStatusUpdate, Actor: "UBOB", Text: "second"},
		{Seq: 5, At: at(4), Kind: EvNote, Actor: "UBOB", Text: "n2"},
		{Seq: 6, At: at(5), Kind: EvNote, Actor: "UBOB", Text: "n3"},
		{Seq: 7, At: at(6), Kind: EvNote, Actor: "UBOB", Text: "n4"},
		{Seq: 8, At: at(7), Kind: EvMemberJoined, Actor: "UCAROL"},
	}
	inc.Steps[0].State = StepDone
	b := MakeBrief(inc, evs, at(90))
	if b.Age != 90*time.Minute {
		t.Fatalf("age %s", b.Age)
	}
	if b.LastUpdate == nil || b.LastUpdate.Text != "second" {
		t.Fatalf("last update %+v", b.LastUpdate)
	}
	if len(b.Recent) != BriefEvents || b.Recent[0].Seq != 3 || b.Recent[BriefEvents-1].Seq != 7 {
		t.Fatalf("recent %+v", b.Recent)
	}
	open := 0
	for i, ph := range b.Open {
		if i > 0 && ph.Phase == b.Open[i-1].Phase {
			t.Fatalf("phase %s twice", ph.Phase)
		}
		for _, st := range ph.Steps {
			if st.Finished() || st.Phase != ph.Phase {
				t.Fatalf("step %s in the brief's %s", st.ID, ph.Phase)
			}
			open++
		}
	}
	if open != len(inc.OpenSteps()) || b.Open[0].Phase != PhaseStopBleeding {
		t.Fatalf("%d open steps in the brief, %d in the incident", open, len(inc.OpenSteps()))
	}
	if MakeBrief(inc, nil, t0.Add(-time.Hour)).Age != 0 {
		t.Fatal("a clock behind the declaration gives a negative age")
	}
}
