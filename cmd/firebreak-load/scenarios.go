package main

import (
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/firebreak-hq/firebreak/bot"
	"github.com/firebreak-hq/firebreak/incident"
	"github.com/firebreak-hq/firebreak/internal/slackfake"
)

var incRe = regexp.MustCompile(`INC-(\d+)`)

// declare runs `/incident new …` and returns the incident number.
func (e *env) declare(user, title string) (uint64, error) {
	ack, err := e.fs.Slash(user, slackfake.GeneralChannelID, "new sev2 "+title)
	if err != nil {
		return 0, err
	}
	return incidentIn(ack.Payload)
}

func incidentIn(payload json.RawMessage) (uint64, error) {
	var p struct {
		Text string `json:"text"`
	}
	_ = json.Unmarshal(payload, &p)
	m := incRe.FindStringSubmatch(p.Text)
	if m == nil {
		return 0, fmt.Errorf("declare reply %q names no incident", p.Text)
	}
	return strconv.ParseUint(m[1], 10, 64)
}

// declaredBy waits for the acks of the declarations sent as the
// envelopes ids and returns the number of the incident each declared.
func (e *env) declaredBy(ids []string, limit time.Duration) ([]uint64, error) {
	if _, err := e.acksOf(ids, limit); err != nil {
		return nil, err
	}
	nums := make([]uint64, len(ids))
	for _, a := range e.fs.Acks() {
		if i := slices.Index(ids, a.EnvelopeID); i >= 0 {
			n, err := incidentIn(a.Payload)
			if err != nil {
				return nil, err
			}
			nums[i] = n
		}
	}
	return nums, nil
}

// declared is an incident with the ts of its card.
type declared struct {
	incident.Incident
	CardTS string
}

// ready waits until incident n has its channel and card.
func (e *env) ready(n uint64, limit time.Duration) (declared, error) {
	var inc declared
	err := waitFor(limit, func() bool {
		var err error
		if inc.Incident, err = e.app.DB.Get(n); err != nil {
			return false
		}
		rec, err := e.app.DB.Slack(n)
		inc.CardTS = rec.CardTS
		return err == nil && inc.Channel != "" && inc.CardTS != ""
	})
	return inc, err
}

type figure struct {
	Name  string
	Value string
	Note  string
}

func report(title string, figs []figure) {
	fmt.Printf("\n## %s\n", title)
	for _, f := range figs {
		if f.Note != "" {
			fmt.Printf("  %-44s %s   (%s)\n", f.Name, f.Value, f.Note)
		} else {
			fmt.Printf("  %-44s %s\n", f.Name, f.Value)
		}
	}
}

// assigner hands out step.assign clicks that the domain always accepts:
// the same step is never assigned twice in a row to the same person.
type assigner struct {
	users []string
	steps []string
	i     int
}

func (a *assigner) next() (user, step string) {
	user, step = a.users[a.i%len(a.users)], a.steps[a.i%len(a.steps)]
	a.i++
	return user, step
}

func stepIDs(inc incident.Incident) []string {
	var out []string
	for _, s := range inc.Steps {
		if !s.Finished() {
			out = append(out, s.ID)
		}
	}
	return out
}

// staffed declares an incident titled title, waits for its channel and
// card, and adds 20 people to its channel (see people).
func (e *env) staffed(title string) (declared, []string, error) {
	n, err := e.declare(slackfake.Alice, title)
	if err != nil {
		return declared{}, nil, err
	}
	inc, err := e.ready(n, 15*time.Second)
	if err != nil {
		return declared{}, nil, err
	}
	users, err := e.people(20, inc.Channel)
	return inc, users, err
}

// people adds n people to the workspace and to channel.
func (e *env) people(n int, channel string) ([]string, error) {
	var ids []string
	for i := range n {
		id := fmt.Sprintf("ULOAD%02d", i)
		e.fs.AddUser(slackfake.User{ID: id, Name: fmt.Sprintf("load%02d", i), RealName: fmt.Sprintf("Load %d", i)})
		ids = append(ids, id)
	}
	return ids, e.fs.Invite(slackfake.Alice, channel, ids...)
}

