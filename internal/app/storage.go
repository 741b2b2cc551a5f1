package app

import (
	"errors"
	"fmt"
	"time"

	"go.uber.org/zap"

	"github.com/firebreak-hq/firebreak/bot"
	"github.com/firebreak-hq/firebreak/incident"
	"github.com/firebreak-hq/firebreak/store"
	"github.com/firebreak-hq/firebreak/store/pgstore"
)

// OpenStore opens FIREBREAK_DB: a postgres:// URL (PostgreSQL, shared by
// several processes) or a bbolt file path (the embedded default).
// noSync applies to bbolt only.
func OpenStore(db string, noSync bool, log *zap.Logger, now func() time.Time) (store.Store, error) {
	return openStore(db, noSync, 0, 0, log, now)
}

// openStore is OpenStore with the PostgreSQL claim lease and how often a
// held lead is checked (0: defaults).
func openStore(db string, noSync bool, lease, leadCheck time.Duration, log *zap.Logger, now func() time.Time) (store.Store, error) {
	if log == nil {
		log = zap.NewNop()
	}
	if pgstore.IsURL(db) {
		return pgstore.Open(db, pgstore.Options{Logger: log.Named("store"), Now: now, Lease: lease, LeadCheck: leadCheck})
	}
	return store.Open(db, store.Options{NoSync: noSync, Logger: log.Named("store"), Now: now})
}

// incidents is the store as the bot's Incidents port: the incident
// records and, beside each, its Slack record. The store's sentinel errors
// for the failures an operator must fix become the bot's, so the bot can
// tell people what happened without knowing the store.
type incidents struct{ DB store.Store }

func (s incidents) Create(rec bot.SlackRecord, fn func(n uint64) (incident.Result, error)) (incident.Result, error) {
	r, err := s.DB.CreateWithSlack(store.SlackRecord(rec), fn)
	return r, storageErr(err)
}

func (s incidents) CreateOnce(key string, rec bot.SlackRecord, fn func(n uint64) (incident.Result, error)) (incident.Result, bool, error) {
	r, dup, err := s.DB.CreateOnce(key, store.SlackRecord(rec), fn)
	return r, dup, storageErr(err)
}

func (s incidents) Slack(n uint64) (bot.SlackRecord, error) {
	rec, err := s.DB.Slack(n)
	return bot.SlackRecord(rec), err
}

func (s incidents) UpdateSlack(n uint64, fn func(bot.SlackRecord) bot.SlackRecord) (bot.SlackRecord, error) {
	rec, err := s.DB.UpdateSlack(n, func(r store.SlackRecord) store.SlackRecord {
		return store.SlackRecord(fn(bot.SlackRecord(r)))
	})
	return bot.SlackRecord(rec), storageErr(err)
}

func (s incidents) Apply(n uint64, fn func(incident.Incident) (incident.Result, error)) (incident.Result, error) {
	r, err := s.DB.Apply(n, fn)
	return r, storageErr(err)
}

func (s incidents) ApplyOnce(key string, n uint64, fn func(incident.Incident) (incident.Result, error)) (incident.Result, bool, error) {
	r, dup, err := s.DB.ApplyOnce(key, n, fn)
	return r, dup, storageErr(err)
}

func (s incidents) Get(n uint64) (incident.Incident, error) { return s.DB.Get(n) }

func (s incidents) ByChannel(ch string) (incident.Incident, error) { return s.DB.ByChannel(ch) }

func storageErr(err error) error {
	switch {
	case errors.Is(err, store.ErrNoSpace):
		return fmt.Errorf("%w: %w", bot.ErrStorageFull, err)
	case errors.Is(err, store.ErrReadOnly):
		return fmt.Errorf("%w: %w", bot.ErrStorageReadOnly, err)
	}
	return err
}

var _ bot.Incidents = incidents{}

// homeViewers is the store's App Home viewer set as the bot's port.
type homeViewers struct{ DB store.Store }

func (h homeViewers) Add(user string) error   { return storageErr(h.DB.AddHomeViewer(user)) }
func (h homeViewers) List() ([]string, error) { return h.DB.HomeViewers() }

var _ bot.HomeViewers = homeViewers{}
