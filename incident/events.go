package incident

import "time"

// EventKind names what happened on the timeline.
type EventKind string

// Timeline event kinds.
const (
	EvDeclared          EventKind = "declared"
	EvChannelCreated    EventKind = "channel_created"
	EvSeverityChanged   EventKind = "severity_changed"
	EvMitigated         EventKind = "mitigated"
	EvResolved          EventKind = "resolved"
	EvReopened          EventKind = "reopened"
	EvClosed            EventKind = "closed"
	EvLeadAssigned      EventKind = "lead_assigned"
	EvRoleAssigned      EventKind = "role_assigned"
	EvNote              EventKind = "note"
	EvStatusUpdate      EventKind = "status_update"
	EvFollowup          EventKind = "followup"
	EvStepDone          EventKind = "step_done"
	EvStepSkipped       EventKind = "step_skipped"
	EvStepAssigned      EventKind = "step_assigned"
	EvApprovalRequested EventKind = "approval_requested"
	EvApprovalGranted   EventKind = "approval_granted"
	// EvApprovalWithdrawn: a newer request for the same step replaced a
	// pending one (Fields: step, request, requested_by, replaced_by).
	EvApprovalWithdrawn EventKind = "approval_withdrawn"
	// EvLeadRefused records an attempt to change the lead that the rules
	// did not allow (Fields: user, lead, reason).
	EvLeadRefused   EventKind = "lead_refused"
	EvMemberJoined  EventKind = "member_joined"
	EvMessagePinned EventKind = "message_pinned"
	// EvPinnedText carries the text of a pinned message that could not be
	// fetched within Slack's ack deadline; Fields["ts"] names the pin.
	EvPinnedText       EventKind = "pinned_text"
	EvReminderSent     EventKind = "reminder_sent"
	EvSnoozed          EventKind = "snoozed"
	EvPostmortem       EventKind = "postmortem_published"
	EvPostmortemFailed EventKind = "postmortem_failed"
	EvCancelled        EventKind = "cancelled"
	// EvTimeCorrected records a key-time correction: fields "which", "from", "to".
	EvTimeCorrected EventKind = "time_corrected"
	// EvReviewed records that the postmortem was reviewed: field "how" is
	// "closed" or "labelled".
	EvReviewed EventKind = "postmortem_reviewed"
	// EvReviewOwner records who now owns the postmortem's review: fields
	// "from" (the owner before) and "to".
	EvReviewOwner EventKind = "postmortem_owner"
	// EvAlert is one alert of the incident's group (alerts.go);
	// EvAlertsResolved says monitoring reported the group resolved.
	EvAlert          EventKind = "alert"
	EvAlertsResolved EventKind = "alerts_resolved"
	// A page asked for, and what the pager answered (pages.go).
	EvPageRequested EventKind = "page"
	EvPageSent      EventKind = "page_sent"
	EvPageRetry     EventKind = "page_retry"
	EvPageFailed    EventKind = "page_failed"
	EvPageResolved  EventKind = "page_resolved"
	// EvFollowupDone: follow-up "n" was seen done (its issue "url"
	// closed); EvFollowupReopened: seen open again (followups.go).
	EvFollowupDone     EventKind = "followup_done"
	EvFollowupReopened EventKind = "followup_reopened"
	// EvHandover records that the lead passed from one person to another
	// with a handover (Fields: from, to; Text: the note, if any).
	EvHandover EventKind = "handover"
	// EvFromMessage is the chat message an incident was declared from,
	// its first event: Text is the message, Fields "author", "link"
	// (its permalink, when known) and "clipped" ("true" when Text is the
	// start of a longer message).
	EvFromMessage EventKind = "declared_from_message"
)

// Event is one line of the timeline. At is UTC with millisecond precision.
type Event struct {
	Seq    uint64            `json:"seq"`
	At     time.Time         `json:"at"`
	Actor  string            `json:"actor,omitempty"`
	Kind   EventKind         `json:"kind"`
	Text   string            `json:"text,omitempty"`
	Fields map[string]string `json:"fields,omitempty"`
}

// Stamp normalises a timestamp the way the timeline stores it.
func Stamp(t time.Time) time.Time { return t.UTC().Truncate(time.Millisecond) }

func ev(now time.Time, actor string, kind EventKind, text string, kv ...string) Event {
	e := Event{At: Stamp(now), Actor: actor, Kind: kind, Text: text}
	if len(kv) > 0 {
		e.Fields = make(map[string]string, len(kv)/2)
		for i := 0; i+1 < len(kv); i += 2 {
			e.Fields[kv[i]] = kv[i+1]
		}
	}
	return e
}

// EffectKind names something the outside world must be told after a
// command commits. Effects are stored in the outbox in the same
// transaction as the state change and performed by workers.
type EffectKind string

