package decode

import (
	"fmt"
	"net"
	"net/netip"
	"strings"
)

var icmpv6Types = map[uint8]string{
	1: "Destination Unreachable", 2: "Packet Too Big", 3: "Time Exceeded", 4: "Parameter Problem",
	100: "Private experimentation", 101: "Private experimentation",
	127: "Reserved for expansion of ICMPv6 error messages",
	128: "Echo (ping) request", 129: "Echo (ping) reply", 130: "Multicast Listener Query",
	131: "Multicast Listener Report", 132: "Multicast Listener Done", 133: "Router Solicitation",
	134: "Router Advertisement", 135: "Neighbor Solicitation", 136: "Neighbor Advertisement",
	137: "Redirect", 138: "Router Renumbering", 139: "Node Information Query", 140: "Node Information Reply",
	141: "Inverse Neighbor Discovery Solicitation", 142: "Inverse Neighbor Discovery Advertisement",
	143: "Multicast Listener Report Message v2", 144: "Home Agent Address Discovery Request",
	145: "Home Agent Address Discovery Reply", 146: "Mobile Prefix Solicitation",
	147: "Mobile Prefix Advertisement", 148: "Certification Path Solicitation",
	149: "Certification Path Advertisement", 151: "Multicast Router Advertisement",
	152: "Multicast Router Solicitation", 153: "Multicast Router Termination", 155: "RPL Control",
	156: "Locator Update", 157: "Duplicate Address Request", 158: "Duplicate Address Confirmation",
	159: "MPL Control Message", 160: "Extended Echo request", 161: "Extended Echo reply",
	200: "Private experimentation", 201: "Private experimentation",
	255: "Reserved for expansion of ICMPv6 informational messages",
}

// icmpv6Codes are the code names of the error messages, as the Info
// column shows them.
var icmpv6Codes = map[uint8][]string{
	1: {"no route to destination", "Administratively prohibited", "Beyond scope of source address",
		"Address unreachable", "Port unreachable", "Source address failed ingress/egress policy",
		"Reject route to destination", "Error in Source Routing Header"},
	3: {"hop limit exceeded in transit", "fragment reassembly time exceeded"},
	4: {"erroneous header field encountered", "unrecognized Next Header type encountered",
		"unrecognized IPv6 option encountered", "IPv6 First Fragment has incomplete IPv6 Header Chain"},
}

// icmpv6CodeName is the Info column's name for an error's code; "" for a
// type without code names.
func icmpv6CodeName(t, code uint8) string {
	names, ok := icmpv6Codes[t]
	switch {
	case !ok:
		return ""
	case int(code) < len(names):
		return names[code]
	case t == 1:
		return "Unknown"
	}
	return fmt.Sprintf("Unknown (%d)", code)
}

