package app

import (
	"context"
	"sync"
	"time"

	"github.com/market4/market4/internal/errs"
	"github.com/market4/market4/internal/ocop"
)

// VerifyRequest is one scan of a stamp's QR code by a member of the public.
type VerifyRequest struct {
	// URL is the scanned link (the QR content, or the request URL of the
	// Digital Link resolver).
	URL string
	// DeviceID identifies the scanning device loosely (a random cookie or
	// an app install id). It is never stored: only its keyed hash is.
	DeviceID string
	// ProvinceCode is the scanning client's province if a trusted edge
	// proxy told us, else "".
	ProvinceCode string
}

// Verification is the answer of the public verification page.
type Verification struct {
	At   time.Time
	Link ocop.Link // as parsed; zero when the URL could not be parsed
	// URL is the canonical form of the link ("" when it could not be
	// parsed); LinkError says why the link was refused, "" when it
	// verified.
	URL       string
	LinkError string
	Result    ocop.Result
	// Trace is set when the signature verified and the stamp exists in
	// the lot the link names; the page then shows product, producer,
	// certificate and lot. The producer's tax code is never set.
	Trace *StampTrace
	// Stars and Certificate come from the active certificate at At
	// (Certificate is the most recent one when none is active, so the
	// page can say it expired); CertState is ocop.CertStateAt.
	Stars       int
	Certificate *Certificate
	CertState   ocop.CertState
}

// maxPreviousScans bounds the history Verdict reads (the latest scans).
const maxPreviousScans = 1000

// VerifyStamp answers a scan: parse the link, verify its signature offline
// (no database work at all for a forged link), read the stamp with its lot,
// product, producer, certificates and latest scans in one indexed query,
// apply ocop.Verdict at the service's clock, and record the scan (hashed
// device, coarse province) before answering. A malformed, forged or
// unknown link is not an error: it is the verdict "invalid".
//
// Recording is group-committed: concurrent verifications share one
// multi-row INSERT, and each waits until its row is committed, so an
// answered scan is durable and a rescan always sees it. Two scans of the
// same stamp at the same instant may both be told "first scan"; no lock is
// taken for so rare a case on the hottest public path.
// Errors: Unavailable (database).
func (s *Service) VerifyStamp(ctx context.Context, in VerifyRequest) (*Verification, error) {
	st, err := s.ocop(ctx)
	if err != nil {
		return nil, err
	}
	now := s.now()
	v := &Verification{At: now}
	cur := ocop.Scan{At: now}
	if ocop.ValidProvinceCode(in.ProvinceCode) {
		cur.ProvinceCode = in.ProvinceCode
	}
	if in.DeviceID != "" {
		cur.DeviceHash = ocop.HashDevice(st.secret, in.DeviceID)
	}
	vin := ocop.VerifyInput{Current: cur}
	link, err := ocop.ParseLink(in.URL)
	if err != nil {
		v.LinkError = err.Error()
		v.Result = ocop.Verdict(vin)
		return v, nil
	}
	v.Link, v.URL = link, link.String()
	if err := st.ring.Verify(link); err != nil {
		v.LinkError = err.Error()
		v.Result = ocop.Verdict(vin)
		return v, nil
	}
	vin.SignatureOK = true
	r := s.store.Read()
	t, err := r.TraceStamp(ctx, link.Serial, maxPreviousScans)
	if errs.Is(err, errs.NotFound) || (err == nil && !sameLot(link, t)) {
		v.LinkError = "serial: no such stamp in this lot"
		v.Result = ocop.Verdict(vin)
		return v, nil
	}
	if err != nil {
		return nil, err
	}
	vin.SerialKnown = true
	certs := make([]ocop.Certificate, len(t.Certificates))
	for i, c := range t.Certificates {
		certs[i] = c.Certificate
	}
	vin.Stamp, vin.Lot, vin.LotExpiry = t.Stamp.Status, t.Lot.Status, t.Lot.ExpiryDate
	vin.Cert = ocop.CertStateAt(certs, now)
	vin.SoldAt, vin.SoldProvinceCode = t.Stamp.SoldAt, t.Stamp.SoldProvinceCode
	vin.Previous = t.Scans
	v.Result = ocop.Verdict(vin)
	t.Producer.TaxCode = ""
	v.Trace, v.CertState = t, vin.Cert
	if stars, c, ok := ocop.StarsAt(certs, now); ok {
		v.Stars = stars
		v.Certificate = &t.Certificates[indexOfCert(certs, c)]
	} else if len(certs) > 0 {
		latest := 0
		for i := range certs {
			if certs[i].DecisionDate.After(certs[latest].DecisionDate) {
				latest = i
			}
		}
		v.Certificate = &t.Certificates[latest]
	}
	rec := ScanRecord{Serial: t.Stamp.Serial, Scan: cur, Verdict: v.Result.Verdict}
	if err := st.scans.record(ctx, rec); err != nil {
		return nil, err
	}
	return v, nil
}

