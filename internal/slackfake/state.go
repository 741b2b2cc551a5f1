package slackfake

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// User is a workspace member.
type User struct {
	ID          string
	Name        string
	RealName    string
	DisplayName string
	IsBot       bool
	BotID       string
}

// Channel is a conversation as it now stands.
type Channel struct {
	ID         string
	Name       string
	IsPrivate  bool
	IsIM       bool
	IsArchived bool
	Creator    string
	Created    time.Time
	Topic      string
	Purpose    string
	Members    []string
}

// Reaction is one emoji on a message and who added it, in order.
type Reaction struct {
	Name  string
	Users []string
}

// Message is a message as it now stands.
type Message struct {
	Channel  string
	TS       string
	ThreadTS string
	User     string
	BotID    string
	Text     string
	Subtype  string
	// Blocks is the raw JSON as posted; BlocksDecoded is the same, decoded.
	Blocks        json.RawMessage
	BlocksDecoded []map[string]any
	Pinned        bool
	Reactions     []Reaction
	Edited        bool
	// Replies holds a thread's replies (only on the parent, from Messages).
	Replies []Message
}

// Ephemeral is a message only one person saw: chat.postEphemeral, a response_url post or a
// slash-command ack payload.
type Ephemeral struct {
	User    string
	Channel string
	TS      string
	Text    string
	Blocks  json.RawMessage
	// Source is "chat.postEphemeral", "response_url" or "ack".
	Source string
	Time   time.Time
}

// View is an open modal.
type View struct {
	ID              string
	User            string
	Type            string
	CallbackID      string
	ExternalID      string
	PrivateMetadata string
	Hash            string
	RootViewID      string
	PreviousViewID  string
	Title           string
	// JSON is the view as last opened, updated or pushed.
	JSON json.RawMessage
	// Blocks is the view's blocks, decoded.
	Blocks []map[string]any
	// Errors holds the last response_action errors shown on the view.
	Errors map[string]string
}

// Pin is a pinned message.
type Pin struct {
	Channel   string
	TS        string
	CreatedBy string
	Created   time.Time
}

// Bookmark is a channel bookmark.
type Bookmark struct {
	ID      string
	Channel string
	Title   string
	Link    string
	Emoji   string
	Type    string
	Created time.Time
}

// BlockError is a Block Kit limit a request broke.
type BlockError struct {
	Method string
	// Limit names the rule, e.g. "blocks_per_message", "button_text_length".
	Limit  string
	Detail string
	Time   time.Time
}

type message struct {
	Message
	reactions map[string][]string
	rorder    []string
	deleted   bool
}

type channel struct {
	Channel
	members map[string]bool
	msgs    []*message
	pins    []Pin
	books   []Bookmark
	lastSet time.Time
	// postingRestricted: only admins may post (the bot's chat.postMessage answers
	// restricted_action).
	postingRestricted bool
}

type view struct {
	View
	raw map[string]any
}

type trigger struct {
	user    string
	channel string
	created time.Time
	used    bool
}

type responseURL struct {
	user      string
	channel   string
	messageTS string // the message an interaction came from, for replace/delete_original
	uses      int
	created   time.Time
}

type state struct {
	users      map[string]*User
	userOrder  []string
	channels   map[string]*channel
	chanOrder  []string
	lastTS     int64
	seq        int
	ephemerals []Ephemeral
	views      map[string]*view
	stacks     map[string][]string // user → open view ids, root first
	triggers   map[string]*trigger
	respURLs   map[string]*responseURL
	calls      []Call
	unknown    []string
	blockErrs  []BlockError
	dropped    []string         // event types not delivered for want of a subscription
	homes      map[string]*view // user → the Home view last published
	publishes  map[string]int   // user → views.publish calls that succeeded
}

func (st *state) init() {
	st.users = map[string]*User{}
	st.channels = map[string]*channel{}
	st.views = map[string]*view{}
	st.stacks = map[string][]string{}
	st.triggers = map[string]*trigger{}
	st.respURLs = map[string]*responseURL{}
	st.homes = map[string]*view{}
	st.publishes = map[string]int{}
	for _, u := range []User{
		{ID: Alice, Name: "alice", RealName: "Alice Adams", DisplayName: "Alice"},
		{ID: Bob, Name: "bob", RealName: "Bob Brown", DisplayName: "Bob"},
		{ID: Carol, Name: "carol", RealName: "Carol Chen", DisplayName: "Carol"},
		{ID: BotUserID, Name: BotName, RealName: "Firebreak", DisplayName: "Firebreak", IsBot: true, BotID: BotID},
	} {
		st.addUser(u)
	}
	st.addChannel(GeneralChannelID, "general", false, Alice, Alice, Bob, Carol)
}

