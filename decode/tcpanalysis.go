package decode

import (
	"net/netip"
	"strconv"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// The fast pass over TCP and UDP: conversation numbering (tcp.stream,
// udp.stream) as Wireshark numbers them, per-direction state for relative
// sequence numbers and window scaling, and Wireshark's SEQ/ACK analysis
// flags (packet-tcp.c, tcp_analyze_sequence_number), computed once over
// every packet and kept compactly: four bytes per frame for the stream
// index, plus a sparse map for the rare frames that carry analysis flags.

// TCP header flag bits, as Wireshark numbers them.
const (
	thFIN = 0x001
	thSYN = 0x002
	thRST = 0x004
	thPSH = 0x008
	thACK = 0x010
	thURG = 0x020
	thECE = 0x040
	thCWR = 0x080
	thNS  = 0x100
)

// Analysis flags of one frame (Wireshark's TCP_A_*).
const (
	taRetransmission = 1 << iota
	taLostPacket
	taAckLostPacket
	taKeepAlive
	taDuplicateAck
	taZeroWindow
	taZeroWindowProbe
	taZeroWindowProbeAck
	taKeepAliveAck
	taOutOfOrder
	taFastRetransmission
	taWindowUpdate
	taWindowFull
	taReusedPorts
	taSpuriousRetransmission
)

// tcpFrameFlags is what the analysis found about one frame.
type tcpFrameFlags struct {
	flags       uint16
	dupAckNum   uint32
	dupAckFrame uint32
}

// Stream is one TCP conversation (one tcp.stream index). A (Client)
// is the side that sent the conversation's first packet, as in tshark's
// -z conv,tcp; [0] of the per-direction arrays is A→B, [1] B→A.
type Stream struct {
	Index          int
	Client, Server Endpoint
	Packets        [2]int
	Bytes          [2]int64 // frame lengths on the wire
	Payload        [2]int64 // TCP payload bytes (retransmissions included)
	FirstFrame     int
	LastFrame      int
	Start, End     time.Time // the first and the last packets' times
	// Earliest and Latest are the earliest and latest packets' times, as
	// tshark's conversation tables keep them (convSpan).
	Earliest, Latest time.Time
	// LastDir is the direction (0 A→B, 1 B→A) of the packet add saw last:
	// for the application stage, which gets the stream right after.
	LastDir int

	flow     [2]tcpFlow
	compl    uint8 // tcp.completeness bits
	sawData  bool
	firstRTT int64 // iRTT (SYN → first ACK), ns; 0 unknown
	mruSyn   int64 // time of the latest SYN
	finDir   int8  // the direction of the first FIN plus one (it initiates the close), 0 none
}

// TotalPackets is how many packets the conversation has, both ways.
func (s *Stream) TotalPackets() int { return s.Packets[0] + s.Packets[1] }

// TotalBytes is the conversation's frame lengths on the wire, both ways.
func (s *Stream) TotalBytes() int64 { return s.Bytes[0] + s.Bytes[1] }

// String names a stream by its index and endpoints.
func (s *Stream) String() string {
	return strconv.Itoa(s.Index) + " " + s.Client.String() + " ↔ " + s.Server.String()
}

// tcpFlow is one direction's state (Wireshark's tcp_flow_t).
type tcpFlow struct {
	baseSeq       uint32
	baseSet       bool
	winScale      int8 // -1 unknown, -2 no scaling, else the shift
	notFirstAck   bool
	window        uint32 // last window value (unscaled)
	nextseq       uint32
	maxSeqToAck   uint32
	lastack       uint32
	nextseqTime   int64
	lastackTime   int64
	lastNonDupAck uint32
	dupAckNum     int32
	lastSegFlags  uint16
	noBIF         bool // bytes in flight unknown until an ACK comes back
	// unacked lists the segments sent and not yet acknowledged, oldest
	// first (Wireshark's tcp_unacked_t list, bounded as it is).
	unacked []tcpUnacked
}

type tcpUnacked struct{ frame, seq, nextseq uint32 }

// maxUnacked is Wireshark's TCP_MAX_UNACKED_SEGMENTS.
const maxUnacked = 1000

// acked-slice flag: the frame has a SEQ/ACK analysis subtree in Wireshark.
const ackedHasAnalysis = 1 << 31

// Dir reports the direction of a packet sent from addr:port: 0 for A→B.
func (s *Stream) Dir(addr netip.Addr, port uint16) int {
	if s.Client.Addr == addr && s.Client.Port == port {
		return 0
	}
	return 1
}

// BaseSeq is the number relative sequence numbers of direction dir count
// from (the ISN, or one less than the first sequence number seen when the
// SYN was not captured), as Wireshark computes tcp.seq.
func (s *Stream) BaseSeq(dir int) uint32 { return s.flow[dir&1].baseSeq }

// WindowScale is direction dir's window scale shift: -1 when unknown
// (no SYN seen), -2 when the handshake showed scaling is not used.
func (s *Stream) WindowScale(dir int) int { return int(s.flow[dir&1].winScale) }

// IRTT is the initial round-trip time (SYN to the ACK of the SYN-ACK).
func (s *Stream) IRTT() time.Duration { return time.Duration(s.firstRTT) }

// UDPStreamInfo is one UDP conversation (one udp.stream index).
type UDPStreamInfo struct {
	Index      int
	A, B       Endpoint
	Packets    [2]int
	Bytes      [2]int64
	FirstFrame int
	LastFrame  int
	Start, End time.Time // the first and the last packets' times
	// Earliest and Latest: as Stream's.
	Earliest, Latest time.Time
}

// convKey identifies a conversation regardless of direction.
type convKey struct {
	a, b   [16]byte
	pa, pb uint16
}

func makeConvKey(src, dst netip.Addr, sp, dp uint16) convKey {
	s, d := src.As16(), dst.As16()
	if lessAddrPort(s, sp, d, dp) {
		return convKey{s, d, sp, dp}
	}
	return convKey{d, s, dp, sp}
}

func lessAddrPort(a [16]byte, pa uint16, b [16]byte, pb uint16) bool {
	for i := range a {
		if a[i] != b[i] {
			return a[i] < b[i]
		}
	}
	return pa <= pb
}

type tcpAnalysis struct {
	streams []*Stream
	byKey   map[convKey]*Stream
	// The last segment's stream: most segments' stream is the one
	// before's (a map lookup hashes the 36-byte key).
	last    *Stream
	lastKey convKey
	// frames holds, per frame (n-1), its tcp.stream or udp.stream index
	// plus one (0: neither).
	frames frameTable[uint32]
	// acked holds, per TCP frame, the frame it acknowledges (tcp.analysis.
	// acks_frame; 0 none) with ackedHasAnalysis set when Wireshark would
	// show a SEQ/ACK analysis subtree.
	acked frameTable[uint32]
	// prev holds, per TCP frame, the frame before it in its stream (0:
	// none): tcp.time_delta.
	prev  frameTable[uint32]
	flags map[uint32]tcpFrameFlags
	// flagged has bit n set when flags holds frame n: most frames have
	// none, and a bit test is cheaper than the map's miss.
	flagged []uint64
	udp     []*UDPStreamInfo
	udpKey  map[convKey]*UDPStreamInfo
	// maxStreams bounds the conversations held, TCP and UDP each
	// (Options.MaxStreams, evict.go): evicted ones are nil in streams
	// and udp.
	maxStreams       int
	tcpHeld, udpHeld evictor
	evictedNow       []int
}

// frameFlags is what TCP analysis found of frame n.
func (t *tcpAnalysis) frameFlags(n int) tcpFrameFlags {
	if n < 0 || n>>6 >= len(t.flagged) || t.flagged[n>>6]&(1<<(n&63)) == 0 {
		return tcpFrameFlags{}
	}
	return t.flags[uint32(n)]
}

func newTCPAnalysis() *tcpAnalysis {
	return &tcpAnalysis{
		byKey:  map[convKey]*Stream{},
		flags:  map[uint32]tcpFrameFlags{},
		udpKey: map[convKey]*UDPStreamInfo{},
	}
}

func (t *tcpAnalysis) setFrame(n int, v uint32) {
	if n <= 0 {
		return
	}
	t.frames.set(n, v)
}

// conv returns frame n's stream index, if it had one.
func (t *tcpAnalysis) conv(n int) (int, bool) {
	v, ok := t.frames.get(n)
	if !ok || v == 0 {
		return 0, false
	}
	return int(v - 1), true
}

// netAddrs returns the innermost IP addresses of f.
func netAddrs(f *Frame) (src, dst netip.Addr, ipLen int, ok bool) {
	for i := len(f.Layers) - 1; i >= 0; i-- {
		switch f.Layers[i] {
		case layers.LayerTypeIPv4:
			src, _ = netip.AddrFromSlice(f.IP4.SrcIP.To4())
			dst, _ = netip.AddrFromSlice(f.IP4.DstIP.To4())
			return src, dst, int(f.IP4.Length) - int(f.IP4.IHL)*4, true
		case layers.LayerTypeIPv6:
			src, _ = netip.AddrFromSlice(f.IP6.SrcIP)
			dst, _ = netip.AddrFromSlice(f.IP6.DstIP)
			return src, dst, -1, true
		}
	}
	return
}

func tcpFlagBits(t *layers.TCP) uint16 {
	var fl uint16
	for _, b := range [...]struct {
		on  bool
		bit uint16
	}{{t.FIN, thFIN}, {t.SYN, thSYN}, {t.RST, thRST}, {t.PSH, thPSH}, {t.ACK, thACK}, {t.URG, thURG}, {t.ECE, thECE}, {t.CWR, thCWR}, {t.NS, thNS}} {
		if b.on {
			fl |= b.bit
		}
	}
	return fl
}

func frameLen(ci gopacket.CaptureInfo) int64 {
	if ci.Length > 0 {
		return int64(ci.Length)
	}
	return int64(ci.CaptureLength)
}

// add runs the fast pass over the TCP segment of frame n (f must carry one)
// and returns its conversation.
func (t *tcpAnalysis) add(n int, ci gopacket.CaptureInfo, f *Frame) *Stream {
	src, dst, ipPayload, ok := netAddrs(f)
	if !ok {
		return nil
	}
	h := &f.TCP
	sp, dp := uint16(h.SrcPort), uint16(h.DstPort)
	fl := tcpFlagBits(h)
	seq, ack := h.Seq, h.Ack
	seglen := len(h.Payload)
	if ipPayload >= 0 && f.IP4.Length != 0 {
		if want := ipPayload - int(h.DataOffset)*4; want > seglen && !isReassembled(f) {
			seglen = want // bytes the snap length cut are still sequence space
		}
	}
	ts := ci.Timestamp.UnixNano()
	key := makeConvKey(src, dst, sp, dp)
	st := t.last
	if st == nil || key != t.lastKey {
		st = t.byKey[key]
	}
	var reused bool
	if st != nil && fl&(thSYN|thACK) == thSYN {
		fwd := &st.flow[st.Dir(src, sp)]
		if fwd.baseSet && seq != fwd.baseSeq {
			st, reused = nil, true // port reuse: a new conversation
		}
	}
	if st == nil {
		st = &Stream{
			Index:  len(t.streams),
			Client: Endpoint{src, sp}, Server: Endpoint{dst, dp},
			FirstFrame: n, Start: ci.Timestamp,
		}
		st.flow[0].winScale, st.flow[1].winScale = -1, -1
		t.streams = append(t.streams, st)
		t.byKey[key] = st
		if t.tcpHeld.over(t.maxStreams) {
			t.evictTCP()
		}
	}
	t.last, t.lastKey = st, key
	d := st.Dir(src, sp)
	st.LastDir = d
	st.Packets[d]++
	st.Bytes[d] += frameLen(ci)
	st.Payload[d] += int64(seglen)
	if st.LastFrame != 0 {
		t.prev.set(n, uint32(st.LastFrame))
	}
	st.LastFrame, st.End = n, ci.Timestamp
	st.Earliest, st.Latest = convTimes(st.Earliest, st.Latest, ci.Timestamp)
	t.setFrame(n, uint32(st.Index)+1)

	fwd, rev := &st.flow[d], &st.flow[1-d]
	switch {
	case fl&(thSYN|thACK) == thSYN:
		st.compl |= complSYN
	case fl&(thSYN|thACK) == thSYN|thACK:
		st.compl |= complSYNACK
	case fl&thACK != 0 && seglen == 0:
		st.compl |= complACK
	}
	if seglen > 0 {
		st.sawData = true
	}
	if fl&thFIN != 0 {
		st.compl |= complFIN
		if st.finDir == 0 {
			st.finDir = int8(d) + 1
		}
	}
	if fl&thRST != 0 {
		st.compl |= complRST
	}
	// iRTT: from the latest SYN to the first pure ACK.
	if fl&(thSYN|thACK) == thSYN {
		st.mruSyn = ts
	}
	if fl&(thSYN|thACK) == thACK && st.firstRTT == 0 && st.mruSyn != 0 {
		st.firstRTT = ts - st.mruSyn
	}
	if fl&(thSYN|thACK) == thACK {
		fwd.notFirstAck = true
	}
	var ff tcpFrameFlags
	if reused {
		ff.flags |= taReusedPorts
	}
	ackedFrame, hasTA := analyzeSeq(st, fwd, rev, n, ts, seq, ack, uint32(seglen), fl, uint32(h.Window), &ff)
	if ackedFrame != 0 || hasTA || ff.flags != 0 {
		t.acked.set(n, ackedFrame|ackedHasAnalysis)
	}
	// Window scaling, from the options of this packet (any WS option
	// counts, as in Wireshark's first pass), then checked on SYNs.
	for i := range h.Options {
		o := &h.Options[i]
		if o.OptionType == layers.TCPOptionKindWindowScale && len(o.OptionData) == 1 {
			fwd.winScale = int8(min(o.OptionData[0], 14))
		}
	}
	if fl&thSYN != 0 {
		if fwd.winScale == -1 {
			fwd.winScale, rev.winScale = -2, -2
		} else if fl&thACK != 0 && rev.winScale == -2 {
			fwd.winScale = -2
		}
	}
	if ff.flags != 0 {
		t.flags[uint32(n)] = ff
		for n>>6 >= len(t.flagged) {
			t.flagged = append(t.flagged, 0)
		}
		t.flagged[n>>6] |= 1 << (n & 63)
	}
	return st
}

// isReassembled reports whether f's transport came from reassembled IPv4
// fragments (its IP header is then the last fragment's).
func isReassembled(f *Frame) bool {
	return f.IP4.FragOffset != 0 || f.IP4.Flags&layers.IPv4MoreFragments != 0
}

func seqGT(a, b uint32) bool { return int32(a-b) > 0 }
func seqLT(a, b uint32) bool { return int32(a-b) < 0 }
func seqLE(a, b uint32) bool { return int32(a-b) <= 0 }

// analyzeSeq is Wireshark's tcp_analyze_sequence_number, less what only
// feeds fields wiretap does not keep (unacked segment lists, bytes in
// flight, RTO).
func analyzeSeq(st *Stream, fwd, rev *tcpFlow, n int, ts int64, seq, ack, seglen uint32, fl uint16, window uint32, ff *tcpFrameFlags) (ackedFrame uint32, hasTA bool) {
	if !fwd.baseSet {
		if fl&thSYN != 0 {
			fwd.baseSeq = seq
		} else {
			fwd.baseSeq = seq - 1
		}
		fwd.baseSet = true
	}
	if !rev.baseSet && fl&thACK != 0 {
		rev.baseSeq = ack - 1
		rev.baseSet = true
	}
	if fl&thACK != 0 {
		rev.noBIF = false
	}
	const noSFR = thSYN | thFIN | thRST
	if seglen == 1 && seq == fwd.nextseq && rev.window == 0 {
		ff.flags |= taZeroWindowProbe
		goto finishedFwd
	}
	if window == 0 && fl&noSFR == 0 {
		ff.flags |= taZeroWindow
	}
	if fwd.nextseq != 0 && seqGT(seq, fwd.nextseq) && fl&thRST == 0 {
		ff.flags |= taLostPacket
		fwd.noBIF = true
	}
	if (seglen == 0 || seglen == 1) && seq == fwd.nextseq-1 && fl&noSFR == 0 {
		ff.flags |= taKeepAlive
	}
	if seglen == 0 && window != 0 && window != fwd.window && seq == fwd.nextseq && ack == fwd.lastack && fl&noSFR == 0 {
		ff.flags |= taWindowUpdate
	}
	if seglen > 0 && rev.winScale != -1 && fl&noSFR == 0 {
		shift := uint(0)
		if rev.notFirstAck && rev.winScale >= 0 {
			shift = uint(rev.winScale)
		}
		if seq+seglen == rev.lastack+(rev.window<<shift) {
			ff.flags |= taWindowFull
		}
	}
	if seglen == 0 && window != 0 && window == fwd.window && seq == fwd.nextseq && ack == fwd.lastack &&
		rev.lastSegFlags&taKeepAlive != 0 && fl&noSFR == 0 {
		ff.flags |= taKeepAliveAck
		goto finishedFwd
	}
	if seglen == 0 && window == 0 && window == fwd.window && seq == fwd.nextseq && ack == fwd.lastack &&
		rev.lastSegFlags&taZeroWindowProbe != 0 && fl&noSFR == 0 {
		ff.flags |= taZeroWindowProbeAck
		goto finishedFwd
	}
	if seglen == 0 && window != 0 && window == fwd.window && seq == fwd.nextseq && ack == fwd.lastack && fl&noSFR == 0 {
		fwd.dupAckNum++
		ff.flags |= taDuplicateAck
		ff.dupAckNum = uint32(fwd.dupAckNum)
		ff.dupAckFrame = fwd.lastNonDupAck
	}
finishedFwd:
	if ack != fwd.lastack {
		fwd.lastNonDupAck = uint32(n)
		fwd.dupAckNum = 0
	}
	// ACKED LOST PACKET, as tshark 4.0 does it (later versions count
	// duplicate ACKs here too).
	if rev.maxSeqToAck != 0 && seqGT(ack, rev.maxSeqToAck) && fl&thACK != 0 {
		ff.flags |= taAckLostPacket
		rev.maxSeqToAck = rev.nextseq
	}
	if seglen > 0 || fl&(thSYN|thFIN) != 0 {
		notAdvanced := fwd.nextseq != 0 && seqLT(seq, fwd.nextseq)
		if ff.flags&taKeepAlive != 0 {
			goto finishedRetrans
		}
		if seglen > 1 && fwd.nextseq-1 == seq {
			notAdvanced = false
		}
		if seglen > 0 && rev.lastack != 0 && seqLE(seq+seglen, rev.lastack) {
			ff.flags |= taSpuriousRetransmission
			goto finishedRetrans
		}
		if notAdvanced && rev.dupAckNum >= 2 && rev.lastack == seq && ts-rev.lastackTime < 20000000 {
			ff.flags |= taFastRetransmission
			goto finishedRetrans
		}
		thres := int64(3000000)
		if st.firstRTT != 0 {
			thres = st.firstRTT
		}
		extra := uint32(0)
		if fl&(thSYN|thFIN) != 0 {
			extra = 1
		}
		if notAdvanced && ts-fwd.nextseqTime < thres && fwd.nextseq != seq+seglen+extra {
			ff.flags |= taOutOfOrder
			goto finishedRetrans
		}
		if notAdvanced {
			ff.flags |= taRetransmission
		}
	}
finishedRetrans:
	{
		next := seq + seglen
		if fl&(thSYN|thFIN) != 0 {
			next++
		}
		if (seglen > 0 || fl&(thSYN|thFIN) != 0) && len(fwd.unacked) < maxUnacked {
			fwd.unacked = append(fwd.unacked, tcpUnacked{uint32(n), seq, next})
		}
		if seqGT(next, fwd.nextseq) || fwd.nextseq == 0 {
			if ff.flags&taZeroWindowProbe == 0 {
				fwd.nextseq = next
				fwd.nextseqTime = ts
			}
		}
		if seq == fwd.maxSeqToAck || fwd.maxSeqToAck == 0 {
			if ff.flags&taZeroWindowProbe == 0 {
				fwd.maxSeqToAck = fwd.nextseq
			}
		}
	}
	fwd.window = window
	fwd.lastack = ack
	fwd.lastackTime = ts
	fwd.lastSegFlags = ff.flags
	// Drop what this ACK acknowledges from the other direction's list.
	// Wireshark walks it newest first and keeps the last exact match as
	// acks_frame: the oldest one, which is the first match walking forward.
	kept := rev.unacked[:0]
	for _, u := range rev.unacked {
		switch {
		case ack == u.nextseq:
			if ackedFrame == 0 {
				ackedFrame = u.frame
			}
			continue
		case seqGT(ack, u.seq) && seqLE(ack, u.nextseq):
			u.seq = ack
		case seqGT(u.nextseq, ack):
		default:
			continue
		}
		kept = append(kept, u)
	}
	rev.unacked = kept
	if len(rev.unacked) == 0 && cap(rev.unacked) > 64 {
		rev.unacked = nil
	}
	// Bytes in flight (not kept) give the frame an analysis subtree.
	hasTA = seglen > 0 && len(fwd.unacked) > 0 && !fwd.noBIF
	return ackedFrame, hasTA
}

// addUDP numbers the UDP conversation of frame n (f must carry UDP).
func (t *tcpAnalysis) addUDP(n int, ci gopacket.CaptureInfo, f *Frame) *UDPStreamInfo {
	src, dst, _, ok := netAddrs(f)
	if !ok {
		return nil
	}
	sp, dp := uint16(f.UDP.SrcPort), uint16(f.UDP.DstPort)
	key := makeConvKey(src, dst, sp, dp)
	u := t.udpKey[key]
	if u == nil {
		u = &UDPStreamInfo{Index: len(t.udp), A: Endpoint{src, sp}, B: Endpoint{dst, dp}, FirstFrame: n, Start: ci.Timestamp}
		t.udp = append(t.udp, u)
		t.udpKey[key] = u
		if t.udpHeld.over(t.maxStreams) {
			t.evictUDP()
		}
	}
	d := 0
	if !(u.A.Addr == src && u.A.Port == sp) {
		d = 1
	}
	u.Packets[d]++
	u.Bytes[d] += frameLen(ci)
	u.LastFrame, u.End = n, ci.Timestamp
	u.Earliest, u.Latest = convTimes(u.Earliest, u.Latest, ci.Timestamp)
	t.setFrame(n, uint32(u.Index)+1)
	return u
}

// convTimes extends a conversation's earliest and latest times with a
// packet's, as Wireshark's add_conversation_table_data does: a time past
// the latest moves it, else one before the earliest moves that (the first
// packet sets both).
func convTimes(earliest, latest, ts time.Time) (time.Time, time.Time) {
	switch {
	case earliest.IsZero() && latest.IsZero():
		return ts, ts
	case ts.After(latest):
		return earliest, ts
	case ts.Before(earliest):
		return ts, latest
	}
	return earliest, latest
}

// TCPStreams lists the TCP conversations in tcp.stream order (for
// -z conv,tcp), those evicted (Options.MaxStreams) left out. Valid after
// the fast pass.
func (a *Analyzer) TCPStreams() []*Stream { return held(a.tcp.streams, a.tcp.tcpHeld.evicted) }

// UDPStreams lists the UDP conversations in udp.stream order, those
// evicted left out.
func (a *Analyzer) UDPStreams() []*UDPStreamInfo { return held(a.tcp.udp, a.tcp.udpHeld.evicted) }
