package bot

import (
	"context"
	"fmt"

	"github.com/slack-go/slack"

	"github.com/firebreak-hq/firebreak/incident"
	"github.com/firebreak-hq/firebreak/templates"
)

// skipEffect reports whether an effect no longer applies: a cancelled
// incident's reminders stop, even those already queued.
func skipEffect(inc incident.Incident, eff incident.Effect) bool {
	if inc.Status != incident.StatusCancelled {
		return false
	}
	return eff.Msg == incident.MsgReminder
}

// announceDeclared posts the declaration in the announce channel once
// and records its ts, so that a cancel can correct it in place.
func (e *executor) announceDeclared(ctx context.Context, it OutboxItem, inc incident.Incident, text string) error {
	b := e.b
	ch := b.cfg.AnnounceChannel
	ts, err := e.postOnceTS(ctx, it, ch, text)
	if slackCode(err) == "not_in_channel" {
		if _, _, _, jerr := b.api.JoinConversationContext(ctx, ch); jerr == nil {
			ts, err = e.postOnceTS(ctx, it, ch, text)
		}
	}
	if err != nil || ts == "" || inc.AnnounceTS == ts {
		return err
	}
	_, err = b.cfg.Store.Apply(inc.Number, func(cur incident.Incident) (incident.Result, error) {
		return incident.RecordAnnouncement(cur, ts), nil
	})
	return err
}

// postOnceTS is postOnce that also returns the message's ts.
func (e *executor) postOnceTS(ctx context.Context, it OutboxItem, channel, text string) (string, error) {
	marker := fmt.Sprintf("fx:%d", it.ID)
	blocks := markedBlocks(text, nil, marker)
	if it.Attempts > 0 || it.Created.Before(e.b.started) {
		if ts := e.markerTS(ctx, channel, marker); ts != "" {
			return ts, nil
		}
	}
	var ts string
	err := e.call(ctx, "chat.postMessage", func(ctx context.Context) error {
		var err error
		_, ts, err = e.b.api.PostMessageContext(ctx, channel,
			slack.MsgOptionText(templates.Clip(text, maxFallback), false), slack.MsgOptionBlocks(blocks...))
		return err
	}, 1)
	if err != nil && ambiguous(err) {
		if found := e.markerTS(ctx, channel, marker); found != "" {
			return found, nil
		}
	}
	return ts, err
}

// markerTS finds the recent message carrying marker as a block id.
func (e *executor) markerTS(ctx context.Context, channel, marker string) string {
	var h *slack.GetConversationHistoryResponse
	err := e.call(ctx, "conversations.history", func(ctx context.Context) error {
		var err error
		h, err = e.b.api.GetConversationHistoryContext(ctx, &slack.GetConversationHistoryParameters{ChannelID: channel, Limit: 100})
		return err
	}, 3)
	if err != nil || h == nil {
		return ""
	}
	for _, m := range h.Messages {
		for _, bl := range m.Blocks.BlockSet {
			if bl.ID() == marker {
				return m.Timestamp
			}
		}
	}
	return ""
}

// correctAnnouncement rewrites the declaration in the announce channel to
// say the incident was cancelled and why. When that message cannot be
// edited (it was never posted, or someone deleted it), the correction is
// posted instead, so the channel is never left announcing an incident
// that is not one.
func (e *executor) correctAnnouncement(ctx context.Context, it OutboxItem, inc incident.Incident) error {
	b := e.b
	ch := b.cfg.AnnounceChannel
	if ch == "" {
		return nil
	}
	text, err := templates.Announcement(inc, it.Effect)
	if err != nil {
		return err
	}
	if inc.AnnounceTS != "" {
		err := e.call(ctx, "chat.update", func(ctx context.Context) error {
			_, _, _, err := b.api.UpdateMessageContext(ctx, ch, inc.AnnounceTS,
				slack.MsgOptionText(templates.Clip(text, maxFallback), false),
				slack.MsgOptionBlocks(slack.NewSectionBlock(mrkdwn(text), nil, nil, slack.SectionBlockOptionBlockID("cancelled:"+inc.ID()))))
			return err
		}, 5)
		switch slackCode(err) {
		case "message_not_found", "cant_update_message":
		default:
			return err
		}
	}
	return e.postOnce(ctx, it, ch, text, nil)
}

// archiveChannel archives a cancelled incident's channel.
// https://api.slack.com/methods/conversations.archive
func (e *executor) archiveChannel(ctx context.Context, inc incident.Incident) error {
	err := e.call(ctx, "conversations.archive", func(ctx context.Context) error {
		return e.b.api.ArchiveConversationContext(ctx, inc.Channel)
	}, 5)
	if slackCode(err) == "already_archived" {
		return nil
	}
	return err
}
