package app

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/market4/market4/internal/errs"
	"github.com/market4/market4/internal/market"
)

// ImportColumns are the CSV columns of a stall import, in any order;
// owner_phone may be left out or empty.
var ImportColumns = []string{"stall_number", "name", "category", "bank_bin", "account_number", "account_name", "owner_phone"}

// MaxImportRows bounds one import so a mistaken file cannot hold a
// transaction open for minutes.
const MaxImportRows = 20000

// RowError is one problem in one CSV row (line numbers count the header as 1).
type RowError struct {
	Line    int    `json:"line"`
	Field   string `json:"field"`
	Message string `json:"message"`
}

// ImportResult reports an import: how many stalls were created, or every
// row error when nothing was.
type ImportResult struct {
	Rows    int        `json:"rows"`
	Created int        `json:"created"`
	Errors  []RowError `json:"errors"`
}

// ImportStalls reads a CSV of stalls for one market and creates them all as
// active (staff vouch for imported stalls), in one transaction: either every
// row is valid and imported, or nothing is written and every row error is
// returned. progress, when not nil, is called as rows are read and written.
// Errors: Forbidden, NotFound (market), Invalid (file structure; row
// problems come back in ImportResult.Errors with an Invalid error).
func (s *Service) ImportStalls(ctx context.Context, a market.Actor, marketID string, r io.Reader, progress func(done int)) (*ImportResult, error) {
	m, err := s.store.Read().MarketByID(ctx, marketID)
	if err != nil {
		return nil, err
	}
	if !a.CanManageDistrict(m.DistrictID) {
		return nil, errs.E(errs.Forbidden, "only staff of the market's district import its stalls")
	}
	stalls, lines, res, err := s.parseImport(ctx, m, r, progress)
	if err != nil {
		return nil, err
	}
	if len(res.Errors) > 0 {
		return res, res.err()
	}
	err = s.store.InTx(ctx, func(tx Tx) error {
		existing, err := tx.ListStalls(ctx, StallFilter{MarketID: m.ID, Page: Page{Limit: 1 << 30}})
		if err != nil {
			return err
		}
		taken := map[string]bool{}
		for _, st := range existing {
			taken[st.StallNumber] = true
		}
		res.Errors = nil
		for i := range stalls {
			if taken[stalls[i].StallNumber] {
				res.Errors = append(res.Errors, RowError{Line: lines[i], Field: "stall_number", Message: "already exists in this market"})
			}
		}
		if len(res.Errors) > 0 {
			return res.err()
		}
		for i := range stalls {
			if err := tx.CreateStall(ctx, &stalls[i]); err != nil {
				return err
			}
			if progress != nil && (i+1)%500 == 0 {
				progress(i + 1)
			}
		}
		return nil
	})
	if err != nil {
		return res, err
	}
	res.Created = len(stalls)
	if progress != nil {
		progress(len(stalls))
	}
	return res, nil
}

// err turns row errors into one Invalid error whose fields name the line,
// e.g. "line[7].bank_bin", so API clients get them in the usual problem shape.
func (r *ImportResult) err() error {
	e := &errs.Error{Code: errs.Invalid, Message: fmt.Sprintf("%d row errors; nothing was imported", len(r.Errors))}
	for _, re := range r.Errors {
		e.Fields = append(e.Fields, errs.FieldError{Field: fmt.Sprintf("line[%d].%s", re.Line, re.Field), Message: re.Message})
	}
	return e
}

