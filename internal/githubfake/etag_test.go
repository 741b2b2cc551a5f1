package githubfake_test

import (
	"context"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-github/v60/github"
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
