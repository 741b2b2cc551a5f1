package bot

import (
	"slices"
	"strings"
)

// checkPageTarget refuses a page to a target nobody configured, naming
// the ones that exist, before anything is committed.
func (b *Bot) checkPageTarget(target string) error {
	if slices.Contains(b.cfg.PageTargets, target) {
		return nil
	}
	if len(b.cfg.PageTargets) == 0 {
		return userErr("Paging is not set up: set PAGERDUTY_ROUTING_KEY or OPSGENIE_API_KEY, or give a route a `page` in FIREBREAK_ROUTES.")
	}
	return userErr("There is no page target “" + target + "”; the targets are " + strings.Join(b.cfg.PageTargets, ", ") + ".")
}
