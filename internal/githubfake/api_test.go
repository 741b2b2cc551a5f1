package githubfake_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-github/v60/github"

	"github.com/firebreak-hq/firebreak/internal/githubfake"
)

func TestIssueLifecycle(t *testing.T) {
	f := newFake(t, githubfake.WithLogin("fb-bot"))
	c := newClient(t, f, 10*time.Second)

	created := createIssue(t, c, "Postmortem INC-1", "<!-- firebreak:INC-1 -->\nbody", "postmortem", "INC-1")

	t.Run("created issue carries GitHub's fields", func(t *testing.T) {
		base := strings.TrimSuffix(f.URL(), "/")
		checks := []struct {
			name      string
			got, want any
		}{
			{"number", created.GetNumber(), 1},
			{"title", created.GetTitle(), "Postmortem INC-1"},
			{"body", created.GetBody(), "<!-- firebreak:INC-1 -->\nbody"},
			{"state", created.GetState(), "open"},
			{"html_url", created.GetHTMLURL(), base + "/acme/ops/issues/1"},
			{"url", created.GetURL(), f.URL() + "repos/acme/ops/issues/1"},
			{"user", created.GetUser().GetLogin(), "fb-bot"},
			{"comments", created.GetComments(), 0},
			{"labels", labelNames(created.Labels), []string{"postmortem", "INC-1"}},
			{"created_at set", created.GetCreatedAt().IsZero(), false},
		}
		for _, ck := range checks {
			if !reflect.DeepEqual(ck.got, ck.want) {
				t.Errorf("%s = %v, want %v", ck.name, ck.got, ck.want)
			}
		}
	})

	t.Run("get", func(t *testing.T) {
		got, _, err := c.Issues.Get(ctx(t), owner, repoName, 1)
		if err != nil {
			t.Fatal(err)
		}
		if got.GetTitle() != "Postmortem INC-1" || got.GetID() != created.GetID() {
			t.Errorf("got %v", got)
		}
		if _, _, err := c.Issues.Get(ctx(t), owner, repoName, 99); errorResponse(t, err).Response.StatusCode != 404 {
			t.Errorf("missing issue: %v, want 404", err)
		}
	})

	t.Run("comments", func(t *testing.T) {
		cm, resp, err := c.Issues.CreateComment(ctx(t), owner, repoName, 1, &github.IssueComment{Body: github.String("first")})
		if err != nil || resp.StatusCode != 201 {
			t.Fatalf("create comment: %v %v", resp, err)
		}
		if cm.GetBody() != "first" || cm.GetUser().GetLogin() != "fb-bot" || !strings.Contains(cm.GetHTMLURL(), "/acme/ops/issues/1#issuecomment-") {
			t.Errorf("comment = %+v", cm)
		}
		if _, _, err := c.Issues.CreateComment(ctx(t), owner, repoName, 1, &github.IssueComment{Body: github.String("second")}); err != nil {
			t.Fatal(err)
		}
		list, _, err := c.Issues.ListComments(ctx(t), owner, repoName, 1, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != 2 || list[0].GetBody() != "first" || list[1].GetBody() != "second" {
			t.Errorf("comments = %v", list)
		}
		got, _, _ := c.Issues.Get(ctx(t), owner, repoName, 1)
		if got.GetComments() != 2 {
			t.Errorf("comments count = %d, want 2", got.GetComments())
		}
		if n := len(f.Comments(owner, repoName, 1)); n != 2 {
			t.Errorf("Comments() = %d, want 2", n)
		}
		if _, _, err := c.Issues.CreateComment(ctx(t), owner, repoName, 7, &github.IssueComment{Body: github.String("x")}); errorResponse(t, err).Response.StatusCode != 404 {
			t.Errorf("comment on missing issue: %v", err)
		}
	})

	t.Run("update closes and relabels", func(t *testing.T) {
		labels := []string{"postmortem", "published"}
		up, _, err := c.Issues.Edit(ctx(t), owner, repoName, 1, &github.IssueRequest{
			Title: github.String("Postmortem INC-1 (final)"), State: github.String("closed"), Labels: &labels,
		})
		if err != nil {
			t.Fatal(err)
		}
		if up.GetState() != "closed" || up.GetClosedAt().IsZero() || up.GetTitle() != "Postmortem INC-1 (final)" ||
			!reflect.DeepEqual(labelNames(up.Labels), labels) || up.GetBody() != created.GetBody() {
			t.Errorf("updated = %+v", up)
		}
		stored, ok := f.Issue(owner, repoName, 1)
		if !ok || stored.State != "closed" || stored.ClosedAt.IsZero() {
			t.Errorf("stored = %+v", stored)
		}
		if !slices.ContainsFunc(f.Labels(owner, repoName), func(l githubfake.Label) bool { return l.Name == "published" }) {
			t.Errorf("label published not auto-created: %v", f.Labels(owner, repoName))
		}
		_, _, err = c.Issues.Edit(ctx(t), owner, repoName, 1, &github.IssueRequest{State: github.String("bogus")})
		if er := errorResponse(t, err); er.Response.StatusCode != 422 {
			t.Errorf("invalid state: %v", err)
		}
	})
}

func labelNames(ls []*github.Label) []string {
	out := []string{}
	for _, l := range ls {
		out = append(out, l.GetName())
	}
	return out
}

func TestListIssuesFilters(t *testing.T) {
	f := newFake(t)
	c := newClient(t, f, 10*time.Second)
	createIssue(t, c, "one", "", "postmortem", "INC-1")
	createIssue(t, c, "two", "", "postmortem", "INC-2")
	createIssue(t, c, "three", "", "other")
	if _, _, err := c.Issues.Edit(ctx(t), owner, repoName, 2, &github.IssueRequest{State: github.String("closed")}); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name string
		opts *github.IssueListByRepoOptions
		want []int
	}{
		{"default is open, newest first", nil, []int{3, 1}},
		{"state all", &github.IssueListByRepoOptions{State: "all"}, []int{3, 2, 1}},
		{"state closed", &github.IssueListByRepoOptions{State: "closed"}, []int{2}},
		{"one label", &github.IssueListByRepoOptions{State: "all", Labels: []string{"postmortem"}}, []int{2, 1}},
		{"all labels must match", &github.IssueListByRepoOptions{State: "all", Labels: []string{"postmortem", "INC-2"}}, []int{2}},
		{"label match is case-insensitive", &github.IssueListByRepoOptions{State: "all", Labels: []string{"inc-1"}}, []int{1}},
		{"closed issue hidden by default state", &github.IssueListByRepoOptions{Labels: []string{"INC-2"}}, []int{}},
		{"unknown label", &github.IssueListByRepoOptions{State: "all", Labels: []string{"nope"}}, []int{}},
		{"ascending", &github.IssueListByRepoOptions{State: "all", Direction: "asc"}, []int{1, 2, 3}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, _, err := c.Issues.ListByRepo(ctx(t), owner, repoName, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(numbers(got), tc.want) {
				t.Errorf("got %v, want %v", numbers(got), tc.want)
			}
		})
	}
}

