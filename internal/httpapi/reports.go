package httpapi

import (
	"bytes"
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/market4/market4/internal/app"
	"github.com/market4/market4/internal/errs"
	"github.com/market4/market4/pkg/money"
)

// mountTransparency adds the district reports (staff) and the
// transparency log's verification endpoints (public: anyone holding a
// checkpoint may verify).
func (s *Server) mountTransparency(v1 *gin.RouterGroup) {
	v1.GET("/reports", s.requireUser, s.report)
	v1.GET("/log/checkpoint", s.throttle, s.logCheckpoint)
	v1.GET("/log/key", s.throttle, s.logKey)
	v1.GET("/log/inclusion", s.throttle, s.logInclusion)
	v1.GET("/log/consistency", s.throttle, s.logConsistency)
}

type reportScopeJSON struct {
	DistrictID *string `json:"district_id"`
	MarketID   *string `json:"market_id"`
	StallID    *string `json:"stall_id"`
}

type providerFiguresJSON struct {
	Payments int64        `json:"payments"`
	Amount   money.Amount `json:"amount"`
}

type reportRowJSON struct {
	PeriodStart      string                         `json:"period_start"`
	PeriodEnd        string                         `json:"period_end"`
	GroupType        string                         `json:"group_type"`
	GroupID          *string                        `json:"group_id"`
	GroupName        *string                        `json:"group_name"`
	Payments         int64                          `json:"payments"`
	Amount           money.Amount                   `json:"amount"`
	ByProvider       map[string]providerFiguresJSON `json:"by_provider"`
	Refunds          int64                          `json:"refunds"`
	Refunded         money.Amount                   `json:"refunded"`
	NetAmount        money.Amount                   `json:"net_amount"`
	AverageTicket    money.Amount                   `json:"average_ticket"`
	ActiveStalls     int64                          `json:"active_stalls"`
	RegisteredStalls int64                          `json:"registered_stalls"`
	QRAdoption       float64                        `json:"qr_adoption"`
	NewStalls        int64                          `json:"new_stalls"`
	OCOPSales        money.Amount                   `json:"ocop_sales"`
}

type reportJSON struct {
	Scope                   reportScopeJSON `json:"scope"`
	GroupBy                 string          `json:"group_by"`
	Period                  string          `json:"period"`
	From                    string          `json:"from"`
	To                      string          `json:"to"`
	TimeZone                string          `json:"time_zone"`
	Providers               []string        `json:"providers"`
	UnmatchedAwaitingReview int64           `json:"unmatched_awaiting_review"`
	GeneratedAt             string          `json:"generated_at"`
	Rows                    []reportRowJSON `json:"rows"`
	Total                   reportRowJSON   `json:"total"`
}

func toReportRowJSON(r app.ReportRow) reportRowJSON {
	out := reportRowJSON{PeriodStart: r.PeriodStart, PeriodEnd: r.PeriodEnd, GroupType: r.GroupType, GroupID: ptr(r.GroupID),
		GroupName: ptr(r.GroupName), Payments: r.Payments, Amount: money.FromDong(r.Amount), ByProvider: map[string]providerFiguresJSON{},
		Refunds: r.Refunds, Refunded: money.FromDong(r.Refunded), NetAmount: money.FromDong(r.Net()),
		AverageTicket: money.FromDong(r.AverageTicket), ActiveStalls: r.ActiveStalls, RegisteredStalls: r.RegisteredStalls,
		QRAdoption: r.QRAdoption, NewStalls: r.NewStalls, OCOPSales: money.FromDong(r.OCOPSales)}
	for p, f := range r.ByProvider {
		out.ByProvider[p] = providerFiguresJSON{Payments: f.Payments, Amount: money.FromDong(f.Amount)}
	}
	return out
}

func toReportJSON(rep *app.Report) reportJSON {
	out := reportJSON{Scope: reportScopeJSON{DistrictID: ptr(rep.DistrictID), MarketID: ptr(rep.MarketID), StallID: ptr(rep.StallID)},
		GroupBy: rep.GroupBy, Period: rep.Period, From: rep.From, To: rep.To, TimeZone: "Asia/Ho_Chi_Minh",
		Providers: rep.Providers, UnmatchedAwaitingReview: rep.UnmatchedAwaitingReview, GeneratedAt: ts(rep.GeneratedAt),
		Rows: make([]reportRowJSON, len(rep.Rows)), Total: toReportRowJSON(rep.Total)}
	if out.Providers == nil {
		out.Providers = []string{}
	}
	for i, r := range rep.Rows {
		out.Rows[i] = toReportRowJSON(r)
	}
	return out
}

// wantsCSV decides the report format: ?format=csv|json wins, otherwise an
// Accept header naming text/csv (and not JSON first) asks for CSV.
func wantsCSV(c *gin.Context) (bool, error) {
	switch c.Query("format") {
	case "csv":
		return true, nil
	case "json":
		return false, nil
	case "":
	default:
		return false, errs.Field("format", "must be json or csv")
	}
	accept := c.GetHeader("Accept")
	i := strings.Index(accept, "text/csv")
	j := strings.Index(accept, "application/json")
	return i >= 0 && (j < 0 || i < j), nil
}

