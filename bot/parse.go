package bot

import (
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/firebreak-hq/firebreak/incident"
	"github.com/firebreak-hq/firebreak/templates"
)

// Sub is a parsed /incident subcommand.
type Sub string

// Subcommands of /incident.
const (
	SubDeclareModal Sub = "declare-modal"
	SubDeclare      Sub = "declare"
	SubHelp         Sub = "help"
	SubList         Sub = "list"
	SubStatus       Sub = "status"
	SubTimeline     Sub = "timeline"
	SubNote         Sub = "note"
	SubUpdate       Sub = "update"
	SubSev          Sub = "sev"
	SubLead         Sub = "lead"
	SubRole         Sub = "role"
	SubFollowup     Sub = "followup"
	SubMitigated    Sub = "mitigated"
	SubResolve      Sub = "resolve"
	SubReopen       Sub = "reopen"
	SubClose        Sub = "close"
	SubCancel       Sub = "cancel"
	SubTimes        Sub = "times"
	SubPage         Sub = "page"
	SubCatchup      Sub = "catchup"
	SubHandover     Sub = "handover"
	// SubReviewOwner is `postmortem owner @name`.
	SubReviewOwner Sub = "postmortem-owner"
)

// needsIncident lists the subcommands that only make sense in an incident channel.
var needsIncident = map[Sub]bool{
	SubStatus: true, SubTimeline: true, SubNote: true, SubUpdate: true, SubSev: true,
	SubLead: true, SubRole: true, SubFollowup: true, SubMitigated: true, SubResolve: true,
	SubReopen: true, SubClose: true, SubCancel: true, SubTimes: true, SubPage: true,
	SubCatchup: true, SubHandover: true, SubReviewOwner: true,
}

// Parsed is the result of reading the text typed after /incident.
type Parsed struct {
	Sub      Sub
	Title    string
	Severity incident.Severity
	Playbook string
	Text     string
	User     string
	Role     string
	Force    bool
	// Private: `new private …` asks for a private incident.
	Private bool
	// Implicit: the text did not start with a subcommand, so it was read
	// as a title. The caller decides whether that may declare at once.
	Implicit bool
}

var mention = regexp.MustCompile(`^<@(` + incident.UserIDPattern + `)(?:\|[^>]*)?>$`)

// ParseMention extracts a user id from "<@U123|name>" or "<@U123>".
func ParseMention(s string) (string, bool) {
	m := mention.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return "", false
	}
	return m[1], true
}

