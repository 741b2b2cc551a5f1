package slackfake

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// params holds a request's arguments whether they came form-encoded or as JSON.
type params struct {
	form url.Values
	js   map[string]json.RawMessage
}

func (p params) str(k string) string {
	if p.js != nil {
		raw, ok := p.js[k]
		if !ok {
			return ""
		}
		var s string
		if json.Unmarshal(raw, &s) == nil {
			return s
		}
		if string(raw) == "null" {
			return ""
		}
		return string(raw)
	}
	return p.form.Get(k)
}

func (p params) has(k string) bool {
	if p.js != nil {
		_, ok := p.js[k]
		return ok
	}
	_, ok := p.form[k]
	return ok
}

func (p params) boolean(k string) bool {
	v := strings.ToLower(p.str(k))
	return v == "true" || v == "1"
}

func (p params) integer(k string, def int) int {
	v, err := strconv.Atoi(p.str(k))
	if err != nil {
		return def
	}
	return v
}

// raw returns a JSON value that may arrive as a JSON string inside a form (blocks, view) or
// as a nested value in a JSON body.
func (p params) raw(k string) json.RawMessage {
	if p.js != nil {
		raw, ok := p.js[k]
		if !ok || string(raw) == "null" {
			return nil
		}
		var s string
		if json.Unmarshal(raw, &s) == nil {
			if s == "" {
				return nil
			}
			return json.RawMessage(s)
		}
		return raw
	}
	v := p.form.Get(k)
	if v == "" {
		return nil
	}
	return json.RawMessage(v)
}

func (p params) flat() map[string]string {
	out := map[string]string{}
	if p.js != nil {
		for k := range p.js {
			out[k] = p.str(k)
		}
		return out
	}
	for k := range p.form {
		out[k] = p.form.Get(k)
	}
	return out
}

func parseParams(r *http.Request) (params, error) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 8<<20))
	if err != nil {
		return params{}, err
	}
	ct := r.Header.Get("Content-Type")
	if strings.HasPrefix(ct, "application/json") {
		p := params{js: map[string]json.RawMessage{}}
		if len(strings.TrimSpace(string(body))) > 0 {
			if err := json.Unmarshal(body, &p.js); err != nil {
				return params{}, err
			}
		}
		// Query parameters are accepted too, as Slack does.
		for k, v := range r.URL.Query() {
			if _, ok := p.js[k]; !ok && len(v) > 0 {
				b, _ := json.Marshal(v[0])
				p.js[k] = b
			}
		}
		return p, nil
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return params{}, err
	}
	for k, v := range r.URL.Query() {
		if _, ok := form[k]; !ok {
			form[k] = v
		}
	}
	return params{form: form}, nil
}
