// Package delivery sends a payment-provider simulator's notifications the
// way real notification services do, so that the mock bank (SePay-style
// webhooks) and the mock e-wallet (MoMo-style IPNs) share one tested
// delivery loop and differ only in their wire formats and signatures.
//
// A notification (Job) is queued with its faults; a Sender then delivers
// it in the background: after Job.Delay, and for an OutOfOrder job after
// the next queued job's first attempt went out (bounded by
// Config.HoldTimeout), it sends 1+Duplicates concurrent copies. The first
// attempts of all copies carry one signed request, so duplicates are
// byte-for-byte the same; each copy is retried with exponential backoff
// (Backoff, doubling up to MaxBackoff, no jitter so tests see exactly the
// traffic they expect) until the receiver acknowledges it or MaxAttempts
// is reached, and each retry is signed afresh with the time it is sent, so
// a retry an hour later still passes a 5-minute window. The first
// DropFirst attempts (across all copies) are lost: recorded as dropped,
// never sent, retried after the usual backoff.
//
// Every attempt is recorded (Attempt) and the job's state moves from
// Pending (or Held) to Delivered when some copy is acknowledged, or Failed
// when every copy gave up. Close cancels whatever is in flight and waits
// for every goroutine to return.
package delivery

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"sync"
	"time"
)

// States of a notification's delivery, as the simulators' APIs show them.
const (
	None      = "none"      // not notified (not queued, or not yet)
	Pending   = "pending"   // queued, not acknowledged yet
	Held      = "held"      // out_of_order: waiting for a later notification to go first
	Delivered = "delivered" // some copy was acknowledged
	Failed    = "failed"    // every copy exhausted its attempts
)

// Attempt is one try at delivering one copy of a notification.
type Attempt struct {
	Copy    int       `json:"copy"` // 0 the original, 1…N the duplicates
	N       int       `json:"n"`    // 1-based attempt number within the copy
	At      time.Time `json:"at"`
	Status  int       `json:"status"` // HTTP status; 0 when nothing came back
	Dropped bool      `json:"dropped,omitempty"`
	Error   string    `json:"error,omitempty"`
}

// droppedError is the Error of an attempt lost to the drop_first fault.
const droppedError = "dropped (drop_first fault)"

// Config configures a Sender. Lock is required; the rest have defaults.
type Config struct {
	// Lock is the simulator's own mutex. The Sender holds it whenever it
	// changes a Job's state or reads or sets the closed flag, so the
	// simulator sees both consistently with the rest of its data (and
	// checks Closed in the same critical section in which it records a
	// movement and queues its notification).
	Lock sync.Locker
	// Client sends the attempts. Default: a client with a 10 s timeout.
	Client *http.Client
	// Now stamps attempts and is passed to Job.Sign. Default time.Now.
	Now func() time.Time
	// Backoff is the wait after a copy's first failed attempt; it doubles
	// after each further failure up to MaxBackoff. Default 1 s.
	Backoff time.Duration
	// MaxBackoff caps the wait between attempts. Default 5 min, and never
	// less than Backoff.
	MaxBackoff time.Duration
	// MaxAttempts is how many times each copy is tried. Default 10.
	MaxAttempts int
	// HoldTimeout bounds how long an OutOfOrder job waits for the next one.
	// Default 1 min.
	HoldTimeout time.Duration
	// Header is sent with every attempt (Content-Type, User-Agent).
	Header http.Header
	// Accept says whether an HTTP status acknowledges a notification.
	// Default: any 2xx.
	Accept func(status int) bool
	// Refusal is the Attempt.Error of a refusal whose answer has no body;
	// "" leaves it empty.
	Refusal string
	// Kind names a notification in log lines ("webhook", "IPN").
	Kind string
	// Logger receives delivery logs. Default slog.Default().
	Logger *slog.Logger
}

// Request is what one attempt sends beyond Config.Header: the body and
// any per-attempt headers (a signature header).
type Request struct {
	Header http.Header
	Body   []byte
}

