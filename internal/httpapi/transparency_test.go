package httpapi_test

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/market4/market4/internal/app"
	"github.com/market4/market4/internal/httpapi"
	"github.com/market4/market4/internal/market"
	"github.com/market4/market4/internal/payment"
	"github.com/market4/market4/internal/provider"
	"github.com/market4/market4/internal/store"
	"github.com/market4/market4/internal/store/storetest"
	"github.com/market4/market4/internal/translog"
	"github.com/market4/market4/pkg/money"
)

type reportRowResp struct {
	PeriodStart string  `json:"period_start"`
	GroupID     *string `json:"group_id"`
	Payments    int64   `json:"payments"`
	Amount      string  `json:"amount"`
}

type reportResp struct {
	Scope struct {
		DistrictID *string `json:"district_id"`
	} `json:"scope"`
	Rows  []reportRowResp `json:"rows"`
	Total reportRowResp   `json:"total"`
}

type inclusionResp struct {
	TreeSize   uint64  `json:"tree_size"`
	Checkpoint *string `json:"checkpoint"`
	Leaves     []struct {
		Index    uint64   `json:"index"`
		Leaf     *string  `json:"leaf"`
		LeafHash string   `json:"leaf_hash"`
		Proof    []string `json:"proof"`
	} `json:"leaves"`
}

