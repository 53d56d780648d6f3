// Package tui is wiretap's terminal viewer: Wireshark's three panes (packet
// list, details tree, bytes) over a packets.Store, with a display-filter
// bar, search, follow stream, conversations, protocol hierarchy and the
// side-by-side comparison of the demo's three ways to send a secret.
//
// It is built on tcell directly rather than tview: the list is virtual
// (a million rows, each dissected only when it is on screen), and the
// whole UI is a plain state machine — HandleEvent, then Draw — that tests
// drive synchronously on a SimulationScreen, while background work (the
// fast pass, filters, searches) posts its results to the UI goroutine.
package tui

import (
	"fmt"
	"io"
	"os"
	"os/signal"

	"sync"
	"syscall"
	"time"

	"github.com/gdamore/tcell/v2"

	"wiretap/cmd/wiretap/tui/packets"
	"wiretap/decode"
)

// Options configure the viewer.
type Options struct {
	Store *packets.Store
	// Filter is applied at start (-Y).
	Filter string
	// Compare opens the comparison view at start (what `wiretap demo` shows).
	Compare bool
	// CompareSecret is what the comparison looks for; default the Store's
	// first secret, else the demo's "fluffy tail".
	CompareSecret []byte
	// Trace, if set, gets one line per milestone ("first-screen",
	// "indexed", "analysed"; for each display filter applied,
	// "filter-first-match" and "filter-done") with the seconds since
	// Start, for the viewer's benchmark.
	Trace io.Writer
	// Start is when the command started (for Trace); default now.
	Start time.Time
}

// pane identifies the three main panes.
type pane int

const (
	paneList pane = iota
	paneDetails
	paneBytes
)

// App is the viewer's state. All of it belongs to the UI goroutine; other
// goroutines reach it only through post.
type App struct {
	screen tcell.Screen
	store  *packets.Store
	opts   Options
	w, h   int
	lay    layout
	focus  pane

	list    *listPane
	details *detailsPane
	bytes   *bytesPane
	filter  *filterBar
	search  *searchBar
	prompt  *promptBar // a one-line question (save as…)

	overlays []overlay

	msg         string // the status line's message, until the next key
	msgError    bool
	paused      bool // live: the display is frozen (the capture goes on)
	lastButtons tcell.ButtonMask
	quit        bool
	storeGen    int

	jobs    map[*job]bool
	updates chan func()
	closed  chan struct{} // closed when the loop ends: posts are dropped
	once    sync.Once
	snapJob *job       // live: a fast pass over the packets so far, for final trees
	mu      sync.Mutex // guards traceDone, written from store goroutines too
	traced  map[string]bool
}

// New makes a viewer drawing on screen (already initialised, or a
// SimulationScreen in tests).
func New(screen tcell.Screen, opts Options) *App {
	if opts.Start.IsZero() {
		opts.Start = time.Now()
	}
	a := &App{screen: screen, store: opts.Store, opts: opts, jobs: map[*job]bool{},
		updates: make(chan func(), 256), closed: make(chan struct{}), traced: map[string]bool{}}
	a.list = newListPane(a)
	a.details = &detailsPane{a: a, expanded: map[string]bool{}}
	a.bytes = &bytesPane{a: a}
	a.filter = &filterBar{a: a}
	a.search = &searchBar{a: a}
	a.w, a.h = screen.Size()
	a.lay = computeLayout(a.w, a.h)
	if opts.Filter != "" {
		a.filter.edit.set(opts.Filter)
		a.filter.apply()
	}
	if opts.Compare {
		a.openCompare()
	}
	return a
}

// Run shows the viewer on the terminal until the user quits.
func Run(opts Options) error {
	screen, err := tcell.NewScreen()
	if err != nil {
		return fmt.Errorf("tui: %w", err)
	}
	return RunOn(screen, opts)
}

// RunOn is Run on a given screen. A panic in the UI or in a background
// goroutine restores the terminal first and is returned as a
// *decode.PanicError (where it happened, its stack kept out of the
// message), so the shell is left usable.
func RunOn(screen tcell.Screen, opts Options) (err error) {
	if err := screen.Init(); err != nil {
		return fmt.Errorf("tui: %w", err)
	}
	defer func() {
		if r := recover(); r != nil {
			screen.Fini()
			err = decode.NewPanicError(r, "the viewer")
		}
	}()
	screen.EnableMouse()
	screen.EnablePaste()
	a := New(screen, opts)
	defer a.Close()
	err = a.Loop()
	screen.Fini()
	return err
}

// Close cancels the background jobs; what they post after is dropped, so
// none of them can hold up closing the Store.
func (a *App) Close() {
	a.once.Do(func() {
		close(a.closed)
		for j := range a.jobs {
			j.cancel()
		}
	})
}

