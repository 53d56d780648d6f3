package tui

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fernet/fernet-go"
	"github.com/gdamore/tcell/v2"

	"wiretap/capture/oracletest"
	"wiretap/cmd/wiretap/tui/packets"
	"wiretap/decode"
)

// TestDetailsHighlightRequestURI walks list → details → the HTTP request
// URI with keys, and checks the status line names the field and the bytes
// pane lights up exactly its byte, in the hex and the ASCII columns.
func TestDetailsHighlightRequestURI(t *testing.T) {
	forEachSize(t, func(t *testing.T, w, h int) {
		hs := newHarness(t, w, h, packets.Options{}, Options{})
		hs.selectPacket(4)
		hs.mustSee("GET / HTTP/1.1")
		hs.press("<Enter>") // to the details
		if hs.a.focus != paneDetails {
			t.Fatalf("focus %v after Enter, want the details", hs.a.focus)
		}
		// Down to "Hypertext Transfer Protocol", open it, open the request
		// line, down to Request URI.
		hs.downTo("Hypertext Transfer Protocol")
		hs.press("<Right>", "<Down>")
		hs.mustSee("GET / HTTP/1.1\\r\\n")
		hs.press("<Right>")
		hs.downTo("Request URI: /")
		if s := hs.statusLine(); !strings.Contains(s, "http.request.uri: /") {
			t.Fatalf("status line %q does not name http.request.uri", s)
		}
		// The field's byte, where the dump shows it.
		p, _, err := hs.a.store.Packet(4)
		if err != nil {
			t.Fatal(err)
		}
		uri := p.Fields("http.request.uri")[0]
		per := perLine(w)
		b := hs.a.lay.bytes
		lines := hs.lines()
		var lit []string
		for y := b.y; y < b.y+b.h; y++ {
			for x := 0; x < w; x++ {
				if bgOf(hs.style(x, y)) == bgOf(styleField) {
					lit = append(lit, fmt.Sprintf("%d,%d:%c", x, y, []rune(lines[y])[x]))
				}
			}
		}
		row := uri.Start/per - hs.a.bytes.top
		col := uri.Start % per
		hexX := 6 + col*3
		if col >= 8 {
			hexX++
		}
		asciiX := 6 + per*3 + 2 + col
		want := []string{fmt.Sprintf("%d,%d:2", hexX, b.y+row), fmt.Sprintf("%d,%d:f", hexX+1, b.y+row), fmt.Sprintf("%d,%d:/", asciiX, b.y+row)}
		if strings.Join(lit, " ") != strings.Join(want, " ") {
			t.Errorf("lit cells %v, want %v (uri at byte %d)\n%s", lit, want, uri.Start, hs.screen())
		}
	})
}

// downTo presses Down until the selected details line is label.
func (hs *harness) downTo(label string) {
	hs.t.Helper()
	for i := 0; i < 300; i++ {
		if f := hs.a.details.selected(); f != nil && f.Label == label {
			hs.mustSee(label)
			return
		}
		hs.press("<Down>")
	}
	hs.t.Fatalf("never reached %q in the details:\n%s", label, hs.screen())
}

// TestFilterShowsMatches applies a filter that matches the three SYN/ACKs.
func TestFilterShowsMatches(t *testing.T) {
	forEachSize(t, func(t *testing.T, w, h int) {
		hs := newHarness(t, w, h, packets.Options{}, Options{})
		hs.press("/", "tcp.flags.syn == 1 && tcp.flags.ack == 1")
		if bgOf(hs.style(10, 0)) != bgOf(styleValid) {
			t.Errorf("the filter bar is not green while the filter compiles:\n%s", hs.screen())
		}
		hs.press("<Enter>")
		if got := strings.Join(hs.listRows(), " "); got != "2 9 16" {
			t.Fatalf("list shows %q, want packets 2 9 16:\n%s", got, hs.screen())
		}
		if s := hs.statusLine(); !strings.Contains(s, "shown 3") {
			t.Errorf("status line %q does not say 3 are shown", s)
		}
		// Esc in the bar clears the filter: every packet again.
		hs.press("/", "<Esc>")
		if n := len(hs.listRows()); n != min(36, hs.a.lay.list.h) {
			t.Errorf("after clearing, %d rows shown", n)
		}
	})
}

