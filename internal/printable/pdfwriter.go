package printable

import (
	"bufio"
	"bytes"
	"compress/zlib"
	"fmt"
	"io"
	"strconv"
)

// pdfWriter writes a PDF 1.4 file front to back without holding it: each
// object is written when it is complete and only its byte offset is kept
// for the cross-reference table at the end. Object numbers may be reserved
// up front (the page tree, which pages point to as /Parent) and written
// last. Errors are sticky: after the first failed write every method is a
// no-op and err reports it.
type pdfWriter struct {
	bw      *bufio.Writer
	n       int64   // bytes written so far: the offset of the next byte
	offsets []int64 // offsets[i] is where object i starts; 0 when not written yet
	err     error

	// Scratch for content streams, reused across pages.
	zbuf bytes.Buffer
	zw   *zlib.Writer
	num  []byte
}

func newPDFWriter(w io.Writer) *pdfWriter {
	p := &pdfWriter{bw: bufio.NewWriterSize(w, 64<<10), offsets: []int64{0}}
	// Content streams are mostly digits and "re": the default level gets
	// them to about a quarter; BestCompression gains little more for twice
	// the time.
	p.zw, _ = zlib.NewWriterLevel(&p.zbuf, zlib.DefaultCompression) // valid level: no error
	return p
}

// header writes the PDF header; the second line holds bytes above 127 so
// that transfer programs treat the file as binary.
func (p *pdfWriter) header() { p.writeString("%PDF-1.4\n%\xE2\xE3\xCF\xD3\n") }

func (p *pdfWriter) write(b []byte) {
	if p.err != nil {
		return
	}
	n, err := p.bw.Write(b)
	p.n += int64(n)
	if err != nil {
		p.err = fmt.Errorf("printable: write: %w", err)
	}
}

func (p *pdfWriter) writeString(s string) {
	if p.err != nil {
		return
	}
	n, err := p.bw.WriteString(s)
	p.n += int64(n)
	if err != nil {
		p.err = fmt.Errorf("printable: write: %w", err)
	}
}

func (p *pdfWriter) writeInt(v int64) {
	p.num = strconv.AppendInt(p.num[:0], v, 10)
	p.write(p.num)
}

// reserve returns the next free object number without writing anything.
func (p *pdfWriter) reserve() int {
	p.offsets = append(p.offsets, 0)
	return len(p.offsets) - 1
}

// begin starts object num (from reserve), recording its offset.
func (p *pdfWriter) begin(num int) {
	p.offsets[num] = p.n
	p.writeInt(int64(num))
	p.writeString(" 0 obj\n")
}

func (p *pdfWriter) end() { p.writeString("\nendobj\n") }

// object writes object num with the given body (a dictionary, usually).
func (p *pdfWriter) object(num int, body string) {
	p.begin(num)
	p.writeString(body)
	p.end()
}

// stream writes object num as a Flate-compressed stream of content.
func (p *pdfWriter) stream(num int, content []byte) {
	if p.err != nil {
		return
	}
	p.zbuf.Reset()
	p.zw.Reset(&p.zbuf)
	if _, err := p.zw.Write(content); err != nil { // writes to a bytes.Buffer: cannot fail
		p.err = err
		return
	}
	if err := p.zw.Close(); err != nil {
		p.err = err
		return
	}
	p.begin(num)
	p.writeString("<< /Filter /FlateDecode /Length ")
	p.writeInt(int64(p.zbuf.Len()))
	p.writeString(" >>\nstream\n")
	p.write(p.zbuf.Bytes())
	p.writeString("\nendstream")
	p.end()
}

// finish writes the cross-reference table and trailer, then flushes.
// Every reserved object must have been written.
func (p *pdfWriter) finish(root, info int) error {
	if p.err != nil {
		return p.err
	}
	for i, off := range p.offsets[1:] {
		if off == 0 {
			return fmt.Errorf("printable: object %d reserved but never written", i+1) // a bug in this package
		}
	}
	xref := p.n
	p.writeString("xref\n0 ")
	p.writeInt(int64(len(p.offsets)))
	// Each entry is exactly 20 bytes: 10-digit offset, space, 5-digit
	// generation, space, type, and a two-byte end of line.
	p.writeString("\n0000000000 65535 f \n")
	entry := []byte("0000000000 00000 n \n")
	for _, off := range p.offsets[1:] {
		for i, v := 9, off; i >= 0; i-- {
			entry[i] = byte('0' + v%10)
			v /= 10
		}
		p.write(entry)
	}
	p.writeString("trailer\n<< /Size ")
	p.writeInt(int64(len(p.offsets)))
	p.writeString(" /Root ")
	p.writeInt(int64(root))
	p.writeString(" 0 R /Info ")
	p.writeInt(int64(info))
	p.writeString(" 0 R >>\nstartxref\n")
	p.writeInt(xref)
	p.writeString("\n%%EOF\n")
	if p.err != nil {
		return p.err
	}
	if err := p.bw.Flush(); err != nil {
		return fmt.Errorf("printable: write: %w", err)
	}
	return nil
}

// flush pushes buffered bytes to the underlying writer, so a client
// downloading a long sheet sees progress page by page.
func (p *pdfWriter) flush() {
	if p.err != nil {
		return
	}
	if err := p.bw.Flush(); err != nil {
		p.err = fmt.Errorf("printable: write: %w", err)
	}
}

// appendPDFString appends s as a PDF literal string, escaping the three
// characters that are special inside one. s is printable ASCII.
func appendPDFString(b []byte, s string) []byte {
	b = append(b, '(')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '(', ')', '\\':
			b = append(b, '\\', c)
		default:
			b = append(b, c)
		}
	}
	return append(b, ')')
}
