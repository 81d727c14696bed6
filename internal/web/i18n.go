package web

import (
	"encoding/json"
	"fmt"
	"sync"
)

// Languages: Vietnamese first (the default for everyone), English second.
var langs = []string{"vi", "en"}

// langCookie remembers a visitor's choice.
const langCookie = "m4lang"

func validLang(l string) bool { return l == "vi" || l == "en" }

func otherLang(l string) string {
	if l == "vi" {
		return "en"
	}
	return "vi"
}

// msg is one text in both languages.
type msg struct{ vi, en string }

// dict holds every text of the pages and their scripts. Templates use
// {{t "key"}}; scripts get the page language's half as JSON. Tests check
// that both halves are filled and that every key the templates and
// scripts use exists.
var dict = map[string]msg{
	"app.name":        {"Market4 — Bán hàng không tiền mặt", "Market4 — Cashless market stall"},
	"app.description": {"Nhận tiền chuyển khoản VietQR tại sạp chợ, có đọc thông báo bằng giọng nói.", "Take VietQR bank transfers at a market stall, announced aloud."},
	"skip":            {"Bỏ qua, tới nội dung chính", "Skip to main content"},
	"loading":         {"Đang tải…", "Loading…"},
	"noscript":        {"Trang này cần bật JavaScript.", "This page needs JavaScript."},
	"close":           {"Đóng", "Close"},
	"cancel":          {"Hủy", "Cancel"},
	"logout":          {"Đăng xuất", "Log out"},
	"back_home":       {"Về trang chủ", "Back to the home page"},

	"title.landing":  {"Market4 — Chợ 4.0 không tiền mặt", "Market4 — Cashless Market 4.0"},
	"title.app":      {"Bán hàng — Market4", "Sell — Market4"},
	"title.register": {"Đăng ký sạp — Market4", "Register a stall — Market4"},
	"title.staff":    {"Duyệt sạp — Market4", "Stall approval — Market4"},
	"title.stall":    {"Thanh toán tại sạp — Market4", "Pay at this stall — Market4"},
	"title.notfound": {"Không tìm thấy", "Not found"},
	"title.error":    {"Có lỗi xảy ra", "Something went wrong"},

	"err.notfound":       {"Không có trang này.", "There is no such page."},
	"err.stall_notfound": {"Không có sạp này, hoặc sạp chưa được duyệt hay đang tạm ngưng.", "There is no such stall, or it is not approved or is suspended."},
	"err.rate_limited":   {"Quá nhiều yêu cầu. Vui lòng thử lại sau một phút.", "Too many requests. Please try again in a minute."},
	"err.internal":       {"Máy chủ gặp lỗi. Vui lòng thử lại sau.", "The server had a problem. Please try again later."},
	"err.network":        {"Mất kết nối mạng. Kiểm tra mạng rồi thử lại.", "No network connection. Check it and try again."},
	"err.generic":        {"Không thực hiện được. Vui lòng thử lại.", "That did not work. Please try again."},
	"err.phone_taken":    {"Số điện thoại này đã được đăng ký. Hãy đăng nhập.", "This phone number is already registered. Log in instead."},
	"err.stall_taken":    {"Số sạp này đã có trong chợ.", "This stall number is already taken in the market."},

	"err.f.phone":          {"Số điện thoại di động Việt Nam, ví dụ 0912345678.", "A Vietnamese mobile number, e.g. 0912345678."},
	"err.f.password":       {"Mật khẩu cần từ 8 đến 128 ký tự.", "The password needs 8 to 128 characters."},
	"err.f.name":           {"Cần nhập tên (tối đa 100 ký tự, trên một dòng).", "A name is required (at most 100 characters, one line)."},
	"err.f.market_id":      {"Hãy chọn chợ.", "Choose a market."},
	"err.f.stall_number":   {"Số sạp gồm 1–16 chữ in hoa, chữ số, “-” hoặc “/”.", "The stall number is 1–16 capital letters, digits, “-” or “/”."},
	"err.f.category":       {"Hãy chọn ngành hàng.", "Choose a category."},
	"err.f.bank_bin":       {"Hãy chọn ngân hàng trong danh sách.", "Choose a bank from the list."},
	"err.f.account_number": {"Số tài khoản gồm 1–19 chữ hoặc số, không có khoảng trắng.", "The account number is 1–19 letters or digits, no spaces."},
	"err.f.account_name":   {"Nhập tên chủ tài khoản như trên thẻ ngân hàng (tối đa 50 ký tự).", "Enter the account holder's name as the bank shows it (at most 50 characters)."},
	"err.f.amount":         {"Số tiền phải là số đồng nguyên, lớn hơn 0 và dưới 500 triệu.", "The amount must be whole đồng, above 0 and below 500 million."},

	"code.rate_limited":           {"Quá nhiều lần thử. Vui lòng đợi một lát.", "Too many attempts. Please wait a moment."},
	"code.forbidden":              {"Tài khoản này không có quyền làm việc đó.", "This account may not do that."},
	"code.idempotency_key_reused": {"Yêu cầu đã đổi nội dung. Vui lòng thử lại.", "The request changed. Please try again."},
	"code.unavailable":            {"Dịch vụ tạm thời gián đoạn. Vui lòng thử lại.", "The service is temporarily unavailable. Please try again."},
	"code.internal":               {"Máy chủ gặp lỗi. Vui lòng thử lại sau.", "The server had a problem. Please try again later."},

	"net.offline":       {"Mất kết nối / offline — đang chờ mạng…", "Offline — no connection, waiting for the network…"},
	"net.offline_short": {"Mất kết nối", "Offline"},
	"net.online":        {"Trực tuyến", "Online"},
	"net.connecting":    {"Đang kết nối…", "Connecting…"},

	"f.phone":          {"Số điện thoại", "Phone number"},
	"f.password":       {"Mật khẩu", "Password"},
	"f.name":           {"Họ và tên", "Full name"},
	"f.market":         {"Chợ", "Market"},
	"f.stall_number":   {"Số sạp", "Stall number"},
	"f.stall_name":     {"Tên sạp", "Stall name"},
	"f.category":       {"Ngành hàng", "Category"},
	"f.bank":           {"Ngân hàng nhận tiền", "Receiving bank"},
	"f.account_number": {"Số tài khoản", "Account number"},
	"f.account_name":   {"Tên chủ tài khoản", "Account holder name"},

	"login.title":      {"Đăng nhập bán hàng", "Vendor log in"},
	"login.submit":     {"Đăng nhập", "Log in"},
	"login.register":   {"Chưa có tài khoản? Đăng ký sạp mới", "No account yet? Register a stall"},
	"login.bad":        {"Sai số điện thoại hoặc mật khẩu.", "Wrong phone number or password."},
	"login.expired":    {"Phiên đăng nhập đã hết hạn. Vui lòng đăng nhập lại.", "Your session has ended. Please log in again."},
	"login.not_vendor": {"Đây không phải tài khoản tiểu thương. Cán bộ dùng trang Duyệt sạp (/staff).", "This is not a vendor account. Staff use the approval screen (/staff)."},

	"stalls.title":       {"Chọn sạp", "Choose a stall"},
	"stalls.empty":       {"Bạn chưa có sạp nào.", "You have no stall yet."},
	"stalls.new":         {"Đăng ký sạp mới", "Register a new stall"},
	"stall.number_short": {"Sạp", "Stall"},

	"status.pending":   {"Chờ duyệt", "Waiting for approval"},
	"status.active":    {"Đang hoạt động", "Active"},
	"status.suspended": {"Tạm ngưng", "Suspended"},
	"role.admin":       {"Quản trị viên", "Administrator"},
	"role.staff":       {"Cán bộ", "Staff"},
	"role.vendor":      {"Tiểu thương", "Vendor"},

	"sell.switch":    {"Đổi sạp", "Switch stall"},
	"sell.static_qr": {"Hiện mã QR của sạp", "Show the stall's QR"},
	"sound.mute":     {"Tắt tiếng", "Mute"},

	"sale.title":    {"Bán hàng: nhập số tiền", "New sale: enter the amount"},
	"sale.keypad":   {"Bàn phím số", "Number keypad"},
	"sale.back":     {"Xóa một số", "Delete one digit"},
	"sale.clear":    {"Xóa hết", "Clear"},
	"sale.make_qr":  {"Tạo mã QR", "Make QR"},
	"sale.creating": {"Đang tạo mã…", "Making the QR…"},
	"sale.too_big":  {"Số tiền phải dưới 500.000.000 ₫.", "The amount must be below 500.000.000 ₫."},

	"qr.static_alt":  {"Mã VietQR của sạp để khách quét và chuyển tiền", "The stall's VietQR code for shoppers to scan and pay"},
	"qr.static_hint": {"Khách mở ứng dụng ngân hàng, quét mã và tự nhập số tiền.", "Shoppers scan it in their banking app and type the amount."},
	"qr.dyn_alt":     {"Mã VietQR có sẵn số tiền để khách quét và thanh toán", "VietQR code with the amount for the shopper to scan and pay"},

	"dyn.code":       {"Mã đơn:", "Order code:"},
	"dyn.expires_in": {"Hết hạn sau {t}", "Expires in {t}"},
	"dyn.expired":    {"Mã đã hết hạn", "This QR has expired"},
	"dyn.partial":    {"Đã nhận {paid}, còn thiếu {rest}", "Received {paid}, {rest} still missing"},
	"dyn.done":       {"Đã nhận {amount}", "Received {amount}"},
	"dyn.cancel":     {"Hủy mã này", "Cancel this QR"},
	"dyn.next":       {"Bán tiếp", "Next sale"},

	"today.title": {"Hôm nay", "Today"},
	"today.total": {"Tổng đã nhận", "Total received"},
	"today.count": {"{n} lần nhận tiền", "{n} payments received"},
	"today.empty": {"Chưa có giao dịch nào hôm nay.", "No payments yet today."},

	"pstatus.pending":        {"Chờ thanh toán", "Waiting"},
	"pstatus.succeeded":      {"Đã nhận", "Received"},
	"pstatus.partially_paid": {"Trả thiếu", "Part paid"},
	"pstatus.expired":        {"Hết hạn", "Expired"},
	"pstatus.canceled":       {"Đã hủy", "Canceled"},
	"kind.static":            {"QR sạp", "Stall QR"},
	"kind.dynamic":           {"QR có số tiền", "QR with amount"},
	"flag.overpaid":          {"Trả dư", "Overpaid"},
	"flag.late":              {"Trả trễ", "Paid late"},
	"pay.of":                 {"trên {amount}", "of {amount}"},
	"pay.refunded":           {"Đã hoàn {amount}", "Refunded {amount}"},

	"refund.button":       {"Hoàn tiền", "Refund"},
	"refund.button_label": {"Hoàn tiền khoản {amount} lúc {time}", "Refund {amount} received at {time}"},
	"refund.title":        {"Hoàn tiền cho khách", "Refund the shopper"},
	"refund.desc":         {"Khoản {amount} nhận lúc {time}. Có thể hoàn tối đa {max}.", "{amount} received at {time}. Up to {max} can be refunded."},
	"refund.amount":       {"Số tiền hoàn (đồng)", "Amount to refund (đồng)"},
	"refund.reason":       {"Lý do (không bắt buộc)", "Reason (optional)"},
	"refund.confirm":      {"Xác nhận hoàn tiền", "Confirm refund"},
	"refund.bad_amount":   {"Số tiền hoàn phải lớn hơn 0 và không quá {max}.", "The refund must be above 0 and at most {max}."},
	"refund.done":         {"Đã hoàn {amount} cho khách.", "Refunded {amount} to the shopper."},
	"refund.pending":      {"Đang hoàn {amount}; ngân hàng sẽ xác nhận sau.", "Refunding {amount}; the bank will confirm shortly."},
	"refund.failed":       {"Ngân hàng từ chối hoàn tiền. {msg}", "The bank refused the refund. {msg}"},

	"reg.steps":           {"Các bước đăng ký", "Registration steps"},
	"reg.step1":           {"Tài khoản", "Account"},
	"reg.step2":           {"Sạp", "Stall"},
	"reg.step3":           {"Chờ duyệt", "Approval"},
	"reg.account_title":   {"Tạo tài khoản tiểu thương", "Create a vendor account"},
	"reg.pw_hint":         {"Ít nhất 8 ký tự.", "At least 8 characters."},
	"reg.account_submit":  {"Tạo tài khoản", "Create account"},
	"reg.have_account":    {"Đã có tài khoản? Đăng nhập", "Already registered? Log in"},
	"reg.stall_title":     {"Đăng ký sạp", "Register your stall"},
	"reg.choose_market":   {"— Chọn chợ —", "— Choose a market —"},
	"reg.number_hint":     {"Như trên bảng sạp, ví dụ A01.", "As on the stall's sign, e.g. A01."},
	"reg.acname_hint":     {"Chữ in hoa không dấu, như ngân hàng ghi, ví dụ NGUYEN THI BA.", "Capitals without accents, as the bank writes it, e.g. NGUYEN THI BA."},
	"reg.stall_submit":    {"Gửi đăng ký", "Submit"},
	"reg.wait_title":      {"Chờ duyệt", "Waiting for approval"},
	"reg.approved_title":  {"Sạp đã được duyệt", "Your stall is approved"},
	"reg.wait_text":       {"Cán bộ quận/huyện sẽ kiểm tra tài khoản nhận tiền rồi duyệt sạp. Sau khi duyệt, sạp có mã QR và nhận được tiền.", "District staff will check the receiving account and approve the stall. Once approved it gets its QR and can take payments."},
	"reg.wait_check":      {"Kiểm tra lại", "Check again"},
	"reg.open_app":        {"Mở ứng dụng bán hàng", "Open the sales app"},
	"reg.another":         {"Đăng ký thêm sạp khác", "Register another stall"},
	"reg.approved":        {"Sạp đã được duyệt. Bạn có thể bắt đầu bán hàng.", "Approved. You can start selling."},
	"reg.still_pending":   {"Sạp vẫn đang chờ duyệt.", "Still waiting for approval."},
	"reg.still_suspended": {"Sạp đang tạm ngưng. Vui lòng liên hệ ban quản lý chợ.", "The stall is suspended. Please contact the market office."},

	"bank.search": {"Tìm ngân hàng (tên, tên viết tắt hoặc mã BIN)", "Search banks (name, short name or BIN)"},
	"bank.hint":   {"Ví dụ: Vietcombank, ngoai thuong, 970436.", "E.g. Vietcombank, ngoai thuong, 970436."},
	"bank.count":  {"{n} ngân hàng phù hợp", "{n} matching banks"},
	"bank.chosen": {"Đã chọn:", "Chosen:"},

	"staff.login_title":     {"Đăng nhập cán bộ", "Staff log in"},
	"staff.not_staff":       {"Tài khoản này không phải cán bộ quận/huyện.", "This is not a district staff account."},
	"staff.title":           {"Duyệt sạp", "Stall approval"},
	"staff.filter":          {"Trạng thái", "Status"},
	"staff.empty":           {"Không có sạp nào ở trạng thái này.", "No stalls with this status."},
	"staff.approve":         {"Duyệt", "Approve"},
	"staff.suspend":         {"Tạm ngưng", "Suspend"},
	"staff.approved":        {"Đã duyệt sạp {stall}.", "Approved stall {stall}."},
	"staff.suspended":       {"Đã tạm ngưng sạp {stall}.", "Suspended stall {stall}."},
	"staff.confirm_suspend": {"Tạm ngưng sạp {stall}? Sạp sẽ không nhận được thanh toán.", "Suspend stall {stall}? It will stop taking payments."},
	"staff.registered":      {"Ngày đăng ký", "Registered"},

	"landing.h1":            {"Chợ 4.0: thanh toán không tiền mặt", "Market 4.0: cashless payments"},
	"landing.lead":          {"Khách quét mã VietQR tại sạp và chuyển khoản từ ứng dụng ngân hàng của mình; điện thoại của tiểu thương đọc to “Đã nhận 50.000 đồng”.", "Shoppers scan the stall's VietQR and pay from their own banking app; the trader's phone says “Đã nhận 50.000 đồng” out loud."},
	"landing.nav":           {"Các trang", "Pages"},
	"landing.app":           {"Ứng dụng bán hàng", "Sales app"},
	"landing.app.desc":      {"Cho tiểu thương: mã QR, nhập số tiền, nghe báo tiền về.", "For traders: QR codes, amounts, payments announced aloud."},
	"landing.register":      {"Đăng ký sạp", "Register a stall"},
	"landing.register.desc": {"Tạo tài khoản và đăng ký tài khoản ngân hàng nhận tiền.", "Create an account and register the receiving bank account."},
	"landing.staff":         {"Duyệt sạp (cán bộ)", "Stall approval (staff)"},
	"landing.staff.desc":    {"Cán bộ quận/huyện duyệt hoặc tạm ngưng sạp.", "District staff approve or suspend stalls."},
	"landing.mockbank":      {"Ngân hàng mô phỏng", "Simulated bank"},
	"landing.mockbank.desc": {"Thử chuyển tiền bằng VietQR, không có tiền thật.", "Try a VietQR transfer, no real money."},

	"public.qr_alt":   {"Mã VietQR của sạp: quét bằng ứng dụng ngân hàng để chuyển tiền", "This stall's VietQR code: scan it with a banking app to pay"},
	"public.step1":    {"Mở ứng dụng ngân hàng và chọn quét mã QR.", "Open your banking app and choose Scan QR."},
	"public.step2":    {"Quét mã trên, nhập số tiền cần trả.", "Scan the code above and type the amount."},
	"public.step3":    {"Xác nhận chuyển khoản; tiểu thương sẽ nghe thông báo ngay.", "Confirm the transfer; the trader hears it at once."},
	"public.download": {"Tải mã QR (PNG) để in", "Download the QR (PNG) to print"},
	"qr.poster":       {"Tải tấm in mã QR (PDF, A5) để dán ở sạp", "Download the printable QR poster (PDF, A5) for the stall"},
	"public.ocop":     {"Sản phẩm OCOP của sạp", "OCOP products at this stall"},
}

