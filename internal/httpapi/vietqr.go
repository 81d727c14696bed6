package httpapi

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"sync"

	"github.com/gin-gonic/gin"

	"github.com/market4/market4/internal/errs"
	"github.com/market4/market4/internal/market"
	"github.com/market4/market4/pkg/money"
	"github.com/market4/market4/pkg/vietqr"
)

type bankJSON struct {
	BIN       string `json:"bin"`
	ShortName string `json:"short_name"`
	Name      string `json:"name"`
	SWIFT     string `json:"swift_code"`
}

func (s *Server) listBanks(c *gin.Context) {
	banks := vietqr.Banks()
	out := make([]bankJSON, len(banks))
	for i, b := range banks {
		out[i] = bankJSON{BIN: b.BIN, ShortName: b.ShortName, Name: b.Name, SWIFT: b.SWIFT}
	}
	c.Header("Cache-Control", "public, max-age=86400")
	c.JSON(http.StatusOK, gin.H{"items": out})
}

type encodeReq struct {
	BIN           string `json:"bin"`
	AccountNumber string `json:"account_number"`
	Service       string `json:"service"`
	Amount        string `json:"amount"`
	Purpose       string `json:"purpose"`
	BillNumber    string `json:"bill_number"`
	MerchantName  string `json:"merchant_name"`
	MerchantCity  string `json:"merchant_city"`
}

func (s *Server) encodeVietQR(c *gin.Context) {
	var req encodeReq
	if !decode(c, &req) {
		return
	}
	p := vietqr.Payload{BIN: req.BIN, AccountNumber: req.AccountNumber, Purpose: req.Purpose, BillNumber: req.BillNumber,
		MerchantName: req.MerchantName, MerchantCity: req.MerchantCity}
	switch req.Service {
	case "", "account":
		p.Service = vietqr.ServiceAccount
	case "card":
		p.Service = vietqr.ServiceCard
	default:
		fail(c, errs.Field("service", `must be "account" or "card"`))
		return
	}
	if req.Amount != "" {
		a, err := money.Parse(req.Amount)
		if err != nil {
			fail(c, errs.Field("amount", err.Error()))
			return
		}
		p.Amount, p.Dynamic = a.String(), true
	}
	payload, err := vietqr.Encode(p)
	if err != nil {
		fail(c, qrError(err, ""))
		return
	}
	c.JSON(http.StatusOK, gin.H{"payload": payload})
}

// qrError names the request field a vietqr error is about.
func qrError(err error, field string) error {
	var qe *vietqr.Error
	if !errors.As(err, &qe) {
		return err
	}
	if field == "" {
		field = qe.Field
	}
	if field == "" {
		field = "payload"
	}
	msg := qe.Msg
	if qe.Offset >= 0 {
		msg = fmt.Sprintf("%s: %s at offset %d", qe.Rule, qe.Msg, qe.Offset)
		if qe.Tag != "" {
			msg = fmt.Sprintf("%s: %s at offset %d (tag %s)", qe.Rule, qe.Msg, qe.Offset, qe.Tag)
		}
	}
	return &errs.Error{Code: errs.Invalid, Message: msg, Fields: []errs.FieldError{{Field: field, Message: msg}}, Err: err}
}

type decodeReq struct {
	Payload string `json:"payload"`
}

type decodedJSON struct {
	InitMethod    string `json:"init_method"`
	BIN           string `json:"bin"`
	BankName      string `json:"bank_name,omitempty"`
	AccountNumber string `json:"account_number"`
	ServiceCode   string `json:"service_code"`
	Amount        string `json:"amount,omitempty"`
	Currency      string `json:"currency"`
	Country       string `json:"country"`
	Purpose       string `json:"purpose,omitempty"`
	BillNumber    string `json:"bill_number,omitempty"`
	StoreLabel    string `json:"store_label,omitempty"`
	TerminalLabel string `json:"terminal_label,omitempty"`
	MerchantName  string `json:"merchant_name,omitempty"`
	MerchantCity  string `json:"merchant_city,omitempty"`
	CRC           string `json:"crc"`
}

func toDecodedJSON(p vietqr.Payload) decodedJSON {
	init := "static"
	if p.Dynamic {
		init = "dynamic"
	}
	return decodedJSON{InitMethod: init, BIN: p.BIN, BankName: bankName(p.BIN), AccountNumber: p.AccountNumber,
		ServiceCode: string(p.Service), Amount: p.Amount, Currency: p.Currency, Country: p.Country, Purpose: p.Purpose,
		BillNumber: p.BillNumber, StoreLabel: p.StoreLabel, TerminalLabel: p.TerminalLabel,
		MerchantName: p.MerchantName, MerchantCity: p.MerchantCity, CRC: p.CRC}
}

func (s *Server) decodeVietQR(c *gin.Context) {
	var req decodeReq
	if !decode(c, &req) {
		return
	}
	if req.Payload == "" {
		fail(c, errs.Field("payload", "is required"))
		return
	}
	p, err := vietqr.Decode(req.Payload)
	if err != nil {
		fail(c, qrError(err, "payload"))
		return
	}
	c.JSON(http.StatusOK, toDecodedJSON(p))
}

