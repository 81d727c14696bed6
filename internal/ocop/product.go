package ocop

import "strings"

// Group is one of the six OCOP product groups of Decision 148/QĐ-TTg. The
// codes are stable English identifiers for storage and the API; LabelVI
// gives the official Vietnamese name for pages.
type Group string

// The six OCOP groups.
const (
	GroupFood     Group = "food"                     // Thực phẩm
	GroupBeverage Group = "beverage"                 // Đồ uống
	GroupHerbal   Group = "herbal"                   // Thảo dược
	GroupTextile  Group = "textile_garment"          // Vải và may mặc
	GroupSouvenir Group = "souvenir_furniture_decor" // Lưu niệm – nội thất – trang trí
	GroupTourism  Group = "rural_tourism"            // Dịch vụ du lịch cộng đồng, du lịch nông thôn và điểm du lịch
)

// Groups lists the six groups in the decree's order, for menus and tests.
var Groups = []Group{GroupFood, GroupBeverage, GroupHerbal, GroupTextile, GroupSouvenir, GroupTourism}

// Valid reports whether g is one of the six groups.
func (g Group) Valid() bool { return g.LabelVI() != "" }

// LabelVI returns the Vietnamese group name shown to users, or "" for an
// unknown code.
func (g Group) LabelVI() string {
	switch g {
	case GroupFood:
		return "Thực phẩm"
	case GroupBeverage:
		return "Đồ uống"
	case GroupHerbal:
		return "Thảo dược"
	case GroupTextile:
		return "Vải và may mặc"
	case GroupSouvenir:
		return "Lưu niệm – nội thất – trang trí"
	case GroupTourism:
		return "Dịch vụ du lịch cộng đồng, du lịch nông thôn và điểm du lịch"
	}
	return ""
}

// Product is an OCOP product of one producer. It deliberately has no star
// field: stars belong to certificates, which expire, and are read with
// StarsAt so an expired certificate can never keep showing stars.
type Product struct {
	ID         string
	ProducerID string
	NameVI     string // required
	NameEN     string // optional
	Group      Group
	// GTIN is the product's GS1 number in 14-digit form, or "" when the
	// producer has no GS1 licence (its stamps then use the non-GS1 link).
	// Never fill it with a made-up 893 number.
	GTIN  string
	Story string // the product's story, shown on the verification page
	// Standards lists the quality standards declared for the product
	// (e.g. "TCVN 5366:2017", "VietGAP", "ISO 22000:2018").
	Standards []string
	// ShelfLifeDays is the shelf life for perishable groups, 0 when not
	// applicable (textiles, souvenirs, tourism services).
	ShelfLifeDays int
}

// Limits on product fields.
const (
	MaxStoryLen      = 5000
	MaxStandards     = 20
	MaxStandardLen   = 100
	MaxShelfLifeDays = 3650 // ten years: anything longer is a data-entry error
)

// Normalize returns a copy with names trimmed and a valid GTIN in 14-digit
// form, the shape in which products are stored and compared. Invalid values
// are left as they are for Validate to report.
func (p Product) Normalize() Product {
	p.NameVI = strings.TrimSpace(p.NameVI)
	p.NameEN = strings.TrimSpace(p.NameEN)
	p.GTIN = strings.TrimSpace(p.GTIN)
	if g, err := ValidateGTIN(p.GTIN); err == nil {
		p.GTIN = g
	}
	if p.Standards != nil {
		std := make([]string, len(p.Standards))
		for i, s := range p.Standards {
			std[i] = strings.TrimSpace(s)
		}
		p.Standards = std
	}
	return p
}

// Validate checks every field and returns all problems as FieldErrors
// (fields: name_vi, name_en, group, gtin, story, standards,
// shelf_life_days), or nil. The GTIN must already be in 14-digit form
// (call Normalize first), so that stored products always compare equal to
// the GTIN of a parsed link.
func (p Product) Validate() error {
	var v errs
	checkText(&v, "name_vi", p.NameVI, true, MaxNameLen, false)
	checkText(&v, "name_en", p.NameEN, false, MaxNameLen, false)
	if !p.Group.Valid() {
		v.addf("group", "must be one of food, beverage, herbal, textile_garment, souvenir_furniture_decor, rural_tourism")
	}
	if p.GTIN != "" {
		g, err := ValidateGTIN(p.GTIN)
		switch {
		case err != nil:
			v.addAs("gtin", err)
		case g != p.GTIN:
			v.addf("gtin", "must be stored in 14-digit form (%s)", g)
		}
	}
	checkText(&v, "story", p.Story, false, MaxStoryLen, true)
	if len(p.Standards) > MaxStandards {
		v.addf("standards", "at most %d standards", MaxStandards)
	} else {
		for _, s := range p.Standards {
			var sv errs
			checkText(&sv, "standards", s, true, MaxStandardLen, false)
			if len(sv.list) > 0 {
				v.add(sv.list[0])
				break
			}
		}
	}
	if p.ShelfLifeDays < 0 || p.ShelfLifeDays > MaxShelfLifeDays {
		v.addf("shelf_life_days", "must be between 0 and %d", MaxShelfLifeDays)
	}
	return v.err()
}

// SearchText returns the folded search key of the product (Vietnamese and
// English names), to be stored in an indexed column and matched against
// Fold(query), so "tra sen" finds "Trà sen".
func (p Product) SearchText() string {
	if p.NameEN == "" {
		return Fold(p.NameVI)
	}
	return Fold(p.NameVI + " " + p.NameEN)
}
