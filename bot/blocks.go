package bot

import (
	"strconv"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/firebreak-hq/firebreak/incident"
	"github.com/firebreak-hq/firebreak/templates"
)

// Action ids are part of the contract: old cards keep working across
// upgrades, so never rename them.
const (
	ActStepDone        = "step.done"
	ActStepSkip        = "step.skip"
	ActStepAssign      = "step.assign"
	ActRequestApproval = "step.request_approval"
	ActApprove         = "step.approve"
	ActResolve         = "incident.resolve"
	ActClose           = "incident.close"
	ActReopen          = "incident.reopen"
	ActTakeLead        = "incident.take_lead"
	ActUpdateNow       = "reminder.update"
	ActSnooze          = "reminder.snooze"
)

// Modal callback ids.
const (
	ViewDeclare  = "declare"
	ViewSkip     = "step.skip"
	ViewApproval = "step.request_approval"
	ViewUpdate   = "update"
	ViewReopen   = "reopen"
)

// Slack's Block Kit limits that the builders respect.
const (
	maxBlocks     = 50
	maxText       = 3000
	maxHeader     = 150
	maxButtonText = 75
	maxFallback   = 4000
)

func stepValue(inc incident.Incident, stepID string) string { return inc.ID() + ":" + stepID }

// approvalValue is an Approve button's value: INC-<n>:<step-id>:<request>,
// naming the request the approver is shown, so that an approval can never
// land on a request that replaced it. A request stored before requests
// were numbered (0) keeps the old form.
func approvalValue(inc incident.Incident, stepID string, request int) string {
	if request <= 0 {
		return stepValue(inc, stepID)
	}
	return stepValue(inc, stepID) + ":" + strconv.Itoa(request)
}

func mrkdwn(s string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.MarkdownType, templates.Clip(s, maxText), false, false)
}

func plain(s string, max int) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.PlainTextType, clipPlain(s, max), true, false)
}

func clipPlain(s string, max int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	r := []rune(s)
	if len(r) <= max {
		return s
	}
	return string(r[:max-1]) + "…"
}

func button(actionID, text, value string, style slack.Style) *slack.ButtonBlockElement {
	b := slack.NewButtonBlockElement(actionID, value, plain(text, maxButtonText))
	if style != "" {
		b.Style = style
	}
	return b
}

// CardBlocks renders the incident card. However long the checklist or
// the title, the result stays within Slack's limits: finished steps
// collapse into one line per phase, and open steps beyond the block
// budget are listed without buttons.
func CardBlocks(inc incident.Incident, loc *time.Location) []slack.Block {
	header := templates.CardHeader(inc.ID(), inc.Title)
	blocks := []slack.Block{
		slack.NewHeaderBlock(plain(header, maxHeader), slack.HeaderBlockOptionBlockID("card:"+inc.ID())),
		slack.NewSectionBlock(mrkdwn(templates.CardSummary(inc, loc)), nil, nil, slack.SectionBlockOptionBlockID("summary")),
	}
	if text := templates.CardAlerts(inc); text != "" {
		blocks = append(blocks, slack.NewSectionBlock(mrkdwn(text), nil, nil, slack.SectionBlockOptionBlockID("alerts")))
	}
	if inc.Status.Open() {
		var els []slack.BlockElement
		if inc.Status != incident.StatusResolved {
			els = append(els, button(ActResolve, templates.ButtonResolve, inc.ID(), slack.StylePrimary))
		}
		els = append(els, button(ActClose, templates.ButtonClose, inc.ID(), ""))
		blocks = append(blocks, slack.NewActionBlock("incident", els...))
	}
	// Reserve: one section per phase, plus room for the closing context.
	budget := maxBlocks - len(blocks) - len(incident.Phases) - 1
	for _, ph := range incident.Phases {
		steps := inc.PhaseSteps(ph)
		var lines []string
		var open []incident.Step
		for _, st := range steps {
			if len(inc.StepActions(st)) == 0 {
				lines = append(lines, templates.StepLine(st))
			} else {
				open = append(open, st)
			}
		}
		var overflow []string
		var stepBlocks []slack.Block
		for _, st := range open {
			if budget >= 2 {
				stepBlocks = append(stepBlocks,
					slack.NewSectionBlock(mrkdwn(templates.StepLine(st)), nil, nil, slack.SectionBlockOptionBlockID("step:"+st.ID)),
					slack.NewActionBlock("act:"+st.ID, stepButtons(inc, st)...))
				budget -= 2
			} else {
				overflow = append(overflow, templates.StepLine(st))
			}
		}
		current := ph == inc.CurrentPhase() && inc.Status.Open()
		text := templates.PhaseSection(templates.PhaseTitle(ph), current, lines, overflow, len(steps) == 0)
		blocks = append(blocks, slack.NewSectionBlock(mrkdwn(text), nil, nil, slack.SectionBlockOptionBlockID("phase:"+string(ph))))
		blocks = append(blocks, stepBlocks...)
	}
	blocks = append(blocks, slack.NewContextBlock("footer",
		mrkdwn(templates.CardFooter())))
	return blocks
}

