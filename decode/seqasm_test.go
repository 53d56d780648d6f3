package decode

import (
	"fmt"
	"io/fs"
	"math/rand"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"wiretap/decode/decodetest"
)

// asmLog records what a reassembler hands its handler, as text.
type asmLog struct{ b strings.Builder }

func (l *asmLog) data(stream, dir, frame int, ts time.Time, pieces []asmPiece, skip int, end, fin bool) {
	fmt.Fprintf(&l.b, "data s%d d%d f%d skip=%d end=%v fin=%v", stream, dir, frame, skip, end, fin)
	for _, p := range pieces {
		fmt.Fprintf(&l.b, " [f%d off%d fl%v %x]", p.frame, p.payOff, p.flagged, p.data)
	}
	l.b.WriteByte('\n')
}

func (l *asmLog) closed(stream int) { fmt.Fprintf(&l.b, "closed s%d\n", stream) }

// asmPair feeds the same segments to seqAssembler and to gopacket's
// Assembler in the same mode.
type asmPair struct {
	seqLog, gpLog asmLog
	seq, gp       *tcpReassembler
}

func newAsmPair() *asmPair {
	p := &asmPair{}
	p.seq = newTCPReassembler(&p.seqLog, false)
	p.gp = newTCPReassembler(&p.gpLog, false)
	p.gp.seq = nil
	return p
}

func (p *asmPair) add(n int, ci gopacket.CaptureInfo, t *layers.TCP, stream, dir int, flagged bool) {
	p.seq.add(n, ci, t, stream, dir, flagged)
	p.gp.add(n, ci, t, stream, dir, flagged)
}

func (p *asmPair) compare(t *testing.T, what string) {
	p.seq.flushAll()
	p.gp.flushAll()
	a, b := closesSorted(p.seqLog.b.String()), closesSorted(p.gpLog.b.String())
	for i := 0; i < len(a) || i < len(b); i++ {
		var x, y string
		if i < len(a) {
			x = a[i]
		}
		if i < len(b) {
			y = b[i]
		}
		if x != y {
			t.Errorf("%s: call %d differs:\n seqAssembler %s\n gopacket     %s", what, i, x, y)
			return
		}
	}
}

// closesSorted splits a log into lines, sorting each run of "closed" lines:
// gopacket closes idle connections in map order.
func closesSorted(log string) []string {
	lines := strings.Split(log, "\n")
	for i := 0; i < len(lines); {
		j := i
		for j < len(lines) && strings.HasPrefix(lines[j], "closed") {
			j++
		}
		sort.Strings(lines[i:j])
		i = j + 1
	}
	return lines
}

// TestSeqAssemblerMatchesGopacket: on every TCP segment of every capture in
// testdata, and on random segment sequences, seqAssembler hands the handler
// exactly what gopacket's Assembler (one page per connection) does.
func TestSeqAssemblerMatchesGopacket(t *testing.T) {
	files := 0
	filepath.WalkDir("testdata", func(path string, d fs.DirEntry, err error) error {
		switch filepath.Ext(path) {
		case ".pcap", ".pcapng", ".cap", ".gz":
		default:
			return nil
		}
		pkts, err := decodetest.ReadFile(path)
		if err != nil {
			return nil
		}
		files++
		a := NewAnalyzer(Options{})
		pair := newAsmPair()
		for i, pk := range pkts {
			f := a.dec.Decode(pk.LinkType, pk.Data)
			if !f.Has(layers.LayerTypeTCP) {
				continue
			}
			if st := a.tcp.add(i+1, pk.CI, f); st != nil {
				seg := segInfoOf(st)
				pair.add(i+1, pk.CI, &f.TCP, seg.stream, seg.dir, seg.flags&(taRetransmission|taOutOfOrder) != 0)
			}
		}
		pair.compare(t, path)
		return nil
	})
	if files == 0 {
		t.Fatal("no captures under testdata")
	}

	// Random conversations: holes, overlaps, retransmissions, wrap-around,
	// SYN/FIN/RST anywhere, and pauses long enough for the idle flush.
	rng := rand.New(rand.NewSource(1))
	for round := 0; round < 300; round++ {
		pair := newAsmPair()
		var next [2]uint32
		for d := range next {
			next[d] = rng.Uint32()
			if rng.Intn(4) == 0 {
				next[d] = 0xffffff00 // wraps soon
			}
		}
		ts := time.Unix(1e9, 0)
		for n := 1; n <= 60; n++ {
			stream := rng.Intn(3)
			dir := rng.Intn(2)
			seq := next[dir]
			switch rng.Intn(6) {
			case 0:
				seq += uint32(rng.Intn(50)) // a hole
			case 1:
				seq -= uint32(rng.Intn(50)) // overlap or retransmission
			}
			payload := make([]byte, rng.Intn(40))
			for i := range payload {
				payload[i] = byte(n)
			}
			tcp := &layers.TCP{SrcPort: 1000, DstPort: 80, Seq: seq, ACK: true}
			tcp.Payload = payload
			if dir == 1 {
				tcp.SrcPort, tcp.DstPort = 80, 1000
			}
			switch rng.Intn(20) {
			case 0:
				tcp.SYN = true
			case 1:
				tcp.FIN = true
			case 2:
				tcp.RST = true
			}
			if rng.Intn(15) == 0 {
				ts = ts.Add(70 * time.Second)
			} else {
				ts = ts.Add(time.Millisecond)
			}
			if int32(seq+uint32(len(payload))-next[dir]) > 0 {
				next[dir] = seq + uint32(len(payload))
			}
			pair.add(n, gopacket.CaptureInfo{Timestamp: ts}, tcp, stream, dir, rng.Intn(10) == 0)
		}
		pair.compare(t, fmt.Sprintf("random round %d", round))
	}
}