func unb64(t *testing.T, s string) []byte {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestTransparencyAPI runs the reports and log endpoints through the real
// router, every exchange validated against openapi.yaml.
func TestTransparencyAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		a := newAPI(t, st, httpapi.Options{}, nil)
		w := newWorld(t, a)
		admin := market.Actor{Role: market.RoleAdmin}
		mk := func(m *market.Market, number, account string) *market.Stall {
			s, err := a.svc.CreateStall(bg, w.actor("vendorA"), app.StallInput{MarketID: m.ID, StallNumber: number, Name: "Sạp " + number,
				Category: "vegetables", BankBIN: "970436", AccountNumber: account, AccountName: "Nguyễn Thị Ba"})
			if err != nil {
				t.Fatal(err)
			}
			if s, err = a.svc.SetStallStatus(bg, admin, s.ID, market.StallActive); err != nil {
				t.Fatal(err)
			}
			return s
		}
		s1 := mk(w.m1, "A1", "880000000001")
		s2 := mk(w.m2, "B1", "880000000002")
		var paid []*payment.Payment
		for i, s := range []*market.Stall{s1, s1, s2} {
			_, p, err := a.svc.ConfirmTransfer(bg, provider.Notification{Provider: provider.MockBank, EventID: fmt.Sprintf("API%d", i),
				BankBIN: s.BankBIN, Account: s.AccountNumber, Amount: money.FromDong(int64(10000 * (i + 1))), Incoming: true, Success: true,
				At: time.Now().Add(-time.Minute)}, payment.SourceWebhook)
			if err != nil {
				t.Fatal(err)
			}
			paid = append(paid, p)
		}

		// Reports: staff see their district only.
		var rep reportResp
		a.do(req{method: "GET", path: "/v1/reports?period=range&group_by=stall", token: w.tokens["staff1"]}).want(t, 200).decode(t, &rep)
		if rep.Total.Payments != 2 || rep.Total.Amount != "30000" || *rep.Scope.DistrictID != w.d1.ID || len(rep.Rows) != 1 {
			t.Fatalf("staff1 report: %+v", rep)
		}
		a.do(req{method: "GET", path: "/v1/reports?district_id=" + w.d2.ID, token: w.tokens["staff1"]}).wantProblem(t, 403, "forbidden")
		a.do(req{method: "GET", path: "/v1/reports?market_id=" + w.m2.ID, token: w.tokens["staff1"]}).wantProblem(t, 403, "forbidden")
		a.do(req{method: "GET", path: "/v1/reports?stall_id=" + s2.ID, token: w.tokens["staff1"]}).wantProblem(t, 404, "not_found")
		a.do(req{method: "GET", path: "/v1/reports", token: w.tokens["vendorA"]}).wantProblem(t, 403, "forbidden")
		a.do(req{method: "GET", path: "/v1/reports"}).wantProblem(t, 401, "unauthenticated")
		a.do(req{method: "GET", path: "/v1/reports?period=year", token: w.tokens["staff1"], invalid: true}).wantProblem(t, 422, "invalid", "period")
		a.do(req{method: "GET", path: "/v1/reports?from=2026-13-01", token: w.tokens["staff1"], invalid: true}).wantProblem(t, 422, "invalid", "from")
		a.do(req{method: "GET", path: "/v1/reports", token: w.tokens["admin"]}).want(t, 200).decode(t, &rep)
		if rep.Total.Payments != 3 || rep.Scope.DistrictID != nil {
			t.Fatalf("admin report: %+v", rep.Total)
		}
		for _, r := range []req{
			{method: "GET", path: "/v1/reports?format=csv&group_by=market", token: w.tokens["staff1"]},
			{method: "GET", path: "/v1/reports?group_by=market", token: w.tokens["staff1"], header: map[string]string{"Accept": "text/csv"}},
		} {
			got := a.do(r).want(t, 200)
			if ct := got.header.Get("Content-Type"); ct != "text/csv; charset=utf-8" {
				t.Fatalf("CSV content type %q", ct)
			}
			if !bytes.HasPrefix(got.body, []byte("\xef\xbb\xbfperiod_start,")) || !strings.Contains(string(got.body), "Chợ Vị Thủy") {
				t.Fatalf("CSV body:\n%s", got.body)
			}
		}

		// The log: nothing until it is configured.
		a.do(req{method: "GET", path: "/v1/log/checkpoint"}).wantProblem(t, 503, "unavailable")
		skey, vkey, err := translog.GenerateKey("market4.test/journal")
		if err != nil {
			t.Fatal(err)
		}
		if err := a.svc.UseTransparencyLog(app.LogOptions{SignerKey: skey}); err != nil {
			t.Fatal(err)
		}
		if n, err := a.svc.SequenceOnce(bg); err != nil || n != 3 {
			t.Fatalf("sequenced %d, %v", n, err)
		}
		key := a.do(req{method: "GET", path: "/v1/log/key"}).want(t, 200)
		if strings.TrimSpace(string(key.body)) != vkey {
			t.Fatalf("key %q, want %q", key.body, vkey)
		}
		note := a.do(req{method: "GET", path: "/v1/log/checkpoint"}).want(t, 200)
		cp, err := translog.OpenCheckpoint(note.body, vkey)
		if err != nil || cp.Size != 3 || note.header.Get("X-Tree-Size") != "3" {
			t.Fatalf("checkpoint %+v, %v", cp, err)
		}

		var inc inclusionResp
		a.do(req{method: "GET", path: "/v1/log/inclusion?payment_id=" + paid[1].ID}).want(t, 200).decode(t, &inc)
		if len(inc.Leaves) != 1 || inc.Leaves[0].Leaf == nil || inc.TreeSize != 3 || inc.Checkpoint == nil {
			t.Fatalf("inclusion %+v", inc)
		}
		leaf := unb64(t, *inc.Leaves[0].Leaf)
		l, err := translog.ParseLeaf(leaf)
		if err != nil || l.ID != paid[1].ID || l.Amount != 20000 {
			t.Fatalf("leaf %+v, %v", l, err)
		}
		var proof [][]byte
		for _, p := range inc.Leaves[0].Proof {
			proof = append(proof, unb64(t, p))
		}
		if err := translog.VerifyInclusion(translog.LeafHash(leaf), inc.Leaves[0].Index, cp.Size, cp.Root, proof); err != nil {
			t.Fatal(err)
		}
		a.do(req{method: "GET", path: "/v1/log/inclusion?index=2"}).want(t, 200).decode(t, &inc)
		if inc.Leaves[0].Leaf != nil {
			t.Fatal("anonymous caller got a leaf's bytes by index")
		}
		a.do(req{method: "GET", path: "/v1/log/inclusion?index=2", token: w.tokens["staff2"]}).want(t, 200).decode(t, &inc)
		if inc.Leaves[0].Leaf == nil {
			t.Fatal("staff of the stall's district did not get the leaf")
		}
		a.do(req{method: "GET", path: "/v1/log/inclusion?index=3", invalid: true}).wantProblem(t, 422, "invalid", "index")
		a.do(req{method: "GET", path: "/v1/log/inclusion", invalid: true}).wantProblem(t, 422, "invalid", "payment_id")
		a.do(req{method: "GET", path: "/v1/log/inclusion?payment_id=nope"}).wantProblem(t, 404, "not_found")

		var cons struct {
			From, To uint64
			Proof    []string
		}
		a.do(req{method: "GET", path: "/v1/log/consistency?from=1"}).want(t, 200).decode(t, &cons)
		root1, err := translog.Root(bg, st.Read(), 1)
		if err != nil {
			t.Fatal(err)
		}
		proof = nil
		for _, p := range cons.Proof {
			proof = append(proof, unb64(t, p))
		}
		if err := translog.VerifyConsistency(1, cons.To, root1, cp.Root, proof); err != nil {
			t.Fatal(err)
		}
		a.do(req{method: "GET", path: "/v1/log/consistency?from=9"}).wantProblem(t, 422, "invalid", "from")
		a.do(req{method: "GET", path: "/v1/log/consistency", invalid: true}).wantProblem(t, 422, "invalid", "from")
		a.do(req{method: "GET", path: "/v1/log/consistency?from=0&to=7"}).wantProblem(t, 422, "invalid", "tree_size")
		if resp := a.do(req{method: "GET", path: "/v1/log/key"}); resp.status != http.StatusOK {
			t.Fatal(resp.status)
		}
	})
}

