package app_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/market4/market4/internal/app"
	"github.com/market4/market4/internal/errs"
	"github.com/market4/market4/internal/market"
	"github.com/market4/market4/internal/store"
	"github.com/market4/market4/internal/store/storetest"
)

const importHeader = "stall_number,name,category,bank_bin,account_number,account_name,owner_phone\n"

// csvRows builds n valid rows numbered C001…; edit may change row i's
// fields (stall_number, name, category, bank_bin, account_number,
// account_name, owner_phone).
func csvRows(n int, edit func(i int, f []string)) string {
	var b strings.Builder
	b.WriteString(importHeader)
	for i := range n {
		f := []string{fmt.Sprintf("C%03d", i+1), fmt.Sprintf("Sạp số %d", i+1), market.Categories[i%len(market.Categories)],
			"970436", fmt.Sprintf("00710001%05d", i), "Nguyễn Văn Một", ""}
		if edit != nil {
			edit(i, f)
		}
		b.WriteString(strings.Join(f, ",") + "\n")
	}
	return b.String()
}

func (e *regEnv) importCSV(a market.Actor, m *market.Market, csv string) (*app.ImportResult, error) {
	return e.svc.ImportStalls(bg, a, m.ID, strings.NewReader(csv), nil)
}

// rowErrs renders row errors as "line:field" for comparison.
func rowErrs(res *app.ImportResult) []string {
	if res == nil {
		return nil
	}
	var out []string
	for _, r := range res.Errors {
		out = append(out, fmt.Sprintf("%d:%s", r.Line, r.Field))
	}
	return out
}

func TestImportHappyPath(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newRegEnv(t, st, nil)
		data := csvRows(10, func(i int, f []string) {
			if i == 3 {
				f[6] = "0912 000 001" // vendor A, another spelling
			}
		})
		var progress []int
		res, err := e.svc.ImportStalls(bg, e.staff1, e.m1.ID, strings.NewReader(data), func(n int) { progress = append(progress, n) })
		if err != nil {
			t.Fatal(err)
		}
		if res.Rows != 10 || res.Created != 10 || len(res.Errors) != 0 {
			t.Fatalf("result = %+v", res)
		}
		if !slices.Equal(progress, []int{10}) {
			t.Fatalf("progress = %v, want [10]", progress)
		}
		list := mustOK(e.svc.ListStalls(bg, e.admin, app.StallFilter{MarketID: e.m1.ID}))(t)
		if len(list) != 10 {
			t.Fatalf("%d stalls in the market, want 10", len(list))
		}
		for i, s := range list {
			if s.Status != market.StallActive || s.DistrictID != e.d1.ID || s.StallNumber != fmt.Sprintf("C%03d", i+1) ||
				s.AccountName != "NGUYEN VAN MOT" || s.Category != market.Categories[i%len(market.Categories)] {
				t.Errorf("row %d stored as %+v", i+2, s)
			}
			wantOwner := ""
			if i == 3 {
				wantOwner = e.vendorA.UserID
			}
			if s.OwnerID != wantOwner {
				t.Errorf("row %d owner = %q, want %q", i+2, s.OwnerID, wantOwner)
			}
		}
		// Vendor A now sees the stall the import gave them, and it can take payments.
		mine := mustOK(e.svc.ListStalls(bg, e.vendorA, app.StallFilter{}))(t)
		if len(mine) != 1 || mine[0].StallNumber != "C004" {
			t.Fatalf("vendor A's stalls = %+v", mine)
		}
		if _, err := e.svc.PublicStall(bg, mine[0].ID); err != nil {
			t.Fatalf("imported stall is not public: %v", err)
		}
	})
}

