package vietqr

import (
	"bytes"
	_ "embed"
	"encoding/csv"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
)

// banksCSV is the NAPAS acquirer directory: bin,short_name,name,swift_code.
// Sources: the State Bank of Vietnam BIN list (31/12/2023) plus non-9704
// BINs seen in VietQR; see the README next to the shared copy.
//
//go:embed banks.csv
var banksCSV []byte

// Bank is one NAPAS acquirer: a bank, or a finance company or wallet that
// NAPAS routes VietQR transfers to.
type Bank struct {
	// BIN is the 6-digit NAPAS acquirer id written in 38/01/00.
	BIN string
	// ShortName is the brand users know, e.g. "Vietcombank", "MBV".
	ShortName string
	// Name is the full legal name in Vietnamese.
	Name string
	// SWIFT is the SWIFT/BIC code, "" when the institution has none.
	SWIFT string
}

type directory struct {
	sorted []Bank          // by short name, case-insensitively, then BIN
	byBIN  map[string]Bank // BIN → bank
}

// banks parses the embedded directory once, on first use. The file is part
// of the binary and checked by tests, so a parse failure is a build defect
// and panics.
var banks = sync.OnceValue(func() *directory {
	d, err := parseBanks(banksCSV)
	if err != nil {
		panic("vietqr: embedded banks.csv: " + err.Error())
	}
	return d
})

func parseBanks(data []byte) (*directory, error) {
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = 4
	rows, err := r.ReadAll()
	if err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, errors.New("no header")
	}
	if h := strings.Join(rows[0], ","); h != "bin,short_name,name,swift_code" {
		return nil, fmt.Errorf("unexpected header %q", h)
	}
	d := &directory{byBIN: make(map[string]Bank, len(rows))}
	for i, row := range rows[1:] {
		b := Bank{BIN: row[0], ShortName: row[1], Name: row[2], SWIFT: row[3]}
		if !isBIN(b.BIN) || b.ShortName == "" || b.Name == "" {
			return nil, fmt.Errorf("line %d: malformed row %q", i+2, row)
		}
		if _, dup := d.byBIN[b.BIN]; dup {
			return nil, fmt.Errorf("line %d: BIN %s listed twice", i+2, b.BIN)
		}
		d.byBIN[b.BIN] = b
		d.sorted = append(d.sorted, b)
	}
	slices.SortFunc(d.sorted, func(a, b Bank) int {
		if c := strings.Compare(strings.ToLower(a.ShortName), strings.ToLower(b.ShortName)); c != 0 {
			return c
		}
		return strings.Compare(a.BIN, b.BIN)
	})
	return d, nil
}

// Banks returns every bank in the directory, sorted by short name
// (case-insensitively, then by BIN). The slice is a fresh copy the caller
// may modify.
func Banks() []Bank {
	return slices.Clone(banks().sorted)
}

// LookupBank returns the bank with the given BIN. A false result is not a
// reason to reject a payload: NAPAS admits new members between releases of
// this library.
func LookupBank(bin string) (Bank, bool) {
	b, ok := banks().byBIN[bin]
	return b, ok
}

// BankByShortName returns the bank whose short name equals name, ignoring
// case and surrounding spaces. A few institutions have two BINs under one
// short name (MAFC: 970468 and 977777); the lowest BIN, the one in the State
// Bank list, is returned.
func BankByShortName(name string) (Bank, bool) {
	name = strings.TrimSpace(name)
	for _, b := range banks().sorted {
		if strings.EqualFold(b.ShortName, name) {
			return b, true
		}
	}
	return Bank{}, false
}
