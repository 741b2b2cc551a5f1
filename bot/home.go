package bot

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"sync"
	"time"

	"github.com/slack-go/slack"
	"go.uber.org/zap"

	"github.com/firebreak-hq/firebreak/incident"
	"github.com/firebreak-hq/firebreak/templates"
)

// App Home: each person who opens Firebreak's Home tab is shown the open
// incidents they may see (theirs first), the steps assigned to them, the
// approvals waiting for them and a Declare incident button. The view is
// published when they open the tab and again whenever an incident
// changes, for everyone who has opened it since the bot started:
// changes are coalesced (a burst of clicks is one publish per person),
// a view identical to the one last published is not sent again, and
// publishes are paced within views.publish's rate limit.
//
// Who has opened Home is kept in the shared storage (Config.Viewers):
// Slack delivers app_home_opened to any one replica, and a change is
// performed by whichever replica claims it, so the round that follows a
// change reads the whole list, once per round, and publishes for every
// viewer. The digest of the view last published stays in each process's
// memory: a replica that never published to a person publishes once.

// ActHomeDeclare is the Home view's Declare incident button.
const ActHomeDeclare = "home.declare"

// HomeCallback is the Home view's callback_id.
const HomeCallback = "home"

// HomePublishesPerMinute is the pace of views.publish: Slack's Tier 4,
// "100+ per minute" (https://api.slack.com/methods/views.publish,
// https://api.slack.com/docs/rate-limits). The bot stays at 100.
const HomePublishesPerMinute = 100

// homeInterval is how long a change waits for others before the Home
// views are published, so a burst of changes is one publish per person.
const homeInterval = 300 * time.Millisecond

type home struct {
	b  *Bot
	mu sync.Mutex
	// viewers have opened Home (here, or as the shared list said);
	// saved are recorded in Viewers; dirty wait for a publish; all is a
	// change since the last round (every viewer is due); last is the
	// digest of the view last published for each.
	viewers map[string]bool
	saved   map[string]bool
	dirty   map[string]bool
	all     bool
	last    map[string][sha256.Size]byte
	running bool
	// wg is the running round: Run waits for it once nothing can start
	// another (the event loop and the outbox have stopped).
	wg sync.WaitGroup
	// sent are the times of the publishes of the last minute.
	sent []time.Time
}

func newHome(b *Bot) *home {
	return &home{b: b, viewers: map[string]bool{}, saved: map[string]bool{}, dirty: map[string]bool{}, last: map[string][sha256.Size]byte{}}
}

// opened is user opening the Home tab: their view is published at the
// next round, unless Slack already has it as it would be (Slack keeps a
// published Home), so switching tabs costs no publish.
func (h *home) opened(user string) {
	if !incident.ValidUserID(user) {
		return
	}
	h.mu.Lock()
	h.viewers[user] = true
	h.mu.Unlock()
	h.mark(user)
}

// changed is an incident having changed: every Home is due again (those
// whose content is the same are not sent).
func (h *home) changed() {
	if h == nil {
		return // a bot built bare, in tests
	}
	h.mu.Lock()
	h.all = true
	h.mu.Unlock()
	h.mark()
}

// mark queues users for the next round, starting one unless one runs
// (also for no user when a change is due: changed).
// The round counts as bot work (Busy) until it is done. It has its own
// WaitGroup, not the bot's: the outbox marks rounds from its own
// goroutine, which may still run while Run waits for the handlers.
func (h *home) mark(users ...string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(users) == 0 && !h.all {
		return
	}
	for _, u := range users {
		h.dirty[u] = true
	}
	if h.running {
		return
	}
	h.running = true
	h.wg.Add(1)
	go h.run()
}

