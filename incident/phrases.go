package incident

// Phrase names one thing the domain tells a person: a refusal or a
// reply. The domain never words it; templates holds one text per phrase
// (templates.TestEveryPhraseWorded keeps the two lists equal).
type Phrase string

// Refusals.
const (
	RefuseCancelledNoLonger     Phrase = "refuse.cancelled_no_longer"
	RefuseClosedNoCancel        Phrase = "refuse.closed_no_cancel"
	RefuseClosedNoLonger        Phrase = "refuse.closed_no_longer"
	RefuseReopenNotResolved     Phrase = "refuse.reopen_not_resolved"
	RefuseAlreadyMitigated      Phrase = "refuse.already_mitigated"
	RefuseAlreadyDone           Phrase = "refuse.already_done"
	RefuseNotNow                Phrase = "refuse.not_now"
	RefuseNoActor               Phrase = "refuse.no_actor"
	RefuseSeverityRange         Phrase = "refuse.severity_range"
	RefuseSameSeverity          Phrase = "refuse.same_severity"
	RefuseLeadNeedsMention      Phrase = "refuse.lead_needs_mention"
	RefuseSameLead              Phrase = "refuse.same_lead"
	RefuseRoleName              Phrase = "refuse.role_name"
	RefuseRoleNeedsMention      Phrase = "refuse.role_needs_mention"
	RefuseSameRole              Phrase = "refuse.same_role"
	RefuseReopenNeedsReason     Phrase = "refuse.reopen_needs_reason"
	RefuseForceNeedsReason      Phrase = "refuse.force_needs_reason"
	RefuseVerifyOpen            Phrase = "refuse.verify_open"
	RefuseJoinNeedsUser         Phrase = "refuse.join_needs_user"
	RefusePinNeedsTS            Phrase = "refuse.pin_needs_ts"
	RefusePinnedTextNeedsTS     Phrase = "refuse.pinned_text_needs_ts"
	RefuseSnoozePast            Phrase = "refuse.snooze_past"
	RefuseLeadOrDeclarer        Phrase = "refuse.lead_or_declarer"
	RefuseUnknownStep           Phrase = "refuse.unknown_step"
	RefuseStepFinished          Phrase = "refuse.step_finished"
	RefuseNeedsApproval         Phrase = "refuse.needs_approval"
	RefuseAwaitsApproval        Phrase = "refuse.awaits_approval"
	RefuseApproverRuns          Phrase = "refuse.approver_runs"
	RefuseSkipNeedsReason       Phrase = "refuse.skip_needs_reason"
	RefuseSameAssignee          Phrase = "refuse.same_assignee"
	RefuseNotApprovalStep       Phrase = "refuse.not_approval_step"
	RefuseAlreadyApproved       Phrase = "refuse.already_approved"
	RefuseApprovalNeedsWhat     Phrase = "refuse.approval_needs_what"
	RefuseApprovalNeedsWhere    Phrase = "refuse.approval_needs_where"
	RefuseApproveOrdinary       Phrase = "refuse.approve_ordinary"
	RefuseNoRequest             Phrase = "refuse.no_request"
	RefuseApproveNoRequestID    Phrase = "refuse.approve_no_request_id"
	RefuseApprovalWithdrawn     Phrase = "refuse.approval_withdrawn"
	RefuseSelfApproval          Phrase = "refuse.self_approval"
	RefuseCancelTooLate         Phrase = "refuse.cancel_too_late"
	RefuseCancelNeedsReason     Phrase = "refuse.cancel_needs_reason"
	RefuseNoDeclarer            Phrase = "refuse.no_declarer"
	RefuseDeclareSeverity       Phrase = "refuse.declare_severity"
	RefuseImpactTooLong         Phrase = "refuse.impact_too_long"
	RefusePostmortemFiled       Phrase = "refuse.postmortem_filed"
	RefuseRemindersEmptyEntry   Phrase = "refuse.reminders_empty_entry"
	RefuseRemindersNotPair      Phrase = "refuse.reminders_not_pair"
	RefuseRemindersSeverity     Phrase = "refuse.reminders_severity"
	RefuseRemindersTwice        Phrase = "refuse.reminders_twice"
	RefuseRemindersDuration     Phrase = "refuse.reminders_duration"
	RefuseRemindersTooOften     Phrase = "refuse.reminders_too_often"
	RefuseReminderNoKey         Phrase = "refuse.reminder_no_key"
	RefuseReminderSent          Phrase = "refuse.reminder_sent"
	RefuseReminderCancelled     Phrase = "refuse.reminder_cancelled"
	RefuseReminderClosed        Phrase = "refuse.reminder_closed"
	RefuseReminderKind          Phrase = "refuse.reminder_kind"
	RefuseSeverityWord          Phrase = "refuse.severity_word"
	RefusePlaybookNoName        Phrase = "refuse.playbook_no_name"
	RefusePlaybookSeverity      Phrase = "refuse.playbook_severity"
	RefusePlaybookLeadChange    Phrase = "refuse.playbook_lead_change"
	RefusePlaybookStepNoID      Phrase = "refuse.playbook_step_no_id"
	RefusePlaybookStepID        Phrase = "refuse.playbook_step_id"
	RefusePlaybookDuplicateStep Phrase = "refuse.playbook_duplicate_step"
	RefusePlaybookStepNoTitle   Phrase = "refuse.playbook_step_no_title"
	RefusePlaybookStepPhase     Phrase = "refuse.playbook_step_phase"
	RefusePlaybookEmptyPhase    Phrase = "refuse.playbook_empty_phase"
	RefuseBadID                 Phrase = "refuse.bad_id"
	RefuseTextEmpty             Phrase = "refuse.text_empty"
	RefuseTextTooLong           Phrase = "refuse.text_too_long"
	RefuseLeadStaleButton       Phrase = "refuse.lead_stale_button"
	RefuseLeadNotAuthorized     Phrase = "refuse.lead_not_authorized"
	RefusePageTarget            Phrase = "refuse.page_target"
	RefusePageTooLong           Phrase = "refuse.page_too_long"
	RefuseAlreadyPaged          Phrase = "refuse.already_paged"
	RefuseAlertsNoLonger        Phrase = "refuse.alerts_no_longer"
	RefuseAlertNoGroup          Phrase = "refuse.alert_no_group"
	RefuseAlertStatus           Phrase = "refuse.alert_status"
	RefuseAlertNoTitle          Phrase = "refuse.alert_no_title"
)