// runAck sends slash commands and clicks at rate envelopes/s for d, half
// of each, every one a command that commits (fsync) before its ack.
func runAck(e *env, rate int, d time.Duration) ([]figure, error) {
	const incidents = 4
	var incs []declared
	var clickers []*assigner
	for i := range incidents {
		inc, users, err := e.staffed(fmt.Sprintf("ack load %d", i))
		if err != nil {
			return nil, err
		}
		incs = append(incs, inc)
		clickers = append(clickers, &assigner{users: users, steps: stepIDs(inc.Incident)})
	}
	if err := e.quiet(30 * time.Second); err != nil {
		return nil, err
	}
	total := int(d.Seconds() * float64(rate))
	var slashIDs, clickIDs []string
	tick := time.NewTicker(time.Second / time.Duration(rate))
	defer tick.Stop()
	began := time.Now()
	for i := range total {
		<-tick.C
		inc := incs[i%incidents]
		if i%2 == 0 {
			id, err := e.fs.SendSlash(slackfake.Alice, inc.Channel, fmt.Sprintf("note load note %d: p99 of checkout at 4s", i))
			if err != nil {
				return nil, err
			}
			slashIDs = append(slashIDs, id)
		} else {
			user, step := clickers[i%incidents].next()
			id, err := e.fs.SendClick(user, inc.Channel, inc.CardTS, bot.ActStepAssign, inc.ID()+":"+step)
			if err != nil {
				return nil, err
			}
			clickIDs = append(clickIDs, id)
		}
	}
	sent := time.Since(began)
	if os.Getenv("LOAD_DEBUG") != "" {
		all := append(append([]string(nil), slashIDs...), clickIDs...)
		want := map[string]bool{}
		for _, id := range all {
			want[id] = true
		}
		time.Sleep(2 * time.Second)
		for i, a := range e.fs.Acks() {
			if want[a.EnvelopeID] && a.Latency > 5*time.Millisecond {
				fmt.Fprintf(os.Stderr, "%d %s %s %s\n", i, a.Time.Sub(began), a.Type, a.Latency)
			}
		}
	}
	sl, err := e.acksOf(slashIDs, 30*time.Second)
	if err != nil {
		return nil, err
	}
	cl, err := e.acksOf(clickIDs, 30*time.Second)
	if err != nil {
		return nil, err
	}
	all := append(append([]time.Duration(nil), sl...), cl...)
	late := 0
	for _, a := range e.fs.Acks() {
		if a.Late {
			late++
		}
	}
	return []figure{
		{"envelopes sent", fmt.Sprintf("%d in %s (%.0f/s)", total, sent.Round(time.Millisecond), float64(total)/sent.Seconds()), "half /incident note, half step.assign clicks, 4 incidents"},
		{"ack latency p50 (all)", ms(percentile(all, .50)), ""},
		{"ack latency p99 (all)", ms(percentile(all, .99)), "target ≤ 5 ms"},
		{"ack latency max (all)", ms(percentile(all, 1)), ""},
		{"ack latency p99 slash / clicks", ms(percentile(sl, .99)) + " / " + ms(percentile(cl, .99)), ""},
		{"late acks (> 3 s)", strconv.Itoa(late), ""},
	}, nil
}

