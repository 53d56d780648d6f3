package tui

import (
	"fmt"

	"github.com/gdamore/tcell/v2"

	"wiretap/decode"
)

// detailsPane is the dissection tree of the selected packet. Which
// subtrees are open is remembered by field path across packets, as
// Wireshark does, so stepping through packets keeps HTTP open.
type detailsPane struct {
	a        *App
	pkt      *decode.Packet
	final    bool
	lines    []treeLine
	expanded map[string]bool
	sel, top int
	selKey   string // path of the selected line, kept across packets
}

// treeLine is one visible line of the tree.
type treeLine struct {
	f      *decode.Field
	depth  int
	key    string // path from the root: names (labels for text-only nodes)
	kids   bool
	parent int // line index of the parent, -1 at the top
}

// keySep joins the parts of a line's path (labels may hold "/").
const keySep = "\x1f"

func nodeKey(f *decode.Field) string {
	if f.Name != "" {
		return f.Name
	}
	return f.Label
}

// setPacket shows p (nil: nothing selected).
func (d *detailsPane) setPacket(p *decode.Packet, final bool) {
	d.pkt, d.final = p, final
	d.rebuild()
	d.sel = 0
	for i, ln := range d.lines {
		if ln.key == d.selKey {
			d.sel = i
			break
		}
	}
	d.selectLine(d.sel)
}

// rebuild flattens the tree into the visible lines.
func (d *detailsPane) rebuild() {
	d.lines = d.lines[:0]
	if d.pkt == nil {
		return
	}
	var walk func(fs []*decode.Field, depth int, prefix string, parent int)
	walk = func(fs []*decode.Field, depth int, prefix string, parent int) {
		for _, f := range fs {
			if f.Hidden {
				continue
			}
			key := prefix + keySep + nodeKey(f)
			kids := hasVisibleChildren(f)
			d.lines = append(d.lines, treeLine{f: f, depth: depth, key: key, kids: kids, parent: parent})
			if kids && d.expanded[key] {
				walk(f.Children, depth+1, key, len(d.lines)-1)
			}
		}
	}
	walk(d.pkt.Tree, 0, "", -1)
}

func hasVisibleChildren(f *decode.Field) bool {
	for _, c := range f.Children {
		if !c.Hidden {
			return true
		}
	}
	return false
}

// selected is the selected field, or nil.
func (d *detailsPane) selected() *decode.Field {
	if d.sel < 0 || d.sel >= len(d.lines) {
		return nil
	}
	return d.lines[d.sel].f
}

// selectLine selects line i and lights up its bytes.
func (d *detailsPane) selectLine(i int) {
	if len(d.lines) == 0 {
		d.sel = 0
		d.a.fieldSelected(nil)
		return
	}
	d.sel = clamp(i, 0, len(d.lines)-1)
	d.selKey = d.lines[d.sel].key
	d.a.fieldSelected(d.lines[d.sel].f)
}

// toggle opens or closes line i.
func (d *detailsPane) toggle(i int) {
	if i < 0 || i >= len(d.lines) || !d.lines[i].kids {
		return
	}
	d.setOpen(i, !d.expanded[d.lines[i].key])
}

func (d *detailsPane) setOpen(i int, open bool) {
	key := d.lines[i].key
	d.expanded[key] = open
	d.rebuild()
	for j, ln := range d.lines {
		if ln.key == key {
			d.sel = j
		}
	}
}

// expandAll opens (or closes) every subtree of the packet.
func (d *detailsPane) expandAll(open bool) {
	if d.pkt == nil {
		return
	}
	var walk func(fs []*decode.Field, prefix string)
	walk = func(fs []*decode.Field, prefix string) {
		for _, f := range fs {
			key := prefix + keySep + nodeKey(f)
			if hasVisibleChildren(f) {
				if open {
					d.expanded[key] = true
				} else {
					delete(d.expanded, key)
				}
				walk(f.Children, key)
			}
		}
	}
	walk(d.pkt.Tree, "")
	d.rebuild()
	d.selectByKey(d.selKey)
}

// selectByKey selects the line with this path, or its nearest shown
// ancestor.
func (d *detailsPane) selectByKey(key string) {
	best := 0
	for i, ln := range d.lines {
		if ln.key == key {
			d.selectLine(i)
			return
		}
		if len(ln.key) < len(key) && key[:len(ln.key)] == ln.key {
			best = i
		}
	}
	d.selectLine(best)
}

