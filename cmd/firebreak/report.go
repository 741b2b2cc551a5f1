package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/firebreak-hq/firebreak/insights"
	"github.com/firebreak-hq/firebreak/internal/app"
	"github.com/firebreak-hq/firebreak/store"
	"github.com/firebreak-hq/firebreak/store/pgstore"
)

// cmdReport writes the insights report: `firebreak report [--since 90d]
// [--out report.html] [--csv FILE]`.
func cmdReport(args []string, w io.Writer, getenv func(string) string, now func() time.Time) error {
	fs := flag.NewFlagSet("report", flag.ContinueOnError)
	fs.SetOutput(w)
	db := fs.String("db", "", "database file (default $FIREBREAK_DB or firebreak.db)")
	since := fs.String("since", "90d", "how far back: 90d, 12w, 48h or all")
	out := fs.String("out", "report.html", "HTML report to write")
	csvOut := fs.String("csv", "", "also write one line per incident to this CSV file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("report takes no arguments, only flags; got %q", fs.Arg(0))
	}
	window, err := insights.ParseWindow(*since)
	if err != nil {
		return err
	}
	if *db == "" {
		*db = envOr(getenv, "FIREBREAK_DB", "firebreak.db")
	}
	cfg, err := app.FromEnv(getenv)
	if err != nil {
		return err
	}
	var d store.Store
	if pgstore.IsURL(*db) {
		// PostgreSQL is shared: read it while the bots run.
		d, err = pgstore.Open(*db, pgstore.Options{})
	} else if err = mustExist(*db); err != nil {
		return err
	} else {
		d, err = store.OpenReadOnly(*db, store.Options{Timeout: 2 * time.Second})
	}
	if errors.Is(err, store.ErrLocked) {
		return fmt.Errorf("database %s is in use by a running firebreak; get the report from it at GET /insights on FIREBREAK_HTTP_ADDR, or use a backup (firebreak backup) of the database", *db)
	}
	if err != nil {
		return err
	}
	defer d.Close()
	rep, err := insights.Collect(d, insights.Options{Since: window, Now: now(), Location: cfg.Location})
	if err != nil {
		return err
	}
	page, err := insights.NewPage(rep, cfg.Location)
	if err != nil {
		return err
	}
	if err := writeOutput(*out, func(f io.Writer) error { return insights.WriteHTML(f, page) }); err != nil {
		return err
	}
	fmt.Fprintf(w, "Wrote %s: %d incidents from %s to %s.\n", *out, page.Incidents, page.From, page.To)
	if *csvOut != "" {
		if err := writeOutput(*csvOut, func(f io.Writer) error { return insights.WriteCSV(f, rep) }); err != nil {
			return err
		}
		fmt.Fprintf(w, "Wrote %s: one line per incident.\n", *csvOut)
	}
	return nil
}

// writeOutput writes path through fill, removing a half-written file on error.
func writeOutput(path string, fill func(io.Writer) error) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := fill(f); err != nil {
		_ = f.Close()
		_ = os.Remove(path)
		return fmt.Errorf("write %s: %w", path, err)
	}
	return f.Close()
}
