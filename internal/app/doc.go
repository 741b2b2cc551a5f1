// Package app wires Firebreak together: configuration from the
// environment, the bbolt store, the Slack bot, the reminder scheduler,
// the postmortem publisher and the HTTP endpoints. `firebreak run`,
// `firebreak demo` and the end-to-end tests all start the product through
// it, so what is tested is what ships.
//
// It holds no rules of its own: it translates configuration into
// constructors and adapts the store to the interfaces the bot declares.
package app
