package ocop

import (
	"time"
	"unicode"
	"unicode/utf8"
)

// ICT is Indochina Time (UTC+07:00), the zone in which Vietnamese legal
// dates (certificate decisions, production and expiry dates) are read.
// Vietnam has kept a fixed UTC+7 without daylight saving since 1975, so a
// fixed zone is exact for every date this package deals with and spares the
// domain a dependency on the tz database (the convention elsewhere is
// Asia/Ho_Chi_Minh with embedded tzdata; both give the same instants).
var ICT = time.FixedZone("ICT", 7*60*60)

// Date returns midnight ICT of the given calendar day: the instant a legal
// date starts in Vietnam. It is the way to build dates for this package.
func Date(year int, month time.Month, day int) time.Time {
	return time.Date(year, month, day, 0, 0, 0, 0, ICT)
}

// dayStart returns midnight ICT of the calendar day (in ICT) containing t.
// Callers may pass dates as local midnight, as UTC midnight (a SQL DATE read
// back in UTC) or as any instant of the day: all map to the same day.
func dayStart(t time.Time) time.Time {
	y, m, d := t.In(ICT).Date()
	return Date(y, m, d)
}

// addMonthsClamped adds n months to the day containing t; when the target
// month is shorter (31 March + 1 month) it clamps to that month's last day,
// as Article 148 of the Civil Code 2015 reads periods expressed in months.
// time.AddDate would instead overflow into the next month.
func addMonthsClamped(t time.Time, n int) time.Time {
	y, m, d := t.In(ICT).Date()
	first := Date(y, m+time.Month(n), 1)
	last := first.AddDate(0, 1, -1).Day()
	if d > last {
		d = last
	}
	return Date(first.Year(), first.Month(), d)
}

// checkText validates a free-text field: valid UTF-8, no control characters
// (tabs and newlines allowed when multiline), at most max runes, and
// non-empty when required.
func checkText(v *errs, field, s string, required bool, max int, multiline bool) {
	if s == "" {
		if required {
			v.addf(field, "is required")
		}
		return
	}
	if !utf8.ValidString(s) {
		v.addf(field, "must be valid UTF-8")
		return
	}
	n := 0
	blank := true
	for _, r := range s {
		n++
		if unicode.IsControl(r) && !(multiline && (r == '\n' || r == '\r' || r == '\t')) {
			v.addf(field, "must not contain control characters")
			return
		}
		if !unicode.IsSpace(r) {
			blank = false
		}
	}
	if blank && required {
		v.addf(field, "is required")
		return
	}
	if n > max {
		v.addf(field, "must be at most %d characters, got %d", max, n)
	}
}

// ValidProvinceCode reports whether s looks like a province code: the two
// digits of Vietnam's official administrative unit codes (e.g. "01" Hà Nội,
// "79" Hồ Chí Minh City). Scans, markets and producers all use this one
// code system so that "same province" is a string comparison. Whether the
// code currently exists is a reference-data question for the service.
func ValidProvinceCode(s string) bool {
	return len(s) == 2 && isDigit(s[0]) && isDigit(s[1])
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}
