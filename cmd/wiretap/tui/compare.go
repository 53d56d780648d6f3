package tui

import (
	"bytes"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/gdamore/tcell/v2"

	"wiretap/decode"
)

// defaultSecret is what the demo sends.
const defaultSecret = "fluffy tail"

// compareModes are the comparison's columns: the demo's three ways to send
// a secret, recognised by content, never by port.
var compareModes = []struct {
	title, protocol string
}{
	{"Plaintext HTTP", decode.ProtoHTTP},
	{"Fernet over HTTP", decode.ProtoFernet},
	{"HTTPS", decode.ProtoTLS},
}

// cell is one styled character of the comparison.
type cell struct {
	r  rune
	st tcell.Style
}

// compareView is the comparison (X): three columns, each the first
// conversation of its kind as the wire shows it, the verdict, what still
// leaks, the payload's entropy, and the secret lit up wherever readable.
type compareView struct {
	secret  []byte
	ex      *decode.Exposure
	pending string
	top     int
	width   int
	cols    [][][]cell // per column, wrapped lines
	height  int
	job     *job
}

var compareKeys = keymap{title: "Compare (X)", binds: []binding{
	{keys: []string{"Up", "k", "Down", "j"}, help: "scroll the three columns together"},
	{keys: []string{"PgUp", "PgDn", "Home", "g", "End", "G"}, help: "page / top / bottom"},
	{keys: []string{"Esc", "q"}, help: "back to the packets"},
}}

// openCompare runs the per-stream secret search (unless the Store did it
// for this secret) and shows the comparison.
func (a *App) openCompare() {
	secret := a.opts.CompareSecret
	if len(secret) == 0 {
		if s := a.store.Secrets(); len(s) > 0 {
			secret = s[0]
		} else {
			secret = []byte(defaultSecret)
		}
	}
	cv := &compareView{secret: secret, pending: "looking for the secret in every TCP stream…"}
	a.pushOverlay(cv)
	store := a.store
	cv.job = a.startJob("comparing", func(j *job) func() {
		if err := store.WaitAnalysed(j.stop, store.Len()); err != nil {
			return nil
		}
		for _, ex := range store.Exposures() {
			if bytes.Equal(ex.Secret, secret) {
				return func() { cv.ex, cv.pending = ex, "" }
			}
		}
		ex, err := store.AnalyzeExposure(j.stop, store.Len(), secret)
		return func() {
			if err != nil {
				cv.pending = err.Error()
				return
			}
			cv.ex, cv.pending = ex, ""
		}
	})
}

func (cv *compareView) close(a *App) { cv.job.cancel() }

func (cv *compareView) keys() keymap { return compareKeys }

func (cv *compareView) key(a *App, ev *tcell.EventKey) bool {
	page := max(cv.height-1, 1)
	switch keyName(ev) {
	case "Up", "k":
		cv.top--
	case "Down", "j":
		cv.top++
	case "PgUp", "Ctrl-B":
		cv.top -= page
	case "PgDn", "Ctrl-D":
		cv.top += page
	case "Home", "g":
		cv.top = 0
	case "End", "G":
		cv.top = 1 << 30
	default:
		return false
	}
	return true
}

func (cv *compareView) mouse(a *App, ev *tcell.EventMouse, r rect) {
	switch {
	case ev.Buttons()&tcell.WheelUp != 0:
		cv.top -= 3
	case ev.Buttons()&tcell.WheelDown != 0:
		cv.top += 3
	}
}

