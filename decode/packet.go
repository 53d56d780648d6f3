package decode

import (
	"net/netip"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// Segment is the fast-pass view of one TCP packet: the fields every later
// stage needs, with Payload a slice into the packet's own bytes.
type Segment struct {
	Src, Dst         netip.Addr
	SrcPort, DstPort uint16
	Seq, Ack         uint32
	SYN, ACK         bool
	FIN, RST, PSH    bool
	Payload          []byte
}

// Frame is one decoded packet. Its layer structs are reused from packet to
// packet, so a Frame is valid only until the Decoder's next call.
type Frame struct {
	Eth     layers.Ethernet
	Loop    layers.Loopback
	SLL     layers.LinuxSLL
	SLL2    layers.LinuxSLL2
	VLAN    layers.Dot1Q
	ARP     layers.ARP
	IP4     layers.IPv4
	IP6     layers.IPv6
	TCP     layers.TCP
	UDP     layers.UDP
	ICMP4   layers.ICMPv4
	ICMP6   layers.ICMPv6
	Payload gopacket.Payload
	// Layers lists what was decoded, outermost first.
	Layers []gopacket.LayerType
	// Truncated is set when decoding stopped at a layer too short for its header.
	Truncated bool
}

// Has reports whether layer t was decoded.
func (f *Frame) Has(t gopacket.LayerType) bool {
	for _, l := range f.Layers {
		if l == t {
			return true
		}
	}
	return false
}

// Decoder parses headers in place, reusing one Frame, so decoding allocates
// nothing per packet (gopacket's DecodingLayerParser style).
type Decoder struct {
	f       Frame
	parsers map[layers.LinkType]*gopacket.DecodingLayerParser
}

// NewDecoder returns a Decoder for the link types wiretap reads.
func NewDecoder() *Decoder {
	d := &Decoder{parsers: map[layers.LinkType]*gopacket.DecodingLayerParser{}}
	f := &d.f
	common := []gopacket.DecodingLayer{&f.VLAN, &f.ARP, &f.IP4, &f.IP6, &f.TCP, &f.UDP, &f.ICMP4, &f.ICMP6, &f.Payload}
	add := func(lt layers.LinkType, first gopacket.LayerType, link gopacket.DecodingLayer) {
		decs := common
		if link != nil {
			decs = append([]gopacket.DecodingLayer{link}, common...)
		}
		p := gopacket.NewDecodingLayerParser(first, decs...)
		// An unknown layer ends decoding; what was decoded before it is kept.
		p.IgnoreUnsupported = true
		d.parsers[lt] = p
	}
	add(layers.LinkTypeEthernet, layers.LayerTypeEthernet, &f.Eth)
	add(layers.LinkTypeNull, layers.LayerTypeLoopback, &f.Loop)
	add(layers.LinkTypeLoop, layers.LayerTypeLoopback, &f.Loop)
	add(layers.LinkTypeLinuxSLL, layers.LayerTypeLinuxSLL, &f.SLL)
	add(layers.LinkTypeLinuxSLL2, layers.LayerTypeLinuxSLL2, &f.SLL2)
	add(layers.LinkTypeIPv4, layers.LayerTypeIPv4, nil)
	add(layers.LinkTypeIPv6, layers.LayerTypeIPv6, nil)
	return d
}

// Decode decodes data as a packet of link type lt. Unknown link types and
// malformed headers yield a Frame with fewer (or no) layers, never an error:
// a capture's bad packet is shown, not fatal.
func (d *Decoder) Decode(lt layers.LinkType, data []byte) *Frame {
	f := &d.f
	f.Layers = f.Layers[:0]
	f.Truncated = false
	if lt == layers.LinkTypeRaw || lt == 12 { // raw IP: the version nibble says which
		lt = layers.LinkTypeIPv4
		if len(data) > 0 && data[0]>>4 == 6 {
			lt = layers.LinkTypeIPv6
		}
	}
	p, ok := d.parsers[lt]
	if !ok {
		return f
	}
	if err := p.DecodeLayers(data, &f.Layers); err != nil {
		f.Truncated = true
	}
	return f
}

// TCP decodes data and reports its TCP segment, if it carries one.
func (d *Decoder) TCP(lt layers.LinkType, data []byte) (Segment, bool) {
	f := d.Decode(lt, data)
	var s Segment
	haveIP, haveTCP := false, false
	for _, l := range f.Layers {
		switch l {
		case layers.LayerTypeIPv4:
			s.Src, _ = netip.AddrFromSlice(f.IP4.SrcIP.To4())
			s.Dst, _ = netip.AddrFromSlice(f.IP4.DstIP.To4())
			haveIP = true
		case layers.LayerTypeIPv6:
			s.Src, _ = netip.AddrFromSlice(f.IP6.SrcIP)
			s.Dst, _ = netip.AddrFromSlice(f.IP6.DstIP)
			haveIP = true
		case layers.LayerTypeTCP:
			haveTCP = true
		}
	}
	if !haveIP || !haveTCP {
		return Segment{}, false
	}
	t := &f.TCP
	s.SrcPort, s.DstPort = uint16(t.SrcPort), uint16(t.DstPort)
	s.Seq, s.Ack = t.Seq, t.Ack
	s.SYN, s.ACK, s.FIN, s.RST, s.PSH = t.SYN, t.ACK, t.FIN, t.RST, t.PSH
	s.Payload = t.Payload
	return s, true
}
