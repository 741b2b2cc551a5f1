package templates

import (
	"time"

	"github.com/firebreak-hq/firebreak/incident"
)

// The brief (catch-up and handover) and what people outside a private
// incident are shown of it.

// privateAnnouncement is the announce channel's line for a private
// incident: its number, severity and what happened (what), without its title.
func privateAnnouncement(inc incident.Incident, what string) (string, error) {
	v := struct{ ID, Sev, What string }{inc.ID(), sevLabel(inc.Severity), what}
	return renderSlack("announce_private", v, maxMessage)
}

// hiddenRow is a private incident in a list for someone who is not a
// member of its channel: it is there, and nothing else about it.
func hiddenRow(inc incident.Incident) string {
	return mustSlack("hidden_row", struct{ ID, Sev, SevEmoji string }{inc.ID(), sevLabel(inc.Severity), sevEmoji(inc.Severity)}, 600)
}

// briefView is the brief as the template lays it out; all safe mrkdwn.
type briefView struct {
	Inc        incView
	Roles      []string
	LastUpdate string
	UpdateBy   string
	UpdateAgo  string
	Quote      string
	Open       []briefPhase
	Recent     []string
	Omitted    int
}

type briefPhase struct {
	Title string
	Steps []string
}

// maxBriefSteps bounds the open steps a brief lists.
const maxBriefSteps = 12

func briefViewOf(b incident.Brief, now time.Time, loc *time.Location) briefView {
	inc := b.Incident
	v := briefView{Inc: viewOf(inc, loc, now)}
	v.Inc.Age = "open " + human(b.Age)
	if inc.Status == incident.StatusClosed && !inc.ClosedAt.IsZero() {
		v.Inc.Age = "lasted " + human(inc.ClosedAt.Sub(inc.DeclaredAt))
	}
	v.Roles = roleLines(inc)
	if u := b.LastUpdate; u != nil {
		v.UpdateBy, v.UpdateAgo = mention(u.Actor), human(now.Sub(u.At))+" ago"
		v.Quote = quote(Clip(u.Text, 1500))
	}
	shown := 0
	for _, ph := range b.Open {
		p := briefPhase{Title: PhaseTitle(ph.Phase)}
		for _, st := range ph.Steps {
			if shown == maxBriefSteps {
				v.Omitted++
				continue
			}
			shown++
			p.Steps = append(p.Steps, StepLine(st))
		}
		if len(p.Steps) > 0 {
			v.Open = append(v.Open, p)
		}
	}
	for _, e := range b.Recent {
		v.Recent = append(v.Recent, "`"+when(e.At, loc)+"` "+describeEvent(inc, e, loc))
	}
	return v
}

// Brief is the ephemeral someone gets on joining an incident channel, and
// the answer to `/incident catchup`.
func Brief(b incident.Brief, now time.Time, loc *time.Location) string {
	return mustSlack("brief", briefViewOf(b, now, loc), maxMessage)
}

// HandoverDM is the direct message the incoming lead gets: who handed
// over, their note, and the brief.
func HandoverDM(b incident.Brief, by, note string, now time.Time, loc *time.Location) string {
	v := struct {
		Brief      briefView
		By, Note   string
		HasChannel bool
	}{Brief: briefViewOf(b, now, loc), By: mention(by)}
	v.HasChannel = b.Incident.Channel != ""
	if note != "" {
		v.Note = quote(note)
	}
	return mustSlack("handover_dm", v, maxMessage)
}

func init() {
	vocabulary[incident.EvHandover] = eventWords{
		slack: func(x slackEvent) (string, string) {
			return "handed the lead over to " + mention(x.f["to"]), x.text
		},
		postmortem: func(x PostmortemEvent) string {
			return x.with(was("Handover: lead to "+x.Name(x.f("to")), x.name("from")))
		},
		people:  []string{"from", "to"},
		written: "handover note",
		counted: "handovers",
	}
}

// PrivateOption and PrivateOptionHint word the declare modal's Private box.
func PrivateOption() string { return "Private incident" }

// PrivateOptionHint says what the Private box does.
func PrivateOptionHint() string { return "Private channel; only its members see the title" }

// PageSummary is what a pager (PagerDuty, Opsgenie) is told an incident is
// about: its title, or for a private incident only that it is private, since
// a page travels beyond the channel's members.
func PageSummary(inc incident.Incident) string {
	if inc.Private {
		return "Private incident (" + sevLabel(inc.Severity) + "): details in its Slack channel"
	}
	return inc.Title
}