// runDeclare declares n incidents one after another with every Web API
// call taking latency, and times declare → card stored in the fake.
func runDeclare(e *env, n int, latency time.Duration) ([]figure, error) {
	e.fs.SetLatency("", latency)
	var card, all []time.Duration
	for i := range n {
		t0 := time.Now()
		id, err := e.fs.SendSlash(slackfake.Alice, slackfake.GeneralChannelID, fmt.Sprintf("new sev2 declare latency %d", i))
		if err != nil {
			return nil, err
		}
		nums, err := e.declaredBy([]string{id}, 10*time.Second)
		if err != nil {
			return nil, err
		}
		inc, err := e.ready(nums[0], 30*time.Second)
		if err != nil {
			return nil, err
		}
		posted, ok := time.Time{}, false
		if err := waitFor(5*time.Second, func() bool { posted, ok = e.postedAt(inc.Channel, inc.CardTS); return ok }); err != nil {
			return nil, fmt.Errorf("card post of %s not seen: %w", inc.ID(), err)
		}
		card = append(card, posted.Sub(t0))
		if os.Getenv("LOAD_DEBUG") != "" {
			for _, c := range e.fs.AllCalls() {
				if c.Time.After(t0) {
					fmt.Fprintf(os.Stderr, "%8.2fms %s %s\n", float64(c.Time.Sub(t0).Microseconds())/1000, c.Method, c.Error)
				}
			}
			fmt.Fprintf(os.Stderr, "posted %8.2fms\n", float64(posted.Sub(t0).Microseconds())/1000)
		}
		if err := e.quiet(30 * time.Second); err != nil {
			return nil, err
		}
		all = append(all, time.Since(t0))
	}
	return []figure{
		{"declarations", strconv.Itoa(n), "every Web API call delayed " + latency.String()},
		{"declare → card posted, p50", ms(percentile(card, .5)) + fmt.Sprintf(" = %.2f × latency", float64(percentile(card, .5))/float64(latency)), ""},
		{"declare → card posted, max", ms(percentile(card, 1)) + fmt.Sprintf(" = %.2f × latency", float64(percentile(card, 1))/float64(latency)), "target ≤ 2.2 ×"},
		{"declare → every effect done, p50", ms(percentile(all, .5)) + fmt.Sprintf(" = %.2f × latency", float64(percentile(all, .5))/float64(latency)), "channel, card, pin, invite, topic, announce, ephemeral"},
	}, nil
}

