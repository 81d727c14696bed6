package vietqr

import (
	"fmt"
	"strconv"
)

// Tag paths used in errors. Constants, so that building an error does not
// allocate a path on the common tags.
const (
	tagFormat   = "00"
	tagInit     = "01"
	tagVietQR   = "38"
	tagGUID     = "38.00"
	tagConsumer = "38.01"
	tagBIN      = "38.01.00"
	tagAccount  = "38.01.01"
	tagService  = "38.02"
	tagCurrency = "53"
	tagAmount   = "54"
	tagCountry  = "58"
	tagName     = "59"
	tagCity     = "60"
	tagAddData  = "62"
	tagCRC      = "63"
)

// addTags are the tag paths of 62/01 to 62/08, indexed by subfield id.
var addTags = [9]string{"62.00", "62.01", "62.02", "62.03", "62.04", "62.05", "62.06", "62.07", "62.08"}

// Decode validates s strictly as a VietQR and returns its fields. It never
// panics and, on success, does not allocate (unless the CRC is in lower
// case and must be upper-cased): the returned strings share s's memory.
//
// The rules, in the order they are checked (the first broken one is
// reported, as an *Error with its Rule, Offset and Tag):
//
//  1. s is 1–512 bytes of printable ASCII (no trimming: strip scanner
//     newlines before calling).
//  2. Framing of the root: ids and lengths are two digits, lengths 01–99,
//     every value fits, no tag twice, 00 first, 63 last with length 04 and
//     4 hex digits (either case), nothing after it.
//  3. The CRC-16/CCITT-FALSE of everything up to and including "6304"
//     equals 63. A corrupted payload is reported as crc_mismatch even when
//     it has other faults, because that is what is wrong with it.
//  4. Values, in payload order: 00 is "01"; 01 is "11" or "12"; 38 holds
//     exactly 00=GUID, 01 (exactly 00=BIN of 6 digits and 01=account of
//     1–19 letters or digits) and 02=QRIBFTTA or QRIBFTTC, in any order;
//     53 is "704"; 54 is 1–13 digits, no leading zero (so > 0); 58 is "VN";
//     59 ≤ 25 bytes; 60 ≤ 15 bytes; 62 subfields 00–49 ≤ 25 bytes each.
//  5. The mandatory tags 01, 38, 53 and 58 are present.
//
// Tags other than 00 and 63 may come in any order. Well-formed tags that
// Payload does not model are checked for framing and then ignored, as bank
// apps ignore them in a transfer: 02–51 other than 38 (other networks'
// merchant account information), 52 (merchant category code), 55–57 (tip
// and convenience fee), 61 (postal code), 64 (alternate language
// template), 65–99 (RFU and unreserved templates), and 62 subfields 00 and
// 09–99. Among them the templates (26–51, 64, 80–99, 62/50–99) must
// themselves be well-formed TLV consumed exactly, with no tag twice.
// Inside 38 and 38/01, whose content NAPAS defines completely, any other
// tag is rejected as unknown_tag.
//
// A static code (01=11) with an amount is accepted: EMVCo does not tie 54 to
// the initiation method, and fixed-price stalls print such codes. An unknown
// BIN is not an error either: new banks join NAPAS; use LookupBank to check.
func Decode(s string) (Payload, error) {
	var p Payload
	if len(s) == 0 {
		return p, decodeErr(RuleMissingTag, 0, tagFormat, "empty payload")
	}
	if len(s) > MaxPayloadLen {
		return p, decodeErr(RuleTooLong, MaxPayloadLen, "",
			fmt.Sprintf("payload is %d bytes; EMVCo allows at most %d", len(s), MaxPayloadLen))
	}
	for i := 0; i < len(s); i++ {
		if !isPrint(s[i]) {
			return p, decodeErr(RuleNonASCII, i, "",
				fmt.Sprintf("byte 0x%02X is not printable ASCII", s[i]))
		}
	}

	var (
		seen     tagSet
		first    *Error // first value error, reported after the CRC check
		crcOff   = -1
		firstTag = -1
	)
	note := func(e *Error) {
		if first == nil && e != nil {
			first = e
		}
	}
	for i := 0; i < len(s); {
		id, vs, ve, err := readTLV(s, i, len(s), "")
		if err != nil {
			return Payload{}, err
		}
		if seen.has(id) {
			return Payload{}, decodeErr(RuleDuplicateTag, i, tagPath("", id),
				fmt.Sprintf("tag %02d appears twice", id))
		}
		seen.add(id)
		if firstTag < 0 {
			firstTag = id
		} else if id == 0 {
			return Payload{}, decodeErr(RuleOrder, 0, tagFormat,
				fmt.Sprintf("payload format indicator 00 must come first; found at offset %d", i))
		}
		v := s[vs:ve]
		switch id {
		case 0:
			if v != "01" {
				note(decodeErr(RuleBadFormat, vs, tagFormat,
					fmt.Sprintf("payload format indicator is %q; must be \"01\"", v)))
			}
		case 1:
			switch v {
			case "11":
				p.Dynamic = false
			case "12":
				p.Dynamic = true
			default:
				note(decodeErr(RuleBadInit, vs, tagInit,
					fmt.Sprintf("point of initiation is %q; must be \"11\" (static) or \"12\" (dynamic)", v)))
			}
		case 38:
			note(decodeMerchant(s, i, vs, ve, &p))
		case 53:
			p.Currency = v
			if v != "704" {
				note(decodeErr(RuleBadCurrency, vs, tagCurrency,
					fmt.Sprintf("currency is %q; VietQR transfers are in VND (\"704\")", v)))
			}
		case 54:
			p.Amount = v
			if msg := checkAmount(v); msg != "" {
				note(decodeErr(RuleBadAmount, vs, tagAmount, msg))
			}
		case 58:
			p.Country = v
			if v != "VN" {
				note(decodeErr(RuleBadCountry, vs, tagCountry,
					fmt.Sprintf("country is %q; must be \"VN\"", v)))
			}
		case 59:
			p.MerchantName = v
			if len(v) > MaxMerchantNameLen {
				note(decodeErr(RuleTooLong, vs, tagName,
					fmt.Sprintf("merchant name is %d bytes; limit %d", len(v), MaxMerchantNameLen)))
			}
		case 60:
			p.MerchantCity = v
			if len(v) > MaxMerchantCityLen {
				note(decodeErr(RuleTooLong, vs, tagCity,
					fmt.Sprintf("merchant city is %d bytes; limit %d", len(v), MaxMerchantCityLen)))
			}
		case 62:
			note(decodeAdditional(s, vs, ve, &p))
		case 63:
			if ve-vs != 4 {
				return Payload{}, decodeErr(RuleBadCRC, i+2, tagCRC,
					fmt.Sprintf("CRC length is %d; must be 04", ve-vs))
			}
			if ve != len(s) {
				return Payload{}, decodeErr(RuleTrailingData, ve, "",
					fmt.Sprintf("%d bytes after the CRC (63), which must be the last data object", len(s)-ve))
			}
			crcOff = i
		default:
			if isTemplate(id) {
				note(checkTemplate(s, vs, ve, tagPath("", id)))
			}
		}
		i = ve
	}

	if firstTag != 0 {
		return Payload{}, decodeErr(RuleMissingTag, 0, tagFormat,
			"payload format indicator 00 is missing; it must be the first data object")
	}
	if crcOff < 0 {
		return Payload{}, decodeErr(RuleMissingTag, len(s), tagCRC, "CRC (63) is missing")
	}
	got, upper, ok := parseHex4(s[crcOff+4:])
	if !ok {
		return Payload{}, decodeErr(RuleBadCRC, crcOff+4, tagCRC,
			fmt.Sprintf("CRC %q is not 4 hex digits", s[crcOff+4:]))
	}
	if want := crc16String(s[:crcOff+4]); got != want {
		return Payload{}, decodeErr(RuleCRCMismatch, crcOff+4, tagCRC,
			fmt.Sprintf("computed %04X, payload has %s", want, s[crcOff+4:]))
	}
	if first != nil {
		return Payload{}, first
	}
	for _, t := range [...]struct {
		id   int
		name string
	}{{1, "point of initiation (01)"}, {38, "VietQR merchant account information (38)"}, {53, "currency (53)"}, {58, "country (58)"}} {
		if !seen.has(t.id) {
			return Payload{}, decodeErr(RuleMissingTag, 0, tagPath("", t.id), t.name+" is missing")
		}
	}
	if upper {
		p.CRC = s[crcOff+4:]
	} else {
		p.CRC = string(appendCRC(make([]byte, 0, 4), got))
	}
	return p, nil
}

