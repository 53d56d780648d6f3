package decode

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"
	"unsafe"
)

// tcpFlagNames lists the flag bits in the order Wireshark names them.
var tcpFlagNames = [...]struct {
	bit  uint16
	name string
}{{thFIN, "FIN"}, {thSYN, "SYN"}, {thRST, "RST"}, {thPSH, "PSH"}, {thACK, "ACK"}, {thURG, "URG"}, {thECE, "ECE"}, {thCWR, "CWR"}, {thNS, "AE"}, {0xe00, "Reserved"}}

func tcpFlagList(fl uint16) string {
	var b [64]byte
	return string(appendTCPFlagList(b[:0], fl))
}

// appendTCPFlagList appends the set flags' names, as tcpFlagList.
func appendTCPFlagList(b []byte, fl uint16) []byte {
	start := len(b)
	for _, f := range tcpFlagNames {
		if fl&f.bit != 0 {
			if len(b) > start {
				b = append(b, ", "...)
			}
			b = append(b, f.name...)
		}
	}
	if len(b) == start {
		b = append(b, "<None>"...)
	}
	return b
}

// tcpFlagStr is Wireshark's tcp.flags.str: one letter per set bit.
func tcpFlagStr(fl uint16) string {
	const letters = "RRRACEUAPRSF"
	var b strings.Builder
	for i := 0; i < 12; i++ {
		if fl&(1<<(11-i)) != 0 {
			b.WriteByte(letters[i])
		} else {
			b.WriteString("·")
		}
	}
	return b.String()
}

// tcp analysis expert items: flag, field name, message, severity, Info prefix.
var tcpExperts = []struct {
	flag   uint16
	name   string
	msg    string
	sev    string
	prefix string
}{
	{taRetransmission, "tcp.analysis.retransmission", "This frame is a (suspected) retransmission", "Note", "[TCP Retransmission] "},
	{taFastRetransmission, "tcp.analysis.fast_retransmission", "This frame is a (suspected) fast retransmission", "Note", "[TCP Fast Retransmission] "},
	{taSpuriousRetransmission, "tcp.analysis.spurious_retransmission", "This frame is a (suspected) spurious retransmission", "Note", "[TCP Spurious Retransmission] "},
	{taOutOfOrder, "tcp.analysis.out_of_order", "This frame is a (suspected) out-of-order segment", "Warning", "[TCP Out-Of-Order] "},
	{taReusedPorts, "tcp.analysis.reused_ports", "A new tcp session is started with the same ports as an earlier session in this trace", "Note", "[TCP Port numbers reused] "},
	{taLostPacket, "tcp.analysis.lost_segment", "Previous segment(s) not captured (common at capture start)", "Warning", "[TCP Previous segment not captured] "},
	{taAckLostPacket, "tcp.analysis.ack_lost_segment", "ACKed segment that wasn't captured (common at capture start)", "Warning", "[TCP ACKed unseen segment] "},
	{taWindowUpdate, "tcp.analysis.window_update", "TCP window update", "Chat", "[TCP Window Update] "},
	{taWindowFull, "tcp.analysis.window_full", "TCP window specified by the receiver is now completely full", "Warning", "[TCP Window Full] "},
	{taKeepAlive, "tcp.analysis.keep_alive", "This is a TCP keep-alive segment", "Note", "[TCP Keep-Alive] "},
	{taKeepAliveAck, "tcp.analysis.keep_alive_ack", "ACK to a TCP keep-alive segment", "Note", "[TCP Keep-Alive ACK] "},
	{taZeroWindowProbe, "tcp.analysis.zero_window_probe", "TCP Zero Window Probe", "Note", "[TCP ZeroWindowProbe] "},
	{taZeroWindow, "tcp.analysis.zero_window", "TCP Zero Window segment", "Warning", "[TCP ZeroWindow] "},
	{taZeroWindowProbeAck, "tcp.analysis.zero_window_probe_ack", "ACK to a TCP Zero Window Probe", "Note", "[TCP ZeroWindowProbeAck] "},
}

// expert adds an expert item as Wireshark shows it: a _ws.expert node
// whose child carries the expert field's own filter name.
func (c *dctx) expert(parent *Field, name, msg, sev, group string, off int) {
	e := parent.Add(c.node(Field{Name: "_ws.expert", Label: fmt.Sprintf("[Expert Info (%s/%s): %s]", sev, group, msg), Start: off}))
	e.Add(c.node(Field{Name: name, Label: "[" + msg + "]", Kind: KindBool, U: 1, Start: off}))
	e.Add(c.hid().str("_ws.expert.message", off, 0, msg, "Message: "+msg))
	expertLevels(e, sev, group, func(f Field) *Field { return c.node(f) })
}

// expertLevels adds an expert item's severity and group, as numbers
// (PI_NOTE, PI_SEQUENCE, ...) labelled with their names.
func expertLevels(e *Field, sev, group string, node func(Field) *Field) {
	e.Add(node(Field{Name: "_ws.expert.severity", Kind: KindUint, Bits: 32, U: expertSeverities[sev], Label: "[Severity level: " + sev + "]"}))
	e.Add(node(Field{Name: "_ws.expert.group", Kind: KindUint, Bits: 32, U: expertGroups[group], Label: "[Group: " + group + "]"}))
}

