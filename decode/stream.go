package decode

import (
	"net/netip"
)

// MaxStreamBytes bounds the payload the exposure stage keeps per stream
// direction (what the compare view and the report show); the secret is
// searched for in all of it, kept or not.
const MaxStreamBytes = 16 << 10

// Endpoint is one side of a conversation.
type Endpoint struct {
	Addr netip.Addr
	Port uint16
}

func (e Endpoint) String() string { return netip.AddrPortFrom(e.Addr, e.Port).String() }

// Half is what was kept of one direction of a stream, reassembled in
// sequence order.
type Half struct {
	Payload   []byte // the first MaxStreamBytes
	Truncated bool   // bytes beyond MaxStreamBytes or after a gap were not kept
	chunks    []chunk
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

// keep appends in-order bytes carried by frame, up to MaxStreamBytes; a
// gap before them stops keeping (what follows would be misplaced).
func (h *Half) keep(data []byte, frame int, gap bool) {
	if gap {
		h.Truncated = true
	}
	if h.Truncated || len(data) == 0 {
		return
	}
	if room := MaxStreamBytes - len(h.Payload); len(data) > room {
		data = data[:room]
		h.Truncated = true
	}
	if len(data) > 0 {
		h.chunks = append(h.chunks, chunk{offset: len(h.Payload), frame: frame})
		h.Payload = append(h.Payload, data...)
	}
}
