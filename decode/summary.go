package decode

import (
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// Summary is one row of the packet list: Wireshark's No., Time, Source,
// Destination, Protocol, Length and Info columns.
type Summary struct {
	Number   int
	Time     time.Duration // since the first packet
	Src, Dst string
	Protocol string
	Length   int
	Info     string
	// TimeRes is the unit Time is printed in: tshark prints a packet's
	// time to the precision of its capture file's timestamps (6 decimals
	// for a microsecond pcap, 9 for nanoseconds; see TsResolTimeRes). A
	// power of ten from time.Nanosecond (also for 0) to time.Second (no
	// decimals).
	TimeRes time.Duration
}

// WriteTo prints s as one line in tshark's default layout (tshark 4.0's
// print_columns): the number right-aligned in 5 columns, the time in 10,
// the source in 12 (right-aligned) and the destination in 12
// (left-aligned), with " → " between them; the protocol, length and
// Info unpadded.
func (s Summary) WriteTo(w io.Writer) (int64, error) {
	var buf [256]byte
	var num [32]byte
	b := buf[:0]
	b = appendPadded(b, strconv.AppendInt(num[:0], int64(s.Number), 10), 5, false)
	b = append(b, ' ')
	b = appendPadded(b, appendRelTime(num[:0], s.Time, s.TimeRes), 10, false)
	b = append(b, ' ')
	b = appendPadded(b, []byte(s.Src), 12, false)
	b = append(b, " → "...)
	b = appendPadded(b, []byte(s.Dst), 12, true)
	b = append(b, ' ')
	b = append(b, s.Protocol...)
	b = append(b, ' ')
	b = strconv.AppendInt(b, int64(s.Length), 10)
	b = append(b, ' ')
	b = append(b, s.Info...)
	b = append(b, '\n')
	n, err := w.Write(b)
	return int64(n), err
}

// appendRelTime appends d in seconds with the decimals of unit res, as
// Wireshark's display_signed_time does: both parts truncated toward zero,
// and a minus sign for a negative time under a second only when its
// fraction is not zero at that precision ("-0.000039", but "0.000" for
// -0.0007 s in milliseconds).
func appendRelTime(b []byte, d, res time.Duration) []byte {
	if res <= 0 {
		res = time.Nanosecond
	}
	digits := 0
	for u := res; u < time.Second; u *= 10 {
		digits++
	}
	secs, frac := d/time.Second, int64((d%time.Second)/res)
	if frac < 0 {
		frac = -frac
		if secs >= 0 {
			b = append(b, '-')
		}
	}
	b = strconv.AppendInt(b, int64(secs), 10)
	if digits == 0 {
		return b
	}
	b = append(b, '.')
	var f [9]byte
	for i := digits - 1; i >= 0; i-- {
		f[i] = byte('0' + frac%10)
		frac /= 10
	}
	return append(b, f[:digits]...)
}

// TsResolTimeRes is the unit tshark 4.0 prints the times of an
// interface's packets in, from its timestamp resolution as pcapng's
// if_tsresol byte gives it (capture.InterfaceInfo.TsResol; a pcap file's
// is 6 or 9): Wireshark keeps seconds, 1, 2, 3, 6 or 9 decimals, the
// fewest that show a tick of 10^-n (n of 4 and 5 get 3 decimals, 7 and
// 8 get 6) or of 2^-n (up to 2^-3 none, to 2^-6 one, to 2^-9 two, to
// 2^-19 three, to 2^-29 six, then nine).
func TsResolTimeRes(tsresol uint8) time.Duration {
	e := int(tsresol & 0x7f)
	var digits int
	if tsresol&0x80 != 0 {
		switch {
		case e <= 3:
			digits = 0
		case e <= 6:
			digits = 1
		case e <= 9:
			digits = 2
		case e <= 19:
			digits = 3
		case e <= 29:
			digits = 6
		default:
			digits = 9
		}
	} else {
		switch {
		case e <= 3:
			digits = e
		case e <= 5:
			digits = 3
		case e <= 8:
			digits = 6
		default:
			digits = 9
		}
	}
	res := time.Second
	for ; digits > 0; digits-- {
		res /= 10
	}
	return res
}

// appendPadded appends v padded with blanks to width runes, on the left
// (%Ns) or, with left set, on the right (%-Ns).
func appendPadded(b, v []byte, width int, left bool) []byte {
	pad := width - utf8.RuneCount(v)
	if left {
		b = append(b, v...)
	}
	for ; pad > 0; pad-- {
		b = append(b, ' ')
	}
	if !left {
		b = append(b, v...)
	}
	return b
}

// tcpHalf is what the summary keeps per TCP direction to show relative
// sequence numbers and scaled windows, as Wireshark does.
type tcpHalf struct {
	isn      uint32
	haveISN  bool
	scale    int // window scale shift from this side's SYN; -1 until seen
	sawSYN   bool
	otherSYN bool
}

type flowKey struct {
	src, dst         netip.Addr
	srcPort, dstPort uint16
}

// Summarizer turns packets into list rows. It keeps a little per-flow state
// (initial sequence numbers, window scales), so feed it every packet in order.
type Summarizer struct {
	dec   *Decoder
	first time.Time
	n     int
	tcp   map[flowKey]*tcpHalf
	sb    strings.Builder
}

// NewSummarizer returns a Summarizer for one capture.
func NewSummarizer() *Summarizer {
	return &Summarizer{dec: NewDecoder(), tcp: map[flowKey]*tcpHalf{}}
}

// Summarize describes the next packet of the capture.
func (z *Summarizer) Summarize(ci gopacket.CaptureInfo, lt layers.LinkType, data []byte) Summary {
	z.n++
	if z.n == 1 {
		z.first = ci.Timestamp
	}
	length := ci.Length
	if length == 0 {
		length = len(data)
	}
	s := Summary{Number: z.n, Time: ci.Timestamp.Sub(z.first), Length: length}
	f := z.dec.Decode(lt, data)
	z.describe(f, &s)
	return s
}

func (z *Summarizer) describe(f *Frame, s *Summary) {
	switch {
	case f.Has(layers.LayerTypeEthernet):
		s.Src, s.Dst = f.Eth.SrcMAC.String(), f.Eth.DstMAC.String()
		s.Protocol, s.Info = fmt.Sprintf("0x%04x", uint16(f.Eth.EthernetType)), "Ethernet II"
		if f.Eth.Length > 0 || f.Eth.EthernetType == layers.EthernetTypeLLC {
			s.Protocol, s.Info = "LLC", ""
		}
	case f.Has(layers.LayerTypeLinuxSLL):
		s.Protocol, s.Info = "SLL", "Linux cooked capture"
	case f.Has(layers.LayerTypeLinuxSLL2):
		s.Protocol, s.Info = "SLL2", "Linux cooked capture v2"
	default:
		s.Protocol, s.Info = "DATA", "unknown link type"
	}
	var src, dst netip.Addr
	switch {
	case f.Has(layers.LayerTypeARP):
		describeARP(&f.ARP, s)
		return
	case f.Has(layers.LayerTypeIPv4):
		src, _ = netip.AddrFromSlice(f.IP4.SrcIP.To4())
		dst, _ = netip.AddrFromSlice(f.IP4.DstIP.To4())
		s.Protocol, s.Info = "IPv4", "protocol "+f.IP4.Protocol.String()
		if f.IP4.Flags&layers.IPv4MoreFragments != 0 || f.IP4.FragOffset != 0 {
			s.Info = fmt.Sprintf("Fragmented IP protocol (proto=%s %d, off=%d, ID=%04x)",
				f.IP4.Protocol, f.IP4.Protocol, int(f.IP4.FragOffset)*8, f.IP4.Id)
		}
	case f.Has(layers.LayerTypeIPv6):
		src, _ = netip.AddrFromSlice(f.IP6.SrcIP)
		dst, _ = netip.AddrFromSlice(f.IP6.DstIP)
		s.Protocol, s.Info = "IPv6", "next header "+f.IP6.NextHeader.String()
	default:
		if f.Truncated {
			s.Info += malformedNote
		}
		return
	}
	s.Src, s.Dst = src.String(), dst.String()
	switch {
	case f.Has(layers.LayerTypeTCP):
		s.Protocol = "TCP"
		s.Info = z.tcpInfo(src, dst, &f.TCP)
	case f.Has(layers.LayerTypeUDP):
		s.Protocol = "UDP"
		s.Info = fmt.Sprintf("%d → %d Len=%d", f.UDP.SrcPort, f.UDP.DstPort, len(f.UDP.Payload))
	case f.Has(layers.LayerTypeICMPv4):
		s.Protocol = "ICMP"
		s.Info = icmp4Info(&f.ICMP4, f.IP4.TTL)
	case f.Has(layers.LayerTypeICMPv6):
		s.Protocol = "ICMPv6"
		t, code := f.ICMP6.TypeCode.Type(), f.ICMP6.TypeCode.Code()
		if s.Info = icmpv6Types[t]; s.Info == "" {
			s.Info = fmt.Sprintf("Unknown (%d)", t)
		}
		if cn := icmpv6CodeName(t, code); cn != "" {
			s.Info += " (" + cn + ")"
		}
	}
	if f.Truncated {
		s.Info += malformedNote
	}
}

func describeARP(a *layers.ARP, s *Summary) {
	s.Protocol = arpColProto(a.Operation)
	sip, _ := netip.AddrFromSlice(a.SourceProtAddress)
	tip, _ := netip.AddrFromSlice(a.DstProtAddress)
	s.Info = arpInfo(a.Operation, fmtMAC(a.SourceHwAddress), sip.String(), fmtMAC(a.DstHwAddress), tip.String(),
		a.SourceProtAddress, a.DstHwAddress, a.DstProtAddress)
}

func fmtMAC(b []byte) string {
	parts := make([]string, len(b))
	for i, c := range b {
		parts[i] = fmt.Sprintf("%02x", c)
	}
	return strings.Join(parts, ":")
}

// icmp4Info is the ICMP Info column as layer_icmp.go makes it, without
// what needs later packets (the echo reply's frame).
func icmp4Info(ic *layers.ICMPv4, ttl uint8) string {
	t, code := ic.TypeCode.Type(), ic.TypeCode.Code()
	name := icmpTypes[t]
	switch {
	case t == 9 && (code == 0 || code == 16):
		name = "Mobile IP Advertisement"
	case name == "":
		name = "Unknown ICMP (obsolete or malformed?)"
	}
	info := fmt.Sprintf("%-20s", name)
	if cn := icmpCodeName(t, code); cn != "" {
		info += " (" + cn + ")"
	}
	switch t {
	case 0, 8, 13, 14, 15, 16, 17, 18:
		info += fmt.Sprintf(" id=0x%04x, seq=%d/%d, ttl=%d", ic.Id, ic.Seq, ic.Seq>>8|ic.Seq<<8, ttl)
	}
	return info
}

// tcpInfo writes Wireshark's TCP Info text: ports, flags, relative Seq/Ack,
// window, payload length and the options of interest.
func (z *Summarizer) tcpInfo(src, dst netip.Addr, t *layers.TCP) string {
	k := flowKey{src, dst, uint16(t.SrcPort), uint16(t.DstPort)}
	me := z.tcp[k]
	if me == nil {
		me = &tcpHalf{scale: -1}
		z.tcp[k] = me
	}
	peer := z.tcp[flowKey{dst, src, uint16(t.DstPort), uint16(t.SrcPort)}]
	if t.SYN {
		me.isn, me.haveISN, me.sawSYN = t.Seq, true, true
		me.scale = -1
		for _, o := range t.Options {
			if o.OptionType == layers.TCPOptionKindWindowScale && len(o.OptionData) == 1 {
				me.scale = int(min(o.OptionData[0], 14))
			}
		}
	} else if !me.haveISN {
		// Mid-stream: Wireshark counts from one before the first sequence
		// number seen, so the first byte seen is byte 1.
		me.isn, me.haveISN = t.Seq-1, true
	}
	if t.ACK && (peer == nil || !peer.haveISN) {
		// The peer's numbering starts from what this side acknowledges.
		if peer == nil {
			peer = &tcpHalf{scale: -1}
			z.tcp[flowKey{dst, src, uint16(t.DstPort), uint16(t.SrcPort)}] = peer
		}
		peer.isn, peer.haveISN = t.Ack-1, true
	}

	b := &z.sb
	b.Reset()
	fmt.Fprintf(b, "%d → %d ", t.SrcPort, t.DstPort)
	b.WriteString(tcpFlags(t))
	fmt.Fprintf(b, " Seq=%d", t.Seq-me.isn)
	if t.ACK {
		ack := t.Ack
		if peer != nil && peer.haveISN {
			ack -= peer.isn
		}
		fmt.Fprintf(b, " Ack=%d", ack)
	}
	win := int(t.Window)
	// The window is scaled only once both SYNs offered scaling (RFC 7323 §2.2),
	// and never in a SYN itself.
	if !t.SYN && me.sawSYN && peer != nil && peer.sawSYN && me.scale >= 0 && peer.scale >= 0 {
		win <<= me.scale
	}
	fmt.Fprintf(b, " Win=%d Len=%d", win, len(t.Payload))
	for _, o := range t.Options {
		switch o.OptionType {
		case layers.TCPOptionKindMSS:
			if len(o.OptionData) == 2 {
				fmt.Fprintf(b, " MSS=%d", int(o.OptionData[0])<<8|int(o.OptionData[1]))
			}
		case layers.TCPOptionKindSACKPermitted:
			b.WriteString(" SACK_PERM")
		case layers.TCPOptionKindTimestamps:
			if len(o.OptionData) == 8 {
				d := o.OptionData
				fmt.Fprintf(b, " TSval=%d TSecr=%d", be32(d[0:4]), be32(d[4:8]))
			}
		case layers.TCPOptionKindWindowScale:
			if len(o.OptionData) == 1 {
				fmt.Fprintf(b, " WS=%d", 1<<min(o.OptionData[0], 14))
			}
		case layers.TCPOptionKindSACK:
			for i := 0; i+8 <= len(o.OptionData); i += 8 {
				d := o.OptionData[i:]
				base := uint32(0)
				if peer != nil {
					base = peer.isn
				}
				fmt.Fprintf(b, " SLE=%d SRE=%d", be32(d[0:4])-base, be32(d[4:8])-base)
			}
		}
	}
	return b.String()
}

func be32(b []byte) uint32 {
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}

// tcpFlags renders the flags as Wireshark's Info column does: [SYN, ACK].
func tcpFlags(t *layers.TCP) string {
	var parts []string
	for _, f := range []struct {
		on   bool
		name string
	}{{t.FIN, "FIN"}, {t.SYN, "SYN"}, {t.RST, "RST"}, {t.PSH, "PSH"}, {t.ACK, "ACK"}, {t.URG, "URG"}, {t.ECE, "ECE"}, {t.CWR, "CWR"}, {t.NS, "NS"}} {
		if f.on {
			parts = append(parts, f.name)
		}
	}
	if len(parts) == 0 {
		return "[<None>]"
	}
	return "[" + strings.Join(parts, ", ") + "]"
}
