package ocop_test

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/market4/market4/internal/ocop"
)

// A stamp is signed when generated, printed as a QR code, and verified
// offline by anyone holding the published key list.
func Example() {
	seed := sha256.Sum256([]byte("example only; use crypto/rand"))
	key, _ := ocop.NewKeyFromSeed(seed[:], ocop.Date(2025, time.January, 1), time.Time{})
	ring, _ := ocop.NewKeyRing(key)

	now := time.Date(2026, time.March, 10, 9, 0, 0, 0, ocop.ICT)
	link, _ := ocop.NewGS1Link("m4.vn", "8934567890120", "L2026A", "7KX9M2QH4TZZ")
	signed, _ := ring.Sign(link, now)
	url, _ := ocop.FormatLink(signed)
	fmt.Println(url[:strings.Index(url, "?")])

	// An app that downloaded /.well-known/market4-stamp-keys.json:
	doc, _ := json.Marshal(ring.Published())
	var set ocop.PublishedKeySet
	_ = json.Unmarshal(doc, &set)
	verifier, _ := ocop.KeyRingFromPublished(set)

	scanned, _ := ocop.ParseLink(url)
	fmt.Println(verifier.Verify(scanned))

	scanned.Serial = "7KX9M2QH4TZY"
	fmt.Println(verifier.Verify(scanned))
	// Output:
	// https://m4.vn/01/08934567890120/10/L2026A/21/7KX9M2QH4TZZ
	// <nil>
	// signature: does not match the stamp
}

func ExampleStarsAt() {
	certs := []ocop.Certificate{
		{Stars: 3, DecisionNumber: "12/QĐ-UBND", DecisionDate: ocop.Date(2022, 5, 4), Status: ocop.CertActive},
		{Stars: 4, DecisionNumber: "88/QĐ-UBND", DecisionDate: ocop.Date(2024, 9, 1), Status: ocop.CertActive},
	}
	for _, t := range []time.Time{ocop.Date(2024, 1, 1), ocop.Date(2026, 1, 1), ocop.Date(2027, 9, 1)} {
		stars, c, ok := ocop.StarsAt(certs, t)
		if !ok {
			fmt.Println(t.Format(time.DateOnly), "no stars")
			continue
		}
		fmt.Println(t.Format(time.DateOnly), stars, "stars by", c.DecisionNumber)
	}
	// Output:
	// 2024-01-01 3 stars by 12/QĐ-UBND
	// 2026-01-01 4 stars by 88/QĐ-UBND
	// 2027-09-01 no stars
}

func ExampleFold() {
	fmt.Println(ocop.Fold("  Đặc sản  TRÀ SEN Tây Hồ "))
	// Output: dac san tra sen tay ho
}
