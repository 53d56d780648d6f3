package tui

import (
	"fmt"
	"strconv"
	"time"

	"github.com/gdamore/tcell/v2"

	"wiretap/cmd/wiretap/tui/packets"
)

// column is a packet-list column.
type column int

const (
	colNo column = iota
	colTime
	colSource
	colDestination
	colProtocol
	colLength
	colInfo
	numColumns
)

var columnNames = [numColumns]string{"No.", "Time", "Source", "Destination", "Protocol", "Length", "Info"}

// listPane is the packet list: a virtual table over the view, rows made
// (and cached by the Store) only when on screen.
type listPane struct {
	a        *App
	view     view
	sel, top int
	selected int  // packet number of the selected row (0: none)
	tail     bool // live: keep the newest packet selected until the user moves
	sortCol  column
	sortDesc bool
	sortJob  *job
	colX     [numColumns + 1]int // where each column starts, as last drawn
}

func newListPane(a *App) *listPane {
	return &listPane{a: a, tail: a.store.Progress().Live != nil}
}

// total is how many packets the Store holds now.
func (l *listPane) total() int { return l.a.store.Len() }

func (l *listPane) length() int { return l.view.length(l.total()) }

// moveTo selects row i (clamped) and shows its packet in the other panes.
func (l *listPane) moveTo(i int) {
	n := l.length()
	if n == 0 {
		l.sel, l.top = 0, 0
		l.selectPacket(0)
		return
	}
	l.sel = clamp(i, 0, n-1)
	if l.a.store.Progress().Live != nil {
		l.tail = l.sel == n-1
	}
	l.selectPacket(l.view.at(l.sel, l.total()))
}

func (l *listPane) selectPacket(n int) {
	if n == l.selected {
		return
	}
	l.selected = n
	l.a.packetSelected(n)
}

// sync keeps the selection valid as the view changes under it: new packets,
// a filter's matches arriving, a sort.
func (l *listPane) sync(height int) {
	n := l.length()
	switch {
	case n == 0:
		l.sel, l.top = 0, 0
		if l.selected != 0 {
			l.selectPacket(0)
		}
		return
	case l.tail && !l.a.paused:
		l.sel = n - 1
	case l.selected == 0:
		l.sel = 0
	default:
		if i := l.view.indexOf(l.selected, l.total()); i >= 0 {
			l.sel = i
		} else {
			l.sel = clamp(l.sel, 0, n-1)
		}
	}
	l.top = clamp(scrollTo(l.top, l.sel, height), 0, max(n-height, 0))
	l.selectPacket(l.view.at(l.sel, l.total()))
}

// setView replaces what is listed, keeping the selected packet when it
// is still there.
func (l *listPane) setView(v view) {
	l.view = v
	if i := l.view.indexOf(l.selected, l.total()); i >= 0 {
		l.sel = i
	}
}

func (l *listPane) draw(c canvas, header, body rect) {
	l.sync(body.h)
	total := l.total()
	n := l.length()
	rows := make([]packets.Row, 0, body.h)
	var errs []error
	for i := l.top; i < n && i < l.top+body.h; i++ {
		r, err := l.a.store.Row(l.view.at(i, total))
		if err != nil {
			r.Number, r.Info = l.view.at(i, total), "[cannot read this packet]"
			errs = append(errs, err)
		}
		rows = append(rows, r)
	}
	if len(errs) > 0 && l.a.msg == "" {
		l.a.setMessage(errs[0].Error(), true)
	}
	widths := l.widths(rows, body.w)
	// Header, with the sort column marked.
	x := 1
	c.fill(0, header.y, header.w, ' ', styleHeader)
	for col := column(0); col < numColumns; col++ {
		name := columnNames[col]
		if col == l.sortCol && (col != colNo || l.sortDesc) {
			if l.sortDesc {
				name += "▼"
			} else {
				name += "▲"
			}
		}
		l.colX[col] = x
		c.text(x, header.y, widths[col], name, styleHeader)
		x += widths[col] + 1
	}
	l.colX[numColumns] = x
	for i, r := range rows {
		y := body.y + i
		st := rowStyle(r)
		if l.top+i == l.sel {
			st = st.Reverse(true)
			if l.a.focus != paneList {
				st = st.Reverse(false).Underline(true).Bold(true)
			}
		}
		c.fill(0, y, body.w, ' ', st)
		if r.Secret {
			c.text(0, y, 1, "●", styleMark.Background(bgOf(st)))
		}
		x := 1
		for col := column(0); col < numColumns; col++ {
			text := cellText(r, col)
			if col == colNo || col == colLength || col == colTime {
				text = padLeft(text, widths[col])
			}
			c.text(x, y, widths[col], fit(text, widths[col]), st)
			x += widths[col] + 1
		}
	}
	c.clear(rect{0, body.y + len(rows), body.w, body.h - len(rows)}, styleNormal)
	if n == 0 {
		msg := "no packets yet"
		if p := l.a.store.Progress(); p.Indexed && p.Err == nil {
			msg = "this capture holds no packets"
		}
		if l.view.filtered != nil {
			if _, done := l.view.filtered.snapshot(); done {
				msg = "no packet matches the display filter"
			} else {
				msg = "filtering…"
			}
		}
		c.text(2, body.y, body.w-2, msg, styleDim)
	}
}

func bgOf(st tcell.Style) tcell.Color {
	_, bg, _ := st.Decompose()
	return bg
}

// widths sizes the columns to what is on screen; Info takes the rest.
func (l *listPane) widths(rows []packets.Row, w int) [numColumns]int {
	var ws [numColumns]int
	for col := range ws {
		ws[col] = len([]rune(columnNames[col])) + 1
	}
	ws[colSource], ws[colDestination], ws[colProtocol] = 9, 11, 8
	for _, r := range rows {
		for _, col := range []column{colNo, colTime, colSource, colDestination, colProtocol, colLength} {
			ws[col] = max(ws[col], len([]rune(cellText(r, col))))
		}
	}
	ws[colSource] = min(ws[colSource], 39)
	ws[colDestination] = min(ws[colDestination], 39)
	ws[colProtocol] = min(ws[colProtocol], 16)
	used := 1
	for col := column(0); col < colInfo; col++ {
		used += ws[col] + 1
	}
	// Narrow terminals: give Info at least 20 cells by shrinking the
	// address columns.
	for used+20 > w && (ws[colSource] > 9 || ws[colDestination] > 9) {
		if ws[colSource] > 9 {
			ws[colSource]--
			used--
		}
		if ws[colDestination] > 9 {
			ws[colDestination]--
			used--
		}
	}
	ws[colInfo] = max(w-used, 4)
	return ws
}

func cellText(r packets.Row, col column) string {
	switch col {
	case colNo:
		return strconv.Itoa(r.Number)
	case colTime:
		return formatTime(r.Time)
	case colSource:
		return r.Src
	case colDestination:
		return r.Dst
	case colProtocol:
		return r.Protocol
	case colLength:
		return strconv.Itoa(r.Length)
	case colInfo:
		return r.Info
	}
	return ""
}

// formatTime is Wireshark's default time column: seconds since the first
// packet, to the microsecond.
func formatTime(d time.Duration) string {
	return fmt.Sprintf("%.6f", d.Seconds())
}

// columnAt is the column under x in the header, or -1.
func (l *listPane) columnAt(x int) column {
	for col := column(0); col < numColumns; col++ {
		if x >= l.colX[col] && x < l.colX[col+1] {
			return col
		}
	}
	return -1
}

func (l *listPane) pageSize() int { return max(l.a.lay.list.h-1, 1) }
