package tui

import (
	"context"
	"errors"
	"fmt"
	"math/bits"
	"strings"
	"time"

	"github.com/gdamore/tcell/v2"

	"wiretap/cmd/wiretap/tui/packets"
	"wiretap/decode"
	"wiretap/decode/dfilter"
)

// filterBar is the display filter, on the top line: green while what is
// typed compiles, red with the error in the status line when not. Enter
// applies it (matching runs in the background, matches appear as found),
// Esc clears it, Up/Down walk the history.
type filterBar struct {
	a       *App
	editing bool
	edit    lineEdit
	applied string
	err     error
	history []string
	hpos    int
	job     *job
	// For the benchmark's milestones: when the filter was applied, and
	// whether its first match and its end have been drawn.
	appliedAt               time.Time
	tracedFirst, tracedDone bool
}

var filterBarKeys = keymap{title: "Display filter bar (/ or f)", binds: append([]binding{
	{keys: []string{"Enter"}, help: "apply the filter (an empty one shows every packet)"},
	{keys: []string{"Esc"}, help: "clear the filter and close the bar"},
	{keys: []string{"Up", "Down"}, help: "earlier / later filters"},
}, editKeys...)}

func (f *filterBar) open() {
	f.editing = true
	f.edit.set(f.applied)
	f.hpos = len(f.history)
	f.validate()
}

func (f *filterBar) validate() {
	f.err = nil
	if text := strings.TrimSpace(f.edit.String()); text != "" {
		_, f.err = dfilter.Compile(text)
	}
}

func (f *filterBar) key(ev *tcell.EventKey) {
	switch keyName(ev) {
	case "Enter":
		f.apply()
		return
	case "Esc":
		f.edit.set("")
		f.apply()
		return
	case "Up":
		if f.hpos > 0 {
			f.hpos--
			f.edit.set(f.history[f.hpos])
		}
	case "Down":
		if f.hpos < len(f.history)-1 {
			f.hpos++
			f.edit.set(f.history[f.hpos])
		} else {
			f.hpos = len(f.history)
			f.edit.set("")
		}
	default:
		f.edit.key(ev)
	}
	f.validate()
}

// apply puts the edited text in force.
func (f *filterBar) apply() {
	a := f.a
	f.validate()
	if f.err != nil {
		a.screen.Beep()
		f.editing = true
		return
	}
	f.editing = false
	text := strings.TrimSpace(f.edit.String())
	if text != "" && (len(f.history) == 0 || f.history[len(f.history)-1] != text) {
		f.history = append(f.history, text)
	}
	f.applied = text
	f.appliedAt, f.tracedFirst, f.tracedDone = time.Now(), false, false
	f.job.cancel()
	f.job = nil
	if text == "" {
		a.list.setView(view{frozen: a.list.view.frozen})
		a.list.resort()
		return
	}
	df, _ := dfilter.Compile(text)
	matches := &numList{}
	a.list.setView(view{filtered: matches, frozen: a.list.view.frozen})
	store := a.store
	// The list is drawn again at once when the first match is found and
	// when the matches fill it (else at the next tick, a few times a
	// second while the job runs).
	rows := max(a.lay.list.h, 1)
	found := func(before, after int) {
		if before == 0 || before < rows && after >= rows {
			a.post(func() {})
		}
	}
	f.job = a.startJob("filtering", func(j *job) func() {
		err := filterPackets(j, store, df, matches, found)
		return func() {
			if err != nil && !packets.IsStopped(err) {
				a.setMessage(err.Error(), true)
			}
			a.list.resort()
		}
	})
}

// filterPackets adds the packets df matches to matches, in order,
// calling found with the count before and after each addition. For a
// live capture it goes on with new packets until the job is cancelled.
func filterPackets(j *job, store *packets.Store, df *dfilter.Filter, matches *numList, found func(before, after int)) error {
	defer matches.finish()
	live := store.Progress().Live != nil
	next := 1
	for {
		total := store.Len()
		if err := store.WaitAnalysed(j.stop, total); err != nil {
			return err
		}
		_, covered := store.Analyzer()
		// Dissection is the cost: it runs on every core, and the matches
		// go to the list in order.
		if err := matchPackets(j, store, df, matches, found, next, covered); err != nil {
			return err
		}
		if j.stopped() {
			return nil
		}
		next = covered + 1
		j.progress(covered, covered)
		if !live {
			return nil
		}
		// Live: wait for more packets (a fast pass over all of them is
		// re-run for each batch; at most once a second).
		for store.Len() < next {
			select {
			case <-j.stop:
				return nil
			case <-time.After(time.Second):
			}
			if p := store.Progress(); p.Live != nil && p.Live.Done && store.Len() < next {
				return nil
			}
		}
	}
}

