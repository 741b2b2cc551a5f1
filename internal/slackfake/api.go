package slackfake

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
)

type apiHandler func(s *Server, p params, ch *[]Change) (map[string]any, *apiError)

var handlers = map[string]apiHandler{
	"auth.test":                (*Server).authTest,
	"apps.connections.open":    (*Server).appsConnectionsOpen,
	"conversations.create":     (*Server).convCreate,
	"conversations.invite":     (*Server).convInvite,
	"conversations.join":       (*Server).convJoin,
	"conversations.setTopic":   (*Server).convSetTopic,
	"conversations.setPurpose": (*Server).convSetPurpose,
	"conversations.info":       (*Server).convInfo,
	"conversations.members":    (*Server).convMembers,
	"conversations.history":    (*Server).convHistory,
	"conversations.replies":    (*Server).convReplies,
	"conversations.list":       (*Server).convList,
	"conversations.archive":    (*Server).convArchive,
	"conversations.rename":     (*Server).convRename,
	"conversations.open":       (*Server).convOpen,
	"chat.postMessage":         (*Server).chatPostMessage,
	"chat.update":              (*Server).chatUpdate,
	"chat.postEphemeral":       (*Server).chatPostEphemeral,
	"chat.delete":              (*Server).chatDelete,
	"chat.getPermalink":        (*Server).chatGetPermalink,
	"pins.add":                 (*Server).pinsAdd,
	"pins.remove":              (*Server).pinsRemove,
	"pins.list":                (*Server).pinsList,
	"bookmarks.add":            (*Server).bookmarksAdd,
	"bookmarks.list":           (*Server).bookmarksList,
	"reactions.add":            (*Server).reactionsAdd,
	"users.info":               (*Server).usersInfo,
	"users.list":               (*Server).usersList,
	"users.conversations":      (*Server).usersConversations,
	"views.open":               (*Server).viewsOpen,
	"views.update":             (*Server).viewsUpdate,
	"views.push":               (*Server).viewsPush,
	"team.info":                (*Server).teamInfo,
}

var validName = regexp.MustCompile(`^[a-z0-9_-]+$`)

func validChannelName(name string) string {
	switch {
	case name == "":
		return "invalid_name_required"
	case runeLen(name) > 80:
		return "invalid_name_maxlength"
	case !validName.MatchString(name):
		return "invalid_name_specials"
	case strings.Trim(name, "-_") == "":
		return "invalid_name_punctuation"
	}
	return ""
}

// ---- JSON shapes ----

func (s *Server) convJSON(c *channel) map[string]any {
	out := map[string]any{
		"id": c.ID, "created": c.Created.Unix(), "is_archived": c.IsArchived, "is_private": c.IsPrivate,
		"is_im": c.IsIM, "is_mpim": false, "is_member": c.members[BotUserID], "num_members": len(c.Members),
		"context_team_id": TeamID, "is_shared": false, "is_ext_shared": false, "is_org_shared": false,
	}
	if c.IsIM {
		for _, m := range c.Members {
			if m != BotUserID {
				out["user"] = m
			}
		}
		out["is_open"] = true
		return out
	}
	setAt := c.lastSet.Unix()
	if c.lastSet.IsZero() {
		setAt = 0
	}
	out["name"] = c.Name
	out["name_normalized"] = c.Name
	out["is_channel"] = !c.IsPrivate
	out["is_group"] = c.IsPrivate
	out["is_general"] = c.ID == GeneralChannelID
	out["creator"] = c.Creator
	out["topic"] = map[string]any{"value": c.Topic, "creator": c.Creator, "last_set": setAt}
	out["purpose"] = map[string]any{"value": c.Purpose, "creator": c.Creator, "last_set": setAt}
	return out
}

func msgJSON(c *channel, m *message) map[string]any {
	out := map[string]any{"type": "message", "ts": m.TS, "user": m.User, "text": m.Text, "team": TeamID}
	if m.BotID != "" {
		out["bot_id"] = m.BotID
		out["app_id"] = AppID
	}
	if m.Subtype != "" {
		out["subtype"] = m.Subtype
	}
	if m.ThreadTS != "" {
		out["thread_ts"] = m.ThreadTS
	}
	if b := decodeBlocks(m.Blocks); b != nil {
		out["blocks"] = b
	}
	if m.Edited {
		out["edited"] = map[string]any{"user": m.User, "ts": m.TS}
	}
	if m.Pinned {
		out["pinned_to"] = []string{c.ID}
	}
	var rs []any
	for _, name := range m.rorder {
		rs = append(rs, map[string]any{"name": name, "users": m.reactions[name], "count": len(m.reactions[name])})
	}
	if rs != nil {
		out["reactions"] = rs
	}
	if m.ThreadTS == m.TS || m.ThreadTS == "" {
		n, latest := 0, ""
		var users []string
		for _, r := range c.msgs {
			if !r.deleted && r.ThreadTS == m.TS && r.TS != m.TS {
				n++
				latest = r.TS
				if !contains(users, r.User) {
					users = append(users, r.User)
				}
			}
		}
		if n > 0 {
			out["thread_ts"] = m.TS
			out["reply_count"] = n
			out["reply_users"] = users
			out["reply_users_count"] = len(users)
			out["latest_reply"] = latest
		}
	}
	return out
}

