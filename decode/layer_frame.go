package decode

import (
	"fmt"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// layerState is what the fast pass keeps for the layers below TCP: each
// frame's timestamp (frame.time_delta needs the previous one, in any order
// of Dissect calls) and IPv4 fragments with their reassemblies (TCP and
// UDP streams are in tcpanalysis.go).
type layerState struct {
	times  frameTable[int64] // UnixNano of each frame
	defrag ipv4Defrag
	echo   icmpEcho // ICMP echo requests and replies (layer_icmp.go)
	// timeRes is the unit the Time column is printed in, per interface
	// (SetTsResol); 0 for nanoseconds.
	timeRes []time.Duration
	// ifaces are the file's interfaces (SetInterface): a pcapng file's;
	// none for a pcap file, whose frames name no interface.
	ifaces []Interface
}

// Interface is what a pcapng file records of one of its interfaces, as
// the frame's tree shows it.
type Interface struct {
	Name, Description string // if_name, if_description ("" when not given)
	Section           int    // the index of the section that described it
}

// SetInterface gives interface iface (CaptureInfo.InterfaceIndex) of a
// pcapng file: its frames' trees then name it, as tshark's do (a pcap
// file's frames name none). Call it before Dissect and Row, not while
// they run.
func (a *Analyzer) SetInterface(iface int, ifc Interface) {
	if iface < 0 || iface > 1<<20 {
		return
	}
	s := &a.lay
	for len(s.ifaces) <= iface {
		s.ifaces = append(s.ifaces, Interface{Section: -1})
	}
	s.ifaces[iface] = ifc
}

// SetTsResol gives the timestamp resolution of interface iface
// (CaptureInfo.InterfaceIndex) of the capture, as pcapng's if_tsresol
// byte (capture.InterfaceInfo.TsResol; 6 or 9 for a pcap file): the
// packet list prints the times of its packets to that precision, as
// tshark does (Summary.TimeRes). Without it, times have nine decimals.
// Call it before Dissect and Row, not while they run.
func (a *Analyzer) SetTsResol(iface int, tsresol uint8) {
	if iface < 0 || iface > 1<<20 {
		return
	}
	s := &a.lay
	for len(s.timeRes) <= iface {
		s.timeRes = append(s.timeRes, 0)
	}
	s.timeRes[iface] = TsResolTimeRes(tsresol)
}

// timeResOf is the Time column's unit for a packet of interface iface.
func (s *layerState) timeResOf(iface int) time.Duration {
	if iface >= 0 && iface < len(s.timeRes) {
		return s.timeRes[iface]
	}
	return 0
}

func (s *layerState) addTime(n int, ci gopacket.CaptureInfo) {
	s.times.set(n, ci.Timestamp.UnixNano())
}

// wtapEncap is Wireshark's encapsulation number and name for a link type
// (frame.encap_type): Wireshark numbers encapsulations its own way.
func wtapEncap(lt layers.LinkType) (int, string) {
	switch lt {
	case layers.LinkTypeEthernet:
		return 1, "Ethernet"
	case layers.LinkTypeRaw, 12, layers.LinkTypeIPv4, layers.LinkTypeIPv6:
		return 7, "Raw IP"
	case layers.LinkTypeNull:
		return 15, "NULL/Loopback"
	case layers.LinkTypeLoop:
		return 108, "OpenBSD loopback"
	case layers.LinkTypeLinuxSLL:
		return 25, "Linux cooked-mode capture v1"
	case layers.LinkTypeLinuxSLL2:
		return 210, "Linux cooked-mode capture v2"
	}
	return 0, fmt.Sprintf("Unknown (link type %d)", lt)
}

// frame adds Wireshark's "frame" pseudo-protocol: times, lengths and the
// protocol list the other layers extend.
func (c *dctx) frame(lt layers.LinkType) {
	capLen := len(c.data)
	wire := c.ci.Length
	if wire < capLen {
		wire = capLen
	}
	if c.skim("frame") {
		c.skimmed("frame", 0, capLen)
		return
	}
	ifi := c.ci.InterfaceIndex
	var f *Field
	if ifi < 0 || ifi >= len(c.a.lay.ifaces) || c.a.lay.ifaces[ifi].Section < 0 {
		f = c.proto("frame", 0, capLen, "Frame %d: %d bytes on wire (%d bits), %d bytes captured (%d bits)", c.n, wire, wire*8, capLen, capLen*8)
		c.p.Tree = append(c.p.Tree, f)
	} else {
		ifc := &c.a.lay.ifaces[ifi]
		name := ifc.Name
		if name == "" {
			name = "unknown"
		}
		f = c.proto("frame", 0, capLen, "Frame %d: %d bytes on wire (%d bits), %d bytes captured (%d bits) on interface %s, id %d", c.n, wire, wire*8, capLen, capLen*8, name, ifi)
		c.p.Tree = append(c.p.Tree, f)
		f.Add(c.uint("frame.section_number", 0, 0, uint64(ifc.Section+1), 0, "Section number: %d", ifc.Section+1))
		id := f.Add(c.uint("frame.interface_id", 0, 0, uint64(ifi), 0, "Interface id: %d (%s)", ifi, name))
		id.Add(c.str("frame.interface_name", 0, 0, name, "Interface name: %s", name))
		if ifc.Description != "" {
			id.Add(c.str("frame.interface_description", 0, 0, ifc.Description, "Interface description: %s", ifc.Description))
		}
	}
	encap, encapName := wtapEncap(lt)
	f.Add(c.int("frame.encap_type", 0, 0, int64(encap), "Encapsulation type: %s (%d)", encapName, encap))
	ts := c.ci.Timestamp
	if c.wants("frame.time") {
		arrival := ts.Local().Format("Jan _2, 2006 15:04:05.000000000 MST")
		f.Add(c.str("frame.time", 0, 0, arrival, "Arrival Time: %s", arrival))
	}
	f.Add(c.node(Field{Name: "frame.offset_shift", Label: "[Time shift for this packet: 0.000000000 seconds]", Kind: KindDuration}))
	f.Add(c.fieldOf(Field{Name: "frame.time_epoch", Kind: KindTime, T: ts}, "Epoch Time: %d.%09d seconds", ts.Unix(), ts.Nanosecond()))
	var delta time.Duration
	if prev, ok := c.a.lay.times.get(c.n - 1); ok {
		delta = time.Duration(ts.UnixNano() - prev)
	}
	f.Add(c.fieldOf(Field{Name: "frame.time_delta", Kind: KindDuration, D: delta}, "[Time delta from previous captured frame: %s seconds]", seconds(delta)))
	rel := ts.Sub(c.a.first)
	f.Add(c.fieldOf(Field{Name: "frame.time_relative", Kind: KindDuration, D: rel}, "[Time since reference or first frame: %s seconds]", seconds(rel)))
	f.Add(c.uint("frame.number", 0, 0, uint64(c.n), 0, "Frame Number: %d", c.n))
	f.Add(c.uint("frame.len", 0, 0, uint64(wire), 0, "Frame Length: %d bytes (%d bits)", wire, wire*8))
	f.Add(c.uint("frame.cap_len", 0, 0, uint64(capLen), 0, "Capture Length: %d bytes (%d bits)", capLen, capLen*8))
	f.Add(c.bool("frame.marked", 0, 0, false, "[Frame is marked: False]"))
	f.Add(c.bool("frame.ignored", 0, 0, false, "[Frame is ignored: False]"))
	f.Add(c.str("frame.protocols", 0, 0, "", "[Protocols in frame: ]"))
}
