package capture

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"golang.org/x/net/bpf"
)

// ---------------------------------------------------------------------------
// Test packets, shared with compile_oracle_test.go and compile_fuzz_test.go

// fcTestPacket is a network-layer packet and the ways to frame it.
type fcTestPacket struct {
	name     string
	etype    uint16 // EtherType of l3; 0 when only eth is usable
	l3       []byte
	srcMAC   net.HardwareAddr
	dstMAC   net.HardwareAddr
	eth      []byte // complete Ethernet frame, overrides the generated one
	null     []byte // complete NULL (BSD loopback) frame, overrides the generated ones
	ethFixed bool   // Ethernet-only packet (VLAN, LLC, runt): no other framing
}

var (
	fcMACA  = net.HardwareAddr{0x00, 0x11, 0x22, 0x33, 0x44, 0x55}
	fcMACB  = net.HardwareAddr{0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb}
	fcMACBC = net.HardwareAddr{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}
)

func fcSerialize(t testing.TB, ls ...gopacket.SerializableLayer) []byte {
	t.Helper()
	return fcSerializeOpts(t, true, ls...)
}

func fcSerializeOpts(t testing.TB, checksums bool, ls ...gopacket.SerializableLayer) []byte {
	t.Helper()
	buf := gopacket.NewSerializeBuffer()
	opts := gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: checksums}
	if err := gopacket.SerializeLayers(buf, opts, ls...); err != nil {
		t.Fatalf("serialize: %v", err)
	}
	return append([]byte(nil), buf.Bytes()...)
}

func fcIP4(src, dst string, proto layers.IPProtocol) *layers.IPv4 {
	return &layers.IPv4{Version: 4, IHL: 5, TTL: 64, Id: 0x1234, Protocol: proto,
		SrcIP: net.ParseIP(src).To4(), DstIP: net.ParseIP(dst).To4()}
}

func fcIP6(src, dst string, nh layers.IPProtocol) *layers.IPv6 {
	return &layers.IPv6{Version: 6, HopLimit: 64, NextHeader: nh,
		SrcIP: net.ParseIP(src), DstIP: net.ParseIP(dst)}
}

func fcTCP(sp, dp uint16, flags string) *layers.TCP {
	t := &layers.TCP{SrcPort: layers.TCPPort(sp), DstPort: layers.TCPPort(dp), Seq: 1000, Window: 1024}
	for _, f := range flags {
		switch f {
		case 'S':
			t.SYN = true
		case 'A':
			t.ACK = true
		case 'P':
			t.PSH = true
		case 'F':
			t.FIN = true
		case 'R':
			t.RST = true
		case 'U':
			t.URG = true
		case 'E':
			t.ECE = true
		case 'C':
			t.CWR = true
		}
	}
	if t.ACK {
		t.Ack = 2000
	}
	return t
}

func fcPayload(n int) gopacket.Payload {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte('a' + i%26)
	}
	return b
}