// decodeMerchant decodes tag 38, the NAPAS merchant account information
// template, whose TLV starts at off and whose value is s[vs:ve].
func decodeMerchant(s string, off, vs, ve int, p *Payload) *Error {
	var seen tagSet
	consumer := -1
	for i := vs; i < ve; {
		id, a, b, err := readTLV(s, i, ve, tagVietQR)
		if err != nil {
			return err
		}
		if seen.has(id) {
			return decodeErr(RuleDuplicateTag, i, tagPath(tagVietQR, id),
				fmt.Sprintf("tag 38.%02d appears twice", id))
		}
		seen.add(id)
		v := s[a:b]
		switch id {
		case 0:
			if v != GUID {
				return decodeErr(RuleBadGUID, a, tagGUID,
					fmt.Sprintf("GUID is %q; VietQR requires %q", v, GUID))
			}
		case 1:
			consumer = i
			if err := decodeConsumer(s, i, a, b, p); err != nil {
				return err
			}
		case 2:
			p.Service = Service(v)
			if p.Service != ServiceAccount && p.Service != ServiceCard {
				return decodeErr(RuleBadService, a, tagService,
					fmt.Sprintf("service code is %q; must be %q or %q", v, ServiceAccount, ServiceCard))
			}
		default:
			return decodeErr(RuleUnknownTag, i, tagPath(tagVietQR, id),
				fmt.Sprintf("NAPAS defines only 00, 01 and 02 in tag 38, not %02d", id))
		}
		i = b
	}
	switch {
	case !seen.has(0):
		return decodeErr(RuleMissingTag, off, tagGUID, "GUID (38.00) is missing")
	case consumer < 0:
		return decodeErr(RuleMissingTag, off, tagConsumer, "beneficiary template (38.01) is missing")
	case !seen.has(2):
		return decodeErr(RuleMissingTag, off, tagService, "service code (38.02) is missing")
	}
	return nil
}