type stallQRJSON struct {
	StallID       string  `json:"stall_id"`
	StallNumber   string  `json:"stall_number"`
	StallName     string  `json:"stall_name"`
	Payload       string  `json:"payload"`
	BankBIN       string  `json:"bank_bin"`
	Bank          string  `json:"bank"`
	AccountNumber string  `json:"account_number"`
	AccountName   *string `json:"account_name"`
	PNGURL        string  `json:"png_url"`
	SVGURL        string  `json:"svg_url"`
}

// stallPayload loads an active stall and its static VietQR payload.
func (s *Server) stallPayload(c *gin.Context) (*market.Stall, string, bool) {
	st, err := s.svc.PublicStall(c.Request.Context(), c.Param("id"))
	if err != nil {
		fail(c, err)
		return nil, "", false
	}
	payload, err := vietqr.Encode(st.StaticQR())
	if err != nil {
		fail(c, err)
		return nil, "", false
	}
	return st, payload, true
}

func (s *Server) stallQR(c *gin.Context) {
	st, payload, ok := s.stallPayload(c)
	if !ok {
		return
	}
	base := "/v1/stalls/" + st.ID
	out := stallQRJSON{StallID: st.ID, StallNumber: st.StallNumber, StallName: st.Name, Payload: payload,
		BankBIN: st.BankBIN, Bank: bankName(st.BankBIN), AccountNumber: st.AccountNumber,
		PNGURL: base + "/qr.png", SVGURL: base + "/qr.svg"}
	// The holder's name is personal data: the stall's vendor, its district
	// staff and admins see it (to check the poster); anonymous callers get
	// only what the QR itself carries.
	if actor(c).CanReadStall(st) {
		out.AccountName = &st.AccountName
	}
	c.JSON(http.StatusOK, out)
}

func (s *Server) stallQRPNG(c *gin.Context) {
	_, payload, ok := s.stallPayload(c)
	if !ok {
		return
	}
	size := 512
	if v := c.Query("size"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < vietqr.MinPNGSize || n > vietqr.MaxPNGSize {
			fail(c, errs.Field("size", fmt.Sprintf("must be an integer from %d to %d", vietqr.MinPNGSize, vietqr.MaxPNGSize)))
			return
		}
		size = n
	}
	s.serveImage(c, "image/png", payload+"|png|"+strconv.Itoa(size), func() ([]byte, error) { return vietqr.PNG(payload, size) })
}

func (s *Server) stallQRSVG(c *gin.Context) {
	_, payload, ok := s.stallPayload(c)
	if !ok {
		return
	}
	s.serveImage(c, "image/svg+xml", payload+"|svg", func() ([]byte, error) { return vietqr.SVG(payload) })
}

// serveImage answers from the render cache, with a strong ETag derived from
// what is rendered so phones revalidate cheaply with If-None-Match.
func (s *Server) serveImage(c *gin.Context, ctype, key string, render func() ([]byte, error)) {
	img, etag, err := qrCache.get(key, render)
	if err != nil {
		fail(c, qrError(err, "size"))
		return
	}
	c.Header("ETag", etag)
	c.Header("Cache-Control", "public, max-age=300")
	if c.GetHeader("If-None-Match") == etag {
		c.Status(http.StatusNotModified)
		return
	}
	c.Data(http.StatusOK, ctype, img)
}

// renderCache keeps rendered QR images: a stall's QR only changes when its
// bank account does, and rendering a PNG costs far more than serving it.
// It is bounded; when full it is simply reset (cheap, and the working set of
// one market's stalls refills it at once).
type renderCache struct {
	mu      sync.Mutex
	max     int
	entries map[string]cached
	// Disabled turns the cache off (for the with/without benchmark).
	Disabled bool
}

type cached struct {
	img  []byte
	etag string
}

var qrCache = &renderCache{max: 4096, entries: map[string]cached{}}

func (rc *renderCache) get(key string, render func() ([]byte, error)) ([]byte, string, error) {
	rc.mu.Lock()
	e, ok := rc.entries[key]
	disabled := rc.Disabled
	rc.mu.Unlock()
	if ok && !disabled {
		return e.img, e.etag, nil
	}
	img, err := render()
	if err != nil {
		return nil, "", err
	}
	sum := sha256.Sum256([]byte(key))
	e = cached{img: img, etag: `"` + hex.EncodeToString(sum[:12]) + `"`}
	if !disabled {
		rc.mu.Lock()
		if len(rc.entries) >= rc.max {
			rc.entries = make(map[string]cached, rc.max)
		}
		rc.entries[key] = e
		rc.mu.Unlock()
	}
	return e.img, e.etag, nil
}

// SetQRCache turns the QR render cache on or off (benchmarks compare both).
func SetQRCache(on bool) {
	qrCache.mu.Lock()
	qrCache.Disabled = !on
	qrCache.entries = map[string]cached{}
	qrCache.mu.Unlock()
}
