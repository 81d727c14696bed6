package vietqr

import "fmt"

// addFieldNames are the snake_case Payload field names of 62/01 to 62/08,
// indexed by subfield id, as reported in Error.Field.
var addFieldNames = [9]string{"", "bill_number", "mobile_number", "store_label",
	"loyalty_number", "reference_label", "customer_label", "terminal_label", "purpose"}

// sacrificeOrder is the order in which EncodeWith with Truncate shortens 62
// subfields when the template exceeds 99 bytes: least useful to a bank app
// first, Purpose (the transfer content) last.
var sacrificeOrder = [8]int{7, 6, 5, 4, 3, 2, 1, 8}

// Encode builds the VietQR payload string for p, strictly: any field that
// is invalid or over its limit is an *Error naming the field (Error.Field)
// and tag, and nothing is silently changed except that text fields are
// transliterated with ASCII and defaults are filled in (Service
// ServiceAccount, Currency "704", Country "VN"). p.CRC is ignored.
//
// Tags are written in ascending order (00, 01, 38, 53, 54, 58, 59, 60, 62,
// 63), as in the NAPAS examples, so the NAPAS §6.1.3 fields give the
// specification's payload byte for byte. Whatever Encode returns, Decode
// accepts and decodes to p with those normalisations applied.
//
// Errors (Rule): required (bin, account_number), bad_bin, bad_account,
// bad_service, bad_amount, bad_currency, bad_country, too_long.
func Encode(p Payload) (string, error) {
	return EncodeWith(p, EncodeOptions{})
}

// EncodeWith is Encode with options; see EncodeOptions. With the zero
// options it is exactly Encode. Truncation never produces a payload that
// Decode would reject.
func EncodeWith(p Payload, opt EncodeOptions) (string, error) {
	switch {
	case p.BIN == "":
		return "", encodeErr(RuleRequired, tagBIN, "bin", "BIN is required")
	case !isBIN(p.BIN):
		return "", encodeErr(RuleBadBIN, tagBIN, "bin", fmt.Sprintf("BIN %q is not 6 digits", p.BIN))
	case p.AccountNumber == "":
		return "", encodeErr(RuleRequired, tagAccount, "account_number", "account number is required")
	}
	if msg := checkAccount(p.AccountNumber); msg != "" {
		return "", encodeErr(RuleBadAccount, tagAccount, "account_number", msg)
	}
	svc := p.Service
	if svc == "" {
		svc = ServiceAccount
	}
	if svc != ServiceAccount && svc != ServiceCard {
		return "", encodeErr(RuleBadService, tagService, "service",
			fmt.Sprintf("service code is %q; must be %q or %q", svc, ServiceAccount, ServiceCard))
	}
	if p.Amount != "" {
		if msg := checkAmount(p.Amount); msg != "" {
			return "", encodeErr(RuleBadAmount, tagAmount, "amount", msg)
		}
	}
	if p.Currency != "" && p.Currency != "704" {
		return "", encodeErr(RuleBadCurrency, tagCurrency, "currency",
			fmt.Sprintf("currency is %q; VietQR transfers are in VND (\"704\")", p.Currency))
	}
	if p.Country != "" && p.Country != "VN" {
		return "", encodeErr(RuleBadCountry, tagCountry, "country",
			fmt.Sprintf("country is %q; must be \"VN\"", p.Country))
	}

	name, err := textField(p.MerchantName, MaxMerchantNameLen, tagName, "merchant_name", opt)
	if err != nil {
		return "", err
	}
	city, err := textField(p.MerchantCity, MaxMerchantCityLen, tagCity, "merchant_city", opt)
	if err != nil {
		return "", err
	}
	var add [9]string
	total := 0
	for id := 1; id <= 8; id++ {
		if add[id], err = textField(*addField(&p, id), MaxAdditionalLen, addTags[id], addFieldNames[id], opt); err != nil {
			return "", err
		}
		if add[id] != "" {
			total += 4 + len(add[id])
		}
	}
	if total > MaxTemplateLen {
		if !opt.Truncate {
			sum := 0
			for id := 1; id <= 8; id++ {
				if add[id] == "" {
					continue
				}
				if sum += 4 + len(add[id]); sum > MaxTemplateLen {
					return "", encodeErr(RuleTooLong, tagAddData, addFieldNames[id],
						fmt.Sprintf("additional data template 62 would be %d bytes; limit %d (each subfield costs 4 bytes plus its text)", total, MaxTemplateLen))
				}
			}
		}
		for _, id := range sacrificeOrder {
			if total <= MaxTemplateLen {
				break
			}
			if add[id] == "" {
				continue
			}
			if excess := total - MaxTemplateLen; excess < len(add[id]) {
				add[id] = add[id][:len(add[id])-excess]
				total -= excess
			} else {
				total -= 4 + len(add[id])
				add[id] = ""
			}
		}
	}

	// The longest possible payload is about 270 bytes; buf stays on the stack.
	var buf [320]byte
	b := append(buf[:0], "000201"...)
	if p.Dynamic {
		b = append(b, "010212"...)
	} else {
		b = append(b, "010211"...)
	}
	consumerLen := 10 + 4 + len(p.AccountNumber) // 0006<BIN> 01ll<account>
	b = appendHeader(b, "38", 14+4+consumerLen+12)
	b = append(b, "0010"+GUID...)
	b = appendHeader(b, "01", consumerLen)
	b = appendTLV(b, "00", p.BIN)
	b = appendTLV(b, "01", p.AccountNumber)
	b = appendTLV(b, "02", string(svc))
	b = append(b, "5303704"...)
	if p.Amount != "" {
		b = appendTLV(b, "54", p.Amount)
	}
	b = append(b, "5802VN"...)
	if name != "" {
		b = appendTLV(b, "59", name)
	}
	if city != "" {
		b = appendTLV(b, "60", city)
	}
	if total > 0 {
		b = appendHeader(b, "62", total)
		for id := 1; id <= 8; id++ {
			if add[id] != "" {
				b = appendTLV(b, addTags[id][3:], add[id])
			}
		}
	}
	b = append(b, "6304"...)
	b = appendCRC(b, CRC16(b))
	return string(b), nil
}

// textField transliterates a text field and enforces its byte limit.
func textField(v string, limit int, tag, field string, opt EncodeOptions) (string, *Error) {
	t := ASCII(v)
	if len(t) > limit {
		if !opt.Truncate {
			return "", encodeErr(RuleTooLong, tag, field,
				fmt.Sprintf("%d bytes after transliteration to ASCII; limit %d", len(t), limit))
		}
		t = t[:limit]
	}
	return t, nil
}

// appendHeader appends a tag id and a two-digit length (n must be 1–99).
func appendHeader(b []byte, id string, n int) []byte {
	return append(b, id[0], id[1], byte('0'+n/10), byte('0'+n%10))
}

// appendTLV appends one primitive data object.
func appendTLV(b []byte, id, v string) []byte {
	return append(appendHeader(b, id, len(v)), v...)
}
