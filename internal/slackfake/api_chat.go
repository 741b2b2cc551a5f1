package slackfake

import (
	"encoding/json"
	"strings"
	"time"
)

// ---- chat ----

// postArgs are the arguments of chat.postMessage and chat.postEphemeral.
type postArgs struct {
	Channel     string          `form:"channel"`
	User        string          `form:"user"`
	Text        string          `form:"text"`
	Blocks      json.RawMessage `form:"blocks"`
	Attachments json.RawMessage `form:"attachments"`
	ThreadTS    string          `form:"thread_ts"`
}

// postTarget resolves a post's channel, which may be a user id (a DM).
func (a *api) postTarget(id string) (*channel, *apiError) {
	if strings.HasPrefix(id, "U") || strings.HasPrefix(id, "W") {
		if a.st.users[id] == nil {
			return nil, slackErr("channel_not_found")
		}
		return a.imFor(id), nil
	}
	return a.conversation(id)
}

// postResult is chat.postMessage's answer.
type postResult struct {
	Channel string      `json:"channel"`
	TS      string      `json:"ts"`
	Message messageJSON `json:"message"`
}

// ChatPostMessage is https://api.slack.com/methods/chat.postMessage.
func (a *api) ChatPostMessage(o postArgs) (*postResult, *apiError) {
	c, err := a.postTarget(o.Channel)
	if err == nil && c.IsIM && !a.app.messagesTab {
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
	if o.Text == "" && !hasBlocks(o.Blocks) && !hasBlocks(o.Attachments) {
		return nil, slackErr("no_text")
	}
	if e := a.checkMessageBlocks("chat.postMessage", o.Text, o.Blocks); e != nil {
		return nil, e
	}
	thread := o.ThreadTS
	if thread != "" {
		parent := c.find(thread)
		if parent == nil {
			return nil, slackErr("thread_not_found")
		}
		if parent.ThreadTS != "" {
			thread = parent.ThreadTS
		}
	}
	m := &message{Message: Message{Channel: c.ID, TS: a.st.nextTS(), ThreadTS: thread, User: BotUserID, BotID: BotID,
		Text: o.Text, Blocks: compactJSON(o.Blocks)}}
	c.msgs = append(c.msgs, m)
	if a.cfg.ownEvents {
		a.emitLocked(c, a.messageEventLocked(c, m))
	}
	a.changed(Change{Kind: ChangeMessagePosted, Channel: c.ID, TS: m.TS})
	return &postResult{Channel: c.ID, TS: m.TS, Message: msgJSON(c, m)}, nil
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

// messageArgs name one message, by ts (chat.update, chat.delete) or message_ts
// (chat.getPermalink), with chat.update's new text and blocks when present.
type messageArgs struct {
	Channel   string           `form:"channel"`
	TS        string           `form:"ts"`
	MessageTS string           `form:"message_ts"`
	Text      *string          `form:"text"`
	Blocks    *json.RawMessage `form:"blocks"`
}

// message finds the message ts in a visible conversation.
func (a *api) message(channelID, ts string) (*channel, *message, *apiError) {
	c, err := a.conversation(channelID)
	if err != nil {
		return nil, nil, err
	}
	m := c.find(ts)
	if m == nil {
		return nil, nil, slackErr("message_not_found")
	}
	return c, m, nil
}

// botMessage finds the message ts that the bot is to change: check is asked of its
// conversation first, and a message the bot did not post answers notOwn.
func (a *api) botMessage(o messageArgs, check func(*channel) *apiError, notOwn string) (*channel, *message, *apiError) {
	c, m, err := a.message(o.Channel, o.TS)
	if err == nil {
		err = check(c)
	}
	if err == nil && m.User != BotUserID {
		err = slackErr(notOwn)
	}
	return c, m, err
}

// updateResult is chat.update's answer.
type updateResult struct {
	Channel string      `json:"channel"`
	TS      string      `json:"ts"`
	Text    string      `json:"text"`
	Message messageJSON `json:"message"`
}

// ChatUpdate is https://api.slack.com/methods/chat.update: the bot's own messages only; text
// and blocks are replaced each when given.
func (a *api) ChatUpdate(o messageArgs) (*updateResult, *apiError) {
	c, m, err := a.botMessage(o, botCanWrite, "cant_update_message")
	if err != nil {
		return nil, err
	}
	if o.Text == nil && o.Blocks == nil {
		return nil, slackErr("no_text")
	}
	var text string
	var blocks json.RawMessage
	if o.Text != nil {
		text = *o.Text
	}
	if o.Blocks != nil {
		blocks = *o.Blocks
	}
	if e := a.checkMessageBlocks("chat.update", text, blocks); e != nil {
		return nil, e
	}
	if o.Text != nil {
		m.Text = text
	}
	if o.Blocks != nil {
		m.Blocks = compactJSON(blocks)
	}
	m.Edited = true
	if a.cfg.ownEvents {
		ev := map[string]any{"type": "message", "subtype": "message_changed", "channel": c.ID, "hidden": true,
			"ts": a.st.nextTS(), "channel_type": channelType(c), "message": msgJSON(c, m)}
		a.emitLocked(c, ev)
	}
	a.changed(Change{Kind: ChangeMessageUpdated, Channel: c.ID, TS: m.TS})
	return &updateResult{Channel: c.ID, TS: m.TS, Text: m.Text, Message: msgJSON(c, m)}, nil
}

// ephemeralResult is chat.postEphemeral's answer.
type ephemeralResult struct {
	MessageTS string `json:"message_ts"`
}

// ChatPostEphemeral is https://api.slack.com/methods/chat.postEphemeral: shown to one member
// of the channel.
func (a *api) ChatPostEphemeral(o postArgs) (*ephemeralResult, *apiError) {
	c, err := a.postTarget(o.Channel)
	if err == nil {
		err = botCanWrite(c)
	}
	if err != nil {
		return nil, err
	}
	if a.st.users[o.User] == nil {
		return nil, slackErr("user_not_found")
	}
	if !c.members[o.User] {
		return nil, slackErr("user_not_in_channel")
	}
	if o.Text == "" && !hasBlocks(o.Blocks) {
		return nil, slackErr("no_text")
	}
	if e := a.checkMessageBlocks("chat.postEphemeral", o.Text, o.Blocks); e != nil {
		return nil, e
	}
	ts := a.st.nextTS()
	a.st.ephemerals = append(a.st.ephemerals, Ephemeral{User: o.User, Channel: c.ID, TS: ts, Text: o.Text,
		Blocks: compactJSON(o.Blocks), Source: "chat.postEphemeral", Time: time.Now()})
	a.changed(Change{Kind: ChangeEphemeral, Channel: c.ID, User: o.User, TS: ts})
	return &ephemeralResult{MessageTS: ts}, nil
}

// deleteResult is chat.delete's answer.
type deleteResult struct {
	Channel string `json:"channel"`
	TS      string `json:"ts"`
}

// ChatDelete is https://api.slack.com/methods/chat.delete: the bot's own messages only.
func (a *api) ChatDelete(o messageArgs) (*deleteResult, *apiError) {
	c, m, err := a.botMessage(o, func(*channel) *apiError { return nil }, "cant_delete_message")
	if err != nil {
		return nil, err
	}
	m.deleted = true
	a.changed(Change{Kind: ChangeMessageDeleted, Channel: c.ID, TS: m.TS})
	return &deleteResult{Channel: c.ID, TS: m.TS}, nil
}

// permalinkResult is chat.getPermalink's answer.
type permalinkResult struct {
	Channel   string `json:"channel"`
	Permalink string `json:"permalink"`
}

// ChatGetPermalink is https://api.slack.com/methods/chat.getPermalink.
func (a *api) ChatGetPermalink(o messageArgs) (*permalinkResult, *apiError) {
	c, m, err := a.message(o.Channel, o.MessageTS)
	if err != nil {
		return nil, err
	}
	link := a.base + "/archives/" + c.ID + "/p" + strings.Replace(m.TS, ".", "", 1)
	if m.ThreadTS != "" && m.ThreadTS != m.TS {
		link += "?thread_ts=" + m.ThreadTS + "&cid=" + c.ID
	}
	return &permalinkResult{Channel: c.ID, Permalink: link}, nil
}
