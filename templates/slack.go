package templates

import (
	"embed"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"text/template"
	"time"

	"github.com/firebreak-hq/firebreak/incident"
)

// The Slack templates only lay text out. Every value they receive is
// already safe mrkdwn (built by the view functions below), so escaping
// happens in one place and a template cannot forget it.
//
//go:embed slack/*.tmpl
var slackFS embed.FS

var slackTmpl = template.Must(template.New("slack").Funcs(template.FuncMap{
	"join": strings.Join,
}).ParseFS(slackFS, "slack/*.tmpl"))

// Limits on rendered text. Slack accepts 40,000 characters in a message
// and 3,000 in a Block Kit section; the bot splits long messages into
// sections, so a status update (up to the domain's 20,000 characters) is
// posted whole, while titles, reasons and code stay short enough that one
// pasted log cannot push the rest of a message out.
const (
	maxMessage   = 24000
	maxSection   = 3000
	maxTopic     = 250
	maxTitleLen  = 200
	maxImpactLen = 500
	maxQuoteLen  = 21000
	maxReasonLen = 300
	maxCodeLen   = 2000
	maxListRows  = 30
	maxOpenSteps = 15
)

// renderSlack runs one named template. Template errors are programming
// errors caught by the tests; they are still returned, never panicked,
// because a bot must not die over one message.
func renderSlack(name string, data any, max int) (string, error) {
	var b strings.Builder
	if err := slackTmpl.ExecuteTemplate(&b, name, data); err != nil {
		return "", fmt.Errorf("render %s: %w", name, err)
	}
	return Clip(tidy(b.String()), max), nil
}

// mustSlack is for messages with no error in their signature; the
// fallback says what went wrong rather than posting nothing.
func mustSlack(name string, data any, max int) string {
	s, err := renderSlack(name, data, max)
	if err != nil {
		return "(Firebreak could not render this message: " + EscapeMrkdwn(err.Error()) + ")"
	}
	return s
}

var blankRuns = regexp.MustCompile(`\n{3,}`)

// tidy lets templates be written readably: trailing spaces go, and no
// more than one blank line survives.
func tidy(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " \t")
	}
	return strings.TrimSpace(blankRuns.ReplaceAllString(strings.Join(lines, "\n"), "\n\n"))
}

// incView is an incident as messages show it; every field is safe mrkdwn.
type incView struct {
	ID, Title, Sev, SevEmoji, Status, StatusEmoji string
	Lead, Declarer, Channel, Declared, Impact     string
	Phase, Age                                    string
	Done, Total                                   int
	// LongTitle: the card's plain-text header (150 characters) cuts the
	// title, so the summary repeats it in full.
	LongTitle bool
	// Private: the incident is private (shown on the card).
	Private bool
}

func viewOf(inc incident.Incident, loc *time.Location, now time.Time) incView {
	v := incView{
		ID:          inc.ID(),
		Title:       clipText(oneLine(inc.Title), maxTitleLen),
		Sev:         sevLabel(inc.Severity),
		SevEmoji:    sevEmoji(inc.Severity),
		Status:      EscapeMrkdwn(string(inc.Status)),
		StatusEmoji: statusEmoji(inc.Status),
		Lead:        mention(inc.Lead),
		Declarer:    mention(inc.Declarer),
		Channel:     channelLink(inc.Channel),
		Declared:    when(inc.DeclaredAt, loc),
		Impact:      clipText(strings.TrimSpace(inc.Impact), maxImpactLen),
		Phase:       PhaseTitle(inc.CurrentPhase()),
		Total:       len(inc.Steps),
		LongTitle:   len([]rune(inc.ID()+" · "+strings.Join(strings.Fields(inc.Title), " "))) > 150,
		Private:     inc.Private,
	}
	if inc.Lead == "" {
		v.Lead = "_nobody yet_"
	}
	for _, s := range inc.Steps {
		if s.Finished() {
			v.Done++
		}
	}
	switch {
	case inc.Status == incident.StatusClosed && !inc.ClosedAt.IsZero():
		v.Age = "lasted " + human(inc.ClosedAt.Sub(inc.DeclaredAt))
	case !now.IsZero():
		v.Age = "open " + human(now.Sub(inc.DeclaredAt))
	}
	return v
}

func sevLabel(s incident.Severity) string {
	if s.Valid() {
		return strings.ToUpper(string(s))
	}
	return EscapeMrkdwn(string(s))
}

var sevEmojis = map[incident.Severity]string{
	incident.Sev1: ":red_circle:", incident.Sev2: ":large_orange_circle:", incident.Sev3: ":large_yellow_circle:",
}

func sevEmoji(s incident.Severity) string { return wordFor(sevEmojis, s, ":white_circle:") }

var statusEmojis = map[incident.Status]string{
	incident.StatusActive: ":fire:", incident.StatusMitigated: ":adhesive_bandage:",
	incident.StatusResolved: ":white_check_mark:", incident.StatusCancelled: ":no_entry_sign:",
}

func statusEmoji(s incident.Status) string { return wordFor(statusEmojis, s, ":lock:") }

