package templates

import (
	"encoding/json"
	"flag"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/firebreak-hq/firebreak/incident"
	"github.com/firebreak-hq/firebreak/internal/golden"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the current output")

var (
	t0  = time.Date(2026, 3, 14, 9, 26, 0, 0, time.UTC)
	ber = mustLoc("Europe/Berlin")
)

func mustLoc(name string) *time.Location {
	l, err := time.LoadLocation(name)
	if err != nil {
		return time.FixedZone("CET", 3600)
	}
	return l
}

// rich is an incident that exercises every part of the messages.
func rich() incident.Incident {
	at := func(m int) time.Time { return t0.Add(time.Duration(m) * time.Minute) }
	return incident.Incident{
		Number: 7, Title: "Checkout fails for EU customers & refunds stall",
		Impact:   "About 30% of EU checkouts return 500 since 09:10 UTC.\nRefunds queue is growing.",
		Severity: incident.Sev2, Status: incident.StatusMitigated, Playbook: "bad-deploy",
		Declarer: "U0DECL1", Lead: "U0LEAD1",
		Roles:   map[string]string{"scribe": "U0SCRB1", "comms": "U0COMM1"},
		Channel: "C0INC07", ChannelName: "inc-7-checkout-fails", VerifyWindow: 30 * time.Minute,
		DeclaredAt: at(0), MitigatedAt: at(42), LastUpdateAt: at(35), ReopenCount: 1,
		Steps: []incident.Step{
			{StepDef: incident.StepDef{ID: "freeze-deploys", Title: "Freeze deploys to the affected services", Phase: incident.PhaseStopBleeding, Role: "lead"},
				State: incident.StepDone, By: "U0LEAD1", At: at(5)},
			{StepDef: incident.StepDef{ID: "rollback", Title: "Roll back, or switch the feature flag off", Phase: incident.PhaseStopBleeding, Approval: true, Role: "deployer"},
				State: incident.StepDone, By: "U0DEPL1", At: at(40), Signoff: &incident.Approval{RequestedBy: "U0DEPL1", RequestedAt: at(30),
					What: "deployctl rollback checkout --to 4.11.2", Where: "prod-eu-1", ApprovedBy: "U0LEAD1", ApprovedAt: at(33)}},
			{StepDef: incident.StepDef{ID: "diff-review", Title: "Read the diff for the cause", Phase: incident.PhaseUnderstand},
				State: incident.StepOpen, Assignee: "U0DEPL1", AssignedAt: at(45)},
			{StepDef: incident.StepDef{ID: "blast-radius", Title: "Measure the blast radius", Phase: incident.PhaseUnderstand, Role: "scribe"},
				State: incident.StepSkipped, By: "U0SCRB1", At: at(50), SkipReason: "Covered by the payments dashboard export"},
			{StepDef: incident.StepDef{ID: "repair-data", Title: "Repair data written by the bad version", Phase: incident.PhaseFixForward, Approval: true},
				State: incident.StepOpen, Signoff: &incident.Approval{RequestedBy: "U0DEPL1", RequestedAt: at(55), What: "psql -f fix.sql", Where: "orders-db"}},
			{StepDef: incident.StepDef{ID: "ship-fix", Title: "Ship the fix", Phase: incident.PhaseFixForward, Approval: true}, State: incident.StepOpen},
			{StepDef: incident.StepDef{ID: "error-rates", Title: "Verify error rates are back to baseline", Phase: incident.PhaseVerify}, State: incident.StepOpen},
		},
		Followups: []incident.Followup{
			{N: 1, Text: "Add a canary stage for checkout", By: "U0LEAD1", At: at(60)},
			{N: 2, Text: "Alert on refund queue depth", By: "U0SCRB1", At: at(61)},
		},
	}
}

func closedRich() incident.Incident {
	inc := rich()
	inc.Status = incident.StatusClosed
	inc.ResolvedAt = t0.Add(95 * time.Minute)
	inc.ClosedAt = t0.Add(3 * time.Hour)
	return inc
}

func richEvents() []incident.Event {
	at := func(m int) time.Time { return t0.Add(time.Duration(m) * time.Minute) }
	f := func(kv ...string) map[string]string {
		m := map[string]string{}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	return []incident.Event{
		{Seq: 3, At: at(2), Actor: "U0DECL1", Kind: incident.EvLeadAssigned, Fields: f("user", "U0LEAD1")},
		{Seq: 1, At: at(0), Actor: "U0DECL1", Kind: incident.EvDeclared, Text: "Checkout fails for EU customers & refunds stall", Fields: f("severity", "sev3", "playbook", "bad-deploy")},
		{Seq: 2, At: at(0), Kind: incident.EvChannelCreated, Text: "inc-7-checkout-fails", Fields: f("channel", "C0INC07")},
		{Seq: 4, At: at(3), Actor: "U0LEAD1", Kind: incident.EvSeverityChanged, Fields: f("from", "sev3", "to", "sev2")},
		{Seq: 5, At: at(4), Actor: "U0LEAD1", Kind: incident.EvRoleAssigned, Fields: f("role", "scribe", "user", "U0SCRB1")},
		{Seq: 6, At: at(5), Actor: "U0LEAD1", Kind: incident.EvStepDone, Text: "Freeze deploys to the affected services", Fields: f("step", "freeze-deploys")},
		{Seq: 7, At: at(30), Actor: "U0DEPL1", Kind: incident.EvApprovalRequested, Text: "Roll back", Fields: f("step", "rollback", "what", "deployctl rollback checkout --to 4.11.2", "where", "prod-eu-1")},
		{Seq: 8, At: at(33), Actor: "U0LEAD1", Kind: incident.EvApprovalGranted, Fields: f("step", "rollback", "requested_by", "U0DEPL1")},
		{Seq: 9, At: at(35), Actor: "U0COMM1", Kind: incident.EvStatusUpdate, Text: "Rolled back in EU; errors dropping."},
		{Seq: 10, At: at(42), Actor: "U0DEPL1", Kind: incident.EvMitigated, Text: "every stop-the-bleeding step is finished", Fields: f("from", "active", "to", "mitigated")},
		{Seq: 11, At: at(50), Actor: "U0SCRB1", Kind: incident.EvStepSkipped, Text: "Covered by the payments dashboard export", Fields: f("step", "blast-radius")},
		{Seq: 12, At: at(52), Actor: "U0SCRB1", Kind: incident.EvNote, Text: "Cache flush at 09:08 matches the first errors."},
		{Seq: 13, At: at(53), Actor: "U0NEWB1", Kind: incident.EvMemberJoined, Fields: f("inviter", "U0LEAD1")},
		{Seq: 14, At: at(60), Actor: "U0LEAD1", Kind: incident.EvFollowup, Text: "Add a canary stage for checkout"},
		{Seq: 15, At: at(70), Actor: "U0LEAD1", Kind: incident.EvSnoozed, Fields: f("until", "2026-03-14T11:00:00Z")},
	}
}

func eff(kind incident.EffectKind, msg incident.MessageKind, text string, kv ...string) incident.Effect {
	// The fields are given in their stored form (strings by name), as an
	// outbox row holds them; a due time that is not one is left out.
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	if _, err := time.Parse(time.RFC3339, m["due"]); err != nil {
		delete(m, "due")
	}
	e := incident.Effect{Kind: kind, Msg: msg, Text: text}
	raw, err := json.Marshal(m)
	if err == nil {
		err = json.Unmarshal(raw, &e.Fields)
	}
	if err != nil {
		panic(err)
	}
	return e
}

func must(s string, err error) string {
	if err != nil {
		return "ERROR: " + err.Error()
	}
	return s
}

// goldenCases renders every function; the same list drives the hostile
// text test, so a new message is checked for escaping automatically.
func goldenCases(inc, closed incident.Incident, evs []incident.Event) map[string]string {
	A, P := incident.EffAnnounce, incident.EffPost
	now := t0.Add(75 * time.Minute)
	resolved := inc
	resolved.Status = incident.StatusResolved
	return map[string]string{
		"help":                      Help(),
		"declared_ephemeral":        DeclaredEphemeral(inc),
		"announce_declared":         must(Announcement(inc, eff(A, incident.MsgDeclared, ""))),
		"announce_severity_raised":  must(Announcement(inc, eff(A, incident.MsgSeverityChanged, "", "from", "sev3", "to", "sev2", "by", "U0LEAD1"))),
		"announce_severity_lowered": must(Announcement(inc, eff(A, incident.MsgSeverityChanged, "", "from", "sev2", "to", "sev4", "by", "U0LEAD1"))),
		"announce_mitigated":        must(Announcement(inc, eff(A, incident.MsgStatusChanged, inc.Steps[0].SkipReason, "from", "active", "to", "mitigated", "by", "U0DEPL1"))),
		"announce_resolved":         must(Announcement(resolved, eff(A, incident.MsgStatusChanged, "", "from", "mitigated", "to", "resolved", "by", "U0LEAD1"))),
		"announce_reopened":         must(Announcement(inc, eff(A, incident.MsgStatusChanged, "Errors are back in EU-west", "from", "resolved", "to", "active", "by", "U0LEAD1"))),
		"announce_closed":           must(Announcement(closed, eff(A, incident.MsgStatusChanged, "", "from", "resolved", "to", "closed", "by", "U0LEAD1"))),
		"announce_closed_forced":    must(Announcement(closed, eff(A, incident.MsgStatusChanged, "Verified by support, dashboards down", "from", "mitigated", "to", "closed", "by", "U0LEAD1"))),
		// The one closure announcement, sent once the postmortem is filed.
		"announce_closed_with_postmortem": must(Announcement(closed, eff(A, incident.MsgClosed, "https://github.com/acme/ops/issues/42",
			"url", "https://github.com/acme/ops/issues/42", "by", "U0LEAD1"))),
		"announce_closed_forced_with_postmortem": must(Announcement(closed, eff(A, incident.MsgClosed, "https://github.com/acme/ops/issues/42",
			"url", "https://github.com/acme/ops/issues/42", "by", "U0LEAD1", "reason", "Verified by support, dashboards down"))),
		"announce_closed_postmortem_failed": must(Announcement(closed, eff(A, incident.MsgClosed, "", "by", "U0LEAD1"))),
		"announce_status_update":            must(Announcement(inc, eff(A, incident.MsgStatusUpdate, impactText(inc), "by", "U0COMM1"))),
		"post_status_update":                must(ChannelMessage(inc, eff(P, incident.MsgStatusUpdate, impactText(inc), "by", "U0COMM1"))),
		"post_severity_changed":             must(ChannelMessage(inc, eff(P, incident.MsgSeverityChanged, "", "from", "sev3", "to", "sev1", "by", "U0LEAD1"))),
		"post_resolved":                     must(ChannelMessage(resolved, eff(P, incident.MsgStatusChanged, "", "from", "mitigated", "to", "resolved", "by", "U0LEAD1"))),
		"post_reopened":                     must(ChannelMessage(inc, eff(P, incident.MsgStatusChanged, "Errors are back", "from", "resolved", "to", "active", "by", "U0LEAD1"))),
		"post_lead_assigned":                must(ChannelMessage(inc, eff(P, incident.MsgLeadAssigned, "", "user", "U0LEAD1", "by", "U0DECL1"))),
		"post_role_assigned":                must(ChannelMessage(inc, eff(P, incident.MsgRoleAssigned, "", "role", "comms", "user", "U0COMM1", "by", "U0LEAD1"))),
		"post_approval_requested":           must(ChannelMessage(inc, eff(P, incident.MsgApprovalAsked, "Repair data", "step", "repair-data", "by", "U0DEPL1", "what", "psql -f fix.sql\n-- touches 1,204 rows", "where", "orders-db (primary, eu-1)"))),
		"post_approval_granted":             must(ChannelMessage(inc, eff(P, incident.MsgApproved, "Roll back", "step", "rollback", "by", "U0LEAD1", "requested_by", "U0DEPL1"))),
		"approval_withdrawn":                must(ApprovalWithdrawn(inc, eff(incident.EffWithdrawApproval, "", "Repair data", "step", "repair-data", "request", "1", "requested_by", "U0DEPL1", "by", "U0LEAD1", "what", "psql -f fix.sql", "where", "orders-db"))),
		"post_text":                         must(ChannelMessage(inc, eff(P, incident.MsgText, "Postmortem drafting has started."))),
		"reminder_update":                   must(ChannelMessage(inc, eff(P, incident.MsgReminder, "", "reminder", "update", "due", "2026-03-14T10:31:00Z"))),
		"reminder_lead":                     must(ChannelMessage(inc, eff(P, incident.MsgReminder, "", "reminder", "lead"))),
		"reminder_stale_step":               must(ChannelMessage(inc, eff(P, incident.MsgReminder, "", "reminder", "stale_step", "step", "diff-review", "due", "2026-03-14T11:11:00Z"))),
		"reminder_verify":                   must(ChannelMessage(resolved, eff(P, incident.MsgReminder, "", "reminder", "verify"))),
		"topic":                             Topic(inc),
		"card_summary":                      CardSummary(inc, ber),
		"step_lines":                        stepLines(inc),
		"status_summary":                    StatusSummary(inc, now, ber),
		"list":                              List([]incident.Incident{other(), inc, closed}, now, nil),
		"list_empty":                        List([]incident.Incident{closed}, now, nil),
		"timeline":                          Timeline(inc, evs, ber, 4000),
		"timeline_short":                    Timeline(inc, evs, nil, 600),
		"digest":                            Digest([]incident.Incident{other(), inc, closed}, t0.Add(10*time.Hour)),
		"digest_quiet":                      Digest(nil, t0),
		"digest_followups":                  Digest([]incident.Incident{other(), closed, longClosed(closed)}, t0.Add(10*time.Hour)),
		"followup_reminder":                 FollowupReminder(closed, "https://github.com/acme/ops/issues/42"),
		"closed_with_link":                  ClosedWithLink(closed, "https://github.com/acme/ops/issues/42"),
		"postmortem_failed":                 PostmortemFailed(closed, "GitHub said 404 Not Found for acme/ops"),
		"announce_private_declared":         must(Announcement(private(inc), eff(A, incident.MsgDeclared, ""))),
		"announce_private_update":           must(Announcement(private(inc), eff(A, incident.MsgStatusUpdate, impactText(inc), "by", "U0COMM1"))),
		"announce_private_resolved":         must(Announcement(private(resolved), eff(A, incident.MsgStatusChanged, "", "from", "mitigated", "to", "resolved", "by", "U0LEAD1"))),
		"card_summary_private":              CardSummary(private(inc), ber),
		"list_private_nonmember":            List([]incident.Incident{other(), private(inc)}, now, func(incident.Incident) bool { return false }),
		"list_private_member":               List([]incident.Incident{other(), private(inc)}, now, func(incident.Incident) bool { return true }),
		"digest_private":                    Digest([]incident.Incident{other(), private(inc), private(closed)}, t0.Add(10*time.Hour)),
		"brief":                             Brief(incident.MakeBrief(inc, evs, now), now, ber),
		"handover_dm":                       HandoverDM(incident.MakeBrief(inc, evs, now), "U0DECL1", "Rollback is half done: eu-1 still on the bad build.\nWatch the 5xx panel.", now, ber),
		"post_handover":                     must(ChannelMessage(inc, eff(P, incident.MsgHandover, "Rollback is half done.", "user", "U0COMM1", "from", "U0LEAD1", "by", "U0LEAD1"))),
		"home_lead":                         homeText(Home(HomeData{Viewer: "U0LEAD1", Incidents: []incident.Incident{other(), inc, closed}})),
		"home_deployer":                     homeText(Home(HomeData{Viewer: "U0DEPL1", Incidents: []incident.Incident{other(), inc, closed}})),
		"home_scribe":                       homeText(Home(HomeData{Viewer: "U0SCRB1", Incidents: []incident.Incident{inc}})),
		"home_quiet":                        homeText(Home(HomeData{Viewer: "U0SCRB1", Incidents: []incident.Incident{closed}})),
		"card_from_message":                 CardSummary(fromMessage(inc), ber),
		"timeline_from_message":             Timeline(fromMessage(inc), append([]incident.Event{fromMessageEvent(inc)}, evs...), ber, 4000),
	}
}

// longClosed is an incident closed 40 days before t0+10h with three
// follow-ups, one of them done: its two open ones are overdue.
func longClosed(closed incident.Incident) incident.Incident {
	old := closed
	old.Number, old.Title = 3, "Login loops"
	old.DeclaredAt = t0.Add(-40*24*time.Hour - 5*time.Hour)
	old.ClosedAt = t0.Add(-40 * 24 * time.Hour)
	old.Followups = []incident.Followup{{N: 1, Text: "a"}, {N: 2, Text: "b", ClosedAt: t0.Add(-time.Hour)}, {N: 3, Text: "c"}}
	return old
}

// fromMessage is inc declared from a chat message.
func fromMessage(inc incident.Incident) incident.Incident {
	inc.SourceURL = "https://acme.slack.com/archives/C0OPS01/p1773480300000100"
	return inc
}

func fromMessageEvent(inc incident.Incident) incident.Event {
	return incident.Event{Seq: 0, At: t0, Actor: "U0DECL1", Kind: incident.EvFromMessage,
		Text:   "Checkout is throwing 500s for EU users <since 09:10> & refunds are stuck",
		Fields: map[string]string{"author": "U0SUPP1", "link": fromMessage(inc).SourceURL}}
}

func homeText(sections []HomeSection) string {
	var b []string
	for _, s := range sections {
		b = append(b, "["+s.ID+"]\n"+s.Text)
	}
	return strings.Join(b, "\n")
}

func private(inc incident.Incident) incident.Incident {
	inc.Private = true
	return inc
}

func impactText(inc incident.Incident) string { return inc.Impact }

func stepLines(inc incident.Incident) string {
	var b []string
	for _, st := range inc.Steps {
		b = append(b, StepLine(st))
	}
	return strings.Join(b, "\n")
}

func other() incident.Incident {
	return incident.Incident{Number: 9, Title: "Search is slow", Severity: incident.Sev4, Status: incident.StatusActive,
		Declarer: "U0DECL2", Channel: "C0INC09", DeclaredAt: t0.Add(-26 * time.Hour)}
}

func TestGolden(t *testing.T) {
	for name, got := range goldenCases(rich(), closedRich(), richEvents()) {
		t.Run(name, func(t *testing.T) {
			if strings.HasPrefix(got, "ERROR:") || strings.Contains(got, "could not render") {
				t.Fatalf("render failed: %s", got)
			}
			golden.Check(t, "testdata/"+name+".golden", []byte(got), *update)
		})
	}
}

// hostile is text people could type (or paste) into any field.
var hostile = []string{
	"<!channel> everything is down",
	"ping <@U123> and <#C999|general>",
	"see <http://evil.example|your bank>",
	"R&D <b> & \"quotes\" > arrows",
	"bad utf8 \xff\xfe here \xc3",
	"```\n<!here>\n```",
	strings.Repeat("x<y&z ", 100*1024/6),
}

// allowedToken is every kind of markup the templates themselves add.
var allowedToken = regexp.MustCompile(`^<(?:@[UWB][A-Z0-9]+|#[CGD][A-Z0-9]+|https?://[^<>|\s]+\|[^<>]*)>`)

func hostileIncident(h string) (incident.Incident, []incident.Event) {
	inc := rich()
	inc.Title, inc.Impact = h, h
	inc.Steps[0].Title = h
	inc.Steps[3].SkipReason = h
	inc.Steps[2].Role = h
	inc.Roles[h] = "U0SCRB1"
	inc.Roles["x"] = h
	inc.Lead = h
	inc.Followups[0].Text = h
	evs := richEvents()
	for i := range evs {
		evs[i].Text = h
		for k := range evs[i].Fields {
			evs[i].Fields[k] = h
		}
	}
	return inc, evs
}

func TestHostileText(t *testing.T) {
	for i, h := range hostile {
		inc, evs := hostileIncident(h)
		closed := inc
		closed.Status, closed.ClosedAt = incident.StatusClosed, t0.Add(time.Hour)
		outs := goldenCases(inc, closed, evs)
		// Effects whose fields carry the hostile text as well.
		for _, m := range []incident.MessageKind{incident.MsgStatusUpdate, incident.MsgSeverityChanged, incident.MsgStatusChanged, incident.MsgDeclared} {
			outs["announce/"+string(m)] = must(Announcement(inc, eff(incident.EffAnnounce, m, h, "from", h, "to", h, "by", h)))
		}
		for _, m := range []incident.MessageKind{incident.MsgStatusUpdate, incident.MsgLeadAssigned, incident.MsgRoleAssigned, incident.MsgApprovalAsked, incident.MsgApproved} {
			outs["post/"+string(m)] = must(ChannelMessage(inc, eff(incident.EffPost, m, h, "role", h, "user", h, "by", h, "what", h, "where", h, "step", h, "requested_by", h)))
		}
		for _, r := range []string{"update", "lead", "stale_step", "verify"} {
			outs["reminder/"+r] = must(ChannelMessage(inc, eff(incident.EffPost, incident.MsgReminder, h, "reminder", r, "user", h, "step", h, "due", h)))
		}
		outs["postmortem_failed/reason"] = PostmortemFailed(inc, h)
		outs["closed_with_link/url"] = ClosedWithLink(inc, h)
		outs["followup_reminder/url"] = FollowupReminder(inc, "https://x.example/"+h)
		for name, out := range outs {
			t.Run(name, func(t *testing.T) {
				if strings.HasPrefix(out, "ERROR:") {
					t.Fatalf("hostile %d: %s", i, out)
				}
				checkSafe(t, out)
			})
		}
	}
}

func checkSafe(t *testing.T, out string) {
	t.Helper()
	if !utf8.ValidString(out) {
		t.Fatalf("output is not valid UTF-8: %q", clipForLog(out))
	}
	for i := strings.IndexByte(out, '<'); i >= 0; {
		tok := allowedToken.FindString(out[i:])
		if tok == "" {
			t.Fatalf("unescaped < at %d: %q", i, clipForLog(out[i:]))
		}
		if strings.Contains(tok, "U123") || strings.Contains(tok, "C999") || strings.Contains(tok, "evil") {
			t.Fatalf("user markup survived: %q", tok)
		}
		next := strings.IndexByte(out[i+1:], '<')
		if next < 0 {
			break
		}
		i += 1 + next
	}
	if strings.Contains(out, "<!") {
		t.Fatalf("special mention survived: %q", clipForLog(out))
	}
	if n := utf8.RuneCountInString(out); n > maxMessage {
		t.Fatalf("output is %d runes", n)
	}
}

func clipForLog(s string) string {
	if len(s) > 200 {
		return s[:200]
	}
	return s
}

func TestTopicLimit(t *testing.T) {
	for _, h := range hostile {
		inc, _ := hostileIncident(h)
		if n := utf8.RuneCountInString(Topic(inc)); n > 250 {
			t.Fatalf("topic is %d runes", n)
		}
	}
}

func TestTimelineBudget(t *testing.T) {
	inc := rich()
	evs := richEvents()
	for i := 0; i < 500; i++ {
		evs = append(evs, incident.Event{Seq: uint64(100 + i), At: t0.Add(time.Duration(100+i) * time.Minute), Actor: "U0LEAD1",
			Kind: incident.EvNote, Text: strings.Repeat("n", i%50)})
	}
	cases := []struct {
		name        string
		max         int
		wantOmitted bool
	}{
		{"everything fits", 1 << 20, false},
		{"some left out", 3000, true},
		{"tiny", 40, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out := Timeline(inc, evs, nil, c.max)
			if n := utf8.RuneCountInString(out); n > c.max {
				t.Fatalf("%d runes > %d", n, c.max)
			}
			if got := strings.Contains(out, "earlier events left out"); got != c.wantOmitted && c.max > 100 {
				t.Fatalf("omission note present=%v, want %v", got, c.wantOmitted)
			}
			if c.max > 100 && !strings.HasSuffix(out, "n") {
				// The newest event (a note of n's) must always be shown.
				t.Fatalf("newest event missing: …%q", out[max(0, len(out)-80):])
			}
		})
	}
}

func TestEffectKindChecked(t *testing.T) {
	inc := rich()
	cases := []struct {
		name string
		err  error
	}{
		{"announce wrong kind", second(Announcement(inc, eff(incident.EffPost, incident.MsgDeclared, "")))},
		{"announce unknown msg", second(Announcement(inc, eff(incident.EffAnnounce, incident.MsgLeadAssigned, "")))},
		{"post wrong kind", second(ChannelMessage(inc, eff(incident.EffAnnounce, incident.MsgText, "")))},
		{"post unknown msg", second(ChannelMessage(inc, eff(incident.EffPost, incident.MsgDeclared, "")))},
		{"unknown reminder", second(ChannelMessage(inc, eff(incident.EffPost, incident.MsgReminder, "", "reminder", "bogus")))},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.err == nil {
				t.Fatal("no error")
			}
		})
	}
}

