package decode

import "fmt"

// udp dissects a UDP header at off; end is where the IP layer says the
// datagram ends (possibly past the captured bytes).
func (c *dctx) udp(off, end int) {
	if len(c.data)-off < 8 {
		if c.inError {
			if len(c.data)-off >= 4 {
				sp, dp := be16(c.data[off:]), be16(c.data[off+2:])
				u := c.proto("udp", off, len(c.data)-off, "User Datagram Protocol, Src Port: %d, Dst Port: %d", sp, dp)
				c.p.Tree = append(c.p.Tree, u)
				appendProtocol(c.p, "udp")
				c.ports(u, "udp", off, sp, dp)
			}
			return
		}
		// Wireshark reads the ports and the length (and shows them)
		// before it finds the header short.
		if n := len(c.data) - off; n >= 4 {
			sp, dp := be16(c.data[off:]), be16(c.data[off+2:])
			info := fmt.Sprintf("%d → %d", sp, dp)
			if n >= 6 {
				info = udpInfo(sp, dp, int(be16(c.data[off+4:])), end-off, false)
			}
			c.setCol("UDP", info)
		}
		c.truncatedLayer("udp", "User Datagram Protocol", off, "UDP")
		return
	}
	d := c.data[off:]
	sp, dp, ulen, ck := be16(d), be16(d[2:]), int(be16(d[4:])), be16(d[6:])
	u := c.proto("udp", off, 8, "User Datagram Protocol, Src Port: %d, Dst Port: %d", sp, dp)
	c.p.Tree = append(c.p.Tree, u)
	appendProtocol(c.p, "udp")
	c.ports(u, "udp", off, sp, dp)
	u.Add(c.uint("udp.length", off+4, 2, uint64(ulen), 0, "Length: %d", ulen))
	u.Add(c.hex("udp.checksum", off+6, 2, uint64(ck), 16, "Checksum: 0x%04x [unverified]", ck))
	u.Add(c.uint("udp.checksum.status", off+6, 0, 2, 0, "[Checksum Status: Unverified]"))
	if c.inError {
		return
	}
	if idx, ok := c.a.tcp.conv(c.n); ok && idx < len(c.a.tcp.udp) {
		u.Add(c.uint("udp.stream", off, 0, uint64(idx), 0, "[Stream index: %d]", idx))
		if us := c.a.tcp.udp[idx]; us != nil { // nil: evicted (evict.go)
			ts := u.Add(c.text(off, 0, "[Timestamps]"))
			rel := c.ci.Timestamp.Sub(us.Start)
			ts.Add(c.node(Field{Name: "udp.time_relative", Label: "[Time since first frame: " + formatSeconds(rel) + " seconds]", Kind: KindDuration, D: rel, Start: off}))
		}
	}
	pend := end
	if ulen >= 8 && off+ulen <= end {
		pend = off + ulen
	} else if ulen < 8 {
		u.Add(c.text(off+4, 2, "[Bad length value %d < UDP header length 8]", ulen))
	}
	// A zero checksum is "none" in IPv4, not allowed in IPv6.
	c.setCol("UDP", udpInfo(sp, dp, ulen, end-off, ck == 0 && c.netSrc.Is6()))
	if ulen < 8 {
		return
	}
	if ulen > end-off && end-off == 8 {
		// Wireshark cannot make the payload's buffer past the datagram.
		c.markMalformed("UDP")
		return
	}
	// The payload up to the end of the capture: a datagram the snap
	// length cut is shown as far as it goes (Wireshark's data
	// dissector reads only the bytes captured).
	if plen := pend - off - 8; plen > 0 {
		capEnd := min(pend, len(c.data))
		u.Add(c.node(Field{Name: "udp.payload", Label: fmt.Sprintf("UDP payload (%d byte%s)", plen, plural(plen)), Kind: KindBytes, B: c.data[off+8 : capEnd], Start: off + 8, Len: capEnd - off - 8}))
		c.dataLayer(off+8, capEnd)
		// tshark's heuristic dissectors read the first byte, the first
		// 4 and, of more than 10, the first 10: one of them runs past
		// a payload the snap length cut shorter.
		if n := capEnd - off - 8; pend > len(c.data) && (n < 1 || n < 4 && plen >= 4 || n < 10 && plen > 10) {
			c.markMalformed("UDP")
		}
	}
}

// udpInfo is UDP's Info column: the ports, Wireshark's notes on a length
// field below the header's or past the IP payload (ipLen bytes), the
// payload length the header gives, and, in IPv6, the note on a zero
// checksum.
func udpInfo(sp, dp uint16, ulen, ipLen int, zeroCk6 bool) string {
	switch {
	case ulen < 8:
		return fmt.Sprintf("%d → %d [BAD UDP LENGTH %d < 8]", sp, dp, ulen)
	case ulen > ipLen:
		return fmt.Sprintf("%d → %d [BAD UDP LENGTH %d > IP PAYLOAD LENGTH] Len=%d", sp, dp, ulen, ulen-8)
	case zeroCk6:
		return fmt.Sprintf("%d → %d Len=%d [ILLEGAL CHECKSUM (0)]", sp, dp, ulen-8)
	}
	return fmt.Sprintf("%d → %d Len=%d", sp, dp, ulen-8)
}

// ports adds the source and destination ports with the hidden pfx.port.
func (c *dctx) ports(parent *Field, pfx string, off int, sp, dp uint16) {
	src, dst, either := "udp.srcport", "udp.dstport", "udp.port"
	if pfx == "tcp" {
		src, dst, either = "tcp.srcport", "tcp.dstport", "tcp.port"
	}
	parent.Add(c.uint(src, off, 2, uint64(sp), 0, "Source Port: %d", sp))
	parent.Add(c.uint(dst, off+2, 2, uint64(dp), 0, "Destination Port: %d", dp))
	parent.Add(c.hid().uint(either, off, 2, uint64(sp), 0, "Source or Destination Port: %d", sp))
	parent.Add(c.hid().uint(either, off+2, 2, uint64(dp), 0, "Source or Destination Port: %d", dp))
}
