// Package mockwallet simulates an e-wallet payment gateway modelled on
// MoMo's "All-In-One" v2 API (captureWallet), and holds the platform's
// adapter for it.
//
// The simulator (Wallet) creates orders, shows a pay page where a person
// (or a test, through a JSON endpoint) pays or cancels, and notifies the
// merchant with a signed IPN, retried until the merchant answers 204. The
// adapter (Provider) implements provider.Provider against it over HTTP.
//
// Every message is signed as MoMo signs: hex HMAC-SHA256(secretKey, raw)
// where raw is "key=value" pairs sorted by key and joined with "&", values
// not URL-escaped. The exact raw strings are on the RawSignature methods.
package mockwallet

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strconv"
)

// Dev credentials, used by cmd/mockbank and the demo when no
// MARKET4_MOCKWALLET_* variables are set. Not secrets: they only work
// against the simulator.
const (
	DevPartnerCode = "MOMOM4DEV"
	DevAccessKey   = "m4devaccesskey01"
	DevSecretKey   = "m4dev-wallet-secret-key-not-for-production"
)

// Sign returns hex HMAC-SHA256(secretKey, raw), MoMo's signature.
func Sign(secretKey, raw string) string {
	m := hmac.New(sha256.New, []byte(secretKey))
	m.Write([]byte(raw))
	return hex.EncodeToString(m.Sum(nil))
}