// Wireshark's expert severities and groups (epan/proto.h PI_*).
var (
	expertSeverities = map[string]uint64{"Comment": 0x00100000, "Chat": 0x00200000, "Note": 0x00400000, "Warning": 0x00600000, "Error": 0x00800000}
	expertGroups     = map[string]uint64{
		"Checksum": 0x01000000, "Sequence": 0x02000000, "Response": 0x03000000, "Request": 0x04000000,
		"Undecoded": 0x05000000, "Reassemble": 0x06000000, "Malformed": 0x07000000, "Debug": 0x08000000,
		"Protocol": 0x09000000, "Security": 0x0a000000, "Comment": 0x0b000000, "Decryption": 0x0c000000,
		"Assumption": 0x0d000000, "Deprecated": 0x0e000000,
	}
)

// tcpOption is one parsed TCP option, for the Info column.
type tcpOption struct {
	kind uint8
	data []byte
}

var tcpOptNames = map[uint8]string{0: "End of Option List (EOL)", 1: "No-Operation (NOP)", 2: "Maximum segment size",
	3: "Window scale", 4: "SACK permitted", 5: "SACK", 8: "Timestamps", 19: "MD5 signature", 28: "User Timeout",
	29: "TCP Authentication Option", 30: "Multipath TCP", 34: "TCP Fast Open Cookie"}

var tcpKindNames = map[uint8]string{0: "End of Option List", 1: "No-Operation", 2: "Maximum Segment Size",
	3: "Window Scale", 4: "SACK Permitted", 5: "SACK", 8: "Time Stamp Option", 19: "MD5 Signature Option",
	28: "User Timeout", 29: "TCP Authentication Option", 30: "Multipath TCP", 34: "TCP Fast Open Cookie"}

