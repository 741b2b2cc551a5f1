package bot

import (
	"context"

	"github.com/slack-go/slack"

	"github.com/firebreak-hq/firebreak/incident"
)

// postCard posts and pins the card. After a restart it first looks for
// a card posted before the crash, so there is never a second card.
func (e *executor) postCard(ctx context.Context, inc incident.Incident, it OutboxItem) (incident.Incident, error) {
	ts := inc.CardTS
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
			return inc, err
		}
	}
	if inc.CardTS == "" {
		var err error
		if inc, err = e.record(inc.Number, func(cur incident.Incident) (incident.Result, error) {
			return incident.RecordCard(cur, ts), nil
		}); err != nil {
			return inc, err
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
	return inc, err
}

func (e *executor) updateCard(ctx context.Context, inc incident.Incident) (incident.Incident, error) {
	if inc.CardTS == "" {
		return inc, nil // the pending card.post will render the current state
	}
	err := e.call(ctx, "chat.update", func(ctx context.Context) error {
		_, _, _, err := e.b.api.UpdateMessageContext(ctx, inc.Channel, inc.CardTS,
			slack.MsgOptionText(CardFallback(inc), false),
			slack.MsgOptionBlocks(CardBlocks(inc, e.b.loc)...))
		return err
	}, 5)
	if gone(err) {
		// Someone deleted the card: post a fresh one.
		inc, err := e.record(inc.Number, func(cur incident.Incident) (incident.Result, error) {
			return incident.RecordCard(cur, ""), nil
		})
		if err != nil {
			return inc, err
		}
		return e.postCard(ctx, inc, OutboxItem{})
	}
	return inc, err
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
