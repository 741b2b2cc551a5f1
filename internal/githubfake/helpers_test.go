package githubfake_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/google/go-github/v60/github"

	"github.com/firebreak-hq/firebreak/internal/githubfake"
	"github.com/firebreak-hq/firebreak/internal/testclock"
)

const (
	testToken = "ghp_test_token"
	owner     = "acme"
	repoName  = "ops"
)

// newClock is a settable clock for WithClock.
func newClock() *testclock.Clock { return testclock.New(time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)) }

func newFake(t *testing.T, opts ...githubfake.Option) *githubfake.Server {
	t.Helper()
	f, err := githubfake.New(testToken, opts...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { _ = f.Close() })
	f.AddRepo(owner, repoName)
	return f
}

// newClient is a real go-github client pointed at the fake. timeout bounds
// every request so a broken fake cannot hang the suite.
func newClient(t *testing.T, f *githubfake.Server, timeout time.Duration) *github.Client {
	t.Helper()
	c := github.NewClient(&http.Client{Timeout: timeout}).WithAuthToken(testToken)
	u, err := url.Parse(f.URL())
	if err != nil {
		t.Fatalf("parse %q: %v", f.URL(), err)
	}
	c.BaseURL = u
	return c
}

func ctx(t *testing.T) context.Context {
	t.Helper()
	c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return c
}

func createIssue(t *testing.T, c *github.Client, title, body string, labels ...string) *github.Issue {
	t.Helper()
	req := &github.IssueRequest{Title: github.String(title), Body: github.String(body)}
	if labels != nil {
		req.Labels = &labels
	}
	is, resp, err := c.Issues.Create(ctx(t), owner, repoName, req)
	if err != nil {
		t.Fatalf("create %q: %v", title, err)
	}
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("create %q: status %d, want 201", title, resp.StatusCode)
	}
	return is
}

func errorResponse(t *testing.T, err error) *github.ErrorResponse {
	t.Helper()
	return errorAs[*github.ErrorResponse](t, err)
}

// errorAs is err as an E, failing the test when it is not one.
func errorAs[E error](t *testing.T, err error) E {
	t.Helper()
	var e E
	if !errors.As(err, &e) {
		t.Fatalf("error %T %v, want %T", err, err, e)
	}
	return e
}

func numbers(list []*github.Issue) []int {
	out := make([]int, 0, len(list))
	for _, is := range list {
		out = append(out, is.GetNumber())
	}
	return out
}
