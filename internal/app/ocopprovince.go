package app

import (
	"strings"

	"github.com/market4/market4/internal/ocop"
)

// provinceCodes maps folded province names (ocop.Fold, without the
// "tỉnh"/"thành phố" prefix) to the two-digit codes of Vietnam's list of
// administrative units (Decision 124/2004/QĐ-TTg, the 63 provinces before
// the 2025 merger). Districts store their province as a name; the stamp
// rules compare province codes, so a market's code is looked up here.
// Scans' provinces (from a GeoIP proxy) must use the same list.
var provinceCodes = map[string]string{
	"ha noi": "01", "ha giang": "02", "cao bang": "04", "bac kan": "06", "tuyen quang": "08",
	"lao cai": "10", "dien bien": "11", "lai chau": "12", "son la": "14", "yen bai": "15",
	"hoa binh": "17", "thai nguyen": "19", "lang son": "20", "quang ninh": "22", "bac giang": "24",
	"phu tho": "25", "vinh phuc": "26", "bac ninh": "27", "hai duong": "30", "hai phong": "31",
	"hung yen": "33", "thai binh": "34", "ha nam": "35", "nam dinh": "36", "ninh binh": "37",
	"thanh hoa": "38", "nghe an": "40", "ha tinh": "42", "quang binh": "44", "quang tri": "45",
	"thua thien hue": "46", "hue": "46", "da nang": "48", "quang nam": "49", "quang ngai": "51",
	"binh dinh": "52", "phu yen": "54", "khanh hoa": "56", "ninh thuan": "58", "binh thuan": "60",
	"kon tum": "62", "gia lai": "64", "dak lak": "66", "dak nong": "67", "lam dong": "68",
	"binh phuoc": "70", "tay ninh": "72", "binh duong": "74", "dong nai": "75", "ba ria - vung tau": "77",
	"ba ria vung tau": "77", "ho chi minh": "79", "tp ho chi minh": "79", "tp. ho chi minh": "79", "sai gon": "79",
	"long an": "80", "tien giang": "82", "ben tre": "83", "tra vinh": "84", "vinh long": "86",
	"dong thap": "87", "an giang": "89", "kien giang": "91", "can tho": "92", "hau giang": "93",
	"soc trang": "94", "bac lieu": "95", "ca mau": "96",
}

// ProvinceCodeOf returns the province code for a province as districts
// record it: a two-digit code as is, or a name in any spelling ("Hậu
// Giang", "tỉnh Hậu Giang", "HAU GIANG"); "" when unknown.
func ProvinceCodeOf(province string) string {
	p := strings.TrimSpace(province)
	if ocop.ValidProvinceCode(p) {
		return p
	}
	f := ocop.Fold(p)
	for _, prefix := range []string{"tinh ", "thanh pho ", "tp. ", "tp "} {
		if rest, ok := strings.CutPrefix(f, prefix); ok && provinceCodes[rest] != "" {
			return provinceCodes[rest]
		}
	}
	return provinceCodes[f]
}
