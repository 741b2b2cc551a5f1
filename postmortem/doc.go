// Package postmortem turns a closed incident into the blameless
// postmortem draft its lead receives, and files it.
//
// It owns:
//
//   - Render and Preview: the draft (title, body, timeline continuation
//     comments) built from the stored incident and timeline through the
//     templates package. User text is converted from Slack markup (names
//     instead of "<@U…>"), escaped so it cannot break the markdown, and
//     kept from notifying anyone on GitHub. The body always fits GitHub's
//     65,536-character limit: a long timeline continues in comments and,
//     beyond that, is summarised, and the body says so.
//   - Lint: the blameless-language check. It flags blame (a person as the
//     cause, "human error", "should have", "careless", "fault", "blame")
//     and suggests neutral rewrites; it never edits what people wrote.
//   - GitHub and Files, the publishers. GitHub files an issue idempotently:
//     the issue is labelled Key(n) and its body starts with Marker(n); it is
//     looked up before creating and again after any failure that may have
//     created it, and continuation comments are recognised by their own
//     markers, so retries and restarts never produce a second issue or
//     comment. Errors say whether to retry (RetryAfter) or that a person
//     must fix something (Permanent), and never contain the token.
//
// It must not retry, sleep or remember anything between calls: the outbox
// worker owns retries and backoff, and GitHub itself holds the state that
// makes publishing idempotent. It must not read the clock to render (times
// come from the incident), touch the store, or talk to Slack; posting the
// link and the language findings is the bot's job.
package postmortem