// ParseSlash reads the text of /incident. It never fails on arbitrary
// input: text that is not a subcommand is a title. Errors are refusals
// meant for the user.
func ParseSlash(text string) (Parsed, error) {
	text = strings.ToValidUTF8(text, "\uFFFD")
	text = strings.TrimSpace(text)
	if text == "" {
		return Parsed{Sub: SubDeclareModal}, nil
	}
	first, rest := cut(text)
	switch strings.ToLower(first) {
	case "help", "-h", "--help":
		return Parsed{Sub: SubHelp}, nil
	case "list", "ls":
		return bare(SubList, first, rest)
	case "status":
		return bare(SubStatus, first, rest)
	case "timeline":
		return bare(SubTimeline, first, rest)
	case "note":
		return textSub(SubNote, rest)
	case "update":
		return textSub(SubUpdate, rest)
	case "followup", "follow-up":
		return textSub(SubFollowup, rest)
	case "cancel":
		return textSub(SubCancel, rest)
	case "sev", "severity":
		if rest == "" {
			return Parsed{}, usageErr(templates.UsageWhichSeverity)
		}
		sev, err := incident.ParseSeverity(rest)
		if err != nil {
			return Parsed{}, err
		}
		return Parsed{Sub: SubSev, Severity: sev}, nil
	case "lead":
		u, ok := ParseMention(rest)
		if !ok {
			return Parsed{}, usageErr(templates.UsageLeadMention)
		}
		return Parsed{Sub: SubLead, User: u}, nil
	case "role":
		role, who := cut(rest)
		u, ok := ParseMention(who)
		if role == "" || !ok {
			return Parsed{}, usageErr(templates.UsageRoleAndPerson)
		}
		return Parsed{Sub: SubRole, Role: strings.ToLower(role), User: u}, nil
	case "mitigated", "mitigate":
		return bare(SubMitigated, first, rest)
	case "resolve", "resolved":
		return bare(SubResolve, first, rest)
	case "reopen":
		return textSub(SubReopen, rest)
	case "close":
		f, reason := cut(rest)
		if f == "--force" || f == "-f" || f == "force" {
			if reason == "" {
				return Parsed{}, usageErr(templates.UsageForceReason)
			}
			return Parsed{Sub: SubClose, Force: true, Text: fromSlack(reason)}, nil
		}
		if rest != "" {
			return Parsed{}, usageErr(templates.UsageCloseNoText)
		}
		return Parsed{Sub: SubClose}, nil
	case "times", "time":
		return parseTimes(rest)
	case "new", "declare":
		// `new private …`: only right after new, so that a title such as
		// "sev3 Private beta page slow" keeps its word.
		if w, more := cut(rest); strings.EqualFold(w, "private") && more != "" {
			p, err := parseDeclare(more)
			p.Private = err == nil
			return p, err
		}
		return parseDeclare(rest)
	case "catchup", "catch-up", "brief":
		return bare(SubCatchup, first, rest)
	case "handover", "hand-over":
		who, note := cut(rest)
		u, ok := ParseMention(who)
		if !ok {
			return Parsed{}, usageErr(templates.UsageHandoverMention)
		}
		return Parsed{Sub: SubHandover, User: u, Text: fromSlack(note)}, nil
	case "postmortem", "post-mortem":
		// `postmortem owner @name`; anything else leaves User empty and
		// is answered with the usage.
		what, who := cut(rest)
		p := Parsed{Sub: SubReviewOwner}
		if strings.EqualFold(what, "owner") {
			p.User, _ = ParseMention(who)
		}
		return p, nil
	case "page":
		target, msg := cut(rest)
		if target == "" {
			return Parsed{}, usageErr(templates.UsagePageWhom)
		}
		return Parsed{Sub: SubPage, Role: strings.ToLower(target), Text: fromSlack(msg)}, nil
	}
	if rest == "" && sevWord.MatchString(strings.ToLower(first)) {
		// "/incident sev2" alone is a severity change, not a declaration
		// without a title.
		sev, err := incident.ParseSeverity(first)
		if err != nil {
			return Parsed{}, err
		}
		return Parsed{Sub: SubSev, Severity: sev}, nil
	}
	p, err := parseDeclare(text)
	p.Implicit = err == nil
	return p, err
}

func parseDeclare(s string) (Parsed, error) {
	p := Parsed{Sub: SubDeclare}
	for {
		w, rest := cut(s)
		lw := strings.ToLower(w)
		switch {
		case p.Severity == "" && sevWord.MatchString(lw):
			sev, err := incident.ParseSeverity(lw)
			if err != nil {
				return Parsed{}, err
			}
			p.Severity, s = sev, rest
			continue
		case p.Playbook == "" && strings.HasPrefix(lw, "playbook:"):
			p.Playbook = strings.TrimPrefix(lw, "playbook:")
			if p.Playbook == "" {
				return Parsed{}, usageErr(templates.UsagePlaybookName)
			}
			s = rest
			continue
		}
		break
	}
	p.Title = fromSlack(strings.TrimSpace(s))
	if p.Title == "" {
		return Parsed{}, usageErr(templates.UsageNewTitle)
	}
	return p, nil
}

// sevWord is a word meant as a severity ("sev2", "sev-9"), as opposed to
// a title that merely starts with "sev" ("Severe latency", "Sevilla DC").
var sevWord = regexp.MustCompile(`^sev-?[0-9]+$`)

