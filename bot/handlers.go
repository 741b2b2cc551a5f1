package bot

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"
	"go.uber.org/zap"

	"github.com/firebreak-hq/firebreak/incident"
	"github.com/firebreak-hq/firebreak/templates"
)

func (b *Bot) onSlash(req socketmode.Request, sc slack.SlashCommand, inc *incident.Incident, start time.Time) {
	p, err := ParseSlash(sc.Text)
	if err != nil {
		b.ack(req, start, slashReply(b.userText(err)))
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
			b.ack(req, start, slashReply(b.userText(err)))
			return
		}
		// A private incident is listed in full only to the members of its
		// channel: membership from the cache the bot keeps, the channels
		// not in it asked of Slack all at once within one budget inside
		// the ack's 3 s; unknown counts as not a member.
		ctx, cancel := context.WithTimeout(b.ctx(), memberCheckBudget)
		defer cancel()
		for _, inc := range incs {
			if inc.Private && inc.Channel != "" {
				b.warmMembers(inc.Channel)
			}
		}
		member := func(inc incident.Incident) bool {
			if inc.Channel == "" {
				return false
			}
			m, ok := b.isMember(ctx, inc.Channel, sc.UserID)
			return ok && m
		}
		b.ack(req, start, slashReply(templates.List(incs, b.now(), member)))
	case SubStatus:
		b.ack(req, start, slashReply(templates.StatusSummary(*inc, b.now(), b.loc)))
	case SubTimeline:
		evs, err := b.cfg.Reader.Events(inc.Number)
		if err != nil {
			b.ack(req, start, slashReply(b.userText(err)))
			return
		}
		b.ack(req, start, slashReply(templates.Timeline(*inc, evs, b.loc, 3500)))
	case SubCatchup:
		evs, err := b.cfg.Reader.Events(inc.Number)
		if err != nil {
			b.ack(req, start, slashReply(b.userText(err)))
			return
		}
		now := b.now()
		b.ack(req, start, slashReply(templates.Brief(incident.MakeBrief(*inc, evs, now), now, b.loc)))
	case SubDeclareModal:
		// The trigger expires in 3 s: ack first, then open the modal.
		b.ack(req, start, nil)
		b.openView(sc.TriggerID, DeclareModal(declareOrigin{Channel: sc.ChannelID, ResponseURL: sc.ResponseURL}.String(), b.cfg.Playbooks.All()), sc.ChannelID, sc.UserID)
	case SubDeclare:
		res, err := b.declare(declaration{title: p.Title, sev: p.Severity, playbook: p.Playbook, private: p.Private}, sc.UserID, sc.ChannelID, sc.ResponseURL)
		if err != nil {
			b.ack(req, start, slashReply(b.userText(err)))
			return
		}
		b.ack(req, start, slashReply(b.replyText(res.Reply)))
	default:
		// Every command that changes an incident is for members of its
		// channel only, and is refused when membership cannot be known.
		if msg := b.memberRefusal(b.ctx(), *inc, sc.UserID); msg != "" {
			b.ack(req, start, slashReply(msg))
			return
		}
		if p.User != "" && (p.Sub == SubLead || p.Sub == SubRole || p.Sub == SubHandover || p.Sub == SubReviewOwner) {
			role := p.Role
			if p.Sub != SubRole {
				role = "lead"
			}
			what := templates.PersonTask(inc.ID(), role)
			if p.Sub == SubReviewOwner {
				what = templates.ReviewOwnerTask(inc.ID())
			}
			if msg := b.personRefusal(b.ctx(), p.User, what); msg != "" {
				b.ack(req, start, slashReply(msg))
				return
			}
		}
		cmd := incident.Command{Actor: sc.UserID, Text: p.Text, Severity: p.Severity, User: p.User, Role: p.Role, Force: p.Force}
		cmd.Kind = subCommands[p.Sub]
		if p.Sub == SubTimes {
			at, err := KeyTimeAt(p.Text, b.now(), b.loc)
			if err != nil {
				b.ack(req, start, slashReply(b.userText(err)))
				return
			}
			cmd.At, cmd.Text = at, ""
		}
		if p.Sub == SubPage {
			if err := b.checkPageTarget(p.Role); err != nil {
				b.ack(req, start, slashReply(userText(err)))
				return
			}
			cmd.Kind, cmd.Ref, cmd.Role = incident.CmdPage, p.Role, ""
		}
		res, err := b.apply(inc.Number, cmd)
		if err != nil {
			b.ack(req, start, slashReply(b.userText(err)))
			return
		}
		b.ack(req, start, slashReply(b.replyText(res.Reply)))
	}
}

