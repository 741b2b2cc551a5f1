package slackfake

// The objects the Web API answers with, as Slack shapes them. A field only some objects
// carry is omitted when empty, as Slack omits it.

// conversationJSON is a conversation object (https://api.slack.com/types/conversation).
type conversationJSON struct {
	ID            string `json:"id"`
	Created       int64  `json:"created"`
	IsArchived    bool   `json:"is_archived"`
	IsPrivate     bool   `json:"is_private"`
	IsIM          bool   `json:"is_im"`
	IsMPIM        bool   `json:"is_mpim"`
	IsMember      bool   `json:"is_member"`
	NumMembers    int    `json:"num_members"`
	ContextTeamID string `json:"context_team_id"`
	IsShared      bool   `json:"is_shared"`
	IsExtShared   bool   `json:"is_ext_shared"`
	IsOrgShared   bool   `json:"is_org_shared"`
	// User and IsOpen are an IM's: the person on the other side.
	User   string `json:"user,omitempty"`
	IsOpen bool   `json:"is_open,omitempty"`
	// A channel (not an IM) has a name, topic and purpose.
	*channelJSON
}

type channelJSON struct {
	Name           string    `json:"name"`
	NameNormalized string    `json:"name_normalized"`
	IsChannel      bool      `json:"is_channel"`
	IsGroup        bool      `json:"is_group"`
	IsGeneral      bool      `json:"is_general"`
	Creator        string    `json:"creator"`
	Topic          topicJSON `json:"topic"`
	Purpose        topicJSON `json:"purpose"`
}

type topicJSON struct {
	Value   string `json:"value"`
	Creator string `json:"creator"`
	LastSet int64  `json:"last_set"`
}

func convJSON(c *channel) conversationJSON {
	out := conversationJSON{ID: c.ID, Created: c.Created.Unix(), IsArchived: c.IsArchived, IsPrivate: c.IsPrivate,
		IsIM: c.IsIM, IsMember: c.members[BotUserID], NumMembers: len(c.Members), ContextTeamID: TeamID}
	if c.IsIM {
		for _, m := range c.Members {
			if m != BotUserID {
				out.User = m
			}
		}
		out.IsOpen = true
		return out
	}
	setAt := c.lastSet.Unix()
	if c.lastSet.IsZero() {
		setAt = 0
	}
	out.channelJSON = &channelJSON{Name: c.Name, NameNormalized: c.Name, IsChannel: !c.IsPrivate, IsGroup: c.IsPrivate,
		IsGeneral: c.ID == GeneralChannelID, Creator: c.Creator,
		Topic:   topicJSON{Value: c.Topic, Creator: c.Creator, LastSet: setAt},
		Purpose: topicJSON{Value: c.Purpose, Creator: c.Creator, LastSet: setAt}}
	return out
}

// messageJSON is a message object (https://api.slack.com/events/message).
type messageJSON struct {
	Type      string           `json:"type"`
	TS        string           `json:"ts"`
	User      string           `json:"user"`
	Text      string           `json:"text"`
	Team      string           `json:"team"`
	BotID     string           `json:"bot_id,omitempty"`
	AppID     string           `json:"app_id,omitempty"`
	Subtype   string           `json:"subtype,omitempty"`
	ThreadTS  string           `json:"thread_ts,omitempty"`
	Blocks    []map[string]any `json:"blocks,omitempty"`
	Edited    *editedJSON      `json:"edited,omitempty"`
	PinnedTo  []string         `json:"pinned_to,omitempty"`
	Reactions []reactionJSON   `json:"reactions,omitempty"`
	// The reply summary of a thread's parent.
	ReplyCount      int      `json:"reply_count,omitempty"`
	ReplyUsers      []string `json:"reply_users,omitempty"`
	ReplyUsersCount int      `json:"reply_users_count,omitempty"`
	LatestReply     string   `json:"latest_reply,omitempty"`
}

type editedJSON struct {
	User string `json:"user"`
	TS   string `json:"ts"`
}