func second(_ string, err error) error { return err }

func TestHelpCoversContract(t *testing.T) {
	h := Help()
	for _, sub := range []string{"list", "help", "status", "note", "update", "sev", "lead", "role", "followup", "mitigated", "resolve", "reopen", "close --force", "timeline", "new [sev1..sev4] [playbook:NAME]"} {
		if !strings.Contains(h, "`/incident "+sub) {
			t.Errorf("help does not cover %q", sub)
		}
	}
	checkSafe(t, h)
}

// TestTextHelpers: escaping, clipping and durations as people read them.
// That a clipped text stays within its limit is FuzzEscape's to check.
func TestTextHelpers(t *testing.T) {
	for _, c := range []struct{ name, got, want string }{
		{"escape plain", EscapeMrkdwn("hello"), "hello"},
		{"escape all three", EscapeMrkdwn("a & b < c > d"), "a &amp; b &lt; c &gt; d"},
		{"escape special mention", EscapeMrkdwn("<!channel>"), "&lt;!channel&gt;"},
		{"escape already escaped again", EscapeMrkdwn("&amp;"), "&amp;amp;"},
		{"escape invalid utf8", EscapeMrkdwn("a\xffb"), "a\uFFFDb"},
		{"escape leaves markdown", EscapeMrkdwn("*bold* _it_ `code`"), "*bold* _it_ `code`"},

		{"clip fits", Clip("hello", 5), "hello"},
		{"clip cut", Clip("hello world", 8), "hello w…"},
		{"clip drops trailing space", Clip("hello world", 7), "hello…"},
		{"clip to zero", Clip("hello", 0), ""},
		{"clip to one", Clip("hello", 1), "…"},
		{"clip runes", Clip("äöüßéèê", 4), "äöü…"},
		{"clip keeps entity whole", Clip("a &amp; b", 4), "a…"},
		{"clip entity fits", Clip("a &amp; b", 8), "a &amp;…"},
		{"clip keeps mention whole", Clip("hi <@U0123ABC> there", 10), "hi…"},
		{"clip mention fits", Clip("hi <@U0123ABC> there", 15), "hi <@U0123ABC>…"},
		{"clip keeps channel whole", Clip("<#C0INC07> x y", 9), "…"},
		{"clip invalid utf8 fits", Clip("a\xff", 5), "a\uFFFD"},

		{"human negative", human(-time.Second), "0s"},
		{"human seconds", human(45 * time.Second), "45s"},
		{"human minutes", human(12 * time.Minute), "12m"},
		{"human hour", human(time.Hour), "1h"},
		{"human hour and minutes", human(65 * time.Minute), "1h 5m"},
		{"human days and hours", human(49 * time.Hour), "2d 1h"},
		{"human days", human(72 * time.Hour), "3d"},
	} {
		if c.got != c.want {
			t.Errorf("%s: got %q, want %q", c.name, c.got, c.want)
		}
	}
}

