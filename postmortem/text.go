package postmortem

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// zwsp separates "@" or "#" from what follows so that GitHub neither
// notifies a user or team nor links an issue, while the text reads the same.
const zwsp = "\u200b"

// plain turns Slack markup into plain text: mentions become display names,
// channel and link markup becomes readable text, and the three entities
// Slack escapes are decoded. A user id never survives as "<@U…>".
func plain(s string, names map[string]string) string {
	if !strings.ContainsAny(s, "<&") {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for {
		i := strings.IndexByte(s, '<')
		if i < 0 {
			b.WriteString(unentity(s))
			return b.String()
		}
		j := strings.IndexByte(s[i:], '>')
		if j < 0 {
			b.WriteString(unentity(s))
			return b.String()
		}
		b.WriteString(unentity(s[:i]))
		b.WriteString(token(s[i+1:i+j], names))
		s = s[i+j+1:]
	}
}

// token renders the inside of one Slack "<…>" token.
func token(t string, names map[string]string) string {
	target, label, hasLabel := strings.Cut(t, "|")
	label = unentity(label)
	switch {
	case strings.HasPrefix(target, "@"):
		id := target[1:]
		if n := names[id]; n != "" {
			return "@" + n
		}
		if hasLabel && label != "" {
			return "@" + strings.TrimPrefix(label, "@")
		}
		return "@" + id
	case strings.HasPrefix(target, "#"):
		if hasLabel && label != "" {
			return "#" + label
		}
		return "#" + target[1:]
	case strings.HasPrefix(target, "!subteam^"):
		if hasLabel && label != "" {
			return label
		}
		return "a user group"
	case strings.HasPrefix(target, "!"):
		if hasLabel && label != "" {
			return label
		}
		return "@" + strings.TrimPrefix(target, "!")
	}
	target = unentity(target)
	if hasLabel && label != "" && label != target {
		return label + " (" + target + ")"
	}
	return target
}

var entities = strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&")

func unentity(s string) string {
	if strings.IndexByte(s, '&') < 0 {
		return s
	}
	return entities.Replace(s)
}

// clip shortens s to at most n runes, marking the cut.
func clip(s string, n int) string {
	if len(s) <= n || utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return strings.TrimRightFunc(string(r[:n-1]), unicode.IsSpace) + "…"
}

// oneLine collapses all whitespace runs (newlines included) to one space.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// inline escapes plain text for use inside a markdown paragraph or table
// cell: markdown and HTML syntax is backslash-escaped, "@name" and "#123"
// are neutralised, control characters dropped. Newlines become "<br>",
// which GitHub renders inside table cells too.
func inline(s string) string {
	// Drop what is never shown first, so that what follows "@" or "#" is
	// judged on the text GitHub will see.
	s = strings.Map(func(r rune) rune {
		if r != '\n' && r != '\t' && (unicode.IsControl(r) || r == utf8.RuneError || isBidi(r)) {
			return -1
		}
		return r
	}, s)
	s = crossRefs(s)
	var b strings.Builder
	b.Grow(len(s) + len(s)/8)
	prev := ' '
	for i, r := range s {
		switch r {
		case '\\', '`', '*', '_', '[', ']', '<', '>', '|', '~', '$':
			b.WriteByte('\\')
			b.WriteRune(r)
		case '&':
			if next(s, i+1, isEntityStart) {
				b.WriteString(`\&`)
			} else {
				b.WriteByte('&')
			}
		case '@':
			b.WriteByte('@')
			// GitHub sees a mention after anything but an ASCII word
			// character ("-@team" and "é@user" ping; "bob@example.com" does not).
			if !isASCIIWord(prev) && next(s, i+1, isWord) {
				b.WriteString(zwsp)
			}
		case '#':
			b.WriteByte('#')
			if next(s, i+1, unicode.IsDigit) {
				b.WriteString(zwsp)
			}
		case '\n':
			b.WriteString("<br>")
		case '\r':
		case '\t':
			b.WriteByte(' ')
		default:
			if unicode.IsControl(r) || r == utf8.RuneError || isBidi(r) {
				continue
			}
			b.WriteRune(r)
		}
		prev = r
	}
	return b.String()
}

var (
	// ghRef is GitHub's GH-<n> shorthand for an issue of the same repository.
	ghRef = regexp.MustCompile(`(?i)\b(gh)-([0-9])`)
	// issueURL is a link to an issue, pull request or discussion, which
	// GitHub turns into a link and a cross-reference on the issue it names.
	issueURL = regexp.MustCompile(`(?i)\b(https?):(//[^\s/]+/[^\s]*?/(?:issues|pulls?|discussions)/[0-9])`)
)

// crossRefs neutralises what would make GitHub cross-link the postmortem
// into another issue's timeline (and notify its subscribers): GH-<n> and
// full issue or pull request URLs. A zero-width space after "GH-" or the
// scheme's colon keeps the text reading the same while GitHub no longer
// sees a reference. ("#<n>" is handled with "@" in inline.)
func crossRefs(s string) string {
	if !strings.ContainsAny(s, "gG:") {
		return s
	}
	s = ghRef.ReplaceAllString(s, "${1}-"+zwsp+"${2}")
	return issueURL.ReplaceAllString(s, "${1}:"+zwsp+"${2}")
}

// cell is user text for a table cell, clipped to n runes first so that a
// cut never splits an escape.
func cell(s string, n int) string { return inline(clip(strings.TrimSpace(s), n)) }

// quoteBlock renders multi-line plain text as a markdown blockquote whose
// lines cannot start a heading, list, fence or rule.
func quoteBlock(s string) string {
	s = strings.TrimSpace(strings.ReplaceAll(s, "\r\n", "\n"))
	if s == "" {
		return ""
	}
	var b strings.Builder
	for i, line := range strings.Split(s, "\n") {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString("> ")
		b.WriteString(lineStart(inline(strings.TrimSpace(line))))
	}
	return b.String()
}

// lineStart escapes what markdown reads as block syntax at a line start.
func lineStart(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '#', '-', '+', '=':
		return `\` + s
	}
	k := 0
	for k < len(s) && s[k] >= '0' && s[k] <= '9' {
		k++
	}
	if k > 0 && k < len(s) && (s[k] == '.' || s[k] == ')') {
		return s[:k] + `\` + s[k:]
	}
	return s
}

func next(s string, i int, f func(rune) bool) bool {
	if i >= len(s) {
		return false
	}
	r, _ := utf8.DecodeRuneInString(s[i:])
	return f(r)
}

func isASCIIWord(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_'
}

func isWord(r rune) bool { return r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r) }

func isEntityStart(r rune) bool { return r == '#' || r < utf8.RuneSelf && unicode.IsLetter(r) }

// isBidi reports the Unicode direction overrides and isolates, which can make
// text display differently from what it says.
func isBidi(r rune) bool {
	return r >= '\u202a' && r <= '\u202e' || r >= '\u2066' && r <= '\u2069'
}

// title is plain, single-line text for an issue title: GitHub renders titles
// without markdown, but "@name" is neutralised there too.
func titleText(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) && r != '\n' && r != '\t' || r == utf8.RuneError || isBidi(r) {
			return -1
		}
		return r
	}, oneLine(s))
	var b strings.Builder
	prev := ' '
	for i, r := range s {
		if unicode.IsControl(r) || isBidi(r) {
			continue
		}
		b.WriteRune(r)
		if r == '@' && !isASCIIWord(prev) && next(s, i+1, isWord) {
			b.WriteString(zwsp)
		}
		prev = r
	}
	return b.String()
}
