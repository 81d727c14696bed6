package httpapi_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/market4/market4/internal/app"
	"github.com/market4/market4/internal/httpapi"
	"github.com/market4/market4/internal/market"
	"github.com/market4/market4/internal/store"
	"github.com/market4/market4/internal/store/storetest"
)

// BenchmarkStallQRPNG serves /v1/stalls/{id}/qr.png over real HTTP with the
// render cache on and off; the ratio of the two is the cache's worth.
//
//	go test -run '^$' -bench StallQRPNG ./internal/httpapi/
func BenchmarkStallQRPNG(b *testing.B) {
	st := storetest.Open(b, store.SQLite)
	cfg := app.DefaultConfig()
	cfg.Argon = app.ArgonParams{Memory: 64, Time: 1, Threads: 1}
	svc := app.New(st, nil, cfg, nil)
	ctx := context.Background()
	admin := market.Actor{Role: market.RoleAdmin}
	d, _ := svc.CreateDistrict(ctx, admin, market.District{Name: "Vị Thủy", Province: "Hậu Giang"})
	m, _ := svc.CreateMarket(ctx, admin, market.Market{DistrictID: d.ID, Name: "Chợ"})
	u, err := svc.CreateUser(ctx, app.CreateUserInput{Phone: "0912000001", Password: "password1", Name: "V", Role: market.RoleVendor})
	if err != nil {
		b.Fatal(err)
	}
	s, err := svc.CreateStall(ctx, app.ActorOf(u), app.StallInput{MarketID: m.ID, StallNumber: "A1", Name: "Rau", Category: "vegetables",
		BankBIN: "970436", AccountNumber: "0071000123456", AccountName: "NGUYEN VAN A"})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := svc.SetStallStatus(ctx, admin, s.ID, market.StallActive); err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(httpapi.New(svc, httpapi.Options{PublicRate: 1 << 30}))
	defer srv.Close()
	url := srv.URL + "/v1/stalls/" + s.ID + "/qr.png?size=512"
	for _, cached := range []bool{true, false} {
		name := map[bool]string{true: "cached", false: "uncached"}[cached]
		b.Run(name, func(b *testing.B) {
			httpapi.SetQRCache(cached)
			defer httpapi.SetQRCache(true)
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				resp, err := http.Get(url)
				if err != nil {
					b.Fatal(err)
				}
				n, _ := io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 || n == 0 {
					b.Fatalf("status %d, %d bytes", resp.StatusCode, n)
				}
			}
		})
	}
}
