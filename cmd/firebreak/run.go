package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/firebreak-hq/firebreak/internal/app"
	"github.com/firebreak-hq/firebreak/store"
)

func cmdRun(ctx context.Context, args []string, stderr io.Writer, getenv func(string) string) error {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	db := fs.String("db", "", "bbolt database file (default $FIREBREAK_DB or firebreak.db)")
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
	log.Info("firebreak starting", zap.String("version", version), zap.String("db", cfg.DBPath),
		zap.String("http", a.HTTPAddr()), zap.Int("schema", store.SchemaVersion))
	if err := a.Run(ctx); err != nil {
		return fmt.Errorf("%w (check SLACK_APP_TOKEN and SLACK_BOT_TOKEN)", err)
	}
	log.Info("firebreak stopped")
	return nil
}
