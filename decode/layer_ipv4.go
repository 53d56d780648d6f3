package decode

import (
	"fmt"
	"net/netip"
	"sort"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// ipProtoName is Wireshark's name for an IP protocol number.
func ipProtoName(p uint8) string {
	switch p {
	case 0:
		return "IPv6 Hop-by-Hop Option"
	case 1:
		return "ICMP"
	case 2:
		return "IGMP"
	case 4:
		return "IPIP"
	case 6:
		return "TCP"
	case 17:
		return "UDP"
	case 41:
		return "IPv6"
	case 43:
		return "Routing Header for IPv6"
	case 44:
		return "Fragment Header for IPv6"
	case 47:
		return "Generic Routing Encapsulation"
	case 50:
		return "Encap Security Payload"
	case 51:
		return "Authentication Header"
	case 58:
		return "ICMPv6"
	case 59:
		return "No Next Header for IPv6"
	case 60:
		return "Destination Options for IPv6"
	case 89:
		return "OSPF IGP"
	case 103:
		return "PIM"
	case 112:
		return "VRRP"
	case 115:
		return "Layer 2 Tunneling Protocol"
	case 132:
		return "SCTP"
	}
	return "Unknown"
}

var dscpNames = map[uint8][2]string{
	0: {"CS0", "Default"}, 1: {"LE", "Lower Effort"},
	8: {"CS1", "Class Selector 1"}, 16: {"CS2", "Class Selector 2"}, 24: {"CS3", "Class Selector 3"},
	32: {"CS4", "Class Selector 4"}, 40: {"CS5", "Class Selector 5"}, 48: {"CS6", "Class Selector 6"},
	56: {"CS7", "Class Selector 7"},
	10: {"AF11", "Assured Forwarding 11"}, 12: {"AF12", "Assured Forwarding 12"}, 14: {"AF13", "Assured Forwarding 13"},
	18: {"AF21", "Assured Forwarding 21"}, 20: {"AF22", "Assured Forwarding 22"}, 22: {"AF23", "Assured Forwarding 23"},
	26: {"AF31", "Assured Forwarding 31"}, 28: {"AF32", "Assured Forwarding 32"}, 30: {"AF33", "Assured Forwarding 33"},
	34: {"AF41", "Assured Forwarding 41"}, 36: {"AF42", "Assured Forwarding 42"}, 38: {"AF43", "Assured Forwarding 43"},
	44: {"VOICE-ADMIT", "Voice Admit"}, 46: {"EF", "Expedited Forwarding"},
}

var ecnNames = [4][2]string{
	{"Not-ECT", "Not ECN-Capable Transport"},
	{"ECT(1)", "ECN-Capable Transport codepoint '01'"},
	{"ECT(0)", "ECN-Capable Transport codepoint '10'"},
	{"CE", "Congestion Experienced"},
}

func dscpName(d uint8) (short, long string) {
	if n, ok := dscpNames[d]; ok {
		return n[0], n[1]
	}
	return fmt.Sprintf("Unknown (%d)", d), "Unknown"
}

// ipv4 dissects an IPv4 header at off; end is where the enclosing layer
// says the packet ends. It returns where the IP datagram ends.
func (c *dctx) ipv4(off, end int) int {
	if c.inError {
		end = len(c.data)
	}
	d := c.data[off:]
	if len(d) < 20 {
		if c.inError {
			return 0
		}
		// Wireshark shows the source address once it has read it.
		if len(d) >= 16 && d[0]&15 >= 5 {
			c.sum.Src = netip.AddrFrom4([4]byte(d[12:16])).String()
		}
		c.truncatedLayer("ip", "Internet Protocol Version 4", off, "IPv4")
		c.setCol("IPv4", "")
		return 0
	}
	ihl := int(d[0]&15) * 4
	src, dst := netip.AddrFrom4([4]byte(d[12:16])), netip.AddrFrom4([4]byte(d[16:20]))
	if tl := int(be16(d[2:])); c.skim("ip") && !c.inError && ihl >= 20 && len(d) >= ihl && tl >= ihl && be16(d[6:])&0x3fff == 0 {
		// A whole, unfragmented datagram, for a row: no tree.
		c.skimmed("ip", off, ihl)
		c.setNet(src, dst)
		c.setCol("IPv4", "")
		c.ttl = d[8]
		pend := min(off+tl, end)
		if off+ihl < pend {
			c.ipPayload(d[9], off+ihl, pend, "IPv4")
		}
		return pend
	}
	ip := c.proto("ip", off, min(max(ihl, 0), len(d)), "Internet Protocol Version 4, Src: %s, Dst: %s", src, dst)
	c.p.Tree = append(c.p.Tree, ip)
	appendProtocol(c.p, "ip")
	c.setCol("IPv4", "")
	b0 := uint64(d[0])
	ip.Add(c.uint("ip.version", off, 1, b0>>4, 0, "%s = Version: %d", bits(b0, 0xf0, 8), d[0]>>4))
	ip.Add(c.uint("ip.hdr_len", off, 1, uint64(ihl), 0, "%s = Header Length: %d bytes (%d)", bits(b0, 0x0f, 8), ihl, ihl/4))
	if ihl < 20 {
		c.info = fmt.Sprintf("Bogus IP header length (%d, must be at least 20)", ihl)
		return 0
	}
	// Wireshark takes the addresses for the packet list once the lengths
	// pass (a total length of 0 is TSO's: the frame's): the source as
	// read, the destination once the options are.
	if tl := int(be16(d[2:])); tl >= ihl || tl == 0 && end-off >= ihl || c.inError {
		if len(d) >= ihl {
			c.setNet(src, dst)
		} else if !c.inError {
			c.sum.Src = src.String()
		}
	}
	if len(d) < ihl {
		if !c.inError {
			c.markMalformed("IPv4")
		}
		return 0
	}
	ds := d[1]
	dscp, ecn := ds>>2, ds&3
	ds1, ds2 := dscpName(dscp)
	dsf := ip.Add(c.hex("ip.dsfield", off+1, 1, uint64(ds), 8, "Differentiated Services Field: 0x%02x (DSCP: %s, ECN: %s)", ds, ds1, ecnNames[ecn][0]))
	dsf.Add(c.uint("ip.dsfield.dscp", off+1, 1, uint64(dscp), 0, "%s = Differentiated Services Codepoint: %s (%d)", bits(uint64(ds), 0xfc, 8), ds2, dscp))
	dsf.Add(c.uint("ip.dsfield.ecn", off+1, 1, uint64(ecn), 0, "%s = Explicit Congestion Notification: %s (%d)", bits(uint64(ds), 0x03, 8), ecnNames[ecn][1], ecn))
	tl := int(be16(d[2:]))
	if tl == 0 && !c.inError {
		tl = end - off
		ip.Add(c.uint("ip.len", off+2, 2, uint64(tl), 0, "Total Length: %d bytes (reported as 0, presumed to be because of \"TCP segmentation offload\" (TSO))", tl))
	} else {
		ip.Add(c.uint("ip.len", off+2, 2, uint64(tl), 0, "Total Length: %d", tl))
	}
	id := be16(d[4:])
	ip.Add(c.hex("ip.id", off+4, 2, uint64(id), 16, "Identification: 0x%04x (%d)", id, id))
	fw := uint64(be16(d[6:]))
	flags := fw >> 13
	fl := ip.Add(c.hex("ip.flags", off+6, 1, flags, 8, "%s = Flags: 0x%x%s", bits(uint64(d[6]), 0xe0, 8), flags, later(ipFlagsText, flags)))
	c.flagBit(fl, ipFlagRB, off+6, 1, uint64(d[6]))
	c.flagBit(fl, ipFlagDF, off+6, 1, uint64(d[6]))
	c.flagBit(fl, ipFlagMF, off+6, 1, uint64(d[6]))
	fragOff := int(fw&0x1fff) * 8
	ip.Add(c.uint("ip.frag_offset", off+6, 2, uint64(fw&0x1fff), 16, "%s = Fragment Offset: %d", bits(fw, 0x1fff, 16), fragOff))
	if !c.inError {
		c.ttl = d[8]
	}
	ip.Add(c.uint("ip.ttl", off+8, 1, uint64(d[8]), 0, "Time to Live: %d", d[8]))
	proto := d[9]
	ip.Add(c.uint("ip.proto", off+9, 1, uint64(proto), 0, "Protocol: %s (%d)", ipProtoName(proto), proto))
	ck := be16(d[10:])
	ip.Add(c.hex("ip.checksum", off+10, 2, uint64(ck), 16, "Header Checksum: 0x%04x [validation disabled]", ck))
	ip.Add(c.uint("ip.checksum.status", off+10, 0, 2, 0, "[Header checksum status: Unverified]"))
	c.addrFields(ip, "ip", src, dst, off+12, off+16, 4)
	if ihl > 20 {
		c.ipv4Options(ip, off+20, ihl-20)
	}
	if tl < ihl {
		c.info = fmt.Sprintf("Bogus IP length (%d, less than header length %d)", tl, ihl)
		return 0
	}
	// The datagram ends at its total length or where the frame does
	// (Wireshark's set_actual_length: a total length past the frame
	// is not an error).
	pend := min(off+tl, end)
	if c.inError {
		pend = len(c.data)
	}
	if fw&0x3fff != 0 && !c.inError { // MF or an offset: a fragment
		c.setCol("IPv4", fmt.Sprintf("Fragmented IP protocol (proto=%s %d, off=%d, ID=%04x)", ipProtoName(proto), proto, fragOff, id))
		c.ipv4Fragment(ip, off, ihl, pend, proto, src, dst)
	} else if off+ihl < pend {
		c.ipPayload(proto, off+ihl, pend, "IPv4")
	}
	return pend
}

// addrFields adds the source and destination addresses with the hidden
// fields filters use (ip.addr, ip.src_host, ip.host).
func (c *dctx) addrFields(parent *Field, pfx string, src, dst netip.Addr, so, do, n int) {
	names := &ipAddrNames
	if pfx == "ipv6" {
		names = &ipv6AddrNames
	}
	parent.Add(c.ip(names.src, so, n, src, "Source Address: %s", src))
	parent.Add(c.hid().ip(names.addr, so, n, src, "Source or Destination Address: %s", src))
	var s, t string
	if c.wants(names.srcHost) || c.wants(names.host) {
		s = src.String()
	}
	parent.Add(c.hid().str(names.srcHost, so, n, s, "Source Host: %s", src))
	parent.Add(c.hid().str(names.host, so, n, s, "Source or Destination Host: %s", src))
	parent.Add(c.ip(names.dst, do, n, dst, "Destination Address: %s", dst))
	parent.Add(c.hid().ip(names.addr, do, n, dst, "Source or Destination Address: %s", dst))
	if c.wants(names.dstHost) || c.wants(names.host) {
		t = dst.String()
	}
	parent.Add(c.hid().str(names.dstHost, do, n, t, "Destination Host: %s", dst))
	parent.Add(c.hid().str(names.host, do, n, t, "Source or Destination Host: %s", dst))
}

// addrNames are the address fields of IPv4 and IPv6.
type addrNames struct{ src, dst, addr, srcHost, dstHost, host string }

var (
	ipAddrNames   = addrNames{"ip.src", "ip.dst", "ip.addr", "ip.src_host", "ip.dst_host", "ip.host"}
	ipv6AddrNames = addrNames{"ipv6.src", "ipv6.dst", "ipv6.addr", "ipv6.src_host", "ipv6.dst_host", "ipv6.host"}
)

var ipv4OptNames = map[uint8]string{0: "End of Options List (EOL)", 1: "No Operation (NOP)", 7: "Record Route", 68: "Time Stamp",
	130: "Security", 131: "Loose Source Route", 137: "Strict Source Route", 136: "Stream ID", 148: "Router Alert"}

func (c *dctx) ipv4Options(ip *Field, off, n int) {
	o := ip.Add(c.node(Field{Name: "ip.options", Label: fmt.Sprintf("Options: (%d bytes)", n), Start: off, Len: n}))
	d := c.data[off : off+n]
	for i := 0; i < len(d); {
		t := d[i]
		name := ipv4OptNames[t]
		if name == "" {
			name = fmt.Sprintf("Unknown (0x%02x)", t)
		}
		l := 1
		if t > 1 {
			if i+1 >= len(d) || d[i+1] < 2 || i+int(d[i+1]) > len(d) {
				o.Add(c.text(off+i, len(d)-i, "IP Option - "+name+" [malformed]"))
				return
			}
			l = int(d[i+1])
		}
		opt := o.Add(c.none("ip.opt", off+i, l, "IP Option - "+name))
		opt.Add(c.uint("ip.opt.type", off+i, 1, uint64(t), 0, "Type: %d", t))
		if t > 1 {
			opt.Add(c.uint("ip.opt.len", off+i+1, 1, uint64(l), 0, "Length: %d", l))
		}
		i += l
		if t == 0 {
			break
		}
	}
}

// ipPayload dissects what an IP header (or the last IPv6 extension header)
// announces, from off to end (end may lie past the captured bytes).
func (c *dctx) ipPayload(proto uint8, off, end int, column string) {
	switch proto {
	case 6:
		c.tcp(off, end)
	case 17:
		c.udp(off, end)
	case 1:
		c.icmp(off, end)
	case 58:
		c.icmpv6(off, end)
	case 4:
		c.ipv4(off, end)
	case 41:
		c.ipv6(off, end)
	default:
		if c.inError {
			return
		}
		c.dataLayer(off, end)
		if c.info == "" {
			c.info = fmt.Sprintf("%s (%d)", ipProtoName(proto), proto)
		}
		if column == "IPv6" {
			c.info = fmt.Sprintf("Unknown IP Protocol: %s (%d)", ipProtoName(proto), proto)
		}
	}
}

// ipv4Fragment shows a fragment: the frame that completes the datagram
// gets the reassembled datagram as a new data source and dissects its
// payload; the others point to it.
func (c *dctx) ipv4Fragment(ip *Field, off, ihl, pend int, proto uint8, src, dst netip.Addr) {
	df := &c.a.lay.defrag
	r := df.done[uint32(c.n)]
	if r == nil {
		if in, ok := df.in[uint32(c.n)]; ok {
			ip.Add(c.frameRef("ip.reassembled_in", int(in), "[Reassembled IPv4 in frame: %d]", in))
			c.info += fmt.Sprintf(" [Reassembled in #%d]", in)
		}
		c.dataLayer(off+ihl, pend)
		return
	}
	total := len(r.data)
	list := ""
	for i, pc := range r.pieces {
		if i > 0 {
			list += ", "
		}
		list += fmt.Sprintf("#%d(%d)", pc.frame, pc.length)
	}
	fr := ip.Add(c.node(Field{Name: "ip.fragments", Label: fmt.Sprintf("[%d IPv4 Fragments (%d bytes): %s]", len(r.pieces), total, list), Kind: KindBytes, B: r.data}))
	for _, pc := range r.pieces {
		fr.Add(c.frameRef("ip.fragment", int(pc.frame), "Frame: %d, payload: %d-%d (%d bytes)", pc.frame, pc.offset, int(pc.offset)+int(pc.length)-1, pc.length))
	}
	fr.Add(c.uint("ip.fragment.count", 0, 0, uint64(len(r.pieces)), 0, "[Fragment count: %d]", len(r.pieces)))
	fr.Add(c.uint("ip.reassembled.length", 0, 0, uint64(total), 0, "[Reassembled IPv4 length: %d]", total))
	fr.Add(c.node(Field{Name: "ip.reassembled.data", Label: "[Reassembled IPv4 data: " + truncHex(r.data) + "]", Kind: KindBytes, B: r.data}))
	// The datagram's payload is dissected from the reassembled bytes.
	c.p.Sources = append(c.p.Sources, DataSource{Name: "Reassembled IPv4", Data: r.data})
	saveSrc, saveData := c.src, c.data
	c.src, c.data = len(c.p.Sources)-1, r.data
	c.setCol("IPv4", "")
	c.ipPayload(proto, 0, len(r.data), "IPv4")
	c.src, c.data = saveSrc, saveData
}

// ipv4Defrag reassembles IPv4 fragments in the fast pass, keyed as
// Wireshark keys them: source, destination, identification and protocol.
type ipv4Defrag struct {
	open map[fragKey]*fragBuf
	done map[uint32]*reassembly // completing frame → datagram payload
	in   map[uint32]uint32      // fragment frame → completing frame
}

type fragKey struct {
	src, dst [4]byte
	id       uint16
	proto    uint8
}

type fragPiece struct {
	frame          uint32
	offset, length uint16
}

type fragBuf struct {
	pieces []fragPiece
	data   []byte
	total  int // -1 until the last fragment (MF clear) is seen
}

type reassembly struct {
	data   []byte
	pieces []fragPiece
}

// maxOpenFragments bounds the datagrams awaiting fragments, so a capture of
// lost fragments cannot grow memory without end.
const maxOpenFragments = 4096

// add takes one fragment of frame n; it returns the reassembled payload
// when this fragment completes its datagram.
func (d *ipv4Defrag) add(n int, ip *layers.IPv4) []byte {
	if d.open == nil {
		d.open = map[fragKey]*fragBuf{}
		d.done = map[uint32]*reassembly{}
		d.in = map[uint32]uint32{}
	}
	var k fragKey
	copy(k.src[:], ip.SrcIP.To4())
	copy(k.dst[:], ip.DstIP.To4())
	k.id, k.proto = ip.Id, uint8(ip.Protocol)
	b := d.open[k]
	if b == nil {
		if len(d.open) >= maxOpenFragments {
			for key := range d.open { // drop an arbitrary stale datagram
				delete(d.open, key)
				break
			}
		}
		b = &fragBuf{total: -1}
		d.open[k] = b
	}
	off := int(ip.FragOffset) * 8
	pl := ip.Payload
	if end := off + len(pl); end > len(b.data) {
		if end > 65535+8 {
			return nil
		}
		b.data = append(b.data, make([]byte, end-len(b.data))...)
	}
	copy(b.data[off:], pl)
	b.pieces = append(b.pieces, fragPiece{frame: uint32(n), offset: uint16(off), length: uint16(len(pl))})
	if ip.Flags&layers.IPv4MoreFragments == 0 {
		b.total = off + len(pl)
	}
	if b.total < 0 || !covered(b.pieces, b.total) {
		return nil
	}
	delete(d.open, k)
	sort.SliceStable(b.pieces, func(i, j int) bool { return b.pieces[i].offset < b.pieces[j].offset })
	r := &reassembly{data: b.data[:b.total], pieces: b.pieces}
	d.done[uint32(n)] = r
	for _, pc := range b.pieces {
		if pc.frame != uint32(n) {
			d.in[pc.frame] = uint32(n)
		}
	}
	return r.data
}

// covered reports whether the pieces cover [0, total) without a hole.
func covered(pieces []fragPiece, total int) bool {
	ps := make([]fragPiece, len(pieces))
	copy(ps, pieces)
	sort.Slice(ps, func(i, j int) bool { return ps[i].offset < ps[j].offset })
	at := 0
	for _, p := range ps {
		if int(p.offset) > at {
			return false
		}
		at = max(at, int(p.offset)+int(p.length))
	}
	return at >= total
}

// addFragment is the fast pass's part for IPv4 fragments: when frame n
// completes a datagram, its transport header is decoded from the
// reassembled bytes into f, so the TCP/UDP stages see it as Wireshark does.
func (s *layerState) addFragment(n int, f *Frame) {
	ip := &f.IP4
	if ip.Flags&layers.IPv4MoreFragments == 0 && ip.FragOffset == 0 {
		return
	}
	data := s.defrag.add(n, ip)
	if data == nil {
		return
	}
	var err error
	var lt gopacket.LayerType
	switch ip.Protocol {
	case layers.IPProtocolTCP:
		err, lt = f.TCP.DecodeFromBytes(data, gopacket.NilDecodeFeedback), layers.LayerTypeTCP
	case layers.IPProtocolUDP:
		err, lt = f.UDP.DecodeFromBytes(data, gopacket.NilDecodeFeedback), layers.LayerTypeUDP
	case layers.IPProtocolICMPv4:
		err, lt = f.ICMP4.DecodeFromBytes(data, gopacket.NilDecodeFeedback), layers.LayerTypeICMPv4
	default:
		return
	}
	if err == nil {
		f.Layers = append(f.Layers, lt)
	}
}

// ipFlagsText is what the IPv4 flags' label says after their value.
func ipFlagsText(flags uint64) string {
	var t string
	switch {
	case flags&2 != 0 && flags&1 != 0:
		t = ", Don't fragment, More fragments"
	case flags&2 != 0:
		t = ", Don't fragment"
	case flags&1 != 0:
		t = ", More fragments"
	}
	if flags&4 != 0 {
		t += ", Reserved bit"
	}
	return t
}

// The flag bits of IPv4's flags.
var (
	ipFlagRB = newBitFlag("ip.flags.rb", "Reserved bit", 0x80, 8)
	ipFlagDF = newBitFlag("ip.flags.df", "Don't fragment", 0x40, 8)
	ipFlagMF = newBitFlag("ip.flags.mf", "More fragments", 0x20, 8)
)
