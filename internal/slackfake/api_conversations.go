package slackfake

import (
	"strings"
	"time"
)

// ---- conversations ----

// channelArgs name one conversation.
type channelArgs struct {
	Channel string `form:"channel"`
}

// channelResult is an answer holding one conversation.
type channelResult struct {
	Channel conversationJSON `json:"channel"`
}

// channelChanged records a change to c and answers it.
func (a *api) channelChanged(c *channel) (*channelResult, *apiError) {
	a.changed(Change{Kind: ChangeChannel, Channel: c.ID})
	return &channelResult{Channel: convJSON(c)}, nil
}

// createArgs are conversations.create's arguments.
type createArgs struct {
	Name      string `form:"name"`
	IsPrivate bool   `form:"is_private"`
}

// ConversationsCreate is https://api.slack.com/methods/conversations.create.
func (a *api) ConversationsCreate(o createArgs) (*channelResult, *apiError) {
	if code := validChannelName(o.Name); code != "" {
		return nil, slackErr(code)
	}
	if a.st.channelByName(o.Name) != nil {
		return nil, slackErr("name_taken")
	}
	return a.channelChanged(a.st.addChannel(a.st.nextID("C"), o.Name, o.IsPrivate, BotUserID, BotUserID))
}

// inviteArgs are conversations.invite's arguments.
type inviteArgs struct {
	Channel string   `form:"channel"`
	Users   []string `form:"users"`
	Force   bool     `form:"force"`
}

// inviteError is one refused invitee.
type inviteError struct {
	User  string `json:"user"`
	OK    bool   `json:"ok"`
	Error string `json:"error"`
}

// inviteResult is conversations.invite's answer; Errors lists those refused under force.
type inviteResult struct {
	Channel conversationJSON `json:"channel"`
	Errors  []inviteError    `json:"errors,omitempty"`
}

// ConversationsInvite is https://api.slack.com/methods/conversations.invite.
func (a *api) ConversationsInvite(o inviteArgs) (*inviteResult, *apiError) {
	c, err := a.writable(o.Channel)
	if err != nil {
		return nil, err
	}
	if len(o.Users) == 0 {
		return nil, slackErr("no_user")
	}
	if max := lim("invite_users_per_call"); len(o.Users) > max {
		return nil, slackErr(rule("invite_users_per_call").Code)
	}
	var errs []inviteError
	var ok []string
	for _, u := range o.Users {
		code := ""
		switch {
		case u == BotUserID:
			code = "cant_invite_self"
		case a.st.users[u] == nil:
			code = "user_not_found"
		case c.members[u]:
			code = "already_in_channel"
		}
		if code == "" {
			ok = append(ok, u)
			continue
		}
		errs = append(errs, inviteError{User: u, Error: code})
	}
	// Rows "invite_without_force" and "invite_with_force": without force (or with a single
	// user) Slack invites nobody when any invitee is refused; with force the valid ones are
	// invited and the others listed in errors.
	if errs != nil && (!o.Force || len(ok) == 0) {
		e := slackErr(errs[0].Error)
		if len(o.Users) > 1 {
			e.extra = map[string]any{"errors": errs}
		}
		return nil, e
	}
	for _, u := range ok {
		a.joinLocked(c, u, BotUserID)
	}
	a.changed(Change{Kind: ChangeChannel, Channel: c.ID})
	return &inviteResult{Channel: convJSON(c), Errors: errs}, nil
}

// joinResult is conversations.join's answer, with a warning when the bot was already in.
type joinResult struct {
	Warning          string           `json:"warning,omitempty"`
	ResponseMetadata *warningsJSON    `json:"response_metadata,omitempty"`
	Channel          conversationJSON `json:"channel"`
}

type warningsJSON struct {
	Warnings []string `json:"warnings"`
}