func (s *Server) report(c *gin.Context) {
	csvOut, err := wantsCSV(c)
	if err != nil {
		fail(c, err)
		return
	}
	rep, err := s.svc.Report(c.Request.Context(), actor(c), app.ReportQuery{
		DistrictID: c.Query("district_id"), MarketID: c.Query("market_id"), StallID: c.Query("stall_id"),
		GroupBy: c.Query("group_by"), Period: c.Query("period"), From: c.Query("from"), To: c.Query("to")})
	if err != nil {
		fail(c, err)
		return
	}
	if !csvOut {
		c.JSON(http.StatusOK, toReportJSON(rep))
		return
	}
	var buf bytes.Buffer
	if err := app.WriteReportCSV(&buf, rep); err != nil {
		fail(c, err)
		return
	}
	c.Header("Content-Disposition", `attachment; filename="market4-report-`+rep.GroupBy+`-`+rep.Period+`-`+rep.From+`-`+rep.To+`.csv"`)
	c.Data(http.StatusOK, "text/csv; charset=utf-8", buf.Bytes())
}

func (s *Server) logCheckpoint(c *gin.Context) {
	cp, err := s.svc.LatestLogCheckpoint(c.Request.Context())
	if err != nil {
		fail(c, err)
		return
	}
	c.Header("X-Tree-Size", strconv.FormatUint(cp.Size, 10))
	c.Data(http.StatusOK, "text/plain; charset=utf-8", cp.Note)
}

func (s *Server) logKey(c *gin.Context) {
	k, err := s.svc.LogVerifierKey()
	if err != nil {
		fail(c, err)
		return
	}
	c.Data(http.StatusOK, "text/plain; charset=utf-8", []byte(k+"\n"))
}

type leafProofJSON struct {
	Index     uint64   `json:"index"`
	Kind      string   `json:"kind"`
	PaymentID *string  `json:"payment_id"`
	Leaf      *string  `json:"leaf"`
	LeafHash  string   `json:"leaf_hash"`
	Proof     []string `json:"proof"`
	LoggedAt  string   `json:"logged_at"`
}

type inclusionJSON struct {
	TreeSize   uint64          `json:"tree_size"`
	Checkpoint *string         `json:"checkpoint"`
	Leaves     []leafProofJSON `json:"leaves"`
}

type consistencyJSON struct {
	From       uint64   `json:"from"`
	To         uint64   `json:"to"`
	Checkpoint *string  `json:"checkpoint"`
	Proof      []string `json:"proof"`
}

func b64s(hs [][]byte) []string {
	out := make([]string, len(hs))
	for i, h := range hs {
		out[i] = base64.StdEncoding.EncodeToString(h)
	}
	return out
}

func noteJSON(n []byte) *string {
	if n == nil {
		return nil
	}
	s := string(n)
	return &s
}

// uintQuery parses an optional non-negative integer query parameter.
func uintQuery(c *gin.Context, name string) (uint64, bool, error) {
	v := c.Query(name)
	if v == "" {
		return 0, false, nil
	}
	n, err := strconv.ParseUint(v, 10, 63)
	if err != nil {
		return 0, false, errs.Field(name, "must be a non-negative integer")
	}
	return n, true, nil
}

func (s *Server) logInclusion(c *gin.Context) {
	size, _, err := uintQuery(c, "tree_size")
	if err != nil {
		fail(c, err)
		return
	}
	index, byIndex, err := uintQuery(c, "index")
	if err != nil {
		fail(c, err)
		return
	}
	pid := c.Query("payment_id")
	var ps *app.LogProofs
	switch {
	case pid != "" && byIndex:
		err = errs.Field("payment_id", "give payment_id or index, not both")
	case pid != "":
		ps, err = s.svc.PaymentInclusion(c.Request.Context(), pid, size)
	case byIndex:
		ps, err = s.svc.LeafInclusion(c.Request.Context(), actor(c), index, size)
	default:
		err = errs.Field("payment_id", "give payment_id or index")
	}
	if err != nil {
		fail(c, err)
		return
	}
	out := inclusionJSON{TreeSize: ps.TreeSize, Checkpoint: noteJSON(ps.Checkpoint), Leaves: make([]leafProofJSON, len(ps.Leaves))}
	for i, l := range ps.Leaves {
		lj := leafProofJSON{Index: l.Index, Kind: string(l.Kind), PaymentID: ptr(l.PaymentID), LeafHash: base64.StdEncoding.EncodeToString(l.LeafHash),
			Proof: b64s(l.Proof), LoggedAt: ts(l.Logged)}
		if l.Leaf != nil {
			b := base64.StdEncoding.EncodeToString(l.Leaf)
			lj.Leaf = &b
		}
		out.Leaves[i] = lj
	}
	c.JSON(http.StatusOK, out)
}

func (s *Server) logConsistency(c *gin.Context) {
	from, ok, err := uintQuery(c, "from")
	if err == nil && !ok {
		err = errs.Field("from", "is required")
	}
	if err != nil {
		fail(c, err)
		return
	}
	to, _, err := uintQuery(c, "to")
	if err != nil {
		fail(c, err)
		return
	}
	size, proof, note, err := s.svc.LogConsistency(c.Request.Context(), from, to)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, consistencyJSON{From: from, To: size, Checkpoint: noteJSON(note), Proof: b64s(proof)})
}
