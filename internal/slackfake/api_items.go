package slackfake

import "time"

// ---- pins, bookmarks, reactions ----

// itemArgs name a message by channel and timestamp, with the reaction's name for
// reactions.add.
type itemArgs struct {
	Channel   string `form:"channel"`
	Timestamp string `form:"timestamp"`
	Name      string `form:"name"`
}

// markMessage is the bot pinning or reacting to a message of a conversation it may write
// in: act answers a Slack error code, "" once done.
func (a *api) markMessage(o itemArgs, kind ChangeKind, act func(c *channel) string) (*empty, *apiError) {
	c, err := a.writable(o.Channel)
	if err != nil {
		return nil, err
	}
	if code := act(c); code != "" {
		return nil, slackErr(code)
	}
	a.changed(Change{Kind: kind, Channel: c.ID, TS: o.Timestamp, User: BotUserID})
	return &empty{}, nil
}

// PinsAdd is https://api.slack.com/methods/pins.add.
func (a *api) PinsAdd(o itemArgs) (*empty, *apiError) {
	return a.markMessage(o, ChangePin, func(c *channel) string {
		if o.Timestamp == "" {
			return "no_item_specified"
		}
		return a.pinLocked(c, BotUserID, o.Timestamp)
	})
}

// ReactionsAdd is https://api.slack.com/methods/reactions.add.
func (a *api) ReactionsAdd(o itemArgs) (*empty, *apiError) {
	return a.markMessage(o, ChangeReaction, func(c *channel) string {
		if o.Name == "" {
			return "invalid_name"
		}
		return a.reactLocked(c, BotUserID, o.Timestamp, o.Name)
	})
}

// PinsRemove is https://api.slack.com/methods/pins.remove.
func (a *api) PinsRemove(o itemArgs) (*empty, *apiError) {
	c, m, err := a.message(o.Channel, o.Timestamp)
	if err != nil {
		return nil, err
	}
	if !m.Pinned {
		return nil, slackErr("no_pin")
	}
	m.Pinned = false
	for i, pin := range c.pins {
		if pin.TS == o.Timestamp {
			c.pins = append(c.pins[:i:i], c.pins[i+1:]...)
			break
		}
	}
	a.changed(Change{Kind: ChangePin, Channel: c.ID, TS: o.Timestamp, User: BotUserID})
	return &empty{}, nil
}

// pinItem is one pinned message as pins.list lists it.
type pinItem struct {
	Type      string      `json:"type"`
	Channel   string      `json:"channel"`
	Created   int64       `json:"created"`
	CreatedBy string      `json:"created_by"`
	Message   messageJSON `json:"message"`
}

// pinsListResult is pins.list's answer, the newest pin first.
type pinsListResult struct {
	Items []pinItem `json:"items"`
}

// PinsList is https://api.slack.com/methods/pins.list.
func (a *api) PinsList(o channelArgs) (*pinsListResult, *apiError) {
	return reading(a, o.Channel, func(c *channel) *pinsListResult {
		out := &pinsListResult{Items: []pinItem{}}
		for i := len(c.pins) - 1; i >= 0; i-- {
			pin := c.pins[i]
			if m := c.find(pin.TS); m != nil {
				out.Items = append(out.Items, pinItem{Type: "message", Channel: c.ID, Created: pin.Created.Unix(),
					CreatedBy: pin.CreatedBy, Message: msgJSON(c, m)})
			}
		}
		return out
	})
}

// bookmarkArgs are the arguments of bookmarks.add and bookmarks.list.
type bookmarkArgs struct {
	ChannelID string `form:"channel_id"`
	Title     string `form:"title"`
	Type      string `form:"type"`
	Link      string `form:"link"`
	Emoji     string `form:"emoji"`
}

// bookmarkResult is bookmarks.add's answer.
type bookmarkResult struct {
	Bookmark bookmarkJSON `json:"bookmark"`
}

// BookmarksAdd is https://api.slack.com/methods/bookmarks.add.
func (a *api) BookmarksAdd(o bookmarkArgs) (*bookmarkResult, *apiError) {
	c, err := a.writable(o.ChannelID)
	if err != nil {
		return nil, err
	}
	if o.Title == "" || o.Type == "" {
		return nil, slackErr("invalid_arguments")
	}
	if o.Type == "link" && o.Link == "" {
		return nil, slackErr("invalid_link")
	}
	b := Bookmark{ID: a.st.nextID("Bk"), Channel: c.ID, Title: o.Title, Link: o.Link, Emoji: o.Emoji, Type: o.Type,
		Created: time.Now()}
	c.books = append(c.books, b)
	a.changed(Change{Kind: ChangeBookmark, Channel: c.ID})
	return &bookmarkResult{Bookmark: bookmarkObject(b)}, nil
}

// bookmarksResult is bookmarks.list's answer.
type bookmarksResult struct {
	Bookmarks []bookmarkJSON `json:"bookmarks"`
}

// BookmarksList is https://api.slack.com/methods/bookmarks.list.
func (a *api) BookmarksList(o bookmarkArgs) (*bookmarksResult, *apiError) {
	return reading(a, o.ChannelID, func(c *channel) *bookmarksResult {
		out := &bookmarksResult{Bookmarks: []bookmarkJSON{}}
		for _, b := range c.books {
			out.Bookmarks = append(out.Bookmarks, bookmarkObject(b))
		}
		return out
	})
}
