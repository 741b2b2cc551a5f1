package templates

import (
	"fmt"
	"time"

	"github.com/firebreak-hq/firebreak/incident"
)

// wording is how one kind of message reads in one channel: the template
// it is rendered with, and what the kind adds to the effect's view (nil
// when the common fields say it all).
type wording struct {
	tmpl string
	fill func(v *effView, inc incident.Incident, e incident.Effect)
}

// message is how one kind of message reads wherever it is posted: in the
// incident channel (post), in the announce channel (announce) and, for a
// private incident, there as what happened to it (private), never its
// title, text or people. A kind with no template for a channel is not
// posted there.
type message struct {
	post, announce wording
	private        func(e incident.Effect) string
}

// messages is the wording of every message kind rendered from a view.
// A plain text (incident.MsgText) is posted as the domain wrote it and a
// reminder is worded by its reminder kind; see ChannelMessage.
var messages = map[incident.MessageKind]message{
	incident.MsgDeclared: {
		announce: wording{"announce_declared", nil},
		private:  says("declared"),
	},
	incident.MsgSeverityChanged: {
		post:     wording{"post_severity_changed", severityChange},
		announce: wording{"announce_severity_changed", severityChange},
		private:  privateSeverity,
	},
	incident.MsgStatusChanged: {
		post:     wording{"post_status_changed", nil},
		announce: wording{"announce_status_changed", nil},
		private:  privateStatus,
	},
	incident.MsgClosed: {
		post:     wording{"post_status_changed", closedStatus},
		announce: wording{"announce_closed", closure},
		private:  says("closed"),
	},
	incident.MsgStatusUpdate: {
		post:     wording{"post_status_update", statusUpdate},
		announce: wording{"announce_status_update", statusUpdate},
		private:  says("a status update was posted in its channel"),
	},
	incident.MsgCancelled: {
		post:     wording{"post_cancelled", reason},
		announce: wording{"announce_cancelled", reason},
		private:  says("cancelled (declared by mistake)"),
	},
	incident.MsgLeadAssigned:  {post: wording{"post_lead_assigned", nil}},
	incident.MsgReviewOwner:   {post: wording{"post_review_owner", previousOwner}},
	incident.MsgHandover:      {post: wording{"post_handover", handover}},
	incident.MsgRoleAssigned:  {post: wording{"post_role_assigned", role}},
	incident.MsgApprovalAsked: {post: wording{"post_approval_requested", (*effView).approval}},
	incident.MsgApproved:      {post: wording{"post_approval_granted", approved}},
	incident.MsgAlertSummary:  {post: wording{"post_alert_summary", alerts}},
	incident.MsgAlertResolved: {post: wording{"post_alert_resolved", alerts}},
	incident.MsgPageFailed:    {post: wording{"post_page_failed", pageFailed}},
}

// Announcement renders an EffAnnounce effect for the announce channel.
func Announcement(inc incident.Incident, e incident.Effect) (string, error) {
	if e.Kind != incident.EffAnnounce && !(e.Kind == incident.EffCorrectAnnouncement && e.Msg == incident.MsgCancelled) {
		return "", fmt.Errorf("announcement: effect kind %q is not %q", e.Kind, incident.EffAnnounce)
	}
	m := messages[e.Msg]
	if m.announce.tmpl == "" {
		return "", fmt.Errorf("announcement: no template for message %q", e.Msg)
	}
	if inc.Private {
		return privateAnnouncement(inc, m.private(e))
	}
	return m.announce.render(inc, e)
}

// ChannelMessage renders an EffPost effect for the incident channel.
func ChannelMessage(inc incident.Incident, e incident.Effect) (string, error) {
	if err := kindIs("channel message", e, incident.EffPost); err != nil {
		return "", err
	}
	switch e.Msg {
	case incident.MsgText:
		// The domain wrote this text and it is already mrkdwn; only make
		// sure Slack will accept it.
		return Clip(e.Text, maxMessage), nil
	case incident.MsgReminder:
		return reminder(inc, e, effViewOf(inc, e), time.Time{})
	}
	w := messages[e.Msg].post
	if w.tmpl == "" {
		return "", fmt.Errorf("channel message: no template for message %q", e.Msg)
	}
	return w.render(inc, e)
}