func userJSON(u *User) map[string]any {
	out := map[string]any{
		"id": u.ID, "team_id": TeamID, "name": u.Name, "real_name": u.RealName, "deleted": false,
		"is_bot": u.IsBot, "is_admin": false, "is_owner": false, "tz": "UTC", "tz_offset": 0,
		"profile": map[string]any{"real_name": u.RealName, "display_name": u.DisplayName,
			"real_name_normalized": u.RealName, "display_name_normalized": u.DisplayName, "team": TeamID},
	}
	if u.BotID != "" {
		out["profile"].(map[string]any)["bot_id"] = u.BotID
	}
	return out
}

// ---- helpers ----

// chanFor finds the conversation named by key; private channels the bot is not in are
// invisible, as in Slack.
// writable finds the "channel" of a call that changes it: it must exist,
// not be archived, and have the bot as a member.
func (s *Server) writable(p params) (*channel, *apiError) {
	c, err := s.chanFor(p, "channel")
	if err != nil {
		return nil, err
	}
	return c, botCanWrite(c)
}

// botCanWrite is Slack's check before the bot changes a conversation:
// not archived, and the bot is in it.
func botCanWrite(c *channel) *apiError {
	if c.IsArchived {
		return slackErr("is_archived")
	}
	if !c.members[BotUserID] {
		return slackErr("not_in_channel")
	}
	return nil
}

func (s *Server) chanFor(p params, key string) (*channel, *apiError) {
	id := p.str(key)
	if id == "" {
		return nil, slackErr("channel_not_found")
	}
	c := s.st.channels[id]
	if c == nil || (c.IsPrivate && !c.members[BotUserID]) || (c.IsIM && !c.members[BotUserID]) {
		return nil, slackErr("channel_not_found")
	}
	return c, nil
}

func (s *Server) imFor(user string) *channel {
	for _, id := range s.st.chanOrder {
		c := s.st.channels[id]
		if c.IsIM && c.members[user] {
			return c
		}
	}
	c := s.st.addChannel(s.st.nextID("D"), "", true, BotUserID, user, BotUserID)
	c.IsIM = true
	return c
}

// blocksErr records a broken Block Kit rule and answers as Slack does: invalid_blocks for a
// message, invalid_arguments for a view (views.open refuses the whole view).
func (s *Server) blocksErr(method string, v *blockViolation) *apiError {
	s.st.blockErrs = append(s.st.blockErrs, BlockError{Method: method, Limit: v.limit, Detail: v.detail, Time: time.Now()})
	code := "invalid_blocks"
	if strings.HasPrefix(method, "views.") {
		code = "invalid_arguments"
	}
	return &apiError{code: code, extra: map[string]any{
		"response_metadata": map[string]any{"messages": []string{"[ERROR] " + v.detail + " (" + v.limit + ")"}},
	}}
}

// checkMessageBlocks applies the rules shared by chat.postMessage, chat.update,
// chat.postEphemeral and response_url posts.
func (s *Server) checkMessageBlocks(method string, text string, blocks json.RawMessage) *apiError {
	if len(blocks) > msgBlocksMaxBytes {
		s.st.blockErrs = append(s.st.blockErrs, BlockError{Method: method, Limit: "blocks_size",
			Detail: fmt.Sprintf("blocks are %d bytes, more than %d", len(blocks), msgBlocksMaxBytes), Time: time.Now()})
		return slackErr("msg_blocks_too_long")
	}
	if v := validateBlocks(blocks, maxMessageBlocks); v != nil {
		return s.blocksErr(method, v)
	}
	if runeLen(text) > maxMessageText {
		return slackErr(rule("message_text_length").Code)
	}
	return nil
}

func hasBlocks(raw json.RawMessage) bool {
	t := strings.TrimSpace(string(raw))
	return t != "" && t != "[]" && t != "null"
}

func (s *Server) userOr(p params, key string) (*User, *apiError) {
	u := s.st.users[p.str(key)]
	if u == nil {
		return nil, slackErr("user_not_found")
	}
	return u, nil
}

// ---- auth, team, users ----

func (s *Server) authTest(_ params, _ *[]Change) (map[string]any, *apiError) {
	return map[string]any{"url": s.base + "/", "team": TeamName, "user": BotName, "team_id": TeamID,
		"user_id": BotUserID, "bot_id": BotID, "is_enterprise_install": false}, nil
}

func (s *Server) appsConnectionsOpen(_ params, _ *[]Change) (map[string]any, *apiError) {
	t := s.st.nextID("tk")
	s.sm.tickets[t] = true
	return map[string]any{"url": "ws://" + strings.TrimPrefix(s.base, "http://") + "/ws?ticket=" + t}, nil
}

