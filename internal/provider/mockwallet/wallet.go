package mockwallet

import (
	"cmp"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/market4/market4/internal/provider/delivery"
)

// Amount limits of one wallet payment or refund, as MoMo's.
const (
	MinAmount = 1_000
	MaxAmount = 50_000_000
)

// Config configures the simulator for one merchant.
type Config struct {
	// PartnerCode, AccessKey and SecretKey are the merchant's credentials.
	// Default: the Dev* constants. SecretKey is never logged.
	PartnerCode, AccessKey, SecretKey string
	// PublicURL is the simulator's base URL as payers' browsers reach it,
	// for payUrl. Default: taken from each create request (scheme + Host).
	PublicURL string
	// Client sends IPNs. Default: a client with a 10 s timeout.
	Client *http.Client
	// Now is the wallet's clock. Default time.Now.
	Now func() time.Time
	// Backoff, MaxBackoff and MaxAttempts shape IPN retries as in the mock
	// bank: exponential from Backoff (default 1 s) up to MaxBackoff
	// (default 5 min), MaxAttempts per copy (default 10).
	Backoff, MaxBackoff time.Duration
	MaxAttempts         int
	// Logger receives delivery logs. Default slog.Default().
	Logger *slog.Logger
	// FirstTransID is the first transId. Default: start time in Unix
	// seconds × 1,000,000 (never reused across restarts, below 2^53).
	FirstTransID int64
}

// LogValue keeps the secret key out of logs.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(slog.String("partner_code", c.PartnerCode), slog.String("secret_key", "****"),
		slog.String("public_url", c.PublicURL))
}

// Faults make IPN delivery misbehave; see the mock bank's Faults for the
// exact semantics, which are the same.
type Faults struct {
	DelayMS      int  `json:"delay_ms"`      // hold the first IPN back
	Duplicates   int  `json:"duplicates"`    // N extra concurrent copies, byte-identical first attempts
	DropFirst    int  `json:"drop_first"`    // lose the first N attempts (recorded, retried)
	BadSignature bool `json:"bad_signature"` // sign every IPN with a wrong key
}

// Validate reports the first field out of range, with the mock bank's
// limits (delivery.CheckFaults).
func (f Faults) Validate() error {
	_, err := delivery.CheckFaults(f.DelayMS, f.Duplicates, f.DropFirst)
	return err
}

// Order states.
const (
	StatusPending  = "pending"
	StatusPaid     = "paid"
	StatusCanceled = "canceled"
)

// Delivery states of an order's IPN.
const (
	DeliveryNone      = delivery.None // not paid or canceled yet
	DeliveryPending   = delivery.Pending
	DeliveryDelivered = delivery.Delivered // some copy got 204
	DeliveryFailed    = delivery.Failed
)

// Order is an order as the simulator's JSON API shows it.
type Order struct {
	PartnerCode string        `json:"partnerCode"`
	OrderID     string        `json:"orderId"`
	RequestID   string        `json:"requestId"`
	Amount      int64         `json:"amount"`
	OrderInfo   string        `json:"orderInfo"`
	RedirectURL string        `json:"redirectUrl"`
	IPNURL      string        `json:"ipnUrl"`
	ExtraData   string        `json:"extraData"`
	Lang        string        `json:"lang"`
	Status      string        `json:"status"`
	ResultCode  int           `json:"resultCode"`
	TransID     int64         `json:"transId,omitempty"`
	CreatedAt   time.Time     `json:"createdAt"`
	PaidAt      time.Time     `json:"paidAt,omitzero"`
	Refunded    int64         `json:"refunded"`
	Refunds     []RefundTrans `json:"refunds"`
	Faults      Faults        `json:"faults"`
	Delivery    string        `json:"delivery"`
	Attempts    []Attempt     `json:"attempts"`
}

// Attempt is one try at delivering one copy of an IPN.
type Attempt = delivery.Attempt

// Wallet is the simulator. Safe for concurrent use.
type Wallet struct {
	cfg Config
	log *slog.Logger
	out *delivery.Sender // delivers the IPNs; their state is guarded by mu
	mux *http.ServeMux

	mu          sync.Mutex
	nextTransID int64
	faults      Faults
	orders      map[string]*order // by orderId (payments)
	byTransID   map[int64]*order
	creates     map[string]createRecord // by requestId
	refunds     map[string]refundRecord // by refund orderId
	refundReqs  map[string]string       // refund requestId → refund orderId
}

