package decode

// The one TCP desegmentation framer, in the spirit of Wireshark's
// tcp_dissect_pdus and desegment_pdus: every protocol over TCP (HTTP/1.x
// and TLS now; HTTP/2, DNS over TCP and the STARTTLS protocols next) is
// fed its reassembled stream through a pduFramer per direction.
//
// The framer owns what all of them share: the stream offset, the PDU
// waiting for more data (its bytes, within a budget, and which frames
// carried them), gaps (the PDU in progress is dropped; the rest of a PDU
// of known length after a hole is swallowed), abandonment at the end of
// the stream, retransmitted or out-of-order frames (whose bytes join a
// PDU but in which the dissector is never called, as
// tcp.no_subdissector_on_error does), and the record of which frames'
// bytes went into a PDU completed in which frame (tcp.reassembled_in and
// "[TCP segment of a reassembled PDU]").
//
// A protocol supplies only its dissector call and the answer Wireshark's
// dissectors give in pinfo->desegment_offset and desegment_len: where the
// PDU it could not finish starts, and how long it is (pendExact), or that
// one more segment is needed (pendOneMore), or everything until the FIN
// (pendUntilFin).

import (
	"fmt"
	"sort"
	"strings"
)

// pduNeed is a dissector's answer for the data after its last complete
// PDU; kind pendNone: nothing is missing.
type pduNeed struct {
	kind pendKind
	off  int   // where the unfinished PDU starts in the call's data
	len  int64 // pendExact: the PDU's whole length, from off
	// grow: the unfinished PDU is the one the call was handed, extended
	// (pduCall.extends): it keeps its first bytes and frames.
	grow bool
}

// pduCall is the data handed to a protocol's dissector in one call: a
// segment's payload (or what a completed PDU left of it), or a PDU the
// framer reassembled.
type pduCall struct {
	b     []byte
	start int64 // stream offset of b[0]
	frame int   // the frame the call is made in
	fin   bool  // a FIN comes with the data (Wireshark's end of stream)
	// pdu: b was reassembled here, oldLen of its bytes before this frame's.
	pdu    bool
	oldLen int64
	// segs: a PDU's pieces, this frame's last; prev: those before it.
	segs []segPiece
	prev []segPiece
	// segStart: stream offset of this frame's first byte in b; payOff:
	// where that byte is in the frame's TCP payload (-1 unknown).
	segStart int64
	payOff   int
	// A PDU of which only a prefix was kept: length is its real length and
	// kind what it waited for (pduProtocol.truncated).
	truncated bool
	length    int64
	kind      pendKind
}

// extends is Wireshark's rule for a reassembled PDU whose dissector asks
// for more: when the unfinished part starts within the bytes that came
// before this frame, the same reassembly grows.
func (c *pduCall) extends(off int) bool { return c.pdu && int64(off) <= c.oldLen }

// pieces lists which frames carried stream bytes [s, e) of the call,
// appending to out.
func (c *pduCall) pieces(out []segPiece, s, e int64) []segPiece {
	pos := c.start
	for _, pc := range c.prev {
		ps, pe := pos, pos+int64(pc.n)
		pos = pe
		if pe <= s || ps >= e {
			continue
		}
		lo, hi := max(ps, s), min(pe, e)
		po := pc.payOff
		if po >= 0 {
			po += int32(lo - ps)
		}
		out = append(out, segPiece{frame: pc.frame, n: int32(hi - lo), payOff: po})
	}
	if e > c.segStart || (e == c.segStart && len(out) > 0 && c.fin) {
		lo := max(s, c.segStart)
		po := int32(-1)
		if c.payOff >= 0 {
			po = int32(c.payOff) + int32(lo-c.segStart)
		}
		out = append(out, segPiece{frame: int32(c.frame), n: int32(e - lo), payOff: po})
	}
	return out
}

// pduProtocol is what a protocol over TCP gives the framer, per direction.
type pduProtocol interface {
	// dissect is one call of the protocol's dissector.
	dissect(f *pduFramer, c *pduCall) pduNeed
	// more hands over the next bytes of a pendOneMore PDU; the answer is
	// what the PDU still needs (pendNone: it is complete). Protocols
	// without an incremental check answer pendNone: the PDU is dissected
	// again, whole, as Wireshark does.
	more(f *pduFramer, data []byte, fin bool) pduNeed
	// truncated completes a PDU of which only a prefix was kept (c.b);
	// it returns the PDU's length, so the framer knows where the data
	// after it starts.
	truncated(f *pduFramer, c *pduCall) int64
	// room is how many more bytes the pending PDU may keep, given its
	// first bytes.
	room(f *pduFramer, head []byte) int64
	// owns reports whether the protocol still owns the direction at
	// stream offset off of frame (false after an HTTP upgrade, say): the
	// framer then stops for good.
	owns(f *pduFramer, frame int, off int64, flagged bool, hasData bool) bool
}

