package tui

import (
	"strings"

	"github.com/gdamore/tcell/v2"
)

// binding is one key (or several synonyms) and what it does. Every key the
// viewer handles is in a keymap, and the help screen is made from the
// keymaps, so it lists every key.
type binding struct {
	keys []string
	help string
	run  func(a *App)
}

// keymap is the bindings of one context (a pane, an overlay, a bar).
type keymap struct {
	title string
	binds []binding
}

func (m *keymap) lookup(name string) *binding {
	for i := range m.binds {
		for _, k := range m.binds[i].keys {
			if k == name {
				return &m.binds[i]
			}
		}
	}
	return nil
}

// keyName names a key as the keymaps do: the character for a printable
// key ("q", "?", "G"), tcell's name otherwise ("Up", "PgDn", "Ctrl-F").
func keyName(ev *tcell.EventKey) string {
	if ev.Key() == tcell.KeyRune {
		return string(ev.Rune())
	}
	if ev.Key() == tcell.KeyBackspace2 {
		return "Backspace"
	}
	if name, ok := tcell.KeyNames[ev.Key()]; ok {
		return name
	}
	return ""
}

// The keymaps are filled in init: their functions refer back to them
// (the help screen lists them), which a variable's initializer may not.
var globalKeys, listKeys, detailsKeys, bytesKeys keymap

func init() {
	globalKeys = keymap{title: "Everywhere", binds: []binding{
		{[]string{"?"}, "this help", func(a *App) { a.pushOverlay(newHelp(a)) }},
		{[]string{"q"}, "quit (asks first if a live capture is not saved)", (*App).Quit},
		{[]string{"Tab"}, "next pane (list, details, bytes)", func(a *App) { a.focus = (a.focus + 1) % 3 }},
		{[]string{"Backtab"}, "previous pane (Shift-Tab)", func(a *App) { a.focus = (a.focus + 2) % 3 }},
		{[]string{"/", "f"}, "edit the display filter", func(a *App) { a.filter.open() }},
		{[]string{"Ctrl-F"}, "find a packet: string, hex bytes, regex or display filter", func(a *App) { a.search.open() }},
		{[]string{"n"}, "next match of the last search", func(a *App) { a.search.again(true) }},
		{[]string{"N"}, "previous match of the last search", func(a *App) { a.search.again(false) }},
		{[]string{"F"}, "follow the selected packet's TCP stream", (*App).openFollow},
		{[]string{"C"}, "TCP conversations (as -z conv,tcp)", (*App).openConversations},
		{[]string{"P"}, "protocol hierarchy (as -z io,phs)", (*App).openHierarchy},
		{[]string{"X"}, "compare plaintext HTTP, Fernet over HTTP and HTTPS side by side", (*App).openCompare},
		{[]string{"s"}, "sort the list by the next column (or click a column header)", func(a *App) {
			a.list.sortBy((a.list.sortCol+1)%numColumns, false)
		}},
		{[]string{"S"}, "reverse the sort order", func(a *App) { a.list.sortBy(a.list.sortCol, !a.list.sortDesc) }},
		{[]string{"p"}, "live capture: pause / resume the display (the capture goes on)", (*App).togglePause},
		{[]string{"Esc"}, "clear the search highlight and the message", func(a *App) { a.clearFound() }},
		{[]string{"Ctrl-L"}, "redraw the screen", func(a *App) { a.screen.Sync() }},
		{[]string{"Mouse"}, "click selects (a column header sorts, a ▶ opens); the wheel scrolls the pane under it", nil},
	}}
	initPaneKeys()
	initOverlayKeys()
}

