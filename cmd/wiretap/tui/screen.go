package tui

import (
	"fmt"
	"strings"
	"time"

	"wiretap/decode"
)

// packetSelected shows packet n (0: none) in the details and bytes panes.
func (a *App) packetSelected(n int) {
	a.bytes.found = span{}
	if n == 0 {
		a.details.setPacket(nil, false)
		return
	}
	p, final, err := a.store.Packet(n)
	if err != nil {
		a.setMessage(err.Error(), true)
		a.details.setPacket(nil, false)
		return
	}
	a.details.setPacket(p, final)
	if !final && a.store.Progress().Live != nil && (!a.list.tail || a.paused) {
		a.snapshot(n)
	}
}

// snapshot runs a live capture's fast pass over the packets so far, so
// the tree of packet n (which the user stopped on) becomes final.
func (a *App) snapshot(n int) {
	if a.snapJob != nil {
		return
	}
	store := a.store
	a.snapJob = a.startJob("analysing", func(j *job) func() {
		store.WaitAnalysed(j.stop, n)
		return func() { a.snapJob = nil }
	})
}

// fieldSelected lights up the field's bytes and shows it in the status line.
func (a *App) fieldSelected(f *decode.Field) {
	if f == nil {
		a.bytes.field = span{}
		return
	}
	a.bytes.show(span{f.Source, f.Start, f.Len}, a.lay.bytes.h)
}

// Draw renders the whole screen.
func (a *App) Draw() {
	a.checkStore()
	c := canvas{a.screen}
	a.screen.HideCursor()
	l := a.lay
	if a.w <= 0 || a.h <= 0 {
		return
	}
	if ov := a.topOverlay(); ov != nil {
		a.drawTopBar(c, l.filterBar)
		ov.draw(a, c, l.body)
	} else {
		a.drawTopBar(c, l.filterBar)
		a.list.draw(c, l.listHeader, l.list)
		if l.details.h > 0 {
			a.details.draw(c, l.detailsTitle, l.details)
			a.bytes.draw(c, l.bytesTitle, l.bytes)
		}
	}
	if a.prompt != nil {
		a.prompt.draw(c, l.status)
	} else {
		a.drawStatus(c, l.status)
	}
	a.screen.Show()
	a.traceMilestones()
}

func (a *App) drawTopBar(c canvas, r rect) {
	if a.search.editing {
		a.search.draw(c, r)
		return
	}
	a.filter.draw(c, r)
}

// checkStore notices that the fast pass or the secret search finished:
// rows and trees are then rebuilt, and the selected packet re-read.
func (a *App) checkStore() {
	if gen := a.store.Gen(); gen != a.storeGen {
		a.storeGen = gen
		if n := a.list.selected; n != 0 {
			a.list.selected = 0
			a.list.selectPacket(n)
		}
	}
}

// traceMilestones reports, once each, the first full screen, the
// complete index and the finished fast pass.
func (a *App) traceMilestones() {
	if a.opts.Trace == nil {
		return
	}
	p := a.store.Progress()
	shown := min(a.list.length(), a.lay.list.h)
	if p.Packets > 0 && shown == min(p.Packets, a.lay.list.h) || p.Indexed && p.Packets == 0 {
		a.trace("first-screen", fmt.Sprintf("%d rows", shown))
	}
	if p.Indexed {
		a.trace("indexed", fmt.Sprintf("%d packets", p.Packets))
	}
	if a.store.Analysed() {
		a.trace("analysed", fmt.Sprintf("%d packets", p.Analysed))
	}
	// The display filter's: its first match drawn, and every packet
	// filtered (the progress gone from the status line).
	f := a.filter
	if f.applied == "" || a.list.view.filtered == nil || f.tracedFirst && f.tracedDone {
		return
	}
	nums, done := a.list.view.filtered.snapshot()
	since := time.Since(f.appliedAt).Seconds()
	if !f.tracedFirst && len(nums) > 0 && a.topOverlay() == nil {
		f.tracedFirst = true
		a.traceAgain("filter-first-match", fmt.Sprintf("packet %d, %.3f s after Enter", nums[0], since))
	}
	if !f.tracedDone && done && !a.jobs[f.job] {
		f.tracedDone = true
		a.traceAgain("filter-done", fmt.Sprintf("%d of %d packets matched, %.3f s after Enter", len(nums), a.store.Len(), since))
	}
}

