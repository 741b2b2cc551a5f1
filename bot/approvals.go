package bot

import (
	"context"
	"strconv"

	"github.com/slack-go/slack"
	"go.uber.org/zap"

	"github.com/firebreak-hq/firebreak/incident"
	"github.com/firebreak-hq/firebreak/templates"
)

// withdrawApproval replaces the message of a withdrawn approval request
// with a note that it was withdrawn, so its Approve button is gone. The
// button is refused anyway (it names its request); this keeps anyone from
// reading the old command as the one awaiting approval. A message not
// found in the channel's recent history (long gone, or deleted) is left
// as it is.
func (e *executor) withdrawApproval(ctx context.Context, inc incident.Incident, eff incident.Effect) error {
	req, _ := strconv.Atoi(eff.Fields["request"])
	want := approvalBlockID(eff.Fields["step"], req)
	var h *slack.GetConversationHistoryResponse
	err := e.call(ctx, "conversations.history", func(ctx context.Context) error {
		var err error
		h, err = e.b.api.GetConversationHistoryContext(ctx, &slack.GetConversationHistoryParameters{ChannelID: inc.Channel, Limit: 200})
		return err
	}, 3)
	if err != nil {
		return err
	}
	ts := ""
	for _, m := range h.Messages {
		if m.User != e.b.botUser && m.BotID == "" {
			continue
		}
		for _, bl := range m.Blocks.BlockSet {
			if bl.ID() == want {
				ts = m.Timestamp
			}
		}
	}
	if ts == "" {
		e.b.log.Info("withdrawn approval request's message not found; its button is refused when pressed",
			zap.String("incident", inc.ID()), zap.String("block", want))
		return nil
	}
	text, err := templates.ApprovalWithdrawn(inc, eff)
	if err != nil {
		return err
	}
	err = e.call(ctx, "chat.update", func(ctx context.Context) error {
		_, _, _, err := e.b.api.UpdateMessageContext(ctx, inc.Channel, ts,
			slack.MsgOptionText(templates.Clip(text, maxFallback), false),
			slack.MsgOptionBlocks(WithdrawnApprovalBlocks(text)...))
		return err
	}, 5)
	if code := slackCode(err); code == "message_not_found" || code == "cant_update_message" {
		return nil
	}
	return err
}
