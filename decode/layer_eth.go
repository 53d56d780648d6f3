package decode

import (
	"fmt"
	"net"
)

// etherTypeName is Wireshark's name for an ethertype in "Type: IPv4 (0x0800)".
func etherTypeName(t uint16) string {
	switch t {
	case 0x0800:
		return "IPv4"
	case 0x86dd:
		return "IPv6"
	case 0x0806:
		return "ARP"
	case 0x8100:
		return "802.1Q Virtual LAN"
	case 0x88a8:
		return "802.1ad Provider Bridge (Q-in-Q)"
	case 0x9100:
		return "QinQ: old non-standard 802.1ad"
	case 0x8035:
		return "RARP"
	case 0x8847:
		return "MPLS label switched packet"
	case 0x888e:
		return "802.1X Authentication"
	case 0x88cc:
		return "802.1 Link Layer Discovery Protocol (LLDP)"
	case 0x8863:
		return "PPPoE Discovery"
	case 0x8864:
		return "PPPoE Session"
	}
	return "Unknown"
}

func etherTypeLabel(t uint16) string {
	return fmt.Sprintf("Type: %s (0x%04x)", etherTypeName(t), t)
}

// truncatedLayer adds a protocol node over what is left of the data and
// marks the packet malformed: the header did not fit.
func (c *dctx) truncatedLayer(name, label string, off int, column string) {
	if off > len(c.data) {
		off = len(c.data)
	}
	c.p.Tree = append(c.p.Tree, c.proto(name, off, len(c.data)-off, label))
	appendProtocol(c.p, name)
	c.markMalformed(column)
}

// macAddr adds eth.dst or eth.src with the children Wireshark gives it.
func (c *dctx) macAddr(parent *Field, which, title string, off int) {
	// The names are constants and the labels formats (built only when
	// shown, into the tree's own text): -V makes no garbage of them.
	n := &macNames[0]
	if which == "src" {
		n = &macNames[1]
	}
	m := macString(c.data[off : off+6])
	f := parent.Add(c.mac(n.addr, off, "%s: %s", title, m))
	f.Add(c.hid().str(n.resolved, off, 6, m, "%s (resolved): %s", title, m))
	f.Add(c.mac("eth.addr", off, "Address: %s", m))
	f.Add(c.hid().str("eth.addr_resolved", off, 6, m, "Address (resolved): %s", m))
	b := uint64(c.data[off])<<16 | uint64(c.data[off+1])<<8 | uint64(c.data[off+2])
	lg, ig := b&0x020000 != 0, b&0x010000 != 0
	lgText := "LG bit: Globally unique address (factory default)"
	if lg {
		lgText = "LG bit: Locally administered address (this is NOT the factory default)"
	}
	igText := "IG bit: Individual address (unicast)"
	if ig {
		igText = "IG bit: Group address (multicast/broadcast)"
	}
	lgBits, igBits := bits(b, 0x020000, 24), bits(b, 0x010000, 24)
	f.Add(c.bool(n.lg, off, 3, lg, "%s = %s", lgBits, lgText))
	f.Add(c.hid().bool("eth.lg", off, 3, lg, "%s = %s", lgBits, lgText))
	f.Add(c.bool(n.ig, off, 3, ig, "%s = %s", igBits, igText))
	f.Add(c.hid().bool("eth.ig", off, 3, ig, "%s = %s", igBits, igText))
}

// macNames are the field names of Ethernet's destination and source.
var macNames = [2]struct{ addr, resolved, lg, ig string }{
	{"eth.dst", "eth.dst_resolved", "eth.dst.lg", "eth.dst.ig"},
	{"eth.src", "eth.src_resolved", "eth.src.lg", "eth.src.ig"},
}

