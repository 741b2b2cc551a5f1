package bot

import (
	"context"
	"fmt"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
	"github.com/slack-go/slack/socketmode"
	"go.uber.org/zap"

	"github.com/firebreak-hq/firebreak/incident"
)

// onEvent records pins, 📌 reactions and joins in incident channels.
// The event is acked only after it is committed (or known to be a
// duplicate), so Slack redelivers what we failed to store. ev is the
// envelope as the Socket Mode client decoded it.
func (b *Bot) onEvent(req socketmode.Request, ev slackevents.EventsAPIEvent) {
	start := b.now()
	var eventID string
	if cb, ok := ev.Data.(*slackevents.EventsAPICallbackEvent); ok {
		eventID = cb.EventID
	}
	inner := ev.InnerEvent
	var channel string
	var build func(ctx context.Context) (incident.Command, bool)
	switch inner.Type {
	case "reaction_added":
		e := innerData[slackevents.ReactionAddedEvent](inner)
		channel = e.Item.Channel
		if e.Reaction != "pushpin" || e.Item.Type != "message" {
			b.ack(req, start, nil)
			return
		}
		build = func(ctx context.Context) (incident.Command, bool) {
			text, author := b.messageText(ctx, channel, e.Item.Timestamp)
			return incident.Command{Kind: incident.CmdPinned, Actor: e.User, Text: text, User: author, Ref: e.Item.Timestamp}, true
		}
	case "pin_added":
		e := innerData[slackevents.PinAddedEvent](inner)
		channel = e.Channel
		if channel == "" {
			channel = e.Item.Channel
		}
		if e.Item.Message == nil && e.Item.Timestamp == "" {
			b.ack(req, start, nil)
			return
		}
		build = func(ctx context.Context) (incident.Command, bool) {
			var text, author, ts string
			if m := e.Item.Message; m != nil {
				text, author, ts = m.Text, m.User, m.Timestamp
			}
			if ts == "" {
				ts = e.Item.Timestamp
			}
			if author == b.botUser && b.botUser != "" {
				return incident.Command{}, false // our own card being pinned
			}
			if text == "" {
				text, author = b.messageText(ctx, channel, ts)
			}
			return incident.Command{Kind: incident.CmdPinned, Actor: e.User, Text: text, User: author, Ref: ts}, true
		}
	case "app_home_opened":
		e := innerData[slackevents.AppHomeOpenedEvent](inner)
		if e.Tab == "home" {
			b.home.opened(e.User)
		}
		b.ack(req, start, nil)
		return
	case "member_left_channel":
		e := innerData[slackevents.MemberLeftChannelEvent](inner)
		b.members.note(e.Channel, e.User, false)
		// Who is in an incident channel can change what a Home shows.
		b.home.changed()
		b.ack(req, start, nil)
		return
	case "member_joined_channel":
		e := innerData[slackevents.MemberJoinedChannelEvent](inner)
		channel = e.Channel
		b.members.note(channel, e.User, true)
		b.home.changed()
		if e.User == b.botUser {
			b.ack(req, start, nil)
			return
		}
		build = func(context.Context) (incident.Command, bool) {
			inviter := e.Inviter
			if inviter == "" {
				inviter = e.User
			}
			return incident.Command{Kind: incident.CmdMemberJoined, Actor: inviter, User: e.User}, true
		}
	default:
		b.ack(req, start, nil)
		return
	}
	inc, err := b.cfg.Store.ByChannel(channel)
	if err != nil {
		if b.cfg.NotFound(err) {
			b.ack(req, start, nil)
		} // else: leave unacked so Slack redelivers once storage is back
		return
	}
	if inner.Type == "member_joined_channel" {
		// Someone joined an incident channel (the invitations right after
		// it is created, typically): learn its members now, before the
		// first command needs them.
		b.warmMembers(channel)
	}
	n := inc.Number
	b.serial(fmt.Sprintf("inc-%d", n), func() {
		defer b.recoverAck(req)
		cmd, ok := build(b.ctx())
		if !ok {
			b.ack(req, start, nil)
			return
		}
		now := b.now()
		key := "event:" + eventID
		if eventID == "" {
			key = "envelope:" + req.EnvelopeID
		}
		res, _, err := b.cfg.Store.ApplyOnce(key, n, func(cur incident.Incident) (incident.Result, error) {
			return incident.Apply(cur, cmd, now)
		})
		b.noteClockBack(n, res)
		if err != nil {
			if _, refused := incident.IsRefusal(err); !refused {
				b.log.Warn("event not stored; Slack will redeliver it", zap.String("event_id", eventID), zap.Error(err))
				return
			}
		}
		b.ack(req, start, nil)
	})
}

// innerData is an event's data as the Socket Mode client decoded it, or
// the zero T when it holds something else.
func innerData[T any](inner slackevents.EventsAPIInnerEvent) T {
	if p, ok := inner.Data.(*T); ok && p != nil {
		return *p
	}
	var zero T
	return zero
}

// messageText fetches a message's text when the event lacks it.
func (b *Bot) messageText(ctx context.Context, channel, ts string) (string, string) {
	if ts == "" {
		return "", ""
	}
	// The event is acked only after the pin is stored, within Slack's 3 s:
	// a slow history call defers the text to the outbox (pin.fetch), it
	// does not hold up the pin.
	ctx, cancel := context.WithTimeout(ctx, 1500*time.Millisecond)
	defer cancel()
	text, user, _, err := b.fetchMessage(ctx, channel, ts, 2)
	if err != nil {
		b.log.Info("pinned message text deferred", zap.String("channel", channel), zap.String("ts", ts), zap.Error(err))
	}
	return text, user
}

// fetchMessage reads one message; found is false when Slack answered
// but the message is gone.
func (b *Bot) fetchMessage(ctx context.Context, channel, ts string, attempts int) (text, user string, found bool, err error) {
	var h *slack.GetConversationHistoryResponse
	err = b.exec.call(ctx, "conversations.history", func(ctx context.Context) error {
		var err error
		h, err = b.api.GetConversationHistoryContext(ctx, &slack.GetConversationHistoryParameters{
			ChannelID: channel, Latest: ts, Oldest: ts, Inclusive: true, Limit: 1,
		})
		return err
	}, attempts)
	if err != nil || h == nil {
		return "", "", false, err
	}
	if len(h.Messages) == 0 {
		return "", "", false, nil
	}
	return h.Messages[0].Text, h.Messages[0].User, true, nil
}
