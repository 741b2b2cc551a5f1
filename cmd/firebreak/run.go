package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"sync/atomic"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/firebreak-hq/firebreak/internal/app"
	"github.com/firebreak-hq/firebreak/store"
	"github.com/firebreak-hq/firebreak/store/pgstore"
)

func cmdRun(ctx context.Context, args []string, stderr io.Writer, getenv func(string) string) error {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	db := fs.String("db", "", "bbolt database file or postgres:// URL (default $FIREBREAK_DB or firebreak.db)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, err := app.FromEnv(getenv)
	if err != nil {
		return err
	}
	if *db != "" {
		cfg.DBPath = *db
	}
	if err := cfg.RequireTokens(); err != nil {
		return err
	}
	log := newLogger(stderr, zapcore.InfoLevel)
	defer func() { _ = log.Sync() }()
	a, err := app.New(cfg, app.Options{Logger: log})
	if err != nil {
		return err
	}
	defer a.Close()
	stopBackups, err := startBackups(ctx, a, log)
	if err != nil {
		return err
	}
	defer stopBackups()
	schema := store.SchemaVersion
	if a.DB.Kind() == "postgres" {
		schema = pgstore.SchemaVersion
	}
	// Where names the database without its password.
	log.Info("firebreak starting", zap.String("version", version), zap.String("db", a.DB.Where()),
		zap.String("store", a.DB.Kind()), zap.String("http", a.HTTPAddr()), zap.Int("schema", schema))
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	replaced := watchDatabase(ctx, a.DB, dbWatchEvery, func() {
		log.Error("the database file was replaced or removed while running; stopping, so that nothing more is written to the old file",
			zap.String("db", cfg.DBPath))
		cancel()
	})
	if err := a.Run(ctx); err != nil && !replaced() {
		return fmt.Errorf("%w (check SLACK_APP_TOKEN and SLACK_BOT_TOKEN)", err)
	}
	if replaced() {
		return fmt.Errorf("database %s was replaced or removed while firebreak ran; it stopped so that no write went to the old file: start it again to use the file now at that path", cfg.DBPath)
	}
	log.Info("firebreak stopped")
	return nil
}

// dbWatchEvery is how often run checks that its database file is still
// the one it opened.
const dbWatchEvery = 2 * time.Second

// watchDatabase calls onReplaced once if db's file is replaced or removed,
// checking every interval until ctx ends. The returned function reports
// whether it was.
func watchDatabase(ctx context.Context, db store.Store, every time.Duration, onReplaced func()) func() bool {
	var hit atomic.Bool
	go func() {
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				if r, ok := db.(interface{ Replaced() bool }); ok && r.Replaced() {
					hit.Store(true)
					onReplaced()
					return
				}
			}
		}
	}()
	return hit.Load
}
