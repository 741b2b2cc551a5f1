package bot

import (
	"context"
	"fmt"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/firebreak-hq/firebreak/bot/outbox"
	"github.com/firebreak-hq/firebreak/incident"
	"github.com/firebreak-hq/firebreak/templates"
)

// executor is the Slack side of the outbox: the outbox.Runner decides
// when and in which order effects are performed, and calls the executor
// (its Port) to perform each against Slack. Every Web API call goes
// through call.
type executor struct {
	b      *Bot
	runner *outbox.Runner[subject]

	mu        sync.Mutex
	gate      map[string]time.Time // method → not before, after a 429
	delayTold map[uint64]bool
	kickTold  map[string]bool // "<incident>:<reason>" the lead was told about
}

// effectPolicy is what the runner knows about effect kinds.
var effectPolicy = outbox.Policy{
	// Every pending card update is satisfied by one render of the
	// current state.
	Coalesce: map[incident.EffectKind]bool{incident.EffUpdateCard: true},
	// These touch different Slack objects and read nothing another one
	// writes, so once the channel exists they run at the same time: the
	// card is not held up behind invites, topic and announcement.
	Concurrent: map[incident.EffectKind]bool{
		incident.EffPostCard:  true,
		incident.EffInvite:    true,
		incident.EffSetTopic:  true,
		incident.EffAnnounce:  true,
		incident.EffEphemeral: true,
	},
	// Re-running a create is a no-op once the channel is recorded, so its
	// removal need not hold up the card (the critical path of a
	// declaration): it commits while the card is posted.
	DoneInBackground: map[incident.EffectKind]bool{incident.EffCreateChannel: true},
	// A stop (a restart, a rolling deploy) lets a Slack call under way
	// finish and its effect leave the queue: a message that reached Slack
	// is not posted again by the next process, DMs included.
	Grace: 5 * time.Second,
}

// botClock is the bot's injected clock, waiting on real timers.
type botClock struct{ now func() time.Time }