// matchChunk is how many packets in a row one piece of the parallel
// pass dissects: their bytes are read at once, and the matches come back
// as a bit mask. The first pieces are smaller (1, 2, 4… packets: a
// worker's batch is 256 pieces), so the first matches are on screen
// soon.
const matchChunk = 64

// matchHook, when set (by tests), runs in the filter's workers before
// each chunk from packet first: a panic in it stands for a bug there.
var matchHook func(first int)

// matchPackets adds the packets from..to that df matches to matches, in
// order (calling found with the count before and after each addition),
// reporting progress to j. It ends early, with nil, when j is cancelled.
func matchPackets(j *job, store *packets.Store, df *dfilter.Filter, matches *numList, found func(before, after int), from, to int) error {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-j.stop:
			cancel()
		case <-ctx.Done():
		}
	}()
	// The pass goes over chunks of packets in a row: the workers'
	// batches are then runs of the file.
	n, pieces := from, 0
	next := func() ([2]int, bool) {
		if n > to {
			return [2]int{}, false
		}
		size := min(matchChunk, 1<<min(pieces/256, 6))
		pieces++
		first, last := n, min(n+size-1, to)
		n = last + 1
		return [2]int{first, last}, true
	}
	type result struct {
		first int
		hits  uint64 // bit i: packet first+i matches
		last  int    // the last packet looked at
		err   error  // why the chunk stopped before its end
	}
	want := decode.WantFields(df.Fields())
	work := func(chunk [2]int) (result, error) {
		first := chunk[0]
		if matchHook != nil {
			matchHook(first)
		}
		r := result{first: first, last: first - 1}
		// A read error still hands on the matches before it: it is
		// returned by emit, after them, as for a packet at a time.
		r.err = store.EachFor(want, first, chunk[1], func(n int, p *decode.Packet) error {
			if df.Match(p) {
				r.hits |= 1 << (n - first)
			}
			r.last = n
			return nil
		})
		return r, nil
	}
	var batch [matchChunk]uint32
	emit := func(r result) error {
		if r.hits != 0 {
			hits := batch[:0]
			for h := r.hits; h != 0; h &= h - 1 {
				hits = append(hits, uint32(r.first+bits.TrailingZeros64(h)))
			}
			found(matches.add(hits...))
		}
		j.progress(r.last, to)
		return r.err
	}
	j.progress(from, to)
	err := decode.DissectOrdered(ctx, next, work, emit)
	if errors.Is(err, context.Canceled) && j.stopped() {
		return nil
	}
	return err
}

func (f *filterBar) draw(c canvas, r rect) {
	label := " Filter: "
	c.text(r.x, r.y, r.w, label, styleHeader)
	x := r.x + len(label)
	w := r.w - len(label)
	switch {
	case f.editing:
		st := styleValid
		if f.err != nil {
			st = styleError
		} else if strings.TrimSpace(f.edit.String()) == "" {
			st = styleNormal.Reverse(true)
		}
		f.edit.draw(c, x, r.y, w, st, true)
	case f.applied != "":
		c.line(x, r.y, w, f.applied, styleValid)
	default:
		c.line(x, r.y, w, "(none) · / filter · ? help", styleDim.Reverse(true))
	}
}

// filterErrorText is the filter error as the status line shows it: what
// is wrong (a suggestion first), where last: 80 columns may cut the end.
func filterErrorText(err error) string {
	var dfe *dfilter.Error
	if !errors.As(err, &dfe) {
		return err.Error()
	}
	s := dfe.Msg
	if len(dfe.Suggestions) > 0 {
		// The way out first: the message may not fit.
		s = "did you mean " + strings.Join(dfe.Suggestions, ", ") + "? " + s
	} else if dfe.Token != "" {
		s += ": " + dfe.Token
	}
	return fmt.Sprintf("%s (column %d)", s, dfe.Column)
}
