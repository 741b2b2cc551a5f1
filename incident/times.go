package incident

import (
	"slices"
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
	if slices.Contains(KeyTimes, k) {
		return k, nil
	}
	return "", refuse(CodeBadInput, RefuseTimesWhich, clip(s, 20))
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

// Moment is a key time in a refusal or reply; templates shows it with
// its date.
type Moment time.Time

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
		return refuse(CodeBadInput, RefuseTimesNoTime, string(k), string(k))
	}
	at := Stamp(cmd.At)
	if at.After(now) {
		return refuse(CodeBadInput, RefuseTimesFuture, Moment(at))
	}
	old := c.KeyTime(k)
	if (k == KeyMitigated || k == KeyResolved) && old.IsZero() {
		return refuse(CodeBadInput, RefuseTimesNotYet, c.ID(), string(k), string(k), map[KeyTime]string{KeyMitigated: "mitigated", KeyResolved: "resolve"}[k])
	}
	if at.Equal(old) {
		return refuse(CodeNoop, RefuseTimesSame, string(k), c.ID(), Moment(at))
	}
	next := *c
	next.setKeyTime(k, at)
	start := next.ImpactStart()
	switch {
	case !next.DetectedAt.IsZero() && next.DetectedAt.Before(start):
		return refuse(CodeBadInput, RefuseTimesDetectedEarly, Moment(next.DetectedAt), Moment(start))
	case !next.MitigatedAt.IsZero() && next.MitigatedAt.Before(start):
		return refuse(CodeBadInput, RefuseTimesMitigatedEarly, Moment(next.MitigatedAt), Moment(start))
	case !next.ResolvedAt.IsZero() && next.ResolvedAt.Before(next.MitigatedAt):
		return refuse(CodeBadInput, RefuseTimesResolvedEarly, Moment(next.ResolvedAt), Moment(next.MitigatedAt))
	case !next.ResolvedAt.IsZero() && next.ResolvedAt.Before(start):
		return refuse(CodeBadInput, RefuseTimesResolvedBeforeStart, Moment(next.ResolvedAt), Moment(start))
	}
	*c = next
	c.TimeCorrections++
	from := ""
	if !old.IsZero() {
		from = old.Format(time.RFC3339Nano)
	}
	r.Events = append(r.Events, ev(now, cmd.Actor, EvTimeCorrected, "", "which", string(k), "from", from, "to", at.Format(time.RFC3339Nano)))
	r.Effects = append(r.Effects, Effect{Kind: EffUpdateCard})
	if old.IsZero() {
		r.Reply = Reply{ReplyTimeSet, []any{string(k), c.ID(), Moment(at), Moment(c.DeclaredAt)}}
	} else {
		r.Reply = Reply{ReplyTimeCorrected, []any{string(k), c.ID(), Moment(at), Moment(old)}}
	}
	return nil
}
