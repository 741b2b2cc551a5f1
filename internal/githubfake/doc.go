// Package githubfake is a stateful fake of the slice of GitHub's REST API that
// Firebreak uses to publish postmortems: repositories, issues, issue comments,
// labels, issue search and the authenticated user. It serves real HTTP on
// 127.0.0.1 so that the real go-github client (v60) can be pointed at it with
//
//	c := github.NewClient(nil).WithAuthToken(token)
//	c.BaseURL, _ = url.Parse(fake.URL())
//
// It is used in-process by tests and as a long-running server behind
// `firebreak demo`.
//
// What it owns:
//
//   - The in-memory state of every repository added with AddRepo: issues,
//     comments, labels, plus a bounded log of the requests it served.
//   - GitHub's observable behaviour where Firebreak depends on it: status codes,
//     error bodies ("Validation Failed" with resource/code/field, "Bad
//     credentials", "Not Found"), the 65,536-character body limit, labels
//     auto-created when an issue names them, Link-header pagination,
//     X-RateLimit-* headers, and a search index that can lag behind writes
//     (WithSearchLag) while the list endpoint stays immediately consistent.
//   - Fault injection (Inject): 5xx, the ambiguous "write happened but the
//     answer never arrived" failure, primary and secondary rate limits and 429,
//     each for the next N matching requests, shaped so that go-github returns
//     the same error types it returns against api.github.com.
//   - Inspection for assertions and the demo UI (Issues, Comments, Labels,
//     Requests, IssueCreates) and change notification (Subscribe) that never
//     blocks the server.
//
// What it must not do:
//
//   - Import anything of the project but internal/fakehttp (itself stdlib
//     only), or any third-party module, so that every package may use it
//     without creating cycles.
//   - Listen on anything but loopback by default, talk to the network, or sleep
//     to simulate behaviour: time comes from an injectable clock (WithClock),
//     and the only wait is the injected timeout, which ends when the client
//     gives up or the server is closed.
//   - Pretend to be complete: pull requests, milestones, reactions, events,
//     deletion, GraphQL and per-endpoint scopes are not modelled. Unknown routes
//     answer 404 {"message":"Not Found"} like GitHub does.
//   - Hand out its internal state: every inspection method returns copies.
package githubfake
