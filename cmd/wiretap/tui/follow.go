package tui

import (
	"fmt"
	"strings"

	"github.com/gdamore/tcell/v2"

	"wiretap/cmd/wiretap/tui/packets"
)

// followMode is how a followed stream's bytes are shown.
type followMode int

const (
	followASCII followMode = iota
	followHex
	followRaw
)

var followModeNames = []string{"ASCII", "hex dump", "raw"}

// followView is Follow TCP Stream: the conversation, client red and
// server blue as in Wireshark; Enter goes to the packet that carried the
// line under the cursor.
type followView struct {
	textList
	stream int
	conv   *packets.Conversation
	mode   followMode
	width  int // the lines were made for this width
	job    *job
	// startAt puts the cursor on the first line of this packet's chunks
	// once the lines are made.
	startAt int
}

var followKeys keymap

func initFollowKeys() {
	followKeys = keymap{title: "Follow stream (F)", binds: []binding{
		{[]string{"a"}, "show as ASCII", func(a *App) { a.followMode(followASCII) }},
		{[]string{"x"}, "show as a hex dump", func(a *App) { a.followMode(followHex) }},
		{[]string{"r"}, "show raw (hex, one chunk after the other)", func(a *App) { a.followMode(followRaw) }},
		{[]string{"m"}, "next mode (ASCII, hex dump, raw)", func(a *App) {
			if fv, ok := a.topOverlay().(*followView); ok {
				a.followMode((fv.mode + 1) % 3)
			}
		}},
		{[]string{"Enter"}, "go to the packet that carried this line", nil},
	}}
}

func (a *App) followMode(m followMode) {
	if fv, ok := a.topOverlay().(*followView); ok {
		fv.mode, fv.width = m, 0
	}
}

// openFollow follows the selected packet's TCP stream.
func (a *App) openFollow() {
	p := a.details.pkt
	if p == nil {
		a.setMessage("select a TCP packet to follow its stream", true)
		return
	}
	fs := p.Fields("tcp.stream")
	if len(fs) == 0 {
		a.setMessage(fmt.Sprintf("packet %d is not TCP: nothing to follow", p.Number), true)
		return
	}
	stream := int(fs[0].U)
	fv := &followView{stream: stream}
	fv.title = fmt.Sprintf("Follow TCP stream %d", stream)
	fv.pending = "reassembling the stream…"
	fv.cursor = true
	fv.extra = &followKeys
	fv.onEnter = func(a *App, ln styledLine) {
		if ln.ref > 0 {
			a.popOverlay()
			a.goToPacket(ln.ref)
		}
	}
	a.pushOverlay(fv)
	store := a.store
	fv.job = a.startJob("following", func(j *job) func() {
		if err := store.WaitAnalysed(j.stop, p.Number); err != nil {
			return nil
		}
		conv, err := store.Follow(j.stop, stream)
		return func() {
			if err != nil {
				fv.pending = err.Error()
				return
			}
			fv.conv, fv.pending = conv, ""
			if len(conv.Chunks) == 0 {
				fv.pending = "the stream carries no payload"
			}
			// Start at the chunk of the packet the stream was opened on.
			fv.startAt = p.Number
		}
	})
}

func (fv *followView) close(a *App) { fv.job.cancel() }

// goToPacket selects packet n in the list; a display filter that hides it
// is cleared.
func (a *App) goToPacket(n int) {
	if a.list.view.indexOf(n, a.list.total()) < 0 {
		a.filter.edit.set("")
		a.filter.apply()
		a.setMessage(fmt.Sprintf("cleared the display filter to show packet %d", n), false)
	}
	if i := a.list.view.indexOf(n, a.list.total()); i >= 0 {
		a.list.tail = false
		a.list.moveTo(i)
		a.focus = paneList
	}
}

func (fv *followView) draw(a *App, c canvas, r rect) {
	if fv.conv != nil && fv.width != r.w {
		fv.width = r.w
		fv.build(r.w)
	}
	fv.textList.draw(a, c, r)
}

// build makes the lines for the current mode at width w.
func (fv *followView) build(w int) {
	conv := fv.conv
	info := conv.Info
	kind := "TCP"
	if conv.TLS {
		kind = "TLS" // decrypted with the keys
	}
	fv.title = fmt.Sprintf("Follow %s stream %d: %s ↔ %s (%s)", kind, fv.stream, info.Client, info.Server, followModeNames[fv.mode])
	var sent [2]int
	fv.lines = fv.lines[:0]
	var off [2]int
	for _, ch := range conv.Chunks {
		dir := ch.Dir & 1
		st := styleClient
		if dir == 1 {
			st = styleServer
		}
		sent[dir] += len(ch.Data)
		switch fv.mode {
		case followASCII:
			for _, text := range asciiLines(ch.Data, w) {
				fv.lines = append(fv.lines, styledLine{segs: []seg{{pad(text, w), st}}, ref: ch.Frame})
			}
		case followHex:
			indent := ""
			if dir == 1 {
				indent = "    "
			}
			for i := 0; i < len(ch.Data); i += 16 {
				end := min(i+16, len(ch.Data))
				line := fmt.Sprintf("%s%08x  %-48s %s", indent, off[dir]+i, hexBytes(ch.Data[i:end]), asciiOf(ch.Data[i:end]))
				fv.lines = append(fv.lines, styledLine{segs: []seg{{pad(line, w), st}}, ref: ch.Frame})
			}
		case followRaw:
			h := fmt.Sprintf("%x", ch.Data)
			for i := 0; i < len(h); i += max(w, 2) &^ 1 {
				fv.lines = append(fv.lines, styledLine{segs: []seg{{pad(h[i:min(i+max(w, 2)&^1, len(h))], w), st}}, ref: ch.Frame})
			}
		}
		off[dir] += len(ch.Data)
	}
	fv.footer = fmt.Sprintf("client %d B, server %d B · a ASCII · x hex · r raw · Enter: go to packet · Esc", sent[0], sent[1])
	if fv.startAt > 0 {
		for i, ln := range fv.lines {
			if ln.ref >= fv.startAt {
				fv.sel = i
				break
			}
		}
		fv.startAt = 0
	}
}

// asciiLines splits data at newlines (and at w), unprintable bytes as dots.
func asciiLines(data []byte, w int) []string {
	var out []string
	var b strings.Builder
	flush := func() {
		out = append(out, b.String())
		b.Reset()
	}
	for i, c := range data {
		switch {
		case c == '\n':
			flush()
			continue
		case c == '\r':
			continue
		}
		b.WriteRune(printable(c))
		if b.Len() >= w && i+1 < len(data) {
			flush()
		}
	}
	if b.Len() > 0 {
		flush()
	}
	return out
}

func hexBytes(b []byte) string {
	var sb strings.Builder
	for i, c := range b {
		if i == 8 {
			sb.WriteByte(' ')
		}
		fmt.Fprintf(&sb, "%02x ", c)
	}
	return sb.String()
}

func asciiOf(b []byte) string {
	out := make([]rune, len(b))
	for i, c := range b {
		out[i] = printable(c)
	}
	return string(out)
}

func (fv *followView) key(a *App, ev *tcell.EventKey) bool { return fv.textList.key(a, ev) }