func initPaneKeys() {
	listKeys = keymap{title: "Packet list", binds: []binding{
		{[]string{"Up", "k"}, "previous packet", func(a *App) { a.list.moveTo(a.list.sel - 1) }},
		{[]string{"Down", "j"}, "next packet", func(a *App) { a.list.moveTo(a.list.sel + 1) }},
		{[]string{"PgUp", "Ctrl-B"}, "page up", func(a *App) { a.list.moveTo(a.list.sel - a.list.pageSize()) }},
		{[]string{"PgDn", "Ctrl-D"}, "page down", func(a *App) { a.list.moveTo(a.list.sel + a.list.pageSize()) }},
		{[]string{"Home", "g"}, "first packet", func(a *App) { a.list.moveTo(0) }},
		{[]string{"End", "G"}, "last packet (live: and follow new ones)", func(a *App) {
			a.list.moveTo(a.list.length() - 1)
			a.list.tail = a.store.Progress().Live != nil
		}},
		{[]string{"Enter"}, "go to the packet's details", func(a *App) { a.focus = paneDetails }},
	}}

	detailsKeys = keymap{title: "Packet details", binds: []binding{
		{[]string{"Up", "k"}, "previous line", func(a *App) { a.details.selectLine(a.details.sel - 1) }},
		{[]string{"Down", "j"}, "next line", func(a *App) { a.details.selectLine(a.details.sel + 1) }},
		{[]string{"Left", "h"}, "collapse, or go to the parent", func(a *App) { a.details.left() }},
		{[]string{"Right", "l"}, "expand, or go to the first child", func(a *App) { a.details.right() }},
		{[]string{"Enter", " "}, "expand / collapse", func(a *App) { a.details.toggle(a.details.sel); a.details.selectLine(a.details.sel) }},
		{[]string{"e"}, "expand all", func(a *App) { a.details.expandAll(true) }},
		{[]string{"c"}, "collapse all", func(a *App) { a.details.expandAll(false) }},
		{[]string{"PgUp", "Ctrl-B"}, "page up", func(a *App) { a.details.selectLine(a.details.sel - max(a.lay.details.h-1, 1)) }},
		{[]string{"PgDn", "Ctrl-D"}, "page down", func(a *App) { a.details.selectLine(a.details.sel + max(a.lay.details.h-1, 1)) }},
		{[]string{"Home", "g"}, "first line", func(a *App) { a.details.selectLine(0) }},
		{[]string{"End", "G"}, "last line", func(a *App) { a.details.selectLine(len(a.details.lines) - 1) }},
	}}

	bytesKeys = keymap{title: "Packet bytes", binds: []binding{
		{[]string{"Up", "k"}, "scroll up", func(a *App) { a.bytes.top-- }},
		{[]string{"Down", "j"}, "scroll down", func(a *App) { a.bytes.top++ }},
		{[]string{"Left", "h"}, "previous data source tab (frame, reassembled, …)", func(a *App) { a.bytes.switchTab(-1) }},
		{[]string{"Right", "l"}, "next data source tab", func(a *App) { a.bytes.switchTab(+1) }},
		{[]string{"PgUp", "Ctrl-B"}, "page up", func(a *App) { a.bytes.top -= max(a.lay.bytes.h-1, 1) }},
		{[]string{"PgDn", "Ctrl-D"}, "page down", func(a *App) { a.bytes.top += max(a.lay.bytes.h-1, 1) }},
		{[]string{"Home", "g"}, "top", func(a *App) { a.bytes.top = 0 }},
		{[]string{"End", "G"}, "bottom", func(a *App) { a.bytes.top = a.bytes.lines() }},
	}}
}

// handleKey routes a key: the top overlay, an open bar, the global keys,
// then the focused pane.
func (a *App) handleKey(ev *tcell.EventKey) {
	name := keyName(ev)
	if ov := a.topOverlay(); ov != nil {
		if ov.key(a, ev) {
			return
		}
		switch name {
		case "Esc", "q":
			a.popOverlay()
		case "?":
			if _, isHelp := ov.(*helpView); !isHelp {
				a.pushOverlay(newHelp(a))
			}
		}
		return
	}
	if a.prompt != nil {
		a.prompt.key(ev)
		return
	}
	if a.filter.editing {
		a.filter.key(ev)
		return
	}
	if a.search.editing {
		a.search.key(ev)
		return
	}
	if b := globalKeys.lookup(name); b != nil && b.run != nil {
		b.run(a)
		return
	}
	switch a.focus {
	case paneList:
		if b := listKeys.lookup(name); b != nil && b.run != nil {
			b.run(a)
		}
	case paneDetails:
		if b := detailsKeys.lookup(name); b != nil && b.run != nil {
			b.run(a)
		}
	case paneBytes:
		if b := bytesKeys.lookup(name); b != nil && b.run != nil {
			b.run(a)
		}
	}
}

func (b *bytesPane) switchTab(d int) {
	p := b.a.details.pkt
	if p == nil || len(p.Sources) == 0 {
		return
	}
	b.tab = (b.tab + d + len(p.Sources)) % len(p.Sources)
	b.top = 0
}

// helpLines renders keymaps for the help screen at width w: the keys in
// a column, the help beside them, wrapped.
func helpLines(w int, maps ...keymap) []string {
	const keyCol = 20
	textW := max(w-keyCol-3, 20)
	var out []string
	for _, m := range maps {
		out = append(out, m.title)
		for _, b := range m.binds {
			keys := make([]string, len(b.keys))
			for i, k := range b.keys {
				if k == " " {
					k = "Space"
				}
				keys[i] = k
			}
			prefix := "  " + pad(strings.Join(keys, " "), keyCol) + " "
			for _, part := range wrapWords(b.help, textW) {
				out = append(out, prefix+part)
				prefix = strings.Repeat(" ", len([]rune(prefix)))
			}
		}
		out = append(out, "")
	}
	return out
}

// wrapWords breaks text at spaces into lines of at most w runes.
func wrapWords(text string, w int) []string {
	var out []string
	line := ""
	for _, word := range strings.Fields(text) {
		switch {
		case line == "":
			line = word
		case len([]rune(line))+1+len([]rune(word)) > w:
			out = append(out, line)
			line = word
		default:
			line += " " + word
		}
	}
	return append(out, line)
}