// tcp dissects a TCP segment at off; end is where the IP layer says it
// ends (possibly past the captured bytes).
func (c *dctx) tcp(off, end int) {
	if len(c.data)-off < 20 {
		if c.inError {
			c.tcpInError(off)
			return
		}
		// Wireshark shows the ports once it has read them, and the
		// flags, numbers and window once it has read the window.
		if d := c.data[off:]; len(d) >= 16 {
			// (A header shorter than sent is not analysed: raw numbers;
			// one the snap length cut is, as a first segment.)
			fl := uint16(d[12]&0x0f)<<8 | uint16(d[13])
			seq, ack := binary.BigEndian.Uint32(d[4:]), binary.BigEndian.Uint32(d[8:])
			if end-off >= 20 {
				seq, ack = firstSegmentNumbers(fl)
			}
			c.setCol("TCP", tcpHeadInfo(be16(d), be16(d[2:]), fl, seq, ack, uint64(be16(d[14:]))))
		} else if len(d) >= 4 {
			c.setCol("TCP", fmt.Sprintf("%d → %d", be16(d), be16(d[2:])))
		}
		c.truncatedLayer("tcp", "Transmission Control Protocol", off, "TCP")
		return
	}
	if c.inError {
		c.tcpInError(off)
		return
	}
	d := c.data[off:]
	sp, dp := be16(d), be16(d[2:])
	seqRaw, ackRaw := binary.BigEndian.Uint32(d[4:]), binary.BigEndian.Uint32(d[8:])
	thl := int(d[12]>>4) * 4
	fl := uint16(d[12]&0x0f)<<8 | uint16(d[13])
	win := uint32(be16(d[14:]))
	ck, urg := be16(d[16:]), be16(d[18:])
	seglen := end - off - thl
	if seglen < 0 {
		seglen = 0
	}
	t := c.proto("tcp", off, min(max(thl, 20), len(d)), "")
	c.p.Tree = append(c.p.Tree, t)
	appendProtocol(c.p, "tcp")
	c.tcpNode = t
	if c.skim("tcp") && thl >= 20 && len(d) >= thl {
		c.tcpRow(t, off, end, d, thl, seglen)
		return
	}
	c.ports(t, "tcp", off, sp, dp)

	st, seq, ack, dir, scale := c.tcpRelative(sp, seqRaw, ackRaw, fl)
	if st != nil {
		t.Add(c.uint("tcp.stream", off, 0, uint64(st.Index), 0, "[Stream index: %d]", st.Index))
	}
	if thl < 20 {
		t.Label = fmt.Sprintf("Transmission Control Protocol, Src Port: %d, Dst Port: %d", sp, dp)
		t.Add(c.uint("tcp.hdr_len", off+12, 1, uint64(thl), 0, "%s = Header Length: %d bytes (%d)", bits(uint64(d[12]), 0xf0, 8), thl, thl/4))
		cwin := uint64(win)
		if fl&thSYN == 0 && scale >= 0 {
			cwin <<= uint(scale)
		}
		if st == nil {
			seq, ack = firstSegmentNumbers(fl)
		}
		c.setCol("TCP", tcpHeadInfo(sp, dp, fl, seq, ack, cwin)+fmt.Sprintf(", bogus TCP header length (%d, must be at least 20)", thl))
		return
	}
	t.Add(c.uint("tcp.len", off, 0, uint64(seglen), 0, "[TCP Segment Len: %d]", seglen))
	rel := "    (relative sequence number)"
	if st == nil {
		rel = ""
	}
	t.Add(c.uint("tcp.seq", off+4, 4, uint64(seq), 0, "Sequence Number: %d%s", seq, rel))
	t.Add(c.uint("tcp.seq_raw", off+4, 4, uint64(seqRaw), 0, "Sequence Number (raw): %d", seqRaw))
	nxt := seq + uint32(seglen)
	if fl&(thSYN|thFIN) != 0 {
		nxt++
	}
	t.Add(c.uint("tcp.nxtseq", off, 0, uint64(nxt), 0, "[Next Sequence Number: %d%s]", nxt, rel))
	ackRel := ""
	if fl&thACK != 0 && st != nil {
		ackRel = "    (relative ack number)"
	}
	t.Add(c.uint("tcp.ack", off+8, 4, uint64(ack), 0, "Acknowledgment Number: %d%s", ack, ackRel))
	t.Add(c.uint("tcp.ack_raw", off+8, 4, uint64(ackRaw), 0, "Acknowledgment number (raw): %d", ackRaw))
	t.Add(c.uint("tcp.hdr_len", off+12, 1, uint64(thl), 0, "%s = Header Length: %d bytes (%d)", bits(uint64(d[12]), 0xf0, 8), thl, thl/4))
	flw := uint64(fl)
	ff := t.Add(c.hex("tcp.flags", off+12, 2, flw, 16, "Flags: 0x%03x (%s)", fl, later(tcpFlagListOf, flw)))
	res := flw&0xe00 != 0
	ff.Add(c.bool("tcp.flags.res", off+12, 1, res, "%s = Reserved: %s", bits(flw, 0xe00, 12), setNotSet(res)))
	c.flagBit(ff, tcpFlagAE, off+12, 1, flw)
	c.flagBit(ff, tcpFlagCWR, off+13, 1, flw)
	c.flagBit(ff, tcpFlagECE, off+13, 1, flw)
	c.flagBit(ff, tcpFlagURG, off+13, 1, flw)
	c.flagBit(ff, tcpFlagACK, off+13, 1, flw)
	c.flagBit(ff, tcpFlagPSH, off+13, 1, flw)
	// The connection's expert items, as Wireshark adds them to the
	// flags they are about.
	// (Made only where they may be wanted: their messages are built.)
	experts := c.under("_ws") || c.under("tcp.connection")
	rst := c.flagBit(ff, tcpFlagRST, off+13, 1, flw)
	if fl&thRST != 0 && experts {
		c.expert(rst, "tcp.connection.rst", "Connection reset (RST)", "Warning", "Sequence", off+13)
	}
	syn := c.flagBit(ff, tcpFlagSYN, off+13, 1, flw)
	switch {
	case !experts:
	case fl&(thSYN|thACK) == thSYN|thACK:
		c.expert(syn, "tcp.connection.synack", "Connection establish acknowledge (SYN+ACK): server port "+strconv.Itoa(int(sp)), "Chat", "Sequence", off+13)
	case fl&thSYN != 0:
		c.expert(syn, "tcp.connection.syn", "Connection establish request (SYN): server port "+strconv.Itoa(int(dp)), "Chat", "Sequence", off+13)
	}
	fin := c.flagBit(ff, tcpFlagFIN, off+13, 1, flw)
	closing := fl&thFIN != 0 && st != nil && experts
	if fl&thFIN != 0 && experts {
		c.expert(fin, "tcp.connection.fin", "Connection finish (FIN)", "Chat", "Sequence", off+13)
	}
	if closing || c.wants("tcp.flags.str") {
		fstr := tcpFlagStr(fl)
		fs := ff.Add(c.str("tcp.flags.str", off+12, 2, fstr, "[TCP Flags: %s]", fstr))
		switch {
		case closing && int(st.finDir) == dir+1:
			// Every FIN of the side that closed first, its
			// retransmissions too.
			c.expert(fs, "tcp.connection.fin_active", "This frame initiates the connection closing", "Note", "Sequence", off+12)
		case closing:
			c.expert(fs, "tcp.connection.fin_passive", "This frame undergoes the connection closing", "Note", "Sequence", off+12)
		}
	}
	t.Add(c.uint("tcp.window_size_value", off+14, 2, uint64(win), 0, "Window: %d", win))
	cwin := uint64(win)
	if fl&thSYN == 0 {
		if scale >= 0 {
			cwin <<= uint(scale)
		}
		t.Add(c.uint("tcp.window_size", off+14, 2, cwin, 0, "[Calculated window size: %d]", cwin))
		switch scale {
		case -1:
			t.Add(c.int("tcp.window_size_scalefactor", off+14, 2, -1, "[Window size scaling factor: -1 (unknown)]"))
		case -2:
			t.Add(c.int("tcp.window_size_scalefactor", off+14, 2, -2, "[Window size scaling factor: -2 (no window scaling used)]"))
		default:
			t.Add(c.int("tcp.window_size_scalefactor", off+14, 2, int64(1)<<scale, "[Window size scaling factor: %d]", 1<<scale))
		}
	} else {
		t.Add(c.uint("tcp.window_size", off+14, 2, cwin, 0, "[Calculated window size: %d]", cwin))
	}
	t.Add(c.hex("tcp.checksum", off+16, 2, uint64(ck), 16, "Checksum: 0x%04x [unverified]", ck))
	t.Add(c.uint("tcp.checksum.status", off+16, 0, 2, 0, "[Checksum Status: Unverified]"))
	t.Add(c.uint("tcp.urgent_pointer", off+18, 2, uint64(urg), 0, "Urgent Pointer: %d", urg))
	if len(d) < thl {
		t.Label = fmt.Sprintf("Transmission Control Protocol, Src Port: %d, Dst Port: %d, Seq: %d, Len: %d", sp, dp, seq, seglen)
		// Wireshark shows the length when the header lies in the
		// datagram (only the snap length cut it; then the numbers are
		// analysed, else raw), and the options it read whole.
		info := tcpHeadInfo(sp, dp, fl, seq, ack, cwin)
		if end-off >= thl {
			if st == nil {
				seq, ack = firstSegmentNumbers(fl)
			}
			info = tcpHeadInfo(sp, dp, fl, seq, ack, cwin) + fmt.Sprintf(" Len=%d", seglen)
		} else if optionCutContained(d[20:]) {
			c.malNote = containedNote
		}
		c.setCol("TCP", string(appendOptionsInfo([]byte(info), infoOptions(nil, d[20:]), st, dir)))
		c.markMalformed("TCP")
		return
	}
	var opts []tcpOption
	if thl > 20 && (c.under("tcp.options") || c.under("tcp.option_kind") || c.under("tcp.option_len") || c.cols()) {
		opts = c.tcpOptions(t, off+20, thl-20, st, dir)
	}
	var flags tcpFrameFlags
	if st != nil {
		flags = c.a.tcp.frameFlags(c.n)
		if c.wants("tcp.completeness") {
			cv := st.completeness()
			t.Children = insertAfter(t.Children, "tcp.stream", c.uint("tcp.completeness", off, 0, uint64(cv), 0, "[Conversation completeness: %s (%d)]", completenessText(cv), cv))
		}
		if c.wants("tcp.time_relative") || c.wants("tcp.time_delta") {
			tsn := t.Add(c.text(off, 0, "[Timestamps]"))
			since := c.ci.Timestamp.Sub(st.Start)
			tsn.Add(c.fieldOf(Field{Name: "tcp.time_relative", Kind: KindDuration, D: since, Start: off}, "[Time since first frame in this TCP stream: %s seconds]", seconds(since)))
			var delta time.Duration
			if prev, ok := c.a.tcp.prev.get(c.n); ok && prev != 0 {
				if at, ok := c.a.lay.times.get(int(prev)); ok {
					delta = time.Duration(c.ci.Timestamp.UnixNano() - at)
				}
			}
			tsn.Add(c.fieldOf(Field{Name: "tcp.time_delta", Kind: KindDuration, D: delta, Start: off}, "[Time since previous frame in this TCP stream: %s seconds]", seconds(delta)))
		}
		if c.under("tcp.analysis") {
			var acked uint32
			acked, _ = c.a.tcp.acked.get(c.n)
			if flags.flags != 0 || acked != 0 {
				c.tcpAnalysisTree(t, st, &flags, acked&^ackedHasAnalysis, off)
			}
		}
	}
	// Summary.
	if fl&thACK != 0 {
		t.relabel("Transmission Control Protocol, Src Port: %d, Dst Port: %d, Seq: %d, Ack: %d, Len: %d", sp, dp, seq, ack, seglen)
	} else {
		t.relabel("Transmission Control Protocol, Src Port: %d, Dst Port: %d, Seq: %d, Len: %d", sp, dp, seq, seglen)
	}
	if c.cols() {
		c.setCol("TCP", tcpInfo(&flags, sp, dp, fl, seq, ack, cwin, urg, seglen, opts, st, dir))
	}
	c.tcpPayloadField(t, off, end, thl, seglen)
}

