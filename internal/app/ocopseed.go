package app

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"

	"github.com/market4/market4/internal/errs"
	"github.com/market4/market4/internal/market"
	"github.com/market4/market4/internal/ocop"
	"github.com/market4/market4/pkg/money"
)

// OCOPDemo is what SeedOCOP created, for the demo's start-up banner.
type OCOPDemo struct {
	ProducerID string
	ProductIDs []string // Khô cá lóc Vị Thủy, Trà mãng cầu
	LotID      string
	Stamps     []StampView // the 20 activated stamps of the lot
}

// demoGTIN is GS1's own documentation example (GS1 Global Office prefix
// 950): the demo must not make up a number under a real company prefix,
// least of all Vietnam's 893.
const demoGTIN = "09506000134352"

// SeedOCOP creates the demo's OCOP data through the same use cases the API
// uses: a cooperative of the district producing "Khô cá lóc Vị Thủy" (GS1
// stamps) and "Trà mãng cầu" (non-GS1 stamps), each with a 4-star province
// certificate decided 200 days ago, a lot of the dried fish with 20
// activated stamps, and both products on the price lists of the given
// stalls (of marketID; with no stall given, the market's first two active
// stalls).
func (s *Service) SeedOCOP(ctx context.Context, districtID, marketID string, stallIDs ...string) (*OCOPDemo, error) {
	admin := market.Actor{Role: market.RoleAdmin}
	now := s.now()
	if len(stallIDs) == 0 {
		stalls, err := s.store.Read().ListStalls(ctx, StallFilter{MarketID: marketID, Status: market.StallActive, Page: Page{Limit: 2}})
		if err != nil {
			return nil, err
		}
		for _, st := range stalls {
			stallIDs = append(stallIDs, st.ID)
		}
	}
	pr, err := s.CreateProducer(ctx, admin, ProducerInput{DistrictID: districtID, Name: "HTX Nông nghiệp Vị Thủy",
		Kind: string(ocop.KindCooperative), TaxCode: "6300456789", Commune: "Thị trấn Nàng Mau"})
	if err != nil {
		return nil, fmt.Errorf("producer: %w", err)
	}
	str := func(s string) *string { return &s }
	days := func(n int) *int { return &n }
	fish, err := s.CreateProduct(ctx, admin, ProductInput{ProducerID: pr.ID, NameVI: str("Khô cá lóc Vị Thủy"),
		NameEN: str("Vi Thuy dried snakehead fish"), Group: str(string(ocop.GroupFood)), GTIN: str(demoGTIN),
		Story:     str("Cá lóc đồng Hậu Giang, phơi nắng ba ngày trên giàn tre theo cách làm truyền thống của xã viên hợp tác xã."),
		Standards: &[]string{"VietGAP", "HACCP"}, ShelfLifeDays: days(180)})
	if err != nil {
		return nil, fmt.Errorf("product: %w", err)
	}
	tea, err := s.CreateProduct(ctx, admin, ProductInput{ProducerID: pr.ID, NameVI: str("Trà mãng cầu"),
		NameEN: str("Soursop tea"), Group: str(string(ocop.GroupBeverage)),
		Story: str("Mãng cầu xiêm vườn nhà thái lát, sấy lạnh, giữ vị chua dịu."), ShelfLifeDays: days(365)})
	if err != nil {
		return nil, fmt.Errorf("product: %w", err)
	}
	// A drawn picture per product, through the same upload as staff use,
	// so the demo's catalogue, stall and verification pages show photos.
	for _, p := range []struct {
		id   string
		draw func(x, y float64) color.RGBA
	}{{fish.ID, drawFish}, {tea.ID, drawTea}} {
		if _, _, err := s.AddProductImage(ctx, admin, p.id, demoPicture(p.draw)); err != nil {
			return nil, fmt.Errorf("product photo: %w", err)
		}
	}
	decided := today(now).AddDate(0, 0, -200).Format("2006-01-02")
	score := 78
	for i, p := range []*ProductView{fish, tea} {
		if _, err := s.AddCertificate(ctx, admin, p.ID, CertificateInput{Stars: 4, Score: &score,
			DecisionNumber: fmt.Sprintf("%d/QĐ-UBND", 1234+i), IssuingBody: "UBND tỉnh Hậu Giang",
			Level: string(ocop.LevelProvince), DecisionDate: decided}); err != nil {
			return nil, fmt.Errorf("certificate: %w", err)
		}
	}
	produced := today(now).AddDate(0, 0, -10)
	lot, err := s.CreateLot(ctx, admin, fish.ID, LotInput{Code: "KCL" + produced.Format("060102"),
		ProductionDate: produced.Format("2006-01-02"), Quantity: 500})
	if err != nil {
		return nil, fmt.Errorf("lot: %w", err)
	}
	if _, err := s.IssueStamps(ctx, admin, lot.ID, 20); err != nil {
		return nil, fmt.Errorf("stamps: %w", err)
	}
	for _, step := range [][2]ocop.StampStatus{{ocop.StampGenerated, ocop.StampPrinted}, {ocop.StampPrinted, ocop.StampActivated}} {
		if _, err := s.TransitionLotStamps(ctx, admin, lot.ID, string(step[0]), string(step[1])); err != nil {
			return nil, fmt.Errorf("stamps: %w", err)
		}
	}
	prices := [][]StallPrice{
		{{ProductID: fish.ID, Price: money.MustParse("120000")}, {ProductID: tea.ID, Price: money.MustParse("85000")}},
		{{ProductID: fish.ID, Price: money.MustParse("125000")}},
	}
	for i, id := range stallIDs {
		err := s.store.InTx(ctx, func(tx Tx) error {
			st, err := tx.StallByID(ctx, id, true)
			if err != nil {
				return err
			}
			if st.MarketID != marketID {
				return errs.Field("stall_id", "stall is not in the demo market")
			}
			_, err = replaceStallProducts(ctx, tx, st.ID, prices[i%len(prices)], now)
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("stall products: %w", err)
		}
	}
	stamps, err := s.ListStamps(ctx, admin, lot.ID, StampFilter{Limit: 20})
	if err != nil {
		return nil, err
	}
	return &OCOPDemo{ProducerID: pr.ID, ProductIDs: []string{fish.ID, tea.ID}, LotID: lot.ID, Stamps: stamps}, nil
}

// demoPicture draws a 640×480 PNG pixel by pixel: f maps coordinates in
// [0,1)² (y down) to a colour. Demo data only: real products get photos.
func demoPicture(f func(x, y float64) color.RGBA) []byte {
	const w, h = 640, 480
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.SetRGBA(x, y, f(float64(x)/w, float64(y)/h))
		}
	}
	var b bytes.Buffer
	_ = png.Encode(&b, img) // cannot fail on an in-memory RGBA
	return b.Bytes()
}