func (cv *compareView) draw(a *App, c canvas, r rect) {
	if r.h < 2 {
		return
	}
	c.line(r.x, r.y, r.w, fmt.Sprintf(" Compare: the secret %q sent three ways, as an eavesdropper sees it", cv.secret), styleBarFocus)
	body := rect{r.x, r.y + 1, r.w, r.h - 1}
	if body.h > 3 {
		body.h--
		c.line(r.x, r.y+r.h-1, r.w, " ↑↓ PgUp PgDn scroll · Esc back to the packets · ? help", styleBar)
	}
	cv.height = body.h
	c.clear(body, styleNormal)
	if cv.pending != "" {
		c.text(body.x+2, body.y, body.w-2, cv.pending, styleDim)
		return
	}
	colW := (body.w - 2) / 3
	if cv.width != colW {
		cv.width = colW
		cv.build(colW)
	}
	longest := 0
	for _, col := range cv.cols {
		longest = max(longest, len(col))
	}
	cv.top = clamp(cv.top, 0, max(longest-body.h, 0))
	for i, col := range cv.cols {
		x := body.x + i*(colW+1)
		for row := 0; row < body.h; row++ {
			y := body.y + row
			if i > 0 {
				c.s.SetContent(x-1, y, '│', nil, styleDim)
			}
			line := cv.top + row
			if line >= len(col) {
				continue
			}
			for k, ce := range col[line] {
				if k < colW {
					c.s.SetContent(x+k, y, ce.r, nil, ce.st)
				}
			}
		}
	}
}

// build lays the three columns out at width w.
func (cv *compareView) build(w int) {
	cv.cols = cv.cols[:0]
	for _, m := range compareModes {
		var streams []*decode.StreamExposure
		for _, s := range cv.ex.Streams {
			if s.Protocol == m.protocol {
				streams = append(streams, s)
			}
		}
		var col columnBuilder
		col.w = w
		col.add(m.title, styleHeader)
		if len(streams) == 0 {
			col.add("no such conversation in this capture", styleDim)
			cv.cols = append(cv.cols, col.lines)
			continue
		}
		s := streams[0]
		where := fmt.Sprintf("stream %d: %s → %s", s.Index, s.Client, s.Server)
		if len(streams) > 1 {
			where += fmt.Sprintf(" (first of %d)", len(streams))
		}
		col.add(where, styleDim)
		if s.SecretVisible() {
			col.add(fmt.Sprintf("secret VISIBLE in frame %d", secretFrame(s)), styleVisible)
		} else {
			col.add("hidden", styleHidden)
		}
		if cv.ex.Keys && !s.SecretVisible() {
			// The second half: what the keys reveal.
			if s.KeysFrame != 0 {
				col.add(fmt.Sprintf("with the keys: the secret, in frame %d", s.KeysFrame), styleVisible)
			} else {
				col.add("with the keys: not found", styleDim)
			}
		}
		col.add("", styleNormal)
		col.add("What still leaks:", styleNormal.Bold(true))
		for _, l := range leaks(s) {
			col.add("• "+l, styleNormal)
		}
		payload := s.Body
		what := "response body"
		if s.Protocol == decode.ProtoTLS {
			payload, what = s.ServerAppData, "server's encrypted records"
		}
		if len(payload) == 0 {
			payload, what = s.Seen[1].Payload, "server's payload"
		}
		col.add(fmt.Sprintf("Entropy: %.2f bits/byte (%s, %d bytes)", entropy(payload), what, len(payload)), styleNormal)
		col.add("", styleNormal)
		col.add("Client → server, as on the wire:", styleNormal.Bold(true))
		col.bytes(s.Seen[0].Payload, cv.secret, styleClient)
		col.add("", styleNormal)
		col.add("Server → client, as on the wire:", styleNormal.Bold(true))
		col.bytes(s.Seen[1].Payload, cv.secret, styleServer)
		if cv.ex.Keys && s.KeysFrame != 0 && len(s.Decrypted) > 0 {
			col.add("", styleNormal)
			col.add("Server → client, decrypted with the keys:", styleNormal.Bold(true))
			col.bytes(s.Decrypted, cv.secret, styleServer)
		}
		cv.cols = append(cv.cols, col.lines)
	}
}

