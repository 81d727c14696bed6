package app

import (
	"context"

	"github.com/market4/market4/internal/errs"
	"github.com/market4/market4/internal/market"
)

// CreateDistrict registers a district. Admins only.
// Errors: Forbidden, Invalid (name, province), Conflict (name).
func (s *Service) CreateDistrict(ctx context.Context, a market.Actor, d market.District) (*market.District, error) {
	if !a.IsAdmin() {
		return nil, errs.E(errs.Forbidden, "only administrators manage districts")
	}
	if err := d.Validate(); err != nil {
		return nil, err
	}
	d.ID, d.CreatedAt = newID(), s.now()
	if err := s.store.InTx(ctx, func(tx Tx) error { return tx.CreateDistrict(ctx, &d) }); err != nil {
		return nil, err
	}
	return &d, nil
}

// ListDistricts lists districts; they are public information.
func (s *Service) ListDistricts(ctx context.Context, p Page) ([]market.District, error) {
	p.normalize()
	return s.store.Read().ListDistricts(ctx, p)
}

// District returns one district. Errors: NotFound.
func (s *Service) District(ctx context.Context, id string) (*market.District, error) {
	return s.store.Read().DistrictByID(ctx, id)
}

// CreateMarket registers a market in a district. Admins only.
// Errors: Forbidden, Invalid (district_id, name, address), NotFound
// (district, reported as Invalid district_id), Conflict (name).
func (s *Service) CreateMarket(ctx context.Context, a market.Actor, m market.Market) (*market.Market, error) {
	if !a.IsAdmin() {
		return nil, errs.E(errs.Forbidden, "only administrators manage markets")
	}
	if err := m.Validate(); err != nil {
		return nil, err
	}
	m.ID, m.CreatedAt = newID(), s.now()
	err := s.store.InTx(ctx, func(tx Tx) error {
		if _, err := tx.DistrictByID(ctx, m.DistrictID); errs.Is(err, errs.NotFound) {
			return errs.Field("district_id", "no such district")
		} else if err != nil {
			return err
		}
		return tx.CreateMarket(ctx, &m)
	})
	if err != nil {
		return nil, err
	}
	return &m, nil
}

// ListMarkets lists markets, optionally in one district; public information.
func (s *Service) ListMarkets(ctx context.Context, f MarketFilter) ([]market.Market, error) {
	f.normalize()
	return s.store.Read().ListMarkets(ctx, f)
}

// Market returns one market. Errors: NotFound.
func (s *Service) Market(ctx context.Context, id string) (*market.Market, error) {
	return s.store.Read().MarketByID(ctx, id)
}

// StallInput carries the fields a vendor may set on a stall.
type StallInput struct {
	MarketID, StallNumber, Name, Category, BankBIN, AccountNumber, AccountName string
}

// CreateStall registers a stall owned by the calling vendor; it starts
// pending until district staff approve it.
// Errors: Forbidden, Invalid (any field; market_id when the market does not
// exist), Conflict (stall_number).
func (s *Service) CreateStall(ctx context.Context, a market.Actor, in StallInput) (*market.Stall, error) {
	if a.Role != market.RoleVendor {
		return nil, errs.E(errs.Forbidden, "only vendors register stalls; staff import them")
	}
	now := s.now()
	st := market.Stall{ID: newID(), MarketID: in.MarketID, OwnerID: a.UserID, StallNumber: in.StallNumber, Name: in.Name,
		Category: in.Category, BankBIN: in.BankBIN, AccountNumber: in.AccountNumber, AccountName: in.AccountName,
		Status: market.StallPending, CreatedAt: now, UpdatedAt: now}
	if err := st.Validate(); err != nil {
		return nil, err
	}
	err := s.store.InTx(ctx, func(tx Tx) error {
		m, err := tx.MarketByID(ctx, st.MarketID)
		if errs.Is(err, errs.NotFound) {
			return errs.Field("market_id", "no such market")
		} else if err != nil {
			return err
		}
		st.DistrictID = m.DistrictID
		return tx.CreateStall(ctx, &st)
	})
	if err != nil {
		return nil, err
	}
	return &st, nil
}

// Stall returns a stall the actor may see in full.
// Errors: NotFound (also when the stall exists but is not the actor's to see).
func (s *Service) Stall(ctx context.Context, a market.Actor, id string) (*market.Stall, error) {
	st, err := s.store.Read().StallByID(ctx, id, false)
	if err != nil {
		return nil, err
	}
	if !a.CanReadStall(st) {
		return nil, errs.E(errs.NotFound, "no such stall")
	}
	return st, nil
}

