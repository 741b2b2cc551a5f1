package app_test

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/firebreak-hq/firebreak/incident"
)

func percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[min(len(s)-1, int(float64(len(s))*p))]
}

// deliver posts one Alertmanager delivery and stores how long the hook
// took to answer in lat; false unless it answered 202.
func (r *alertRig) deliver(client *http.Client, body []byte, lat *time.Duration) bool {
	req, _ := http.NewRequest(http.MethodPost, r.base+"/hooks/alertmanager", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+amToken)
	t0 := time.Now()
	resp, err := client.Do(req)
	*lat = time.Since(t0)
	if err != nil {
		return false
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode == http.StatusAccepted
}

// fire posts bodies to the Alertmanager hook from workers goroutines and
// returns each request's latency; every answer must be 202.
func (r *alertRig) fire(t *testing.T, workers int, bodies [][]byte) ([]time.Duration, time.Duration) {
	t.Helper()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: workers}}
	lat := make([]time.Duration, len(bodies))
	var next, bad atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= len(bodies) {
					return
				}
				if !r.deliver(client, bodies[i], &lat[i]) {
					bad.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	if n := bad.Load(); n != 0 {
		t.Fatalf("%d of %d hook requests were not accepted", n, len(bodies))
	}
	return lat, time.Since(start)
}

// TestAlertStorm sends 10,000 alerts of one firing group from 16
// concurrent senders, once one alert per request (the worst case) and
// once as Alertmanager delivers a group, many alerts per request: exactly
// one incident, every alert on its timeline once, the card counting them
// all, at most 10 Slack messages. Rates and latencies are logged for
// BENCHMARKS.md, not asserted.
func TestAlertStorm(t *testing.T) {
	if testing.Short() {
		t.Skip("load test")
	}
	const n = 10000
	for _, perRequest := range []int{1, 50} {
		t.Run(fmt.Sprintf("%d per request", perRequest), func(t *testing.T) {
			r := startAlertRig(t, "", nil)
			r.lenient("load: thousands of alerts, the test counts incidents, not messages")
			var bodies [][]byte
			for i := 0; i < n; i += perRequest {
				var alerts []map[string]any
				for j := i; j < i+perRequest; j++ {
					alerts = append(alerts, amAlert("firing", fmt.Sprintf("fp%05d", j), fmt.Sprintf("web-%d", j)))
				}
				bodies = append(bodies, amPayload("firing", "storm", alerts...))
			}
			lat, took := r.fire(t, 16, bodies)
			t.Logf("storm, %d per request: %d alerts in %s = %.0f alerts/s accepted; hook latency p50 %s p99 %s max %s",
				perRequest, n, took.Round(time.Millisecond), float64(n)/took.Seconds(), percentile(lat, .5), percentile(lat, .99), percentile(lat, 1))
			if c := r.openCount(); c != 1 {
				t.Fatalf("%d incidents, want 1", c)
			}
			if c := countKind(r.events(1), incident.EvAlert); c != n {
				t.Fatalf("%d alert events, want %d", c, n)
			}
			// Redelivering part of the storm records nothing new.
			r.fire(t, 16, bodies[:len(bodies)/10])
			r.waitOutboxEmpty()
			if c := countKind(r.events(1), incident.EvAlert); c != n {
				t.Fatalf("after redelivery %d alert events, want %d", c, n)
			}
			inc := r.ready(1)
			r.eventually("card counts every alert", func() bool { return r.cardAlerts(1) == fmt.Sprintf("*Alerts:* %d from Alertmanager", n) })
			posts := r.slack.Calls("chat.postMessage")
			t.Logf("storm, %d per request: %d chat.postMessage, %d chat.update calls", perRequest, len(posts), len(r.slack.Calls("chat.update")))
			if len(posts) > 10 {
				for _, m := range r.slack.Messages(inc.Channel) {
					t.Log(m.Text)
				}
				t.Fatalf("%d Slack messages for one storm, want at most 10", len(posts))
			}
		})
	}
}

