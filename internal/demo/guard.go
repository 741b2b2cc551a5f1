package demo

import (
	"encoding/json"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strings"
)

// Guard refuses cross-site requests to the demo's API, which acts as any
// person of the fake workspace without asking who is calling:
//
//   - the Host header must name the listener when it is a loopback
//     address (a DNS-rebinding page names its own host);
//   - a request whose Origin is another site, or whose Sec-Fetch-Site is
//     cross-site, is refused;
//   - a POST must be application/json, which a page on another site cannot
//     send without a CORS preflight the demo never grants.
//
// loopback is whether the demo listens on a loopback address only.
func Guard(next http.Handler, loopback bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if msg := refuse(r, loopback); msg != "" {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusForbidden)
			_ = json.NewEncoder(w).Encode(map[string]string{"error": msg})
			return
		}
		next.ServeHTTP(w, r)
	})
}

func refuse(r *http.Request, loopback bool) string {
	if loopback && !loopbackHost(r.Host) {
		return "The demo answers only requests addressed to localhost."
	}
	if o := r.Header.Get("Origin"); o != "" {
		u, err := url.Parse(o)
		if err != nil || !strings.EqualFold(u.Host, r.Host) || (u.Scheme != "http" && u.Scheme != "https") {
			return "Cross-site requests are refused."
		}
	}
	if r.Header.Get("Sec-Fetch-Site") == "cross-site" {
		return "Cross-site requests are refused."
	}
	if r.Method == http.MethodPost {
		mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
		if err != nil || mt != "application/json" {
			return "The demo's API takes Content-Type: application/json."
		}
	}
	return ""
}

// loopbackHost reports whether a Host header names this machine.
func loopbackHost(host string) bool {
	h, _, err := net.SplitHostPort(host)
	if err != nil {
		h = host
	}
	h = strings.Trim(h, "[]")
	if strings.EqualFold(h, "localhost") {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}