func (s *Server) teamInfo(_ params, _ *[]Change) (map[string]any, *apiError) {
	return map[string]any{"team": map[string]any{"id": TeamID, "name": TeamName, "domain": TeamDomain}}, nil
}

func (s *Server) usersInfo(p params, _ *[]Change) (map[string]any, *apiError) {
	u, err := s.userOr(p, "user")
	if err != nil {
		return nil, err
	}
	return map[string]any{"user": userJSON(u)}, nil
}

func (s *Server) usersList(p params, _ *[]Change) (map[string]any, *apiError) {
	var all []any
	for _, id := range s.st.userOrder {
		all = append(all, userJSON(s.st.users[id]))
	}
	page, next := paginate(all, p)
	return map[string]any{"members": page, "response_metadata": map[string]any{"next_cursor": next}}, nil
}

// usersConversations lists the conversations the calling bot is a member of
// (https://api.slack.com/methods/users.conversations); only public channels unless types
// asks for more.
func (s *Server) usersConversations(p params, _ *[]Change) (map[string]any, *apiError) {
	types := splitList(p.str("types"))
	if len(types) == 0 {
		types = []string{"public_channel"}
	}
	var all []any
	for _, id := range s.st.chanOrder {
		c := s.st.channels[id]
		if !c.members[BotUserID] || c.IsIM || (c.IsArchived && p.boolean("exclude_archived")) {
			continue
		}
		if (c.IsPrivate && contains(types, "private_channel")) || (!c.IsPrivate && contains(types, "public_channel")) {
			all = append(all, s.convJSON(c))
		}
	}
	page, next := paginate(all, p)
	return map[string]any{"channels": page, "response_metadata": map[string]any{"next_cursor": next}}, nil
}

// paginate applies Slack's cursor paging; the cursor is an opaque offset.
func paginate(all []any, p params) ([]any, string) {
	limit := p.integer("limit", 100)
	if limit <= 0 || limit > 1000 {
		limit = 100
	}
	start, _ := strconv.Atoi(strings.TrimPrefix(p.str("cursor"), "off:"))
	if start > len(all) || start < 0 {
		start = len(all)
	}
	end := min(start+limit, len(all))
	next := ""
	if end < len(all) {
		next = "off:" + strconv.Itoa(end)
	}
	page := all[start:end]
	if page == nil {
		page = []any{}
	}
	return page, next
}

// ---- conversations ----

func (s *Server) convCreate(p params, ch *[]Change) (map[string]any, *apiError) {
	name := p.str("name")
	if code := validChannelName(name); code != "" {
		return nil, slackErr(code)
	}
	if s.st.channelByName(name) != nil {
		return nil, slackErr("name_taken")
	}
	c := s.st.addChannel(s.st.nextID("C"), name, p.boolean("is_private"), BotUserID, BotUserID)
	*ch = append(*ch, Change{Kind: ChangeChannel, Channel: c.ID})
	return map[string]any{"channel": s.convJSON(c)}, nil
}

func (s *Server) convInvite(p params, ch *[]Change) (map[string]any, *apiError) {
	c, err := s.writable(p)
	if err != nil {
		return nil, err
	}
	users := splitList(p.str("users"))
	if len(users) == 0 {
		return nil, slackErr("no_user")
	}
	if max := lim("invite_users_per_call"); len(users) > max {
		return nil, slackErr(rule("invite_users_per_call").Code)
	}
	var errs []any
	var ok []string
	first := ""
	for _, u := range users {
		code := ""
		switch {
		case u == BotUserID:
			code = "cant_invite_self"
		case s.st.users[u] == nil:
			code = "user_not_found"
		case c.members[u]:
			code = "already_in_channel"
		}
		if code == "" {
			ok = append(ok, u)
			continue
		}
		if first == "" {
			first = code
		}
		errs = append(errs, map[string]any{"user": u, "ok": false, "error": code})
	}
	// Rows "invite_without_force" and "invite_with_force": without force (or with a single
	// user) Slack invites nobody when any invitee is refused; with force the valid ones are
	// invited and the others listed in errors.
	if first != "" && (!p.boolean("force") || len(ok) == 0) {
		e := slackErr(first)
		if len(users) > 1 {
			e.extra = map[string]any{"errors": errs}
		}
		return nil, e
	}
	for _, u := range ok {
		s.joinLocked(c, u, BotUserID)
	}
	*ch = append(*ch, Change{Kind: ChangeChannel, Channel: c.ID})
	out := map[string]any{"channel": s.convJSON(c)}
	if errs != nil {
		out["errors"] = errs
	}
	return out, nil
}

func (s *Server) convJoin(p params, ch *[]Change) (map[string]any, *apiError) {
	c, err := s.chanFor(p, "channel")
	if err != nil {
		return nil, err
	}
	if c.IsIM || c.IsPrivate {
		return nil, slackErr("method_not_supported_for_channel_type")
	}
	if c.IsArchived {
		return nil, slackErr("is_archived")
	}
	out := map[string]any{}
	if c.members[BotUserID] {
		out["warning"] = "already_in_channel"
		out["response_metadata"] = map[string]any{"warnings": []string{"already_in_channel"}}
	} else {
		c.addMember(BotUserID)
		s.eventJoinLocked(c, BotUserID, "")
		*ch = append(*ch, Change{Kind: ChangeChannel, Channel: c.ID})
	}
	out["channel"] = s.convJSON(c)
	return out, nil
}

