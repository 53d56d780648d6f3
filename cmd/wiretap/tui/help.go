package tui

// helpView is ?: every key of every context, made from the keymaps the
// keys are dispatched with.
type helpView struct {
	textList
	width int // the lines were made for this width
}

func initOverlayKeys() {
	initFollowKeys()
}

// allKeymaps are the contexts the help lists, in order.
func allKeymaps() []keymap {
	return []keymap{globalKeys, listKeys, detailsKeys, bytesKeys, filterBarKeys, searchBarKeys,
		followKeys, convKeys, compareKeys, textListKeys, confirmKeys}
}

func newHelp(a *App) *helpView {
	h := &helpView{}
	h.title = "wiretap view: keys (Esc or q closes)"
	return h
}

func (h *helpView) draw(a *App, c canvas, r rect) {
	if h.width != r.w {
		h.width = r.w
		h.lines = h.lines[:0]
		for _, line := range helpLines(r.w, allKeymaps()...) {
			st := styleNormal
			if line != "" && line[0] != ' ' {
				st = styleNormal.Bold(true)
			}
			h.lines = append(h.lines, plainLine(line, st))
		}
	}
	h.textList.draw(a, c, r)
}
