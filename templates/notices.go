package templates

import (
	"fmt"
	"strings"
	"time"
)

// The notices Firebreak sends on its own when Slack holds up an
// incident's channel: to the declarer, the lead or the announce channel
// (mrkdwn).

// ChannelDelayed tells the declarer that Slack's rate limit holds up the
// creation of incident id's channel by about d.
func ChannelDelayed(id string, d time.Duration) string {
	return fmt.Sprintf("Slack is rate-limiting channel creation, so the channel for %s will be created in about %s. Your declaration is saved; nothing is lost.", id, d.Round(time.Second))
}

// Uninvited is one person Firebreak could not invite, with Slack's code.
type Uninvited struct{ User, Code string }

// InviteFailed tells the incident channel whom Firebreak could not invite.
func InviteFailed(people []Uninvited) string {
	names := make([]string, len(people))
	for i, p := range people {
		names[i] = "<@" + p.User + "> (" + p.Code + ")"
	}
	return "Firebreak could not invite " + strings.Join(names, ", ") + "; everyone else is in. Check FIREBREAK_RESPONDERS and the playbook's invite list, or invite them by hand."
}

// ChannelBlock is why Slack refuses to create incident channels, as far
// as the admin who can fix it needs to know.
type ChannelBlock int

// Channel blocks.
const (
	ChannelsRestricted     ChannelBlock = iota // a workspace setting forbids it
	ChannelsScopeMissing                       // the app lacks channels:manage
	PrivateChannelsMissing                     // the app lacks groups:write
)

var channelFixes = map[ChannelBlock]string{
	ChannelsRestricted:     "a workspace admin must allow Firebreak to create channels (Workspace settings → Permissions → Channel Management: who may create public channels)",
	ChannelsScopeMissing:   "a workspace admin must grant the app the channels:manage scope (it is in slack-app-manifest.yaml) and reinstall it",
	PrivateChannelsMissing: "a workspace admin must grant the app the groups:write scope (it is in slack-app-manifest.yaml) and reinstall it",
}

// ChannelRefused tells people that Slack refused (with code) to create
// incident id's channel, what an admin must change, and that Firebreak
// keeps trying.
func ChannelRefused(id, code string, b ChannelBlock) string {
	return fmt.Sprintf(":warning: Slack refused to create the channel for %s (%s): %s. %s is recorded and nothing is lost: Firebreak tries again every few minutes and sets up the channel as soon as Slack allows it.",
		id, code, channelFixes[b], id)
}

// ChannelGaveUp tells people that Firebreak stopped trying to create
// incident id's channel after wait.
func ChannelGaveUp(id, code string, wait time.Duration) string {
	return fmt.Sprintf(":x: Slack still refuses to create the channel for %s (%s) after %s, so Firebreak stopped trying. %s stays recorded (see `/incident list`); once an admin has fixed the permission, declare it again to get a channel.",
		id, code, wait.Round(time.Hour), id)
}

// RemovedFromChannel tells the lead that Firebreak was removed from
// incident id's private channel and must be invited back.
func RemovedFromChannel(channel, id string) string {
	return fmt.Sprintf("Firebreak is no longer in <#%s>, the channel of %s, and cannot rejoin it by itself (a private channel needs an invitation). Invite it back there with `/invite @firebreak`: the card and the updates waiting for it are posted then; nothing is lost.", channel, id)
}

// PostingRestricted tells the lead that Slack does not let Firebreak post
// in incident id's channel.
func PostingRestricted(channel, id string) string {
	return fmt.Sprintf("Slack does not let Firebreak post in <#%s>, the channel of %s (restricted_action): a channel manager or admin must let it post there (channel settings → Posting permissions). The card and the updates waiting are posted as soon as it may; nothing is lost.", channel, id)
}

// tokenRefusals says what each of Slack's refusals of the bot token means.
var tokenRefusals = map[string]string{
	"token_revoked":    "the bot token was revoked (the app was uninstalled or the token regenerated)",
	"account_inactive": "the bot user was deactivated or the app uninstalled",
	"invalid_auth":     "the bot token is not valid",
	"not_authed":       "no bot token was sent",
	"token_expired":    "the bot token expired (token rotation is on; turn it off or refresh the token)",
}

// TokenRefused tells whoever runs Firebreak that Slack refuses the bot
// token with code, and what to do (the log and /readyz show it).
func TokenRefused(code string) string {
	return fmt.Sprintf("Slack refuses the bot token (%s: %s). Reinstall the app (or reactivate it), put the new xoxb- token in SLACK_BOT_TOKEN and restart; nothing waiting is lost.", code, TokenMeaning(code))
}

// ScopeMissing tells whoever runs Firebreak that Slack refuses method for
// lack of scope.
func ScopeMissing(method, scope string) string {
	return fmt.Sprintf("Slack refuses %s: the app lacks the %s scope. Add it (slack-app-manifest.yaml lists every scope) and reinstall the app; what waits is done as soon as Slack accepts it, nothing is lost.", method, scope)
}

// TokenMeaning says what Slack's refusal code of the bot token means.
func TokenMeaning(code string) string { return tokenRefusals[code] }
