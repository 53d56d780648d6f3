package tui

import (
	"github.com/gdamore/tcell/v2"
)

// overlay is a full-body view over the three panes: follow stream,
// conversations, protocol hierarchy, compare, help, a question. Esc and q
// close the top one.
type overlay interface {
	draw(a *App, c canvas, r rect)
	// key handles a key; false lets the App close the overlay on Esc/q.
	key(a *App, ev *tcell.EventKey) bool
	mouse(a *App, ev *tcell.EventMouse, r rect)
	keys() keymap
}

func (a *App) pushOverlay(o overlay) { a.overlays = append(a.overlays, o) }

func (a *App) popOverlay() {
	if n := len(a.overlays); n > 0 {
		if c, ok := a.overlays[n-1].(interface{ close(*App) }); ok {
			c.close(a)
		}
		a.overlays = a.overlays[:n-1]
	}
}

func (a *App) topOverlay() overlay {
	if n := len(a.overlays); n > 0 {
		return a.overlays[n-1]
	}
	return nil
}

// seg is a run of text in one style.
type seg struct {
	text string
	st   tcell.Style
}

// styledLine is one line of a textList, with a reference the list's
// Enter action gets (a frame number, a stream index).
type styledLine struct {
	segs []seg
	ref  int
}

func plainLine(text string, st tcell.Style) styledLine {
	return styledLine{segs: []seg{{text, st}}}
}

// textList is a scrollable list of styled lines with a title bar and a
// footer: the base of the follow, table and help overlays.
type textList struct {
	title    string
	footer   string
	lines    []styledLine
	sel, top int
	left     int  // columns scrolled off to the left (wide tables)
	cursor   bool // lines are selectable (a cursor line is shown)
	height   int  // body height, as last drawn
	onEnter  func(a *App, ln styledLine)
	extra    *keymap
	// pending, while not empty, is shown instead of the lines (work in
	// progress, or why there is nothing to show).
	pending string
}

var textListKeys = keymap{title: "Lists (follow, conversations, hierarchy, help)", binds: []binding{
	{keys: []string{"Up", "k", "Down", "j"}, help: "move / scroll"},
	{keys: []string{"PgUp", "PgDn", "Ctrl-B", "Ctrl-D"}, help: "page up / down"},
	{keys: []string{"Home", "g", "End", "G"}, help: "top / bottom"},
	{keys: []string{"Left", "h", "Right", "l"}, help: "scroll sideways (wide tables)"},
	{keys: []string{"Esc", "q"}, help: "close"},
}}

func (t *textList) move(d int) {
	if t.cursor {
		t.sel = clamp(t.sel+d, 0, len(t.lines)-1)
		return
	}
	t.top = clamp(t.top+d, 0, max(len(t.lines)-t.height, 0))
}

func (t *textList) key(a *App, ev *tcell.EventKey) bool {
	page := max(t.height-1, 1)
	switch keyName(ev) {
	case "Up", "k":
		t.move(-1)
	case "Down", "j":
		t.move(1)
	case "PgUp", "Ctrl-B":
		t.move(-page)
	case "PgDn", "Ctrl-D":
		t.move(page)
	case "Home", "g":
		t.sel, t.top = 0, 0
	case "End", "G":
		t.move(len(t.lines))
	case "Left", "h":
		t.left = max(t.left-8, 0)
	case "Right", "l":
		t.left += 8
	case "Enter":
		if t.onEnter != nil && t.sel < len(t.lines) && t.pending == "" {
			t.onEnter(a, t.lines[t.sel])
		}
	default:
		if t.extra != nil {
			if b := t.extra.lookup(keyName(ev)); b != nil && b.run != nil {
				b.run(a)
				return true
			}
		}
		return false
	}
	return true
}

func (t *textList) mouse(a *App, ev *tcell.EventMouse, r rect) {
	_, y := ev.Position()
	switch {
	case ev.Buttons()&tcell.WheelUp != 0:
		t.move(-3)
	case ev.Buttons()&tcell.WheelDown != 0:
		t.move(3)
	case ev.Buttons()&tcell.Button1 != 0 && t.cursor:
		if i := t.top + y - (r.y + 1); y > r.y && i < len(t.lines) {
			t.sel = i
		}
	}
}

func (t *textList) draw(a *App, c canvas, r rect) {
	if r.h < 2 {
		return
	}
	c.line(r.x, r.y, r.w, " "+t.title, styleBarFocus)
	body := rect{r.x, r.y + 1, r.w, r.h - 1}
	if t.footer != "" && body.h > 2 {
		body.h--
		c.line(r.x, r.y+r.h-1, r.w, " "+t.footer, styleBar)
	}
	t.height = body.h
	c.clear(body, styleNormal)
	if t.pending != "" {
		c.text(body.x+2, body.y, body.w-2, t.pending, styleDim)
		return
	}
	if t.cursor {
		t.sel = clamp(t.sel, 0, len(t.lines)-1)
		t.top = scrollTo(t.top, t.sel, body.h)
	}
	t.top = clamp(t.top, 0, max(len(t.lines)-body.h, 0))
	widest := 0
	for _, ln := range t.lines {
		n := 0
		for _, s := range ln.segs {
			n += len([]rune(s.text))
		}
		widest = max(widest, n)
	}
	t.left = clamp(t.left, 0, max(widest-body.w, 0))
	for row := 0; row < body.h && t.top+row < len(t.lines); row++ {
		i := t.top + row
		x := body.x
		skip := t.left
		for _, s := range t.lines[i].segs {
			st := s.st
			if t.cursor && i == t.sel {
				st = st.Reverse(true)
			}
			text := []rune(s.text)
			cut := min(skip, len(text))
			skip -= cut
			x += c.text(x, body.y+row, body.x+body.w-x, string(text[cut:]), st)
		}
		if t.cursor && i == t.sel && x < body.x+body.w {
			c.fill(x, body.y+row, body.x+body.w-x, ' ', styleNormal.Reverse(true))
		}
	}
}

func (t *textList) keys() keymap {
	if t.extra != nil {
		return *t.extra
	}
	return keymap{}
}
