package bot

import (
	"context"
	"errors"
	"fmt"
	"net"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/slack-go/slack"
	"go.uber.org/zap"

	"github.com/firebreak-hq/firebreak/incident"
	"github.com/firebreak-hq/firebreak/templates"
)

// executor drains the outbox. Effects of one incident are performed in
// commit order by one goroutine at a time; different incidents proceed
// in parallel. An effect leaves the outbox only after it succeeded or
// failed permanently.
type executor struct {
	b *Bot

	mu        sync.Mutex
	busy      map[uint64]bool
	gate      map[string]time.Time // method → not before, after a 429
	lastCard  map[uint64]time.Time
	delayTold map[uint64]bool
	kickTold  map[string]bool // "<incident>:<reason>" the lead was told about
	kick      chan struct{}
	wg        sync.WaitGroup
}

func newExecutor(b *Bot) *executor {
	return &executor{
		b:         b,
		busy:      map[uint64]bool{},
		gate:      map[string]time.Time{},
		lastCard:  map[uint64]time.Time{},
		delayTold: map[uint64]bool{},
		kickTold:  map[string]bool{},
		kick:      make(chan struct{}, 1),
	}
}

func (e *executor) poke() {
	select {
	case e.kick <- struct{}{}:
	default:
	}
}

func (e *executor) run(ctx context.Context) {
	t := time.NewTicker(500 * time.Millisecond)
	defer t.Stop()
	notify := e.b.cfg.Outbox.Notify()
	for {
		e.drain(ctx)
		select {
		case <-ctx.Done():
			e.wg.Wait()
			return
		case <-notify:
		case <-e.kick:
		case <-t.C:
		}
	}
}

func (e *executor) drain(ctx context.Context) {
	items, err := e.b.cfg.Outbox.Pending(5000)
	if err != nil {
		e.b.log.Warn("reading the outbox failed", zap.Error(err))
		return
	}
	groups := map[uint64][]OutboxItem{}
	var order []uint64
	for _, it := range items {
		if _, ok := groups[it.Incident]; !ok {
			order = append(order, it.Incident)
		}
		groups[it.Incident] = append(groups[it.Incident], it)
	}
	now := e.b.now()
	for _, n := range order {
		if groups[n][0].NotBefore.After(now) {
			// Nothing due: starting a worker would only poke the loop
			// again at once and spin until the retry time.
			continue
		}
		e.mu.Lock()
		if e.busy[n] {
			e.mu.Unlock()
			continue
		}
		e.busy[n] = true
		e.mu.Unlock()
		e.wg.Add(1)
		go func(n uint64, its []OutboxItem) {
			defer e.wg.Done()
			defer func() {
				if r := recover(); r != nil {
					e.b.log.Error("effect executor panicked", zap.Uint64("incident", n), zap.Any("panic", r), zap.ByteString("stack", debug.Stack()))
				}
				e.mu.Lock()
				delete(e.busy, n)
				e.mu.Unlock()
				e.poke()
			}()
			e.runIncident(ctx, n, its)
		}(n, groups[n])
	}
}

func (e *executor) runIncident(ctx context.Context, n uint64, items []OutboxItem) {
	log := e.b.log.With(zap.String("incident", incident.ID(n)))
	if e.channelless(log, n, items) {
		return
	}
	for i := 0; i < len(items); i++ {
		if ctx.Err() != nil {
			return
		}
		it := items[i]
		if it.NotBefore.After(e.b.now()) {
			return // keep commit order: later effects wait for this one
		}
		if run := e.independentRun(items[i:]); len(run) > 1 {
			if !e.performAll(ctx, log, run) {
				return
			}
			i += len(run) - 1
			continue
		}
		ids := []uint64{it.ID}
		if it.Effect.Kind == incident.EffUpdateCard {
			// Every pending card update is satisfied by one render of
			// the current state.
			for j := i + 1; j < len(items); j++ {
				if items[j].Effect.Kind == incident.EffUpdateCard {
					ids = append(ids, items[j].ID)
				}
			}
			items = removeCardUpdates(items, i)
			e.throttleCard(ctx, n)
			// Clicks that committed while we waited are covered by the
			// render below too (perform reads the state after this).
			ids = append(ids, e.laterCardUpdates(n, ids)...)
		}
		err := e.perform(ctx, it)
		if it.Effect.Kind == incident.EffCreateChannel && channelRefusal(err) {
			// Only an admin can fix this: people are told, and the
			// incident's channel work waits for the fix, at a slow pace.
			e.refusedCreate(ctx, log, it, items[i+1:], err)
			return
		}
		if err == nil && it.Effect.Kind == incident.EffCreateChannel {
			// Re-running a create is a no-op once the channel is recorded,
			// so its removal need not hold up the card (the critical path
			// of a declaration): it commits while the card is posted.
			e.wg.Add(1)
			go func() {
				defer e.wg.Done()
				e.settle(ctx, log, it, ids, nil)
			}()
			continue
		}
		if !e.settle(ctx, log, it, ids, err) {
			return
		}
	}
}

