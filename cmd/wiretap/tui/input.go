package tui

import (
	"unicode"

	"github.com/gdamore/tcell/v2"
)

// lineEdit is a one-line text editor: the filter bar, the search bar and
// prompts use it.
type lineEdit struct {
	text []rune
	pos  int
}

func (e *lineEdit) set(s string) {
	e.text = []rune(s)
	e.pos = len(e.text)
}

func (e *lineEdit) String() string { return string(e.text) }

// editKeys documents what key handles: the help lists it for every bar.
var editKeys = []binding{
	{keys: []string{"Left", "Right"}, help: "move the cursor"},
	{keys: []string{"Home", "Ctrl-A", "End", "Ctrl-E"}, help: "start / end of the line"},
	{keys: []string{"Backspace", "Delete"}, help: "delete before / under the cursor"},
	{keys: []string{"Ctrl-U", "Ctrl-W"}, help: "delete the line / the word before the cursor"},
}

// key applies an editing key; false if it is not one.
func (e *lineEdit) key(ev *tcell.EventKey) bool {
	switch ev.Key() {
	case tcell.KeyRune:
		r := ev.Rune()
		e.text = append(e.text[:e.pos], append([]rune{r}, e.text[e.pos:]...)...)
		e.pos++
	case tcell.KeyLeft:
		e.pos = max(e.pos-1, 0)
	case tcell.KeyRight:
		e.pos = min(e.pos+1, len(e.text))
	case tcell.KeyHome, tcell.KeyCtrlA:
		e.pos = 0
	case tcell.KeyEnd, tcell.KeyCtrlE:
		e.pos = len(e.text)
	case tcell.KeyBackspace, tcell.KeyBackspace2:
		if e.pos > 0 {
			e.text = append(e.text[:e.pos-1], e.text[e.pos:]...)
			e.pos--
		}
	case tcell.KeyDelete:
		if e.pos < len(e.text) {
			e.text = append(e.text[:e.pos], e.text[e.pos+1:]...)
		}
	case tcell.KeyCtrlU:
		e.text, e.pos = e.text[:0], 0
	case tcell.KeyCtrlW:
		i := e.pos
		for i > 0 && unicode.IsSpace(e.text[i-1]) {
			i--
		}
		for i > 0 && !unicode.IsSpace(e.text[i-1]) {
			i--
		}
		e.text = append(e.text[:i], e.text[e.pos:]...)
		e.pos = i
	default:
		return false
	}
	return true
}

// draw shows the text in w cells from x, scrolled so the cursor is
// visible, and places the terminal cursor when focused.
func (e *lineEdit) draw(c canvas, x, y, w int, st tcell.Style, focused bool) {
	start := 0
	if e.pos >= w {
		start = e.pos - w + 1
	}
	c.fill(x, y, w, ' ', st)
	c.text(x, y, w, string(e.text[start:]), st)
	if focused {
		c.s.ShowCursor(x+e.pos-start, y)
	}
}
