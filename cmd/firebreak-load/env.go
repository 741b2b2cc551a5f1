package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"

	"github.com/firebreak-hq/firebreak/internal/app"
	"github.com/firebreak-hq/firebreak/internal/slackfake"
)

// env is the whole product running against the fake Slack over
// loopback, with its database on disk and fsync on.
type env struct {
	fs       *slackfake.Server
	app      *app.App
	announce string
	dir      string
	// dropDB removes a PostgreSQL run's schema (nothing for bbolt).
	dropDB func()
	// more are the replicas beside app (-replicas, PostgreSQL only).
	more     []*app.App
	moreDone []chan error
	cancel   context.CancelFunc
	done     chan error

	mu       sync.Mutex
	changes  map[string]time.Time // channel/ts of posted messages → when
	stopFeed func()
}

// start boots the product. cardInterval 0 keeps the production default.
func start(cardInterval time.Duration) (*env, error) {
	fs, err := slackfake.New(slackfake.WithPingInterval(time.Second))
	if err != nil {
		return nil, err
	}
	announce, err := fs.CreateChannel(slackfake.Alice, "incidents", false, slackfake.Bob, slackfake.Carol)
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "firebreak-load-")
	if err != nil {
		return nil, err
	}
	db, dropDB, err := databaseFor(dir)
	if err != nil {
		return nil, err
	}
	vars := map[string]string{
		"SLACK_APP_TOKEN":            fs.AppToken(),
		"SLACK_BOT_TOKEN":            fs.BotToken(),
		"SLACK_API_URL":              fs.APIURL(),
		"FIREBREAK_DB":               db,
		"FIREBREAK_ANNOUNCE_CHANNEL": announce,
		"FIREBREAK_RESPONDERS":       slackfake.Bob,
		"FIREBREAK_POSTMORTEM_DIR":   filepath.Join(dir, "postmortems"),
		"FIREBREAK_HTTP_ADDR":        "127.0.0.1:0",
	}
	cfg, err := app.FromEnv(func(k string) string { return vars[k] })
	if err != nil {
		dropDB()
		return nil, err
	}
	a, err := app.New(cfg, app.Options{CardInterval: cardInterval, NoHTTP: true})
	if err != nil {
		dropDB()
		return nil, err
	}
	e := &env{fs: fs, app: a, announce: announce, dir: dir, dropDB: dropDB, done: make(chan error, 1), changes: map[string]time.Time{}}
	feed, stop := fs.Subscribe()
	e.stopFeed = stop
	go func() {
		for c := range feed {
			if c.Kind == slackfake.ChangeMessagePosted {
				e.mu.Lock()
				if _, ok := e.changes[c.Channel+"/"+c.TS]; !ok {
					e.changes[c.Channel+"/"+c.TS] = c.Time
				}
				e.mu.Unlock()
			}
		}
	}()
	ctx, cancel := context.WithCancel(context.Background())
	e.cancel = cancel
	go func() { e.done <- a.Run(ctx) }()
	if n := *replicas; n > 1 && db != filepath.Join(dir, "firebreak.db") {
		for range n - 1 {
			b, err := app.New(cfg, app.Options{CardInterval: cardInterval, NoHTTP: true})
			if err != nil {
				e.stop()
				return nil, err
			}
			e.more = append(e.more, b)
			done := make(chan error, 1)
			go func() { done <- b.Run(ctx) }()
			e.moreDone = append(e.moreDone, done)
		}
		if err := waitFor(15*time.Second, func() bool { return fs.Connections() == n }); err != nil {
			e.stop()
			return nil, fmt.Errorf("%d replicas did not all connect: %w", n, err)
		}
	}
	wctx, wc := context.WithTimeout(context.Background(), 15*time.Second)
	defer wc()
	if err := fs.WaitConnected(wctx); err != nil {
		e.stop()
		return nil, fmt.Errorf("bot did not connect: %w", err)
	}
	if err := waitFor(15*time.Second, a.Bot.Connected); err != nil {
		e.stop()
		return nil, err
	}
	return e, nil
}

// onFreshProduct runs measure on a product started for it, and stops
// the product after.
func onFreshProduct(measure func(*env) ([]figure, error)) ([]figure, error) {
	e, err := start(0)
	if err != nil {
		return nil, err
	}
	defer e.stop()
	return measure(e)
}

func (e *env) stop() {
	e.cancel()
	select {
	case <-e.done:
	case <-time.After(20 * time.Second):
		fmt.Fprintln(os.Stderr, "app did not stop within 20s")
	}
	for i, b := range e.more {
		<-e.moreDone[i]
		_ = b.Close()
	}
	_ = e.app.Close()
	e.stopFeed()
	_ = e.fs.Close()
	_ = os.RemoveAll(e.dir)
	e.dropDB()
}

// postedAt is when the fake stored message channel/ts.
func (e *env) postedAt(channel, ts string) (time.Time, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	t, ok := e.changes[channel+"/"+ts]
	return t, ok
}

// quiet waits until every effect is performed.
func (e *env) quiet(limit time.Duration) error {
	return waitFor(limit, func() bool {
		st, err := e.app.DB.Stats()
		return err == nil && st.Outbox == 0
	})
}

func waitFor(limit time.Duration, cond func() bool) error {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		if cond() {
			return nil
		}
		time.Sleep(2 * time.Millisecond)
	}
	return fmt.Errorf("timed out after %s", limit)
}

// acksOf waits for the acks of the given envelopes and returns their
// latencies as the fake measured them (envelope written → ack received).
func (e *env) acksOf(ids []string, limit time.Duration) ([]time.Duration, error) {
	want := make(map[string]bool, len(ids))
	for _, id := range ids {
		want[id] = true
	}
	var lat []time.Duration
	err := waitFor(limit, func() bool {
		lat = lat[:0]
		for _, a := range e.fs.Acks() {
			if want[a.EnvelopeID] {
				lat = append(lat, a.Latency)
			}
		}
		return len(lat) == len(ids)
	})
	if err != nil {
		return nil, fmt.Errorf("%d of %d envelopes acked: %w", len(lat), len(ids), err)
	}
	return lat, nil
}

func percentile(d []time.Duration, p float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	i := int(float64(len(s)-1) * p)
	return s[i]
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d.Microseconds())/1000) }
