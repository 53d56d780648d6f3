package decode

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// counter returns a next function for DissectOrdered giving 0..n-1, and
// how many it has given.
func counter(n int) (func() (int, bool), *atomic.Int64) {
	var given atomic.Int64
	return func() (int, bool) {
		i := int(given.Load())
		if i >= n {
			return 0, false
		}
		given.Add(1)
		return i, true
	}, &given
}

// jitter makes the workers finish out of order.
func jitter(i int) {
	if i%97 == 0 {
		time.Sleep(time.Duration(i%5) * 100 * time.Microsecond)
	}
}

func TestDissectOrderedOrder(t *testing.T) {
	for _, n := range []int{0, 1, orderedBatchLen - 1, orderedBatchLen, orderedBatchLen + 1, 10_000} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			next, _ := counter(n)
			var got []int
			err := DissectOrdered(context.Background(), next,
				func(i int) (int, error) { jitter(i); return i * 2, nil },
				func(r int) error { got = append(got, r); return nil })
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != n {
				t.Fatalf("emitted %d results, want %d", len(got), n)
			}
			for i, r := range got {
				if r != i*2 {
					t.Fatalf("result %d is %d, want %d", i, r, i*2)
				}
			}
		})
	}
}

// TestOrderedAdd drives the push form (Add, Wait) as `wiretap read` does.
func TestOrderedAdd(t *testing.T) {
	// Batches of orderedBatchLen (NewOrdered's) and of other lengths
	// (NewOrderedBatches': 1 when each input is a batch already).
	for _, batchLen := range []int{orderedBatchLen, 1, 7} {
		t.Run(fmt.Sprint(batchLen), func(t *testing.T) {
			var got []string
			o := NewOrderedBatches(context.Background(), batchLen,
				func(i int) (string, error) { jitter(i); return fmt.Sprint(i), nil },
				func(s string) error { got = append(got, s); return nil })
			for i := range 1000 {
				if err := o.Add(i); err != nil {
					t.Fatal(err)
				}
			}
			if err := o.Wait(); err != nil {
				t.Fatal(err)
			}
			if len(got) != 1000 || got[0] != "0" || got[999] != "999" {
				t.Fatalf("got %d results, %q … %q", len(got), got[0], got[len(got)-1])
			}
			for i, s := range got {
				if s != fmt.Sprint(i) {
					t.Fatalf("result %d is %q", i, s)
				}
			}
		})
	}
}

// TestDissectOrderedStop: an error from work, from emit or a cancelled
// context stops the pass: results before a failing input are all emitted,
// none after, the error comes back, and the input is not read to the end.
func TestDissectOrderedStop(t *testing.T) {
	const n = 100_000
	errWork := errors.New("work failed")
	errEmit := errors.New("emit failed")
	tests := []struct {
		name     string
		failWork int // work fails on this input (-1: never)
		failEmit int // emit fails on this result (-1: never)
		cancelAt int // the context is cancelled when this result is emitted (-1: never)
		want     error
		emitted  int // exactly, or at least when cancelling
	}{
		{name: "work error", failWork: 5000, failEmit: -1, cancelAt: -1, want: errWork, emitted: 5000},
		{name: "work error first", failWork: 0, failEmit: -1, cancelAt: -1, want: errWork, emitted: 0},
		{name: "work error in the last batch", failWork: n - 1, failEmit: -1, cancelAt: -1, want: errWork, emitted: n - 1},
		{name: "emit error", failWork: -1, failEmit: 3000, cancelAt: -1, want: errEmit, emitted: 3000},
		{name: "cancelled", failWork: -1, failEmit: -1, cancelAt: 2000, want: context.Canceled, emitted: 2001},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			next, given := counter(n)
			emitted := 0
			err := DissectOrdered(ctx, next,
				func(i int) (int, error) {
					jitter(i)
					if i == tt.failWork {
						return 0, errWork
					}
					return i, nil
				},
				func(r int) error {
					if r != emitted {
						return fmt.Errorf("result %d emitted as number %d", r, emitted)
					}
					if r == tt.failEmit {
						return errEmit
					}
					emitted++
					if r == tt.cancelAt {
						cancel()
					}
					return nil
				})
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if tt.cancelAt >= 0 {
				if emitted < tt.emitted || emitted == n {
					t.Errorf("emitted %d results after cancelling at %d", emitted, tt.cancelAt)
				}
			} else if emitted != tt.emitted {
				t.Errorf("emitted %d results, want %d", emitted, tt.emitted)
			}
			// Memory stays bounded, and so does reading ahead.
			ahead := int(given.Load()) - emitted
			if limit := (2*runtime.GOMAXPROCS(0) + 4) * orderedBatchLen; ahead > limit && tt.failWork != n-1 {
				t.Errorf("read %d inputs for %d results (more than %d ahead)", given.Load(), emitted, limit)
			}
		})
	}
}