// Job is one notification. The exported fields are set before Queue and
// never change afterwards; the delivery state is read with State and
// Active, with Config.Lock held.
type Job struct {
	// URL is where the notification is POSTed.
	URL string
	// Sign builds the request of an attempt sent at t. It is called once
	// for the first attempts of all copies and again for every retry,
	// without Config.Lock held, possibly from several goroutines at once.
	Sign func(t time.Time) Request
	// Delay holds the first delivery back.
	Delay time.Duration
	// Duplicates is how many extra copies are delivered, concurrently.
	Duplicates int
	// DropFirst loses the first N attempts across all copies.
	DropFirst int
	// OutOfOrder holds the job until the next queued job's first attempt
	// that actually went out has completed (or Config.HoldTimeout).
	OutOfOrder bool
	// LogAttr identifies the notification in log lines, e.g.
	// slog.Int64("id", 42).
	LogAttr slog.Attr

	// Guarded by Config.Lock.
	seq      uint64
	state    string
	attempts []Attempt
	dropped  int  // attempts dropped so far (DropFirst)
	sent     bool // an attempt has gone out (releases earlier held jobs)
	active   int  // copies still trying
}

// State returns the job's delivery state and a copy of its attempts
// (never nil); a job never queued (or nil) is None with no attempts.
// Called with Config.Lock held.
func (j *Job) State() (string, []Attempt) {
	if j == nil || j.state == "" {
		return None, []Attempt{}
	}
	return j.state, append([]Attempt{}, j.attempts...)
}

// Active is how many copies are still trying: 1+Duplicates once queued,
// 0 when every copy has been acknowledged or given up. It stays above 0
// for a job cut short by Close. Called with Config.Lock held.
func (j *Job) Active() int {
	if j == nil {
		return 0
	}
	return j.active
}

// Sender delivers Jobs in the background. Safe for concurrent use.
type Sender struct {
	cfg    Config
	log    *slog.Logger
	ctx    context.Context // cancelled by Close; bounds every delivery
	cancel context.CancelFunc
	wg     sync.WaitGroup

	// Guarded by cfg.Lock.
	closed bool
	seq    uint64
	held   map[uint64]chan struct{} // OutOfOrder jobs waiting for a later one
}

// New builds a Sender. It panics without Config.Lock.
func New(cfg Config) *Sender {
	if cfg.Lock == nil {
		panic("delivery: Config.Lock is required")
	}
	if cfg.Client == nil {
		cfg.Client = &http.Client{Timeout: 10 * time.Second}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Backoff <= 0 {
		cfg.Backoff = time.Second
	}
	if cfg.MaxBackoff <= 0 {
		cfg.MaxBackoff = 5 * time.Minute
	}
	if cfg.MaxBackoff < cfg.Backoff {
		cfg.MaxBackoff = cfg.Backoff
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = 10
	}
	if cfg.HoldTimeout <= 0 {
		cfg.HoldTimeout = time.Minute
	}
	if cfg.Accept == nil {
		cfg.Accept = func(status int) bool { return status >= 200 && status < 300 }
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	s := &Sender{cfg: cfg, log: cfg.Logger, held: map[uint64]chan struct{}{}}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	return s
}

// Closed reports whether Close has begun: a simulator refuses new
// movements then, and must not Queue. Called with Config.Lock held.
func (s *Sender) Closed() bool { return s.closed }

// Close stops every delivery (in-flight requests are cancelled, held and
// backing-off jobs stop waiting) and waits for their goroutines to
// return. A job cut short keeps the state it had (Pending or Held). Safe
// to call more than once. Called without Config.Lock held.
func (s *Sender) Close() {
	s.cfg.Lock.Lock()
	s.closed = true
	s.cfg.Lock.Unlock()
	s.cancel()
	s.wg.Wait()
}

// Queue starts delivering j: its state becomes Held (OutOfOrder) or
// Pending at once, and the rest happens in the background. Called with
// Config.Lock held and Closed false — so Close's wait never races a new
// delivery; a job queued after Close is ignored (it stays None).
func (s *Sender) Queue(j *Job) {
	if s.closed {
		return
	}
	s.seq++
	j.seq = s.seq
	j.state = Pending
	j.attempts = []Attempt{}
	var hold chan struct{}
	if j.OutOfOrder {
		hold = make(chan struct{})
		s.held[j.seq] = hold
		j.state = Held
	}
	j.active = 1 + j.Duplicates
	s.wg.Add(1)
	go s.deliver(j, hold)
}

// deliver runs one job: the delay, the out-of-order hold, then
// 1+Duplicates concurrent copies, each retried until acknowledged.
func (s *Sender) deliver(j *Job, hold chan struct{}) {
	defer s.wg.Done()
	if j.Delay > 0 && !s.sleep(j.Delay) {
		return
	}
	if hold != nil {
		timer := time.NewTimer(s.cfg.HoldTimeout)
		select {
		case <-hold:
		case <-timer.C:
			s.log.Warn("out_of_order hold timed out: no later notification was sent", j.LogAttr)
		case <-s.ctx.Done():
			timer.Stop()
			return
		}
		timer.Stop()
		s.cfg.Lock.Lock()
		if ch, ok := s.held[j.seq]; ok && ch == hold {
			delete(s.held, j.seq)
		}
		if j.state == Held {
			j.state = Pending
		}
		s.cfg.Lock.Unlock()
	}
	// The first attempts of all copies share one signed request, so the
	// duplicates are byte-for-byte the same.
	first := j.Sign(s.cfg.Now())
	var wg sync.WaitGroup
	for c := 0; c <= j.Duplicates; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.deliverCopy(j, c, first)
		}()
	}
	wg.Wait()
}

