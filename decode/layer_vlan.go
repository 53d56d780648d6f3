package decode

import "fmt"

var vlanPriorities = [8]string{"Best Effort (default)", "Background", "Excellent Effort", "Critical Applications",
	"Video, < 100ms latency and jitter", "Voice, < 10ms latency and jitter", "Internetwork Control", "Network Control"}

// vlan dissects an 802.1Q tag at off (the bytes after the TPID).
func (c *dctx) vlan(off, end int, tpid uint16) int {
	c.setCol("VLAN", "")
	if len(c.data)-off >= 2 {
		tci := be16(c.data[off:])
		c.setCol("VLAN", fmt.Sprintf("PRI: %d  DEI: %d  ID: %d", tci>>13, tci>>12&1, tci&0xfff))
	}
	if len(c.data)-off < 4 {
		c.truncatedLayer("vlan", "802.1Q Virtual LAN", off, "VLAN")
		return 0
	}
	tci := uint64(be16(c.data[off:]))
	pri, dei, id := tci>>13, tci>>12&1, tci&0xfff
	v := c.proto("vlan", off, 4, "802.1Q Virtual LAN, PRI: %d, DEI: %d, ID: %d", pri, dei, id)
	if tpid == 0x88a8 {
		v.Label = fmt.Sprintf("IEEE 802.1ad, ID: %d", id)
	}
	c.p.Tree = append(c.p.Tree, v)
	appendProtocol(c.p, "vlan")
	v.Add(c.uint("vlan.priority", off, 2, pri, 0, "%s = Priority: %s (%d)", bits(tci, 0xe000, 16), vlanPriorities[pri], pri))
	deiText := "Ineligible"
	if dei == 1 {
		deiText = "Eligible"
	}
	v.Add(c.uint("vlan.dei", off, 2, dei, 0, "%s = DEI: %s", bits(tci, 0x1000, 16), deiText))
	v.Add(c.uint("vlan.id", off, 2, id, 0, "%s = ID: %d", bits(tci, 0x0fff, 16), id))
	t := be16(c.data[off+2:])
	if t <= 1500 {
		v.Add(c.uint("vlan.len", off+2, 2, uint64(t), 0, "Length: %d", t))
		c.dataLayer(off+4, off+4+int(t))
		return off + 4 + int(t)
	}
	v.Add(c.hex("vlan.etype", off+2, 2, uint64(t), 16, etherTypeLabel(t)))
	return c.etherPayload(t, off+4, end)
}
