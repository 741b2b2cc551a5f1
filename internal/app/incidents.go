package app

import (
	"github.com/firebreak-hq/firebreak/bot"
	"github.com/firebreak-hq/firebreak/incident"
	"github.com/firebreak-hq/firebreak/store"
)

// incidents is the store as the bot's Incidents: the incident records
// and, beside each, its Slack record.
type incidents struct{ *store.DB }

func (s incidents) Create(rec bot.SlackRecord, fn func(n uint64) (incident.Result, error)) (incident.Result, error) {
	return s.DB.CreateWithSlack(store.SlackRecord(rec), fn)
}

func (s incidents) Slack(n uint64) (bot.SlackRecord, error) {
	rec, err := s.DB.Slack(n)
	return bot.SlackRecord(rec), err
}

func (s incidents) UpdateSlack(n uint64, fn func(bot.SlackRecord) bot.SlackRecord) (bot.SlackRecord, error) {
	rec, err := s.DB.UpdateSlack(n, func(r store.SlackRecord) store.SlackRecord {
		return store.SlackRecord(fn(bot.SlackRecord(r)))
	})
	return bot.SlackRecord(rec), err
}

var _ bot.Incidents = incidents{}