func (st *state) addUser(u User) {
	if _, ok := st.users[u.ID]; !ok {
		st.userOrder = append(st.userOrder, u.ID)
	}
	cp := u
	st.users[u.ID] = &cp
}

func (st *state) addChannel(id, name string, private bool, creator string, members ...string) *channel {
	c := &channel{Channel: Channel{ID: id, Name: name, IsPrivate: private, Creator: creator, Created: time.Now()},
		members: map[string]bool{}}
	for _, m := range members {
		c.addMember(m)
	}
	st.channels[id] = c
	st.chanOrder = append(st.chanOrder, id)
	return c
}

func (c *channel) addMember(u string) {
	if !c.members[u] {
		c.members[u] = true
		c.Members = append(c.Members, u)
	}
}

func (st *state) nextID(prefix string) string {
	st.seq++
	return fmt.Sprintf("%s%07d", prefix, st.seq)
}

// nextTS returns a ts unique across the workspace and strictly greater than every earlier
// one, close to wall-clock time so that ordering and permalinks look like Slack's.
func (st *state) nextTS() string {
	now := time.Now().UnixMicro()
	if now <= st.lastTS {
		now = st.lastTS + 1
	}
	st.lastTS = now
	return fmt.Sprintf("%d.%06d", now/1e6, now%1e6)
}

func (st *state) channelByName(name string) *channel {
	for _, id := range st.chanOrder {
		if c := st.channels[id]; c.Name == name && !c.IsIM {
			return c
		}
	}
	return nil
}

func (c *channel) find(ts string) *message {
	for _, m := range c.msgs {
		if m.TS == ts && !m.deleted {
			return m
		}
	}
	return nil
}

func (c *channel) snapshot() Channel {
	out := c.Channel
	out.Members = append([]string(nil), c.Members...)
	return out
}

func (m *message) snapshot() Message {
	out := m.Message
	out.Blocks = append(json.RawMessage(nil), m.Blocks...)
	out.BlocksDecoded = decodeBlocks(m.Blocks)
	out.Replies = nil
	out.Reactions = nil
	for _, name := range m.rorder {
		out.Reactions = append(out.Reactions, Reaction{Name: name, Users: append([]string(nil), m.reactions[name]...)})
	}
	return out
}

func decodeBlocks(raw json.RawMessage) []map[string]any {
	if len(raw) == 0 {
		return nil
	}
	var out []map[string]any
	_ = json.Unmarshal(raw, &out)
	return out
}

// ---- inspection ----

// Users returns every user, preloaded ones first.
func (s *Server) Users() []User {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]User, 0, len(s.st.userOrder))
	for _, id := range s.st.userOrder {
		out = append(out, *s.st.users[id])
	}
	return out
}

// AddUser adds (or replaces) a person in the workspace.
func (s *Server) AddUser(u User) {
	s.mu.Lock()
	s.st.addUser(u)
	s.mu.Unlock()
}

// CreateChannel creates a channel as a person would; the creator is a member. It applies
// Slack's naming rules and returns their error code as the error.
func (s *Server) CreateChannel(creator, name string, private bool, members ...string) (string, error) {
	s.mu.Lock()
	if code := validChannelName(name); code != "" {
		s.mu.Unlock()
		return "", fmt.Errorf("slackfake: %s", code)
	}
	if s.st.channelByName(name) != nil {
		s.mu.Unlock()
		return "", fmt.Errorf("slackfake: name_taken")
	}
	c := s.st.addChannel(s.st.nextID("C"), name, private, creator, append([]string{creator}, members...)...)
	id := c.ID
	s.mu.Unlock()
	s.publish(Change{Kind: ChangeChannel, Channel: id})
	return id, nil
}

// Channels returns every channel (not IMs), in creation order.
func (s *Server) Channels() []Channel {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Channel
	for _, id := range s.st.chanOrder {
		if c := s.st.channels[id]; !c.IsIM {
			out = append(out, c.snapshot())
		}
	}
	return out
}

// snapshotOf returns a copy of what find finds under the lock; false when it finds nothing.
func snapshotOf[T any, P interface {
	*channel | *message | *view
	snapshot() T
}](s *Server, find func() P) (T, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var none P
	if p := find(); p != none {
		return p.snapshot(), true
	}
	var zero T
	return zero, false
}

