package demo

import (
	"regexp"
	"strings"

	"github.com/firebreak-hq/firebreak/internal/slackfake"
)

// What a person types is not what an app receives. Slack's client escapes
// the three characters mrkdwn reserves and turns what it recognises into
// markup before the text leaves the composer:
//
//   - & < > become &amp; &lt; &gt;
//     (https://api.slack.com/reference/surfaces/formatting#escaping);
//   - @name of a member becomes <@U…>, #name of a channel the person can see
//     becomes <#C…|name>, @here / @channel / @everyone become <!here> …, and a
//     URL becomes <https://…>. A slash command whose app asks for escaping
//     (the manifest's should_escape: true) receives the user mention with the
//     name as a label, <@U…|name>
//     (https://api.slack.com/interactivity/slash-commands#creating_commands,
//     "Escape channels, users, and links sent to your app");
//   - text in `code` or ```code blocks``` is left as typed: the composer
//     does not link inside code.
//
// An @name or #name that matches nobody stays plain text, as in Slack.

// typedToken finds, in already-escaped text, a URL or an @/# reference that
// starts a word. The prefix group keeps what came before the reference.
var typedToken = regexp.MustCompile(`https?://[^\s<>"]+|(^|[\s(\[{,;])([@#])([\p{L}\p{N}._-]+)`)

// trailing punctuation closes a sentence rather than belonging to a URL or a
// name ("see https://status.example.com." or "ask @carol.").
const trailing = ".,;:!?)]}'\""

// slackify returns text as the app receives it from person who typed it in
// a message (slash false) or after /incident (slash true).
func (s *Server) slackify(person, text string, slash bool) string {
	users := map[string]slackfake.User{}
	for _, u := range s.slack.Users() {
		users[strings.ToLower(u.Name)] = u
	}
	chans := map[string]slackfake.Channel{}
	for _, c := range s.slack.Channels() {
		if c.IsPrivate && !contains(c.Members, person) {
			continue // a private channel the person cannot see is just text
		}
		chans[strings.ToLower(c.Name)] = c
	}
	convert := func(seg string) string {
		return typedToken.ReplaceAllStringFunc(seg, func(m string) string {
			if strings.HasPrefix(m, "http") {
				url := strings.TrimRight(m, trailing)
				return "<" + url + ">" + m[len(url):]
			}
			sub := typedToken.FindStringSubmatch(m)
			pre, sigil, name := sub[1], sub[2], sub[3]
			name = strings.TrimRight(name, trailing)
			rest := m[len(pre)+len(sigil)+len(name):]
			key := strings.ToLower(name)
			if sigil == "@" {
				switch key {
				case "here", "channel", "everyone":
					return pre + "<!" + key + ">" + rest
				}
				u, ok := users[key]
				if !ok {
					return m
				}
				if slash {
					return pre + "<@" + u.ID + "|" + u.Name + ">" + rest
				}
				return pre + "<@" + u.ID + ">" + rest
			}
			c, ok := chans[key]
			if !ok {
				return m
			}
			return pre + "<#" + c.ID + "|" + c.Name + ">" + rest
		})
	}
	escaped := mrkdwnEntities.Replace(text)
	var b strings.Builder
	for escaped != "" {
		i, j := codeSpan(escaped)
		if i < 0 {
			b.WriteString(convert(escaped))
			break
		}
		b.WriteString(convert(escaped[:i]))
		b.WriteString(escaped[i:j])
		escaped = escaped[j:]
	}
	return b.String()
}

var mrkdwnEntities = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// codeSpan finds the first ```block``` or `span` in s and returns its
// bounds, or -1 when there is none (an unclosed backtick is plain text).
func codeSpan(s string) (int, int) {
	for from := 0; ; {
		k := strings.IndexByte(s[from:], '`')
		if k < 0 {
			return -1, -1
		}
		i := from + k
		fence := "`"
		if strings.HasPrefix(s[i:], "```") {
			fence = "```"
		}
		if end := strings.Index(s[i+len(fence):], fence); end >= 0 {
			return i, i + len(fence) + end + len(fence)
		}
		from = i + len(fence)
	}
}
