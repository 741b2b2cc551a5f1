// Package bot is Firebreak's Slack transport. It turns Socket Mode
// envelopes into domain commands, commits them through the storage
// interfaces it declares, acknowledges Slack within its three seconds,
// and performs the resulting Slack effects (card updates, announcements,
// ephemerals) from the outbox with rate limiting and retries. It also
// serves Slack's other surfaces: the message shortcut that declares from a
// message (shortcut.go) and the App Home tab (home.go), republished as
// incidents change.
//
// It must not decide incident rules (that is package incident), must not
// import the storage implementation (it declares small interfaces that
// the store satisfies), and must not word anything people read: every
// text, label, refusal and piece of Slack markup comes from package
// templates (TestNoWordingInBot holds that). Block Kit builders here are
// pure functions that lay out what templates words, so that Slack's
// limits can be tested without a network.
package bot
