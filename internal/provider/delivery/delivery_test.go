package delivery

import (
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// The delivery loop on a fake clock (testing/synctest) and a fake network
// (an http.RoundTripper), so backoff, delays and holds are checked to the
// exact instant, and every test ends only once every goroutine the Sender
// started has returned — a leak fails the test.

// received is one request as the fake receiver saw it.
type received struct {
	At     time.Time
	Header http.Header
	Body   string
}

// receiver answers each request with answer(k) (k counts from 1), records
// it, and blocks until the request is cancelled when block is set.
type receiver struct {
	mu     sync.Mutex
	got    []received
	answer func(k int) (int, string)
	block  bool
}

func (r *receiver) RoundTrip(req *http.Request) (*http.Response, error) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	r.got = append(r.got, received{At: time.Now(), Header: req.Header.Clone(), Body: string(body)})
	k := len(r.got)
	r.mu.Unlock()
	if r.block {
		<-req.Context().Done()
		return nil, req.Context().Err()
	}
	status, text := http.StatusOK, ""
	if r.answer != nil {
		status, text = r.answer(k)
	}
	return &http.Response{StatusCode: status, Body: io.NopCloser(strings.NewReader(text)), Header: http.Header{}, Request: req}, nil
}

func (r *receiver) received() []received {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]received(nil), r.got...)
}

// rig is a Sender with its lock and fake receiver.
type rig struct {
	s    *Sender
	mu   *sync.Mutex
	recv *receiver
	now  time.Time // the bubble's start
}

func newRig(t testing.TB, recv *receiver, mod func(*Config)) *rig {
	t.Helper()
	mu := &sync.Mutex{}
	cfg := Config{Lock: mu, Client: &http.Client{Transport: recv}, Backoff: time.Second, MaxBackoff: 4 * time.Second,
		MaxAttempts: 5, HoldTimeout: time.Minute, Kind: "webhook", Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Header: http.Header{"Content-Type": {"application/json"}}}
	if mod != nil {
		mod(&cfg)
	}
	r := &rig{s: New(cfg), mu: mu, recv: recv, now: time.Now()}
	t.Cleanup(r.s.Close)
	return r
}

// job is a notification whose body is name and whose X-Signed header is
// the signing time, so a test can tell a shared first request from a
// re-signed retry.
func job(name string) *Job {
	return &Job{URL: "http://receiver.test/hook", LogAttr: slog.String("id", name),
		Sign: func(t time.Time) Request {
			return Request{Header: http.Header{"x-signed": {strconv.FormatInt(t.UnixNano(), 10)}}, Body: []byte(name)}
		}}
}

func (r *rig) queue(j *Job) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.s.Queue(j)
}

func (r *rig) state(j *Job) (string, []Attempt, int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	st, as := j.State()
	return st, as, j.Active()
}

func statuses(as []Attempt) string {
	var b strings.Builder
	for _, a := range as {
		if a.Dropped {
			b.WriteString("drop ")
			continue
		}
		b.WriteString(strconv.Itoa(a.Status) + " ")
	}
	return strings.TrimSpace(b.String())
}

func TestRetriesWithDoublingBackoffUntilAcknowledged(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		recv := &receiver{answer: func(k int) (int, string) {
			if k <= 3 {
				return 500, `{"success":false}`
			}
			return 200, "ok"
		}}
		r := newRig(t, recv, nil)
		j := job("a")
		r.queue(j)
		if st, as, active := r.state(j); st != Pending || len(as) != 0 || active != 1 {
			t.Fatalf("just queued: %s %v active %d", st, as, active)
		}
		time.Sleep(time.Hour)
		st, as, active := r.state(j)
		if st != Delivered || statuses(as) != "500 500 500 200" || active != 0 {
			t.Fatalf("state %s attempts %s active %d", st, statuses(as), active)
		}
		if as[0].Error != `{"success":false}` || as[3].Error != "" || as[0].Copy != 0 || as[3].N != 4 {
			t.Fatalf("attempts %+v", as)
		}
		// 1 s, then 2 s, then 4 s (MaxBackoff) between attempts.
		got := recv.received()
		for i, want := range []time.Duration{0, time.Second, 3 * time.Second, 7 * time.Second} {
			if d := got[i].At.Sub(r.now); d != want {
				t.Fatalf("attempt %d at +%v, want +%v", i+1, d, want)
			}
			if !as[i].At.Equal(got[i].At) {
				t.Fatalf("attempt %d recorded at %v, sent at %v", i+1, as[i].At, got[i].At)
			}
			if got[i].Header.Get("Content-Type") != "application/json" || got[i].Body != "a" {
				t.Fatalf("request %d: %v %q", i+1, got[i].Header, got[i].Body)
			}
			// Every retry is signed afresh, with the time it is sent.
			if sig := got[i].Header.Get("X-Signed"); sig != strconv.FormatInt(got[i].At.UnixNano(), 10) {
				t.Fatalf("request %d signed %s, sent at %v", i+1, sig, got[i].At)
			}
		}
	})
}