func (c botClock) Now() time.Time                         { return c.now() }
func (c botClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

func newExecutor(b *Bot) *executor {
	e := &executor{
		b:         b,
		gate:      map[string]time.Time{},
		delayTold: map[uint64]bool{},
		kickTold:  map[string]bool{},
	}
	p := effectPolicy
	p.CoalesceInterval = b.cfg.CardInterval
	e.runner = outbox.New[subject](b.cfg.Outbox, e, botClock{b.now}, p, outbox.Events{
		Postponed: func(it outbox.Item, err error, at time.Time) {
			log := b.log.With(zap.String("incident", incident.ID(it.Incident)), zap.String("effect", string(it.Effect.Kind)), zap.Duration("retry_in", at.Sub(b.now())))
			if code, ok := authProblem(err); ok {
				log.Warn("effect kept until Slack accepts the bot again", zap.String("error", code))
				return
			}
			log.Info("effect postponed", zap.Error(err))
		},
		Failed: func(it outbox.Item, err error) {
			b.log.Error("effect failed permanently", zap.String("incident", incident.ID(it.Incident)), zap.String("effect", string(it.Effect.Kind)), zap.Error(err))
		},
		Dropped: func(n uint64, ids []uint64, err error) {
			b.log.Warn("dropped the effects of an incident that can no longer have them", zap.String("incident", incident.ID(n)), zap.Int("effects", len(ids)), zap.Error(err))
		},
		Problem: func(what string, err error) { b.log.Error(what, zap.Error(err)) },
	})
	return e
}

func (e *executor) run(ctx context.Context) { e.runner.Run(ctx) }

// subject is what a batch of one incident's effects acts on: the
// incident and its Slack record.
type subject struct {
	incident.Incident
	slack SlackRecord
}

// Load reads the incident a batch of effects acts on, with its Slack
// record. A batch for an incident that is gone, or whose channel creation
// was given up (no create effect waits and there is no channel), is
// dropped: it would otherwise wait forever.
func (e *executor) Load(n uint64, batch []OutboxItem) (subject, error) {
	if n == 0 {
		return subject{}, nil
	}
	inc, err := e.b.cfg.Store.Get(n)
	if err != nil {
		if e.b.cfg.NotFound(err) {
			return subject{}, fmt.Errorf("incident %d not found: %w", n, outbox.ErrDrop)
		}
		return subject{}, err
	}
	s := subject{Incident: inc}
	if s.slack, err = e.b.cfg.Store.Slack(n); err != nil {
		return s, err
	}
	if inc.Channel == "" && len(batch) > 0 {
		for _, it := range batch {
			if it.Effect.Kind == incident.EffCreateChannel {
				return s, nil
			}
		}
		return s, fmt.Errorf("the incident channel could not be created: %w", outbox.ErrDrop)
	}
	return s, nil
}

// Classify keeps an effect that failed for a passing reason, or because
// Slack refuses the bot until an operator fixes it (noteAuth told them
// how), trying again at a pace that notices the fix.
func (e *executor) Classify(err error) (time.Duration, bool) {
	if _, ok := authProblem(err); ok {
		return 0, true
	}
	return retryable(err)
}

// Perform carries out one effect against Slack. When the bot was removed from the incident
// channel it gets back in (or has the lead invite it) and the effect is done then.
func (e *executor) Perform(ctx context.Context, s subject, it OutboxItem) (subject, error) {
	k := it.Effect.Kind
	if k == incident.EffPostCard || k == incident.EffUpdateCard {
		// The card shows what App Home lists: the incident changed.
		e.b.home.changed()
	}
	s, err := e.performEffect(ctx, s, it)
	restricted := slackCode(err) == "restricted_action" && (k == incident.EffPost || k == incident.EffPostCard || k == incident.EffUpdateCard)
	if !(channelGone(err) || restricted) || it.Incident == 0 || !needsChannel(k) || s.Channel == "" {
		return s, err
	}
	if restricted {
		return s, e.postingRefused(ctx, s.Incident, it)
	}
	if !e.rejoin(ctx, s.Incident) {
		return s, &outbox.Later{D: channelRetry(it.Attempts), Why: "removed from the incident channel: " + err.Error()}
	}
	return e.performEffect(ctx, s, it)
}

// record writes back what an effect learnt about the incident (a channel
// id, a postmortem URL…) and returns the incident as stored.
func (e *executor) record(n uint64, fn func(cur incident.Incident) (incident.Result, error)) (incident.Incident, error) {
	res, err := e.b.cfg.Store.Apply(n, fn)
	return res.Incident, err
}

// recordSlack writes back a Slack answer (a card or announcement ts) to
// the incident's Slack record and returns s with the record as stored.
func (e *executor) recordSlack(s subject, fn func(SlackRecord) SlackRecord) (subject, error) {
	rec, err := e.b.cfg.Store.UpdateSlack(s.Number, fn)
	if err != nil {
		return s, err
	}
	s.slack = rec
	return s, nil
}

// keep is a write-back that leaves the incident as it is.
func keep(cur incident.Incident) incident.Result { return incident.Result{Incident: cur} }

var errNoChannelYet = &outbox.Later{D: time.Second, Why: "incident channel not created yet"}

func (e *executor) performEffect(ctx context.Context, s subject, it OutboxItem) (subject, error) {
	if it.Incident == 0 {
		return s, e.performGlobal(ctx, it)
	}
	eff := it.Effect
	if skipEffect(s.Incident, eff) {
		return s, nil
	}
	if eff.Kind != incident.EffCreateChannel && s.Channel == "" && eff.Kind != incident.EffAnnounce {
		// The channel does not exist yet: the create effect is ahead of us
		// and has not succeeded; wait for it.
		return s, errNoChannelYet
	}
	var err error
	switch eff.Kind {
	case incident.EffCreateChannel:
		s.Incident, err = e.createChannel(ctx, s, it)
		return s, err
	case incident.EffPostCard:
		return e.postCard(ctx, s, it)
	case incident.EffUpdateCard:
		return e.updateCard(ctx, s)
	case incident.EffPublishPostmortem:
		s.Incident, err = e.publish(ctx, s.Incident)
		return s, err
	case incident.EffFetchPinned:
		return s, e.fetchPinned(ctx, s.Incident, eff.Fields.TS)
	}
	return s, e.performMessage(ctx, s, it)
}

// performMessage carries out the effects that only send or change messages.
func (e *executor) performMessage(ctx context.Context, s subject, it OutboxItem) error {
	inc := s.Incident
	eff := it.Effect
	if eff.Msg == incident.MsgBrief && (eff.Kind == incident.EffEphemeral || eff.Kind == incident.EffDM) {
		return e.brief(ctx, inc, eff)
	}
	switch eff.Kind {
	case incident.EffInvite:
		return e.invite(ctx, inc, eff.Users)
	case incident.EffSetTopic:
		return e.call(ctx, "conversations.setTopic", func(ctx context.Context) error {
			_, err := e.b.api.SetTopicOfConversationContext(ctx, inc.Channel, templates.Topic(inc))
			return err
		}, 5)
	case incident.EffPost:
		text, blocks, err := e.channelMessage(inc, eff)
		if err != nil {
			return err
		}
		return e.postOnce(ctx, it, inc.Channel, text, blocks)
	case incident.EffAnnounce:
		return e.announce(ctx, s, it)
	case incident.EffEphemeral:
		text, reply := eff.Text, ""
		if eff.Msg == incident.MsgDeclared {
			// The response_url reaches the declarer wherever they typed,
			// even in channels the bot is not in.
			text, reply = templates.DeclaredEphemeral(inc), s.slack.ReplyURL
		}
		ch := s.slack.OriginChannel
		if ch == "" {
			ch = inc.Channel
		}
		return e.tellPrivately(ctx, privately{replyURL: reply, channel: ch, user: eff.User}, text)
	case incident.EffDM:
		text := eff.Text
		switch {
		case eff.Msg == incident.MsgClosed:
			text = templates.ClosedWithLink(inc, eff.Fields.URL)
		case eff.Msg == incident.MsgReminder && eff.Fields.Reminder == incident.ReminderFollowup:
			text = templates.FollowupReminder(inc, inc.PostmortemURL)
		case eff.Msg == incident.MsgReminder && eff.Fields.Reminder == incident.ReminderReviewSoon:
			text = templates.ReviewReminder(inc, eff.Fields.Due.Add(24*time.Hour), false, e.b.loc)
		case eff.Msg == incident.MsgReminder && eff.Fields.Reminder == incident.ReminderReviewOverdue:
			text = templates.ReviewReminder(inc, eff.Fields.Due, true, e.b.loc)
		}
		return e.dm(ctx, inc, eff.User, text)
	case incident.EffCorrectAnnouncement:
		return e.correctAnnouncement(ctx, it, s)
	case incident.EffArchiveChannel:
		return e.archiveChannel(ctx, inc)
	case incident.EffWithdrawApproval:
		return e.withdrawApproval(ctx, inc, eff)
	}
	return fmt.Errorf("unknown effect %q", eff.Kind)
}

// performGlobal carries out effects that belong to no incident: the
// daily digest, rendered when it is posted from the open incidents and
// the closed ones whose follow-ups are still counted.
func (e *executor) performGlobal(ctx context.Context, it OutboxItem) error {
	if ch := it.Effect.Fields.Channel; it.Effect.Kind == incident.EffPost && ch != "" {
		// A notify route's message, rendered when the alert came in.
		return e.postOnce(ctx, it, ch, it.Effect.Text, nil)
	}
	if it.Effect.Kind != incident.EffAnnounce || e.b.cfg.AnnounceChannel == "" {
		return nil
	}
	text := it.Effect.Text
	if it.Effect.Msg == incident.MsgDigest {
		now := e.b.now()
		open, err := e.b.cfg.Reader.OpenIncidents()
		if err != nil {
			return err
		}
		closed, err := e.b.cfg.Reader.RecentClosed(now.Add(-incident.FollowupHorizon))
		if err != nil {
			return err
		}
		text = templates.Digest(append(open, closed...), now)
	}
	return e.postOnce(ctx, it, e.b.cfg.AnnounceChannel, text, nil)
}

// fetchPinned records the text of a pinned message that Slack did not
// hand over within the ack deadline.
func (e *executor) fetchPinned(ctx context.Context, inc incident.Incident, ts string) error {
	if ts == "" {
		return nil
	}
	text, author, _, err := e.b.fetchMessage(ctx, inc.Channel, ts, 3)
	if err != nil {
		return err
	}
	actor := author
	if actor == "" {
		actor = e.b.botUser
	}
	now := e.b.now()
	_, err = e.record(inc.Number, func(cur incident.Incident) (incident.Result, error) {
		return incident.Apply(cur, incident.Command{Kind: incident.CmdPinnedText, Actor: actor, User: author, Ref: ts, Text: text}, now)
	})
	return err
}

// maybeCrashed says whether an effect may have been performed by an earlier run that did not
// live to record it.
func (e *executor) maybeCrashed(it OutboxItem) bool {
	return it.Attempts > 0 || it.Created.Before(e.b.started)
}

var _ outbox.Port[subject] = (*executor)(nil)
