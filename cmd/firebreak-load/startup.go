package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/firebreak-hq/firebreak/incident"
	"github.com/firebreak-hq/firebreak/internal/app"
	"github.com/firebreak-hq/firebreak/internal/slackfake"
	"github.com/firebreak-hq/firebreak/store"
)

// fill writes closed incidents (declared, two notes, force-closed) into a
// new database, concurrently so that group commit keeps it quick.
func fill(path string, closed int) error {
	d, err := store.Open(path, store.Options{NoSync: true})
	if err != nil {
		return err
	}
	defer d.Close()
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	per := closed / 8
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range per {
				res, err := d.Create(func(n uint64) (incident.Result, error) {
					return incident.Declare(n, incident.Declaration{Title: fmt.Sprintf("old incident %d/%d", w, i), Declarer: slackfake.Alice}, t0)
				})
				if err != nil {
					errs <- err
					return
				}
				n := res.Incident.Number
				for _, c := range []incident.Command{
					{Kind: incident.CmdNote, Actor: slackfake.Alice, Text: "error rate back to normal after rollback"},
					{Kind: incident.CmdNote, Actor: slackfake.Bob, Text: "root cause: cart schema migration 0193"},
					{Kind: incident.CmdClose, Actor: slackfake.Alice, Force: true, Text: "historical incident"},
				} {
					if _, err := d.Apply(n, func(cur incident.Incident) (incident.Result, error) {
						r, err := incident.Apply(cur, c, t0)
						r.Effects = nil
						return r, err
					}); err != nil {
						errs <- err
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return err
	}
	// The fill's effects are history, not work for the bot.
	items, err := d.Pending(0)
	if err != nil {
		return err
	}
	ids := make([]uint64, len(items))
	for i, it := range items {
		ids[i] = it.ID
	}
	return d.Done(ids...)
}

type startupResult struct {
	ConnectMS float64 `json:"connect_ms"`
	RSSKiB    int64   `json:"rss_kib"`
	HeapKiB   uint64  `json:"heap_kib"`
}

// runStartup measures, in a child process of its own, the time from
// app.New to the Socket Mode connection on a database holding closed
// incidents, and that process's resident memory once idle. The fake
// Slack runs here, in the parent, so it is not counted.
func runStartup(closed int) ([]figure, error) {
	dir, err := os.MkdirTemp("", "firebreak-startup-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "firebreak.db")
	began := time.Now()
	if err := fill(path, closed); err != nil {
		return nil, err
	}
	filled := time.Since(began)
	st, size := statsOf(path)
	fs, err := slackfake.New()
	if err != nil {
		return nil, err
	}
	defer fs.Close()
	var results []startupResult
	for range 5 {
		self, err := os.Executable()
		if err != nil {
			return nil, err
		}
		cmd := exec.Command(self, "startup-child")
		cmd.Env = append(os.Environ(),
			"SLACK_APP_TOKEN="+fs.AppToken(), "SLACK_BOT_TOKEN="+fs.BotToken(), "SLACK_API_URL="+fs.APIURL(),
			"FIREBREAK_DB="+path, "FIREBREAK_POSTMORTEM_DIR="+filepath.Join(dir, "pm"), "FIREBREAK_HTTP_ADDR=127.0.0.1:0")
		cmd.Stderr = os.Stderr
		out, err := cmd.Output()
		if err != nil {
			return nil, fmt.Errorf("startup child: %w", err)
		}
		var r startupResult
		if err := json.Unmarshal(out, &r); err != nil {
			return nil, fmt.Errorf("startup child said %q: %w", out, err)
		}
		results = append(results, r)
	}
	var conn []time.Duration
	var rss int64
	for _, r := range results {
		conn = append(conn, time.Duration(r.ConnectMS*float64(time.Millisecond)))
		rss = max(rss, r.RSSKiB)
	}
	return []figure{
		{"database", fmt.Sprintf("%d incidents (%d open), %d events, %.1f MiB", st.Incidents, st.Open, st.Events, float64(size)/(1<<20)), "filled in " + filled.Round(time.Millisecond).String()},
		{"app.New → Socket Mode connected, median of 5", ms(percentile(conn, .5)), "target ≤ 300 ms"},
		{"app.New → Socket Mode connected, max of 5", ms(percentile(conn, 1)), ""},
		{"RSS idle after GC, max of 5", fmt.Sprintf("%.1f MiB", float64(rss)/1024), "target ≤ 50 MB; VmRSS of the bot's own process"},
		{"Go heap in use idle", fmt.Sprintf("%.1f MiB", float64(results[0].HeapKiB)/1024), ""},
	}, nil
}

func statsOf(path string) (store.Stats, int64) {
	d, err := store.Open(path, store.Options{})
	if err != nil {
		return store.Stats{}, 0
	}
	defer d.Close()
	st, _ := d.Stats()
	fi, _ := os.Stat(path)
	return st, fi.Size()
}

// startupChild is the measured process: it prints one JSON line.
func startupChild() error {
	cfg, err := app.FromEnv(os.Getenv)
	if err != nil {
		return err
	}
	t0 := time.Now()
	a, err := app.New(cfg, app.Options{NoHTTP: true})
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	if err := waitFor(10*time.Second, a.Bot.Connected); err != nil {
		cancel()
		return err
	}
	connect := time.Since(t0)
	time.Sleep(2 * time.Second) // idle: reminders ticked, socket pinged
	runtime.GC()
	debug.FreeOSMemory()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	r := startupResult{ConnectMS: float64(connect.Microseconds()) / 1000, RSSKiB: vmRSS(), HeapKiB: m.HeapInuse / 1024}
	cancel()
	<-done
	_ = a.Close()
	return json.NewEncoder(os.Stdout).Encode(r)
}

func vmRSS() int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return -1
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return n
		}
	}
	return -1
}
