package decode

import (
	"encoding/binary"
	"fmt"
	"os"
	pathpkg "path"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"wiretap/capture/oracletest"
)

// tseg describes one hand-built TCP segment of a scenario.
type tseg struct {
	at       time.Duration // since the scenario's start
	fromB    bool          // sent by B (10.0.0.2:80) rather than A (10.0.0.1:40000)
	seq, ack uint32
	flags    uint8 // TCP flags byte: FIN 1, SYN 2, RST 4, PSH 8, ACK 16
	win      uint16
	n        int    // payload bytes
	opts     []byte // TCP options (padded to 4 bytes by the caller)
	aPort    uint16 // A's port when not 40000
}

const (
	fFIN = 0x01
	fSYN = 0x02
	fRST = 0x04
	fPSH = 0x08
	fACK = 0x10
)

// build makes the Ethernet/IPv4/TCP frame of s.
func (s tseg) build() []byte {
	src, dst := []byte{10, 0, 0, 1}, []byte{10, 0, 0, 2}
	ap := s.aPort
	if ap == 0 {
		ap = 40000
	}
	sp, dp := ap, uint16(80)
	if s.fromB {
		src, dst, sp, dp = dst, src, dp, sp
	}
	thl := 20 + len(s.opts)
	tcp := make([]byte, thl+s.n)
	binary.BigEndian.PutUint16(tcp[0:], sp)
	binary.BigEndian.PutUint16(tcp[2:], dp)
	binary.BigEndian.PutUint32(tcp[4:], s.seq)
	binary.BigEndian.PutUint32(tcp[8:], s.ack)
	tcp[12] = byte(thl/4) << 4
	tcp[13] = s.flags
	binary.BigEndian.PutUint16(tcp[14:], s.win)
	copy(tcp[20:], s.opts)
	for i := thl; i < len(tcp); i++ {
		tcp[i] = 'x'
	}
	ip := []byte{0x45, 0, 0, 0, 0, 1, 0x40, 0, 64, 6, 0, 0}
	binary.BigEndian.PutUint16(ip[2:], uint16(20+len(tcp)))
	ip = append(append(append(ip, src...), dst...), tcp...)
	binary.BigEndian.PutUint16(ip[10:], inetChecksum(0, ip[:20]))
	eth := []byte{0, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0x08, 0x00}
	if s.fromB {
		copy(eth[0:6], []byte{0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb})
		copy(eth[6:12], []byte{0, 0x11, 0x22, 0x33, 0x44, 0x55})
	}
	return append(eth, ip...)
}

var scenarioStart = time.Unix(1700000000, 0)

// runScenario runs both tiers over the segments.
func runScenario(segs []tseg) (*Analyzer, []*Packet) {
	a := NewAnalyzer(Options{})
	var frames [][]byte
	for i, s := range segs {
		b := s.build()
		frames = append(frames, b)
		a.Add(i+1, gopacket.CaptureInfo{Timestamp: scenarioStart.Add(s.at), CaptureLength: len(b), Length: len(b)}, layers.LinkTypeEthernet, b)
	}
	a.Finish()
	var ps []*Packet
	for i, s := range segs {
		b := frames[i]
		ps = append(ps, a.Dissect(i+1, gopacket.CaptureInfo{Timestamp: scenarioStart.Add(s.at), CaptureLength: len(b), Length: len(b)}, layers.LinkTypeEthernet, b))
	}
	return a, ps
}

