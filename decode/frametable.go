package decode

// frameTable holds one value per frame number in fixed pages: a million
// frames cost one allocation per page, never the copies (and garbage) of a
// slice growing by appends.
type frameTable[T any] struct {
	pages [][]T
	max   int // the highest frame set
}

const frameTablePage = 1 << 12

// set stores v for frame n (1-based).
func (t *frameTable[T]) set(n int, v T) {
	if n <= 0 {
		return
	}
	p, i := (n-1)/frameTablePage, (n-1)%frameTablePage
	for len(t.pages) <= p {
		t.pages = append(t.pages, nil)
	}
	if t.pages[p] == nil {
		t.pages[p] = make([]T, frameTablePage)
	}
	t.pages[p][i] = v
	t.max = max(t.max, n)
}

// get returns frame n's value; ok is false past the highest frame set.
func (t *frameTable[T]) get(n int) (v T, ok bool) {
	if n <= 0 || n > t.max {
		return v, false
	}
	p, i := (n-1)/frameTablePage, (n-1)%frameTablePage
	if t.pages[p] == nil {
		return v, true
	}
	return t.pages[p][i], true
}

// bytes is the memory the pages hold, for values of size bytes each.
func (t *frameTable[T]) bytes(size int) int {
	n := 0
	for _, p := range t.pages {
		n += len(p) * size
	}
	return n
}