// secretFrame is the first frame where the secret can be read.
func secretFrame(s *decode.StreamExposure) int {
	f := s.SecretFrame
	if f == 0 || (s.SecretStreamFrame != 0 && s.SecretStreamFrame < f) {
		f = s.SecretStreamFrame
	}
	return f
}

// leaks lists what the conversation shows besides the secret: what
// decode's exposure stage found (the request and response heads of HTTP,
// the Fernet token's structure, the TLS server name, protocols, version,
// suite and certificate), the encrypted record sizes, and always the sizes
// and timing.
func leaks(s *decode.StreamExposure) []string {
	out := append([]string(nil), s.Leaks...)
	if len(s.ServerRecordSizes) > 0 {
		sizes := make([]string, len(s.ServerRecordSizes))
		for i, n := range s.ServerRecordSizes {
			sizes[i] = fmt.Sprint(n)
		}
		out = append(out, "encrypted record sizes: "+strings.Join(sizes, ", "))
	}
	out = append(out, fmt.Sprintf("%d packets, %d bytes, over %s", s.TotalPackets(), s.TotalBytes(), s.End.Sub(s.Start).Round(time.Microsecond)))
	return out
}

// entropy is the Shannon entropy of b in bits per byte: about 4–5 for
// English text, 6 for base64, close to 8 for ciphertext (less for short
// samples: n bytes cannot show more than log2(n) bits each).
func entropy(b []byte) float64 {
	if len(b) == 0 {
		return 0
	}
	var counts [256]int
	for _, c := range b {
		counts[c]++
	}
	h := 0.0
	for _, n := range counts {
		if n > 0 {
			p := float64(n) / float64(len(b))
			h -= p * math.Log2(p)
		}
	}
	return h
}

// columnBuilder wraps text into a column's lines.
type columnBuilder struct {
	w     int
	lines [][]cell
}

// add wraps text at spaces (a word longer than the column is cut).
func (cb *columnBuilder) add(text string, st tcell.Style) {
	if text == "" {
		cb.lines = append(cb.lines, nil)
		return
	}
	var line []cell
	for i, word := range strings.Split(text, " ") {
		if i > 0 && len(line)+1+len([]rune(word)) > cb.w && len(line) > 0 {
			cb.lines = append(cb.lines, line)
			line = nil
		} else if i > 0 {
			line = append(line, cell{' ', st})
		}
		for _, r := range word {
			line = append(line, cell{r, st})
		}
	}
	cb.wrap(line)
}

func (cb *columnBuilder) wrap(cells []cell) {
	for len(cells) > cb.w && cb.w > 0 {
		cb.lines = append(cb.lines, cells[:cb.w])
		cells = cells[cb.w:]
	}
	cb.lines = append(cb.lines, cells)
}

// maxShown bounds the bytes shown of one direction.
const maxShown = 4096

// bytes shows payload as the wire carries it: printable bytes as they
// are, others as dots, a new line at each line feed, the secret lit up
// wherever it appears.
func (cb *columnBuilder) bytes(payload, secret []byte, st tcell.Style) {
	if len(payload) == 0 {
		cb.add("(nothing)", styleDim)
		return
	}
	shown := payload[:min(len(payload), maxShown)]
	lit := make([]bool, len(shown))
	for off := 0; len(secret) > 0; {
		i := bytes.Index(shown[off:], secret)
		if i < 0 {
			break
		}
		for k := off + i; k < off+i+len(secret) && k < len(lit); k++ {
			lit[k] = true
		}
		off += i + len(secret)
	}
	var line []cell
	for i, c := range shown {
		if c == '\n' {
			cb.wrap(line)
			line = nil
			continue
		}
		if c == '\r' {
			continue
		}
		cst := st
		if lit[i] {
			cst = styleSecret
		}
		line = append(line, cell{printable(c), cst})
	}
	if len(line) > 0 {
		cb.wrap(line)
	}
	if len(payload) > maxShown {
		cb.add(fmt.Sprintf("… %d more bytes", len(payload)-maxShown), styleDim)
	}
}
