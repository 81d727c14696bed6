// Package printable produces the print-ready PDF documents of the
// platform: the A6/A5 poster a vendor tapes to the stall (its static
// VietQR, stall name and number, market and bank) and the sheets of
// traceability stamps an OCOP producer sticks on a production lot.
//
// QR codes are drawn as vector rectangles, one per run of dark modules,
// never as images, so they print crisp at any size and on any printer.
//
// The two documents are built differently on purpose:
//
//   - [Poster] is one page with Vietnamese text, so it uses go-pdf/fpdf
//     with an embedded DejaVu Sans (subset to the glyphs used) for the
//     diacritics that the PDF standard fonts lack.
//   - [StampSheet] may have tens of thousands of labels and so streams:
//     a small hand-written PDF 1.4 writer emits each page as soon as it is
//     full and keeps only the byte offsets of the objects for the final
//     cross-reference table (16 bytes per page). fpdf keeps the whole
//     document in memory, which is why it is not used here. Label text is
//     ASCII (transliterated with vietqr.ASCII) in the standard Helvetica,
//     which needs no embedding.
//
// Validation errors are *errs.Error values with code invalid naming the
// field at fault, so the HTTP layer maps them like any other.
package printable
