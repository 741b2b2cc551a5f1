package templates

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/firebreak-hq/firebreak/incident"
)

var mrkdwnEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// EscapeMrkdwn makes user text inert in Slack mrkdwn: &, < and > become
// entities, so "<!channel>" or "<@U123>" typed by someone shows as typed
// instead of notifying anybody. Invalid UTF-8 is replaced, because Slack
// rejects a message that contains it.
func EscapeMrkdwn(s string) string {
	return mrkdwnEscaper.Replace(strings.ToValidUTF8(s, "\uFFFD"))
}

// maxEntity is the longest entity Clip keeps whole; EscapeMrkdwn makes
// only &amp; &lt; &gt;, but text from Slack may carry others like &#39;.
const maxEntity = 10

// Clip shortens s to at most max runes, ending with "…" when it cut. It
// never splits a rune, an entity such as &amp;, or a <…> token (mention,
// channel link, URL): a half token would render as broken markup or, for
// "&am", as literal noise. The result is valid UTF-8.
func Clip(s string, max int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if max <= 0 {
		return ""
	}
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	r := []rune(s)
	cut := max - 1 // leave room for the ellipsis
	for i := cut - 1; i >= 0; i-- {
		if r[i] == '>' {
			break
		}
		if r[i] == '<' {
			cut = i // inside a token: drop the whole token
			break
		}
	}
	for i := cut - 1; i >= 0 && i >= cut-maxEntity; i-- {
		if r[i] == ';' {
			break
		}
		if r[i] == '&' {
			cut = i
			break
		}
	}
	out := strings.TrimRightFunc(string(r[:cut]), func(c rune) bool { return c == ' ' || c == '\n' || c == '\t' })
	return out + "…"
}

// clipText escapes user text and clips it to max runes.
func clipText(s string, max int) string { return Clip(EscapeMrkdwn(s), max) }

// oneLine keeps user text from breaking a one-line layout such as a list
// row or a quote.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

var (
	channelIDRe = regexp.MustCompile(`^[CGD][A-Z0-9]{2,30}$`)
)

// mention renders a user id as a Slack mention. Anything that is not an id
// is shown escaped, never as markup, so a stored value cannot smuggle a
// <!channel> into a message.
func mention(id string) string {
	switch {
	case id == "":
		return "nobody"
	case incident.ValidUserID(id):
		return "<@" + id + ">"
	}
	return EscapeMrkdwn(id)
}

func channelLink(id string) string {
	if channelIDRe.MatchString(id) {
		return "<#" + id + ">"
	}
	return ""
}

// link renders an http(s) URL as a Slack link with a label, or escaped
// text when the URL would break the <url|label> syntax.
func link(url, label string) string {
	if (strings.HasPrefix(url, "https://") || strings.HasPrefix(url, "http://")) &&
		!strings.ContainsAny(url, "<>| \n\t") && utf8.ValidString(url) && len(url) <= 2000 {
		return "<" + strings.ReplaceAll(url, "&", "&amp;") + "|" + EscapeMrkdwn(label) + ">"
	}
	return EscapeMrkdwn(url)
}

// TimeLayout is how times are shown in messages.
const TimeLayout = "2006-01-02 15:04 MST"

func when(t time.Time, loc *time.Location) string {
	if t.IsZero() {
		return "—"
	}
	if loc == nil {
		loc = time.UTC
	}
	return t.In(loc).Format(TimeLayout)
}

// human shows a duration the way people say it: "1h 5m", "2d 3h", "45s".
func human(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d/time.Second))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d/time.Minute))
	case d < 24*time.Hour:
		return units(int(d/time.Hour), "h", int(d%time.Hour/time.Minute), "m")
	}
	return units(int(d/(24*time.Hour)), "d", int(d%(24*time.Hour)/time.Hour), "h")
}

// units is an amount in two units, the smaller left out when it is 0:
// "2h", "2h 5m".
func units(big int, bigUnit string, small int, smallUnit string) string {
	if small == 0 {
		return strconv.Itoa(big) + bigUnit
	}
	return strconv.Itoa(big) + bigUnit + " " + strconv.Itoa(small) + smallUnit
}

// codeBlock keeps user text inside a ``` block: a ``` in the text would
// end the block early, so a zero-width space breaks it up.
func codeBlock(s string) string {
	return "```" + strings.ReplaceAll(EscapeMrkdwn(s), "```", "`\u200b`\u200b`") + "```"
}
