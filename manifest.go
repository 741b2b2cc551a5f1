// Package firebreak holds the Slack app manifest Firebreak is installed from, so that the
// binary (doctor), the demo's fake workspace and the tests all read the same file.
package firebreak

import _ "embed"

// Manifest is slack-app-manifest.yaml as shipped.
//
//go:embed slack-app-manifest.yaml
var Manifest []byte
