package decode

import (
	"fmt"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// dissectLayers builds the link, network and transport layers of packet n
// into p.Tree (frame, eth/sll/null/raw, vlan, arp, ip/ipv6, icmp/icmpv6,
// udp, tcp) and fills p.Summary. It returns the tcp node when the packet
// carries a TCP segment, so the application stage can add what it finds
// in the payload (tcpPayload gives the bytes).
func (a *Analyzer) dissectLayers(p *Packet, n int, ci gopacket.CaptureInfo, lt layers.LinkType, data []byte) (tcpNode *Field) {
	p.tree.lite = p.lite
	c := &dctx{place: place{t: &p.tree, data: data}, a: a, p: p, n: n, ci: ci, lite: p.lite}
	c.frame(lt)
	switch lt {
	case layers.LinkTypeEthernet:
		c.ethernet(0)
	case layers.LinkTypeLinuxSLL:
		c.sll(0)
	case layers.LinkTypeLinuxSLL2:
		c.sll2(0)
	case layers.LinkTypeNull, layers.LinkTypeLoop:
		c.null(0, lt == layers.LinkTypeLoop)
	case layers.LinkTypeRaw, 12, layers.LinkTypeIPv4, layers.LinkTypeIPv6:
		c.raw(0)
	default:
		c.dataLayer(0, len(data))
	}
	c.finishSummary()
	return c.tcpNode
}

// appendProtocol adds name to the frame's frame.protocols ("eth:ethertype:
// ip:tcp" + ":http"), as each dissector on the way up does in Wireshark.
// The application stage calls it for what it dissects on top of TCP.
func appendProtocol(p *Packet, name string) {
	if len(p.Tree) == 0 || p.lite {
		return
	}
	for _, f := range p.Tree[0].Children {
		if f.Name == "frame.protocols" {
			if f.S == "" {
				f.S = name
			} else {
				f.S = p.tree.concat(f.S, ":", name)
			}
			if !p.tree.noLabels {
				f.Label = p.tree.concat("[Protocols in frame: ", f.S, "]")
			}
			return
		}
	}
}

// tcpPayload returns the TCP payload of a tcp node built by dissectLayers,
// with the data source it lies in.
func tcpPayload(p *Packet, tcpNode *Field) (payload []byte, source, start int) {
	for _, f := range tcpNode.Children {
		if f.Name == "tcp.payload" {
			d := p.Sources[f.Source].Data
			return d[f.Start : f.Start+f.Len], f.Source, f.Start
		}
	}
	return nil, 0, 0
}

// skim reports whether layer proto may skip its tree, as for a row: in a
// row (Analyzer.Row), or when DissectFor wants none of its fields.
func (c *dctx) skim(proto string) bool {
	return c.lite || c.p.tree.want != nil && c.p.tree.want.skims(proto)
}

// skimmed adds a skimmed layer's protocol node, which a filter may name
// ("ip", "eth"). A row makes none: nothing reads the nodes below TCP.
func (c *dctx) skimmed(proto string, off, n int) {
	if !c.lite {
		c.p.Tree = append(c.p.Tree, c.proto(proto, off, n, ""))
	}
}

// wants reports whether a node named name is made (DissectFor makes
// only what its Want keeps): a dissector asks before computing a value
// that costs more than reading it.
func (c *dctx) wants(name string) bool { return c.p.tree.wants(name) }

// under reports whether a node under prefix (a group of fields: tcp
// options, tcp.analysis) may be wanted: a dissector skips the group when
// none is.
func (c *dctx) under(prefix string) bool {
	w := c.p.tree.want
	return w == nil || w.wantsUnder(prefix)
}

// cols reports whether the packet-list columns are wanted: not by a
// DissectFor whose fields are not columns.
func (c *dctx) cols() bool { return c.p.tree.cols() }

// dctx is the state of one full dissection. Its place is the current
// data source (src, its index in p.Sources; data, its bytes), where the
// nodes it makes point.
type dctx struct {
	place
	a  *Analyzer
	p  *Packet
	n  int
	ci gopacket.CaptureInfo

	tcpNode *Field
	// lite: only the packet-list row is wanted (Analyzer.Row): the common
	// layers skip their trees, keeping what the row and the layers above
	// read.
	lite bool
	// For the summary: the innermost addresses and the protocol column.
	netSrc, netDst netip.Addr
	sum            Summary
	info           string
	malformed      bool
	snapCut        bool   // malformed: the snap length cut the bytes read (snapNote)
	malNote        string // malformed: Info's note when not malformedNote
	inError        bool   // dissecting the packet quoted by an ICMP error
	ttl            uint8  // of the outer IP header, for the ICMP Info column
}

// hid makes the next node hidden (the place's methods make one node):
// under DissectShown it then gets no label.
func (c *dctx) hid() place {
	c.p.tree.hideNext = true
	return c.place
}

func setNotSet(v bool) string {
	if v {
		return "Set"
	}
	return "Not set"
}

// flagBit adds a one-bit boolean of a multi-bit flags word.
func (c *dctx) flagBit(parent *Field, f *bitFlag, start, length int, word uint64) *Field {
	on := word&f.mask != 0
	label := ""
	if t := &c.p.tree; !t.lite && !t.noLabels {
		label = f.labels[0]
		if on {
			label = f.labels[1]
		}
	}
	return parent.Add(c.bool(f.name, start, length, on, label))
}

// bitFlag is a one-bit flag field, with both of its labels made once
// ("..1. = Syn: Set"): flag lines were the commonest labels of -V's
// trees, and their text depends on the bit alone.
type bitFlag struct {
	name   string
	mask   uint64
	labels [2]string // the bit clear, set
}

func newBitFlag(name, text string, mask uint64, nbits int) *bitFlag {
	f := &bitFlag{name: name, mask: mask}
	f.labels[0] = formatLabel("%s = %s: %s", []any{bits(0, mask, nbits), text, setNotSet(false)})
	f.labels[1] = formatLabel("%s = %s: %s", []any{bits(mask, mask, nbits), text, setNotSet(true)})
	return f
}

// short reports whether the current source has fewer than n bytes from off;
// if so the packet is marked malformed (or cut short by the snap length),
// as Wireshark does when a dissector runs off the end of its data.
func (c *dctx) short(off, n int, proto string) bool {
	if off >= 0 && off+n <= len(c.data) {
		return false
	}
	c.markMalformed(proto)
	return true
}

// malformedNote ends the Info of a packet a dissector ran off the end of
// (Wireshark's ReportedBoundsError): appended as it is, with no blank
// ("Len=4[Malformed Packet]", or alone when the Info was empty).
// snapNote is the same for a packet the capture's snap length cut
// (BoundsError: the bytes were sent, not captured).
const (
	malformedNote = "[Malformed Packet]"
	snapNote      = "[Packet size limited during capture]"
	// containedNote is for a field longer than the data it lies in
	// (Wireshark's ContainedBoundsError).
	containedNote = "[Malformed Packet: length of contained item exceeds length of containing item]"
)

func (c *dctx) markMalformed(proto string) {
	if c.malformed {
		return
	}
	c.malformed = true
	if c.src == 0 && c.ci.Length > c.ci.CaptureLength && c.ci.CaptureLength == len(c.p.Sources[0].Data) {
		c.snapCut = true
		f := c.proto("_ws.short", 0, 0, "[Packet size limited during capture: "+proto+" truncated]")
		c.p.Tree = append(c.p.Tree, f)
		appendProtocol(c.p, "_ws.short")
		return
	}
	f := c.proto("_ws.malformed", 0, 0, "[Malformed Packet: "+proto+"]")
	f.Add(c.node(Field{Name: "_ws.malformed.expert", Label: "[Expert Info (Error/Malformed): Malformed Packet (Exception occurred)]"}))
	c.p.Tree = append(c.p.Tree, f)
	appendProtocol(c.p, "_ws.malformed")
}

// dataLayer adds what no dissector claimed as Wireshark's "data".
func (c *dctx) dataLayer(off, end int) {
	if end > len(c.data) {
		end = len(c.data)
	}
	if off >= end {
		return
	}
	n := end - off
	d := c.proto("data", off, n, "Data (%d byte%s)", n, plural(n))
	d.Add(c.bytes("data.data", off, n, "Data: "+truncHex(c.data[off:end])))
	d.Add(c.uint("data.len", off, 0, uint64(n), 0, "[Length: %d]", n))
	c.p.Tree = append(c.p.Tree, d)
	appendProtocol(c.p, "data")
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// truncHex prints bytes as Wireshark's tree does, cut with "…" past 36.
func truncHex(b []byte) string {
	const max = 36
	if len(b) > max {
		return fmt.Sprintf("%x…", b[:max])
	}
	return fmt.Sprintf("%x", b)
}

// truncHexOf is truncHex as a label argument: the hex is made only when
// the label is.
type truncHexOf []byte

func (b truncHexOf) String() string { return truncHex(b) }

func be16(b []byte) uint16 { return uint16(b[0])<<8 | uint16(b[1]) }

// frameEnd is where the current data source ends as sent: for the frame,
// its length on the wire (the snap length may have cut the bytes
// captured short of it); a reassembled source ends with its bytes. The
// link layers hand it to the network layer, which, as Wireshark does,
// takes the shorter of its own length and this one.
func (c *dctx) frameEnd() int {
	if c.src == 0 && c.ci.Length > len(c.data) {
		return c.ci.Length
	}
	return len(c.data)
}

// setNet records the network addresses for the packet list.
func (c *dctx) setNet(src, dst netip.Addr) {
	if c.inError {
		return
	}
	c.netSrc, c.netDst = src, dst
	if c.cols() {
		c.sum.Src, c.sum.Dst = addrString(src), addrString(dst)
	}
}

// setCol sets the Protocol and Info columns (the innermost dissector wins).
func (c *dctx) setCol(proto, info string) {
	if c.inError {
		return
	}
	c.sum.Protocol, c.info = proto, info
}

func (c *dctx) finishSummary() {
	s := c.sum
	s.Number = c.n
	s.Time = c.ci.Timestamp.Sub(c.a.first)
	s.TimeRes = c.a.lay.timeResOf(c.ci.InterfaceIndex)
	s.Length = c.ci.Length
	if s.Length == 0 {
		s.Length = len(c.p.Sources[0].Data)
	}
	s.Info = c.info
	switch {
	case c.snapCut:
		s.Info += snapNote
	case c.malformed && c.malNote != "":
		s.Info += c.malNote
	case c.malformed:
		s.Info += malformedNote
	}
	c.p.Summary = s
}

// addrTexts and hwTexts cache the text of the addresses seen most: a
// capture of one host's loopback has a handful, and every row and tree
// would format (and allocate) them again. Bounded: a capture of many
// hosts formats the rest as it goes.
var (
	addrTexts    sync.Map // netip.Addr → string
	hwTexts      sync.Map // [6]byte → string
	addrNamesLen atomic.Int32
)

const addrNamesMax = 4096

func addrString(a netip.Addr) string {
	if s, ok := addrTexts.Load(a); ok {
		return s.(string)
	}
	s := a.String()
	if addrNamesLen.Load() < addrNamesMax {
		addrNamesLen.Add(1)
		addrTexts.Store(a, s)
	}
	return s
}

func macString(b []byte) string {
	k := [6]byte(b)
	if s, ok := hwTexts.Load(k); ok {
		return s.(string)
	}
	s := net.HardwareAddr(b).String()
	if addrNamesLen.Load() < addrNamesMax {
		addrNamesLen.Add(1)
		hwTexts.Store(k, s)
	}
	return s
}
