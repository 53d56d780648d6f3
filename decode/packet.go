// Package decode dissects captured packets: link, IP and TCP headers in a
// fast pass over every packet, TCP streams, and what the application layer
// of each stream exposes.
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

// Decoder parses link, IP and TCP headers in place, reusing its layer
// structs, so decoding allocates nothing per packet (gopacket's
// DecodingLayerParser style).
type Decoder struct {
	eth      layers.Ethernet
	loop     layers.Loopback
	sll      layers.LinuxSLL
	ip4      layers.IPv4
	ip6      layers.IPv6
	tcp      layers.TCP
	payload  gopacket.Payload
	parsers  map[layers.LinkType]*gopacket.DecodingLayerParser
	layerBuf []gopacket.LayerType
}

// NewDecoder returns a Decoder for the link types wiretap reads.
func NewDecoder() *Decoder {
	d := &Decoder{parsers: map[layers.LinkType]*gopacket.DecodingLayerParser{}}
	common := []gopacket.DecodingLayer{&d.ip4, &d.ip6, &d.tcp, &d.payload}
	add := func(lt layers.LinkType, first gopacket.LayerType, link gopacket.DecodingLayer) {
		decs := common
		if link != nil {
			decs = append([]gopacket.DecodingLayer{link}, common...)
		}
		p := gopacket.NewDecodingLayerParser(first, decs...)
		// A truncated or unknown layer ends decoding; what was decoded
		// before it is still used.
		p.IgnoreUnsupported = true
		d.parsers[lt] = p
	}
	add(layers.LinkTypeEthernet, layers.LayerTypeEthernet, &d.eth)
	add(layers.LinkTypeNull, layers.LayerTypeLoopback, &d.loop)
	add(layers.LinkTypeLoop, layers.LayerTypeLoopback, &d.loop)
	add(layers.LinkTypeLinuxSLL, layers.LayerTypeLinuxSLL, &d.sll)
	add(layers.LinkTypeRaw, layers.LayerTypeIPv4, nil)
	add(layers.LinkTypeIPv4, layers.LayerTypeIPv4, nil)
	add(layers.LinkTypeIPv6, layers.LayerTypeIPv6, nil)
	return d
}

// TCP decodes data as a packet of link type lt and reports its TCP segment,
// if it carries one. Raw-IP captures (link type 101) may hold IPv6 too.
func (d *Decoder) TCP(lt layers.LinkType, data []byte) (Segment, bool) {
	p, ok := d.parsers[lt]
	if !ok {
		return Segment{}, false
	}
	if (lt == layers.LinkTypeRaw || lt == layers.LinkTypeIPv4) && len(data) > 0 && data[0]>>4 == 6 {
		p = d.parsers[layers.LinkTypeIPv6]
	}
	d.layerBuf = d.layerBuf[:0]
	if err := p.DecodeLayers(data, &d.layerBuf); err != nil && len(d.layerBuf) == 0 {
		return Segment{}, false
	}
	var s Segment
	haveIP, haveTCP := false, false
	for _, l := range d.layerBuf {
		switch l {
		case layers.LayerTypeIPv4:
			s.Src, _ = netip.AddrFromSlice(d.ip4.SrcIP.To4())
			s.Dst, _ = netip.AddrFromSlice(d.ip4.DstIP.To4())
			haveIP = true
		case layers.LayerTypeIPv6:
			s.Src, _ = netip.AddrFromSlice(d.ip6.SrcIP)
			s.Dst, _ = netip.AddrFromSlice(d.ip6.DstIP)
			haveIP = true
		case layers.LayerTypeTCP:
			haveTCP = true
		}
	}
	if !haveIP || !haveTCP {
		return Segment{}, false
	}
	t := &d.tcp
	s.SrcPort, s.DstPort = uint16(t.SrcPort), uint16(t.DstPort)
	s.Seq, s.Ack = t.Seq, t.Ack
	s.SYN, s.ACK, s.FIN, s.RST, s.PSH = t.SYN, t.ACK, t.FIN, t.RST, t.PSH
	s.Payload = t.Payload
	return s, true
}
