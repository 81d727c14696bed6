package httpapi

import (
	"time"

	"github.com/market4/market4/internal/market"
	"github.com/market4/market4/pkg/vietqr"
)

// Response shapes. Domain types never go on the wire directly: these
// converters decide what each audience sees.

type userJSON struct {
	ID         string  `json:"id"`
	Phone      string  `json:"phone"`
	Name       string  `json:"name"`
	Role       string  `json:"role"`
	DistrictID *string `json:"district_id"`
	CreatedAt  string  `json:"created_at"`
}

func toUserJSON(u *market.User) userJSON {
	return userJSON{ID: u.ID, Phone: u.Phone, Name: u.Name, Role: string(u.Role), DistrictID: ptr(u.DistrictID), CreatedAt: ts(u.CreatedAt)}
}

type sessionJSON struct {
	Token string   `json:"token"`
	User  userJSON `json:"user"`
}

type districtJSON struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	Province  string `json:"province"`
	CreatedAt string `json:"created_at"`
}

func toDistrictJSON(d *market.District) districtJSON {
	return districtJSON{ID: d.ID, Name: d.Name, Province: d.Province, CreatedAt: ts(d.CreatedAt)}
}

type marketJSON struct {
	ID         string `json:"id"`
	DistrictID string `json:"district_id"`
	Name       string `json:"name"`
	Address    string `json:"address"`
	CreatedAt  string `json:"created_at"`
}

func toMarketJSON(m *market.Market) marketJSON {
	return marketJSON{ID: m.ID, DistrictID: m.DistrictID, Name: m.Name, Address: m.Address, CreatedAt: ts(m.CreatedAt)}
}

type stallJSON struct {
	ID            string  `json:"id"`
	MarketID      string  `json:"market_id"`
	DistrictID    string  `json:"district_id"`
	OwnerID       *string `json:"owner_id"`
	StallNumber   string  `json:"stall_number"`
	Name          string  `json:"name"`
	Category      string  `json:"category"`
	BankBIN       string  `json:"bank_bin"`
	BankName      string  `json:"bank_name"`
	AccountNumber string  `json:"account_number"`
	AccountName   string  `json:"account_name"`
	Status        string  `json:"status"`
	CreatedAt     string  `json:"created_at"`
	UpdatedAt     string  `json:"updated_at"`
}

func toStallJSON(s *market.Stall) stallJSON {
	return stallJSON{ID: s.ID, MarketID: s.MarketID, DistrictID: s.DistrictID, OwnerID: ptr(s.OwnerID),
		StallNumber: s.StallNumber, Name: s.Name, Category: s.Category, BankBIN: s.BankBIN, BankName: bankName(s.BankBIN),
		AccountNumber: s.AccountNumber, AccountName: s.AccountName, Status: string(s.Status),
		CreatedAt: ts(s.CreatedAt), UpdatedAt: ts(s.UpdatedAt)}
}

type listJSON[T any] struct {
	Items     []T     `json:"items"`
	NextAfter *string `json:"next_after"`
}

// list wraps a page of items; next_after is the cursor for the next page
// when this one came back full.
func list[T, D any](items []D, limit int, conv func(*D) T, id func(*D) string) listJSON[T] {
	out := listJSON[T]{Items: make([]T, len(items))}
	for i := range items {
		out.Items[i] = conv(&items[i])
	}
	if limit == 0 {
		limit = 50
	}
	if len(items) == limit && len(items) > 0 {
		next := id(&items[len(items)-1])
		out.NextAfter = &next
	}
	return out
}

func bankName(bin string) string {
	if b, ok := vietqr.LookupBank(bin); ok {
		return b.ShortName
	}
	return ""
}

func ptr(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// ts renders times in RFC 3339 UTC, as the API promises.
func ts(t time.Time) string { return t.UTC().Format(time.RFC3339) }
