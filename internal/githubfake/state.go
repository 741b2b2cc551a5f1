package githubfake

import (
	"sort"
	"strings"
	"time"
)

// Issue is a copy of a stored issue.
type Issue struct {
	ID        int64
	Number    int
	Title     string
	Body      string
	State     string // "open" or "closed"
	Labels    []string
	Assignees []string
	User      string
	Comments  int
	CreatedAt time.Time
	UpdatedAt time.Time
	ClosedAt  time.Time // zero while open
}

// Comment is a copy of a stored issue comment.
type Comment struct {
	ID        int64
	Body      string
	User      string
	CreatedAt time.Time
}

// Label is a copy of a repository label.
type Label struct {
	ID          int64
	Name        string
	Color       string
	Description string
}

// Request is one entry of the request log.
type Request struct {
	Time   time.Time
	Method string
	Path   string // unescaped, without the query
	Query  string // raw query
	// Status is the status sent; for a timeout or drop fault, which sends
	// nothing, it is the status of the operation performed but never
	// delivered (e.g. 201).
	Status int
	Fault  FaultKind // FaultNone unless an injected fault applied
}

type repo struct {
	id          int64
	owner, name string
	created     time.Time
	issues      []*issue // by number-1
	labels      map[string]*label
	labelOrder  []string // lower-cased names in creation order
}

type issue struct {
	Issue
	comments     []Comment
	searchableAt time.Time
	stateReason  string
}

type label struct{ Label }

func (i *issue) snapshot() Issue {
	c := i.Issue
	c.Labels = append([]string(nil), i.Labels...)
	c.Assignees = append([]string(nil), i.Assignees...)
	return c
}

func (r *repo) fullName() string { return r.owner + "/" + r.name }

// labelsFor returns the labels named, creating missing ones with GitHub's
// default colour, de-duplicated case-insensitively, in the given order.
func (s *Server) labelsForLocked(r *repo, names []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, n := range names {
		n = strings.TrimSpace(n)
		if n == "" {
			continue
		}
		k := strings.ToLower(n)
		if seen[k] {
			continue
		}
		seen[k] = true
		l, ok := r.labels[k]
		if !ok {
			l = s.addLabelLocked(r, n, "ededed", "")
		}
		out = append(out, l.Name)
	}
	return out
}

func (s *Server) addLabelLocked(r *repo, name, color, desc string) *label {
	s.nextID++
	l := &label{Label{ID: s.nextID, Name: name, Color: color, Description: desc}}
	k := strings.ToLower(name)
	r.labels[k] = l
	r.labelOrder = append(r.labelOrder, k)
	return l
}

func (s *Server) repoLocked(owner, name string) *repo { return s.repos[repoKey(owner, name)] }

// Issues returns copies of a repository's issues ordered by number, or nil if
// the repository does not exist.
func (s *Server) Issues(owner, name string) []Issue {
	return readRepo(s, owner, name, func(r *repo) []Issue {
		out := make([]Issue, 0, len(r.issues))
		for _, i := range r.issues {
			out = append(out, i.snapshot())
		}
		return out
	})
}

// readRepo is what read makes of repository owner/name under the lock; the zero T when
// there is no such repository.
func readRepo[T any](s *Server, owner, name string, read func(r *repo) T) T {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r := s.repoLocked(owner, name); r != nil {
		return read(r)
	}
	var none T
	return none
}

// issueLocked is issue number of owner/repo, or nil.
func (s *Server) issueLocked(owner, repo string, number int) *issue {
	r := s.repoLocked(owner, repo)
	if r == nil || number < 1 || number > len(r.issues) {
		return nil
	}
	return r.issues[number-1]
}

// Issue returns a copy of one issue.
func (s *Server) Issue(owner, repo string, number int) (Issue, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if is := s.issueLocked(owner, repo, number); is != nil {
		return is.snapshot(), true
	}
	return Issue{}, false
}

// Comments returns copies of an issue's comments, oldest first.
func (s *Server) Comments(owner, repo string, number int) []Comment {
	s.mu.Lock()
	defer s.mu.Unlock()
	if is := s.issueLocked(owner, repo, number); is != nil {
		return append([]Comment(nil), is.comments...)
	}
	return nil
}

// Labels returns copies of a repository's labels sorted by name, as GitHub
// lists them.
func (s *Server) Labels(owner, name string) []Label {
	return readRepo(s, owner, name, sortedLabels)
}

func sortedLabels(r *repo) []Label {
	out := make([]Label, 0, len(r.labels))
	for _, l := range r.labels {
		out = append(out, l.Label)
	}
	sort.Slice(out, func(a, b int) bool { return strings.ToLower(out[a].Name) < strings.ToLower(out[b].Name) })
	return out
}

// Requests returns a copy of the request log, oldest first (the most recent
// 10,000 requests are kept).
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// IssueCreates reports how many issue creations were attempted (authenticated
// POST /repos/{o}/{r}/issues requests, including those an injected fault
// rejected or that failed validation) and how many issues were stored. After
// a timeout fault the two agree although the client saw an error; after a
// 5xx fault without AfterWrite they differ.
func (s *Server) IssueCreates() (attempted, stored int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.attempts, s.created
}

// FlushSearchIndex makes every existing issue searchable at once, ending the
// lag set by WithSearchLag for issues created so far.
func (s *Server) FlushSearchIndex() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range s.repos {
		for _, i := range r.issues {
			i.searchableAt = time.Time{}
		}
	}
	s.notifyLocked()
}

func (s *Server) logLocked(req Request) {
	if len(s.requests) >= requestLogLimit {
		n := copy(s.requests, s.requests[len(s.requests)-requestLogLimit+1:])
		s.requests = s.requests[:n]
	}
	s.requests = append(s.requests, req)
	s.notifyLocked()
}

// SetIssueState closes ("closed") or reopens ("open") an issue as a person
// does on GitHub's website: the change is not an API request, so it is
// not logged and uses no rate limit. Closing sets closed_at and
// state_reason "completed"; reopening clears closed_at and sets
// state_reason "reopened", as the REST API reports them.
// https://docs.github.com/en/rest/issues/issues#update-an-issue
func (s *Server) SetIssueState(owner, repo string, number int, state string) bool {
	if state != "open" && state != "closed" {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	is := s.issueLocked(owner, repo, number)
	if is == nil {
		return false
	}
	if is.State == state {
		return true
	}
	now := s.cfg.now().UTC()
	is.State, is.UpdatedAt = state, now
	if state == "closed" {
		is.ClosedAt, is.stateReason = now, "completed"
	} else {
		is.ClosedAt, is.stateReason = time.Time{}, "reopened"
	}
	s.notifyLocked()
	return true
}
