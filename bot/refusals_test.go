package bot

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/firebreak-hq/firebreak/incident"
	goldenfile "github.com/firebreak-hq/firebreak/internal/golden"
	"github.com/firebreak-hq/firebreak/templates"
)

var updateGolden = flag.Bool("update", false, "rewrite testdata/*.golden from the current output")

var r0 = time.Date(2026, 3, 6, 16, 0, 0, 0, time.UTC)

// refusalCase is one refusal as a person reads it.
type refusalCase struct{ name, text string }

// everyRefusal renders every refusal a person can get in Slack: the
// parser's, the handlers' own, and the domain's for every command.
func everyRefusal(t *testing.T) []refusalCase {
	t.Helper()
	var out []refusalCase
	add := func(name string, err error) {
		t.Helper()
		if err == nil {
			t.Fatalf("%s: no refusal", name)
		}
		out = append(out, refusalCase{name, userText(err)})
	}

	// The parser.
	for _, in := range []string{
		"note", "update", "followup", "reopen", "cancel", "sev", "sev 9", "sev banana <b>", "lead", "lead @carol",
		"role comms", "close -f", "close now please", "new", "new sev2", "new sev9 x", "new playbook: x",
		"status page is down", "list open", "timeline please", "mitigated by the rollback", "resolve it",
		"status <!channel> & <@U123|x>", "page", "handover", "handover carol", "catchup now",
	} {
		_, err := ParseSlash(in)
		add("parse "+strconv.Quote(in), err)
	}

	// The handlers' own.
	boom := errors.New("dial tcp 127.0.0.1:1: connect: <refused> & gone")
	inc1 := incident.Incident{Number: 7}
	for _, s := range []Sub{SubStatus, SubNote, SubCancel} {
		out = append(out, refusalCase{"not in an incident channel: " + string(s), refuseNotInIncident(s)})
	}
	out = append(out,
		refusalCase{"database read", refuseDBRead(false)},
		refusalCase{"incident read", refuseDBRead(true)},
		refusalCase{"panic", refusePanic()},
		refusalCase{"form failed", refuseFormFailed()},
		refusalCase{"bad button", refuseBadButton(func() error { _, _, err := parseActionValue("<!here>:x"); return err }())},
		refusalCase{"stale card", refuseStaleCard(9)},
		refusalCase{"not a member", refuseNotMember(inc1)},
		refusalCase{"membership unknown", refuseMembershipUnknown(inc1)},
		refusalCase{"channel pending", refuseChannelPending(inc1)},
		refusalCase{"wrong channel", refuseWrongChannel(inc1)},
		refusalCase{"lead is a bot", personProblem("UBOT", "lead INC-7", &slack.User{ID: "UBOT", IsBot: true}, nil)},
		refusalCase{"lead is deactivated", personProblem("UOLD", "lead INC-7", &slack.User{ID: "UOLD", Deleted: true}, nil)},
		refusalCase{"lead is Slackbot", personProblem("USLACKBOT", "lead INC-7", &slack.User{ID: "USLACKBOT"}, nil)},
		refusalCase{"lead lookup failed", personProblem("UX", "lead INC-7", nil, boom)},
		refusalCase{"lead unknown to Slack", personProblem("UNOPE", "lead INC-7", nil, slack.SlackErrorResponse{Err: "user_not_found"})},
		refusalCase{"role holder is a bot", personProblem("UBOT", templates.PersonTask("INC-7", "comms"), &slack.User{ID: "UBOT", IsBot: true}, nil)},
		refusalCase{"review owner is a bot", personProblem("UBOT", templates.ReviewOwnerTask("INC-7"), &slack.User{ID: "UBOT", IsBot: true}, nil)},
		refusalCase{"unknown step", refuseUnknownStep(inc1, "<drop-table>")},
		refusalCase{"unknown button", refuseUnknownButton("step.<frob>")},
		refusalCase{"foreign workspace", templates.ForeignWorkspace()},
		refusalCase{"unreadable command", templates.UnreadableCommand()},
	)
	add("unknown playbook", refuseNoPlaybook("<bad>", []string{"general", "bad-deploy"}))
	add("paging not set up", (&Bot{}).checkPageTarget("db"))
	add("unknown page target", (&Bot{cfg: Config{PageTargets: []string{"pagerduty", "db-oncall"}}}).checkPageTarget("<dba>"))
	for _, c := range []struct {
		text       string
		inIncident bool
	}{{"stauts", true}, {"<frob> & co", true}, {"udpate", false}, {strings.Repeat("y ", maxButtonValue), true}} {
		text, _ := typoReply(c.text, Suggest(strings.Fields(c.text)[0]), c.inIncident)
		out = append(out, refusalCase{fmt.Sprintf("typo %.20q (in an incident channel: %v)", c.text, c.inIncident), text})
	}
	errs := approvalFieldErrors("", strings.Repeat("x", 501))
	for _, block := range []string{"what", "where"} {
		// Modal errors are plain text: still sentences.
		out = append(out, refusalCase{"approval form: " + block, errs[block]})
	}
	add("storage", boom)
	add("storage full", fmt.Errorf("commit: %w: %w", ErrStorageFull, boom))
	add("storage read-only", fmt.Errorf("commit: %w: %w", ErrStorageReadOnly, boom))

	// The domain: declarations.
	pb := incident.DefaultPlaybook()
	for _, d := range []struct {
		name string
		d    incident.Declaration
	}{
		{"declare without title", incident.Declaration{Declarer: "UALICE", Playbook: pb}},
		{"declare title too long", incident.Declaration{Title: strings.Repeat("x", incident.MaxTitle+1), Declarer: "UALICE", Playbook: pb}},
		{"declare without declarer", incident.Declaration{Title: "x", Playbook: pb}},
		{"declare bad severity", incident.Declaration{Title: "x", Declarer: "UALICE", Severity: "sev<9>", Playbook: pb}},
		{"declare impact too long", incident.Declaration{Title: "x", Declarer: "UALICE", Impact: strings.Repeat("x", incident.MaxText+1), Playbook: pb}},
	} {
		_, err := incident.Declare(1, d.d, r0)
		add(d.name, err)
	}

	// The domain: commands, from the state each refusal needs.
	declared := func() incident.Incident {
		res, err := incident.Declare(1, incident.Declaration{Title: "Checkout <500>", Declarer: "UALICE", Severity: incident.Sev2, Playbook: pb}, r0)
		if err != nil {
			t.Fatal(err)
		}
		return res.Incident
	}
	then := func(inc incident.Incident, cmds ...incident.Command) incident.Incident {
		t.Helper()
		for _, c := range cmds {
			res, err := incident.Apply(inc, c, r0.Add(time.Minute))
			if err != nil {
				t.Fatalf("setting up %s: %v", c.Kind, err)
			}
			inc = res.Incident
		}
		return inc
	}
	active := declared()
	led := then(active, incident.Command{Kind: incident.CmdLead, Actor: "UALICE", User: "UBOB"},
		incident.Command{Kind: incident.CmdRole, Actor: "UALICE", Role: "comms", User: "UCAROL"},
		incident.Command{Kind: incident.CmdStepDone, Actor: "UBOB", StepID: "assess-impact"},
		incident.Command{Kind: incident.CmdStepAssign, Actor: "UBOB", StepID: "timeline"})
	asked := then(active, incident.Command{Kind: incident.CmdRequestApproval, Actor: "UBOB", StepID: "fix", What: "rollback.sh", Where: "prod"})
	approved := then(asked, incident.Command{Kind: incident.CmdApprove, Actor: "UCAROL", StepID: "fix", Request: asked.Steps[stepIndex(t, asked, "fix")].Signoff.ID})
	mitigated := then(active, incident.Command{Kind: incident.CmdMitigated, Actor: "UALICE"})
	resolved := then(active, incident.Command{Kind: incident.CmdResolve, Actor: "UALICE"})
	closed := then(active, incident.Command{Kind: incident.CmdClose, Actor: "UALICE", Force: true, Text: "done"})
	cancelled := then(active, incident.Command{Kind: incident.CmdCancel, Actor: "UALICE", Text: "typo"})
	long := strings.Repeat("x", incident.MaxText+1)
	cmd := func(k incident.CommandKind) incident.Command { return incident.Command{Kind: k, Actor: "UBOB"} }
	with := func(c incident.Command, f func(*incident.Command)) incident.Command { f(&c); return c }
	cases := []struct {
		name string
		inc  incident.Incident
		cmd  incident.Command
		at   time.Duration
	}{
		{"no acting user", active, incident.Command{Kind: incident.CmdNote, Text: "x"}, 0},
		{"empty note", active, cmd(incident.CmdNote), 0},
		{"note too long", active, with(cmd(incident.CmdNote), func(c *incident.Command) { c.Text = long }), 0},
		{"empty update", active, cmd(incident.CmdUpdate), 0},
		{"empty follow-up", active, cmd(incident.CmdFollowup), 0},
		{"bad severity", active, with(cmd(incident.CmdSeverity), func(c *incident.Command) { c.Severity = "sev<0>" }), 0},
		{"same severity", active, with(cmd(incident.CmdSeverity), func(c *incident.Command) { c.Severity = incident.Sev2 }), 0},
		{"lead without user", active, cmd(incident.CmdLead), 0},
		{"same lead", led, with(cmd(incident.CmdLead), func(c *incident.Command) { c.User = "UBOB" }), 0},
		{"handover without user", active, cmd(incident.CmdHandover), 0},
		{"handover to the lead", led, with(cmd(incident.CmdHandover), func(c *incident.Command) { c.User = "UBOB" }), 0},
		{"bad role name", active, with(cmd(incident.CmdRole), func(c *incident.Command) { c.Role = "<b>"; c.User = "UBOB" }), 0},
		{"role without user", active, with(cmd(incident.CmdRole), func(c *incident.Command) { c.Role = "comms" }), 0},
		{"same role", led, with(cmd(incident.CmdRole), func(c *incident.Command) { c.Role = "comms"; c.User = "UCAROL" }), 0},
		{"mitigated twice", mitigated, cmd(incident.CmdMitigated), 0},
		{"resolve twice", resolved, cmd(incident.CmdResolve), 0},
		{"reopen while active", active, cmd(incident.CmdReopen), 0},
		{"reopen by a bystander", resolved, with(cmd(incident.CmdReopen), func(c *incident.Command) { c.Actor = "UCAROL"; c.Text = "x" }), 0},
		{"reopen without reason", resolved, with(cmd(incident.CmdReopen), func(c *incident.Command) { c.Actor = "UALICE" }), 0},
		{"force close by a bystander", active, with(cmd(incident.CmdClose), func(c *incident.Command) { c.Actor = "UCAROL"; c.Force = true; c.Text = "x" }), 0},
		{"force close without reason", active, with(cmd(incident.CmdClose), func(c *incident.Command) { c.Actor = "UALICE"; c.Force = true }), 0},
		{"close with verify steps open", resolved, cmd(incident.CmdClose), 0},
		{"unknown step", active, with(cmd(incident.CmdStepDone), func(c *incident.Command) { c.StepID = "<nope>" }), 0},
		{"step already done", led, with(cmd(incident.CmdStepDone), func(c *incident.Command) { c.StepID = "assess-impact" }), 0},
		{"done needs approval", active, with(cmd(incident.CmdStepDone), func(c *incident.Command) { c.StepID = "fix" }), 0},
		{"done awaits approval", asked, with(cmd(incident.CmdStepDone), func(c *incident.Command) { c.StepID = "fix" }), 0},
		{"skip without reason", active, with(cmd(incident.CmdStepSkip), func(c *incident.Command) { c.StepID = "timeline" }), 0},
		{"assign to the assignee", led, with(cmd(incident.CmdStepAssign), func(c *incident.Command) { c.StepID = "timeline" }), 0},
		{"approval for an ordinary step", active, with(cmd(incident.CmdRequestApproval), func(c *incident.Command) { c.StepID = "timeline"; c.What = "x"; c.Where = "y" }), 0},
		{"approval already given", approved, with(cmd(incident.CmdRequestApproval), func(c *incident.Command) { c.StepID = "fix"; c.What = "x"; c.Where = "y" }), 0},
		{"approval without what", active, with(cmd(incident.CmdRequestApproval), func(c *incident.Command) { c.StepID = "fix"; c.Where = "y" }), 0},
		{"approval without where", active, with(cmd(incident.CmdRequestApproval), func(c *incident.Command) { c.StepID = "fix"; c.What = "x" }), 0},
		{"approve an ordinary step", active, with(cmd(incident.CmdApprove), func(c *incident.Command) { c.StepID = "timeline" }), 0},
		{"approve without request", active, with(cmd(incident.CmdApprove), func(c *incident.Command) { c.StepID = "fix" }), 0},
		{"approve twice", approved, with(cmd(incident.CmdApprove), func(c *incident.Command) { c.StepID = "fix"; c.Actor = "UDAVE" }), 0},
		{"approve own request", asked, with(cmd(incident.CmdApprove), func(c *incident.Command) { c.StepID = "fix"; c.Request = 1 }), 0},
		{"approve a withdrawn request", asked, with(cmd(incident.CmdApprove), func(c *incident.Command) { c.StepID = "fix"; c.Actor = "UCAROL"; c.Request = 7 }), 0},
		{"approve with a button naming no request", asked, with(cmd(incident.CmdApprove), func(c *incident.Command) { c.StepID = "fix"; c.Actor = "UCAROL" }), 0},
		{"approver runs the step", approved, with(cmd(incident.CmdStepDone), func(c *incident.Command) { c.StepID = "fix"; c.Actor = "UCAROL" }), 0},
		{"pin without ts", active, cmd(incident.CmdPinned), 0},
		{"join without user", active, cmd(incident.CmdMemberJoined), 0},
		{"pinned text without ts", active, cmd(incident.CmdPinnedText), 0},
		{"snooze into the past", active, cmd(incident.CmdSnooze), 0},
		{"unknown command", active, cmd("frobnicate"), 0},
		{"cancel by a bystander", active, with(cmd(incident.CmdCancel), func(c *incident.Command) { c.Actor = "UCAROL"; c.Text = "x" }), 0},
		{"cancel without reason", active, with(cmd(incident.CmdCancel), func(c *incident.Command) { c.Actor = "UALICE" }), 0},
		{"cancel too late", active, with(cmd(incident.CmdCancel), func(c *incident.Command) { c.Actor = "UALICE"; c.Text = "x" }), 25 * time.Minute},
		{"note on a closed incident", closed, with(cmd(incident.CmdNote), func(c *incident.Command) { c.Text = "x" }), 0},
		{"cancel a closed incident", closed, with(cmd(incident.CmdCancel), func(c *incident.Command) { c.Text = "x" }), 0},
		{"note on a cancelled incident", cancelled, with(cmd(incident.CmdNote), func(c *incident.Command) { c.Text = "x" }), 0},
		{"page without target", active, cmd(incident.CmdPage), 0},
		{"page message too long", active, with(cmd(incident.CmdPage), func(c *incident.Command) { c.Ref = "db"; c.Text = strings.Repeat("x", 1001) }), 0},
		{"page twice", then(active, with(cmd(incident.CmdPage), func(c *incident.Command) { c.Ref = "db" })), with(cmd(incident.CmdPage), func(c *incident.Command) { c.Ref = "db" }), 0},
	}
	for _, c := range cases {
		_, err := incident.Apply(c.inc, c.cmd, r0.Add(time.Minute+c.at))
		add("command: "+c.name, err)
	}
	add("transition from an unknown status", incident.Allowed("bogus", incident.CmdNote))
	_, err := incident.ParseSeverity("<9>")
	add("severity word", err)
	return out
}