// TestFilterError types a filter that does not compile: the bar turns red,
// the error is in the status line, Enter does not apply it.
func TestFilterError(t *testing.T) {
	forEachSize(t, func(t *testing.T, w, h int) {
		hs := newHarness(t, w, h, packets.Options{}, Options{})
		hs.press("f", "tcp.port == ")
		if bgOf(hs.style(10, 0)) != bgOf(styleError) {
			t.Errorf("the filter bar is not red for a filter that does not compile:\n%s", hs.screen())
		}
		status := hs.statusLine()
		if !strings.Contains(status, "(column 12)") || bgOf(hs.style(1, h-1)) != bgOf(styleError) {
			t.Errorf("status line %q does not show the filter error", status)
		}
		hs.press("<Enter>")
		if !hs.a.filter.editing || hs.a.filter.applied != "" {
			t.Errorf("a filter that does not compile was applied")
		}
		hs.press("<Ctrl-U>", "htp.request")
		if s := hs.statusLine(); !strings.Contains(s, "http.request") {
			t.Errorf("status line %q does not suggest http.request for htp.request", s)
		}
	})
}

// TestFollowStream follows the plaintext HTTP stream: request and
// response text, client and server coloured, Enter goes to the packet.
func TestFollowStream(t *testing.T) {
	forEachSize(t, func(t *testing.T, w, h int) {
		hs := newHarness(t, w, h, packets.Options{}, Options{})
		hs.selectPacket(4)
		hs.press("F")
		hs.mustSee("Follow TCP stream 0")
		x, y := hs.mustSee("GET / HTTP/1.1")
		if hs.style(x, y) != styleClient.Reverse(true) && hs.style(x, y) != styleClient {
			t.Errorf("the request is not in the client's colours")
		}
		x, y = hs.mustSee("HTTP/1.1 200 OK")
		if hs.style(x, y) != styleServer {
			t.Errorf("the response is not in the server's colours")
		}
		hs.mustSee("fluffy tail")
		// The cursor starts on the request (packet 4); move to the
		// response's lines and go to its packet.
		hs.downToLine("HTTP/1.1 200 OK")
		hs.press("<Enter>")
		if hs.a.topOverlay() != nil || hs.a.list.selected != 6 {
			t.Errorf("Enter on the response went to packet %d (overlay %T), want 6", hs.a.list.selected, hs.a.topOverlay())
		}
	})
}

// downToLine moves a list overlay's cursor to the line holding text.
func (hs *harness) downToLine(text string) {
	hs.t.Helper()
	tl, ok := hs.a.topOverlay().(*followView)
	if !ok {
		hs.t.Fatalf("no follow view on top")
	}
	for i := 0; i < 40; i++ {
		if tl.sel < len(tl.lines) && strings.Contains(tl.lines[tl.sel].segs[0].text, text) {
			return
		}
		hs.press("<Down>")
	}
	hs.t.Fatalf("never reached %q", text)
}

// TestCompareView shows the comparison of the demo capture: VISIBLE for
// plaintext, hidden for Fernet and HTTPS, each in its column.
func TestCompareView(t *testing.T) {
	forEachSize(t, func(t *testing.T, w, h int) {
		hs := newHarness(t, w, h, packets.Options{}, Options{})
		hs.press("X")
		_, titleY := hs.mustSee("Plaintext HTTP")
		colW := (w - 2) / 3
		lines := hs.lines()
		column := func(i int) string {
			var sb strings.Builder
			for _, l := range lines[titleY:] {
				r := []rune(l)
				sb.WriteString(string(r[i*(colW+1) : i*(colW+1)+colW]))
				sb.WriteByte('\n')
			}
			return sb.String()
		}
		tests := []struct {
			col           int
			title, answer string
		}{
			{0, "Plaintext HTTP", "secret VISIBLE in frame 6"},
			{1, "Fernet over HTTP", "hidden"},
			{2, "HTTPS", "hidden"},
		}
		for _, tc := range tests {
			text := column(tc.col)
			if !strings.Contains(text, tc.title) || !strings.Contains(text, tc.answer) {
				t.Errorf("column %d does not show %q and %q:\n%s", tc.col, tc.title, tc.answer, text)
			}
		}
		if strings.Contains(column(1)+column(2), "VISIBLE") {
			t.Errorf("Fernet or HTTPS shown as VISIBLE")
		}
		// The secret is lit up in the plaintext column.
		if !hs.scrollUntilStyle(styleSecret) {
			t.Errorf("the secret is not highlighted in the comparison")
		}
		hs.press("<Esc>")
		if hs.a.topOverlay() != nil {
			t.Errorf("Esc did not close the comparison")
		}
	})
}

// scrollUntilStyle scrolls the top overlay down until a cell has style st.
func (hs *harness) scrollUntilStyle(st tcell.Style) bool {
	for i := 0; i < 60; i++ {
		cells, _, _ := hs.sim.GetContents()
		for _, c := range cells {
			if c.Style == st {
				return true
			}
		}
		hs.press("<PgDn>")
	}
	return false
}