// Effect kinds.
const (
	// EffCreateChannel creates the incident channel (and records its id).
	EffCreateChannel EffectKind = "channel.create"
	// EffInvite invites Users to the incident channel.
	EffInvite EffectKind = "channel.invite"
	// EffSetTopic sets the channel topic from the incident's current state.
	EffSetTopic EffectKind = "channel.topic"
	// EffPostCard posts and pins the incident card (and records its ts).
	EffPostCard EffectKind = "card.post"
	// EffUpdateCard refreshes the card from the current state; coalescible.
	EffUpdateCard EffectKind = "card.update"
	// EffPost posts Msg in the incident channel.
	EffPost EffectKind = "channel.post"
	// EffAnnounce posts Msg in the announce channel.
	EffAnnounce EffectKind = "announce"
	// EffEphemeral tells User something only they see.
	EffEphemeral EffectKind = "ephemeral"
	// EffDM sends User a direct message.
	EffDM EffectKind = "dm"
	// EffPublishPostmortem files the postmortem, exactly once.
	EffPublishPostmortem EffectKind = "postmortem.publish"
	// EffFetchPinned fetches the text of a pinned message (Fields["ts"])
	// and records it with CmdPinnedText.
	EffFetchPinned EffectKind = "pin.fetch"
	// EffArchiveChannel archives the incident channel (after a cancel).
	EffArchiveChannel EffectKind = "channel.archive"
	// EffCorrectAnnouncement rewrites the declaration's message in the
	// announce channel (after a cancel).
	EffCorrectAnnouncement EffectKind = "announce.correct"
	// EffWithdrawApproval replaces the Approve button of a withdrawn
	// approval request (Fields: step, request, requested_by, by) with a
	// note that it was withdrawn.
	EffWithdrawApproval EffectKind = "approval.withdraw"
)

// MessageKind picks the template used to render a posted message.
type MessageKind string

// Message kinds.
const (
	MsgDeclared        MessageKind = "declared"
	MsgSeverityChanged MessageKind = "severity_changed"
	MsgStatusChanged   MessageKind = "status_changed"
	MsgStatusUpdate    MessageKind = "status_update"
	MsgLeadAssigned    MessageKind = "lead_assigned"
	// MsgReviewOwner says who now owns the postmortem's review
	// (Fields: User the owner, From the one before, By who chose).
	MsgReviewOwner   MessageKind = "review_owner"
	MsgRoleAssigned  MessageKind = "role_assigned"
	MsgApprovalAsked MessageKind = "approval_requested"
	MsgApproved      MessageKind = "approval_granted"
	MsgClosed        MessageKind = "closed"
	MsgReminder      MessageKind = "reminder"
	MsgCancelled     MessageKind = "cancelled"
	// MsgDigest is the daily digest of open incidents (no incident).
	MsgDigest MessageKind = "digest"
	MsgText   MessageKind = "text"
)

// Effect is one outbox row's payload.
type Effect struct {
	Kind   EffectKind   `json:"kind"`
	Msg    MessageKind  `json:"msg,omitempty"`
	User   string       `json:"user,omitempty"`
	Users  []string     `json:"users,omitempty"`
	Text   string       `json:"text,omitempty"`
	Fields EffectFields `json:"fields,omitzero"`
}

// EffectFields are the particulars an effect's message is rendered from.
// They are stored as the JSON object of strings that outbox rows have
// always held under "fields" (numbers and flags as strings too), so rows
// written by any version read the same.
type EffectFields struct {
	// By is who caused the effect.
	By string `json:"by,omitempty"`
	// User is whom it is about: the new lead, a role holder, the person
	// a reminder is for.
	User string `json:"user,omitempty"`
	// Role is the role assigned (MsgRoleAssigned).
	Role string `json:"role,omitempty"`
	// From and To are the severities or statuses of a change.
	From string `json:"from,omitempty"`
	To   string `json:"to,omitempty"`
	// Severity and Status are the incident's when the effect was
	// decided (MsgStatusUpdate), so that a message performed later, or
	// again, still says what held when it was written.
	Severity Severity `json:"severity,omitempty"`
	Status   Status   `json:"status,omitempty"`
	// Step, Request, RequestedBy, What and Where name an approval
	// request: the step, the request's number, who asked, and the
	// command and target it approves.
	Step        string `json:"step,omitempty"`
	Request     int    `json:"request,omitempty,string"`
	RequestedBy string `json:"requested_by,omitempty"`
	What        string `json:"what,omitempty"`
	Where       string `json:"where,omitempty"`
	// Reminder is the kind of a reminder and Due when it fell due (or
	// when the digest was due), to the second.
	Reminder  ReminderKind `json:"reminder,omitempty"`
	Due       time.Time    `json:"due,omitzero"`
	Followups int          `json:"followups,omitempty,string"`
	// URL is the postmortem's address (MsgClosed).
	URL string `json:"url,omitempty"`
	// Reason is why an incident was closed by force.
	Reason string `json:"reason,omitempty"`
	// TS names a pinned message (EffFetchPinned).
	TS string `json:"ts,omitempty"`
	// PostmortemFailed marks the text saying the postmortem could not be
	// filed (MsgText).
	PostmortemFailed bool `json:"postmortem_failed,omitempty,string"`
	// Target and Dedup name a page (EffPageTrigger, EffPageResolve,
	// MsgPageFailed): the page target and the pager's dedup key.
	Target string `json:"target,omitempty"`
	Dedup  string `json:"dedup,omitempty"`
	// Page is what the pagers answered to a page that failed for good
	// (MsgPageFailed), stored as one string; rows written before it
	// carry the answer, worded, in the effect's Text.
	Page *PageReport `json:"page,omitempty"`
	// Source, Count and New describe a group's alerts (MsgAlertSummary,
	// MsgAlertResolved): the monitoring source, the alerts so far and
	// the alerts since the last summary.
	Source string `json:"source,omitempty"`
	Count  int    `json:"count,omitempty,string"`
	New    int    `json:"new,omitempty,string"`
	// Channel is where a notify route's message goes (an effect of no
	// incident).
	Channel string `json:"channel,omitempty"`
}

// DueAt is a due time as effects carry it: UTC, to the second.
func DueAt(t time.Time) time.Time { return t.UTC().Truncate(time.Second) }

func eff(kind EffectKind, msg MessageKind, text string, f EffectFields) Effect {
	return Effect{Kind: kind, Msg: msg, Text: text, Fields: f}
}