func TestPagination(t *testing.T) {
	f := newFake(t)
	c := newClient(t, f, 10*time.Second)
	for i := 1; i <= 5; i++ {
		createIssue(t, c, fmt.Sprintf("issue %d", i), "", "pm")
	}
	opts := &github.IssueListByRepoOptions{State: "all", Direction: "asc", ListOptions: github.ListOptions{PerPage: 2}}
	var all []int
	var pages int
	for {
		got, resp, err := c.Issues.ListByRepo(ctx(t), owner, repoName, opts)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		if pages == 1 && (resp.LastPage != 3 || resp.NextPage != 2) {
			t.Errorf("page 1: next=%d last=%d, want 2 and 3", resp.NextPage, resp.LastPage)
		}
		all = append(all, numbers(got)...)
		if resp.NextPage == 0 {
			if resp.PrevPage != 2 || resp.FirstPage != 1 {
				t.Errorf("last page: prev=%d first=%d", resp.PrevPage, resp.FirstPage)
			}
			break
		}
		if pages > 5 {
			t.Fatal("pagination does not end")
		}
		opts.Page = resp.NextPage
	}
	if !reflect.DeepEqual(all, []int{1, 2, 3, 4, 5}) || pages != 3 {
		t.Errorf("walked %v in %d pages", all, pages)
	}
	labels, resp, err := c.Issues.ListLabels(ctx(t), owner, repoName, &github.ListOptions{PerPage: 100})
	if err != nil || len(labels) != 1 || resp.NextPage != 0 {
		t.Errorf("labels %v next %d err %v", labels, resp.NextPage, err)
	}
}

