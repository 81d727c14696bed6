package ocop

import (
	"encoding/base64"
	"strconv"
	"strings"
)

// A stamp's link is what its QR code holds. Two forms exist:
//
// GS1 form, for products with a GTIN (GS1 Digital Link URI syntax 1.x,
// TCVN 12850:2019; primary key AI 01 with key qualifiers AI 10 and AI 21,
// in that order, both mandatory on our item-level stamps):
//
//	https://{host}/01/{gtin14}/10/{lot}/21/{serial}[?k={key_id}&s={sig}]
//
// Non-GS1 form, for producers without a GS1 licence (never a made-up GTIN):
//
//	https://{host}/t/{lot_id}/{serial}[?k={key_id}&s={sig}]
//
// where lot_id is the platform's public lot reference. A GS1 path always
// starts with a numeric AI, so a resolver can serve both forms on one host.
//
// lot and serial are 1–20 characters of GS1 character set 82; in the path
// every character other than A–Z a–z 0–9 - . _ is percent-encoded (upper-
// case hex), as the GS1 Digital Link grammar requires for "!", "%", "/",
// "?", etc. The optional query carries the Ed25519 signature: k is the
// 8-character key id, s the 64-byte signature in unpadded base64url (86
// characters). The host is not signed (see KeyRing): under GS1 Digital Link
// the domain is not part of the identity, and a move to another domain must
// not invalidate printed labels.
const (
	// MaxAI82Len is the longest lot or serial (GS1 AI 10 and AI 21).
	MaxAI82Len = 20
	// MaxLotIDLen is the longest non-GS1 lot reference: room for a UUID,
	// though a short code keeps the QR code smaller.
	MaxLotIDLen = 36
	// KeyIDLen is the length of a key id (see KeyID).
	KeyIDLen = 8
	// MaxLinkLen bounds the input of ParseLink; real links are under 300
	// bytes, so anything longer is refused before any other work.
	MaxLinkLen = 1024
	// maxHostLen is the DNS limit on a host name.
	maxHostLen = 253
)

// Link is a parsed or to-be-formatted stamp link, holding the decoded
// identifiers (never percent-encoded text). A Link is canonical when
// Validate accepts it: host in lower case, GTIN in 14-digit form; ParseLink
// only returns canonical links and FormatLink only accepts them, so
// ParseLink(FormatLink(l)) == l.
type Link struct {
	Host string // host[:port], lower case, e.g. "m4.vn"

	// GS1 form (NonGS1 false).
	GTIN string // 14 digits
	Lot  string // AI (10)

	// Non-GS1 form (NonGS1 true).
	NonGS1 bool
	LotID  string // platform lot reference: 1–36 of A–Z a–z 0–9 - _

	Serial string // AI (21), both forms

	// Signature, both empty for an unsigned link.
	KeyID string
	Sig   []byte
}

// NewGS1Link builds a canonical unsigned GS1 link, normalising the host to
// lower case and the GTIN to 14 digits. Errors name the field.
func NewGS1Link(host, gtin, lot, serial string) (Link, error) {
	g, err := ValidateGTIN(gtin)
	if err != nil {
		return Link{}, err
	}
	l := Link{Host: strings.ToLower(host), GTIN: g, Lot: lot, Serial: serial}
	return l, l.Validate()
}

// NewNonGS1Link builds a canonical unsigned non-GS1 link for a product
// without GTIN. Errors name the field.
func NewNonGS1Link(host, lotID, serial string) (Link, error) {
	l := Link{Host: strings.ToLower(host), NonGS1: true, LotID: lotID, Serial: serial}
	return l, l.Validate()
}

// Signed reports whether the link carries a key id and signature.
func (l Link) Signed() bool { return l.KeyID != "" || len(l.Sig) != 0 }

// Unsigned returns the link without its signature, e.g. to sign it anew
// after a key rotation.
func (l Link) Unsigned() Link {
	l.KeyID, l.Sig = "", nil
	return l
}