// verify compares a hex signature (either case) with Sign(secretKey, raw)
// in constant time. An empty key verifies nothing.
func verify(secretKey, raw, sig string) bool {
	got, err := hex.DecodeString(sig)
	if err != nil || len(got) != sha256.Size || secretKey == "" {
		return false
	}
	m := hmac.New(sha256.New, []byte(secretKey))
	m.Write([]byte(raw))
	return hmac.Equal(m.Sum(nil), got)
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// CreateRequest is POST /v2/gateway/api/create.
type CreateRequest struct {
	PartnerCode string `json:"partnerCode"`
	PartnerName string `json:"partnerName,omitempty"`
	StoreID     string `json:"storeId,omitempty"`
	RequestID   string `json:"requestId"`
	Amount      int64  `json:"amount"`
	OrderID     string `json:"orderId"`
	OrderInfo   string `json:"orderInfo"`
	RedirectURL string `json:"redirectUrl"`
	IPNURL      string `json:"ipnUrl"`
	RequestType string `json:"requestType"` // "captureWallet"
	ExtraData   string `json:"extraData"`
	Lang        string `json:"lang"` // "vi" or "en"
	Signature   string `json:"signature"`
}

// RawSignature is the string a create request signs:
//
//	accessKey=$accessKey&amount=$amount&extraData=$extraData&ipnUrl=$ipnUrl&orderId=$orderId&orderInfo=$orderInfo&partnerCode=$partnerCode&redirectUrl=$redirectUrl&requestId=$requestId&requestType=$requestType
func (r *CreateRequest) RawSignature(accessKey string) string {
	return "accessKey=" + accessKey + "&amount=" + itoa(r.Amount) + "&extraData=" + r.ExtraData +
		"&ipnUrl=" + r.IPNURL + "&orderId=" + r.OrderID + "&orderInfo=" + r.OrderInfo +
		"&partnerCode=" + r.PartnerCode + "&redirectUrl=" + r.RedirectURL + "&requestId=" + r.RequestID +
		"&requestType=" + r.RequestType
}

// CreateResponse answers a create request.
type CreateResponse struct {
	PartnerCode  string `json:"partnerCode"`
	RequestID    string `json:"requestId"`
	OrderID      string `json:"orderId"`
	Amount       int64  `json:"amount"`
	ResponseTime int64  `json:"responseTime"` // Unix milliseconds
	Message      string `json:"message"`
	ResultCode   int    `json:"resultCode"`
	PayURL       string `json:"payUrl,omitempty"`
	QRCodeURL    string `json:"qrCodeUrl,omitempty"` // the string to render as a QR
	Deeplink     string `json:"deeplink,omitempty"`
}

// IPN is the payment result the wallet POSTs to the order's ipnUrl (and
// puts in the redirectUrl query).
type IPN struct {
	PartnerCode  string `json:"partnerCode"`
	OrderID      string `json:"orderId"`
	RequestID    string `json:"requestId"`
	Amount       int64  `json:"amount"`
	OrderInfo    string `json:"orderInfo"`
	OrderType    string `json:"orderType"` // "momo_wallet"
	TransID      int64  `json:"transId"`
	ResultCode   int    `json:"resultCode"` // 0 paid, 1006 declined by the user
	Message      string `json:"message"`
	PayType      string `json:"payType"`      // "qr"
	ResponseTime int64  `json:"responseTime"` // Unix milliseconds, stamped per delivery attempt
	ExtraData    string `json:"extraData"`
	Signature    string `json:"signature"`
}

// RawSignature is the string an IPN signs:
//
//	accessKey=$accessKey&amount=$amount&extraData=$extraData&message=$message&orderId=$orderId&orderInfo=$orderInfo&orderType=$orderType&partnerCode=$partnerCode&payType=$payType&requestId=$requestId&responseTime=$responseTime&resultCode=$resultCode&transId=$transId
func (n *IPN) RawSignature(accessKey string) string {
	return "accessKey=" + accessKey + "&amount=" + itoa(n.Amount) + "&extraData=" + n.ExtraData +
		"&message=" + n.Message + "&orderId=" + n.OrderID + "&orderInfo=" + n.OrderInfo +
		"&orderType=" + n.OrderType + "&partnerCode=" + n.PartnerCode + "&payType=" + n.PayType +
		"&requestId=" + n.RequestID + "&responseTime=" + itoa(n.ResponseTime) +
		"&resultCode=" + strconv.Itoa(n.ResultCode) + "&transId=" + itoa(n.TransID)
}

// QueryRequest is POST /v2/gateway/api/query.
type QueryRequest struct {
	PartnerCode string `json:"partnerCode"`
	RequestID   string `json:"requestId"`
	OrderID     string `json:"orderId"`
	Lang        string `json:"lang"`
	Signature   string `json:"signature"`
}

// RawSignature is the string a query signs:
//
//	accessKey=$accessKey&orderId=$orderId&partnerCode=$partnerCode&requestId=$requestId
func (r *QueryRequest) RawSignature(accessKey string) string {
	return "accessKey=" + accessKey + "&orderId=" + r.OrderID + "&partnerCode=" + r.PartnerCode + "&requestId=" + r.RequestID
}

// QueryResponse is an order's status: resultCode 0 paid, 1000 waiting for
// the payer, 1006 declined, 42 no such order.
type QueryResponse struct {
	PartnerCode  string        `json:"partnerCode"`
	RequestID    string        `json:"requestId"`
	OrderID      string        `json:"orderId"`
	ExtraData    string        `json:"extraData"`
	Amount       int64         `json:"amount"`
	TransID      int64         `json:"transId"`
	PayType      string        `json:"payType"`
	ResultCode   int           `json:"resultCode"`
	RefundTrans  []RefundTrans `json:"refundTrans"`
	Message      string        `json:"message"`
	ResponseTime int64         `json:"responseTime"`
	LastUpdated  int64         `json:"lastUpdated"`
}

// RefundTrans is one refund of an order, as a query lists it.
type RefundTrans struct {
	OrderID     string `json:"orderId"` // the refund's own id
	Amount      int64  `json:"amount"`
	ResultCode  int    `json:"resultCode"`
	TransID     int64  `json:"transId"`
	CreatedTime int64  `json:"createdTime"`
}

// RefundRequest is POST /v2/gateway/api/refund. OrderID is the refund's
// own unique id (the wallet dedupes on it); TransID is the payment's.
type RefundRequest struct {
	PartnerCode string `json:"partnerCode"`
	OrderID     string `json:"orderId"`
	RequestID   string `json:"requestId"`
	Amount      int64  `json:"amount"`
	TransID     int64  `json:"transId"`
	Lang        string `json:"lang"`
	Description string `json:"description"`
	Signature   string `json:"signature"`
}

// RawSignature is the string a refund signs:
//
//	accessKey=$accessKey&amount=$amount&description=$description&orderId=$orderId&partnerCode=$partnerCode&requestId=$requestId&transId=$transId
func (r *RefundRequest) RawSignature(accessKey string) string {
	return "accessKey=" + accessKey + "&amount=" + itoa(r.Amount) + "&description=" + r.Description +
		"&orderId=" + r.OrderID + "&partnerCode=" + r.PartnerCode + "&requestId=" + r.RequestID +
		"&transId=" + itoa(r.TransID)
}

// RefundResponse answers a refund; TransID is the refund's own.
type RefundResponse struct {
	PartnerCode  string `json:"partnerCode"`
	OrderID      string `json:"orderId"`
	RequestID    string `json:"requestId"`
	Amount       int64  `json:"amount"`
	TransID      int64  `json:"transId"`
	ResultCode   int    `json:"resultCode"`
	Message      string `json:"message"`
	ResponseTime int64  `json:"responseTime"`
}

// StatementRawSignature is the string a statement request signs (a
// simulator extension: MoMo ships reconciliation files instead):
//
//	accessKey=$accessKey&from=$from&partnerCode=$partnerCode&to=$to
//
// with from and to exactly as sent in the query (RFC 3339).
func StatementRawSignature(accessKey, partnerCode, from, to string) string {
	return "accessKey=" + accessKey + "&from=" + from + "&partnerCode=" + partnerCode + "&to=" + to
}

// Statement is GET /v1/statement: every paid order in the window, as IPNs
// without signatures, ResponseTime being the payment time.
type Statement struct {
	PartnerCode  string `json:"partnerCode"`
	Transactions []IPN  `json:"transactions"`
}

// Result codes (MoMo's).
const (
	ResultOK               = 0
	ResultAccessDenied     = 11
	ResultAuthFailed       = 13
	ResultBadFormat        = 20
	ResultInvalidAmount    = 21
	ResultAmountOutOfRange = 22
	ResultDuplicateRequest = 40
	ResultDuplicateOrder   = 41
	ResultOrderNotFound    = 42
	ResultPending          = 1000
	ResultDeclined         = 1006
	ResultRefundRejected   = 1081
	ResultProcessing       = 7000
	ResultUnknown          = 99
)

var messages = map[int][2]string{ // vi, en
	ResultOK:               {"Thành công.", "Successful."},
	ResultAccessDenied:     {"Truy cập bị từ chối.", "Access denied."},
	ResultAuthFailed:       {"Xác thực doanh nghiệp thất bại.", "Merchant authentication failed."},
	ResultBadFormat:        {"Yêu cầu sai định dạng.", "Bad format request."},
	ResultInvalidAmount:    {"Số tiền giao dịch không hợp lệ.", "Invalid transaction amount."},
	ResultAmountOutOfRange: {"Số tiền giao dịch nằm ngoài phạm vi cho phép (1.000 – 50.000.000 đ).", "Transaction amount out of range (1,000 – 50,000,000 VND)."},
	ResultDuplicateRequest: {"RequestId bị trùng.", "Duplicated requestId."},
	ResultDuplicateOrder:   {"OrderId bị trùng.", "Duplicated orderId."},
	ResultOrderNotFound:    {"OrderId không hợp lệ hoặc không được tìm thấy.", "Invalid orderId or orderId is not found."},
	ResultPending:          {"Giao dịch đã được khởi tạo, chờ người dùng xác nhận thanh toán.", "Transaction initiated, waiting for user confirmation."},
	ResultDeclined:         {"Giao dịch thất bại do người dùng đã từ chối xác nhận thanh toán.", "Transaction denied by user."},
	ResultRefundRejected:   {"Giao dịch hoàn tiền bị từ chối: giao dịch gốc đã được hoàn hoặc số tiền vượt quá số có thể hoàn.", "Refund rejected: the original transaction may have been refunded or the amount exceeds the refundable amount."},
	ResultUnknown:          {"Lỗi không xác định.", "Unknown error."},
}

// Message is MoMo's text for a result code in lang ("vi" or "en").
func Message(code int, lang string) string {
	m, ok := messages[code]
	if !ok {
		m = messages[ResultUnknown]
	}
	if lang == "en" {
		return m[1]
	}
	return m[0]
}

// httpStatus is the coarse HTTP status that accompanies a result code:
// 2xx processed, 4xx the caller's fault, 5xx ours.
func httpStatus(code int) int {
	switch code {
	case ResultOK, ResultPending, ResultDeclined, ResultProcessing:
		return 200
	case ResultAuthFailed:
		return 401
	case ResultAccessDenied:
		return 403
	case ResultOrderNotFound:
		return 404
	case ResultDuplicateRequest, ResultDuplicateOrder:
		return 409
	case ResultUnknown:
		return 500
	}
	return 400
}