func TestValidationErrors(t *testing.T) {
	f := newFake(t)
	c := newClient(t, f, 10*time.Second)
	createIssue(t, c, "exists", "")
	if _, _, err := c.Issues.CreateLabel(ctx(t), owner, repoName, &github.Label{Name: github.String("INC-9")}); err != nil {
		t.Fatal(err)
	}
	limit := strings.Repeat("é", githubfake.MaxBodyChars) // characters, not bytes
	over := limit + "x"
	const bodyTooLong = "body is too long (maximum is 65536 characters)"
	create := func(req *github.IssueRequest) func() error {
		return func() error { return errOf(c.Issues.Create(ctx(t), owner, repoName, req)) }
	}

	tests := []struct {
		name     string
		call     func() error
		resource string
		code     string
		field    string
		message  string
	}{
		{"issue body too long", create(&github.IssueRequest{Title: github.String("t"), Body: &over}),
			"Issue", "custom", "body", bodyTooLong},
		{"issue update body too long", func() error {
			return errOf(c.Issues.Edit(ctx(t), owner, repoName, 1, &github.IssueRequest{Body: &over}))
		}, "Issue", "custom", "body", bodyTooLong},
		{"missing title", create(&github.IssueRequest{Body: github.String("b")}), "Issue", "missing_field", "title", ""},
		{"title too long", create(&github.IssueRequest{Title: github.String(strings.Repeat("t", 257))}),
			"Issue", "custom", "title", "title is too long (maximum is 256 characters)"},
		{"comment body too long", func() error {
			return errOf(c.Issues.CreateComment(ctx(t), owner, repoName, 1, &github.IssueComment{Body: &over}))
		}, "IssueComment", "custom", "body", bodyTooLong},
		{"label already exists (case-insensitive)", func() error {
			return errOf(c.Issues.CreateLabel(ctx(t), owner, repoName, &github.Label{Name: github.String("inc-9")}))
		}, "Label", "already_exists", "name", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			er := errorResponse(t, tc.call())
			if er.Response.StatusCode != 422 || er.Message != "Validation Failed" || len(er.Errors) != 1 {
				t.Fatalf("got %d %q %v, want one 422 Validation Failed", er.Response.StatusCode, er.Message, er.Errors)
			}
			e := er.Errors[0]
			if e.Resource != tc.resource || e.Code != tc.code || e.Field != tc.field || e.Message != tc.message {
				t.Errorf("error = %+v, want %s/%s/%s %q", e, tc.resource, tc.code, tc.field, tc.message)
			}
		})
	}

	t.Run("body at the limit is accepted", func(t *testing.T) {
		is, _, err := c.Issues.Create(ctx(t), owner, repoName, &github.IssueRequest{Title: github.String("max"), Body: &limit})
		if err != nil || len([]rune(is.GetBody())) != githubfake.MaxBodyChars {
			t.Fatalf("create at limit: %v", err)
		}
	})

	t.Run("exact error body shape", func(t *testing.T) {
		body := fmt.Sprintf(`{"title":"t","body":%q}`, strings.Repeat("a", githubfake.MaxBodyChars+1))
		status, got := rawDo(t, f, "POST", "repos/acme/ops/issues", "Bearer "+testToken, body)
		want := `{"message":"Validation Failed","errors":[{"resource":"Issue","code":"custom","field":"body","message":"body is too long (maximum is 65536 characters)"}]}`
		if status != 422 || !sameJSONFields(t, got, want) {
			t.Errorf("got %d %s", status, got)
		}
	})

	if n := len(f.Issues(owner, repoName)); n != 2 {
		t.Errorf("stored %d issues, want 2 (the rejected ones must not be stored)", n)
	}
	if att, stored := f.IssueCreates(); att != 6 || stored != 2 {
		t.Errorf("IssueCreates = %d, %d; want 6 attempted, 2 stored", att, stored)
	}
}

