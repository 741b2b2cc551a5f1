package bot

import (
	"context"
	"fmt"

	"github.com/slack-go/slack"
	"go.uber.org/zap"

	"github.com/firebreak-hq/firebreak/incident"
	"github.com/firebreak-hq/firebreak/templates"
)

func (e *executor) channelMessage(inc incident.Incident, eff incident.Effect) (string, []slack.Block, error) {
	if eff.Msg == incident.MsgText {
		if eff.Fields.PostmortemFailed {
			return templates.PostmortemFailed(inc, eff.Text), nil, nil
		}
		return eff.Text, nil, nil
	}
	if eff.Msg == incident.MsgClosed {
		return templates.ClosedWithLink(inc, eff.Fields.URL), nil, nil
	}
	var text string
	var err error
	if eff.Msg == incident.MsgReminder {
		text, err = templates.Reminder(inc, eff, e.b.now())
	} else {
		text, err = templates.ChannelMessage(inc, eff)
	}
	if err != nil {
		return "", nil, err
	}
	switch eff.Msg {
	case incident.MsgReminder:
		return text, ReminderBlocks(inc, string(eff.Fields.Reminder), text), nil
	case incident.MsgApprovalAsked:
		// The button stays on the message; a press after approval or
		// close is answered with the reason it no longer applies.
		return text, ApprovalBlocks(inc, eff, text), nil
	}
	return text, nil, nil
}

// post sends a message (a DM when channel is a user id).
func (e *executor) post(ctx context.Context, channel, text string, blocks []slack.Block) error {
	_, err := e.postTS(ctx, channel, text, blocks, 3)
	return err
}

func (e *executor) postTS(ctx context.Context, channel, text string, blocks []slack.Block, attempts int) (string, error) {
	opts := []slack.MsgOption{slack.MsgOptionText(templates.Clip(text, maxFallback), false)}
	if len(blocks) > 0 {
		opts = append(opts, slack.MsgOptionBlocks(blocks...))
	}
	var ts string
	err := e.call(ctx, "chat.postMessage", func(ctx context.Context) error {
		var err error
		_, ts, err = e.b.api.PostMessageContext(ctx, channel, opts...)
		return err
	}, attempts)
	return ts, err
}

// postOnce posts an outbox effect's message so that it appears once even
// when Slack's answer is lost (a 5xx or timeout after the write, or a
// crash before the effect left the outbox): the message carries the
// effect's id as a block_id, and before any repeat the channel's recent
// history is searched for it.
func (e *executor) postOnce(ctx context.Context, it OutboxItem, channel, text string, blocks []slack.Block) error {
	_, err := e.postOnceTS(ctx, it, channel, text, blocks)
	return err
}

// postOnceTS is postOnce that also returns the message's ts.
func (e *executor) postOnceTS(ctx context.Context, it OutboxItem, channel, text string, blocks []slack.Block) (string, error) {
	marker := fmt.Sprintf("fx:%d", it.ID)
	blocks = markedBlocks(text, blocks, marker)
	if e.maybeCrashed(it) {
		if ts, _ := e.findMarked(ctx, channel, marker, false); ts != "" {
			return ts, nil
		}
	}
	ts, err := e.postTS(ctx, channel, text, blocks, 1)
	if err != nil && ambiguous(err) {
		if found, _ := e.findMarked(ctx, channel, marker, false); found != "" {
			return found, nil
		}
	}
	return ts, err
}

// historyDepth is how many recent messages are searched for a marked one.
const historyDepth = 200

// findMarked returns the ts of the newest recent message in channel with
// a block whose id is marker ("" when there is none), among the bot's own
// messages when botOnly.
func (e *executor) findMarked(ctx context.Context, channel, marker string, botOnly bool) (string, error) {
	var h *slack.GetConversationHistoryResponse
	err := e.call(ctx, "conversations.history", func(ctx context.Context) error {
		var err error
		h, err = e.b.api.GetConversationHistoryContext(ctx, &slack.GetConversationHistoryParameters{ChannelID: channel, Limit: historyDepth})
		return err
	}, 3)
	if err != nil || h == nil {
		return "", err
	}
	for _, m := range h.Messages {
		if botOnly && m.User != e.b.botUser && m.BotID == "" {
			continue
		}
		for _, bl := range m.Blocks.BlockSet {
			if bl.ID() == marker {
				return m.Timestamp, nil
			}
		}
	}
	return "", nil
}

// markedBlocks returns blocks whose first block carries marker. Plain
// text becomes sections of at most maxText characters, cut at line or
// word ends, so a long status update is posted whole rather than clipped.
func markedBlocks(text string, blocks []slack.Block, marker string) []slack.Block {
	if len(blocks) == 0 {
		for _, chunk := range splitMrkdwn(text, maxText-100, maxBlocks) {
			blocks = append(blocks, slack.NewSectionBlock(mrkdwn(chunk), nil, nil))
		}
	}
	if len(blocks) == 0 {
		return blocks
	}
	switch b := blocks[0].(type) {
	case *slack.SectionBlock:
		b.BlockID = marker
	case *slack.ActionBlock:
		b.BlockID = marker
	case *slack.ContextBlock:
		b.BlockID = marker
	case *slack.HeaderBlock:
		b.BlockID = marker
	}
	return blocks
}

