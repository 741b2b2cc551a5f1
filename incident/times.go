package incident

import (
	"strings"
	"time"
)

// KeyTime names a key time of an incident that `/incident times` corrects.
type KeyTime string

// The key times people correct after the fact, so that the postmortem
// and the metrics tell the truth.
const (
	KeyDetected  KeyTime = "detected"
	KeyStarted   KeyTime = "started"
	KeyMitigated KeyTime = "mitigated"
	KeyResolved  KeyTime = "resolved"
)

// KeyTimes lists the correctable key times in the order they happen.
var KeyTimes = []KeyTime{KeyStarted, KeyDetected, KeyMitigated, KeyResolved}

// ParseKeyTime accepts detected, started, mitigated and resolved.
func ParseKeyTime(s string) (KeyTime, error) {
	k := KeyTime(strings.ToLower(strings.TrimSpace(s)))
	for _, v := range KeyTimes {
		if k == v {
			return k, nil
		}
	}
	return "", refuse(CodeBadInput, "say which time to correct: `detected`, `started`, `mitigated` or `resolved`, not %q. For example `/incident times started 14:05`.", clip(s, 20))
}

// KeyTime returns the key time's current value (zero when not set).
func (i Incident) KeyTime(k KeyTime) time.Time {
	switch k {
	case KeyDetected:
		return i.DetectedAt
	case KeyStarted:
		return i.StartedAt
	case KeyMitigated:
		return i.MitigatedAt
	case KeyResolved:
		return i.ResolvedAt
	}
	return time.Time{}
}

func (i *Incident) setKeyTime(k KeyTime, t time.Time) {
	switch k {
	case KeyDetected:
		i.DetectedAt = t
	case KeyStarted:
		i.StartedAt = t
	case KeyMitigated:
		i.MitigatedAt = t
	case KeyResolved:
		i.ResolvedAt = t
	}
}

const keyTimeLayout = "2006-01-02 15:04 UTC"

// applyTimes corrects one key time (cmd.Role names it, cmd.At is the new
// value). The timeline keeps who corrected it, when, and the old and new
// values; the order started ≤ detected, started ≤ mitigated ≤ resolved
// must hold afterwards, and nothing may be in the future.
func applyTimes(c *Incident, r *Result, cmd Command, now time.Time) error {
	k, err := ParseKeyTime(cmd.Role)
	if err != nil {
		return err
	}
	if cmd.At.IsZero() {
		return refuse(CodeBadInput, "give the corrected time: `/incident times %s 2026-03-14 09:30` or `/incident times %s 09:30`.", k, k)
	}
	at := Stamp(cmd.At)
	if at.After(now) {
		return refuse(CodeBadInput, "%s is in the future; a key time can only be corrected to a moment that has passed.", at.Format(keyTimeLayout))
	}
	old := c.KeyTime(k)
	if (k == KeyMitigated || k == KeyResolved) && old.IsZero() {
		return refuse(CodeBadInput, "%s is not %s yet, so there is no %s time to correct; use `/incident %s` when it is.", c.ID(), k, k, map[KeyTime]string{KeyMitigated: "mitigated", KeyResolved: "resolve"}[k])
	}
	if at.Equal(old) {
		return refuse(CodeNoop, "the %s time of %s is already %s.", k, c.ID(), at.Format(keyTimeLayout))
	}
	next := *c
	next.setKeyTime(k, at)
	start := next.ImpactStart()
	switch {
	case !next.DetectedAt.IsZero() && next.DetectedAt.Before(start):
		return refuse(CodeBadInput, "the impact cannot be detected (%s) before it started (%s).", next.DetectedAt.Format(keyTimeLayout), start.Format(keyTimeLayout))
	case !next.MitigatedAt.IsZero() && next.MitigatedAt.Before(start):
		return refuse(CodeBadInput, "the incident cannot be mitigated (%s) before the impact started (%s).", next.MitigatedAt.Format(keyTimeLayout), start.Format(keyTimeLayout))
	case !next.ResolvedAt.IsZero() && next.ResolvedAt.Before(next.MitigatedAt):
		return refuse(CodeBadInput, "the incident cannot be resolved (%s) before it was mitigated (%s).", next.ResolvedAt.Format(keyTimeLayout), next.MitigatedAt.Format(keyTimeLayout))
	case !next.ResolvedAt.IsZero() && next.ResolvedAt.Before(start):
		return refuse(CodeBadInput, "the incident cannot be resolved (%s) before the impact started (%s).", next.ResolvedAt.Format(keyTimeLayout), start.Format(keyTimeLayout))
	}
	*c = next
	c.TimeCorrections++
	from := ""
	if !old.IsZero() {
		from = old.Format(time.RFC3339Nano)
	}
	r.Events = append(r.Events, ev(now, cmd.Actor, EvTimeCorrected, "", "which", string(k), "from", from, "to", at.Format(time.RFC3339Nano)))
	r.Effects = append(r.Effects, Effect{Kind: EffUpdateCard})
	was := "not set (the declaration, " + c.DeclaredAt.Format(keyTimeLayout) + ", stood for it)"
	if !old.IsZero() {
		was = old.Format(keyTimeLayout)
	}
	r.Reply = "The " + string(k) + " time of " + c.ID() + " is now " + at.Format(keyTimeLayout) + "; it was " + was + ". The correction is on the timeline."
	return nil
}
