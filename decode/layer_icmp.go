package decode

import (
	"fmt"
)

var icmpTypes = map[uint8]string{
	0: "Echo (ping) reply", 3: "Destination unreachable", 4: "Source quench (flow control)", 5: "Redirect",
	8: "Echo (ping) request", 9: "Router advertisement", 10: "Router solicitation", 11: "Time-to-live exceeded",
	12: "Parameter problem", 13: "Timestamp request", 14: "Timestamp reply", 15: "Information request",
	16: "Information reply", 17: "Address mask request", 18: "Address mask reply",
}

var icmpUnreach = []string{"Network unreachable", "Host unreachable", "Protocol unreachable", "Port unreachable",
	"Fragmentation needed", "Source route failed", "Destination network unknown", "Destination host unknown",
	"Source host isolated", "Network administratively prohibited", "Host administratively prohibited",
	"Network unreachable for TOS", "Host unreachable for TOS", "Communication administratively filtered",
	"Host precedence violation", "Precedence cutoff in effect"}

var icmpRedirect = []string{"Redirect for network", "Redirect for host", "Redirect for TOS and network", "Redirect for TOS and host"}

var icmpTimeEx = []string{"Time to live exceeded in transit", "Fragment reassembly time exceeded"}

func icmpCodeName(t, code uint8) string {
	var names []string
	switch t {
	case 3:
		names = icmpUnreach
	case 5:
		names = icmpRedirect
	case 11:
		names = icmpTimeEx
	}
	if int(code) < len(names) {
		return names[code]
	}
	return ""
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
	info := tn
	if cn != "" {
		info += " (" + cn + ")"
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
		if t == 0 || t == 8 {
			info = fmt.Sprintf("%-21sid=0x%04x, seq=%d/%d, ttl=%d", tn, id, seq, seqLE, c.ttl)
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