// Validate checks that the link is canonical and complete, returning a
// *FieldError naming the first wrong part: host, gtin, lot, lot_id,
// serial, key_id or signature.
func (l Link) Validate() error {
	if err := checkHost(l.Host); err != "" {
		return fieldErr("host", "%s", err)
	}
	if l.NonGS1 {
		if l.GTIN != "" || l.Lot != "" {
			return fieldErr("gtin", "must be empty in a non-GS1 link")
		}
		if err := checkLotID(l.LotID); err != "" {
			return fieldErr("lot_id", "%s", err)
		}
	} else {
		if l.LotID != "" {
			return fieldErr("lot_id", "must be empty in a GS1 link")
		}
		if len(l.GTIN) != 14 {
			return fieldErr("gtin", "must be 14 digits (normalise with ValidateGTIN)")
		}
		if _, err := ValidateGTIN(l.GTIN); err != nil {
			return err
		}
		if err := checkAI82(l.Lot); err != "" {
			return fieldErr("lot", "%s", err)
		}
	}
	if err := checkAI82(l.Serial); err != "" {
		return fieldErr("serial", "%s", err)
	}
	if l.KeyID == "" && len(l.Sig) == 0 {
		return nil
	}
	if len(l.KeyID) != KeyIDLen || !isKeyIDChars(l.KeyID) {
		return fieldErr("key_id", "must be %d base64url characters", KeyIDLen)
	}
	if len(l.Sig) != sigLen {
		return fieldErr("signature", "must be %d bytes", sigLen)
	}
	return nil
}

// FormatLink returns the URL of a canonical link, always with scheme https,
// or the Validate error.
func FormatLink(l Link) (string, error) {
	if err := l.Validate(); err != nil {
		return "", err
	}
	return l.String(), nil
}

// String formats the link without validating it, for logs and templates;
// use FormatLink where the result will be printed on a label. Whatever the
// fields hold, every byte outside the unreserved set is percent-encoded, so
// the output is still a well-formed URL.
func (l Link) String() string {
	var b strings.Builder
	b.Grow(64 + len(l.Host) + 3*(len(l.Lot)+len(l.Serial)+len(l.LotID)) + 100)
	b.WriteString("https://")
	b.WriteString(l.Host)
	if l.NonGS1 {
		b.WriteString("/t/")
		writeEscaped(&b, l.LotID)
		b.WriteByte('/')
	} else {
		b.WriteString("/01/")
		writeEscaped(&b, l.GTIN)
		b.WriteString("/10/")
		writeEscaped(&b, l.Lot)
		b.WriteString("/21/")
	}
	writeEscaped(&b, l.Serial)
	if l.Signed() {
		b.WriteString("?k=")
		writeEscaped(&b, l.KeyID)
		b.WriteString("&s=")
		b.WriteString(base64.RawURLEncoding.EncodeToString(l.Sig))
	}
	return b.String()
}

