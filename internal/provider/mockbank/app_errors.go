package mockbank

import (
	"errors"
	"net/http"

	"github.com/market4/market4/pkg/money"
	"github.com/market4/market4/pkg/vietqr"
)

// uiError is a refusal as the banking app shows it: a Vietnamese sentence
// for a person, never a Go error string. Field is the id of the control at
// fault (marked aria-invalid and linked from the message); Rule is the
// broken VietQR rule, shown as a code a developer can look up.
type uiError struct {
	Status int
	Msg    string
	Detail string
	Field  string
	Rule   string
	Tag    string
}

// qrRuleText explains each vietqr rule in Vietnamese.
var qrRuleText = map[string]string{
	vietqr.RuleTooLong:         "mã hoặc một trường của mã dài quá giới hạn",
	vietqr.RuleNonASCII:        "mã có ký tự không hợp lệ (chỉ cho phép chữ, số và dấu ASCII, không dấu tiếng Việt)",
	vietqr.RuleBadTag:          "cấu trúc sai: mã trường không phải 2 chữ số",
	vietqr.RuleBadLength:       "cấu trúc sai: độ dài của một trường không hợp lệ",
	vietqr.RuleTemplateOverrun: "cấu trúc sai: một trường dài hơn phần còn lại của mã (mã bị cắt mất?)",
	vietqr.RuleDuplicateTag:    "một trường xuất hiện hai lần",
	vietqr.RuleOrder:           "trường 00 phải đứng đầu",
	vietqr.RuleTrailingData:    "có dữ liệu thừa sau mã kiểm tra (trường 63 phải ở cuối)",
	vietqr.RuleMissingTag:      "thiếu một trường bắt buộc",
	vietqr.RuleUnknownTag:      "có trường mà chuẩn NAPAS không định nghĩa",
	vietqr.RuleBadFormat:       "chỉ báo định dạng (trường 00) phải là 01",
	vietqr.RuleBadInit:         "phương thức khởi tạo (trường 01) phải là 11 (mã tĩnh) hoặc 12 (mã động)",
	vietqr.RuleBadCRC:          "mã kiểm tra (trường 63) phải gồm 4 ký tự hex",
	vietqr.RuleCRCMismatch:     "mã kiểm tra CRC không khớp: mã đã bị sửa, hoặc dán thiếu hay thừa ký tự",
	vietqr.RuleBadGUID:         "không phải VietQR: định danh NAPAS (trường 38.00) sai",
	vietqr.RuleBadBIN:          "mã ngân hàng BIN (trường 38.01.00) phải gồm 6 chữ số",
	vietqr.RuleBadAccount:      "số tài khoản (trường 38.01.01) phải gồm 1–19 chữ cái hoặc chữ số",
	vietqr.RuleBadService:      "mã dịch vụ (trường 38.02) phải là QRIBFTTA hoặc QRIBFTTC",
	vietqr.RuleBadAmount:       "số tiền (trường 54) phải là số nguyên dương, không bắt đầu bằng 0",
	vietqr.RuleBadCurrency:     "tiền tệ (trường 53) phải là 704 (VND)",
	vietqr.RuleBadCountry:      "quốc gia (trường 58) phải là VN",
}

// qrError explains why a scanned payload is not a VietQR the bank can pay.
// field is the control the payload came from ("qr" or "qrfile").
func qrError(err error, field string) *uiError {
	e := &uiError{Status: http.StatusUnprocessableEntity, Msg: "Mã QR không hợp lệ", Field: field,
		Detail: "Đây không phải mã VietQR mà ngân hàng có thể thanh toán."}
	var qe *vietqr.Error
	if errors.As(err, &qe) {
		e.Rule, e.Tag = qe.Rule, qe.Tag
		if s, ok := qrRuleText[qe.Rule]; ok {
			e.Detail = "Lỗi: " + s + "."
		}
	}
	return e
}