// drawStatus shows, left, the message (errors in red) or the selected
// field; right, what is being worked on and the counts.
func (a *App) drawStatus(c canvas, r rect) {
	p := a.store.Progress()
	right := a.statusRight(r.w * 2 / 3)
	left, st := a.msg, styleStatus
	switch {
	case a.msg != "" && a.msgError:
		st = styleError
	case a.msg != "":
	case a.filter.editing && a.filter.err != nil:
		left, st = filterErrorText(a.filter.err), styleError
	case a.search.editing && a.search.err != nil:
		left, st = strings.TrimPrefix(strings.TrimPrefix(a.search.err.Error(), "decode: "), "tui: "), styleError
	case a.filter.editing:
		left = "Enter apply · Esc clear · ↑↓ history"
	case a.search.editing:
		left = "Enter find · Tab: string/hex/regex/filter · Shift-Tab: list/details/bytes · Esc close"
	case p.Err != nil:
		left, st = p.Err.Error(), styleError
	case p.Live != nil && p.Live.WriteErr != nil:
		left, st = strings.TrimPrefix(p.Live.WriteErr.Error(), "capture: "), styleError
	case p.Live != nil && p.Live.Err != nil:
		left, st = "capture stopped: "+p.Live.Err.Error(), styleError
	default:
		left = describeField(a.details.pkt, a.details.selected())
	}
	c.fill(r.x, r.y, r.w, ' ', styleStatus)
	rw := min(len([]rune(right)), r.w*2/3)
	if st == styleError {
		// An error has the line to itself when it needs it.
		rw = min(rw, max(r.w-len([]rune(left))-2, 0))
	}
	lw := r.w - rw - 1
	c.line(r.x, r.y, lw, " "+fit(left, lw-1), st)
	c.text(r.x+r.w-rw, r.y, rw, fit(right, rw), styleStatus)
}

// statusRight is the counts and the work in progress, in w cells when it
// can: the counts and the progress of the jobs are what must show, so a
// long line drops the file name, then puts the jobs first (the end is
// what is cut).
func (a *App) statusRight(w int) string {
	p := a.store.Progress()
	var parts []string
	if lv := p.Live; lv != nil {
		if a.paused {
			parts = append(parts, "PAUSED (p resumes)")
		}
		parts = append(parts, fmt.Sprintf("%s: %d captured, %d dropped", p.Name, lv.Captured, lv.Dropped))
		if lv.Forgotten > 0 {
			parts = append(parts, fmt.Sprintf("%d conversations forgotten (--max-streams)", lv.Forgotten))
		}
		if lv.Filter != "" {
			parts = append(parts, "filter "+lv.Filter)
		}
		switch {
		case lv.Writing != "":
			parts = append(parts, "writing "+lv.Writing)
		case lv.Saved:
			parts = append(parts, "saved")
		default:
			parts = append(parts, "unsaved")
		}
		if lv.Done {
			parts = append(parts, "stopped")
		}
	} else {
		parts = append(parts, fmt.Sprintf("%d packets", p.Packets))
		if !p.Indexed && p.Err == nil {
			parts = append(parts, fmt.Sprintf("indexing %d%%", int(p.Fraction*100)))
		} else if p.Analysing && p.Packets > 0 {
			parts = append(parts, fmt.Sprintf("analysing %d%%", p.PassDone*100/p.Packets))
		}
	}
	if a.list.view.filtered != nil {
		nums, _ := a.list.view.filtered.snapshot()
		parts = append(parts, fmt.Sprintf("shown %d", len(nums)))
	}
	var jobs []string
	for j := range a.jobs {
		jobs = append(jobs, j.status())
	}
	line := strings.Join(append(parts, jobs...), " · ") + " "
	fits := func(s string) bool { return len([]rune(s)) <= w }
	if p.Live == nil {
		if named := p.Name + ": " + line; fits(named) {
			return named
		}
	}
	if len(jobs) > 0 && !fits(line) {
		line = strings.Join(append(jobs, parts...), " · ") + " "
	}
	return line
}
