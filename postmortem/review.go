package postmortem

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/google/go-github/v60/github"

	"github.com/firebreak-hq/firebreak/incident"
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

// FollowupsState is what a poll of an incident's follow-up issues found.
type FollowupsState struct {
	// NotModified: GitHub answered 304 to the conditional request; no
	// follow-up issue changed since ETag.
	NotModified bool
	// ETag is the list's current ETag, for the next poll.
	ETag   string
	Issues []incident.FollowupIssue
}

// Followups polls the follow-up issues of incident n: one conditional
// request (If-None-Match with the ETag of the previous poll) for the list
// of the issues labelled with the incident's key, so that polling while
// nothing changed costs no rate limit. An issue is a follow-up when its
// body starts with FollowupMarker; a closed issue is done.
// https://docs.github.com/en/rest/using-the-rest-api/best-practices-for-using-the-rest-api#use-conditional-requests-if-appropriate
func (g *GitHub) Followups(ctx context.Context, n uint64, etag string) (FollowupsState, error) {
	list, tag, notModified, err := g.keyedIssues(ctx, n, etag, "poll the follow-up issues")
	if err != nil || notModified {
		return FollowupsState{NotModified: notModified, ETag: tag}, err
	}
	st := FollowupsState{ETag: tag}
	for k, is := range followupIssues(n, list) {
		fi := incident.FollowupIssue{N: k, URL: is.GetHTMLURL(), Closed: is.GetState() == "closed"}
		if fi.Closed {
			fi.ClosedAt = is.GetClosedAt().Time
		}
		st.Issues = append(st.Issues, fi)
	}
	slices.SortFunc(st.Issues, func(a, b incident.FollowupIssue) int { return a.N - b.N })
	return st, nil
}

// keyedIssues lists the issues labelled with incident n's key (its
// postmortem and follow-ups), every state, oldest first; the list
// endpoint rather than search, which lags behind writes. With an etag the
// first page is a conditional request, and notModified reports GitHub's
// 304; tag is the first page's ETag.
func (g *GitHub) keyedIssues(ctx context.Context, n uint64, etag, what string) (list []*github.Issue, tag string, notModified bool, err error) {
	opts := &github.IssueListByRepoOptions{
		State: "all", Labels: []string{Key(n)}, Sort: "created", Direction: "asc",
		ListOptions: github.ListOptions{PerPage: 100},
	}
	for {
		req, err := g.client.NewRequest(http.MethodGet, listPath(g.owner, g.repo, opts), nil)
		if err != nil {
			return nil, "", false, err
		}
		first := opts.Page == 0
		if first && etag != "" {
			req.Header.Set("If-None-Match", etag)
		}
		var page []*github.Issue
		resp, err := g.client.Do(ctx, req, &page)
		if first && resp != nil && resp.StatusCode == http.StatusNotModified {
			return nil, etag, true, nil
		}
		if err != nil {
			return nil, "", false, g.fail(what, err)
		}
		if first {
			tag = resp.Header.Get("ETag")
		}
		list = append(list, page...)
		if resp.NextPage == 0 {
			return list, tag, false, nil
		}
		opts.Page = resp.NextPage
	}
}

// listPath is the issue list's path with opts as its query.
func listPath(owner, repo string, opts *github.IssueListByRepoOptions) string {
	q := url.Values{"state": {opts.State}, "labels": {strings.Join(opts.Labels, ",")}, "sort": {opts.Sort},
		"direction": {opts.Direction}, "per_page": {strconv.Itoa(opts.PerPage)}}
	if opts.Page > 0 {
		q.Set("page", strconv.Itoa(opts.Page))
	}
	return fmt.Sprintf("repos/%s/%s/issues?%s", owner, repo, q.Encode())
}
