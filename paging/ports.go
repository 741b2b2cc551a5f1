package paging

import (
	"context"

	"github.com/firebreak-hq/firebreak/bot/outbox"
	"github.com/firebreak-hq/firebreak/incident"
)

// Item is one page effect waiting in the lane.
type Item = outbox.Item

// Lane is the outbox of page effects.
type Lane = outbox.Queue

// Incidents reads an incident and commits what a pager answered.
type Incidents interface {
	Get(n uint64) (incident.Incident, error)
	Apply(n uint64, fn func(incident.Incident) (incident.Result, error)) (incident.Result, error)
}

// Page is what a provider is asked to deliver.
type Page struct {
	DedupKey string
	Summary  string
	Message  string
	Severity incident.Severity
	Incident string // INC-n
	URL      string // the incident channel, when known
	LinkText string // the words of the link to URL
}

// Provider is one pager account (a PagerDuty routing key, an Opsgenie
// team). Errors may implement Permanent() bool.
type Provider interface {
	Name() string
	Trigger(ctx context.Context, p Page) error
	Resolve(ctx context.Context, p Page) error
}

var (
	_ Provider = (*PagerDuty)(nil)
	_ Provider = (*Opsgenie)(nil)
)
