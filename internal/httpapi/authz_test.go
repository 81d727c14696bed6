package httpapi_test

import (
	"fmt"
	"slices"
	"testing"

	"github.com/market4/market4/internal/httpapi"
	"github.com/market4/market4/internal/market"
	"github.com/market4/market4/internal/store"
	"github.com/market4/market4/internal/store/storetest"
)

// matrixCase is one endpoint of the authorization matrix: prep builds a
// fresh target for each caller (so one caller's success cannot change what
// the next one sees) and want is the exact status per role, in the order
// of roles: anonymous, vendor A, vendor B, staff of district 1, staff of
// district 2, admin, and a well-formed but unknown token.
type matrixCase struct {
	op   string // "METHOD /spec/path"
	prep func(t *testing.T, a *api, w *world, role string) req
	want [7]int
	// stall, when set, names the stall a refused call must leave unchanged.
	stall func(r req) string
}

// authzElsewhere maps API routes whose role-by-role statuses are asserted
// by another test to that test's name, for domains with their own matrix.
// Every other API route must have a row in matrixCases.
var authzElsewhere = map[string]string{}

var seq int

func next() int { seq++; return seq }

func matrixCases() []matrixCase {
	get := func(path string) func(*testing.T, *api, *world, string) req {
		return func(*testing.T, *api, *world, string) req { return req{method: "GET", path: path} }
	}
	stallTarget := func(r req) string { return r.target }
	target := func(r req, id string) req { r.target = id; return r }

	return []matrixCase{
		{op: "GET /healthz", prep: get("/healthz"), want: [7]int{200, 200, 200, 200, 200, 200, 200}},
		{op: "GET /readyz", prep: get("/readyz"), want: [7]int{200, 200, 200, 200, 200, 200, 200}},
		{op: "GET /metrics", prep: get("/metrics"), want: [7]int{200, 200, 200, 200, 200, 200, 200}},
		{op: "GET /openapi.yaml", prep: get("/openapi.yaml"), want: [7]int{200, 200, 200, 200, 200, 200, 200}},

		{op: "POST /v1/auth/register", want: [7]int{201, 201, 201, 201, 201, 201, 401},
			prep: func(_ *testing.T, _ *api, _ *world, _ string) req {
				return req{method: "POST", path: "/v1/auth/register", json: map[string]string{
					"phone": fmt.Sprintf("0977%06d", next()), "password": "a good password", "name": "Người mới"}}
			}},
		{op: "POST /v1/auth/login", want: [7]int{200, 200, 200, 200, 200, 200, 401},
			prep: func(_ *testing.T, _ *api, w *world, _ string) req {
				return req{method: "POST", path: "/v1/auth/login", json: map[string]string{"phone": w.users["vendorB"].Phone, "password": worldPassword}}
			}},
		{op: "POST /v1/auth/logout", want: [7]int{401, 204, 204, 204, 204, 204, 401},
			prep: func(t *testing.T, a *api, w *world, role string) req {
				r := req{method: "POST", path: "/v1/auth/logout"}
				if _, ok := w.users[role]; ok {
					r.token = w.login(t, a, role) // a session of its own, not the matrix's
				}
				return r
			}},
		{op: "GET /v1/me", prep: get("/v1/me"), want: [7]int{401, 200, 200, 200, 200, 200, 401}},

		{op: "GET /v1/districts", prep: get("/v1/districts"), want: [7]int{200, 200, 200, 200, 200, 200, 401}},
		{op: "POST /v1/districts", want: [7]int{401, 403, 403, 403, 403, 201, 401},
			prep: func(*testing.T, *api, *world, string) req {
				return req{method: "POST", path: "/v1/districts", json: map[string]string{"name": fmt.Sprintf("Quận %d", next()), "province": "Cần Thơ"}}
			}},
		{op: "GET /v1/districts/{id}", want: [7]int{200, 200, 200, 200, 200, 200, 401},
			prep: func(_ *testing.T, _ *api, w *world, _ string) req {
				return req{method: "GET", path: "/v1/districts/" + w.d1.ID}
			}},

		{op: "GET /v1/markets", prep: get("/v1/markets"), want: [7]int{200, 200, 200, 200, 200, 200, 401}},
		{op: "POST /v1/markets", want: [7]int{401, 403, 403, 403, 403, 201, 401},
			prep: func(_ *testing.T, _ *api, w *world, _ string) req {
				return req{method: "POST", path: "/v1/markets", json: map[string]string{"district_id": w.d1.ID, "name": fmt.Sprintf("Chợ %d", next())}}
			}},
		{op: "GET /v1/markets/{id}", want: [7]int{200, 200, 200, 200, 200, 200, 401},
			prep: func(_ *testing.T, _ *api, w *world, _ string) req {
				return req{method: "GET", path: "/v1/markets/" + w.m1.ID}
			}},
		{op: "POST /v1/markets/{id}/stalls/import", want: [7]int{401, 403, 403, 201, 403, 201, 401},
			prep: func(_ *testing.T, _ *api, w *world, _ string) req {
				n := next()
				csv := "stall_number,name,category,bank_bin,account_number,account_name\n" +
					fmt.Sprintf("I%d,Sạp nhập %d,meat,970418,2201234567,TRAN VAN LOC\n", n, n)
				return req{method: "POST", path: "/v1/markets/" + w.m1.ID + "/stalls/import", raw: &csv, ctype: "text/csv"}
			}},

		{op: "GET /v1/stalls", prep: get("/v1/stalls"), want: [7]int{401, 200, 200, 200, 200, 200, 401}},
		{op: "POST /v1/stalls", want: [7]int{401, 201, 201, 403, 403, 403, 401},
			prep: func(_ *testing.T, _ *api, w *world, _ string) req {
				return req{method: "POST", path: "/v1/stalls", json: stallRequest(w.m1.ID, fmt.Sprintf("N%d", next()))}
			}},
		// Vendor A's stall in district 1: vendor B and staff of district 2
		// cannot even learn it exists (404); staff of district 1 may read it
		// but not edit it (403).
		{op: "GET /v1/stalls/{id}", want: [7]int{401, 200, 404, 200, 404, 200, 401},
			prep: func(t *testing.T, a *api, w *world, _ string) req {
				s := w.stall(t, a, "vendorA", w.m1, fmt.Sprintf("G%d", next()), market.StallPending)
				return req{method: "GET", path: "/v1/stalls/" + s.ID}
			}},
		{op: "PATCH /v1/stalls/{id}", want: [7]int{401, 200, 404, 403, 404, 200, 401}, stall: stallTarget,
			prep: func(t *testing.T, a *api, w *world, _ string) req {
				s := w.stall(t, a, "vendorA", w.m1, fmt.Sprintf("P%d", next()), market.StallActive)
				return target(req{method: "PATCH", path: "/v1/stalls/" + s.ID, json: map[string]string{"name": "Đổi tên", "account_number": "999888777"}}, s.ID)
			}},
		{op: "POST /v1/stalls/{id}/approve", want: [7]int{401, 403, 404, 200, 404, 200, 401}, stall: stallTarget,
			prep: func(t *testing.T, a *api, w *world, _ string) req {
				s := w.stall(t, a, "vendorA", w.m1, fmt.Sprintf("A%d", next()), market.StallPending)
				return target(req{method: "POST", path: "/v1/stalls/" + s.ID + "/approve"}, s.ID)
			}},
		{op: "POST /v1/stalls/{id}/suspend", want: [7]int{401, 403, 404, 200, 404, 200, 401}, stall: stallTarget,
			prep: func(t *testing.T, a *api, w *world, _ string) req {
				s := w.stall(t, a, "vendorA", w.m1, fmt.Sprintf("S%d", next()), market.StallActive)
				return target(req{method: "POST", path: "/v1/stalls/" + s.ID + "/suspend"}, s.ID)
			}},
		{op: "GET /v1/stalls/{id}/qr", want: [7]int{200, 200, 200, 200, 200, 200, 401},
			prep: func(t *testing.T, a *api, w *world, _ string) req {
				s := w.stall(t, a, "vendorA", w.m1, fmt.Sprintf("Q%d", next()), market.StallActive)
				return req{method: "GET", path: "/v1/stalls/" + s.ID + "/qr"}
			}},
		{op: "GET /v1/stalls/{id}/qr.png", want: [7]int{200, 200, 200, 200, 200, 200, 401},
			prep: func(t *testing.T, a *api, w *world, _ string) req {
				s := w.stall(t, a, "vendorA", w.m1, fmt.Sprintf("Q%d", next()), market.StallActive)
				return req{method: "GET", path: "/v1/stalls/" + s.ID + "/qr.png?size=128"}
			}},
		{op: "GET /v1/stalls/{id}/qr.svg", want: [7]int{200, 200, 200, 200, 200, 200, 401},
			prep: func(t *testing.T, a *api, w *world, _ string) req {
				s := w.stall(t, a, "vendorA", w.m1, fmt.Sprintf("Q%d", next()), market.StallActive)
				return req{method: "GET", path: "/v1/stalls/" + s.ID + "/qr.svg"}
			}},
		{op: "GET /v1/stalls/{id}/poster.pdf", want: [7]int{200, 200, 200, 200, 200, 200, 401},
			prep: func(t *testing.T, a *api, w *world, _ string) req {
				s := w.stall(t, a, "vendorA", w.m1, fmt.Sprintf("Q%d", next()), market.StallActive)
				return req{method: "GET", path: "/v1/stalls/" + s.ID + "/poster.pdf"}
			}},

		{op: "GET /v1/banks", prep: get("/v1/banks"), want: [7]int{200, 200, 200, 200, 200, 200, 401}},
		{op: "POST /v1/vietqr/encode", want: [7]int{200, 200, 200, 200, 200, 200, 401},
			prep: func(*testing.T, *api, *world, string) req {
				return req{method: "POST", path: "/v1/vietqr/encode", json: map[string]string{"bin": "970436", "account_number": "0071000123456", "amount": "50000"}}
			}},
		{op: "POST /v1/vietqr/decode", want: [7]int{200, 200, 200, 200, 200, 200, 401},
			prep: func(*testing.T, *api, *world, string) req {
				return req{method: "POST", path: "/v1/vietqr/decode", json: map[string]string{
					"payload": "00020101021138570010A00000072701270006970436011300710001234560208QRIBFTTA53037045802VN6304F00E"}}
			}},
	}
}