// wordFor is words' entry for k, or otherwise when it has none.
func wordFor[K comparable](words map[K]string, k K, otherwise string) string {
	if w, ok := words[k]; ok {
		return w
	}
	return otherwise
}

// quote shows user text as a Slack block quote, every line marked.
func quote(s string) string {
	t := clipText(strings.TrimSpace(s), maxQuoteLen)
	return ">" + strings.ReplaceAll(t, "\n", "\n>")
}

// Help is the usage of every /incident subcommand.
func Help() string { return mustSlack("help", nil, maxMessage) }

// DeclaredEphemeral tells the declarer the incident exists, where its
// channel is, and what to do first.
func DeclaredEphemeral(inc incident.Incident) string {
	return mustSlack("declared_ephemeral", viewOf(inc, nil, time.Time{}), maxMessage)
}

// effView carries an effect's fields, escaped, next to the incident.
type effView struct {
	Inc                      incView
	By, User, From, To, Text string
	Arrow, Word, Role, Step  string
	What, Where, Quote       string
	Since, Window            string
	Link                     string
	// Alert is what a message about alerts or a page says of them.
	Alert alertView
}

func effViewOf(inc incident.Incident, e incident.Effect) effView {
	f := e.Fields
	v := effView{
		Inc:  viewOf(inc, nil, time.Time{}),
		By:   mention(f.By),
		User: mention(f.User),
		From: EscapeMrkdwn(f.From),
		To:   EscapeMrkdwn(f.To),
		Text: clipText(oneLine(RecordedText(e.Text)), maxReasonLen),
	}
	if inc.VerifyWindow > 0 {
		v.Window = human(inc.VerifyWindow)
	}
	return v
}

func (v *effView) severity(f incident.EffectFields) {
	from, to := incident.Severity(f.From), incident.Severity(f.To)
	v.From, v.To = sevLabel(from), sevLabel(to)
	v.Arrow, v.Word = ":arrow_down:", "lowered"
	if to.Rank() < from.Rank() {
		v.Arrow, v.Word = ":arrow_up:", "raised"
	}
}

// approval shows the step an approval request is about, what will be run
// and where.
func (v *effView) approval(inc incident.Incident, e incident.Effect) {
	v.Step = stepTitle(inc, e.Fields.Step, e.Text)
	v.What = codeBlock(Clip(e.Fields.What, maxCodeLen))
	v.Where = codeBlock(Clip(e.Fields.Where, maxCodeLen))
}

// kindIs refuses to render an effect of another kind than want; what
// names the renderer.
func kindIs(what string, e incident.Effect, want incident.EffectKind) error {
	if e.Kind != want {
		return fmt.Errorf("%s: effect kind %q is not %q", what, e.Kind, want)
	}
	return nil
}

// ApprovalWithdrawn is what a withdrawn approval request's message is
// replaced with: the request it made, struck, and why it no longer counts.
func ApprovalWithdrawn(inc incident.Incident, e incident.Effect) (string, error) {
	if err := kindIs("withdrawn approval", e, incident.EffWithdrawApproval); err != nil {
		return "", err
	}
	v := effViewOf(inc, e)
	v.approval(inc, e)
	v.User = mention(e.Fields.RequestedBy)
	return renderSlack("approval_withdrawn", v, maxMessage)
}

// stepTitle prefers the title in the incident's checklist, so a message
// matches the card even when the effect was written by an older version.
func stepTitle(inc incident.Incident, id, fallback string) string {
	if st, _, ok := inc.Step(id); ok {
		return clipText(oneLine(st.Title), maxTitleLen)
	}
	if fallback != "" {
		return clipText(oneLine(fallback), maxTitleLen)
	}
	return EscapeMrkdwn(id)
}

// Reminder renders a reminder as it is posted at now: how long the
// incident went without an update is measured to the moment people read
// it, not to when the reminder fell due.
func Reminder(inc incident.Incident, e incident.Effect, now time.Time) (string, error) {
	if e.Kind != incident.EffPost || e.Msg != incident.MsgReminder {
		return "", fmt.Errorf("reminder: effect %q/%q is not a reminder post", e.Kind, e.Msg)
	}
	return reminder(inc, e, effViewOf(inc, e), now)
}

func reminder(inc incident.Incident, e incident.Effect, v effView, now time.Time) (string, error) {
	f := e.Fields
	at := f.Due
	if !now.IsZero() && now.After(at) {
		at = now
	}
	since := func(t time.Time) string {
		if at.IsZero() || t.IsZero() || at.Before(t) {
			return ""
		}
		return Elapsed(at.Sub(t))
	}
	who := func(ids ...string) string {
		for _, id := range ids {
			if id != "" {
				return mention(id)
			}
		}
		return "everyone here"
	}
	var name string
	switch f.Reminder {
	case incident.ReminderUpdate:
		last := inc.LastUpdateAt
		if last.IsZero() {
			last = inc.DeclaredAt
		}
		v.User, v.Since = who(f.User, inc.Owner()), since(last)
		name = "reminder_update"
	case incident.ReminderLead:
		v.User = who(f.User, inc.Declarer)
		name = "reminder_lead"
	case incident.ReminderStaleStep:
		st, _, _ := inc.Step(f.Step)
		v.Step = stepTitle(inc, f.Step, "")
		v.User, v.Since = who(f.User, st.Assignee, inc.Lead), since(st.AssignedAt)
		name = "reminder_stale_step"
	case incident.ReminderVerify:
		v.User = who(f.User, inc.Owner())
		name = "reminder_verify"
	default:
		return "", fmt.Errorf("channel message: unknown reminder %q", f.Reminder)
	}
	return renderSlack(name, v, maxMessage)
}