// The transparency routes have their own role-by-role table below.
func init() {
	for _, r := range []string{"GET /v1/reports", "GET /v1/log/checkpoint", "GET /v1/log/key", "GET /v1/log/inclusion", "GET /v1/log/consistency"} {
		authzElsewhere[r] = "TestTransparencyAuthz"
	}
}

// TestTransparencyAuthz asserts every role's status on the transparency
// routes: reports for staff of the district and admins only; the log's
// verification endpoints public, with a leaf's bytes shown only to those
// who may read its stall.
func TestTransparencyAuthz(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		a := newAPI(t, st, httpapi.Options{}, nil)
		w := newWorld(t, a)
		s, err := a.svc.CreateStall(bg, w.actor("vendorA"), app.StallInput{MarketID: w.m1.ID, StallNumber: "Z1", Name: "Sạp Z1",
			Category: "fruit", BankBIN: "970436", AccountNumber: "880000000009", AccountName: "Nguyễn Thị Ba"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := a.svc.SetStallStatus(bg, market.Actor{Role: market.RoleAdmin}, s.ID, market.StallActive); err != nil {
			t.Fatal(err)
		}
		if _, _, err := a.svc.ConfirmTransfer(bg, provider.Notification{Provider: provider.MockBank, EventID: "AUTHZ1", BankBIN: s.BankBIN,
			Account: s.AccountNumber, Amount: money.FromDong(12000), Incoming: true, Success: true, At: time.Now()}, payment.SourceWebhook); err != nil {
			t.Fatal(err)
		}
		skey, _, err := translog.GenerateKey("market4.test/journal")
		if err != nil {
			t.Fatal(err)
		}
		if err := a.svc.UseTransparencyLog(app.LogOptions{SignerKey: skey}); err != nil {
			t.Fatal(err)
		}
		if _, err := a.svc.SequenceOnce(bg); err != nil {
			t.Fatal(err)
		}
		//                      anonymous vendorA vendorB staff1 staff2 admin badToken
		cases := []struct {
			path string
			want [7]int
		}{
			{"/v1/reports?district_id=" + w.d1.ID, [7]int{401, 403, 403, 200, 403, 200, 401}},
			{"/v1/reports?stall_id=" + s.ID, [7]int{401, 403, 403, 200, 404, 200, 401}},
			{"/v1/log/checkpoint", [7]int{200, 200, 200, 200, 200, 200, 401}},
			{"/v1/log/key", [7]int{200, 200, 200, 200, 200, 200, 401}},
			{"/v1/log/inclusion?index=0", [7]int{200, 200, 200, 200, 200, 200, 401}},
			{"/v1/log/consistency?from=0", [7]int{200, 200, 200, 200, 200, 200, 401}},
		}
		// Who sees the bytes of leaf 0 (stall Z1 of vendorA in district 1).
		seesLeaf := map[string]bool{"vendorA": true, "staff1": true, "admin": true}
		for _, c := range cases {
			for i, role := range roles {
				r := req{method: "GET", path: c.path, token: w.tokens[role]}
				got := a.do(r)
				if got.status != c.want[i] {
					t.Errorf("%s as %s: status %d, want %d: %s", c.path, role, got.status, c.want[i], clip(got.body))
					continue
				}
				if strings.HasPrefix(c.path, "/v1/log/inclusion") && got.status == 200 {
					var inc inclusionResp
					got.decode(t, &inc)
					if (inc.Leaves[0].Leaf != nil) != seesLeaf[role] {
						t.Errorf("%s: leaf bytes shown = %v", role, inc.Leaves[0].Leaf != nil)
					}
				}
			}
		}
	})
}
