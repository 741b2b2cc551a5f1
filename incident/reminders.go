package incident

import (
	"sort"
	"strings"
	"time"
)

// ReminderKind names one of the reminders the scheduler sends.
type ReminderKind string

// Reminder kinds. The kind is the first part of a reminder's key.
const (
	// ReminderUpdate nudges the lead when no status update was posted
	// for the severity's interval.
	ReminderUpdate ReminderKind = "update"
	// ReminderLead asks for a lead when nobody took the role.
	ReminderLead ReminderKind = "lead"
	// ReminderStaleStep reminds the assignee of a step left open.
	ReminderStaleStep ReminderKind = "stale_step"
	// ReminderVerify asks the lead, a while after resolve, to confirm
	// the system is still healthy before closing.
	ReminderVerify ReminderKind = "verify"
	// ReminderFollowup reminds the lead, by DM, of open follow-ups some
	// business days after close.
	ReminderFollowup ReminderKind = "followup"
)

// ReminderKinds lists every reminder kind.
var ReminderKinds = []ReminderKind{ReminderUpdate, ReminderLead, ReminderStaleStep, ReminderVerify, ReminderFollowup}

// ReminderConfig says when each reminder falls due. A zero duration or
// count switches that reminder off.
type ReminderConfig struct {
	// UpdateEvery is how long an active or mitigated incident may go
	// without a status update; a severity missing here is never nudged.
	UpdateEvery map[Severity]time.Duration
	// LeadAfter is how long after declaration an incident may lack a lead.
	LeadAfter time.Duration
	// StaleAfter is how long an assigned step may stay open.
	StaleAfter time.Duration
	// VerifyWindow is used when the incident carries no window of its own
	// (its playbook's).
	VerifyWindow time.Duration
	// FollowupBusinessDays is how many business days after close the
	// follow-up DM is sent.
	FollowupBusinessDays int
	// Location is where business days are counted; nil means UTC.
	Location *time.Location
}

// DefaultUpdateEvery is the status-update interval per severity.
func DefaultUpdateEvery() map[Severity]time.Duration {
	return map[Severity]time.Duration{
		Sev1: 15 * time.Minute,
		Sev2: 30 * time.Minute,
		Sev3: time.Hour,
		Sev4: 2 * time.Hour,
	}
}

// DefaultReminderConfig is the documented default of every reminder.
func DefaultReminderConfig() ReminderConfig {
	return ReminderConfig{
		UpdateEvery:          DefaultUpdateEvery(),
		LeadAfter:            5 * time.Minute,
		StaleAfter:           30 * time.Minute,
		VerifyWindow:         30 * time.Minute,
		FollowupBusinessDays: 5,
		Location:             time.UTC,
	}
}

// SnoozeFor is how long the nudge's snooze button postpones it.
const SnoozeFor = 15 * time.Minute

// MinUpdateEvery is the shortest status-update interval accepted: the
// scheduler checks every few seconds, so anything shorter would nag on
// every check.
const MinUpdateEvery = time.Minute

// ParseUpdateReminders reads "sev1=15m,sev2=30m,sev3=1h,sev4=2h".
// Severities not named keep their default; an empty string means all
// defaults. The error names the part that could not be read.
func ParseUpdateReminders(s string) (map[Severity]time.Duration, error) {
	out := DefaultUpdateEvery()
	if strings.TrimSpace(s) == "" {
		return out, nil
	}
	seen := map[Severity]bool{}
	for _, part := range strings.Split(s, ",") {
		p := strings.TrimSpace(part)
		if p == "" {
			return nil, refuse(CodeBadInput, RefuseRemindersEmptyEntry, clip(s, 80))
		}
		k, v, ok := strings.Cut(p, "=")
		if !ok {
			return nil, refuse(CodeBadInput, RefuseRemindersNotPair, clip(p, 40))
		}
		sev, err := ParseSeverity(k)
		if err != nil {
			return nil, refuse(CodeBadInput, RefuseRemindersSeverity, clip(p, 40))
		}
		if seen[sev] {
			return nil, refuse(CodeBadInput, RefuseRemindersTwice, clip(p, 40), sev)
		}
		seen[sev] = true
		d, err := time.ParseDuration(strings.TrimSpace(v))
		if err != nil {
			return nil, refuse(CodeBadInput, RefuseRemindersDuration, clip(p, 40), clip(strings.TrimSpace(v), 20))
		}
		if d < MinUpdateEvery {
			return nil, refuse(CodeBadInput, RefuseRemindersTooOften, clip(p, 40), MinUpdateEvery)
		}
		out[sev] = d
	}
	return out, nil
}

