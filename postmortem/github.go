package postmortem

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/firebreak-hq/firebreak/incident"
	"github.com/google/go-github/v60/github"
	"go.uber.org/zap"
)

// Publisher files a closed incident's postmortem and returns where it is.
// Both GitHub and Files satisfy it; calling Publish again for the same
// incident never files a second copy.
type Publisher interface {
	Publish(ctx context.Context, inc incident.Incident, events []incident.Event, names map[string]string) (string, error)
}

var (
	_ Publisher = (*GitHub)(nil)
	_ Publisher = Files{}
)

// lookAgainTimeout bounds the look-up after an ambiguous create failure.
const lookAgainTimeout = 10 * time.Second

// DefaultGitHubURL is the REST API base used when GitHubConfig.BaseURL is empty.
const DefaultGitHubURL = "https://api.github.com/"

// LabelPostmortem is put on every postmortem issue, with the severity.
const LabelPostmortem = "postmortem"

// GitHubConfig says where and how postmortems are filed as issues.
type GitHubConfig struct {
	Token string
	// Repo is "owner/name".
	Repo string
	// BaseURL is the REST API base (DefaultGitHubURL when empty).
	BaseURL string
	// Timeout bounds each HTTP request (30 s when zero); ignored when
	// HTTPClient is given.
	Timeout    time.Duration
	HTTPClient *http.Client
	Logger     *zap.Logger
	// Location is the zone times are shown in (UTC when nil).
	Location *time.Location
	// Now is the clock used to turn rate-limit resets into waits.
	Now func() time.Time
}

// GitHub files postmortems as GitHub issues, idempotently: each issue
// carries the label Key(n) and a hidden marker, and is looked up before it
// is created and again after any failure that may have created it.
type GitHub struct {
	client *github.Client
	owner  string
	repo   string
	token  string
	log    *zap.Logger
	loc    *time.Location
	now    func() time.Time
}

// NewGitHub checks the configuration; it does not contact GitHub (see Check).
func NewGitHub(cfg GitHubConfig) (*GitHub, error) {
	if strings.TrimSpace(cfg.Token) == "" {
		return nil, errors.New("postmortem: GITHUB_TOKEN is empty")
	}
	owner, repo, ok := strings.Cut(strings.TrimSpace(cfg.Repo), "/")
	if !ok || owner == "" || repo == "" || strings.Contains(repo, "/") {
		return nil, fmt.Errorf("postmortem: GITHUB_REPO must be owner/name, not %q", cfg.Repo)
	}
	base := cfg.BaseURL
	if base == "" {
		base = DefaultGitHubURL
	}
	if !strings.HasSuffix(base, "/") {
		base += "/"
	}
	u, err := url.Parse(base)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return nil, fmt.Errorf("postmortem: GITHUB_API_URL %q is not an absolute URL", cfg.BaseURL)
	}
	hc := cfg.HTTPClient
	if hc == nil {
		t := cfg.Timeout
		if t <= 0 {
			t = 30 * time.Second
		}
		hc = &http.Client{Timeout: t}
	}
	c := github.NewClient(hc).WithAuthToken(cfg.Token)
	c.BaseURL = u
	g := &GitHub{client: c, owner: owner, repo: repo, token: cfg.Token, log: cfg.Logger, loc: cfg.Location, now: cfg.Now}
	if g.log == nil {
		g.log = zap.NewNop()
	}
	g.log = g.log.Named("postmortem")
	if g.now == nil {
		g.now = time.Now
	}
	return g, nil
}

func (g *GitHub) fullName() string { return g.owner + "/" + g.repo }

func (g *GitHub) fail(op string, err error) *Error {
	return classify(op, g.fullName(), g.token, err, g.now())
}

// Publish files the postmortem of inc and returns the issue's URL. It makes
// one attempt: on error the caller waits (Error.RetryAfter) and calls it
// again, or reports a permanent error (Error.Permanent); either way a
// second call never creates a second issue or repeats a comment.
func (g *GitHub) Publish(ctx context.Context, inc incident.Incident, events []incident.Event, names map[string]string) (string, error) {
	d, err := Render(inc, events, names, g.loc)
	if err != nil {
		return "", &Error{Op: "render the draft", permanent: true, msg: err.Error(), err: err, Fix: "report this to the Firebreak maintainers"}
	}
	log := g.log.With(zap.String("incident", inc.ID()), zap.String("repo", g.fullName()))
	is, err := g.find(ctx, inc.Number)
	if err != nil {
		return "", err
	}
	if is == nil {
		labels := []string{LabelPostmortem, string(inc.Severity), d.Key}
		if err := g.ensureLabels(ctx, labels); err != nil {
			return "", err
		}
		// Look again: a previous attempt may have finished meanwhile.
		if is, err = g.find(ctx, inc.Number); err != nil {
			return "", err
		}
		if is == nil {
			if is, err = g.create(ctx, inc.Number, d, labels); err != nil {
				return "", err
			}
			log.Info("postmortem issue created", zap.Int("issue", is.GetNumber()))
		}
	}
	if err := g.ensureComments(ctx, is.GetNumber(), inc.Number, d.Comments); err != nil {
		return "", err
	}
	if err := g.ensureFollowups(ctx, inc, is); err != nil {
		return "", err
	}
	return is.GetHTMLURL(), nil
}