// declaration is what a person asked to declare.
type declaration struct {
	title, impact string
	sev           incident.Severity
	playbook      string
	private       bool
	// src is the chat message it is declared from, nil when none.
	src *incident.SourceMessage
}

// declare opens an incident: one transaction allocates the number and
// stores the incident with its channel-creation effects, and where to
// answer the declarer.
func (b *Bot) declare(dc declaration, user, origin, replyURL string) (incident.Result, error) {
	res, _, err := b.declareOnce("", dc, user, origin, replyURL)
	return res, err
}

// declareOnce is declare that, with a key, declares only if no declaration recorded that
// key before (on any replica): dup is true when one did.
func (b *Bot) declareOnce(key string, dc declaration, user, origin, replyURL string) (incident.Result, bool, error) {
	title, impact, sev, playbook := dc.title, dc.impact, dc.sev, dc.playbook
	if playbook == "" {
		playbook = incident.DefaultPlaybookName
	}
	pb, ok := b.cfg.Playbooks.Get(playbook)
	if !ok {
		return incident.Result{}, false, refuseNoPlaybook(playbook, b.cfg.Playbooks.Names())
	}
	now := b.now()
	d := incident.Declaration{
		Title: title, Impact: impact, Severity: sev, Playbook: pb, Declarer: user,
		Responders: b.cfg.Responders, VerifyWindow: b.cfg.VerifyWindow,
		Paging: b.cfg.Paging, Private: dc.private, Source: dc.src,
	}
	rec := SlackRecord{OriginChannel: origin, ReplyURL: replyURL}
	fn := func(n uint64) (incident.Result, error) { return incident.Declare(n, d, now) }
	var (
		res incident.Result
		dup bool
		err error
	)
	if key == "" {
		res, err = b.cfg.Store.Create(rec, fn)
	} else {
		rec.DeclaredFrom = key
		res, dup, err = b.cfg.Store.CreateOnce(key, rec, fn)
	}
	if err == nil && !dup {
		b.logDeclared(res.Incident)
	}
	return res, dup, err
}

// logDeclared logs a declaration. A private incident's title is logged
// at debug only: logs travel further than its channel's membership.
func (b *Bot) logDeclared(inc incident.Incident) {
	fields := []zap.Field{zap.String("incident", inc.ID()), zap.String("severity", string(inc.Severity)),
		zap.String("playbook", inc.Playbook), zap.String("declarer", inc.Declarer), zap.Bool("private", inc.Private)}
	if inc.Private {
		b.log.Info("incident declared", fields...)
		b.log.Debug("private incident declared", zap.String("incident", inc.ID()), zap.String("title", inc.Title))
		return
	}
	b.log.Info("incident declared", append(fields, zap.String("title", inc.Title))...)
}

func (b *Bot) openView(trigger string, v slack.ModalViewRequest, channel, user string) {
	b.openViewOr(trigger, v, func(text string) {
		if channel == "" {
			// Opened from the Home tab: no channel to answer in, so the
			// person is told in the app's direct messages.
			b.dmLater(user, text)
			return
		}
		b.tell(channel, user, text)
	})
}

// openViewOr opens a modal, or tells the person through tell why it
// could not be opened.
func (b *Bot) openViewOr(trigger string, v slack.ModalViewRequest, tell func(string)) {
	err := b.exec.call(b.ctx(), "views.open", func(ctx context.Context) error {
		_, err := b.api.OpenViewContext(ctx, trigger, v)
		return err
	}, 1)
	if err != nil {
		b.log.Warn("views.open failed", zap.Error(err))
		tell(refuseFormFailed())
	}
}

// dmLater sends user a direct message off the hot path.
func (b *Bot) dmLater(user, text string) {
	b.wg.Add(1)
	go func() {
		defer b.wg.Done()
		if err := b.exec.post(b.ctx(), user, templates.Sentence(text), nil); err != nil {
			b.log.Warn("could not tell the user", zap.String("user", user), zap.Error(err))
		}
	}()
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
		if act.ActionID == ActHomeDeclare {
			// The trigger expires in 3 s: ack, then open the modal at once.
			b.ack(req, start, nil)
			b.openView(cb.TriggerID, DeclareModal(declareOrigin{}.String(), b.cfg.Playbooks.All()), "", cb.User.ID)
			return
		}
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
	case slack.InteractionTypeMessageAction:
		b.onMessageShortcut(req, cb, start)
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
		return "", 0, userErr(templates.BadApprovalRequest(rs))
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
		return templates.PersonRefusal(templates.PersonSlackbot, user, what)
	}
	ctx, cancel := context.WithTimeout(ctx, personBudget)
	defer cancel()
	u, err := b.userInfo(ctx, user, 2)
	return personProblem(user, what, u, err)
}

