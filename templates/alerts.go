package templates

import (
	"fmt"

	"github.com/firebreak-hq/firebreak/incident"
)

type alertView struct {
	Source, Title, Link string
	More, New, Count    int
	Target, Detail      string
}

// AlertNotice is the message a notify route posts for a delivery of
// total alerts whose first is a.
func AlertNotice(a incident.Alert, total int) string {
	v := alertView{Source: EscapeMrkdwn(incident.SourceName(a.Source)), Title: clipText(oneLine(a.Title), maxTitleLen), More: total - 1}
	if a.URL != "" {
		v.Link = link(a.URL, "source")
	}
	return mustSlack("alert_notice", v, maxSection)
}

type cardAlertsView struct {
	Alerts   int
	Source   string
	Resolved bool
	Pages    []string
}

// CardAlerts is the card's line about the alerts of the incident's group
// and its pages, "" when it has neither.
func CardAlerts(inc incident.Incident) string {
	v := cardAlertsView{}
	if a := inc.Alerts; a != nil {
		v.Alerts, v.Source, v.Resolved = a.Count, EscapeMrkdwn(incident.SourceName(a.Source)), a.ResolvedPosted
	}
	for _, p := range inc.Pages {
		v.Pages = append(v.Pages, fmt.Sprintf("%s %s %s", pageEmoji(p.State), EscapeMrkdwn(p.Target), pageWord(p)))
	}
	if v.Alerts == 0 && len(v.Pages) == 0 {
		return ""
	}
	return mustSlack("card_alerts", v, maxSection)
}

// Alert events in the event vocabulary: the Slack timeline and
// the postmortem. A storm's alerts are the first thing a long postmortem
// timeline leaves out.
func init() {
	vocabulary[incident.EvAlert] = eventWords{
		slack: func(x slackEvent) (string, string) {
			if x.f["status"] == string(incident.AlertResolved) {
				return "reported an alert resolved", x.text
			}
			return "fired an alert", x.text
		},
		postmortem: func(x PostmortemEvent) string {
			if x.f("status") == string(incident.AlertResolved) {
				return x.with("Alert resolved")
			}
			return x.with("Alert")
		},
		noise: "alerts", counted: "alerts",
	}
	vocabulary[incident.EvAlertsResolved] = eventWords{slack: said("reported the group resolved"), postmortem: with("Monitoring reported the alerts resolved")}
}