func stepButtons(inc incident.Incident, st incident.Step) []slack.BlockElement {
	v := stepValue(inc, st.ID)
	var els []slack.BlockElement
	for i, kind := range inc.StepActions(st) {
		style := slack.Style("")
		if i == 0 {
			style = slack.StylePrimary
		}
		switch kind {
		case incident.CmdRequestApproval:
			els = append(els, button(ActRequestApproval, templates.ButtonRequestApproval, v, style))
		case incident.CmdApprove:
			els = append(els, button(ActApprove, templates.ButtonApprove, approvalValue(inc, st.ID, st.Signoff.ID), style))
		case incident.CmdStepDone:
			els = append(els, button(ActStepDone, templates.ButtonDone, v, style))
		case incident.CmdStepSkip:
			els = append(els, button(ActStepSkip, templates.ButtonSkip, v, style))
		case incident.CmdStepAssign:
			els = append(els, button(ActStepAssign, templates.ButtonAssign, v, style))
		}
	}
	return els
}

// CardFallback is the notification text beside the card's blocks.
func CardFallback(inc incident.Incident) string {
	return templates.Clip(templates.CardFallback(inc.ID(), string(inc.Severity), string(inc.Status), inc.Title), maxFallback)
}

func input(f templates.Form, blockID string, el slack.BlockElement, optional bool) *slack.InputBlock {
	b := slack.NewInputBlock(blockID, plain(f.Fields[blockID].Label, 2000), nil, el)
	b.Optional = optional
	return b
}

// modal is a form worded by f; its intro, if any, comes before blocks.
func modal(callbackID string, f templates.Form, meta string, blocks ...slack.Block) slack.ModalViewRequest {
	if f.Intro != "" {
		blocks = append([]slack.Block{slack.NewSectionBlock(mrkdwn(f.Intro), nil, nil)}, blocks...)
	}
	return slack.ModalViewRequest{
		Type:            slack.VTModal,
		CallbackID:      callbackID,
		Title:           plain(f.Title, 24),
		Submit:          plain(f.Submit, 24),
		Close:           plain(f.Cancel, 24),
		PrivateMetadata: meta,
		Blocks:          slack.Blocks{BlockSet: blocks},
	}
}

// maxInputLength is the largest max_length Slack accepts on a plain_text_input (1–3000); a
// larger one makes views.open refuse the whole modal.
// https://api.slack.com/reference/block-kit/block-elements#input
const maxInputLength = 3000

// textInput is the plain_text_input of f's field actionID, taking at most most characters, or
// Slack's limit when that is beyond it (longer texts still come in through the slash command).
func textInput(f templates.Form, actionID string, multiline bool, most int) *slack.PlainTextInputBlockElement {
	el := slack.NewPlainTextInputBlockElement(plain(f.Fields[actionID].Placeholder, 150), actionID)
	el.Multiline = multiline
	el.MaxLength = min(max(most, 1), maxInputLength)
	return el
}

// DeclareModal asks for what /incident with no text needs; meta is the
// view's private_metadata (where the command was typed).
func DeclareModal(meta string, playbooks []incident.Playbook) slack.ModalViewRequest {
	return declareModal(meta, playbooks, "", "")
}

// DeclareFromMessageModal is the declare modal opened from a message
// (the message shortcut): the title is the message's first line, the
// impact its text, and a note says the message becomes the incident's
// first timeline event.
func DeclareFromMessageModal(meta string, playbooks []incident.Playbook, text, author string) slack.ModalViewRequest {
	v := declareModal(meta, playbooks, firstLine(text), strings.TrimSpace(text))
	note := slack.NewContextBlock("from_message", mrkdwn(templates.FromMessageNote(author, strings.TrimSpace(text) == "")))
	v.Blocks.BlockSet = append([]slack.Block{note}, v.Blocks.BlockSet...)
	return v
}

