package tui

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gdamore/tcell/v2"

	"wiretap/cmd/wiretap/tui/packets"
	"wiretap/decode"
)

// TestSortByClickingHeader sorts by Length with a click on its header,
// then reverses with a second click.
func TestSortByClickingHeader(t *testing.T) {
	hs := newHarness(t, 120, 30, packets.Options{}, Options{})
	x, y := hs.mustSee("Length")
	click := func() {
		hs.a.HandleEvent(tcell.NewEventMouse(x, y, tcell.Button1, 0))
		hs.a.HandleEvent(tcell.NewEventMouse(x, y, tcell.ButtonNone, 0))
		hs.a.Draw()
		hs.settle()
	}
	click()
	hs.press("<Home>") // the sort keeps the selected packet in view; go to the top
	if rows := hs.listRows(); len(rows) == 0 || rows[0] != "33" {
		t.Fatalf("sorted by length, the first row is %v, want 33 (the 54-byte RST):\n%s", rows, hs.screen())
	}
	hs.mustSee("Length▲")
	click()
	hs.press("<Home>")
	if rows := hs.listRows(); rows[0] != "20" {
		t.Errorf("sorted by length descending, the first row is %s, want 20 (2656 bytes)", rows[0])
	}
	hs.mustSee("Length▼")
}

// TestSearch finds the secret in the packet bytes with Ctrl-F, then the
// HTTP request line in the details.
func TestSearch(t *testing.T) {
	tests := []struct {
		name     string
		keys     []string
		packet   int
		lit      bool   // the match is lit in the bytes pane
		selected string // the details line selected
	}{
		{"string in bytes", []string{"<Ctrl-F>", "<Backtab>", "<Backtab>", "fluffy tail", "<Enter>"}, 6, true, ""},
		{"hex", []string{"<Ctrl-F>", "<Tab>", "66 6c 75 66 66 79", "<Enter>"}, 6, true, ""},
		{"regex in details", []string{"<Ctrl-F>", "<Backtab>", "<Tab>", "<Tab>", "request uri: /$", "<Enter>"}, 4, false, "Request URI: /"},
		{"display filter", []string{"<Ctrl-F>", "<Tab>", "<Tab>", "<Tab>", "http.response.code == 200", "<Enter>", "", "n"}, 13, false, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			hs := newHarness(t, 80, 24, packets.Options{}, Options{})
			for _, k := range tc.keys {
				hs.press(k) // one at a time: n repeats a search that has finished
			}
			if hs.a.list.selected != tc.packet {
				t.Fatalf("search selected packet %d, want %d:\n%s", hs.a.list.selected, tc.packet, hs.screen())
			}
			if lit := hs.a.bytes.found.n > 0; lit != tc.lit {
				t.Errorf("bytes lit: %v, want %v", lit, tc.lit)
			}
			if tc.selected != "" {
				if f := hs.a.details.selected(); f == nil || f.Label != tc.selected {
					t.Errorf("details selection %v, want %q", f, tc.selected)
				}
				hs.mustSee(tc.selected)
			}
		})
	}
}

// TestConversationsFilter opens the conversations, picks stream 1 and
// gets its ten packets.
func TestConversationsFilter(t *testing.T) {
	hs := newHarness(t, 80, 24, packets.Options{}, Options{})
	hs.press("C")
	hs.mustSee("TCP conversations: 3")
	hs.mustSee("127.0.0.1:43592")
	hs.press("<Down>", "<Enter>")
	if hs.a.filter.applied != "tcp.stream == 1" {
		t.Fatalf("filter %q after Enter on stream 1", hs.a.filter.applied)
	}
	if got := strings.Join(hs.listRows(), " "); !strings.HasPrefix(got, "8 9 10 11 12 13 14") {
		t.Errorf("stream 1 shows %q", got)
	}
	if !strings.Contains(hs.statusLine(), "shown 10") {
		t.Errorf("status %q, want 10 shown", hs.statusLine())
	}
}

// TestHierarchy counts protocols as -z io,phs does.
func TestHierarchy(t *testing.T) {
	hs := newHarness(t, 80, 24, packets.Options{}, Options{})
	hs.press("P")
	hs.mustSee("Protocol hierarchy of 36 packets")
	_, y := hs.mustSee("  http ")
	if l := hs.lines()[y]; !strings.Contains(l, "11.1%") || !strings.Contains(l, " 4 ") {
		t.Errorf("http line %q, want 4 packets, 11.1%%", l)
	}
}

