package tui

// layout places the panes, top to bottom: the filter bar, the list (its
// column header, then rows), the details (a title bar, then the tree), the
// bytes (a bar of data-source tabs, then the dump) and the status line.
type layout struct {
	filterBar    rect
	listHeader   rect
	list         rect
	detailsTitle rect
	details      rect
	bytesTitle   rect
	bytes        rect
	status       rect
	body         rect // everything between the filter bar and the status line: where overlays go
}

func computeLayout(w, h int) layout {
	var l layout
	if w <= 0 || h <= 0 {
		return l
	}
	l.filterBar = rect{0, 0, w, 1}
	l.status = rect{0, h - 1, w, 1}
	l.body = rect{0, 1, w, max(h-2, 0)}
	// Rows for the three panes, after the five one-line bars.
	rows := h - 5
	if rows < 3 {
		// Too small for three panes: the list alone.
		l.listHeader = rect{0, 1, w, 1}
		l.list = rect{0, 2, w, max(h-3, 0)}
		return l
	}
	listRows := max(rows*42/100, 1)
	detailRows := max((rows-listRows)/2, 1)
	byteRows := max(rows-listRows-detailRows, 1)
	y := 1
	l.listHeader = rect{0, y, w, 1}
	y++
	l.list = rect{0, y, w, listRows}
	y += listRows
	l.detailsTitle = rect{0, y, w, 1}
	y++
	l.details = rect{0, y, w, detailRows}
	y += detailRows
	l.bytesTitle = rect{0, y, w, 1}
	y++
	l.bytes = rect{0, y, w, byteRows}
	return l
}