func TestImportIsAllOrNothing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newRegEnv(t, st, nil)
		data := csvRows(50, func(i int, f []string) {
			if i == 25 { // file line 27
				f[3] = "999999"
			}
		})
		res, err := e.importCSV(e.admin, e.m1, data)
		expectErr(t, err, errs.Invalid, "line[27].bank_bin")
		if got := rowErrs(res); !slices.Equal(got, []string{"27:bank_bin"}) || res.Created != 0 || res.Rows != 50 {
			t.Fatalf("result = %+v (%v)", res, got)
		}
		if n := rows(t, st, "stalls"); n != 0 {
			t.Fatalf("%d stalls written by a refused import", n)
		}

		// Every bad row is reported at once, not just the first.
		data = csvRows(6, func(i int, f []string) {
			switch i {
			case 1:
				f[0] = "" // line 3
			case 2:
				f[2], f[4] = "guns", "1234567890123456789012" // line 4
			case 4:
				f[6] = "0243826123" // line 6: landline
			case 5:
				f[6] = "0912000003" // line 7: staff, not a vendor
			}
		})
		res, err = e.importCSV(e.admin, e.m1, data)
		e2 := expectErr(t, err, errs.Invalid)
		want := []string{"3:stall_number", "4:category", "4:account_number", "6:owner_phone", "7:owner_phone"}
		if got := rowErrs(res); !slices.Equal(got, want) {
			t.Fatalf("row errors = %v, want %v", got, want)
		}
		if len(e2.Fields) != 5 || e2.Fields[0].Field != "line[3].stall_number" {
			t.Fatalf("problem fields = %+v", e2.Fields)
		}
		if n := rows(t, st, "stalls"); n != 0 {
			t.Fatalf("%d stalls written", n)
		}
	})
}

func TestImportDuplicates(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newRegEnv(t, st, nil)
		// Within the file, compared after normalising (c002 is C002).
		data := csvRows(5, func(i int, f []string) {
			if i == 4 {
				f[0] = " c002 "
			}
		})
		res, err := e.importCSV(e.staff1, e.m1, data)
		expectErr(t, err, errs.Invalid, "line[6].stall_number")
		if res.Errors[0].Message != "duplicates line 3" {
			t.Fatalf("message = %q", res.Errors[0].Message)
		}

		// Against stalls already in the market: every clash is reported with
		// its line and nothing is written.
		e.stall(t, e.vendorA, e.m1, "C003", market.StallPending)
		e.stall(t, e.vendorA, e.m1, "C005", market.StallActive)
		e.stall(t, e.vendorA, e.m2, "C001", market.StallActive) // other market: no clash
		before := rows(t, st, "stalls")
		res, err = e.importCSV(e.staff1, e.m1, csvRows(6, nil))
		expectErr(t, err, errs.Invalid, "line[4].stall_number", "line[6].stall_number")
		if res.Errors[0].Message != "already exists in this market" {
			t.Fatalf("message = %q", res.Errors[0].Message)
		}
		if rows(t, st, "stalls") != before {
			t.Fatal("stalls written despite clashes")
		}
	})
}

