package main

import (
	"bytes"
	"encoding/binary"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"wiretap/capture"
	"wiretap/decode/decodetest"
)

// synthCaptures writes, under dir, the captures TestOracleFields adds to
// the corpus for the layers it lacks: ARP, ICMP (echo and an error quoting
// UDP), ICMPv6 (echo, neighbour solicitation and advertisement with
// link-layer options), IPv6 extension headers, 802.1Q, and Linux cooked
// capture. Their bytes are the same on every run (the recordings check
// the inputs' SHA-256).
func synthCaptures(t *testing.T, dir string) []decodetest.File {
	t.Helper()
	macA, _ := net.ParseMAC("02:00:00:00:00:0a")
	macB, _ := net.ParseMAC("02:00:00:00:00:0b")
	bcast, _ := net.ParseMAC("ff:ff:ff:ff:ff:ff")
	ipA, ipB := net.IPv4(10, 0, 0, 1).To4(), net.IPv4(10, 0, 0, 2).To4()
	ip6A, ip6B := net.ParseIP("fe80::a"), net.ParseIP("fe80::b")
	ser := func(ls ...gopacket.SerializableLayer) []byte {
		buf := gopacket.NewSerializeBuffer()
		opts := gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}
		for _, l := range ls {
			if nl, ok := l.(interface {
				SetNetworkLayerForChecksum(gopacket.NetworkLayer) error
			}); ok {
				for _, n := range ls {
					if nw, ok := n.(gopacket.NetworkLayer); ok {
						nl.SetNetworkLayerForChecksum(nw)
					}
				}
			}
		}
		if err := gopacket.SerializeLayers(buf, opts, ls...); err != nil {
			t.Fatal(err)
		}
		return bytes.Clone(buf.Bytes())
	}
	eth := func(dst net.HardwareAddr, t layers.EthernetType) *layers.Ethernet {
		return &layers.Ethernet{SrcMAC: macA, DstMAC: dst, EthernetType: t}
	}
	ip4 := func(p layers.IPProtocol) *layers.IPv4 {
		return &layers.IPv4{Version: 4, TTL: 64, Id: 0x1234, Flags: layers.IPv4DontFragment, Protocol: p, SrcIP: ipA, DstIP: ipB}
	}
	ip6 := func(nh layers.IPProtocol, dst net.IP) *layers.IPv6 {
		return &layers.IPv6{Version: 6, HopLimit: 255, NextHeader: nh, SrcIP: ip6A, DstIP: dst, FlowLabel: 0xabcde}
	}
	udp := &layers.UDP{SrcPort: 40000, DstPort: 9999}
	quoted := ser(ip4(layers.IPProtocolUDP), udp, gopacket.Payload("ping"))
	var sol [16]byte
	copy(sol[:], net.ParseIP("ff02::1:ff00:b"))
	hop := []byte{byte(layers.IPProtocolUDP), 0, 1, 4, 0, 0, 0, 0} // Hop-by-Hop: PadN
	ethPackets := [][]byte{
		ser(eth(bcast, layers.EthernetTypeARP), &layers.ARP{AddrType: layers.LinkTypeEthernet, Protocol: layers.EthernetTypeIPv4,
			HwAddressSize: 6, ProtAddressSize: 4, Operation: layers.ARPRequest, SourceHwAddress: macA, SourceProtAddress: ipA,
			DstHwAddress: make([]byte, 6), DstProtAddress: ipB}),
		ser(eth(macA, layers.EthernetTypeARP), &layers.ARP{AddrType: layers.LinkTypeEthernet, Protocol: layers.EthernetTypeIPv4,
			HwAddressSize: 6, ProtAddressSize: 4, Operation: layers.ARPReply, SourceHwAddress: macB, SourceProtAddress: ipB,
			DstHwAddress: macA, DstProtAddress: ipA}),
		ser(eth(macB, layers.EthernetTypeIPv4), ip4(layers.IPProtocolICMPv4),
			&layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(layers.ICMPv4TypeEchoRequest, 0), Id: 0x77, Seq: 1}, gopacket.Payload("abcdefgh")),
		ser(eth(macB, layers.EthernetTypeIPv4), ip4(layers.IPProtocolICMPv4),
			&layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(layers.ICMPv4TypeEchoReply, 0), Id: 0x77, Seq: 1}, gopacket.Payload("abcdefgh")),
		ser(eth(macB, layers.EthernetTypeIPv4), ip4(layers.IPProtocolICMPv4),
			&layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(layers.ICMPv4TypeDestinationUnreachable, layers.ICMPv4CodePort)}, gopacket.Payload(quoted)),
		ser(eth(macB, layers.EthernetTypeIPv6), ip6(layers.IPProtocolICMPv6, ip6B),
			&layers.ICMPv6{TypeCode: layers.CreateICMPv6TypeCode(layers.ICMPv6TypeEchoRequest, 0)}, &layers.ICMPv6Echo{Identifier: 5, SeqNumber: 9}, gopacket.Payload("hi")),
		ser(eth(macB, layers.EthernetTypeIPv6), ip6(layers.IPProtocolICMPv6, net.IP(sol[:])),
			&layers.ICMPv6{TypeCode: layers.CreateICMPv6TypeCode(layers.ICMPv6TypeNeighborSolicitation, 0)},
			&layers.ICMPv6NeighborSolicitation{TargetAddress: ip6B, Options: layers.ICMPv6Options{{Type: layers.ICMPv6OptSourceAddress, Data: macA}}}),
		ser(eth(macA, layers.EthernetTypeIPv6), &layers.IPv6{Version: 6, HopLimit: 255, NextHeader: layers.IPProtocolICMPv6, SrcIP: ip6B, DstIP: ip6A},
			&layers.ICMPv6{TypeCode: layers.CreateICMPv6TypeCode(layers.ICMPv6TypeNeighborAdvertisement, 0)},
			&layers.ICMPv6NeighborAdvertisement{Flags: 0x60, TargetAddress: ip6B, Options: layers.ICMPv6Options{{Type: layers.ICMPv6OptTargetAddress, Data: macB}}}),
		ser(eth(macB, layers.EthernetTypeIPv6), ip6(layers.IPProtocolIPv6HopByHop, ip6B), gopacket.Payload(append(hop, ser(udp, gopacket.Payload("x"))...))),
		ser(eth(macB, layers.EthernetTypeDot1Q), &layers.Dot1Q{Priority: 5, VLANIdentifier: 42, Type: layers.EthernetTypeIPv4}, ip4(layers.IPProtocolUDP), udp, gopacket.Payload("vlan")),
	}
	// Linux cooked capture v1: packet type, ARPHRD type, address length,
	// 8 bytes of address, protocol (gopacket cannot serialise it).
	sll := func(pkttype, hatype uint16, addr []byte, rest []byte) []byte {
		h := make([]byte, 16)
		binary.BigEndian.PutUint16(h[0:], pkttype)
		binary.BigEndian.PutUint16(h[2:], hatype)
		binary.BigEndian.PutUint16(h[4:], uint16(len(addr)))
		copy(h[6:14], addr)
		binary.BigEndian.PutUint16(h[14:], uint16(layers.EthernetTypeIPv4))
		return append(h, rest...)
	}
	sllPackets := [][]byte{
		sll(0, 1, macA, ser(ip4(layers.IPProtocolUDP), udp, gopacket.Payload("cooked"))),
		sll(4, 772, nil, ser(ip4(layers.IPProtocolICMPv4), &layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(layers.ICMPv4TypeEchoRequest, 0), Id: 1, Seq: 2})),
	}
	write := func(name string, lt layers.LinkType, pkts [][]byte) decodetest.File {
		path := filepath.Join(dir, name)
		f, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		w, err := capture.NewPcapWriter(f, lt, 65535)
		if err != nil {
			t.Fatal(err)
		}
		for i, p := range pkts {
			ts := time.Unix(1700000000, 0).Add(time.Duration(i) * 1250 * time.Microsecond)
			if err := w.WritePacket(gopacket.CaptureInfo{Timestamp: ts, CaptureLength: len(p), Length: len(p)}, p); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		f.Close()
		return decodetest.File{Name: "synth/" + name, Path: path}
	}
	return []decodetest.File{write("layers-eth.pcap", layers.LinkTypeEthernet, ethPackets), write("layers-sll.pcap", layers.LinkTypeLinuxSLL, sllPackets)}
}