// fcTestPackets builds the hand-made corpus.
func fcTestPackets(t testing.TB) []fcTestPacket {
	t.Helper()
	var pkts []fcTestPacket
	add := func(name string, etype uint16, l3 []byte) *fcTestPacket {
		pkts = append(pkts, fcTestPacket{name: name, etype: etype, l3: l3, srcMAC: fcMACA, dstMAC: fcMACB})
		return &pkts[len(pkts)-1]
	}
	v4 := func(ip *layers.IPv4, l4 gopacket.SerializableLayer, payload []byte) []byte {
		if c, ok := l4.(interface {
			SetNetworkLayerForChecksum(gopacket.NetworkLayer) error
		}); ok {
			_ = c.SetNetworkLayerForChecksum(ip)
		}
		if l4 == nil {
			return fcSerialize(t, ip, gopacket.Payload(payload))
		}
		return fcSerialize(t, ip, l4, gopacket.Payload(payload))
	}
	v6 := func(ip *layers.IPv6, l4 gopacket.SerializableLayer, payload []byte) []byte {
		if c, ok := l4.(interface {
			SetNetworkLayerForChecksum(gopacket.NetworkLayer) error
		}); ok {
			_ = c.SetNetworkLayerForChecksum(ip)
		}
		if l4 == nil {
			return fcSerialize(t, ip, gopacket.Payload(payload))
		}
		return fcSerialize(t, ip, l4, gopacket.Payload(payload))
	}
	tcpBytes := func(sp, dp uint16, flags string) []byte {
		return fcSerializeOpts(t, false, fcTCP(sp, dp, flags))
	}
	sctp := func(sp, dp uint16) []byte {
		b := make([]byte, 28)
		binary.BigEndian.PutUint16(b[0:], sp)
		binary.BigEndian.PutUint16(b[2:], dp)
		binary.BigEndian.PutUint32(b[4:], 0xdeadbeef)
		b[12] = 1 // INIT chunk
		binary.BigEndian.PutUint16(b[14:], 16)
		return b
	}
	get := []byte("GET / HTTP/1.1\r\nHost: example\r\n\r\n")

	add("ipv4-tcp-syn", 0x0800, v4(fcIP4("10.0.0.1", "10.0.0.2", layers.IPProtocolTCP), fcTCP(12345, 80, "S"), nil))
	add("ipv4-tcp-synack", 0x0800, v4(fcIP4("10.0.0.2", "10.0.0.1", layers.IPProtocolTCP), fcTCP(80, 12345, "SA"), nil))
	add("ipv4-tcp-http-get", 0x0800, v4(fcIP4("10.0.0.1", "10.0.0.2", layers.IPProtocolTCP), fcTCP(12345, 80, "AP"), get))
	add("ipv4-tcp-rst", 0x0800, v4(fcIP4("192.168.1.10", "192.168.1.20", layers.IPProtocolTCP), fcTCP(443, 50000, "R"), nil))
	p := add("ipv4-tcp-fin-1000", 0x0800, v4(fcIP4("1.2.3.4", "5.6.7.8", layers.IPProtocolTCP), fcTCP(22, 12345, "FA"), fcPayload(1000)))
	p.srcMAC, p.dstMAC = fcMACB, fcMACA
	add("ipv4-tcp-localhost", 0x0800, v4(fcIP4("127.0.0.1", "127.0.0.1", layers.IPProtocolTCP), fcTCP(8080, 12345, "A"), fcPayload(100)))
	add("ipv4-tcp-ece-cwr-urg", 0x0800, v4(fcIP4("10.0.0.1", "10.0.0.2", layers.IPProtocolTCP), fcTCP(12345, 8080, "SECU"), nil))
	add("ipv4-udp-dns-query", 0x0800, v4(fcIP4("10.0.0.1", "10.0.0.53", layers.IPProtocolUDP), &layers.UDP{SrcPort: 40000, DstPort: 53}, fcPayload(30)))
	add("ipv4-udp-dns-reply", 0x0800, v4(fcIP4("10.0.0.53", "10.0.0.1", layers.IPProtocolUDP), &layers.UDP{SrcPort: 53, DstPort: 40000}, fcPayload(90)))
	p = add("ipv4-udp-mdns-multicast", 0x0800, v4(fcIP4("192.168.1.10", "224.0.0.251", layers.IPProtocolUDP), &layers.UDP{SrcPort: 5353, DstPort: 5353}, fcPayload(40)))
	p.dstMAC = net.HardwareAddr{0x01, 0x00, 0x5e, 0x00, 0x00, 0xfb}
	p = add("ipv4-udp-dhcp-broadcast", 0x0800, v4(fcIP4("0.0.0.0", "255.255.255.255", layers.IPProtocolUDP), &layers.UDP{SrcPort: 68, DstPort: 67}, fcPayload(240)))
	p.dstMAC = fcMACBC
	add("ipv4-udp-1400", 0x0800, v4(fcIP4("10.0.0.1", "10.0.0.2", layers.IPProtocolUDP), &layers.UDP{SrcPort: 1234, DstPort: 4321}, fcPayload(1400)))
	add("ipv4-udp-53-53", 0x0800, v4(fcIP4("10.1.2.3", "172.16.0.1", layers.IPProtocolUDP), &layers.UDP{SrcPort: 53, DstPort: 53}, fcPayload(20)))
	add("ipv4-udp-12345-12345", 0x0800, v4(fcIP4("192.168.1.20", "192.168.1.10", layers.IPProtocolUDP), &layers.UDP{SrcPort: 12345, DstPort: 12345}, fcPayload(8)))
	add("ipv4-icmp-echo", 0x0800, v4(fcIP4("10.0.0.1", "10.0.0.2", layers.IPProtocolICMPv4), &layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(8, 0), Id: 1, Seq: 1}, fcPayload(56)))
	add("ipv4-icmp-echoreply", 0x0800, v4(fcIP4("10.0.0.2", "10.0.0.1", layers.IPProtocolICMPv4), &layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(0, 0), Id: 1, Seq: 1}, fcPayload(56)))
	add("ipv4-icmp-unreach", 0x0800, v4(fcIP4("192.168.1.1", "192.168.1.10", layers.IPProtocolICMPv4), &layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(3, 3)}, fcPayload(28)))
	add("ipv4-sctp", 0x0800, v4(fcIP4("10.0.0.1", "10.0.0.2", layers.IPProtocolSCTP), nil, sctp(9999, 80)))
	add("ipv4-igmp", 0x0800, v4(fcIP4("192.168.1.10", "224.0.0.22", layers.IPProtocolIGMP), nil, []byte{0x22, 0, 0xfa, 0x02, 0, 0, 0, 1}))
	// non-first fragment whose payload looks like ports 80 > 80
	frag := fcIP4("10.0.0.1", "10.0.0.2", layers.IPProtocolTCP)
	frag.FragOffset = 185
	add("ipv4-frag-nonfirst", 0x0800, v4(frag, nil, append([]byte{0, 80, 0, 80}, fcPayload(60)...)))
	frag1 := fcIP4("10.0.0.1", "10.0.0.2", layers.IPProtocolTCP)
	frag1.Flags = layers.IPv4MoreFragments
	add("ipv4-frag-first", 0x0800, v4(frag1, nil, append(tcpBytes(12345, 80, "AP"), fcPayload(40)...)))
	// IP options: IHL 6 and IHL 15
	opt := fcIP4("10.0.0.1", "10.0.0.2", layers.IPProtocolTCP)
	opt.Options = []layers.IPv4Option{{OptionType: 0x94, OptionLength: 4, OptionData: []byte{0, 0}}}
	add("ipv4-options-ihl6", 0x0800, v4(opt, fcTCP(12345, 80, "S"), nil))
	opt15 := fcIP4("10.0.0.2", "10.0.0.1", layers.IPProtocolTCP)
	opt15.Options = []layers.IPv4Option{{OptionType: 0x07, OptionLength: 39, OptionData: make([]byte, 37)}, {OptionType: 0}}
	add("ipv4-options-ihl15", 0x0800, v4(opt15, fcTCP(80, 12345, "SA"), nil))

	add("ipv6-tcp-syn", 0x86dd, v6(fcIP6("2001:db8::1", "2001:db8::2", layers.IPProtocolTCP), fcTCP(50000, 443, "S"), nil))
	add("ipv6-tcp-localhost-get", 0x86dd, v6(fcIP6("::1", "::1", layers.IPProtocolTCP), fcTCP(12345, 80, "AP"), get))
	add("ipv6-udp-dns", 0x86dd, v6(fcIP6("2001:db8::1", "2001:db8::53", layers.IPProtocolUDP), &layers.UDP{SrcPort: 40000, DstPort: 53}, fcPayload(30)))
	p = add("ipv6-icmp6-echo-multicast", 0x86dd, v6(fcIP6("fe80::1", "ff02::1", layers.IPProtocolICMPv6),
		&layers.ICMPv6{TypeCode: layers.CreateICMPv6TypeCode(128, 0)}, []byte{0, 1, 0, 1, 'p', 'i', 'n', 'g'}))
	p.dstMAC = net.HardwareAddr{0x33, 0x33, 0, 0, 0, 1}
	add("ipv6-icmp6-echoreply", 0x86dd, v6(fcIP6("2001:db8::2", "2001:db8::1", layers.IPProtocolICMPv6),
		&layers.ICMPv6{TypeCode: layers.CreateICMPv6TypeCode(129, 0)}, []byte{0, 1, 0, 1, 'p', 'o', 'n', 'g'}))
	// fragment header (first fragment) in front of TCP
	fh := []byte{6, 0, 0, 1, 0, 0, 0x12, 0x34}
	add("ipv6-fraghdr-tcp", 0x86dd, v6(fcIP6("2001:db8::1", "2001:db8::2", 44), nil, append(fh, tcpBytes(12345, 80, "S")...)))
	// hop-by-hop options in front of UDP: not looked through
	hbh := []byte{17, 0, 1, 4, 0, 0, 0, 0}
	udp := fcSerializeOpts(t, false, &layers.UDP{SrcPort: 53, DstPort: 53}, fcPayload(12))
	add("ipv6-hopbyhop-udp", 0x86dd, v6(fcIP6("2001:db8::53", "2001:db8::1", 0), nil, append(hbh, udp...)))
	add("ipv6-sctp", 0x86dd, v6(fcIP6("2001:db8::1", "2001:db8::2", layers.IPProtocolSCTP), nil, sctp(80, 9999)))

	arp := func(op uint16, sha net.HardwareAddr, spa string, tha net.HardwareAddr, tpa string) []byte {
		return fcSerialize(t, &layers.ARP{AddrType: layers.LinkTypeEthernet, Protocol: layers.EthernetTypeIPv4,
			HwAddressSize: 6, ProtAddressSize: 4, Operation: op,
			SourceHwAddress: sha, SourceProtAddress: net.ParseIP(spa).To4(),
			DstHwAddress: tha, DstProtAddress: net.ParseIP(tpa).To4()})
	}
	p = add("arp-request", 0x0806, arp(1, fcMACA, "10.0.0.1", make(net.HardwareAddr, 6), "10.0.0.2"))
	p.dstMAC = fcMACBC
	p = add("arp-reply", 0x0806, arp(2, fcMACB, "10.0.0.2", fcMACA, "10.0.0.1"))
	p.srcMAC, p.dstMAC = fcMACB, fcMACA
	add("rarp-request", 0x8035, arp(3, fcMACA, "0.0.0.0", fcMACA, "1.2.3.4"))
	add("lldp-like", 0x88cc, fcPayload(46))

	// Ethernet-only frames
	ethOnly := func(name string, frame []byte) {
		pkts = append(pkts, fcTestPacket{name: name, eth: frame, ethFixed: true})
	}
	vlanTCP := v4(fcIP4("10.0.0.1", "10.0.0.2", layers.IPProtocolTCP), fcTCP(12345, 80, "S"), nil)
	ethOnly("vlan10-ipv4-tcp", append(fcEthHeader(fcMACB, fcMACA, 0x8100), append([]byte{0x00, 10, 0x08, 0x00}, vlanTCP...)...))
	vlanUDP6 := v6(fcIP6("2001:db8::1", "2001:db8::2", layers.IPProtocolUDP), &layers.UDP{SrcPort: 40000, DstPort: 53}, fcPayload(10))
	ethOnly("vlan20-ipv6-udp", append(fcEthHeader(fcMACB, fcMACA, 0x8100), append([]byte{0x20, 20, 0x86, 0xdd}, vlanUDP6...)...))
	ethOnly("qinq-100-10-ipv4-tcp", append(fcEthHeader(fcMACB, fcMACA, 0x88a8),
		append([]byte{0x00, 100, 0x81, 0x00, 0x00, 10, 0x08, 0x00}, vlanTCP...)...))
	// 802.3 frames: a length instead of an EtherType; on Linux cooked
	// captures the protocol is 4 (802.2 LLC) or 1 (raw 802.3)
	ieee8023 := func(name string, sllProto uint16, body []byte) {
		pkts = append(pkts, fcTestPacket{name: name, etype: sllProto, l3: body, srcMAC: fcMACA, dstMAC: fcMACBC,
			eth: append(fcEthHeader(fcMACBC, fcMACA, uint16(len(body))), body...)})
	}
	llc := func(dsap byte) []byte { return append([]byte{dsap, dsap, 0x03}, fcPayload(43)...) }
	ieee8023("llc-dsap-0x64", 4, llc(0x64))
	ieee8023("llc-dsap-0x42-stp", 4, llc(0x42))
	ieee8023("llc-ip-0x06", 4, llc(0x06))
	ieee8023("llc-ipx-0xe0", 4, llc(0xe0))
	ieee8023("llc-netbeui-0xf0", 4, llc(0xf0))
	ieee8023("snap-appletalk", 4, append([]byte{0xaa, 0xaa, 0x03, 0x08, 0x00, 0x07, 0x80, 0x9b}, fcPayload(40)...))
	ieee8023("snap-aarp", 4, append([]byte{0xaa, 0xaa, 0x03, 0x00, 0x00, 0x00, 0x80, 0xf3}, fcPayload(40)...))
	ieee8023("snap-ipx", 4, append([]byte{0xaa, 0xaa, 0x03, 0x00, 0x00, 0x00, 0x81, 0x37}, fcPayload(40)...))
	ieee8023("raw-8023-ipx", 1, append([]byte{0xff, 0xff}, fcPayload(44)...))
	add("ethernet2-ipx", 0x8137, fcPayload(46))
	add("ethernet2-appletalk", 0x809b, fcPayload(46))
	ethOnly("runt-10-bytes", fcEthHeader(fcMACB, fcMACA, 0x0800)[:10])

	// truncated packets: the first out-of-bounds load rejects them
	full := v4(fcIP4("10.0.0.1", "10.0.0.2", layers.IPProtocolTCP), fcTCP(80, 12345, "S"), nil)
	add("ipv4-tcp-truncated-in-ports", 0x0800, full[:22])
	add("ipv4-truncated-header", 0x0800, full[:10])
	full6 := v6(fcIP6("2001:db8::1", "2001:db8::2", layers.IPProtocolTCP), fcTCP(80, 12345, "S"), nil)
	add("ipv6-tcp-truncated", 0x86dd, full6[:42])
	add("ipv6-truncated-header", 0x86dd, full6[:30])
	return pkts
}

