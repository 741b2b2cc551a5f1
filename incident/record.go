package incident

import "time"

// RecordPostmortem notes where the postmortem was filed and asks for the
// link to be shared. It is refused when a link is already recorded, so a
// publish job re-run after a crash announces the issue only once.
func RecordPostmortem(inc Incident, url string, findings int, now time.Time) (Result, error) {
	if inc.PostmortemURL != "" {
		return Result{}, refuse(CodeNoop, RefusePostmortemFiled, inc.ID(), inc.PostmortemURL)
	}
	c := inc.Clone()
	now, back := c.eventTime(now)
	c.LastEventAt = now
	c.PostmortemURL = url
	lead := c.Lead
	if lead == "" {
		lead = c.Declarer
	}
	return Result{
		ClockBack: back,
		Incident:  c,
		Events:    []Event{ev(now, "", EvPostmortem, url)},
		Effects: []Effect{
			{Kind: EffUpdateCard},
			eff(EffPost, MsgClosed, url, EffectFields{URL: url}),
			eff(EffAnnounce, MsgClosed, url, EffectFields{URL: url}),
			{Kind: EffDM, Msg: MsgClosed, User: lead, Text: url, Fields: EffectFields{URL: url}},
		},
	}, nil
}

// RecordPostmortemFailure records a permanent publishing failure and tells
// the lead in the channel what to fix.
func RecordPostmortemFailure(inc Incident, reason string, now time.Time) Result {
	c := inc.Clone()
	now, back := c.eventTime(now)
	c.LastEventAt = now
	return Result{
		ClockBack: back,
		Incident:  c,
		Events:    []Event{ev(now, "", EvPostmortemFailed, reason)},
		Effects:   []Effect{eff(EffPost, MsgText, reason, EffectFields{PostmortemFailed: true})},
	}
}
