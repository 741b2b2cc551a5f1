package postmortem

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/google/go-github/v60/github"
)

// LabelReviewed on a postmortem issue says its review was held.
const LabelReviewed = "reviewed"

// ReviewState is what a poll of a postmortem issue found.
type ReviewState struct {
	// NotModified: GitHub answered 304 to the conditional request; the
	// issue is as it was at ETag, and the poll cost no rate limit.
	NotModified bool
	// ETag is the issue's current ETag, for the next poll.
	ETag string
	// Reviewed is "closed" or "labelled" once the review is done, else "".
	Reviewed string
}

// IssueNumber reads the issue number from a postmortem issue's URL; ok is
// false for a URL that is not one of this repository's issues (a file).
func (g *GitHub) IssueNumber(url string) (int, bool) {
	i := strings.LastIndex(url, "/issues/")
	if i < 0 || !strings.Contains(url[:i], "/"+g.owner+"/"+g.repo) {
		return 0, false
	}
	n, err := strconv.Atoi(url[i+len("/issues/"):])
	return n, err == nil && n > 0
}

// Review polls postmortem issue number with a conditional request (the
// ETag of the previous poll in If-None-Match), so that polling an
// unchanged issue costs no rate limit.
// https://docs.github.com/en/rest/using-the-rest-api/best-practices-for-using-the-rest-api#use-conditional-requests-if-appropriate
func (g *GitHub) Review(ctx context.Context, number int, etag string) (ReviewState, error) {
	req, err := g.client.NewRequest(http.MethodGet, fmt.Sprintf("repos/%s/%s/issues/%d", g.owner, g.repo, number), nil)
	if err != nil {
		return ReviewState{}, err
	}
	if etag != "" {
		req.Header.Set("If-None-Match", etag)
	}
	var is github.Issue
	resp, err := g.client.Do(ctx, req, &is)
	if resp != nil && resp.StatusCode == http.StatusNotModified {
		return ReviewState{NotModified: true, ETag: etag}, nil
	}
	if err != nil {
		return ReviewState{}, g.fail("poll the postmortem issue for its review", err)
	}
	st := ReviewState{ETag: resp.Header.Get("ETag")}
	switch {
	case is.GetState() == "closed":
		st.Reviewed = "closed"
	default:
		for _, l := range is.Labels {
			if strings.EqualFold(l.GetName(), LabelReviewed) {
				st.Reviewed = "labelled"
			}
		}
	}
	return st, nil
}
