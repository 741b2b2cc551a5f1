package postmortem

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/firebreak-hq/firebreak/internal/githubfake"
)

const (
	secret = "ghp-test-secret-token"
	owner  = "acme"
	repo   = "ops"
)

func newFake(t *testing.T, opts ...githubfake.Option) *githubfake.Server {
	t.Helper()
	f, err := githubfake.New(secret, opts...)
	if err != nil {
		t.Fatal(err)
	}
	f.AddRepo(owner, repo)
	t.Cleanup(func() { _ = f.Close() })
	return f
}

func newPublisher(t *testing.T, base, tok string, hc *http.Client) *GitHub {
	t.Helper()
	g, err := NewGitHub(GitHubConfig{Token: tok, Repo: owner + "/" + repo, BaseURL: base, Timeout: 2 * time.Second, HTTPClient: hc})
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// retryable is what the outbox worker sees of a publishing error.
type retryable interface {
	error
	RetryAfter() time.Duration
	Permanent() bool
}

// publishUntilDone plays the outbox worker: it calls Publish until it
// succeeds, honouring RetryAfter (capped, so a test stays short; the
// faults use waits of about a second), and fails on a permanent error.
// next gives the publisher of each attempt: a new one plays a restart.
func publishUntilDone(t *testing.T, next func() *GitHub) (url string, errs []retryable) {
	t.Helper()
	inc, events := richIncident(t)
	for attempt := 0; attempt < 8; attempt++ {
		u, err := next().Publish(context.Background(), inc, events, people)
		if err == nil {
			return u, errs
		}
		var r retryable
		if !errors.As(err, &r) {
			t.Fatalf("attempt %d: error %T %v has no RetryAfter/Permanent", attempt, err, err)
		}
		if strings.Contains(err.Error(), secret) {
			t.Fatalf("error leaks the token: %v", err)
		}
		if r.Permanent() {
			t.Fatalf("attempt %d: permanent error: %v", attempt, err)
		}
		errs = append(errs, r)
		// Only a rate limit needs real waiting: go-github refuses calls
		// locally until the reset. Other waits are the worker's backoff.
		if r.RetryAfter() != retryTransient {
			time.Sleep(min(r.RetryAfter(), 2500*time.Millisecond))
		}
	}
	t.Fatalf("not published after 8 attempts: %v", errs)
	return "", nil
}

// postmortemIssues is the repository's issues without the follow-ups
// filed beside the postmortem; it fails the test when a follow-up was
// filed twice.
func postmortemIssues(t *testing.T, f *githubfake.Server) []githubfake.Issue {
	t.Helper()
	var out []githubfake.Issue
	seen := map[string]bool{}
	for _, is := range f.Issues(owner, repo) {
		if !slices.Contains(is.Labels, LabelFollowup) {
			out = append(out, is)
			continue
		}
		marker, _, _ := strings.Cut(is.Body, "\n")
		if seen[marker] {
			t.Errorf("follow-up %s filed twice", marker)
		}
		seen[marker] = true
	}
	return out
}

func assertOneIssue(t *testing.T, f *githubfake.Server, url string) githubfake.Issue {
	t.Helper()
	issues := postmortemIssues(t, f)
	if len(issues) != 1 {
		t.Fatalf("%d issues, want exactly 1", len(issues))
	}
	is := issues[0]
	if !strings.HasSuffix(url, "/acme/ops/issues/1") {
		t.Errorf("url = %q", url)
	}
	if !strings.HasPrefix(is.Title, "Postmortem: INC-7 ") || !strings.HasPrefix(is.Body, Marker(7)) {
		t.Errorf("issue %q does not carry the draft", is.Title)
	}
	for _, want := range []string{LabelPostmortem, "sev1", "firebreak:INC-7"} {
		found := false
		for _, l := range is.Labels {
			found = found || l == want
		}
		if !found {
			t.Errorf("issue labels %q lack %q", is.Labels, want)
		}
	}
	return is
}

func TestPublishFailureModes(t *testing.T) {
	issues := "/repos/acme/ops/issues"
	cases := []struct {
		name    string
		fault   githubfake.Fault
		timeout time.Duration
		// wantErrs is how many failed attempts the worker sees.
		wantErrs int
		// wait is the least RetryAfter the first error must ask for.
		wait time.Duration
	}{
		{"5xx before the write", githubfake.Fault{Kind: githubfake.FaultServerError, Status: 502, Method: "POST", Path: issues}, 0, 1, time.Second},
		{"5xx after the write", githubfake.Fault{Kind: githubfake.FaultServerError, Status: 500, AfterWrite: true, Method: "POST", Path: issues}, 0, 0, 0},
		{"timeout after the write", githubfake.Fault{Kind: githubfake.FaultTimeoutAfterWrite, Method: "POST", Path: issues}, 300 * time.Millisecond, 0, 0},
		{"connection dropped after the write", githubfake.Fault{Kind: githubfake.FaultDropAfterWrite, Method: "POST", Path: issues}, 0, 0, 0},
		{"GitHub down for a while", githubfake.Fault{Kind: githubfake.FaultServerError, Status: 503, Times: 3}, 0, 3, time.Second},
		{"lookup fails", githubfake.Fault{Kind: githubfake.FaultServerError, Status: 500, Method: "GET", Path: issues}, 0, 1, time.Second},
		{"label creation fails", githubfake.Fault{Kind: githubfake.FaultServerError, Status: 502, Method: "POST", Path: "/repos/acme/ops/labels"}, 0, 1, time.Second},
		{"primary rate limit", githubfake.Fault{Kind: githubfake.FaultRateLimit, Reset: time.Second, Method: "POST", Path: issues}, 0, 1, 500 * time.Millisecond},
		{"secondary rate limit", githubfake.Fault{Kind: githubfake.FaultSecondaryRateLimit, RetryAfter: time.Second, Method: "POST", Path: issues}, 0, 1, time.Second},
		{"429 with Retry-After", githubfake.Fault{Kind: githubfake.FaultTooManyRequests, RetryAfter: time.Second, Method: "POST", Path: issues}, 0, 1, time.Second},
		{"rate limit on lookup", githubfake.Fault{Kind: githubfake.FaultTooManyRequests, RetryAfter: 2 * time.Second, Method: "GET", Path: issues}, 0, 1, 2 * time.Second},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFake(t)
			if err := f.Inject(tc.fault); err != nil {
				t.Fatal(err)
			}
			var hc *http.Client
			if tc.timeout > 0 {
				hc = &http.Client{Timeout: tc.timeout}
			}
			g := newPublisher(t, f.URL(), secret, hc)
			url, errs := publishUntilDone(t, func() *GitHub { return g })
			if len(errs) != tc.wantErrs {
				t.Errorf("%d failed attempts (%v), want %d", len(errs), errs, tc.wantErrs)
			}
			if len(errs) > 0 && errs[0].RetryAfter() < tc.wait {
				t.Errorf("first error asks to wait %v, want at least %v: %v", errs[0].RetryAfter(), tc.wait, errs[0])
			}
			assertOneIssue(t, f, url)
			if len(f.PendingFaults()) != 0 {
				t.Errorf("the fault was never hit: %+v", f.PendingFaults())
			}
			// Publishing again (the outbox row was not yet deleted) finds it.
			inc, events := richIncident(t)
			again, err := g.Publish(context.Background(), inc, events, people)
			if err != nil || again != url {
				t.Errorf("second publish = %q, %v; want %q", again, err, url)
			}
			assertOneIssue(t, f, url)
		})
	}
}

