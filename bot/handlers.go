package bot

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
	"github.com/slack-go/slack/socketmode"
	"go.uber.org/zap"

	"github.com/firebreak-hq/firebreak/incident"
	"github.com/firebreak-hq/firebreak/templates"
)

const notInIncident = "Run this in an incident channel: `%s` works only inside a channel that Firebreak opened for an incident. Use `/incident list` to find them."

func (b *Bot) onSlash(req socketmode.Request, sc slack.SlashCommand, inc *incident.Incident, start time.Time) {
	p, err := ParseSlash(sc.Text)
	if err != nil {
		b.ack(req, start, slashReply(userText(err)))
		return
	}
	if suggest, confirm := typoCheck(p, sc.Text, inc != nil); confirm {
		text, blocks := typoReply(sc.Text, suggest, inc != nil)
		b.ack(req, start, slashBlocks(text, blocks))
		return
	}
	if needsIncident[p.Sub] && inc == nil {
		b.ack(req, start, slashReply(refuseNotInIncident(p.Sub)))
		return
	}
	switch p.Sub {
	case SubHelp:
		b.ack(req, start, slashReply(templates.Help()))
	case SubList:
		incs, err := b.cfg.Reader.OpenIncidents()
		if err != nil {
			b.ack(req, start, slashReply(userText(err)))
			return
		}
		b.ack(req, start, slashReply(templates.List(incs, b.now())))
	case SubStatus:
		b.ack(req, start, slashReply(templates.StatusSummary(*inc, b.now(), b.loc)))
	case SubTimeline:
		evs, err := b.cfg.Reader.Events(inc.Number)
		if err != nil {
			b.ack(req, start, slashReply(userText(err)))
			return
		}
		b.ack(req, start, slashReply(templates.Timeline(*inc, evs, b.loc, 3500)))
	case SubDeclareModal:
		// The trigger expires in 3 s: ack first, then open the modal.
		b.ack(req, start, nil)
		b.openView(sc.TriggerID, DeclareModal(declareOrigin{Channel: sc.ChannelID, ResponseURL: sc.ResponseURL}.String(), b.cfg.Playbooks.All()), sc.ChannelID, sc.UserID)
	case SubDeclare:
		res, err := b.declare(p.Title, "", p.Severity, p.Playbook, sc.UserID, sc.ChannelID, sc.ResponseURL)
		if err != nil {
			b.ack(req, start, slashReply(userText(err)))
			return
		}
		b.ack(req, start, slashReply(templates.Sentence(res.Reply)))
	default:
		// Every command that changes an incident is for members of its
		// channel only, and is refused when membership cannot be known.
		if msg := b.memberRefusal(b.ctx(), *inc, sc.UserID); msg != "" {
			b.ack(req, start, slashReply(msg))
			return
		}
		if p.Sub == SubLead || p.Sub == SubRole {
			what := "lead " + inc.ID()
			if p.Sub == SubRole && p.Role != "lead" {
				what = "hold the " + templates.Clip(templates.EscapeMrkdwn(p.Role), 30) + " role in " + inc.ID()
			}
			if msg := b.personRefusal(b.ctx(), p.User, what); msg != "" {
				b.ack(req, start, slashReply(msg))
				return
			}
		}
		cmd := incident.Command{Actor: sc.UserID, Text: p.Text, Severity: p.Severity, User: p.User, Role: p.Role, Force: p.Force}
		switch p.Sub {
		case SubNote:
			cmd.Kind = incident.CmdNote
		case SubUpdate:
			cmd.Kind = incident.CmdUpdate
		case SubSev:
			cmd.Kind = incident.CmdSeverity
		case SubLead:
			cmd.Kind = incident.CmdLead
		case SubRole:
			cmd.Kind = incident.CmdRole
		case SubFollowup:
			cmd.Kind = incident.CmdFollowup
		case SubMitigated:
			cmd.Kind = incident.CmdMitigated
		case SubResolve:
			cmd.Kind = incident.CmdResolve
		case SubReopen:
			cmd.Kind = incident.CmdReopen
		case SubClose:
			cmd.Kind = incident.CmdClose
		case SubCancel:
			cmd.Kind = incident.CmdCancel
		case SubTimes:
			cmd.Kind = incident.CmdTimes
			at, err := KeyTimeAt(p.Text, b.now(), b.loc)
			if err != nil {
				b.ack(req, start, slashReply(userText(err)))
				return
			}
			cmd.At, cmd.Text = at, ""
		}
		res, err := b.apply(inc.Number, cmd)
		if err != nil {
			b.ack(req, start, slashReply(userText(err)))
			return
		}
		b.ack(req, start, slashReply(templates.Sentence(res.Reply)))
	}
}