// TestAuthorizationMatrix calls every endpoint as every kind of caller and
// asserts the exact status; refused calls must change nothing.
func TestAuthorizationMatrix(t *testing.T) {
	cases := matrixCases()
	// The table covers every route of the API but those whose domain has
	// a matrix of its own (authzElsewhere).
	var covered []string
	for _, c := range cases {
		covered = append(covered, c.op)
	}
	routes := ginRoutes(t)
	for _, r := range routes {
		_, elsewhere := authzElsewhere[r]
		if apiRoute(r) && !slices.Contains(covered, r) && !slices.Contains(notYetSpecified, r) && !elsewhere {
			t.Errorf("route %s is missing from the authorization matrix (add a row to matrixCases, or name the test that covers it in authzElsewhere)", r)
		}
	}
	for r, test := range authzElsewhere {
		if slices.Contains(covered, r) || !slices.Contains(routes, r) {
			t.Errorf("authzElsewhere[%q] (%s): the route is in the matrix or no longer served", r, test)
		}
	}

	storetest.Each(t, func(t *testing.T, st *store.Store) {
		a := newAPI(t, st, httpapi.Options{}, nil)
		runMatrix(t, a, newWorld(t, a), st, cases, nil)
	})
}

// runMatrix calls every case as every role, asserting the exact status;
// a refused call must change no row (counts), nothing snapshot sees (when
// given) and, when the case names a stall, not that stall. Every
// operation listed must have gone through the contract.
func runMatrix(t *testing.T, a *api, w *world, st *store.Store, cases []matrixCase, snapshot func(*testing.T) string) {
	t.Helper()
	if snapshot == nil {
		snapshot = func(*testing.T) string { return "" }
	}
	for _, c := range cases {
		t.Run(c.op, func(t *testing.T) {
			for i, role := range roles {
				r := c.prep(t, a, w, role)
				if r.token == "" && role != "anonymous" {
					r.token = w.tokens[role]
				}
				var before map[string]int
				var stallBefore *market.Stall
				if c.stall != nil {
					stallBefore, _ = st.Read().StallByID(bg, c.stall(r), false)
				}
				before = counts(t, st)
				snap := snapshot(t)
				got := a.do(r)
				if got.status != c.want[i] {
					t.Errorf("%s: status %d, want %d; body %s", role, got.status, c.want[i], clip(got.body))
					continue
				}
				if got.status >= 400 {
					if after := counts(t, st); !sameCounts(before, after) {
						t.Errorf("%s: refused with %d but rows changed: %v → %v", role, got.status, before, after)
					}
					if snapshot(t) != snap {
						t.Errorf("%s: refused with %d but the data changed", role, got.status)
					}
					if stallBefore != nil {
						if after, _ := st.Read().StallByID(bg, stallBefore.ID, false); *after != *stallBefore {
							t.Errorf("%s: refused with %d but the stall changed: %+v → %+v", role, got.status, *stallBefore, *after)
						}
					}
				}
			}
		})
	}
	// The matrix really exercised every operation it lists, through the contract.
	for _, c := range cases {
		if a.ct.ops[c.op] == 0 {
			t.Errorf("%s was never validated against the contract", c.op)
		}
	}
}