// TestOrderedBounded: with a slow emit, the inputs taken but not yet
// emitted stay within the batches allowed in flight.
func TestOrderedBounded(t *testing.T) {
	var added, emitted atomic.Int64
	limit := int64((2*runtime.GOMAXPROCS(0) + 4) * orderedBatchLen)
	var most int64
	o := NewOrdered(context.Background(),
		func(i int) (int, error) { return i, nil },
		func(int) error {
			if emitted.Add(1)%orderedBatchLen == 0 {
				time.Sleep(time.Millisecond)
			}
			return nil
		})
	for i := range 20 * int(limit) {
		if err := o.Add(i); err != nil {
			t.Fatal(err)
		}
		added.Add(1)
		if d := added.Load() - emitted.Load(); d > most {
			most = d
		}
	}
	if err := o.Wait(); err != nil {
		t.Fatal(err)
	}
	if most > limit {
		t.Errorf("%d inputs in flight, want at most %d", most, limit)
	}
	if emitted.Load() != added.Load() {
		t.Errorf("emitted %d of %d", emitted.Load(), added.Load())
	}
}

// TestDissectOrderedPanic: a panic in work or emit does not kill the
// process from a worker goroutine; Wait panics with it in the caller's
// goroutine as a *PanicError, after the goroutines are done. A panic in
// next goes on as it is.
func TestDissectOrderedPanic(t *testing.T) {
	boom := errors.New("boom")
	tests := []struct {
		name                     string
		panicWork, panicEmit, at int
		panicNext                bool
		value                    any
	}{
		{name: "work", panicWork: 1, at: 700, value: "worker bug"},
		{name: "work error value", panicWork: 1, at: 3, value: boom},
		{name: "emit", panicEmit: 1, at: 1500, value: "emit bug"},
		{name: "next", panicNext: true, at: 900, value: "next bug"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := runtime.NumGoroutine()
			var r any
			func() {
				defer func() { r = recover() }()
				i := 0
				next := func() (int, bool) {
					if tt.panicNext && i == tt.at {
						panic(tt.value)
					}
					i++
					return i - 1, i <= 5000
				}
				DissectOrdered(context.Background(), next,
					func(i int) (int, error) {
						if tt.panicWork == 1 && i == tt.at {
							panic(tt.value)
						}
						return i, nil
					},
					func(r int) error {
						if tt.panicEmit == 1 && r == tt.at {
							panic(tt.value)
						}
						return nil
					})
			}()
			if tt.panicNext {
				if r != tt.value {
					t.Fatalf("recovered %v, want next's panic %v", r, tt.value)
				}
			} else {
				pe, ok := r.(*PanicError)
				if !ok {
					t.Fatalf("recovered %#v, want a *PanicError", r)
				}
				if pe.Value != tt.value || !strings.Contains(pe.Error(), fmt.Sprint(tt.value)) || len(pe.Stack) == 0 {
					t.Errorf("PanicError %q, value %v, %d bytes of stack", pe, pe.Value, len(pe.Stack))
				}
				if err, ok := tt.value.(error); ok && !errors.Is(pe, err) {
					t.Errorf("%v does not unwrap to %v", pe, err)
				}
			}
			// The workers and the emitter are gone.
			deadline := time.Now().Add(2 * time.Second)
			for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
				time.Sleep(time.Millisecond)
			}
			if g := runtime.NumGoroutine(); g > before {
				t.Errorf("%d goroutines left running (%d before)", g, before)
			}
		})
	}
}

// TestOrderedAddAfterStop: once stopped, Add says why and drops its input.
func TestOrderedAddAfterStop(t *testing.T) {
	errWork := errors.New("no")
	emitted := 0
	o := NewOrdered(context.Background(),
		func(i int) (int, error) {
			if i == 10 {
				return 0, errWork
			}
			return i, nil
		},
		func(int) error { emitted++; return nil })
	var addErr error
	for i := 0; i < 100_000 && addErr == nil; i++ {
		addErr = o.Add(i)
	}
	if !errors.Is(addErr, errWork) {
		t.Errorf("Add returned %v, want %v", addErr, errWork)
	}
	if err := o.Wait(); !errors.Is(err, errWork) || emitted != 10 {
		t.Errorf("Wait = %v after %d results, want %v after 10", err, emitted, errWork)
	}
}
