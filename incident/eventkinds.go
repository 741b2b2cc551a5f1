package incident

// EventKinds lists every kind of timeline event, in the order they are
// declared. Presentation keeps one descriptor per kind (templates'
// event vocabulary), and its test checks it against this list.
var EventKinds = []EventKind{
	EvDeclared, EvChannelCreated, EvSeverityChanged, EvMitigated, EvResolved,
	EvReopened, EvClosed, EvLeadAssigned, EvRoleAssigned, EvNote,
	EvStatusUpdate, EvFollowup, EvStepDone, EvStepSkipped, EvStepAssigned,
	EvApprovalRequested, EvApprovalGranted, EvApprovalWithdrawn, EvLeadRefused,
	EvMemberJoined, EvMessagePinned, EvPinnedText, EvReminderSent, EvSnoozed,
	EvPostmortem, EvPostmortemFailed, EvCancelled, EvTimeCorrected, EvReviewed,
	EvAlert, EvAlertsResolved, EvPageRequested, EvPageSent, EvPageRetry,
	EvPageFailed, EvPageResolved, EvFollowupDone, EvFollowupReopened, EvFromMessage, EvHandover,
	EvReviewOwner,
}
