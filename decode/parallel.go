package decode

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
)

// orderedBatchLen is how many inputs go to a worker at a time: enough that
// handing them over costs little next to dissecting them.
const orderedBatchLen = 256

// Ordered is the ordered parallel second pass: work runs on every core over
// the inputs given to Add, and emit gets the results one at a time, in the
// order the inputs were added. work is typically Analyzer.Dissect (safe
// from several goroutines once Finish has run) and what a command makes of
// the packet; emit prints or collects it in capture order.
//
// Memory stays bounded: inputs go to the workers in batches, and Add
// blocks while 2×GOMAXPROCS batches wait for their turn to be emitted.
//
// Ordered stops early when work returns an error (the results before that
// input are emitted; the error is the one Wait returns), when emit returns
// an error, when ctx is done, or when work or emit panics. Add then returns
// that error, dropping its input, and nothing more is emitted. A panic is
// recovered in its goroutine, so it cannot kill the process from a
// goroutine the caller cannot guard, and Wait panics with it (a
// *PanicError) in the caller's goroutine.
//
// work runs on several goroutines at once; emit runs on one goroutine (not
// the caller's), one result at a time. Add and Wait are for one goroutine,
// and Wait must be called once the inputs are added.
type Ordered[In, Out any] struct {
	batchLen int // inputs a batch
	ctx      context.Context
	work     func(In) (Out, error)
	emit     func(Out) error
	cur      *orderedBatch[In, Out]
	workCh   chan *orderedBatch[In, Out] // to the workers
	orderCh  chan *orderedBatch[In, Out] // to the emitter, in input order
	free     chan *orderedBatch[In, Out] // emitted, for Add to fill again
	wg       sync.WaitGroup
	stopped  atomic.Bool

	mu       sync.Mutex
	err      error       // why it stopped (the first reason)
	panicked *PanicError // the first panic, which Wait passes on
}

type orderedBatch[In, Out any] struct {
	in   []In
	out  []Out
	n    int   // results out[:n] are done
	err  error // what work returned for in[n], if it failed
	done chan struct{}
}

// PanicError is a panic in one of decode's goroutines, recovered there:
// Ordered's Wait panics with it in the caller's goroutine, and the fast
// pass's application stage reports it (Analyzer.Err).
type PanicError struct {
	Value any    // what was passed to panic
	Stack []byte // the stack of the goroutine that panicked
	// Site is where it panicked: the innermost function outside the
	// runtime, as "pkg.Func (file.go:line)".
	Site string
	// In names the goroutine's job, for the message.
	In string
}

func (e *PanicError) Error() string {
	msg := fmt.Sprintf("panic in %s: %v", e.In, e.Value)
	if e.Site != "" {
		msg += " (at " + e.Site + ")"
	}
	return msg
}

// NewPanicError is r, recovered by a function deferred in the goroutine
// that panicked (its stack is still the panicking one's), as a
// *PanicError; in names the goroutine's job. An r that is one already
// (passed on from another goroutine) is returned as it is.
func NewPanicError(r any, in string) *PanicError {
	if pe, ok := r.(*PanicError); ok {
		return pe
	}
	return &PanicError{Value: r, Stack: debug.Stack(), Site: PanicSite(), In: in}
}

// PanicSite is the innermost frame outside the runtime below the panic,
// for a function deferred in a panicking goroutine.
func PanicSite() string {
	pc := make([]uintptr, 64)
	frames := runtime.CallersFrames(pc[:runtime.Callers(2, pc)])
	below := false // past runtime.gopanic: the frames that panicked
	for {
		f, more := frames.Next()
		switch {
		case f.Function == "runtime.gopanic":
			below = true
		case below && !strings.HasPrefix(f.Function, "runtime."):
			fn := f.Function[strings.LastIndex(f.Function, "/")+1:] // decode.(*T).m
			return fmt.Sprintf("%s (%s:%d)", fn, filepath.Base(f.File), f.Line)
		}
		if !more {
			return ""
		}
	}
}

// Unwrap returns the panic value if it is an error.
func (e *PanicError) Unwrap() error {
	err, _ := e.Value.(error)
	return err
}

// NewOrdered starts the workers (GOMAXPROCS of them) and the emitter.
func NewOrdered[In, Out any](ctx context.Context, work func(In) (Out, error), emit func(Out) error) *Ordered[In, Out] {
	return NewOrderedBatches(ctx, orderedBatchLen, work, emit)
}

// NewOrderedBatches is NewOrdered handing the workers batchLen inputs at a
// time: 1 when each input is a batch of its own already.
func NewOrderedBatches[In, Out any](ctx context.Context, batchLen int, work func(In) (Out, error), emit func(Out) error) *Ordered[In, Out] {
	workers := runtime.GOMAXPROCS(0)
	o := &Ordered[In, Out]{
		batchLen: max(batchLen, 1),
		ctx:      ctx,
		work:     work,
		emit:     emit,
		workCh:   make(chan *orderedBatch[In, Out], 2*workers),
		orderCh:  make(chan *orderedBatch[In, Out], 2*workers),
		free:     make(chan *orderedBatch[In, Out], 4*workers),
	}
	o.cur = o.newBatch()
	o.wg.Add(workers + 1)
	for range workers {
		go func() {
			defer o.wg.Done()
			for b := range o.workCh {
				o.runBatch(b)
			}
		}()
	}
	go func() {
		defer o.wg.Done()
		for b := range o.orderCh {
			if o.stopped.Load() {
				continue // drain: the workers skip it too
			}
			<-b.done
			o.emitBatch(b)
		}
	}()
	return o
}

