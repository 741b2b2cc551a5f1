package app

import (
	"bytes"
	"net/http"
	"time"

	"go.uber.org/zap"

	"github.com/firebreak-hq/firebreak/insights"
	"github.com/firebreak-hq/firebreak/statuspage"
)

// insightsWindow is the window GET /insights shows unless ?since= says
// otherwise (the same default as `firebreak report`).
const insightsWindow = 90 * 24 * time.Hour

// pages registers the insights report and the status page. Both honour
// FIREBREAK_HTTP_TOKEN when one is set.
func (a *App) pages(mux *http.ServeMux) {
	mux.Handle("GET /insights", a.requireToken(http.HandlerFunc(a.insightsHTML)))
	mux.Handle("GET /insights.csv", a.requireToken(http.HandlerFunc(a.insightsCSV)))
	mux.Handle("GET /status", a.requireToken(http.HandlerFunc(a.statusHTML)))
	mux.Handle("GET /status.json", a.requireToken(http.HandlerFunc(a.statusJSON)))
	mux.Handle("GET /status.atom", a.requireToken(http.HandlerFunc(a.statusAtom)))
}

func (a *App) report(w http.ResponseWriter, r *http.Request) (*insights.Report, bool) {
	window := insightsWindow
	if s := r.URL.Query().Get("since"); s != "" {
		d, err := insights.ParseWindow(s)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return nil, false
		}
		window = d
	}
	rep, err := insights.Collect(a.DB, insights.Options{Since: window, Now: a.now(), Location: a.Cfg.Location})
	if err != nil {
		a.pageFailed(w, "insights", err)
		return nil, false
	}
	return rep, true
}

func (a *App) insightsHTML(w http.ResponseWriter, r *http.Request) {
	rep, ok := a.report(w, r)
	if !ok {
		return
	}
	p, err := insights.NewPage(rep, a.Cfg.Location)
	if err != nil {
		a.pageFailed(w, "insights", err)
		return
	}
	p.CSVLink = "insights.csv"
	if s := r.URL.Query().Get("since"); s != "" {
		p.CSVLink += "?since=" + s
	}
	a.writeBuffered(w, "text/html; charset=utf-8", func(b *bytes.Buffer) error { return insights.WriteHTML(b, p) })
}

func (a *App) insightsCSV(w http.ResponseWriter, r *http.Request) {
	rep, ok := a.report(w, r)
	if !ok {
		return
	}
	w.Header().Set("Content-Disposition", `attachment; filename="firebreak-insights.csv"`)
	a.writeBuffered(w, "text/csv; charset=utf-8", func(b *bytes.Buffer) error { return insights.WriteCSV(b, rep) })
}

func (a *App) status(w http.ResponseWriter) (statuspage.Page, bool) {
	p, err := statuspage.Build(a.DB, a.now())
	if err != nil {
		a.pageFailed(w, "status", err)
		return p, false
	}
	return p, true
}

func (a *App) statusHTML(w http.ResponseWriter, r *http.Request) {
	if p, ok := a.status(w); ok {
		a.writeBuffered(w, "text/html; charset=utf-8", func(b *bytes.Buffer) error { return statuspage.WriteHTML(b, p, a.Cfg.Location) })
	}
}

func (a *App) statusJSON(w http.ResponseWriter, r *http.Request) {
	if p, ok := a.status(w); ok {
		a.writeBuffered(w, "application/json", func(b *bytes.Buffer) error { return statuspage.WriteJSON(b, p) })
	}
}

func (a *App) statusAtom(w http.ResponseWriter, r *http.Request) {
	if p, ok := a.status(w); ok {
		base := "http://" + r.Host + "/"
		if r.TLS != nil {
			base = "https://" + r.Host + "/"
		}
		a.writeBuffered(w, "application/atom+xml; charset=utf-8", func(b *bytes.Buffer) error { return statuspage.WriteAtom(b, p, base) })
	}
}

// writeBuffered renders fully before answering, so a failure is a clean
// 500 rather than half a page.
func (a *App) writeBuffered(w http.ResponseWriter, ctype string, fill func(*bytes.Buffer) error) {
	var b bytes.Buffer
	if err := fill(&b); err != nil {
		a.pageFailed(w, "render", err)
		return
	}
	w.Header().Set("Content-Type", ctype)
	_, _ = w.Write(b.Bytes())
}

func (a *App) pageFailed(w http.ResponseWriter, what string, err error) {
	a.log.Error("page failed", zap.String("page", what), zap.Error(err))
	http.Error(w, "The "+what+" page could not be read from the database; see the log.", http.StatusServiceUnavailable)
}
