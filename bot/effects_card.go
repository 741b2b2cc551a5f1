package bot

import (
	"context"

	"github.com/slack-go/slack"
)

// postCard posts and pins the card. After a restart it first looks for
// a card posted before the crash, so there is never a second card.
func (e *executor) postCard(ctx context.Context, s subject, it OutboxItem) (subject, error) {
	inc := s.Incident
	ts := s.slack.CardTS
	if ts == "" && e.maybeCrashed(it) {
		ts, _ = e.findMarked(ctx, inc.Channel, "card:"+inc.ID(), true)
	}
	if ts == "" {
		err := e.call(ctx, "chat.postMessage", func(ctx context.Context) error {
			var err error
			_, ts, err = e.b.api.PostMessageContext(ctx, inc.Channel,
				slack.MsgOptionText(CardFallback(inc), false),
				slack.MsgOptionBlocks(CardBlocks(inc, e.b.loc)...))
			return err
		}, 3)
		if err != nil {
			return s, err
		}
	}
	if s.slack.CardTS == "" {
		var err error
		if s, err = e.recordSlack(s, func(r SlackRecord) SlackRecord { r.CardTS = ts; return r }); err != nil {
			return s, err
		}
	}
	err := e.call(ctx, "pins.add", func(ctx context.Context) error {
		return e.b.api.AddPinContext(ctx, inc.Channel, slack.ItemRef{Channel: inc.Channel, Timestamp: ts})
	}, 5)
	if slackCode(err) == "already_pinned" {
		err = nil
	}
	if err == nil {
		// The card may have changed between the render above and now.
		e.runner.Poke()
	}
	return s, err
}

func (e *executor) updateCard(ctx context.Context, s subject) (subject, error) {
	inc := s.Incident
	if s.slack.CardTS == "" {
		return s, nil // the pending card.post will render the current state
	}
	err := e.call(ctx, "chat.update", func(ctx context.Context) error {
		_, _, _, err := e.b.api.UpdateMessageContext(ctx, inc.Channel, s.slack.CardTS,
			slack.MsgOptionText(CardFallback(inc), false),
			slack.MsgOptionBlocks(CardBlocks(inc, e.b.loc)...))
		return err
	}, 5)
	if gone(err) {
		// Someone deleted the card: post a fresh one.
		s, err := e.recordSlack(s, func(r SlackRecord) SlackRecord { r.CardTS = ""; return r })
		if err != nil {
			return s, err
		}
		return e.postCard(ctx, s, OutboxItem{})
	}
	return s, err
}

// gone is chat.update's answer for a message that is no longer there.
// https://api.slack.com/methods/chat.update (errors)
func gone(err error) bool {
	switch slackCode(err) {
	case "message_not_found", "cant_update_message":
		return true
	}
	return false
}
