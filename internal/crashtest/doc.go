// Package crashtest runs the real firebreak binary as a child process so
// that tests can kill it with SIGKILL at arbitrary moments and restart it
// on the same database file: the only honest way to check that nothing
// acknowledged is lost, because an in-process "crash" still runs deferred
// functions and keeps the file lock.
//
// It owns building the binary and the lifecycle of its processes (start,
// SIGKILL, SIGTERM, wait), with each run's log kept for failure reports.
//
// It must not import any Firebreak package nor know anything about Slack:
// the caller decides the environment, when to kill, and what to check.
// It is for tests only.
package crashtest
