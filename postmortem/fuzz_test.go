package postmortem

import (
	"regexp"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/firebreak-hq/firebreak/incident"
)

// ghMention is what GitHub turns into a notification or a link: "@name"
// or "#123" not glued to a preceding word (inline's notion of a word).
var (
	ghMention = regexp.MustCompile(`(?:^|[^\p{L}\p{N}_\-])@[A-Za-z0-9]`)
	ghIssue   = regexp.MustCompile(`#[0-9]`)
	slackPing = regexp.MustCompile(`(?:^|[^\\])<(?:@[UW]|!(?:channel|here|everyone|subteam))`)
)

// firstUnescaped returns the first byte of specials in s that no backslash
// escapes, reading "\x" pairs as markdown does; 0 when there is none.
func firstUnescaped(s, specials string) byte {
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			i++
			continue
		}
		if strings.IndexByte(specials, s[i]) >= 0 {
			return s[i]
		}
	}
	return 0
}

// markdownBreakout returns what in s, meant as one escaped line of user
// text, could notify someone or change the markdown around it.
func markdownBreakout(s string) string {
	s = strings.ReplaceAll(s, "<br>", " ") // inline's own line break
	switch {
	case !utf8.ValidString(s):
		return "invalid UTF-8"
	case strings.ContainsAny(s, "\n\r"):
		return "a line break"
	case ghMention.MatchString(s):
		return "an @mention"
	case ghIssue.MatchString(s):
		return "an issue reference"
	case strings.ContainsFunc(s, func(r rune) bool { return unicode.IsControl(r) || isBidi(r) }):
		return "a control or direction character"
	}
	if c := firstUnescaped(s, "|`<>[]*_~$\\"); c != 0 {
		return "an unescaped " + string(c)
	}
	return ""
}

// hostile is text people type that must stay text in the postmortem.
var hostile = []string{
	"<!channel> is down", "@org/team and @octocat", "-@dash é@accent", "fixes #12 and #x",
	"```\ncode\n```", "| a | b |", "<img src=x onerror=alert(1)>", "[x](javascript:alert(1))",
	"\\| escaped already", "back\\`tick", "a\u202eb\x00c\td\re", "bad \xff\xfe", "# heading\n- list\n1. item",
	"&lt;script&gt; &amp; &#64;", "<@U1|alice> <#C1|ops> <https://x.test|y>", "$x$ ~~s~~ *b* _i_",
}

