package decode

// TCP reassembly for the application stage, on gopacket's reassembly
// package. Only the conversations the application stage needs (HTTP ones,
// and the one -z follow asks for) are fed to it.
//
// What it guarantees, per direction:
//   - bytes come out once, in sequence order, each run tagged with the
//     frame that carried it: the AssemblerContext of every packet is an
//     asmCtx whose CaptureInfo carries the frame number (frameOf), so
//     ScatterGather.CaptureInfo(offset) names the frame of any byte, even
//     of pages buffered out of order;
//   - in the "follow" mode, out-of-order segments wait (bounded by
//     MaxBufferedPagesPerConnection and MaxBufferedPagesTotal, and flushed
//     by capture time) until the gap before them fills, as tshark's follow
//     reorders them; a gap that never fills is skipped, and reported. In the
//     "dissect" mode nothing waits (one page per connection): a segment
//     after a hole is delivered at once, the hole reported, and the late
//     segment, when it comes, is old data — as Wireshark's own TCP
//     desegmentation works (tcp.reassemble_out_of_order is off by
//     default), which decides what its dissectors see;
//   - retransmitted and overlapping bytes already delivered are dropped:
//     the first copy wins, as in Wireshark (and as tshark's follow shows
//     it). A segment arriving in order overwrites the overlapping part of
//     segments still waiting out of order: the in-order copy wins;
//   - a capture that starts mid-stream starts each direction at its first
//     packet (Accept forces the start); sequence numbers wrap (Sequence
//     arithmetic);
//   - each tcp.stream index is its own connection (the network flow of the
//     key is made from the index), so a port reused for a new conversation
//     (a new tcp.stream) never mixes with the old one.

import (
	"encoding/binary"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	tcpasm "github.com/gopacket/gopacket/reassembly"
)

// Reassembly bounds: pages are 1900-byte buffers for out-of-order data.
const (
	asmMaxPagesTotal   = 4096 // about 8 MB waiting out of order, all streams
	asmMaxPagesPerConn = 512  // about 1 MB per connection (follow mode)
	// asmFlushEvery and asmIdle: every asmFlushEvery of capture time,
	// data waiting longer than asmIdle for a gap to fill is pushed through
	// (the gap skipped), and connections idle that long are closed.
	asmFlushEvery = 10 * time.Second
	asmIdle       = 60 * time.Second
)

// asmCtx is the AssemblerContext of one packet.
type asmCtx struct {
	ci       gopacket.CaptureInfo // InterfaceIndex holds the frame number
	frame    int
	stream   int
	dir      int // 0: from the stream's A side (Stream.Client)
	fin, rst bool
	flagged  bool   // tcp.analysis flags the frame a retransmission or out of order
	payload  []byte // the packet's TCP payload, during AssembleWithContext only
}

func (c *asmCtx) GetCaptureInfo() gopacket.CaptureInfo { return c.ci }

// frameOf is the frame number an asmCtx put in a CaptureInfo. The
// assembler only hands CaptureInfo values back to us, so the interface
// index field, meaningless here, carries the frame number.
func frameOf(ci gopacket.CaptureInfo) int { return ci.InterfaceIndex }

// asmPiece is a run of reassembled bytes one frame carried.
type asmPiece struct {
	data    []byte
	frame   int
	ts      time.Time
	payOff  int  // where data starts in the frame's TCP payload; -1 unknown
	flagged bool // the frame is a retransmission or out of order
}

// asmHandler receives reassembled data.
type asmHandler interface {
	// data delivers the next bytes of direction dir of a stream: skip > 0
	// bytes were lost before them; fin: the direction ends with them (a
	// FIN; an RST ends it with fin false).
	// frame and ts are those of the packet being assembled (or, when data
	// waiting out of order is pushed through, of its first page).
	data(stream, dir, frame int, ts time.Time, pieces []asmPiece, skip int, end, fin bool)
	// closed reports a stream the assembler is done with.
	closed(stream int)
}

// tcpReassembler wraps a gopacket Assembler.
type tcpReassembler struct {
	pool      *tcpasm.StreamPool
	asm       *tcpasm.Assembler
	h         asmHandler
	slab      []asmCtx
	lastFlush time.Time
	nextFlush int64 // lastFlush + asmFlushEvery, in UnixNano
	pieces    []asmPiece
	netType   gopacket.EndpointType
	// seq replaces asm in dissect mode, where nothing waits (seqasm.go).
	seq *seqAssembler
}

// newTCPReassembler returns a reassembler; reorder says whether segments
// wait for the gaps before them to fill (follow mode) or not (dissect mode).
func newTCPReassembler(h asmHandler, reorder bool) *tcpReassembler {
	r := &tcpReassembler{h: h, netType: layers.EndpointIPv6}
	r.pool = tcpasm.NewStreamPool(asmFactory{r})
	r.asm = tcpasm.NewAssembler(r.pool)
	r.asm.MaxBufferedPagesTotal = asmMaxPagesTotal
	r.asm.MaxBufferedPagesPerConnection = asmMaxPagesPerConn
	if !reorder {
		r.asm.MaxBufferedPagesPerConnection = 1
		r.seq = newSeqAssembler(h)
	}
	return r
}

// newCtx hands out a context from a slab: pages buffered out of order keep
// a pointer to theirs, so contexts are never reused, but allocating them a
// thousand at a time keeps the per-packet cost down.
func (r *tcpReassembler) newCtx() *asmCtx {
	if len(r.slab) == 0 {
		r.slab = make([]asmCtx, 1024)
	}
	c := &r.slab[0]
	r.slab = r.slab[1:]
	return c
}