func (s *Server) eventJoinLocked(c *channel, user, inviter string) {
	ev := map[string]any{"type": "member_joined_channel", "user": user, "channel": c.ID,
		"channel_type": map[bool]string{true: "G", false: "C"}[c.IsPrivate], "team": TeamID}
	if inviter != "" {
		ev["inviter"] = inviter
	}
	s.emitLocked(c, ev)
}

func (s *Server) setText(p params, ch *[]Change, key string, set func(c *channel, v string)) (map[string]any, *apiError) {
	c, err := s.writable(p)
	if err != nil {
		return nil, err
	}
	v := p.str(key)
	if runeLen(v) > 250 {
		return nil, slackErr("too_long")
	}
	set(c, v)
	c.lastSet = time.Now()
	*ch = append(*ch, Change{Kind: ChangeChannel, Channel: c.ID})
	return map[string]any{"channel": s.convJSON(c)}, nil
}

func (s *Server) convSetTopic(p params, ch *[]Change) (map[string]any, *apiError) {
	return s.setText(p, ch, "topic", func(c *channel, v string) { c.Topic = v })
}

func (s *Server) convSetPurpose(p params, ch *[]Change) (map[string]any, *apiError) {
	return s.setText(p, ch, "purpose", func(c *channel, v string) { c.Purpose = v })
}

func (s *Server) convInfo(p params, _ *[]Change) (map[string]any, *apiError) {
	c, err := s.chanFor(p, "channel")
	if err != nil {
		return nil, err
	}
	return map[string]any{"channel": s.convJSON(c)}, nil
}

func (s *Server) convMembers(p params, _ *[]Change) (map[string]any, *apiError) {
	c, err := s.chanFor(p, "channel")
	if err != nil {
		return nil, err
	}
	all := make([]any, len(c.Members))
	for i, m := range c.Members {
		all[i] = m
	}
	page, next := paginate(all, p)
	return map[string]any{"members": page, "response_metadata": map[string]any{"next_cursor": next}}, nil
}

func (s *Server) readable(p params) (*channel, *apiError) {
	c, err := s.chanFor(p, "channel")
	if err != nil {
		return nil, err
	}
	if !c.members[BotUserID] {
		return nil, slackErr("not_in_channel")
	}
	return c, nil
}

func (s *Server) convHistory(p params, _ *[]Change) (map[string]any, *apiError) {
	c, err := s.readable(p)
	if err != nil {
		return nil, err
	}
	oldest, latest := p.str("oldest"), p.str("latest")
	incl := p.boolean("inclusive")
	var all []any
	for i := len(c.msgs) - 1; i >= 0; i-- {
		m := c.msgs[i]
		if m.deleted || (m.ThreadTS != "" && m.ThreadTS != m.TS) {
			continue
		}
		if oldest != "" && (tsLess(m.TS, oldest) || (!incl && m.TS == oldest)) {
			continue
		}
		if latest != "" && (tsLess(latest, m.TS) || (!incl && m.TS == latest)) {
			continue
		}
		all = append(all, msgJSON(c, m))
	}
	page, next := paginate(all, p)
	return map[string]any{"messages": page, "has_more": next != "", "pin_count": len(c.pins),
		"response_metadata": map[string]any{"next_cursor": next}}, nil
}

// tsLess compares Slack timestamps numerically (they are fixed-width after the dot).
func tsLess(a, b string) bool {
	ai, af, _ := strings.Cut(a, ".")
	bi, bf, _ := strings.Cut(b, ".")
	if len(ai) != len(bi) {
		return len(ai) < len(bi)
	}
	if ai != bi {
		return ai < bi
	}
	return af < bf
}

func (s *Server) convReplies(p params, _ *[]Change) (map[string]any, *apiError) {
	c, err := s.readable(p)
	if err != nil {
		return nil, err
	}
	ts := p.str("ts")
	parent := c.find(ts)
	if parent == nil {
		return nil, slackErr("thread_not_found")
	}
	root := ts
	if parent.ThreadTS != "" {
		root = parent.ThreadTS
	}
	var all []any
	for _, m := range c.msgs {
		if !m.deleted && (m.TS == root || m.ThreadTS == root) {
			all = append(all, msgJSON(c, m))
		}
	}
	page, next := paginate(all, p)
	return map[string]any{"messages": page, "has_more": next != "", "response_metadata": map[string]any{"next_cursor": next}}, nil
}