// deliverCopy tries one copy up to MaxAttempts times with exponential
// backoff, until the receiver acknowledges it.
func (s *Sender) deliverCopy(j *Job, c int, first Request) {
	wait := s.cfg.Backoff
	delivered := false
	defer func() {
		s.cfg.Lock.Lock()
		defer s.cfg.Lock.Unlock()
		j.active--
		if j.active == 0 && j.state != Delivered && s.ctx.Err() == nil {
			j.state = Failed
			s.log.Warn(s.cfg.Kind+" gave up", j.LogAttr, "attempts", len(j.attempts))
		}
	}()
	for n := 1; n <= s.cfg.MaxAttempts && !delivered; n++ {
		if n > 1 {
			if !s.sleep(wait) {
				return
			}
			wait = min(2*wait, s.cfg.MaxBackoff)
		}
		at := s.cfg.Now()
		s.cfg.Lock.Lock()
		drop := j.dropped < j.DropFirst
		if drop {
			j.dropped++
			j.attempts = append(j.attempts, Attempt{Copy: c, N: n, At: at, Dropped: true, Error: droppedError})
		}
		s.cfg.Lock.Unlock()
		if drop {
			s.log.Debug(s.cfg.Kind+" attempt dropped", j.LogAttr, "copy", c, "attempt", n)
			continue
		}
		req := first
		if n > 1 {
			req = j.Sign(at)
		}
		status, errText := s.post(j.URL, req)
		if s.ctx.Err() != nil {
			return // closing: the attempt was cut short, not answered
		}
		delivered = s.cfg.Accept(status)
		s.cfg.Lock.Lock()
		j.attempts = append(j.attempts, Attempt{Copy: c, N: n, At: at, Status: status, Error: errText})
		if delivered {
			j.state = Delivered
		}
		if !j.sent {
			j.sent = true
			s.releaseHeldBefore(j.seq)
		}
		s.cfg.Lock.Unlock()
		s.log.Debug(s.cfg.Kind+" attempt", j.LogAttr, "copy", c, "attempt", n, "status", status)
	}
	if delivered {
		s.log.Info(s.cfg.Kind+" delivered", j.LogAttr, "copy", c)
	}
}

// releaseHeldBefore lets every held job queued before seq go. Called with
// cfg.Lock held.
func (s *Sender) releaseHeldBefore(seq uint64) {
	for hs, ch := range s.held {
		if hs < seq {
			close(ch)
			delete(s.held, hs)
		}
	}
}

// post sends one attempt and returns the HTTP status (0 when the request
// failed) and, for a failure, a short explanation: the start of the
// answer's body, or Config.Refusal when it had none.
func (s *Sender) post(url string, r Request) (int, string) {
	req, err := http.NewRequestWithContext(s.ctx, http.MethodPost, url, bytes.NewReader(r.Body))
	if err != nil {
		return 0, err.Error()
	}
	req.Header = s.cfg.Header.Clone()
	if req.Header == nil {
		req.Header = http.Header{}
	}
	for k, vs := range r.Header {
		req.Header[http.CanonicalHeaderKey(k)] = slices.Clone(vs)
	}
	resp, err := s.cfg.Client.Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	snippet, _ := io.ReadAll(io.LimitReader(resp.Body, 200))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // drain so the connection is reused
	if s.cfg.Accept(resp.StatusCode) {
		return resp.StatusCode, ""
	}
	if len(snippet) == 0 {
		return resp.StatusCode, s.cfg.Refusal
	}
	return resp.StatusCode, string(snippet)
}

// sleep waits d, or returns false when the Sender is closing.
func (s *Sender) sleep(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-s.ctx.Done():
		return false
	}
}