// ethernet dissects an Ethernet II (or 802.3) header at off.
func (c *dctx) ethernet(off int) {
	if len(c.data)-off < 14 {
		// Wireshark shows each address it could read, then fails on
		// the type: the Protocol column names the protocol it was in.
		d := c.data[off:]
		if len(d) >= 6 {
			c.sum.Dst = net.HardwareAddr(d[0:6]).String()
		}
		if len(d) >= 12 {
			c.sum.Src = net.HardwareAddr(d[6:12]).String()
		}
		c.setCol("Ethernet", "")
		c.truncatedLayer("eth", "Ethernet II", off, "Ethernet")
		return
	}
	d := c.data[off:]
	if t := be16(d[12:14]); c.skim("eth") && (t == 0x0800 || t == 0x86dd) {
		// IP sets the row's addresses (or, cut short, leaves them ours).
		c.skimmed("eth", off, 14)
		c.etherPayload(t, off+14, c.frameEnd())
		if !c.cols() {
			return
		}
		if c.sum.Src == "" {
			c.sum.Src = net.HardwareAddr(d[6:12]).String()
		}
		if c.sum.Dst == "" {
			c.sum.Dst = net.HardwareAddr(d[0:6]).String()
		}
		return
	}
	dst, src := macString(d[0:6]), macString(d[6:12])
	e := c.proto("eth", off, 14, "Ethernet II, Src: %s, Dst: %s", src, dst)
	c.p.Tree = append(c.p.Tree, e)
	appendProtocol(c.p, "eth")
	c.macAddr(e, "dst", "Destination", off)
	c.macAddr(e, "src", "Source", off+6)
	c.sum.Src, c.sum.Dst = src, dst
	t := be16(d[12:14])
	if t <= 1500 {
		e.Label = fmt.Sprintf("IEEE 802.3 Ethernet, Src: %s, Dst: %s", src, dst)
		e.Add(c.uint("eth.len", off+12, 2, uint64(t), 0, "Length: %d", t))
		c.setCol("LLC", "")
		end := off + 14 + int(t)
		c.dataLayer(off+14, end)
		return
	}
	e.Add(c.hex("eth.type", off+12, 2, uint64(t), 16, etherTypeLabel(t)))
	c.setCol("ETH", "Ethernet II")
	mark := len(c.p.tree.flat)
	end := c.etherPayload(t, off+14, c.frameEnd())
	from := len(c.p.tree.flat)
	c.ethTrailer(e, off, end)
	// The trailer's nodes, made after the payload's, are Ethernet's: in
	// the order DissectFor lists its nodes they go before the payload's.
	c.p.tree.moveFlat(mark, from)
}

// ethTrailer adds the bytes after the network layer's PDU as Wireshark's
// add_ethernet_trailer does (with its default preferences, and no FCS
// length known from the file): eth.padding for zeros up to the 60-byte
// minimum frame, an FCS (eth.fcs) taken from the last four bytes of a
// frame of 64 bytes or more, eth.trailer for the rest, with an expert
// note when a short frame's padding is not zeros.
func (c *dctx) ethTrailer(e *Field, off, end int) {
	if end <= 0 || end >= len(c.data) || c.malformed {
		return
	}
	if c.ci.Length > len(c.data) {
		// Wireshark reads the padding as sent: cut by the snap length,
		// it runs off the bytes captured.
		c.markMalformed("ETH")
	}
	frame := len(c.data) - off
	trailer := len(c.data) - end
	maybePadded := frame >= 60 && frame-trailer < 60
	pad := 0
	if maybePadded {
		pad = min(60-(frame-trailer), trailer)
		for _, b := range c.data[end : end+pad] {
			if b != 0 {
				pad = 0
				break
			}
		}
	}
	if pad > 0 {
		e.Add(c.bytes("eth.padding", end, pad, "Padding: "+truncHex(c.data[end:end+pad])))
	}
	rest := trailer - pad
	fcs := frame >= 64 && rest >= 4
	if fcs {
		rest -= 4
	}
	if rest > 0 {
		t := e.Add(c.bytes("eth.trailer", end+pad, rest, "Trailer: "+truncHex(c.data[end+pad:end+pad+rest])))
		if maybePadded && pad == 0 {
			c.expert(t, "eth.padding_bad", "Didn't find padding of zeros, and an undecoded trailer exists. There may be padding of non-zeros.", "Note", "Protocol", end+pad)
		}
	}
	if fcs {
		at := end + pad + rest
		v := be32(c.data[at : at+4])
		e.Add(c.hex("eth.fcs", at, 4, uint64(v), 32, "Frame check sequence: 0x%08x [unverified]", v))
		e.Add(c.uint("eth.fcs.status", at, 0, 2, 8, "[FCS Status: Unverified]"))
	}
}

// etherPayload dissects what an ethertype (or SLL protocol) announces and
// returns where that PDU ends (0 when unknown).
func (c *dctx) etherPayload(t uint16, off, end int) int {
	appendProtocol(c.p, "ethertype")
	switch t {
	case 0x0800:
		return c.ipv4(off, end)
	case 0x86dd:
		return c.ipv6(off, end)
	case 0x0806:
		return c.arp(off)
	case 0x8100, 0x88a8, 0x9100:
		return c.vlan(off, end, t)
	}
	// No dissector for the type: Wireshark's ethertype dissector names it
	// in the Protocol column ("0x88b5"), keeping the Info of the layer
	// below ("Ethernet II").
	if !c.inError {
		c.sum.Protocol = fmt.Sprintf("0x%04x", t)
	}
	c.dataLayer(off, end)
	return 0
}
