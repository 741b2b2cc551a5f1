package bot

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/slack-go/slack"
	"go.uber.org/zap"

	"github.com/firebreak-hq/firebreak/bot/outbox"
	"github.com/firebreak-hq/firebreak/incident"
	"github.com/firebreak-hq/firebreak/templates"
)

// createChannel creates inc-<n>-<slug>, adding a suffix on name_taken.
// A channel of ours left by a crash between create and record is
// adopted instead of creating a second one. A refusal only an admin can
// fix is handled by refusedCreate.
func (e *executor) createChannel(ctx context.Context, s subject, it OutboxItem) (incident.Incident, error) {
	inc := s.Incident
	if inc.Channel != "" {
		return inc, nil
	}
	ch, err := e.newChannel(ctx, s, it)
	if channelRefusal(err) {
		return inc, e.refusedCreate(ctx, s, it, err)
	}
	if err != nil {
		return inc, err
	}
	e.mu.Lock()
	delete(e.delayTold, inc.Number)
	e.mu.Unlock()
	now := e.b.now()
	return e.record(inc.Number, func(cur incident.Incident) (incident.Result, error) {
		if cur.Channel != "" {
			return keep(cur), nil
		}
		return incident.RecordChannel(cur, ch.ID, ch.Name, now), nil
	})
}

// createGate is how long a rate-limited conversations.create is waited
// out in place; a longer wait gives the worker back.
const createGate = 30 * time.Second

func (e *executor) newChannel(ctx context.Context, s subject, it OutboxItem) (*slack.Channel, error) {
	inc := s.Incident
	const method = "conversations.create"
	for suffix := 1; suffix <= 50; suffix++ {
		name := ChannelName(inc.Number, inc.Title, suffix)
		if inc.Private {
			// A private incident's channel name carries no title either:
			// names show in admin tools, exports and channel mentions.
			name = ChannelName(inc.Number, "private", suffix)
		}
		// Another incident's create was just rate-limited: tell this
		// declarer now rather than after the wait, and do not hold a
		// worker for a long one.
		if gated := e.gated(method); gated > 0 {
			e.tellDelay(s, gated)
			if gated > createGate {
				return nil, &outbox.Later{D: gated, Why: method + " is rate-limited"}
			}
		}
		var ch *slack.Channel
		err := e.call(ctx, method, func(ctx context.Context) error {
			var err error
			ch, err = e.b.api.CreateConversationContext(ctx, slack.CreateConversationParams{ChannelName: name, IsPrivate: inc.Private})
			return err
		}, 1)
		if d, transient := retryable(err); err != nil && transient {
			var rl *slack.RateLimitedError
			if errors.As(err, &rl) {
				e.holdBack(method, d)
				e.tellDelay(s, d)
				if d <= createGate && e.sleep(ctx, d) {
					suffix--
					continue
				}
			}
			return nil, err
		}
		if slackCode(err) == "name_taken" {
			// Try the next suffix at once. Only when a crash may have
			// come between a create and its record is the bot's own
			// channel list (not the workspace's) searched for it.
			if e.maybeCrashed(it) {
				if own := e.findOwnChannel(ctx, inc, name); own != nil {
					ch, err = own, nil
				}
			}
			if err != nil {
				continue
			}
		}
		return ch, err
	}
	return nil, errors.New("no free channel name after 50 suffixes")
}

// refusedCreate handles a channel creation only an admin can unblock: the declarer and the
// announce channel hear what to change (once, after the retry is recorded, so what they read
// is already true), the creation is tried again at a slow pace, and after channelWait the
// incident's channel work is given up, saying so.
func (e *executor) refusedCreate(ctx context.Context, s subject, it OutboxItem, err error) error {
	inc := s.Incident
	if e.b.now().Sub(it.Created) < channelWait {
		e.b.log.Warn("Slack refused to create the incident channel; retrying", zap.String("incident", inc.ID()), zap.String("error", slackCode(err)), zap.Duration("retry_in", channelRetry(it.Attempts)))
		later := &outbox.Later{D: channelRetry(it.Attempts), Why: err.Error()}
		if it.Attempts == 0 {
			later.Then = func(ctx context.Context) {
				text := refusedText(inc, err)
				e.tellDeclarer(ctx, s, text)
				e.announceOnce(ctx, fmt.Sprintf("fx:%d:refused", it.ID), text)
			}
		}
		return later
	}
	text := gaveUpText(inc, err)
	e.tellDeclarer(ctx, s, text)
	e.announceOnce(ctx, fmt.Sprintf("fx:%d:gaveup", it.ID), text)
	e.b.log.Error("gave up creating the incident channel", zap.String("incident", inc.ID()), zap.String("error", slackCode(err)))
	return fmt.Errorf("slack refused to create the channel for %d days: %w: %w", int(channelWait.Hours()/24), err, outbox.ErrDrop)
}