// segPiece is a run of a PDU's bytes that one frame carried.
type segPiece struct {
	frame  int32
	n      int32
	payOff int32 // where the run starts in the frame's TCP payload; -1 unknown
}

// keepBudget bounds what all framers of a stage keep of PDUs still
// arriving.
type keepBudget struct {
	used, limit int64
	cut         int64 // PDUs of which only a prefix was kept (LimitsHit)
}

// pduFramer splits one direction of a conversation into dissector calls.
type pduFramer struct {
	proto   pduProtocol
	table   *pduTable
	budget  *keepBudget
	off     int64 // stream offset of the next byte
	dead    bool  // the protocol let go of the direction
	swallow int64 // bytes still to drop: the rest of a PDU with a hole

	// The PDU waiting for more data.
	pend   bool
	pkind  pendKind
	pstart int64 // stream offset of its first byte
	pneed  int64 // pendExact: its length
	pn     int64 // bytes so far
	pbuf   []byte
	ptrunc bool // only a prefix of it is kept
	psegs  []segPiece

	// scratch is the call being made: one at a time, and a call handed
	// to the protocol through an interface would escape to the heap.
	scratch pduCall
}

// segment feeds the next in-order bytes of the direction: carried by
// frame, starting at payOff of its TCP payload (-1 unknown), with fin when
// the FIN comes with them (data may then be empty). flagged says the frame
// is a retransmission or out of order.
func (f *pduFramer) segment(data []byte, frame, payOff int, fin, flagged bool) {
	segStart := f.off
	f.off += int64(len(data))
	if f.swallow > 0 && len(data) > 0 {
		// The rest of a PDU whose middle was lost: Wireshark adds it to a
		// reassembly that never completes.
		n := int(min(int64(len(data)), f.swallow))
		f.swallow -= int64(n)
		f.table.add([]segPiece{{frame: int32(frame), n: int32(n)}}, 0)
		data, segStart = data[n:], segStart+int64(n)
		if payOff >= 0 {
			payOff += n
		}
		if len(data) == 0 && !fin {
			return
		}
	}
	f.feedAt(data, segStart, frame, payOff, fin, flagged)
}

// feedAt handles data at stream offset segStart of frame's segment.
func (f *pduFramer) feedAt(data []byte, segStart int64, frame, payOff int, fin, flagged bool) {
	if !f.proto.owns(f, frame, segStart, flagged, len(data) > 0) || f.dead {
		f.kill()
		return
	}
	if !f.pend {
		if !flagged && len(data) > 0 {
			c := &f.scratch
			*c = pduCall{b: data, start: segStart, frame: frame, fin: fin, segStart: segStart, payOff: payOff}
			f.call(c)
		}
		return
	}
	take := len(data)
	if f.pkind == pendExact {
		take = int(min(int64(len(data)), f.pneed-f.pn))
	}
	f.appendPending(data[:take], frame, payOff)
	switch f.pkind {
	case pendExact:
		if f.pn < f.pneed {
			return
		}
	case pendOneMore:
		if !flagged {
			if n := f.proto.more(f, data, fin); n.kind != pendNone {
				f.pkind, f.pneed = n.kind, n.len
				return
			}
		}
	case pendUntilFin:
		if !fin {
			return
		}
	}
	if flagged {
		// The PDU completes in a frame where the dissector is not called:
		// its segments say it was reassembled there, and it is lost.
		f.table.add(f.psegs, frame)
		f.clearPending()
		return
	}
	end := f.complete(frame, fin, int64(take))
	// Whatever of the segment the completed PDU did not take.
	if end < segStart || end >= segStart+int64(len(data)) || f.dead {
		return
	}
	po := -1
	if payOff >= 0 {
		po = payOff + int(end-segStart)
	}
	f.feedAt(data[end-segStart:], end, frame, po, fin, false)
}

// complete hands the pending PDU to the dissector (cur of its bytes came
// with this frame) and returns the stream offset where it ended.
func (f *pduFramer) complete(frame int, fin bool, cur int64) int64 {
	c := &f.scratch
	*c = pduCall{b: f.pbuf, start: f.pstart, frame: frame, fin: fin, pdu: true, oldLen: f.pn - cur,
		segs: f.psegs, prev: f.psegs, segStart: f.pstart, payOff: -1,
		truncated: f.ptrunc, length: f.pn, kind: f.pkind}
	if f.pkind == pendExact {
		c.length = f.pneed
		if int64(len(c.b)) > f.pneed {
			c.b = c.b[:f.pneed]
		}
	}
	if k := len(f.psegs); k > 0 && f.psegs[k-1].frame == int32(frame) {
		c.prev, c.payOff = f.psegs[:k-1], int(f.psegs[k-1].payOff)
	}
	for _, pc := range c.prev {
		c.segStart += int64(pc.n)
	}
	f.budget.used -= int64(cap(f.pbuf))
	f.pend, f.ptrunc = false, false
	f.pbuf, f.psegs, f.pn, f.pneed = nil, nil, 0, 0
	if c.truncated {
		f.budget.cut++
		return c.start + f.proto.truncated(f, c)
	}
	f.call(c)
	return c.start + c.length
}

