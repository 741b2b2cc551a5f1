package githubfake_test

import (
	"context"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-github/v60/github"

	"github.com/firebreak-hq/firebreak/internal/githubfake"
)

// TestConditionalRequests: a GET carries an ETag; asking again with
// If-None-Match is 304 without a body and costs no rate limit; once the
// issue is closed or labelled, the old ETag no longer matches.
func TestConditionalRequests(t *testing.T) {
	f := newFake(t)
	c := newClient(t, f, 5*time.Second)
	ctx := context.Background()
	is, _, err := c.Issues.Create(ctx, owner, repoName, &github.IssueRequest{Title: github.String("Postmortem: INC-1")})
	if err != nil {
		t.Fatal(err)
	}
	get := func(etag string) *http.Response {
		t.Helper()
		req, err := c.NewRequest(http.MethodGet, "repos/acme/ops/issues/"+strconv.Itoa(is.GetNumber()), nil)
		if err != nil {
			t.Fatal(err)
		}
		if etag != "" {
			req.Header.Set("If-None-Match", etag)
		}
		resp, err := c.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	first := get("")
	tag := first.Header.Get("ETag")
	if first.StatusCode != 200 || len(tag) < 10 || tag[0] != '"' {
		t.Fatalf("first GET: %d ETag %q", first.StatusCode, tag)
	}
	remaining := first.Header.Get("X-RateLimit-Remaining")
	for _, inm := range []string{tag, "W/" + tag, `"other", ` + tag} {
		again := get(inm)
		if again.StatusCode != http.StatusNotModified || again.ContentLength != 0 || again.Header.Get("ETag") != tag {
			t.Fatalf("If-None-Match %s: %d, length %d, ETag %q", inm, again.StatusCode, again.ContentLength, again.Header.Get("ETag"))
		}
		if got := again.Header.Get("X-RateLimit-Remaining"); got != remaining {
			t.Fatalf("a 304 used the rate limit: remaining %s, was %s", got, remaining)
		}
	}
	if other := get(`"something-else"`); other.StatusCode != 200 {
		t.Fatalf("a different ETag: %d", other.StatusCode)
	}

	// Someone labels the issue reviewed, then closes it: each change is a new version.
	if _, _, err := c.Issues.CreateLabel(ctx, owner, repoName, &github.Label{Name: github.String("reviewed"), Color: github.String("0e8a16")}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.Issues.Edit(ctx, owner, repoName, is.GetNumber(), &github.IssueRequest{Labels: &[]string{"reviewed"}}); err != nil {
		t.Fatal(err)
	}
	labelled := get(tag)
	if labelled.StatusCode != 200 || labelled.Header.Get("ETag") == tag {
		t.Fatalf("after labelling: %d, ETag %q (was %q)", labelled.StatusCode, labelled.Header.Get("ETag"), tag)
	}
	tag = labelled.Header.Get("ETag")
	if _, _, err := c.Issues.Edit(ctx, owner, repoName, is.GetNumber(), &github.IssueRequest{State: github.String("closed")}); err != nil {
		t.Fatal(err)
	}
	closed := get(tag)
	if closed.StatusCode != 200 || closed.Header.Get("ETag") == tag {
		t.Fatalf("after closing: %d", closed.StatusCode)
	}
	got, _, err := c.Issues.Get(ctx, owner, repoName, is.GetNumber())
	if err != nil || got.GetState() != "closed" || len(got.Labels) != 1 || got.Labels[0].GetName() != "reviewed" {
		t.Fatalf("issue after review: %v %+v", err, got)
	}
}

// TestListConditionalAcrossStateChanges: the list of an incident's
// issues is answered 304 while no issue changed; closing one on the
// website (SetIssueState) makes a new version whose issue carries
// closed_at, and reopening it another.
func TestListConditionalAcrossStateChanges(t *testing.T) {
	clk := newClock()
	f := newFake(t, githubfake.WithClock(clk.Now))
	c := newClient(t, f, 5*time.Second)
	ctx := context.Background()
	labels := []string{"firebreak:INC-1"}
	for _, title := range []string{"Follow-up 1", "Follow-up 2"} {
		if _, _, err := c.Issues.Create(ctx, owner, repoName, &github.IssueRequest{Title: github.String(title), Labels: &labels}); err != nil {
			t.Fatal(err)
		}
	}
	list := func(etag string) ([]*github.Issue, *github.Response) {
		t.Helper()
		req, err := c.NewRequest(http.MethodGet, "repos/acme/ops/issues?state=all&labels=firebreak%3AINC-1", nil)
		if err != nil {
			t.Fatal(err)
		}
		if etag != "" {
			req.Header.Set("If-None-Match", etag)
		}
		var out []*github.Issue
		resp, err := c.Do(ctx, req, &out)
		if err != nil && (resp == nil || resp.StatusCode != http.StatusNotModified) {
			t.Fatal(err)
		}
		return out, resp
	}
	_, first := list("")
	tag := first.Header.Get("ETag")
	if _, again := list(tag); again.StatusCode != http.StatusNotModified {
		t.Fatalf("unchanged list: %d, want 304", again.StatusCode)
	}
	if f.SetIssueState(owner, repoName, 9, "closed") || f.SetIssueState(owner, repoName, 1, "done") {
		t.Fatal("SetIssueState accepted a missing issue or an unknown state")
	}
	clk.Add(time.Hour)
	if !f.SetIssueState(owner, repoName, 2, "closed") {
		t.Fatal("SetIssueState refused")
	}
	got, resp := list(tag)
	if resp.StatusCode != 200 || resp.Header.Get("ETag") == tag || len(got) != 2 {
		t.Fatalf("after closing #2: %d, %d issues, ETag %q", resp.StatusCode, len(got), resp.Header.Get("ETag"))
	}
	for _, is := range got {
		closed := is.GetNumber() == 2
		if closed != (is.GetState() == "closed") || closed != !is.GetClosedAt().IsZero() {
			t.Fatalf("issue #%d: state %s closed_at %v", is.GetNumber(), is.GetState(), is.GetClosedAt())
		}
		if closed && (!is.GetClosedAt().Time.Equal(clk.Now()) || is.GetStateReason() != "completed") {
			t.Fatalf("closed #2: closed_at %v reason %q", is.GetClosedAt(), is.GetStateReason())
		}
	}
	if n := len(f.Requests()); n != 5 { // 2 creates, 3 lists
		t.Fatalf("%d requests logged; closing on the website is not a request", n)
	}
	tag = resp.Header.Get("ETag")
	f.SetIssueState(owner, repoName, 2, "open")
	got, resp = list(tag) // newest first, as GitHub lists by default
	if resp.StatusCode != 200 || got[0].GetNumber() != 2 || got[0].GetState() != "open" || !got[0].GetClosedAt().IsZero() || got[0].GetStateReason() != "reopened" {
		t.Fatalf("after reopening: %d %+v", resp.StatusCode, got)
	}
}