// decodeConsumer decodes 38/01, the beneficiary organisation template.
func decodeConsumer(s string, off, vs, ve int, p *Payload) *Error {
	var seen tagSet
	for i := vs; i < ve; {
		id, a, b, err := readTLV(s, i, ve, tagConsumer)
		if err != nil {
			return err
		}
		if seen.has(id) {
			return decodeErr(RuleDuplicateTag, i, tagPath(tagConsumer, id),
				fmt.Sprintf("tag 38.01.%02d appears twice", id))
		}
		seen.add(id)
		v := s[a:b]
		switch id {
		case 0:
			p.BIN = v
			if !isBIN(v) {
				return decodeErr(RuleBadBIN, a, tagBIN, fmt.Sprintf("BIN %q is not 6 digits", v))
			}
		case 1:
			p.AccountNumber = v
			if msg := checkAccount(v); msg != "" {
				return decodeErr(RuleBadAccount, a, tagAccount, msg)
			}
		default:
			return decodeErr(RuleUnknownTag, i, tagPath(tagConsumer, id),
				fmt.Sprintf("NAPAS defines only 00 and 01 in tag 38.01, not %02d", id))
		}
		i = b
	}
	switch {
	case !seen.has(0):
		return decodeErr(RuleMissingTag, off, tagBIN, "acquirer BIN (38.01.00) is missing")
	case !seen.has(1):
		return decodeErr(RuleMissingTag, off, tagAccount, "account number (38.01.01) is missing")
	}
	return nil
}

// decodeAdditional decodes tag 62, the additional data field template.
func decodeAdditional(s string, vs, ve int, p *Payload) *Error {
	var seen tagSet
	for i := vs; i < ve; {
		id, a, b, err := readTLV(s, i, ve, tagAddData)
		if err != nil {
			return err
		}
		if seen.has(id) {
			return decodeErr(RuleDuplicateTag, i, tagPath(tagAddData, id),
				fmt.Sprintf("tag 62.%02d appears twice", id))
		}
		seen.add(id)
		v := s[a:b]
		if id >= 50 {
			// Payment system specific templates (EMVCo 62/50–99).
			if err := checkTemplate(s, a, b, tagPath(tagAddData, id)); err != nil {
				return err
			}
			i = b
			continue
		}
		if len(v) > MaxAdditionalLen {
			return decodeErr(RuleTooLong, a, tagPath(tagAddData, id),
				fmt.Sprintf("subfield 62.%02d is %d bytes; limit %d", id, len(v), MaxAdditionalLen))
		}
		if f := addField(p, id); f != nil {
			*f = v
		}
		i = b
	}
	return nil
}

// addField returns the Payload field that holds subfield id of 62, or nil
// when Payload does not model it.
func addField(p *Payload, id int) *string {
	switch id {
	case 1:
		return &p.BillNumber
	case 2:
		return &p.MobileNumber
	case 3:
		return &p.StoreLabel
	case 4:
		return &p.LoyaltyNumber
	case 5:
		return &p.ReferenceLabel
	case 6:
		return &p.CustomerLabel
	case 7:
		return &p.TerminalLabel
	case 8:
		return &p.Purpose
	}
	return nil
}

