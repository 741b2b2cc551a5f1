package main

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/firebreak-hq/firebreak/intake"
	"github.com/firebreak-hq/firebreak/playbooks"
)

// cmdRoutes checks a routes file: every problem on its own line as
// file:line: message, exit 1 when there is one.
func cmdRoutes(args []string, w io.Writer, getenv func(string) string) error {
	if len(args) != 2 || args[0] != "check" {
		return errors.New("usage: firebreak routes check FILE")
	}
	pbs, err := playbooks.Load(getenv("FIREBREAK_PLAYBOOKS"))
	if err != nil {
		return fmt.Errorf("playbooks: %w", err)
	}
	rs, err := intake.LoadRoutes(args[1], pbs)
	if err != nil {
		var joined interface{ Unwrap() []error }
		if errors.As(err, &joined) {
			for _, e := range joined.Unwrap() {
				fmt.Fprintln(w, e)
			}
		} else {
			fmt.Fprintln(w, err)
		}
		return exitError(1)
	}
	var names []string
	for _, r := range rs.Routes {
		name := r.Name
		if name == "" {
			name = fmt.Sprintf("line %d", r.Line)
		}
		names = append(names, name+" → "+string(r.Action))
	}
	fmt.Fprintf(w, "ok: %d routes (%s)\n", len(rs.Routes), strings.Join(names, ", "))
	return nil
}
