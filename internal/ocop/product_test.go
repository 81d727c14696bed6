package ocop

import (
	"slices"
	"strings"
	"testing"
)

func TestGroups(t *testing.T) {
	if len(Groups) != 6 {
		t.Fatalf("Decision 148 has six groups, got %d", len(Groups))
	}
	seen := map[Group]bool{}
	for _, g := range Groups {
		if !g.Valid() || g.LabelVI() == "" || seen[g] {
			t.Errorf("group %q invalid or duplicated", g)
		}
		seen[g] = true
	}
	if Group("drinks").Valid() || Group("").Valid() {
		t.Error("unknown group accepted")
	}
}

func TestProductValidate(t *testing.T) {
	good := Product{NameVI: "Trà sen Tây Hồ", NameEN: "West Lake lotus tea", Group: GroupBeverage,
		GTIN: testGTIN, Story: "Ướp trà với sen Bách Diệp.\nMỗi cân trà cần ~1.000 bông.",
		Standards: []string{"TCVN 5366:2017", "VietGAP"}, ShelfLifeDays: 365}
	tests := []struct {
		name   string
		mod    func(*Product)
		fields []string
	}{
		{"valid", func(*Product) {}, nil},
		{"no gtin", func(p *Product) { p.GTIN = "" }, nil},
		{"tourism, no shelf life", func(p *Product) { p.Group, p.ShelfLifeDays = GroupTourism, 0 }, nil},
		{"gtin-13 not normalised", func(p *Product) { p.GTIN = testGTIN[1:] }, []string{"gtin"}},
		{"gtin check digit", func(p *Product) { p.GTIN = testGTIN[:13] + string('0'+(testGTIN[13]-'0'+1)%10) }, []string{"gtin"}},
		{"no name", func(p *Product) { p.NameVI = "" }, []string{"name_vi"}},
		{"group", func(p *Product) { p.Group = "tea" }, []string{"group"}},
		{"shelf life negative", func(p *Product) { p.ShelfLifeDays = -1 }, []string{"shelf_life_days"}},
		{"shelf life too long", func(p *Product) { p.ShelfLifeDays = MaxShelfLifeDays + 1 }, []string{"shelf_life_days"}},
		{"story too long", func(p *Product) { p.Story = strings.Repeat("a", MaxStoryLen+1) }, []string{"story"}},
		{"story control", func(p *Product) { p.Story = "a\x07" }, []string{"story"}},
		{"empty standard", func(p *Product) { p.Standards = []string{"ISO", ""} }, []string{"standards"}},
		{"too many standards", func(p *Product) { p.Standards = make([]string, MaxStandards+1) }, []string{"standards"}},
		{"name_en control", func(p *Product) { p.NameEN = "\t" }, []string{"name_en"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := good
			p.Standards = slices.Clone(good.Standards)
			tt.mod(&p)
			if got := fieldsOf(p.Validate()); !slices.Equal(got, tt.fields) {
				t.Fatalf("fields = %v, want %v (%v)", got, tt.fields, p.Validate())
			}
		})
	}
}

func TestProductNormalize(t *testing.T) {
	p := Product{NameVI: "  Trà sen ", NameEN: " Lotus tea", GTIN: " " + testGTIN[1:], Standards: []string{" VietGAP "}}
	n := p.Normalize()
	if n.NameVI != "Trà sen" || n.NameEN != "Lotus tea" || n.GTIN != testGTIN || n.Standards[0] != "VietGAP" {
		t.Fatalf("Normalize = %+v", n)
	}
	if p.Standards[0] != " VietGAP " {
		t.Fatal("Normalize must not modify the original")
	}
	if bad := (Product{GTIN: "123"}).Normalize(); bad.GTIN != "123" {
		t.Fatalf("invalid GTIN must be left for Validate, got %q", bad.GTIN)
	}
}

func TestProductSearchText(t *testing.T) {
	p := Product{NameVI: "Trà Sen  Tây Hồ", NameEN: "Lotus Tea"}
	if got := p.SearchText(); got != "tra sen tay ho lotus tea" {
		t.Fatalf("SearchText = %q", got)
	}
	if !strings.Contains(p.SearchText(), Fold("tra sen")) {
		t.Fatal(`"tra sen" must find "Trà Sen"`)
	}
	if got := (Product{NameVI: "Đặc sản"}).SearchText(); got != "dac san" {
		t.Fatalf("SearchText = %q", got)
	}
}