// icmpv6 dissects an ICMPv6 message at off.
func (c *dctx) icmpv6(off, end int) {
	if c.inError {
		return
	}
	// Short of a header in the capture, or in the length IP reports.
	if n := min(len(c.data), end) - off; n < 4 {
		// Wireshark names the type as soon as it has read it.
		info := ""
		if n >= 1 {
			t := c.data[off]
			if info = icmpv6Types[t]; info == "" {
				info = fmt.Sprintf("Unknown (%d)", t)
			}
			if cn := icmpv6CodeName(t, c.data[off+min(n-1, 1)]); n >= 2 && cn != "" {
				info += " (" + cn + ")"
			}
		}
		c.setCol("ICMPv6", info)
		c.truncatedLayer("icmpv6", "Internet Control Message Protocol v6", off, "ICMPv6")
		return
	}
	reported := end - off
	end = min(end, len(c.data))
	d := c.data[off:end]
	t, code := d[0], d[1]
	ic := c.proto("icmpv6", off, len(d), "Internet Control Message Protocol v6")
	c.p.Tree = append(c.p.Tree, ic)
	appendProtocol(c.p, "icmpv6")
	tn := icmpv6Types[t]
	info := tn
	if tn == "" {
		tn, info = "Unknown", fmt.Sprintf("Unknown (%d)", t)
	}
	ic.Add(c.uint("icmpv6.type", off, 1, uint64(t), 0, "Type: %s (%d)", tn, t))
	codeLabel := fmt.Sprintf("Code: %d", code)
	if cn := icmpv6CodeName(t, code); cn != "" {
		codeLabel += " (" + cn + ")"
		info += " (" + cn + ")"
	}
	ic.Add(c.uint("icmpv6.code", off+1, 1, uint64(code), 0, codeLabel))
	// The checksum covers a pseudo-header of the IPv6 addresses.
	var sum uint32
	verifiable := c.netSrc.Is6() && c.netDst.Is6() && len(d) == reported
	if verifiable {
		s, t := c.netSrc.As16(), c.netDst.As16()
		for i := 0; i < 16; i += 2 {
			sum += uint32(s[i])<<8 | uint32(s[i+1])
			sum += uint32(t[i])<<8 | uint32(t[i+1])
		}
		sum += uint32(len(d)>>16) + uint32(len(d)&0xffff) + 58
	}
	c.checksumField(ic, "icmpv6", off+2, be16(d[2:]), inetChecksum(sum, d), verifiable)
	switch t {
	case 128, 129:
		if len(d) < 8 {
			c.setCol("ICMPv6", info)
			c.markMalformed("ICMPv6")
			return
		}
		id, seq := be16(d[4:]), be16(d[6:])
		ic.Add(c.hex("icmpv6.echo.identifier", off+4, 2, uint64(id), 16, "Identifier: 0x%04x", id))
		ic.Add(c.uint("icmpv6.echo.sequence_number", off+6, 2, uint64(seq), 0, "Sequence: %d", seq))
		c.setCol("ICMPv6", fmt.Sprintf("%s id=0x%04x, seq=%d, hop limit=%d", tn, id, seq, c.ttl)+c.a.lay.echo.note(c.n, t == 128))
		c.dataLayer(off+8, end)
		return
	case 135, 136:
		if len(d) < 24 {
			c.setCol("ICMPv6", info)
			c.markMalformed("ICMPv6")
			return
		}
		target := netip.AddrFrom16([16]byte(d[8:24]))
		if t == 135 {
			ic.Add(c.bytes("icmpv6.reserved", off+4, 4, "Reserved: %08x", d[4:8]))
			ic.Add(c.ip("icmpv6.nd.ns.target_address", off+8, 16, target, "Target Address: "+target.String()))
			info = "Neighbor Solicitation for " + target.String()
		} else {
			fl := uint64(d[4])<<24 | uint64(d[5])<<16 | uint64(d[6])<<8 | uint64(d[7])
			ff := ic.Add(c.hex("icmpv6.nd.na.flag", off+4, 4, fl, 32, "Flags: 0x%08x", fl))
			c.flagBit(ff, ndFlagR, off+4, 4, fl)
			c.flagBit(ff, ndFlagS, off+4, 4, fl)
			c.flagBit(ff, ndFlagO, off+4, 4, fl)
			ic.Add(c.ip("icmpv6.nd.na.target_address", off+8, 16, target, "Target Address: "+target.String()))
			info = "Neighbor Advertisement " + target.String()
			var fs []string
			if fl&0x80000000 != 0 {
				fs = append(fs, "rtr")
			}
			if fl&0x40000000 != 0 {
				fs = append(fs, "sol")
			}
			if fl&0x20000000 != 0 {
				fs = append(fs, "ovr")
			}
			if len(fs) == 0 {
				fs = append(fs, "none")
			}
			info += " (" + strings.Join(fs, ", ") + ")"
		}
		c.ndOptions(ic, off+24, end, &info)
		c.setCol("ICMPv6", info)
		return
	case 133:
		c.ndOptions(ic, off+8, end, &info)
	case 134:
		if len(d) >= 16 {
			c.ndOptions(ic, off+16, end, &info)
		}
	case 1, 2, 3, 4:
		if len(d) < 8 {
			c.setCol("ICMPv6", info)
			c.markMalformed("ICMPv6")
			return
		}
		switch t {
		case 2:
			mtu := uint64(be32(d[4:]))
			ic.Add(c.uint("icmpv6.mtu", off+4, 4, mtu, 0, "MTU: %d", mtu))
		case 4:
			p := uint64(be32(d[4:]))
			ic.Add(c.uint("icmpv6.pointer", off+4, 4, p, 0, "Pointer: %d", p))
		default:
			ic.Add(c.bytes("icmpv6.reserved", off+4, 4, "Reserved: %08x", d[4:8]))
		}
		c.setCol("ICMPv6", info)
		if len(d) > 8 {
			c.quoted(func() { c.ipv6(off+8, end) })
		}
		return
	}
	c.setCol("ICMPv6", info)
}

// ndOptions adds neighbor discovery options (link-layer addresses).
func (c *dctx) ndOptions(ic *Field, off, end int, info *string) {
	for off+2 <= end {
		t, l := c.data[off], int(c.data[off+1])*8
		if l == 0 || off+l > end {
			return
		}
		o := ic.Add(c.none("icmpv6.opt", off, l, "ICMPv6 Option (type %d)", t))
		o.Add(c.uint("icmpv6.opt.type", off, 1, uint64(t), 0, "Type: %d", t))
		o.Add(c.uint("icmpv6.opt.length", off+1, 1, uint64(l/8), 0, "Length: %d (%d bytes)", l/8, l))
		if (t == 1 || t == 2) && l >= 8 {
			m := net.HardwareAddr(c.data[off+2 : off+8]).String()
			name, title := "icmpv6.opt.linkaddr", "Link-layer address: "+m
			if t == 1 {
				o.Label = "ICMPv6 Option (Source link-layer address : " + m + ")"
				o.Add(c.mac(name, off+2, title))
				o.Add(c.hid().mac("icmpv6.opt.src_linkaddr", off+2, "Source Link-layer address: "+m))
				*info += " from " + m
			} else {
				o.Label = "ICMPv6 Option (Target link-layer address : " + m + ")"
				o.Add(c.mac(name, off+2, title))
				o.Add(c.hid().mac("icmpv6.opt.target_linkaddr", off+2, "Target Link-layer address: "+m))
				*info += " is at " + m
			}
		}
		off += l
	}
}

// The flag bits of a Neighbor Advertisement.
var (
	ndFlagR = newBitFlag("icmpv6.nd.na.flag.r", "Router", 0x80000000, 32)
	ndFlagS = newBitFlag("icmpv6.nd.na.flag.s", "Solicited", 0x40000000, 32)
	ndFlagO = newBitFlag("icmpv6.nd.na.flag.o", "Override", 0x20000000, 32)
)
