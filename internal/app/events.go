package app

import (
	"context"
	"sync"
	"time"

	"github.com/market4/market4/internal/errs"
	"github.com/market4/market4/internal/market"
)

// Hub fans stall events out to live subscribers (the vendor's phone over
// Server-Sent Events). Events are rows in the database, written in the same
// transaction as the payment, so every instance behind a load balancer sees
// them: each Hub polls for new rows (pollEvery) and is woken at once when
// its own instance commits one.
//
// Why polling and not PostgreSQL LISTEN/NOTIFY: NOTIFY takes a global lock
// at commit, which would serialise every confirmation on one lock — the hot
// spot DESIGN §4 forbids. One indexed query per instance every 250 ms costs
// almost nothing and keeps cross-instance delivery well under a second.
type Hub struct {
	svc   *Service
	wakeC chan struct{}

	mu     sync.Mutex
	subs   map[string]map[*Subscription]struct{} // by stall id
	lastID int64
	recent map[int64]time.Time // ids dispatched recently, to drop repeats from overlapping polls
}

// pollEvery is how often a Hub looks for events committed by other instances.
const pollEvery = 250 * time.Millisecond

// slackIDs re-reads the last few ids on each poll: ids are allocated when
// a transaction inserts but become visible when it commits, so a smaller id
// can appear after a larger one. Concurrent transactions are bounded by the
// connection pools, far below this; repeats are dropped via recent.
const slackIDs = 256

// overlap is how far back a fresh Hub looks on its first poll.
const overlap = 5 * time.Second

func newHub(s *Service) *Hub {
	return &Hub{svc: s, wakeC: make(chan struct{}, 1), subs: map[string]map[*Subscription]struct{}{}, recent: map[int64]time.Time{}, lastID: -slackIDs}
}

// Subscription is one live listener on one stall.
type Subscription struct {
	C       chan StallEvent
	stallID string
	hub     *Hub
	from    time.Time // live events older than the subscription are the backlog's job
}

// Close stops the subscription.
func (sub *Subscription) Close() {
	h := sub.hub
	h.mu.Lock()
	delete(h.subs[sub.stallID], sub)
	if len(h.subs[sub.stallID]) == 0 {
		delete(h.subs, sub.stallID)
	}
	h.mu.Unlock()
}

func (h *Hub) wake() {
	select {
	case h.wakeC <- struct{}{}:
	default:
	}
}

func (h *Hub) run(ctx context.Context) {
	t := time.NewTicker(pollEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-h.wakeC:
		}
		h.poll(ctx)
		// Wakes that arrive meanwhile coalesce into the next poll: under a
		// storm of payments this instance queries at most 1/minGap times a
		// second, not once per payment.
		time.Sleep(minGap)
	}
}

// minGap is the least time between two polls of one Hub.
const minGap = 20 * time.Millisecond

func (h *Hub) poll(ctx context.Context) {
	h.mu.Lock()
	if len(h.subs) == 0 {
		// Nobody listens here: skip the query. A later subscriber gets its
		// backlog from Last-Event-ID, and polling restarts from the recent past.
		h.lastID = -slackIDs
		h.mu.Unlock()
		return
	}
	f := EventFilter{AfterID: h.lastID - slackIDs, Limit: 1000}
	h.mu.Unlock()
	now := h.svc.now()
	if f.AfterID < 0 {
		// Nothing seen yet: start from the recent past, not from the beginning of time.
		f = EventFilter{Since: now.Add(-overlap), Limit: 1000}
	}
	evs, err := h.svc.store.Read().EventsAfter(ctx, f)
	if err != nil {
		h.svc.log.Warn("poll stall events", "err", err)
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for id, at := range h.recent {
		if now.Sub(at) > time.Minute {
			delete(h.recent, id)
		}
	}
	for _, ev := range evs {
		if ev.ID > h.lastID {
			h.lastID = ev.ID
		}
		if _, seen := h.recent[ev.ID]; seen {
			continue
		}
		h.recent[ev.ID] = now
		for sub := range h.subs[ev.StallID] {
			if ev.CreatedAt.Before(sub.from) {
				continue // happened before this listener came; not news to it
			}
			select {
			case sub.C <- ev:
			default: // a stuck client; it resumes with Last-Event-ID on reconnect
			}
		}
	}
}

// SubscribeStall opens a live event stream of a stall for its vendor (or
// staff/admin). The backlog after lastEventID is returned first, so a
// phone that reconnects with Last-Event-ID misses nothing.
// Errors: NotFound.
func (s *Service) SubscribeStall(ctx context.Context, a market.Actor, stallID string, lastEventID int64) (*Subscription, []StallEvent, error) {
	if _, err := s.Stall(ctx, a, stallID); err != nil {
		return nil, nil, err
	}
	sub := &Subscription{C: make(chan StallEvent, 64), stallID: stallID, hub: s.hub, from: s.now().Add(-time.Second)}
	s.hub.mu.Lock()
	if s.hub.subs[stallID] == nil {
		s.hub.subs[stallID] = map[*Subscription]struct{}{}
	}
	s.hub.subs[stallID][sub] = struct{}{}
	s.hub.mu.Unlock()
	var backlog []StallEvent
	if lastEventID > 0 {
		var err error
		backlog, err = s.store.Read().EventsAfter(ctx, EventFilter{StallID: stallID, AfterID: lastEventID, Limit: 500})
		if err != nil {
			sub.Close()
			return nil, nil, errs.Wrap(errs.Unavailable, err, "load missed events")
		}
	}
	return sub, backlog, nil
}