// dyingTransport lets requests through until the process "dies" right
// after sending the issue POST: from then on nothing reaches GitHub, as
// when the bot is killed before it can record success.
type dyingTransport struct {
	dead atomic.Bool
}

func (d *dyingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if d.dead.Load() {
		return nil, errors.New("process is gone")
	}
	if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/issues") {
		d.dead.Store(true)
	}
	return http.DefaultTransport.RoundTrip(r)
}

func TestPublishRestartBetweenPostAndSuccess(t *testing.T) {
	cases := []struct {
		name  string
		first func(t *testing.T, f *githubfake.Server) *GitHub
	}{
		{"success not recorded", func(t *testing.T, f *githubfake.Server) *GitHub {
			return newPublisher(t, f.URL(), secret, nil)
		}},
		{"killed while the POST was in flight", func(t *testing.T, f *githubfake.Server) *GitHub {
			if err := f.Inject(githubfake.Fault{Kind: githubfake.FaultTimeoutAfterWrite, Method: "POST", Path: "/repos/acme/ops/issues"}); err != nil {
				t.Fatal(err)
			}
			return newPublisher(t, f.URL(), secret, &http.Client{Timeout: 300 * time.Millisecond, Transport: &dyingTransport{}})
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(t)
			inc, events := richIncident(t)
			// Whatever the first process saw, the outbox row survives it.
			_, _ = tc.first(t, f).Publish(context.Background(), inc, events, people)
			if n := len(postmortemIssues(t, f)); n != 1 {
				t.Fatalf("after the first process: %d issues, want the one it created", n)
			}
			// The restarted process has a new client and no memory.
			url, errs := publishUntilDone(t, func() *GitHub { return newPublisher(t, f.URL(), secret, nil) })
			if len(errs) != 0 {
				t.Errorf("restarted publisher failed: %v", errs)
			}
			assertOneIssue(t, f, url)
			// One for the postmortem, one for each of its 2 follow-ups.
			if attempted, _ := f.IssueCreates(); attempted != 3 {
				t.Errorf("%d issue creations attempted, want 3", attempted)
			}
		})
	}
}