// tcpPayloadField adds the payload, for the application stage.
func (c *dctx) tcpPayloadField(t *Field, off, end, thl, seglen int) {
	if seglen > 0 {
		ps := off + thl
		capEnd := min(end, len(c.data))
		if capEnd < ps {
			capEnd = ps
		}
		t.Add(c.fieldOf(Field{Name: "tcp.payload", Kind: KindBytes, B: c.data[ps:capEnd], Start: ps, Len: capEnd - ps}, "TCP payload (%d byte%s)", seglen, plural(seglen)))
		// A payload the snap length cut is no error for TCP, but with 1
		// to 7 of 8 or more bytes captured one of tshark's heuristic
		// dissectors reads past them.
		if n := capEnd - ps; end > len(c.data) && n > 0 && n < 8 && seglen >= 8 {
			c.markMalformed("TCP")
		}
	}
}

// tcpRelative finds the segment's conversation and its sequence and
// acknowledgment numbers relative to the conversation's start.
func (c *dctx) tcpRelative(sp uint16, seqRaw, ackRaw uint32, fl uint16) (st *Stream, seq, ack uint32, dir, scale int) {
	return c.a.tcpRelative(c.n, c.netSrc, sp, seqRaw, ackRaw, fl)
}

// tcpRelative is dctx.tcpRelative for frame n, sent from src port sp.
func (a *Analyzer) tcpRelative(n int, src netip.Addr, sp uint16, seqRaw, ackRaw uint32, fl uint16) (st *Stream, seq, ack uint32, dir, scale int) {
	if idx, ok := a.tcp.conv(n); ok && idx < len(a.tcp.streams) {
		st = a.tcp.streams[idx]
	}
	seq, ack, scale = seqRaw, ackRaw, -1
	if st != nil {
		dir = st.Dir(src, sp)
		seq -= st.flow[dir].baseSeq
		if fl&thACK != 0 {
			ack -= st.flow[1-dir].baseSeq
		}
		scale = int(st.flow[dir].winScale)
	}
	return st, seq, ack, dir, scale
}