func (s *Server) convList(p params, _ *[]Change) (map[string]any, *apiError) {
	types := p.str("types")
	if types == "" {
		types = "public_channel"
	}
	want := map[string]bool{}
	for _, t := range splitList(types) {
		want[t] = true
	}
	var all []any
	for _, id := range s.st.chanOrder {
		c := s.st.channels[id]
		switch {
		case c.IsIM:
			if !want["im"] || !c.members[BotUserID] {
				continue
			}
		case c.IsPrivate:
			if !want["private_channel"] || !c.members[BotUserID] {
				continue
			}
		default:
			if !want["public_channel"] {
				continue
			}
		}
		if c.IsArchived && p.boolean("exclude_archived") {
			continue
		}
		all = append(all, s.convJSON(c))
	}
	page, next := paginate(all, p)
	return map[string]any{"channels": page, "response_metadata": map[string]any{"next_cursor": next}}, nil
}

func (s *Server) convArchive(p params, ch *[]Change) (map[string]any, *apiError) {
	c, err := s.chanFor(p, "channel")
	if err != nil {
		return nil, err
	}
	switch {
	case c.ID == GeneralChannelID:
		return nil, slackErr("cant_archive_general")
	case c.IsIM:
		return nil, slackErr("method_not_supported_for_channel_type")
	case c.IsArchived:
		return nil, slackErr("already_archived")
	case !c.members[BotUserID]:
		return nil, slackErr("not_in_channel")
	}
	c.IsArchived = true
	*ch = append(*ch, Change{Kind: ChangeChannel, Channel: c.ID})
	return map[string]any{}, nil
}

func (s *Server) convRename(p params, ch *[]Change) (map[string]any, *apiError) {
	c, err := s.writable(p)
	if err != nil {
		return nil, err
	}
	name := p.str("name")
	if code := validChannelName(name); code != "" {
		return nil, slackErr(code)
	}
	if o := s.st.channelByName(name); o != nil && o != c {
		return nil, slackErr("name_taken")
	}
	c.Name = name
	*ch = append(*ch, Change{Kind: ChangeChannel, Channel: c.ID})
	return map[string]any{"channel": s.convJSON(c)}, nil
}

func (s *Server) convOpen(p params, ch *[]Change) (map[string]any, *apiError) {
	users := splitList(p.str("users"))
	if len(users) != 1 {
		return nil, slackErr("users_list_not_supplied")
	}
	if s.st.users[users[0]] == nil {
		return nil, slackErr("user_not_found")
	}
	c := s.imFor(users[0])
	*ch = append(*ch, Change{Kind: ChangeChannel, Channel: c.ID})
	return map[string]any{"channel": map[string]any{"id": c.ID}}, nil
}

// ---- chat ----

// postTarget resolves chat.postMessage's channel, which may be a user id (a DM).
func (s *Server) postTarget(p params) (*channel, *apiError) {
	id := p.str("channel")
	if strings.HasPrefix(id, "U") || strings.HasPrefix(id, "W") {
		if s.st.users[id] == nil {
			return nil, slackErr("channel_not_found")
		}
		return s.imFor(id), nil
	}
	return s.chanFor(p, "channel")
}

func (s *Server) chatPostMessage(p params, ch *[]Change) (map[string]any, *apiError) {
	c, err := s.postTarget(p)
	if err == nil && c.IsIM && !s.app.messagesTab {
		// Row "messages_tab_disabled": the app's DMs live in its App Home Messages tab.
		err = slackErr(rule("messages_tab_disabled").Code)
	}
	if err == nil && c.postingRestricted {
		// Row "posting_restricted".
		err = slackErr(rule("posting_restricted").Code)
	}
	if err == nil {
		err = botCanWrite(c)
	}
	if err != nil {
		return nil, err
	}
	text, blocks := p.str("text"), p.raw("blocks")
	if text == "" && !hasBlocks(blocks) && !hasBlocks(p.raw("attachments")) {
		return nil, slackErr("no_text")
	}
	if e := s.checkMessageBlocks("chat.postMessage", text, blocks); e != nil {
		return nil, e
	}
	thread := p.str("thread_ts")
	if thread != "" {
		parent := c.find(thread)
		if parent == nil {
			return nil, slackErr("thread_not_found")
		}
		if parent.ThreadTS != "" {
			thread = parent.ThreadTS
		}
	}
	m := &message{Message: Message{Channel: c.ID, TS: s.st.nextTS(), ThreadTS: thread, User: BotUserID, BotID: BotID,
		Text: text, Blocks: compactJSON(blocks)}}
	c.msgs = append(c.msgs, m)
	if s.cfg.ownEvents {
		s.emitLocked(c, s.messageEventLocked(c, m))
	}
	*ch = append(*ch, Change{Kind: ChangeMessagePosted, Channel: c.ID, TS: m.TS})
	return map[string]any{"channel": c.ID, "ts": m.TS, "message": msgJSON(c, m)}, nil
}

func compactJSON(raw json.RawMessage) json.RawMessage {
	if !hasBlocks(raw) {
		return nil
	}
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return nil
	}
	b, _ := json.Marshal(v)
	return b
}

func (s *Server) botMessage(p params, tsKey string) (*channel, *message, *apiError) {
	c, err := s.chanFor(p, "channel")
	if err != nil {
		return nil, nil, err
	}
	m := c.find(p.str(tsKey))
	if m == nil {
		return nil, nil, slackErr("message_not_found")
	}
	return c, m, nil
}

