package templates_test

import (
	"strings"
	"testing"

	"github.com/firebreak-hq/firebreak/templates"
)

func postmortemDoc(t *testing.T, d templates.PostmortemData) string {
	t.Helper()
	var b strings.Builder
	if err := templates.RenderPostmortem(&b, d); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestRenderPostmortemSections(t *testing.T) {
	full := templates.PostmortemData{
		Marker: "<!-- m -->", ID: "INC-1", Zone: "UTC", Summary: "S.", Impact: "> I",
		Times:            []templates.PostmortemRow{{Label: "Declared", Value: "T0"}},
		FalseResolutions: []string{"FR"},
		ForceReason:      "FORCE",
		SeverityHistory:  []string{"sev2 at declaration"},
		Roles:            []templates.PostmortemRow{{Label: "Lead", Value: "Bob"}},
		Responders:       "Dan", Joined: 3,
		Checklist:     []templates.PostmortemPhase{{Title: "Verify", Steps: []templates.PostmortemStep{{Title: "Check", Outcome: "done", By: "Bob", When: "10:00", Notes: "n"}}}},
		TimelineRows:  "| 10:00 | Bob | Declared |\n",
		TimelineNote:  "NOTE",
		Followups:     []string{"Add alert"},
		Findings:      []templates.PostmortemFinding{{Source: "note by Bob", Quote: "Q", Pattern: "P", Suggestion: "S2"}},
		FindingsNote:  "2 more",
		ChecklistNote: "1 more step",
	}
	cases := []struct {
		name   string
		data   templates.PostmortemData
		want   []string
		reject []string
	}{
		{"full", full, []string{
			"<!-- m -->\n",
			"## Summary\n\nS.\n",
			"### Impact\n\n> I\n",
			"| Declared | T0 |\n",
			"- FR\n",
			"Reason given: FORCE",
			"- sev2 at declaration\n",
			"| Lead | Bob |\n",
			"Other responders: Dan\n3 people joined",
			"### Verify\n\n| Step | Outcome | By | When | Notes |\n|---|---|---|---|---|\n| Check | done | Bob | 10:00 | n |\n",
			"1 more step\n",
			"- [ ] Add alert\n",
			"## Contributing factors\n\n_Describe a chain of events, not a person.",
			"## What went well",
			"## What was hard",
			"NOTE\n\n| Time | Who | What |\n|---|---|---|\n| 10:00 | Bob | Declared |\n",
			"- **P** in note by Bob: “Q”  \n  Consider: S2\n",
			"2 more\n",
		}, []string{"No blame patterns", "_No follow-ups", "_No impact"}},
		{"optional parts empty", templates.PostmortemData{Marker: "<!-- m -->", ID: "INC-2", Zone: "UTC", Summary: "S.", SeverityHistory: []string{"sev3 throughout"}, Joined: 1}, []string{
			"_No impact was recorded.",
			"_No follow-ups were recorded.",
			"No blame patterns were found",
			"1 person joined the incident channel.",
		}, []string{"False resolutions", "Closed with verify steps open", "Other responders"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			doc := postmortemDoc(t, tc.data)
			for _, w := range tc.want {
				if !strings.Contains(doc, w) {
					t.Errorf("output lacks %q\n---\n%s", w, doc)
				}
			}
			for _, r := range tc.reject {
				if strings.Contains(doc, r) {
					t.Errorf("output has %q", r)
				}
			}
			if strings.Contains(doc, "\n\n\n") {
				t.Error("output has runs of blank lines")
			}
			if strings.Contains(doc, "&lt;") || strings.Contains(doc, "&#") {
				t.Error("the template escaped HTML; values are markdown that must pass through as is")
			}
		})
	}
}