// left collapses the selected subtree, or goes to the parent.
func (d *detailsPane) left() {
	if len(d.lines) == 0 {
		return
	}
	ln := d.lines[d.sel]
	if ln.kids && d.expanded[ln.key] {
		d.setOpen(d.sel, false)
		d.selectLine(d.sel)
		return
	}
	if ln.parent >= 0 {
		d.selectLine(ln.parent)
	}
}

// right expands the selected subtree, or goes to its first child.
func (d *detailsPane) right() {
	if len(d.lines) == 0 {
		return
	}
	ln := d.lines[d.sel]
	if !ln.kids {
		return
	}
	if !d.expanded[ln.key] {
		d.setOpen(d.sel, true)
		d.selectLine(d.sel)
		return
	}
	d.selectLine(d.sel + 1)
}

// keyOf is the path key of field target in the packet's tree ("" if absent).
func (d *detailsPane) keyOf(target *decode.Field) string {
	if d.pkt == nil {
		return ""
	}
	found := ""
	var find func(fs []*decode.Field, prefix string) bool
	find = func(fs []*decode.Field, prefix string) bool {
		for _, f := range fs {
			key := prefix + keySep + nodeKey(f)
			if f == target {
				found = key
				return true
			}
			if find(f.Children, key) {
				return true
			}
		}
		return false
	}
	find(d.pkt.Tree, "")
	return found
}

// revealKey opens the ancestors of the line with this path and selects it
// (a search match, a click in the bytes).
func (d *detailsPane) revealKey(key string) {
	if key == "" {
		return
	}
	for i := 1; i < len(key); i++ {
		if key[i:i+1] == keySep {
			d.expanded[key[:i]] = true
		}
	}
	d.rebuild()
	d.selectByKey(key)
}

func (d *detailsPane) draw(c canvas, title, body rect) {
	st := styleBar
	if d.a.focus == paneDetails {
		st = styleBarFocus
	}
	label := " Packet details"
	if d.pkt != nil {
		label = fmt.Sprintf(" Packet %d", d.pkt.Number)
		if !d.final {
			label += " (provisional: the fast pass has not reached it yet)"
		}
	}
	c.line(title.x, title.y, title.w, label, st)
	d.top = clamp(scrollTo(d.top, d.sel, body.h), 0, max(len(d.lines)-body.h, 0))
	for row := 0; row < body.h; row++ {
		y := body.y + row
		i := d.top + row
		if i >= len(d.lines) {
			c.fill(body.x, y, body.w, ' ', styleNormal)
			continue
		}
		ln := d.lines[i]
		lst := styleNormal
		if ln.f.Name == "secret" || ln.f.Name == "secret.found" {
			lst = styleMark
		}
		if ln.f.Name == "_ws.malformed" || ln.f.Name == "_ws.expert" {
			lst = lst.Foreground(tcell.ColorRed)
		}
		if i == d.sel {
			if d.a.focus == paneDetails {
				lst = lst.Reverse(true)
			} else {
				lst = lst.Underline(true).Bold(true)
			}
		}
		marker := "  "
		if ln.kids {
			marker = "▶ "
			if d.expanded[ln.key] {
				marker = "▼ "
			}
		}
		indent := ln.depth * 2
		c.fill(body.x, y, body.w, ' ', styleNormal)
		c.text(body.x+indent, y, body.w-indent, marker, styleNormal)
		c.text(body.x+indent+2, y, body.w-indent-2, fit(ln.f.Label, body.w-indent-2), lst)
	}
	if d.pkt == nil && body.h > 0 {
		c.text(body.x+2, body.y, body.w-2, "select a packet", styleDim)
	}
}

// describeField is the status line's text for a field: its filter name and
// value, and the bytes it covers.
func describeField(p *decode.Packet, f *decode.Field) string {
	if f == nil {
		return ""
	}
	text := f.Label
	if f.Name != "" {
		v := f.Text()
		if f.Kind == decode.KindNone || f.Kind == decode.KindProtocol {
			text = f.Name
		} else {
			text = f.Name + ": " + v
		}
	}
	if f.Len > 0 {
		src := ""
		if p != nil && f.Source > 0 && f.Source < len(p.Sources) {
			src = " of " + p.Sources[f.Source].Name
		}
		unit := "bytes"
		if f.Len == 1 {
			unit = "byte"
		}
		text += fmt.Sprintf(" · %d %s at %d%s", f.Len, unit, f.Start, src)
	}
	return text
}
