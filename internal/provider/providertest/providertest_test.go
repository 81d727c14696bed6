package providertest

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/market4/market4/internal/provider"
)

// fakeAdapter accepts any body but "bad", and acks like SePay.
type fakeAdapter struct{}

func (fakeAdapter) Name() string { return "fake" }

func (fakeAdapter) ParseWebhook(_ http.Header, body []byte, _ time.Time) (provider.Notification, error) {
	if string(body) == `"bad"` {
		return provider.Notification{}, errors.New("signature mismatch")
	}
	return provider.Notification{EventID: string(body)}, nil
}

func (fakeAdapter) Ack(ok bool) (int, string, []byte) {
	if ok {
		return http.StatusOK, "application/json", []byte(`{"success":true}`)
	}
	return http.StatusInternalServerError, "application/json", []byte(`{"success":false}`)
}

func (fakeAdapter) Create(context.Context, provider.CreateRequest) (provider.CreateResult, error) {
	return provider.CreateResult{}, nil
}

func (fakeAdapter) Statement(context.Context, time.Time, time.Time) ([]provider.Notification, error) {
	return nil, nil
}

func (fakeAdapter) Refund(context.Context, provider.RefundRequest) (provider.RefundResult, error) {
	return provider.RefundResult{}, nil
}

func TestReceiverAnswers(t *testing.T) {
	send := func(r *Receiver, body string) (int, string) {
		t.Helper()
		status, b := Do(t, http.MethodPost, r.URL, body, http.Header{"X-Sig": {"t=1"}})
		return status, strings.TrimSpace(string(b))
	}
	t.Run("ack, fail first, bad signature", func(t *testing.T) {
		r := NewReceiver(t, fakeAdapter{}, "/hook", "X-Sig")
		r.FailFirst(2)
		for i, want := range []struct {
			body, answer string
			status       int
		}{{"a", `{"success":false}`, 500}, {"bad", "signature mismatch", 401}, {"b", `{"success":true}`, 200}} {
			if status, answer := send(r, want.body); status != want.status || answer != want.answer {
				t.Fatalf("%d: %d %s, want %d %s", i, status, answer, want.status, want.answer)
			}
		}
		got := r.Receipts()
		if len(got) != 3 || got[0].N.EventID != `"a"` || got[0].Header != "t=1" || got[1].Err == nil || string(got[2].Body) != `"b"` {
			t.Fatalf("receipts %+v", got)
		}
	})
	t.Run("answer next, then all", func(t *testing.T) {
		r := NewReceiver(t, fakeAdapter{}, "/hook", "")
		r.AnswerNext(204, 503)
		for i, want := range []int{204, 503, 200} {
			if status, _ := send(r, "x"); status != want {
				t.Fatalf("%d: %d, want %d", i, status, want)
			}
		}
		r.AnswerAll(502)
		if status, answer := send(r, "x"); status != 502 || answer != "" {
			t.Fatalf("%d %q", status, answer)
		}
		if got := r.Receipts(); len(got) != 4 || got[0].Header != "" {
			t.Fatalf("receipts %+v", got)
		}
	})
}

func TestWaitSettled(t *testing.T) {
	r := NewReceiver(t, fakeAdapter{}, "/hook", "")
	Do(t, http.MethodPost, r.URL, "x", nil)
	polls := 0
	WaitSettled(t, r, 1, func() (string, int) {
		polls++
		if polls < 3 {
			return "pending", 1
		}
		return "failed", 0
	})
	if polls != 3 {
		t.Fatalf("%d polls", polls)
	}
}
