package app

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"go.uber.org/zap"

	"github.com/firebreak-hq/firebreak/bot"
	"github.com/firebreak-hq/firebreak/incident"
	"github.com/firebreak-hq/firebreak/postmortem"
	"github.com/firebreak-hq/firebreak/templates"
)

// postmortems writes every postmortem to FIREBREAK_POSTMORTEM_DIR first
// (so the draft exists even while GitHub is down) and then, when GitHub
// is configured, files it there exactly once. A private incident's goes
// to GITHUB_PRIVATE_REPO, or stays in the directory only: never to the
// repository everyone reads.
type postmortems struct {
	files   postmortem.Files
	github  *postmortem.GitHub
	private *postmortem.GitHub
	cfg     Config
}

var _ bot.Postmortems = (*postmortems)(nil)

func newPostmortems(cfg Config, hc *http.Client, log *zap.Logger) (*postmortems, error) {
	p := &postmortems{files: postmortem.Files{Dir: cfg.PostmortemDir, Location: cfg.Location}, cfg: cfg}
	for _, r := range []struct {
		repo, name, what string
		into             **postmortem.GitHub
	}{
		{cfg.GitHubRepo, "github", "github", &p.github},
		{cfg.GitHubPrivateRepo, "github-private", "github (private repo)", &p.private},
	} {
		if r.repo == "" {
			continue
		}
		gh, err := postmortem.NewGitHub(postmortem.GitHubConfig{
			Token: cfg.GitHubToken, Repo: r.repo, BaseURL: cfg.GitHubAPIURL,
			HTTPClient: hc, Logger: log.Named(r.name), Location: cfg.Location,
		})
		if err != nil {
			return nil, fmt.Errorf("%s: %w", r.what, err)
		}
		*r.into = gh
	}
	return p, nil
}

// repoFor is the repository inc's postmortem is filed in; nil: the
// directory only.
func (p *postmortems) repoFor(inc incident.Incident) *postmortem.GitHub {
	if inc.Private {
		return p.private
	}
	return p.github
}

func (p *postmortems) Publish(ctx context.Context, inc incident.Incident, events []incident.Event, names map[string]string) (string, error) {
	url, err := p.files.Publish(ctx, inc, events, names)
	if err != nil {
		return "", fmt.Errorf("writing the postmortem to %s: %w", p.cfg.PostmortemDir, err)
	}
	gh := p.repoFor(inc)
	if gh == nil {
		return url, nil
	}
	return gh.Publish(ctx, inc, events, names)
}

func (p *postmortems) Review(inc incident.Incident, events []incident.Event, names map[string]string) string {
	d, err := postmortem.Render(inc, events, names, p.cfg.Location)
	if err != nil || len(d.Findings) == 0 {
		return ""
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Blameless review of the %s postmortem draft: %d passage(s) read as blame. Nothing was changed; consider these rewrites while editing:\n", inc.ID(), len(d.Findings))
	for i, f := range d.Findings {
		if i == 10 {
			fmt.Fprintf(&b, "…and %d more in the draft's review section.", len(d.Findings)-10)
			break
		}
		fmt.Fprintf(&b, "• %s: “%s” (%s) → %s\n", templates.EscapeMrkdwn(f.Source), templates.Clip(templates.EscapeMrkdwn(f.Quote), 200), f.Pattern, templates.EscapeMrkdwn(f.Suggestion))
	}
	return b.String()
}