func TestGivesUpAfterMaxAttemptsWithCappedBackoff(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		recv := &receiver{answer: func(int) (int, string) { return 503, "" }}
		r := newRig(t, recv, func(c *Config) { c.MaxBackoff = 2 * time.Second; c.Refusal = "must answer 204" })
		j := job("a")
		r.queue(j)
		time.Sleep(time.Hour)
		st, as, active := r.state(j)
		if st != Failed || statuses(as) != "503 503 503 503 503" || active != 0 || as[0].Error != "must answer 204" {
			t.Fatalf("state %s attempts %+v active %d", st, as, active)
		}
		got := recv.received()
		for i, want := range []time.Duration{0, 1, 3, 5, 7} {
			if d := got[i].At.Sub(r.now); d != want*time.Second {
				t.Fatalf("attempt %d at +%v, want +%vs", i+1, d, want)
			}
		}
	})
}

func TestAcceptDecidesWhatAcknowledges(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		// MoMo's rule: only 204 acknowledges; a 200 is a failure.
		recv := &receiver{answer: func(k int) (int, string) { return []int{200, 500, 204}[k-1], "" }}
		r := newRig(t, recv, func(c *Config) {
			c.Accept = func(s int) bool { return s == http.StatusNoContent }
			c.Refusal = "merchant must answer 204 No Content"
		})
		j := job("a")
		r.queue(j)
		time.Sleep(time.Hour)
		st, as, _ := r.state(j)
		if st != Delivered || statuses(as) != "200 500 204" || as[0].Error != "merchant must answer 204 No Content" || as[2].Error != "" {
			t.Fatalf("state %s attempts %+v", st, as)
		}
	})
}

func TestNetworkErrorIsStatusZero(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t, &receiver{}, func(c *Config) {
			c.Client = &http.Client{Transport: roundTripFunc(func(*http.Request) (*http.Response, error) {
				return nil, errors.New("connection refused")
			})}
			c.MaxAttempts = 2
		})
		j := job("a")
		r.queue(j)
		time.Sleep(time.Hour)
		st, as, _ := r.state(j)
		if st != Failed || len(as) != 2 || as[0].Status != 0 || !strings.Contains(as[0].Error, "connection refused") {
			t.Fatalf("state %s attempts %+v", st, as)
		}
	})
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestDuplicatesShareTheFirstRequestAndRetryIndependently(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		recv := &receiver{answer: func(k int) (int, string) {
			if k == 1 {
				return 500, ""
			}
			return 200, ""
		}}
		r := newRig(t, recv, nil)
		j := job("a")
		j.Duplicates = 3
		r.queue(j)
		if _, _, active := r.state(j); active != 4 {
			t.Fatalf("active %d", active)
		}
		time.Sleep(time.Hour)
		st, as, active := r.state(j)
		got := recv.received()
		if st != Delivered || len(as) != 5 || len(got) != 5 || active != 0 {
			t.Fatalf("state %s, %d attempts, %d requests, active %d", st, len(as), len(got), active)
		}
		copies := map[int]int{}
		for _, a := range as {
			copies[a.Copy]++
		}
		if len(copies) != 4 {
			t.Fatalf("copies %v", copies)
		}
		// The four first attempts went out at once, byte for byte the same;
		// the one retry a second later was signed afresh.
		first := got[0].Header.Get("X-Signed")
		for _, g := range got[:4] {
			if g.Header.Get("X-Signed") != first || g.Body != "a" || !g.At.Equal(r.now) {
				t.Fatalf("first attempts differ: %+v", got)
			}
		}
		if got[4].Header.Get("X-Signed") == first || got[4].At.Sub(r.now) != time.Second {
			t.Fatalf("retry %+v", got[4])
		}
	})
}

