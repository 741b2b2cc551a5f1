package incident

import (
	"errors"
	"fmt"
)

// Code classifies why a command was refused, so the edge can choose how
// to present it without parsing messages.
type Code string

// Refusal codes. Every refusal also carries a message written for the
// person who issued the command.
const (
	CodeBadInput          Code = "bad_input"
	CodeInvalidTransition Code = "invalid_transition"
	CodeClosed            Code = "closed"
	CodeVerifyOpen        Code = "verify_open"
	CodeUnknownStep       Code = "unknown_step"
	CodeStepFinished      Code = "step_finished"
	CodeNeedsApproval     Code = "needs_approval"
	CodeSelfApproval      Code = "self_approval"
	CodeNoRequest         Code = "no_approval_request"
	CodeAlreadyApproved   Code = "already_approved"
	CodeNotApprovalStep   Code = "not_approval_step"
	CodeWithdrawn         Code = "approval_withdrawn"
	CodeApproverRuns      Code = "approver_runs"
	CodeNotAuthorized     Code = "not_authorized"
	CodeNoop              Code = "noop"
	CodeCancelled         Code = "cancelled"
	CodeCancelTooLate     Code = "cancel_too_late"
)

// Error is a refusal: the command was valid Slack input but the incident's
// rules do not allow it. Msg is safe to show to the user as is (it contains
// no user-supplied text that would need escaping other than what the
// caller escapes at the edge).
type Error struct {
	Code Code
	Msg  string
}

func (e *Error) Error() string { return e.Msg }

func refuse(code Code, format string, args ...any) error {
	return &Error{Code: code, Msg: fmt.Sprintf(format, args...)}
}

// IsRefusal reports whether err is a domain refusal and returns it.
func IsRefusal(err error) (*Error, bool) {
	var e *Error
	if errors.As(err, &e) {
		return e, true
	}
	return nil, false
}

// HasCode reports whether err is a refusal with the given code.
func HasCode(err error, c Code) bool {
	e, ok := IsRefusal(err)
	return ok && e.Code == c
}