// add reassembles one TCP packet, frame n of stream (dir 0: sent by the
// stream's A side).
func (r *tcpReassembler) add(n int, ci gopacket.CaptureInfo, t *layers.TCP, stream, dir int, flagged bool) {
	if r.seq != nil {
		r.seq.add(n, ci, t, stream, dir, flagged)
		r.flushIdle(ci.Timestamp)
		return
	}
	c := r.newCtx()
	c.ci = gopacket.CaptureInfo{Timestamp: ci.Timestamp, CaptureLength: ci.CaptureLength, Length: ci.Length, InterfaceIndex: n}
	c.frame, c.stream, c.dir = n, stream, dir
	c.fin, c.rst = t.FIN, t.RST
	c.flagged = flagged
	c.payload = t.Payload
	r.asm.AssembleWithContext(r.flow(stream, dir), t, c)
	c.payload = nil
	r.flushIdle(ci.Timestamp)
}

// has reports whether stream is being reassembled (dissect mode).
func (r *tcpReassembler) has(stream int) bool {
	return r.seq != nil && r.seq.conns[stream] != nil
}

// flushIdle, every asmFlushEvery of capture time, pushes through what
// waits longer than asmIdle and closes connections idle that long.
func (r *tcpReassembler) flushIdle(ts time.Time) {
	if t := ts.UnixNano(); t < r.nextFlush && t >= r.nextFlush-int64(asmFlushEvery) {
		return // the common case, without time.Time arithmetic
	}
	if ts.Sub(r.lastFlush) < asmFlushEvery {
		return
	}
	r.nextFlush = ts.Add(asmFlushEvery).UnixNano()
	if !r.lastFlush.IsZero() {
		if r.seq != nil {
			r.seq.flushOlderThan(ts.Add(-asmIdle))
		} else {
			r.asm.FlushCloseOlderThan(ts.Add(-asmIdle))
		}
	}
	r.lastFlush = ts
}

// flow is the network flow of a packet of stream in direction dir: the
// stream index and the side, so every tcp.stream is its own connection.
func (r *tcpReassembler) flow(stream, dir int) gopacket.Flow {
	var a, b [16]byte
	binary.BigEndian.PutUint64(a[:8], uint64(stream))
	binary.BigEndian.PutUint64(b[:8], uint64(stream))
	a[8], b[8] = 1, 2
	if dir == 1 {
		a, b = b, a
	}
	return gopacket.NewFlow(r.netType, a[:], b[:])
}

// flushAll ends the reassembly: what waits is pushed through, every
// connection closed.
func (r *tcpReassembler) flushAll() {
	if r.seq != nil {
		r.seq.flushAll()
		return
	}
	r.asm.FlushAll()
}

type asmFactory struct{ r *tcpReassembler }

func (f asmFactory) New(_, _ gopacket.Flow, _ *layers.TCP, ac tcpasm.AssemblerContext) tcpasm.Stream {
	c, _ := ac.(*asmCtx)
	if c == nil {
		return nil
	}
	return &asmStream{r: f.r, stream: c.stream}
}

// asmStream is one connection for the assembler.
type asmStream struct {
	r      *tcpReassembler
	stream int
}

func (s *asmStream) Accept(_ *layers.TCP, _ gopacket.CaptureInfo, _ tcpasm.TCPFlowDirection, _ tcpasm.Sequence, start *bool, _ tcpasm.AssemblerContext) bool {
	// A capture may start mid-stream: start where we are.
	*start = true
	return true
}

func (s *asmStream) ReassembledSG(sg tcpasm.ScatterGather, ac tcpasm.AssemblerContext) {
	c, _ := ac.(*asmCtx)
	if c == nil {
		return
	}
	avail, _ := sg.Lengths()
	_, _, end, skip := sg.Info()
	var data []byte
	if avail > 0 {
		data = sg.Fetch(avail)
	}
	pieces := s.r.pieces[:0]
	if avail > 0 {
		if sg.Stats().Chunks == 1 {
			pieces = append(pieces, s.piece(c, data, sg.CaptureInfo(0)))
		} else {
			for off := 0; off < avail; {
				ci := sg.CaptureInfo(off)
				fr := frameOf(ci)
				// The frame's bytes form one run: find where it ends.
				lo, hi := off+1, avail
				for lo < hi {
					mid := int(uint(lo+hi) >> 1)
					if frameOf(sg.CaptureInfo(mid)) == fr {
						lo = mid + 1
					} else {
						hi = mid
					}
				}
				pieces = append(pieces, s.piece(c, data[off:lo], ci))
				off = lo
			}
		}
	}
	fin := end
	if end && c.rst && (len(pieces) == 0 || pieces[len(pieces)-1].frame == c.frame) {
		fin = false
	}
	if skip < 0 {
		skip = 0
	}
	s.r.pieces = pieces[:0]
	s.r.h.data(s.stream, c.dir, c.frame, c.ci.Timestamp, pieces, skip, end, fin)
}

// piece tags bytes with their frame; only the packet being assembled has
// its payload at hand, so only its bytes get a payload offset (the
// assembler only trims the front of a live packet).
func (s *asmStream) piece(c *asmCtx, data []byte, ci gopacket.CaptureInfo) asmPiece {
	p := asmPiece{data: data, frame: frameOf(ci), ts: ci.Timestamp, payOff: -1}
	if p.frame == c.frame {
		p.flagged = c.flagged
		if c.payload != nil && len(data) <= len(c.payload) {
			p.payOff = len(c.payload) - len(data)
		}
	}
	return p
}

func (s *asmStream) ReassemblyComplete(_ tcpasm.AssemblerContext) bool {
	s.r.h.closed(s.stream)
	return true
}
