package mockbank

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"
	"time"

	"github.com/market4/market4/internal/errs"
)

// SignatureHeader carries the webhook signature:
//
//	X-Mockbank-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, t + "." + raw body)>
//
// The scheme is Stripe's: the timestamp is inside the MAC, so a captured
// request cannot be replayed outside the tolerance window, and the MAC is
// over the raw bytes, so the receiver verifies before it parses.
const SignatureHeader = "X-Mockbank-Signature"

// WebhookPath is where the bank POSTs notifications, relative to the
// platform's base URL.
const WebhookPath = "/v1/webhooks/mockbank"

// DefaultTolerance is how far the signed timestamp may be from the
// receiver's clock, in either direction.
const DefaultTolerance = 5 * time.Minute

// Sign returns the X-Mockbank-Signature header value for body sent at t:
// "t=<unix>,v1=<lower-case hex HMAC-SHA256(secret, "<unix>.<body>")>".
// It is exported so load generators and tests can craft webhooks exactly as
// the bank does.
func Sign(secret string, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	return "t=" + ts + ",v1=" + hex.EncodeToString(mac(secret, ts, body))
}

func mac(secret, ts string, body []byte) []byte {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(ts))
	m.Write([]byte{'.'})
	m.Write(body)
	return m.Sum(nil)
}

// Verify checks a signature header against the raw body: the header must be
// exactly "t=<digits>,v1=<64 hex digits>" (either case), the MAC must match
// (compared in constant time), and t must be within tolerance of now. It
// returns the signed time.
//
// Errors: *errs.Error with Code BadSignature and one of the messages
// "missing signature", "malformed signature header", "signature mismatch",
// "stale signature timestamp". An empty secret fails every request: a MAC
// under an empty key is no authentication at all.
func Verify(secret, header string, body []byte, now time.Time, tolerance time.Duration) (time.Time, error) {
	if header == "" {
		return time.Time{}, errs.E(errs.BadSignature, "missing signature")
	}
	ts, sig, ok := parseHeader(header)
	if !ok {
		return time.Time{}, errs.E(errs.BadSignature, "malformed signature header")
	}
	if secret == "" || !hmac.Equal(mac(secret, ts, body), sig) {
		return time.Time{}, errs.E(errs.BadSignature, "signature mismatch")
	}
	sec, _ := strconv.ParseInt(ts, 10, 64) // parseHeader checked it
	t := time.Unix(sec, 0).UTC()
	if tolerance <= 0 {
		tolerance = DefaultTolerance
	}
	if d := now.Sub(t); d > tolerance || d < -tolerance {
		return time.Time{}, errs.E(errs.BadSignature, "stale signature timestamp")
	}
	return t, nil
}

// parseHeader splits "t=<digits>,v1=<64 hex>" strictly: no spaces, no
// other keys, no second signature, 1–18 digits (so it fits an int64 and
// arithmetic on it cannot overflow).
func parseHeader(h string) (ts string, sig []byte, ok bool) {
	rest, found := strings.CutPrefix(h, "t=")
	if !found {
		return "", nil, false
	}
	ts, hexSig, found := strings.Cut(rest, ",v1=")
	if !found || len(ts) == 0 || len(ts) > 18 || len(hexSig) != 2*sha256.Size {
		return "", nil, false
	}
	for i := 0; i < len(ts); i++ {
		if ts[i] < '0' || ts[i] > '9' {
			return "", nil, false
		}
	}
	sig, err := hex.DecodeString(hexSig)
	if err != nil {
		return "", nil, false
	}
	return ts, sig, true
}
