package printable

import "strings"

// Glyph widths of the standard Helvetica and Helvetica-Bold for printable
// ASCII (space to tilde), in 1/1000 em, from Adobe's Core 14 AFM files
// with WinAnsiEncoding (so ' is quotesingle and ` is grave). The stamp
// sheet uses them to centre label text and to keep it inside its label;
// the fonts themselves are built into every PDF reader and not embedded.
var (
	helvetica = [95]uint16{
		278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278,
		556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556,
		1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778,
		667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556,
		333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556,
		556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584,
	}
	helveticaBold = [95]uint16{
		278, 333, 474, 556, 556, 889, 722, 238, 333, 333, 389, 584, 278, 333, 278, 278,
		556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 333, 333, 584, 584, 584, 611,
		975, 722, 722, 722, 722, 667, 611, 778, 722, 278, 556, 722, 611, 833, 722, 778,
		667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 333, 278, 333, 584, 556,
		333, 556, 611, 556, 611, 556, 333, 611, 611, 278, 278, 556, 278, 889, 611, 611,
		611, 611, 389, 556, 333, 611, 556, 778, 556, 556, 500, 389, 280, 389, 584,
	}
)

// textWidth is the width in points of s (printable ASCII) set in
// Helvetica (or Helvetica-Bold) at size points.
func textWidth(s string, bold bool, size float64) float64 {
	widths := &helvetica
	if bold {
		widths = &helveticaBold
	}
	var em int
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c > 0x7E {
			continue // never reached: callers pass printable ASCII
		}
		em += int(widths[c-0x20])
	}
	return float64(em) * size / 1000
}

// fitText returns s, shortened with "..." if needed, so that it is at most
// maxW points wide in Helvetica at size points.
func fitText(s string, bold bool, size, maxW float64) string {
	if textWidth(s, bold, size) <= maxW {
		return s
	}
	for n := len(s) - 1; n > 0; n-- {
		t := strings.TrimRight(s[:n], " ") + "..."
		if textWidth(t, bold, size) <= maxW {
			return t
		}
	}
	return ""
}
