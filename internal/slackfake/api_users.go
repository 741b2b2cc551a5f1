package slackfake

import "strings"

// ---- auth, team, users ----

// authTestResult is auth.test's answer.
type authTestResult struct {
	URL                 string `json:"url"`
	Team                string `json:"team"`
	User                string `json:"user"`
	TeamID              string `json:"team_id"`
	UserID              string `json:"user_id"`
	BotID               string `json:"bot_id"`
	IsEnterpriseInstall bool   `json:"is_enterprise_install"`
}

// AuthTest is https://api.slack.com/methods/auth.test.
func (a *api) AuthTest(noArgs) (*authTestResult, *apiError) {
	return &authTestResult{URL: a.base + "/", Team: TeamName, User: BotName, TeamID: TeamID, UserID: BotUserID,
		BotID: BotID}, nil
}

// connectionsOpenResult is apps.connections.open's answer: the Socket Mode URL to dial.
type connectionsOpenResult struct {
	URL string `json:"url"`
}

// AppsConnectionsOpen is https://api.slack.com/methods/apps.connections.open: a single-use
// ticket in the WebSocket URL.
func (a *api) AppsConnectionsOpen(noArgs) (*connectionsOpenResult, *apiError) {
	t := a.st.nextID("tk")
	a.sm.tickets[t] = true
	return &connectionsOpenResult{URL: "ws://" + strings.TrimPrefix(a.base, "http://") + "/ws?ticket=" + t}, nil
}

// teamInfoResult is team.info's answer.
type teamInfoResult struct {
	Team struct {
		ID     string `json:"id"`
		Name   string `json:"name"`
		Domain string `json:"domain"`
	} `json:"team"`
}

// TeamInfo is https://api.slack.com/methods/team.info.
func (a *api) TeamInfo(noArgs) (*teamInfoResult, *apiError) {
	out := &teamInfoResult{}
	out.Team.ID, out.Team.Name, out.Team.Domain = TeamID, TeamName, TeamDomain
	return out, nil
}

// usersInfoArgs are users.info's arguments.
type usersInfoArgs struct {
	User string `form:"user"`
}

// userResult is an answer holding one user.
type userResult struct {
	User userJSON `json:"user"`
}

// UsersInfo is https://api.slack.com/methods/users.info.
func (a *api) UsersInfo(o usersInfoArgs) (*userResult, *apiError) {
	u := a.st.users[o.User]
	if u == nil {
		return nil, slackErr("user_not_found")
	}
	return &userResult{User: userObject(u)}, nil
}

// UsersList is https://api.slack.com/methods/users.list.
func (a *api) UsersList(pg page) (*membersResult[userJSON], *apiError) {
	var all []userJSON
	for _, id := range a.st.userOrder {
		all = append(all, userObject(a.st.users[id]))
	}
	return membersPage(all, pg), nil
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

// UsersConversations lists the conversations the calling bot is a member of
// (https://api.slack.com/methods/users.conversations); only public channels unless types
// asks for more, and never IMs.
func (a *api) UsersConversations(o conversationListArgs) (*conversationsResult, *apiError) {
	return a.listConversations(o, func(c *channel) bool { return c.members[BotUserID] && !c.IsIM }), nil
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