func stepIndex(t *testing.T, inc incident.Incident, id string) int {
	t.Helper()
	for i, st := range inc.Steps {
		if st.ID == id {
			return i
		}
	}
	t.Fatalf("%s has no step %q", inc.ID(), id)
	return -1
}

// allowedSlack is the markup Firebreak writes on purpose.
var allowedSlack = regexp.MustCompile(`<@[UW][A-Z0-9]+(\|[^<>]*)?>|<#[CG][A-Z0-9]+(\|[^<>]*)?>|<https?://[^\s<>|]+(\|[^<>]*)?>|&(amp|lt|gt);`)

// TestEveryRefusalRenders checks what people read when Firebreak says no:
// no raw <, > or & outside Slack's own mention and link syntax (Slack
// would swallow "<text>" as a link), a capital letter first and a full
// stop last. The texts are kept in testdata/refusals.golden.
func TestEveryRefusalRenders(t *testing.T) {
	cases := everyRefusal(t)
	var b strings.Builder
	for _, c := range cases {
		fmt.Fprintf(&b, "## %s\n%s\n\n", c.name, c.text)
		rest := allowedSlack.ReplaceAllString(c.text, "")
		if strings.ContainsAny(rest, "<>&") {
			t.Errorf("%s: raw <, > or & in %q", c.name, c.text)
		}
		if r, _ := utf8.DecodeRuneInString(c.text); !unicode.IsUpper(r) {
			t.Errorf("%s: does not start with a capital: %q", c.name, c.text)
		}
		if !strings.HasSuffix(c.text, ".") {
			t.Errorf("%s: does not end with a full stop: %q", c.name, c.text)
		}
	}
	golden(t, "refusals.golden", b.String())
}