func (s *Server) chatUpdate(p params, ch *[]Change) (map[string]any, *apiError) {
	c, m, err := s.botMessage(p, "ts")
	if err != nil {
		return nil, err
	}
	if c.IsArchived {
		return nil, slackErr("is_archived")
	}
	if !c.members[BotUserID] {
		return nil, slackErr("not_in_channel")
	}
	if m.User != BotUserID {
		return nil, slackErr("cant_update_message")
	}
	text, blocks := p.str("text"), p.raw("blocks")
	if !p.has("text") && !p.has("blocks") {
		return nil, slackErr("no_text")
	}
	if e := s.checkMessageBlocks("chat.update", text, blocks); e != nil {
		return nil, e
	}
	if p.has("text") {
		m.Text = text
	}
	if p.has("blocks") {
		m.Blocks = compactJSON(blocks)
	}
	m.Edited = true
	if s.cfg.ownEvents {
		ev := map[string]any{"type": "message", "subtype": "message_changed", "channel": c.ID, "hidden": true,
			"ts": s.st.nextTS(), "channel_type": channelType(c), "message": msgJSON(c, m)}
		s.emitLocked(c, ev)
	}
	*ch = append(*ch, Change{Kind: ChangeMessageUpdated, Channel: c.ID, TS: m.TS})
	return map[string]any{"channel": c.ID, "ts": m.TS, "text": m.Text, "message": msgJSON(c, m)}, nil
}

func (s *Server) chatPostEphemeral(p params, ch *[]Change) (map[string]any, *apiError) {
	c, err := s.postTarget(p)
	if err == nil {
		err = botCanWrite(c)
	}
	if err != nil {
		return nil, err
	}
	user := p.str("user")
	if s.st.users[user] == nil {
		return nil, slackErr("user_not_found")
	}
	if !c.members[user] {
		return nil, slackErr("user_not_in_channel")
	}
	text, blocks := p.str("text"), p.raw("blocks")
	if text == "" && !hasBlocks(blocks) {
		return nil, slackErr("no_text")
	}
	if e := s.checkMessageBlocks("chat.postEphemeral", text, blocks); e != nil {
		return nil, e
	}
	ts := s.st.nextTS()
	s.st.ephemerals = append(s.st.ephemerals, Ephemeral{User: user, Channel: c.ID, TS: ts, Text: text,
		Blocks: compactJSON(blocks), Source: "chat.postEphemeral", Time: time.Now()})
	*ch = append(*ch, Change{Kind: ChangeEphemeral, Channel: c.ID, User: user, TS: ts})
	return map[string]any{"message_ts": ts}, nil
}

func (s *Server) chatDelete(p params, ch *[]Change) (map[string]any, *apiError) {
	c, m, err := s.botMessage(p, "ts")
	if err != nil {
		return nil, err
	}
	if m.User != BotUserID {
		return nil, slackErr("cant_delete_message")
	}
	m.deleted = true
	*ch = append(*ch, Change{Kind: ChangeMessageDeleted, Channel: c.ID, TS: m.TS})
	return map[string]any{"channel": c.ID, "ts": m.TS}, nil
}

func (s *Server) chatGetPermalink(p params, _ *[]Change) (map[string]any, *apiError) {
	c, m, err := s.botMessage(p, "message_ts")
	if err != nil {
		return nil, err
	}
	link := s.base + "/archives/" + c.ID + "/p" + strings.Replace(m.TS, ".", "", 1)
	if m.ThreadTS != "" && m.ThreadTS != m.TS {
		link += "?thread_ts=" + m.ThreadTS + "&cid=" + c.ID
	}
	return map[string]any{"channel": c.ID, "permalink": link}, nil
}

// ---- pins, bookmarks, reactions ----

func (s *Server) pinsAdd(p params, ch *[]Change) (map[string]any, *apiError) {
	c, err := s.writable(p)
	if err != nil {
		return nil, err
	}
	ts := p.str("timestamp")
	if ts == "" {
		return nil, slackErr("no_item_specified")
	}
	if code := s.pinLocked(c, BotUserID, ts); code != "" {
		return nil, slackErr(code)
	}
	*ch = append(*ch, Change{Kind: ChangePin, Channel: c.ID, TS: ts, User: BotUserID})
	return map[string]any{}, nil
}

func (s *Server) pinsRemove(p params, ch *[]Change) (map[string]any, *apiError) {
	c, err := s.chanFor(p, "channel")
	if err != nil {
		return nil, err
	}
	ts := p.str("timestamp")
	m := c.find(ts)
	if m == nil {
		return nil, slackErr("message_not_found")
	}
	if !m.Pinned {
		return nil, slackErr("no_pin")
	}
	m.Pinned = false
	for i, pin := range c.pins {
		if pin.TS == ts {
			c.pins = append(c.pins[:i:i], c.pins[i+1:]...)
			break
		}
	}
	*ch = append(*ch, Change{Kind: ChangePin, Channel: c.ID, TS: ts, User: BotUserID})
	return map[string]any{}, nil
}