// tcpRow is tcp for a packet-list row only (Analyzer.Row): the Info
// column, and the two fields the application stage reads (tcp.stream,
// tcp.payload). d holds the whole header.
func (c *dctx) tcpRow(t *Field, off, end int, d []byte, thl, seglen int) {
	sp, dp := be16(d), be16(d[2:])
	fl := uint16(d[12]&0x0f)<<8 | uint16(d[13])
	st, seq, ack, dir, scale := c.tcpRelative(sp, binary.BigEndian.Uint32(d[4:]), binary.BigEndian.Uint32(d[8:]), fl)
	cwin := uint64(be16(d[14:]))
	if st != nil {
		t.Add(c.uint("tcp.stream", off, 0, uint64(st.Index), 0, ""))
	}
	if c.cols() {
		var flags tcpFrameFlags
		if st != nil {
			flags = c.a.tcp.frameFlags(c.n)
			if fl&thSYN == 0 && scale >= 0 {
				cwin <<= uint(scale)
			}
		}
		if st != nil && c.a.app.rowReplacesTCPInfo(st.Index, c.n) {
			// The HTTP stage writes this row's Info, keeping only TCP's
			// notes in front: the rest is not worth building.
			var mb [128]byte
			c.setCol("TCP", string(appendTCPMarks(mb[:0], &flags)))
		} else {
			var opts [10]tcpOption
			c.setCol("TCP", tcpInfo(&flags, sp, dp, fl, seq, ack, cwin, be16(d[18:]), seglen, infoOptions(opts[:0], d[20:thl]), st, dir))
		}
	}
	c.tcpPayloadField(t, off, end, thl, seglen)
}

// firstSegmentNumbers are the relative sequence and acknowledgment numbers
// Wireshark gives the first segment of a conversation (one the fast pass
// could not take: a header cut short or bogus).
func firstSegmentNumbers(fl uint16) (seq, ack uint32) {
	if fl&thSYN != 0 {
		return 0, 1
	}
	return 1, 1
}

// tcpHeadInfo is the start of TCP's Info column, as far as Wireshark has
// it when it finds the header bad or short: ports, flags, numbers and
// window.
func tcpHeadInfo(sp, dp, fl uint16, seq, ack uint32, cwin uint64) string {
	s := fmt.Sprintf("%d → %d [%s] Seq=%d", sp, dp, tcpFlagList(fl), seq)
	if fl&thACK != 0 {
		s += fmt.Sprintf(" Ack=%d", ack)
	}
	return s + fmt.Sprintf(" Win=%d", cwin)
}

// appendTCPMarks appends the analysis notes that start TCP's Info
// column ("[TCP Retransmission] "; tcpInfoPrefix finds them again).
func appendTCPMarks(info []byte, flags *tcpFrameFlags) []byte {
	if flags.flags == 0 {
		return info // most segments: no marks
	}
	// Wireshark prepends each mark to the Info column in turn, so the
	// last one printed comes first.
	var marksArr [8]string
	marks := marksArr[:0]
	for _, e := range tcpExperts {
		if flags.flags&e.flag != 0 {
			marks = append(marks, e.prefix)
		}
	}
	if flags.flags&taDuplicateAck != 0 {
		marks = append(marks, fmt.Sprintf("[TCP Dup ACK %d#%d] ", flags.dupAckFrame, flags.dupAckNum))
	}
	for i := len(marks) - 1; i >= 0; i-- {
		info = append(info, marks[i]...)
	}
	return info
}