// call runs the dissector over c and keeps what it could not finish.
func (f *pduFramer) call(c *pduCall) {
	need := f.proto.dissect(f, c)
	if need.kind == pendNone {
		return
	}
	f.pend, f.pkind, f.ptrunc = true, need.kind, false
	if need.grow {
		// The same reassembly goes on, from the same start.
		f.pstart, f.pbuf, f.psegs = c.start, c.b, c.segs
		f.pn = int64(len(c.b))
		f.pneed = int64(need.off) + need.len
		f.budget.used += int64(cap(f.pbuf))
		return
	}
	f.pstart = c.start + int64(need.off)
	f.psegs = c.pieces(nil, f.pstart, c.start+int64(len(c.b)))
	rest := c.b[need.off:]
	f.pn = int64(len(rest))
	f.pneed = need.len
	keep := rest
	room := f.proto.room(f, rest)
	if int64(len(keep)) > room {
		keep = keep[:room]
		f.ptrunc = true
	}
	size := int64(len(keep)) + 512
	if need.kind == pendExact && !f.ptrunc {
		// The PDU's size, so it need not grow, unless the header
		// claims more than a few segments' worth: what a length field
		// says costs nothing to send (a flood of 16 MB HTTP/2 frame
		// headers), so what is reserved is only what came plus
		// pduReserve; append grows the rest as it arrives.
		size = min(f.pneed, room, int64(len(keep))+pduReserve)
	}
	f.pbuf = append(make([]byte, 0, max(size, int64(len(keep)))), keep...)
	f.budget.used += int64(cap(f.pbuf))
	f.table.pending(f.psegs)
}

func (f *pduFramer) appendPending(data []byte, frame, payOff int) {
	if k := len(f.psegs); k > 0 && f.psegs[k-1].frame == int32(frame) {
		f.psegs[k-1].n += int32(len(data))
	} else {
		f.psegs = append(f.psegs, segPiece{frame: int32(frame), n: int32(len(data)), payOff: int32(payOff)})
	}
	f.pn += int64(len(data))
	head := f.pbuf
	if len(head) == 0 {
		head = data
	}
	keep := data
	if r := f.proto.room(f, head); int64(len(keep)) > r {
		keep = keep[:r]
		f.ptrunc = true
	}
	before := cap(f.pbuf)
	f.pbuf = append(f.pbuf, keep...)
	f.budget.used += int64(cap(f.pbuf) - before)
	f.table.pending(f.psegs[len(f.psegs)-1:])
}

// pduReserve is the most a pending PDU's buffer reserves beyond the bytes
// it holds.
const pduReserve = 64 << 10

// free is what the budget leaves for pending PDUs (which it counts by
// the memory their buffers hold: capacity, not length).
func (f *pduFramer) free() int64 { return max(0, f.budget.limit-f.budget.used) }

func (f *pduFramer) clearPending() {
	f.budget.used -= int64(cap(f.pbuf))
	f.pend, f.ptrunc = false, false
	f.pbuf, f.psegs = nil, nil
	f.pn, f.pneed = 0, 0
}

// kill stops the framer for good, dropping a pending PDU.
func (f *pduFramer) kill() {
	f.dead = true
	f.abandon()
}

// abandon drops the pending PDU (a gap, the end of the capture, or the
// connection closed): its frames never see it complete.
func (f *pduFramer) abandon() {
	if !f.pend {
		return
	}
	f.table.add(f.psegs, 0)
	f.clearPending()
}

// gap tells the framer that n bytes of the stream were lost before the
// next data: the PDU in progress is dropped, and the data after the gap is
// read afresh, as Wireshark does.
func (f *pduFramer) gap(n int) {
	f.off += int64(n)
	if f.pend && f.pkind == pendExact {
		// Data up to the end of a PDU of known length belongs to it.
		f.swallow = max(0, f.pstart+f.pneed-f.off)
	}
	f.abandon()
}

// trimPieces keeps the pieces covering the first n bytes.
func trimPieces(segs []segPiece, n int64) []segPiece {
	var out []segPiece
	for _, s := range segs {
		if n <= 0 && s.n > 0 {
			break
		}
		if int64(s.n) > n {
			s.n = int32(n)
		}
		n -= int64(s.n)
		out = append(out, s)
	}
	return out
}

// pduSeg says a frame's bytes went into a PDU completed in frame in (0:
// never).
type pduSeg struct {
	frame, in int32
}