func (s *Server) pinsList(p params, _ *[]Change) (map[string]any, *apiError) {
	c, err := s.chanFor(p, "channel")
	if err != nil {
		return nil, err
	}
	items := []any{}
	for i := len(c.pins) - 1; i >= 0; i-- {
		pin := c.pins[i]
		if m := c.find(pin.TS); m != nil {
			items = append(items, map[string]any{"type": "message", "channel": c.ID, "created": pin.Created.Unix(),
				"created_by": pin.CreatedBy, "message": msgJSON(c, m)})
		}
	}
	return map[string]any{"items": items}, nil
}

func bookmarkJSON(b Bookmark) map[string]any {
	return map[string]any{"id": b.ID, "channel_id": b.Channel, "title": b.Title, "link": b.Link, "emoji": b.Emoji,
		"type": b.Type, "date_created": b.Created.Unix(), "date_updated": 0, "rank": "a", "app_id": AppID,
		"last_updated_by_user_id": BotUserID, "last_updated_by_team_id": TeamID}
}

func (s *Server) bookmarksAdd(p params, ch *[]Change) (map[string]any, *apiError) {
	c, err := s.chanFor(p, "channel_id")
	if err != nil {
		return nil, err
	}
	if c.IsArchived {
		return nil, slackErr("is_archived")
	}
	if !c.members[BotUserID] {
		return nil, slackErr("not_in_channel")
	}
	title, typ, link := p.str("title"), p.str("type"), p.str("link")
	if title == "" || typ == "" {
		return nil, slackErr("invalid_arguments")
	}
	if typ == "link" && link == "" {
		return nil, slackErr("invalid_link")
	}
	b := Bookmark{ID: s.st.nextID("Bk"), Channel: c.ID, Title: title, Link: link, Emoji: p.str("emoji"), Type: typ, Created: time.Now()}
	c.books = append(c.books, b)
	*ch = append(*ch, Change{Kind: ChangeBookmark, Channel: c.ID})
	return map[string]any{"bookmark": bookmarkJSON(b)}, nil
}

func (s *Server) bookmarksList(p params, _ *[]Change) (map[string]any, *apiError) {
	c, err := s.chanFor(p, "channel_id")
	if err != nil {
		return nil, err
	}
	out := []any{}
	for _, b := range c.books {
		out = append(out, bookmarkJSON(b))
	}
	return map[string]any{"bookmarks": out}, nil
}

func (s *Server) reactionsAdd(p params, ch *[]Change) (map[string]any, *apiError) {
	c, err := s.writable(p)
	if err != nil {
		return nil, err
	}
	name := p.str("name")
	if name == "" {
		return nil, slackErr("invalid_name")
	}
	ts := p.str("timestamp")
	if code := s.reactLocked(c, BotUserID, ts, name); code != "" {
		return nil, slackErr(code)
	}
	*ch = append(*ch, Change{Kind: ChangeReaction, Channel: c.ID, TS: ts, User: BotUserID})
	return map[string]any{}, nil
}

// ---- views ----

func (s *Server) viewArg(method string, p params) (map[string]any, *apiError) {
	raw := p.raw("view")
	if raw == nil {
		return nil, slackErr("invalid_arguments")
	}
	var v map[string]any
	if json.Unmarshal(raw, &v) != nil || v == nil {
		return nil, slackErr("invalid_arguments")
	}
	if bv := validateModal(v); bv != nil {
		return nil, s.blocksErr(method, bv)
	}
	return v, nil
}

// useTrigger spends a trigger_id: once, and only within the TTL.
func (s *Server) useTrigger(id string) (*trigger, *apiError) {
	if id == "" {
		return nil, slackErr("invalid_arguments")
	}
	t := s.st.triggers[id]
	switch {
	case t == nil:
		return nil, slackErr("invalid_trigger_id")
	case t.used:
		return nil, slackErr("exchanged_trigger_id")
	case time.Since(t.created) > s.cfg.triggerTTL:
		return nil, slackErr("expired_trigger_id")
	}
	t.used = true
	return t, nil
}

func (s *Server) viewsOpen(p params, ch *[]Change) (map[string]any, *apiError) {
	v, err := s.viewArg("views.open", p)
	if err != nil {
		return nil, err
	}
	t, err := s.useTrigger(p.str("trigger_id"))
	if err != nil {
		return nil, err
	}
	nv := s.openViewLocked(t.user, v, "", "")
	*ch = append(*ch, Change{Kind: ChangeViewOpened, User: t.user, ViewID: nv.ID})
	return map[string]any{"view": s.viewPayloadLocked(nv)}, nil
}

