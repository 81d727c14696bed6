package store

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/market4/market4/internal/app"
	"github.com/market4/market4/internal/errs"
	"github.com/market4/market4/internal/market"
)

type districtRow struct {
	ID        string `gorm:"primaryKey"`
	Name      string
	Province  string
	CreatedAt time.Time
}

func (districtRow) TableName() string { return "districts" }

func (r districtRow) toDistrict() market.District {
	return market.District{ID: r.ID, Name: r.Name, Province: r.Province, CreatedAt: r.CreatedAt.UTC()}
}

type marketRow struct {
	ID         string `gorm:"primaryKey"`
	DistrictID string
	Name       string
	Address    string
	CreatedAt  time.Time
}

func (marketRow) TableName() string { return "markets" }

func (r marketRow) toMarket() market.Market {
	return market.Market{ID: r.ID, DistrictID: r.DistrictID, Name: r.Name, Address: r.Address, CreatedAt: r.CreatedAt.UTC()}
}

type stallRow struct {
	ID            string `gorm:"primaryKey"`
	MarketID      string
	DistrictID    string
	OwnerID       *string
	StallNumber   string
	Name          string
	Category      string
	BankBIN       string `gorm:"column:bank_bin"`
	AccountNumber string
	AccountName   string
	Status        string
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

func (stallRow) TableName() string { return "stalls" }

func toStallRow(s *market.Stall) stallRow {
	return stallRow{ID: s.ID, MarketID: s.MarketID, DistrictID: s.DistrictID, OwnerID: nullable(s.OwnerID),
		StallNumber: s.StallNumber, Name: s.Name, Category: s.Category, BankBIN: s.BankBIN,
		AccountNumber: s.AccountNumber, AccountName: s.AccountName, Status: string(s.Status),
		CreatedAt: s.CreatedAt.UTC(), UpdatedAt: s.UpdatedAt.UTC()}
}

func (r stallRow) toStall() market.Stall {
	return market.Stall{ID: r.ID, MarketID: r.MarketID, DistrictID: r.DistrictID, OwnerID: deref(r.OwnerID),
		StallNumber: r.StallNumber, Name: r.Name, Category: r.Category, BankBIN: r.BankBIN,
		AccountNumber: r.AccountNumber, AccountName: r.AccountName, Status: market.StallStatus(r.Status),
		CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC()}
}

func (r *repo) CreateDistrict(ctx context.Context, d *market.District) error {
	row := districtRow{ID: d.ID, Name: d.Name, Province: d.Province, CreatedAt: d.CreatedAt.UTC()}
	return translate(r.q(ctx).Create(&row).Error)
}

// storable reports whether s can equal a stored key on every supported
// database. PostgreSQL text holds neither NUL nor invalid UTF-8 and fails
// the whole query on them, so a lookup or filter with such input (which
// only a hostile or broken client sends) is answered here, as not found or
// no rows, instead of as a database error (500).
func storable(ss ...string) bool {
	for _, s := range ss {
		if !utf8.ValidString(s) || strings.IndexByte(s, 0) >= 0 {
			return false
		}
	}
	return true
}

func (r *repo) DistrictByID(ctx context.Context, id string) (*market.District, error) {
	if !storable(id) {
		return nil, errs.E(errs.NotFound, "no such district")
	}
	var row districtRow
	if err := r.q(ctx).Where("id = ?", id).Take(&row).Error; err != nil {
		return nil, notFound(err, "district")
	}
	d := row.toDistrict()
	return &d, nil
}

func (r *repo) ListDistricts(ctx context.Context, p app.Page) ([]market.District, error) {
	if !storable(p.After) {
		return []market.District{}, nil
	}
	var rows []districtRow
	if err := page(r.q(ctx), p).Find(&rows).Error; err != nil {
		return nil, translate(err)
	}
	out := make([]market.District, len(rows))
	for i, row := range rows {
		out[i] = row.toDistrict()
	}
	return out, nil
}

func (r *repo) CreateMarket(ctx context.Context, m *market.Market) error {
	row := marketRow{ID: m.ID, DistrictID: m.DistrictID, Name: m.Name, Address: m.Address, CreatedAt: m.CreatedAt.UTC()}
	return translate(r.q(ctx).Create(&row).Error)
}

func (r *repo) MarketByID(ctx context.Context, id string) (*market.Market, error) {
	if !storable(id) {
		return nil, errs.E(errs.NotFound, "no such market")
	}
	var row marketRow
	if err := r.q(ctx).Where("id = ?", id).Take(&row).Error; err != nil {
		return nil, notFound(err, "market")
	}
	m := row.toMarket()
	return &m, nil
}

func (r *repo) ListMarkets(ctx context.Context, f app.MarketFilter) ([]market.Market, error) {
	if !storable(f.After, f.DistrictID) {
		return []market.Market{}, nil
	}
	db := r.q(ctx)
	if f.DistrictID != "" {
		db = db.Where("district_id = ?", f.DistrictID)
	}
	var rows []marketRow
	if err := page(db, f.Page).Find(&rows).Error; err != nil {
		return nil, translate(err)
	}
	out := make([]market.Market, len(rows))
	for i, row := range rows {
		out[i] = row.toMarket()
	}
	return out, nil
}

func (r *repo) CreateStall(ctx context.Context, s *market.Stall) error {
	row := toStallRow(s)
	return translate(r.q(ctx).Create(&row).Error)
}

func (r *repo) UpdateStall(ctx context.Context, s *market.Stall) error {
	row := toStallRow(s)
	res := r.q(ctx).Model(&stallRow{}).Where("id = ?", s.ID).Updates(map[string]any{
		"stall_number": row.StallNumber, "name": row.Name, "category": row.Category, "bank_bin": row.BankBIN,
		"account_number": row.AccountNumber, "account_name": row.AccountName, "status": row.Status,
		"owner_id": row.OwnerID, "updated_at": row.UpdatedAt,
	})
	if res.Error != nil {
		return translate(res.Error)
	}
	if res.RowsAffected == 0 {
		return errs.E(errs.NotFound, "no such stall")
	}
	return nil
}

func (r *repo) StallByID(ctx context.Context, id string, lock bool) (*market.Stall, error) {
	if !storable(id) {
		return nil, errs.E(errs.NotFound, "no such stall")
	}
	var row stallRow
	if err := r.forUpdate(r.q(ctx), lock).Where("id = ?", id).Take(&row).Error; err != nil {
		return nil, notFound(err, "stall")
	}
	s := row.toStall()
	return &s, nil
}

func (r *repo) ListStalls(ctx context.Context, f app.StallFilter) ([]market.Stall, error) {
	if !storable(f.After, f.MarketID, f.DistrictID, f.OwnerID, string(f.Status)) {
		return []market.Stall{}, nil
	}
	db := r.q(ctx)
	if f.MarketID != "" {
		db = db.Where("market_id = ?", f.MarketID)
	}
	if f.DistrictID != "" {
		db = db.Where("district_id = ?", f.DistrictID)
	}
	if f.OwnerID != "" {
		db = db.Where("owner_id = ?", f.OwnerID)
	}
	if f.Status != "" {
		db = db.Where("status = ?", string(f.Status))
	}
	var rows []stallRow
	if err := page(db, f.Page).Find(&rows).Error; err != nil {
		return nil, translate(err)
	}
	out := make([]market.Stall, len(rows))
	for i, row := range rows {
		out[i] = row.toStall()
	}
	return out, nil
}
