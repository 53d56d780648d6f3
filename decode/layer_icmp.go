package decode

import (
	"fmt"
	"net/netip"

	"github.com/gopacket/gopacket/layers"
)

var icmpTypes = map[uint8]string{
	0: "Echo (ping) reply", 1: "Reserved", 2: "Reserved", 3: "Destination unreachable",
	4: "Source quench (flow control)", 5: "Redirect", 6: "Alternate host address",
	8: "Echo (ping) request", 9: "Router advertisement", 10: "Router solicitation", 11: "Time-to-live exceeded",
	12: "Parameter problem", 13: "Timestamp request", 14: "Timestamp reply", 15: "Information request",
	16: "Information reply", 17: "Address mask request", 18: "Address mask reply", 19: "Reserved (for security)",
	30: "Traceroute", 31: "Datagram Conversion Error", 32: "Mobile Host Redirect", 33: "IPv6 Where-Are-You",
	34: "IPv6 I-Am-Here", 35: "Mobile Registration Request", 36: "Mobile Registration Reply",
	37: "Domain Name Request", 38: "Domain Name Reply", 39: "SKIP", 40: "Photuris",
	41: "Experimental mobility protocols", 42: "Extended Echo request", 43: "Extended Echo reply",
}

var icmpUnreach = []string{"Network unreachable", "Host unreachable", "Protocol unreachable", "Port unreachable",
	"Fragmentation needed", "Source route failed", "Destination network unknown", "Destination host unknown",
	"Source host isolated", "Network administratively prohibited", "Host administratively prohibited",
	"Network unreachable for TOS", "Host unreachable for TOS", "Communication administratively filtered",
	"Host precedence violation", "Precedence cutoff in effect"}

var icmpRedirect = []string{"Redirect for network", "Redirect for host", "Redirect for TOS and network", "Redirect for TOS and host"}

var icmpTimeEx = []string{"Time to live exceeded in transit", "Fragment reassembly time exceeded"}

var icmpParamProblem = []string{"Pointer indicates the error", "Required option missing", "Bad length"}

var icmpPhoturis = []string{"Bad SPI", "Authentication Failed", "Decompression Failed", "Decryption Failed",
	"Need Authentication", "Need Authorization"}

var icmpExtEchoReply = []string{"No error", "Malformed Query", "No Such Interface", "No Such Table Entry",
	"Multiple Interfaces Satisfy Query"}

// icmpCodeName is Wireshark's name for the code of a type that has codes
// ("Unknown code: 7" for one it does not know); "" for a type without.
func icmpCodeName(t, code uint8) string {
	var names []string
	switch t {
	case 3:
		names = icmpUnreach
	case 5:
		names = icmpRedirect
	case 11:
		names = icmpTimeEx
	case 12:
		names = icmpParamProblem
	case 40:
		names = icmpPhoturis
	case 43:
		names = icmpExtEchoReply
	case 6:
		names = []string{"Alternate address for host"}
	case 42:
		names = []string{"No error"}
	case 9:
		switch code {
		case 0:
			return "Normal router advertisement"
		case 16:
			return "Does not route common traffic"
		}
	default:
		return ""
	}
	if int(code) < len(names) {
		return names[code]
	}
	return fmt.Sprintf("Unknown code: %d", code)
}

// inetChecksum is the Internet checksum of b with an initial sum.
func inetChecksum(sum uint32, b []byte) uint16 {
	for len(b) >= 2 {
		sum += uint32(b[0])<<8 | uint32(b[1])
		b = b[2:]
	}
	if len(b) == 1 {
		sum += uint32(b[0]) << 8
	}
	for sum>>16 != 0 {
		sum = sum&0xffff + sum>>16
	}
	return ^uint16(sum)
}

// checksumField adds a verified checksum as Wireshark's ICMP dissectors do.
func (c *dctx) checksumField(parent *Field, pfx string, off int, ck uint16, computed uint16, verifiable bool) {
	switch {
	case !verifiable:
		parent.Add(c.hex(pfx+".checksum", off, 2, uint64(ck), 16, "Checksum: 0x%04x [unverified]", ck))
		parent.Add(c.uint(pfx+".checksum.status", off, 0, 2, 0, "[Checksum Status: Unverified]"))
	case computed == 0:
		parent.Add(c.hex(pfx+".checksum", off, 2, uint64(ck), 16, "Checksum: 0x%04x [correct]", ck))
		parent.Add(c.uint(pfx+".checksum.status", off, 0, 1, 0, "[Checksum Status: Good]"))
	default:
		parent.Add(c.hex(pfx+".checksum", off, 2, uint64(ck), 16, "Checksum: 0x%04x incorrect", ck))
		parent.Add(c.uint(pfx+".checksum.status", off, 0, 0, 0, "[Checksum Status: Bad]"))
	}
}