// runClicks sends clicks on one card within window from 20 people.
func runClicks(e *env, clicks int, window time.Duration) ([]figure, error) {
	inc, users, err := e.staffed("click storm")
	if err != nil {
		return nil, err
	}
	n := inc.Number
	if err := e.quiet(30 * time.Second); err != nil {
		return nil, err
	}
	before := len(e.fs.Calls("chat.update"))
	evBefore, _ := e.app.DB.Events(n)
	as := &assigner{users: users, steps: stepIDs(inc.Incident)}
	var ids []string
	tick := time.NewTicker(window / time.Duration(clicks))
	began := time.Now()
	for range clicks {
		<-tick.C
		user, step := as.next()
		id, err := e.fs.SendClick(user, inc.Channel, inc.CardTS, bot.ActStepAssign, inc.ID()+":"+step)
		if err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	tick.Stop()
	sent := time.Since(began)
	lat, err := e.acksOf(ids, 30*time.Second)
	if err != nil {
		return nil, err
	}
	if err := e.quiet(30 * time.Second); err != nil {
		return nil, err
	}
	settled := time.Since(began)
	updates := len(e.fs.Calls("chat.update")) - before
	final, err := e.app.DB.Get(n)
	if err != nil {
		return nil, err
	}
	evs, _ := e.app.DB.Events(n)
	assigned := countKind(evs[len(evBefore):], incident.EvStepAssigned)
	right, why := cardMatches(e, final, inc.CardTS)
	return []figure{
		{"clicks", fmt.Sprintf("%d in %s from %d people", clicks, sent.Round(time.Millisecond), len(users)), "step.assign on one card"},
		{"chat.update calls", strconv.Itoa(updates), "target ≤ 10"},
		{"clicks on the timeline", fmt.Sprintf("%d of %d", assigned, clicks), ""},
		{"final card equals a render of the final state", fmt.Sprint(right) + why, ""},
		{"ack p99 during the storm", ms(percentile(lat, .99)), ""},
		{"first click → card settled", ms(settled), ""},
	}, nil
}

func countKind(evs []incident.Event, k incident.EventKind) int {
	c := 0
	for _, e := range evs {
		if e.Kind == k {
			c++
		}
	}
	return c
}

// cardMatches compares the card Slack holds with a fresh render of inc.
func cardMatches(e *env, inc incident.Incident, cardTS string) (bool, string) {
	m, ok := e.fs.Message(inc.Channel, cardTS)
	if !ok {
		return false, " (card missing)"
	}
	want, _ := json.Marshal(bot.CardBlocks(inc, e.app.Cfg.Location))
	var a, b any
	_ = json.Unmarshal(want, &a)
	_ = json.Unmarshal(m.Blocks, &b)
	if !reflect.DeepEqual(a, b) {
		return false, " (card differs from the stored state)"
	}
	for _, s := range inc.Steps {
		if s.Assignee != "" && !strings.Contains(string(m.Blocks), s.Assignee) {
			return false, " (assignee " + s.Assignee + " missing)"
		}
	}
	return true, ""
}

// runRateLimit declares n incidents within window while
// conversations.create allows perMinute calls a minute.
func runRateLimit(e *env, n int, window time.Duration, perMinute int, limit time.Duration) ([]figure, error) {
	e.fs.SetRateLimit("conversations.create", perMinute)
	type decl struct {
		id  string
		num uint64
		at  time.Time
	}
	var ds []decl
	tick := time.NewTicker(window / time.Duration(n))
	began := time.Now()
	for i := range n {
		<-tick.C
		id, err := e.fs.SendSlash(slackfake.Alice, slackfake.GeneralChannelID, fmt.Sprintf("new sev2 rate limited %d", i))
		if err != nil {
			return nil, err
		}
		ds = append(ds, decl{id: id, at: time.Now()})
	}
	tick.Stop()
	ids := make([]string, len(ds))
	for i := range ds {
		ids[i] = ds[i].id
	}
	nums, err := e.declaredBy(ids, 30*time.Second)
	if err != nil {
		return nil, err
	}
	for i := range ds {
		ds[i].num = nums[i]
	}
	created := 0
	err = waitFor(limit, func() bool {
		created = 0
		for _, d := range ds {
			if inc, err := e.app.DB.Get(d.num); err == nil && inc.Channel != "" {
				created++
			}
		}
		return created == len(ds)
	})
	allIn := time.Since(began)
	if err != nil {
		return nil, fmt.Errorf("%d of %d channels created: %w", created, len(ds), err)
	}
	// Who was told, and how soon after their declaration.
	var told []time.Duration
	delayed := 0
	eph := e.fs.Ephemerals(slackfake.Alice)
	for _, d := range ds {
		inc, _ := e.app.DB.Get(d.num)
		evs, _ := e.app.DB.Events(d.num)
		var createdAt time.Time
		for _, ev := range evs {
			if ev.Kind == incident.EvChannelCreated {
				createdAt = ev.At
			}
		}
		if createdAt.Sub(d.at) < 3*time.Second {
			continue // not delayed enough to need telling
		}
		delayed++
		for _, x := range eph {
			if strings.Contains(x.Text, "rate-limiting") && strings.Contains(x.Text, inc.ID()+" ") {
				told = append(told, x.Time.Sub(d.at))
				break
			}
		}
	}
	channels := 0
	for _, c := range e.fs.Channels() {
		if strings.HasPrefix(c.Name, "inc-") {
			channels++
		}
	}
	calls := e.fs.Calls("conversations.create")
	limited := 0
	for _, c := range calls {
		if c.Error == "ratelimited" {
			limited++
		}
	}
	return []figure{
		{"declared", fmt.Sprintf("%d in %s", n, window), fmt.Sprintf("conversations.create limited to %d/min", perMinute)},
		{"channels created", fmt.Sprintf("%d of %d (Slack holds %d incident channels)", created, n, channels), "none lost, none doubled"},
		{"all channels created after", allIn.Round(time.Second).String(), ""},
		{"conversations.create calls", fmt.Sprintf("%d (%d answered 429)", len(calls), limited), ""},
		{"declarers delayed ≥ 3 s / told of the delay", fmt.Sprintf("%d / %d", delayed, len(told)), ""},
		{"declare → told of the delay, max", ms(percentile(told, 1)), "target ≤ 3 s"},
	}, nil
}
