package bot

import (
	"context"

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
	want := approvalBlockID(eff.Fields.Step, eff.Fields.Request)
	ts, err := e.findMarked(ctx, inc.Channel, want, true)
	if err != nil {
		return err
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
	if gone(err) {
		return nil
	}
	return err
}
