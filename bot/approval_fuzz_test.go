package bot

import (
	"testing"
	"time"

	"github.com/firebreak-hq/firebreak/incident"
)

// FuzzApprovalPayloads drives the two-person rule with arbitrary button
// values, clickers and request texts, the way Slack hands them over (a
// click's value, a modal's what/where), and checks that whatever gets
// through is bound: an approval is accepted only for the request its
// value names, never by that request's author, and records exactly the
// command and target of that request; the approver can never mark the
// step done.
func FuzzApprovalPayloads(f *testing.F) {
	for _, v := range []string{"INC-1:fix:1", "INC-1:fix:2", "INC-1:fix", "INC-1:fix:0", "INC-1:fix:-1", "INC-1:fix:01",
		"INC-1:fix:1:2", "INC-2:fix:2", "INC-1:assess-impact:1", "INC-1::2", "inc-1:fix:+2", "INC-1:fix:99999999999999999999", ""} {
		f.Add(v, uint8(1), "SELECT 1", "payments-db", "DROP DATABASE payments", "payments-db", true)
	}
	f.Add("INC-1:fix:1", uint8(0), "\u200b", "x", "y", "\u2060", false)
	f.Add("INC-1:fix:2", uint8(2), "<!channel> `rm -rf /`", "prod\x00", "a", "b", true)
	t0 := time.Date(2026, 3, 6, 16, 0, 0, 0, time.UTC)
	people := []string{"UALICE", "UBOB", "UCAROL"}
	f.Fuzz(func(t *testing.T, value string, who uint8, what1, where1, what2, where2 string, second bool) {
		d, err := incident.Declare(1, incident.Declaration{Title: "Payments down", Declarer: "UALICE"}, t0)
		if err != nil {
			t.Fatal(err)
		}
		inc := d.Incident
		inc.Channel = "C1"
		apply := func(cmd incident.Command, at time.Duration) (incident.Result, error) {
			r, err := incident.Apply(inc, cmd, t0.Add(at))
			if err != nil {
				if _, refused := incident.IsRefusal(err); !refused {
					t.Fatalf("%s: not a refusal: %v", cmd.Kind, err)
				}
			}
			return r, err
		}
		// A modal submission: what and where as typed.
		if r, err := apply(incident.Command{Kind: incident.CmdRequestApproval, Actor: "UALICE", StepID: "fix", What: what1, Where: where1}, time.Second); err == nil {
			inc = r.Incident
		}
		if second {
			if r, err := apply(incident.Command{Kind: incident.CmdRequestApproval, Actor: "UCAROL", StepID: "fix", What: what2, Where: where2}, 2*time.Second); err == nil {
				inc = r.Incident
			}
		}
		cur, _, _ := inc.Step("fix")
		pending := cur.Signoff

		// A click: the value as Slack hands it over, parsed as the
		// handler parses it.
		n, stepID, err := parseActionValue(value)
		if err != nil || n != inc.Number {
			return // refused before any incident is touched, or another incident's
		}
		stepID, request, err := splitRequest(stepID)
		if err != nil {
			return
		}
		actor := people[int(who)%len(people)]
		res, err := apply(incident.Command{Kind: incident.CmdApprove, Actor: actor, StepID: stepID, Request: request}, 3*time.Second)
		if err != nil {
			return
		}
		st, _, _ := res.Incident.Step(stepID)
		switch {
		case pending == nil || stepID != "fix":
			t.Fatalf("approval of %q accepted with no pending request", stepID)
		case request != pending.ID:
			t.Fatalf("approval naming request %d accepted for request %d", request, pending.ID)
		case actor == pending.RequestedBy:
			t.Fatalf("%s approved their own request", actor)
		case st.Signoff.ID != pending.ID || st.Signoff.What != pending.What || st.Signoff.Where != pending.Where || st.Signoff.ApprovedBy != actor:
			t.Fatalf("approval record %+v differs from the request %+v", st.Signoff, pending)
		}
		if f := res.Events[0].Fields; f["what"] != pending.What || f["where"] != pending.Where {
			t.Fatalf("approval event records %q on %q, the request said %q on %q", f["what"], f["where"], pending.What, pending.Where)
		}
		// The card's button for this request names it, and parses back.
		if gn, gs, _ := parseActionValue(approvalValue(inc, "fix", pending.ID)); gn != 1 {
			t.Fatalf("button value does not parse: %d %q", gn, gs)
		} else if s, r, err := splitRequest(gs); err != nil || s != "fix" || r != pending.ID {
			t.Fatalf("button value round trip: %q %d %v", s, r, err)
		}
		inc = res.Incident
		if _, err := apply(incident.Command{Kind: incident.CmdStepDone, Actor: actor, StepID: "fix"}, 4*time.Second); !incident.HasCode(err, incident.CodeApproverRuns) {
			t.Fatalf("the approver marked the step done: %v", err)
		}
	})
}