// tcpInfo is TCP's Info column.
func tcpInfo(flags *tcpFrameFlags, sp, dp, fl uint16, seq, ack uint32, cwin uint64, urg uint16, seglen int, opts []tcpOption, st *Stream, dir int) string {
	var infoArr [256]byte
	return string(appendTCPInfo(infoArr[:0], flags, sp, dp, fl, seq, ack, cwin, urg, seglen, opts, st, dir))
}

// appendTCPInfo appends TCP's Info column (tcpInfo) to info.
func appendTCPInfo(info []byte, flags *tcpFrameFlags, sp, dp, fl uint16, seq, ack uint32, cwin uint64, urg uint16, seglen int, opts []tcpOption, st *Stream, dir int) []byte {
	info = appendTCPMarks(info, flags)
	u := func(pfx string, v uint64) {
		info = append(info, pfx...)
		info = strconv.AppendUint(info, v, 10)
	}
	u("", uint64(sp))
	u(" → ", uint64(dp))
	info = append(info, " ["...)
	info = appendTCPFlagList(info, fl)
	u("] Seq=", uint64(seq))
	if fl&thACK != 0 {
		u(" Ack=", uint64(ack))
	}
	u(" Win=", cwin)
	if fl&thURG != 0 {
		u(" Urg=", uint64(urg))
	}
	u(" Len=", uint64(seglen))
	return appendOptionsInfo(info, opts, st, dir)
}

// appendOptionsInfo appends the Info column's part for the options.
func appendOptionsInfo(info []byte, opts []tcpOption, st *Stream, dir int) []byte {
	u := func(pfx string, v uint64) {
		info = append(info, pfx...)
		info = strconv.AppendUint(info, v, 10)
	}
	for _, o := range opts {
		switch o.kind {
		case 2:
			u(" MSS=", uint64(be16(o.data)))
		case 3:
			u(" WS=", 1<<min(o.data[0], 14))
		case 4:
			info = append(info, " SACK_PERM"...)
		case 8:
			u(" TSval=", uint64(binary.BigEndian.Uint32(o.data)))
			u(" TSecr=", uint64(binary.BigEndian.Uint32(o.data[4:])))
		case 5:
			base := uint32(0)
			if st != nil {
				base = st.flow[1-dir].baseSeq
			}
			for i := 0; i+8 <= len(o.data); i += 8 {
				u(" SLE=", uint64(binary.BigEndian.Uint32(o.data[i:])-base))
				u(" SRE=", uint64(binary.BigEndian.Uint32(o.data[i+4:])-base))
			}
		}
	}
	return info
}

// optionCutContained reports whether options d, cut short of their
// header length, end inside an option whose length byte was read (for
// Wireshark a ContainedBoundsError, containedNote), rather than before
// an option's kind and length (a plain bounds error).
func optionCutContained(d []byte) bool {
	for i := 0; i < len(d); {
		switch k := d[i]; {
		case k == 0 || k == 1:
			i++
		case i+1 >= len(d):
			return false
		case d[i+1] < 2:
			return false
		case i+int(d[i+1]) > len(d):
			return true
		default:
			i += int(d[i+1])
		}
	}
	return false
}

// infoOptions appends to ok the well-formed options the Info column shows.
func infoOptions(ok []tcpOption, d []byte) []tcpOption {
	for i := 0; i < len(d); {
		k := d[i]
		if k == 0 || k == 1 {
			i++
			continue
		}
		if i+1 >= len(d) || d[i+1] < 2 || i+int(d[i+1]) > len(d) {
			break
		}
		l := int(d[i+1])
		o := tcpOption{kind: k, data: d[i+2 : i+l]}
		switch {
		case o.kind == 2 && len(o.data) == 2, o.kind == 3 && len(o.data) == 1, o.kind == 4 && len(o.data) == 0,
			o.kind == 8 && len(o.data) == 8, o.kind == 5:
			ok = append(ok, o)
		}
		i += l
	}
	return ok
}

// tcpInError shows the TCP header quoted in an ICMP error: the ports and
// the raw sequence number, with no stream analysis.
func (c *dctx) tcpInError(off int) {
	d := c.data[off:]
	if len(d) < 4 {
		return
	}
	sp, dp := be16(d), be16(d[2:])
	t := c.proto("tcp", off, min(len(d), 20), "Transmission Control Protocol, Src Port: %d, Dst Port: %d", sp, dp)
	c.p.Tree = append(c.p.Tree, t)
	appendProtocol(c.p, "tcp")
	c.ports(t, "tcp", off, sp, dp)
	if len(d) >= 8 {
		s := binary.BigEndian.Uint32(d[4:])
		t.Add(c.uint("tcp.seq_raw", off+4, 4, uint64(s), 0, "Sequence Number (raw): %d", s))
	}
}

func insertAfter(list []*Field, name string, f *Field) []*Field {
	for i, x := range list {
		if x.Name == name {
			list = append(list, nil)
			copy(list[i+2:], list[i+1:])
			list[i+1] = f
			return list
		}
	}
	return append(list, f)
}

