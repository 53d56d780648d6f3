package packets

import (
	"fmt"
	"sync"

	"github.com/gopacket/gopacket/layers"

	"wiretap/decode"
)

// spanMax is the most bytes one read call fetches for EachFor: a run of
// packets that lie together in the file, up to this much, is read at once.
const spanMax = 256 << 10

// spanBufs recycles EachFor's read buffers.
var spanBufs = sync.Pool{New: func() any { b := make([]byte, 0, 64<<10); return &b }}

// EachFor calls fn with each of packets from..to in order, dissected for
// the fields w names as DissectFor dissects them; the packet is released
// when fn returns, so fn must not keep it. It is DissectFor for a pass
// over many packets: their bytes are read with one read call per run of
// packets that lie together in the file, into a buffer used again for
// the next run, instead of a read call and a buffer each. It stops at the
// first error, reading or fn's.
func (s *Store) EachFor(w *decode.Want, from, to int, fn func(n int, p *decode.Packet) error) error {
	if from < 1 || to > s.idx.Len() {
		return fmt.Errorf("packets: no packets %d–%d (the capture has %d)", from, to, s.idx.Len())
	}
	s.mu.Lock()
	an, covered := s.an, s.analysed
	s.mu.Unlock()
	if an == nil || len(s.opts.Secrets) > 0 {
		// Alone, or marked with the secrets: DissectFor's whole trees.
		return s.eachAlone(from, to, fn)
	}
	bp := spanBufs.Get().(*[]byte)
	defer spanBufs.Put(bp)
	var (
		buf    = *bp
		bufOff int64 // the file offset of buf[0]
		lastIf = -1
		lt     layers.LinkType
		ents   [64]Entry
	)
	for n := from; n <= to; {
		if n > covered {
			return s.eachAlone(n, to, fn)
		}
		// The index entries of up to 64 packets at a time.
		es := s.idx.Entries(ents[:0], n-1, min(to, covered, n+len(ents)-1)-n+1)
		for i, e := range es {
			if e.Offset < bufOff || e.Offset+int64(e.CapLen) > bufOff+int64(len(buf)) {
				// Read the run of packets from here that lie together.
				end := e.Offset + int64(e.CapLen)
				for _, em := range es[i+1:] {
					mEnd := em.Offset + int64(em.CapLen)
					if em.Offset < e.Offset || mEnd-e.Offset > spanMax {
						break
					}
					end = max(end, mEnd)
				}
				size := int(end - e.Offset)
				if cap(buf) < size {
					buf = make([]byte, size)
					*bp = buf[:0]
				}
				buf, bufOff = buf[:size], e.Offset
				if _, err := s.f.ReadAt(buf, bufOff); err != nil {
					return fmt.Errorf("packets: reading packet %d at byte %d of %s: %w", n+i, e.Offset, s.path, err)
				}
			}
			if e.Iface != lastIf {
				lastIf, lt = e.Iface, s.linkType(e.Iface)
			}
			at := int(e.Offset - bufOff)
			data := buf[at : at+e.CapLen : at+e.CapLen]
			p := an.DissectFor(w, n+i, e.captureInfo(), lt, data)
			err := fn(n+i, p)
			p.Release()
			if err != nil {
				return err
			}
		}
		n += len(es)
	}
	return nil
}

// eachAlone is EachFor by DissectFor's other way: each packet read and
// dissected whole.
func (s *Store) eachAlone(from, to int, fn func(n int, p *decode.Packet) error) error {
	for n := from; n <= to; n++ {
		p, _, err := s.dissect(n)
		if err != nil {
			return err
		}
		err = fn(n, p)
		p.Release()
		if err != nil {
			return err
		}
	}
	return nil
}
