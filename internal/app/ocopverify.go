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
// (no database work at all for a forged link), read the stamp with its
// latest scans in one indexed query (StampScans), take its lot, product,
// producer and certificates from lotTrace, apply ocop.Verdict at the
// service's clock, and record the scan (hashed device, coarse province)
// before answering. A malformed, forged or unknown link is not an error:
// it is the verdict "invalid".
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
	stamp, scans, err := s.store.Read().StampScans(ctx, link.Serial, maxPreviousScans)
	var lt *StampTrace
	if err == nil {
		lt, err = s.lotTrace(ctx, stamp.LotID)
	}
	if errs.Is(err, errs.NotFound) || (err == nil && !sameLot(link, lt)) {
		v.LinkError = "serial: no such stamp in this lot"
		v.Result = ocop.Verdict(vin)
		return v, nil
	}
	if err != nil {
		return nil, err
	}
	t := &StampTrace{Stamp: *stamp, Lot: lt.Lot, Product: lt.Product, Producer: lt.Producer, Certificates: lt.Certificates,
		Images: lt.Images, Scans: scans}
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

// LotTraceTTL bounds how long a verification may be answered from this
// instance's copy of a lot's status, product, producer, certificates and
// photos: a viral product's stamps share one lot, and reading those
// rarely changed rows per scan was most of the database's work per
// verification. A change made through this service is seen at once
// (forgetLotTraces), one made through another instance within
// LotTraceTTL. Certificate expiry needs no refresh: it is judged at each
// scan's time.
const LotTraceTTL = 2 * time.Second

// maxLotTraces bounds the cache; when full it is emptied and the lots in
// use fill it again.
const maxLotTraces = 10_000

// lotTraceCache holds StampTraces without stamp and scans, shared and
// read-only, by lot id. gen counts invalidations, so that a read that
// raced with a change is not cached.
type lotTraceCache struct {
	mu  sync.Mutex
	m   map[string]lotTraceEntry
	gen uint64
}

type lotTraceEntry struct {
	t  *StampTrace
	at time.Time // wall and monotonic clock of the read (not the service clock)
}

// lotTrace returns a lot with its product, producer (without tax code),
// the product's certificates and photos (metadata), from the cache when
// fresh. Errors: NotFound, Unavailable.
func (s *Service) lotTrace(ctx context.Context, lotID string) (*StampTrace, error) {
	c := &s.lots
	c.mu.Lock()
	e, ok := c.m[lotID]
	gen := c.gen
	c.mu.Unlock()
	if ok && time.Since(e.at) < LotTraceTTL {
		return e.t, nil
	}
	at := time.Now()
	r := s.store.Read()
	l, err := r.LotByID(ctx, lotID, false)
	if err != nil {
		return nil, err
	}
	p, err := r.ProductByID(ctx, l.ProductID, false)
	if err != nil {
		return nil, err
	}
	pr, err := r.ProducerByID(ctx, p.ProducerID, false)
	if err != nil {
		return nil, err
	}
	certs, err := r.CertificatesOf(ctx, p.ID)
	if err != nil {
		return nil, err
	}
	imgs, err := r.ProductImages(ctx, p.ID)
	if err != nil {
		return nil, err
	}
	pr.TaxCode = ""
	t := &StampTrace{Lot: *l, Product: *p, Producer: *pr, Certificates: certs[p.ID], Images: imgs[p.ID]}
	c.mu.Lock()
	if c.gen == gen {
		if c.m == nil || len(c.m) >= maxLotTraces {
			c.m = make(map[string]lotTraceEntry)
		}
		c.m[lotID] = lotTraceEntry{t: t, at: at}
	}
	c.mu.Unlock()
	return t, nil
}

// forgetLotTraces empties the cache after this service changed a lot,
// product, producer, certificate or photo (after the change committed).
func (s *Service) forgetLotTraces() {
	c := &s.lots
	c.mu.Lock()
	clear(c.m)
	c.gen++
	c.mu.Unlock()
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
