package app

import (
	"context"
	"time"

	"github.com/market4/market4/internal/errs"
)

// Idempotency makes a money-moving request safe to retry. The HTTP layer
// fills it from the Idempotency-Key header and a hash of the request; the
// service stores the rendered response in the same transaction as the
// command, so a retry after any crash gets that response, never a second
// payment or refund.
type Idempotency struct {
	Key    string
	Hash   string                                // of method, path and body
	Render func(v any) (status int, body []byte) // renders a result exactly as the response will
}

// Replayed is a stored response returned for a repeated request.
type Replayed struct {
	Status int
	Body   []byte
}

// idemLease is how long an in-flight request holds its key before another
// attempt may assume it crashed and take over.
const idemLease = 30 * time.Second

// claimIdem reserves the key, or says why not: a stored response to replay,
// the key reused for another request (IdempotencyKeyReused), or still in
// flight (InFlight).
func (s *Service) claimIdem(ctx context.Context, userID string, idem *Idempotency) (*Replayed, error) {
	if len(idem.Key) < 1 || len(idem.Key) > 200 {
		return nil, errs.Field("Idempotency-Key", "must be 1–200 characters")
	}
	now := s.now()
	rec, err := s.store.Read().ClaimIdempotency(ctx, IdemRecord{UserID: userID, Key: idem.Key, RequestHash: idem.Hash,
		CreatedAt: now, LockedUntil: now.Add(idemLease)})
	if err != nil || rec == nil {
		return nil, err
	}
	if rec.RequestHash != idem.Hash {
		return nil, errs.E(errs.IdempotencyKeyReused, "this Idempotency-Key was used for a different request")
	}
	if rec.Done {
		return &Replayed{Status: rec.StatusCode, Body: rec.Response}, nil
	}
	if now.Before(rec.LockedUntil) {
		return nil, errs.E(errs.InFlight, "a request with this Idempotency-Key is still being processed")
	}
	ok, err := s.store.Read().TakeOverIdempotency(ctx, userID, idem.Key, now, now.Add(idemLease))
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, errs.E(errs.InFlight, "a request with this Idempotency-Key is still being processed")
	}
	return nil, nil
}

// completeIdem stores the rendered result inside the command's transaction.
func completeIdem(ctx context.Context, tx Tx, userID string, idem *Idempotency, v any) error {
	if idem == nil {
		return nil
	}
	status, body := idem.Render(v)
	return tx.CompleteIdempotency(ctx, userID, idem.Key, status, body)
}

// releaseIdem frees the key of a command that failed, so the same request
// can be retried (and fail or succeed again) rather than being stuck.
func (s *Service) releaseIdem(userID string, idem *Idempotency) {
	if idem == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.store.Read().ReleaseIdempotency(ctx, userID, idem.Key); err != nil {
		s.log.Warn("release idempotency key", "err", err)
	}
}
