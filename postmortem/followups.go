package postmortem

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/google/go-github/v60/github"
	"go.uber.org/zap"

	"github.com/firebreak-hq/firebreak/incident"
)

// LabelFollowup marks the issues Firebreak files for an incident's
// follow-ups.
const LabelFollowup = "follow-up"

// FollowupMarker is the hidden first line of follow-up k's issue body.
func FollowupMarker(n uint64, k int) string {
	return "<!-- firebreak-follow-up: " + incident.ID(n) + " #" + strconv.Itoa(k) + " -->"
}

func followupsCommentMarker(n uint64) string {
	return "<!-- firebreak-postmortem: " + incident.ID(n) + " follow-ups -->"
}

// ensureFollowups files each follow-up of inc as its own issue (labels
// follow-up and the incident's key), linking the postmortem, and then
// links them all from the postmortem in one comment. Like the postmortem,
// each is looked up by its marker before it is created and looked up
// again after a failure that may have created it, so a retry never files
// one twice.
func (g *GitHub) ensureFollowups(ctx context.Context, inc incident.Incident, pm *github.Issue) error {
	if len(inc.Followups) == 0 {
		return nil
	}
	n := inc.Number
	labels := []string{LabelFollowup, Key(n)}
	if err := g.ensureLabels(ctx, []string{LabelFollowup}); err != nil {
		return err
	}
	have, err := g.findFollowups(ctx, n)
	if err != nil {
		return err
	}
	for _, f := range inc.Followups {
		if have[f.N] != nil {
			continue
		}
		text := plain(f.Text, nil)
		body := FollowupMarker(n, f.N) + "\n" + inline(text) + "\n\n" +
			"Follow-up " + strconv.Itoa(f.N) + " of " + inc.ID() + ", from its postmortem #" + strconv.Itoa(pm.GetNumber()) + "."
		title := "Follow-up " + inc.ID() + ": " + clipRunes(oneLine(text), 200)
		is, _, err := g.client.Issues.Create(ctx, g.owner, g.repo, &github.IssueRequest{Title: &title, Body: &body, Labels: &labels})
		if err != nil {
			e := g.fail(fmt.Sprintf("file follow-up %d", f.N), err)
			if !e.ambiguous {
				return e
			}
			lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), lookAgainTimeout)
			found, ferr := g.findFollowups(lctx, n)
			cancel()
			if ferr != nil || found[f.N] == nil {
				return e
			}
			is = found[f.N]
			g.log.Info("follow-up issue found after an ambiguous failure", zap.String("incident", inc.ID()), zap.Int("issue", is.GetNumber()))
		}
		have[f.N] = is
	}
	var b strings.Builder
	b.WriteString(followupsCommentMarker(n) + "\nFollow-ups filed as issues:\n")
	for _, f := range inc.Followups {
		fmt.Fprintf(&b, "- #%d %s\n", have[f.N].GetNumber(), inline(clipRunes(oneLine(plain(f.Text, nil)), 200)))
	}
	return g.ensureComment(ctx, pm.GetNumber(), followupsCommentMarker(n), b.String())
}

// findFollowups maps follow-up numbers to their issues, by marker.
func (g *GitHub) findFollowups(ctx context.Context, n uint64) (map[int]*github.Issue, error) {
	list, _, _, err := g.keyedIssues(ctx, n, "", "look up the follow-up issues")
	if err != nil {
		return nil, err
	}
	return followupIssues(n, list), nil
}

// followupIssues picks incident n's follow-up issues out of list, by
// the marker their body starts with; the first issue of each number wins.
func followupIssues(n uint64, list []*github.Issue) map[int]*github.Issue {
	out := map[int]*github.Issue{}
	prefix := "<!-- firebreak-follow-up: " + incident.ID(n) + " #"
	for _, is := range list {
		rest, ok := strings.CutPrefix(is.GetBody(), prefix)
		if !ok || is.IsPullRequest() {
			continue
		}
		num, _, _ := strings.Cut(rest, " ")
		if k, err := strconv.Atoi(num); err == nil && out[k] == nil {
			out[k] = is
		}
	}
	return out
}

// ensureComment posts body on the issue unless a comment starting with
// marker is there already.
func (g *GitHub) ensureComment(ctx context.Context, issue int, marker, body string) error {
	found := false
	err := g.eachComment(ctx, issue, func(c *github.IssueComment) bool {
		found = strings.HasPrefix(c.GetBody(), marker+"\n")
		return !found
	})
	if err != nil || found {
		return err
	}
	if _, _, err := g.client.Issues.CreateComment(ctx, g.owner, g.repo, issue, &github.IssueComment{Body: github.String(body)}); err != nil {
		return g.fail("link the follow-ups from the postmortem", err)
	}
	return nil
}

func clipRunes(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
