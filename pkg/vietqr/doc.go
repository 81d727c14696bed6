// Package vietqr encodes, decodes and renders VietQR codes: the NAPAS
// profile of the EMVCo merchant-presented QR (QRCPS-MPM v1.1) that every
// Vietnamese banking app scans to pre-fill an instant NAPAS 247 transfer.
//
// # The format
//
// A VietQR payload is a string of TLV data objects: a two-digit tag id, a
// two-digit length (01–99) and that many bytes of value. Some values are
// themselves TLV templates. A transfer QR looks like this (§6.1.3 of the
// NAPAS specification v1.0, 09/2021):
//
//	00 02 01                          payload format indicator, always first
//	01 02 12                          11 = static (many payments), 12 = dynamic (one)
//	38 57                             NAPAS merchant account information
//	   00 10 A000000727               GUID of VietQR
//	   01 27                          beneficiary template
//	      00 06 970403                acquirer BIN (Sacombank)
//	      01 13 0011012345678         account number
//	   02 08 QRIBFTTA                 service: to account (QRIBFTTC: to card)
//	53 03 704                         currency: VND
//	54 06 180000                      amount in whole đồng (optional)
//	58 02 VN                          country
//	62 34                             additional data
//	   01 07 NPS6869                  bill number
//	   08 19 thanh toan don hang      purpose: becomes the transfer content
//	63 04 2E2E                        CRC-16/CCITT-FALSE, always last
//
// The CRC covers everything up to and including "6304". Text is printable
// ASCII: Vietnamese must lose its diacritics first (see ASCII), and limits
// count bytes.
//
// # What this package does
//
// Encode builds a payload from a Payload, strictly: a field that is too
// long or invalid is an *Error naming the field, never a silently broken
// code (EncodeWith can truncate text fields instead). Decode validates a
// payload strictly and returns its fields without allocating; every
// failure is an *Error with a stable Rule code, the byte Offset and the Tag
// path, suitable for API responses and for telling a merchant exactly what
// is wrong with a code another system printed. Banks, LookupBank and
// BankByShortName give the NAPAS acquirer directory, embedded in the
// binary. PNG and SVG draw the code for print and screen.
//
// Policies worth knowing (each is documented where it applies):
//   - Limits, in bytes after transliteration (EMVCo MPM v1.1 and NAPAS):
//     account 19, amount 13, merchant name 25, city 15, each 62 subfield 25,
//     a template 99, the whole payload 512.
//   - Only VND (53=704) and Vietnam (58=VN): VietQR transfers are domestic.
//   - Amounts are 1–13 digits with no leading zero, so > 0 and canonical.
//   - A static code (01=11) may carry an amount, as EMVCo allows.
//   - Unknown BINs decode fine: NAPAS keeps adding members.
//   - Root tags and 62 subfields that Payload does not model are checked
//     for framing and ignored; Encode never writes them.
//   - Encode writes tags in ascending order, so Decode(Encode(p)) == p (with
//     defaults filled, text transliterated and CRC set) and
//     Encode(Decode(s)) == s for any s that Encode produced.
//   - PNG and SVG use error correction level Q (25 %), because stall codes
//     are printed and get dirty; PNG modules are whole pixels.
//
// The package has no I/O and no global state besides the lazily parsed
// bank directory and a small free list of PNG buffers; all functions are
// safe for concurrent use.
package vietqr
