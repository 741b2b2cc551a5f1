package paging

import (
	"context"
	"errors"
	"net"
	"net/http"
	"syscall"

	"github.com/firebreak-hq/firebreak/incident"
)

// failureOf classifies what a call to a pager returned. The pager's own
// words (the message and errors of its JSON answer) are kept; an error
// of Go or of the network is only classified, for templates to word,
// and logged as it is.
func failureOf(provider string, err error) incident.PageFailure {
	f := incident.PageFailure{Provider: provider, Kind: incident.PageCallFailed}
	var he *HTTPError
	var ne net.Error
	var dns *net.DNSError
	var op *net.OpError
	switch {
	case errors.As(err, &he):
		f.Status, f.Message = he.Status, explain(he.Body)
		switch {
		case he.Status == http.StatusTooManyRequests:
			f.Kind = incident.PageRateLimited
		case he.Status == http.StatusRequestTimeout:
			f.Kind = incident.PageTimedOut
		case he.Status >= 400 && he.Status < 500:
			f.Kind = incident.PageRefused
		default:
			f.Kind = incident.PagePagerError
		}
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		f.Kind = incident.PageTimedOut
	case errors.As(err, &dns), errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.EHOSTUNREACH),
		errors.Is(err, syscall.ENETUNREACH),
		errors.As(err, &op) && op.Op == "dial":
		f.Kind = incident.PageUnreachable
	}
	return f
}
