package tui

import "fmt"

// Conversations (C): the data of `-z conv,tcp`, as a table.

var convKeys = keymap{title: "Conversations (C)", binds: []binding{
	{keys: []string{"Enter"}, help: "show only this conversation (display filter tcp.stream == N)"},
}}

func (a *App) openConversations() {
	tv := &textList{title: "TCP conversations", pending: "waiting for the fast pass…", cursor: true, extra: &convKeys}
	tv.onEnter = func(a *App, ln styledLine) {
		if ln.ref < 0 {
			return
		}
		a.popOverlay()
		a.filter.edit.set(fmt.Sprintf("tcp.stream == %d", ln.ref))
		a.filter.apply()
	}
	a.pushOverlay(tv)
	store := a.store
	a.startJob("conversations", func(j *job) func() {
		if err := store.WaitAnalysed(j.stop, store.Len()); err != nil {
			return nil
		}
		an, _ := store.Analyzer()
		streams := an.TCPStreams()
		first := an.FirstTime()
		return func() {
			tv.pending = ""
			if len(streams) == 0 {
				tv.pending = "no TCP conversations"
				return
			}
			tv.title = fmt.Sprintf("TCP conversations: %d (Enter: filter on one)", len(streams))
			header := fmt.Sprintf("%6s  %-23s %-23s %8s %10s %8s %10s %8s %10s %11s %10s",
				"Stream", "Address A", "Address B", "Packets", "Bytes", "A→B", "Bytes A→B", "B→A", "Bytes B→A", "Rel Start", "Duration")
			tv.lines = []styledLine{{segs: []seg{{header, styleHeader}}, ref: -1}}
			for _, s := range streams {
				line := fmt.Sprintf("%6d  %-23s %-23s %8d %10d %8d %10d %8d %10d %11.6f %10.4f",
					s.Index, s.Client, s.Server, s.Packets[0]+s.Packets[1], s.Bytes[0]+s.Bytes[1],
					s.Packets[0], s.Bytes[0], s.Packets[1], s.Bytes[1],
					s.Start.Sub(first).Seconds(), s.End.Sub(s.Start).Seconds())
				tv.lines = append(tv.lines, styledLine{segs: []seg{{line, styleNormal}}, ref: s.Index})
			}
			tv.sel = 1
		}
	})
}