type order struct {
	o   Order         // Delivery and Attempts are filled in by snapshot
	job *delivery.Job // the IPN; nil until paid or canceled
}

type createRecord struct {
	req  CreateRequest
	resp CreateResponse
}

type refundRecord struct {
	req  RefundRequest // signature cleared
	resp RefundResponse
}

// New builds the simulator.
func New(cfg Config) *Wallet {
	if cfg.PartnerCode == "" {
		cfg.PartnerCode = DevPartnerCode
	}
	if cfg.AccessKey == "" {
		cfg.AccessKey = DevAccessKey
	}
	if cfg.SecretKey == "" {
		cfg.SecretKey = DevSecretKey
	}
	cfg.PublicURL = strings.TrimRight(cfg.PublicURL, "/")
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.FirstTransID <= 0 {
		cfg.FirstTransID = cfg.Now().Unix() * 1_000_000
	}
	w := &Wallet{cfg: cfg, log: cfg.Logger.With("component", "mockwallet"), nextTransID: cfg.FirstTransID,
		orders: map[string]*order{}, byTransID: map[int64]*order{}, creates: map[string]createRecord{},
		refunds: map[string]refundRecord{}, refundReqs: map[string]string{}}
	w.out = newSender(w) // the retry defaults are delivery's
	w.mux = w.routes()
	return w
}

// Close stops IPN deliveries and waits for them. Safe to call twice.
func (w *Wallet) Close() { w.out.Close() }

// SetFaults replaces the global faults used by payments that bring none.
func (w *Wallet) SetFaults(f Faults) error {
	if err := f.Validate(); err != nil {
		return err
	}
	w.mu.Lock()
	w.faults = f
	w.mu.Unlock()
	return nil
}

// Faults returns the global faults.
func (w *Wallet) Faults() Faults {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.faults
}

// Create opens an order. base is the simulator's public URL for payUrl
// (Config.PublicURL wins when set). Idempotent on requestId: the same
// request again gets the same answer; another request reusing the
// requestId gets 40, reusing the orderId 41.
func (w *Wallet) Create(req CreateRequest, base string) CreateResponse {
	now := w.cfg.Now()
	lang := langOf(req.Lang)
	resp := CreateResponse{PartnerCode: req.PartnerCode, RequestID: req.RequestID, OrderID: req.OrderID, Amount: req.Amount,
		ResponseTime: now.UnixMilli()}
	fail := func(code int) CreateResponse {
		resp.ResultCode, resp.Message = code, Message(code, lang)
		return resp
	}
	if req.PartnerCode != w.cfg.PartnerCode || !verify(w.cfg.SecretKey, req.RawSignature(w.cfg.AccessKey), req.Signature) {
		return fail(ResultAuthFailed)
	}
	switch {
	case !validID(req.OrderID) || !validID(req.RequestID) || req.RequestType != "captureWallet" ||
		req.OrderInfo == "" || !validURL(req.IPNURL) || (req.RedirectURL != "" && !validURL(req.RedirectURL)) ||
		(req.Lang != "" && req.Lang != "vi" && req.Lang != "en"):
		return fail(ResultBadFormat)
	case req.Amount <= 0:
		return fail(ResultInvalidAmount)
	case req.Amount < MinAmount || req.Amount > MaxAmount:
		return fail(ResultAmountOutOfRange)
	}
	key := req
	key.Signature = ""
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.out.Closed() {
		return fail(ResultUnknown)
	}
	if rec, ok := w.creates[req.RequestID]; ok {
		if rec.req == key {
			return rec.resp // a retry of the same request
		}
		return fail(ResultDuplicateRequest)
	}
	if _, ok := w.orders[req.OrderID]; ok {
		return fail(ResultDuplicateOrder)
	}
	if _, ok := w.refunds[req.OrderID]; ok {
		return fail(ResultDuplicateOrder)
	}
	if w.cfg.PublicURL != "" {
		base = w.cfg.PublicURL
	}
	o := &order{o: Order{PartnerCode: req.PartnerCode, OrderID: req.OrderID, RequestID: req.RequestID, Amount: req.Amount,
		OrderInfo: req.OrderInfo, RedirectURL: req.RedirectURL, IPNURL: req.IPNURL, ExtraData: req.ExtraData, Lang: lang,
		Status: StatusPending, ResultCode: ResultPending, CreatedAt: now, Refunds: []RefundTrans{}}}
	w.orders[req.OrderID] = o
	resp.ResultCode, resp.Message = ResultOK, Message(ResultOK, lang)
	resp.PayURL = base + "/mockwallet/pay/" + url.PathEscape(req.OrderID)
	resp.QRCodeURL = resp.PayURL // scanning it opens the pay page on a phone
	resp.Deeplink = "mockwallet://pay?orderId=" + url.QueryEscape(req.OrderID)
	w.creates[req.RequestID] = createRecord{req: key, resp: resp}
	return resp
}

