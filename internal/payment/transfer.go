package payment

import (
	_ "time/tzdata" // market days are Vietnamese days on any host

	"time"

	"github.com/market4/market4/pkg/money"
)

// Transfer is one provider event as recorded in the inbox: every
// notification, whatever it became, exactly once per (Provider, EventID).
type Transfer struct {
	Provider   string
	EventID    string
	BankBIN    string
	Account    string
	Amount     money.Amount
	Content    string
	Reference  string
	Incoming   bool
	OccurredAt time.Time
	ReceivedAt time.Time
	Source     string // "webhook" or "reconcile"
	Outcome    Outcome
	PaymentID  string
	StallID    string
	DistrictID string
	ReviewedAt time.Time
	ReviewedBy string
	ReviewNote string
}

// Sources of a transfer record.
const (
	SourceWebhook   = "webhook"
	SourceReconcile = "reconcile"
)

// BusinessLocation is where market days begin and end.
var BusinessLocation = mustLoad("Asia/Ho_Chi_Minh")

func mustLoad(name string) *time.Location {
	l, err := time.LoadLocation(name)
	if err != nil {
		// time/tzdata is embedded by cmd/market4; tests import it too.
		return time.FixedZone("ICT", 7*3600)
	}
	return l
}

// BusinessDay is the market day (YYYY-MM-DD in Asia/Ho_Chi_Minh) of t.
func BusinessDay(t time.Time) string { return t.In(BusinessLocation).Format(time.DateOnly) }
