package payment

import "github.com/market4/market4/pkg/money"

// Journal accounts. Money at a provider's clearing account is an asset;
// money owed to a stall or held for review is a liability. Entries are
// signed: debits positive, credits negative, each entry summing to zero.
//
// Balances are never stored on an account row — they are sums over the
// append-only journal (and per-stall, per-day sharded rollups) — so no
// single row, not even the busy clearing account, serialises writers.
func ClearingAccount(provider string) string { return "clearing:" + provider }

// StallAccount is the payable to one stall.
func StallAccount(stallID string) string { return "stall:" + stallID }

// SuspenseAccount holds money that arrived for nobody we know, until staff review it.
func SuspenseAccount(provider string) string { return "suspense:" + provider }

// Line is one line of a journal entry.
type Line struct {
	Account string
	Amount  int64 // đồng; debit > 0, credit < 0
}

// Entry is a balanced set of lines recorded in one transaction.
type Entry struct {
	Lines []Line
}

// Balanced reports whether the entry's lines sum to zero.
func (e Entry) Balanced() bool {
	var s int64
	for _, l := range e.Lines {
		s += l.Amount
	}
	return s == 0 && len(e.Lines) >= 2
}

// Received is the entry for money arriving for a stall.
func Received(provider, stallID string, a money.Amount) Entry {
	return Entry{Lines: []Line{{ClearingAccount(provider), a.Dong()}, {StallAccount(stallID), -a.Dong()}}}
}

// Held is the entry for money arriving for nobody we can name.
func Held(provider string, a money.Amount) Entry {
	return Entry{Lines: []Line{{ClearingAccount(provider), a.Dong()}, {SuspenseAccount(provider), -a.Dong()}}}
}

// RefundSent is the entry for money sent back to a payer on a stall's behalf.
func RefundSent(provider, stallID string, a money.Amount) Entry {
	return Entry{Lines: []Line{{StallAccount(stallID), a.Dong()}, {ClearingAccount(provider), -a.Dong()}}}
}