// settle removes performed effects or postpones a failed one; false
// means later effects of the incident must wait.
func (e *executor) settle(ctx context.Context, log *zap.Logger, it OutboxItem, ids []uint64, err error) bool {
	if err == nil {
		if derr := e.b.cfg.Outbox.Done(ids...); derr != nil {
			log.Warn("could not remove a performed effect", zap.Error(derr))
		}
		return true
	}
	if ctx.Err() != nil {
		return false
	}
	if code, ok := authProblem(err); ok {
		// The token or a scope is refused: keep the effect until an
		// operator fixes it (noteAuth told them how), trying again at a
		// pace that notices the fix.
		d := backoff(it.Attempts)
		log.Warn("effect kept until Slack accepts the bot again", zap.String("effect", string(it.Effect.Kind)), zap.String("error", code), zap.Duration("retry_in", d))
		if rerr := e.b.cfg.Outbox.Retry(it.ID, e.b.now().Add(d), err.Error()); rerr != nil {
			log.Warn("could not postpone an effect", zap.Error(rerr))
		}
		return false
	}
	if d, transient := retryable(err); transient {
		if d < time.Second {
			d = backoff(it.Attempts)
		}
		log.Info("effect postponed", zap.String("effect", string(it.Effect.Kind)), zap.Duration("retry_in", d), zap.Error(err))
		if rerr := e.b.cfg.Outbox.Retry(it.ID, e.b.now().Add(d), err.Error()); rerr != nil {
			log.Warn("could not postpone an effect", zap.Error(rerr))
		}
		return false
	}
	log.Error("effect failed permanently", zap.String("effect", string(it.Effect.Kind)), zap.Error(err))
	_ = e.b.cfg.Outbox.Done(ids...)
	return true
}

// independent effects touch different Slack objects and read nothing
// another one writes, so once the channel exists they can run at the same
// time: the card is not held up behind invites, topic and announcement.
var independent = map[incident.EffectKind]bool{
	incident.EffPostCard:  true,
	incident.EffInvite:    true,
	incident.EffSetTopic:  true,
	incident.EffAnnounce:  true,
	incident.EffEphemeral: true,
}

// independentRun is the longest prefix of items that may run together.
func (e *executor) independentRun(items []OutboxItem) []OutboxItem {
	now := e.b.now()
	k := 0
	for k < len(items) && independent[items[k].Effect.Kind] && !items[k].NotBefore.After(now) {
		k++
	}
	return items[:k]
}

// performAll runs run concurrently and settles each effect on its own;
// false when one was postponed, so that later effects keep their order.
func (e *executor) performAll(ctx context.Context, log *zap.Logger, run []OutboxItem) bool {
	errs := make([]error, len(run))
	var wg sync.WaitGroup
	for k, it := range run {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() {
				if r := recover(); r != nil {
					errs[k] = fmt.Errorf("panic: %v", r)
					e.b.log.Error("effect panicked", zap.Any("panic", r), zap.ByteString("stack", debug.Stack()))
				}
			}()
			errs[k] = e.perform(ctx, it)
		}()
	}
	wg.Wait()
	ok := true
	for k, it := range run {
		if !e.settle(ctx, log, it, []uint64{it.ID}, errs[k]) {
			ok = false
		}
	}
	return ok
}

// laterCardUpdates lists incident n's card updates committed since the
// executor read the outbox, other than have.
func (e *executor) laterCardUpdates(n uint64, have []uint64) []uint64 {
	items, err := e.b.cfg.Outbox.Pending(5000)
	if err != nil {
		return nil
	}
	seen := make(map[uint64]bool, len(have))
	for _, id := range have {
		seen[id] = true
	}
	var out []uint64
	for _, it := range items {
		if it.Incident == n && it.Effect.Kind == incident.EffUpdateCard && !seen[it.ID] {
			out = append(out, it.ID)
		}
	}
	return out
}

