package incident

import (
	"testing"
	"time"
)

func TestFollowupIssuesRecorded(t *testing.T) {
	t0 := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	inc := Incident{Number: 4, Status: StatusClosed, DeclaredAt: t0, ClosedAt: t0.Add(time.Hour), LastEventAt: t0.Add(time.Hour),
		Followups: []Followup{{N: 1, Text: "canary"}, {N: 2, Text: "alert"}, {N: 3, Text: "runbook"}}}
	if open, overdue := inc.FollowupsOpen(t0.Add(2 * time.Hour)); open != 3 || overdue != 0 {
		t.Fatalf("fresh: %d open, %d overdue", open, overdue)
	}

	// The first poll learns the issues; #2 is already closed.
	now := t0.Add(3 * time.Hour)
	closedAt := t0.Add(150 * time.Minute)
	found := []FollowupIssue{
		{N: 1, URL: "https://github.test/acme/ops/issues/8"},
		{N: 2, URL: "https://github.test/acme/ops/issues/9", Closed: true, ClosedAt: closedAt},
		{N: 3, URL: "https://github.test/acme/ops/issues/10"},
		{N: 7, URL: "https://github.test/acme/ops/issues/11", Closed: true}, // no such follow-up
	}
	res, changed := RecordFollowupIssues(inc, found, now)
	if !changed || len(res.Events) != 1 || res.Events[0].Kind != EvFollowupDone || res.Events[0].Fields["n"] != "2" ||
		res.Events[0].Fields["url"] != found[1].URL || !res.Events[0].At.Equal(now) {
		t.Fatalf("first poll: changed %v, events %+v", changed, res.Events)
	}
	got := res.Incident
	if got.Followups[0].IssueURL != found[0].URL || got.Followups[0].Done() || !got.Followups[1].ClosedAt.Equal(closedAt) {
		t.Fatalf("follow-ups after the first poll: %+v", got.Followups)
	}
	if inc.Followups[1].Done() || inc.Followups[0].IssueURL != "" {
		t.Fatal("the input incident was changed")
	}

	// The same answer again changes nothing.
	if _, changed := RecordFollowupIssues(got, found, now.Add(time.Minute)); changed {
		t.Fatal("an unchanged poll reported a change")
	}

	// Past FollowupDueAfter the open ones are overdue.
	if open, overdue := got.FollowupsOpen(got.ClosedAt.Add(FollowupDueAfter)); open != 2 || overdue != 2 {
		t.Fatalf("a month later: %d open, %d overdue", open, overdue)
	}

	// #2 reopened, #3 closed (the tracker gives no time: the poll's).
	later := now.Add(time.Hour)
	found[1].Closed, found[2].Closed = false, true
	res, changed = RecordFollowupIssues(got, found, later)
	if !changed || len(res.Events) != 2 || res.Events[0].Kind != EvFollowupReopened || res.Events[1].Kind != EvFollowupDone {
		t.Fatalf("second change: %v %+v", changed, res.Events)
	}
	if f := res.Incident.Followups; f[1].Done() || !f[2].ClosedAt.Equal(later) {
		t.Fatalf("follow-ups after the second change: %+v", f)
	}
	if open, _ := res.Incident.FollowupsOpen(later); open != 2 {
		t.Fatalf("%d open, want 2", open)
	}
}
