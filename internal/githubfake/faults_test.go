package githubfake_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-github/v60/github"

	"github.com/firebreak-hq/firebreak/internal/githubfake"
)

// localError checks that go-github refused the call itself with an E.
func localError[E error](t *testing.T, err error) {
	var e E
	if !errors.As(err, &e) {
		t.Errorf("second call: %T %v, want %T", err, err, e)
	}
}

func TestFaultsSeenThroughGoGitHub(t *testing.T) {
	create := &github.IssueRequest{Title: github.String("Postmortem INC-1"), Labels: &[]string{"INC-1"}}

	tests := []struct {
		name       string
		fault      githubfake.Fault
		timeout    time.Duration // client timeout
		check      func(t *testing.T, err error)
		wantStored int
		logStatus  int // Request.Status in the log
		// wantLocal: go-github refuses the next call itself, without a request.
		wantLocal func(t *testing.T, err error)
	}{
		{
			name:      "500",
			logStatus: 500,
			fault:     githubfake.Fault{Kind: githubfake.FaultServerError},
			check:     wantStatus(500),
		},
		{
			name:      "502",
			logStatus: 502,
			fault:     githubfake.Fault{Kind: githubfake.FaultServerError, Status: 502},
			check:     wantStatus(502),
		},
		{
			name:      "503",
			logStatus: 503,
			fault:     githubfake.Fault{Kind: githubfake.FaultServerError, Status: 503},
			check:     wantStatus(503),
		},
		{
			name:       "502 after the write happened",
			logStatus:  502,
			fault:      githubfake.Fault{Kind: githubfake.FaultServerError, Status: 502, AfterWrite: true},
			check:      wantStatus(502),
			wantStored: 1,
		},
		{
			name:      "timeout after the write happened",
			logStatus: 201,
			fault:     githubfake.Fault{Kind: githubfake.FaultTimeoutAfterWrite},
			timeout:   300 * time.Millisecond,
			check: func(t *testing.T, err error) {
				var te interface{ Timeout() bool }
				if err == nil || !errors.As(err, &te) || !te.Timeout() {
					t.Errorf("got %T %v, want a timeout", err, err)
				}
			},
			wantStored: 1,
		},
		{
			name:      "connection dropped after the write happened",
			logStatus: 201,
			fault:     githubfake.Fault{Kind: githubfake.FaultDropAfterWrite},
			check: func(t *testing.T, err error) {
				var er *github.ErrorResponse
				if err == nil || errors.As(err, &er) {
					t.Errorf("got %T %v, want a transport error", err, err)
				}
			},
			wantStored: 1,
		},
		{
			name:      "primary rate limit",
			logStatus: 403,
			fault:     githubfake.Fault{Kind: githubfake.FaultRateLimit, Reset: 90 * time.Second},
			check: func(t *testing.T, err error) {
				rl := errorAs[*github.RateLimitError](t, err)
				if rl.Response.StatusCode != 403 || rl.Rate.Remaining != 0 || rl.Rate.Limit != githubfake.DefaultRateLimit ||
					!strings.Contains(rl.Message, "API rate limit exceeded for user") {
					t.Errorf("got %d %+v %q", rl.Response.StatusCode, rl.Rate, rl.Message)
				}
				if until := time.Until(rl.Rate.Reset.Time); until < 60*time.Second || until > 91*time.Second {
					t.Errorf("reset in %v, want about 90s", until)
				}
			},
			wantLocal: localError[*github.RateLimitError],
		},
		{
			name:      "secondary rate limit",
			logStatus: 403,
			fault:     githubfake.Fault{Kind: githubfake.FaultSecondaryRateLimit, RetryAfter: 7 * time.Second},
			check: func(t *testing.T, err error) {
				ab := errorAs[*github.AbuseRateLimitError](t, err)
				if ab.Response.StatusCode != 403 || ab.GetRetryAfter() != 7*time.Second ||
					!strings.Contains(ab.Message, "You have exceeded a secondary rate limit") {
					t.Errorf("got %d %v %q", ab.Response.StatusCode, ab.GetRetryAfter(), ab.Message)
				}
			},
			wantLocal: localError[*github.AbuseRateLimitError],
		},
		{
			name:      "429 with Retry-After",
			logStatus: 429,
			fault:     githubfake.Fault{Kind: githubfake.FaultTooManyRequests, RetryAfter: 2500 * time.Millisecond},
			check: func(t *testing.T, err error) {
				var rl *github.RateLimitError
				var ab *github.AbuseRateLimitError
				if errors.As(err, &rl) || errors.As(err, &ab) {
					t.Fatalf("got %T, want a plain *github.ErrorResponse", err)
				}
				er := errorResponse(t, err)
				if er.Response.StatusCode != http.StatusTooManyRequests || er.Response.Header.Get("Retry-After") != "3" {
					t.Errorf("got %d Retry-After %q", er.Response.StatusCode, er.Response.Header.Get("Retry-After"))
				}
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(t)
			timeout := tc.timeout
			if timeout == 0 {
				timeout = 10 * time.Second
			}
			c := newClient(t, f, timeout)
			if err := f.Inject(tc.fault); err != nil {
				t.Fatal(err)
			}

			_, _, err := c.Issues.Create(ctx(t), owner, repoName, create)
			tc.check(t, err)

			if got := len(f.Issues(owner, repoName)); got != tc.wantStored {
				t.Errorf("stored %d issues, want %d", got, tc.wantStored)
			}
			if att, stored := f.IssueCreates(); att != 1 || stored != tc.wantStored {
				t.Errorf("IssueCreates = %d attempted, %d stored", att, stored)
			}
			log := f.Requests()
			if len(log) != 1 || log[0].Fault != tc.fault.Kind || log[0].Method != "POST" || log[0].Path != "/repos/acme/ops/issues" {
				t.Fatalf("request log = %+v", log)
			}
			if log[0].Status != tc.logStatus {
				t.Errorf("logged status %d, want %d", log[0].Status, tc.logStatus)
			}
			if len(f.PendingFaults()) != 0 {
				t.Errorf("fault not consumed: %+v", f.PendingFaults())
			}

			if tc.wantLocal != nil {
				_, _, err := c.Issues.Create(ctx(t), owner, repoName, create)
				tc.wantLocal(t, err)
				if n := len(f.Requests()); n != 1 {
					t.Errorf("go-github sent %d requests, want none after the limit", n-1)
				}
				return
			}
			// The fault applied once: the next request succeeds. A retry
			// after an ambiguous failure would duplicate the issue, which is
			// what the publisher must look for first.
			c2 := newClient(t, f, 10*time.Second)
			if _, _, err := c2.Issues.Create(ctx(t), owner, repoName, create); err != nil {
				t.Fatalf("request after the fault: %v", err)
			}
			list, _, err := c2.Issues.ListByRepo(ctx(t), owner, repoName, &github.IssueListByRepoOptions{State: "all", Labels: []string{"INC-1"}})
			if err != nil || len(list) != tc.wantStored+1 {
				t.Errorf("listed %d issues (%v), want %d", len(list), err, tc.wantStored+1)
			}
		})
	}
}