// Topic is the incident channel's topic. Topics do not render mentions,
// so it names no people; the title is still escaped, because Slack reads
// &, < and > as markup in every text it is sent.
func Topic(inc incident.Incident) string {
	return mustSlack("topic", viewOf(inc, nil, time.Time{}), maxTopic)
}

// CardSummary is the card's header section.
func CardSummary(inc incident.Incident, loc *time.Location) string {
	s := mustSlack("card_summary", viewOf(inc, loc, time.Time{}), maxSection)
	// The link to the message it was declared from, when there is room
	// for it whole (a cut link would be worse than none).
	if l := FromMessageLine(inc); l != "" && runeLen(s)+1+runeLen(l) <= maxSection {
		s += "\n" + l
	}
	return s
}

type stepView struct {
	Emoji, Title, Role, Assignee, By, Reason, Approval string
	Done, Skipped                                      bool
}

// StepLine is one checklist line on the card or in a summary.
func StepLine(st incident.Step) string {
	v := stepView{
		Title: clipText(oneLine(st.Title), 150),
		Role:  EscapeMrkdwn(st.Role),
		By:    mention(st.By),
	}
	switch st.State {
	case incident.StepDone:
		v.Emoji, v.Done = ":white_check_mark:", true
	case incident.StepSkipped:
		v.Emoji, v.Skipped = ":fast_forward:", true
		v.Title = "~" + v.Title + "~"
		v.Reason = clipText(oneLine(st.SkipReason), maxReasonLen)
	default:
		v.Emoji = ":white_large_square:"
		if st.Assignee != "" {
			v.Assignee = mention(st.Assignee)
		}
	}
	if st.Approval {
		switch a := st.Signoff; {
		case a.Approved():
			// Who asked and who approved are two facts, beside who ran it.
			v.Approval = ":unlock: asked by " + mention(a.RequestedBy) + ", approved by " + mention(a.ApprovedBy)
		case a != nil:
			// The card's Approve button answers this request, so the card
			// shows what it would approve: the same render gives both.
			v.Approval = ":hourglass_flowing_sand: awaiting approval (asked by " + mention(a.RequestedBy) + ")"
			if a.What != "" {
				v.Approval += " to run `" + clipText(oneLine(a.What), 200) + "` on `" + clipText(oneLine(a.Where), 100) + "`"
			}
		default:
			v.Approval = ":lock: needs approval"
		}
	}
	return mustSlack("step_line", v, maxSection)
}

// FollowupReminder is the DM to the lead some business days after close,
// listing the follow-ups not done yet.
func FollowupReminder(inc incident.Incident, issueURL string) string {
	v := struct {
		Inc          incView
		Closed, Link string
		Followups    []string
		More         int
	}{Inc: viewOf(inc, nil, time.Time{}), Closed: when(inc.ClosedAt, nil)}
	if issueURL != "" {
		v.Link = link(issueURL, "the "+inc.ID()+" issue")
	}
	for _, f := range inc.Followups {
		if f.Done() {
			continue
		}
		if len(v.Followups) == maxListRows {
			v.More++
			continue
		}
		v.Followups = append(v.Followups, "#"+strconv.Itoa(f.N)+" "+clipText(oneLine(f.Text), maxReasonLen))
	}
	return mustSlack("followup_reminder", v, maxMessage)
}

// ClosedWithLink announces the closed incident with its postmortem.
func ClosedWithLink(inc incident.Incident, url string) string {
	v := struct {
		Inc      incView
		Link     string
		TTM, TTR string
		Reopens  int
	}{Inc: viewOf(inc, nil, time.Time{}), Reopens: inc.ReopenCount, TTM: "—", TTR: "—"}
	if url != "" {
		v.Link = link(url, "Postmortem: "+inc.ID())
	}
	if !inc.MitigatedAt.IsZero() {
		v.TTM = human(max(inc.MitigatedAt.Sub(inc.ImpactStart()), 0))
	}
	if !inc.ResolvedAt.IsZero() {
		v.TTR = human(max(inc.ResolvedAt.Sub(inc.ImpactStart()), 0))
	}
	return mustSlack("closed_with_link", v, maxMessage)
}

// PostmortemFailed tells the lead why the postmortem is not filed yet and
// what to fix.
func PostmortemFailed(inc incident.Incident, reason string) string {
	v := struct {
		Inc    incView
		Reason string
	}{Inc: viewOf(inc, nil, time.Time{}), Reason: clipText(oneLine(reason), 500)}
	v.Inc.Lead = mention(inc.Owner())
	return mustSlack("publish_failed", v, maxMessage)
}