// icmp dissects an ICMP message at off.
func (c *dctx) icmp(off, end int) {
	if c.inError {
		return
	}
	// Short of a header in the capture, or in the length IP reports.
	if min(len(c.data), end)-off < 4 {
		c.truncatedLayer("icmp", "Internet Control Message Protocol", off, "ICMP")
		c.setCol("ICMP", "")
		return
	}
	end = min(end, len(c.data))
	d := c.data[off:end]
	t, code := d[0], d[1]
	ic := c.proto("icmp", off, len(d), "Internet Control Message Protocol")
	c.p.Tree = append(c.p.Tree, ic)
	appendProtocol(c.p, "icmp")
	tn := icmpTypes[t]
	if tn == "" {
		tn = "Unknown ICMP (obsolete or malformed?)"
	}
	ic.Add(c.uint("icmp.type", off, 1, uint64(t), 0, "Type: %d (%s)", t, tn))
	cn := icmpCodeName(t, code)
	codeLabel := fmt.Sprintf("Code: %d", code)
	if cn != "" {
		codeLabel += " (" + cn + ")"
	}
	ic.Add(c.uint("icmp.code", off+1, 1, uint64(code), 0, codeLabel))
	ck := be16(d[2:])
	c.checksumField(ic, "icmp", off+2, ck, inetChecksum(0, d), true)
	// Wireshark's Info: the type padded to 20 columns, then the code.
	// A router advertisement of code 0 or 16 is named for Mobile IP.
	if t == 9 && (code == 0 || code == 16) {
		tn = "Mobile IP Advertisement"
	}
	info := fmt.Sprintf("%-20s", tn)
	if cn != "" {
		info += " (" + cn + ")"
	}
	if len(d) < 6 { // Wireshark reads the identifier before it sets Info
		info = ""
	}
	switch t {
	case 0, 8, 13, 14, 15, 16, 17, 18:
		if len(d) < 8 {
			c.setCol("ICMP", info)
			c.markMalformed("ICMP")
			return
		}
		id, seq := be16(d[4:]), be16(d[6:])
		idLE, seqLE := id>>8|id<<8, seq>>8|seq<<8
		ic.Add(c.uint("icmp.ident", off+4, 2, uint64(id), 0, "Identifier (BE): %d (0x%04x)", id, id))
		ic.Add(c.uint("icmp.ident_le", off+4, 2, uint64(idLE), 0, "Identifier (LE): %d (0x%04x)", idLE, idLE))
		ic.Add(c.uint("icmp.seq", off+6, 2, uint64(seq), 0, "Sequence Number (BE): %d (0x%04x)", seq, seq))
		ic.Add(c.uint("icmp.seq_le", off+6, 2, uint64(seqLE), 0, "Sequence Number (LE): %d (0x%04x)", seqLE, seqLE))
		info += fmt.Sprintf(" id=0x%04x, seq=%d/%d, ttl=%d", id, seq, seqLE, c.ttl)
		if t == 0 || t == 8 {
			info += c.a.lay.echo.note(c.n, t == 8)
			c.setCol("ICMP", info)
			c.dataLayer(off+8, end)
			return
		}
	case 3, 4, 5, 11, 12:
		if len(d) < 8 {
			c.setCol("ICMP", info)
			c.markMalformed("ICMP")
			return
		}
		switch {
		case t == 5:
			gw := c.data[off+4 : off+8]
			ic.Add(c.bytes("icmp.redir_gw", off+4, 4, "Gateway Address: %d.%d.%d.%d", gw[0], gw[1], gw[2], gw[3]))
		case t == 3 && code == 4:
			ic.Add(c.uint("icmp.unused", off+4, 2, uint64(be16(d[4:])), 0, "Unused: 0x0000"))
			mtu := be16(d[6:])
			ic.Add(c.uint("icmp.mtu", off+6, 2, uint64(mtu), 0, "MTU of next hop: %d", mtu))
		default:
			ic.Add(c.bytes("icmp.unused", off+4, 4, "Unused: %x", d[4:8]))
		}
		c.setCol("ICMP", info)
		// The quoted datagram: its headers are shown, its streams untouched.
		if len(d) > 8 {
			c.quoted(func() { c.ipv4(off+8, end) })
		}
		return
	}
	c.setCol("ICMP", info)
	if len(d) > 8 {
		c.dataLayer(off+8, end)
	}
}

