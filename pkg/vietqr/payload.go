package vietqr

// Service is the NAPAS service code carried in tag 38, subfield 02. It tells
// the payer's bank whether AccountNumber is a bank account or a card number,
// which decides how NAPAS routes the transfer.
type Service string

// The two NAPAS 247 inter-bank fund transfer services a VietQR can request.
const (
	// ServiceAccount asks for a transfer to a bank account (QR IBFT To Account).
	ServiceAccount Service = "QRIBFTTA"
	// ServiceCard asks for a transfer to a domestic card number (QR IBFT To Card).
	ServiceCard Service = "QRIBFTTC"
)

// GUID is the application identifier NAPAS registered for VietQR. It is the
// mandatory first piece of tag 38; a payload without it is not a VietQR even
// when the rest looks right.
const GUID = "A000000727"

// Limits from EMVCo QRCPS-MPM v1.1 (Table 3.5/3.7) and the NAPAS VietQR
// specification v1.0. They are exported so that user interfaces can set
// input lengths to match what Encode accepts. All lengths are in bytes of
// the transliterated (printable ASCII) text.
const (
	// MaxPayloadLen is the longest payload Decode reads and PNG/SVG render.
	// EMVCo caps a merchant-presented payload at 512 characters; the longest
	// payload Encode can build is about 270 bytes.
	MaxPayloadLen = 512
	// MaxAccountLen is the longest account or card number (38/01/01, "ans..19").
	MaxAccountLen = 19
	// MaxAmountLen is the longest transaction amount (54, "ans..13").
	MaxAmountLen = 13
	// MaxMerchantNameLen is the longest merchant name (59, "ans..25").
	MaxMerchantNameLen = 25
	// MaxMerchantCityLen is the longest merchant city (60, "ans..15").
	MaxMerchantCityLen = 15
	// MaxAdditionalLen is the longest value of one subfield of the
	// additional data template 62 (62/01–62/08, "ans..25").
	MaxAdditionalLen = 25
	// MaxTemplateLen is the longest value of any template (38, 62): the
	// two-digit length field cannot say more.
	MaxTemplateLen = 99
)

// Payload is a decoded or to-be-encoded VietQR. The zero value of every
// optional field means "absent": Encode omits it and Decode leaves it empty.
//
// Text fields hold printable ASCII after Decode. Encode transliterates them
// with ASCII first, so Vietnamese text may be passed in as typed.
type Payload struct {
	// Dynamic is the point of initiation method (tag 01): true writes "12"
	// (a code made for one transaction), false writes "11" (a code shown
	// for many transactions, e.g. printed at a stall).
	Dynamic bool
	// BIN is the NAPAS acquirer bank identification number, exactly 6
	// digits (38/01/00). See LookupBank.
	BIN string
	// AccountNumber is the beneficiary account or card number (38/01/01):
	// 1–19 letters or digits. It is never transliterated or truncated.
	AccountNumber string
	// Service is the NAPAS service code (38/02). Encode writes
	// ServiceAccount when it is empty.
	Service Service
	// Amount is the transaction amount (54) in whole đồng: digits only, no
	// leading zero, greater than zero, at most 13 digits. Empty when absent.
	Amount string
	// Currency is the ISO 4217 numeric currency (53). Only "704" (VND) is
	// valid; Encode writes it when empty and Decode always fills it.
	Currency string
	// Country is the ISO 3166-1 alpha-2 country of the merchant (58). Only
	// "VN" is valid; Encode writes it when empty and Decode always fills it.
	Country string
	// MerchantName is the beneficiary name (59), at most 25 bytes.
	MerchantName string
	// MerchantCity is the beneficiary city (60), at most 15 bytes.
	MerchantCity string
	// BillNumber is the bill or invoice number (62/01), at most 25 bytes.
	BillNumber string
	// MobileNumber is the mobile number being topped up or paid (62/02).
	MobileNumber string
	// StoreLabel identifies the store (62/03).
	StoreLabel string
	// LoyaltyNumber is the payer's loyalty card number (62/04).
	LoyaltyNumber string
	// ReferenceLabel is a merchant reference for the transaction (62/05).
	ReferenceLabel string
	// CustomerLabel identifies the customer, e.g. a subscriber id (62/06).
	CustomerLabel string
	// TerminalLabel identifies the terminal or counter (62/07).
	TerminalLabel string
	// Purpose is the purpose of transaction (62/08). Vietnamese bank apps
	// copy it into the transfer content, so it is where an order code goes.
	Purpose string
	// CRC is the checksum read by Decode, as 4 upper-case hex digits. Encode
	// ignores it and always computes a fresh one.
	CRC string
}

// EncodeOptions adjusts how EncodeWith treats input it cannot encode as is.
// The zero value is the strict behaviour of Encode.
type EncodeOptions struct {
	// Truncate cuts over-long text fields (59, 60 and the 62 subfields) at
	// their byte limit instead of failing. If the 62 template still exceeds
	// 99 bytes, subfields are shortened, then dropped, in the order 62/07,
	// 06, 05, 04, 03, 02, 01 and 62/08 last, because Purpose is what bank
	// apps show and match on. BIN, AccountNumber and Amount are never cut:
	// a shortened account number would send money to someone else.
	Truncate bool
}
