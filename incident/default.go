package incident

// DefaultPlaybook is the built-in checklist used when no playbook is
// loaded. The playbooks package ships a richer "general" playbook that
// replaces it by name.
func DefaultPlaybook() Playbook {
	return Playbook{
		Name:        "general",
		Title:       "General incident",
		Description: "A checklist for any incident: stop the bleeding, understand, fix forward, verify.",
		Severity:    Sev3,
		Roles:       []string{"comms", "scribe"},
		Steps: []StepDef{
			{ID: "assess-impact", Phase: PhaseStopBleeding, Title: "Assess who and what is affected"},
			{ID: "mitigate", Phase: PhaseStopBleeding, Title: "Stop the bleeding: roll back, fail over, or switch off the feature"},
			{ID: "timeline", Phase: PhaseUnderstand, Title: "Write down what changed and when"},
			{ID: "hypothesis", Phase: PhaseUnderstand, Title: "State a hypothesis and test it with data"},
			{ID: "fix", Phase: PhaseFixForward, Title: "Apply the fix", Approval: true},
			{ID: "guard", Phase: PhaseFixForward, Title: "Add a guard so it cannot recur unnoticed"},
			{ID: "verify-metrics", Phase: PhaseVerify, Title: "Confirm error rates and latency are back to normal"},
			{ID: "verify-users", Phase: PhaseVerify, Title: "Confirm with affected users or support"},
		},
	}
}
