// Package templates owns every piece of text Firebreak shows people: the
// Slack messages (embedded text/template files under slack/, rendered by
// typed functions such as Announcement and StatusSummary), the words of
// cards and forms (button labels, form titles, labels and placeholders),
// the refusals of the domain, the parser and the Slack edge, the notices
// Firebreak sends on its own, and the postmortem markdown.
//
// Slack messages are mrkdwn. Text people typed is escaped here, once, with
// EscapeMrkdwn (only &, < and > are special to Slack), and only then do
// the templates add the markup they mean: <@U…> mentions and <#C…>
// channel links built from ids that look like Slack ids. That keeps a
// title such as "<!channel> is down" from pinging a whole workspace, and
// lets Clip shorten text without splitting an entity or a mention.
//
// The package renders and nothing more: it makes no Slack calls, reads no
// clock (times are arguments), and holds no state besides the parsed
// templates. It depends only on incident and the standard library.
package templates
