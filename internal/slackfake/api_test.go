package slackfake

import (
	"errors"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/slack-go/slack"
)

func TestAuth(t *testing.T) {
	f := newFake(t)
	cases := []struct {
		name, method string
		form         url.Values
		bearer       string
		want         string
	}{
		{"missing token", "auth.test", url.Values{}, "", "not_authed"},
		{"wrong token", "auth.test", url.Values{"token": {"xoxb-nope"}}, "", "invalid_auth"},
		{"bot token ok", "auth.test", url.Values{"token": {f.BotToken()}}, "", ""},
		{"bearer ok", "conversations.info", url.Values{"channel": {GeneralChannelID}}, f.BotToken(), ""},
		{"app token on bot method", "chat.postMessage", url.Values{"token": {f.AppToken()}}, "", "not_allowed_token_type"},
		{"bot token on connections.open", "apps.connections.open", url.Values{"token": {f.BotToken()}}, "", "not_allowed_token_type"},
		{"unknown method", "chat.scheduleMessage", url.Values{"token": {f.BotToken()}}, "", "unknown_method"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodPost, f.APIURL()+tc.method, strings.NewReader(tc.form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			if tc.bearer != "" {
				req.Header.Set("Authorization", "Bearer "+tc.bearer)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status %d", resp.StatusCode)
			}
			var out struct {
				OK    bool   `json:"ok"`
				Error string `json:"error"`
			}
			if err := jsonDecode(resp, &out); err != nil {
				t.Fatal(err)
			}
			if out.Error != tc.want || out.OK != (tc.want == "") {
				t.Fatalf("got ok=%v error=%q, want %q", out.OK, out.Error, tc.want)
			}
		})
	}
	if got := f.UnknownMethods(); len(got) != 1 || got[0] != "chat.scheduleMessage" {
		t.Fatalf("UnknownMethods = %v", got)
	}
	// slack-go's own client, with a wrong token.
	bad := slack.New("xoxb-wrong", slack.OptionAPIURL(f.APIURL()))
	if _, err := bad.AuthTest(); slackCode(err) != "invalid_auth" {
		t.Fatalf("AuthTest with wrong token: %v", err)
	}
	at, err := apiClient(f).AuthTest()
	if err != nil || at.UserID != BotUserID || at.TeamID != TeamID || at.BotID != BotID {
		t.Fatalf("AuthTest = %+v, %v", at, err)
	}
}

