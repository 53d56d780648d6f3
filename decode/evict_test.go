package decode

import (
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// floodFrames is n TCP conversations that each open and send the start of
// an HTTP request that never ends (so the application stage holds some of
// each), then n UDP flows of one datagram, then one more segment of the
// first conversation (long evicted by then under a small bound).
func floodFrames(n int) ([][]byte, []gopacket.CaptureInfo) {
	var frames [][]byte
	add := func(b []byte) { frames = append(frames, b) }
	for i := 0; i < n; i++ {
		port := uint16(10000 + i)
		add(tseg{aPort: port, seq: 100, flags: fSYN, win: 1000}.build())
		add(tseg{aPort: port, fromB: true, seq: 500, ack: 101, flags: fSYN | fACK, win: 1000}.build())
		add(tseg{aPort: port, seq: 101, ack: 501, flags: fACK | fPSH, win: 1000, n: 40}.build())
	}
	for i := 0; i < n; i++ {
		add(sumEth4(17, "10.0.0.1", "10.0.0.2", sumUDP(uint16(20000+i), 53, []byte("abcd"))).data)
	}
	add(tseg{aPort: 10000, seq: 141, ack: 501, flags: fACK | fPSH, win: 1000, n: 40}.build())
	cis := make([]gopacket.CaptureInfo, len(frames))
	for i, b := range frames {
		cis[i] = gopacket.CaptureInfo{Timestamp: scenarioStart.Add(time.Duration(i) * time.Millisecond), CaptureLength: len(b), Length: len(b)}
	}
	return frames, cis
}

// TestMaxStreams: with Options.MaxStreams the fast pass holds at most that
// many TCP and UDP conversations, counts those it forgot, lists only those
// it holds, forgets them in the application stage too, and still
// dissects every frame (a forgotten conversation's frames without its
// stream fields).
func TestMaxStreams(t *testing.T) {
	const n, bound = 1000, 64
	frames, cis := floodFrames(n)
	for _, tc := range []struct {
		name string
		opts Options
	}{
		{"file", Options{MaxStreams: bound}},
		{"live", Options{Live: true, MaxStreams: bound}},
		{"layers only", Options{LayersOnly: true, MaxStreams: bound}},
		{"unbounded", Options{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := NewAnalyzer(tc.opts)
			peakTCP, peakUDP := 0, 0
			for i := range frames {
				a.Add(i+1, cis[i], layers.LinkTypeEthernet, frames[i])
				peakTCP, peakUDP = max(peakTCP, a.tcp.tcpHeld.held), max(peakUDP, a.tcp.udpHeld.held)
			}
			if tc.opts.Live {
				// Every stream waits for the end of its request; only the
				// ones held may.
				if open := len(a.app.r.seq.conns); open > bound {
					t.Errorf("the application stage still holds %d streams", open)
				}
			}
			a.Finish()
			lim := a.LimitsHit()
			// Under a bound the last segment reopens conversation 0 as a new one.
			wantTCP, wantUDP := n+1, n
			if tc.opts.MaxStreams == 0 { // the last segment is conversation 0's
				if lim.Any() || len(a.TCPStreams()) != n || len(a.UDPStreams()) != wantUDP {
					t.Fatalf("unbounded: limits %+v, %d TCP %d UDP streams", lim, len(a.TCPStreams()), len(a.UDPStreams()))
				}
				return
			}
			if peakTCP > bound || peakUDP > bound {
				t.Errorf("held at most %d TCP, %d UDP conversations; the bound is %d", peakTCP, peakUDP, bound)
			}
			tcpHeld, udpHeld := len(a.TCPStreams()), len(a.UDPStreams())
			if tcpHeld == 0 || int64(tcpHeld)+lim.TCPEvicted != int64(wantTCP) {
				t.Errorf("TCP: %d held + %d evicted, want %d in all", tcpHeld, lim.TCPEvicted, wantTCP)
			}
			if udpHeld == 0 || int64(udpHeld)+lim.UDPEvicted != int64(wantUDP) {
				t.Errorf("UDP: %d held + %d evicted, want %d in all", udpHeld, lim.UDPEvicted, wantUDP)
			}
			for _, st := range a.TCPStreams() {
				if st == nil {
					t.Fatal("TCPStreams lists an evicted stream")
				}
			}
			if last := a.TCPStreams()[tcpHeld-1]; last.Index != n || last.Client.Port != 10000 {
				t.Errorf("the reopened conversation is stream %d from port %d, want stream %d from 10000", last.Index, last.Client.Port, n)
			}
			for i := range frames {
				p := a.Dissect(i+1, cis[i], layers.LinkTypeEthernet, frames[i])
				if p == nil {
					t.Fatalf("frame %d: no packet", i+1)
				}
				a.Row(i+1, cis[i], layers.LinkTypeEthernet, frames[i])
			}
			if p := a.Dissect(1, cis[0], layers.LinkTypeEthernet, frames[0]); len(p.Fields("tcp.stream")) != 0 {
				t.Errorf("frame 1 (of an evicted stream) shows tcp.stream %v", p.Fields("tcp.stream")[0].U)
			}
		})
	}
}
