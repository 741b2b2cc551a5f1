package demo

import (
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/firebreak-hq/firebreak/internal/githubfake"
	"github.com/firebreak-hq/firebreak/internal/slackfake"
)

//go:embed assets
var assets embed.FS

// maxBody bounds what a request may send: a message or a modal's values.
const maxBody = 64 << 10

// heartbeat keeps the event stream alive through proxies and lets a
// closed tab be noticed.
const heartbeat = 15 * time.Second

// Server is the demo UI. It is an http.Handler; Close ends its background
// work (and every open event stream).
type Server struct {
	slack       *slackfake.Server
	gh          *githubfake.Server
	owner, repo string
	mux         *http.ServeMux

	mu sync.Mutex
	// ims remembers the direct-message conversations seen in the change
	// feed: the fake lists channels but not IMs, and the bot writes to a
	// person directly when it cannot reach them in a channel.
	ims    map[string]bool
	done   chan struct{}
	unsub  func()
	closed sync.Once
	wg     sync.WaitGroup
	alerts *alertDemo
}

// New serves the UI over a fake workspace and the fake GitHub repository
// owner/repo where postmortems are filed. gh may be nil (no GitHub pane).
func New(slack *slackfake.Server, gh *githubfake.Server, owner, repo string) *Server {
	s := &Server{slack: slack, gh: gh, owner: owner, repo: repo, mux: http.NewServeMux(),
		ims: map[string]bool{}, done: make(chan struct{})}
	static, err := fs.Sub(assets, "assets")
	if err != nil {
		panic(err) // the embedded directory is part of the binary
	}
	s.mux.Handle("GET /", http.FileServerFS(static))
	s.mux.HandleFunc("GET /api/state", s.handleState)
	s.mux.HandleFunc("GET /api/events", s.handleEvents)
	s.mux.HandleFunc("POST /api/send", action(s, s.send))
	s.mux.HandleFunc("POST /api/click", action(s, s.click))
	s.mux.HandleFunc("POST /api/submit", action(s, s.submit))
	s.mux.HandleFunc("POST /api/close-view", action(s, s.closeView))
	s.mux.HandleFunc("POST /api/react", action(s, s.react))
	s.mux.HandleFunc("POST /api/pin", action(s, s.pin))
	s.mux.HandleFunc("POST /api/join", action(s, s.join))
	s.mux.HandleFunc("POST /api/home", action(s, s.openHome))
	s.mux.HandleFunc("POST /api/home-click", action(s, s.homeClick))
	s.mux.HandleFunc("POST /api/shortcut", action(s, s.shortcut))

	ch, unsub := slack.Subscribe()
	s.unsub = unsub
	s.wg.Add(1)
	go s.watchIMs(ch)
	return s
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Cache-Control", "no-store")
	s.mux.ServeHTTP(w, r)
}

// Close ends the event streams and the background watcher. It does not
// close the fakes, which the caller owns.
func (s *Server) Close() error {
	s.closed.Do(func() {
		close(s.done)
		s.unsub()
	})
	s.wg.Wait()
	return nil
}

func (s *Server) watchIMs(ch <-chan slackfake.Change) {
	defer s.wg.Done()
	for {
		select {
		case <-s.done:
			return
		case c, ok := <-ch:
			if !ok {
				return
			}
			if c.Channel == "" || !strings.HasPrefix(c.Channel, "D") {
				continue
			}
			if info, ok := s.slack.Channel(c.Channel); ok && info.IsIM {
				s.mu.Lock()
				s.ims[c.Channel] = true
				s.mu.Unlock()
			}
		}
	}
}

// Wire types: what the page reads. Times are Unix milliseconds so that
// messages and ephemerals sort together.

type userJSON struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	RealName string `json:"real_name"`
	IsBot    bool   `json:"is_bot"`
}

type channelJSON struct {
	ID       string   `json:"id"`
	Name     string   `json:"name"`
	IsIM     bool     `json:"is_im"`
	Archived bool     `json:"archived"`
	IsMember bool     `json:"is_member"`
	Members  []string `json:"members"`
	Topic    string   `json:"topic"`
	Count    int      `json:"count"`
}

type reactionJSON struct {
	Name  string   `json:"name"`
	Users []string `json:"users"`
}

