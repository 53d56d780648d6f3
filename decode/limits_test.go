package decode

import (
	"io"
	"strconv"
	"strings"
	"testing"
)

// TestLimitsHit: a message longer than the fast pass keeps of one is
// counted (never a silent cut), and its tree shows the kept prefix.
func TestLimitsHit(t *testing.T) {
	for _, tc := range []struct {
		name    string
		bodyLen int
		cut     int64
	}{
		{"within the bound", 64 << 10, 0},
		{"longer than one message may keep", httpMaxKeep + 100<<10, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			segs := append(handshake(), seg{dir: 0, ack: true, payload: "GET / HTTP/1.1\r\nHost: x\r\n\r\n"})
			// The response spans segments, so the framer keeps it while it
			// arrives.
			resp := "HTTP/1.1 200 OK\r\nContent-Length: " + strconv.Itoa(tc.bodyLen) + "\r\n\r\n" + strings.Repeat("a", tc.bodyLen)
			const segLen = 60000
			for off := 0; off < len(resp); off += segLen {
				segs = append(segs, seg{dir: 1, ack: true, off: uint32(off), payload: resp[off:min(off+segLen, len(resp))]})
			}
			src := build(t, 80, segs)
			an := NewAnalyzer(Options{})
			for n := 1; ; n++ {
				data, ci, err := src.ReadPacket()
				if err == io.EOF {
					break
				}
				an.Add(n, ci, src.LinkType(ci), data)
			}
			an.Finish()
			got := an.LimitsHit()
			if got.HTTPCut != tc.cut || got.Any() != (tc.cut > 0) {
				t.Errorf("LimitsHit = %+v, want HTTPCut %d", got, tc.cut)
			}
			if msgs := an.HTTPMessages(); len(msgs) != 2 {
				t.Errorf("%d HTTP messages, want the request and the response", len(msgs))
			}
		})
	}
}