// TestRefusalsCovered makes "every refusal" hold as the code grows: each
// refusal written in the domain's command code and in the parser must be
// among those TestEveryRefusalRenders renders.
func TestRefusalsCovered(t *testing.T) {
	var all strings.Builder
	for _, c := range everyRefusal(t) {
		all.WriteString(c.text + "\n")
	}
	// The times subcommand's refusals are rendered by TestTimesTexts.
	times, err := os.ReadFile("testdata/times.golden")
	if err != nil {
		t.Fatal(err)
	}
	rendered := all.String() + string(times)
	// The domain's command code names its refusals (refuse(Code, Phrase));
	// templates/phrases.go words each phrase, templates/usage.go the
	// parser's and templates/handlers.go the handlers' own.
	named := map[string]bool{}
	for _, f := range []string{"../incident/apply.go", "../incident/cancel.go", "../incident/commands.go", "../incident/pages.go", "../incident/handover.go"} {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range regexp.MustCompile(`refuse\(Code\w+,\s*(Refuse\w+)`).FindAllStringSubmatch(string(src), -1) {
			named[m[1]] = true
		}
	}
	if len(named) < 40 {
		t.Fatalf("found only %d refusals in the domain's command code", len(named))
	}
	wording, err := os.ReadFile("../templates/phrases.go")
	if err != nil {
		t.Fatal(err)
	}
	var worded strings.Builder
	for _, m := range regexp.MustCompile(`(?m)^\s*incident\.(Refuse\w+):\s*(".*"),$`).FindAllStringSubmatch(string(wording), -1) {
		if named[m[1]] {
			worded.WriteString("userErr(" + m[2] + ")\n")
			delete(named, m[1])
		}
	}
	for n := range named {
		t.Errorf("incident.%s has no wording in templates/phrases.go", n)
	}
	// The parser's refusals without parameters are worded in a table too.
	usage, err := os.ReadFile("../templates/usage.go")
	if err != nil {
		t.Fatal(err)
	}
	usages := regexp.MustCompile(`(?m)^\s*Usage\w+:\s*(".*"),$`).FindAllStringSubmatch(string(usage), -1)
	if len(usages) < 10 {
		t.Fatalf("found only %d parser refusals in templates/usage.go", len(usages))
	}
	for _, m := range usages {
		worded.WriteString("userErr(" + m[1] + ")\n")
	}
	lit := regexp.MustCompile(`(?:userErr\(|Sentence\(|return )(?:fmt\.Sprintf\()?\s*("(?:[^"\\]|\\.)*")`)
	sources := map[string]string{"../templates/phrases.go": worded.String()}
	files := []string{"../templates/phrases.go", "../templates/usage.go", "../templates/handlers.go"}
	for _, f := range files {
		src, ok := []byte(sources[f]), sources[f] != ""
		if !ok {
			if src, err = os.ReadFile(f); err != nil {
				t.Fatal(err)
			}
		}
		for _, m := range lit.FindAllStringSubmatch(string(src), -1) {
			s, err := strconv.Unquote(m[1])
			if err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			// The fixed words before the first verb must appear, escaped
			// and capitalised as people read them.
			if i := strings.Index(s, "%"); i >= 0 {
				s = s[:i]
			}
			s = strings.TrimSpace(s)
			if len(s) < 4 {
				continue
			}
			want := capitalise(strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s))
			if !strings.Contains(rendered, want) && !strings.Contains(rendered, strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)) {
				t.Errorf("%s: the refusal %q is not rendered by everyRefusal; add a case for it", filepath.Base(f), m[1])
			}
		}
	}
}

func capitalise(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	return string(unicode.ToUpper(r)) + s[n:]
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	goldenfile.Check(t, "testdata/"+name, []byte(got), *updateGolden)
}