func wantStatus(code int) func(t *testing.T, err error) {
	return func(t *testing.T, err error) {
		t.Helper()
		if er := errorResponse(t, err); er.Response.StatusCode != code {
			t.Errorf("status %d, want %d", er.Response.StatusCode, code)
		}
	}
}

func TestFaultTargeting(t *testing.T) {
	type step struct {
		call string // "create", "comment", "get", "clear"
		fail bool
	}
	tests := []struct {
		name  string
		fault githubfake.Fault
		steps []step
	}{
		{
			name:  "next N matching requests only",
			fault: githubfake.Fault{Kind: githubfake.FaultServerError, Method: "POST", Path: "/repos/*/*/issues/*/comments", Times: 2},
			steps: []step{{"create", false}, {"get", false}, {"comment", true}, {"comment", true}, {"comment", false}},
		},
		{
			name:  "method must match",
			fault: githubfake.Fault{Kind: githubfake.FaultServerError, Method: "GET", Times: 1},
			steps: []step{{"create", false}, {"comment", false}, {"get", true}, {"get", false}},
		},
		{
			name:  "all requests when method and path are empty",
			fault: githubfake.Fault{Kind: githubfake.FaultServerError, Times: 2},
			steps: []step{{"create", true}, {"get", true}, {"create", false}},
		},
		{
			name:  "double star matches the rest",
			fault: githubfake.Fault{Kind: githubfake.FaultServerError, Path: "/repos/acme/**", Times: 1},
			steps: []step{{"create", true}, {"create", false}},
		},
		{
			name:  "exact path",
			fault: githubfake.Fault{Kind: githubfake.FaultServerError, Path: "/repos/acme/ops/issues/1", Times: 1},
			steps: []step{{"create", false}, {"comment", false}, {"get", true}, {"get", false}},
		},
		{
			name:  "unlimited until cleared",
			fault: githubfake.Fault{Kind: githubfake.FaultServerError, Method: "*", Path: "/repos/*/*/issues", Times: -1},
			steps: []step{{"create", true}, {"create", true}, {"create", true}, {"clear", false}, {"create", false}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(t)
			c := newClient(t, f, 10*time.Second)
			if err := f.Inject(tc.fault); err != nil {
				t.Fatal(err)
			}
			for i, st := range tc.steps {
				var err error
				switch st.call {
				case "create":
					_, _, err = c.Issues.Create(ctx(t), owner, repoName, &github.IssueRequest{Title: github.String("t")})
				case "comment":
					_, _, err = c.Issues.CreateComment(ctx(t), owner, repoName, 1, &github.IssueComment{Body: github.String("c")})
				case "get":
					_, _, err = c.Issues.Get(ctx(t), owner, repoName, 1)
				case "clear":
					f.ClearFaults()
					continue
				}
				if failed := err != nil; failed != st.fail {
					t.Fatalf("step %d (%s): err = %v, want failure %v", i, st.call, err, st.fail)
				}
				if st.fail && errorResponse(t, err).Response.StatusCode != 500 {
					t.Fatalf("step %d: %v", i, err)
				}
			}
		})
	}
}