// Reminder is one reminder that is due.
type Reminder struct {
	Kind ReminderKind
	// Key identifies this reminder for this due moment (kind, due time
	// and, for a step, its id). It is stable: asking again later yields
	// the same key until the reminder is sent, so it is what makes a
	// reminder go out once across restarts and overlapping checks.
	Key string
	Due time.Time
	// User is who is mentioned (or sent the DM); empty when nobody is.
	User   string
	StepID string
}

func reminderKey(kind ReminderKind, due time.Time, step string) string {
	k := string(kind) + ":" + Stamp(due).UTC().Format(keyTime)
	if step != "" {
		k += ":" + step
	}
	return k
}

// keyTime is always UTC with a literal Z and a fixed width, so a key can
// be split again and keys of one kind sort by due moment.
const keyTime = "2006-01-02T15:04:05.000Z"

// parseKey splits a reminder key into kind, due moment and step id.
func parseKey(key string) (ReminderKind, time.Time, string, bool) {
	kind, rest, ok := strings.Cut(key, ":")
	if !ok || len(rest) < len(keyTime) {
		return "", time.Time{}, "", false
	}
	due, err := time.Parse(keyTime, rest[:len(keyTime)])
	if err != nil {
		return "", time.Time{}, "", false
	}
	step := strings.TrimPrefix(rest[len(keyTime):], ":")
	return ReminderKind(kind), due, step, true
}

// owner is who answers for the incident: the lead, else the declarer.
func (i Incident) owner() string {
	if i.Lead != "" {
		return i.Lead
	}
	return i.Declarer
}

// Due lists the reminders of inc that are due at or before now and not
// yet sent, earliest first. It reads only the stored state, so asking
// after a restart gives the same answer as asking before it.
func Due(inc Incident, now time.Time, cfg ReminderConfig) []Reminder {
	var out []Reminder
	add := func(kind ReminderKind, due time.Time, user, step string) {
		if due.IsZero() || due.After(now) {
			return
		}
		key := reminderKey(kind, due, step)
		if _, sent := inc.Reminders.Sent[key]; sent {
			return
		}
		out = append(out, Reminder{Kind: kind, Key: key, Due: Stamp(due), User: user, StepID: step})
	}

	if inc.Status == StatusCancelled {
		return nil // declared by mistake: nobody is reminded of anything
	}
	if inc.Status == StatusClosed {
		if n := cfg.FollowupBusinessDays; n > 0 && inc.followupsLeft() > 0 && !inc.ClosedAt.IsZero() {
			add(ReminderFollowup, AddBusinessDays(inc.ClosedAt, n, cfg.Location).UTC(), inc.owner(), "")
		}
		reviewReminders(inc, cfg.Location, add)
		return out
	}

	if due, ok := nextUpdateDue(inc, cfg); ok {
		add(ReminderUpdate, due, inc.owner(), "")
	}
	if inc.Lead == "" && cfg.LeadAfter > 0 {
		add(ReminderLead, inc.DeclaredAt.Add(cfg.LeadAfter), inc.Declarer, "")
	}
	if cfg.StaleAfter > 0 {
		for _, s := range inc.Steps {
			if s.Assignee != "" && !s.Finished() && !s.AssignedAt.IsZero() {
				add(ReminderStaleStep, s.AssignedAt.Add(cfg.StaleAfter), s.Assignee, s.ID)
			}
		}
	}
	if inc.Status == StatusResolved && !inc.ResolvedAt.IsZero() {
		w := inc.VerifyWindow
		if w <= 0 {
			w = cfg.VerifyWindow
		}
		if w > 0 {
			add(ReminderVerify, inc.ResolvedAt.Add(w), inc.owner(), "")
		}
	}
	sort.Slice(out, func(a, b int) bool {
		if !out[a].Due.Equal(out[b].Due) {
			return out[a].Due.Before(out[b].Due)
		}
		return out[a].Key < out[b].Key
	})
	return out
}

