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

// UsersConversations lists the conversations the calling bot is a member of
// (https://api.slack.com/methods/users.conversations); only public channels unless types
// asks for more, and never IMs.
func (a *api) UsersConversations(o conversationListArgs) (*conversationsResult, *apiError) {
	return a.listConversations(o, func(c *channel) bool { return c.members[BotUserID] && !c.IsIM }), nil
}
