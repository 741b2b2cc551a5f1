package bot

import (
	"bytes"
	"context"
	"encoding/json"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"
	"go.uber.org/zap"

	"github.com/firebreak-hq/firebreak/incident"
	"github.com/firebreak-hq/firebreak/templates"
)

// ShortcutDeclare is the callback_id of the message shortcut "Declare
// incident" (slack-app-manifest.yaml, features.shortcuts). Part of the
// contract: never rename it.
const ShortcutDeclare = "incident.declare_from_message"

// maxPrefillTitle keeps a title taken from a message's first line as
// short as a card header shows whole (Slack's header limit).
const maxPrefillTitle = maxHeader

// fromMessage is what the declare modal carries about the message it
// was opened from (in private_metadata, beside the origin): where it is,
// who wrote it, and its text, as much of it as the metadata holds.
type fromMessage struct {
	Channel string `json:"c"`
	TS      string `json:"ts"`
	Author  string `json:"a,omitempty"`
	Text    string `json:"t,omitempty"`
	Clipped bool   `json:"clip,omitempty"`
}

// marshalMeta encodes v as private_metadata: JSON without HTML escaping,
// so <, > and & in a message cost one character each, not six.
func marshalMeta(v any) string {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if enc.Encode(v) != nil {
		return ""
	}
	return strings.TrimSuffix(buf.String(), "\n")
}

// fitOrigin makes the modal's metadata hold the message's text, cutting
// the text (and marking it clipped) until the whole fits Slack's 3,000
// characters of private_metadata. The timeline then keeps the start of a
// very long message; the link leads to the rest.
func fitOrigin(o declareOrigin) string {
	fits := func(o declareOrigin) bool { return utf8.RuneCountInString(marshalMeta(o)) <= maxPrivateMetadata }
	if fits(o) {
		return marshalMeta(o)
	}
	if o.Msg == nil {
		return o.Channel
	}
	m := *o.Msg
	o.Msg = &m
	r := []rune(m.Text)
	o.Msg.Text, o.Msg.Clipped = "", true
	if !fits(o) {
		// Not even without its text: drop the reply address too.
		o.ResponseURL = ""
		if !fits(o) {
			return o.Channel
		}
	}
	// The longest start of the text that fits (characters JSON escapes
	// cost more than one, so the count is searched, not computed).
	lo, hi := 0, len(r)
	for lo < hi {
		mid := (lo + hi + 1) / 2
		o.Msg.Text = string(r[:mid])
		if fits(o) {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	o.Msg.Text = string(r[:lo])
	return marshalMeta(o)
}

// onMessageShortcut opens the declare modal pre-filled from the message
// the shortcut was used on. The trigger_id lasts 3 s and is spent once:
// the envelope is acked and the modal opened before anything else, and
// nothing slow (no permalink, no user lookup) comes first.
func (b *Bot) onMessageShortcut(req socketmode.Request, cb slack.InteractionCallback, start time.Time) {
	b.ack(req, start, nil)
	if cb.CallbackID != ShortcutDeclare {
		b.log.Warn("unknown shortcut", zap.String("callback_id", cb.CallbackID))
		return
	}
	msg := cb.Message
	channel := cb.Channel.ID
	ts := msg.Timestamp
	if ts == "" {
		ts = cb.MessageTs
	}
	text := strings.TrimSpace(msg.Text)
	author := msg.User
	if msg.BotID != "" || !incident.ValidUserID(author) {
		author = ""
	}
	plainText := PlainMessage(text)
	fm := &fromMessage{Channel: channel, TS: ts, Author: author, Text: plainText}
	o := declareOrigin{Channel: channel, ResponseURL: cb.ResponseURL, Msg: fm}
	meta := fitOrigin(o)
	// The shortcut's response_url reaches the person in that conversation
	// even when the bot is not in it.
	b.openViewOr(cb.TriggerID, DeclareFromMessageModal(meta, b.cfg.Playbooks.All(), plainText, author), func(text string) {
		b.respond(cb.ResponseURL, channel, cb.User.ID, text)
	})
}

// sourceOf reads back the message a declare modal was opened from and
// asks Slack for its permalink, within budget: the submission is acked
// only after the incident is stored, and Slack allows 3 s for all of it.
// A message whose link Slack will not give (a conversation the bot is
// not in) is declared from all the same, without the link.
func (b *Bot) sourceOf(fm *fromMessage) *incident.SourceMessage {
	if fm == nil {
		return nil
	}
	src := &incident.SourceMessage{Text: fm.Text, Author: fm.Author, Clipped: fm.Clipped}
	if fm.Channel == "" || fm.TS == "" {
		return src
	}
	ctx, cancel := context.WithTimeout(b.ctx(), permalinkBudget)
	defer cancel()
	err := b.exec.call(ctx, "chat.getPermalink", func(ctx context.Context) error {
		var err error
		src.Link, err = b.api.GetPermalinkContext(ctx, &slack.PermalinkParameters{Channel: fm.Channel, Ts: fm.TS})
		return err
	}, 2)
	if err != nil {
		src.Link = ""
		b.log.Info("declared from a message without its link", zap.String("channel", fm.Channel), zap.String("ts", fm.TS), zap.Error(err))
	}
	return src
}

// permalinkBudget bounds chat.getPermalink while a submission waits.
const permalinkBudget = time.Second

var (
	slackLink    = regexp.MustCompile(`<([^<>|]+)\|([^<>]*)>`)
	slackBare    = regexp.MustCompile(`<([^<>|]+)>`)
	slackSpecial = map[string]string{"!here": "@here", "!channel": "@channel", "!everyone": "@everyone"}
)

// PlainMessage turns a message's Slack markup into the plain text a
// person would read: <@U1|ann> → @ann, <#C1|ops> → #ops,
// <https://x|label> → label (https://x), <!here> → @here, and the
// &amp; &lt; &gt; entities back into characters. What it returns is text
// like any other a person typed, escaped again wherever it is shown.
func PlainMessage(s string) string {
	s = slackLink.ReplaceAllStringFunc(s, func(m string) string {
		p := slackLink.FindStringSubmatch(m)
		target, label := p[1], p[2]
		switch {
		case strings.HasPrefix(target, "@"):
			return "@" + strings.TrimPrefix(label, "@")
		case strings.HasPrefix(target, "#"):
			return "#" + strings.TrimPrefix(label, "#")
		case strings.HasPrefix(target, "!"):
			return label
		case label == "" || label == target:
			return target
		}
		return label + " (" + target + ")"
	})
	s = slackBare.ReplaceAllStringFunc(s, func(m string) string {
		target := m[1 : len(m)-1]
		if w, ok := slackSpecial[target]; ok {
			return w
		}
		if strings.HasPrefix(target, "!") {
			return "@" + strings.TrimPrefix(strings.SplitN(target, "^", 2)[0], "!")
		}
		return target
	})
	return templates.Plain(s)
}

// firstLine is a title taken from a message: its first line with text,
// spaces collapsed, cut at a word within maxPrefillTitle characters.
func firstLine(s string) string {
	for _, l := range strings.Split(s, "\n") {
		l = strings.Join(strings.Fields(l), " ")
		if l == "" || incident.Blank(l) {
			continue
		}
		r := []rune(l)
		if len(r) <= maxPrefillTitle {
			return l
		}
		cut := string(r[:maxPrefillTitle-1])
		if i := strings.LastIndex(cut, " "); i > maxPrefillTitle/2 {
			cut = cut[:i]
		}
		return cut + "…"
	}
	return ""
}
