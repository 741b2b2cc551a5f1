package pagerdutyfake

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"
)

func send(t *testing.T, s *Server, ctx context.Context, ev map[string]any) (int, map[string]any) {
	t.Helper()
	b, _ := json.Marshal(ev)
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, s.URL, bytes.NewReader(b))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

func trigger(key, dedup string) map[string]any {
	return map[string]any{"routing_key": key, "event_action": "trigger", "dedup_key": dedup,
		"payload": map[string]any{"summary": "db down", "source": "firebreak", "severity": "critical"}}
}

func TestDedupFaultsAndValidation(t *testing.T) {
	s, err := New("k1")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	if code, out := send(t, s, ctx, trigger("k1", "d1")); code != 202 || out["dedup_key"] != "d1" || out["message"] != "Event processed" {
		t.Fatalf("trigger: %d %v", code, out)
	}
	if code, _ := send(t, s, ctx, trigger("k1", "d1")); code != 202 {
		t.Fatal(code)
	}
	if a := s.Alerts(); len(a) != 1 || a[0].Triggers != 2 {
		t.Fatalf("a repeated trigger opened a second alert: %+v", a)
	}
	if code, _ := send(t, s, ctx, trigger("other", "d1")); code != 400 {
		t.Fatalf("unknown routing key: %d", code)
	}
	bad := trigger("k1", "d2")
	bad["payload"].(map[string]any)["severity"] = "sev1"
	if code, out := send(t, s, ctx, bad); code != 400 || out["status"] != "invalid event" {
		t.Fatalf("bad severity: %d %v", code, out)
	}
	s.Fail(ServerError, 1)
	s.Fail(TooManyRequests, 1)
	if code, _ := send(t, s, ctx, trigger("k1", "d3")); code != 500 {
		t.Fatal(code)
	}
	if code, _ := send(t, s, ctx, trigger("k1", "d3")); code != 429 {
		t.Fatal(code)
	}
	if n := len(s.Alerts()); n != 1 {
		t.Fatalf("failed requests opened alerts: %d", n)
	}
	s.Fail(TimeoutAfterWrite, 1)
	tctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	if code, _ := send(t, s, tctx, trigger("k1", "d3")); code != 0 {
		t.Fatalf("timeout-after-write answered %d", code)
	}
	if n := len(s.Alerts()); n != 2 {
		t.Fatalf("the timed-out trigger was not processed: %d alerts", n)
	}
	if code, _ := send(t, s, ctx, map[string]any{"routing_key": "k1", "event_action": "resolve", "dedup_key": "d1"}); code != 202 || s.Alerts()[0].Status != "resolved" {
		t.Fatalf("resolve: %d %+v", code, s.Alerts()[0])
	}
	if code, _ := send(t, s, ctx, trigger("k1", "d1")); code != 202 || len(s.Alerts()) != 3 {
		t.Fatalf("a trigger after resolve opens a new alert: %d %d", code, len(s.Alerts()))
	}
}