// declare opens an incident: one transaction allocates the number and
// stores the incident with its channel-creation effects.
func (b *Bot) declare(title, impact string, sev incident.Severity, playbook, user, origin, replyURL string) (incident.Result, error) {
	if playbook == "" {
		playbook = "general"
	}
	pb, ok := b.cfg.Playbooks.Get(playbook)
	if !ok {
		return incident.Result{}, refuseNoPlaybook(playbook, b.cfg.Playbooks.Names())
	}
	now := b.now()
	d := incident.Declaration{
		Title: title, Impact: impact, Severity: sev, Playbook: pb, Declarer: user,
		OriginChannel: origin, ReplyURL: replyURL, Responders: b.cfg.Responders, VerifyWindow: b.cfg.VerifyWindow,
	}
	return b.cfg.Store.Create(func(n uint64) (incident.Result, error) {
		return incident.Declare(n, d, now)
	})
}

func (b *Bot) openView(trigger string, v slack.ModalViewRequest, channel, user string) {
	err := b.exec.call(b.ctx(), "views.open", func(ctx context.Context) error {
		_, err := b.api.OpenViewContext(ctx, trigger, v)
		return err
	}, 1)
	if err != nil {
		b.log.Warn("views.open failed", zap.Error(err))
		b.tell(channel, user, refuseFormFailed(err))
	}
}

// routeInteraction handles clicks and modal submissions.
func (b *Bot) routeInteraction(req socketmode.Request, cb slack.InteractionCallback, start time.Time) {
	switch cb.Type {
	case slack.InteractionTypeBlockActions:
		if len(cb.ActionCallback.BlockActions) == 0 {
			b.ack(req, start, nil)
			return
		}
		act := cb.ActionCallback.BlockActions[0]
		if act.ActionID == ActDeclareTyped {
			// Presses of one button queue behind each other, so a double
			// click declares once.
			b.serial("typo:"+typoKey(cb, act), func() {
				defer b.recoverAck(req)
				b.onDeclareTyped(req, cb, act, start)
			})
			return
		}
		n, stepID, err := parseActionValue(act.Value)
		if err != nil {
			b.ack(req, start, nil)
			b.tell(cb.Channel.ID, cb.User.ID, refuseBadButton(err))
			return
		}
		b.serial(fmt.Sprintf("inc-%d", n), func() {
			defer b.recoverAck(req)
			b.onAction(req, cb, act, n, stepID, start)
		})
	case slack.InteractionTypeViewSubmission:
		b.onSubmit(req, cb, start)
	default:
		b.ack(req, start, nil)
	}
}

func parseActionValue(v string) (uint64, string, error) {
	id, step, _ := strings.Cut(v, ":")
	n, err := incident.ParseID(id)
	return n, step, err
}

// splitRequest splits "<step-id>:<request>" (an Approve button's value
// after the incident) into the step and the approval request it answers;
// 0 when the value names no request.
func splitRequest(v string) (string, int, error) {
	step, rs, ok := strings.Cut(v, ":")
	if !ok {
		return step, 0, nil
	}
	r, err := strconv.Atoi(rs)
	if err != nil || r <= 0 || len(rs) > 9 {
		return "", 0, userErr(fmt.Sprintf("%q does not name an approval request", templates.Clip(rs, 20)))
	}
	return step, r, nil
}

// memberRefusal is why user may not change inc, or "" when they may: only
// members of the incident channel act on an incident, and when Slack
// cannot say in time whether user is one, the answer is no (fail closed)
// with the reason, never a silent yes.
func (b *Bot) memberRefusal(ctx context.Context, inc incident.Incident, user string) string {
	if inc.Channel == "" {
		return refuseChannelPending(inc)
	}
	member, ok := b.isMember(ctx, inc.Channel, user)
	switch {
	case !ok:
		return refuseMembershipUnknown(inc)
	case !member:
		return refuseNotMember(inc)
	}
	return ""
}