func TestImportFileStructure(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newRegEnv(t, st, nil)
		row := "A01,Rau,vegetables,970436,0071000123456,NGUYEN THI BA\n"
		for _, tt := range []struct {
			name    string
			csv     string
			created int
			errMsg  string   // substring of the file-level message
			rowErrs []string // line:field
		}{
			{"BOM before the header", "\ufeffstall_number,name,category,bank_bin,account_number,account_name\n" + row, 1, "", nil},
			{"columns in any order and case", "Account_Name,bank_bin, STALL_NUMBER ,category,name,account_number\nNGUYEN THI BA,970436,A01,vegetables,Rau,0071000123456\n", 1, "", nil},
			{"owner_phone column is optional", "stall_number,name,category,bank_bin,account_number,account_name\n" + row, 1, "", nil},
			{"CRLF line endings", strings.ReplaceAll(importHeader+"A01,Rau,vegetables,970436,0071000123456,NGUYEN THI BA,\n", "\n", "\r\n"), 1, "", nil},
			{"header only", importHeader, 0, "", nil},
			{"empty file", "", 0, "cannot read the CSV header", nil},
			{"unknown column", "stall_number,name,category,bank_bin,account_number,account_name,iban\n", 0, `unknown column "iban"`, nil},
			{"missing column", "stall_number,name,category,bank_bin,account_number\n", 0, `missing column "account_name"`, nil},
			{"column twice", "stall_number,name,name,category,bank_bin,account_number,account_name\n", 0, `column "name" appears twice`, nil},
			{"row with too few fields", importHeader + "A01,Rau\n", 0, "", []string{"2:file"}},
			{"bare quote", importHeader + "A01,Ra\"u,vegetables,970436,0071000123456,X,\n", 0, "", []string{"2:file"}},
			// Blank lines and quoted line breaks do not shift the lines reported.
			{"lines are file lines", importHeader + "\n" + "A01,\"Rau\nsạch\",vegetables,970436,0071000123456,X,\n\n" + "A02,Rau,vegetables,999999,0071000123456,X,\n", 0, "",
				[]string{"3:name", "6:bank_bin"}},
		} {
			t.Run(tt.name, func(t *testing.T) {
				mk := mustOK(e.svc.CreateMarket(bg, e.admin, market.Market{DistrictID: e.d1.ID, Name: "Chợ " + tt.name}))(t)
				res, err := e.importCSV(e.admin, mk, tt.csv)
				switch {
				case tt.errMsg != "":
					ee := expectErr(t, err, errs.Invalid, "file")
					if !strings.Contains(ee.Message, tt.errMsg) {
						t.Fatalf("message %q does not contain %q", ee.Message, tt.errMsg)
					}
				case tt.rowErrs != nil:
					expectErr(t, err, errs.Invalid)
					if got := rowErrs(res); !slices.Equal(got, tt.rowErrs) {
						t.Fatalf("row errors = %v, want %v", got, tt.rowErrs)
					}
				default:
					if err != nil {
						t.Fatal(err)
					}
					if res.Created != tt.created {
						t.Fatalf("created %d, want %d", res.Created, tt.created)
					}
				}
				if n := len(mustOK(e.svc.ListStalls(bg, e.admin, app.StallFilter{MarketID: mk.ID}))(t)); n != tt.created {
					t.Fatalf("%d stalls in the market, want %d", n, tt.created)
				}
			})
		}
	})
}

func TestImportAccess(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newRegEnv(t, st, nil)
		for name, a := range map[string]market.Actor{"anonymous": {}, "vendor": e.vendorA, "staff of another district": e.staff2} {
			_, err := e.importCSV(a, e.m1, csvRows(1, nil))
			if !errs.Is(err, errs.Forbidden) {
				t.Errorf("%s: err = %v, want Forbidden", name, err)
			}
		}
		_, err := e.svc.ImportStalls(bg, e.admin, "no-such-market", strings.NewReader(csvRows(1, nil)), nil)
		expectErr(t, err, errs.NotFound)
		if n := rows(t, st, "stalls"); n != 0 {
			t.Fatalf("%d stalls written", n)
		}
		if res, err := e.importCSV(e.staff1, e.m1, csvRows(2, nil)); err != nil || res.Created != 2 {
			t.Fatalf("staff of the district: %+v, %v", res, err)
		}
		if res, err := e.importCSV(e.admin, e.m2, csvRows(2, nil)); err != nil || res.Created != 2 {
			t.Fatalf("admin: %+v, %v", res, err)
		}
	})
}

func TestImportRowLimit(t *testing.T) {
	st := storetest.Open(t, store.SQLite)
	e := newRegEnv(t, st, nil)
	_, err := e.importCSV(e.admin, e.m1, csvRows(app.MaxImportRows+1, func(i int, f []string) { f[0] = fmt.Sprintf("R%05d", i) }))
	ee := expectErr(t, err, errs.Invalid, "file")
	if !strings.Contains(ee.Message, "at most 20000 rows") {
		t.Fatalf("message = %q", ee.Message)
	}
}
