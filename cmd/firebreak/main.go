// Command firebreak is the incident-response bot for Slack: one static
// binary with an embedded database. See README.md and CONTRACT.md.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"
	// FIREBREAK_TIMEZONE must work in a container without zone files.
	_ "time/tzdata"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// Stamped at build time with -ldflags "-X main.version=… -X main.commit=…".
var (
	version = "dev"
	commit  = "unknown"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr, os.Getenv))
}

const usage = `firebreak — incident response in Slack

usage:
  firebreak [run]                         the bot (Socket Mode, scheduler, postmortems, HTTP)
  firebreak demo [--db F] [--addr A]      the whole product with a fake Slack in your browser
  firebreak backup --db F --out B         consistent online backup (F: a file or a postgres:// URL)
  firebreak restore --from B --db F [--force]
  firebreak verify-backup B               check a backup; non-zero exit on damage
  firebreak migrate --from F --to postgres://…  [--force]
                                          copy a bbolt database into PostgreSQL, verifying the counts
  firebreak playbooks check [DIR]         validate playbook files
  firebreak routes check FILE             validate an alert routes file (FIREBREAK_ROUTES)
  firebreak postmortem preview INC-N --db F
  firebreak report [--since 90d] [--out report.html] [--csv FILE]
                                          insights: charts of incidents, durations, skipped steps, follow-ups
  firebreak doctor                        check tokens, scopes, GitHub, database, playbooks
  firebreak version

Configuration comes from the environment; see README.md.
`

func run(args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	cmd := "run"
	if len(args) > 0 {
		cmd, args = args[0], args[1:]
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var err error
	switch cmd {
	case "run":
		err = cmdRun(ctx, args, stderr, getenv)
	case "demo":
		err = cmdDemo(ctx, args, stdout, stderr, getenv)
	case "backup":
		err = cmdBackup(args, stdout, getenv)
	case "restore":
		err = cmdRestore(args, stdout)
	case "verify-backup":
		err = cmdVerify(args, stdout)
	case "migrate":
		err = cmdMigrate(args, stdout)
	case "playbooks":
		err = cmdPlaybooks(args, stdout)
	case "routes":
		err = cmdRoutes(args, stdout, getenv)
	case "postmortem":
		err = cmdPostmortem(args, stdout, stderr, getenv)
	case "report":
		err = cmdReport(args, stdout, getenv, time.Now)
	case "doctor":
		err = cmdDoctor(ctx, stdout, getenv)
	case "version", "--version", "-v":
		cmdVersion(stdout)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
	default:
		fmt.Fprintf(stderr, "firebreak: unknown command %q\n\n%s", cmd, usage)
		return 2
	}
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 2
		}
		var ee exitError
		if errors.As(err, &ee) {
			return int(ee)
		}
		fmt.Fprintln(stderr, "firebreak:", err)
		return 1
	}
	return 0
}

// exitError ends the program with a code after its output was written.
type exitError int

func (e exitError) Error() string { return fmt.Sprintf("exit %d", int(e)) }

func newLogger(w io.Writer, level zapcore.Level) *zap.Logger {
	enc := zap.NewProductionEncoderConfig()
	enc.EncodeTime = zapcore.ISO8601TimeEncoder
	core := zapcore.NewCore(zapcore.NewJSONEncoder(enc), zapcore.AddSync(w), level)
	return zap.New(core)
}
