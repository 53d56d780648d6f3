package tui

// togglePause freezes the live list where it is (p); the capture goes on
// and the status line keeps counting.
func (a *App) togglePause() {
	if a.store.Progress().Live == nil {
		a.setMessage("p pauses a live capture's display; this is a file", false)
		return
	}
	a.paused = !a.paused
	v := a.list.view
	v.frozen = 0
	if a.paused {
		v.frozen = max(a.list.length(), 1)
	}
	a.list.view = v
}
