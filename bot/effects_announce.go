package bot

import (
	"context"
	"fmt"

	"github.com/slack-go/slack"
	"go.uber.org/zap"

	"github.com/firebreak-hq/firebreak/incident"
	"github.com/firebreak-hq/firebreak/templates"
)

// announce posts an EffAnnounce effect in the announce channel.
func (e *executor) announce(ctx context.Context, inc incident.Incident, it OutboxItem) error {
	eff := it.Effect
	if e.b.cfg.AnnounceChannel == "" {
		return nil
	}
	if inc.Channel == "" {
		return errNoChannelYet
	}
	if eff.Msg == incident.MsgStatusChanged && incident.Status(eff.Fields.To) == incident.StatusClosed && e.b.cfg.Postmortems != nil {
		// The closure is announced once, with its postmortem link,
		// when the postmortem is filed (or could not be).
		return nil
	}
	if eff.Msg == incident.MsgClosed {
		eff = e.withCloser(inc, eff)
	}
	text, err := templates.Announcement(inc, eff)
	if err != nil {
		return err
	}
	ts, err := e.postAnnounce(ctx, it, text)
	if eff.Msg != incident.MsgDeclared || err != nil || ts == "" || inc.AnnounceTS == ts {
		return err
	}
	// The declaration's ts is recorded, so that a cancel can correct it
	// in place.
	_, err = e.record(inc.Number, func(cur incident.Incident) (incident.Result, error) {
		return incident.RecordAnnouncement(cur, ts), nil
	})
	return err
}

// postAnnounce posts an effect's message once in the announce channel,
// joining it first when the bot is not in it.
func (e *executor) postAnnounce(ctx context.Context, it OutboxItem, text string) (string, error) {
	ch := e.b.cfg.AnnounceChannel
	ts, err := e.postOnceTS(ctx, it, ch, text, nil)
	if slackCode(err) == "not_in_channel" && e.join(ctx, ch) == nil {
		ts, err = e.postOnceTS(ctx, it, ch, text, nil)
	}
	return ts, err
}

func (e *executor) join(ctx context.Context, channel string) error {
	return e.call(ctx, "conversations.join", func(ctx context.Context) error {
		_, _, _, err := e.b.api.JoinConversationContext(ctx, channel)
		return err
	}, 3)
}

// announceOnce posts text in the announce channel once per marker, across restarts.
func (e *executor) announceOnce(ctx context.Context, marker, text string) {
	ch := e.b.cfg.AnnounceChannel
	if ch == "" {
		return
	}
	if ts, _ := e.findMarked(ctx, ch, marker, false); ts != "" {
		return
	}
	if _, err := e.postTS(ctx, ch, text, markedBlocks(text, nil, marker), 3); err != nil {
		e.b.log.Warn("could not announce", zap.String("text", text), zap.Error(err))
	}
}

// correctAnnouncement rewrites the declaration in the announce channel to
// say the incident was cancelled and why. When that message cannot be
// edited (it was never posted, or someone deleted it), the correction is
// posted instead, so the channel is never left announcing an incident
// that is not one.
func (e *executor) correctAnnouncement(ctx context.Context, it OutboxItem, inc incident.Incident) error {
	ch := e.b.cfg.AnnounceChannel
	if ch == "" {
		return nil
	}
	text, err := templates.Announcement(inc, it.Effect)
	if err != nil {
		return err
	}
	if inc.AnnounceTS != "" {
		err := e.call(ctx, "chat.update", func(ctx context.Context) error {
			_, _, _, err := e.b.api.UpdateMessageContext(ctx, ch, inc.AnnounceTS,
				slack.MsgOptionText(templates.Clip(text, maxFallback), false),
				slack.MsgOptionBlocks(slack.NewSectionBlock(mrkdwn(text), nil, nil, slack.SectionBlockOptionBlockID("cancelled:"+inc.ID()))))
			return err
		}, 5)
		if !gone(err) {
			return err
		}
	}
	return e.postOnce(ctx, it, ch, text, nil)
}

// publish writes the postmortem and records where it went.
func (e *executor) publish(ctx context.Context, inc incident.Incident) (incident.Incident, error) {
	b := e.b
	if b.cfg.Postmortems == nil || inc.PostmortemURL != "" {
		return inc, nil
	}
	events, err := b.cfg.Reader.Events(inc.Number)
	if err != nil {
		return inc, err
	}
	names := b.namesFor(ctx, inc, events)
	url, err := b.cfg.Postmortems.Publish(ctx, inc, events, names)
	if err != nil {
		if _, transient := retryable(err); transient {
			return inc, err
		}
		now := b.now()
		recorded, rerr := e.record(inc.Number, func(cur incident.Incident) (incident.Result, error) {
			return incident.RecordPostmortemFailure(cur, err.Error(), now), nil
		})
		if rerr == nil && b.cfg.AnnounceChannel != "" {
			// No link will come: announce the closure without one.
			closed := e.withCloser(inc, incident.Effect{Kind: incident.EffAnnounce, Msg: incident.MsgClosed})
			if text, terr := templates.Announcement(inc, closed); terr == nil {
				e.announceOnce(ctx, fmt.Sprintf("closed:%d", inc.Number), text)
			}
		}
		return recorded, rerr
	}
	now := b.now()
	inc, err = e.record(inc.Number, func(cur incident.Incident) (incident.Result, error) {
		res, err := incident.RecordPostmortem(cur, url, 0, now)
		if incident.HasCode(err, incident.CodeNoop) {
			return keep(cur), nil
		}
		return res, err
	})
	if err != nil {
		return inc, err
	}
	if review := b.cfg.Postmortems.Review(inc, events, names); review != "" {
		lead := inc.Lead
		if lead == "" {
			lead = inc.Declarer
		}
		if perr := e.dm(ctx, inc, lead, review); perr != nil {
			b.log.Warn("could not send the blameless review to the lead", zap.Error(perr))
		}
	}
	return inc, nil
}

// withCloser adds to a closure announcement who closed the incident and, for a forced
// close, the reason, from the timeline.
func (e *executor) withCloser(inc incident.Incident, eff incident.Effect) incident.Effect {
	if evs, err := e.b.cfg.Reader.Events(inc.Number); err == nil {
		for i := len(evs) - 1; i >= 0; i-- {
			if evs[i].Kind == incident.EvClosed {
				eff.Fields.By = evs[i].Actor
				eff.Fields.Reason = evs[i].Text
				break
			}
		}
	}
	return eff
}
