// Package playbooks owns Firebreak's checklists: the default playbooks
// embedded in the binary, the loader that lets a directory
// (FIREBREAK_PLAYBOOKS) add playbooks or replace embedded ones by name, and
// the validator behind `firebreak playbooks check`.
//
// Every problem it reports starts with `file:line: ` so that whoever edits a
// playbook is sent to the exact place, and the bot can refuse to start with
// a message that needs no further digging. The YAML is read strictly: an
// unknown key is an error rather than silently ignored, because a misspelt
// `aproval: true` would otherwise drop the two-person rule from a risky step.
//
// The package converts files into incident.Playbook and never lets YAML
// types leave it. It does no I/O beyond reading the playbook directory it
// is given, keeps no global state besides the embedded files, and knows
// nothing about Slack or storage.
package playbooks
