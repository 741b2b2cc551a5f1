// Package schedule drives Firebreak's reminders and the daily digest with
// robfig/cron. It owns only the timing: every few seconds it asks the
// incident domain which reminders are due at that moment (incident.Due)
// and, for each one, marks it sent inside the store's transaction, so the
// reminder's outbox row, its timeline event and the record that it was
// sent commit together. The state inside that transaction is asked again,
// which is why a reminder goes out once even when two checks overlap or
// the process restarts between the due moment and the send.
//
// It must not decide when something is due (that is the domain's rule,
// computed from stored state alone), keep reminder state in memory, talk
// to Slack, or reach storage other than through the small interfaces it
// declares.
package schedule
