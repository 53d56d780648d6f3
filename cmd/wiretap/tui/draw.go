package tui

import (
	"github.com/gdamore/tcell/v2"
)

// rect is a screen area.
type rect struct{ x, y, w, h int }

func (r rect) contains(x, y int) bool {
	return x >= r.x && x < r.x+r.w && y >= r.y && y < r.y+r.h
}

// canvas draws into a tcell.Screen, clipped to the screen. Every rune is
// taken as one cell wide: packet data is shown as ASCII (other bytes as
// dots) and labels are the dissector's, which are ASCII but for arrows.
type canvas struct{ s tcell.Screen }

// text draws s at (x, y), at most w cells, and returns the cells used.
func (c canvas) text(x, y, w int, s string, st tcell.Style) int {
	n := 0
	for _, r := range s {
		if n >= w {
			break
		}
		if r < 0x20 || r == 0x7f {
			r = '.'
		}
		c.s.SetContent(x+n, y, r, nil, st)
		n++
	}
	return n
}

// fill paints w cells from (x, y) with r.
func (c canvas) fill(x, y, w int, r rune, st tcell.Style) {
	for i := 0; i < w; i++ {
		c.s.SetContent(x+i, y, r, nil, st)
	}
}

// line draws s padded with spaces to exactly w cells.
func (c canvas) line(x, y, w int, s string, st tcell.Style) {
	n := c.text(x, y, w, s, st)
	c.fill(x+n, y, w-n, ' ', st)
}

// clear blanks an area.
func (c canvas) clear(r rect, st tcell.Style) {
	for y := r.y; y < r.y+r.h; y++ {
		c.fill(r.x, y, r.w, ' ', st)
	}
}

// fit cuts s to w cells, ending with "…" when cut.
func fit(s string, w int) string {
	if w <= 0 {
		return ""
	}
	rs := []rune(s)
	if len(rs) <= w {
		return s
	}
	if w == 1 {
		return "…"
	}
	return string(rs[:w-1]) + "…"
}

// pad cuts or pads s to exactly w cells.
func pad(s string, w int) string {
	s = fit(s, w)
	n := len([]rune(s))
	for ; n < w; n++ {
		s += " "
	}
	return s
}

// padLeft right-aligns s in w cells.
func padLeft(s string, w int) string {
	s = fit(s, w)
	n := len([]rune(s))
	for ; n < w; n++ {
		s = " " + s
	}
	return s
}

// printable renders a byte as the ASCII column of a hex dump does.
func printable(b byte) rune {
	if b >= 0x20 && b < 0x7f {
		return rune(b)
	}
	return '.'
}

// clamp keeps v within [lo, hi] (hi wins when hi < lo).
func clamp(v, lo, hi int) int {
	if v > hi {
		v = hi
	}
	if v < lo {
		v = lo
	}
	return v
}

// scrollTo returns the first visible line so that line sel is visible in a
// window of h lines starting at top.
func scrollTo(top, sel, h int) int {
	if h <= 0 {
		return sel
	}
	if sel < top {
		return sel
	}
	if sel >= top+h {
		return sel - h + 1
	}
	return top
}