// TestResizeAndSmallScreens resizes down to sizes too small for three
// panes and back: nothing panics and the list is still there.
func TestResizeAndSmallScreens(t *testing.T) {
	hs := newHarness(t, 80, 24, packets.Options{}, Options{})
	for _, sz := range []struct{ w, h int }{{40, 10}, {20, 5}, {1, 1}, {0, 0}, {200, 50}, {80, 24}} {
		hs.sim.SetSize(sz.w, sz.h)
		hs.a.HandleEvent(tcell.NewEventResize(sz.w, sz.h))
		hs.press("<Down>", "F", "<Esc>", "X", "<Esc>", "?", "<Esc>")
	}
	hs.mustSee("No.")
}

// TestMouseSelectsAndToggles clicks a row, then a tree line's marker.
func TestMouseSelectsAndToggles(t *testing.T) {
	hs := newHarness(t, 80, 24, packets.Options{}, Options{})
	l := hs.a.lay.list
	hs.a.HandleEvent(tcell.NewEventMouse(20, l.y+3, tcell.Button1, 0))
	hs.a.HandleEvent(tcell.NewEventMouse(20, l.y+3, tcell.ButtonNone, 0))
	hs.a.Draw()
	if hs.a.list.selected != 4 {
		t.Fatalf("clicking the 4th row selected packet %d", hs.a.list.selected)
	}
	x, y := hs.mustSee("▶ Hypertext Transfer Protocol")
	hs.a.HandleEvent(tcell.NewEventMouse(x, y, tcell.Button1, 0))
	hs.a.HandleEvent(tcell.NewEventMouse(x, y, tcell.ButtonNone, 0))
	hs.a.Draw()
	hs.mustSee("▼ Hypertext Transfer Protocol")
	if hs.a.focus != paneDetails {
		t.Errorf("a click in the details did not focus them")
	}
}

// TestDemoOpensCompare is what `wiretap demo` shows: the comparison first.
func TestDemoOpensCompare(t *testing.T) {
	hs := newHarness(t, 80, 24, packets.Options{Secrets: [][]byte{[]byte("fluffy tail")}}, Options{Compare: true})
	hs.mustSee("secret VISIBLE in frame 6")
	hs.press("<Esc>")
	hs.mustSee("No.")
	// With --secret, the packet that shows it carries the red mark.
	_, y := hs.mustSee("   6 ")
	if !strings.HasPrefix(hs.lines()[y], "●") {
		t.Errorf("packet 6 has no secret mark: %q", hs.lines()[y])
	}
}

// finiScreen records that the terminal was restored.
type finiScreen struct {
	tcell.SimulationScreen
	finished bool
}

func (s *finiScreen) Fini() {
	s.finished = true
	s.SimulationScreen.Fini()
}