// personProblem judges users.info's answer about user (see personRefusal).
func personProblem(user, what string, u *slack.User, err error) string {
	var p templates.PersonProblem
	switch {
	case slackCode(err) == "user_not_found":
		p = templates.PersonUnknown
	case err != nil || u == nil:
		p = templates.PersonLookupFailed
	case u.ID == "USLACKBOT":
		p = templates.PersonSlackbot
	case u.IsBot || u.IsAppUser:
		p = templates.PersonBot
	case u.Deleted:
		p = templates.PersonDeactivated
	default:
		return ""
	}
	return templates.PersonRefusal(p, user, what)
}

func (b *Bot) onAction(req socketmode.Request, cb slack.InteractionCallback, act *slack.BlockAction, n uint64, stepID string, start time.Time) {
	user, channel := cb.User.ID, cb.Channel.ID
	inc, err := b.cfg.Store.Get(n)
	if err != nil {
		b.ack(req, start, nil)
		if b.cfg.NotFound(err) {
			b.tell(channel, user, refuseStaleCard(n))
		} else {
			b.tell(channel, user, b.userText(err))
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
	// Buttons that open a modal must use the trigger at once; the domain
	// says whether the command needs the form's text first.
	if form, ok := forms[act.ActionID]; ok && inc.NeedsForm(form.kind, stepID) {
		b.ack(req, start, nil)
		b.openView(cb.TriggerID, form.view(inc, st), channel, user)
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
		cmd.Kind, cmd.Until = incident.CmdSnooze, b.now().Add(incident.SnoozeFor)
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
		b.tell(channel, user, b.userText(err))
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
	b.answer(url, channel, user, templates.Sentence(text), false)
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
		b.ack(req, start, slack.NewErrorsViewSubmissionResponse(map[string]string{block: clipPlain(templates.Plain(b.userText(err)), 1000)}))
	}
	switch v.CallbackID {
	case ViewDeclare:
		b.serial("free:"+req.EnvelopeID, func() {
			defer b.recoverAck(req)
			sev := incident.Severity(val("severity", "severity"))
			origin := parseDeclareOrigin(v.PrivateMetadata)
			private := false
			if v.State != nil {
				private = len(v.State.Values["private"]["private"].SelectedOptions) > 0
			}
			dc := declaration{title: val("title", "title"), impact: val("impact", "impact"), sev: sev, playbook: val("playbook", "playbook"),
				private: private, src: b.sourceOf(origin.Msg)}
			if _, err := b.declare(dc, user, origin.Channel, origin.ResponseURL); err != nil {
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
					err = userErr(templates.NoSuchIncident(incident.ID(n)))
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

// forms are the buttons that ask for text in a modal before their
// command can be tried.
var forms = map[string]struct {
	kind incident.CommandKind
	view func(incident.Incident, incident.Step) slack.ModalViewRequest
}{
	ActStepSkip:        {incident.CmdStepSkip, SkipModal},
	ActRequestApproval: {incident.CmdRequestApproval, ApprovalModal},
	ActUpdateNow:       {incident.CmdUpdate, func(inc incident.Incident, _ incident.Step) slack.ModalViewRequest { return UpdateModal(inc) }},
	ActReopen:          {incident.CmdReopen, func(inc incident.Incident, _ incident.Step) slack.ModalViewRequest { return ReopenModal(inc) }},
}

// subCommands are the slash subcommands that change an incident, with
// the domain command each issues.
var subCommands = map[Sub]incident.CommandKind{
	SubNote: incident.CmdNote, SubUpdate: incident.CmdUpdate, SubSev: incident.CmdSeverity,
	SubLead: incident.CmdLead, SubRole: incident.CmdRole, SubFollowup: incident.CmdFollowup,
	SubMitigated: incident.CmdMitigated, SubResolve: incident.CmdResolve, SubReopen: incident.CmdReopen,
	SubClose: incident.CmdClose, SubCancel: incident.CmdCancel, SubTimes: incident.CmdTimes,
	SubHandover: incident.CmdHandover, SubReviewOwner: incident.CmdReviewOwner,
}