// tellDelay lets the declarer know once that Slack is slowing us down,
// without holding up the creation.
func (e *executor) tellDelay(s subject, d time.Duration) {
	inc := s.Incident
	e.mu.Lock()
	told := e.delayTold[inc.Number]
	e.delayTold[inc.Number] = true
	e.mu.Unlock()
	if told {
		return
	}
	text := templates.ChannelDelayed(inc.ID(), d)
	e.runner.Go(func(ctx context.Context) { e.tellDeclarer(ctx, s, text) })
}

// findOwnChannel looks for a channel named name that this bot created for inc, among the
// channels the bot is in (users.conversations: a few pages at most, unlike the workspace's
// list).
func (e *executor) findOwnChannel(ctx context.Context, inc incident.Incident, name string) *slack.Channel {
	cursor := ""
	for page := 0; page < 50; page++ {
		var chans []slack.Channel
		var next string
		err := e.call(ctx, "users.conversations", func(ctx context.Context) error {
			var err error
			chans, next, err = e.b.api.GetConversationsForUserContext(ctx, &slack.GetConversationsForUserParameters{Cursor: cursor, Limit: 1000, ExcludeArchived: true, Types: []string{channelType(inc)}})
			return err
		}, 3)
		if err != nil {
			return nil
		}
		for i := range chans {
			c := chans[i]
			if c.Name == name && c.Creator == e.b.botUser && !time.Time(c.Created.Time()).Before(inc.DeclaredAt.Add(-time.Minute)) {
				return &c
			}
		}
		if next == "" {
			return nil
		}
		cursor = next
	}
	return nil
}

// channelType is the users.conversations type of inc's channel.
func channelType(inc incident.Incident) string {
	if inc.Private {
		return "private_channel"
	}
	return "public_channel"
}

// inviteBatch is how many users one conversations.invite names (Slack takes up to 1000).
const inviteBatch = 100

// invite adds users to the incident channel with force=true, so that one refused user (say,
// already in the channel) does not keep the others out, then checks who is in and tells the
// channel who could not be added and why.
// https://api.slack.com/methods/conversations.invite
func (e *executor) invite(ctx context.Context, inc incident.Incident, users []string) error {
	var want []string
	seen := map[string]bool{}
	for _, u := range users {
		if u != "" && u != e.b.botUser && !seen[u] {
			seen[u] = true
			want = append(want, u)
		}
	}
	if len(want) == 0 {
		return nil
	}
	for start := 0; start < len(want); start += inviteBatch {
		batch := want[start:min(start+inviteBatch, len(want))]
		err := e.call(ctx, "conversations.invite", func(ctx context.Context) error {
			_, err := e.b.api.ForceInviteUsersToConversationContext(ctx, inc.Channel, batch...)
			return err
		}, 5)
		if err != nil && (slackCode(err) == "" || channelGone(err)) {
			return err
		}
		if _, auth := authProblem(err); auth {
			return err
		}
		if _, transient := retryable(err); err != nil && transient {
			return err
		}
		// Any other answer names a refused user: who is in is checked below.
	}
	in, err := e.members(ctx, inc.Channel, 100, 3)
	if err != nil {
		return err
	}
	var bad []templates.Uninvited
	for _, u := range want {
		if in[u] {
			continue
		}
		// Ask for this one alone, to learn why Slack refuses them.
		err := e.call(ctx, "conversations.invite", func(ctx context.Context) error {
			_, err := e.b.api.InviteUsersToConversationContext(ctx, inc.Channel, u)
			return err
		}, 5)
		code := slackCode(err)
		switch {
		case err == nil, code == "already_in_channel", code == "cant_invite_self":
			continue
		case code == "":
			return err
		}
		if _, auth := authProblem(err); auth {
			return err
		}
		bad = append(bad, templates.Uninvited{User: u, Code: code})
	}
	if len(bad) > 0 {
		e.b.log.Warn("some responders could not be invited", zap.Any("users", bad))
		return e.post(ctx, inc.Channel, templates.InviteFailed(bad), nil)
	}
	return nil
}