// personBudget bounds the users.info call that vets a new lead, within
// Slack's 3 s for the whole command.
const personBudget = time.Second

// personRefusal is why user cannot take on what (the lead, a role), or
// "" when they can: a lead or role holder must be a person — not a bot,
// not Slackbot, not a deactivated account, not an id Slack does not
// know. When Slack cannot be asked in time the answer is no, with why.
func (b *Bot) personRefusal(ctx context.Context, user, what string) string {
	if user == "USLACKBOT" {
		return "Slackbot cannot " + what + ": name a person."
	}
	ctx, cancel := context.WithTimeout(ctx, personBudget)
	defer cancel()
	var u *slack.User
	err := b.exec.call(ctx, "users.info", func(ctx context.Context) error {
		var err error
		u, err = b.api.GetUserInfoContext(ctx, user)
		return err
	}, 2)
	return personProblem(user, what, u, err)
}

// personProblem judges users.info's answer about user (see personRefusal).
func personProblem(user, what string, u *slack.User, err error) string {
	who := "<@" + user + ">"
	switch {
	case slackCode(err) == "user_not_found":
		return "Slack knows no user " + templates.EscapeMrkdwn(user) + ", so they cannot " + what + ". Pick the person from the @-mention list."
	case err != nil || u == nil:
		return "Firebreak could not look up " + who + " in Slack (it did not answer in time), so nothing was changed. Try again in a moment."
	case u.ID == "USLACKBOT":
		return "Slackbot cannot " + what + ": name a person."
	case u.IsBot || u.IsAppUser:
		return templates.Sentence("The user " + who + " is a bot, so it cannot " + what + ": name a person.")
	case u.Deleted:
		return templates.Sentence("The account of " + who + " is deactivated, so they cannot " + what + ": name someone who can act.")
	}
	return ""
}

func (b *Bot) onAction(req socketmode.Request, cb slack.InteractionCallback, act *slack.BlockAction, n uint64, stepID string, start time.Time) {
	user, channel := cb.User.ID, cb.Channel.ID
	inc, err := b.cfg.Store.Get(n)
	if err != nil {
		b.ack(req, start, nil)
		if b.cfg.NotFound(err) {
			b.tell(channel, user, refuseStaleCard(n))
		} else {
			b.tell(channel, user, userText(err))
		}
		return
	}
	// A button acts only in its incident's channel: a value naming another
	// incident (a forged payload, or a card copied elsewhere) is refused.
	if inc.Channel == "" || channel != inc.Channel {
		b.ack(req, start, nil)
		b.tell(channel, user, refuseWrongChannel(inc))
		return
	}
	if msg := b.memberRefusal(b.ctx(), inc, user); msg != "" {
		b.ack(req, start, nil)
		b.respond(cb.ResponseURL, channel, user, msg)
		return
	}
	stepID, request, err := splitRequest(stepID)
	if err != nil {
		b.ack(req, start, nil)
		b.tell(channel, user, refuseBadButton(err))
		return
	}
	stepNeeded := strings.HasPrefix(act.ActionID, "step.")
	var st incident.Step
	if stepNeeded {
		var ok bool
		st, _, ok = inc.Step(stepID)
		if !ok {
			b.ack(req, start, nil)
			b.tell(channel, user, refuseUnknownStep(inc, stepID))
			return
		}
	}
	// Buttons that open a modal must use the trigger at once.
	var view *slack.ModalViewRequest
	switch act.ActionID {
	case ActStepSkip:
		if err := incident.Allowed(inc.Status, incident.CmdStepSkip); err != nil {
			break
		}
		if st.Finished() {
			break
		}
		v := SkipModal(inc, st)
		view = &v
	case ActRequestApproval:
		if err := incident.Allowed(inc.Status, incident.CmdRequestApproval); err != nil || st.Finished() || !st.Approval || st.Signoff.Approved() {
			break
		}
		v := ApprovalModal(inc, st)
		view = &v
	case ActUpdateNow:
		if incident.Allowed(inc.Status, incident.CmdUpdate) == nil {
			v := UpdateModal(inc)
			view = &v
		}
	case ActReopen:
		if incident.Allowed(inc.Status, incident.CmdReopen) == nil {
			v := ReopenModal(inc)
			view = &v
		}
	}
	if view != nil {
		b.ack(req, start, nil)
		b.openView(cb.TriggerID, *view, channel, user)
		return
	}
	cmd := incident.Command{Actor: user, StepID: stepID}
	switch act.ActionID {
	case ActStepDone:
		cmd.Kind = incident.CmdStepDone
	case ActStepSkip:
		cmd.Kind = incident.CmdStepSkip // refused with the right message below
	case ActStepAssign:
		cmd.Kind = incident.CmdStepAssign
	case ActRequestApproval:
		cmd.Kind = incident.CmdRequestApproval
	case ActApprove:
		cmd.Kind, cmd.Request = incident.CmdApprove, request
	case ActResolve:
		cmd.Kind = incident.CmdResolve
	case ActClose:
		cmd.Kind = incident.CmdClose
	case ActTakeLead:
		// The reminder's button offers an empty lead; it never moves the
		// lead from someone who took it since.
		cmd.Kind, cmd.User, cmd.OnlyIfNoLead = incident.CmdLead, user, true
	case ActSnooze:
		cmd.Kind, cmd.Until = incident.CmdSnooze, b.now().Add(15*time.Minute)
	case ActUpdateNow:
		cmd.Kind = incident.CmdUpdate
	case ActReopen:
		cmd.Kind = incident.CmdReopen
	default:
		b.ack(req, start, nil)
		b.tell(channel, user, refuseUnknownButton(act.ActionID))
		return
	}
	_, err = b.apply(n, cmd)
	b.ack(req, start, nil)
	if err != nil {
		b.tell(channel, user, userText(err))
		return
	}
	if act.ActionID == ActSnooze {
		b.respond(cb.ResponseURL, channel, user, templates.Snoozed(inc, cmd.Until, b.loc))
	}
}