func TestInjectRejectsBadFaults(t *testing.T) {
	f := newFake(t)
	tests := []struct {
		name  string
		fault githubfake.Fault
	}{
		{"non-5xx status", githubfake.Fault{Kind: githubfake.FaultServerError, Status: 404}},
		{"unknown kind", githubfake.Fault{Kind: githubfake.FaultKind(99)}},
		{"none", githubfake.Fault{Kind: githubfake.FaultNone}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := f.Inject(tc.fault); err == nil {
				t.Error("accepted")
			}
		})
	}
	if len(f.PendingFaults()) != 0 {
		t.Errorf("pending = %v", f.PendingFaults())
	}
}

func TestCloseReleasesHeldRequest(t *testing.T) {
	f, err := githubfake.New(testToken)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	f.AddRepo(owner, repoName)
	ch, cancel := f.Subscribe()
	defer cancel()
	if err := f.Inject(githubfake.Fault{Kind: githubfake.FaultTimeoutAfterWrite}); err != nil {
		t.Fatal(err)
	}
	c := newClient(t, f, 20*time.Second) // longer than the test: Close must end it

	done := make(chan error, 1)
	go func() {
		_, _, err := c.Issues.Create(ctx(t), owner, repoName, &github.IssueRequest{Title: github.String("held")})
		done <- err
	}()
	deadline := time.After(10 * time.Second)
	for len(f.Issues(owner, repoName)) == 0 {
		select {
		case <-ch:
		case <-deadline:
			t.Fatal("write never happened")
		}
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err == nil {
			t.Error("held request succeeded")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Close did not release the held request")
	}
}

func TestFaultKindString(t *testing.T) {
	if got := githubfake.FaultSecondaryRateLimit.String(); got != "secondary_rate_limit" {
		t.Errorf("got %q", got)
	}
	if got := githubfake.FaultKind(42).String(); got != "FaultKind(42)" {
		t.Errorf("got %q", got)
	}
}