func TestWebAPIErrors(t *testing.T) {
	f := newFake(t)
	api := apiClient(f)
	inc := botChannel(t, api, "inc-1-db-down")
	other, err := f.CreateChannel(Alice, "random", false, Bob)
	if err != nil {
		t.Fatal(err)
	}
	alicePost, _ := f.PostAsUser(Alice, other, "hello")
	_, botTS, err := api.PostMessage(inc, slack.MsgOptionText("card", false))
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Invite(Alice, other, BotUserID); err != nil {
		t.Fatal(err)
	}
	alicePost2, err := f.PostAsUser(Alice, other, "by alice")
	if err != nil {
		t.Fatal(err)
	}
	_ = alicePost
	create := func(name string) func() error {
		return func() error {
			_, err := api.CreateConversation(slack.CreateConversationParams{ChannelName: name})
			return err
		}
	}

	cases := []struct {
		name string
		call func() error
		want string
	}{
		{"create ok", create("inc-2"), ""},
		{"create name_taken", create("inc-1-db-down"), "name_taken"},
		{"create specials", create("Inc 3!"), "invalid_name_specials"},
		{"create maxlength", create(strings.Repeat("a", 81)), "invalid_name_maxlength"},
		{"create required", create(""), "invalid_name_required"},
		{"invite ok", func() error { _, err := api.InviteUsersToConversation(inc, Alice); return err }, ""},
		{"invite already", func() error { _, err := api.InviteUsersToConversation(inc, Alice); return err }, "already_in_channel"},
		{"invite self", func() error { _, err := api.InviteUsersToConversation(inc, BotUserID); return err }, "cant_invite_self"},
		{"invite unknown", func() error { _, err := api.InviteUsersToConversation(inc, "UNOBODY"); return err }, "user_not_found"},
		{"invite not in channel", func() error { _, err := api.InviteUsersToConversation(GeneralChannelID, Alice); return err }, "not_in_channel"},
		{"topic ok", func() error { _, err := api.SetTopicOfConversation(inc, "SEV2 · db down"); return err }, ""},
		{"topic too_long", func() error { _, err := api.SetTopicOfConversation(inc, strings.Repeat("x", 251)); return err }, "too_long"},
		{"purpose ok", func() error { _, err := api.SetPurposeOfConversation(inc, "incident"); return err }, ""},
		{"info missing", func() error {
			_, err := api.GetConversationInfo(&slack.GetConversationInfoInput{ChannelID: "CNOPE"})
			return err
		}, "channel_not_found"},
		{"post not_in_channel", func() error {
			_, _, err := api.PostMessage(GeneralChannelID, slack.MsgOptionText("hi", false))
			return err
		}, "not_in_channel"},
		{"post no_text", func() error { _, _, err := api.PostMessage(inc); return err }, "no_text"},
		{"update not found", func() error {
			_, _, _, err := api.UpdateMessage(inc, "1.000001", slack.MsgOptionText("x", false))
			return err
		}, "message_not_found"},
		{"update others", func() error {
			_, _, _, err := api.UpdateMessage(other, alicePost2, slack.MsgOptionText("x", false))
			return err
		}, "cant_update_message"},
		{"update ok", func() error {
			_, _, _, err := api.UpdateMessage(inc, botTS, slack.MsgOptionText("card v2", false))
			return err
		}, ""},
		{"pin ok", func() error { return api.AddPin(inc, slack.NewRefToMessage(inc, botTS)) }, ""},
		{"pin again", func() error { return api.AddPin(inc, slack.NewRefToMessage(inc, botTS)) }, "already_pinned"},
		{"unpin ok", func() error { return api.RemovePin(inc, slack.NewRefToMessage(inc, botTS)) }, ""},
		{"unpin none", func() error { return api.RemovePin(inc, slack.NewRefToMessage(inc, botTS)) }, "no_pin"},
		{"react ok", func() error { return api.AddReaction("pushpin", slack.NewRefToMessage(inc, botTS)) }, ""},
		{"react twice", func() error { return api.AddReaction("pushpin", slack.NewRefToMessage(inc, botTS)) }, "already_reacted"},
		{"ephemeral ok", func() error { _, err := api.PostEphemeral(inc, Alice, slack.MsgOptionText("psst", false)); return err }, ""},
		{"ephemeral user not in channel", func() error {
			_, err := api.PostEphemeral(inc, Carol, slack.MsgOptionText("psst", false))
			return err
		}, "user_not_in_channel"},
		{"users.info unknown", func() error { _, err := api.GetUserInfo("UNOBODY"); return err }, "user_not_found"},
		{"bookmark ok", func() error {
			_, err := api.AddBookmark(inc, slack.AddBookmarkParameters{Title: "Runbook", Type: "link", Link: "https://example.com"})
			return err
		}, ""},
		{"views.open bad trigger", func() error {
			_, err := api.OpenView("nope", slack.ModalViewRequest{Type: slack.VTModal, Title: slack.NewTextBlockObject("plain_text", "x", false, false)})
			return err
		}, "invalid_trigger_id"},
		{"archive ok", func() error { return api.ArchiveConversation("C" + strings.Repeat("0", 7)) }, "channel_not_found"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := slackCode(tc.call()); got != tc.want {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
		})
	}

	t.Run("multi-user invite errors array", func(t *testing.T) {
		_, err := api.InviteUsersToConversation(inc, Bob, "UNOBODY", Alice)
		var se slack.SlackErrorResponse
		if !errors.As(err, &se) || se.Err != "user_not_found" {
			t.Fatalf("err = %v", err)
		}
		if len(se.Errors) != 2 || se.Errors[0].ConversationsInviteResponseError == nil ||
			se.Errors[0].ConversationsInviteResponseError.User != "UNOBODY" {
			t.Fatalf("errors = %+v", se.Errors)
		}
		if ch, _ := f.Channel(inc); contains(ch.Members, Bob) {
			t.Fatal("Bob invited although the call failed")
		}
	})

	t.Run("archived channel refuses posts", func(t *testing.T) {
		id := botChannel(t, api, "to-archive")
		if err := api.ArchiveConversation(id); err != nil {
			t.Fatal(err)
		}
		if _, _, err := api.PostMessage(id, slack.MsgOptionText("x", false)); slackCode(err) != "is_archived" {
			t.Fatalf("post to archived: %v", err)
		}
		if err := api.ArchiveConversation(id); slackCode(err) != "already_archived" {
			t.Fatalf("archive twice: %v", err)
		}
	})

	t.Run("state reads back through slack-go", func(t *testing.T) {
		ch, err := api.GetConversationInfo(&slack.GetConversationInfoInput{ChannelID: inc})
		if err != nil || ch.Name != "inc-1-db-down" || ch.Topic.Value != "SEV2 · db down" || !ch.IsMember || ch.Creator != BotUserID {
			t.Fatalf("info = %+v, %v", ch, err)
		}
		members, _, err := api.GetUsersInConversation(&slack.GetUsersInConversationParameters{ChannelID: inc})
		if err != nil || !contains(members, Alice) || !contains(members, BotUserID) {
			t.Fatalf("members = %v, %v", members, err)
		}
		if _, _, err := api.PostMessage(inc, slack.MsgOptionText("reply", false), slack.MsgOptionTS(botTS)); err != nil {
			t.Fatal(err)
		}
		hist, err := api.GetConversationHistory(&slack.GetConversationHistoryParameters{ChannelID: inc})
		if err != nil || len(hist.Messages) != 1 || hist.Messages[0].Text != "card v2" || hist.Messages[0].ReplyCount != 1 {
			t.Fatalf("history = %+v, %v", hist, err)
		}
		replies, _, _, err := api.GetConversationReplies(&slack.GetConversationRepliesParameters{ChannelID: inc, Timestamp: botTS})
		if err != nil || len(replies) != 2 || replies[1].Text != "reply" {
			t.Fatalf("replies = %+v, %v", replies, err)
		}
		link, err := api.GetPermalink(&slack.PermalinkParameters{Channel: inc, Ts: botTS})
		if err != nil || !strings.Contains(link, inc) {
			t.Fatalf("permalink = %q, %v", link, err)
		}
		bms, err := api.ListBookmarks(inc)
		if err != nil || len(bms) != 1 || bms[0].Title != "Runbook" {
			t.Fatalf("bookmarks = %+v, %v", bms, err)
		}
		if err := api.AddPin(inc, slack.NewRefToMessage(inc, botTS)); err != nil {
			t.Fatal(err)
		}
		items, _, err := api.ListPins(inc)
		if err != nil || len(items) != 1 || items[0].Message == nil || items[0].Message.Timestamp != botTS {
			t.Fatalf("pins = %+v, %v", items, err)
		}
		u, err := api.GetUserInfo(Alice)
		if err != nil || u.Profile.DisplayName != "Alice" {
			t.Fatalf("user = %+v, %v", u, err)
		}
		users, err := api.GetUsers()
		if err != nil || len(users) != 4 {
			t.Fatalf("users = %d, %v", len(users), err)
		}
		team, err := api.GetTeamInfo()
		if err != nil || team.ID != TeamID {
			t.Fatalf("team = %+v, %v", team, err)
		}
		chans, _, err := api.GetConversations(&slack.GetConversationsParameters{Types: []string{"public_channel", "private_channel"}})
		if err != nil || len(chans) < 3 {
			t.Fatalf("list = %d, %v", len(chans), err)
		}
		if _, err := api.RenameConversation(inc, "inc-1-renamed"); err != nil {
			t.Fatal(err)
		}
		if _, ok := f.ChannelByName("inc-1-renamed"); !ok {
			t.Fatal("rename not applied")
		}
		msgs := f.Messages(inc)
		if len(msgs) != 1 || !msgs[0].Pinned || len(msgs[0].Replies) != 1 || len(msgs[0].Reactions) != 1 {
			t.Fatalf("Messages = %+v", msgs)
		}
		if eph := f.Ephemerals(Alice); len(eph) != 1 || eph[0].Text != "psst" {
			t.Fatalf("ephemerals = %+v", eph)
		}
		if calls := f.Calls("conversations.create"); len(calls) < 5 || calls[2].Error != "name_taken" {
			t.Fatalf("calls = %+v", calls)
		}
	})
}