func fcEthHeader(dst, src net.HardwareAddr, etype uint16) []byte {
	h := make([]byte, 14)
	copy(h, dst)
	copy(h[6:], src)
	binary.BigEndian.PutUint16(h[12:], etype)
	return h
}

// fcNullFamilyBytes is a NULL header with family f in host byte order.
func fcNullFamilyBytes(f uint32) []byte {
	b := make([]byte, 4)
	binary.NativeEndian.PutUint32(b, f)
	return b
}

// fcFrames frames p for link type lt; a packet can have several framings
// (IPv6 over NULL: the AF_INET6 values of Linux, NetBSD, FreeBSD and Darwin)
// or none (ARP over raw IP).
func fcFrames(lt layers.LinkType, p fcTestPacket) [][]byte {
	cat := func(a, b []byte) []byte { return append(append([]byte(nil), a...), b...) }
	switch lt {
	case layers.LinkTypeEthernet:
		if p.eth != nil {
			return [][]byte{p.eth}
		}
		return [][]byte{cat(fcEthHeader(p.dstMAC, p.srcMAC, p.etype), p.l3)}
	case layers.LinkTypeLinuxSLL:
		if p.ethFixed {
			return nil
		}
		h := make([]byte, 16)
		binary.BigEndian.PutUint16(h[0:], 0) // to us
		binary.BigEndian.PutUint16(h[2:], 1) // ARPHRD_ETHER
		binary.BigEndian.PutUint16(h[4:], 6)
		copy(h[6:], p.srcMAC)
		binary.BigEndian.PutUint16(h[14:], p.etype)
		return [][]byte{cat(h, p.l3)}
	case layers.LinkTypeNull:
		if p.null != nil {
			return [][]byte{p.null}
		}
		switch {
		case p.ethFixed:
			return nil
		case p.etype == 0x0800:
			return [][]byte{cat(fcNullFamilyBytes(2), p.l3)}
		case p.etype == 0x86dd:
			var out [][]byte
			for _, f := range []uint32{10, 24, 28, 30} {
				out = append(out, cat(fcNullFamilyBytes(f), p.l3))
			}
			return out
		}
		return nil
	case layers.LinkTypeRaw:
		if !p.ethFixed && (p.etype == 0x0800 || p.etype == 0x86dd) {
			return [][]byte{p.l3}
		}
	}
	return nil
}