func TestPublishGitHubUnreachable(t *testing.T) {
	f := newFake(t)
	addr := f.Addr()
	_ = f.Close()
	g := newPublisher(t, "http://"+addr+"/", secret, nil)
	inc, events := richIncident(t)
	_, err := g.Publish(context.Background(), inc, events, people)
	var r retryable
	if !errors.As(err, &r) || r.Permanent() || r.RetryAfter() <= 0 {
		t.Fatalf("unreachable GitHub: %v, want a transient error", err)
	}
	// GitHub comes back on the same address.
	f2 := newFake(t, githubfake.WithAddr(addr))
	url, errs := publishUntilDone(t, func() *GitHub { return g })
	if len(errs) != 0 {
		t.Errorf("after GitHub came back: %v", errs)
	}
	assertOneIssue(t, f2, url)
}

func TestPublishPermanentErrors(t *testing.T) {
	cases := []struct{ name, token, repo, wantFix string }{
		{"bad token", "ghp-wrong", owner + "/" + repo, "GITHUB_TOKEN"},
		{"missing repository", secret, owner + "/nope", "GITHUB_REPO"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(t)
			g, err := NewGitHub(GitHubConfig{Token: tc.token, Repo: tc.repo, BaseURL: f.URL()})
			if err != nil {
				t.Fatal(err)
			}
			inc, events := richIncident(t)
			_, err = g.Publish(context.Background(), inc, events, people)
			var r retryable
			if !errors.As(err, &r) || !r.Permanent() || r.RetryAfter() != 0 {
				t.Fatalf("got %v, want a permanent error", err)
			}
			msg := err.Error()
			if !strings.Contains(msg, tc.wantFix) || strings.Contains(msg, tc.token) {
				t.Errorf("message %q should name %s and never the token", msg, tc.wantFix)
			}
			if err := g.Check(context.Background()); err == nil || !errors.As(err, &r) || !r.Permanent() {
				t.Errorf("Check = %v, want the same permanent error", err)
			}
			if n := len(postmortemIssues(t, f)); n != 0 {
				t.Errorf("%d issues filed", n)
			}
			// Once the lead fixes the configuration, it is filed once.
			good := newPublisher(t, f.URL(), secret, nil)
			url, _ := publishUntilDone(t, func() *GitHub { return good })
			assertOneIssue(t, f, url)
		})
	}
}

func TestPublishLongTimelineComments(t *testing.T) {
	f := newFake(t)
	inc, events := bigIncident(t, 2000, false)
	d, err := Render(inc, events, people, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Comments) < 2 {
		t.Fatalf("fixture gives %d comments, want at least 2", len(d.Comments))
	}
	// The first comment is stored but its answer lost; the next attempt
	// must not post it again.
	if err := f.Inject(githubfake.Fault{Kind: githubfake.FaultServerError, AfterWrite: true, Method: "POST", Path: "/repos/acme/ops/issues/*/comments"}); err != nil {
		t.Fatal(err)
	}
	g := newPublisher(t, f.URL(), secret, nil)
	var url string
	for attempt := 0; ; attempt++ {
		if attempt == 3 {
			t.Fatalf("not published: %v", err)
		}
		if url, err = g.Publish(context.Background(), inc, events, people); err == nil {
			break
		}
	}
	issues := postmortemIssues(t, f)
	if len(issues) != 1 {
		t.Fatalf("%d issues", len(issues))
	}
	if !strings.HasSuffix(url, "/issues/1") {
		t.Errorf("url %q", url)
	}
	var cs []githubfake.Comment
	for _, c := range f.Comments(owner, repo, 1) {
		if first, _, _ := strings.Cut(c.Body, "\n"); !strings.HasSuffix(first, " follow-ups -->") {
			cs = append(cs, c)
		}
	}
	if len(cs) != len(d.Comments) {
		t.Fatalf("%d comments, want %d", len(cs), len(d.Comments))
	}
	for i, c := range cs {
		if c.Body != d.Comments[i] {
			t.Errorf("comment %d is not part %d of the timeline", i+1, i+1)
		}
	}
}

func TestCheck(t *testing.T) {
	f := newFake(t)
	if err := newPublisher(t, f.URL(), secret, nil).Check(context.Background()); err != nil {
		t.Errorf("Check on a good setup: %v", err)
	}
}

func TestNewGitHubConfig(t *testing.T) {
	cases := []struct {
		name string
		cfg  GitHubConfig
		ok   bool
	}{
		{"good", GitHubConfig{Token: "t", Repo: "a/b"}, true},
		{"no token", GitHubConfig{Repo: "a/b"}, false},
		{"repo without owner", GitHubConfig{Token: "t", Repo: "b"}, false},
		{"repo with extra path", GitHubConfig{Token: "t", Repo: "a/b/c"}, false},
		{"relative base", GitHubConfig{Token: "t", Repo: "a/b", BaseURL: "api"}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewGitHub(tc.cfg)
			if (err == nil) != tc.ok {
				t.Errorf("NewGitHub(%+v) = %v", tc.cfg, err)
			}
		})
	}
}
