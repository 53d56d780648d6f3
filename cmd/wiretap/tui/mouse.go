package tui

import (
	"github.com/gdamore/tcell/v2"
)

// handleMouse routes a click or a wheel turn to what is under it. A click
// is acted on when the button goes down (tcell reports the state, so a
// drag repeats it: ignored).
func (a *App) handleMouse(ev *tcell.EventMouse) {
	x, y := ev.Position()
	btn := ev.Buttons()
	pressed := btn&tcell.Button1 != 0 && a.lastButtons&tcell.Button1 == 0
	a.lastButtons = btn
	wheel := 0
	switch {
	case btn&tcell.WheelUp != 0:
		wheel = -3
	case btn&tcell.WheelDown != 0:
		wheel = 3
	}
	if !pressed && wheel == 0 {
		return
	}
	l := a.lay
	if ov := a.topOverlay(); ov != nil {
		if l.body.contains(x, y) {
			ov.mouse(a, ev, l.body)
		}
		return
	}
	switch {
	case l.filterBar.contains(x, y):
		if pressed && !a.filter.editing {
			a.filter.open()
		}
	case l.listHeader.contains(x, y):
		if col := a.list.columnAt(x); pressed && col >= 0 {
			a.list.sortBy(col, col == a.list.sortCol && !a.list.sortDesc)
		}
	case l.list.contains(x, y):
		a.focus = paneList
		if wheel != 0 {
			a.list.top = clamp(a.list.top+wheel, 0, max(a.list.length()-l.list.h, 0))
			a.list.moveTo(clamp(a.list.sel+wheel, a.list.top, a.list.top+l.list.h-1))
			return
		}
		a.list.moveTo(a.list.top + y - l.list.y)
	case l.details.contains(x, y):
		a.focus = paneDetails
		d := a.details
		if wheel != 0 {
			d.selectLine(d.sel + wheel)
			return
		}
		i := d.top + y - l.details.y
		if i >= len(d.lines) {
			return
		}
		markerX := l.details.x + d.lines[i].depth*2
		d.selectLine(i)
		if x >= markerX && x < markerX+2 {
			d.toggle(i)
			d.selectLine(d.sel)
		}
	case l.bytesTitle.contains(x, y):
		a.focus = paneBytes
		for i := 0; i+1 < len(a.bytes.tabX); i++ {
			if x >= a.bytes.tabX[i] && x < a.bytes.tabX[i+1] {
				a.bytes.tab, a.bytes.top = i, 0
			}
		}
	case l.bytes.contains(x, y):
		a.focus = paneBytes
		if wheel != 0 {
			a.bytes.top += wheel
			return
		}
		if off := a.bytes.byteAt(x, y); off >= 0 {
			if f := a.bytes.fieldAt(off); f != nil {
				tab := a.bytes.tab
				a.details.revealKey(a.details.keyOf(f))
				a.bytes.tab = tab
			}
		}
	}
}