// fcRun runs prog over pkt in x/net/bpf's VM.
func fcRun(t testing.TB, prog []bpf.Instruction, pkt []byte) bool {
	t.Helper()
	vm, err := bpf.NewVM(prog)
	if err != nil {
		t.Fatalf("NewVM: %v", err)
	}
	n, err := vm.Run(pkt)
	if err != nil {
		t.Fatalf("VM run: %v", err)
	}
	return n != 0
}

// ---------------------------------------------------------------------------
// Table tests on Ethernet

func TestCompileFilterMatches(t *testing.T) {
	byName := map[string][]byte{}
	for _, p := range fcTestPackets(t) {
		byName[p.name] = fcFrames(layers.LinkTypeEthernet, p)[0]
	}
	cases := []struct {
		expr string
		yes  []string
		no   []string
	}{
		{"", []string{"ipv4-tcp-syn", "arp-request", "runt-10-bytes"}, nil},
		{"tcp", []string{"ipv4-tcp-syn", "ipv6-tcp-syn", "ipv6-fraghdr-tcp", "ipv4-frag-nonfirst"}, []string{"ipv4-udp-dns-query", "arp-request", "vlan10-ipv4-tcp"}},
		{"udp", []string{"ipv4-udp-dns-query", "ipv6-udp-dns"}, []string{"ipv4-tcp-syn", "ipv6-hopbyhop-udp"}},
		{"icmp", []string{"ipv4-icmp-echo", "ipv4-icmp-unreach"}, []string{"ipv6-icmp6-echoreply", "ipv4-tcp-syn"}},
		{"icmp6", []string{"ipv6-icmp6-echoreply", "ipv6-icmp6-echo-multicast"}, []string{"ipv4-icmp-echo"}},
		{"sctp", []string{"ipv4-sctp", "ipv6-sctp"}, []string{"ipv4-tcp-syn"}},
		{"ip", []string{"ipv4-tcp-syn", "ipv4-truncated-header"}, []string{"ipv6-tcp-syn", "arp-request", "vlan10-ipv4-tcp"}},
		{"ip6", []string{"ipv6-tcp-syn"}, []string{"ipv4-tcp-syn"}},
		{"arp", []string{"arp-request", "arp-reply"}, []string{"rarp-request", "ipv4-tcp-syn"}},
		{"rarp", []string{"rarp-request"}, []string{"arp-request"}},
		{"host 10.0.0.1", []string{"ipv4-tcp-syn", "ipv4-tcp-synack", "arp-request", "arp-reply"}, []string{"ipv4-tcp-rst", "ipv6-tcp-syn", "vlan10-ipv4-tcp"}},
		{"src host 10.0.0.1", []string{"ipv4-tcp-syn", "arp-request"}, []string{"ipv4-tcp-synack", "arp-reply"}},
		{"dst host 10.0.0.1", []string{"ipv4-tcp-synack", "arp-reply"}, []string{"ipv4-tcp-syn", "arp-request"}},
		{"src and dst host 127.0.0.1", []string{"ipv4-tcp-localhost"}, []string{"ipv4-tcp-syn"}},
		{"host localhost", []string{"ipv4-tcp-localhost"}, []string{"ipv6-tcp-localhost-get"}},
		{"rarp host 1.2.3.4", []string{"rarp-request"}, []string{"ipv4-tcp-fin-1000"}},
		{"ip host 1.2.3.4", []string{"ipv4-tcp-fin-1000"}, []string{"rarp-request"}},
		{"host ::1", []string{"ipv6-tcp-localhost-get"}, []string{"ipv4-tcp-localhost"}},
		{"ip6 src host 2001:db8::1", []string{"ipv6-tcp-syn", "ipv6-udp-dns"}, []string{"ipv6-icmp6-echoreply"}},
		{"net 10", []string{"ipv4-tcp-syn", "arp-reply"}, []string{"ipv4-tcp-rst"}},
		{"net 192.168.1", []string{"ipv4-tcp-rst"}, []string{"ipv4-tcp-syn"}},
		{"net 192.168.0.0 mask 255.255.0.0", []string{"ipv4-tcp-rst"}, []string{"ipv4-tcp-syn"}},
		{"src net 10.0.0.0/24", []string{"ipv4-tcp-syn"}, []string{"ipv4-udp-53-53"}},
		{"net 2001:db8::/32", []string{"ipv6-tcp-syn"}, []string{"ipv6-tcp-localhost-get", "ipv4-tcp-syn"}},
		{"ip6 net fe80::/10", []string{"ipv6-icmp6-echo-multicast"}, []string{"ipv6-tcp-syn"}},
		{"port 80", []string{"ipv4-tcp-syn", "ipv4-tcp-synack", "ipv6-tcp-localhost-get", "ipv4-sctp", "ipv6-sctp", "ipv4-options-ihl6", "ipv4-options-ihl15", "ipv4-frag-first",
			"ipv4-tcp-truncated-in-ports"}, // the source port (80) is there; the destination port is not needed
			[]string{"ipv4-frag-nonfirst", "ipv6-fraghdr-tcp", "vlan10-ipv4-tcp", "ipv4-udp-dns-query"}},
		{"port 12345", []string{"ipv4-tcp-syn"}, []string{"ipv4-tcp-truncated-in-ports", "ipv6-tcp-truncated"}}, // out of bounds: rejected
		{"tcp port 80", []string{"ipv4-tcp-syn", "ipv4-options-ihl6"}, []string{"ipv4-sctp"}},
		{"udp dst port 53", []string{"ipv4-udp-dns-query", "ipv6-udp-dns", "ipv4-udp-53-53"}, []string{"ipv4-udp-dns-reply", "ipv6-hopbyhop-udp"}},
		{"src port 53", []string{"ipv4-udp-dns-reply"}, []string{"ipv4-udp-dns-query"}},
		{"src and dst port 12345", []string{"ipv4-udp-12345-12345"}, []string{"ipv4-tcp-syn"}},
		{"port http", []string{"ipv4-tcp-syn"}, []string{"ipv4-sctp"}},
		{"port domain", []string{"ipv4-udp-dns-query"}, []string{"ipv4-tcp-syn"}},
		{"portrange 50-60", []string{"ipv4-udp-dns-query"}, []string{"ipv4-tcp-syn"}},
		{"tcp dst portrange 8000-8080", []string{"ipv4-tcp-ece-cwr-urg"}, []string{"ipv4-tcp-syn"}},
		{"ip proto 6", []string{"ipv4-tcp-syn"}, []string{"ipv6-tcp-syn"}},
		{"ip proto tcp", []string{"ipv4-tcp-syn"}, []string{"ipv6-tcp-syn"}},
		{"ip proto \\udp", []string{"ipv4-udp-dns-query"}, []string{"ipv4-tcp-syn"}},
		{"ip6 proto 6", []string{"ipv6-tcp-syn", "ipv6-fraghdr-tcp"}, []string{"ipv4-tcp-syn"}},
		{"ether proto \\arp", []string{"arp-request"}, []string{"ipv4-tcp-syn"}},
		{"ether proto 0x86dd", []string{"ipv6-tcp-syn"}, []string{"ipv4-tcp-syn"}},
		{"ether proto 100", []string{"llc-dsap-0x64"}, []string{"llc-dsap-0x42-stp", "ipv4-tcp-syn"}},
		{"ether proto 6", []string{"llc-ip-0x06"}, []string{"ipv4-tcp-syn", "llc-dsap-0x64"}},
		{"ether proto 0xe0", []string{"llc-ipx-0xe0", "snap-ipx", "raw-8023-ipx", "ethernet2-ipx"}, []string{"llc-ip-0x06"}},
		{"ether proto 0x809b", []string{"snap-appletalk", "ethernet2-appletalk"}, []string{"snap-aarp"}},
		{"ether proto 0x80f3", []string{"snap-aarp"}, []string{"snap-appletalk"}},
		{"ether host 00:11:22:33:44:55", []string{"ipv4-tcp-syn", "ipv4-tcp-fin-1000", "vlan10-ipv4-tcp"}, []string{"runt-10-bytes"}},
		{"ether src 00:11:22:33:44:55", []string{"ipv4-tcp-syn"}, []string{"ipv4-tcp-fin-1000"}},
		{"ether dst 66-77-88-99-aa-bb", []string{"ipv4-tcp-syn"}, []string{"ipv4-tcp-fin-1000"}},
		{"ether broadcast", []string{"arp-request", "ipv4-udp-dhcp-broadcast", "llc-dsap-0x64"}, []string{"ipv4-tcp-syn"}},
		{"ether multicast", []string{"arp-request", "ipv4-udp-mdns-multicast", "ipv6-icmp6-echo-multicast"}, []string{"ipv4-tcp-syn"}},
		{"ip multicast", []string{"ipv4-udp-mdns-multicast", "ipv4-igmp", "ipv4-udp-dhcp-broadcast"}, []string{"ipv4-tcp-syn"}}, // >= 224.0.0.0, as tcpdump
		{"ip6 multicast", []string{"ipv6-icmp6-echo-multicast"}, []string{"ipv6-tcp-syn"}},
		{"vlan", []string{"vlan10-ipv4-tcp", "vlan20-ipv6-udp", "qinq-100-10-ipv4-tcp"}, []string{"ipv4-tcp-syn"}},
		{"vlan 10 and tcp port 80", []string{"vlan10-ipv4-tcp"}, []string{"vlan20-ipv6-udp", "qinq-100-10-ipv4-tcp"}},
		{"vlan 100 and vlan 10 and host 10.0.0.2", []string{"qinq-100-10-ipv4-tcp"}, []string{"vlan10-ipv4-tcp"}},
		{"vlan and ip6 and udp port 53", []string{"vlan20-ipv6-udp"}, []string{"ipv6-udp-dns"}},
		{"greater 1000", []string{"ipv4-tcp-fin-1000", "ipv4-udp-1400"}, []string{"ipv4-tcp-syn"}},
		{"less 60", []string{"ipv4-tcp-syn", "runt-10-bytes"}, []string{"ipv4-tcp-fin-1000"}},
		{"len > 100", []string{"ipv4-tcp-fin-1000"}, []string{"ipv4-tcp-syn"}},
		{"len <= 54", []string{"ipv4-tcp-syn"}, []string{"ipv4-options-ihl6"}},
		{"tcp[13] & 2 != 0", []string{"ipv4-tcp-syn", "ipv4-tcp-synack", "ipv4-options-ihl6", "ipv4-options-ihl15"}, []string{"ipv4-tcp-http-get", "ipv4-udp-dns-query"}},
		{"tcp[tcpflags] & (tcp-syn|tcp-ack) = tcp-syn", []string{"ipv4-tcp-syn", "ipv4-tcp-ece-cwr-urg"}, []string{"ipv4-tcp-synack"}},
		{"tcp[tcpflags] & (tcp-ece|tcp-cwr|tcp-urg) = 0xe0", []string{"ipv4-tcp-ece-cwr-urg"}, []string{"ipv4-tcp-syn"}},
		{"tcp[tcpflags] & tcp-rst != 0", []string{"ipv4-tcp-rst"}, []string{"ipv4-tcp-syn"}},
		{"tcp[tcpflags] & tcp-fin != 0", []string{"ipv4-tcp-fin-1000"}, []string{"ipv4-tcp-syn"}},
		{"ip[0] & 0xf > 5", []string{"ipv4-options-ihl6", "ipv4-options-ihl15"}, []string{"ipv4-tcp-syn"}},
		{"ip[6:2] & 0x1fff != 0", []string{"ipv4-frag-nonfirst"}, []string{"ipv4-frag-first"}},
		{"icmp[icmptype] = icmp-echo", []string{"ipv4-icmp-echo"}, []string{"ipv4-icmp-echoreply"}},
		{"icmp[icmptype] != icmp-echo and icmp[icmptype] != icmp-echoreply", []string{"ipv4-icmp-unreach"}, []string{"ipv4-icmp-echo"}},
		{"icmp6[icmp6type] = icmp6-echo", []string{"ipv6-icmp6-echo-multicast"}, []string{"ipv6-icmp6-echoreply"}},
		{"tcp[((tcp[12] & 0xf0) >> 2):4] = 0x47455420", []string{"ipv4-tcp-http-get"}, []string{"ipv4-tcp-syn", "ipv6-tcp-localhost-get"}},
		{"udp[4:2] > 1000", []string{"ipv4-udp-1400"}, []string{"ipv4-udp-dns-query"}},
		{"ether[0] & 1 = 1", []string{"arp-request", "ipv4-udp-mdns-multicast"}, []string{"ipv4-tcp-syn"}},
		{"arp[7] = 2", []string{"arp-reply"}, []string{"arp-request"}},
		{"len - 14 = ip[2:2]", []string{"ipv4-tcp-syn"}, []string{"ipv6-tcp-syn"}},
		{"host 10.0.0.1 or 1.2.3.4", []string{"ipv4-tcp-syn", "ipv4-tcp-fin-1000"}, []string{"ipv4-tcp-rst"}},
		{"host 10.0.0.1 and not 10.0.0.2", []string{"ipv4-udp-dns-query"}, []string{"ipv4-tcp-syn", "arp-request"}},
		{"tcp port 22 or 443", []string{"ipv4-tcp-fin-1000", "ipv4-tcp-rst"}, []string{"ipv4-tcp-syn"}},
		{"port 22 or (443 or 53)", []string{"ipv4-tcp-fin-1000", "ipv4-tcp-rst", "ipv4-udp-dns-query"}, []string{"ipv4-tcp-syn"}},
		{"host (1.2.3.4 or 5.6.7.8) and port 22", []string{"ipv4-tcp-fin-1000"}, []string{"ipv4-tcp-syn"}},
		{"not tcp and not udp", []string{"arp-request", "ipv4-icmp-echo"}, []string{"ipv4-tcp-syn", "ipv4-udp-dns-query"}},
		{"! (tcp || udp) && ip", []string{"ipv4-icmp-echo"}, []string{"arp-request", "ipv4-tcp-syn"}},
		{"ip or arp and tcp", []string{"ipv4-tcp-syn"}, []string{"ipv4-udp-dns-query", "arp-request"}}, // (ip or arp) and tcp
		{"1 = 1", []string{"runt-10-bytes"}, nil},
		{"ip[0] * 0 = 0", []string{"ipv4-tcp-syn", "ipv4-truncated-header"}, []string{"arp-request", "runt-10-bytes"}}, // no load of ip[0]
		{"ip[-icmp-echo:2] = 0x0011", []string{"ipv4-tcp-syn"}, []string{"arp-request", "ipv4-tcp-fin-1000"}},          // 14-8 wraps to frame bytes 6-7 (source MAC)
		{"ip[8] % 60 + 5 = 64", []string{"ipv4-tcp-syn"}, nil},                                                         // TTL 64 % (60+5)
	}
	for _, c := range cases {
		prog, err := CompileFilter(c.expr, layers.LinkTypeEthernet, 65535)
		if err != nil {
			t.Errorf("%q: %v", c.expr, err)
			continue
		}
		if _, err := bpf.Assemble(prog); err != nil {
			t.Errorf("%q: assemble: %v", c.expr, err)
			continue
		}
		for _, want := range []bool{true, false} {
			names := c.yes
			if !want {
				names = c.no
			}
			for _, name := range names {
				pkt, ok := byName[name]
				if !ok {
					t.Fatalf("no test packet %q", name)
				}
				if got := fcRun(t, prog, pkt); got != want {
					t.Errorf("%q on %s: got %v, want %v", c.expr, name, got, want)
				}
			}
		}
	}
}