type reactionJSON struct {
	Name  string   `json:"name"`
	Users []string `json:"users"`
	Count int      `json:"count"`
}

func msgJSON(c *channel, m *message) messageJSON {
	out := messageJSON{Type: "message", TS: m.TS, User: m.User, Text: m.Text, Team: TeamID, Subtype: m.Subtype,
		ThreadTS: m.ThreadTS, Blocks: decodeBlocks(m.Blocks)}
	if m.BotID != "" {
		out.BotID, out.AppID = m.BotID, AppID
	}
	if m.Edited {
		out.Edited = &editedJSON{User: m.User, TS: m.TS}
	}
	if m.Pinned {
		out.PinnedTo = []string{c.ID}
	}
	for _, name := range m.rorder {
		out.Reactions = append(out.Reactions, reactionJSON{Name: name, Users: m.reactions[name], Count: len(m.reactions[name])})
	}
	if m.ThreadTS == m.TS || m.ThreadTS == "" {
		for _, r := range c.msgs {
			if !r.deleted && r.ThreadTS == m.TS && r.TS != m.TS {
				out.ReplyCount++
				out.LatestReply = r.TS
				if !contains(out.ReplyUsers, r.User) {
					out.ReplyUsers = append(out.ReplyUsers, r.User)
				}
			}
		}
		if out.ReplyCount > 0 {
			out.ThreadTS = m.TS
			out.ReplyUsersCount = len(out.ReplyUsers)
		}
	}
	return out
}

// userJSON is a user object (https://api.slack.com/types/user).
type userJSON struct {
	ID       string      `json:"id"`
	TeamID   string      `json:"team_id"`
	Name     string      `json:"name"`
	RealName string      `json:"real_name"`
	Deleted  bool        `json:"deleted"`
	IsBot    bool        `json:"is_bot"`
	IsAdmin  bool        `json:"is_admin"`
	IsOwner  bool        `json:"is_owner"`
	TZ       string      `json:"tz"`
	TZOffset int         `json:"tz_offset"`
	Profile  profileJSON `json:"profile"`
}

type profileJSON struct {
	RealName              string `json:"real_name"`
	DisplayName           string `json:"display_name"`
	RealNameNormalized    string `json:"real_name_normalized"`
	DisplayNameNormalized string `json:"display_name_normalized"`
	Team                  string `json:"team"`
	BotID                 string `json:"bot_id,omitempty"`
}

func userObject(u *User) userJSON {
	return userJSON{ID: u.ID, TeamID: TeamID, Name: u.Name, RealName: u.RealName, IsBot: u.IsBot, TZ: "UTC",
		Profile: profileJSON{RealName: u.RealName, DisplayName: u.DisplayName, RealNameNormalized: u.RealName,
			DisplayNameNormalized: u.DisplayName, Team: TeamID, BotID: u.BotID}}
}

// bookmarkJSON is a bookmark object (https://api.slack.com/methods/bookmarks.add).
type bookmarkJSON struct {
	ID                  string `json:"id"`
	ChannelID           string `json:"channel_id"`
	Title               string `json:"title"`
	Link                string `json:"link"`
	Emoji               string `json:"emoji"`
	Type                string `json:"type"`
	DateCreated         int64  `json:"date_created"`
	DateUpdated         int64  `json:"date_updated"`
	Rank                string `json:"rank"`
	AppID               string `json:"app_id"`
	LastUpdatedByUserID string `json:"last_updated_by_user_id"`
	LastUpdatedByTeamID string `json:"last_updated_by_team_id"`
}

func bookmarkObject(b Bookmark) bookmarkJSON {
	return bookmarkJSON{ID: b.ID, ChannelID: b.Channel, Title: b.Title, Link: b.Link, Emoji: b.Emoji, Type: b.Type,
		DateCreated: b.Created.Unix(), Rank: "a", AppID: AppID, LastUpdatedByUserID: BotUserID, LastUpdatedByTeamID: TeamID}
}
