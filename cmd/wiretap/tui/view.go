package tui

import "sync"

// numList is a list of packet numbers that a background job appends to
// while the screen reads what is there so far.
type numList struct {
	mu   sync.Mutex
	nums []uint32
	done bool
}

// add appends ns and returns how many numbers the list held before and
// holds after.
func (l *numList) add(ns ...uint32) (before, after int) {
	l.mu.Lock()
	before = len(l.nums)
	l.nums = append(l.nums, ns...)
	after = len(l.nums)
	l.mu.Unlock()
	return before, after
}

func (l *numList) finish() {
	l.mu.Lock()
	l.done = true
	l.mu.Unlock()
}

// snapshot returns the numbers so far (a prefix that never changes) and
// whether the list is complete.
func (l *numList) snapshot() ([]uint32, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.nums, l.done
}

// view is what the packet list shows: every packet in capture order, or
// the packets a display filter kept, possibly sorted by a column.
type view struct {
	filtered *numList // nil: every packet
	sorted   []uint32 // nil: in capture order; else the order to show
	frozen   int      // live and paused: show at most this many (0: no limit)
}

// numbers returns the packet numbers shown, nil meaning 1..total.
func (v *view) numbers(total int) (nums []uint32, all bool) {
	switch {
	case v.sorted != nil:
		return v.sorted, false
	case v.filtered != nil:
		n, _ := v.filtered.snapshot()
		return n, false
	}
	return nil, true
}

// length is how many rows the list has.
func (v *view) length(total int) int {
	nums, all := v.numbers(total)
	n := len(nums)
	if all {
		n = total
	}
	if v.frozen > 0 && n > v.frozen {
		n = v.frozen
	}
	return n
}

// at is the packet number of row i.
func (v *view) at(i, total int) int {
	nums, all := v.numbers(total)
	if all {
		return i + 1
	}
	return int(nums[i])
}

// indexOf finds the row of packet n, or -1.
func (v *view) indexOf(n, total int) int {
	nums, all := v.numbers(total)
	if all {
		if n >= 1 && n <= v.length(total) {
			return n - 1
		}
		return -1
	}
	if v.sorted == nil {
		// Filtered, in capture order: ascending.
		lo, hi := 0, len(nums)
		for lo < hi {
			m := (lo + hi) / 2
			if int(nums[m]) < n {
				lo = m + 1
			} else {
				hi = m
			}
		}
		if lo < len(nums) && int(nums[lo]) == n {
			return lo
		}
		return -1
	}
	for i, x := range nums {
		if int(x) == n {
			return i
		}
	}
	return -1
}