// TCP conversation completeness bits (tcp.completeness).
const (
	complSYN    = 1
	complSYNACK = 2
	complACK    = 4
	complDATA   = 8
	complFIN    = 16
	complRST    = 32
)

// completeness is tcp.completeness as tshark 4.0 shows it after its first
// pass: data counts only in a conversation where a bare ACK was seen.
func (s *Stream) completeness() uint8 {
	v := s.compl
	if s.sawData && v&complACK != 0 {
		v |= complDATA
	}
	return v
}

func completenessText(v uint8) string {
	if v&(complSYN|complSYNACK|complACK) == complSYN|complSYNACK|complACK && v&(complFIN|complRST) != 0 {
		if v&complDATA != 0 {
			return "Complete, WITH_DATA"
		}
		return "Complete, NO_DATA"
	}
	return "Incomplete"
}

func (c *dctx) tcpAnalysisTree(t *Field, st *Stream, fl *tcpFrameFlags, acked uint32, off int) {
	a := t.Add(c.node(Field{Name: "tcp.analysis", Label: "[SEQ/ACK analysis]", Start: off}))
	if acked != 0 {
		a.Add(c.frameRef("tcp.analysis.acks_frame", int(acked), "[This is an ACK to the segment in frame: %d]", acked))
		if at, ok := c.a.lay.times.get(int(acked)); ok {
			rtt := time.Duration(c.ci.Timestamp.UnixNano() - at)
			a.Add(c.node(Field{Name: "tcp.analysis.ack_rtt", Label: "[The RTT to ACK the segment was: " + formatSeconds(rtt) + " seconds]", Kind: KindDuration, D: rtt, Start: off}))
		}
	}
	if st.firstRTT > 0 {
		d := time.Duration(st.firstRTT)
		a.Add(c.node(Field{Name: "tcp.analysis.initial_rtt", Label: "[iRTT: " + formatSeconds(d) + " seconds]", Kind: KindDuration, D: d, Start: off}))
	}
	if fl.flags == 0 {
		return
	}
	af := a.Add(c.node(Field{Name: "tcp.analysis.flags", Label: "[TCP Analysis Flags]", Start: off}))
	for _, e := range tcpExperts {
		if fl.flags&e.flag == 0 {
			continue
		}
		c.expert(af, e.name, e.msg, e.sev, "Sequence", off)
		if e.flag == taFastRetransmission || e.flag == taSpuriousRetransmission {
			c.expert(af, "tcp.analysis.retransmission", tcpExperts[0].msg, "Note", "Sequence", off)
		}
	}
	if fl.flags&taDuplicateAck != 0 {
		af.Add(c.node(Field{Name: "tcp.analysis.duplicate_ack", Label: "[This is a TCP duplicate ack]", Kind: KindBool, U: 1, Start: off}))
		a.Add(c.uint("tcp.analysis.duplicate_ack_num", off, 0, uint64(fl.dupAckNum), 0, "[Duplicate ACK #: %d]", fl.dupAckNum))
		df := a.Add(c.frameRef("tcp.analysis.duplicate_ack_frame", int(fl.dupAckFrame), "[Duplicate to the ACK in frame: %d]", fl.dupAckFrame))
		c.expert(df, "tcp.analysis.duplicate_ack", fmt.Sprintf("Duplicate ACK (#%d)", fl.dupAckNum), "Note", "Sequence", off)
	}
}