// ConversationsJoin is https://api.slack.com/methods/conversations.join.
func (a *api) ConversationsJoin(o channelArgs) (*joinResult, *apiError) {
	c, err := a.conversation(o.Channel)
	if err != nil {
		return nil, err
	}
	if c.IsIM || c.IsPrivate {
		return nil, slackErr("method_not_supported_for_channel_type")
	}
	if c.IsArchived {
		return nil, slackErr("is_archived")
	}
	out := &joinResult{}
	if c.members[BotUserID] {
		out.Warning = "already_in_channel"
		out.ResponseMetadata = &warningsJSON{Warnings: []string{"already_in_channel"}}
	} else {
		c.addMember(BotUserID)
		a.eventJoinLocked(c, BotUserID, "")
		a.changed(Change{Kind: ChangeChannel, Channel: c.ID})
	}
	out.Channel = convJSON(c)
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

// setTextArgs are the arguments of conversations.setTopic and conversations.setPurpose.
type setTextArgs struct {
	Channel string `form:"channel"`
	Topic   string `form:"topic"`
	Purpose string `form:"purpose"`
}

// setText sets a channel's topic or purpose, at most 250 characters
// (https://api.slack.com/methods/conversations.setTopic answers too_long beyond).
func (a *api) setText(id, v string, set func(c *channel, v string)) (*channelResult, *apiError) {
	c, err := a.writable(id)
	if err != nil {
		return nil, err
	}
	if runeLen(v) > 250 {
		return nil, slackErr("too_long")
	}
	set(c, v)
	c.lastSet = time.Now()
	return a.channelChanged(c)
}

// ConversationsSetTopic is https://api.slack.com/methods/conversations.setTopic.
func (a *api) ConversationsSetTopic(o setTextArgs) (*channelResult, *apiError) {
	return a.setText(o.Channel, o.Topic, func(c *channel, v string) { c.Topic = v })
}

// ConversationsSetPurpose is https://api.slack.com/methods/conversations.setPurpose.
func (a *api) ConversationsSetPurpose(o setTextArgs) (*channelResult, *apiError) {
	return a.setText(o.Channel, o.Purpose, func(c *channel, v string) { c.Purpose = v })
}

// ConversationsInfo is https://api.slack.com/methods/conversations.info.
func (a *api) ConversationsInfo(o channelArgs) (*channelResult, *apiError) {
	return reading(a, o.Channel, func(c *channel) *channelResult { return &channelResult{Channel: convJSON(c)} })
}

// pagedChannelArgs name a conversation and a page of what it holds.
type pagedChannelArgs struct {
	Channel string `form:"channel"`
	Page    page
}

// membersResult is one page of members: user ids (conversations.members) or users
// (users.list).
type membersResult[T any] struct {
	Members          []T        `json:"members"`
	ResponseMetadata cursorMeta `json:"response_metadata"`
}

func membersPage[T any](all []T, pg page) *membersResult[T] {
	out := &membersResult[T]{}
	out.Members, out.ResponseMetadata = paginate(all, pg)
	return out
}

// ConversationsMembers is https://api.slack.com/methods/conversations.members.
func (a *api) ConversationsMembers(o pagedChannelArgs) (*membersResult[string], *apiError) {
	return reading(a, o.Channel, func(c *channel) *membersResult[string] {
		return membersPage(append([]string(nil), c.Members...), o.Page)
	})
}

// historyArgs are the arguments of conversations.history and conversations.replies.
type historyArgs struct {
	Channel   string `form:"channel"`
	TS        string `form:"ts"`
	Oldest    string `form:"oldest"`
	Latest    string `form:"latest"`
	Inclusive bool   `form:"inclusive"`
	Page      page
}

// historyResult is one page of messages; PinCount is conversations.history's alone.
type historyResult struct {
	Messages         []messageJSON `json:"messages"`
	HasMore          bool          `json:"has_more"`
	PinCount         *int          `json:"pin_count,omitempty"`
	ResponseMetadata cursorMeta    `json:"response_metadata"`
}

func messagesPage(all []messageJSON, pg page) *historyResult {
	out := &historyResult{}
	out.Messages, out.ResponseMetadata = paginate(all, pg)
	out.HasMore = out.ResponseMetadata.NextCursor != ""
	return out
}

// ConversationsHistory is https://api.slack.com/methods/conversations.history: top-level
// messages, newest first, between oldest and latest.
func (a *api) ConversationsHistory(o historyArgs) (*historyResult, *apiError) {
	c, err := a.readable(o.Channel)
	if err != nil {
		return nil, err
	}
	var all []messageJSON
	for i := len(c.msgs) - 1; i >= 0; i-- {
		m := c.msgs[i]
		if m.deleted || (m.ThreadTS != "" && m.ThreadTS != m.TS) {
			continue
		}
		if o.Oldest != "" && (tsLess(m.TS, o.Oldest) || (!o.Inclusive && m.TS == o.Oldest)) {
			continue
		}
		if o.Latest != "" && (tsLess(o.Latest, m.TS) || (!o.Inclusive && m.TS == o.Latest)) {
			continue
		}
		all = append(all, msgJSON(c, m))
	}
	out := messagesPage(all, o.Page)
	pins := len(c.pins)
	out.PinCount = &pins
	return out, nil
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

// ConversationsReplies is https://api.slack.com/methods/conversations.replies: a thread,
// its parent first.
func (a *api) ConversationsReplies(o historyArgs) (*historyResult, *apiError) {
	c, err := a.readable(o.Channel)
	if err != nil {
		return nil, err
	}
	parent := c.find(o.TS)
	if parent == nil {
		return nil, slackErr("thread_not_found")
	}
	root := o.TS
	if parent.ThreadTS != "" {
		root = parent.ThreadTS
	}
	var all []messageJSON
	for _, m := range c.msgs {
		if !m.deleted && (m.TS == root || m.ThreadTS == root) {
			all = append(all, msgJSON(c, m))
		}
	}
	return messagesPage(all, o.Page), nil
}

// conversationListArgs are the arguments of conversations.list and users.conversations.
type conversationListArgs struct {
	Types           []string `form:"types"`
	ExcludeArchived bool     `form:"exclude_archived"`
	Page            page
}

// conversationsResult is one page of conversations.
type conversationsResult struct {
	Channels         []conversationJSON `json:"channels"`
	ResponseMetadata cursorMeta         `json:"response_metadata"`
}

// ConversationsList is https://api.slack.com/methods/conversations.list: public channels
// unless types asks for more; private channels and IMs only where the bot is a member.
func (a *api) ConversationsList(o conversationListArgs) (*conversationsResult, *apiError) {
	return a.listConversations(o, func(c *channel) bool { return !c.IsPrivate || c.members[BotUserID] }), nil
}

// listConversations is one page of the conversations of the types asked (public_channel
// when none), private_channel or im, that visible keeps, without the archived ones when
// asked.
func (a *api) listConversations(o conversationListArgs, visible func(c *channel) bool) *conversationsResult {
	types := o.Types
	if len(types) == 0 {
		types = []string{"public_channel"}
	}
	var all []conversationJSON
	for _, id := range a.st.chanOrder {
		c := a.st.channels[id]
		kind := "public_channel"
		switch {
		case c.IsIM:
			kind = "im"
		case c.IsPrivate:
			kind = "private_channel"
		}
		if contains(types, kind) && visible(c) && !(c.IsArchived && o.ExcludeArchived) {
			all = append(all, convJSON(c))
		}
	}
	out := &conversationsResult{}
	out.Channels, out.ResponseMetadata = paginate(all, o.Page)
	return out
}

// ConversationsArchive is https://api.slack.com/methods/conversations.archive.
func (a *api) ConversationsArchive(o channelArgs) (*empty, *apiError) {
	c, err := a.conversation(o.Channel)
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
	a.changed(Change{Kind: ChangeChannel, Channel: c.ID})
	return &empty{}, nil
}

// renameArgs are conversations.rename's arguments.
type renameArgs struct {
	Channel string `form:"channel"`
	Name    string `form:"name"`
}

// ConversationsRename is https://api.slack.com/methods/conversations.rename.
func (a *api) ConversationsRename(o renameArgs) (*channelResult, *apiError) {
	c, err := a.writable(o.Channel)
	if err != nil {
		return nil, err
	}
	if code := validChannelName(o.Name); code != "" {
		return nil, slackErr(code)
	}
	if other := a.st.channelByName(o.Name); other != nil && other != c {
		return nil, slackErr("name_taken")
	}
	c.Name = o.Name
	return a.channelChanged(c)
}

// openArgs are conversations.open's arguments.
type openArgs struct {
	Users []string `form:"users"`
}

// openResult is conversations.open's answer: the IM's id.
type openResult struct {
	Channel struct {
		ID string `json:"id"`
	} `json:"channel"`
}

// ConversationsOpen is https://api.slack.com/methods/conversations.open, for an IM with one
// person.
func (a *api) ConversationsOpen(o openArgs) (*openResult, *apiError) {
	if len(o.Users) != 1 {
		return nil, slackErr("users_list_not_supplied")
	}
	if a.st.users[o.Users[0]] == nil {
		return nil, slackErr("user_not_found")
	}
	c := a.imFor(o.Users[0])
	a.changed(Change{Kind: ChangeChannel, Channel: c.ID})
	out := &openResult{}
	out.Channel.ID = c.ID
	return out, nil
}