func FuzzMarkdown(f *testing.F) {
	for _, h := range hostile {
		f.Add(h, h)
	}
	f.Fuzz(func(t *testing.T, text, name string) {
		if len(text) > 20000 || len(name) > 200 {
			return
		}
		// Display names arrive decoded from users.info JSON, which makes
		// them valid UTF-8.
		name = strings.ToValidUTF8(name, "\uFFFD")
		if out := inline(text); markdownBreakout(out) != "" {
			t.Fatalf("inline(%q) = %q lets through %s", text, out, markdownBreakout(out))
		}
		if out := cell(text, 300); markdownBreakout(out) != "" || utf8.RuneCountInString(out) > 300*3 {
			t.Fatalf("cell(%q) = %q lets through %s", text, out, markdownBreakout(out))
		}
		if out := titleText(text); strings.ContainsAny(out, "\n\r") || ghMention.MatchString(out) || !utf8.ValidString(out) {
			t.Fatalf("titleText(%q) = %q", text, out)
		}
		for _, line := range strings.Split(quoteBlock(text), "\n") {
			if line == "" {
				continue
			}
			rest, ok := strings.CutPrefix(line, "> ")
			if !ok {
				t.Fatalf("quoteBlock line %q leaves the quote", line)
			}
			if rest != lineStart(rest) {
				t.Fatalf("quoteBlock line %q starts block syntax", line)
			}
			if why := markdownBreakout(rest); why != "" {
				t.Fatalf("quoteBlock line %q lets through %s", line, why)
			}
		}
		// Slack markup never survives into GitHub text.
		if p := plain(text, map[string]string{"U1": name}); slackPing.MatchString(inline(p)) {
			t.Fatalf("plain(%q) kept a Slack mention: %q", text, p)
		}

		// The whole document: user text in every field, a user-controlled
		// display name, and the tables and code spans stay intact.
		inc, events := fuzzIncident(t, text)
		if inc.Number == 0 {
			return
		}
		d, err := Render(inc, events, map[string]string{"UALICE": name, "UBOB": "Bob"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if why := documentBreakout(d.Body); why != "" {
			t.Fatalf("body %s\n%s", why, d.Body)
		}
		if strings.ContainsAny(d.Title, "\n\r") || ghMention.MatchString(d.Title) || utf8.RuneCountInString(d.Title) > MaxTitle {
			t.Fatalf("title %q", d.Title)
		}
		if utf8.RuneCountInString(d.Body) > MaxBody {
			t.Fatalf("body of %d characters", utf8.RuneCountInString(d.Body))
		}
	})
}

// fuzzIncident runs an incident through the domain with text in the
// title, impact, a note, a skip reason, an approval and a follow-up.
// Text the domain refuses (empty, too long) gives a zero incident.
func fuzzIncident(t *testing.T, text string) (incident.Incident, []incident.Event) {
	res, err := incident.Declare(3, incident.Declaration{Title: text, Impact: text, Declarer: "UALICE"}, t0)
	if err != nil {
		return incident.Incident{}, nil
	}
	inc, events := res.Incident, res.Events
	now := t0
	for _, c := range []incident.Command{
		{Kind: incident.CmdNote, Actor: "UBOB", Text: text},
		{Kind: incident.CmdStepSkip, Actor: "UBOB", StepID: "timeline", Text: text},
		{Kind: incident.CmdRequestApproval, Actor: "UBOB", StepID: "fix", What: text, Where: text},
		{Kind: incident.CmdFollowup, Actor: "UALICE", Text: text},
		{Kind: incident.CmdPinned, Actor: "UALICE", User: "UBOB", Ref: "1.2", Text: text},
		{Kind: incident.CmdClose, Actor: "UALICE", Force: true, Text: text},
	} {
		now = now.Add(60e9)
		r, err := incident.Apply(inc, c, now)
		if err != nil {
			continue // e.g. text the domain refuses for this command
		}
		inc = r.Incident
		for _, e := range r.Events {
			e.Seq = uint64(len(events) + 1)
			events = append(events, e)
		}
	}
	for i := range events {
		events[i].Seq = uint64(i + 1)
	}
	return inc, events
}

// documentBreakout checks the rendered body: every table keeps its column
// count, every line's code spans are balanced, no user text notifies.
func documentBreakout(body string) string {
	if ghMention.MatchString(body) {
		return "has an @mention: " + ghMention.FindString(body)
	}
	if m := slackPing.FindString(body); m != "" {
		return "has Slack markup " + m
	}
	cols := -1
	fence := false
	for _, line := range strings.Split(body, "\n") {
		if strings.HasPrefix(line, "```") {
			fence = !fence
			continue
		}
		if fence {
			continue
		}
		if strings.HasPrefix(line, "|") {
			n := count(line, '|')
			if cols == -1 {
				cols = n
			} else if n != cols {
				return "breaks a table row: " + line
			}
		} else {
			cols = -1
		}
		if count(line, '`')%2 != 0 {
			return "breaks a code span: " + line
		}
	}
	if fence {
		return "leaves a code fence open"
	}
	return ""
}

// count returns how many c in line no backslash escapes.
func count(line string, c byte) int {
	n := 0
	for i := 0; i < len(line); i++ {
		switch line[i] {
		case '\\':
			i++
		case c:
			n++
		}
	}
	return n
}

func TestMarkdownBreakoutChecker(t *testing.T) {
	cases := []struct{ in, want string }{
		{"ok text", ""},
		{"hi @bob", "an @mention"},
		{"a | b", "an unescaped |"},
		{`a \| b`, ""},
		{`a \\| b`, "an unescaped |"},
		{"see #12", "an issue reference"},
		{"a\nb", "a line break"},
	}
	for _, tc := range cases {
		if got := markdownBreakout(tc.in); got != tc.want {
			t.Errorf("markdownBreakout(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	if documentBreakout("| a | b |\n| c \\| d | e |") != "" || documentBreakout("| a | b |\n| c | d | e |") == "" {
		t.Error("table check is wrong")
	}
}
