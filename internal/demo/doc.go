// Package demo is the browser UI of `firebreak demo`: a minimal Slack client
// over the in-process fake workspace (internal/slackfake) and a pane showing
// the issues filed in the fake GitHub (internal/githubfake).
//
// It owns:
//   - a small JSON API over the fakes: the state one person sees (channels,
//     messages with their Block Kit, their private ephemerals, their open
//     modal, the filed issues) and the things a person does (type a slash
//     command or a message, click a button or pick an option, submit or close
//     a modal, add a reaction, pin a message, join a channel);
//   - turning what a person typed into what Slack's client sends an app:
//     entities escaped, @name, #channel and URLs made into Slack markup
//     (slacktext.go), so that `/incident lead @carol` reaches the bot as
//     `lead <@UCAROL|carol>`, as it would from Slack;
//   - a Server-Sent Events stream fed by both fakes' change feeds, so that
//     the page re-reads the state as soon as the bot changes something;
//   - the page itself (HTML, CSS and JavaScript embedded in the binary: there
//     is no build step), which renders Block Kit and postmortem markdown.
//
// It must not: import any Firebreak package but the two fakes (it shows what
// the bot did through the fakes, exactly as a person sees it in Slack, and
// must not learn the bot's internals); act as anyone but the person the
// request names; or write anything into the workspace that a person could
// not do in Slack. The person is chosen in the page (alice, bob, carol), so
// that a second person can approve a risky step: the demo has no login, and
// is meant for 127.0.0.1.
package demo
