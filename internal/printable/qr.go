package printable

import (
	"math"
	"strconv"

	"github.com/skip2/go-qrcode"
)

// quietZone is the white border, in modules, that ISO/IEC 18004 requires
// around a QR symbol and that go-qrcode's Bitmap includes.
const quietZone = 4

// qrMatrix returns the modules of content's QR symbol, quiet zone
// included (true is dark). content must be non-empty; callers check it is
// printable ASCII, since QR byte mode carries no reliable charset signal.
func qrMatrix(content string, level qrcode.RecoveryLevel) ([][]bool, error) {
	q, err := qrcode.New(content, level)
	if err != nil {
		return nil, err
	}
	return q.Bitmap(), nil
}

// rect is a rectangle of dark modules, in module units from the top-left
// corner of the symbol (quiet zone included).
type rect struct{ x, y, w, h int }

// rectMerger turns a module matrix into few rectangles: each horizontal
// run of dark modules is one rectangle, and a run identical to one in the
// row above (same start and length) extends that rectangle downwards.
// Finder patterns, timing patterns and long runs thus collapse, which
// keeps content streams about a third smaller than one rectangle per run.
// Its buffers are reused across symbols, so a sheet of thousands of labels
// does not churn the heap.
type rectMerger struct {
	rects     []rect
	prev, cur []int32 // by run start: 1 + index in rects of the run there in the previous/current row, or 0
}

// merge returns the rectangles covering exactly the dark modules of mods.
// The result is valid until the next call.
func (m *rectMerger) merge(mods [][]bool) []rect {
	n := len(mods)
	m.rects = m.rects[:0]
	if cap(m.prev) < n {
		m.prev, m.cur = make([]int32, n), make([]int32, n)
	}
	m.prev, m.cur = m.prev[:n], m.cur[:n]
	clear(m.prev)
	for y, row := range mods {
		clear(m.cur)
		for x := 0; x < len(row); {
			if !row[x] {
				x++
				continue
			}
			start := x
			for x < len(row) && row[x] {
				x++
			}
			w := x - start
			if i := m.prev[start]; i > 0 && m.rects[i-1].w == w {
				m.rects[i-1].h++
				m.cur[start] = i
				continue
			}
			m.rects = append(m.rects, rect{x: start, y: y, w: w, h: 1})
			m.cur[start] = int32(len(m.rects))
		}
		m.prev, m.cur = m.cur, m.prev
	}
	return m.rects
}

// appendQROps appends PDF content-stream operators that fill rects as one
// path: a coordinate transform puts the symbol's top-left corner at (x, y)
// in points (PDF's y axis points up) with modules of size points, so every
// rectangle is written in whole module units. One path with one fill also
// avoids the hairline seams that some viewers' anti-aliasing draws between
// separately filled rectangles.
func appendQROps(b []byte, rects []rect, x, y, size float64) []byte {
	b = append(b, "q 0 g "...)
	b = appendNum(b, size)
	b = append(b, " 0 0 "...)
	b = appendNum(b, -size)
	b = append(b, ' ')
	b = appendNum(b, x)
	b = append(b, ' ')
	b = appendNum(b, y)
	b = append(b, " cm\n"...)
	for _, r := range rects {
		b = strconv.AppendInt(b, int64(r.x), 10)
		b = append(b, ' ')
		b = strconv.AppendInt(b, int64(r.y), 10)
		b = append(b, ' ')
		b = strconv.AppendInt(b, int64(r.w), 10)
		b = append(b, ' ')
		b = strconv.AppendInt(b, int64(r.h), 10)
		b = append(b, " re\n"...)
	}
	return append(b, "f Q\n"...)
}

// appendNum appends v with at most 4 decimals and no trailing zeros, the
// way PDF expects real numbers (no exponent). 1/10000 pt is far below any
// printer's resolution.
func appendNum(b []byte, v float64) []byte {
	v = math.Round(v*1e4) / 1e4
	if v == 0 {
		return append(b, '0') // also turns -0 into 0
	}
	b = strconv.AppendFloat(b, v, 'f', 4, 64)
	for b[len(b)-1] == '0' {
		b = b[:len(b)-1]
	}
	if b[len(b)-1] == '.' {
		b = b[:len(b)-1]
	}
	return b
}

// mmToPt converts millimetres to PDF points (1/72 inch).
func mmToPt(mm float64) float64 { return mm * 72 / 25.4 }