// quoted dissects the datagram an ICMP or ICMPv6 error quotes: its headers
// are shown, but it does not feed streams or analysis.
func (c *dctx) quoted(dissect func()) {
	save := c.inError
	c.inError = true
	dissect()
	c.inError = save
}

// icmpEcho pairs ICMP and ICMPv6 echo requests with their replies in the
// fast pass, as Wireshark's ICMP dissectors do: by the two addresses,
// identifier, sequence number and the checksum the reply must have (so
// the same data), the latest request answered by the first reply after
// it.
type icmpEcho struct {
	open    map[echoKey]uint32 // the latest request of a key, not yet answered
	reply   map[uint32]uint32  // request frame → reply frame
	request map[uint32]uint32  // reply frame → request frame
}

type echoKey struct {
	a, b    netip.Addr // the addresses, in order
	id, seq uint16
	ck      uint16 // the reply's checksum (0xffff as 0)
}

// maxOpenEchoes bounds the requests awaiting replies.
const maxOpenEchoes = 1 << 16

// add takes frame n's echo request (reply false) or reply from src to
// dst, with its checksum; v6 for ICMPv6.
func (e *icmpEcho) add(n int, src, dst netip.Addr, reply, v6 bool, ck, id, seq uint16) {
	k := echoKey{a: src, b: dst, id: id, seq: seq, ck: ck}
	if dst.Less(src) {
		k.a, k.b = dst, src
	}
	if !reply {
		// The checksum a reply with the same data has: the type word
		// changes from 0x0800 to 0 (ICMP), 0x8000 to 0x8100 (ICMPv6).
		w := []byte{byte(^ck >> 8), byte(^ck), 0xf7, 0xff}
		if v6 {
			w[2], w[3] = 0x01, 0x00
		}
		k.ck = inetChecksum(0, w)
	}
	if k.ck == 0xffff {
		k.ck = 0
	}
	if e.open == nil {
		e.open, e.reply, e.request = map[echoKey]uint32{}, map[uint32]uint32{}, map[uint32]uint32{}
	}
	if !reply {
		if len(e.open) >= maxOpenEchoes {
			clear(e.open)
		}
		e.open[k] = uint32(n)
		return
	}
	if r, ok := e.open[k]; ok && int(r) < n {
		e.reply[r], e.request[uint32(n)] = uint32(n), r
		delete(e.open, k)
	}
}

// note is what Info says of frame n's request or reply.
func (e *icmpEcho) note(n int, request bool) string {
	if request {
		if r, ok := e.reply[uint32(n)]; ok {
			return fmt.Sprintf(" (reply in %d)", r)
		}
		return " (no response found!)"
	}
	if r, ok := e.request[uint32(n)]; ok {
		return fmt.Sprintf(" (request in %d)", r)
	}
	return ""
}

// addICMP is the fast pass's part for ICMP and ICMPv6: echo requests and
// replies (f carries the decoded ICMP layer, and the IP one under it).
func (s *layerState) addICMP(n int, f *Frame) {
	switch {
	case f.Has(layers.LayerTypeICMPv4) && f.Has(layers.LayerTypeIPv4):
		t := f.ICMP4.TypeCode.Type()
		if t != layers.ICMPv4TypeEchoRequest && t != layers.ICMPv4TypeEchoReply {
			return
		}
		src, _ := netip.AddrFromSlice(f.IP4.SrcIP.To4())
		dst, _ := netip.AddrFromSlice(f.IP4.DstIP.To4())
		s.echo.add(n, src, dst, t == layers.ICMPv4TypeEchoReply, false, f.ICMP4.Checksum, f.ICMP4.Id, f.ICMP4.Seq)
	case f.Has(layers.LayerTypeICMPv6) && f.Has(layers.LayerTypeIPv6):
		t := f.ICMP6.TypeCode.Type()
		if t != layers.ICMPv6TypeEchoRequest && t != layers.ICMPv6TypeEchoReply || len(f.ICMP6.Payload) < 4 {
			return
		}
		src, _ := netip.AddrFromSlice(f.IP6.SrcIP)
		dst, _ := netip.AddrFromSlice(f.IP6.DstIP)
		p := f.ICMP6.Payload
		s.echo.add(n, src, dst, t == layers.ICMPv6TypeEchoReply, true, f.ICMP6.Checksum, be16(p), be16(p[2:]))
	}
}
