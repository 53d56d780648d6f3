package tui

import (
	"fmt"
	"strings"
	"time"

	"github.com/gdamore/tcell/v2"
)

// confirmQuit asks before a live capture that exists only in the spool
// file is thrown away, or whose -w file could not be written (writeErr):
// quitting would leave it cut short without a word.
type confirmQuit struct {
	n        int
	writeErr error
}

var confirmKeys = keymap{title: "Quitting an unsaved live capture", binds: []binding{
	{keys: []string{"y"}, help: "quit without saving"},
	{keys: []string{"s", "w"}, help: "save the capture to a file, then quit"},
	{keys: []string{"n", "Esc"}, help: "stay"},
}}

func newConfirmQuit(a *App) *confirmQuit { return &confirmQuit{n: a.store.Len()} }

// writeFailed is what Quit asks when the live capture's -w file (or its
// spool) failed to be written; nil when nothing did.
func writeFailed(a *App) *confirmQuit {
	if lv := a.store.Progress().Live; lv != nil && lv.WriteErr != nil {
		return &confirmQuit{n: a.store.Len(), writeErr: lv.WriteErr}
	}
	return nil
}

func (q *confirmQuit) keys() keymap { return confirmKeys }

func (q *confirmQuit) key(a *App, ev *tcell.EventKey) bool {
	switch keyName(ev) {
	case "y", "Y":
		a.quit = true
	case "s", "w":
		a.popOverlay()
		a.prompt = &promptBar{a: a, label: "Save as: ", onEnter: func(path string) {
			if err := a.store.SaveAs(path); err != nil {
				a.setMessage(err.Error(), true)
				return
			}
			a.quit = true
		}}
		a.prompt.edit.set(time.Now().Format("wiretap-20060102-150405.pcapng"))
	case "n", "N", "Esc", "q":
		a.popOverlay()
	}
	return true
}

func (q *confirmQuit) mouse(*App, *tcell.EventMouse, rect) {}

func (q *confirmQuit) draw(a *App, c canvas, r rect) {
	c.clear(r, styleNormal)
	lines := []string{
		fmt.Sprintf("The live capture (%s) is not saved: quitting deletes it.", plural(q.n, "packet")),
		"",
		"  y   quit without saving",
		"  s   save it to a file, then quit",
		"  n   stay",
	}
	if q.writeErr != nil {
		lines = []string{
			strings.TrimPrefix(q.writeErr.Error(), "capture: ") + "; quit anyway?",
			"",
			"  y   quit anyway",
			"  s   save the whole capture to another file, then quit",
			"  n   stay",
		}
	}
	y := r.y + r.h/3
	for i, l := range lines {
		st := styleNormal
		if i == 0 {
			st = styleNormal.Bold(true)
		}
		c.text(r.x+4, y+i, r.w-4, l, st)
	}
}

// promptBar asks for one line of text in the status line.
type promptBar struct {
	a       *App
	label   string
	edit    lineEdit
	onEnter func(text string)
}

func (p *promptBar) key(ev *tcell.EventKey) {
	switch keyName(ev) {
	case "Enter":
		p.a.prompt = nil
		p.onEnter(p.edit.String())
	case "Esc":
		p.a.prompt = nil
	default:
		p.edit.key(ev)
	}
}

func (p *promptBar) draw(c canvas, r rect) {
	n := c.text(r.x, r.y, r.w, p.label, styleHeader)
	p.edit.draw(c, r.x+n, r.y, r.w-n, styleNormal.Reverse(true), true)
}
