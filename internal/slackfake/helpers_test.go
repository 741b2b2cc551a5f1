package slackfake

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"
)

func newFake(t *testing.T, opts ...Option) *Server {
	t.Helper()
	f, err := New(opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = f.Close() })
	return f
}

func apiClient(f *Server) *slack.Client {
	return slack.New(f.BotToken(), slack.OptionAPIURL(f.APIURL()), slack.OptionAppLevelToken(f.AppToken()))
}

// rawCall posts a form to a method and decodes the JSON answer.
func rawCall(t *testing.T, f *Server, method string, form url.Values) (int, map[string]any) {
	t.Helper()
	resp, err := http.PostForm(f.APIURL()+method, form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var out map[string]any
	_ = json.Unmarshal(b, &out)
	return resp.StatusCode, out
}

func slackCode(err error) string {
	if err == nil {
		return ""
	}
	var se slack.SlackErrorResponse
	if errors.As(err, &se) {
		return se.Err
	}
	return err.Error()
}

// botChannel creates a channel through the API (the bot is its creator and a member).
func botChannel(t *testing.T, api *slack.Client, name string) string {
	t.Helper()
	ch, err := api.CreateConversation(slack.CreateConversationParams{ChannelName: name})
	if err != nil {
		t.Fatalf("create %s: %v", name, err)
	}
	return ch.ID
}

// smApp runs a real slack-go socketmode client against the fake and hands every request to
// onReq, which decides how (and whether) to ack.
type smApp struct {
	client *socketmode.Client
	cancel context.CancelFunc
	done   chan struct{}

	mu   sync.Mutex
	reqs []*socketmode.Request
	evts []socketmode.Event
	seen chan struct{}
}

func startApp(t *testing.T, f *Server, onReq func(c *socketmode.Client, e socketmode.Event)) *smApp {
	t.Helper()
	api := apiClient(f)
	client := socketmode.New(api)
	ctx, cancel := context.WithCancel(context.Background())
	a := &smApp{client: client, cancel: cancel, done: make(chan struct{}), seen: make(chan struct{}, 1000)}
	go func() { _ = client.RunContext(ctx) }()
	go func() {
		defer close(a.done)
		for {
			select {
			case <-ctx.Done():
				return
			case e := <-client.Events:
				if e.Request != nil && e.Request.EnvelopeID != "" {
					a.mu.Lock()
					a.reqs = append(a.reqs, e.Request)
					a.evts = append(a.evts, e)
					a.mu.Unlock()
					select {
					case a.seen <- struct{}{}:
					default:
					}
				}
				if onReq != nil {
					onReq(client, e)
				} else if e.Request != nil && e.Request.EnvelopeID != "" {
					client.Ack(*e.Request)
				}
			}
		}
	}()
	t.Cleanup(func() {
		cancel()
		<-a.done
	})
	wctx, wcancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer wcancel()
	if err := f.WaitConnected(wctx); err != nil {
		t.Fatalf("socketmode client never connected: %v", err)
	}
	return a
}

func (a *smApp) requests() []*socketmode.Request {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]*socketmode.Request(nil), a.reqs...)
}

func (a *smApp) events() []socketmode.Event {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]socketmode.Event(nil), a.evts...)
}

func eventText(r *socketmode.Request) (id, text string) {
	var p struct {
		EventID string `json:"event_id"`
		Event   struct {
			Text string `json:"text"`
		} `json:"event"`
	}
	_ = json.Unmarshal(r.Payload, &p)
	return p.EventID, p.Event.Text
}

func jsonDecode(resp *http.Response, v any) error {
	defer resp.Body.Close()
	return json.NewDecoder(resp.Body).Decode(v)
}
