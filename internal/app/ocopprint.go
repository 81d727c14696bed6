package app

import (
	"context"
	"iter"

	"github.com/market4/market4/internal/errs"
	"github.com/market4/market4/internal/market"
	"github.com/market4/market4/internal/ocop"
)

// printPage is how many stamps a print run reads per query: a 10,000-stamp
// sheet is 20 short keyset queries, never 10,000 rows in memory.
const printPage = 500

// StampPrint is a print run of a lot's stamps: the lot and product for the
// sheet's title, and the stamps streamed from the database in serial order,
// a page of rows at a time.
type StampPrint struct {
	Lot     Lot
	Product Product
	svc     *Service
	host    string
	status  ocop.StampStatus
	err     error
}

// PrintStamps prepares a print run of a lot's stamps (those in status, or
// all when status is ""), for the staff managing the lot. Nothing is read
// until Stamps is ranged over.
// Errors: NotFound, Unauthenticated, Forbidden, Invalid (status).
func (s *Service) PrintStamps(ctx context.Context, a market.Actor, lotID string, status ocop.StampStatus) (*StampPrint, error) {
	if status != "" && !status.Valid() {
		return nil, errs.Field("status", "must be one of generated, printed, activated, sold, voided")
	}
	st, err := s.ocop(ctx)
	if err != nil {
		return nil, err
	}
	r := s.store.Read()
	lot, err := lotForManager(ctx, r, a, lotID, false)
	if err != nil {
		return nil, err
	}
	prod, err := r.ProductByID(ctx, lot.ProductID, false)
	if err != nil {
		return nil, err
	}
	return &StampPrint{Lot: *lot, Product: *prod, svc: s, host: st.host, status: status}, nil
}

// Stamps yields the run's stamps with their links, reading printPage rows
// per query. A database error ends the sequence; check Err afterwards.
func (p *StampPrint) Stamps(ctx context.Context) iter.Seq[StampView] {
	return func(yield func(StampView) bool) {
		f := StampFilter{LotID: p.Lot.ID, Status: p.status, Limit: printPage}
		for {
			page, err := p.svc.store.Read().ListStamps(ctx, f)
			if err != nil {
				p.err = err
				return
			}
			for i := range page {
				l := StampLink(p.host, &page[i], &p.Lot, p.Product.GTIN)
				if !yield(StampView{Stamp: page[i], Link: l, URL: l.String()}) {
					return
				}
			}
			if len(page) < f.Limit {
				return
			}
			f.After = page[len(page)-1].Serial
		}
	}
}

// Err reports the database error that cut Stamps short, if any.
func (p *StampPrint) Err() error { return p.err }