// parseImport validates every row; lines[i] is the file line of stalls[i].
func (s *Service) parseImport(ctx context.Context, m *market.Market, r io.Reader, progress func(int)) (stalls []market.Stall, lines []int, res *ImportResult, err error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if err != nil {
		return nil, nil, nil, errs.Field("file", "cannot read the CSV header: "+csvMsg(err))
	}
	col := map[string]int{}
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
		if !slices.Contains(ImportColumns, h) {
			return nil, nil, nil, errs.Field("file", fmt.Sprintf("unknown column %q; expected %s", h, strings.Join(ImportColumns, ",")))
		}
		if _, dup := col[h]; dup {
			return nil, nil, nil, errs.Field("file", fmt.Sprintf("column %q appears twice", h))
		}
		col[h] = i
	}
	for _, c := range ImportColumns[:6] {
		if _, ok := col[c]; !ok {
			return nil, nil, nil, errs.Field("file", fmt.Sprintf("missing column %q", c))
		}
	}
	get := func(rec []string, c string) string {
		if i, ok := col[c]; ok && i < len(rec) {
			return rec[i]
		}
		return ""
	}
	now := s.now()
	res = &ImportResult{}
	seen := map[string]int{}
	owners := map[string]string{}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			line := 0
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				line = pe.StartLine
			}
			res.Errors = append(res.Errors, RowError{Line: line, Field: "file", Message: csvMsg(err)})
			break
		}
		// The reader skips blank lines and quoted fields may span lines, so
		// the record's own position is the line a person sees in the file.
		line, _ := cr.FieldPos(0)
		if len(rec) != len(header) {
			res.Errors = append(res.Errors, RowError{Line: line, Field: "file", Message: fmt.Sprintf("has %d fields, header has %d", len(rec), len(header))})
			continue
		}
		res.Rows++
		if res.Rows > MaxImportRows {
			return nil, nil, nil, errs.Field("file", fmt.Sprintf("at most %d rows per import", MaxImportRows))
		}
		st := market.Stall{ID: newID(), MarketID: m.ID, DistrictID: m.DistrictID, StallNumber: get(rec, "stall_number"),
			Name: get(rec, "name"), Category: get(rec, "category"), BankBIN: get(rec, "bank_bin"),
			AccountNumber: get(rec, "account_number"), AccountName: get(rec, "account_name"),
			Status: market.StallActive, CreatedAt: now, UpdatedAt: now}
		if err := st.Validate(); err != nil {
			var e *errs.Error
			errors.As(err, &e)
			for _, f := range e.Fields {
				res.Errors = append(res.Errors, RowError{Line: line, Field: f.Field, Message: f.Message})
			}
			continue
		}
		if first, dup := seen[st.StallNumber]; dup {
			res.Errors = append(res.Errors, RowError{Line: line, Field: "stall_number", Message: fmt.Sprintf("duplicates line %d", first)})
			continue
		}
		seen[st.StallNumber] = line
		if p := strings.TrimSpace(get(rec, "owner_phone")); p != "" {
			id, msg, err := s.importOwner(ctx, owners, p)
			if err != nil {
				return nil, nil, nil, err
			}
			if msg != "" {
				res.Errors = append(res.Errors, RowError{Line: line, Field: "owner_phone", Message: msg})
				continue
			}
			st.OwnerID = id
		}
		stalls = append(stalls, st)
		lines = append(lines, line)
		if progress != nil && res.Rows%500 == 0 {
			progress(res.Rows)
		}
	}
	return stalls, lines, res, nil
}

// importOwner resolves an owner_phone to a vendor's id; msg explains a row
// problem, err is a failure of the database (not the row's fault).
func (s *Service) importOwner(ctx context.Context, cache map[string]string, phone string) (id, msg string, err error) {
	norm, ok := market.NormalizePhone(phone)
	if !ok {
		return "", "must be a Vietnamese mobile number", nil
	}
	if id, ok := cache[norm]; ok {
		return id, "", nil
	}
	u, err := s.store.Read().UserByPhone(ctx, norm)
	if errs.Is(err, errs.NotFound) || err == nil && u.Role != market.RoleVendor {
		return "", "no vendor account with this phone number", nil
	} else if err != nil {
		return "", "", err
	}
	cache[norm] = u.ID
	return u.ID, "", nil
}

func csvMsg(err error) string {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}
