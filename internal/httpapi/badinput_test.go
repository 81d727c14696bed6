package httpapi_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/market4/market4/internal/httpapi"
	"github.com/market4/market4/internal/market"
	"github.com/market4/market4/internal/store"
	"github.com/market4/market4/internal/store/storetest"
)

// TestBadInput sends malformed and rule-breaking requests. Each must get a
// precise 4xx problem naming the field at fault (never a 500), and must
// leave the database as it was.
func TestBadInput(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		a := newAPI(t, st, httpapi.Options{}, nil)
		w := newWorld(t, a)
		taken := w.stall(t, a, "vendorA", w.m1, "T01", market.StallActive)
		takenBefore, _ := st.Read().StallByID(bg, taken.ID, false) // as stored (PostgreSQL keeps microseconds)
		vendor, staff, admin := w.tokens["vendorA"], w.tokens["staff1"], w.tokens["admin"]
		reg := func(body string) req { return req{method: "POST", path: "/v1/auth/register", raw: raw(body)} }
		stall := func(edit func(map[string]any)) req {
			b := stallRequest(w.m1.ID, "X01")
			edit(b)
			return req{method: "POST", path: "/v1/stalls", token: vendor, json: b}
		}
		imp := func(csv string) req {
			return req{method: "POST", path: "/v1/markets/" + w.m1.ID + "/stalls/import", token: staff, raw: raw(csv), ctype: "text/csv"}
		}
		const csvHeader = "stall_number,name,category,bank_bin,account_number,account_name\n"

		for _, tt := range []struct {
			name   string
			r      req
			status int
			code   string
			fields []string
			detail string // substring of the detail, when it matters
		}{
			{"truncated JSON", reg(`{"phone": "0987654321",`), 422, "invalid", []string{"body"}, "truncated"},
			{"not JSON", reg(`{"phone" "0987654321"}`), 422, "invalid", []string{"body"}, "not valid JSON"},
			{"unknown field", reg(`{"phone":"0987654321","password":"long enough","name":"A","role":"admin"}`), 422, "invalid", []string{"role"}, "not a known field"},
			{"number for a string", reg(`{"phone":987654321,"password":"long enough","name":"A"}`), 422, "invalid", []string{"phone"}, "must be a JSON string"},
			{"boolean for a string", reg(`{"phone":"0987654321","password":true,"name":"A"}`), 422, "invalid", []string{"password"}, "must be a JSON string"},
			{"empty body", reg(``), 422, "invalid", []string{"body"}, "empty"},
			{"array body", reg(`[]`), 422, "invalid", []string{"body"}, "must be a JSON object"},
			{"two objects", reg(`{} {}`), 422, "invalid", []string{"body"}, "exactly one JSON object"},
			{"null body", reg(`null`), 422, "invalid", []string{"phone", "password", "name"}, ""},
			{"text/plain", req{method: "POST", path: "/v1/auth/register", raw: raw(`{}`), ctype: "text/plain"}, 415, "unsupported_media_type", []string{"Content-Type"}, ""},
			{"form post", req{method: "POST", path: "/v1/auth/login", raw: raw(`phone=1&password=2`), ctype: "application/x-www-form-urlencoded"}, 415, "unsupported_media_type", []string{"Content-Type"}, ""},
			{"invalid phone", reg(`{"phone":"0243 826 1234","password":"long enough","name":"A"}`), 422, "invalid", []string{"phone"}, ""},
			{"short password", reg(`{"phone":"0987654321","password":"short","name":"A"}`), 422, "invalid", []string{"password"}, "8–128"},
			{"phone taken", reg(`{"phone":"+84 901 000 001","password":"long enough","name":"A"}`), 409, "conflict", []string{"phone"}, ""},
			{"login with a bad phone", req{method: "POST", path: "/v1/auth/login", json: map[string]string{"phone": "12", "password": "x"}}, 422, "invalid", []string{"phone"}, ""},
			{"login with a wrong password", req{method: "POST", path: "/v1/auth/login", json: map[string]string{"phone": "0901000001", "password": "wrong password"}}, 401, "unauthenticated", []string{}, "wrong phone number or password"},

			{"unknown BIN", stall(func(b map[string]any) { b["bank_bin"] = "999999" }), 422, "invalid", []string{"bank_bin"}, ""},
			{"account number too long", stall(func(b map[string]any) { b["account_number"] = "12345678901234567890" }), 422, "invalid", []string{"account_number"}, ""},
			{"duplicate stall number", stall(func(b map[string]any) { b["stall_number"] = "t01" }), 409, "conflict", []string{"stall_number"}, ""},
			{"stall number as a number", stall(func(b map[string]any) { b["stall_number"] = 12 }), 422, "invalid", []string{"stall_number"}, ""},
			{"unknown market", stall(func(b map[string]any) { b["market_id"] = "0190c4f5-7d1e-7c3a-9d1b-2f6f1f0e5a11" }), 422, "invalid", []string{"market_id"}, ""},
			{"empty stall", req{method: "POST", path: "/v1/stalls", token: vendor, raw: raw(`{}`)}, 422, "invalid",
				[]string{"market_id", "stall_number", "name", "category", "bank_bin", "account_number", "account_name"}, "7 fields are invalid"},
			{"patch with an unknown field", req{method: "PATCH", path: "/v1/stalls/" + taken.ID, token: vendor, raw: raw(`{"status":"active"}`)}, 422, "invalid", []string{"status"}, ""},
			{"patch into another market", req{method: "PATCH", path: "/v1/stalls/" + taken.ID, token: vendor, json: map[string]string{"market_id": w.m2.ID}}, 422, "invalid", []string{"market_id"}, ""},
			{"patch onto a bad category", req{method: "PATCH", path: "/v1/stalls/" + taken.ID, token: vendor, json: map[string]string{"category": "weapons"}}, 422, "invalid", []string{"category"}, ""},

			{"empty district", req{method: "POST", path: "/v1/districts", token: admin, json: map[string]string{}}, 422, "invalid", []string{"name", "province"}, ""},
			{"duplicate district", req{method: "POST", path: "/v1/districts", token: admin, json: map[string]string{"name": "Vị Thủy", "province": "Hậu Giang"}}, 409, "conflict", []string{"name"}, ""},
			{"market in no district", req{method: "POST", path: "/v1/markets", token: admin, json: map[string]string{"district_id": "nope", "name": "Chợ"}}, 422, "invalid", []string{"district_id"}, ""},

			{"limit 0", req{method: "GET", path: "/v1/districts?limit=0"}, 422, "invalid", []string{"limit"}, ""},
			{"limit 201", req{method: "GET", path: "/v1/markets?limit=201"}, 422, "invalid", []string{"limit"}, ""},
			{"limit not a number", req{method: "GET", path: "/v1/stalls?limit=ten", token: vendor}, 422, "invalid", []string{"limit"}, ""},
			{"negative limit", req{method: "GET", path: "/v1/stalls?limit=-5", token: admin}, 422, "invalid", []string{"limit"}, ""},
			{"unknown stall status", req{method: "GET", path: "/v1/stalls?status=deleted", token: staff}, 422, "invalid", []string{"status"}, ""},
			{"QR size too small", req{method: "GET", path: "/v1/stalls/" + taken.ID + "/qr.png?size=10"}, 422, "invalid", []string{"size"}, ""},
			{"QR size not a number", req{method: "GET", path: "/v1/stalls/" + taken.ID + "/qr.png?size=big"}, 422, "invalid", []string{"size"}, ""},

			// NUL and invalid UTF-8 in ids and cursors: PostgreSQL cannot
			// hold them, which must not surface as a 500.
			{"NUL in a path id", req{method: "GET", path: "/v1/stalls/%00", token: admin}, 404, "not_found", []string{}, ""},
			{"invalid UTF-8 in a path id", req{method: "GET", path: "/v1/stalls/%ff/qr"}, 404, "not_found", []string{}, ""},
			{"NUL in a district id", req{method: "GET", path: "/v1/districts/a%00b"}, 404, "not_found", []string{}, ""},
			{"NUL in an import market id", req{method: "POST", path: "/v1/markets/%00/stalls/import", token: staff, raw: raw(csvHeader), ctype: "text/csv"}, 404, "not_found", []string{}, ""},
			{"NUL in a stall market id", stall(func(b map[string]any) { b["market_id"] = "\x00" }), 422, "invalid", []string{"market_id"}, ""},

			{"encode: fractional amount", req{method: "POST", path: "/v1/vietqr/encode", json: map[string]string{"bin": "970436", "account_number": "1", "amount": "1.5"}}, 422, "invalid", []string{"amount"}, ""},
			{"encode: amount too large", req{method: "POST", path: "/v1/vietqr/encode", json: map[string]string{"bin": "970436", "account_number": "1", "amount": "500000000"}}, 422, "invalid", []string{"amount"}, ""},
			{"encode: amount as a number", req{method: "POST", path: "/v1/vietqr/encode", raw: raw(`{"bin":"970436","account_number":"1","amount":50000}`)}, 422, "invalid", []string{"amount"}, ""},
			{"encode: unknown service", req{method: "POST", path: "/v1/vietqr/encode", json: map[string]string{"bin": "970436", "account_number": "1", "service": "wallet"}}, 422, "invalid", []string{"service"}, ""},
			{"encode: short BIN", req{method: "POST", path: "/v1/vietqr/encode", json: map[string]string{"bin": "9704", "account_number": "1"}}, 422, "invalid", []string{"bin"}, "6 digits"},
			{"encode: account too long", req{method: "POST", path: "/v1/vietqr/encode", json: map[string]string{"bin": "970436", "account_number": "12345678901234567890"}}, 422, "invalid", []string{"account_number"}, ""},
			{"decode: no payload", req{method: "POST", path: "/v1/vietqr/decode", json: map[string]string{}}, 422, "invalid", []string{"payload"}, "required"},
			{"decode: garbage", req{method: "POST", path: "/v1/vietqr/decode", json: map[string]string{"payload": "hello"}}, 422, "invalid", []string{"payload"}, ""},
			{"decode: CRC mismatch", req{method: "POST", path: "/v1/vietqr/decode", json: map[string]string{
				"payload": "00020101021138570010A00000072701270006970436011300710001234560208QRIBFTTA53037045802VN6304F00F"}}, 422, "invalid", []string{"payload"}, "crc_mismatch"},

			{"import as JSON", req{method: "POST", path: "/v1/markets/" + w.m1.ID + "/stalls/import", token: staff, json: map[string]string{}}, 415, "unsupported_media_type", []string{"Content-Type"}, ""},
			{"import with a bad row", imp(csvHeader + "C01,Rau,vegetables,970436,1,X\nC02,Rau,vegetables,999999,1,X\n"), 422, "invalid", []string{"line[3].bank_bin"}, "nothing was imported"},
			{"import with a taken number", imp(csvHeader + "C01,Rau,vegetables,970436,1,X\nt01,Rau,vegetables,970436,1,X\n"), 422, "invalid", []string{"line[3].stall_number"}, ""},
			{"import with an unknown column", imp("stall_number,iban\n"), 422, "invalid", []string{"file"}, "unknown column"},
			{"import into no market", req{method: "POST", path: "/v1/markets/nope/stalls/import", token: staff, raw: raw(csvHeader), ctype: "text/csv"}, 404, "not_found", []string{}, ""},
		} {
			t.Run(tt.name, func(t *testing.T) {
				before := counts(t, st)
				tt.r.invalid = true
				p := a.do(tt.r).wantProblem(t, tt.status, tt.code, tt.fields...)
				if tt.detail != "" && !strings.Contains(p.Detail+" "+fieldMessages(p), tt.detail) {
					t.Errorf("detail %q / messages %q do not mention %q", p.Detail, fieldMessages(p), tt.detail)
				}
				path, _ := url.PathUnescape(strings.SplitN(tt.r.path, "?", 2)[0])
				if p.Instance != strings.ToValidUTF8(path, "\uFFFD") {
					t.Errorf("instance = %q", p.Instance)
				}
				if after := counts(t, st); !sameCounts(before, after) {
					t.Errorf("rows changed: %v → %v", before, after)
				}
			})
		}
		if got, _ := st.Read().StallByID(bg, taken.ID, false); *got != *takenBefore {
			t.Fatalf("refused patches changed the stall: %+v", got)
		}
	})
}