func TestCompileFilterErrors(t *testing.T) {
	cases := []struct {
		expr string
		lt   layers.LinkType
		want string
	}{
		{"tcp port", layers.LinkTypeEthernet, `capture: filter: expected a port number after "port" at column 9`},
		{"tcp port and udp", layers.LinkTypeEthernet, `capture: filter: expected a port number after "port" at column 10`},
		{"host", layers.LinkTypeEthernet, `capture: filter: expected a host address after "host" at column 5`},
		{"port 99999", layers.LinkTypeEthernet, `capture: filter: port number 99999 out of range at column 6`},
		{"(tcp", layers.LinkTypeEthernet, `capture: filter: unbalanced parenthesis at column 1`},
		{"tcp)", layers.LinkTypeEthernet, `capture: filter: unbalanced parenthesis at column 4`},
		{"foo", layers.LinkTypeEthernet, `capture: filter: unknown keyword "foo" at column 1`},
		{"icmp prot 1", layers.LinkTypeEthernet, `capture: filter: unknown keyword "prot" at column 6`},
		{"portrange 10-", layers.LinkTypeEthernet, `capture: filter: invalid port range "10-" at column 11`},
		{"tcp[13] & ", layers.LinkTypeEthernet, `capture: filter: expected an expression after "&" at column 11`},
		{"ether host zz:00:11:22:33:44", layers.LinkTypeEthernet, `capture: filter: invalid MAC address "zz:00:11:22:33:44" at column 12`},
		{"ether host 00:11:22:33:44:55", layers.LinkTypeRaw, `capture: filter: ethernet addresses are supported only on Ethernet, not on raw IP at column 12`},
		{"vlan", layers.LinkTypeLinuxSLL, `capture: filter: no VLAN support for Linux cooked v1 at column 1`},
		{"vlan 4096", layers.LinkTypeEthernet, `capture: filter: VLAN tag 4096 greater than maximum 4095 at column 6`},
		{"port bogus", layers.LinkTypeEthernet, `capture: filter: unknown port name "bogus" at column 6`},
		{"udp port ssh", layers.LinkTypeEthernet, `capture: filter: port "ssh" is tcp at column 10`},
		{"host example.com", layers.LinkTypeEthernet, `capture: filter: unknown host "example.com" (only addresses and localhost are supported) at column 6`},
		{"ip6 host localhost", layers.LinkTypeEthernet, `capture: filter: unknown host "localhost" for specified address family at column 10`},
		{"tcp or 80", layers.LinkTypeEthernet, `capture: filter: "80" needs a qualifier such as "host" or "port" (there is none to inherit) at column 8`},
		{"1.2.3.4", layers.LinkTypeEthernet, `capture: filter: "1.2.3.4" needs a qualifier such as "host" at column 1`},
		{"net 10.1.2.3/8", layers.LinkTypeEthernet, `capture: filter: non-network bits set in "10.1.2.3/8" at column 5`},
		{"host 10.0.0.0/8", layers.LinkTypeEthernet, `capture: filter: mask syntax for networks only at column 6`},
		{"ip host ::1", layers.LinkTypeEthernet, `capture: filter: 'ip' modifier applied to ip6 host at column 9`},
		{"tcp host 1.2.3.4", layers.LinkTypeEthernet, `capture: filter: 'tcp' modifier applied to host at column 10`},
		{"port 1.2.3.4", layers.LinkTypeEthernet, `capture: filter: 'port' modifier applied to ip host at column 6`},
		{"host 00:11:22:33:44:55", layers.LinkTypeEthernet, `capture: filter: ethernet address used in non-ether expression at column 6`},
		{"ip[0] / 0 = 1", layers.LinkTypeEthernet, `capture: filter: division by zero at column 7`},
		{"ip[0] << 32 = 1", layers.LinkTypeEthernet, `capture: filter: shift by more than 31 bits at column 7`},
		{"tcp[0:3] = 1", layers.LinkTypeEthernet, `capture: filter: data size must be 1, 2, or 4 at column 7`},
		{"ip[0] = 4294967296", layers.LinkTypeEthernet, `capture: filter: number 4294967296 overflows 32 bits at column 9`},
		{"ip[0] = 08", layers.LinkTypeEthernet, `capture: filter: number 08 contains a non-octal digit at column 9`},
		{"ip[0] / (1 - 1) = 0", layers.LinkTypeEthernet, `capture: filter: division by zero at column 7`},
		{"ip[0] << (1 + 40) = 1", layers.LinkTypeEthernet, `capture: filter: shift by more than 31 bits at column 7`},
		{"0 != 0", layers.LinkTypeEthernet, `capture: filter: expression rejects all packets at column 1`},
		{"len", layers.LinkTypeEthernet, `capture: filter: expected a comparison operator after "len" at column 4`},
		{"tcp and", layers.LinkTypeEthernet, `capture: filter: expected an expression after "and" at column 8`},
		{"tcp $ udp", layers.LinkTypeEthernet, `capture: filter: unexpected character '$' at column 5`},
		{"gateway foo", layers.LinkTypeEthernet, `capture: filter: unsupported keyword "gateway" at column 1`},
		{"ether", layers.LinkTypeEthernet, `capture: filter: "ether" needs a qualifier such as "host", "proto" or "broadcast" at column 1`},
		{"broadcast", layers.LinkTypeNull, `capture: filter: link-layer broadcast filters are supported only on Ethernet, not on BSD loopback at column 1`},
		{"ip broadcast", layers.LinkTypeEthernet, `capture: filter: ip broadcast is not supported (it needs the interface netmask) at column 4`},
	}
	for _, c := range cases {
		_, err := CompileFilter(c.expr, c.lt, 65535)
		if err == nil {
			t.Errorf("%q: no error, want %s", c.expr, c.want)
			continue
		}
		var fe *FilterError
		if !errors.As(err, &fe) {
			t.Errorf("%q: error %T is not a *FilterError", c.expr, err)
			continue
		}
		if err.Error() != c.want {
			t.Errorf("%q:\n got %s\nwant %s", c.expr, err, c.want)
		}
		if fe.Expr != c.expr || fe.Column < 1 || fe.Column > len(c.expr)+1 {
			t.Errorf("%q: bad FilterError %+v", c.expr, fe)
		}
	}
	if _, err := CompileFilter("tcp", layers.LinkTypePPP, 0); err == nil {
		t.Errorf("link type PPP: no error")
	}
}