func init() {
	for _, c := range categoryNames {
		dict["cat."+c.key] = c.msg
	}
}

// categoryNames are the goods categories (market.Categories) in words.
var categoryNames = []struct {
	key string
	msg msg
}{
	{"vegetables", msg{"Rau củ", "Vegetables"}},
	{"fruit", msg{"Trái cây", "Fruit"}},
	{"meat", msg{"Thịt", "Meat"}},
	{"seafood", msg{"Thủy hải sản", "Fish and seafood"}},
	{"dry_goods", msg{"Hàng khô, tạp hóa", "Dry goods"}},
	{"cooked_food", msg{"Đồ ăn chín", "Cooked food"}},
	{"drinks", msg{"Đồ uống", "Drinks"}},
	{"clothing", msg{"Quần áo, vải", "Clothing and fabric"}},
	{"household", msg{"Đồ gia dụng", "Household goods"}},
	{"flowers", msg{"Hoa tươi", "Flowers"}},
	{"ocop", msg{"Sản phẩm OCOP", "OCOP products"}},
	{"services", msg{"Dịch vụ", "Services"}},
	{"other", msg{"Khác", "Other"}},
}

func (m msg) in(lang string) string {
	if lang == "en" {
		return m.en
	}
	return m.vi
}

// trErr translates key; a missing key is an error, so a template using an
// unknown key fails to render rather than showing the key.
func trErr(lang, key string) (string, error) {
	m, ok := dict[key]
	if !ok {
		return "", fmt.Errorf("%w: %q", errNoKey, key)
	}
	return m.in(lang), nil
}

// tr translates key, falling back to the key itself (Go callers only use
// keys the tests check).
func tr(lang, key string) string {
	s, err := trErr(lang, key)
	if err != nil {
		return key
	}
	return s
}

// dictJSON is one language's dictionary as JSON, for the scripts; computed
// once per language.
var dictJSON = func() func(lang string) string {
	var once sync.Once
	out := map[string]string{}
	return func(lang string) string {
		once.Do(func() {
			for _, l := range langs {
				m := make(map[string]string, len(dict))
				for k, v := range dict {
					m[k] = v.in(l)
				}
				b, err := json.Marshal(m)
				if err != nil {
					panic(err)
				}
				out[l] = string(b)
			}
		})
		return out[lang]
	}
}()
