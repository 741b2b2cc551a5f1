package insights

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ParseWindow reads a window like 90d, 12w, 48h or all (0: no limit).
func ParseWindow(s string) (time.Duration, error) {
	t := strings.TrimSpace(strings.ToLower(s))
	if t == "all" {
		return 0, nil
	}
	bad := fmt.Errorf("a window is written like 90d, 12w or 48h, or all; not %q", s)
	if len(t) < 2 {
		return 0, bad
	}
	n, err := strconv.Atoi(t[:len(t)-1])
	if err != nil || n <= 0 || n > 100000 {
		return 0, bad
	}
	switch t[len(t)-1] {
	case 'd':
		return time.Duration(n) * 24 * time.Hour, nil
	case 'w':
		return time.Duration(n) * 7 * 24 * time.Hour, nil
	case 'h':
		return time.Duration(n) * time.Hour, nil
	}
	return 0, bad
}
