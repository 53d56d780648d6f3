package tui

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/gdamore/tcell/v2"

	"wiretap/capture/oracletest"
	"wiretap/cmd/wiretap/tui/packets"
)

// demoCapture is the demo's capture, kept with decode's oracle captures
// (see decode/testdata/SOURCES): plaintext HTTP on 5683 (frames 1–7,
// 26–28), Fernet on 5684, HTTPS on 5685; the secret "fluffy tail" is
// readable in frame 6 only.
var demoCapture = oracletest.Testdata("decode", "oracle", "demo.pcapng")

// sizes are the terminal sizes every screen test runs at: the smallest
// the viewer promises to work at, and a large one.
var sizes = []struct{ w, h int }{{80, 24}, {200, 50}}

// harness is a viewer on a simulated terminal.
type harness struct {
	t   *testing.T
	a   *App
	sim tcell.SimulationScreen
}

func newHarness(t *testing.T, w, h int, sopts packets.Options, opts Options) *harness {
	t.Helper()
	return newHarnessOn(t, demoCapture, w, h, sopts, opts)
}

// newHarnessOn is newHarness on the capture at path.
func newHarnessOn(t *testing.T, path string, w, h int, sopts packets.Options, opts Options) *harness {
	t.Helper()
	store, err := packets.OpenFile(path, nil, sopts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	sim := tcell.NewSimulationScreen("UTF-8")
	if err := sim.Init(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sim.Fini)
	sim.SetSize(w, h)
	opts.Store = store
	hs := &harness{t: t, a: New(sim, opts), sim: sim}
	hs.settle()
	return hs
}

// forEachSize runs fn as a subtest at each of the sizes.
func forEachSize(t *testing.T, fn func(t *testing.T, w, h int)) {
	for _, sz := range sizes {
		t.Run(fmt.Sprintf("%dx%d", sz.w, sz.h), func(t *testing.T) { fn(t, sz.w, sz.h) })
	}
}

func (hs *harness) settle() {
	hs.t.Helper()
	if err := hs.a.Settle(20 * time.Second); err != nil {
		hs.t.Fatal(err)
	}
}

// press sends keys: runes as typed; names in angle brackets for special
// keys ("<Enter>", "<Down>", "<Ctrl-F>"). It settles and draws after.
func (hs *harness) press(keys ...string) {
	hs.t.Helper()
	for _, k := range keys {
		if strings.HasPrefix(k, "<") && strings.HasSuffix(k, ">") {
			name := k[1 : len(k)-1]
			key, ok := keyByName(name)
			if !ok {
				hs.t.Fatalf("no key %q", name)
			}
			hs.a.Key(key, 0)
		} else {
			hs.a.Type(k)
		}
		hs.a.Draw()
	}
	hs.settle()
}

func keyByName(name string) (tcell.Key, bool) {
	for k, n := range tcell.KeyNames {
		if n == name {
			return k, true
		}
	}
	return 0, false
}

// lines returns the screen as text, one string per row.
func (hs *harness) lines() []string {
	cells, w, h := hs.sim.GetContents()
	out := make([]string, h)
	for y := 0; y < h; y++ {
		var sb strings.Builder
		for x := 0; x < w; x++ {
			r := cells[y*w+x].Runes
			if len(r) == 0 {
				sb.WriteByte(' ')
			} else {
				sb.WriteRune(r[0])
			}
		}
		out[y] = sb.String()
	}
	return out
}

func (hs *harness) screen() string { return strings.Join(hs.lines(), "\n") }

// find returns where text first appears on screen.
func (hs *harness) find(text string) (x, y int, ok bool) {
	for y, l := range hs.lines() {
		if i := strings.Index(l, text); i >= 0 {
			return len([]rune(l[:i])), y, true
		}
	}
	return 0, 0, false
}

func (hs *harness) mustSee(text string) (x, y int) {
	hs.t.Helper()
	x, y, ok := hs.find(text)
	if !ok {
		hs.t.Fatalf("%q is not on the screen:\n%s", text, hs.screen())
	}
	return x, y
}

func (hs *harness) style(x, y int) tcell.Style {
	cells, w, _ := hs.sim.GetContents()
	return cells[y*w+x].Style
}

// statusLine is the bottom row.
func (hs *harness) statusLine() string {
	l := hs.lines()
	return l[len(l)-1]
}

// listRows returns the packet numbers the list shows, top to bottom.
func (hs *harness) listRows() []string {
	var out []string
	l := hs.a.lay.list
	lines := hs.lines()
	for y := l.y; y < l.y+l.h; y++ {
		f := strings.Fields(lines[y])
		if len(f) == 0 {
			continue
		}
		if f[0] == "●" && len(f) > 1 {
			f = f[1:]
		}
		out = append(out, f[0])
	}
	return out
}

// selectPacket moves the list selection to packet n with the arrow keys.
func (hs *harness) selectPacket(n int) {
	hs.t.Helper()
	hs.press("<Home>")
	for i := 1; i < n; i++ {
		hs.press("<Down>")
	}
	if hs.a.list.selected != n {
		hs.t.Fatalf("selected packet %d, want %d", hs.a.list.selected, n)
	}
}