func TestDropFirstAcrossCopies(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		recv := &receiver{}
		r := newRig(t, recv, nil)
		j := job("a")
		j.DropFirst = 2
		r.queue(j)
		time.Sleep(time.Hour)
		st, as, _ := r.state(j)
		if st != Delivered || statuses(as) != "drop drop 200" || as[0].Error != "dropped (drop_first fault)" || as[0].Status != 0 {
			t.Fatalf("state %s attempts %+v", st, as)
		}
		// Dropped attempts are retried after the usual backoff: 0, +1 s, +3 s.
		if got := recv.received(); len(got) != 1 || got[0].At.Sub(r.now) != 3*time.Second {
			t.Fatalf("requests %+v", got)
		}
	})
}

// TestWhenTheRequestGoesOut: a lone job's one request leaves after its
// delay, then its out-of-order hold (timed out, no later job comes).
func TestWhenTheRequestGoesOut(t *testing.T) {
	cases := []struct {
		name       string
		delay      time.Duration
		outOfOrder bool
		want       time.Duration
	}{
		{"at once", 0, false, 0},
		{"delay", 1500 * time.Millisecond, false, 1500 * time.Millisecond},
		{"hold timeout", 0, true, 10 * time.Second},
		{"delay, then hold", 2 * time.Second, true, 12 * time.Second},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				recv := &receiver{}
				r := newRig(t, recv, func(c *Config) { c.HoldTimeout = 10 * time.Second })
				j := job("a")
				j.Delay, j.OutOfOrder = c.delay, c.outOfOrder
				r.queue(j)
				time.Sleep(time.Hour)
				if got := recv.received(); len(got) != 1 || got[0].At.Sub(r.now) != c.want {
					t.Fatalf("requests %+v, want one at +%v", got, c.want)
				}
				if st, _, _ := r.state(j); st != Delivered {
					t.Fatalf("state %s", st)
				}
			})
		})
	}
}

func TestOutOfOrderWaitsForTheNextJob(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		recv := &receiver{}
		r := newRig(t, recv, nil)
		a, b := job("a"), job("b")
		a.OutOfOrder = true
		r.queue(a)
		if st, _, _ := r.state(a); st != Held {
			t.Fatalf("state %s", st)
		}
		time.Sleep(30 * time.Second) // held, however long (within HoldTimeout)
		if got := recv.received(); len(got) != 0 {
			t.Fatalf("%d requests while held", len(got))
		}
		r.queue(b)
		time.Sleep(time.Hour)
		got := recv.received()
		if len(got) != 2 || got[0].Body != "b" || got[1].Body != "a" {
			t.Fatalf("requests %+v", got)
		}
		if st, _, _ := r.state(a); st != Delivered {
			t.Fatalf("held job %s", st)
		}
	})
}

func TestCloseCancelsEverythingAndWaits(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		recv := &receiver{block: true}
		r := newRig(t, recv, nil)
		inFlight := job("in-flight")
		inFlight.Duplicates = 2
		held := job("held")
		held.OutOfOrder = true
		delayed := job("delayed")
		delayed.Delay = time.Hour
		r.queue(held)
		r.queue(delayed)
		r.queue(inFlight)
		synctest.Wait() // three copies are now blocked in their requests
		if got := recv.received(); len(got) != 3 {
			t.Fatalf("%d requests in flight", len(got))
		}
		start := time.Now()
		r.s.Close()
		r.s.Close() // idempotent
		if d := time.Since(start); d != 0 {
			t.Fatalf("Close took %v of fake time", d)
		}
		// Cut short: nothing recorded for the cancelled attempts, states kept.
		for _, c := range []struct {
			j    *Job
			want string
		}{{inFlight, Pending}, {held, Held}, {delayed, Pending}} {
			if st, as, _ := r.state(c.j); st != c.want || len(as) != 0 {
				t.Fatalf("%s: %s %+v", c.j.LogAttr.Value, st, as)
			}
		}
		r.mu.Lock()
		closed := r.s.Closed()
		late := job("late")
		r.s.Queue(late) // ignored
		r.mu.Unlock()
		st, _, active := r.state(late)
		if !closed || st != None || active != 0 {
			t.Fatalf("closed %v, late job %s active %d", closed, st, active)
		}
		// synctest.Test fails if any goroutine the Sender started is left.
	})
}

