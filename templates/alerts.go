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

// alertMessage renders the incident-channel messages about alerts and
// pages; ok is false for other message kinds.
func alertMessage(inc incident.Incident, e incident.Effect) (string, bool, error) {
	f := e.Fields
	var name string
	v := alertView{Source: EscapeMrkdwn(incident.SourceName(f.Source)), Title: clipText(oneLine(e.Text), maxTitleLen)}
	switch e.Msg {
	case incident.MsgAlertSummary:
		v.Count, v.New = f.Count, f.New
		name = "post_alert_summary"
	case incident.MsgAlertResolved:
		name = "post_alert_resolved"
	case incident.MsgPageFailed:
		v.Target, v.Detail = EscapeMrkdwn(f.Target), clipText(oneLine(e.Text), maxReasonLen)
		name = "post_page_failed"
	default:
		return "", false, nil
	}
	s, err := renderSlack(name, v, maxMessage)
	return s, true, err
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

func pageEmoji(s incident.PageState) string {
	switch s {
	case incident.PageSent:
		return ":pager:"
	case incident.PageFailed:
		return ":warning:"
	case incident.PageResolved:
		return ":white_check_mark:"
	}
	return ":hourglass_flowing_sand:"
}

func pageWord(p incident.Page) string {
	switch p.State {
	case incident.PageSent:
		return "paged"
	case incident.PageFailed:
		return "failed"
	case incident.PageResolved:
		return "resolved"
	}
	if p.Attempts > 0 {
		return fmt.Sprintf("retrying (%d failed)", p.Attempts)
	}
	return "sending"
}

// describeAlertEvent is what the timeline says for alert and page events.
func describeAlertEvent(e incident.Event) (string, bool) {
	f := e.Fields
	switch e.Kind {
	case incident.EvAlert:
		if f["status"] == string(incident.AlertResolved) {
			return "reported an alert resolved", true
		}
		return "fired an alert", true
	case incident.EvAlertsResolved:
		return "reported the group resolved", true
	case incident.EvPageRequested:
		return "paged " + EscapeMrkdwn(f["target"]), true
	case incident.EvPageSent:
		return "delivered the page to " + EscapeMrkdwn(f["target"]), true
	case incident.EvPageRetry:
		return "could not deliver the page to " + EscapeMrkdwn(f["target"]) + " (attempt " + EscapeMrkdwn(f["attempt"]) + ")", true
	case incident.EvPageFailed:
		return "gave up paging " + EscapeMrkdwn(f["target"]), true
	case incident.EvPageResolved:
		return "resolved the page to " + EscapeMrkdwn(f["target"]), true
	}
	return "", false
}
