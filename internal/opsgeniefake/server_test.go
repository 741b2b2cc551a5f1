package opsgeniefake

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

func post(t *testing.T, url, key string, body any) (int, map[string]any) {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(b))
	req.Header.Set("Authorization", "GenieKey "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

func TestAliasDedupCloseAuthAndFaults(t *testing.T) {
	s, err := New("key")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	create := map[string]any{"message": "INC-1 db down", "alias": "firebreak-INC-1", "priority": "P1", "responders": []map[string]string{{"name": "dba", "type": "team"}}}
	if code, out := post(t, s.URL+"v2/alerts", "wrong", create); code != 401 || out["message"] != "Could not authenticate" {
		t.Fatalf("wrong key: %d %v", code, out)
	}
	if code, out := post(t, s.URL+"v2/alerts", "key", create); code != 202 || out["result"] != "Request will be processed" {
		t.Fatalf("create: %d %v", code, out)
	}
	post(t, s.URL+"v2/alerts", "key", create)
	if a := s.Alerts(); len(a) != 1 || a[0].Count != 2 || a[0].Responders[0] != "dba" {
		t.Fatalf("alias did not deduplicate: %+v", a)
	}
	if code, _ := post(t, s.URL+"v2/alerts", "key", map[string]any{"message": strings.Repeat("x", 131)}); code != 422 {
		t.Fatalf("long message: %d", code)
	}
	s.Fail(TooManyRequests, 1)
	if code, _ := post(t, s.URL+"v2/alerts", "key", create); code != 429 {
		t.Fatal(code)
	}
	if code, _ := post(t, s.URL+"v2/alerts/firebreak-INC-1/close?identifierType=alias", "key", map[string]string{"source": "t"}); code != 202 || s.Alerts()[0].Status != "closed" {
		t.Fatalf("close: %d %+v", code, s.Alerts())
	}
	if code, _ := post(t, s.URL+"v2/alerts", "key", create); code != 202 || len(s.Alerts()) != 2 {
		t.Fatalf("a create after close opens a new alert: %d", len(s.Alerts()))
	}
}
