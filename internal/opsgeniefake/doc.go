// Package opsgeniefake is a fake Opsgenie Alert API over a real HTTP
// socket, for tests, benchmarks and `firebreak demo`. It keeps alerts,
// deduplicates creates by alias while an alert is open (count goes up,
// no second alert), closes by alias, checks the GenieKey, and injects
// faults (5xx, 429, a timeout after the alert was created).
//
// It must not import anything of the project: it stands for Opsgenie.
//
// Reference: https://docs.opsgenie.com/docs/alert-api
package opsgeniefake
