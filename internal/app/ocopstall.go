package app

import (
	"context"
	"fmt"
	"time"

	"github.com/market4/market4/internal/errs"
	"github.com/market4/market4/internal/market"
	"github.com/market4/market4/pkg/money"
)

// StallPriceInput is one line of a stall's price list as sent by the
// vendor: a product and its price in whole đồng (a money string).
type StallPriceInput struct {
	ProductID string
	Price     string
}

// MaxStallProducts bounds a stall's price list.
const MaxStallProducts = 200

// SetStallProducts replaces the OCOP products a stall sells and their
// prices. Only the stall's vendor may (an admin neither: prices are the
// trader's decision).
// Errors: NotFound (stall not visible to the actor), Unauthenticated,
// Forbidden (not the stall's vendor), Invalid (items[i].product_id,
// items[i].price, items).
func (s *Service) SetStallProducts(ctx context.Context, a market.Actor, stallID string, items []StallPriceInput) ([]StallOffer, error) {
	if a.Role == "" {
		return nil, errs.E(errs.Unauthenticated, "log in to set a stall's products")
	}
	prices, err := parsePrices(items)
	if err != nil {
		return nil, err
	}
	var out []StallOffer
	err = s.store.InTx(ctx, func(tx Tx) error {
		st, err := tx.StallByID(ctx, stallID, true)
		if err != nil {
			return err
		}
		if !a.CanReadStall(st) {
			return errs.E(errs.NotFound, "no such stall")
		}
		if !a.OwnsStall(st) {
			return errs.E(errs.Forbidden, "only the stall's vendor sets its products and prices")
		}
		out, err = replaceStallProducts(ctx, tx, st.ID, prices, s.now())
		return err
	})
	return out, err
}

func parsePrices(items []StallPriceInput) ([]StallPrice, error) {
	var fs errs.Fields
	if len(items) > MaxStallProducts {
		fs.Add("items", fmt.Sprintf("at most %d products per stall", MaxStallProducts))
		return nil, fs.Err()
	}
	seen := map[string]bool{}
	out := make([]StallPrice, 0, len(items))
	for i, it := range items {
		f := fmt.Sprintf("items[%d].", i)
		switch {
		case it.ProductID == "":
			fs.Add(f+"product_id", "is required")
		case seen[it.ProductID]:
			fs.Add(f+"product_id", "appears twice")
		}
		seen[it.ProductID] = true
		p, err := money.Parse(it.Price)
		if err != nil {
			fs.Add(f+"price", err.Error())
		}
		out = append(out, StallPrice{ProductID: it.ProductID, Price: p})
	}
	return out, fs.Err()
}

// replaceStallProducts checks every product exists and writes the list.
func replaceStallProducts(ctx context.Context, tx Tx, stallID string, prices []StallPrice, now time.Time) ([]StallOffer, error) {
	var fs errs.Fields
	for i, p := range prices {
		if _, err := tx.ProductByID(ctx, p.ProductID, false); errs.Is(err, errs.NotFound) {
			fs.Add(fmt.Sprintf("items[%d].product_id", i), "no such product")
		} else if err != nil {
			return nil, err
		}
	}
	if err := fs.Err(); err != nil {
		return nil, err
	}
	if err := tx.ReplaceStallProducts(ctx, stallID, prices, now); err != nil {
		return nil, err
	}
	return tx.ListOffers(ctx, OfferFilter{StallID: stallID})
}

// StallProducts lists the OCOP products a stall sells with their prices:
// public for an active stall, otherwise only for those who may see the
// stall (its vendor, district staff, admins).
// Errors: NotFound.
func (s *Service) StallProducts(ctx context.Context, a market.Actor, stallID string) ([]StallOffer, error) {
	r := s.store.Read()
	st, err := r.StallByID(ctx, stallID, false)
	if err != nil {
		return nil, err
	}
	if st.Status != market.StallActive && !a.CanReadStall(st) {
		return nil, errs.E(errs.NotFound, "no such stall")
	}
	return r.ListOffers(ctx, OfferFilter{StallID: st.ID})
}