// checkTemplate checks that s[vs:ve] is a sequence of well-formed TLVs with
// no repeated tag, consumed exactly. It is used for templates Payload does
// not model, so that "strict" holds for every byte of the payload.
func checkTemplate(s string, vs, ve int, path string) *Error {
	var seen tagSet
	for i := vs; i < ve; {
		id, _, b, err := readTLV(s, i, ve, path)
		if err != nil {
			return err
		}
		if seen.has(id) {
			return decodeErr(RuleDuplicateTag, i, tagPath(path, id),
				fmt.Sprintf("tag %s.%02d appears twice", path, id))
		}
		seen.add(id)
		i = b
	}
	return nil
}

// readTLV reads the data object at s[i:], which must end by end. It returns
// its id and the bounds of its value. parent is the enclosing tag path.
func readTLV(s string, i, end int, parent string) (id, vs, ve int, err *Error) {
	if end-i < 4 {
		where := "the payload"
		if parent != "" {
			where = "template " + parent
		}
		return 0, 0, 0, decodeErr(RuleTemplateOverrun, i, parent,
			fmt.Sprintf("%d stray byte(s) at the end of %s, too few for a data object; a length before them is probably wrong", end-i, where))
	}
	if !isDigit(s[i]) || !isDigit(s[i+1]) {
		return 0, 0, 0, decodeErr(RuleBadTag, i, parent,
			fmt.Sprintf("tag id %q is not two digits", s[i:i+2]))
	}
	id = int(s[i]-'0')*10 + int(s[i+1]-'0')
	if !isDigit(s[i+2]) || !isDigit(s[i+3]) {
		return 0, 0, 0, decodeErr(RuleBadLength, i+2, tagPath(parent, id),
			fmt.Sprintf("length %q is not two digits", s[i+2:i+4]))
	}
	n := int(s[i+2]-'0')*10 + int(s[i+3]-'0')
	if n == 0 {
		return 0, 0, 0, decodeErr(RuleBadLength, i+2, tagPath(parent, id), "length is 00; values are 1–99 bytes")
	}
	vs = i + 4
	ve = vs + n
	if ve > end {
		where := "the payload"
		if parent != "" {
			where = "template " + parent
		}
		return 0, 0, 0, decodeErr(RuleTemplateOverrun, i+2, tagPath(parent, id),
			fmt.Sprintf("length %02d runs %d bytes past the end of %s", n, ve-end, where))
	}
	return id, vs, ve, nil
}

// isTemplate reports whether root tag id is a template in EMVCo MPM other
// than 38 and 62, which are decoded: merchant account information 26–51,
// the language template 64 and the unreserved templates 80–99.
func isTemplate(id int) bool {
	return (26 <= id && id <= 51) || id == 64 || id >= 80
}

// tagSet records which of the ids 00–99 appeared at one level.
type tagSet [2]uint64

func (t *tagSet) has(id int) bool { return t[id>>6]&(1<<(id&63)) != 0 }
func (t *tagSet) add(id int)      { t[id>>6] |= 1 << (id & 63) }

// tagPath joins a parent path and a two-digit id: ("38", 1) → "38.01".
func tagPath(parent string, id int) string {
	if parent == tagAddData && 0 <= id && id < len(addTags) {
		return addTags[id]
	}
	t := strconv.Itoa(id)
	if id < 10 {
		t = "0" + t
	}
	if parent == "" {
		return t
	}
	return parent + "." + t
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func isAlnum(c byte) bool {
	return isDigit(c) || ('A' <= c && c <= 'Z') || ('a' <= c && c <= 'z')
}

// isBIN reports whether s is a NAPAS BIN: exactly 6 digits.
func isBIN(s string) bool {
	if len(s) != 6 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}

// checkAccount returns why s is not an account number, or "".
func checkAccount(s string) string {
	if len(s) == 0 || len(s) > MaxAccountLen {
		return fmt.Sprintf("account number is %d bytes; must be 1–%d", len(s), MaxAccountLen)
	}
	for i := 0; i < len(s); i++ {
		if !isAlnum(s[i]) {
			return fmt.Sprintf("account number has %q at position %d; only letters and digits are allowed", s[i], i)
		}
	}
	return ""
}

// checkAmount returns why s is not a VND amount, or "". Leading zeros are
// refused so that every amount has exactly one spelling and Decode/Encode
// round-trip byte for byte.
func checkAmount(s string) string {
	if len(s) == 0 || len(s) > MaxAmountLen {
		return fmt.Sprintf("amount is %d digits; must be 1–%d", len(s), MaxAmountLen)
	}
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return fmt.Sprintf("amount %q has %q; VND amounts are whole đồng, digits only", s, s[i])
		}
	}
	if s[0] == '0' {
		if len(s) == 1 {
			return "amount is zero; omit it instead"
		}
		return fmt.Sprintf("amount %q has a leading zero", s)
	}
	return ""
}