type messageJSON struct {
	TS        string          `json:"ts,omitempty"`
	Time      int64           `json:"time"`
	User      string          `json:"user,omitempty"`
	BotID     string          `json:"bot_id,omitempty"`
	Text      string          `json:"text"`
	Subtype   string          `json:"subtype,omitempty"`
	Blocks    json.RawMessage `json:"blocks,omitempty"`
	Pinned    bool            `json:"pinned,omitempty"`
	Edited    bool            `json:"edited,omitempty"`
	Reactions []reactionJSON  `json:"reactions,omitempty"`
	Replies   []messageJSON   `json:"replies,omitempty"`
	Ephemeral bool            `json:"ephemeral,omitempty"`
}

type viewJSON struct {
	ID     string            `json:"id"`
	View   json.RawMessage   `json:"view"`
	Errors map[string]string `json:"errors,omitempty"`
}

type issueJSON struct {
	Number    int      `json:"number"`
	Title     string   `json:"title"`
	Body      string   `json:"body"`
	State     string   `json:"state"`
	Labels    []string `json:"labels"`
	User      string   `json:"user"`
	Comments  []string `json:"comments,omitempty"`
	CreatedAt int64    `json:"created_at"`
}

type stateJSON struct {
	Me       string        `json:"me"`
	Users    []userJSON    `json:"users"`
	Channels []channelJSON `json:"channels"`
	// Channel is the conversation asked for (empty when there is none).
	Channel  string        `json:"channel"`
	Messages []messageJSON `json:"messages"`
	View     *viewJSON     `json:"view,omitempty"`
	Repo     string        `json:"repo,omitempty"`
	Issues   []issueJSON   `json:"issues"`
	// Pages are the pages the fake PagerDuty received (alerts.go); nil
	// when the demo has no alert intake.
	Pages []pageJSON `json:"pages"`
	// Home is the app's Home view for me (nil until published);
	// Shortcuts the message shortcuts it offers (home.go).
	Home      *viewJSON      `json:"home,omitempty"`
	Shortcuts []shortcutJSON `json:"shortcuts"`
}

// handleState answers GET /api/state?user=U&channel=C: what user sees with
// channel open. An unknown channel falls back to the first one.
func (s *Server) handleState(w http.ResponseWriter, r *http.Request) {
	me, err := s.person(r.URL.Query().Get("user"))
	if err != nil {
		fail(w, http.StatusBadRequest, err)
		return
	}
	writeJSON(w, http.StatusOK, s.state(me, r.URL.Query().Get("channel")))
}

func (s *Server) state(me, want string) stateJSON {
	st := stateJSON{Me: me, Users: []userJSON{}, Channels: []channelJSON{}, Messages: []messageJSON{}, Issues: []issueJSON{}}
	for _, u := range s.slack.Users() {
		st.Users = append(st.Users, userJSON{ID: u.ID, Name: u.Name, RealName: u.RealName, IsBot: u.IsBot})
	}
	var convs []slackfake.Channel
	convs = append(convs, s.slack.Channels()...)
	s.mu.Lock()
	ims := make([]string, 0, len(s.ims))
	for id := range s.ims {
		ims = append(ims, id)
	}
	s.mu.Unlock()
	sort.Strings(ims)
	for _, id := range ims {
		if c, ok := s.slack.Channel(id); ok && contains(c.Members, me) {
			convs = append(convs, c)
		}
	}
	for _, c := range convs {
		if c.IsPrivate && !c.IsIM && !contains(c.Members, me) {
			continue
		}
		st.Channels = append(st.Channels, channelJSON{
			ID: c.ID, Name: c.Name, IsIM: c.IsIM, Archived: c.IsArchived,
			IsMember: contains(c.Members, me), Members: nonNil(c.Members), Topic: c.Topic,
			Count: len(s.slack.Messages(c.ID)),
		})
		if c.ID == want {
			st.Channel = c.ID
		}
	}
	if st.Channel == "" && len(st.Channels) > 0 {
		st.Channel = st.Channels[0].ID
	}
	if st.Channel != "" {
		for _, m := range s.slack.Messages(st.Channel) {
			st.Messages = append(st.Messages, toMessage(m))
		}
		for _, e := range s.slack.Ephemerals(me) {
			if e.Channel != st.Channel {
				continue
			}
			st.Messages = append(st.Messages, messageJSON{
				TS: e.TS, Time: e.Time.UnixMilli(), User: slackfake.BotUserID, BotID: slackfake.BotID,
				Text: e.Text, Blocks: rawOrNil(e.Blocks), Ephemeral: true,
			})
		}
		// Ephemerals interleave with messages by time, as Slack shows
		// them; the sort is stable so equal times keep their order.
		sort.SliceStable(st.Messages, func(i, j int) bool { return st.Messages[i].Time < st.Messages[j].Time })
	}
	if vs := s.slack.Views(me); len(vs) > 0 {
		v := vs[len(vs)-1]
		st.View = &viewJSON{ID: v.ID, View: v.JSON, Errors: v.Errors}
	}
	if s.gh != nil && s.repo != "" {
		st.Repo = s.owner + "/" + s.repo
		for _, is := range s.gh.Issues(s.owner, s.repo) {
			ij := issueJSON{Number: is.Number, Title: is.Title, Body: is.Body, State: is.State,
				Labels: nonNil(is.Labels), User: is.User, CreatedAt: is.CreatedAt.UnixMilli()}
			for _, c := range s.gh.Comments(s.owner, s.repo, is.Number) {
				ij.Comments = append(ij.Comments, c.Body)
			}
			st.Issues = append(st.Issues, ij)
		}
		// Newest first: the issue just filed is the one a visitor looks for.
		sort.Slice(st.Issues, func(i, j int) bool { return st.Issues[i].Number > st.Issues[j].Number })
	}
	s.addPages(&st)
	s.addHome(&st, me)
	return st
}