// create files the issue; after a failure that may have created it anyway
// (5xx, timeout, dropped connection) it looks for it before giving up.
func (g *GitHub) create(ctx context.Context, n uint64, d Draft, labels []string) (*github.Issue, error) {
	is, _, err := g.client.Issues.Create(ctx, g.owner, g.repo, &github.IssueRequest{
		Title: github.String(d.Title), Body: github.String(d.Body), Labels: &labels,
	})
	if err == nil {
		return is, nil
	}
	e := g.fail("create the issue", err)
	if !e.ambiguous {
		return nil, e
	}
	// Look even if ctx has ended: that answer decides whether the next
	// attempt may create the issue, so it is worth a short wait.
	lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), lookAgainTimeout)
	defer cancel()
	found, ferr := g.find(lctx, n)
	if ferr == nil && found != nil {
		g.log.Info("issue found after an ambiguous failure", zap.String("incident", incident.ID(n)), zap.Int("issue", found.GetNumber()), zap.Error(err))
		return found, nil
	}
	return nil, e
}

// find returns the incident's postmortem issue, or nil: the one with its
// marker, else the first with its key label (someone may have edited the
// marker out of the body).
func (g *GitHub) find(ctx context.Context, n uint64) (*github.Issue, error) {
	list, _, _, err := g.keyedIssues(ctx, n, "", "look up the postmortem issue")
	if err != nil {
		return nil, err
	}
	var byLabel *github.Issue
	for _, is := range list {
		if is.IsPullRequest() {
			continue
		}
		if strings.Contains(is.GetBody(), Marker(n)) {
			return is, nil
		}
		if byLabel == nil {
			byLabel = is
		}
	}
	return byLabel, nil
}

var labelColors = map[string]string{
	LabelPostmortem: "5319e7",
	"sev1":          "b60205",
	"sev2":          "d93f0b",
	"sev3":          "fbca04",
	"sev4":          "0e8a16",
}

func (g *GitHub) ensureLabels(ctx context.Context, names []string) error {
	for _, name := range names {
		_, _, err := g.client.Issues.GetLabel(ctx, g.owner, g.repo, url.PathEscape(name))
		if err == nil {
			continue
		}
		if e := g.fail("look up label "+name, err); e.Status != http.StatusNotFound {
			return e
		}
		color, desc := labelColors[name], "Severity of the incident"
		switch {
		case name == LabelPostmortem:
			desc = "Postmortem of an incident, filed by Firebreak"
		case name == LabelFollowup:
			color, desc = "1d76db", "Follow-up of an incident's postmortem, filed by Firebreak"
		case color == "":
			color, desc = "ededed", "Identifies the postmortem of "+strings.TrimPrefix(name, "firebreak:")+" (used by Firebreak; keep it)"
		}
		_, _, err = g.client.Issues.CreateLabel(ctx, g.owner, g.repo, &github.Label{
			Name: github.String(name), Color: github.String(color), Description: github.String(desc),
		})
		if err != nil && !alreadyExists(err) {
			return g.fail("create label "+name, err)
		}
	}
	return nil
}

func alreadyExists(err error) bool {
	var er *github.ErrorResponse
	if !errors.As(err, &er) || er.Response == nil || er.Response.StatusCode != http.StatusUnprocessableEntity {
		return false
	}
	for _, e := range er.Errors {
		if e.Code == "already_exists" {
			return true
		}
	}
	return false
}

// ensureComments posts the timeline continuations that are not on the
// issue yet, in order, recognising those already posted by their markers.
func (g *GitHub) ensureComments(ctx context.Context, issue int, n uint64, comments []string) error {
	if len(comments) == 0 {
		return nil
	}
	have := map[int]bool{}
	err := g.eachComment(ctx, issue, func(c *github.IssueComment) bool {
		for k := range comments {
			if strings.HasPrefix(c.GetBody(), commentMarker(n, k+1)+"\n") {
				have[k] = true
			}
		}
		return true
	})
	if err != nil {
		return err
	}
	for k, body := range comments {
		if have[k] {
			continue
		}
		if _, _, err := g.client.Issues.CreateComment(ctx, g.owner, g.repo, issue, &github.IssueComment{Body: github.String(body)}); err != nil {
			return g.fail(fmt.Sprintf("post timeline comment %d of %d", k+1, len(comments)), err)
		}
	}
	return nil
}

// eachComment calls fn with every comment of the issue, oldest first,
// page by page, until fn returns false.
func (g *GitHub) eachComment(ctx context.Context, issue int, fn func(*github.IssueComment) bool) error {
	opts := &github.IssueListCommentsOptions{ListOptions: github.ListOptions{PerPage: 100}}
	for {
		list, resp, err := g.client.Issues.ListComments(ctx, g.owner, g.repo, issue, opts)
		if err != nil {
			return g.fail("list the issue's comments", err)
		}
		for _, c := range list {
			if !fn(c) {
				return nil
			}
		}
		if resp.NextPage == 0 {
			return nil
		}
		opts.Page = resp.NextPage
	}
}

// Check verifies that the token is accepted and can see the repository
// and its labels, for `firebreak doctor`. It changes nothing.
func (g *GitHub) Check(ctx context.Context) error {
	r, _, err := g.client.Repositories.Get(ctx, g.owner, g.repo)
	if err != nil {
		return g.fail("open repository "+g.fullName(), err)
	}
	if r.HasIssues != nil && !r.GetHasIssues() {
		return &Error{Op: "open repository " + g.fullName(), permanent: true, msg: "Issues are turned off", Fix: "turn on Issues in the settings of " + g.fullName()}
	}
	if _, _, err := g.client.Issues.ListLabels(ctx, g.owner, g.repo, &github.ListOptions{PerPage: 1}); err != nil {
		return g.fail("list the labels of "+g.fullName(), err)
	}
	return nil
}
