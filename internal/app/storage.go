package app

import (
	"errors"
	"fmt"

	"github.com/firebreak-hq/firebreak/bot"
	"github.com/firebreak-hq/firebreak/incident"
	"github.com/firebreak-hq/firebreak/store"
)

// incidents is the store as the bot's Incidents port: the store's
// sentinel errors for the failures an operator must fix become the
// bot's, so the bot can tell people what happened without knowing the
// store.
type incidents struct{ *store.DB }

func (s incidents) Create(fn func(n uint64) (incident.Result, error)) (incident.Result, error) {
	r, err := s.DB.Create(fn)
	return r, storageErr(err)
}

func (s incidents) Apply(n uint64, fn func(incident.Incident) (incident.Result, error)) (incident.Result, error) {
	r, err := s.DB.Apply(n, fn)
	return r, storageErr(err)
}

func (s incidents) ApplyOnce(key string, n uint64, fn func(incident.Incident) (incident.Result, error)) (incident.Result, bool, error) {
	r, dup, err := s.DB.ApplyOnce(key, n, fn)
	return r, dup, storageErr(err)
}

func storageErr(err error) error {
	switch {
	case errors.Is(err, store.ErrNoSpace):
		return fmt.Errorf("%w: %w", bot.ErrStorageFull, err)
	case errors.Is(err, store.ErrReadOnly):
		return fmt.Errorf("%w: %w", bot.ErrStorageReadOnly, err)
	}
	return err
}
