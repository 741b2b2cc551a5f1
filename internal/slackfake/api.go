package slackfake

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"time"
)

// endpoints is the Web API: every method the fake answers, by family.
var endpoints = map[string]endpoint{
	"auth.test":             typed((*api).AuthTest),
	"apps.connections.open": typed((*api).AppsConnectionsOpen),
	"team.info":             typed((*api).TeamInfo),
	"users.info":            typed((*api).UsersInfo),
	"users.list":            typed((*api).UsersList),
	"users.conversations":   typed((*api).UsersConversations),

	"conversations.create":     typed((*api).ConversationsCreate),
	"conversations.invite":     typed((*api).ConversationsInvite),
	"conversations.join":       typed((*api).ConversationsJoin),
	"conversations.setTopic":   typed((*api).ConversationsSetTopic),
	"conversations.setPurpose": typed((*api).ConversationsSetPurpose),
	"conversations.info":       typed((*api).ConversationsInfo),
	"conversations.members":    typed((*api).ConversationsMembers),
	"conversations.history":    typed((*api).ConversationsHistory),
	"conversations.replies":    typed((*api).ConversationsReplies),
	"conversations.list":       typed((*api).ConversationsList),
	"conversations.archive":    typed((*api).ConversationsArchive),
	"conversations.rename":     typed((*api).ConversationsRename),
	"conversations.open":       typed((*api).ConversationsOpen),

	"chat.postMessage":   typed((*api).ChatPostMessage),
	"chat.update":        typed((*api).ChatUpdate),
	"chat.postEphemeral": typed((*api).ChatPostEphemeral),
	"chat.delete":        typed((*api).ChatDelete),
	"chat.getPermalink":  typed((*api).ChatGetPermalink),

	"pins.add":       typed((*api).PinsAdd),
	"pins.remove":    typed((*api).PinsRemove),
	"pins.list":      typed((*api).PinsList),
	"bookmarks.add":  typed((*api).BookmarksAdd),
	"bookmarks.list": typed((*api).BookmarksList),
	"reactions.add":  typed((*api).ReactionsAdd),

	"views.open":    typed((*api).ViewsOpen),
	"views.update":  typed((*api).ViewsUpdate),
	"views.push":    typed((*api).ViewsPush),
	"views.publish": typed((*api).ViewsPublish),
}

var validName = regexp.MustCompile(`^[a-z0-9_-]+$`)

// validChannelName is the error code for a channel name Slack refuses, "" for a valid one:
// lower-case letters, digits, hyphens and underscores, at most 80 characters
// (https://api.slack.com/methods/conversations.create, argument name).
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

// conversation finds the conversation id; private channels and IMs the bot is not in are
// invisible, as in Slack.
func (s *Server) conversation(id string) (*channel, *apiError) {
	c := s.st.channels[id]
	if id == "" || c == nil || ((c.IsPrivate || c.IsIM) && !c.members[BotUserID]) {
		return nil, slackErr("channel_not_found")
	}
	return c, nil
}

// reading answers what read makes of the conversation id, if it is visible.
func reading[R any](a *api, id string, read func(c *channel) *R) (*R, *apiError) {
	c, err := a.conversation(id)
	if err != nil {
		return nil, err
	}
	return read(c), nil
}

// writable finds the conversation of a call that changes it: it must exist, not be
// archived, and have the bot as a member.
func (s *Server) writable(id string) (*channel, *apiError) {
	c, err := s.conversation(id)
	if err != nil {
		return nil, err
	}
	return c, botCanWrite(c)
}

// readable finds the conversation of a call that reads its messages: the bot must be in it.
func (s *Server) readable(id string) (*channel, *apiError) {
	c, err := s.conversation(id)
	if err == nil && !c.members[BotUserID] {
		err = slackErr("not_in_channel")
	}
	return c, err
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
	return explained(code, v.detail+" ("+v.limit+")")
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
