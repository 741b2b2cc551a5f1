package slackfake

import (
	"encoding/json"
	"fmt"
	"regexp"
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
	"views.publish":            (*Server).viewsPublish,
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
