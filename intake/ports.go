package intake

import "github.com/firebreak-hq/firebreak/incident"

// Decision is what intake decided for one alert (see store.AlertDecision).
type Decision struct {
	Result incident.Result
	Create bool
	Global []incident.Effect
}

// Recorder commits alerts. RecordAlert queues one alert's transaction
// and returns at once; Wait on the result before acknowledging. decide
// gets the open incident of group (nil when none) and the number a new
// incident would get; it may run more than once and must be pure.
type Recorder interface {
	RecordAlert(key, group string, decide func(open *incident.Incident, next uint64) (Decision, error)) Pending
}

// Pending is a queued alert write.
type Pending interface {
	// Wait returns the committed result, whether the alert had been
	// recorded before, and any error.
	Wait() (incident.Result, bool, error)
}

// Playbooks finds the playbook a route names.
type Playbooks interface {
	Get(name string) (incident.Playbook, bool)
}
