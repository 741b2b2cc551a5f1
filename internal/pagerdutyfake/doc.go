// Package pagerdutyfake is a fake PagerDuty Events API v2 over a real
// HTTP socket, for tests, benchmarks and `firebreak demo`. It keeps the
// alerts it was sent, deduplicates triggers by routing key and dedup_key
// the way PagerDuty does, and injects faults (5xx, 429, a timeout after
// the event was processed) so that a client's retries can be shown to
// page once.
//
// It must not import anything of the project: it stands for PagerDuty.
//
// Reference: https://developer.pagerduty.com/docs/events-api-v2/trigger-events/
package pagerdutyfake
