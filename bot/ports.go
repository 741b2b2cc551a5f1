package bot

import (
	"context"
	"errors"
	"time"

	"github.com/firebreak-hq/firebreak/bot/outbox"
	"github.com/firebreak-hq/firebreak/incident"
)

// Incidents is the transactional storage the bot commits commands to.
// Every method runs fn inside one transaction together with the state,
// timeline events and outbox rows it returns.
//
// Beside each incident it keeps the incident's SlackRecord, which the
// domain knows nothing of.
type Incidents interface {
	// Create declares: it stores the new incident and its Slack record
	// in one transaction.
	Create(slack SlackRecord, fn func(n uint64) (incident.Result, error)) (incident.Result, error)
	// CreateOnce is Create that records key in the same transaction, on
	// every replica's shared storage: dup is true, and nothing is
	// created, when key was recorded before.
	CreateOnce(key string, slack SlackRecord, fn func(n uint64) (incident.Result, error)) (res incident.Result, dup bool, err error)
	Apply(n uint64, fn func(incident.Incident) (incident.Result, error)) (incident.Result, error)
	ApplyOnce(key string, n uint64, fn func(incident.Incident) (incident.Result, error)) (incident.Result, bool, error)
	Get(n uint64) (incident.Incident, error)
	ByChannel(channelID string) (incident.Incident, error)
	// Slack reads incident n's Slack record (zero when none was stored).
	Slack(n uint64) (SlackRecord, error)
	// UpdateSlack changes incident n's Slack record in one write and
	// returns it as stored; fn may be called more than once.
	UpdateSlack(n uint64, fn func(SlackRecord) SlackRecord) (SlackRecord, error)
}

// SlackRecord is the Slack side of an incident: where it was declared
// and how to answer there, and the messages the bot edits later.
type SlackRecord struct {
	// CardTS is the incident card in the incident channel.
	CardTS string
	// OriginChannel is where /incident was typed, for replies before the
	// incident channel exists.
	OriginChannel string
	// ReplyURL answers the declarer privately where they typed the
	// command (Slack's response_url; short-lived).
	ReplyURL string
	// AnnounceTS is the declaration's message in the announce channel.
	AnnounceTS string
	// DeclaredFrom is the key of the button press that declared the
	// incident (CreateOnce), so that another press can name it.
	DeclaredFrom string
}

// The storage failures a person is told about in their own words. The
// Incidents implementation wraps its errors with these (errors.Is); any
// other failure is "not saved, try again", and its cause is only logged.
var (
	ErrStorageReadOnly = errors.New("storage is read-only")
	ErrStorageFull     = errors.New("storage is full")
)

// Reader answers the read-only questions of list, status, timeline and
// the daily digest.
type Reader interface {
	OpenIncidents() ([]incident.Incident, error)
	// RecentClosed returns the closed incidents declared at or after since.
	RecentClosed(since time.Time) ([]incident.Incident, error)
	Events(n uint64) ([]incident.Event, error)
}

// HomeViewers is who has opened App Home, kept in the storage every
// replica shares, so that the replica that performs a change republishes
// the Home of people whose app_home_opened reached another.
type HomeViewers interface {
	// Add records user (again: no change).
	Add(user string) error
	List() ([]string, error)
}

// OutboxItem is one effect waiting to be performed.
type OutboxItem = outbox.Item

// Outbox is the queue of committed effects.
type Outbox = outbox.Queue

// Playbooks lists the checklists an incident can be declared with.
type Playbooks interface {
	Get(name string) (incident.Playbook, bool)
	All() []incident.Playbook
	Names() []string
}

// Postmortems files the postmortem draft of a closed incident. Publish
// must be idempotent: calling it again after any failure never files a
// second copy. Errors may implement RetryAfter() time.Duration
// (transient) or Permanent() bool.
type Postmortems interface {
	Publish(ctx context.Context, inc incident.Incident, events []incident.Event, names map[string]string) (string, error)
	// Review returns the blameless-language findings as Slack text for the
	// lead, or "" when there are none.
	Review(inc incident.Incident, events []incident.Event, names map[string]string) string
}

// Hooks observe the bot for metrics; every field may be nil.
type Hooks struct {
	Ack       func(kind string, d time.Duration)
	SlackCall func(method string, err error)
	Connected func(bool)
}
