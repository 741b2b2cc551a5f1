package templates

import (
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/firebreak-hq/firebreak/incident"
)

// App Home: what Firebreak shows one person in its Home tab, and the
// words of declaring an incident from a message.

// HomeData is what App Home shows one viewer. Incidents are the open
// incidents the viewer may see; the bot has already left out the ones
// they may not.
type HomeData struct {
	Viewer    string
	Incidents []incident.Incident
}

// HomeSection is one section of the Home view: its block id and mrkdwn.
type HomeSection struct {
	ID, Text string
}

// HomeTitle heads the Home view.
const HomeTitle = "Firebreak"

// HomeDeclareButton labels the Home view's button that opens the declare form.
const HomeDeclareButton = "Declare incident"

// Home lays out the Home view: the viewer's incidents (lead, role or a
// step of theirs) first, then the other open incidents, the steps
// assigned to them and the approval requests waiting for them. Each
// section stays within Slack's 3,000 characters.
func Home(d HomeData) []HomeSection {
	var mine, others []incident.Incident
	for _, inc := range d.Incidents {
		if !inc.Status.Open() {
			continue
		}
		if inc.Involves(d.Viewer) {
			mine = append(mine, inc)
		} else {
			others = append(others, inc)
		}
	}
	incident.ByUrgency(mine)
	incident.ByUrgency(others)
	// Lines are rendered lazily: a section shows at most maxListRows, so
	// the rest are only counted.
	var steps, approvals []func() string
	for _, inc := range append(append([]incident.Incident(nil), mine...), others...) {
		for _, st := range inc.AssignedTo(d.Viewer) {
			steps = append(steps, func() string { return mustSlack("home_step", homeStepView(inc, st), 600) })
		}
		for _, st := range inc.AwaitingApproval(d.Viewer) {
			approvals = append(approvals, func() string {
				v := homeStepView(inc, st)
				v.What = approvalWhat(st.Signoff.What, st.Signoff.Where)
				v.By = mention(st.Signoff.RequestedBy)
				return mustSlack("home_approval", v, 900)
			})
		}
	}
	rows := func(incs []incident.Incident) []func() string {
		out := make([]func() string, len(incs))
		for i, inc := range incs {
			out[i] = func() string {
				v := homeRowView{incView: viewOf(inc, nil, time.Time{}), Part: part(inc, d.Viewer)}
				v.Title = clipText(oneLine(inc.Title), 80)
				return mustSlack("home_row", v, 800)
			}
		}
		return out
	}
	section := func(id, name string, lines []func() string, mineCount int) HomeSection {
		v := homeListView{Mine: mineCount}
		v.Rows, v.More = fit(lines)
		return HomeSection{ID: id, Text: mustSlack(name, v, maxSection)}
	}
	return []HomeSection{
		section("home:mine", "home_mine", rows(mine), len(mine)),
		section("home:others", "home_others", rows(others), len(mine)),
		section("home:steps", "home_steps", steps, 0),
		section("home:approvals", "home_approvals", approvals, 0),
	}
}

type homeListView struct {
	Rows       []string
	More, Mine int
}

type homeRowView struct {
	incView
	Part string
}

type homeStep struct {
	ID, Step, Phase, Channel, What, By string
}

func homeStepView(inc incident.Incident, st incident.Step) homeStep {
	return homeStep{ID: inc.ID(), Step: clipText(oneLine(st.Title), 120), Phase: PhaseTitle(st.Phase), Channel: channelLink(inc.Channel)}
}

// part says what the viewer is in an incident: lead, roles, steps.
func part(inc incident.Incident, viewer string) string {
	var parts []string
	if inc.Lead == viewer && viewer != "" {
		parts = append(parts, "you lead")
	}
	var roles []string
	for r, u := range inc.Roles {
		if u == viewer && viewer != "" {
			roles = append(roles, EscapeMrkdwn(r))
		}
	}
	if len(roles) > 0 {
		sort.Strings(roles)
		parts = append(parts, "your role: "+strings.Join(roles, ", "))
	}
	switch n := len(inc.AssignedTo(viewer)); n {
	case 0:
	case 1:
		parts = append(parts, "1 step assigned to you")
	default:
		parts = append(parts, strconv.Itoa(n)+" steps assigned to you")
	}
	return strings.Join(parts, " · ")
}

// fit renders as many lines as a section holds (and at most
// maxListRows), and says how many were left out.
func fit(lines []func() string) ([]string, int) {
	budget := maxSection - 200 // the heading and the "…and N more" line
	var out []string
	for _, line := range lines {
		if len(out) == maxListRows {
			break
		}
		l := line()
		n := runeLen(l) + 1
		if n > budget {
			break
		}
		budget -= n
		out = append(out, l)
	}
	return out, len(lines) - len(out)
}

// FromMessageLine is the card's link to the message the incident was
// declared from ("" when it has none).
func FromMessageLine(inc incident.Incident) string {
	if inc.SourceURL == "" {
		return ""
	}
	return mustSlack("from_message", link(inc.SourceURL, "the message"), 2500)
}

func init() {
	vocabulary[incident.EvFromMessage] = eventWords{
		slack: func(x slackEvent) (string, string) {
			what := "declared it from a message"
			if u := x.f["link"]; u != "" {
				what = "declared it from " + link(u, "a message")
			}
			if a := x.f["author"]; a != "" {
				what += " by " + mention(a)
			}
			return what, x.text
		},
		postmortem: func(x PostmortemEvent) string {
			s := "Declared from a message"
			if a := x.f("author"); a != "" {
				s += " by " + x.Name(a)
			}
			if u := x.f("link"); u != "" {
				s += " (" + u + ")"
			}
			return x.with(s)
		},
		people: []string{"author"},
	}
}

// FromMessageNote heads the declare form opened from a message: the
// message becomes the incident's first timeline event.
func FromMessageNote(author string, empty bool) string {
	who := ""
	if author != "" {
		who = " by " + mention(author)
	}
	if empty {
		return "Declaring from a message" + who + " that has no text: its link will be the incident's first timeline event. Give the incident a title."
	}
	return "Declaring from a message" + who + ": the message and its link will be the incident's first timeline event."
}