// tcpOptions dissects the options of a TCP header.
func (c *dctx) tcpOptions(t *Field, off, n int, st *Stream, dir int) []tcpOption {
	d := c.data[off : off+n]
	of := t.Add(c.node(Field{Name: "tcp.options", Kind: KindBytes, B: d, Start: off, Len: n}))
	var namesArr [12]string
	names := namesArr[:0]
	for i := 0; i < len(d); {
		k := d[i]
		name := tcpOptNames[k]
		if name == "" {
			name = fmt.Sprintf("Unknown (0x%02x)", k)
		}
		kindName := tcpKindNames[k]
		if kindName == "" {
			kindName = "Unknown"
		}
		names = append(names, name)
		if k == 0 || k == 1 {
			nm := "tcp.options.nop"
			if k == 0 {
				nm = "tcp.options.eol"
			}
			o := of.Add(c.fieldOf(Field{Name: nm, Kind: KindBytes, B: d[i : i+1], Start: off + i, Len: 1}, "TCP Option - %s", name))
			o.Add(c.uint("tcp.option_kind", off+i, 1, uint64(k), 0, "Kind: %s (%d)", kindName, k))
			i++
			continue
		}
		if i+1 >= len(d) || d[i+1] < 2 || i+int(d[i+1]) > len(d) {
			of.Add(c.text(off+i, len(d)-i, "TCP Option - %s: option length invalid", name))
			break
		}
		l := int(d[i+1])
		body := d[i+2 : i+l]
		o := of.Add(c.node(Field{Name: tcpOptionField(k, l), Kind: KindBytes, B: d[i : i+l], Start: off + i, Len: l}))
		o.Add(c.uint("tcp.option_kind", off+i, 1, uint64(k), 0, "Kind: %s (%d)", kindName, k))
		o.Add(c.uint("tcp.option_len", off+i+1, 1, uint64(l), 0, "Length: %d", l))
		bo := off + i + 2
		switch {
		case k == 2 && l == 4:
			mss := be16(body)
			o.relabel("TCP Option - Maximum segment size: %d bytes", mss)
			o.Add(c.uint("tcp.options.mss_val", bo, 2, uint64(mss), 0, "MSS Value: %d", mss))
		case k == 3 && l == 3:
			sh := body[0]
			mult := uint64(1) << min(sh, 14)
			o.relabel("TCP Option - Window scale: %d (multiply by %d)", sh, mult)
			o.Add(c.uint("tcp.options.wscale.shift", bo, 1, uint64(sh), 0, "Shift count: %d", sh))
			o.Add(c.uint("tcp.options.wscale.multiplier", bo, 1, mult, 0, "[Multiplier: %d]", mult))
		case k == 4 && l == 2:
			o.Label = "TCP Option - SACK permitted"
		case k == 8 && l == 10:
			tv, te := binary.BigEndian.Uint32(body), binary.BigEndian.Uint32(body[4:])
			o.relabel("TCP Option - Timestamps: TSval %d, TSecr %d", tv, te)
			o.Add(c.uint("tcp.options.timestamp.tsval", bo, 4, uint64(tv), 0, "Timestamp value: %d", tv))
			o.Add(c.uint("tcp.options.timestamp.tsecr", bo+4, 4, uint64(te), 0, "Timestamp echo reply: %d", te))
		case k == 5:
			base := uint32(0)
			if st != nil {
				base = st.flow[1-dir].baseSeq
			}
			var lbl strings.Builder
			lbl.WriteString("TCP Option - SACK")
			cnt := 0
			for j := 0; j+8 <= len(body); j += 8 {
				le, re := binary.BigEndian.Uint32(body[j:])-base, binary.BigEndian.Uint32(body[j+4:])-base
				if cnt == 0 {
					lbl.WriteString(" ")
				} else {
					lbl.WriteString(" ")
				}
				fmt.Fprintf(&lbl, "%d-%d", le, re)
				o.Add(c.uint("tcp.options.sack_le", bo+j, 4, uint64(le), 0, "left edge = %d (relative)", le))
				o.Add(c.uint("tcp.options.sack_re", bo+j+4, 4, uint64(re), 0, "right edge = %d (relative)", re))
				cnt++
			}
			o.Add(c.uint("tcp.options.sack.count", bo, 0, uint64(cnt), 0, "[TCP SACK Count: %d]", cnt))
			o.Label = lbl.String()
		default:
			o.Label = "TCP Option - " + name
			if len(body) > 0 {
				o.Add(c.bytes("tcp.options.unknown.payload", bo, len(body), "Payload: "+truncHex(body)))
			}
		}
		i += l
	}
	if t := &c.p.tree; !t.noLabels && !t.lite {
		var lb [256]byte
		b := strconv.AppendInt(append(lb[:0], "Options: ("...), int64(n), 10)
		b = append(b, " bytes), "...)
		for j, nm := range names {
			if j > 0 {
				b = append(b, ", "...)
			}
			b = append(b, nm...)
		}
		of.Label = t.concat(unsafe.String(unsafe.SliceData(b), len(b)))
	}
	return infoOptions(nil, d)
}

// tcpOptionField is the field of a TCP option of kind k and length l
// (the cases of tcpOptions' switch).
func tcpOptionField(k byte, l int) string {
	switch {
	case k == 2 && l == 4:
		return "tcp.options.mss"
	case k == 3 && l == 3:
		return "tcp.options.wscale"
	case k == 4 && l == 2:
		return "tcp.options.sack_perm"
	case k == 8 && l == 10:
		return "tcp.options.timestamp"
	case k == 5:
		return "tcp.options.sack"
	}
	return "tcp.options.unknown"
}

func tcpFlagListOf(fl uint64) string { return tcpFlagList(uint16(fl)) }

// The flag bits of TCP's flags.
var (
	tcpFlagAE  = newBitFlag("tcp.flags.ae", "Accurate ECN", 0x100, 12)
	tcpFlagCWR = newBitFlag("tcp.flags.cwr", "Congestion Window Reduced", 0x080, 12)
	tcpFlagECE = newBitFlag("tcp.flags.ece", "ECN-Echo", 0x040, 12)
	tcpFlagURG = newBitFlag("tcp.flags.urg", "Urgent", 0x020, 12)
	tcpFlagACK = newBitFlag("tcp.flags.ack", "Acknowledgment", 0x010, 12)
	tcpFlagPSH = newBitFlag("tcp.flags.push", "Push", 0x008, 12)
	tcpFlagRST = newBitFlag("tcp.flags.reset", "Reset", 0x004, 12)
	tcpFlagSYN = newBitFlag("tcp.flags.syn", "Syn", 0x002, 12)
	tcpFlagFIN = newBitFlag("tcp.flags.fin", "Fin", 0x001, 12)
)
