package bot

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	"github.com/firebreak-hq/firebreak/incident"
	"github.com/firebreak-hq/firebreak/templates"
)

// declareOrigin is what the declare modal carries in private_metadata:
// where /incident was typed, and that command's response_url, so the
// confirmation reaches the person there as an ephemeral message even in
// a channel the bot is not in. A slash command's response_url may be
// used five times within thirty minutes.
// https://api.slack.com/interactivity/handling#message_responses
type declareOrigin struct {
	Channel     string `json:"channel"`
	ResponseURL string `json:"response_url,omitempty"`
	// Msg is the message the modal was opened from (the message
	// shortcut), nil otherwise.
	Msg *fromMessage `json:"msg,omitempty"`
}

// maxPrivateMetadata is Slack's limit on a view's private_metadata.
// https://api.slack.com/reference/surfaces/views
const maxPrivateMetadata = 3000

func (o declareOrigin) String() string {
	b, err := json.Marshal(o)
	if err != nil || len(b) > maxPrivateMetadata {
		return o.Channel
	}
	return string(b)
}

// parseDeclareOrigin reads private_metadata; a modal opened by an older
// version carries the bare channel id.
func parseDeclareOrigin(meta string) declareOrigin {
	var o declareOrigin
	if strings.HasPrefix(meta, "{") && json.Unmarshal([]byte(meta), &o) == nil {
		return o
	}
	return declareOrigin{Channel: meta}
}

// approvalFieldErrors checks both fields of the approval form at once,
// so each error shows under its own field and none waits for a second
// submit. The limits are the form's own max_length.
func approvalFieldErrors(what, where string) map[string]string {
	errs := map[string]string{}
	check := func(block, text, empty string, max int) {
		t := strings.TrimSpace(text)
		switch {
		case t == "":
			errs[block] = empty
		case utf8.RuneCountInString(t) > max:
			errs[block] = templates.FieldTooLong(utf8.RuneCountInString(t), max)
		}
	}
	check("what", what, templates.ApprovalNeedsWhat, 2000)
	check("where", where, templates.ApprovalNeedsWhere, 500)
	if len(errs) == 0 {
		return nil
	}
	return errs
}

// slashBlocks is an ephemeral answer to a slash command with blocks.
func slashBlocks(text string, blocks []slack.Block) map[string]any {
	return map[string]any{"response_type": "ephemeral", "text": clipAck(text), "blocks": blocks}
}

// onDeclareTyped declares, after all, the text that looked like a typo:
// the person pressed the button under "did you mean".
//
// A second press of the same button (a double click, a press before the
// answer replaced the message, or the same press delivered again) declares
// nothing more, whichever replica it reaches and across restarts: the
// declaration records the press's key in its own transaction (CreateOnce),
// and a later press is answered with the incident the first one declared.
func (b *Bot) onDeclareTyped(req socketmode.Request, cb slack.InteractionCallback, act *slack.BlockAction, start time.Time) {
	user, channel := cb.User.ID, cb.Channel.ID
	b.ack(req, start, nil)
	p, err := parseDeclare(act.Value)
	if err != nil {
		b.respond(cb.ResponseURL, channel, user, b.userText(err))
		return
	}
	key := typoKey(cb, act)
	res, dup, err := b.declareOnce(key, declaration{title: p.Title, sev: p.Severity, playbook: p.Playbook}, user, channel, cb.ResponseURL)
	if err != nil {
		b.respond(cb.ResponseURL, channel, user, b.userText(err))
		return
	}
	if dup {
		id := ""
		if n, ok := b.declaredFrom(key); ok {
			id = incident.ID(n)
		}
		b.replace(cb.ResponseURL, channel, user, templates.AlreadyDeclared(id))
		return
	}
	b.replace(cb.ResponseURL, channel, user, b.replyText(res.Reply))
}

// declaredFrom finds the open incident a press with key declared.
func (b *Bot) declaredFrom(key string) (uint64, bool) {
	if b.cfg.Reader == nil {
		return 0, false
	}
	open, err := b.cfg.Reader.OpenIncidents()
	if err != nil {
		return 0, false
	}
	for i := len(open) - 1; i >= 0; i-- {
		if rec, err := b.cfg.Store.Slack(open[i].Number); err == nil && rec.DeclaredFrom == key {
			return open[i].Number, true
		}
	}
	return 0, false
}

// typoKey names one "did you mean" message's button for one person: the
// dedupe key of its declaration (a digest, so that a long title fits).
func typoKey(cb slack.InteractionCallback, act *slack.BlockAction) string {
	sum := sha256.Sum256([]byte(cb.User.ID + "/" + cb.Channel.ID + "/" + cb.Container.MessageTs + "/" + act.Value))
	return "typo:" + hex.EncodeToString(sum[:])
}

// replace answers a click on an ephemeral message by replacing it, so its
// button cannot be pressed again; without a response_url it tells.
// https://api.slack.com/interactivity/handling#updating_message_response
func (b *Bot) replace(url, channel, user, text string) {
	b.answer(url, channel, user, text, true)
}
