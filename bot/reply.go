package bot

import (
	"context"
	"errors"
	"time"

	"github.com/slack-go/slack"
	"go.uber.org/zap"

	"github.com/firebreak-hq/firebreak/incident"
	"github.com/firebreak-hq/firebreak/templates"
)

// What the bot tells a person, and how.

func slashReply(text string) map[string]any {
	return map[string]any{"response_type": "ephemeral", "text": clipAck(text)}
}

// Socket Mode refuses acks of 20 KB or more; keep well under.
func clipAck(s string) string {
	const max = 12000
	if len(s) <= max {
		return s
	}
	r := []rune(s)
	for len(string(r)) > max-200 {
		r = r[:len(r)*9/10]
	}
	return string(r) + templates.CutMark
}

// userText turns an error into what the user reads: one escaped
// sentence, whatever produced it.
func userText(err error) string { return templates.Sentence(rawUserText(err)) }

// userText is userText, with the cause of a failure that is not a
// refusal logged: the person is told only that nothing was saved.
func (b *Bot) userText(err error) string {
	var ue *UserError
	if _, refused := incident.IsRefusal(err); !refused && !errors.As(err, &ue) {
		b.log.Warn("not saved", zap.Error(err))
	}
	return templates.Sentence(rawUserTextIn(err, b.loc))
}

// replyText is what a command that went through tells its author, with
// times in FIREBREAK_TIMEZONE.
func (b *Bot) replyText(r incident.Reply) string { return templates.ReplyTextIn(r, b.loc) }

func rawUserText(err error) string { return rawUserTextIn(err, nil) }

// rawUserTextIn words err; times in a refusal are shown in loc.
func rawUserTextIn(err error, loc *time.Location) string {
	var ue *UserError
	if errors.As(err, &ue) {
		return ue.Msg
	}
	if r, ok := incident.IsRefusal(err); ok {
		return templates.RefusalTextIn(r, loc)
	}
	// The two storage failures an operator must fix get plain words; the
	// person can do nothing but retry later, and must know nothing half
	// happened. The cause of any other failure is for the log, not them.
	switch {
	case errors.Is(err, ErrStorageFull):
		return templates.NotSaved(templates.StorageFull)
	case errors.Is(err, ErrStorageReadOnly):
		return templates.NotSaved(templates.StorageReadOnly)
	}
	return templates.NotSaved(templates.StorageFailed)
}

// tell sends an ephemeral message to user in channel, off the hot path,
// retrying briefly; refusals after clicks are delivered this way.
func (b *Bot) tell(channel, user, text string, blocks ...slack.Block) {
	b.wg.Add(1)
	go func() {
		defer b.wg.Done()
		text = templates.Sentence(text)
		opts := []slack.MsgOption{slack.MsgOptionText(clipAck(text), false)}
		if len(blocks) > 0 {
			opts = append(opts, slack.MsgOptionBlocks(blocks...))
		}
		err := b.exec.call(b.ctx(), "chat.postEphemeral", func(ctx context.Context) error {
			_, err := b.api.PostEphemeralContext(ctx, channel, user, opts...)
			return err
		}, 3)
		if err != nil {
			b.log.Warn("could not tell the user", zap.String("user", user), zap.String("channel", channel), zap.Error(err))
		}
	}()
}

// answer tells user text through a click's response_url (replacing the
// clicked message when replace is set), falling back to an ephemeral
// message when there is no response_url or it fails.
// https://api.slack.com/interactivity/handling#message_responses
func (b *Bot) answer(url, channel, user, text string, replace bool) {
	if url == "" {
		b.tell(channel, user, text)
		return
	}
	b.wg.Add(1)
	go func() {
		defer b.wg.Done()
		err := b.exec.call(b.ctx(), "response_url", func(ctx context.Context) error {
			return slack.PostWebhookContext(ctx, url, &slack.WebhookMessage{Text: clipAck(text), ResponseType: slack.ResponseTypeEphemeral, ReplaceOriginal: replace})
		}, 3)
		if err != nil {
			b.log.Warn("could not answer through response_url", zap.String("user", user), zap.Error(err))
			b.tell(channel, user, text)
		}
	}()
}
