package postmortem

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/firebreak-hq/firebreak/incident"
)

// t0 is when the fixtures' incidents are declared.
var t0 = time.Date(2026, 3, 4, 9, 0, 0, 0, time.UTC)

var people = map[string]string{
	"UALICE": "Alice Liddell",
	"UBOB":   "Bob",
	"UCAROL": "Carol *Ops*",
	"UDAN":   "Dan",
}

// builder drives an incident through the real domain so that the state and
// timeline are exactly what the store would hold.
type builder struct {
	t      testing.TB
	inc    incident.Incident
	events []incident.Event
	now    time.Time
}

func declare(t testing.TB, n uint64, title, impact string, sev incident.Severity) *builder {
	t.Helper()
	res, err := incident.Declare(n, incident.Declaration{
		Title: title, Impact: impact, Severity: sev, Declarer: "UALICE",
	}, t0)
	if err != nil {
		t.Fatalf("declare: %v", err)
	}
	b := &builder{t: t, now: t0}
	b.take(res)
	return b
}

func (b *builder) take(res incident.Result) {
	b.inc = res.Incident
	for _, e := range res.Events {
		e.Seq = uint64(len(b.events) + 1)
		b.events = append(b.events, e)
	}
}

// do applies a command after d has passed.
func (b *builder) do(d time.Duration, c incident.Command) *builder {
	b.t.Helper()
	b.now = b.now.Add(d)
	res, err := incident.Apply(b.inc, c, b.now)
	if err != nil {
		b.t.Fatalf("%s at %s: %v", c.Kind, b.now.Format("15:04:05"), err)
	}
	b.take(res)
	return b
}

// richIncident has every kind of record the postmortem shows: severity
// changes, roles, notes with Slack mentions and blame, markdown and
// mention attempts in user text, skips, an approval, a false resolution,
// follow-ups and a forced close.
func richIncident(t testing.TB) (incident.Incident, []incident.Event) {
	b := declare(t, 7, "Checkout | errors after <@UBOB|bob>'s deploy",
		"Card payments failed for ~30% of EU users.\n# not a heading\n- not a list\n@here <!channel>", incident.Sev3)
	b.do(time.Minute, incident.Command{Kind: incident.CmdMemberJoined, Actor: "UALICE", User: "UBOB"})
	b.do(time.Minute, incident.Command{Kind: incident.CmdLead, Actor: "UALICE", User: "UBOB"})
	b.do(time.Minute, incident.Command{Kind: incident.CmdSeverity, Actor: "UBOB", Severity: incident.Sev1})
	b.do(time.Minute, incident.Command{Kind: incident.CmdRole, Actor: "UBOB", Role: "comms", User: "UCAROL"})
	b.do(time.Minute, incident.Command{Kind: incident.CmdNote, Actor: "UCAROL", Text: "<@UBOB> broke prod with the 9:00 deploy. Human error, again."})
	b.do(30*time.Second, incident.Command{Kind: incident.CmdNote, Actor: "UDAN", Text: "Error rate is 31% on `/pay` | see <https://grafana.example/d/1|dashboard> *now* &lt;script&gt; @octocat fixes #12"})
	b.do(time.Minute, incident.Command{Kind: incident.CmdStepAssign, Actor: "UDAN", StepID: "assess-impact"})
	b.do(time.Minute, incident.Command{Kind: incident.CmdStepDone, Actor: "UDAN", StepID: "assess-impact"})
	b.do(2*time.Minute, incident.Command{Kind: incident.CmdUpdate, Actor: "UBOB", Text: "Rolling back the 9:00 deploy; payments degraded."})
	b.do(3*time.Minute, incident.Command{Kind: incident.CmdStepDone, Actor: "UBOB", StepID: "mitigate"})
	b.do(time.Minute, incident.Command{Kind: incident.CmdStepSkip, Actor: "UBOB", StepID: "timeline", Text: "Dan should have written it down; no time."})
	b.do(time.Minute, incident.Command{Kind: incident.CmdStepDone, Actor: "UDAN", StepID: "hypothesis"})
	b.do(time.Minute, incident.Command{Kind: incident.CmdRequestApproval, Actor: "UDAN", StepID: "fix", What: "kubectl rollout undo deploy/pay", Where: "prod-eu"})
	b.do(time.Minute, incident.Command{Kind: incident.CmdApprove, Actor: "UBOB", StepID: "fix", Request: 1})
	b.do(time.Minute, incident.Command{Kind: incident.CmdStepDone, Actor: "UDAN", StepID: "fix"})
	b.do(time.Minute, incident.Command{Kind: incident.CmdResolve, Actor: "UBOB"})
	b.do(12*time.Minute, incident.Command{Kind: incident.CmdReopen, Actor: "UBOB", Text: "errors came back when traffic rose"})
	b.do(5*time.Minute, incident.Command{Kind: incident.CmdMitigated, Actor: "UBOB"})
	b.do(time.Minute, incident.Command{Kind: incident.CmdPinned, Actor: "UCAROL", User: "UDAN", Ref: "1.2", Text: "connection pool exhausted at 200"})
	b.do(time.Minute, incident.Command{Kind: incident.CmdFollowup, Actor: "UDAN", Text: "Alert on pool saturation above 80%"})
	b.do(time.Minute, incident.Command{Kind: incident.CmdFollowup, Actor: "UCAROL", Text: "Add a canary stage to the payments deploy | [x] done?"})
	b.do(time.Minute, incident.Command{Kind: incident.CmdStepDone, Actor: "UDAN", StepID: "guard"})
	b.do(time.Minute, incident.Command{Kind: incident.CmdResolve, Actor: "UBOB"})
	b.do(time.Minute, incident.Command{Kind: incident.CmdStepDone, Actor: "UBOB", StepID: "verify-metrics"})
	b.do(20*time.Minute, incident.Command{Kind: incident.CmdClose, Actor: "UBOB", Force: true, Text: "support confirmation will come tomorrow"})
	return b.inc, b.events
}

