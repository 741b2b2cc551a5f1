package githubfake

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

const (
	docsURL            = "https://docs.github.com/rest"
	rateLimitDocsURL   = "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-primary-rate-limits"
	secondaryDocsURL   = "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits"
	maxRequestBodySize = 10 << 20
	// MaxBodyChars is GitHub's limit on issue and comment bodies, in characters.
	MaxBodyChars = 65536
	// MaxTitleChars is the issue title limit the fake enforces (GitHub's is
	// believed to be 256; unverified).
	MaxTitleChars = 256
)

// response collects what a handler wants to send so that a fault can still
// replace or withhold it after the operation has been performed.
type response struct {
	header http.Header
	status int
	body   []byte
}

func (rs *response) json(status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"message":"Server Error"}`)
	}
	rs.header.Set("Content-Type", "application/json; charset=utf-8")
	rs.status = status
	rs.body = b
}

func (rs *response) message(status int, msg, doc string) {
	rs.json(status, map[string]any{"message": msg, "documentation_url": doc})
}

func (rs *response) notFound() { rs.message(http.StatusNotFound, "Not Found", docsURL) }

// fieldError is one entry of GitHub's "Validation Failed" errors array.
type fieldError struct {
	Resource string `json:"resource"`
	Code     string `json:"code"`
	Field    string `json:"field"`
	Message  string `json:"message,omitempty"`
}

func (rs *response) validation(errs ...fieldError) {
	rs.json(http.StatusUnprocessableEntity, map[string]any{
		"message":           "Validation Failed",
		"errors":            errs,
		"documentation_url": docsURL,
	})
}

// ServeHTTP serves the fake API. It is exported so the fake can also be
// mounted elsewhere, but the usual entry point is New.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	select {
	case <-s.closed:
		s.mu.Unlock()
		abort(w)
		return
	default:
	}
	s.handlers.Add(1)
	s.mu.Unlock()
	defer s.handlers.Done()

	now := s.cfg.now().UTC()
	segs, ok := pathSegments(r.URL.EscapedPath())
	entry := Request{Time: now, Method: r.Method, Path: "/" + strings.Join(segs, "/"), Query: r.URL.RawQuery}
	rs := &response{header: http.Header{}}

	// Reading the whole body up front also lets net/http notice a client
	// that hangs up while a timeout fault holds the request.
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxRequestBodySize))

	if !s.authorized(r) {
		rs.message(http.StatusUnauthorized, "Bad credentials", docsURL)
		s.finish(w, rs, entry)
		return
	}

	s.mu.Lock()
	limited := s.rateHeadersLocked(rs.header, now, segs)
	if isCreateIssue(r.Method, segs) {
		s.attempts++
	}
	var fault Fault
	var faulted bool
	if !limited {
		fault, faulted = s.takeFaultLocked(r.Method, segs)
	}
	s.mu.Unlock()

	switch {
	case limited:
		primaryRateLimit(rs, "API rate limit exceeded for user ID 1.")
		s.finish(w, rs, entry)
		return
	case faulted && beforeWrite(fault):
		entry.Fault = fault.Kind
		s.writeFault(rs, fault, now)
		s.finish(w, rs, entry)
		return
	}

	switch {
	case !ok:
		rs.notFound()
	case err != nil:
		rs.message(http.StatusRequestEntityTooLarge, "Payload too big", docsURL)
	default:
		s.route(rs, r, segs, body, now)
		s.conditional(rs, r)
	}

	if !faulted {
		s.finish(w, rs, entry)
		return
	}
	entry.Fault = fault.Kind
	switch fault.Kind {
	case FaultServerError:
		s.writeFault(rs, fault, now)
		s.finish(w, rs, entry)
	case FaultTimeoutAfterWrite:
		entry.Status = rs.status
		s.record(entry)
		select {
		case <-r.Context().Done():
		case <-s.closed:
		}
		abort(w)
	case FaultDropAfterWrite:
		entry.Status = rs.status
		s.record(entry)
		abort(w)
	}
}

func beforeWrite(f Fault) bool {
	switch f.Kind {
	case FaultServerError:
		return !f.AfterWrite
	case FaultTimeoutAfterWrite, FaultDropAfterWrite:
		return false
	}
	return true
}

func (s *Server) finish(w http.ResponseWriter, rs *response, entry Request) {
	entry.Status = rs.status
	s.record(entry)
	s.send(w, rs)
}

func (s *Server) record(entry Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.logLocked(entry)
}

func (s *Server) send(w http.ResponseWriter, rs *response) {
	for k, v := range rs.header {
		w.Header()[k] = v
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(rs.body)))
	w.WriteHeader(rs.status)
	_, _ = w.Write(rs.body)
}

// abort ends the exchange without a response.
func abort(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			_ = conn.Close()
			return
		}
	}
	panic(http.ErrAbortHandler)
}

func (s *Server) authorized(r *http.Request) bool {
	h := strings.TrimSpace(r.Header.Get("Authorization"))
	scheme, tok, ok := strings.Cut(h, " ")
	if !ok {
		return false
	}
	switch strings.ToLower(scheme) {
	case "bearer", "token":
		return strings.TrimSpace(tok) == s.token
	}
	return false
}

// rateHeadersLocked counts the request against the hourly window and sets
// the X-RateLimit-* headers; it reports whether the limit was already used up.
func (s *Server) rateHeadersLocked(h http.Header, now time.Time, segs []string) bool {
	if s.resetAt.IsZero() || !now.Before(s.resetAt) {
		s.used = 0
		s.resetAt = now.Add(time.Hour).Truncate(time.Second)
	}
	limited := s.used >= s.cfg.rateLimit
	if !limited {
		s.used++
	}
	resource := "core"
	if len(segs) > 0 && segs[0] == "search" {
		resource = "search"
	}
	h.Set("X-RateLimit-Limit", strconv.Itoa(s.cfg.rateLimit))
	h.Set("X-RateLimit-Remaining", strconv.Itoa(s.cfg.rateLimit-s.used))
	h.Set("X-RateLimit-Used", strconv.Itoa(s.used))
	h.Set("X-RateLimit-Reset", strconv.FormatInt(s.resetAt.Unix(), 10))
	h.Set("X-RateLimit-Resource", resource)
	return limited
}

func primaryRateLimit(rs *response, msg string) {
	rs.message(http.StatusForbidden, msg, rateLimitDocsURL)
}

func (s *Server) writeFault(rs *response, f Fault, now time.Time) {
	switch f.Kind {
	case FaultServerError:
		h := rs.header
		*rs = response{header: http.Header{}}
		copyRateHeaders(rs.header, h)
		rs.message(f.Status, serverErrorMessage(f.Status), "")
	case FaultRateLimit:
		rs.header.Set("X-RateLimit-Remaining", "0")
		rs.header.Set("X-RateLimit-Used", rs.header.Get("X-RateLimit-Limit"))
		rs.header.Set("X-RateLimit-Reset", strconv.FormatInt(now.Unix()+ceilSeconds(f.Reset), 10))
		primaryRateLimit(rs, "API rate limit exceeded for user ID 1.")
	case FaultSecondaryRateLimit:
		rs.header.Set("Retry-After", strconv.FormatInt(ceilSeconds(f.RetryAfter), 10))
		rs.message(http.StatusForbidden, "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.", secondaryDocsURL)
	case FaultTooManyRequests:
		rs.header.Set("Retry-After", strconv.FormatInt(ceilSeconds(f.RetryAfter), 10))
		rs.message(http.StatusTooManyRequests, "Too Many Requests", docsURL)
	}
}

func copyRateHeaders(dst, src http.Header) {
	for k, v := range src {
		if strings.HasPrefix(k, "X-Ratelimit-") {
			dst[k] = v
		}
	}
}

func serverErrorMessage(status int) string {
	switch status {
	case http.StatusInternalServerError:
		return "Server Error"
	case http.StatusBadGateway:
		return "Bad Gateway"
	case http.StatusServiceUnavailable:
		return "Service Unavailable"
	}
	if t := http.StatusText(status); t != "" {
		return t
	}
	return "Server Error"
}

func pathSegments(escaped string) ([]string, bool) {
	escaped = strings.TrimPrefix(escaped, "/")
	if escaped == "" {
		return nil, true
	}
	parts := strings.Split(escaped, "/")
	ok := true
	for i, p := range parts {
		u, err := url.PathUnescape(p)
		if err != nil {
			ok = false
			continue
		}
		parts[i] = u
	}
	return parts, ok
}

func isCreateIssue(method string, segs []string) bool {
	return method == http.MethodPost && len(segs) == 4 && segs[0] == "repos" && segs[3] == "issues"
}

func decode(body []byte, v any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return errors.New("empty body")
	}
	return json.Unmarshal(body, v)
}

func (rs *response) badJSON() {
	rs.message(http.StatusBadRequest, "Problems parsing JSON", docsURL)
}

// paginate applies per_page/page to n items, sets the Link header and
// returns the slice bounds.
func (s *Server) paginate(rs *response, r *http.Request, n int) (lo, hi int) {
	q := r.URL.Query()
	per, err := strconv.Atoi(q.Get("per_page"))
	if err != nil || per < 1 {
		per = 30
	}
	if per > 100 {
		per = 100
	}
	page, err := strconv.Atoi(q.Get("page"))
	if err != nil || page < 1 {
		page = 1
	}
	last := (n + per - 1) / per
	if last < 1 {
		last = 1
	}
	link := func(p int, rel string) string {
		q.Set("page", strconv.Itoa(p))
		return "<" + strings.TrimSuffix(s.base, "/") + r.URL.EscapedPath() + "?" + q.Encode() + `>; rel="` + rel + `"`
	}
	var links []string
	if page > 1 {
		prev := page - 1
		if prev > last {
			prev = last
		}
		links = append(links, link(prev, "prev"))
	}
	if page < last {
		links = append(links, link(page+1, "next"), link(last, "last"))
	}
	if page > 1 {
		links = append(links, link(1, "first"))
	}
	if len(links) > 0 {
		rs.header.Set("Link", strings.Join(links, ", "))
	}
	lo = (page - 1) * per
	if lo > n {
		lo = n
	}
	hi = lo + per
	if hi > n {
		hi = n
	}
	return lo, hi
}