func (s *Server) viewsPush(p params, ch *[]Change) (map[string]any, *apiError) {
	v, err := s.viewArg("views.push", p)
	if err != nil {
		return nil, err
	}
	t, err := s.useTrigger(p.str("trigger_id"))
	if err != nil {
		return nil, err
	}
	stack := s.st.stacks[t.user]
	if len(stack) == 0 {
		return nil, slackErr("not_found")
	}
	if len(stack) >= 3 {
		return nil, slackErr("push_limit_reached")
	}
	top := s.st.views[stack[len(stack)-1]]
	nv := s.openViewLocked(t.user, v, top.RootViewID, top.ID)
	*ch = append(*ch, Change{Kind: ChangeViewOpened, User: t.user, ViewID: nv.ID})
	return map[string]any{"view": s.viewPayloadLocked(nv)}, nil
}

func (s *Server) viewsUpdate(p params, ch *[]Change) (map[string]any, *apiError) {
	v, err := s.viewArg("views.update", p)
	if err != nil {
		return nil, err
	}
	var cur *view
	if id := p.str("view_id"); id != "" {
		cur = s.st.views[id]
	} else if ext := p.str("external_id"); ext != "" {
		for _, vv := range s.st.views {
			if vv.ExternalID == ext {
				cur = vv
			}
		}
	} else {
		return nil, slackErr("invalid_arguments")
	}
	if cur == nil {
		return nil, slackErr("not_found")
	}
	if h := p.str("hash"); h != "" && h != cur.Hash {
		return nil, slackErr("hash_conflict")
	}
	s.setViewLocked(cur, v)
	*ch = append(*ch, Change{Kind: ChangeViewUpdated, User: cur.User, ViewID: cur.ID})
	return map[string]any{"view": s.viewPayloadLocked(cur)}, nil
}

// ---- response_url ----

// serveResponseURL takes posts to response_urls: at most a few, for a limited time.
func (s *Server) serveResponseURL(w http.ResponseWriter, r *http.Request) {
	id := strings.TrimPrefix(r.URL.Path, "/response/")
	if r.Method != http.MethodPost {
		writeJSON(w, http.StatusMethodNotAllowed, map[string]any{"ok": false, "error": "method_not_allowed"})
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		return
	}
	var msg struct {
		Text            string          `json:"text"`
		Blocks          json.RawMessage `json:"blocks"`
		ResponseType    string          `json:"response_type"`
		ReplaceOriginal bool            `json:"replace_original"`
		DeleteOriginal  bool            `json:"delete_original"`
		ThreadTS        string          `json:"thread_ts"`
	}
	if json.Unmarshal(body, &msg) != nil {
		writeJSON(w, http.StatusBadRequest, map[string]any{"ok": false, "error": "invalid_payload"})
		return
	}
	var changes []Change
	status, code := s.postResponseURL(id, msg.Text, msg.Blocks, msg.ResponseType, msg.ReplaceOriginal, msg.DeleteOriginal, &changes)
	s.publish(changes...)
	if code != "" {
		writeJSON(w, status, map[string]any{"ok": false, "error": code})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"ok": true})
}

func (s *Server) postResponseURL(id, text string, blocks json.RawMessage, rtype string, replace, del bool, ch *[]Change) (int, string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ru := s.st.respURLs[id]
	switch {
	case ru == nil:
		return http.StatusNotFound, "no_service"
	case time.Since(ru.created) > s.cfg.responseURLTTL:
		return http.StatusNotFound, "expired_url"
	case ru.uses >= s.cfg.responseURLUses:
		return http.StatusNotFound, "used_url"
	}
	if !del && text == "" && !hasBlocks(blocks) {
		return http.StatusBadRequest, "no_text"
	}
	if e := s.checkMessageBlocks("response_url", text, blocks); e != nil {
		return http.StatusBadRequest, e.code
	}
	ru.uses++
	c := s.st.channels[ru.channel]
	if (replace || del) && ru.messageTS != "" && c != nil {
		if m := c.find(ru.messageTS); m != nil {
			if del {
				m.deleted = true
				*ch = append(*ch, Change{Kind: ChangeMessageDeleted, Channel: c.ID, TS: m.TS})
				return 0, ""
			}
			m.Text, m.Blocks, m.Edited = text, compactJSON(blocks), true
			*ch = append(*ch, Change{Kind: ChangeMessageUpdated, Channel: c.ID, TS: m.TS})
			return 0, ""
		}
	}
	if del {
		return 0, ""
	}
	if rtype == "in_channel" && c != nil {
		m := &message{Message: Message{Channel: c.ID, TS: s.st.nextTS(), User: BotUserID, BotID: BotID, Text: text, Blocks: compactJSON(blocks)}}
		c.msgs = append(c.msgs, m)
		*ch = append(*ch, Change{Kind: ChangeMessagePosted, Channel: c.ID, TS: m.TS})
		return 0, ""
	}
	s.st.ephemerals = append(s.st.ephemerals, Ephemeral{User: ru.user, Channel: ru.channel, TS: s.st.nextTS(), Text: text,
		Blocks: compactJSON(blocks), Source: "response_url", Time: time.Now()})
	*ch = append(*ch, Change{Kind: ChangeEphemeral, User: ru.user, Channel: ru.channel})
	return 0, ""
}
