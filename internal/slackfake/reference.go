package slackfake

import "fmt"

// Rule is one limit or behaviour of Slack that the fake enforces, with the reference page it
// comes from. Reference is the table: the validation code reads its numbers from here (never
// from a constant of its own), and TestReference walks every row, so a rule cannot be listed
// without being enforced nor enforced without being listed.
type Rule struct {
	// ID names the rule; for Block Kit rules it is also BlockError.Limit.
	ID string
	// Max (and Min) are the limit, for rules that are a number.
	Max, Min int
	// Code is the error Slack answers when the rule is broken ("" when the behaviour is not
	// a refusal, e.g. which envelope fields are sent).
	Code string
	// What says the rule in words.
	What string
	// Ref is Slack's reference page for it.
	Ref string
}

// Slack's reference pages the rules cite.
const (
	refViews       = "https://api.slack.com/reference/surfaces/views"
	refBlocks      = "https://api.slack.com/reference/block-kit/blocks"
	refSection     = "https://api.slack.com/reference/block-kit/blocks#section"
	refHeader      = "https://api.slack.com/reference/block-kit/blocks#header"
	refContext     = "https://api.slack.com/reference/block-kit/blocks#context"
	refActions     = "https://api.slack.com/reference/block-kit/blocks#actions"
	refInput       = "https://api.slack.com/reference/block-kit/blocks#input"
	refButton      = "https://api.slack.com/reference/block-kit/block-elements#button"
	refTextInput   = "https://api.slack.com/reference/block-kit/block-elements#input"
	refSelect      = "https://api.slack.com/reference/block-kit/block-elements#static_select"
	refOption      = "https://api.slack.com/reference/block-kit/composition-objects#option"
	refPost        = "https://api.slack.com/methods/chat.postMessage"
	refUpdate      = "https://api.slack.com/methods/chat.update"
	refInvite      = "https://api.slack.com/methods/conversations.invite"
	refCreate      = "https://api.slack.com/methods/conversations.create"
	refScopes      = "https://api.slack.com/scopes"
	refGroupsWrite = "https://api.slack.com/scopes/groups:write"
	refAuth        = "https://api.slack.com/methods/auth.test"
	refOAuthHeader = "https://api.slack.com/authentication/oauth-v2#scopes"
	refRateLimits  = "https://api.slack.com/docs/rate-limits"
	refAppHome     = "https://api.slack.com/surfaces/app-home#messages-tab"
	refManifest    = "https://api.slack.com/reference/manifests#events"
	refSocket      = "https://api.slack.com/apis/socket-mode#events"
	refSocketConns = "https://api.slack.com/apis/socket-mode#connections"
	refDisconnect  = "https://api.slack.com/apis/connections/socket-implement#disconnect"
	refPublish     = "https://api.slack.com/methods/views.publish"
	refShortcuts   = "https://api.slack.com/reference/interaction-payloads/shortcuts"
	refManifestSC  = "https://api.slack.com/reference/manifests#shortcuts"
	refHomeOpened  = "https://api.slack.com/events/app_home_opened"
)