// PublicStall returns an active stall for anonymous shoppers (stall page,
// printed QR). Errors: NotFound (missing or not active).
func (s *Service) PublicStall(ctx context.Context, id string) (*market.Stall, error) {
	st, err := s.store.Read().StallByID(ctx, id, false)
	if err != nil {
		return nil, err
	}
	if st.Status != market.StallActive {
		return nil, errs.E(errs.NotFound, "no such stall")
	}
	return st, nil
}

// ListStalls lists the stalls the actor may see: a vendor's own, a staff
// member's district, everything for admins. Filters narrow further.
// Errors: Unauthenticated (anonymous), Forbidden (staff asking for another district).
func (s *Service) ListStalls(ctx context.Context, a market.Actor, f StallFilter) ([]market.Stall, error) {
	f.normalize()
	switch a.Role {
	case market.RoleVendor:
		f.OwnerID = a.UserID
	case market.RoleStaff:
		if f.DistrictID != "" && f.DistrictID != a.DistrictID {
			return nil, errs.E(errs.Forbidden, "staff see only their own district")
		}
		f.DistrictID = a.DistrictID
	case market.RoleAdmin:
	default:
		return nil, errs.E(errs.Unauthenticated, "log in to list stalls")
	}
	return s.store.Read().ListStalls(ctx, f)
}

// UpdateStall lets the owning vendor (or an admin) change a stall. Changing
// the receiving bank account of an active stall sends it back to pending:
// staff must see where the money will go before it flows again.
// Errors: NotFound, Forbidden, Invalid, Conflict (stall_number).
func (s *Service) UpdateStall(ctx context.Context, a market.Actor, id string, in StallInput) (*market.Stall, error) {
	var out *market.Stall
	err := s.store.InTx(ctx, func(tx Tx) error {
		st, err := tx.StallByID(ctx, id, true)
		if err != nil {
			return err
		}
		if !a.CanReadStall(st) {
			return errs.E(errs.NotFound, "no such stall")
		}
		if !a.OwnsStall(st) && !a.IsAdmin() {
			return errs.E(errs.Forbidden, "only the stall's vendor may edit it")
		}
		if in.MarketID != "" && in.MarketID != st.MarketID {
			return errs.Field("market_id", "a stall cannot move to another market; register a new one")
		}
		old := *st
		set := func(dst *string, v string) {
			if v != "" {
				*dst = v
			}
		}
		set(&st.StallNumber, in.StallNumber)
		set(&st.Name, in.Name)
		set(&st.Category, in.Category)
		set(&st.BankBIN, in.BankBIN)
		set(&st.AccountNumber, in.AccountNumber)
		set(&st.AccountName, in.AccountName)
		if err := st.Validate(); err != nil {
			return err
		}
		if st.Status == market.StallActive && (st.BankBIN != old.BankBIN || st.AccountNumber != old.AccountNumber || st.AccountName != old.AccountName) {
			st.Status = market.StallPending
		}
		st.UpdatedAt = s.now()
		if err := tx.UpdateStall(ctx, st); err != nil {
			return err
		}
		out = st
		return nil
	})
	return out, err
}

// SetStallStatus approves (active) or suspends a stall. Staff of the
// stall's district and admins only.
// Errors: NotFound, Forbidden, Invalid (status), Conflict (transition not allowed).
func (s *Service) SetStallStatus(ctx context.Context, a market.Actor, id string, to market.StallStatus) (*market.Stall, error) {
	if to != market.StallActive && to != market.StallSuspended {
		return nil, errs.Field("status", "must be active or suspended")
	}
	var out *market.Stall
	err := s.store.InTx(ctx, func(tx Tx) error {
		st, err := tx.StallByID(ctx, id, true)
		if err != nil {
			return err
		}
		if !a.CanReadStall(st) {
			return errs.E(errs.NotFound, "no such stall")
		}
		if !a.CanManageDistrict(st.DistrictID) {
			return errs.E(errs.Forbidden, "only staff of the stall's district approve or suspend it")
		}
		if !market.CanTransition(st.Status, to) {
			return errs.E(errs.Conflict, "a %s stall cannot become %s", st.Status, to)
		}
		st.Status, st.UpdatedAt = to, s.now()
		if err := tx.UpdateStall(ctx, st); err != nil {
			return err
		}
		out = st
		return nil
	})
	return out, err
}