func (o *Ordered[In, Out]) newBatch() *orderedBatch[In, Out] {
	select {
	case b := <-o.free:
		b.n, b.err, b.done = 0, nil, make(chan struct{})
		return b
	default:
		return &orderedBatch[In, Out]{in: make([]In, 0, o.batchLen), done: make(chan struct{})}
	}
}

// Add queues in for work. It returns nil, or the error that stopped the
// pass (then in is dropped, and so is every later input).
func (o *Ordered[In, Out]) Add(in In) error {
	if o.stopped.Load() {
		return o.stopErr()
	}
	o.cur.in = append(o.cur.in, in)
	if len(o.cur.in) == o.batchLen {
		o.flush()
	}
	return nil
}

func (o *Ordered[In, Out]) flush() {
	if len(o.cur.in) == 0 {
		return
	}
	if err := o.ctx.Err(); err != nil {
		o.stop(err)
	}
	b := o.cur
	o.cur = o.newBatch()
	o.orderCh <- b
	o.workCh <- b
}

// Wait emits what is still queued, stops the goroutines and returns the
// error that stopped the pass early, or nil. If work or emit panicked, Wait
// panics with a *PanicError.
func (o *Ordered[In, Out]) Wait() error {
	err := o.wait()
	o.mu.Lock()
	p := o.panicked
	o.mu.Unlock()
	if p != nil {
		panic(p)
	}
	return err
}

func (o *Ordered[In, Out]) wait() error {
	if !o.stopped.Load() {
		o.flush()
	}
	close(o.workCh)
	close(o.orderCh)
	o.wg.Wait()
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.err
}

func (o *Ordered[In, Out]) stop(err error) {
	o.mu.Lock()
	if o.err == nil {
		o.err = err
	}
	o.mu.Unlock()
	o.stopped.Store(true)
}

func (o *Ordered[In, Out]) stopErr() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.panicked != nil {
		return o.panicked
	}
	return o.err
}

// recovered records a panic of the current goroutine, if there is one.
func (o *Ordered[In, Out]) recovered(r any) {
	p := NewPanicError(r, "a parallel worker")
	o.mu.Lock()
	if o.panicked == nil {
		o.panicked = p
	}
	o.mu.Unlock()
	o.stop(p)
}

// recoverPanic, deferred, turns a panic in work or emit into a stop.
func (o *Ordered[In, Out]) recoverPanic() {
	if r := recover(); r != nil {
		o.recovered(r)
	}
}

// going reports whether the pass goes on: not stopped, nor cancelled (which
// stops it).
func (o *Ordered[In, Out]) going() bool {
	if o.stopped.Load() {
		return false
	}
	if err := o.ctx.Err(); err != nil {
		o.stop(err)
		return false
	}
	return true
}

func (o *Ordered[In, Out]) runBatch(b *orderedBatch[In, Out]) {
	defer close(b.done)
	defer o.recoverPanic()
	if !o.going() {
		return
	}
	if cap(b.out) >= len(b.in) {
		b.out = b.out[:len(b.in)]
	} else {
		b.out = make([]Out, len(b.in))
	}
	for i := range b.in {
		if o.stopped.Load() {
			return
		}
		out, err := o.work(b.in[i])
		if err != nil {
			// Not a stop yet: the batches before this one are still
			// to be emitted. The emitter stops when it gets here.
			b.err = err
			return
		}
		b.out[i] = out
		b.n = i + 1
	}
}

func (o *Ordered[In, Out]) emitBatch(b *orderedBatch[In, Out]) {
	defer o.recoverPanic()
	if !o.going() {
		return
	}
	for i := 0; i < b.n; i++ {
		if err := o.emit(b.out[i]); err != nil {
			o.stop(err)
			return
		}
	}
	if b.err != nil {
		o.stop(b.err)
		return
	}
	// Emitted: its slices are filled again (a batch a pass of a million
	// packets would otherwise make 4,000 of).
	clear(b.in)
	clear(b.out)
	b.in, b.out = b.in[:0], b.out[:0]
	select {
	case o.free <- b:
	default:
	}
}

// errAborted stops an Ordered whose input function panicked.
var errAborted = errors.New("decode: parallel pass aborted")

// DissectOrdered runs an Ordered pass over the inputs next returns, until
// it returns false or the pass stops: work on every core, emit in input
// order. It returns what Wait returns (and so panics if work or emit
// panicked). If next panics, the pass is stopped and the panic goes on.
func DissectOrdered[In, Out any](ctx context.Context, next func() (In, bool), work func(In) (Out, error), emit func(Out) error) error {
	o := NewOrdered(ctx, work, emit)
	waiting := false
	defer func() {
		if waiting {
			return // a panic from Wait goes on as it is
		}
		if r := recover(); r != nil {
			o.stop(errAborted)
			o.wait()
			panic(r)
		}
	}()
	for {
		in, ok := next()
		if !ok {
			break
		}
		if o.Add(in) != nil {
			break
		}
	}
	waiting = true
	return o.Wait()
}