// Reference is every rule the fake holds to, one row each.
var Reference = []Rule{
	// Views (modals).
	{ID: "modal_title_length", Max: 24, Code: "invalid_arguments", What: "view title at most 24 characters", Ref: refViews},
	{ID: "modal_submit_length", Max: 24, Code: "invalid_arguments", What: "view submit label at most 24 characters", Ref: refViews},
	{ID: "modal_close_length", Max: 24, Code: "invalid_arguments", What: "view close label at most 24 characters", Ref: refViews},
	{ID: "blocks_per_modal", Max: 100, Code: "invalid_arguments", What: "at most 100 blocks in a view (a modal or a Home view)", Ref: refViews},
	{ID: "private_metadata_length", Max: 3000, Code: "invalid_arguments", What: "private_metadata at most 3000 characters", Ref: refViews},
	{ID: "callback_id_length", Max: 255, Code: "invalid_arguments", What: "callback_id at most 255 characters", Ref: refViews},
	{ID: "input_label_length", Max: 2000, Code: "invalid_arguments", What: "input block label at most 2000 characters", Ref: refInput},
	{ID: "placeholder_length", Max: 150, Code: "invalid_arguments", What: "element placeholder at most 150 characters", Ref: refTextInput},
	{ID: "text_input_max_length", Min: 1, Max: 3000, Code: "invalid_arguments", What: "plain_text_input max_length between 1 and 3000", Ref: refTextInput},
	{ID: "text_input_min_length", Min: 0, Max: 3000, Code: "invalid_arguments", What: "plain_text_input min_length between 0 and 3000", Ref: refTextInput},
	{ID: "select_options", Max: 100, Code: "invalid_blocks", What: "at most 100 options in a select", Ref: refSelect},
	{ID: "option_text_length", Max: 75, Code: "invalid_blocks", What: "option text at most 75 characters", Ref: refOption},
	{ID: "option_value_length", Max: 150, Code: "invalid_blocks", What: "option value at most 150 characters", Ref: refOption},

	// App Home (views.publish).
	{ID: "home_view_size", Max: 250000, Code: "view_too_large", What: "a published Home view at most 250 kB", Ref: refPublish},
	{ID: "home_tab_disabled", Code: "not_enabled", What: "views.publish of a home view answers not_enabled unless the app's Home tab is on (features.app_home.home_tab_enabled)", Ref: refPublish},
	{ID: "home_hash", Code: "hash_conflict", What: "views.publish with a hash that is not the current view's answers hash_conflict", Ref: refPublish},
	{ID: "home_opened", What: "opening the Home tab sends app_home_opened with tab home, the app's DM as channel and the last published view", Ref: refHomeOpened},

	// Shortcuts.
	{ID: "message_shortcuts", What: "a message shortcut is offered only when the app's manifest declares it (features.shortcuts, type message)", Ref: refManifestSC},
	{ID: "message_action_payload", What: "a message shortcut sends a message_action payload with callback_id, trigger_id, response_url, channel, message_ts and the whole message", Ref: refShortcuts},

	// Messages.
	{ID: "blocks_per_message", Max: 50, Code: "invalid_blocks", What: "at most 50 blocks in a message", Ref: refBlocks},
	{ID: "text_length", Max: 3000, Code: "invalid_blocks", What: "section text (and context element text) at most 3000 characters", Ref: refSection},
	{ID: "section_fields", Max: 10, Code: "invalid_blocks", What: "at most 10 fields in a section", Ref: refSection},
	{ID: "field_text_length", Max: 2000, Code: "invalid_blocks", What: "each section field at most 2000 characters", Ref: refSection},
	{ID: "header_length", Max: 150, Code: "invalid_blocks", What: "header text at most 150 characters", Ref: refHeader},
	{ID: "context_elements", Max: 10, Code: "invalid_blocks", What: "at most 10 elements in a context block", Ref: refContext},
	{ID: "actions_elements", Max: 25, Code: "invalid_blocks", What: "at most 25 elements in an actions block", Ref: refActions},
	{ID: "block_id_length", Max: 255, Code: "invalid_blocks", What: "block_id at most 255 characters", Ref: refBlocks},
	{ID: "block_id_unique", Code: "invalid_blocks", What: "block_id unique within a message or view", Ref: refBlocks},
	{ID: "action_id_length", Max: 255, Code: "invalid_blocks", What: "action_id at most 255 characters", Ref: refButton},
	{ID: "action_id_unique", Code: "invalid_blocks", What: "action_id unique within a block", Ref: refButton},
	{ID: "button_text_length", Max: 75, Code: "invalid_blocks", What: "button text at most 75 characters", Ref: refButton},
	{ID: "button_value_length", Max: 2000, Code: "invalid_blocks", What: "button value at most 2000 characters", Ref: refButton},
	{ID: "message_text_length", Max: 40000, Code: "msg_too_long", What: "message text at most 40000 characters (chat.update answers msg_too_long)", Ref: refUpdate},

	// conversations.invite.
	{ID: "invite_users_per_call", Max: 1000, Code: "too_many_users", What: "at most 1000 users per conversations.invite call (the reference says 1-1000)", Ref: refInvite},
	{ID: "invite_without_force", Code: "already_in_channel", What: "without force, one refused user fails the whole call and nobody is invited", Ref: refInvite},
	{ID: "invite_with_force", What: "with force=true and several users, the valid ones are invited and the rest listed in errors", Ref: refInvite},

	// Errors answered with HTTP 200.
	{ID: "rate_limited", Code: "rate_limited", What: "chat.postMessage can answer HTTP 200 rate_limited (besides HTTP 429 ratelimited)", Ref: refPost},
	{ID: "restricted_action", Code: "restricted_action", What: "conversations.create answers restricted_action where the workspace limits who may create channels", Ref: refCreate},
	{ID: "posting_restricted", Code: "restricted_action", What: "chat.postMessage answers restricted_action in a channel where a workspace preference keeps the bot from posting", Ref: refPost},
	{ID: "missing_scope", Code: "missing_scope", What: "a method called without its scope answers missing_scope with needed and provided", Ref: refScopes},
	{ID: "token_revoked", Code: "token_revoked", What: "every method answers token_revoked once the token is revoked", Ref: refAuth},
	{ID: "account_inactive", Code: "account_inactive", What: "every method answers account_inactive once the bot user is deactivated", Ref: refAuth},
	{ID: "messages_tab_disabled", Code: "messages_tab_disabled", What: "a DM from the app is refused when features.app_home does not enable the Messages tab", Ref: refAppHome},
	{ID: "is_archived", Code: "is_archived", What: "posting in an archived channel answers is_archived", Ref: refPost},
	{ID: "not_in_channel", Code: "not_in_channel", What: "posting in a channel the bot is not in answers not_in_channel", Ref: refPost},

	// Scopes.
	{ID: "x_oauth_scopes", What: "every Web API answer carries the token's scopes in X-OAuth-Scopes", Ref: refOAuthHeader},
	{ID: "method_scopes", Code: "missing_scope", What: "each method needs the scope its reference page names", Ref: refScopes},
	{ID: "private_channel_scopes", Code: "missing_scope", What: "on a private channel (or to create one) a method needs the groups:* scope its reference page names, and member events from it need groups:read", Ref: refGroupsWrite},

	// Events and Socket Mode.
	{ID: "event_subscriptions", What: "events are delivered only when the manifest subscribes to them (settings.event_subscriptions.bot_events)", Ref: refManifest},
	{ID: "accepts_response_payload", What: "accepts_response_payload is true for slash commands and view submissions, false for events and block actions", Ref: refSocket},
	{ID: "retry_fields", What: "retry_attempt and retry_reason appear only on Events API envelopes", Ref: refSocket},
	{ID: "too_many_websockets", Max: 10, What: "at most 10 Socket Mode connections per app, counting those asked to leave that are still open; another one is disconnected with reason too_many_websockets", Ref: refSocketConns},
	{ID: "one_connection_each", What: "with several connections open, each envelope is written to one of them, chosen at random", Ref: refSocketConns},
	{ID: "redelivery", Max: 3, What: "an events_api envelope not acked within 3 s is sent again as a new envelope, up to 3 times, with the same event_id, retry_attempt 1..3 and retry_reason timeout, to a connection chosen again (the fake picks one other than the silent one when there is one); slash commands and interactions are not sent again", Ref: refSocket},
	{ID: "refresh_requested", Max: 10, What: "a connection sent {type: disconnect, reason: warning or refresh_requested} takes no more envelopes, acks written on it still count, and it is closed about 10 s later; the app is expected to open a new connection meanwhile", Ref: refDisconnect},

	// Rate limits (HTTP 429).
	{ID: "rate_limit_tiers", What: "each method is limited per its tier; a 429 carries Retry-After", Ref: refRateLimits},
}

var ruleIndex = func() map[string]Rule {
	m := make(map[string]Rule, len(Reference))
	for _, r := range Reference {
		if _, dup := m[r.ID]; dup {
			panic("slackfake: duplicate rule " + r.ID)
		}
		m[r.ID] = r
	}
	return m
}()

// RuleByID returns the row id of Reference.
func RuleByID(id string) (Rule, bool) {
	r, ok := ruleIndex[id]
	return r, ok
}

// rule returns the row id; the fake's own code only asks for rows that exist.
func rule(id string) Rule {
	r, ok := ruleIndex[id]
	if !ok {
		panic(fmt.Sprintf("slackfake: no rule %q in Reference", id))
	}
	return r
}

// lim is the Max of row id.
func lim(id string) int { return rule(id).Max }