// TestSev1PageLatency declares 200 sev1 incidents from alerts of
// different groups and measures, at PagerDuty, how long after the hook's
// 202 each page arrived. Logged for BENCHMARKS.md.
func TestSev1PageLatency(t *testing.T) {
	if testing.Short() {
		t.Skip("load test")
	}
	const n = 200
	r := startAlertRig(t, testRoutes, nil)
	r.lenient("load: measures page latency under a stream of alerts")
	accepted := make([]time.Time, n+1)
	for i := 1; i <= n; i++ {
		code, ans := r.post("/hooks/alertmanager", amToken, amPayload("firing", fmt.Sprintf("group-%d", i), amAlert("firing", "fp", "web-1")))
		accepted[i] = time.Now()
		if code != http.StatusAccepted || fmt.Sprint(ans["incidents"]) != fmt.Sprintf("[INC-%d]", i) {
			t.Fatalf("alert %d: %d %v", i, code, ans)
		}
	}
	r.eventually("every sev1 paged", func() bool { return len(r.pd.Alerts()) == n })
	var lat []time.Duration
	seen := map[string]bool{}
	for _, a := range r.pd.Alerts() {
		var k int
		if _, err := fmt.Sscanf(a.DedupKey, "firebreak-INC-%d", &k); err != nil || seen[a.DedupKey] {
			t.Fatalf("unexpected or repeated page %q", a.DedupKey)
		}
		seen[a.DedupKey] = true
		lat = append(lat, max(0, a.Opened.Sub(accepted[k])))
	}
	t.Logf("sev1 page latency after the 202: p50 %s p99 %s max %s", percentile(lat, .5), percentile(lat, .99), percentile(lat, 1))
}

// TestHookLatencyAt1000PerSecond offers 5,000 single-alert deliveries at a
// steady 1,000 per second (open loop: a slow answer does not slow the
// sender), to one firing group and to 50, and logs the hook's latency
// percentiles, the commit included, for BENCHMARKS.md.
func TestHookLatencyAt1000PerSecond(t *testing.T) {
	if testing.Short() {
		t.Skip("load test")
	}
	for _, groups := range []int{1, 50} {
		t.Run(fmt.Sprintf("%d groups", groups), func(t *testing.T) { hookLatencyAt1000(t, groups) })
	}
}

func hookLatencyAt1000(t *testing.T, groups int) {
	const n, rate = 5000, 1000
	r := startAlertRig(t, "", nil)
	r.lenient("load: measures hook latency at 1000 requests a second")
	bodies := make([][]byte, n)
	for i := range bodies {
		bodies[i] = amPayload("firing", fmt.Sprintf("g%d", i%groups), amAlert("firing", fmt.Sprintf("fp%05d", i), "web"))
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256}}
	lat := make([]time.Duration, n)
	var bad atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for i := range bodies {
		if d := time.Until(start.Add(time.Duration(i) * time.Second / rate)); d > 0 {
			time.Sleep(d) // pacing the sender, not waiting for an outcome
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if !r.deliver(client, bodies[i], &lat[i]) {
				bad.Add(1)
			}
		}()
	}
	wg.Wait()
	took := time.Since(start)
	if b := bad.Load(); b != 0 {
		t.Fatalf("%d requests not accepted", b)
	}
	t.Logf("paced, %d groups: %d alerts offered at %d/s, all accepted in %s (%.0f/s); hook latency p50 %s p90 %s p99 %s max %s",
		groups, n, rate, took.Round(time.Millisecond), float64(n)/took.Seconds(), percentile(lat, .5), percentile(lat, .9), percentile(lat, .99), percentile(lat, 1))
	var perSecond []string
	for s := 0; s < n; s += rate {
		perSecond = append(perSecond, percentile(lat[s:min(s+rate, n)], .99).Round(100*time.Microsecond).String())
	}
	t.Logf("paced, %d groups: p99 of each second's alerts: %s", groups, strings.Join(perSecond, " "))
	if c := r.openCount(); c != groups {
		t.Fatalf("%d incidents for %d groups", c, groups)
	}
}