// bare is a subcommand that takes no text. Text after it is refused rather
// than ignored: "/incident status page is down" is far more likely a title
// than a request for the status, and nothing typed may vanish silently.
func bare(sub Sub, word, rest string) (Parsed, error) {
	if rest == "" {
		return Parsed{Sub: sub}, nil
	}
	return Parsed{}, userErr(templates.TakesNoText(word, rest))
}

func textSub(sub Sub, rest string) (Parsed, error) {
	if strings.TrimSpace(rest) == "" {
		return Parsed{}, userErr(templates.NeedsText(string(sub)))
	}
	return Parsed{Sub: sub, Text: fromSlack(rest)}, nil
}

// fromSlack undoes the escaping Slack applies to the text of a command
// (it sends &, < and > as &amp;, &lt; and &gt;), so a title is stored as
// typed and escaped once, when it is shown. Mentions arrive as real
// <@U…> markup and are left alone.
// https://api.slack.com/reference/surfaces/formatting#escaping
func fromSlack(s string) string { return templates.Plain(s) }

func cut(s string) (string, string) {
	s = strings.TrimSpace(s)
	i := strings.IndexFunc(s, func(r rune) bool { return r == ' ' || r == '\t' || r == '\n' })
	if i < 0 {
		return s, ""
	}
	return s[:i], strings.TrimSpace(s[i:])
}

// UserError is a refusal produced at the edge (bad syntax), shown as is.
type UserError struct{ Msg string }

func (e *UserError) Error() string { return e.Msg }

func userErr(msg string) error { return &UserError{Msg: msg} }

// usageErr is the parser refusal u, worded by templates.
func usageErr(u templates.Usage) error { return userErr(templates.UsageText(u)) }

// Slug turns a title into the part of a channel name after inc-<n>-:
// lowercase a-z, 0-9 and single hyphens, so that the whole name stays
// within Slack's 80 characters. A title with nothing usable (emoji, CJK,
// punctuation) gives "incident".
func Slug(title string, max int) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(title) {
		if b.Len() >= max {
			break
		}
		switch {
		case r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
			b.WriteRune(r)
			dash = false
		case r < utf8.RuneSelf || r == '\u2013' || r == '\u2014':
			if b.Len() > 0 && !dash {
				b.WriteByte('-')
				dash = true
			}
		default:
			if fold, ok := asciiFold[r]; ok {
				b.WriteString(fold)
				dash = false
			} else if b.Len() > 0 && !dash {
				b.WriteByte('-')
				dash = true
			}
		}
	}
	s := strings.Trim(b.String(), "-")
	if len(s) > max {
		s = strings.Trim(s[:max], "-")
	}
	if s == "" {
		return "incident"
	}
	return s
}

var asciiFold = map[rune]string{
	'à': "a", 'á': "a", 'â': "a", 'ä': "a", 'ã': "a", 'å': "a", 'ç': "c", 'è': "e", 'é': "e",
	'ê': "e", 'ë': "e", 'ì': "i", 'í': "i", 'î': "i", 'ï': "i", 'ñ': "n", 'ò': "o", 'ó': "o",
	'ô': "o", 'ö': "o", 'õ': "o", 'ø': "o", 'ù': "u", 'ú': "u", 'û': "u", 'ü': "u", 'ý': "y",
	'ß': "ss", 'æ': "ae", 'œ': "oe",
}

// ChannelName builds inc-<n>-<slug> within 80 characters, leaving room
// for a "-NN" suffix on name_taken.
func ChannelName(n uint64, title string, suffix int) string {
	prefix := "inc-" + itoa(n) + "-"
	tail := ""
	if suffix > 1 {
		tail = "-" + itoa(uint64(suffix))
	}
	room := 80 - len(prefix) - len(tail)
	if room < 1 {
		return strings.TrimSuffix(prefix, "-") + tail
	}
	return prefix + Slug(title, room) + tail
}

func itoa(n uint64) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return string(b[i:])
}