// writePcap writes the scenario as a pcap for tshark.
func writePcap(t *testing.T, segs []tseg) string {
	t.Helper()
	var out []byte
	hdr := make([]byte, 24)
	binary.LittleEndian.PutUint32(hdr[0:], 0xa1b23c4d) // nanosecond pcap
	binary.LittleEndian.PutUint16(hdr[4:], 2)
	binary.LittleEndian.PutUint16(hdr[6:], 4)
	binary.LittleEndian.PutUint32(hdr[16:], 65535)
	binary.LittleEndian.PutUint32(hdr[20:], 1)
	out = append(out, hdr...)
	for _, s := range segs {
		b := s.build()
		ts := scenarioStart.Add(s.at)
		rec := make([]byte, 16)
		binary.LittleEndian.PutUint32(rec[0:], uint32(ts.Unix()))
		binary.LittleEndian.PutUint32(rec[4:], uint32(ts.Nanosecond()))
		binary.LittleEndian.PutUint32(rec[8:], uint32(len(b)))
		binary.LittleEndian.PutUint32(rec[12:], uint32(len(b)))
		out = append(append(out, rec...), b...)
	}
	path := filepath.Join(t.TempDir(), "scenario.pcap")
	if err := os.WriteFile(path, out, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

var ms = time.Millisecond

// wsOpt is a window scale option (with a NOP to pad it to four bytes).
func wsOpt(shift byte) []byte { return []byte{1, 3, 3, shift} }

// tcpScenarios are the TCP analysis cases: each lists, per frame, the
// fields it must show (field=value, ";"-separated; "field=" means absent).
var tcpScenarios = []struct {
	name string
	segs []tseg
	want []string
}{
	{"retransmission", []tseg{
		{at: 0, seq: 1000, ack: 1, flags: fACK | fPSH, win: 500, n: 10},
		{at: 1 * ms, seq: 1010, ack: 1, flags: fACK | fPSH, win: 500, n: 10},
		{at: 400 * ms, seq: 1000, ack: 1, flags: fACK | fPSH, win: 500, n: 10},
	}, []string{
		"tcp.seq=1;tcp.analysis.retransmission=",
		"tcp.seq=11;tcp.analysis.retransmission=",
		"tcp.seq=1;tcp.nxtseq=11;tcp.analysis.retransmission=1;tcp.analysis.out_of_order=",
	}},
	{"out-of-order and lost segment", []tseg{
		{at: 0, seq: 1000, ack: 1, flags: fACK, win: 500, n: 10},
		{at: 1 * ms, seq: 1020, ack: 1, flags: fACK, win: 500, n: 10},
		{at: 2 * ms, seq: 1010, ack: 1, flags: fACK, win: 500, n: 10},
	}, []string{
		"tcp.analysis.lost_segment=",
		"tcp.seq=21;tcp.analysis.lost_segment=1",
		"tcp.seq=11;tcp.analysis.out_of_order=1;tcp.analysis.retransmission=",
	}},
	{"duplicate ack", []tseg{
		{at: 0, seq: 1000, ack: 5000, flags: fACK, win: 500, n: 100},
		{at: 1 * ms, fromB: true, seq: 5000, ack: 1100, flags: fACK, win: 800},
		{at: 2 * ms, seq: 1200, ack: 5000, flags: fACK, win: 500, n: 100},
		{at: 3 * ms, fromB: true, seq: 5000, ack: 1100, flags: fACK, win: 800},
		{at: 4 * ms, fromB: true, seq: 5000, ack: 1100, flags: fACK, win: 800},
	}, []string{
		"tcp.analysis.duplicate_ack=",
		"tcp.ack=101;tcp.analysis.duplicate_ack=",
		"tcp.analysis.lost_segment=1",
		"tcp.analysis.duplicate_ack=1,1;tcp.analysis.duplicate_ack_num=1;tcp.analysis.duplicate_ack_frame=2",
		"tcp.analysis.duplicate_ack=1,1;tcp.analysis.duplicate_ack_num=2;tcp.analysis.duplicate_ack_frame=2",
	}},
	{"zero window", []tseg{
		{at: 0, seq: 1000, ack: 5000, flags: fACK, win: 500, n: 100},
		{at: 1 * ms, fromB: true, seq: 5000, ack: 1100, flags: fACK, win: 0},
	}, []string{
		"tcp.analysis.zero_window=",
		"tcp.analysis.zero_window=1;tcp.window_size=0",
	}},
	{"missing SYN", []tseg{
		{at: 0, seq: 77777, ack: 99999, flags: fACK | fPSH, win: 100, n: 5},
		{at: 1 * ms, fromB: true, seq: 99999, ack: 77782, flags: fACK, win: 100},
	}, []string{
		"tcp.seq=1;tcp.ack=1;tcp.nxtseq=6;tcp.window_size=100;tcp.window_size_scalefactor=-1;tcp.stream=0",
		"tcp.seq=1;tcp.ack=6;tcp.stream=0",
	}},
	{"sequence wrap-around", []tseg{
		{at: 0, seq: 0xfffffff0, flags: fSYN, win: 1000},
		{at: 1 * ms, fromB: true, seq: 300, ack: 0xfffffff1, flags: fSYN | fACK, win: 1000},
		{at: 2 * ms, seq: 0xfffffff1, ack: 301, flags: fACK, win: 1000, n: 100},
		{at: 3 * ms, seq: 0x55, ack: 301, flags: fACK, win: 1000, n: 100},
		{at: 4 * ms, fromB: true, seq: 301, ack: 0xb9, flags: fACK, win: 1000},
	}, []string{
		"tcp.seq=0;tcp.window_size_scalefactor=",
		"tcp.seq=0;tcp.ack=1",
		"tcp.seq=1;tcp.nxtseq=101;tcp.window_size_scalefactor=-2",
		"tcp.seq=101;tcp.nxtseq=201;tcp.analysis.lost_segment=;tcp.analysis.retransmission=",
		"tcp.ack=201;tcp.analysis.ack_lost_segment=",
	}},
	{"port reuse", []tseg{
		{at: 0, seq: 100, flags: fSYN, win: 1000, opts: wsOpt(7)},
		{at: 1 * ms, fromB: true, seq: 900, ack: 101, flags: fSYN | fACK, win: 1000, opts: wsOpt(2)},
		{at: 2 * ms, seq: 101, ack: 901, flags: fACK, win: 10},
		{at: 3 * ms, fromB: true, seq: 901, ack: 101, flags: fACK, win: 10},
		{at: 4 * ms, seq: 101, ack: 901, flags: fFIN | fACK, win: 10},
		{at: 5 * ms, fromB: true, seq: 901, ack: 102, flags: fFIN | fACK, win: 10},
		{at: 6 * ms, seq: 102, ack: 902, flags: fACK, win: 10},
		{at: 1000 * ms, seq: 5000, flags: fSYN, win: 1000},
		{at: 1500 * ms, seq: 5000, flags: fSYN, win: 1000},
		{at: 1501 * ms, fromB: true, seq: 7000, ack: 5001, flags: fSYN | fACK, win: 1000},
		{at: 1502 * ms, seq: 5001, ack: 7001, flags: fACK, win: 10},
	}, []string{
		"tcp.stream=0;tcp.seq=0",
		"tcp.stream=0",
		"tcp.stream=0;tcp.window_size_value=10;tcp.window_size=1280;tcp.window_size_scalefactor=128",
		"tcp.stream=0;tcp.window_size=40;tcp.window_size_scalefactor=4",
		"tcp.stream=0",
		"tcp.stream=0",
		"tcp.stream=0",
		"tcp.stream=1;tcp.seq=0",
		"tcp.stream=1;tcp.seq=0;tcp.analysis.retransmission=1",
		"tcp.stream=1;tcp.ack=1",
		"tcp.stream=1;tcp.seq=1;tcp.window_size=10;tcp.window_size_scalefactor=-2",
	}},
}

func checkScenario(t *testing.T, ps []*Packet, want []string) {
	t.Helper()
	for i, line := range want {
		for _, kv := range strings.Split(line, ";") {
			k, v, _ := strings.Cut(kv, "=")
			if got := ps[i].FieldText(k, ","); got != v {
				t.Errorf("frame %d %s = %q, want %q (info %q)", i+1, k, got, v, ps[i].Summary.Info)
			}
		}
	}
}

func TestTCPAnalysisCases(t *testing.T) {
	for _, sc := range tcpScenarios {
		t.Run(sc.name, func(t *testing.T) {
			_, ps := runScenario(sc.segs)
			checkScenario(t, ps, sc.want)
		})
	}
}

// tcpOracleFields are compared with tshark on every scenario.
var tcpOracleFields = strings.Fields(`tcp.stream tcp.seq tcp.ack tcp.nxtseq tcp.len tcp.window_size
tcp.window_size_scalefactor tcp.analysis.retransmission tcp.analysis.fast_retransmission
tcp.analysis.spurious_retransmission tcp.analysis.out_of_order tcp.analysis.duplicate_ack
tcp.analysis.duplicate_ack_num tcp.analysis.duplicate_ack_frame tcp.analysis.zero_window
tcp.analysis.lost_segment tcp.analysis.ack_lost_segment tcp.analysis.keep_alive
tcp.analysis.window_update tcp.analysis.window_full tcp.analysis.acks_frame tcp.analysis.ack_rtt
tcp.analysis.initial_rtt tcp.analysis.reused_ports tcp.time_relative`)

// TestTCPAnalysisOracle writes each scenario to a pcap and compares the
// TCP fields with tshark's, so the expectations above are tshark's too
// (tshark's outputs recorded in testdata/golden/TestTCPAnalysisOracle).
func TestTCPAnalysisOracle(t *testing.T) {
	o := oracletest.New(t, oracletest.Tshark)
	var scenarios, packets, compared int
	for _, sc := range tcpScenarios {
		t.Run(sc.name, func(t *testing.T) {
			path := writePcap(t, sc.segs)
			args := []string{"-2", "-n", "-r", path, "-T", "fields", "-E", "separator=/t", "-E", "occurrence=a", "-E", "aggregator=,"}
			for _, f := range tcpOracleFields {
				args = append(args, "-e", f)
			}
			res, err := o.Run(oracletest.Input{Name: "tcpanalysis/" + pathpkg.Base(t.Name()) + ".pcap", Path: path}, args...)
			if err == nil && res.Exit != 0 {
				err = fmt.Errorf("exit status %d: %s", res.Exit, res.Stderr)
			}
			if err != nil {
				t.Fatalf("tshark: %v", err)
			}
			_, ps := runScenario(sc.segs)
			lines := strings.Split(strings.TrimRight(string(res.Stdout), "\n"), "\n")
			if len(lines) != len(ps) {
				t.Fatalf("tshark printed %d lines for %d packets", len(lines), len(ps))
			}
			scenarios++
			for i, line := range lines {
				packets++
				cols := strings.Split(line, "\t")
				for j, f := range tcpOracleFields {
					w := column(cols, j)
					compared++
					if g := ps[i].FieldText(f, ","); g != w {
						t.Errorf("frame %d %s: wiretap %q, tshark %q", i+1, f, g, w)
					}
				}
			}
		})
	}
	t.Logf("TCP analysis oracle: %d scenarios, %d packets, %d fields each, %d values compared",
		scenarios, packets, len(tcpOracleFields), compared)
	o.Done(compared)
}

// TestTCPStreams checks the conversation table behind -z conv,tcp.
func TestTCPStreams(t *testing.T) {
	a, _ := runScenario(tcpScenarios[len(tcpScenarios)-1].segs)
	sts := a.TCPStreams()
	if len(sts) != 2 {
		t.Fatalf("%d streams", len(sts))
	}
	s := sts[0]
	if s.Client.String() != "10.0.0.1:40000" || s.Server.String() != "10.0.0.2:80" {
		t.Errorf("stream 0 %v ↔ %v", s.Client, s.Server)
	}
	if s.Packets != [2]int{4, 3} || s.FirstFrame != 1 || s.LastFrame != 7 {
		t.Errorf("stream 0 packets %v frames %d-%d", s.Packets, s.FirstFrame, s.LastFrame)
	}
	if s.Bytes[0] != 4*54+4 { // the SYN carries 4 bytes of options
		t.Errorf("stream 0 bytes %v", s.Bytes)
	}
	if d := s.End.Sub(s.Start); d != 6*ms {
		t.Errorf("stream 0 duration %v", d)
	}
	if sts[1].Packets != [2]int{3, 1} || sts[1].IRTT() != 2*ms {
		t.Errorf("stream 1 packets %v irtt %v", sts[1].Packets, sts[1].IRTT())
	}
}

// benchCapture builds n packets of TCP conversations (handshake, data
// both ways, ACKs), 64 streams interleaved.
func benchCapture(n int) ([][]byte, []gopacket.CaptureInfo) {
	const streams = 64
	type st struct{ a, b uint32 }
	state := make([]st, streams)
	var frames [][]byte
	var cis []gopacket.CaptureInfo
	for i := 0; len(frames) < n; i++ {
		k := i % streams
		s := &state[k]
		var sg tseg
		sg.aPort = uint16(20000 + k)
		sg.at = time.Duration(i) * 10 * time.Microsecond
		switch step := (i / streams) % 8; {
		case i/streams == 0:
			sg.seq, sg.flags, sg.win = 1000, fSYN, 65535
			s.a = 1001
		case i/streams == 1:
			sg.fromB, sg.seq, sg.ack, sg.flags, sg.win = true, 5000, s.a, fSYN|fACK, 65535
			s.b = 5001
		case step%2 == 0:
			sg.seq, sg.ack, sg.flags, sg.win, sg.n = s.a, s.b, fACK|fPSH, 1000, 200
			s.a += 200
		default:
			sg.fromB, sg.seq, sg.ack, sg.flags, sg.win, sg.n = true, s.b, s.a, fACK, 1000, 100
			s.b += 100
		}
		b := sg.build()
		frames = append(frames, b)
		cis = append(cis, gopacket.CaptureInfo{Timestamp: scenarioStart.Add(sg.at), CaptureLength: len(b), Length: len(b)})
	}
	return frames, cis
}

// BenchmarkAnalyzerAdd is the fast pass over a generated 100k-packet TCP
// capture; one op is one packet.
func BenchmarkAnalyzerAdd(b *testing.B) {
	frames, cis := benchCapture(100000)
	b.ReportAllocs()
	b.ResetTimer()
	var a *Analyzer
	for i := 0; i < b.N; i++ {
		k := i % len(frames)
		if k == 0 {
			b.StopTimer()
			a = NewAnalyzer(Options{})
			b.StartTimer()
		}
		a.Add(k+1, cis[k], layers.LinkTypeEthernet, frames[k])
	}
}

// TestFastPassMemory: the fast pass keeps at most 16 bytes per frame on
// average over a long capture (stream index, timestamp, ACK analysis).
func TestFastPassMemory(t *testing.T) {
	frames, cis := benchCapture(100000)
	a := NewAnalyzer(Options{})
	for i := range frames {
		a.Add(i+1, cis[i], layers.LinkTypeEthernet, frames[i])
	}
	a.Finish()
	per := (a.tcp.frames.bytes(4) + a.tcp.acked.bytes(4) + a.lay.times.bytes(8)) / len(frames)
	if per > 20 {
		t.Errorf("%d bytes per frame in the per-frame arrays", per)
	}
	if len(a.tcp.flags) > 100 {
		t.Errorf("%d frames with analysis flags in a clean capture", len(a.tcp.flags))
	}
	if got := len(a.TCPStreams()); got != 64 {
		t.Errorf("%d streams", got)
	}
}
