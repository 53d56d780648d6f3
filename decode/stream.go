package decode

import (
	"bytes"
	"net/netip"
	"time"
)

// MaxStreamBytes bounds the payload kept per stream direction, so a long
// conversation cannot exhaust memory; what lies beyond is counted, not kept.
const MaxStreamBytes = 1 << 20

// Endpoint is one side of a TCP conversation.
type Endpoint struct {
	Addr netip.Addr
	Port uint16
}

func (e Endpoint) String() string { return netip.AddrPortFrom(e.Addr, e.Port).String() }

// Stream is one TCP conversation, numbered in order of first appearance as
// Wireshark numbers tcp.stream.
type Stream struct {
	Index          int
	Client, Server Endpoint // Client sent the first SYN (or, mid-stream, the first packet)
	Packets        int
	Bytes          int // on-the-wire frame lengths
	FirstFrame     int
	LastFrame      int
	Start, End     time.Time
	// Dir[0] is client→server, Dir[1] server→client.
	Dir [2]Half
}

// Half is one direction of a stream, reassembled in sequence order.
type Half struct {
	Packets   int
	Payload   []byte // at most MaxStreamBytes
	Truncated bool   // bytes beyond MaxStreamBytes or after a gap were not kept
	chunks    []chunk
	base      uint32
	started   bool
}

// chunk records which frame carried the payload from offset on.
type chunk struct {
	offset, frame int
}

// FrameAt reports the frame that carried byte off of this direction's payload.
func (h *Half) FrameAt(off int) int {
	f := 0
	for _, c := range h.chunks {
		if c.offset > off {
			break
		}
		f = c.frame
	}
	return f
}

// add places a segment's payload at its sequence offset. Retransmitted or
// overlapping bytes already held are not appended twice; a gap stops
// reassembly of this direction (the payload after it would be misplaced).
func (h *Half) add(seq uint32, syn bool, payload []byte, frame int) {
	if !h.started {
		h.base = seq
		if syn {
			h.base++
		}
		h.started = true
	}
	if len(payload) == 0 || h.Truncated {
		return
	}
	off := int(int32(seq - h.base))
	if off < 0 {
		payload = payload[min(-off, len(payload)):]
		off = 0
	}
	have := len(h.Payload)
	switch {
	case off > have:
		h.Truncated = true
		return
	case off+len(payload) <= have:
		return // a retransmission of what is already held
	}
	payload = payload[have-off:]
	if room := MaxStreamBytes - have; len(payload) > room {
		payload = payload[:room]
		h.Truncated = true
	}
	if len(payload) == 0 {
		return
	}
	h.chunks = append(h.chunks, chunk{offset: have, frame: frame})
	h.Payload = append(h.Payload, payload...)
}

// streamKey identifies a conversation regardless of direction.
type streamKey struct{ a, b Endpoint }

func keyOf(src, dst Endpoint) streamKey {
	if src.Addr.Less(dst.Addr) || (src.Addr == dst.Addr && src.Port < dst.Port) {
		return streamKey{src, dst}
	}
	return streamKey{dst, src}
}

// StreamTable follows TCP conversations across packets.
type StreamTable struct {
	Streams []*Stream
	byKey   map[streamKey]*Stream
}

// NewStreamTable returns an empty table.
func NewStreamTable() *StreamTable {
	return &StreamTable{byKey: map[streamKey]*Stream{}}
}

// Add accounts one TCP segment carried by frame (1-based) of wireLen bytes.
func (t *StreamTable) Add(frame int, ts time.Time, wireLen int, s Segment) *Stream {
	src, dst := Endpoint{s.Src, s.SrcPort}, Endpoint{s.Dst, s.DstPort}
	k := keyOf(src, dst)
	st := t.byKey[k]
	if st == nil {
		st = &Stream{Index: len(t.Streams), Client: src, Server: dst, FirstFrame: frame, Start: ts}
		if s.SYN && s.ACK { // first seen is the server's SYN-ACK
			st.Client, st.Server = dst, src
		}
		t.byKey[k] = st
		t.Streams = append(t.Streams, st)
	}
	st.Packets++
	st.Bytes += wireLen
	st.LastFrame = frame
	st.End = ts
	d := 0
	if src != st.Client {
		d = 1
	}
	st.Dir[d].Packets++
	st.Dir[d].add(s.Seq, s.SYN, s.Payload, frame)
	return st
}

// FindInStream reports the first occurrence of needle in either direction of
// st's reassembled payload (so matches that straddle segments are found), as
// the direction and the frame that carried the match's last byte.
func FindInStream(st *Stream, needle []byte) (dir, frame int, ok bool) {
	best := 0
	for d := range st.Dir {
		h := &st.Dir[d]
		i := bytes.Index(h.Payload, needle)
		if i < 0 {
			continue
		}
		f := h.FrameAt(i + len(needle) - 1)
		if !ok || f < best {
			dir, best, ok = d, f, true
		}
	}
	return dir, best, ok
}