func removeCardUpdates(items []OutboxItem, keep int) []OutboxItem {
	out := items[: keep+1 : keep+1]
	for _, it := range items[keep+1:] {
		if it.Effect.Kind != incident.EffUpdateCard {
			out = append(out, it)
		}
	}
	return out
}

func (e *executor) throttleCard(ctx context.Context, n uint64) {
	e.mu.Lock()
	last := e.lastCard[n]
	e.mu.Unlock()
	if wait := e.b.cfg.CardInterval - e.b.now().Sub(last); wait > 0 {
		sleep(ctx, wait)
	}
	e.mu.Lock()
	e.lastCard[n] = e.b.now()
	e.mu.Unlock()
}

func backoff(attempt int) time.Duration {
	d := time.Second << min(attempt, 6)
	return min(d, time.Minute)
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// slackCode returns Slack's error code ("name_taken") or "".
func slackCode(err error) string {
	var se slack.SlackErrorResponse
	if errors.As(err, &se) {
		return se.Err
	}
	var sep *slack.SlackErrorResponse
	if errors.As(err, &sep) {
		return sep.Err
	}
	return ""
}

// retryable says whether err is worth retrying and after how long.
func retryable(err error) (time.Duration, bool) {
	if err == nil {
		return 0, false
	}
	var rl *slack.RateLimitedError
	if errors.As(err, &rl) {
		return rl.RetryAfter, true
	}
	var sc slack.StatusCodeError
	if errors.As(err, &sc) {
		return 0, sc.Code >= 500 || sc.Code == 408
	}
	var perm interface{ Permanent() bool }
	if errors.As(err, &perm) && perm.Permanent() {
		return 0, false
	}
	var ra interface{ RetryAfter() time.Duration }
	if errors.As(err, &ra) {
		return ra.RetryAfter(), true
	}
	switch slackCode(err) {
	case "internal_error", "fatal_error", "ratelimited", "service_unavailable", "request_timeout":
		return 0, true
	case "":
	default:
		return 0, false
	}
	var ne net.Error
	if errors.As(err, &ne) || errors.Is(err, context.DeadlineExceeded) {
		return 0, true
	}
	msg := err.Error()
	return 0, strings.Contains(msg, "EOF") || strings.Contains(msg, "connection reset") || strings.Contains(msg, "connection refused")
}

// call runs one Web API call with up to attempts tries, honouring
// Retry-After and holding back other calls to a rate-limited method.
func (e *executor) call(ctx context.Context, method string, fn func(context.Context) error, attempts int) error {
	var err error
	for a := 0; ; a++ {
		e.mu.Lock()
		until := e.gate[method]
		e.mu.Unlock()
		if wait := time.Until(until); wait > 0 {
			if !sleep(ctx, wait) {
				return ctx.Err()
			}
		}
		cctx, cancel := context.WithTimeout(ctx, e.b.cfg.CallTimeout)
		err = asRateLimit(fn(cctx))
		cancel()
		if h := e.b.cfg.Hooks.SlackCall; h != nil {
			h(method, err)
		}
		if err == nil {
			if method != "response_url" {
				e.b.clearAuth(method)
			}
			return nil
		}
		if _, ok := authProblem(err); ok {
			e.b.noteAuth(method, err)
			return err
		}
		d, transient := retryable(err)
		if !transient || a+1 >= attempts || ctx.Err() != nil {
			return err
		}
		var rl *slack.RateLimitedError
		if errors.As(err, &rl) {
			e.mu.Lock()
			if t := time.Now().Add(d); t.After(e.gate[method]) {
				e.gate[method] = t
			}
			e.mu.Unlock()
			continue
		}
		if d == 0 {
			d = 200 * time.Millisecond << min(a, 5)
		}
		if !sleep(ctx, d) {
			return ctx.Err()
		}
	}
}

// perform carries out one effect against Slack. When the bot was removed from the incident
// channel it gets back in (or has the lead invite it) and the effect is done then.
func (e *executor) perform(ctx context.Context, it OutboxItem) error {
	err := e.performEffect(ctx, it)
	k := it.Effect.Kind
	restricted := slackCode(err) == "restricted_action" && (k == incident.EffPost || k == incident.EffPostCard || k == incident.EffUpdateCard)
	if !(channelGone(err) || restricted) || it.Incident == 0 || !needsChannel(it.Effect.Kind) {
		return err
	}
	inc, gerr := e.b.cfg.Store.Get(it.Incident)
	if gerr != nil || inc.Channel == "" {
		return err
	}
	if restricted {
		return e.postingRefused(ctx, inc, it)
	}
	if !e.rejoin(ctx, inc) {
		return &retryLater{d: channelRetry(it.Attempts), why: "removed from the incident channel: " + err.Error()}
	}
	return e.performEffect(ctx, it)
}

func (e *executor) performEffect(ctx context.Context, it OutboxItem) error {
	b := e.b
	if it.Incident == 0 {
		return e.performGlobal(ctx, it)
	}
	inc, err := b.cfg.Store.Get(it.Incident)
	if err != nil {
		if b.cfg.NotFound(err) {
			return nil
		}
		return err
	}
	eff := it.Effect
	if skipEffect(inc, eff) {
		return nil
	}
	if eff.Kind != incident.EffCreateChannel && inc.Channel == "" && eff.Kind != incident.EffAnnounce {
		// The channel does not exist yet: the create effect is ahead of us
		// and has not succeeded; wait for it.
		return &retryLater{d: time.Second, why: "incident channel not created yet"}
	}
	switch eff.Kind {
	case incident.EffCreateChannel:
		return e.createChannel(ctx, inc, it)
	case incident.EffPostCard:
		return e.postCard(ctx, inc, it)
	case incident.EffUpdateCard:
		return e.updateCard(ctx, inc)
	case incident.EffInvite:
		return e.invite(ctx, inc, eff.Users)
	case incident.EffSetTopic:
		return e.call(ctx, "conversations.setTopic", func(ctx context.Context) error {
			_, err := b.api.SetTopicOfConversationContext(ctx, inc.Channel, templates.Topic(inc))
			return err
		}, 5)
	case incident.EffPost:
		text, blocks, err := e.channelMessage(inc, eff)
		if err != nil {
			return err
		}
		return e.postOnce(ctx, it, inc.Channel, text, blocks)
	case incident.EffAnnounce:
		if b.cfg.AnnounceChannel == "" {
			return nil
		}
		if inc.Channel == "" {
			return &retryLater{d: time.Second, why: "incident channel not created yet"}
		}
		if eff.Msg == incident.MsgStatusChanged && eff.Fields["to"] == string(incident.StatusClosed) && b.cfg.Postmortems != nil {
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
		if eff.Msg == incident.MsgDeclared {
			return e.announceDeclared(ctx, it, inc, text)
		}
		err = e.postOnce(ctx, it, b.cfg.AnnounceChannel, text, nil)
		if slackCode(err) == "not_in_channel" {
			if _, _, _, jerr := b.api.JoinConversationContext(ctx, b.cfg.AnnounceChannel); jerr == nil {
				err = e.postOnce(ctx, it, b.cfg.AnnounceChannel, text, nil)
			}
		}
		return err
	case incident.EffEphemeral:
		text := templates.DeclaredEphemeral(inc)
		if eff.Msg != incident.MsgDeclared {
			text = eff.Text
		}
		if inc.ReplyURL != "" && eff.Msg == incident.MsgDeclared {
			// The response_url reaches the declarer wherever they typed,
			// even in channels the bot is not in.
			err := e.call(ctx, "response_url", func(ctx context.Context) error {
				return slack.PostWebhookContext(ctx, inc.ReplyURL, &slack.WebhookMessage{Text: text, ResponseType: slack.ResponseTypeEphemeral})
			}, 2)
			if err == nil {
				return nil
			}
		}
		ch := inc.OriginChannel
		if ch == "" {
			ch = inc.Channel
		}
		err := e.call(ctx, "chat.postEphemeral", func(ctx context.Context) error {
			_, err := b.api.PostEphemeralContext(ctx, ch, eff.User, slack.MsgOptionText(text, false))
			return err
		}, 3)
		if err != nil {
			if _, transient := retryable(err); !transient {
				// The origin may be a channel the bot is not in: fall back to a DM.
				return e.post(ctx, eff.User, text, nil)
			}
		}
		return err
	case incident.EffDM:
		text := eff.Text
		switch {
		case eff.Msg == incident.MsgClosed:
			text = templates.ClosedWithLink(inc, eff.Fields["url"])
		case eff.Msg == incident.MsgReminder && eff.Fields["reminder"] == "followup":
			text = templates.FollowupReminder(inc, inc.PostmortemURL)
		}
		return e.dm(ctx, inc, eff.User, text)
	case incident.EffPublishPostmortem:
		return e.publish(ctx, inc)
	case incident.EffFetchPinned:
		return e.fetchPinned(ctx, inc, eff.Fields["ts"])
	case incident.EffCorrectAnnouncement:
		return e.correctAnnouncement(ctx, it, inc)
	case incident.EffArchiveChannel:
		return e.archiveChannel(ctx, inc)
	case incident.EffWithdrawApproval:
		return e.withdrawApproval(ctx, inc, eff)
	}
	return fmt.Errorf("unknown effect %q", eff.Kind)
}

// performGlobal carries out effects that belong to no incident: the
// daily digest, rendered from the open incidents when it is posted.
func (e *executor) performGlobal(ctx context.Context, it OutboxItem) error {
	if ch := it.Effect.Fields["channel"]; it.Effect.Kind == incident.EffPost && ch != "" {
		// A notify route's message, rendered when the alert came in.
		return e.postOnce(ctx, it, ch, it.Effect.Text, nil)
	}
	if it.Effect.Kind != incident.EffAnnounce || e.b.cfg.AnnounceChannel == "" {
		return nil
	}
	text := it.Effect.Text
	if it.Effect.Msg == incident.MsgDigest {
		open, err := e.b.cfg.Reader.OpenIncidents()
		if err != nil {
			return err
		}
		text = templates.Digest(open, e.b.now())
	}
	return e.postOnce(ctx, it, e.b.cfg.AnnounceChannel, text, nil)
}

type retryLater struct {
	d   time.Duration
	why string
}

func (r *retryLater) Error() string             { return r.why }
func (r *retryLater) RetryAfter() time.Duration { return r.d }

func (e *executor) channelMessage(inc incident.Incident, eff incident.Effect) (string, []slack.Block, error) {
	if eff.Msg == incident.MsgText {
		if eff.Fields["postmortem_failed"] == "true" {
			return templates.PostmortemFailed(inc, eff.Text), nil, nil
		}
		return eff.Text, nil, nil
	}
	if eff.Msg == incident.MsgClosed {
		return templates.ClosedWithLink(inc, eff.Fields["url"]), nil, nil
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
		return text, ReminderBlocks(inc, eff.Fields["reminder"], text), nil
	case incident.MsgApprovalAsked:
		// The button stays on the message; a press after approval or
		// close is answered with the reason it no longer applies.
		return text, ApprovalBlocks(inc, eff, text), nil
	}
	return text, nil, nil
}

func (e *executor) post(ctx context.Context, channel, text string, blocks []slack.Block) error {
	opts := []slack.MsgOption{slack.MsgOptionText(templates.Clip(text, maxFallback), false)}
	if len(blocks) > 0 {
		opts = append(opts, slack.MsgOptionBlocks(blocks...))
	}
	return e.call(ctx, "chat.postMessage", func(ctx context.Context) error {
		_, _, err := e.b.api.PostMessageContext(ctx, channel, opts...)
		return err
	}, 3)
}

// createChannel creates inc-<n>-<slug>, adding a suffix on name_taken.
// A channel of ours left by a crash between create and record is
// adopted instead of creating a second one.
func (e *executor) createChannel(ctx context.Context, inc incident.Incident, it OutboxItem) error {
	b := e.b
	if inc.Channel != "" {
		return nil
	}
	for suffix := 1; suffix <= 50; suffix++ {
		name := ChannelName(inc.Number, inc.Title, suffix)
		// Another incident's create was just rate-limited: tell this
		// declarer now rather than after the wait, and do not hold a
		// worker for a long one.
		e.mu.Lock()
		gated := time.Until(e.gate["conversations.create"])
		e.mu.Unlock()
		if gated > 0 {
			e.tellDelay(ctx, inc, gated)
			if gated > 30*time.Second {
				return &retryLater{d: gated, why: "conversations.create is rate-limited"}
			}
		}
		var ch *slack.Channel
		err := e.call(ctx, "conversations.create", func(ctx context.Context) error {
			var err error
			ch, err = b.api.CreateConversationContext(ctx, slack.CreateConversationParams{ChannelName: name})
			return err
		}, 1)
		if d, transient := retryable(err); err != nil && transient {
			var rl *slack.RateLimitedError
			if errors.As(err, &rl) {
				e.mu.Lock()
				if t := time.Now().Add(d); t.After(e.gate["conversations.create"]) {
					e.gate["conversations.create"] = t
				}
				e.mu.Unlock()
				e.tellDelay(ctx, inc, d)
				if d <= 30*time.Second && sleep(ctx, d) {
					suffix--
					continue
				}
			}
			return err
		}
		if slackCode(err) == "name_taken" {
			// Try the next suffix at once. Only when a crash may have
			// come between a create and its record is the bot's own
			// channel list (not the workspace's) searched for it.
			if maybeCrashed(it, b.started) {
				if own := e.findOwnChannel(ctx, inc, name); own != nil {
					ch, err = own, nil
				}
			}
			if err != nil {
				continue
			}
		}
		if err != nil {
			return err
		}
		e.mu.Lock()
		delete(e.delayTold, inc.Number)
		e.mu.Unlock()
		now := b.now()
		_, err = b.cfg.Store.Apply(inc.Number, func(cur incident.Incident) (incident.Result, error) {
			if cur.Channel != "" {
				return incident.Result{Incident: cur}, nil
			}
			return incident.RecordChannel(cur, ch.ID, ch.Name, now), nil
		})
		return err
	}
	return errors.New("no free channel name after 50 suffixes")
}

// tellDelay lets the declarer know once that Slack is slowing us down.
func (e *executor) tellDelay(ctx context.Context, inc incident.Incident, d time.Duration) {
	e.mu.Lock()
	told := e.delayTold[inc.Number]
	e.delayTold[inc.Number] = true
	e.mu.Unlock()
	if told {
		return
	}
	text := fmt.Sprintf("Slack is rate-limiting channel creation, so the channel for %s will be created in about %s. Your declaration is saved; nothing is lost.", inc.ID(), d.Round(time.Second))
	ch := inc.OriginChannel
	go func() {
		// The response_url reaches the declarer wherever they typed, even
		// in a channel the bot is not in; then an ephemeral; then a DM.
		if inc.ReplyURL != "" {
			if err := slack.PostWebhookContext(ctx, inc.ReplyURL, &slack.WebhookMessage{Text: text, ResponseType: slack.ResponseTypeEphemeral}); err == nil {
				return
			}
		}
		if _, err := e.b.api.PostEphemeralContext(ctx, ch, inc.Declarer, slack.MsgOptionText(text, false)); err == nil {
			return
		}
		_, _, _ = e.b.api.PostMessageContext(ctx, inc.Declarer, slack.MsgOptionText(text, false))
	}()
}

// maybeCrashed says whether an effect may have been performed by an earlier run that did not
// live to record it.
func maybeCrashed(it OutboxItem, started time.Time) bool {
	return it.Attempts > 0 || it.Created.Before(started)
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
			chans, next, err = e.b.api.GetConversationsForUserContext(ctx, &slack.GetConversationsForUserParameters{Cursor: cursor, Limit: 1000, ExcludeArchived: true, Types: []string{"public_channel"}})
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

// postCard posts and pins the card. After a restart it first looks for
// a card posted before the crash, so there is never a second card.
func (e *executor) postCard(ctx context.Context, inc incident.Incident, it OutboxItem) error {
	b := e.b
	ts := inc.CardTS
	if ts == "" && (it.Attempts > 0 || it.Created.Before(b.started)) {
		ts = e.findCard(ctx, inc)
	}
	if ts == "" {
		err := e.call(ctx, "chat.postMessage", func(ctx context.Context) error {
			var err error
			_, ts, err = b.api.PostMessageContext(ctx, inc.Channel,
				slack.MsgOptionText(CardFallback(inc), false),
				slack.MsgOptionBlocks(CardBlocks(inc, b.loc)...))
			return err
		}, 3)
		if err != nil {
			return err
		}
	}
	if inc.CardTS == "" {
		if _, err := b.cfg.Store.Apply(inc.Number, func(cur incident.Incident) (incident.Result, error) {
			return incident.RecordCard(cur, ts), nil
		}); err != nil {
			return err
		}
	}
	err := e.call(ctx, "pins.add", func(ctx context.Context) error {
		return b.api.AddPinContext(ctx, inc.Channel, slack.ItemRef{Channel: inc.Channel, Timestamp: ts})
	}, 5)
	if slackCode(err) == "already_pinned" {
		err = nil
	}
	if err == nil {
		// The card may have changed between the render above and now.
		e.poke()
	}
	return err
}

func (e *executor) findCard(ctx context.Context, inc incident.Incident) string {
	var h *slack.GetConversationHistoryResponse
	err := e.call(ctx, "conversations.history", func(ctx context.Context) error {
		var err error
		h, err = e.b.api.GetConversationHistoryContext(ctx, &slack.GetConversationHistoryParameters{ChannelID: inc.Channel, Limit: 100})
		return err
	}, 3)
	if err != nil || h == nil {
		return ""
	}
	want := "card:" + inc.ID()
	for _, m := range h.Messages {
		if m.User != e.b.botUser && m.BotID == "" {
			continue
		}
		for _, bl := range m.Blocks.BlockSet {
			if bl.ID() == want {
				return m.Timestamp
			}
		}
	}
	return ""
}

func (e *executor) updateCard(ctx context.Context, inc incident.Incident) error {
	b := e.b
	if inc.CardTS == "" {
		return nil // the pending card.post will render the current state
	}
	err := e.call(ctx, "chat.update", func(ctx context.Context) error {
		_, _, _, err := b.api.UpdateMessageContext(ctx, inc.Channel, inc.CardTS,
			slack.MsgOptionText(CardFallback(inc), false),
			slack.MsgOptionBlocks(CardBlocks(inc, b.loc)...))
		return err
	}, 5)
	if code := slackCode(err); code == "message_not_found" || code == "cant_update_message" {
		// Someone deleted the card: post a fresh one.
		if _, aerr := b.cfg.Store.Apply(inc.Number, func(cur incident.Incident) (incident.Result, error) {
			return incident.RecordCard(cur, ""), nil
		}); aerr != nil {
			return aerr
		}
		inc.CardTS = ""
		return e.postCard(ctx, inc, OutboxItem{})
	}
	return err
}

// inviteBatch is how many users one conversations.invite names (Slack takes up to 1000).
const inviteBatch = 100

// invite adds users to the incident channel with force=true, so that one refused user (say,
// already in the channel) does not keep the others out, then checks who is in and tells the
// channel who could not be added and why.
// https://api.slack.com/methods/conversations.invite
func (e *executor) invite(ctx context.Context, inc incident.Incident, users []string) error {
	b := e.b
	var want []string
	seen := map[string]bool{}
	for _, u := range users {
		if u != "" && u != b.botUser && !seen[u] {
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
			_, err := b.api.ForceInviteUsersToConversationContext(ctx, inc.Channel, batch...)
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
	in, err := e.members(ctx, inc.Channel)
	if err != nil {
		return err
	}
	var bad []string
	for _, u := range want {
		if in[u] {
			continue
		}
		// Ask for this one alone, to learn why Slack refuses them.
		err := e.call(ctx, "conversations.invite", func(ctx context.Context) error {
			_, err := b.api.InviteUsersToConversationContext(ctx, inc.Channel, u)
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
		bad = append(bad, fmt.Sprintf("<@%s> (%s)", u, code))
	}
	if len(bad) > 0 {
		b.log.Warn("some responders could not be invited", zap.Strings("users", bad))
		return e.post(ctx, inc.Channel, "Firebreak could not invite "+strings.Join(bad, ", ")+"; everyone else is in. Check FIREBREAK_RESPONDERS and the playbook's invite list, or invite them by hand.", nil)
	}
	return nil
}

// members is the set of users in channel.
func (e *executor) members(ctx context.Context, channel string) (map[string]bool, error) {
	in := map[string]bool{}
	cursor := ""
	for page := 0; page < 100; page++ {
		var ids []string
		var next string
		err := e.call(ctx, "conversations.members", func(ctx context.Context) error {
			var err error
			ids, next, err = e.b.api.GetUsersInConversationContext(ctx, &slack.GetUsersInConversationParameters{ChannelID: channel, Cursor: cursor, Limit: 1000})
			return err
		}, 3)
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

// publish writes the postmortem and records where it went.
func (e *executor) publish(ctx context.Context, inc incident.Incident) error {
	b := e.b
	if b.cfg.Postmortems == nil || inc.PostmortemURL != "" {
		return nil
	}
	events, err := b.cfg.Reader.Events(inc.Number)
	if err != nil {
		return err
	}
	names := b.namesFor(ctx, inc, events)
	url, err := b.cfg.Postmortems.Publish(ctx, inc, events, names)
	if err != nil {
		if _, transient := retryable(err); transient {
			return err
		}
		now := b.now()
		_, aerr := b.cfg.Store.Apply(inc.Number, func(cur incident.Incident) (incident.Result, error) {
			return incident.RecordPostmortemFailure(cur, err.Error(), now), nil
		})
		if aerr == nil && b.cfg.AnnounceChannel != "" {
			// No link will come: announce the closure without one.
			closed := e.withCloser(inc, incident.Effect{Kind: incident.EffAnnounce, Msg: incident.MsgClosed})
			if text, terr := templates.Announcement(inc, closed); terr == nil {
				e.announceOnce(ctx, fmt.Sprintf("closed:%d", inc.Number), text)
			}
		}
		return aerr
	}
	now := b.now()
	_, err = b.cfg.Store.Apply(inc.Number, func(cur incident.Incident) (incident.Result, error) {
		res, err := incident.RecordPostmortem(cur, url, 0, now)
		if incident.HasCode(err, incident.CodeNoop) {
			return incident.Result{Incident: cur}, nil
		}
		return res, err
	})
	if err != nil {
		return err
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
	return nil
}

// withCloser adds to a closure announcement who closed the incident and, for a forced
// close, the reason, from the timeline.
func (e *executor) withCloser(inc incident.Incident, eff incident.Effect) incident.Effect {
	fields := map[string]string{}
	for k, v := range eff.Fields {
		fields[k] = v
	}
	if evs, err := e.b.cfg.Reader.Events(inc.Number); err == nil {
		for i := len(evs) - 1; i >= 0; i-- {
			if evs[i].Kind == incident.EvClosed {
				fields["by"] = evs[i].Actor
				fields["reason"] = evs[i].Text
				break
			}
		}
	}
	eff.Fields = fields
	return eff
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
	_, err = e.b.cfg.Store.Apply(inc.Number, func(cur incident.Incident) (incident.Result, error) {
		return incident.Apply(cur, incident.Command{Kind: incident.CmdPinnedText, Actor: actor, User: author, Ref: ts, Text: text}, now)
	})
	return err
}

// postOnce posts an outbox effect's message so that it appears once even
// when Slack's answer is lost (a 5xx or timeout after the write, or a
// crash before the effect left the outbox): the message carries the
// effect's id as a block_id, and before any repeat the channel's recent
// history is searched for it.
func (e *executor) postOnce(ctx context.Context, it OutboxItem, channel, text string, blocks []slack.Block) error {
	marker := fmt.Sprintf("fx:%d", it.ID)
	blocks = markedBlocks(text, blocks, marker)
	if it.Attempts > 0 || it.Created.Before(e.b.started) {
		if e.hasMarker(ctx, channel, marker) {
			return nil
		}
	}
	err := e.call(ctx, "chat.postMessage", func(ctx context.Context) error {
		_, _, err := e.b.api.PostMessageContext(ctx, channel,
			slack.MsgOptionText(templates.Clip(text, maxFallback), false), slack.MsgOptionBlocks(blocks...))
		return err
	}, 1)
	if err != nil && ambiguous(err) && e.hasMarker(ctx, channel, marker) {
		return nil
	}
	return err
}

// ambiguous errors leave it unknown whether Slack performed the call.
func ambiguous(err error) bool {
	var rl *slack.RateLimitedError
	if errors.As(err, &rl) {
		return false
	}
	_, transient := retryable(err)
	return transient
}

func (e *executor) hasMarker(ctx context.Context, channel, marker string) bool {
	var h *slack.GetConversationHistoryResponse
	err := e.call(ctx, "conversations.history", func(ctx context.Context) error {
		var err error
		h, err = e.b.api.GetConversationHistoryContext(ctx, &slack.GetConversationHistoryParameters{ChannelID: channel, Limit: 100})
		return err
	}, 3)
	if err != nil || h == nil {
		return false
	}
	for _, m := range h.Messages {
		for _, bl := range m.Blocks.BlockSet {
			if bl.ID() == marker {
				return true
			}
		}
	}
	return false
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
		cut := size
		for i := size; i > size/2; i-- {
			if r[i] == '\n' {
				cut = i
				break
			}
		}
		if cut == size {
			for i := size; i > size/2; i-- {
				if r[i] == ' ' {
					cut = i
					break
				}
			}
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
