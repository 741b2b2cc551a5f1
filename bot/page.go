package bot

import (
	"slices"

	"github.com/firebreak-hq/firebreak/templates"
)

// checkPageTarget refuses a page to a target nobody configured, naming
// the ones that exist, before anything is committed.
func (b *Bot) checkPageTarget(target string) error {
	if slices.Contains(b.cfg.PageTargets, target) {
		return nil
	}
	if len(b.cfg.PageTargets) == 0 {
		return usageErr(templates.UsageNoPaging)
	}
	return userErr(templates.NoPageTarget(target, b.cfg.PageTargets))
}