// sameJSONFields reports whether every field of want appears in got with the
// same value (got may carry more, such as documentation_url).
func sameJSONFields(t *testing.T, got, want string) bool {
	t.Helper()
	var g, w map[string]any
	if err := json.Unmarshal([]byte(got), &g); err != nil {
		t.Fatalf("decode %s: %v", got, err)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatal(err)
	}
	for k, v := range w {
		if !reflect.DeepEqual(g[k], v) {
			return false
		}
	}
	return true
}

func rawDo(t *testing.T, f *githubfake.Server, method, path, auth, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx(t), method, f.URL()+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestLabels(t *testing.T) {
	f := newFake(t)
	c := newClient(t, f, 10*time.Second)

	l, resp, err := c.Issues.CreateLabel(ctx(t), owner, repoName, &github.Label{
		Name: github.String("firebreak:INC-7"), Color: github.String("B60205"), Description: github.String("incident key"),
	})
	if err != nil || resp.StatusCode != 201 {
		t.Fatalf("create label: %v %v", resp, err)
	}
	if l.GetName() != "firebreak:INC-7" || l.GetColor() != "b60205" || l.GetDescription() != "incident key" {
		t.Errorf("label = %+v", l)
	}
	createIssue(t, c, "auto", "", "auto-made")

	tests := []struct {
		name      string
		label     string
		wantName  string
		wantColor string
		status    int
	}{
		{"created explicitly", "firebreak:INC-7", "firebreak:INC-7", "b60205", 200},
		{"lookup is case-insensitive", "FIREBREAK:inc-7", "firebreak:INC-7", "b60205", 200},
		{"auto-created by an issue gets the default colour", "auto-made", "auto-made", "ededed", 200},
		{"missing", "nope", "", "", 404},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, _, err := c.Issues.GetLabel(ctx(t), owner, repoName, tc.label)
			if tc.status == 404 {
				if er := errorResponse(t, err); er.Response.StatusCode != 404 || er.Message != "Not Found" {
					t.Errorf("got %v, want 404 Not Found", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.GetName() != tc.wantName || got.GetColor() != tc.wantColor {
				t.Errorf("got %s/%s", got.GetName(), got.GetColor())
			}
		})
	}

	t.Run("escaped slash stays in one segment", func(t *testing.T) {
		if _, _, err := c.Issues.CreateLabel(ctx(t), owner, repoName, &github.Label{Name: github.String("team/sre")}); err != nil {
			t.Fatal(err)
		}
		status, body := rawDo(t, f, "GET", "repos/acme/ops/labels/team%2Fsre", "token "+testToken, "")
		if status != 200 || !strings.Contains(body, `"name":"team/sre"`) {
			t.Errorf("got %d %s", status, body)
		}
	})

	all, _, err := c.Issues.ListLabels(ctx(t), owner, repoName, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := labelNames(all); !reflect.DeepEqual(got, []string{"auto-made", "firebreak:INC-7", "team/sre"}) {
		t.Errorf("list = %v", got)
	}
	if len(f.Labels(owner, repoName)) != 3 {
		t.Errorf("Labels() = %v", f.Labels(owner, repoName))
	}
}

func TestSearch(t *testing.T) {
	clk := newClock()
	f := newFake(t, githubfake.WithClock(clk.Now), githubfake.WithSearchLag(time.Minute))
	f.AddRepo(owner, "other")
	c := newClient(t, f, 10*time.Second)

	createIssue(t, c, "Postmortem INC-1", "<!-- firebreak:INC-1 -->\nDatabase failover", "postmortem", "INC-1")
	clk.Add(time.Second)
	createIssue(t, c, "Postmortem INC-2", "Cache stampede", "postmortem", "INC-2")
	if _, _, err := c.Issues.Create(ctx(t), owner, "other", &github.IssueRequest{Title: github.String("elsewhere INC-1"), Labels: &[]string{"INC-1"}}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.Issues.CreateComment(ctx(t), owner, repoName, 2, &github.IssueComment{Body: github.String("see runbook-42")}); err != nil {
		t.Fatal(err)
	}

	search := func(t *testing.T, q string) []int {
		t.Helper()
		res, _, err := c.Search.Issues(ctx(t), q, nil)
		if err != nil {
			t.Fatalf("search %q: %v", q, err)
		}
		if res.GetTotal() != len(res.Issues) {
			t.Errorf("total %d, items %d", res.GetTotal(), len(res.Issues))
		}
		return numbers(res.Issues)
	}

	t.Run("lag hides new issues from search but not from list", func(t *testing.T) {
		if got := search(t, "repo:acme/ops is:issue label:INC-1"); len(got) != 0 {
			t.Errorf("searchable before the lag: %v", got)
		}
		list, _, err := c.Issues.ListByRepo(ctx(t), owner, repoName, &github.IssueListByRepoOptions{State: "all", Labels: []string{"INC-1"}})
		if err != nil || len(list) != 1 {
			t.Errorf("list is lagging: %v %v", numbers(list), err)
		}
	})

	clk.Add(time.Minute)
	tests := []struct {
		name string
		q    string
		want []int
	}{
		{"repo and label", "repo:acme/ops is:issue label:INC-1", []int{1}},
		{"label across repos", "label:INC-1", []int{1, 1}},
		{"two labels", "repo:acme/ops label:postmortem label:INC-2", []int{2}},
		{"plain term in body", "repo:acme/ops stampede", []int{2}},
		{"marker phrase in:body", `repo:acme/ops in:body "firebreak:INC-1"`, []int{1}},
		{"in:title excludes body", "repo:acme/ops in:title stampede", []int{}},
		{"comments are searched by default", "repo:acme/ops runbook-42", []int{2}},
		{"newest first", "repo:acme/ops label:postmortem", []int{2, 1}},
		{"pull requests do not exist", "repo:acme/ops is:pr", []int{}},
		{"closed filter", "repo:acme/ops is:closed", []int{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := search(t, tc.q); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("search %q = %v, want %v", tc.q, got, tc.want)
			}
		})
	}

	t.Run("FlushSearchIndex ends the lag", func(t *testing.T) {
		createIssue(t, c, "fresh", "brand-new-term")
		if got := search(t, "brand-new-term"); len(got) != 0 {
			t.Fatalf("found before flush: %v", got)
		}
		f.FlushSearchIndex()
		if got := search(t, "brand-new-term"); !reflect.DeepEqual(got, []int{3}) {
			t.Errorf("after flush: %v", got)
		}
	})

	t.Run("unknown repo is 422", func(t *testing.T) {
		_, _, err := c.Search.Issues(ctx(t), "repo:acme/missing x", nil)
		if er := errorResponse(t, err); er.Response.StatusCode != 422 {
			t.Errorf("got %v", err)
		}
	})
}

func TestUserRepoAndAuth(t *testing.T) {
	f := newFake(t)
	c := newClient(t, f, 10*time.Second)

	u, _, err := c.Users.Get(ctx(t), "")
	if err != nil || u.GetLogin() != githubfake.DefaultLogin {
		t.Fatalf("user = %v, %v", u, err)
	}
	r, _, err := c.Repositories.Get(ctx(t), owner, repoName)
	if err != nil || r.GetFullName() != "acme/ops" || r.GetName() != "ops" || r.GetOwner().GetLogin() != "acme" {
		t.Fatalf("repo = %v, %v", r, err)
	}

	notFound := []struct {
		name string
		call func() error
	}{
		{"repo", func() error { _, _, err := c.Repositories.Get(ctx(t), owner, "nope"); return err }},
		{"create issue", func() error {
			return errOf(c.Issues.Create(ctx(t), "nobody", "nope", &github.IssueRequest{Title: github.String("x")}))
		}},
		{"list issues", func() error { _, _, err := c.Issues.ListByRepo(ctx(t), owner, "nope", nil); return err }},
		{"labels", func() error { _, _, err := c.Issues.ListLabels(ctx(t), owner, "nope", nil); return err }},
	}
	for _, tc := range notFound {
		t.Run("unknown "+tc.name+" is 404", func(t *testing.T) {
			if er := errorResponse(t, tc.call()); er.Response.StatusCode != 404 || er.Message != "Not Found" {
				t.Errorf("got %d %q", er.Response.StatusCode, er.Message)
			}
		})
	}

	auth := []struct {
		name   string
		header string
		status int
	}{
		{"bearer", "Bearer " + testToken, 200},
		{"token scheme", "token " + testToken, 200},
		{"missing", "", 401},
		{"wrong token", "Bearer nope", 401},
		{"basic is not accepted", "Basic " + testToken, 401},
	}
	for _, tc := range auth {
		t.Run("auth "+tc.name, func(t *testing.T) {
			status, body := rawDo(t, f, "GET", "repos/acme/ops", tc.header, "")
			if status != tc.status {
				t.Fatalf("status %d, want %d", status, tc.status)
			}
			if tc.status == 401 && !sameJSONFields(t, body, `{"message":"Bad credentials"}`) {
				t.Errorf("body %s", body)
			}
		})
	}

	t.Run("go-github with a wrong token", func(t *testing.T) {
		before, _ := f.IssueCreates()
		bad := github.NewClient(nil).WithAuthToken("wrong")
		bad.BaseURL = c.BaseURL
		_, _, err := bad.Issues.Create(ctx(t), owner, repoName, &github.IssueRequest{Title: github.String("x")})
		if er := errorResponse(t, err); er.Response.StatusCode != 401 || er.Message != "Bad credentials" {
			t.Errorf("got %v", err)
		}
		if att, _ := f.IssueCreates(); att != before {
			t.Errorf("unauthenticated create counted as attempt: %d -> %d", before, att)
		}
	})
}

func TestRateLimitHeaders(t *testing.T) {
	f := newFake(t, githubfake.WithRateLimit(3))
	c := newClient(t, f, 10*time.Second)
	for i := 1; i <= 3; i++ {
		_, resp, err := c.Repositories.Get(ctx(t), owner, repoName)
		if err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
		if resp.Rate.Limit != 3 || resp.Rate.Remaining != 3-i || resp.Rate.Reset.IsZero() {
			t.Errorf("request %d: rate %+v", i, resp.Rate)
		}
		if resp.Header.Get("X-RateLimit-Used") != fmt.Sprint(i) {
			t.Errorf("X-RateLimit-Used = %q", resp.Header.Get("X-RateLimit-Used"))
		}
	}
	// The client now knows remaining is 0 and refuses locally; a fresh client
	// reaches the fake and gets GitHub's 403.
	fresh := newClient(t, f, 10*time.Second)
	_, _, err := fresh.Repositories.Get(ctx(t), owner, repoName)
	var rl *github.RateLimitError
	if !errors.As(err, &rl) || rl.Rate.Remaining != 0 || rl.Response.StatusCode != 403 {
		t.Fatalf("got %T %v, want *github.RateLimitError", err, err)
	}
}

func TestSubscribe(t *testing.T) {
	f := newFake(t)
	c := newClient(t, f, 10*time.Second)

	ch, cancel := f.Subscribe()
	idle, cancelIdle := f.Subscribe() // never read: must not block the server
	defer cancelIdle()
	_ = idle

	for i := 0; i < 20; i++ {
		createIssue(t, c, fmt.Sprintf("n%d", i), "")
	}
	select {
	case _, ok := <-ch:
		if !ok {
			t.Fatal("channel closed early")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no notification")
	}
	cancel()
	cancel()       // idempotent
	for range ch { // drain: cancel closes the channel
	}

	late, _ := f.Subscribe()
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	for range late { // Close closes every subscription
	}
	afterClose, cancelAfter := f.Subscribe()
	if _, ok := <-afterClose; ok {
		t.Error("subscription after Close is open")
	}
	cancelAfter()
}

func TestConcurrentCreates(t *testing.T) {
	f := newFake(t)
	c := newClient(t, f, 10*time.Second)
	const n = 25
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _, err := c.Issues.Create(ctx(t), owner, repoName, &github.IssueRequest{
				Title: github.String(fmt.Sprintf("c%d", i)), Labels: &[]string{"shared", fmt.Sprintf("k%d", i%3)},
			})
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	issues := f.Issues(owner, repoName)
	for i, is := range issues {
		if is.Number != i+1 {
			t.Fatalf("issue %d has number %d", i, is.Number)
		}
	}
	if len(issues) != n || len(f.Labels(owner, repoName)) != 4 {
		t.Errorf("%d issues, labels %v", len(issues), f.Labels(owner, repoName))
	}
	if got := len(f.Requests()); got != n {
		t.Errorf("request log has %d entries, want %d", got, n)
	}
}

// errOf is the error of a go-github call, for tables of calls that must fail.
func errOf[T any](_ T, _ *github.Response, err error) error { return err }
