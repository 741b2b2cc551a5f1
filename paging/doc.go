// Package paging wakes people: it performs the page effects the domain
// commits (trigger on declaration or `/incident page`, resolve with the
// incident) against PagerDuty's Events API v2 and Opsgenie's Alert API.
//
// It owns its outbox lane, drained by the generic runner of bot/outbox
// (the one that drains the Slack effects) with the pagers behind its
// Port: rows are removed only after the pager accepted them or refused
// them for good, and every page carries the incident's
// dedup key (PagerDuty dedup_key, Opsgenie alias `firebreak-INC-<n>`), so
// resending after a crash, a timeout or a 5xx reaches the pager as the
// same alert: a page is sent once whatever restarts. Each attempt and its
// outcome is recorded on the incident's timeline.
//
// It must not talk to Slack or know about storage beyond the small ports
// in ports.go; each pager is a Provider.
package paging