func declareModal(meta string, playbooks []incident.Playbook, title, impact string) slack.ModalViewRequest {
	f := templates.DeclareForm()
	var sevOpts []*slack.OptionBlockObject
	for _, s := range incident.Severities {
		sevOpts = append(sevOpts, slack.NewOptionBlockObject(string(s), plain(templates.SeverityOption(s), 75), nil))
	}
	sev := slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, plain(f.Fields["severity"].Placeholder, 75), "severity", sevOpts...)
	sev.InitialOption = sevOpts[2]
	var pbOpts []*slack.OptionBlockObject
	for i, p := range playbooks {
		if i == 100 {
			break
		}
		pbOpts = append(pbOpts, slack.NewOptionBlockObject(p.Name, plain(p.Title, 75), nil))
	}
	pb := slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, plain(f.Fields["playbook"].Placeholder, 75), "playbook", pbOpts...)
	if len(pbOpts) > 0 {
		pb.InitialOption = pbOpts[0]
	}
	private := slack.NewCheckboxGroupsBlockElement("private",
		slack.NewOptionBlockObject("private", plain(templates.PrivateOption(), 75), plain(templates.PrivateOptionHint(), 75)))
	titleIn := textInput(f, "title", false, incident.MaxTitle)
	titleIn.InitialValue = clipPlain(title, titleIn.MaxLength)
	impactIn := textInput(f, "impact", true, 3000)
	impactIn.InitialValue = clipPlain(impact, impactIn.MaxLength)
	return modal(ViewDeclare, f, meta,
		input(f, "title", titleIn, false),
		input(f, "severity", sev, false),
		input(f, "playbook", pb, false),
		input(f, "impact", impactIn, true),
		input(f, "private", private, true),
	)
}

// SkipModal asks why a step is skipped.
func SkipModal(inc incident.Incident, st incident.Step) slack.ModalViewRequest {
	f := templates.SkipForm(inc.ID(), st.Title)
	return modal(ViewSkip, f, stepValue(inc, st.ID),
		input(f, "reason", textInput(f, "reason", true, 3000), false),
	)
}

// ApprovalModal asks the requester what will be run and where.
func ApprovalModal(inc incident.Incident, st incident.Step) slack.ModalViewRequest {
	f := templates.ApprovalForm(st.Title)
	return modal(ViewApproval, f, stepValue(inc, st.ID),
		input(f, "what", textInput(f, "what", true, 2000), false),
		input(f, "where", textInput(f, "where", false, 500), false),
	)
}

// UpdateModal lets the lead post a status update from a reminder.
func UpdateModal(inc incident.Incident) slack.ModalViewRequest {
	f := templates.UpdateForm()
	return modal(ViewUpdate, f, inc.ID(),
		input(f, "text", textInput(f, "text", true, 3000), false),
	)
}

// ReopenModal asks why a resolved incident is reopened.
func ReopenModal(inc incident.Incident) slack.ModalViewRequest {
	f := templates.ReopenForm()
	return modal(ViewReopen, f, inc.ID(),
		input(f, "reason", textInput(f, "reason", true, 3000), false),
	)
}

// ReminderBlocks adds the buttons a reminder offers.
func ReminderBlocks(inc incident.Incident, kind, text string) []slack.Block {
	blocks := []slack.Block{slack.NewSectionBlock(mrkdwn(text), nil, nil)}
	var els []slack.BlockElement
	switch kind {
	case "update":
		els = append(els, button(ActUpdateNow, templates.ButtonUpdateNow, inc.ID(), slack.StylePrimary), button(ActSnooze, templates.SnoozeButton(incident.SnoozeFor), inc.ID(), ""))
	case "lead":
		els = append(els, button(ActTakeLead, templates.ButtonTakeLead, inc.ID(), slack.StylePrimary))
	case "verify":
		els = append(els, button(ActClose, templates.ButtonClose, inc.ID(), slack.StylePrimary), button(ActReopen, templates.ButtonReopen, inc.ID(), slack.StyleDanger))
	}
	if len(els) > 0 {
		blocks = append(blocks, slack.NewActionBlock("reminder", els...))
	}
	return blocks
}

// ApprovalBlocks puts an Approve button under an approval request. The
// button and its block name the request (the effect's "request" field),
// not whatever request is current when the message is posted: a request
// made in between must not inherit this message's text.
func ApprovalBlocks(inc incident.Incident, eff incident.Effect, text string) []slack.Block {
	stepID, req := eff.Fields.Step, eff.Fields.Request
	return []slack.Block{
		slack.NewSectionBlock(mrkdwn(text), nil, nil),
		slack.NewActionBlock(approvalBlockID(stepID, req), button(ActApprove, templates.ButtonApprove, approvalValue(inc, stepID, req), slack.StylePrimary)),
	}
}

// approvalBlockID names the actions block of one approval request, so the
// message can be found again when the request is withdrawn.
func approvalBlockID(stepID string, request int) string {
	if request <= 0 {
		return "approval:" + stepID
	}
	return "approval:" + stepID + ":" + strconv.Itoa(request)
}

// WithdrawnApprovalBlocks replace a withdrawn request's message: the
// request is struck through and its Approve button is gone.
func WithdrawnApprovalBlocks(text string) []slack.Block {
	return []slack.Block{slack.NewSectionBlock(mrkdwn(text), nil, nil)}
}
