package githubfake

import (
	"net/http"
	"sort"
	"strings"
	"time"
)

// searchQuery is the parsed q of GET /search/issues. Supported: repo:o/r
// (repeatable, any of), label:x (repeatable, all of), is:issue|pr|open|closed,
// state:open|closed, type:issue|pr, author:login, in:title|body|comments
// (where plain terms are looked for; default all three), and plain terms or
// "quoted phrases", all of which must occur (case-insensitive substring).
// Any other qualifier is treated as a plain term.
type searchQuery struct {
	repos  []string
	labels []string
	state  string
	author string
	pr     bool
	in     map[string]bool
	terms  []string
}

func tokenize(q string) []string {
	var out []string
	var cur strings.Builder
	quoted := false
	for _, r := range q {
		switch {
		case r == '"':
			quoted = !quoted
		case !quoted && (r == ' ' || r == '\t' || r == '\n'):
			if cur.Len() > 0 {
				out = append(out, cur.String())
				cur.Reset()
			}
		default:
			cur.WriteRune(r)
		}
	}
	if cur.Len() > 0 {
		out = append(out, cur.String())
	}
	return out
}

func parseSearch(q string) searchQuery {
	sq := searchQuery{in: map[string]bool{}}
	for _, tok := range tokenize(q) {
		key, val, ok := strings.Cut(tok, ":")
		if !ok || val == "" {
			sq.terms = append(sq.terms, strings.ToLower(tok))
			continue
		}
		switch strings.ToLower(key) {
		case "repo":
			sq.repos = append(sq.repos, strings.ToLower(val))
		case "label":
			sq.labels = append(sq.labels, val)
		case "author":
			sq.author = val
		case "state":
			sq.state = strings.ToLower(val)
		case "type", "is":
			switch strings.ToLower(val) {
			case "pr", "pull-request":
				sq.pr = true
			case "open", "closed":
				sq.state = strings.ToLower(val)
			}
		case "in":
			for _, f := range strings.Split(strings.ToLower(val), ",") {
				sq.in[f] = true
			}
		default:
			sq.terms = append(sq.terms, strings.ToLower(tok))
		}
	}
	if len(sq.in) == 0 {
		sq.in = map[string]bool{"title": true, "body": true, "comments": true}
	}
	return sq
}

func (sq *searchQuery) match(is *issue) bool {
	if sq.pr {
		return false // the fake has no pull requests
	}
	if sq.state != "" && is.State != sq.state {
		return false
	}
	if sq.author != "" && !strings.EqualFold(sq.author, is.User) {
		return false
	}
	if !hasAllLabels(is.Labels, sq.labels) {
		return false
	}
	for _, t := range sq.terms {
		found := sq.in["title"] && strings.Contains(strings.ToLower(is.Title), t) ||
			sq.in["body"] && strings.Contains(strings.ToLower(is.Body), t)
		if !found && sq.in["comments"] {
			for _, c := range is.comments {
				if strings.Contains(strings.ToLower(c.Body), t) {
					found = true
					break
				}
			}
		}
		if !found {
			return false
		}
	}
	return true
}

type searchHit struct {
	rp *repo
	is *issue
}

// searchIssues serves GET /search/issues. Issues created less than the
// configured search lag ago are not found yet, as on GitHub, whose index
// trails writes; the list endpoint has no such lag.
func (s *Server) searchIssues(rs *response, r *http.Request, now time.Time) {
	q := r.URL.Query()
	if strings.TrimSpace(q.Get("q")) == "" {
		rs.validation(fieldError{Resource: "Search", Code: "missing", Field: "q"})
		return
	}
	sq := parseSearch(q.Get("q"))

	s.mu.Lock()
	defer s.mu.Unlock()
	var repos []*repo
	if len(sq.repos) == 0 {
		for _, k := range s.order {
			repos = append(repos, s.repos[k])
		}
	}
	for _, name := range sq.repos {
		rp, ok := s.repos[name]
		if !ok {
			rs.json(http.StatusUnprocessableEntity, map[string]any{
				"message": "Validation Failed",
				"errors": []map[string]any{{
					"message":  "The listed users and repositories cannot be searched either because the resources do not exist or you do not have permission to view them.",
					"resource": "Search", "field": "q", "code": "invalid",
				}},
				"documentation_url": docsURL,
			})
			return
		}
		repos = append(repos, rp)
	}
	var hits []searchHit
	for _, rp := range repos {
		for _, is := range rp.issues {
			if now.Before(is.searchableAt) || !sq.match(is) {
				continue
			}
			hits = append(hits, searchHit{rp, is})
		}
	}
	// "Best match" has no meaning here; newest first unless sort says otherwise.
	by, asc := q.Get("sort"), q.Get("order") == "asc"
	sort.SliceStable(hits, func(a, b int) bool {
		x, y := hits[a].is, hits[b].is
		var kx, ky int64
		switch by {
		case "updated":
			kx, ky = x.UpdatedAt.UnixNano(), y.UpdatedAt.UnixNano()
		case "comments":
			kx, ky = int64(x.Comments), int64(y.Comments)
		default:
			kx, ky = x.CreatedAt.UnixNano(), y.CreatedAt.UnixNano()
		}
		if kx == ky {
			kx, ky = x.ID, y.ID
		}
		if asc {
			return kx < ky
		}
		return kx > ky
	})
	lo, hi := s.paginate(rs, r, len(hits))
	items := make([]map[string]any, 0, hi-lo)
	for _, h := range hits[lo:hi] {
		m := s.issueJSON(h.rp, h.is)
		m["score"] = 1.0
		items = append(items, m)
	}
	rs.json(http.StatusOK, map[string]any{
		"total_count":        len(hits),
		"incomplete_results": false,
		"items":              items,
	})
}