func fieldMessages(p problem) string {
	var out []string
	for _, e := range p.Errors {
		out = append(out, e.Message)
	}
	return strings.Join(out, "; ")
}

// TestOversizeBodies: a body over Options.MaxBodyBytes is a 413 whether the
// client announces its length or streams it, for JSON and for CSV.
func TestOversizeBodies(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		a := newAPI(t, st, httpapi.Options{MaxBodyBytes: 1024, MaxImportBytes: 1024}, nil)
		w := newWorld(t, a)
		big := `{"phone":"0987654321","password":"long enough","name":"` + strings.Repeat("x", 2000) + `"}`
		csv := "stall_number,name,category,bank_bin,account_number,account_name\n" + strings.Repeat("C01,Rau,vegetables,970436,1,X\n", 100)
		importPath := "/v1/markets/" + w.m1.ID + "/stalls/import"
		for _, tt := range []struct {
			name string
			r    req
		}{
			{"JSON with Content-Length", req{method: "POST", path: "/v1/auth/register", raw: &big}},
			{"JSON streamed", req{method: "POST", path: "/v1/auth/register", raw: &big, chunked: true}},
			{"CSV with Content-Length", req{method: "POST", path: importPath, token: w.tokens["staff1"], raw: &csv, ctype: "text/csv"}},
			{"CSV streamed", req{method: "POST", path: importPath, token: w.tokens["staff1"], raw: &csv, ctype: "text/csv", chunked: true}},
		} {
			t.Run(tt.name, func(t *testing.T) {
				before := counts(t, st)
				tt.r.invalid = true
				a.do(tt.r).wantProblem(t, 413, "too_large", []string{}...)
				if after := counts(t, st); !sameCounts(before, after) {
					t.Errorf("rows changed: %v → %v", before, after)
				}
			})
		}
		// A provider notification over 64 KiB is refused whole (413), not
		// truncated into a bad signature.
		hook := `{"id":1,"content":"` + strings.Repeat("x", 70<<10) + `"}`
		r := req{method: "POST", path: "/v1/webhooks/mockbank", raw: &hook, invalid: true}
		a.do(r).wantProblem(t, 413, "too_large")
		r.chunked = true
		a.do(r).wantProblem(t, 413, "too_large")
		// Just under the limit is fine.
		ok := `{"phone":"0987654321","password":"long enough","name":"` + strings.Repeat("x", 90) + `"}`
		a.do(req{method: "POST", path: "/v1/auth/register", raw: &ok, chunked: true}).want(t, 201)
	})
}