var cutEntity = regexp.MustCompile(`&(a|am|amp|l|lt|g|gt)?…$`)

func FuzzEscape(f *testing.F) {
	for _, h := range hostile[:6] {
		f.Add(h, 10)
	}
	f.Add("&&&&&&&&", 5)
	f.Add("<<<>>>", 3)
	f.Add("äöüßéèê", 4)
	f.Add("a &amp; b", 4)
	f.Fuzz(func(t *testing.T, s string, max int) {
		max = max % 5000
		out := Clip(EscapeMrkdwn(s), max)
		if !utf8.ValidString(out) {
			t.Fatalf("invalid UTF-8: %q", out)
		}
		if strings.ContainsAny(out, "<>") {
			t.Fatalf("unescaped user markup: %q", out)
		}
		if max > 0 && utf8.RuneCountInString(out) > max {
			t.Fatalf("%d runes > %d", utf8.RuneCountInString(out), max)
		}
		if cutEntity.MatchString(out) {
			t.Fatalf("cut entity: %q", out)
		}
		// Every & in the output starts a whole entity.
		for i := strings.IndexByte(out, '&'); i >= 0; i = nextIndex(out, '&', i) {
			rest := out[i:]
			if !strings.HasPrefix(rest, "&amp;") && !strings.HasPrefix(rest, "&lt;") && !strings.HasPrefix(rest, "&gt;") {
				t.Fatalf("broken entity at %d: %q", i, out)
			}
		}
	})
}

func nextIndex(s string, b byte, i int) int {
	j := strings.IndexByte(s[i+1:], b)
	if j < 0 {
		return -1
	}
	return i + 1 + j
}

func BenchmarkStatusSummary(b *testing.B) {
	inc := rich()
	now := t0.Add(time.Hour)
	var n int
	for b.Loop() {
		n = len(StatusSummary(inc, now, ber))
	}
	b.ReportMetric(float64(n), "bytes/msg")
}

func BenchmarkTimeline500(b *testing.B) {
	inc := rich()
	evs := richEvents()
	for i := 0; i < 500; i++ {
		evs = append(evs, evs[len(evs)%15])
	}
	for b.Loop() {
		Timeline(inc, evs, nil, 3900)
	}
}
