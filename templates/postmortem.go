package templates

import (
	_ "embed"
	"fmt"
	"io"
	"text/template"
)

// The postmortem is markdown for GitHub, so it is laid out with
// text/template: html/template would entity-escape the markdown itself.
// Escaping user text is therefore the caller's job, done once, before the
// values reach PostmortemData (see the field comments).
//
//go:embed postmortem.md.tmpl
var postmortemSource string

var postmortemTmpl = template.Must(template.New("postmortem.md.tmpl").Parse(postmortemSource))

// PostmortemData is everything the postmortem template lays out. Every
// string is already safe markdown for the place it goes: user-written text
// has been converted from Slack markup, escaped and had its @-mentions
// neutralised, and table-cell values hold no newlines. Marker is the one
// raw line (an HTML comment) and is written as is.
type PostmortemData struct {
	Marker   string
	ID       string
	Title    string
	Severity string
	Status   string
	Playbook string
	Zone     string

	// Summary is a paragraph; Impact is a blockquote or empty.
	Summary    string
	Impact     string
	LastUpdate string

	Times            []PostmortemRow
	FalseResolutions []string
	ForceReason      string
	SeverityHistory  []string

	Roles      []PostmortemRow
	Responders string
	Joined     int

	Checklist     []PostmortemPhase
	ChecklistNote string

	// TimelineRows is the table body, one "| … | … | … |" line per event,
	// pre-joined because it can hold thousands of rows.
	TimelineRows string
	TimelineNote string

	Followups     []string
	FollowupsNote string

	Findings     []PostmortemFinding
	FindingsNote string
}

// PostmortemRow is a label and a value in a two-column table.
type PostmortemRow struct {
	Label string
	Value string
}

// PostmortemPhase is one checklist phase and its steps.
type PostmortemPhase struct {
	Title string
	Steps []PostmortemStep
}

// PostmortemStep is one checklist step as it ended.
type PostmortemStep struct {
	Title   string
	Outcome string
	By      string
	When    string
	Notes   string
}

// PostmortemFinding is one blameless-language suggestion.
type PostmortemFinding struct {
	Source     string
	Quote      string
	Pattern    string
	Suggestion string
}

// RenderPostmortem writes the postmortem issue body.
func RenderPostmortem(w io.Writer, d PostmortemData) error {
	if err := postmortemTmpl.Execute(w, d); err != nil {
		return fmt.Errorf("render postmortem %s: %w", d.ID, err)
	}
	return nil
}
