// Package ocop holds the domain types and rules for OCOP products ("One
// Commune One Product", Decision 148/QĐ-TTg of 2023 as amended by
// 1489/QĐ-TTg of 2025) and their item-level traceability stamps.
//
// The package does no I/O: no database, no HTTP, no files and no clock.
// Every rule that depends on time takes the instant as an argument, so the
// service layer reads its clock once per command and tests are exact.
// Persistence and HTTP live in other packages and convert to and from these
// types.
//
// # What is here
//
//   - Producers, products (six OCOP groups), certificates (stars 3–5, level,
//     36-month validity) and lots; a product's stars are never stored: they
//     are derived from its active certificate with [StarsAt].
//   - GTIN validation ([ValidateGTIN]) and the GS1 Digital Link form of a
//     stamp ([Link], [ParseLink], [FormatLink]), plus a non-GS1 form for
//     producers without a GS1 company prefix.
//   - Ed25519-signed stamps verifiable offline ([KeyRing]), random serials
//     ([NewSerial]), the stamp lifecycle ([CanTransition]) and the verdict
//     shown on the public verification page ([Verdict]).
//   - [Fold], the Vietnamese-insensitive search key.
//
// # Errors
//
// Validation errors are [*FieldError] values (several are returned together
// as [FieldErrors]) that name the offending field in snake_case, as the JSON
// API spells it. They all match [ErrInvalid] with errors.Is; more specific
// sentinels ([ErrCheckDigit], [ErrBadSignature], ...) can be tested first.
// Lifecycle violations match [ErrConflict]. The HTTP layer maps these two
// to its `invalid` and `conflict` codes.
package ocop