func TestCompileFilterLinkTypes(t *testing.T) {
	exprs := []string{"tcp port 80", "host 127.0.0.1", "ip6 and udp", "arp", "len > 60", "tcp[13] & 2 != 0", "icmp6[0] = 128", "not ip"}
	lts := []layers.LinkType{layers.LinkTypeEthernet, layers.LinkTypeLinuxSLL, layers.LinkTypeLinuxSLL2,
		layers.LinkTypeNull, layers.LinkTypeLoop, layers.LinkTypeRaw, layers.LinkTypeIPv4, layers.LinkTypeIPv6}
	for _, lt := range lts {
		for _, e := range exprs {
			prog, err := CompileFilter(e, lt, 0)
			if err != nil && strings.Contains(err.Error(), "expression rejects all packets") {
				continue // "arp" on raw IP, "ip6 and udp" on raw IPv4, ...
			}
			if err != nil {
				t.Errorf("link type %d %q: %v", lt, e, err)
				continue
			}
			if _, err := bpf.Assemble(prog); err != nil {
				t.Errorf("link type %d %q: assemble: %v", lt, e, err)
			}
			if _, err := bpf.NewVM(prog); err != nil {
				t.Errorf("link type %d %q: NewVM: %v", lt, e, err)
			}
			if r, ok := prog[len(prog)-1].(bpf.RetConstant); !ok || (r.Val != 0 && r.Val != fcDefaultSnapLen) {
				t.Errorf("link type %d %q: last instruction %v", lt, e, prog[len(prog)-1])
			}
		}
	}
	// "arp" cannot match on raw IP: an error, as in libpcap; "ip" always matches on raw IPv4
	if _, err := CompileFilter("arp", layers.LinkTypeRaw, 100); err == nil || !strings.Contains(err.Error(), "expression rejects all packets") {
		t.Errorf("arp on raw IP: err %v", err)
	}
	if prog, _ := CompileFilter("ip", layers.LinkTypeIPv4, 100); len(prog) != 1 || prog[0] != (bpf.RetConstant{Val: 100}) {
		t.Errorf("ip on raw IPv4: %v", prog)
	}
	// SLL2: protocol at 0, IP header at 20
	pkt := make([]byte, 20+20)
	binary.BigEndian.PutUint16(pkt, 0x0800)
	pkt[20] = 0x45
	copy(pkt[20+12:], []byte{127, 0, 0, 1})
	prog, err := CompileFilter("src host 127.0.0.1", layers.LinkTypeLinuxSLL2, 100)
	if err != nil || !fcRun(t, prog, pkt) {
		t.Errorf("SLL2 src host: err %v", err)
	}
	// LOOP: family in network byte order
	loop := append([]byte{0, 0, 0, 2}, pkt[20:]...)
	prog, err = CompileFilter("ip and src host 127.0.0.1", layers.LinkTypeLoop, 100)
	if err != nil || !fcRun(t, prog, loop) {
		t.Errorf("LOOP ip: err %v", err)
	}
}

