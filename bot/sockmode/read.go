package sockmode

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
	"github.com/slack-go/slack/socketmode"
	"go.uber.org/zap"
)

// read hands every frame of c to the bot until c fails, then reports it lost.
func (cl *Client) read(ctx context.Context, c *conn) {
	for {
		_ = c.ws.SetReadDeadline(time.Now().Add(cl.opt.PingTimeout))
		_, data, err := c.ws.ReadMessage()
		if err != nil {
			select {
			case cl.lost <- c:
			case <-ctx.Done():
			}
			return
		}
		var req socketmode.Request
		if err := json.Unmarshal(data, &req); err != nil {
			cl.emit(ctx, socketmode.Event{Type: socketmode.EventTypeErrorBadMessage,
				Data: &socketmode.ErrorBadMessage{Cause: err, Message: data}})
			continue
		}
		if req.Type == "disconnect" {
			cl.log.Info("slack asked for a new connection", zap.String("reason", req.Reason))
			select {
			case cl.refresh <- c:
			case <-ctx.Done():
				return
			}
			continue
		}
		if req.EnvelopeID != "" {
			cl.mu.Lock()
			cl.origin[req.EnvelopeID] = c
			c.owed++
			cl.mu.Unlock()
		}
		evt, err := parse(&req)
		if err != nil {
			cl.emit(ctx, socketmode.Event{Type: socketmode.EventTypeErrorBadMessage,
				Data: &socketmode.ErrorBadMessage{Cause: err, Message: data}})
			continue
		}
		if evt != nil {
			cl.emit(ctx, *evt)
		}
	}
}

// parse turns an envelope into the event slack-go's client would give, so the bot handles
// both alike.
func parse(req *socketmode.Request) (*socketmode.Event, error) {
	switch req.Type {
	case "hello":
		return &socketmode.Event{Type: socketmode.EventTypeHello, Request: req}, nil
	case "events_api":
		ev, err := slackevents.ParseEvent(req.Payload, slackevents.OptionNoVerifyToken())
		if err != nil {
			return nil, fmt.Errorf("parsing Events API event: %w", err)
		}
		return &socketmode.Event{Type: socketmode.EventTypeEventsAPI, Data: ev, Request: req}, nil
	case "slash_commands":
		var cmd slack.SlashCommand
		if err := json.Unmarshal(req.Payload, &cmd); err != nil {
			return nil, fmt.Errorf("parsing slash command: %w", err)
		}
		return &socketmode.Event{Type: socketmode.EventTypeSlashCommand, Data: cmd, Request: req}, nil
	case "interactive":
		var cb slack.InteractionCallback
		if err := json.Unmarshal(req.Payload, &cb); err != nil {
			return nil, fmt.Errorf("parsing interaction callback: %w", err)
		}
		return &socketmode.Event{Type: socketmode.EventTypeInteractive, Data: cb, Request: req}, nil
	}
	return nil, fmt.Errorf("unsupported Socket Mode message type %q", req.Type)
}

// Ack acknowledges req, with an optional payload (a slash command's reply, a view
// submission's response_action). It goes out on the connection req came on while that is
// open, else on the current one; with none open it waits for the next.
func (cl *Client) Ack(req socketmode.Request, payload ...any) error {
	res := socketmode.Response{EnvelopeID: req.EnvelopeID}
	if len(payload) > 0 {
		res.Payload = payload[0]
	}
	b, err := json.Marshal(res)
	if err != nil {
		return fmt.Errorf("socket mode ack: %w", err)
	}
	if len(b) >= maxAck {
		return fmt.Errorf("socket mode ack of %d bytes: Slack drops acks of %d bytes or more", len(b), maxAck)
	}
	cl.mu.Lock()
	c := cl.origin[req.EnvelopeID]
	delete(cl.origin, req.EnvelopeID)
	if c != nil {
		c.owed--
	}
	cur := cl.cur
	cl.mu.Unlock()
	for _, to := range []*conn{c, cur} {
		if to != nil && to.write(b) == nil {
			return nil
		}
	}
	cl.hold(b)
	return nil
}

// hold keeps an ack for the next connection.
func (cl *Client) hold(b []byte) {
	cl.mu.Lock()
	cur := cl.cur
	if cur == nil {
		cl.held = append(cl.held, b)
		cl.mu.Unlock()
		return
	}
	cl.mu.Unlock()
	if cur.write(b) != nil {
		cl.mu.Lock()
		cl.held = append(cl.held, b)
		cl.mu.Unlock()
	}
}
