// Package packets is the viewer's packet store: a compact index of a
// capture (file offset, lengths, time, interface: 24 bytes a packet), the
// fast pass over it, and full dissection of one packet on demand from bytes
// re-read by offset. It never holds every packet's bytes.
package packets

import (
	"sync"
	"sync/atomic"
	"time"
)

// Entry is one packet's index record.
type Entry struct {
	Offset  int64 // where the packet's bytes start in the file
	Time    time.Time
	CapLen  int
	OrigLen int
	Iface   int // index into the file's interfaces
}

// record is an Entry as stored: the offset and the interface share a word
// (offsets below 2^48, interfaces below 2^16).
type record struct {
	offIface int64
	nanos    int64 // UnixNano; noTime for a packet without a timestamp
	capLen   uint32
	origLen  uint32
}

const (
	noTime    = -1 << 63
	chunkBits = 16
	chunkLen  = 1 << chunkBits
	maxIface  = 1<<16 - 1
)

// Index is a growing list of Entries: one goroutine appends while others
// read what has been published. Chunks of fixed size mean growth never
// copies (and never doubles the memory for a moment).
type Index struct {
	mu     sync.RWMutex
	chunks [][]record
	n      atomic.Int64
}

// Len is the number of entries published so far.
func (x *Index) Len() int { return int(x.n.Load()) }

// Append publishes e as entry Len(). Only one goroutine may append.
func (x *Index) Append(e Entry) {
	n := x.n.Load()
	if n%chunkLen == 0 {
		x.mu.Lock()
		x.chunks = append(x.chunks, make([]record, chunkLen))
		x.mu.Unlock()
	}
	x.mu.RLock()
	c := x.chunks[n>>chunkBits]
	x.mu.RUnlock()
	nanos := int64(noTime)
	if !e.Time.IsZero() {
		nanos = e.Time.UnixNano()
	}
	c[n&(chunkLen-1)] = record{offIface: e.Offset<<16 | int64(min(e.Iface, maxIface)), nanos: nanos,
		capLen: uint32(e.CapLen), origLen: uint32(e.OrigLen)}
	x.n.Store(n + 1)
}

// At returns entry i (0-based), which must be below Len.
func (x *Index) At(i int) Entry {
	x.mu.RLock()
	r := x.chunks[i>>chunkBits][i&(chunkLen-1)]
	x.mu.RUnlock()
	return r.entry()
}

// Entries appends entries i..i+n-1 (0-based, below Len) to dst: At for
// a run, taking the lock once (passes over the index on several cores
// would otherwise contend for it at every packet).
func (x *Index) Entries(dst []Entry, i, n int) []Entry {
	x.mu.RLock()
	defer x.mu.RUnlock()
	for end := i + n; i < end; i++ {
		dst = append(dst, x.chunks[i>>chunkBits][i&(chunkLen-1)].entry())
	}
	return dst
}

func (r record) entry() Entry {
	e := Entry{Offset: r.offIface >> 16, Iface: int(r.offIface & maxIface), CapLen: int(r.capLen), OrigLen: int(r.origLen)}
	if r.nanos != noTime {
		e.Time = time.Unix(0, r.nanos).UTC()
	}
	return e
}

// Bytes is the memory the index holds.
func (x *Index) Bytes() int {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return len(x.chunks) * chunkLen * 24
}