func indexOfCert(certs []ocop.Certificate, c *ocop.Certificate) int {
	for i := range certs {
		if &certs[i] == c {
			return i
		}
	}
	return 0
}

// sameLot reports whether the stamp found by serial is the one the link
// names: same GTIN and lot code (GS1), or same lot reference (non-GS1).
// A genuine serial pasted into another lot's link is an unknown stamp.
func sameLot(l ocop.Link, t *StampTrace) bool {
	if l.NonGS1 {
		return t.Product.GTIN == "" && l.LotID == t.Lot.Ref
	}
	return t.Product.GTIN != "" && l.GTIN == t.Product.GTIN && l.Lot == t.Lot.Code
}

// scanBatcher group-commits scan records: the first caller to find no
// write in progress becomes the leader and writes everything queued (up to
// maxScanBatch rows) in one INSERT; callers arriving meanwhile queue and
// wait for the write that carries their row, and the leader hands the
// queue to the first of them. Nobody answers before their row is
// committed, so nothing acknowledged is lost on a crash, while the
// database sees one statement per batch instead of one per scan.
type scanBatcher struct {
	s       *Service
	mu      sync.Mutex
	pending []*scanReq
	busy    bool
}

type scanReq struct {
	rec  ScanRecord
	done chan struct{} // closed when written, or when this request must lead
	lead bool
	err  error
}

const maxScanBatch = 512

func newScanBatcher(s *Service) *scanBatcher { return &scanBatcher{s: s} }

func (b *scanBatcher) record(ctx context.Context, rec ScanRecord) error {
	r := &scanReq{rec: rec, done: make(chan struct{})}
	b.mu.Lock()
	b.pending = append(b.pending, r)
	if b.busy {
		b.mu.Unlock()
		<-r.done
		if !r.lead {
			return r.err
		}
	} else {
		b.busy = true
		b.mu.Unlock()
	}
	// Leader: write one batch (which contains r), then hand over.
	b.mu.Lock()
	n := min(len(b.pending), maxScanBatch)
	batch := b.pending[:n:n]
	b.pending = b.pending[n:]
	b.mu.Unlock()
	recs := make([]ScanRecord, len(batch))
	for i, x := range batch {
		recs[i] = x.rec
	}
	// The write outlives a leader whose client went away: the others wait on it.
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	err := b.s.store.Read().InsertScans(wctx, recs)
	cancel()
	if err != nil {
		err = errs.Wrap(errs.Unavailable, err, "could not record the scan")
	}
	for _, x := range batch {
		x.err = err
		if x != r {
			close(x.done)
		}
	}
	b.mu.Lock()
	if len(b.pending) > 0 {
		next := b.pending[0]
		next.lead = true
		close(next.done)
	} else {
		b.busy = false
	}
	b.mu.Unlock()
	return r.err
}
