// Command firebreak-load measures Firebreak end to end: the real bot,
// its bbolt database on disk with fsync on, and the fake Slack over
// loopback. Each scenario prints the figures BENCHMARKS.md quotes.
//
//	go run ./cmd/firebreak-load            # every scenario (about 3 minutes)
//	go run ./cmd/firebreak-load ack declare clicks ratelimit startup
//	go run ./cmd/firebreak-load -postgres postgres://… ack declare   # bbolt, then PostgreSQL
//
// It must not be pointed at a real Slack: it only ever starts the fake.
package main

import (
	"flag"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"strings"
	"time"
)

// replicas is how many bots share a PostgreSQL database in a scenario (-replicas).
var replicas = new(int)

func main() {
	rate := flag.Int("rate", 200, "ack: envelopes per second")
	dur := flag.Duration("for", 5*time.Second, "ack: how long to send")
	latency := flag.Duration("latency", 50*time.Millisecond, "declare: delay of every Web API call")
	declares := flag.Int("declares", 10, "declare: how many declarations")
	clicks := flag.Int("clicks", 100, "clicks: how many clicks on one card")
	incidents := flag.Int("incidents", 50, "ratelimit: incidents declared")
	window := flag.Duration("window", 10*time.Second, "ratelimit: declared within")
	perMin := flag.Int("per-minute", 20, "ratelimit: conversations.create calls a minute")
	closed := flag.Int("closed", 10000, "startup: closed incidents in the database")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the scenarios here")
	flag.IntVar(replicas, "replicas", 1, "ack, declare on PostgreSQL: run this many replicas of the bot on the one database, Slack dealing envelopes among them")
	pg := flag.String("postgres", os.Getenv("FIREBREAK_TEST_POSTGRES"), "ack, declare: run again on this PostgreSQL database (a schema of its own, dropped after), beside bbolt")
	flag.Parse()
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err == nil && pprof.StartCPUProfile(f) == nil {
			defer pprof.StopCPUProfile()
		}
	}
	args := flag.Args()
	if len(args) == 1 && args[0] == "startup-child" {
		if err := startupChild(); err != nil {
			fmt.Fprintln(os.Stderr, "startup-child:", err)
			os.Exit(1)
		}
		return
	}
	if len(args) == 0 {
		args = []string{"ack", "declare", "clicks", "startup", "ratelimit"}
	}
	host, _ := os.Hostname()
	fmt.Printf("firebreak-load %s — %s, %d CPUs, %s, %s/%s\n", time.Now().UTC().Format("2006-01-02 15:04 MST"), host, runtime.NumCPU(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
	failed := false
	baseDB := *loadDB
	var runs []string
	for _, a := range args {
		runs = append(runs, a)
		if *pg != "" && (a == "ack" || a == "declare") {
			runs = append(runs, a+"@postgres")
		}
	}
	for _, a := range runs {
		var figs []figure
		var err error
		var title string
		a, onPG := strings.CutSuffix(a, "@postgres")
		*loadDB = baseDB
		if onPG {
			*loadDB = *pg
		}
		// measure runs on a product started for the scenario alone.
		var measure func(e *env) ([]figure, error)
		switch a {
		case "ack":
			title = fmt.Sprintf("ack latency at %d envelopes/s", *rate)
			measure = func(e *env) ([]figure, error) { return runAck(e, *rate, *dur) }
		case "declare":
			title = fmt.Sprintf("declare → card posted, each Slack call taking %s", *latency)
			measure = func(e *env) ([]figure, error) { return runDeclare(e, *declares, *latency) }
		case "clicks":
			title = fmt.Sprintf("%d clicks within 1 s on one card", *clicks)
			measure = func(e *env) ([]figure, error) { return runClicks(e, *clicks, time.Second) }
		case "ratelimit":
			title = fmt.Sprintf("%d incidents in %s, conversations.create limited to %d/min", *incidents, *window, *perMin)
			measure = func(e *env) ([]figure, error) { return runRateLimit(e, *incidents, *window, *perMin, 5*time.Minute) }
		case "startup":
			title = fmt.Sprintf("start-up with %d closed incidents", *closed)
			figs, err = runStartup(*closed)
		default:
			fmt.Fprintf(os.Stderr, "unknown scenario %q (ack, declare, clicks, ratelimit, startup)\n", a)
			os.Exit(2)
		}
		if measure != nil {
			figs, err = onFreshProduct(measure)
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "%s: %v\n", a, err)
			failed = true
			continue
		}
		if *pg != "" && (a == "ack" || a == "declare") {
			title += map[bool]string{false: " — bbolt", true: " — PostgreSQL"}[onPG]
			if onPG && *replicas > 1 {
				title += fmt.Sprintf(", %d replicas", *replicas)
			}
		}
		report(title, figs)
	}
	if failed {
		pprof.StopCPUProfile()
		os.Exit(1)
	}
}