// drawFish: a dried snakehead on a bamboo rack under the sun.
func drawFish(x, y float64) color.RGBA {
	if (x-.82)*(x-.82)+(y-.18)*(y-.18) < .006 {
		return color.RGBA{250, 196, 60, 255} // sun
	}
	// The fish: an elliptic body, a triangular tail, an eye.
	bx, by := (x-.45)/.3, (y-.55)/.11
	switch {
	case (x-.3)*(x-.3)+(y-.53)*(y-.53) < .0002:
		return color.RGBA{30, 20, 10, 255}
	case bx*bx+by*by < 1:
		shade := uint8(40 * (1 + math.Sin(x*60)) / 2) // scales
		return color.RGBA{150 - shade, 96 - shade/2, 48, 255}
	case x > .72 && x < .88 && math.Abs(y-.55) < (x-.72)*1.1:
		return color.RGBA{120, 76, 36, 255}
	}
	if int(x*24)%3 == 0 && y > .3 && y < .85 {
		return color.RGBA{196, 170, 110, 255} // bamboo slats
	}
	return color.RGBA{uint8(236 - 30*y), uint8(224 - 30*y), 190, 255}
}

// drawTea: a glass of soursop tea with a leaf.
func drawTea(x, y float64) color.RGBA {
	cx := x - .5
	switch {
	case math.Abs(cx) < .16-.05*y && y > .3 && y < .82: // glass
		if y < .38 {
			return color.RGBA{236, 226, 196, 255} // foam
		}
		return color.RGBA{uint8(190 - 40*y), uint8(140 - 30*y), 60, 255}
	case (x-.74)*(x-.74)/.012+(y-.7)*(y-.7)/.003 < 1: // leaf
		return color.RGBA{60, 140, 70, 255}
	case y > .82:
		return color.RGBA{170, 120, 80, 255} // table
	}
	return color.RGBA{uint8(214 + 30*y), 236, uint8(200 + 20*x), 255}
}