// ParseLink parses a stamp URL in either form. It is strict, because a
// stamp link is printed by us and anything unusual is a sign of tampering:
// scheme http or https (any case, as QR encoders often upper-case it), a
// plain host name with optional port (no user info, no IPv6 literal), no
// path prefix, no trailing slash, no fragment, values percent-encoded as
// FormatLink does (upper- or lower-case hex accepted) and within the GS1
// character set and lengths. In the query, k and s must appear together
// and at most once; other parameters (GS1 data attributes, linkType) are
// ignored. The GTIN may be 8, 12, 13 or 14 digits and is returned in
// 14-digit form. Errors are *FieldError naming the wrong part: url,
// scheme, host, path, gtin, lot, lot_id, serial, key_id or signature.
func ParseLink(raw string) (Link, error) {
	var l Link
	if len(raw) > MaxLinkLen {
		return l, fieldErr("url", "longer than %d bytes", MaxLinkLen)
	}
	var rest string
	switch {
	case hasPrefixFold(raw, "https://"):
		rest = raw[len("https://"):]
	case hasPrefixFold(raw, "http://"):
		rest = raw[len("http://"):]
	default:
		return l, fieldErr("scheme", "must be https:// or http://")
	}
	end := strings.IndexAny(rest, "/?#")
	if end < 0 {
		return l, fieldErr("path", "is missing")
	}
	host := rest[:end]
	if hasUpper(host) {
		host = strings.ToLower(host)
	}
	if err := checkHost(host); err != "" {
		return l, fieldErr("host", "%s", err)
	}
	l.Host = host
	rest = rest[end:]
	if strings.IndexByte(rest, '#') >= 0 {
		return l, fieldErr("url", "must not have a fragment (#)")
	}
	path, query, _ := strings.Cut(rest, "?")
	if len(path) == 0 || path[0] != '/' {
		return l, fieldErr("path", "is missing")
	}

	var seg [6]string
	n := 0
	for p := path[1:]; ; n++ {
		if n == len(seg) {
			return l, fieldErr("path", "has too many segments")
		}
		i := strings.IndexByte(p, '/')
		if i < 0 {
			seg[n] = p
			n++
			break
		}
		seg[n], p = p[:i], p[i+1:]
	}
	var err error
	switch seg[0] {
	case "01":
		if n != 6 || seg[2] != "10" || seg[4] != "21" {
			return l, fieldErr("path", "must be /01/{gtin}/10/{lot}/21/{serial}")
		}
		if !allDigits(seg[1]) {
			return l, fieldErr("gtin", "must contain digits only")
		}
		if l.GTIN, err = ValidateGTIN(seg[1]); err != nil {
			return Link{}, err
		}
		if l.Lot, err = unescapeAI82("lot", seg[3]); err != nil {
			return Link{}, err
		}
		if l.Serial, err = unescapeAI82("serial", seg[5]); err != nil {
			return Link{}, err
		}
	case "t":
		if n != 3 {
			return l, fieldErr("path", "must be /t/{lot_id}/{serial}")
		}
		if msg := checkLotID(seg[1]); msg != "" {
			return Link{}, fieldErr("lot_id", "%s", msg)
		}
		l.NonGS1, l.LotID = true, seg[1]
		if l.Serial, err = unescapeAI82("serial", seg[2]); err != nil {
			return Link{}, err
		}
	default:
		return Link{}, fieldErr("path", "must start with /01/ (GS1) or /t/ (non-GS1 stamp)")
	}

	var haveK, haveS bool
	for query != "" {
		var part string
		part, query, _ = strings.Cut(query, "&")
		name, value, _ := strings.Cut(part, "=")
		switch name {
		case "k":
			if haveK {
				return Link{}, fieldErr("key_id", "query parameter k appears twice")
			}
			haveK = true
			if len(value) != KeyIDLen || !isKeyIDChars(value) {
				return Link{}, fieldErr("key_id", "query parameter k must be %d base64url characters", KeyIDLen)
			}
			l.KeyID = value
		case "s":
			if haveS {
				return Link{}, fieldErr("signature", "query parameter s appears twice")
			}
			haveS = true
			if len(value) != sigB64Len {
				return Link{}, fieldErr("signature", "query parameter s must be %d base64url characters", sigB64Len)
			}
			sig, err := base64.RawURLEncoding.Strict().DecodeString(value)
			if err != nil || len(sig) != sigLen {
				return Link{}, fieldErr("signature", "query parameter s is not canonical unpadded base64url")
			}
			l.Sig = sig
		}
	}
	if haveK != haveS {
		if haveK {
			return Link{}, fieldErr("signature", "query parameter s is missing (k is present)")
		}
		return Link{}, fieldErr("key_id", "query parameter k is missing (s is present)")
	}
	return l, nil
}

// sigLen is the Ed25519 signature size; sigB64Len its unpadded base64url
// length.
const (
	sigLen    = 64
	sigB64Len = 86
)