func TestJSONBodyAndBearer(t *testing.T) {
	f := newFake(t)
	req, _ := http.NewRequest(http.MethodPost, f.APIURL()+"conversations.create", strings.NewReader(`{"name":"json-made","is_private":true}`))
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set("Authorization", "Bearer "+f.BotToken())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var out struct {
		OK      bool `json:"ok"`
		Channel struct {
			ID        string `json:"id"`
			IsPrivate bool   `json:"is_private"`
		} `json:"channel"`
	}
	if err := jsonDecode(resp, &out); err != nil || !out.OK || !out.Channel.IsPrivate {
		t.Fatalf("got %+v, %v", out, err)
	}
}

func TestTSStrictlyIncreasingUnderConcurrency(t *testing.T) {
	f := newFake(t, WithOwnEvents(false))
	api := apiClient(f)
	chans := []string{botChannel(t, api, "a"), botChannel(t, api, "b")}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var all []string
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 20; i++ {
				_, ts, err := api.PostMessage(chans[i%2], slack.MsgOptionText("x", false))
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				all = append(all, ts)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	seen := map[string]bool{}
	for _, ts := range all {
		if seen[ts] {
			t.Fatalf("duplicate ts %s", ts)
		}
		seen[ts] = true
	}
	for _, c := range chans {
		msgs := f.Messages(c)
		for i := 1; i < len(msgs); i++ {
			if !tsLess(msgs[i-1].TS, msgs[i].TS) {
				t.Fatalf("ts not increasing: %s then %s", msgs[i-1].TS, msgs[i].TS)
			}
		}
	}
	sort.Slice(all, func(i, j int) bool { return tsLess(all[i], all[j]) })
	if len(all) != 160 {
		t.Fatalf("%d posts", len(all))
	}
}