// PayError says why a pay or cancel was refused.
type PayError struct {
	Status  int    `json:"-"`
	Code    string `json:"code"` // "not_found", "already_final", "closed", "invalid_request"
	Message string `json:"message"`
}

func (e *PayError) Error() string { return "mockwallet: " + e.Code + ": " + e.Message }

// Pay settles a pending order as the payer chose: pay (resultCode 0) or
// cancel (1006), then sends the IPN. faults, when non-nil, replace the
// global ones for this IPN. Errors: *PayError.
func (w *Wallet) Pay(orderID string, pay bool, faults *Faults) (Order, error) {
	f := Faults{}
	if faults != nil {
		if err := faults.Validate(); err != nil {
			return Order{}, &PayError{Status: 422, Code: "invalid_request", Message: err.Error()}
		}
		f = *faults
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.out.Closed() {
		return Order{}, &PayError{Status: 503, Code: "closed", Message: "the wallet is closed"}
	}
	o, ok := w.orders[orderID]
	if !ok {
		return Order{}, &PayError{Status: 404, Code: "not_found", Message: "no such order"}
	}
	if o.o.Status != StatusPending {
		return w.snapshot(o), &PayError{Status: 409, Code: "already_final", Message: "the order is already " + o.o.Status}
	}
	if faults == nil {
		f = w.faults
	}
	now := w.cfg.Now()
	o.o.TransID = w.nextTransID
	w.nextTransID++
	w.byTransID[o.o.TransID] = o
	o.o.PaidAt = now
	if pay {
		o.o.Status, o.o.ResultCode = StatusPaid, ResultOK
	} else {
		o.o.Status, o.o.ResultCode = StatusCanceled, ResultDeclined
	}
	o.o.Faults = f
	w.queue(o)
	return w.snapshot(o), nil
}

// Order returns an order with its IPN attempts.
func (w *Wallet) Order(orderID string) (Order, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	o, ok := w.orders[orderID]
	if !ok {
		return Order{}, false
	}
	return w.snapshot(o), true
}

// Query answers POST /v2/gateway/api/query.
func (w *Wallet) Query(req QueryRequest) QueryResponse {
	now := w.cfg.Now()
	lang := langOf(req.Lang)
	resp := QueryResponse{PartnerCode: req.PartnerCode, RequestID: req.RequestID, OrderID: req.OrderID,
		ResponseTime: now.UnixMilli(), RefundTrans: []RefundTrans{}}
	if req.PartnerCode != w.cfg.PartnerCode || !verify(w.cfg.SecretKey, req.RawSignature(w.cfg.AccessKey), req.Signature) {
		resp.ResultCode, resp.Message = ResultAuthFailed, Message(ResultAuthFailed, lang)
		return resp
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	o, ok := w.orders[req.OrderID]
	if !ok {
		resp.ResultCode, resp.Message = ResultOrderNotFound, Message(ResultOrderNotFound, lang)
		return resp
	}
	resp.ExtraData, resp.Amount, resp.TransID, resp.ResultCode = o.o.ExtraData, o.o.Amount, o.o.TransID, o.o.ResultCode
	resp.Message = Message(o.o.ResultCode, lang)
	resp.RefundTrans = slices.Clone(o.o.Refunds)
	resp.LastUpdated = o.o.CreatedAt.UnixMilli()
	if o.o.Status != StatusPending {
		resp.PayType = "qr"
		resp.LastUpdated = o.o.PaidAt.UnixMilli()
	}
	for _, r := range o.o.Refunds {
		resp.LastUpdated = max(resp.LastUpdated, r.CreatedTime)
	}
	return resp
}

// Refund answers POST /v2/gateway/api/refund: returns amount of the paid
// order TransID to the payer. Idempotent on the refund's orderId: the
// same request gets the same answer, refusals (42, 1081) included.
func (w *Wallet) Refund(req RefundRequest) RefundResponse {
	now := w.cfg.Now()
	lang := langOf(req.Lang)
	resp := RefundResponse{PartnerCode: req.PartnerCode, OrderID: req.OrderID, RequestID: req.RequestID, Amount: req.Amount,
		ResponseTime: now.UnixMilli()}
	fail := func(code int) RefundResponse {
		resp.ResultCode, resp.Message = code, Message(code, lang)
		return resp
	}
	if req.PartnerCode != w.cfg.PartnerCode || !verify(w.cfg.SecretKey, req.RawSignature(w.cfg.AccessKey), req.Signature) {
		return fail(ResultAuthFailed)
	}
	switch {
	case !validID(req.OrderID) || !validID(req.RequestID) || req.TransID <= 0 || len(req.Description) > 255:
		return fail(ResultBadFormat)
	case req.Amount <= 0:
		return fail(ResultInvalidAmount)
	case req.Amount < MinAmount || req.Amount > MaxAmount:
		return fail(ResultAmountOutOfRange)
	}
	key := req
	key.Signature = ""
	w.mu.Lock()
	defer w.mu.Unlock()
	if rec, ok := w.refunds[req.OrderID]; ok {
		if rec.req == key {
			return rec.resp
		}
		return fail(ResultDuplicateOrder)
	}
	if prev, ok := w.refundReqs[req.RequestID]; ok && prev != req.OrderID {
		return fail(ResultDuplicateRequest)
	}
	if _, ok := w.orders[req.OrderID]; ok {
		return fail(ResultDuplicateOrder)
	}
	if w.out.Closed() {
		return fail(ResultUnknown)
	}
	remember := func(r RefundResponse) RefundResponse {
		w.refunds[req.OrderID] = refundRecord{req: key, resp: r}
		w.refundReqs[req.RequestID] = req.OrderID
		return r
	}
	o, ok := w.byTransID[req.TransID]
	switch {
	case !ok:
		return remember(fail(ResultOrderNotFound))
	case o.o.Status != StatusPaid || req.Amount > o.o.Amount-o.o.Refunded:
		return remember(fail(ResultRefundRejected))
	}
	id := w.nextTransID
	w.nextTransID++
	o.o.Refunded += req.Amount
	o.o.Refunds = append(o.o.Refunds, RefundTrans{OrderID: req.OrderID, Amount: req.Amount, ResultCode: ResultOK, TransID: id,
		CreatedTime: now.UnixMilli()})
	resp.TransID = id
	resp.ResultCode, resp.Message = ResultOK, Message(ResultOK, lang)
	return remember(resp)
}

// Statement returns every order paid in [from, to), oldest first, as
// unsigned IPNs whose ResponseTime is the payment time.
func (w *Wallet) Statement(from, to time.Time) []IPN {
	w.mu.Lock()
	defer w.mu.Unlock()
	var paid []*order
	for _, o := range w.orders {
		if o.o.Status == StatusPaid && !o.o.PaidAt.Before(from) && o.o.PaidAt.Before(to) {
			paid = append(paid, o)
		}
	}
	slices.SortFunc(paid, func(a, b *order) int { return cmp.Compare(a.o.TransID, b.o.TransID) })
	out := make([]IPN, 0, len(paid))
	for _, o := range paid {
		n := ipnOf(&o.o, o.o.PaidAt)
		out = append(out, n)
	}
	return out
}

// snapshot copies an order for callers. Called with w.mu held.
func (w *Wallet) snapshot(o *order) Order {
	c := o.o
	c.Delivery, c.Attempts = o.job.State()
	c.Refunds = slices.Clone(o.o.Refunds)
	return c
}

// ipnOf builds an order's (unsigned) result notification stamped at t.
func ipnOf(o *Order, t time.Time) IPN {
	return IPN{PartnerCode: o.PartnerCode, OrderID: o.OrderID, RequestID: o.RequestID, Amount: o.Amount,
		OrderInfo: o.OrderInfo, OrderType: "momo_wallet", TransID: o.TransID, ResultCode: o.ResultCode,
		Message: Message(o.ResultCode, o.Lang), PayType: "qr", ResponseTime: t.UnixMilli(), ExtraData: o.ExtraData}
}

func langOf(l string) string {
	if l == "en" {
		return "en"
	}
	return "vi"
}

// validID is MoMo's rule for orderId and requestId:
// ^[0-9a-zA-Z]([-_.]*[0-9a-zA-Z]+)*$, at most 50 characters.
func validID(s string) bool {
	if s == "" || len(s) > 50 || !alnum(s[0]) || !alnum(s[len(s)-1]) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !alnum(c) && c != '-' && c != '_' && c != '.' {
			return false
		}
	}
	return true
}

func alnum(c byte) bool { return '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }

func validURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" && len(s) <= 1000
}
