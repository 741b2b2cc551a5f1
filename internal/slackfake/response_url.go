package slackfake

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"time"
)

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
