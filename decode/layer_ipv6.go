package decode

import (
	"encoding/binary"
	"fmt"
	"net/netip"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// ipv6 dissects an IPv6 header and its extension headers at off.
func (c *dctx) ipv6(off, end int) int {
	d := c.data[off:]
	if len(d) < 40 {
		if c.inError {
			return 0
		}
		// Wireshark reads the source address before it finds the header
		// short; a header shorter than the packet as sent is named.
		if len(d) >= 24 {
			c.sum.Src = netip.AddrFrom16([16]byte(d[8:24])).String()
		}
		info := ""
		if n := end - off; n > 0 && n < 40 {
			info = fmt.Sprintf("Invalid IPv6 header (%d bytes, need exactly 40)", n)
		}
		c.setCol("IPv6", info)
		c.truncatedLayer("ipv6", "Internet Protocol Version 6", off, "IPv6")
		return 0
	}
	src, dst := netip.AddrFrom16([16]byte(d[8:24])), netip.AddrFrom16([16]byte(d[24:40]))
	if plen := int(be16(d[4:])); c.skim("ipv6") && !c.inError && plen > 0 && (d[6] == 6 || d[6] == 17) {
		// No extension headers, for a row: no tree.
		c.skimmed("ipv6", off, 40)
		c.setNet(src, dst)
		c.setCol("IPv6", "")
		c.ttl = d[7]
		pend := min(off+40+plen, end)
		c.ipPayload(d[6], off+40, pend, "IPv6")
		return pend
	}
	ip := c.proto("ipv6", off, 40, "Internet Protocol Version 6, Src: %s, Dst: %s", src, dst)
	c.p.Tree = append(c.p.Tree, ip)
	appendProtocol(c.p, "ipv6")
	c.setNet(src, dst)
	c.setCol("IPv6", "")
	w := uint64(binary.BigEndian.Uint32(d))
	ver := w >> 28
	ip.Add(c.uint("ipv6.version", off, 1, ver, 0, "%s = Version: %d", bits(uint64(d[0]), 0xf0, 8), ver))
	ip.Add(c.hid().uint("ip.version", off, 1, ver, 0, "%s = Version: %d [This field makes the filter match on \"ip.version == %d\" possible]", bits(uint64(d[0]), 0xf0, 8), ver, ver))
	tc := uint8(w >> 20)
	dscp, ecn := tc>>2, tc&3
	ds1, ds2 := dscpName(dscp)
	tcf := ip.Add(c.hex("ipv6.tclass", off, 4, uint64(tc), 32, "%s = Traffic Class: 0x%02x (DSCP: %s, ECN: %s)", bits(w, 0x0ff00000, 32), tc, ds1, ecnNames[ecn][0]))
	tcf.Add(c.uint("ipv6.tclass.dscp", off, 4, uint64(dscp), 0, "%s = Differentiated Services Codepoint: %s (%d)", bits(w, 0x0fc00000, 32), ds2, dscp))
	tcf.Add(c.uint("ipv6.tclass.ecn", off, 4, uint64(ecn), 0, "%s = Explicit Congestion Notification: %s (%d)", bits(w, 0x00300000, 32), ecnNames[ecn][1], ecn))
	flow := w & 0xfffff
	ip.Add(c.hex("ipv6.flow", off+1, 3, flow, 24, "%s = Flow Label: 0x%05x", bits(w&0xffffff, 0x0fffff, 24), flow))
	plen := int(be16(d[4:]))
	ip.Add(c.uint("ipv6.plen", off+4, 2, uint64(plen), 0, "Payload Length: %d", plen))
	nxt := d[6]
	ip.Add(c.uint("ipv6.nxt", off+6, 1, uint64(nxt), 0, "Next Header: %s (%d)", ipProtoName(nxt), nxt))
	if !c.inError {
		c.ttl = d[7]
	}
	ip.Add(c.uint("ipv6.hlim", off+7, 1, uint64(d[7]), 0, "Hop Limit: %d", d[7]))
	c.addrFields(ip, "ipv6", src, dst, off+8, off+24, 16)
	// The packet ends at its payload length or where the frame does.
	pend := min(off+40+plen, end)
	switch {
	case c.inError:
		pend = len(c.data)
	case plen == 0:
		pend = end
	}
	at := off + 40
	for {
		switch nxt {
		case 0, 43, 60:
			var ok bool
			nxt, at, ok = c.ipv6Ext(ip, nxt, at)
			if !ok {
				return pend
			}
			continue
		case 44:
			var frag bool
			var ok bool
			nxt, at, frag, ok = c.ipv6Frag(ip, at)
			if !ok {
				return pend
			}
			if frag {
				c.dataLayer(at, pend)
				return pend
			}
			continue
		case 59:
			c.setCol("IPv6", "IPv6 no next header")
			return pend
		}
		break
	}
	if at > pend {
		// The extension headers run past the payload length: Wireshark
		// throws on reading beyond the reported length.
		if !c.inError {
			c.markMalformed("IPv6")
		}
		return pend
	}
	c.ipPayload(nxt, at, pend, "IPv6")
	return pend
}

// ipv6Ext dissects a hop-by-hop, routing or destination options header.
func (c *dctx) ipv6Ext(ip *Field, kind uint8, off int) (nxt uint8, next int, ok bool) {
	var name, label string
	switch kind {
	case 0:
		name, label = "ipv6.hopopts", "IPv6 Hop-by-Hop Option"
		c.setCol("IPv6", "IPv6 hop-by-hop options") // the layer above overwrites it
	case 43:
		name, label = "ipv6.routing", "Routing Header for IPv6"
	default:
		name, label = "ipv6.dstopts", "Destination Options for IPv6"
		c.setCol("IPv6", "IPv6 destination options")
	}
	if c.short(off, 2, "IPv6") {
		return 0, 0, false
	}
	d := c.data[off:]
	n := (int(d[1]) + 1) * 8
	e := ip.Add(c.proto(name, off, min(n, len(d)), label))
	appendProtocol(c.p, name)
	nxt = d[0]
	e.Add(c.uint(name+".nxt", off, 1, uint64(nxt), 0, "Next Header: %s (%d)", ipProtoName(nxt), nxt))
	e.Add(c.uint(name+".len", off+1, 1, uint64(d[1]), 0, "Length: %d", d[1]))
	e.Add(c.uint(name+".len_oct", off+1, 1, uint64(n), 0, "[Length: %d bytes]", n))
	if c.short(off, n, "IPv6") {
		return 0, 0, false
	}
	if kind == 43 {
		rt, left := d[2], d[3]
		e.Label = fmt.Sprintf("Routing Header for IPv6 (Type: %d)", rt)
		e.Add(c.uint("ipv6.routing.type", off+2, 1, uint64(rt), 0, "Type: %d", rt))
		e.Add(c.uint("ipv6.routing.segleft", off+3, 1, uint64(left), 0, "Segments Left: %d", left))
	} else {
		c.ipv6Options(e, off+2, off+n)
	}
	return nxt, off + n, true
}

func (c *dctx) ipv6Options(e *Field, off, end int) {
	for i := off; i < end; {
		t := c.data[i]
		if t == 0 {
			e.Add(c.none("ipv6.opt.pad1", i, 1, "Pad1"))
			i++
			continue
		}
		if i+2 > end || i+2+int(c.data[i+1]) > end {
			return
		}
		l := 2 + int(c.data[i+1])
		var label string
		switch t {
		case 1:
			label = fmt.Sprintf("PadN: %d byte%s", l-2, plural(l-2))
		case 5:
			label = "Router Alert"
		case 0xc2:
			label = "Jumbo Payload"
		default:
			label = fmt.Sprintf("Unknown IPv6 Option (0x%02x)", t)
		}
		o := e.Add(c.none("ipv6.opt", i, l, label))
		o.Add(c.hex("ipv6.opt.type", i, 1, uint64(t), 8, "Type: 0x%02x", t))
		o.Add(c.uint("ipv6.opt.length", i+1, 1, uint64(l-2), 0, "Length: %d", l-2))
		i += l
	}
}

// ipv6Frag dissects a fragment header; frag reports a real fragment (not
// an atomic one), whose payload is shown as data.
func (c *dctx) ipv6Frag(ip *Field, off int) (nxt uint8, next int, frag, ok bool) {
	if c.short(off, 8, "IPv6") {
		return 0, 0, false, false
	}
	d := c.data[off:]
	nxt = d[0]
	e := ip.Add(c.proto("ipv6.fraghdr", off, 8, "Fragment Header for IPv6"))
	appendProtocol(c.p, "ipv6.fraghdr")
	e.Add(c.uint("ipv6.fraghdr.nxt", off, 1, uint64(nxt), 0, "Next header: %s (%d)", ipProtoName(nxt), nxt))
	e.Add(c.hex("ipv6.fraghdr.reserved_octet", off+1, 1, uint64(d[1]), 8, "Reserved octet: 0x%02x", d[1]))
	w := uint64(be16(d[2:]))
	fo := w >> 3
	e.Add(c.uint("ipv6.fraghdr.offset", off+2, 2, fo, 0, "%s = Offset: %d", bits(w, 0xfff8, 16), fo))
	e.Add(c.uint("ipv6.fraghdr.reserved_bits", off+2, 2, w>>1&3, 0, "%s = Reserved bits: %d", bits(w, 0x0006, 16), w>>1&3))
	more := w&1 != 0
	moreText := "No"
	if more {
		moreText = "Yes"
	}
	e.Add(c.bool("ipv6.fraghdr.more", off+2, 2, more, "%s = More Fragments: %s", bits(w, 1, 16), moreText))
	ident := binary.BigEndian.Uint32(d[4:])
	e.Add(c.hex("ipv6.fraghdr.ident", off+4, 4, uint64(ident), 32, "Identification: 0x%08x", ident))
	frag = fo != 0 || more
	y := "n"
	if more {
		y = "y"
	}
	// (An atomic fragment's too: the layer above overwrites it.)
	c.setCol("IPv6", fmt.Sprintf("IPv6 fragment (off=%d more=%s ident=0x%08x nxt=%d)", fo*8, y, ident, nxt))
	return nxt, off + 8, frag, true
}

// addIPv6Ext is the fast pass's walk over IPv6 extension headers gopacket's
// parser stops at (routing, destination options, atomic fragments), so
// the transport behind them is seen as Wireshark sees it.
func (s *layerState) addIPv6Ext(f *Frame) {
	ip := &f.IP6
	nxt := ip.NextHeader
	if ip.HopByHop != nil {
		nxt = ip.HopByHop.NextHeader
	}
	data := ip.Payload
	for i := 0; i < 8; i++ {
		switch nxt {
		case 0, 43, 60:
			if len(data) < 2 || len(data) < (int(data[1])+1)*8 {
				return
			}
			n := (int(data[1]) + 1) * 8
			nxt, data = layers.IPProtocol(data[0]), data[n:]
			continue
		case 44:
			if len(data) < 8 || be16(data[2:])&0xfff9 != 0 {
				return
			}
			nxt, data = layers.IPProtocol(data[0]), data[8:]
			continue
		}
		break
	}
	var err error
	var lt gopacket.LayerType
	switch nxt {
	case layers.IPProtocolTCP:
		err, lt = f.TCP.DecodeFromBytes(data, gopacket.NilDecodeFeedback), layers.LayerTypeTCP
	case layers.IPProtocolUDP:
		err, lt = f.UDP.DecodeFromBytes(data, gopacket.NilDecodeFeedback), layers.LayerTypeUDP
	case layers.IPProtocolICMPv6:
		err, lt = f.ICMP6.DecodeFromBytes(data, gopacket.NilDecodeFeedback), layers.LayerTypeICMPv6
	default:
		return
	}
	if err == nil {
		f.Layers = append(f.Layers, lt)
	}
}
