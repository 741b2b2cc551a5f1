package app_test

import (
	"testing"
	"time"

	"github.com/firebreak-hq/firebreak/incident"
	"github.com/firebreak-hq/firebreak/internal/crashtest"
	"github.com/firebreak-hq/firebreak/internal/pagerdutyfake"
	"github.com/firebreak-hq/firebreak/internal/testwait"
	"github.com/firebreak-hq/firebreak/store"
)

func freeAddr(t *testing.T) string {
	t.Helper()
	addr, err := crashtest.FreeAddr()
	if err != nil {
		t.Fatal(err)
	}
	return addr
}

// TestPageSentOnceAcrossSIGKILL kills the real binary twice while a page
// of an accepted alert is on its way: once before PagerDuty processed it,
// once after PagerDuty processed it but before it answered. After each
// restart the page goes out again with the same dedup key, and PagerDuty
// ends up with exactly one alert.
func TestPageSentOnceAcrossSIGKILL(t *testing.T) {
	boltOnly(t)
	if testing.Short() {
		t.Skip("builds and kills the binary")
	}
	bin, err := crashtest.Build("../..", "./cmd/firebreak", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ws := newWorkspace(t)
	pd := ws.withPagerDuty(t)
	pd.Fail(pagerdutyfake.Hang, 1)
	pd.Fail(pagerdutyfake.TimeoutAfterWrite, 1)
	addr := freeAddr(t)
	ws.env["FIREBREAK_HTTP_ADDR"] = addr
	ws.env["FIREBREAK_HOOK_TOKENS"] = "alertmanager=" + amToken
	ws.env["FIREBREAK_PAGE_SEVERITIES"] = "sev3"
	env := ws.environ()

	var proc *crashtest.Proc
	start := func() {
		t.Helper()
		p, err := crashtest.Start(bin, env, "run")
		if err != nil {
			t.Fatal(err)
		}
		proc = p
		testwait.Until(t, 20*time.Second, "firebreak connected", func() bool { return ws.slack.Connections() > 0 })
	}
	kill := func() {
		t.Helper()
		if err := proc.Kill(); err != nil {
			t.Fatal(err)
		}
		testwait.Until(t, 10*time.Second, "socket closed", func() bool { return ws.slack.Connections() == 0 })
	}
	t.Cleanup(func() {
		if proc != nil {
			_ = proc.Kill()
		}
	})
	start()

	postAlertmanager(t, addr, amPayload("firing", "g", amAlert("firing", "fp1", "web-1")))

	// 1: the page is in flight and PagerDuty has not processed it.
	testwait.Until(t, 10*time.Second, "page held by PagerDuty", func() bool { return pd.InFlight() == 1 })
	kill()
	if n := len(pd.Alerts()); n != 0 {
		t.Fatalf("PagerDuty has %d alerts before the restart", n)
	}
	start()
	// 2: PagerDuty processed the resent page and withholds its answer.
	testwait.Until(t, 15*time.Second, "page processed, answer held", func() bool { return len(pd.Alerts()) == 1 && pd.InFlight() == 1 })
	kill()
	start()
	testwait.Until(t, 15*time.Second, "third attempt answered", func() bool { return pd.Requests() == 3 && pd.InFlight() == 0 })
	if err := proc.Stop(20 * time.Second); err != nil {
		t.Fatalf("stop: %v\n%s", err, proc.Log())
	}
	proc = nil

	alerts := pd.Alerts()
	if len(alerts) != 1 || alerts[0].DedupKey != "firebreak-INC-1" || alerts[0].Triggers != 2 {
		t.Fatalf("PagerDuty alerts %+v; want one firebreak-INC-1 alert, triggered twice", alerts)
	}
	db, err := store.Open(ws.env["FIREBREAK_DB"], store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	inc, err := db.Get(1)
	if err != nil {
		t.Fatal(err)
	}
	if len(inc.Pages) != 1 || inc.Pages[0].State != incident.PageSent {
		t.Fatalf("pages %+v", inc.Pages)
	}
	evs, err := db.Events(1)
	if err != nil {
		t.Fatal(err)
	}
	if n := countKind(evs, incident.EvPageSent); n != 1 {
		t.Fatalf("%d page_sent events", n)
	}
	if d, err := db.PageOutbox().Depth(); err != nil || d != 0 {
		t.Fatalf("page outbox depth %d (%v)", d, err)
	}
	if open, _ := db.OpenIncidents(); len(open) != 1 {
		t.Fatalf("%d incidents", len(open))
	}
}