// ai82 marks the 82 characters of GS1 character set 82 (GS1 General
// Specifications figure 7.11-1): ! " % & ' ( ) * + , - . / 0–9 : ; < = > ?
// A–Z _ a–z.
var ai82 = func() (t [256]bool) {
	for _, c := range "!\"%&'()*+,-./:;<=>?_" {
		t[c] = true
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for c := 'A'; c <= 'Z'; c++ {
		t[c] = true
		t[c+'a'-'A'] = true
	}
	return t
}()

// checkAI82 returns "" when s is 1–20 characters of set 82, else why not.
func checkAI82(s string) string {
	if s == "" {
		return "is required"
	}
	if len(s) > MaxAI82Len {
		return "must be at most " + strconv.Itoa(MaxAI82Len) + " characters"
	}
	for i := 0; i < len(s); i++ {
		if !ai82[s[i]] {
			return "character " + strconv.QuoteRune(rune(s[i])) + " is not in the GS1 character set 82"
		}
	}
	return ""
}

// unreserved reports RFC 3986 unreserved characters that GS1 Digital Link
// leaves unencoded (the "~" is unreserved but not in set 82).
func unreserved(c byte) bool {
	return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_'
}

// writeEscaped percent-encodes every byte that is not unreserved.
func writeEscaped(b *strings.Builder, s string) {
	const hex = "0123456789ABCDEF"
	for i := 0; i < len(s); i++ {
		c := s[i]
		if unreserved(c) {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
}

// unescapeAI82 decodes a percent-encoded path segment and checks that the
// result is a valid AI 10/21 value. Raw characters other than unreserved
// ones are refused (the grammar requires them encoded); the result is a
// substring of seg when nothing was encoded.
func unescapeAI82(field, seg string) (string, error) {
	if strings.IndexByte(seg, '%') < 0 {
		for i := 0; i < len(seg); i++ {
			if !unreserved(seg[i]) {
				return "", fieldErr(field, "character %q must be percent-encoded", seg[i])
			}
		}
		if msg := checkAI82(seg); msg != "" {
			return "", fieldErr(field, "%s", msg)
		}
		return seg, nil
	}
	buf := make([]byte, 0, len(seg))
	for i := 0; i < len(seg); i++ {
		c := seg[i]
		switch {
		case c == '%':
			if i+2 >= len(seg) || unhex(seg[i+1]) < 0 || unhex(seg[i+2]) < 0 {
				return "", fieldErr(field, "has a malformed percent-encoding")
			}
			buf = append(buf, byte(unhex(seg[i+1])<<4|unhex(seg[i+2])))
			i += 2
		case unreserved(c):
			buf = append(buf, c)
		default:
			return "", fieldErr(field, "character %q must be percent-encoded", c)
		}
		if len(buf) > MaxAI82Len {
			return "", fieldErr(field, "must be at most %d characters", MaxAI82Len)
		}
	}
	s := string(buf)
	if msg := checkAI82(s); msg != "" {
		return "", fieldErr(field, "%s", msg)
	}
	return s, nil
}

func unhex(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'A' && c <= 'F':
		return int(c-'A') + 10
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	}
	return -1
}

// checkLotID returns "" for a valid non-GS1 lot reference.
func checkLotID(s string) string {
	if s == "" {
		return "is required"
	}
	if len(s) > MaxLotIDLen {
		return "must be at most " + strconv.Itoa(MaxLotIDLen) + " characters"
	}
	if !isKeyIDChars(s) {
		return "must contain only A-Z a-z 0-9 - _"
	}
	return ""
}

// isKeyIDChars reports whether s consists of base64url characters
// (A–Z a–z 0–9 - _); the empty string qualifies.
func isKeyIDChars(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// checkHost returns "" for a canonical host[:port]: lower-case DNS labels
// of a–z 0–9 and inner hyphens (1–63 each, at most 253 in all, no trailing
// dot) and an optional decimal port 1–65535 without leading zeros.
func checkHost(hp string) string {
	if hp == "" {
		return "is required"
	}
	host, port, hasPort := strings.Cut(hp, ":")
	if hasPort {
		if port == "" || len(port) > 5 || port[0] == '0' || !allDigits(port) {
			return "port must be a number 1-65535"
		}
		if p, _ := strconv.Atoi(port); p > 65535 {
			return "port must be a number 1-65535"
		}
	}
	if host == "" || len(host) > maxHostLen {
		return "must be a host name of 1 to 253 characters"
	}
	for label := range strings.SplitSeq(host, ".") {
		if label == "" || len(label) > 63 {
			return "must be dot-separated labels of 1 to 63 characters"
		}
		if label[0] == '-' || label[len(label)-1] == '-' {
			return "labels must not start or end with a hyphen"
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
				return "must contain only lower-case letters, digits, hyphens and dots"
			}
		}
	}
	return ""
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

func hasUpper(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 'A' && s[i] <= 'Z' {
			return true
		}
	}
	return false
}
