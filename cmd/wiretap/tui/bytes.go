package tui

import (
	"fmt"
	"strings"

	"github.com/gdamore/tcell/v2"

	"wiretap/decode"
)

// span is a byte range in one data source of the selected packet.
type span struct{ src, start, n int }

func (s span) has(src, i int) bool { return s.n > 0 && s.src == src && i >= s.start && i < s.start+s.n }

// bytesPane is the hex dump of the selected packet, one tab per data
// source (the frame, reassembled TCP, a decoded body…), with the selected
// field's bytes lit up.
type bytesPane struct {
	a     *App
	tab   int
	top   int // first dump line shown
	field span
	found span // a search match
	tabX  []int
}

// perLine is how many bytes a dump line holds at width w: 16 when the
// whole line fits (offset, 16 hex bytes, 16 characters), else 8.
func perLine(w int) int {
	if w >= 6+16*3+2+16 {
		return 16
	}
	return 8
}

func (b *bytesPane) data() []byte {
	p := b.a.details.pkt
	if p == nil || b.tab >= len(p.Sources) {
		return nil
	}
	return p.Sources[b.tab].Data
}

// show makes the selected field's bytes the highlight, switching to its
// data source and scrolling to it.
func (b *bytesPane) show(s span, height int) {
	b.field = s
	if s.n > 0 {
		b.tab = s.src
		b.scrollToByte(s.start, height)
	}
}

func (b *bytesPane) scrollToByte(i, height int) {
	per := perLine(b.a.lay.bytes.w)
	line := i / per
	b.top = scrollTo(b.top, line, height)
}

func (b *bytesPane) lines() int {
	per := perLine(b.a.lay.bytes.w)
	return (len(b.data()) + per - 1) / per
}

func (b *bytesPane) draw(c canvas, title, body rect) {
	st := styleBar
	if b.a.focus == paneBytes {
		st = styleBarFocus
	}
	c.fill(title.x, title.y, title.w, ' ', st)
	p := b.a.details.pkt
	b.tabX = b.tabX[:0]
	x := title.x + 1
	if p == nil {
		c.text(x, title.y, title.w-1, "Packet bytes", st)
	} else {
		if b.tab >= len(p.Sources) {
			b.tab = 0
		}
		for i, src := range p.Sources {
			label := " " + src.Name + " "
			if !strings.Contains(src.Name, "bytes)") {
				label = fmt.Sprintf(" %s (%d bytes) ", src.Name, len(src.Data))
			}
			tst := st
			if i == b.tab {
				tst = st.Reverse(true)
			}
			b.tabX = append(b.tabX, x)
			x += c.text(x, title.y, title.x+title.w-x, label, tst) + 1
		}
		b.tabX = append(b.tabX, x)
	}
	data := b.data()
	per := perLine(body.w)
	total := (len(data) + per - 1) / per
	b.top = clamp(b.top, 0, max(total-body.h, 0))
	asciiX := body.x + 6 + per*3 + 2
	for row := 0; row < body.h; row++ {
		y := body.y + row
		c.fill(body.x, y, body.w, ' ', styleNormal)
		line := b.top + row
		if line >= total {
			continue
		}
		off := line * per
		c.text(body.x, y, 4, fmt.Sprintf("%04x", off), styleDim)
		for i := 0; i < per && off+i < len(data); i++ {
			bst := b.byteStyle(off + i)
			hx := body.x + 6 + i*3
			if i >= 8 {
				hx++
			}
			c.text(hx, y, 2, fmt.Sprintf("%02x", data[off+i]), bst)
			// Join the highlight over the gap between two lit bytes.
			if i+1 < per && off+i+1 < len(data) && bst != styleNormal && b.byteStyle(off+i+1) == bst {
				c.fill(hx+2, y, 1+boolInt(i == 7), ' ', bst)
			}
			c.s.SetContent(asciiX+i, y, printable(data[off+i]), nil, bst)
		}
	}
}

func (b *bytesPane) byteStyle(i int) tcell.Style {
	switch {
	case b.found.has(b.tab, i):
		return styleFound
	case b.field.has(b.tab, i):
		return styleField
	}
	return styleNormal
}

func boolInt(v bool) int {
	if v {
		return 1
	}
	return 0
}

// byteAt maps a click in the dump to a byte offset, or -1.
func (b *bytesPane) byteAt(x, y int) int {
	body := b.a.lay.bytes
	per := perLine(body.w)
	line := b.top + y - body.y
	col := -1
	hexX := x - body.x - 6
	switch asciiX := body.x + 6 + per*3 + 2; {
	case x >= asciiX && x < asciiX+per:
		col = x - asciiX
	case hexX >= 0 && hexX < per*3+1:
		if hexX >= 8*3+1 {
			hexX--
		}
		col = hexX / 3
	}
	off := line*per + col
	if col < 0 || col >= per || off >= len(b.data()) {
		return -1
	}
	return off
}

// fieldAt is the innermost field covering byte off of the current tab,
// for a click in the dump (Wireshark selects it in the tree).
func (b *bytesPane) fieldAt(off int) *decode.Field {
	p := b.a.details.pkt
	if p == nil {
		return nil
	}
	var best *decode.Field
	for _, top := range p.Tree {
		top.Walk(func(f *decode.Field) bool {
			if !f.Hidden && f.Source == b.tab && f.Len > 0 && off >= f.Start && off < f.Start+f.Len &&
				(best == nil || f.Len <= best.Len) {
				best = f
			}
			return true
		})
	}
	return best
}