func (w wording) render(inc incident.Incident, e incident.Effect) (string, error) {
	v := effViewOf(inc, e)
	if w.fill != nil {
		w.fill(&v, inc, e)
	}
	return renderSlack(w.tmpl, v, maxMessage)
}

func severityChange(v *effView, _ incident.Incident, e incident.Effect) { v.severity(e.Fields) }

// closedStatus words a closure as a change of status.
func closedStatus(v *effView, _ incident.Incident, _ incident.Effect) {
	v.To = string(incident.StatusClosed)
}

// closure is the one closure announcement: who closed it (fields by and,
// for a forced close, reason) with the postmortem link (field url).
func closure(v *effView, inc incident.Incident, e incident.Effect) {
	v.To = string(incident.StatusClosed)
	v.Text = clipText(oneLine(e.Fields.Reason), maxReasonLen)
	if u := e.Fields.URL; u != "" {
		v.Link = link(u, "Postmortem: "+inc.ID())
	}
}

func quoted(v *effView, _ incident.Incident, e incident.Effect) { v.Quote = quote(e.Text) }

// statusUpdate quotes an update under the severity and status the
// incident had when it was given (the current ones for an effect stored
// without them).
func statusUpdate(v *effView, inc incident.Incident, e incident.Effect) {
	quoted(v, inc, e)
	if sev := e.Fields.Severity; sev != "" {
		v.Inc.Sev, v.Inc.SevEmoji = sevLabel(sev), sevEmoji(sev)
	}
	if st := e.Fields.Status; st != "" {
		v.Inc.Status, v.Inc.StatusEmoji = EscapeMrkdwn(string(st)), statusEmoji(st)
	}
}

// reason ends a cancellation's reason as a sentence.
func reason(v *effView, _ incident.Incident, _ incident.Effect) { v.Text = sentenceEnd(v.Text) }

func previousOwner(v *effView, _ incident.Incident, e incident.Effect) {
	v.From = mention(e.Fields.From)
}

// handover names the lead before and quotes the note, when there is one.
func handover(v *effView, inc incident.Incident, e incident.Effect) {
	previousOwner(v, inc, e)
	if e.Text != "" {
		v.Quote = quote(e.Text)
	}
}

func role(v *effView, _ incident.Incident, e incident.Effect) { v.Role = EscapeMrkdwn(e.Fields.Role) }

func approved(v *effView, inc incident.Incident, e incident.Effect) {
	v.Step = stepTitle(inc, e.Fields.Step, e.Text)
	v.User = mention(e.Fields.RequestedBy)
}

// alerts describes a group's alerts (source, latest title, counts).
func alerts(v *effView, _ incident.Incident, e incident.Effect) {
	f := e.Fields
	v.Alert = alertView{
		Source: EscapeMrkdwn(incident.SourceName(f.Source)),
		Title:  clipText(oneLine(e.Text), maxTitleLen),
		Count:  f.Count, New: f.New,
	}
}

// says is a private announcement that says the same whatever the effect.
func says(what string) func(incident.Effect) string {
	return func(incident.Effect) string { return what }
}

func privateSeverity(e incident.Effect) string {
	return "severity changed from " + sevLabel(incident.Severity(e.Fields.From)) + " to " + sevLabel(incident.Severity(e.Fields.To))
}

func privateStatus(e incident.Effect) string {
	switch incident.Status(e.Fields.To) {
	case incident.StatusActive:
		return "reopened"
	case incident.StatusClosed:
		return "closed"
	}
	return "now " + EscapeMrkdwn(e.Fields.To)
}
