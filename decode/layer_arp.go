package decode

import (
	"bytes"
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
		// Wireshark names the protocol and clears Info first.
		c.setCol(arpColProto(op), "")
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
	tHW := addr("arp.dst.hw", "Target", 8+hl+pl, hl, true)
	tIP := addr("arp.dst.proto", "Target", 8+2*hl+pl, pl, false)
	spa, tha, tpa := d[8+hl:8+hl+pl], d[8+hl+pl:8+2*hl+pl], d[8+2*hl+pl:total]
	c.setCol(arpColProto(op), arpInfo(op, sHW, sIP, tHW, tIP, spa, tha, tpa))
	return off + total
}

// arpColProto is the Protocol column Wireshark gives an ARP opcode.
func arpColProto(op uint16) string {
	switch op {
	case 3, 4:
		return "RARP"
	case 5, 6, 7:
		return "DRARP"
	case 8, 9:
		return "Inverse ARP"
	case 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22:
		return "MARS"
	case 23:
		return "MAPOS"
	}
	return "ARP"
}

// arpInfo is Wireshark's Info column for an ARP packet: sender and target
// addresses as text (sHW, sIP, tHW, tIP) and the raw protocol and target
// hardware addresses (for the gratuitous, announcement and probe cases).
func arpInfo(op uint16, sHW, sIP, tHW, tIP string, spa, tha, tpa []byte) string {
	zeroMAC := len(tha) >= 6 && allZero(tha[:6])
	switch op {
	case 1:
		switch {
		case bytes.Equal(spa, tpa) && zeroMAC:
			return "ARP Announcement for " + tIP
		case bytes.Equal(spa, tpa):
			return "Gratuitous ARP for " + tIP + " (Request)"
		case zeroMAC && len(spa) == 4 && allZero(spa):
			return "Who has " + tIP + "? (ARP Probe)"
		}
		return "Who has " + tIP + "? Tell " + sIP
	case 2:
		if bytes.Equal(spa, tpa) {
			return "Gratuitous ARP for " + sIP + " (Reply)"
		}
		return sIP + " is at " + sHW
	case 3, 8, 5:
		return "Who is " + tHW + "? Tell " + sHW
	case 4, 6:
		return tHW + " is at " + tIP
	case 7:
		return "DRARP Error"
	case 9:
		return sHW + " is at " + sIP
	case 10:
		return "ARP NAK"
	case 24:
		return fmt.Sprintf("Experimental 1 ( opcode %d )", op)
	case 25:
		return fmt.Sprintf("Experimental 2 ( opcode %d )", op)
	case 0, 65535:
		return fmt.Sprintf("Reserved opcode %d", op)
	}
	if op >= 11 && op <= 23 {
		return arpMARSInfo(op, sHW, sIP)
	}
	return fmt.Sprintf("Unknown ARP opcode 0x%04x", op)
}

// arpMARSInfo is the Info of the MARS and MAPOS opcodes (11-23).
func arpMARSInfo(op uint16, sHW, sIP string) string {
	what := map[uint16]string{11: "MARS request from", 12: "MARS MULTI request from", 13: "MARS MSERV request from",
		14: "MARS JOIN request from", 15: "MARS LEAVE from", 16: "MARS NAK from", 17: "MARS UNSERV request from",
		18: "MARS SJOIN request from", 19: "MARS SLEAVE from", 20: "MARS grouplist request from",
		21: "MARS grouplist reply from", 22: "MARS redirect map from", 23: "MAPOS UNARP request from"}[op]
	return what + " " + sHW + " at " + sIP
}

func allZero(b []byte) bool {
	for _, v := range b {
		if v != 0 {
			return false
		}
	}
	return true
}