// Loop handles events until the user quits.
func (a *App) Loop() error {
	events := make(chan tcell.Event, 64)
	stopEvents := make(chan struct{})
	go a.screen.ChannelEvents(events, stopEvents)
	defer close(stopEvents)
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGHUP)
	defer signal.Stop(sigs)
	// Redraws for the Store's news (hundreds a second while indexing a
	// big file) are held to one per frame, so drawing does not slow the
	// indexing it shows; keys and results draw at once.
	const frame = 50 * time.Millisecond
	tick := time.NewTicker(frame)
	defer tick.Stop()
	lastDraw, pending := time.Time{}, false
	draw := func() {
		a.Draw()
		lastDraw, pending = time.Now(), false
	}
	draw()
	for !a.quit {
		select {
		case ev, ok := <-events:
			if !ok {
				return nil
			}
			a.HandleEvent(ev)
			draw()
		case fn := <-a.updates:
			fn()
			draw()
		case <-a.store.Changed():
			if time.Since(lastDraw) >= frame {
				draw()
			} else {
				pending = true
			}
		case perr := <-a.store.Panics():
			panic(perr)
		case <-tick.C:
			// Progress and live counters change without news: a few
			// times a second is enough.
			if pending || (a.busy() || a.store.Progress().Live != nil) && time.Since(lastDraw) >= 4*frame {
				draw()
			}
		case <-sigs:
			return nil
		}
	}
	return nil
}

// post runs fn on the UI goroutine (from any goroutine); after Close it
// is dropped.
func (a *App) post(fn func()) {
	select {
	case a.updates <- fn:
	case <-a.closed:
	}
}

// Pump runs what background work has posted, without waiting. Tests call
// it (through Settle) instead of running Loop.
func (a *App) Pump() {
	for {
		select {
		case fn := <-a.updates:
			fn()
		case perr := <-a.store.Panics():
			panic(perr)
		default:
			return
		}
	}
}

// Settle waits until background work is done (the fast pass, the secret
// search, filters, searches), running what it posts, then draws. For tests.
func (a *App) Settle(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		a.Pump()
		if !a.busy() {
			a.Pump()
			a.Draw()
			return nil
		}
		if time.Now().After(deadline) {
			a.Draw()
			return fmt.Errorf("tui: still busy after %s", timeout)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// busy reports whether anything is still being worked on.
func (a *App) busy() bool {
	if len(a.jobs) > 0 {
		return true
	}
	return !a.store.Progress().Idle
}

// HandleEvent applies one terminal event.
func (a *App) HandleEvent(ev tcell.Event) {
	switch ev := ev.(type) {
	case *tcell.EventResize:
		a.screen.Sync()
		a.w, a.h = a.screen.Size()
		a.lay = computeLayout(a.w, a.h)
	case *tcell.EventKey:
		a.msg, a.msgError = "", false
		if ev.Key() == tcell.KeyRune && ev.Modifiers()&tcell.ModAlt != 0 {
			// Esc and a key typed fast arrive as one Alt-key: the viewer
			// binds no Alt keys, so take it as the two.
			a.handleKey(tcell.NewEventKey(tcell.KeyEsc, 0, tcell.ModNone))
			ev = tcell.NewEventKey(tcell.KeyRune, ev.Rune(), tcell.ModNone)
		}
		a.handleKey(ev)
	case *tcell.EventMouse:
		a.handleMouse(ev)
	case *tcell.EventPaste:
		// Pasted text arrives as ordinary keys between the start and end
		// events; nothing to do.
	}
}

// Key is HandleEvent for a key, for tests: a rune, or a special key.
func (a *App) Key(k tcell.Key, r rune) {
	a.HandleEvent(tcell.NewEventKey(k, r, tcell.ModNone))
}

// Type sends each rune of s as a key press.
func (a *App) Type(s string) {
	for _, r := range s {
		a.Key(tcell.KeyRune, r)
	}
}

// setMessage shows text in the status line until the next key.
func (a *App) setMessage(text string, isError bool) {
	a.msg, a.msgError = text, isError
}

// trace writes a milestone for the benchmark, once.
func (a *App) trace(event string, detail string) {
	if a.opts.Trace == nil {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.traced[event] {
		return
	}
	a.traced[event] = true
	fmt.Fprintf(a.opts.Trace, "%s %.3f %s\n", event, time.Since(a.opts.Start).Seconds(), detail)
}

// traceAgain writes a milestone that may happen more than once (each
// filter applied has its first match and its end).
func (a *App) traceAgain(event string, detail string) {
	if a.opts.Trace == nil {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	fmt.Fprintf(a.opts.Trace, "%s %.3f %s\n", event, time.Since(a.opts.Start).Seconds(), detail)
}

// Quit asks to leave: at once, unless a live capture would be lost or its
// -w file failed to be written.
func (a *App) Quit() {
	if q := writeFailed(a); q != nil {
		a.pushOverlay(q)
		return
	}
	if a.store.Unsaved() {
		a.pushOverlay(newConfirmQuit(a))
		return
	}
	a.quit = true
}

// Done reports whether the user has quit.
func (a *App) Done() bool { return a.quit }
