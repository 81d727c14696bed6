package dashboard

import (
	"strconv"
	"strings"
)

// texts holds every label of the dashboard and the open data page in
// Vietnamese (the default) and English. TestTexts checks both halves are
// filled and every key a template uses exists.
var texts = map[string][2]string{
	"title":              {"Bảng điều hành minh bạch", "Transparency dashboard"},
	"title.login":        {"Đăng nhập cán bộ", "Staff login"},
	"title.opendata":     {"Dữ liệu mở thanh toán không tiền mặt", "Open data: cashless payments"},
	"title.error":        {"Có lỗi xảy ra", "Something went wrong"},
	"nav.dashboard":      {"Bảng điều hành", "Dashboard"},
	"nav.opendata":       {"Dữ liệu mở", "Open data"},
	"nav.logout":         {"Đăng xuất", "Log out"},
	"lang.switch":        {"English", "Tiếng Việt"},
	"login.phone":        {"Số điện thoại", "Phone number"},
	"login.password":     {"Mật khẩu", "Password"},
	"login.submit":       {"Đăng nhập", "Log in"},
	"login.hint":         {"Dành cho cán bộ UBND quận/huyện và quản trị viên.", "For district staff and administrators."},
	"login.failed":       {"Sai số điện thoại hoặc mật khẩu.", "Wrong phone number or password."},
	"login.throttled":    {"Thử quá nhiều lần. Vui lòng đợi vài phút.", "Too many attempts. Please wait a few minutes."},
	"filter.district":    {"Quận/huyện", "District"},
	"filter.alldistrict": {"Tất cả quận/huyện", "All districts"},
	"filter.market":      {"Chợ", "Market"},
	"filter.allmarkets":  {"Tất cả chợ", "All markets"},
	"filter.from":        {"Từ ngày", "From"},
	"filter.to":          {"Đến ngày", "To"},
	"filter.apply":       {"Xem", "Show"},
	"range.month":        {"Tháng này", "This month"},
	"range.7":            {"7 ngày qua", "Last 7 days"},
	"range.30":           {"30 ngày qua", "Last 30 days"},
	"range.lastmonth":    {"Tháng trước", "Last month"},
	"kpi.payments":       {"Giao dịch không tiền mặt", "Cashless payments"},
	"kpi.amount":         {"Giá trị giao dịch", "Payment value"},
	"kpi.avg":            {"Giá trị trung bình", "Average ticket"},
	"kpi.active":         {"Sạp có giao dịch", "Active stalls"},
	"kpi.adoption":       {"Tỷ lệ sạp dùng QR", "QR adoption"},
	"kpi.refunds":        {"Hoàn tiền", "Refunds"},
	"kpi.new":            {"Sạp mới", "New stalls"},
	"kpi.ocop":           {"Doanh số sạp OCOP", "OCOP stall sales"},
	"kpi.unmatched":      {"Chuyển khoản chờ xử lý", "Transfers awaiting review"},
	"kpi.of":             {"trên", "of"},
	"kpi.registered":     {"sạp đã đăng ký", "registered stalls"},
	"chart.daily":        {"Giá trị giao dịch theo ngày", "Daily payment value"},
	"chart.adoption":     {"Tỷ lệ sạp dùng QR theo chợ", "QR adoption by market"},
	"chart.empty":        {"Chưa có giao dịch trong khoảng thời gian này.", "No payments in this period."},
	"chart.million":      {"triệu ₫", "million ₫"},
	"stalls.title":       {"Các sạp theo giá trị giao dịch", "Stalls by payment value"},
	"stalls.number":      {"Sạp", "Stall"},
	"stalls.name":        {"Tên sạp", "Name"},
	"stalls.market":      {"Chợ", "Market"},
	"stalls.payments":    {"Số giao dịch", "Payments"},
	"stalls.amount":      {"Giá trị", "Value"},
	"stalls.avg":         {"Trung bình", "Average"},
	"stalls.refunded":    {"Đã hoàn", "Refunded"},
	"stalls.none":        {"Không có sạp nào.", "No stalls."},
	"stalls.more":        {"Chỉ hiện 200 sạp đầu; tải CSV để xem đủ.", "Showing the first 200 stalls; download the CSV for all."},
	"queue.title":        {"Chuyển khoản chưa khớp, chờ cán bộ xử lý", "Unmatched transfers awaiting review"},
	"queue.at":           {"Thời điểm", "When"},
	"queue.amount":       {"Số tiền", "Amount"},
	"queue.account":      {"Tài khoản nhận", "Receiving account"},
	"queue.content":      {"Nội dung", "Content"},
	"queue.provider":     {"Kênh", "Provider"},
	"queue.none":         {"Không có chuyển khoản nào chờ xử lý.", "Nothing awaits review."},
	"export.title":       {"Tải về (CSV, mở bằng Excel)", "Download (CSV, opens in Excel)"},
	"export.daily":       {"Theo ngày", "By day"},
	"export.marketdaily": {"Theo chợ và ngày", "By market and day"},
	"export.markets":     {"Theo chợ", "By market"},
	"export.stalls":      {"Theo sạp", "By stall"},
	"export.weekly":      {"Theo tuần", "By week"},
	"export.monthly":     {"Theo tháng", "By month"},
	"log.title":          {"Nhật ký chống sửa đổi", "Tamper-evident log"},
	"log.text": {"Mỗi khoản thanh toán và hoàn tiền được ghi vào một cây Merkle có chữ ký số; bất kỳ ai giữ một điểm kiểm (checkpoint) đều kiểm chứng được lịch sử chỉ được ghi thêm, không bị sửa.",
		"Every payment and refund is committed to a signed Merkle tree; anyone holding a checkpoint can verify history was only appended to, never altered."},
	"log.checkpoint":  {"Điểm kiểm mới nhất", "Latest checkpoint"},
	"log.key":         {"Khóa kiểm chứng", "Verifier key"},
	"log.size":        {"Số bản ghi", "Entries"},
	"log.off":         {"Chưa bật trên máy chủ này.", "Not enabled on this server."},
	"od.intro":        {"Số liệu tổng hợp theo chợ và theo ngày, không có số liệu của từng sạp và không có thông tin cá nhân. Chợ có dưới 3 sạp giao dịch trong ngày được ẩn số liệu để không lộ doanh thu của một hộ kinh doanh.", "Figures per market and day only: nothing per stall and no personal data. A market-day where fewer than 3 stalls took payments is withheld so no single trader's takings can be read."},
	"od.day":          {"Ngày", "Day"},
	"od.district":     {"Quận/huyện", "District"},
	"od.market":       {"Chợ", "Market"},
	"od.active":       {"Sạp có giao dịch", "Active stalls"},
	"od.payments":     {"Giao dịch", "Payments"},
	"od.amount":       {"Giá trị", "Value"},
	"od.suppressed":   {"ẩn (dưới 3 sạp)", "withheld (under 3 stalls)"},
	"od.none":         {"Chưa có dữ liệu trong khoảng thời gian này.", "No data in this period."},
	"od.licence":      {"Giấy phép: CC BY 4.0. Ngày theo giờ Việt Nam (UTC+7).", "Licence: CC BY 4.0. Days are Vietnam time (UTC+7)."},
	"err.forbidden":   {"Trang này chỉ dành cho cán bộ quận/huyện và quản trị viên.", "This page is for district staff and administrators only."},
	"err.notfound":    {"Không tìm thấy.", "Not found."},
	"err.invalid":     {"Tham số không hợp lệ", "Invalid parameters"},
	"err.rate":        {"Quá nhiều yêu cầu. Vui lòng thử lại sau một phút.", "Too many requests. Please try again in a minute."},
	"err.internal":    {"Máy chủ gặp lỗi. Vui lòng thử lại sau.", "The server had a problem. Please try again later."},
	"err.back":        {"Quay lại bảng điều hành", "Back to the dashboard"},
	"footer.tz":       {"Ngày tính theo giờ Việt Nam (Asia/Ho_Chi_Minh).", "Dates are business days in Vietnam time (Asia/Ho_Chi_Minh)."},
	"footer.computed": {"Tính từ các bảng tổng hợp (theo sạp, chợ và ngày) lúc", "Computed from the rollups (per stall, market and day) at"},
}

// tr returns the text of key in lang ("vi" or "en").
func tr(lang, key string) string {
	t, ok := texts[key]
	if !ok {
		return key
	}
	if lang == "en" {
		return t[1]
	}
	return t[0]
}

// formatInt groups thousands the way each language writes them:
// 1.250.000 in Vietnamese, 1,250,000 in English.
func formatInt(lang string, n int64) string {
	sep := "."
	if lang == "en" {
		sep = ","
	}
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteString(sep)
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

func formatMoney(lang string, n int64) string { return formatInt(lang, n) + " ₫" }

// formatPercent writes a 0..1 ratio as a percentage with one decimal.
func formatPercent(lang string, r float64) string {
	s := strconv.FormatFloat(r*100, 'f', 1, 64)
	if lang == "vi" {
		s = strings.Replace(s, ".", ",", 1)
	}
	return s + " %"
}