// TestGarbageFiltersAreRefused: list filters and cursors that no stored
// value can equal (NUL, invalid UTF-8) are refused at the edge with the
// parameter named — never a 500 from the database — and ids in the path
// with such bytes are simply not found.
func TestGarbageFiltersAreRefused(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		a := newAPI(t, st, httpapi.Options{}, nil)
		w := newWorld(t, a)
		w.stall(t, a, "vendorA", w.m1, "G01", market.StallActive)
		for _, c := range []struct{ path, field string }{
			{"/v1/districts?after=%00", "after"}, {"/v1/districts?after=%ff", "after"}, {"/v1/markets?district_id=%00", "district_id"},
			{"/v1/stalls?market_id=%ff", "market_id"}, {"/v1/stalls?district_id=%00", "district_id"}, {"/v1/stalls?after=%00", "after"},
			{"/v1/transfers?outcome=bogus", "outcome"}, {"/v1/transfers?unreviewed=yes", "unreviewed"},
		} {
			// The contract itself refuses the last two (enums): send them anyway.
			r := a.do(req{method: "GET", path: c.path, token: w.tokens["admin"], invalid: strings.HasPrefix(c.path, "/v1/transfers")}).want(t, 422)
			if !strings.Contains(string(r.body), `"field":"`+c.field+`"`) {
				t.Errorf("GET %s: problem does not name %s: %s", c.path, c.field, r.body)
			}
		}
		for _, p := range []string{"/v1/stalls/%00", "/v1/stalls/%ff", "/v1/districts/a%00b"} {
			a.do(req{method: "GET", path: p, token: w.tokens["admin"]}).want(t, 404)
		}
	})
}