// Errors of the scan step that are not about the payload itself.
var (
	uiNoInput = &uiError{Status: http.StatusUnprocessableEntity, Field: "qr",
		Msg: "Chưa có mã QR", Detail: "Hãy dán nội dung mã hoặc chọn một ảnh mã QR."}
	uiNoShopper = &uiError{Status: http.StatusUnprocessableEntity, Field: "from",
		Msg: "Chưa chọn người mua", Detail: "Hãy chọn tài khoản sẽ trả tiền."}
	uiUnknownShopper = &uiError{Status: http.StatusUnprocessableEntity, Field: "from",
		Msg: "Không có tài khoản người mua này", Detail: "Hãy chọn một tài khoản trong danh sách."}
	uiImageTooLarge = &uiError{Status: http.StatusRequestEntityTooLarge, Field: "qrfile",
		Msg: "Ảnh quá lớn", Detail: "Ảnh tải lên tối đa 2 MB. Hãy cắt ảnh sát mã QR hoặc chụp màn hình nhỏ hơn."}
	uiImageDims = &uiError{Status: http.StatusUnprocessableEntity, Field: "qrfile",
		Msg: "Ảnh quá lớn", Detail: "Ảnh có quá nhiều điểm ảnh (tối đa 16 megapixel, mỗi cạnh 8192). Hãy thu nhỏ hoặc cắt ảnh."}
	uiImageFormat = &uiError{Status: http.StatusUnsupportedMediaType, Field: "qrfile",
		Msg: "Không phải ảnh PNG hoặc JPEG", Detail: "Chỉ nhận ảnh PNG hoặc JPEG (ví dụ ảnh chụp màn hình)."}
	uiImageCorrupt = &uiError{Status: http.StatusUnprocessableEntity, Field: "qrfile",
		Msg: "Không đọc được ảnh", Detail: "Tệp ảnh bị hỏng hoặc không đầy đủ. Hãy thử lại với ảnh khác."}
	uiNoQR = &uiError{Status: http.StatusUnprocessableEntity, Field: "qrfile",
		Msg: "Không tìm thấy mã QR trong ảnh", Detail: "Hãy chụp lại cho rõ, đủ sáng, cả mã nằm trong ảnh; hoặc cắt ảnh sát mã QR."}
	uiBusy = &uiError{Status: http.StatusServiceUnavailable, Field: "qrfile",
		Msg: "Máy chủ đang bận", Detail: "Đang đọc nhiều ảnh cùng lúc. Hãy thử lại sau vài giây."}
	uiBadForm = &uiError{Status: http.StatusBadRequest,
		Msg: "Biểu mẫu không hợp lệ", Detail: "Hãy tải lại trang và thử lại."}
)

// payError explains a refused transfer. balance is the payer's balance and
// amount what they tried to pay (0 when the QR's amount was meant).
func payError(err error, balance, amount int64) *uiError {
	var e *Error
	if !errors.As(err, &e) {
		return &uiError{Status: http.StatusInternalServerError, Msg: "Không chuyển được tiền",
			Detail: "Ngân hàng mô phỏng gặp lỗi. Hãy thử lại."}
	}
	u := &uiError{Status: e.Status, Msg: "Không chuyển được tiền"}
	switch e.Code {
	case CodeInsufficientFunds:
		u.Msg = "Số dư không đủ"
		u.Detail = "Tài khoản còn " + money.FromDong(balance).Format() + ", cần " + money.FromDong(amount).Format() +
			". Hãy chọn người mua khác hoặc nhập số tiền nhỏ hơn."
		u.Field = "amount"
	case CodeAmountRequired:
		u.Msg = "Chưa nhập số tiền"
		u.Detail = "Mã QR tĩnh không có sẵn số tiền: hãy nhập số tiền cần chuyển."
		u.Field = "amount"
	case CodeAmountOutOfRange:
		u.Msg = "Số tiền không hợp lệ"
		u.Detail = "Số tiền phải từ 1 ₫ đến dưới 500.000.000 ₫."
		u.Field = "amount"
	case CodeUnknownAccount:
		return uiUnknownShopper
	case CodeInvalidQR:
		return qrError(&vietqr.Error{Rule: e.Rule, Tag: e.Tag}, "qr")
	case CodeInvalidRequest:
		if e.Field == "from_account" {
			return uiNoShopper
		}
		if e.Field == "qr_payload" {
			return uiNoInput
		}
		u.Detail = "Yêu cầu không hợp lệ. Hãy quét lại mã."
	case CodeClosed:
		u.Detail = "Ngân hàng mô phỏng đã dừng hoạt động."
	default:
		u.Detail = "Ngân hàng từ chối giao dịch. Hãy thử lại."
	}
	return u
}
