package slackfake

import (
	"encoding/json"
	"fmt"
	"net/url"
	"reflect"
	"strconv"
	"strings"
)

// api is the Web API's typed core. Each Slack method is one Go method on it, named after the
// method (chat.postMessage is ChatPostMessage): it takes the method's arguments as a struct,
// and answers the method's response body as a struct, or a Slack error code (*apiError). It
// runs with Server.mu held and collects the changes it made for the change feed.
type api struct {
	*Server
	changes []Change
}

// changed records a change for the change feed, published once the call returns.
func (a *api) changed(c Change) { a.changes = append(a.changes, c) }

// endpoint is one Web API method as the HTTP edge calls it: with the request's arguments,
// answering the response body (without "ok") or a Slack error.
type endpoint func(a *api, p params) (any, *apiError)

// typed makes the endpoint of a core method: its arguments are decoded from the request by
// their form tags (decodeArgs) and its result is encoded as the response body. Decoding an
// empty request once here makes an argument type decodeArgs does not know fail at start-up.
func typed[A, R any](core func(*api, A) (*R, *apiError)) endpoint {
	decodeArgs(params{form: url.Values{}}, reflect.ValueOf(new(A)).Elem())
	return func(a *api, p params) (any, *apiError) {
		var args A
		decodeArgs(p, reflect.ValueOf(&args).Elem())
		r, err := core(a, args)
		if err != nil {
			return nil, err
		}
		return r, nil
	}
}

// noArgs is the arguments of a method that takes none besides its token.
type noArgs struct{}

// empty is the body of a method that answers only "ok".
type empty struct{}

// decodeArgs fills a struct of arguments from the request by the fields' `form` tags, the
// same whether the request came form-encoded or as JSON: a string as sent; a bool from
// "true" or "1"; an int, 0 when absent or not a number; a json.RawMessage from a JSON string
// in a form or a nested value in a JSON body; a []string from a comma-separated list; a
// *string or *json.RawMessage only when the argument is present. A struct field (page) is
// filled alike.
func decodeArgs(p params, v reflect.Value) {
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		f, fv := t.Field(i), v.Field(i)
		if fv.Kind() == reflect.Struct {
			decodeArgs(p, fv)
			continue
		}
		k := f.Tag.Get("form")
		switch fv.Interface().(type) {
		case string:
			fv.SetString(p.str(k))
		case bool:
			fv.SetBool(p.boolean(k))
		case int:
			fv.SetInt(int64(p.integer(k, 0)))
		case json.RawMessage:
			fv.Set(reflect.ValueOf(p.raw(k)))
		case []string:
			fv.Set(reflect.ValueOf(splitList(p.str(k))))
		case *string:
			if p.has(k) {
				s := p.str(k)
				fv.Set(reflect.ValueOf(&s))
			}
		case *json.RawMessage:
			if p.has(k) {
				raw := p.raw(k)
				fv.Set(reflect.ValueOf(&raw))
			}
		default:
			panic(fmt.Sprintf("slackfake: argument %s.%s has a type decodeArgs does not know", t.Name(), f.Name))
		}
	}
}

// encodeOK is a successful answer: the body with "ok": true added.
func encodeOK(body any) ([]byte, error) {
	b, err := json.Marshal(body)
	if err != nil {
		return nil, err
	}
	if b = []byte(strings.TrimSpace(string(b))); string(b) == "null" || string(b) == "{}" {
		return []byte(`{"ok":true}`), nil
	}
	return append([]byte(`{"ok":true,`), b[1:]...), nil
}

// page is the cursor paging of Slack's list methods.
type page struct {
	Limit  int    `form:"limit"`
	Cursor string `form:"cursor"`
}

// cursorMeta is the response_metadata of a list method.
type cursorMeta struct {
	NextCursor string `json:"next_cursor"`
}

// paginate applies Slack's cursor paging; the cursor is an opaque offset, the limit 100 when
// absent or out of range.
func paginate[T any](all []T, pg page) ([]T, cursorMeta) {
	limit := pg.Limit
	if limit <= 0 || limit > 1000 {
		limit = 100
	}
	start, _ := strconv.Atoi(strings.TrimPrefix(pg.Cursor, "off:"))
	if start > len(all) || start < 0 {
		start = len(all)
	}
	end := min(start+limit, len(all))
	next := ""
	if end < len(all) {
		next = "off:" + strconv.Itoa(end)
	}
	out := all[start:end]
	if out == nil {
		out = []T{}
	}
	return out, cursorMeta{NextCursor: next}
}