// TestHelpListsEveryKey opens ? and checks it lists every keymap's keys.
func TestHelpListsEveryKey(t *testing.T) {
	forEachSize(t, func(t *testing.T, w, h int) {
		hs := newHarness(t, w, h, packets.Options{}, Options{})
		hs.press("?")
		hs.mustSee("wiretap view: keys")
		hs.mustSee("Everywhere")
		hv := hs.a.topOverlay().(*helpView)
		var all []string
		for _, l := range hv.lines {
			all = append(all, l.segs[0].text)
		}
		text := strings.Join(strings.Fields(strings.Join(all, " ")), " ")
		for _, m := range allKeymaps() {
			for _, b := range m.binds {
				if !strings.Contains(text, strings.Join(strings.Fields(b.help), " ")) {
					t.Errorf("help misses %v (%s)", b.keys, b.help)
				}
			}
		}
		// Scrolling reaches the end; q closes.
		hs.press("G")
		hs.mustSee("stay")
		hs.press("q")
		if hs.a.topOverlay() != nil || hs.a.Done() {
			t.Errorf("q in the help should close it, not quit")
		}
	})
}

// TestFilterProgress applies a filter at 80×24 on a capture with a long
// name: while it runs, the status line shows its progress, and after it
// the count shown (the file name gives way).
func TestFilterProgress(t *testing.T) {
	data, err := os.ReadFile(demoCapture)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "a-capture-with-a-rather-long-name-indeed.pcapng")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	hs := newHarnessOn(t, path, 80, 24, packets.Options{}, Options{})
	hs.press("/", "tcp.flags.syn == 1 && tcp.flags.ack == 1")
	// Enter without waiting: the job is still listed until the UI
	// goroutine hears it is done, as it is while a big file is filtered.
	hs.a.Key(tcell.KeyEnter, 0)
	hs.a.Draw()
	if s := hs.statusLine(); !strings.Contains(s, "filtering") {
		t.Errorf("status line %q does not show the filter's progress", s)
	}
	hs.settle()
	s := hs.statusLine()
	if strings.Contains(s, "filtering") || !strings.Contains(s, "shown 3") {
		t.Errorf("status line %q after filtering, want shown 3 and no progress", s)
	}
}

// TestFilterMilestones: the benchmark's trace gets each filter's first
// match drawn and its end, with the counts, once per filter applied.
func TestFilterMilestones(t *testing.T) {
	var trace bytes.Buffer
	hs := newHarness(t, 80, 24, packets.Options{}, Options{Trace: &trace})
	read := func() string {
		hs.a.mu.Lock()
		defer hs.a.mu.Unlock()
		s := trace.String()
		trace.Reset()
		return s
	}
	read()
	hs.press("/", "tcp.flags.syn == 1 && tcp.flags.ack == 1", "<Enter>")
	got := read()
	for _, want := range []string{"filter-first-match ", "packet 2, ", "filter-done ", "3 of 36 packets matched"} {
		if !strings.Contains(got, want) {
			t.Errorf("trace %q lacks %q", got, want)
		}
	}
	if strings.Index(got, "filter-first-match") > strings.Index(got, "filter-done") {
		t.Errorf("trace %q: the end before the first match", got)
	}
	// A filter that matches nothing: done, without a first match.
	hs.press("/", "<Ctrl-U>", "tcp.port == 1", "<Enter>")
	got = read()
	if strings.Contains(got, "filter-first-match") || !strings.Contains(got, "0 of 36 packets matched") {
		t.Errorf("trace %q, want only filter-done with 0 of 36", got)
	}
}

// TestCompareViewWithKeys: on a demo capture that carries its TLS keys,
// with the Fernet key, the comparison's second half says where the keys
// reveal the secret in the Fernet and HTTPS columns, at 80×24.
func TestCompareViewWithKeys(t *testing.T) {
	dir := oracletest.Testdata("decode", "tlsdecrypt", "demo")
	keyText, err := os.ReadFile(filepath.Join(dir, "fernet.key"))
	if err != nil {
		t.Fatal(err)
	}
	key, err := fernet.DecodeKey(strings.TrimSpace(string(keyText)))
	if err != nil {
		t.Fatal(err)
	}
	sopts := packets.Options{Secrets: [][]byte{[]byte("fluffy tail")},
		Decode: decode.Options{KeyLog: decode.NewKeyLog(), FernetKeys: []*fernet.Key{key}}}
	hs := newHarnessOn(t, filepath.Join(dir, "demo.pcapng"), 80, 24, sopts, Options{})
	hs.press("X")
	// (Wrapped at 80 columns: "with the keys: the secret," / "in frame N".)
	hs.mustSee("with the keys: the secret,")
	hs.mustSee("in frame 13")
	hs.mustSee("in frame 25")
}
