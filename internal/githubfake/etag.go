package githubfake

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"
)

// Conditional requests, as GitHub answers them: every successful GET
// carries an ETag; a GET whose If-None-Match names the current ETag is
// answered 304 Not Modified with no body, and — when the request was
// authorised — that 304 does not count against the primary rate limit.
//
// https://docs.github.com/en/rest/using-the-rest-api/best-practices-for-using-the-rest-api#use-conditional-requests-if-appropriate
// https://docs.github.com/en/rest/using-the-rest-api/rate-limits-for-the-rest-api
// (ETag and If-None-Match themselves: RFC 9110 §8.8.3 and §13.1.2, weak
// comparison for If-None-Match.)

// etagOf is a strong ETag over the response body.
func etagOf(body []byte) string {
	sum := sha256.Sum256(body)
	return `"` + hex.EncodeToString(sum[:20]) + `"`
}

// noneMatch reports whether the If-None-Match header value matches etag
// (weak comparison: a W/ prefix is ignored; "*" matches anything).
func noneMatch(header, etag string) bool {
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == "*" || t == etag {
			return true
		}
	}
	return false
}

// conditional adds the ETag to a GET answered 200 and turns it into a 304
// when the client already has this version, giving back the request's
// use of the rate limit.
func (s *Server) conditional(rs *response, r *http.Request) {
	if r.Method != http.MethodGet || rs.status != http.StatusOK {
		return
	}
	tag := etagOf(rs.body)
	rs.header.Set("ETag", tag)
	inm := r.Header.Get("If-None-Match")
	if inm == "" || !noneMatch(inm, tag) {
		return
	}
	rs.status, rs.body = http.StatusNotModified, nil
	rs.header.Del("Content-Type")
	s.mu.Lock()
	if s.used > 0 {
		s.used--
	}
	rs.header.Set("X-RateLimit-Remaining", strconv.Itoa(s.cfg.rateLimit-s.used))
	rs.header.Set("X-RateLimit-Used", strconv.Itoa(s.used))
	s.mu.Unlock()
}