// respond answers a click privately through its response_url, which
// reaches people chat.postEphemeral cannot: Slack refuses an ephemeral
// for someone who is not in the channel (user_not_in_channel).
func (b *Bot) respond(url, channel, user, text string) {
	text = templates.Sentence(text)
	if url == "" {
		b.tell(channel, user, text)
		return
	}
	b.wg.Add(1)
	go func() {
		defer b.wg.Done()
		err := b.exec.call(b.ctx(), "response_url", func(ctx context.Context) error {
			return slack.PostWebhookContext(ctx, url, &slack.WebhookMessage{Text: clipAck(text), ResponseType: slack.ResponseTypeEphemeral})
		}, 3)
		if err != nil {
			b.log.Warn("could not answer through response_url", zap.String("user", user), zap.Error(err))
			b.tell(channel, user, text)
		}
	}()
}

func (b *Bot) onSubmit(req socketmode.Request, cb slack.InteractionCallback, start time.Time) {
	v := cb.View
	val := func(block, action string) string {
		if v.State == nil {
			return "" // a payload without state must not crash the event loop
		}
		if bv, ok := v.State.Values[block]; ok {
			a := bv[action]
			if a.SelectedOption.Value != "" {
				return a.SelectedOption.Value
			}
			return a.Value
		}
		return ""
	}
	user := cb.User.ID
	fail := func(block string, err error) {
		b.ack(req, start, slack.NewErrorsViewSubmissionResponse(map[string]string{block: clipPlain(templates.Plain(userText(err)), 1000)}))
	}
	switch v.CallbackID {
	case ViewDeclare:
		b.serial("free:"+req.EnvelopeID, func() {
			defer b.recoverAck(req)
			sev := incident.Severity(val("severity", "severity"))
			origin := parseDeclareOrigin(v.PrivateMetadata)
			if _, err := b.declare(val("title", "title"), val("impact", "impact"), sev, val("playbook", "playbook"), user, origin.Channel, origin.ResponseURL); err != nil {
				fail("title", err)
				return
			}
			b.ack(req, start, nil)
		})
	case ViewSkip, ViewApproval, ViewUpdate, ViewReopen:
		n, stepID, err := parseActionValue(v.PrivateMetadata)
		if err != nil {
			fail(firstBlock(v.CallbackID), err)
			return
		}
		cmd := incident.Command{Actor: user, StepID: stepID}
		switch v.CallbackID {
		case ViewSkip:
			cmd.Kind, cmd.Text = incident.CmdStepSkip, val("reason", "reason")
		case ViewApproval:
			cmd.Kind, cmd.What, cmd.Where = incident.CmdRequestApproval, val("what", "what"), val("where", "where")
			if errs := approvalFieldErrors(cmd.What, cmd.Where); len(errs) > 0 {
				b.ack(req, start, slack.NewErrorsViewSubmissionResponse(errs))
				return
			}
		case ViewUpdate:
			cmd.Kind, cmd.Text = incident.CmdUpdate, val("text", "text")
		case ViewReopen:
			cmd.Kind, cmd.Text = incident.CmdReopen, val("reason", "reason")
		}
		b.serial(fmt.Sprintf("inc-%d", n), func() {
			defer b.recoverAck(req)
			// A submission changes the incident its metadata names, so
			// it is held to the same rule as a click: members only.
			inc, err := b.cfg.Store.Get(n)
			if err != nil {
				if b.cfg.NotFound(err) {
					err = userErr(fmt.Sprintf("%s does not exist in this Firebreak's database.", incident.ID(n)))
				}
				fail(firstBlock(v.CallbackID), err)
				return
			}
			if msg := b.memberRefusal(b.ctx(), inc, user); msg != "" {
				fail(firstBlock(v.CallbackID), userErr(msg))
				return
			}
			if _, err := b.apply(n, cmd); err != nil {
				fail(firstBlock(v.CallbackID), err)
				return
			}
			b.ack(req, start, nil)
		})
	default:
		b.ack(req, start, nil)
	}
}

