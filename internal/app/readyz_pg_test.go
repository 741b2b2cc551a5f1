package app_test

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/firebreak-hq/firebreak/internal/slackfake"
	"github.com/firebreak-hq/firebreak/internal/testwait"
	"github.com/firebreak-hq/firebreak/store/pgstore/pgtest"
)

// TestReadyzDoesNotCountTheStore: on PostgreSQL, /readyz and /metrics answer while the
// dedupe and events tables are locked (as a VACUUM FULL, a long migration step or a
// pg_repack holds them), since neither counts the store's rows; /readyz still answers 503
// when the store's own counter cannot be read.
func TestReadyzDoesNotCountTheStore(t *testing.T) {
	ws := newWorkspace(t)
	dsn := pgtest.URL(t)
	ws.env["FIREBREAK_DB"] = dsn
	rep := startReplicasHTTP(t, ws, 1, true)[0]
	if _, err := ws.slack.Slash(alice, slackfake.GeneralChannelID, "new sev3 Probe drill"); err != nil {
		t.Fatal(err)
	}
	testwait.Until(t, 20*time.Second, "INC-1 stored", func() bool { _, err := rep.a.DB.Get(1); return err == nil })
	base := "http://" + rep.a.HTTPAddr()

	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	lock := func(tables string) pgx.Tx {
		t.Helper()
		tx, err := conn.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tx.Exec(ctx, "LOCK TABLE "+tables+" IN ACCESS EXCLUSIVE MODE"); err != nil {
			t.Fatal(err)
		}
		return tx
	}

	tx := lock("dedupe, events")
	if code, body := get(t, base+"/readyz"); code != http.StatusOK || body != "ready\n" {
		t.Fatalf("/readyz with the dedupe and events tables locked: %d %q", code, body)
	}
	req, _ := http.NewRequest("GET", base+"/metrics", nil)
	if tok := ws.env["FIREBREAK_HTTP_TOKEN"]; tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	resp, err := (&http.Client{Timeout: 5 * time.Second}).Do(req)
	if err != nil {
		t.Fatalf("/metrics with the dedupe and events tables locked: %v", err)
	}
	var b bytes.Buffer
	_, _ = b.ReadFrom(resp.Body)
	resp.Body.Close()
	if !strings.Contains(b.String(), "\nfirebreak_incidents_declared_total 1\n") || !strings.Contains(b.String(), "\nfirebreak_outbox_depth ") {
		t.Fatalf("/metrics lacks the store's figures:\n%s", b.String())
	}
	if err := tx.Rollback(ctx); err != nil {
		t.Fatal(err)
	}

	// The counter is what readiness reads: locked, the store is not readable.
	tx = lock("counters")
	code, body := get(t, base+"/readyz")
	_ = tx.Rollback(ctx)
	if code != http.StatusServiceUnavailable || !strings.HasPrefix(body, "database not readable: ") {
		t.Fatalf("/readyz with the counter locked: %d %q", code, body)
	}
	if code, body := get(t, base+"/readyz"); code != http.StatusOK {
		t.Fatalf("/readyz once the lock is gone: %d %q", code, body)
	}
}
