package incident

import (
	"errors"
	"fmt"
	"strings"
)

// Code classifies why a command was refused, so the edge can choose how
// to present it without parsing messages.
type Code string

// Refusal codes. Every refusal also names the Phrase that says why, with
// its parameters; templates words it for people.
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
// rules do not allow it. The domain says which refusal it is (Phrase) and
// with what (Args); templates.Refusal words it for people. Error() is a
// diagnostic for logs, not a text for people.
type Error struct {
	Code   Code
	Phrase Phrase
	Args   []any
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("incident: " + string(e.Code) + ": " + string(e.Phrase))
	for _, a := range e.Args {
		fmt.Fprintf(&b, " %q", fmt.Sprint(a))
	}
	return b.String()
}

func refuse(code Code, p Phrase, args ...any) error {
	return &Error{Code: code, Phrase: p, Args: args}
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

// HasPhrase reports whether err is a refusal saying p.
func HasPhrase(err error, p Phrase) bool {
	e, ok := IsRefusal(err)
	return ok && e.Phrase == p
}

// Reply is what a successful command tells the person who issued it:
// the Phrase and its parameters; templates words it.
type Reply struct {
	Phrase Phrase
	Args   []any
}

// Typed parameters whose presentation templates decides.
type (
	// StepName is a step's title (already cut to length) in a refusal
	// or reply.
	StepName string
	// StepNames lists steps' titles.
	StepNames []string
	// Subject names the text a refusal is about (the note, the title…).
	Subject string
	// Mention is a Slack user id a refusal or reply names.
	Mention string
)

// Subjects of checkText refusals.
const (
	SubjectNote         Subject = "note"
	SubjectUpdate       Subject = "update"
	SubjectFollowup     Subject = "followup"
	SubjectReopenReason Subject = "reopen_reason"
	SubjectReason       Subject = "reason"
	SubjectSkipReason   Subject = "skip_reason"
	SubjectWhat         Subject = "what"
	SubjectWhere        Subject = "where"
	SubjectTitle        Subject = "title"
)
