package decode

import (
	"encoding/binary"
	"net/netip"
	"sort"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// RowWriter writes packet-list lines, Row(…).AppendTo's, for one
// goroutine. The commonest rows — a TCP segment in IPv4 or IPv6 on
// Ethernet whose Info is TCP's, or whose HTTP messages have their rows
// whole in the fast pass's records (rowRecord) — are written straight
// from the packet's bytes and those records: no Packet, tree or string
// is made. Every other row is Row's. TestRowWriterEqualsRow holds the
// two equal on every test capture.
type RowWriter struct {
	a *Analyzer
	// Rows come in capture order: a search for a frame's records starts
	// where the last one ended.
	recHint, segHint int
	addrs            [4]addrText // the addresses printed last
	nextAddr         int
}

type addrText struct {
	a netip.Addr
	s string
}

// NewRowWriter returns a RowWriter for rows of a's packets, for one
// goroutine. Like Row it needs the fast pass finished.
func (a *Analyzer) NewRowWriter() *RowWriter { return &RowWriter{a: a} }

// Append appends packet n's line to b.
func (w *RowWriter) Append(b []byte, n int, ci gopacket.CaptureInfo, lt layers.LinkType, data []byte) []byte {
	if out, ok := w.appendFast(b, n, ci, lt, data); ok {
		return out
	}
	return w.a.Row(n, ci, lt, data).AppendTo(b)
}

// appendFast writes the row of a well-formed, whole TCP segment as Row's
// skimming dissectors (dctx.tcpRow, httpStage.dissect) would, or reports
// that it is not one.
func (w *RowWriter) appendFast(b []byte, n int, ci gopacket.CaptureInfo, lt layers.LinkType, data []byte) ([]byte, bool) {
	a := w.a
	if a.opts.Live || lt != layers.LinkTypeEthernet || len(data) < 14 || ci.Length > len(data) {
		return b, false
	}
	var src, dst netip.Addr
	off, end := 14, len(data)
	d := data[off:]
	switch be16(data[12:]) {
	case 0x0800:
		if len(d) < 20 || d[0]>>4 != 4 {
			return b, false
		}
		ihl, tl := int(d[0]&15)*4, int(be16(d[2:]))
		if ihl < 20 || len(d) < ihl || tl < ihl || be16(d[6:])&0x3fff != 0 || d[9] != 6 {
			return b, false
		}
		src, dst = netip.AddrFrom4([4]byte(d[12:16])), netip.AddrFrom4([4]byte(d[16:20]))
		end = min(off+tl, end)
		off += ihl
	case 0x86dd:
		if len(d) < 40 || d[0]>>4 != 6 || d[6] != 6 || be16(d[4:]) == 0 {
			return b, false
		}
		src, dst = netip.AddrFrom16([16]byte(d[8:24])), netip.AddrFrom16([16]byte(d[24:40]))
		end = min(off+40+int(be16(d[4:])), end)
		off += 40
	default:
		return b, false
	}
	if off >= end || len(data)-off < 20 {
		return b, false
	}
	d = data[off:]
	thl := int(d[12]>>4) * 4
	if thl < 20 || len(d) < thl {
		return b, false
	}
	seglen := max(end-off-thl, 0)
	sp, dp := be16(d), be16(d[2:])
	fl := uint16(d[12]&0x0f)<<8 | uint16(d[13])
	st, seq, ack, dir, scale := a.tcpRelative(n, src, sp, binary.BigEndian.Uint32(d[4:]), binary.BigEndian.Uint32(d[8:]), fl)

	// What the application stage makes of the segment (dissectApp).
	var recs []httpFrame
	inPDU := false
	if !a.opts.LayersOnly && st != nil {
		if a.app.tls.isTLS(st.Index) || a.app.h2.isH2(st.Index) {
			return b, false
		}
		h := a.app.http
		recs = w.frameRecs(h, n)
		for _, fr := range recs {
			for i := fr.first; i < fr.first+fr.count; i++ {
				if h.msgs.at(i).flags&msgMulti != 0 {
					return b, false // its bytes are a saved copy, not this segment's
				}
			}
		}
		if len(recs) == 0 {
			inPDU = w.inPDU(h.table, n)
		}
	}

	var flags tcpFrameFlags
	cwin := uint64(be16(d[14:]))
	if st != nil {
		flags = a.tcp.frameFlags(n)
		if fl&thSYN == 0 && scale >= 0 {
			cwin <<= uint(scale)
		}
	}
	var infoArr [512]byte
	info, proto := infoArr[:0], "TCP"
	if len(recs) == 0 {
		var opts [10]tcpOption
		info = appendTCPInfo(info, &flags, sp, dp, fl, seq, ack, cwin, be16(d[18:]), seglen, infoOptions(opts[:0], d[20:thl]), st, dir)
		if inPDU {
			info = append(info, " [TCP segment of a reassembled PDU]"...)
		}
	} else {
		// HTTP's Info after TCP's notes, and its Protocol column.
		info = appendTCPMarks(info, &flags)
		payload := data[off+thl : end]
		hd := httpDissector{a: a.app.http} // (no Packet: no message here is a saved copy)
		msg := func(i int32, m *httpMsg) []byte { b, _, _ := hd.bytes(int(i), m, payload, 0, 0); return b }
		var ok bool
		if info, proto, ok = a.app.http.appendRecordRow(info, n, recs, msg); !ok {
			return b, false
		}
	}

	length := ci.Length
	if length == 0 {
		length = len(data)
	}
	b = appendColumns(b, n, ci.Timestamp.Sub(a.first), a.lay.timeResOf(ci.InterfaceIndex), w.addrString(src), w.addrString(dst), proto, length)
	b = append(b, info...)
	return append(b, '\n'), true
}

// addrString is addrString(x), remembered for the next rows.
func (w *RowWriter) addrString(x netip.Addr) string {
	for i := range w.addrs {
		if w.addrs[i].a == x && w.addrs[i].s != "" {
			return w.addrs[i].s
		}
	}
	s := addrString(x)
	w.addrs[w.nextAddr] = addrText{x, s}
	w.nextAddr = (w.nextAddr + 1) % len(w.addrs)
	return s
}

// frameRecs is h.frameRecs(n), searched from where the last search ended.
func (w *RowWriter) frameRecs(h *httpStage, n int) []httpFrame {
	i := searchFrom(len(h.frames), &w.recHint, func(i int) bool { return h.frames[i].frame >= int32(n) })
	j := i
	for j < len(h.frames) && h.frames[j].frame == int32(n) {
		j++
	}
	return h.frames[i:j]
}

// inPDU is the ok of t.in(n): whether frame n's bytes went into a PDU.
func (w *RowWriter) inPDU(t *pduTable, n int) bool {
	i := searchFrom(len(t.sorted), &w.segHint, func(i int) bool { return t.sorted[i].frame >= int32(n) })
	return i < len(t.sorted) && t.sorted[i].frame == int32(n)
}

// searchFrom is sort.Search(n, f), looked for first a few steps on from
// *hint (where it is left).
func searchFrom(n int, hint *int, f func(int) bool) int {
	i := *hint
	if i > n || i > 0 && f(i-1) {
		i = sort.Search(n, f)
	} else {
		for k := 0; i < n && !f(i); k++ {
			if k == 8 {
				i += sort.Search(n-i, func(j int) bool { return f(i + j) })
				break
			}
			i++
		}
	}
	*hint = i
	return i
}