// splitMrkdwn cuts s into at most max pieces of at most size runes,
// preferring line and word ends and never cutting inside <…> or &…;.
func splitMrkdwn(s string, size, max int) []string {
	var out []string
	r := []rune(s)
	for len(r) > 0 && len(out) < max {
		if len(r) <= size || len(out) == max-1 {
			out = append(out, templates.Clip(string(r), size))
			break
		}
		cut := lastBreak(r, size, '\n')
		if cut == size {
			cut = lastBreak(r, size, ' ')
		}
		// Do not split an entity or a <…> token.
		for i := cut - 1; i >= 0 && i > cut-40; i-- {
			if r[i] == '>' || r[i] == ';' {
				break
			}
			if r[i] == '<' || r[i] == '&' {
				cut = i
				break
			}
		}
		if cut == 0 {
			cut = size
		}
		out = append(out, string(r[:cut]))
		r = r[cut:]
		for len(r) > 0 && (r[0] == '\n' || r[0] == ' ') {
			r = r[1:]
		}
	}
	return out
}

// lastBreak is the last index of sep in r's second half up to size, or size.
func lastBreak(r []rune, size int, sep rune) int {
	for i := size; i > size/2; i-- {
		if r[i] == sep {
			return i
		}
	}
	return size
}

// privately is where a private answer can reach someone: the slash
// command's response_url (which works wherever they typed, even where the
// bot is not), an ephemeral in channel, and their DMs.
type privately struct {
	replyURL, channel, user string
}

// tellPrivately reaches to.user by the first way that works: the
// response_url, an ephemeral, then (when the ephemeral is refused, say in
// a channel the bot is not in) a DM. A passing failure of the ephemeral is
// returned, to be tried again.
func (e *executor) tellPrivately(ctx context.Context, to privately, text string) error {
	if to.replyURL != "" {
		err := e.call(ctx, "response_url", func(ctx context.Context) error {
			return slack.PostWebhookContext(ctx, to.replyURL, &slack.WebhookMessage{Text: text, ResponseType: slack.ResponseTypeEphemeral})
		}, 2)
		if err == nil {
			return nil
		}
	}
	if to.channel != "" {
		err := e.call(ctx, "chat.postEphemeral", func(ctx context.Context) error {
			_, err := e.b.api.PostEphemeralContext(ctx, to.channel, to.user, slack.MsgOptionText(text, false))
			return err
		}, 3)
		if err == nil {
			return nil
		}
		if _, transient := retryable(err); transient {
			return err
		}
	}
	return e.post(ctx, to.user, text, nil)
}

// tellDeclarer reaches the declarer wherever they are: the slash command's response_url,
// an ephemeral where they typed, or a DM.
func (e *executor) tellDeclarer(ctx context.Context, s subject, text string) {
	inc := s.Incident
	to := privately{replyURL: s.slack.ReplyURL, channel: s.slack.OriginChannel, user: inc.Declarer}
	if err := e.tellPrivately(ctx, to, text); err != nil {
		e.b.log.Warn("could not tell the declarer", zap.String("incident", inc.ID()), zap.Error(err))
	}
}

// refusedDM is an answer that means this person cannot get a DM from the app.
// https://api.slack.com/methods/chat.postMessage (errors: messages_tab_disabled, …)
func refusedDM(err error) bool {
	switch slackCode(err) {
	case "messages_tab_disabled", "cannot_dm_bot", "channel_not_found", "not_in_channel", "is_archived", "restricted_action":
		return true
	}
	return false
}

// dm sends a direct message, or, when Slack refuses it, the same text as an ephemeral in the
// incident channel.
func (e *executor) dm(ctx context.Context, inc incident.Incident, user, text string) error {
	err := e.post(ctx, user, text, nil)
	if err == nil || !refusedDM(err) || inc.Channel == "" {
		return err
	}
	e.b.log.Info("a direct message was refused; sending it in the incident channel instead", zap.String("user", user), zap.String("error", slackCode(err)))
	return e.call(ctx, "chat.postEphemeral", func(ctx context.Context) error {
		_, err := e.b.api.PostEphemeralContext(ctx, inc.Channel, user, slack.MsgOptionText(text, false))
		return err
	}, 3)
}

// announce posts an EffAnnounce effect in the announce channel.
func (e *executor) announce(ctx context.Context, s subject, it OutboxItem) error {
	inc := s.Incident
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
	if eff.Msg != incident.MsgDeclared || err != nil || ts == "" || s.slack.AnnounceTS == ts {
		return err
	}
	// The declaration's ts is recorded, so that a cancel can correct it
	// in place.
	_, err = e.recordSlack(s, func(r SlackRecord) SlackRecord { r.AnnounceTS = ts; return r })
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
		// The text may name a private incident: it is logged at debug only.
		e.b.log.Warn("could not announce", zap.String("marker", marker), zap.Error(err))
		e.b.log.Debug("the announcement not posted", zap.String("marker", marker), zap.String("text", text))
	}
}

// correctAnnouncement rewrites the declaration in the announce channel to
// say the incident was cancelled and why. When that message cannot be
// edited (it was never posted, or someone deleted it), the correction is
// posted instead, so the channel is never left announcing an incident
// that is not one.
func (e *executor) correctAnnouncement(ctx context.Context, it OutboxItem, s subject) error {
	inc := s.Incident
	ch := e.b.cfg.AnnounceChannel
	if ch == "" {
		return nil
	}
	text, err := templates.Announcement(inc, it.Effect)
	if err != nil {
		return err
	}
	if s.slack.AnnounceTS != "" {
		err := e.call(ctx, "chat.update", func(ctx context.Context) error {
			_, _, _, err := e.b.api.UpdateMessageContext(ctx, ch, s.slack.AnnounceTS,
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
		lead := inc.Owner()
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
