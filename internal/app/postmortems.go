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
// is configured, files it there exactly once.
type postmortems struct {
	files  postmortem.Files
	github *postmortem.GitHub
	cfg    Config
}

var _ bot.Postmortems = (*postmortems)(nil)

func newPostmortems(cfg Config, hc *http.Client, log *zap.Logger) (*postmortems, error) {
	p := &postmortems{files: postmortem.Files{Dir: cfg.PostmortemDir, Location: cfg.Location}, cfg: cfg}
	if cfg.GitHubRepo != "" {
		gh, err := postmortem.NewGitHub(postmortem.GitHubConfig{
			Token: cfg.GitHubToken, Repo: cfg.GitHubRepo, BaseURL: cfg.GitHubAPIURL,
			HTTPClient: hc, Logger: log.Named("github"), Location: cfg.Location,
		})
		if err != nil {
			return nil, fmt.Errorf("github: %w", err)
		}
		p.github = gh
	}
	return p, nil
}

func (p *postmortems) Publish(ctx context.Context, inc incident.Incident, events []incident.Event, names map[string]string) (string, error) {
	url, err := p.files.Publish(ctx, inc, events, names)
	if err != nil {
		return "", fmt.Errorf("writing the postmortem to %s: %w", p.cfg.PostmortemDir, err)
	}
	if p.github == nil {
		return url, nil
	}
	return p.github.Publish(ctx, inc, events, names)
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
