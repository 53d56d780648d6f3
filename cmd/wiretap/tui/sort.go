package tui

import (
	"cmp"
	"net/netip"
	"slices"
	"strings"
	"time"

	"wiretap/cmd/wiretap/tui/packets"
)

// sortBy orders the list by col (No. ascending is capture order). Sorting
// by a text column needs every shown packet's row, so it runs in the
// background after the fast pass.
func (l *listPane) sortBy(col column, desc bool) {
	l.sortCol, l.sortDesc = col, desc
	l.resort()
}

// resort applies the sort order to the current view (again, after a
// filter changed it).
func (l *listPane) resort() {
	a := l.a
	if l.sortJob != nil {
		l.sortJob.cancel()
		l.sortJob = nil
	}
	if l.sortCol == colNo && !l.sortDesc {
		v := l.view
		v.sorted = nil
		l.setView(v)
		return
	}
	col, desc := l.sortCol, l.sortDesc
	base := l.view
	base.sorted = nil
	store := a.store
	l.sortJob = a.startJob("sorting", func(j *job) func() {
		nums, err := sortNumbers(j, store, base, col, desc)
		return func() {
			if err != nil {
				if !packets.IsStopped(err) {
					a.setMessage(err.Error(), true)
				}
				return
			}
			if nums == nil {
				return
			}
			v := l.view
			v.sorted = nums
			l.setView(v)
		}
	})
}

// sortNumbers returns the view's packet numbers in col's order.
func sortNumbers(j *job, store *packets.Store, base view, col column, desc bool) ([]uint32, error) {
	// A filter must have found everything first.
	if base.filtered != nil {
		for {
			if _, done := base.filtered.snapshot(); done {
				break
			}
			select {
			case <-j.stop:
				return nil, nil
			case <-time.After(20 * time.Millisecond):
			}
		}
	}
	total := store.Len()
	nums, all := base.numbers(total)
	if all {
		nums = make([]uint32, total)
		for i := range nums {
			nums[i] = uint32(i + 1)
		}
	} else {
		nums = slices.Clone(nums)
	}
	var keyNum []int64
	var keyText []string
	switch col {
	case colNo:
	case colTime, colLength:
		keyNum = make([]int64, len(nums))
		for i, n := range nums {
			e := store.Entry(int(n))
			if col == colTime {
				keyNum[i] = e.Time.UnixNano()
			} else {
				keyNum[i] = int64(e.OrigLen)
			}
		}
	default:
		if err := store.WaitAnalysed(j.stop, total); err != nil {
			return nil, err
		}
		keyText = make([]string, len(nums))
		for i, n := range nums {
			if i%256 == 0 {
				if j.stopped() {
					return nil, nil
				}
				j.progress(i, len(nums))
			}
			r, err := store.RowUncached(int(n))
			if err != nil {
				return nil, err
			}
			keyText[i] = sortKey(r, col)
		}
	}
	order := make([]int, len(nums))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(x, y int) int {
		var c int
		switch {
		case keyNum != nil:
			c = cmp.Compare(keyNum[x], keyNum[y])
		case keyText != nil:
			c = strings.Compare(keyText[x], keyText[y])
		}
		if c == 0 {
			c = cmp.Compare(nums[x], nums[y])
		}
		if desc {
			c = -c
		}
		return c
	})
	out := make([]uint32, len(nums))
	for i, k := range order {
		out[i] = nums[k]
	}
	return out, nil
}

// sortKey is what a text column sorts by: addresses as addresses (so
// 127.0.0.2 comes before 127.0.0.10), the rest as text.
func sortKey(r packets.Row, col column) string {
	s := cellText(r, col)
	if col == colSource || col == colDestination {
		if ip, err := netip.ParseAddr(s); err == nil {
			b := ip.As16()
			return "\x00" + string(b[:])
		}
		return "\x01" + s
	}
	return s
}
