package decode

import (
	"fmt"
	"net"
	"net/netip"
)

// sllPacketInfo is the Info column SLL gives a packet type (Wireshark's
// SLL v2 dissector looks up the type byte and the address length byte
// together, so its Info is "Unknown (1030)" for type 4 with 6 bytes of
// address).
func sllPacketInfo(t uint64) string {
	if n := sllPacketType(t); n != "Unknown" {
		return n
	}
	return fmt.Sprintf("Unknown (%d)", t)
}

// sllSource is the Source column of an SLL header: the link-layer address
// when it is an Ethernet one.
func (c *dctx) sllSource(hatype uint64, off, halen int) {
	if halen == 6 && (hatype == 1 || hatype == 772) && off+6 <= len(c.data) {
		c.sum.Src = net.HardwareAddr(c.data[off : off+6]).String()
	}
}

func sllPacketType(t uint64) string {
	switch t {
	case 0:
		return "Unicast to us"
	case 1:
		return "Broadcast"
	case 2:
		return "Multicast"
	case 3:
		return "Unicast to another host"
	case 4:
		return "Sent by us"
	}
	return "Unknown"
}

func sllHaType(t uint64) string {
	switch t {
	case 1:
		return "Ethernet"
	case 512:
		return "PPP"
	case 772:
		return "Loopback"
	case 776:
		return "IPv6-in-IPv4"
	case 778:
		return "IP GRE"
	case 65534:
		return "None"
	}
	return "Unknown"
}

// sllAddress adds the link-layer source address of an SLL header.
func (c *dctx) sllAddress(s *Field, hatype uint64, off, halen int) {
	switch {
	case halen == 6 && (hatype == 1 || hatype == 772):
		a := net.HardwareAddr(c.data[off : off+6]).String()
		s.Add(c.mac("sll.src.eth", off, "Source: "+a))
	case halen == 4 && (hatype == 778 || hatype == 776):
		ip := netip.AddrFrom4([4]byte(c.data[off : off+4]))
		s.Add(c.ip("sll.src.ipv4", off, 4, ip, "Source: "+ip.String()))
	case halen > 0:
		s.Add(c.bytes("sll.src.other", off, halen, "Source: "+fmt.Sprintf("%x", c.data[off:off+halen])))
	}
}

// sll dissects a Linux cooked-mode capture v1 header.
func (c *dctx) sll(off int) {
	if n := len(c.data) - off; n < 16 {
		// Wireshark shows the packet type and the address as far as it
		// reads them.
		// (Nothing before the packet and address types are read.)
		c.setCol("", "")
		if n >= 4 {
			c.setCol("SLL", sllPacketInfo(uint64(be16(c.data[off:]))))
		}
		if n >= 6 {
			c.sllSource(uint64(be16(c.data[off+2:])), off+6, min(int(be16(c.data[off+4:])), 8))
		}
		c.truncatedLayer("sll", "Linux cooked capture v1", off, "SLL")
		return
	}
	d := c.data[off:]
	pkt, ha, halen, proto := uint64(be16(d)), uint64(be16(d[2:])), int(be16(d[4:])), be16(d[14:])
	s := c.proto("sll", off, 16, "Linux cooked capture v1")
	c.p.Tree = append(c.p.Tree, s)
	appendProtocol(c.p, "sll")
	s.Add(c.uint("sll.pkttype", off, 2, pkt, 0, "Packet type: %s (%d)", sllPacketType(pkt), pkt))
	s.Add(c.uint("sll.hatype", off+2, 2, ha, 0, "Link-layer address type: %s (%d)", sllHaType(ha), ha))
	s.Add(c.uint("sll.halen", off+4, 2, uint64(halen), 0, "Link-layer address length: %d", halen))
	if halen > 8 {
		halen = 8
	}
	c.sllAddress(s, ha, off+6, halen)
	if halen < 8 {
		s.Add(c.bytes("sll.unused", off+6+halen, 8-halen, "Unused: %x", d[6+halen:14]))
	}
	c.setCol("SLL", sllPacketInfo(pkt))
	c.sllSource(ha, off+6, halen)
	c.sllPayload(s, "sll.etype", proto, off+14, off+16)
}

func (c *dctx) sllPayload(s *Field, name string, proto uint16, at, off int) {
	if proto <= 1500 {
		s.Add(c.hex("sll.ltype", at, 2, uint64(proto), 16, "Protocol: 0x%04x", proto))
		c.dataLayer(off, len(c.data))
		return
	}
	s.Add(c.hex(name, at, 2, uint64(proto), 16, "Protocol: %s (0x%04x)", etherTypeName(proto), proto))
	c.etherPayload(proto, off, c.frameEnd())
}

// sll2 dissects a Linux cooked-mode capture v2 header.
func (c *dctx) sll2(off int) {
	if n := len(c.data) - off; n < 20 {
		// Wireshark's SLL v2 dissector sets the columns once it has read
		// the packet type, and the source once the address.
		c.setCol("", "")
		if n >= 12 {
			d := c.data[off:]
			c.setCol("SLL", sllPacketInfo(uint64(be16(d[10:]))))
			c.sllSource(uint64(be16(d[8:])), off+12, min(int(d[11]), 8))
		}
		c.truncatedLayer("sll", "Linux cooked capture v2", off, "SLL")
		return
	}
	d := c.data[off:]
	proto := be16(d)
	ifindex := uint64(d[4])<<24 | uint64(d[5])<<16 | uint64(d[6])<<8 | uint64(d[7])
	ha, pkt, halen := uint64(be16(d[8:])), uint64(d[10]), int(d[11])
	s := c.proto("sll", off, 20, "Linux cooked capture v2")
	c.p.Tree = append(c.p.Tree, s)
	appendProtocol(c.p, "sll")
	s.Add(c.hex("sll.etype", off, 2, uint64(proto), 16, "Protocol: %s (0x%04x)", etherTypeName(proto), proto))
	s.Add(c.hex("sll.reserved", off+2, 2, uint64(be16(d[2:])), 16, "Reserved: 0x%04x", be16(d[2:])))
	s.Add(c.uint("sll.ifindex", off+4, 4, ifindex, 0, "Interface index: %d", ifindex))
	s.Add(c.uint("sll.hatype", off+8, 2, ha, 0, "Link-layer address type: %s (%d)", sllHaType(ha), ha))
	s.Add(c.uint("sll.pkttype", off+10, 1, pkt, 0, "Packet type: %s (%d)", sllPacketType(pkt), pkt))
	s.Add(c.uint("sll.halen", off+11, 1, uint64(halen), 0, "Link-layer address length: %d", halen))
	if halen > 8 {
		halen = 8
	}
	c.sllAddress(s, ha, off+12, halen)
	if halen < 8 {
		s.Add(c.bytes("sll.unused", off+12+halen, 8-halen, "Unused: %x", d[12+halen:20]))
	}
	c.setCol("SLL", sllPacketInfo(uint64(be16(d[10:]))))
	c.sllSource(ha, off+12, halen)
	if proto <= 1500 {
		c.dataLayer(off+20, len(c.data))
		return
	}
	c.etherPayload(proto, off+20, c.frameEnd())
}
