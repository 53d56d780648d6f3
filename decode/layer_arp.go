package decode

import (
	"fmt"
	"net"
	"net/netip"
)

func arpHwName(t uint16) string {
	switch t {
	case 1:
		return "Ethernet"
	case 6:
		return "IEEE 802"
	case 24:
		return "IEEE 1394.1995"
	case 32:
		return "InfiniBand"
	}
	return "Unknown"
}

func arpOpName(op uint16) string {
	switch op {
	case 1:
		return "request"
	case 2:
		return "reply"
	case 3:
		return "reverse request"
	case 4:
		return "reverse reply"
	case 8:
		return "inverse request"
	case 9:
		return "inverse reply"
	}
	return "Unknown"
}

// arp dissects an ARP packet at off and returns its end.
func (c *dctx) arp(off int) int {
	d := c.data[off:]
	if len(d) < 8 {
		c.truncatedLayer("arp", "Address Resolution Protocol", off, "ARP")
		c.setCol("ARP", "")
		return 0
	}
	hw, pt, hl, pl, op := be16(d), be16(d[2:]), int(d[4]), int(d[5]), be16(d[6:])
	total := 8 + 2*hl + 2*pl
	a := c.proto("arp", off, min(total, len(d)), "Address Resolution Protocol (%s)", arpOpName(op))
	c.p.Tree = append(c.p.Tree, a)
	appendProtocol(c.p, "arp")
	a.Add(c.uint("arp.hw.type", off, 2, uint64(hw), 0, "Hardware type: %s (%d)", arpHwName(hw), hw))
	a.Add(c.hex("arp.proto.type", off+2, 2, uint64(pt), 16, "Protocol type: %s (0x%04x)", etherTypeName(pt), pt))
	a.Add(c.uint("arp.hw.size", off+4, 1, uint64(hl), 0, "Hardware size: %d", hl))
	a.Add(c.uint("arp.proto.size", off+5, 1, uint64(pl), 0, "Protocol size: %d", pl))
	a.Add(c.uint("arp.opcode", off+6, 2, uint64(op), 0, "Opcode: %s (%d)", arpOpName(op), op))
	if len(d) < total {
		c.setCol("ARP", fmt.Sprintf("ARP opcode %d", op))
		c.markMalformed("ARP")
		return 0
	}
	addr := func(name, title string, o, l int, isHW bool) string {
		b := d[o : o+l]
		switch {
		case isHW && l == 6:
			s := net.HardwareAddr(b).String()
			a.Add(c.mac(name+"_mac", off+o, title+" MAC address: "+s))
			return s
		case !isHW && l == 4 && pt == 0x0800:
			ip := netip.AddrFrom4([4]byte(b))
			a.Add(c.ip(name+"_ipv4", off+o, 4, ip, title+" IP address: "+ip.String()))
			return ip.String()
		}
		kind := "proto"
		if isHW {
			kind = "hw"
		}
		a.Add(c.bytes("arp."+kind, off+o, l, title+" address: "+fmt.Sprintf("%x", b)))
		return fmt.Sprintf("%x", b)
	}
	sHW := addr("arp.src.hw", "Sender", 8, hl, true)
	sIP := addr("arp.src.proto", "Sender", 8+hl, pl, false)
	addr("arp.dst.hw", "Target", 8+hl+pl, hl, true)
	tIP := addr("arp.dst.proto", "Target", 8+2*hl+pl, pl, false)
	info := fmt.Sprintf("ARP opcode %d", op)
	switch op {
	case 1:
		info = fmt.Sprintf("Who has %s? Tell %s", tIP, sIP)
		if sIP == tIP {
			info = fmt.Sprintf("ARP Announcement for %s", sIP)
		}
	case 2:
		info = fmt.Sprintf("%s is at %s", sIP, sHW)
	}
	c.setCol("ARP", info)
	return off + total
}
