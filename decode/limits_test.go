package decode

import (
	"io"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
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

// TestPendingReserve: what a length field claims costs an attacker
// nothing, so a pending PDU reserves at most pduReserve beyond the bytes
// it holds, and the budget counts the memory its buffers hold. A flood of
// conversations each starting a 900 MB POST once reserved 8 MB apiece
// (3 GB for these 400); now they stay within the budget.
func TestPendingReserve(t *testing.T) {
	const streams = 400
	head := "POST /upload HTTP/1.1\r\nHost: flood\r\nContent-Length: 900000000\r\n\r\n"
	var frames [][]byte
	for i := 0; i < streams; i++ {
		port := uint16(10000 + i)
		frames = append(frames,
			tseg{aPort: port, seq: 100, flags: fSYN, win: 1000}.build(),
			tseg{aPort: port, fromB: true, seq: 500, ack: 101, flags: fSYN | fACK, win: 1000}.build())
		req := tseg{aPort: port, seq: 101, ack: 501, flags: fACK | fPSH, win: 1000, n: len(head) + 1000}.build()
		copy(req[len(req)-len(head)-1000:], head)
		frames = append(frames, req)
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	a := NewAnalyzer(Options{Live: true})
	for i, b := range frames {
		a.Add(i+1, gopacket.CaptureInfo{Timestamp: scenarioStart, CaptureLength: len(b), Length: len(b)}, layers.LinkTypeEthernet, b)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	if used := a.app.http.pending.used; used > httpPendingBudget+pduReserve {
		t.Errorf("pending HTTP messages hold %d bytes; the budget is %d", used, httpPendingBudget)
	}
	if grew := int64(after.HeapAlloc) - int64(before.HeapAlloc); grew > 100<<20 {
		t.Errorf("the heap grew by %d MB for %d pending requests of 1,000 bytes each", grew>>20, streams)
	}
	runtime.KeepAlive(a)
}