// Replies to commands that succeeded.
const (
	ReplyNoted             Phrase = "reply.noted"
	ReplyUpdatePosted      Phrase = "reply.update_posted"
	ReplySeverityChanged   Phrase = "reply.severity_changed"
	ReplyLeadAssigned      Phrase = "reply.lead_assigned"
	ReplyRoleAssigned      Phrase = "reply.role_assigned"
	ReplyFollowup          Phrase = "reply.followup"
	ReplyMitigated         Phrase = "reply.mitigated"
	ReplyResolved          Phrase = "reply.resolved"
	ReplyReopened          Phrase = "reply.reopened"
	ReplyClosed            Phrase = "reply.closed"
	ReplyPinned            Phrase = "reply.pinned"
	ReplySnoozed           Phrase = "reply.snoozed"
	ReplyStepDone          Phrase = "reply.step_done"
	ReplyStepSkipped       Phrase = "reply.step_skipped"
	ReplyStepAssigned      Phrase = "reply.step_assigned"
	ReplyApprovalRequested Phrase = "reply.approval_requested"
	ReplyApproved          Phrase = "reply.approved"
	ReplyCancelled         Phrase = "reply.cancelled"
	ReplyDeclared          Phrase = "reply.declared"
	ReplyPaging            Phrase = "reply.paging"
)

// Texts the domain records on an event (and its messages) when nobody
// typed one. They are keys, not words: templates.RecordedText words them.
const (
	TextImpliedByResolve = "~implied_by_resolve"
	TextStopStepsDone    = "~stop_the_bleeding_done"
	TextPinnedNone       = "~pinned_no_text"
)

// Key-time corrections and the postmortem review.
const (
	RefuseTimesWhich               Phrase = "refuse.times_which"
	RefuseTimesNoTime              Phrase = "refuse.times_no_time"
	RefuseTimesFuture              Phrase = "refuse.times_future"
	RefuseTimesNotYet              Phrase = "refuse.times_not_yet"
	RefuseTimesSame                Phrase = "refuse.times_same"
	RefuseTimesDetectedEarly       Phrase = "refuse.times_detected_early"
	RefuseTimesMitigatedEarly      Phrase = "refuse.times_mitigated_early"
	RefuseTimesResolvedEarly       Phrase = "refuse.times_resolved_early"
	RefuseTimesResolvedBeforeStart Phrase = "refuse.times_resolved_before_start"
	RefuseReviewedAlready          Phrase = "refuse.reviewed_already"
	ReplyTimeSet                   Phrase = "reply.time_set"
	ReplyTimeCorrected             Phrase = "reply.time_corrected"
)

// Handover.
const (
	RefuseHandoverNeedsMention Phrase = "refuse.handover_needs_mention"
	RefuseHandoverSame         Phrase = "refuse.handover_same"
	ReplyHandedOver            Phrase = "reply.handed_over"
)

// Owner of the postmortem review.
const (
	RefuseReviewOwnerNeedsMention Phrase = "refuse.review_owner_needs_mention"
	RefuseReviewOwnerSame         Phrase = "refuse.review_owner_same"
	RefuseReviewOwnerNotAllowed   Phrase = "refuse.review_owner_not_allowed"
	ReplyReviewOwnerSet           Phrase = "reply.review_owner_set"
)