// busy is 1 while a round is due or running.
func (h *home) busy() int {
	if h == nil {
		return 0
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.running {
		return 1
	}
	return 0
}

func (h *home) run() {
	defer h.wg.Done()
	ctx := h.b.ctx()
	for {
		if !h.b.exec.sleep(ctx, h.b.cfg.HomeInterval) {
			h.stop()
			return
		}
		h.mu.Lock()
		users := make([]string, 0, len(h.dirty))
		for u := range h.dirty {
			users = append(users, u)
		}
		h.dirty = map[string]bool{}
		all := h.all
		h.all = false
		h.mu.Unlock()
		h.save()
		if all {
			users = h.everyone(users)
		}
		h.round(ctx, users)
		h.mu.Lock()
		if (len(h.dirty) == 0 && !h.all) || ctx.Err() != nil {
			h.running = false
			h.mu.Unlock()
			return
		}
		h.mu.Unlock()
	}
}

func (h *home) stop() {
	h.mu.Lock()
	h.running = false
	h.mu.Unlock()
}

// save records in the shared list the viewers who opened Home here and
// are not recorded yet. A failure is logged and tried again next round:
// this process still publishes for them meanwhile.
func (h *home) save() {
	if h.b.cfg.Viewers == nil {
		return
	}
	h.mu.Lock()
	var todo []string
	for u := range h.viewers {
		if !h.saved[u] {
			todo = append(todo, u)
		}
	}
	h.mu.Unlock()
	for _, u := range todo {
		if err := h.b.cfg.Viewers.Add(u); err != nil {
			h.b.log.Warn("App Home viewer not recorded for the other replicas", zap.String("user", u), zap.Error(err))
			continue
		}
		h.mu.Lock()
		h.saved[u] = true
		h.mu.Unlock()
	}
}

// everyone is users and every viewer: those known here and the shared
// list, read once for the round (a burst of changes is one read). When
// the list cannot be read, the viewers known here are still published.
func (h *home) everyone(users []string) []string {
	var shared []string
	if h.b.cfg.Viewers != nil {
		var err error
		if shared, err = h.b.cfg.Viewers.List(); err != nil {
			h.b.log.Warn("App Home viewers of the other replicas not read", zap.Error(err))
		}
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, u := range shared {
		if incident.ValidUserID(u) {
			h.viewers[u] = true
			h.saved[u] = true
		}
	}
	seen := map[string]bool{}
	for _, u := range users {
		seen[u] = true
	}
	for u := range h.viewers {
		if !seen[u] {
			users = append(users, u)
		}
	}
	return users
}

// round publishes the Home of each of users whose view changed, reading
// the open incidents once.
func (h *home) round(ctx context.Context, users []string) {
	open, err := h.b.cfg.Reader.OpenIncidents()
	if err != nil {
		h.b.log.Warn("App Home not refreshed: reading the open incidents failed", zap.Error(err))
		h.mark(users...)
		return
	}
	for _, u := range users {
		view := h.b.homeView(ctx, u, open)
		raw, _ := json.Marshal(view)
		sum := sha256.Sum256(raw)
		h.mu.Lock()
		same := h.last[u] == sum
		h.mu.Unlock()
		if same {
			continue
		}
		if !h.pace(ctx) {
			return
		}
		err := h.b.exec.call(ctx, "views.publish", func(ctx context.Context) error {
			_, err := h.b.api.PublishViewContext(ctx, slack.PublishViewContextRequest{UserID: u, View: view})
			return err
		}, 3)
		if err != nil {
			h.b.log.Warn("views.publish failed", zap.String("user", u), zap.Error(err))
			continue
		}
		h.mu.Lock()
		h.last[u] = sum
		h.mu.Unlock()
	}
}

// pace waits until one more publish stays within
// HomePublishesPerMinute in any minute; false when ctx ended first.
func (h *home) pace(ctx context.Context) bool {
	for {
		wait := h.reserve(h.b.now())
		if wait <= 0 {
			return true
		}
		if !h.b.exec.sleep(ctx, wait) {
			return false
		}
	}
}

// reserve takes a publish slot at now and returns 0, or returns how long
// until one is free (taking nothing): at most HomePublishesPerMinute in
// any sliding minute, as Slack counts a tier.
func (h *home) reserve(now time.Time) time.Duration {
	h.mu.Lock()
	defer h.mu.Unlock()
	cut := now.Add(-time.Minute)
	i := 0
	for i < len(h.sent) && !h.sent[i].After(cut) {
		i++
	}
	h.sent = h.sent[i:]
	if len(h.sent) < HomePublishesPerMinute {
		h.sent = append(h.sent, now)
		return 0
	}
	return h.sent[0].Add(time.Minute).Sub(now)
}

// visibleTo is the one place that decides whether viewer may see inc
// where Firebreak lists incidents for one person (App Home): every
// incident that is not private, and a private one only to the members
// of its channel. When membership cannot be known the answer is no
// (fail closed); the next publish asks again.
func (b *Bot) visibleTo(ctx context.Context, viewer string, inc incident.Incident) bool {
	if !inc.Private {
		return true
	}
	if inc.Channel == "" || viewer == "" {
		return false
	}
	member, ok := b.isMember(ctx, inc.Channel, viewer)
	return inc.Visible(ok && member)
}

// homeView is viewer's Home: the open incidents they may see, theirs
// first, their steps and the approvals waiting for them.
func (b *Bot) homeView(ctx context.Context, viewer string, open []incident.Incident) slack.HomeTabViewRequest {
	var seen []incident.Incident
	for _, inc := range open {
		if inc.Status.Open() && b.visibleTo(ctx, viewer, inc) {
			seen = append(seen, inc)
		}
	}
	return HomeView(templates.HomeData{Viewer: viewer, Incidents: seen})
}

// HomeView lays out a Home view from what the viewer may see.
func HomeView(d templates.HomeData) slack.HomeTabViewRequest {
	blocks := []slack.Block{
		slack.NewHeaderBlock(plain(templates.HomeTitle, maxHeader), slack.HeaderBlockOptionBlockID("home:title")),
		slack.NewActionBlock("home:actions", button(ActHomeDeclare, templates.HomeDeclareButton, "declare", slack.StylePrimary)),
	}
	for i, s := range templates.Home(d) {
		if i%2 == 0 {
			blocks = append(blocks, slack.NewDividerBlock())
		}
		blocks = append(blocks, slack.NewSectionBlock(mrkdwn(s.Text), nil, nil, slack.SectionBlockOptionBlockID(s.ID)))
	}
	return slack.HomeTabViewRequest{Type: slack.VTHomeTab, CallbackID: HomeCallback, Blocks: slack.Blocks{BlockSet: blocks}}
}