func toMessage(m slackfake.Message) messageJSON {
	out := messageJSON{TS: m.TS, Time: tsMillis(m.TS), User: m.User, BotID: m.BotID, Text: m.Text,
		Subtype: m.Subtype, Blocks: rawOrNil(m.Blocks), Pinned: m.Pinned, Edited: m.Edited}
	for _, r := range m.Reactions {
		out.Reactions = append(out.Reactions, reactionJSON{Name: r.Name, Users: nonNil(r.Users)})
	}
	for _, r := range m.Replies {
		out.Replies = append(out.Replies, toMessage(r))
	}
	return out
}

// tsMillis reads a Slack ts ("1700000000.000100"), which is the post's
// time in seconds and microseconds.
func tsMillis(ts string) int64 {
	f, err := strconv.ParseFloat(ts, 64)
	if err != nil {
		return 0
	}
	return int64(f * 1000)
}

func rawOrNil(b json.RawMessage) json.RawMessage {
	if len(b) == 0 || string(b) == "null" {
		return nil
	}
	return b
}

// handleEvents streams "slack" and "github" events, each a hint to re-read
// the state; the data says what changed so the page can skip what it does
// not show.
func (s *Server) handleEvents(w http.ResponseWriter, r *http.Request) {
	fl, ok := w.(http.Flusher)
	if !ok {
		fail(w, http.StatusInternalServerError, errors.New("streaming is not supported by this connection"))
		return
	}
	changes, unsub := s.slack.Subscribe()
	defer unsub()
	var ghc <-chan struct{}
	if s.gh != nil {
		c, cancel := s.gh.Subscribe()
		defer cancel()
		ghc = c
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.WriteHeader(http.StatusOK)
	_, _ = io.WriteString(w, "retry: 1000\n\n")
	fl.Flush()
	tick := time.NewTicker(heartbeat)
	defer tick.Stop()
	for {
		var err error
		select {
		case <-r.Context().Done():
			return
		case <-s.done:
			return
		case <-tick.C:
			_, err = io.WriteString(w, ": ping\n\n")
		case c, ok := <-changes:
			if !ok {
				return
			}
			b, _ := json.Marshal(map[string]string{"kind": string(c.Kind), "channel": c.Channel, "ts": c.TS, "user": c.User, "view": c.ViewID})
			_, err = fmt.Fprintf(w, "event: slack\ndata: %s\n\n", b)
		case _, ok := <-ghc:
			if !ok {
				ghc = nil
				continue
			}
			_, err = io.WriteString(w, "event: github\ndata: {}\n\n")
		}
		if err != nil {
			return
		}
		fl.Flush()
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func fail(w http.ResponseWriter, status int, err error) {
	writeJSON(w, status, map[string]string{"error": strings.TrimPrefix(err.Error(), "slackfake: ")})
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