// TestCompileFilterLongJumps checks the ja trampolines for jumps beyond 255
// instructions and the 4096-instruction limit.
func TestCompileFilterLongJumps(t *testing.T) {
	var parts []string
	for p := 1; p <= 40; p++ {
		parts = append(parts, fmt.Sprint(p))
	}
	expr := "port " + strings.Join(parts, " or ")
	prog, err := CompileFilter(expr, layers.LinkTypeEthernet, 65535)
	if err != nil {
		t.Fatal(err)
	}
	if len(prog) < 600 {
		t.Fatalf("program unexpectedly short: %d", len(prog))
	}
	if _, err := bpf.Assemble(prog); err != nil {
		t.Fatal(err)
	}
	jumps := 0
	for _, ins := range prog {
		if _, ok := ins.(bpf.Jump); ok {
			jumps++
		}
	}
	if jumps == 0 {
		t.Errorf("no ja trampolines in a %d-instruction program", len(prog))
	}
	b := fcTestPackets(t)
	var syn []byte
	for _, p := range b {
		if p.name == "ipv4-tcp-syn" {
			syn = fcFrames(layers.LinkTypeEthernet, p)[0]
		}
	}
	for _, c := range []struct {
		port uint16
		want bool
	}{{1, true}, {20, true}, {40, true}, {41, false}, {80, false}} {
		pkt := append([]byte(nil), syn...)
		binary.BigEndian.PutUint16(pkt[14+20+2:], c.port)
		if got := fcRun(t, prog, pkt); got != c.want {
			t.Errorf("dst port %d: got %v, want %v", c.port, got, c.want)
		}
	}
	// far too big
	parts = parts[:0]
	for p := 1; p <= 300; p++ {
		parts = append(parts, fmt.Sprint(p))
	}
	_, err = CompileFilter("port "+strings.Join(parts, " or "), layers.LinkTypeEthernet, 65535)
	if err == nil || !strings.Contains(err.Error(), "filter too large") {
		t.Errorf("300 ports: err = %v, want filter too large", err)
	}
}

// TestCompileFilterSize keeps common filters compact.
func TestCompileFilterSize(t *testing.T) {
	for expr, max := range map[string]int{"tcp port 80": 24, "port 80": 52, "host 10.0.0.1": 26, "tcp[13] & 2 != 0": 20} {
		prog, err := CompileFilter(expr, layers.LinkTypeEthernet, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(prog) > max {
			t.Errorf("%q: %d instructions, want <= %d", expr, len(prog), max)
		}
	}
}