// nextUpdateDue is the status-update nudge's next due moment. The cycle
// starts at the last update (or the declaration) and may be pushed back
// by a snooze; its first nudge is one interval later, and each further
// nudge one interval after the previous one was sent. A bot that was down
// for hours therefore sends one nudge when it returns, not a backlog.
func nextUpdateDue(inc Incident, cfg ReminderConfig) (time.Time, bool) {
	if inc.Status != StatusActive && inc.Status != StatusMitigated {
		return time.Time{}, false
	}
	every := cfg.UpdateEvery[inc.Severity]
	if every <= 0 {
		return time.Time{}, false
	}
	base := inc.DeclaredAt
	if inc.LastUpdateAt.After(base) {
		base = inc.LastUpdateAt
	}
	start := base.Add(every)
	if inc.Reminders.SnoozedUntil.After(start) {
		start = inc.Reminders.SnoozedUntil
	}
	var last time.Time
	for k, at := range inc.Reminders.Sent {
		kind, due, _, ok := parseKey(k)
		if ok && kind == ReminderUpdate && !due.Before(start) && at.After(last) {
			last = at
		}
	}
	if last.IsZero() {
		return start, true
	}
	return last.Add(every), true
}

// MarkReminded records that r was sent: its key joins inc.Reminders.Sent,
// the timeline gets a reminder_sent event, and the effect that delivers
// it is returned, so the store commits all three in one transaction. It
// refuses a key already sent, which is what stops a second concurrent
// check from sending it again.
func MarkReminded(inc Incident, r Reminder, now time.Time) (Result, error) {
	if r.Key == "" {
		return Result{}, refuse(CodeBadInput, RefuseReminderNoKey)
	}
	if _, sent := inc.Reminders.Sent[r.Key]; sent {
		return Result{}, refuse(CodeNoop, RefuseReminderSent, r.Key, inc.ID())
	}
	if inc.Status == StatusCancelled {
		return Result{}, refuse(CodeCancelled, RefuseReminderCancelled, inc.ID(), r.Kind)
	}
	if inc.Status == StatusClosed && r.Kind != ReminderFollowup && !isReviewReminder(r.Kind) {
		return Result{}, refuse(CodeClosed, RefuseReminderClosed, inc.ID(), r.Kind)
	}
	c := inc.Clone()
	now, back := c.eventTime(now)
	c.LastEventAt = now
	if c.Reminders.Sent == nil {
		c.Reminders.Sent = map[string]time.Time{}
	}
	c.Reminders.Sent[r.Key] = now
	pruneSent(&c)

	due := Stamp(r.Due).Format(time.RFC3339)
	e := ev(now, "", EvReminderSent, "", "reminder", string(r.Kind), "key", r.Key, "due", due)
	if r.User != "" {
		e.Fields["user"] = r.User
	}
	if r.StepID != "" {
		e.Fields["step"] = r.StepID
	}
	var out Effect
	switch r.Kind {
	case ReminderFollowup, ReminderReviewSoon, ReminderReviewOverdue:
		out = eff(EffDM, MsgReminder, "", EffectFields{Reminder: r.Kind, Due: DueAt(r.Due), Followups: c.followupsLeft()})
		out.User = r.User
		if out.User == "" {
			out.User = c.owner()
		}
	case ReminderUpdate, ReminderLead, ReminderStaleStep, ReminderVerify:
		out = eff(EffPost, MsgReminder, "", EffectFields{Reminder: r.Kind, Due: DueAt(r.Due), User: r.User, Step: r.StepID})
	default:
		return Result{}, refuse(CodeBadInput, RefuseReminderKind, r.Kind)
	}
	return Result{Incident: c, Events: []Event{e}, Effects: []Effect{out}, ClockBack: back}, nil
}

// pruneSent forgets keys that Due can never produce again, so the record
// stays small however long an incident runs. Only the latest update
// nudge matters (the next one is timed from it), and a stale-step key
// dies with its assignment.
func pruneSent(c *Incident) {
	var lastKey string
	var lastAt time.Time
	for k, at := range c.Reminders.Sent {
		kind, due, step, ok := parseKey(k)
		if !ok {
			continue
		}
		switch kind {
		case ReminderUpdate:
			if lastKey == "" || at.After(lastAt) || at.Equal(lastAt) && k > lastKey {
				if lastKey != "" {
					delete(c.Reminders.Sent, lastKey)
				}
				lastKey, lastAt = k, at
			} else {
				delete(c.Reminders.Sent, k)
			}
		case ReminderStaleStep:
			s, _, found := c.Step(step)
			if !found || s.Finished() || !due.After(s.AssignedAt) {
				delete(c.Reminders.Sent, k)
			}
		}
	}
}
