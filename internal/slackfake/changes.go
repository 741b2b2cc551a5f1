package slackfake

import "time"

// ---- change feed ----

// ChangeKind names what changed.
type ChangeKind string

// Change kinds.
const (
	ChangeChannel        ChangeKind = "channel"         // created, renamed, archived, topic, purpose, members
	ChangeMessagePosted  ChangeKind = "message_posted"  // Channel, TS
	ChangeMessageUpdated ChangeKind = "message_updated" // Channel, TS (also reactions and pins)
	ChangeMessageDeleted ChangeKind = "message_deleted" // Channel, TS
	ChangeEphemeral      ChangeKind = "ephemeral"       // User, Channel
	ChangeViewOpened     ChangeKind = "view_opened"     // User, ViewID
	ChangeViewUpdated    ChangeKind = "view_updated"    // User, ViewID
	ChangeViewClosed     ChangeKind = "view_closed"     // User, ViewID
	ChangePin            ChangeKind = "pin"             // Channel, TS
	ChangeReaction       ChangeKind = "reaction"        // Channel, TS, User
	ChangeBookmark       ChangeKind = "bookmark"        // Channel
	ChangeHome           ChangeKind = "home"            // User, ViewID: a Home view was published
	// ChangeResync means some changes were dropped because the subscriber fell behind:
	// re-read whatever it shows.
	ChangeResync ChangeKind = "resync"
)

// Change is a notification that state changed; read the state itself for the details.
type Change struct {
	Kind    ChangeKind
	Channel string
	TS      string
	User    string
	ViewID  string
	Time    time.Time
}

type subscriber struct {
	ch      chan Change
	dropped bool
}

// Subscribe returns a feed of changes and a function that ends it. A subscriber that falls
// behind loses changes and later receives one ChangeResync, because the server never waits
// for an observer.
func (s *Server) Subscribe() (<-chan Change, func()) {
	s.subMu.Lock()
	defer s.subMu.Unlock()
	sub := &subscriber{ch: make(chan Change, 256)}
	select {
	case <-s.closed:
		close(sub.ch)
		return sub.ch, func() {}
	default:
	}
	s.subN++
	id := s.subN
	s.subs[id] = sub
	return sub.ch, func() {
		s.subMu.Lock()
		defer s.subMu.Unlock()
		if _, ok := s.subs[id]; ok {
			delete(s.subs, id)
			close(sub.ch)
		}
	}
}

func (s *Server) publish(changes ...Change) {
	s.subMu.Lock()
	defer s.subMu.Unlock()
	now := time.Now()
	for _, sub := range s.subs {
		for _, c := range changes {
			c.Time = now
			if sub.dropped {
				select {
				case sub.ch <- Change{Kind: ChangeResync, Time: now}:
					sub.dropped = false
				default:
					continue
				}
			}
			select {
			case sub.ch <- c:
			default:
				sub.dropped = true
			}
		}
	}
}
