// Package slackfake is a stateful fake Slack workspace served over real HTTP and a real
// WebSocket on 127.0.0.1, so that the bot, its tests, benchmarks and the `firebreak demo`
// browser UI talk to it exactly as they talk to Slack: through slack-go's Web API client and
// its socketmode client, with no accounts and no network.
//
// It owns:
//   - the workspace state (team, users, channels, messages and threads, pins, bookmarks,
//     reactions, ephemerals, modal views, trigger_ids and response_urls), kept as Slack keeps
//     it and enforced with Slack's own error codes, so that a bot that passes here does not
//     discover a rule in production;
//   - the Web API at <URL>/api/<method> and Socket Mode (hello, envelopes, acks, pings,
//     disconnects, redelivery of unacked events_api envelopes), with up to 10 connections
//     per app, each envelope dealt to one of them at random (seeded: WithSeed) and a
//     redelivery to another, and a disconnect sent to one connection (DisconnectConn) or all;
//   - faults on demand (rate limits, 429s, 5xx, latency, dropped sockets) because the bot's
//     retry and reconnect paths are only trustworthy if they are exercised;
//   - a Go API to act as people do (slash commands, clicks, submissions, messages, reactions,
//     pins, joins) and to inspect what the bot did, plus a change feed for a live UI.
//
// It must not: import any Firebreak package (it is a stand-in for Slack, not a part of the
// bot, and must not learn the bot's internals); listen anywhere but the address it is given
// (127.0.0.1 by default); block its HTTP or WebSocket handlers on a slow observer; or hand out
// references to its internal state (every inspection returns a copy, so callers may read
// concurrently with the bot).
//
// Every limit and behaviour it holds to is a row of Reference (reference.go), citing the Slack
// reference page it comes from; the validation reads its numbers from there and
// TestReference walks every row. The installed app is described by its manifest
// (WithManifest): the bot token's scopes (reported in X-OAuth-Scopes; a method needing
// another answers missing_scope, per MethodScopes), the events delivered, the Messages and
// Home tabs, and the message shortcuts offered.
// FailWith injects any HTTP-200 error code. Where Slack's behaviour is not documented (for
// example the exact size that triggers msg_blocks_too_long) the choice is noted beside the
// code.
//
// Layout. The workspace is state.go: users, channels, messages, views, triggers and
// response_urls, each a Go type guarded by Server.mu, with its inspection API (every read a
// copy); changes.go is the change feed. The Web API has a typed core (core.go): one Go
// method per Slack method on api, named after it (chat.postMessage is api.ChatPostMessage),
// taking the method's arguments as a struct whose `form` tags name them and answering its
// response body as a struct (the objects it holds are wire.go's), or a Slack error code
// (*apiError). Each runs with Server.mu held and records the changes it makes. The methods live one file per family:
// api_users.go (auth, apps.connections, team, users), api_conversations.go, api_chat.go,
// api_items.go (pins, bookmarks, reactions), api_views.go (modals) and api_home.go
// (views.publish, the Home tab: opening it, pressing its buttons); api.go is the table of
// endpoints and the lookups they share (a conversation that is visible, writable, readable).
// The HTTP edge is one path for every method (server.go's serveAPI): the arguments, form or
// JSON (params.go), token and scopes, injected latency and errors, tier limits, 429s and
// 5xx (faults.go), then the core, then ok:true added to the body or the ok:false, error
// envelope. response_url.go serves response_urls. Socket Mode is socket.go, with
// socket_conns.go for several connections (dealing, one connection's disconnect, their
// history); the drivers that act as people are drive.go (envelopes, slash commands),
// drive_click.go (block actions), drive_views.go (modal submissions and their view state),
// drive_shortcut.go (message shortcuts) and drive_events.go (Events API: messages,
// reactions, pins, membership). reference.go holds the cited limits.
package slackfake