// pduTable records, for the tree tier, which frames' bytes went into a
// PDU completed in which frame.
type pduTable struct {
	c      chunked[pduSeg]
	sorted []pduSeg // after finish, by frame
	// live (Options.Live): frame → the last frame its PDUs completed in,
	// readable at once.
	live map[int32]int32
}

// add records frames whose bytes went into a PDU completed in frame in.
func (t *pduTable) add(segs []segPiece, in int) {
	for _, s := range segs {
		if int(s.frame) == in || s.n <= 0 {
			continue
		}
		if t.live != nil {
			t.live[s.frame] = max(t.live[s.frame], int32(in))
			continue
		}
		t.c.add(pduSeg{frame: s.frame, in: int32(in)})
	}
}

// pending notes, live, frames whose bytes went into a PDU still
// arriving: their rows say so at once (in -1 until it completes).
func (t *pduTable) pending(segs []segPiece) {
	if t.live == nil {
		return
	}
	for _, s := range segs {
		if _, ok := t.live[s.frame]; !ok && s.n > 0 {
			t.live[s.frame] = -1
		}
	}
}

// finish sorts the records by frame.
func (t *pduTable) finish() {
	t.sorted = t.c.flatten()
	// Records arrive nearly in frame order: most often nothing moves.
	sortStableBy(t.sorted, func(p pduSeg) int32 { return p.frame })
}

// in reports whether frame n's bytes went into PDUs, and the frame the
// last of them completed in (0: never; -1, live: not yet).
func (t *pduTable) in(n int) (in int, ok bool) {
	if t.live != nil {
		v, ok := t.live[int32(n)]
		return int(v), ok
	}
	segs := t.sorted
	i := sort.Search(len(segs), func(i int) bool { return segs[i].frame >= int32(n) })
	for ; i < len(segs) && segs[i].frame == int32(n); i++ {
		ok = true
		in = max(in, int(segs[i].in))
	}
	return in, ok
}

// savedPDU is what is kept of a PDU that spans segments, for the tree
// tier: its bytes (perhaps a prefix), its length and its pieces.
type savedPDU struct {
	data   []byte
	length int64
	segs   []segPiece
}

// source adds the PDU's bytes to p as a data source, with the tree of the
// segments they came from as Wireshark shows a reassembled PDU, and
// returns the source's index.
func (s *savedPDU) source(p *Packet) int {
	data := s.data
	p.Sources = append(p.Sources, DataSource{Name: fmt.Sprintf("Reassembled TCP (%d bytes)", s.length), Data: data})
	src := len(p.Sources) - 1
	if len(s.segs) <= 1 {
		return src
	}
	b := &p.tree
	label := ""
	if !b.lite {
		label = fragmentLabel("Reassembled TCP Segments", int64(s.length), len(s.segs), func(k int) (int32, int32) { return s.segs[k].frame, s.segs[k].n })
	}
	t := b.newNode(Field{Name: "tcp.segments", Source: src, Len: len(data)}, label)
	off := 0
	for _, sg := range s.segs {
		f := Field{Name: "tcp.segment", Kind: KindFrameNum, U: uint64(sg.frame), Source: src, Start: min(off, len(data)), Len: max(0, min(int(sg.n), len(data)-off))}
		if sg.n == 0 {
			t.Add(b.newNode(f, "[Frame: %d (no data)]", sg.frame))
		} else {
			t.Add(b.newNode(f, "[Frame: %d, payload: %d-%d (%d bytes)]", sg.frame, off, off+int(sg.n)-1, sg.n))
		}
		off += int(sg.n)
	}
	t.Add(b.newNode(Field{Name: "tcp.segment.count", Kind: KindUint, U: uint64(len(s.segs))}, "[Segment count: %d]", len(s.segs)))
	t.Add(b.newNode(Field{Name: "tcp.reassembled.length", Kind: KindUint, U: uint64(s.length)}, "[Reassembled TCP length: %d]", s.length))
	t.Add(b.newNode(Field{Name: "tcp.reassembled.data", Kind: KindBytes, B: data, Source: src, Len: len(data)}, "[Reassembled TCP Data: %s]", truncHexOf(data)))
	p.Tree = append(p.Tree, t)
	return src
}

// fragmentLabel is the label of a reassembly's fragment list, as Wireshark
// writes it: "[N <what> (L bytes): #frame(n), ...]".
func fragmentLabel(what string, total int64, count int, piece func(k int) (frame, n int32)) string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "[%d %s (%d bytes): ", count, what, total)
	for k := 0; k < count; k++ {
		if k > 0 {
			sb.WriteString(", ")
		}
		f, n := piece(k)
		fmt.Fprintf(&sb, "#%d(%d)", f, n)
	}
	sb.WriteString("]")
	return sb.String()
}
