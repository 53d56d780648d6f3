package decode

// seqAssembler is the "dissect" mode of tcpReassembler without gopacket's
// page machinery. In that mode nothing ever waits (a segment after a hole
// is delivered at once, the hole reported), so all the state a direction
// needs is the next expected sequence number: this is the same state
// machine as gopacket's Assembler with one buffered page per connection,
// step for step (TestSeqAssemblerMatchesGopacket compares the two on every
// capture in testdata), at a fraction of the cost on the fast pass's
// hottest path. Follow mode, which reorders, stays on gopacket.

import (
	"sort"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// seqHalf is one direction of a connection.
type seqHalf struct {
	next     uint32 // the next sequence number expected
	started  bool   // next is known
	closed   bool   // a FIN or RST ended it
	finSeq   uint32 // where a FIN seen ahead of the data ends the stream
	finAhead bool
	lastSeen time.Time
}

type seqConn struct {
	half [2]seqHalf
}

func (c *seqConn) lastSeen() time.Time {
	if c.half[0].lastSeen.After(c.half[1].lastSeen) {
		return c.half[0].lastSeen
	}
	return c.half[1].lastSeen
}

type seqAssembler struct {
	h      asmHandler
	conns  map[int]*seqConn
	pieces [1]asmPiece
}

func newSeqAssembler(h asmHandler) *seqAssembler {
	return &seqAssembler{h: h, conns: map[int]*seqConn{}}
}

// add assembles segment t of frame n, direction dir of stream, as
// gopacket's AssembleWithContext does.
func (s *seqAssembler) add(n int, ci gopacket.CaptureInfo, t *layers.TCP, stream, dir int, flagged bool) {
	conn := s.conns[stream]
	if conn == nil {
		conn = &seqConn{}
		s.conns[stream] = conn
	}
	h := &conn.half[dir&1]
	if h.lastSeen.Before(ci.Timestamp) {
		h.lastSeen = ci.Timestamp
	}
	if h.closed {
		return
	}
	if t.SYN && h.started {
		// A SYN on a synchronised half is not stream data (RFC 5961).
		return
	}
	seq, payload := t.Seq, t.Payload
	queue := true
	if !h.started {
		if t.SYN {
			seq++
		}
		h.next, h.started, queue = seq, true, false
	} else if diff := int32(seq - h.next); diff > 0 {
		// A hole before the segment.
	} else if (t.RST && diff < 0) || (t.FIN && int32(seq+uint32(len(payload))-h.next) < 0) {
		// An RST or FIN before the stream's position: out of window.
		return
	} else {
		queue = false
	}
	if t.RST && queue {
		return
	}
	if t.FIN && queue {
		h.finSeq, h.finAhead = seq+uint32(len(payload)), true
	}
	end := t.RST || t.FIN
	skip := 0
	data := payload
	if queue {
		// Past a hole. With one page per connection the segment is pushed
		// through at once, the hole skipped; with no bytes there is
		// nothing to push.
		if len(payload) == 0 {
			return
		}
		skip = int(int32(seq - h.next))
	} else {
		if d := int32(h.next - seq); d > 0 {
			// Bytes already delivered: the first copy wins.
			data = payload[min(int(d), len(payload)):]
			seq = h.next
		}
		if len(data) == 0 && !end && !t.SYN {
			return
		}
	}
	next := seq + uint32(len(data))
	if h.finAhead && next == h.finSeq {
		end = true
		h.finAhead = false
	}
	pieces := s.pieces[:0]
	if len(data) > 0 {
		pieces = append(pieces, asmPiece{data: data, frame: n, ts: ci.Timestamp, payOff: len(payload) - len(data), flagged: flagged})
	}
	fin := end && !t.RST
	s.h.data(stream, dir, n, ci.Timestamp, pieces, skip, end, fin)
	if end {
		s.closeHalf(stream, conn, dir)
	}
	h.next = next
	if t.FIN {
		h.next++
	}
}

func (s *seqAssembler) closeHalf(stream int, conn *seqConn, dir int) {
	conn.half[dir&1].closed = true
	if conn.half[0].closed && conn.half[1].closed {
		s.h.closed(stream)
		delete(s.conns, stream)
	}
}

// flushOlderThan closes connections no packet has touched since t, as
// gopacket's FlushCloseOlderThan does when nothing is buffered.
func (s *seqAssembler) flushOlderThan(t time.Time) {
	var idle []int
	for stream, conn := range s.conns {
		if conn.lastSeen().Before(t) {
			idle = append(idle, stream)
		}
	}
	sort.Ints(idle)
	for _, stream := range idle {
		s.closeAll(stream)
	}
}

// flushAll closes every connection.
func (s *seqAssembler) flushAll() {
	streams := make([]int, 0, len(s.conns))
	for stream := range s.conns {
		streams = append(streams, stream)
	}
	sort.Ints(streams)
	for _, stream := range streams {
		s.closeAll(stream)
	}
}

func (s *seqAssembler) closeAll(stream int) {
	conn := s.conns[stream]
	for dir := range conn.half {
		if !conn.half[dir].closed {
			s.closeHalf(stream, conn, dir)
		}
	}
}