// locked returns what read answers under the lock.
func locked[T any](s *Server, read func() T) T {
	s.mu.Lock()
	defer s.mu.Unlock()
	return read()
}

// copiesOf returns copies (made by cp) of the records that keep accepts (all when keep is
// nil), oldest first, read under the lock; nil when there are none.
func copiesOf[R, T any](s *Server, records func() []R, keep func(R) bool, cp func(R) T) []T {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []T
	for _, r := range records() {
		if keep == nil || keep(r) {
			out = append(out, cp(r))
		}
	}
	return out
}

// ChannelByName returns the channel with that name (no '#').
func (s *Server) ChannelByName(name string) (Channel, bool) {
	return snapshotOf(s, func() *channel { return s.st.channelByName(strings.TrimPrefix(name, "#")) })
}

// Channel returns a channel (or IM) by id.
func (s *Server) Channel(id string) (Channel, bool) {
	return snapshotOf(s, func() *channel { return s.st.channels[id] })
}

// Messages returns a channel's top-level messages, oldest first, as they now stand, each
// with its thread replies.
func (s *Server) Messages(channelID string) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.st.channels[channelID]
	if c == nil {
		return nil
	}
	var out []Message
	idx := map[string]int{}
	for _, m := range c.msgs {
		if m.deleted {
			continue
		}
		if m.ThreadTS != "" && m.ThreadTS != m.TS {
			if i, ok := idx[m.ThreadTS]; ok {
				out[i].Replies = append(out[i].Replies, m.snapshot())
			}
			continue
		}
		idx[m.TS] = len(out)
		out = append(out, m.snapshot())
	}
	return out
}

// DirectMessages returns the messages of the bot's IM with user (see Messages); none when
// there is no such IM.
func (s *Server) DirectMessages(user string) []Message {
	s.mu.Lock()
	id := ""
	for _, cid := range s.st.chanOrder {
		if c := s.st.channels[cid]; c.IsIM && c.members[user] {
			id = c.ID
			break
		}
	}
	s.mu.Unlock()
	if id == "" {
		return nil
	}
	return s.Messages(id)
}

// Message returns one message (top-level or reply) by channel and ts.
func (s *Server) Message(channelID, ts string) (Message, bool) {
	return snapshotOf(s, func() *message {
		if c := s.st.channels[channelID]; c != nil {
			return c.find(ts)
		}
		return nil
	})
}

// Ephemerals returns what one person was shown privately, oldest first.
func (s *Server) Ephemerals(user string) []Ephemeral {
	return copiesOf(s, func() []Ephemeral { return s.st.ephemerals }, func(e Ephemeral) bool { return e.User == user },
		func(e Ephemeral) Ephemeral {
			e.Blocks = append(json.RawMessage(nil), e.Blocks...)
			return e
		})
}

// Views returns a person's open modals, the root first and the visible one last.
func (s *Server) Views(user string) []View {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []View
	for _, id := range s.st.stacks[user] {
		out = append(out, s.st.views[id].snapshot())
	}
	return out
}

// View returns an open modal by id.
func (s *Server) View(id string) (View, bool) {
	return snapshotOf(s, func() *view { return s.st.views[id] })
}

func (v *view) snapshot() View {
	out := v.View
	out.JSON = append(json.RawMessage(nil), v.JSON...)
	out.Blocks = decodeBlocks(blocksOf(v.raw))
	if v.Errors != nil {
		out.Errors = map[string]string{}
		for k, e := range v.Errors {
			out.Errors[k] = e
		}
	}
	return out
}

func blocksOf(m map[string]any) json.RawMessage {
	if m == nil || m["blocks"] == nil {
		return nil
	}
	b, _ := json.Marshal(m["blocks"])
	return b
}

// Pins returns a channel's pins, oldest first.
func (s *Server) Pins(channelID string) []Pin {
	return locked(s, func() []Pin {
		if c := s.st.channels[channelID]; c != nil {
			return append([]Pin(nil), c.pins...)
		}
		return nil
	})
}

// Bookmarks returns a channel's bookmarks, oldest first.
func (s *Server) Bookmarks(channelID string) []Bookmark {
	return locked(s, func() []Bookmark {
		if c := s.st.channels[channelID]; c != nil {
			return append([]Bookmark(nil), c.books...)
		}
		return nil
	})
}

// BlockErrors returns every Block Kit limit that a request broke, oldest first.
func (s *Server) BlockErrors() []BlockError {
	return locked(s, func() []BlockError { return append([]BlockError(nil), s.st.blockErrs...) })
}
