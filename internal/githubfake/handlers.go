package githubfake

import (
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

func (s *Server) route(rs *response, r *http.Request, segs []string, body []byte, now time.Time) {
	m := r.Method
	switch {
	case len(segs) == 1 && segs[0] == "user" && m == http.MethodGet:
		s.getUser(rs)
		return
	case len(segs) == 2 && segs[0] == "search" && segs[1] == "issues" && m == http.MethodGet:
		s.searchIssues(rs, r, now)
		return
	case len(segs) < 3 || segs[0] != "repos":
		rs.notFound()
		return
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	rp := s.repoLocked(segs[1], segs[2])
	if rp == nil {
		rs.notFound()
		return
	}
	rest := segs[3:]
	switch {
	case len(rest) == 0 && m == http.MethodGet:
		rs.json(http.StatusOK, s.repoJSON(rp))
	case len(rest) == 1 && rest[0] == "issues" && m == http.MethodGet:
		s.listIssuesLocked(rs, r, rp)
	case len(rest) == 1 && rest[0] == "issues" && m == http.MethodPost:
		s.createIssueLocked(rs, rp, body, now)
	case len(rest) == 2 && rest[0] == "issues" && (m == http.MethodGet || m == http.MethodPatch):
		is := issueByNumber(rp, rest[1])
		if is == nil {
			rs.notFound()
			return
		}
		if m == http.MethodGet {
			rs.json(http.StatusOK, s.issueJSON(rp, is))
			return
		}
		s.updateIssueLocked(rs, rp, is, body, now)
	case len(rest) == 3 && rest[0] == "issues" && rest[2] == "comments" && (m == http.MethodGet || m == http.MethodPost):
		is := issueByNumber(rp, rest[1])
		if is == nil {
			rs.notFound()
			return
		}
		if m == http.MethodGet {
			lo, hi := s.paginate(rs, r, len(is.comments))
			out := make([]map[string]any, 0, hi-lo)
			for _, c := range is.comments[lo:hi] {
				out = append(out, s.commentJSON(rp, is, c))
			}
			rs.json(http.StatusOK, out)
			return
		}
		s.createCommentLocked(rs, rp, is, body, now)
	case len(rest) == 1 && rest[0] == "labels" && m == http.MethodGet:
		ls := sortedLabels(rp)
		lo, hi := s.paginate(rs, r, len(ls))
		out := make([]map[string]any, 0, hi-lo)
		for _, l := range ls[lo:hi] {
			out = append(out, s.labelJSON(rp, l))
		}
		rs.json(http.StatusOK, out)
	case len(rest) == 1 && rest[0] == "labels" && m == http.MethodPost:
		s.createLabelLocked(rs, rp, body)
	case len(rest) == 2 && rest[0] == "labels" && m == http.MethodGet:
		l, ok := rp.labels[strings.ToLower(rest[1])]
		if !ok {
			rs.notFound()
			return
		}
		rs.json(http.StatusOK, s.labelJSON(rp, l.Label))
	default:
		rs.notFound()
	}
}

func issueByNumber(rp *repo, seg string) *issue {
	n, err := strconv.Atoi(seg)
	if err != nil || n < 1 || n > len(rp.issues) {
		return nil
	}
	return rp.issues[n-1]
}

func (s *Server) getUser(rs *response) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.userJSON(s.cfg.login)
	u["name"] = s.cfg.login
	rs.json(http.StatusOK, u)
}

// issueReq accepts what GitHub accepts for create and update; pointers tell
// "absent" from "empty".
type issueReq struct {
	Title       *string            `json:"title"`
	Body        *string            `json:"body"`
	State       *string            `json:"state"`
	StateReason *string            `json:"state_reason"`
	Labels      *[]json.RawMessage `json:"labels"`
	Assignees   *[]string          `json:"assignees"`
	Assignee    *string            `json:"assignee"`
}

// labelNames accepts labels given as names or as {"name": ...} objects.
func labelNames(raw []json.RawMessage) ([]string, bool) {
	out := make([]string, 0, len(raw))
	for _, r := range raw {
		var n string
		if err := json.Unmarshal(r, &n); err == nil {
			out = append(out, n)
			continue
		}
		var o struct {
			Name string `json:"name"`
		}
		if err := json.Unmarshal(r, &o); err != nil {
			return nil, false
		}
		out = append(out, o.Name)
	}
	return out, true
}

func tooLong(field, resource string, max int) fieldError {
	return fieldError{Resource: resource, Code: "custom", Field: field,
		Message: field + " is too long (maximum is " + strconv.Itoa(max) + " characters)"}
}

func (s *Server) validateIssueReq(rs *response, req *issueReq, create bool) bool {
	var errs []fieldError
	if create && (req.Title == nil || strings.TrimSpace(*req.Title) == "") ||
		!create && req.Title != nil && strings.TrimSpace(*req.Title) == "" {
		errs = append(errs, fieldError{Resource: "Issue", Code: "missing_field", Field: "title"})
	} else if req.Title != nil && utf8.RuneCountInString(*req.Title) > MaxTitleChars {
		errs = append(errs, tooLong("title", "Issue", MaxTitleChars))
	}
	if req.Body != nil && utf8.RuneCountInString(*req.Body) > MaxBodyChars {
		errs = append(errs, tooLong("body", "Issue", MaxBodyChars))
	}
	if !create && req.State != nil && *req.State != "open" && *req.State != "closed" {
		errs = append(errs, fieldError{Resource: "Issue", Code: "invalid", Field: "state"})
	}
	if req.StateReason != nil {
		switch *req.StateReason {
		case "completed", "not_planned", "reopened":
		default:
			errs = append(errs, fieldError{Resource: "Issue", Code: "invalid", Field: "state_reason"})
		}
	}
	if len(errs) > 0 {
		rs.validation(errs...)
		return false
	}
	return true
}

func (s *Server) createIssueLocked(rs *response, rp *repo, body []byte, now time.Time) {
	req, labels, ok := decodeIssueReq(rs, body)
	if !ok {
		return
	}
	if !s.validateIssueReq(rs, &req, true) {
		return
	}
	s.nextID++
	is := &issue{Issue: Issue{
		ID:        s.nextID,
		Number:    len(rp.issues) + 1,
		Title:     *req.Title,
		State:     "open",
		User:      s.cfg.login,
		CreatedAt: now,
		UpdatedAt: now,
	}, searchableAt: now.Add(s.cfg.searchLag)}
	if req.Body != nil {
		is.Body = *req.Body
	}
	is.Labels = s.labelsForLocked(rp, labels)
	is.Assignees = assignees(req)
	rp.issues = append(rp.issues, is)
	s.created++
	s.notifyLocked()
	rs.header.Set("Location", s.base+"repos/"+rp.fullName()+"/issues/"+strconv.Itoa(is.Number))
	rs.json(http.StatusCreated, s.issueJSON(rp, is))
}

// decodeIssueReq reads an issue create or update body; on bad JSON it
// answers 400 and returns false.
func decodeIssueReq(rs *response, body []byte) (issueReq, []string, bool) {
	var req issueReq
	if err := decode(body, &req); err != nil {
		rs.badJSON()
		return req, nil, false
	}
	var labels []string
	if req.Labels != nil {
		var ok bool
		if labels, ok = labelNames(*req.Labels); !ok {
			rs.badJSON()
			return req, nil, false
		}
	}
	return req, labels, true
}

func assignees(req issueReq) []string {
	var out []string
	if req.Assignee != nil && *req.Assignee != "" {
		out = append(out, *req.Assignee)
	}
	if req.Assignees != nil {
		for _, a := range *req.Assignees {
			if a != "" && !containsFold(out, a) {
				out = append(out, a)
			}
		}
	}
	return out
}

func (s *Server) updateIssueLocked(rs *response, rp *repo, is *issue, body []byte, now time.Time) {
	req, labels, ok := decodeIssueReq(rs, body)
	if !ok {
		return
	}
	if !s.validateIssueReq(rs, &req, false) {
		return
	}
	if req.Title != nil {
		is.Title = *req.Title
	}
	if req.Body != nil {
		is.Body = *req.Body
	}
	if req.Labels != nil {
		is.Labels = s.labelsForLocked(rp, labels)
	}
	if req.Assignees != nil || req.Assignee != nil {
		is.Assignees = assignees(req)
	}
	if req.State != nil && *req.State != is.State {
		is.State = *req.State
		if is.State == "closed" {
			is.ClosedAt = now
			is.stateReason = "completed"
		} else {
			is.ClosedAt = time.Time{}
			is.stateReason = "reopened"
		}
	}
	if req.StateReason != nil {
		is.stateReason = *req.StateReason
	}
	is.UpdatedAt = now
	s.notifyLocked()
	rs.json(http.StatusOK, s.issueJSON(rp, is))
}

func (s *Server) createCommentLocked(rs *response, rp *repo, is *issue, body []byte, now time.Time) {
	var req struct {
		Body *string `json:"body"`
	}
	if err := decode(body, &req); err != nil {
		rs.badJSON()
		return
	}
	switch {
	case req.Body == nil || strings.TrimSpace(*req.Body) == "":
		rs.validation(fieldError{Resource: "IssueComment", Code: "missing_field", Field: "body"})
		return
	case utf8.RuneCountInString(*req.Body) > MaxBodyChars:
		rs.validation(tooLong("body", "IssueComment", MaxBodyChars))
		return
	}
	s.nextID++
	c := Comment{ID: s.nextID, Body: *req.Body, User: s.cfg.login, CreatedAt: now}
	is.comments = append(is.comments, c)
	is.Comments = len(is.comments)
	is.UpdatedAt = now
	s.notifyLocked()
	rs.json(http.StatusCreated, s.commentJSON(rp, is, c))
}

var hexColor = regexp.MustCompile(`^[0-9a-fA-F]{6}$`)

func (s *Server) createLabelLocked(rs *response, rp *repo, body []byte) {
	var req struct {
		Name        *string `json:"name"`
		Color       *string `json:"color"`
		Description *string `json:"description"`
	}
	if err := decode(body, &req); err != nil {
		rs.badJSON()
		return
	}
	if req.Name == nil || strings.TrimSpace(*req.Name) == "" {
		rs.validation(fieldError{Resource: "Label", Code: "missing_field", Field: "name"})
		return
	}
	name := strings.TrimSpace(*req.Name)
	color := "ededed"
	if req.Color != nil {
		color = strings.TrimPrefix(*req.Color, "#")
		if !hexColor.MatchString(color) {
			rs.validation(fieldError{Resource: "Label", Code: "invalid", Field: "color"})
			return
		}
	}
	if _, ok := rp.labels[strings.ToLower(name)]; ok {
		rs.validation(fieldError{Resource: "Label", Code: "already_exists", Field: "name"})
		return
	}
	desc := ""
	if req.Description != nil {
		desc = *req.Description
	}
	l := s.addLabelLocked(rp, name, strings.ToLower(color), desc)
	s.notifyLocked()
	rs.json(http.StatusCreated, s.labelJSON(rp, l.Label))
}

// listIssuesLocked implements GET /repos/{o}/{r}/issues: state, labels (all
// must match, case-insensitively), creator, assignee, sort, direction and
// pagination. It is immediately consistent, unlike search.
func (s *Server) listIssuesLocked(rs *response, r *http.Request, rp *repo) {
	q := r.URL.Query()
	state := q.Get("state")
	if state == "" {
		state = "open"
	}
	if state != "open" && state != "closed" && state != "all" {
		rs.validation(fieldError{Resource: "Issue", Code: "invalid", Field: "state"})
		return
	}
	var want []string
	for _, l := range strings.Split(q.Get("labels"), ",") {
		if l = strings.TrimSpace(l); l != "" {
			want = append(want, l)
		}
	}
	creator, assignee := q.Get("creator"), q.Get("assignee")
	var out []*issue
	for _, is := range rp.issues {
		if state != "all" && is.State != state {
			continue
		}
		if !hasAllLabels(is.Labels, want) {
			continue
		}
		if creator != "" && !strings.EqualFold(creator, is.User) {
			continue
		}
		switch assignee {
		case "":
		case "none":
			if len(is.Assignees) > 0 {
				continue
			}
		case "*":
			if len(is.Assignees) == 0 {
				continue
			}
		default:
			if !containsFold(is.Assignees, assignee) {
				continue
			}
		}
		out = append(out, is)
	}
	sortIssues(out, q.Get("sort"), q.Get("direction"))
	lo, hi := s.paginate(rs, r, len(out))
	items := make([]map[string]any, 0, hi-lo)
	for _, is := range out[lo:hi] {
		items = append(items, s.issueJSON(rp, is))
	}
	rs.json(http.StatusOK, items)
}

func sortIssues(list []*issue, by, dir string) {
	key := func(i *issue) int64 {
		switch by {
		case "updated":
			return i.UpdatedAt.UnixNano()
		case "comments":
			return int64(i.Comments)
		}
		return i.CreatedAt.UnixNano()
	}
	asc := dir == "asc"
	sort.SliceStable(list, func(a, b int) bool {
		ka, kb := key(list[a]), key(list[b])
		if ka == kb { // ties (same second, same count) fall back to the id
			ka, kb = list[a].ID, list[b].ID
		}
		if asc {
			return ka < kb
		}
		return ka > kb
	})
}

func hasAllLabels(have, want []string) bool {
	for _, w := range want {
		if !containsFold(have, w) {
			return false
		}
	}
	return true
}

func containsFold(list []string, s string) bool {
	return slices.ContainsFunc(list, func(x string) bool { return strings.EqualFold(x, s) })
}

// JSON shapes follow GitHub's REST responses, trimmed to what clients read.

func ts(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Format(time.RFC3339)
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func (s *Server) htmlBase() string { return strings.TrimSuffix(s.base, "/") }

func (s *Server) userJSON(login string) map[string]any {
	var id int64 = 1
	if !strings.EqualFold(login, s.cfg.login) {
		// A stable id for other users: enough for clients that only read it.
		for _, c := range strings.ToLower(login) {
			id = id*31 + int64(c)
		}
		if id < 0 {
			id = -id
		}
		id = id%1_000_000 + 2
	}
	return map[string]any{
		"login":      login,
		"id":         id,
		"node_id":    "U_" + strconv.FormatInt(id, 10),
		"type":       "User",
		"site_admin": false,
		"url":        s.base + "users/" + url.PathEscape(login),
		"html_url":   s.htmlBase() + "/" + url.PathEscape(login),
	}
}

func (s *Server) repoJSON(rp *repo) map[string]any {
	open := 0
	for _, is := range rp.issues {
		if is.State == "open" {
			open++
		}
	}
	owner := s.userJSON(rp.owner)
	owner["type"] = "Organization"
	return map[string]any{
		"id":                rp.id,
		"node_id":           "R_" + strconv.FormatInt(rp.id, 10),
		"name":              rp.name,
		"full_name":         rp.fullName(),
		"owner":             owner,
		"private":           true,
		"visibility":        "private",
		"html_url":          s.htmlBase() + "/" + rp.fullName(),
		"url":               s.base + "repos/" + rp.fullName(),
		"issues_url":        s.base + "repos/" + rp.fullName() + "/issues{/number}",
		"labels_url":        s.base + "repos/" + rp.fullName() + "/labels{/name}",
		"default_branch":    "main",
		"has_issues":        true,
		"open_issues_count": open,
		"open_issues":       open,
		"created_at":        ts(rp.created),
		"updated_at":        ts(rp.created),
		"permissions":       map[string]bool{"admin": false, "maintain": false, "push": true, "triage": true, "pull": true},
	}
}

func (s *Server) labelJSON(rp *repo, l Label) map[string]any {
	return map[string]any{
		"id":          l.ID,
		"node_id":     "LA_" + strconv.FormatInt(l.ID, 10),
		"url":         s.base + "repos/" + rp.fullName() + "/labels/" + url.PathEscape(l.Name),
		"name":        l.Name,
		"color":       l.Color,
		"default":     false,
		"description": nullable(l.Description),
	}
}

func (s *Server) issueJSON(rp *repo, is *issue) map[string]any {
	api := s.base + "repos/" + rp.fullName() + "/issues/" + strconv.Itoa(is.Number)
	labels := make([]map[string]any, 0, len(is.Labels))
	for _, n := range is.Labels {
		if l, ok := rp.labels[strings.ToLower(n)]; ok {
			labels = append(labels, s.labelJSON(rp, l.Label))
		}
	}
	assignees := make([]map[string]any, 0, len(is.Assignees))
	for _, a := range is.Assignees {
		assignees = append(assignees, s.userJSON(a))
	}
	var assignee any
	if len(assignees) > 0 {
		assignee = assignees[0]
	}
	return map[string]any{
		"id":                 is.ID,
		"node_id":            "I_" + strconv.FormatInt(is.ID, 10),
		"number":             is.Number,
		"title":              is.Title,
		"body":               nullable(is.Body),
		"state":              is.State,
		"state_reason":       nullable(is.stateReason),
		"locked":             false,
		"labels":             labels,
		"assignee":           assignee,
		"assignees":          assignees,
		"user":               s.userJSON(is.User),
		"comments":           is.Comments,
		"created_at":         ts(is.CreatedAt),
		"updated_at":         ts(is.UpdatedAt),
		"closed_at":          ts(is.ClosedAt),
		"author_association": "OWNER",
		"url":                api,
		"html_url":           s.htmlBase() + "/" + rp.fullName() + "/issues/" + strconv.Itoa(is.Number),
		"repository_url":     s.base + "repos/" + rp.fullName(),
		"labels_url":         api + "/labels{/name}",
		"comments_url":       api + "/comments",
		"events_url":         api + "/events",
	}
}

func (s *Server) commentJSON(rp *repo, is *issue, c Comment) map[string]any {
	id := strconv.FormatInt(c.ID, 10)
	return map[string]any{
		"id":                 c.ID,
		"node_id":            "IC_" + id,
		"body":               c.Body,
		"user":               s.userJSON(c.User),
		"created_at":         ts(c.CreatedAt),
		"updated_at":         ts(c.CreatedAt),
		"author_association": "OWNER",
		"url":                s.base + "repos/" + rp.fullName() + "/issues/comments/" + id,
		"html_url":           s.htmlBase() + "/" + rp.fullName() + "/issues/" + strconv.Itoa(is.Number) + "#issuecomment-" + id,
		"issue_url":          s.base + "repos/" + rp.fullName() + "/issues/" + strconv.Itoa(is.Number),
	}
}
