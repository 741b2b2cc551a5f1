package bot

import (
	"context"

	"github.com/slack-go/slack"

	"github.com/firebreak-hq/firebreak/incident"
	"github.com/firebreak-hq/firebreak/templates"
)

// brief sends the incident's brief, rendered from the timeline as it is
// when it is sent: as an ephemeral in the incident channel to someone
// who joined it, or as a DM (with the handover note) to an incoming lead.
func (e *executor) brief(ctx context.Context, inc incident.Incident, eff incident.Effect) error {
	evs, err := e.b.cfg.Reader.Events(inc.Number)
	if err != nil {
		return err
	}
	now := e.b.now()
	b := incident.MakeBrief(inc, evs, now)
	if eff.Kind == incident.EffDM {
		return e.dm(ctx, inc, eff.User, templates.HandoverDM(b, eff.Fields.By, eff.Text, now, e.b.loc))
	}
	if inc.Channel == "" {
		return errNoChannelYet
	}
	err = e.call(ctx, "chat.postEphemeral", func(ctx context.Context) error {
		_, err := e.b.api.PostEphemeralContext(ctx, inc.Channel, eff.User, slack.MsgOptionText(templates.Brief(b, now, e.b.loc), false))
		return err
	}, 3)
	if slackCode(err) == "user_not_in_channel" {
		// They left again before the brief went out: nobody to tell.
		return nil
	}
	return err
}