// members is the set of users in channel, read over at most pages pages.
func (e *executor) members(ctx context.Context, channel string, pages, attempts int) (map[string]bool, error) {
	in := map[string]bool{}
	cursor := ""
	for page := 0; page < pages; page++ {
		var ids []string
		var next string
		err := e.call(ctx, "conversations.members", func(ctx context.Context) error {
			var err error
			ids, next, err = e.b.api.GetUsersInConversationContext(ctx, &slack.GetUsersInConversationParameters{ChannelID: channel, Cursor: cursor, Limit: 1000})
			return err
		}, attempts)
		if err != nil {
			return nil, err
		}
		for _, id := range ids {
			in[id] = true
		}
		if next == "" {
			break
		}
		cursor = next
	}
	return in, nil
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

// channelRefusal is an answer of conversations.create that only a workspace admin can fix.
// https://api.slack.com/methods/conversations.create (errors: restricted_action, missing_scope)
func channelRefusal(err error) bool {
	switch slackCode(err) {
	case "restricted_action", "missing_scope":
		return true
	}
	return false
}

// channelWait is how long a refused channel creation is retried before the incident's
// channel work is given up (everyone concerned is told both times).
const channelWait = 24 * time.Hour

// channelRetry is the pace at which a refused creation is tried again: an admin's fix is
// picked up within minutes, and Slack is not asked more than that.
func channelRetry(attempt int) time.Duration {
	return min(time.Minute<<min(attempt, 4), 5*time.Minute)
}

// refusedText tells people what an admin must change for the incident to get its channel.
func refusedText(inc incident.Incident, err error) string {
	block := templates.ChannelsRestricted
	if slackCode(err) == "missing_scope" {
		block = templates.ChannelsScopeMissing
		if inc.Private {
			block = templates.PrivateChannelsMissing
		}
	}
	return templates.ChannelRefused(inc.ID(), slackCode(err), block)
}

func gaveUpText(inc incident.Incident, err error) string {
	return templates.ChannelGaveUp(inc.ID(), slackCode(err), channelWait)
}

// needsChannel are the effects that act in the incident's channel.
func needsChannel(k incident.EffectKind) bool {
	switch k {
	case incident.EffCreateChannel, incident.EffAnnounce, incident.EffDM, incident.EffPublishPostmortem:
		return false
	}
	return true
}

// rejoin gets the bot back into the incident channel it was removed from: it joins a public
// channel itself; for a private one it tells the lead how to invite it back. It reports
// whether the bot is in again.
func (e *executor) rejoin(ctx context.Context, inc incident.Incident) bool {
	if e.join(ctx, inc.Channel) == nil {
		e.b.log.Info("rejoined the incident channel it was removed from", zap.String("incident", inc.ID()))
		return true
	}
	e.tellLead(ctx, inc, "removed", templates.RemovedFromChannel(inc.Channel, inc.ID()))
	return false
}

// tellLead sends the incident's lead (or its declarer) a DM once per incident and reason, in
// this run.
func (e *executor) tellLead(ctx context.Context, inc incident.Incident, reason, text string) {
	key := fmt.Sprintf("%d:%s", inc.Number, reason)
	e.mu.Lock()
	told := e.kickTold[key]
	e.kickTold[key] = true
	e.mu.Unlock()
	if told {
		return
	}
	lead := inc.Owner()
	if err := e.post(ctx, lead, text, nil); err != nil {
		e.b.log.Warn("could not tell the lead", zap.String("incident", inc.ID()), zap.String("reason", reason), zap.Error(err))
	}
}

// postingRefused tells the lead that Slack does not let the bot post in the incident
// channel (a posting permission), and keeps the effect for when it does.
// https://api.slack.com/methods/chat.postMessage (errors: restricted_action)
func (e *executor) postingRefused(ctx context.Context, inc incident.Incident, it OutboxItem) error {
	e.tellLead(ctx, inc, "restricted", templates.PostingRestricted(inc.Channel, inc.ID()))
	return &outbox.Later{D: channelRetry(it.Attempts), Why: "posting in the incident channel is restricted"}
}

// channelGone is an answer that means the bot is no longer in the incident channel: Slack
// says not_in_channel for a public channel and channel_not_found for a private one (which
// the bot no longer sees).
func channelGone(err error) bool {
	switch slackCode(err) {
	case "not_in_channel", "channel_not_found":
		return true
	}
	return false
}
