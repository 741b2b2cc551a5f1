// Package incident is Firebreak's domain: incidents, their severities,
// statuses, checklist phases and steps, the transition table that decides
// which command is allowed in which state, the timeline events a command
// produces and the effects (Slack messages, card updates, postmortem
// publication) that must follow it.
//
// It must stay free of I/O and of every dependency outside the standard
// library: no Slack, bbolt, zap or YAML types cross into it, and it never
// reads the clock — time is always an argument. That keeps every rule
// testable as a pure function and lets the store commit a command's state,
// events and effects in one transaction.
package incident