// TestPanicRestoresTerminal panics in a background goroutine: RunOn
// restores the terminal and returns the panic as an error.
func TestPanicRestoresTerminal(t *testing.T) {
	store, err := packets.OpenFile(demoCapture, nil, packets.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	screen := &finiScreen{SimulationScreen: tcell.NewSimulationScreen("UTF-8")}
	done := make(chan error, 1)
	go func() { done <- RunOn(screen, Options{Store: store}) }()
	time.Sleep(50 * time.Millisecond)
	store.Go(func() { panic("boom") })
	select {
	case err = <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the viewer did not stop after a panic")
	}
	if pe, ok := errors.AsType[*decode.PanicError](err); !ok || pe.Value != "boom" {
		t.Errorf("err = %v", err)
	}
	if !screen.finished {
		t.Errorf("the terminal was not restored")
	}
}

// TestFilterWorkerPanic: a panic in one of the display filter's workers
// (decode.DissectOrdered's goroutines, under a Store job) restores the
// terminal and comes back from RunOn as one *decode.PanicError, whose
// message is one line (no stack trace) naming the panic and its site.
func TestFilterWorkerPanic(t *testing.T) {
	store, err := packets.OpenFile(demoCapture, nil, packets.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	matchHook = func(int) { panic("injected filter fault") }
	defer func() { matchHook = nil }()
	screen := &finiScreen{SimulationScreen: tcell.NewSimulationScreen("UTF-8")}
	screen.SetSize(80, 24)
	done := make(chan error, 1)
	go func() { done <- RunOn(screen, Options{Store: store, Filter: "tcp"}) }()
	select {
	case err = <-done:
	case <-time.After(30 * time.Second): // a hang guard, not a speed test
		t.Fatal("the viewer did not stop after a filter worker panicked")
	}
	pe, ok := errors.AsType[*decode.PanicError](err)
	if !ok || pe.Value != "injected filter fault" || strings.Contains(err.Error(), "\n") ||
		!strings.Contains(err.Error(), "(at tui.") {
		t.Errorf("err = %q, want one line: the *decode.PanicError of the injected panic and its site", err)
	}
	if !screen.finished {
		t.Errorf("the terminal was not restored")
	}
}

// TestQuitWithQ runs the real event loop and quits with q.
func TestQuitWithQ(t *testing.T) {
	store, err := packets.OpenFile(demoCapture, nil, packets.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	screen := tcell.NewSimulationScreen("UTF-8")
	done := make(chan error, 1)
	go func() { done <- RunOn(screen, Options{Store: store}) }()
	time.Sleep(50 * time.Millisecond)
	screen.InjectKey(tcell.KeyRune, 'q', tcell.ModNone)
	select {
	case err = <-done:
		if err != nil {
			t.Error(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("q did not quit")
	}
}

// TestReadErrorInStatusLine opens a capture cut short: the packets before
// the cut are listed and the error is in the status line, not a crash.
func TestReadErrorInStatusLine(t *testing.T) {
	data, err := os.ReadFile(demoCapture)
	if err != nil {
		t.Fatal(err)
	}
	cut := filepath.Join(t.TempDir(), "cut.pcapng")
	if err := os.WriteFile(cut, data[:len(data)-150], 0o644); err != nil {
		t.Fatal(err)
	}
	store, err := packets.OpenFile(cut, nil, packets.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	sim := tcell.NewSimulationScreen("UTF-8")
	sim.Init()
	defer sim.Fini()
	sim.SetSize(100, 30)
	hs := &harness{t: t, a: New(sim, Options{Store: store}), sim: sim}
	hs.settle()
	if s := hs.statusLine(); !strings.Contains(s, "truncated") || bgOf(hs.style(1, 29)) != bgOf(styleError) {
		t.Errorf("status line %q does not report the truncated file", s)
	}
	if n := store.Len(); n < 30 || n >= 36 {
		t.Errorf("%d packets listed before the cut, want the 30-odd before it", n)
	}
	hs.press("G", "F") // still usable
	hs.mustSee("Follow TCP stream")
}

// TestEscThenKeyAsAlt takes an Alt-key (what a terminal sends for Esc and
// a key typed fast) as Esc then the key: Esc q from the follow view closes
// it and quits.
func TestEscThenKeyAsAlt(t *testing.T) {
	hs := newHarness(t, 80, 24, packets.Options{}, Options{})
	hs.selectPacket(4)
	hs.press("F")
	hs.mustSee("Follow TCP stream 0")
	hs.a.HandleEvent(tcell.NewEventKey(tcell.KeyRune, 'q', tcell.ModAlt))
	if hs.a.topOverlay() != nil || !hs.a.Done() {
		t.Errorf("Alt-q: overlay %T, quit %v; want closed and quit", hs.a.topOverlay(), hs.a.Done())
	}
}

// TestFilterHistory walks back through applied filters with Up.
func TestFilterHistory(t *testing.T) {
	hs := newHarness(t, 80, 24, packets.Options{}, Options{})
	hs.press("/", "http", "<Enter>", "/", "<Ctrl-U>", "tcp.port == 5684", "<Enter>")
	if got := len(hs.listRows()); got != min(10, hs.a.lay.list.h) {
		t.Fatalf("tcp.port == 5684 shows %d rows", got)
	}
	hs.press("/", "<Up>", "<Up>")
	if got := hs.a.filter.edit.String(); got != "http" {
		t.Errorf("Up Up gives %q, want the first filter, http", got)
	}
	hs.press("<Down>")
	if got := hs.a.filter.edit.String(); got != "tcp.port == 5684" {
		t.Errorf("Down gives %q", got)
	}
	hs.press("<Enter>")
	hs.mustSee("tcp.port == 5684")
}

// TestFollowModes switches the follow view between ASCII, hex dump and raw.
func TestFollowModes(t *testing.T) {
	hs := newHarness(t, 100, 30, packets.Options{}, Options{})
	hs.selectPacket(4)
	hs.press("F", "x")
	hs.mustSee("(hex dump)")
	hs.mustSee("00000000  47 45 54 20 2f 20 48 54  54 50 2f 31 2e 31 0d 0a  GET / HTTP/1.1..")
	hs.press("r")
	hs.mustSee("(raw)")
	hs.mustSee("474554202f20485454502f312e310d0a")
	hs.press("a")
	hs.mustSee("User-Agent: Go-http-client/1.1")
}