// bigIncident has n timeline events: mostly notes, with joins, updates
// and follow-ups mixed in, and long texts when long is set.
func bigIncident(t testing.TB, n int, long bool) (incident.Incident, []incident.Event) {
	b := declare(t, 42, "Database failover loop", "Everything was slow.", incident.Sev2)
	users := []string{"UALICE", "UBOB", "UCAROL", "UDAN"}
	text := func(i int) string {
		s := fmt.Sprintf("observation %d: p99 latency %d ms on db-%d", i, 100+i%900, i%7)
		if long {
			s += " " + strings.Repeat("*é@x| ", 300+i%500)
		}
		return s
	}
	for len(b.events) < n-2 {
		i := len(b.events)
		u := users[i%len(users)]
		var c incident.Command
		switch i % 10 {
		case 3:
			c = incident.Command{Kind: incident.CmdMemberJoined, Actor: "UALICE", User: fmt.Sprintf("UJ%d", i)}
		case 5:
			c = incident.Command{Kind: incident.CmdUpdate, Actor: u, Text: text(i)}
		case 7:
			if i%1000 == 7 {
				c = incident.Command{Kind: incident.CmdFollowup, Actor: u, Text: text(i)}
				break
			}
			fallthrough
		default:
			c = incident.Command{Kind: incident.CmdNote, Actor: u, Text: text(i)}
		}
		b.do(time.Second, c)
	}
	b.do(time.Second, incident.Command{Kind: incident.CmdResolve, Actor: "UALICE"})
	for len(b.events) < n-1 {
		b.do(time.Second, incident.Command{Kind: incident.CmdNote, Actor: "UALICE", Text: "still fine"})
	}
	b.do(time.Second, incident.Command{Kind: incident.CmdClose, Actor: "UALICE", Force: true, Text: "verified by hand"})
	return b.inc, b.events
}