// TestStallListsAreScoped checks what each role sees in GET /v1/stalls, and
// that query filters cannot widen it.
func TestStallListsAreScoped(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		a := newAPI(t, st, httpapi.Options{}, nil)
		w := newWorld(t, a)
		a1 := w.stall(t, a, "vendorA", w.m1, "A1", market.StallActive)
		a2 := w.stall(t, a, "vendorA", w.m2, "A2", market.StallPending)
		b1 := w.stall(t, a, "vendorB", w.m1, "B1", market.StallSuspended)
		b2 := w.stall(t, a, "vendorB", w.m2, "B2", market.StallActive)
		ids := func(path, role string) []string {
			var l listJSON[stallJSON]
			a.do(req{method: "GET", path: path, token: w.tokens[role]}).want(t, 200).decode(t, &l)
			var out []string
			for _, s := range l.Items {
				out = append(out, s.ID)
			}
			return out
		}
		for _, tt := range []struct {
			role, path string
			want       []string
		}{
			{"vendorA", "/v1/stalls", []string{a1.ID, a2.ID}},
			{"vendorB", "/v1/stalls", []string{b1.ID, b2.ID}},
			{"vendorB", "/v1/stalls?market_id=" + w.m1.ID, []string{b1.ID}},
			{"staff1", "/v1/stalls", []string{a1.ID, b1.ID}},
			{"staff2", "/v1/stalls", []string{a2.ID, b2.ID}},
			{"staff2", "/v1/stalls?market_id=" + w.m1.ID, nil},
			{"staff1", "/v1/stalls?district_id=" + w.d1.ID + "&status=suspended", []string{b1.ID}},
			{"admin", "/v1/stalls", []string{a1.ID, a2.ID, b1.ID, b2.ID}},
			{"admin", "/v1/stalls?status=active", []string{a1.ID, b2.ID}},
			{"admin", "/v1/stalls?district_id=" + w.d2.ID + "&status=pending", []string{a2.ID}},
		} {
			if got := ids(tt.path, tt.role); !slices.Equal(got, tt.want) {
				t.Errorf("%s GET %s = %v, want %v", tt.role, tt.path, got, tt.want)
			}
		}
		a.do(req{method: "GET", path: "/v1/stalls?district_id=" + w.d2.ID, token: w.tokens["staff1"]}).wantProblem(t, 403, "forbidden")
	})
}
