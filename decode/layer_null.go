package decode

import (
	"encoding/binary"
)

func nullFamilyName(f uint32) string {
	switch f {
	case 2:
		return "IP"
	case 10, 24, 28, 30:
		return "IPv6"
	case 7:
		return "OSI"
	case 23:
		return "IPX"
	}
	return "Unknown"
}

// null dissects the 4-byte address family header of BSD loopback
// captures: host byte order for DLT_NULL (guessed as Wireshark does),
// network order for DLT_LOOP.
func (c *dctx) null(off int, loop bool) {
	// Wireshark fills the columns for the layers above to overwrite,
	// once it has read two bytes (looking for a PPP header).
	if len(c.data)-off >= 2 {
		c.sum.Src, c.sum.Dst = "N/A", "N/A"
		c.setCol("N/A", "Null/Loopback")
	}
	if len(c.data)-off < 4 {
		c.truncatedLayer("null", "Null/Loopback", off, "NULL")
		return
	}
	d := c.data[off:]
	fam := binary.BigEndian.Uint32(d)
	if !loop && fam&0xffff0000 != 0 {
		fam = binary.LittleEndian.Uint32(d)
	}
	n := c.proto("null", off, 4, "Null/Loopback")
	c.p.Tree = append(c.p.Tree, n)
	appendProtocol(c.p, "null")
	n.Add(c.uint("null.family", off, 4, uint64(fam), 0, "Family: %s (%d)", nullFamilyName(fam), fam))
	if len(c.data)-off == 4 && (nullFamilyName(fam) == "IP" || nullFamilyName(fam) == "IPv6") {
		c.markMalformed("NULL") // the network layer fails before it sets a column
		return
	}
	switch nullFamilyName(fam) {
	case "IP":
		c.ipv4(off+4, c.frameEnd())
	case "IPv6":
		c.ipv6(off+4, c.frameEnd())
	default:
		c.dataLayer(off+4, len(c.data))
	}
}

// raw dissects a packet that starts with its IP header.
func (c *dctx) raw(off int) {
	r := c.proto("raw", off, len(c.data)-off, "Raw packet data")
	c.p.Tree = append(c.p.Tree, r)
	appendProtocol(c.p, "raw")
	// Wireshark fills the columns for the layers above to overwrite.
	c.sum.Src, c.sum.Dst = "N/A", "N/A"
	c.setCol("N/A", "Raw packet data")
	// Wireshark first looks for a PPP header 6 bytes in.
	if len(c.data)-off < 8 {
		c.markMalformed("RAW")
		return
	}
	switch c.data[off] >> 4 {
	case 4:
		c.ipv4(off, c.frameEnd())
	case 6:
		c.ipv6(off, c.frameEnd())
	default:
		c.dataLayer(off, len(c.data))
	}
}