func firstBlock(callback string) string {
	switch callback {
	case ViewApproval:
		return "what"
	case ViewUpdate:
		return "text"
	}
	return "reason"
}

// onEvent records pins, 📌 reactions and joins in incident channels.
// The event is acked only after it is committed (or known to be a
// duplicate), so Slack redelivers what we failed to store.
func (b *Bot) onEvent(req socketmode.Request) {
	start := b.now()
	eventID := rawField(req.Payload, "event_id")
	var outer struct {
		Event json.RawMessage `json:"event"`
	}
	_ = json.Unmarshal(req.Payload, &outer)
	var head struct {
		Type    string `json:"type"`
		Channel string `json:"channel"`
		ChanID  string `json:"channel_id"`
		Item    struct {
			Channel string `json:"channel"`
		} `json:"item"`
	}
	_ = json.Unmarshal(outer.Event, &head)
	channel := head.Channel
	if channel == "" {
		channel = head.ChanID
	}
	if channel == "" {
		channel = head.Item.Channel
	}
	var build func(ctx context.Context) (incident.Command, bool)
	switch head.Type {
	case "reaction_added":
		var e struct {
			User     string `json:"user"`
			Reaction string `json:"reaction"`
			Item     struct {
				Type      string `json:"type"`
				Timestamp string `json:"ts"`
			} `json:"item"`
		}
		_ = json.Unmarshal(outer.Event, &e)
		if e.Reaction != "pushpin" || e.Item.Type != "message" {
			b.ack(req, start, nil)
			return
		}
		build = func(ctx context.Context) (incident.Command, bool) {
			text, author := b.messageText(ctx, channel, e.Item.Timestamp)
			return incident.Command{Kind: incident.CmdPinned, Actor: e.User, Text: text, User: author, Ref: e.Item.Timestamp}, true
		}
	case "pin_added":
		var e slackevents.PinAddedEvent
		_ = json.Unmarshal(outer.Event, &e)
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
	case "member_left_channel":
		var e struct {
			User string `json:"user"`
		}
		_ = json.Unmarshal(outer.Event, &e)
		b.members.note(channel, e.User, false)
		b.ack(req, start, nil)
		return
	case "member_joined_channel":
		var e slackevents.MemberJoinedChannelEvent
		_ = json.Unmarshal(outer.Event, &e)
		b.members.note(channel, e.User, true)
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
	if head.Type == "member_joined_channel" {
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