func TestBackoffIsCutShortByClose(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		recv := &receiver{answer: func(int) (int, string) { return 500, "" }}
		r := newRig(t, recv, func(c *Config) { c.Backoff, c.MaxBackoff = time.Hour, time.Hour })
		j := job("a")
		r.queue(j)
		synctest.Wait()
		r.s.Close()
		if st, as, _ := r.state(j); st != Pending || len(as) != 1 || time.Since(r.now) != 0 {
			t.Fatalf("state %s attempts %+v after %v", st, as, time.Since(r.now))
		}
	})
}

func TestNilAndUnqueuedJobs(t *testing.T) {
	var j *Job
	if st, as := j.State(); st != None || as == nil || len(as) != 0 || j.Active() != 0 {
		t.Fatalf("nil job: %s %v %d", st, as, j.Active())
	}
	if st, as := (&Job{}).State(); st != None || as == nil {
		t.Fatalf("unqueued job: %s %v", st, as)
	}
}

func TestNewRequiresLock(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("New without Lock did not panic")
		}
	}()
	New(Config{})
}

func TestDefaults(t *testing.T) {
	s := New(Config{Lock: &sync.Mutex{}, Backoff: 10 * time.Minute})
	defer s.Close()
	c := s.cfg
	if c.Client == nil || c.Client.Timeout != 10*time.Second || c.Now == nil || c.MaxBackoff != 10*time.Minute ||
		c.MaxAttempts != 10 || c.HoldTimeout != time.Minute || c.Logger == nil || !c.Accept(299) || c.Accept(300) {
		t.Fatalf("defaults %+v", c)
	}
	s2 := New(Config{Lock: &sync.Mutex{}})
	defer s2.Close()
	if s2.cfg.Backoff != time.Second || s2.cfg.MaxBackoff != 5*time.Minute {
		t.Fatalf("default backoff %v %v", s2.cfg.Backoff, s2.cfg.MaxBackoff)
	}
}

func TestPerAttemptHeadersDoNotLeakIntoConfig(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		recv := &receiver{}
		r := newRig(t, recv, nil)
		r.queue(job("a"))
		r.queue(job("b"))
		time.Sleep(time.Hour)
		for _, g := range recv.received() {
			if len(g.Header.Values("X-Signed")) != 1 {
				t.Fatalf("headers %v", g.Header)
			}
		}
		if len(r.s.cfg.Header) != 1 {
			t.Fatalf("config header changed: %v", r.s.cfg.Header)
		}
	})
}

func TestCheckFaults(t *testing.T) {
	cases := []struct {
		delay, dups, drop int
		field, msg        string
	}{
		{0, 0, 0, "", ""},
		{600_000, 20, 100, "", ""},
		{-1, 0, 0, "delay_ms", "delay_ms must be from 0 to 600000"},
		{600_001, 0, 0, "delay_ms", "delay_ms must be from 0 to 600000"},
		{0, -1, 0, "duplicates", "duplicates must be from 0 to 20"},
		{0, 21, 0, "duplicates", "duplicates must be from 0 to 20"},
		{0, 0, -1, "drop_first", "drop_first must be from 0 to 100"},
		{0, 0, 101, "drop_first", "drop_first must be from 0 to 100"},
		{-1, 21, 101, "delay_ms", "delay_ms must be from 0 to 600000"}, // the first field at fault
	}
	for _, c := range cases {
		t.Run(strconv.Itoa(c.delay)+"/"+strconv.Itoa(c.dups)+"/"+strconv.Itoa(c.drop), func(t *testing.T) {
			field, err := CheckFaults(c.delay, c.dups, c.drop)
			msg := ""
			if err != nil {
				msg = err.Error()
			}
			if field != c.field || msg != c.msg {
				t.Fatalf("got %q %q, want %q %q", field, msg, c.field, c.msg)
			}
		})
	}
}
