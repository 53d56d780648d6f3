package capture

import (
	"fmt"
	"net"
	"strconv"
	"strings"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"golang.org/x/net/bpf"

	"wiretap/capture/oracletest"
)

var (
	testMAC0 = net.HardwareAddr{0, 0, 0, 0, 0, 0}
	testIP4a = net.IPv4(127, 0, 0, 1)
	testIP4b = net.IPv4(127, 0, 0, 2)
	testIP6a = net.ParseIP("::1")
	testIP6b = net.ParseIP("fe80::2")
)

func serialize(t testing.TB, ls ...gopacket.SerializableLayer) []byte {
	t.Helper()
	buf := gopacket.NewSerializeBuffer()
	opts := gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}
	if err := gopacket.SerializeLayers(buf, opts, ls...); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func eth(typ layers.EthernetType) *layers.Ethernet {
	return &layers.Ethernet{SrcMAC: testMAC0, DstMAC: testMAC0, EthernetType: typ}
}

func ip4(proto layers.IPProtocol) *layers.IPv4 {
	return &layers.IPv4{Version: 4, IHL: 5, TTL: 64, Protocol: proto, SrcIP: testIP4a, DstIP: testIP4b}
}

func ip6(next layers.IPProtocol) *layers.IPv6 {
	return &layers.IPv6{Version: 6, HopLimit: 64, NextHeader: next, SrcIP: testIP6a, DstIP: testIP6b}
}

func tcp4(t testing.TB, src, dst uint16) []byte {
	ip := ip4(layers.IPProtocolTCP)
	tc := &layers.TCP{SrcPort: layers.TCPPort(src), DstPort: layers.TCPPort(dst), Seq: 1, SYN: true, Window: 1000}
	tc.SetNetworkLayerForChecksum(ip)
	return serialize(t, eth(layers.EthernetTypeIPv4), ip, tc, gopacket.Payload("hello"))
}

func tcp6(t testing.TB, src, dst uint16) []byte {
	ip := ip6(layers.IPProtocolTCP)
	tc := &layers.TCP{SrcPort: layers.TCPPort(src), DstPort: layers.TCPPort(dst), Seq: 1, ACK: true, Window: 1000}
	tc.SetNetworkLayerForChecksum(ip)
	return serialize(t, eth(layers.EthernetTypeIPv6), ip, tc, gopacket.Payload("hello"))
}

// filterPackets are hand-built Ethernet frames and whether
// 'tcp port 5683 or tcp port 5684' accepts each.
func filterPackets(t testing.TB) []struct {
	name   string
	data   []byte
	accept bool
} {
	udp := func() []byte {
		ip := ip4(layers.IPProtocolUDP)
		u := &layers.UDP{SrcPort: 5683, DstPort: 5683}
		u.SetNetworkLayerForChecksum(ip)
		return serialize(t, eth(layers.EthernetTypeIPv4), ip, u, gopacket.Payload("coap"))
	}
	// A non-first fragment of a TCP packet whose first payload bytes look
	// like a TCP header with port 5683 on both sides.
	frag := func(offset uint16) []byte {
		ip := ip4(layers.IPProtocolTCP)
		ip.FragOffset = offset
		return serialize(t, eth(layers.EthernetTypeIPv4), ip, gopacket.Payload([]byte{0x16, 0x33, 0x16, 0x33, 0, 0, 0, 1}))
	}
	// IPv4 with 4 bytes of options (IHL 6): ports are found through X.
	opts := func(dst uint16) []byte {
		ip := ip4(layers.IPProtocolTCP)
		ip.Options = []layers.IPv4Option{{OptionType: 1}, {OptionType: 1}, {OptionType: 1}, {OptionType: 0}}
		tc := &layers.TCP{SrcPort: 40000, DstPort: layers.TCPPort(dst), Seq: 1, Window: 1000}
		tc.SetNetworkLayerForChecksum(ip)
		return serialize(t, eth(layers.EthernetTypeIPv4), ip, tc)
	}
	udp6 := func() []byte {
		ip := ip6(layers.IPProtocolUDP)
		u := &layers.UDP{SrcPort: 5684, DstPort: 5684}
		u.SetNetworkLayerForChecksum(ip)
		return serialize(t, eth(layers.EthernetTypeIPv6), ip, u, gopacket.Payload("coap"))
	}
	arp := serialize(t, eth(layers.EthernetTypeARP), &layers.ARP{
		AddrType: layers.LinkTypeEthernet, Protocol: layers.EthernetTypeIPv4, HwAddressSize: 6, ProtAddressSize: 4,
		Operation: 1, SourceHwAddress: testMAC0, SourceProtAddress: testIP4a.To4(), DstHwAddress: testMAC0, DstProtAddress: testIP4b.To4(),
	})
	full := tcp4(t, 40000, 5683)
	return []struct {
		name   string
		data   []byte
		accept bool
	}{
		{"ipv4 tcp dst 5683", tcp4(t, 40000, 5683), true},
		{"ipv4 tcp src 5683", tcp4(t, 5683, 40000), true},
		{"ipv4 tcp dst 5684", tcp4(t, 40001, 5684), true},
		{"ipv4 tcp src 5684", tcp4(t, 5684, 40001), true},
		{"ipv4 tcp other ports", tcp4(t, 40000, 80), false},
		{"ipv4 tcp port 5685", tcp4(t, 5685, 5685), false},
		{"ipv6 tcp dst 5683", tcp6(t, 40000, 5683), true},
		{"ipv6 tcp src 5684", tcp6(t, 5684, 40000), true},
		{"ipv6 tcp other ports", tcp6(t, 40000, 443), false},
		{"ipv4 udp 5683", udp(), false},
		{"ipv6 udp 5684", udp6(), false},
		{"ipv4 non-first fragment", frag(10), false},
		{"ipv4 options dst 5683", opts(5683), true},
		{"ipv4 options dst 22", opts(22), false},
		{"arp", arp, false},
		{"truncated ipv4 tcp", full[:ethHdrLen+20+1], false},
		{"runt", []byte{0, 1, 2}, false},
	}
}

func TestTCPPortsFilter(t *testing.T) {
	vm, err := bpf.NewVM(TCPPortsFilter(5683, 5684, 5683))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range filterPackets(t) {
		n, err := vm.Run(p.data)
		if err != nil {
			t.Fatalf("%s: %v", p.name, err)
		}
		if got := n > 0; got != p.accept {
			t.Errorf("%s: accepted = %v, want %v", p.name, got, p.accept)
		}
		if n > 0 && n != MaxSnapLen {
			t.Errorf("%s: returns %d, want %d like tcpdump", p.name, n, MaxSnapLen)
		}
	}
}

// The same packets through the program tcpdump compiles (recorded in
// testdata/golden/TestTCPPortsFilterMatchesTcpdump).
func TestTCPPortsFilterMatchesTcpdump(t *testing.T) {
	tcpdump := oracletest.New(t, oracletest.Tcpdump)
	const expr = "tcp port 5683 or tcp port 5684"
	// -y EN10MB: compile for Ethernet without opening an interface.
	res, err := tcpdump.Run(oracletest.Input{}, "-y", "EN10MB", "-ddd", expr)
	if err == nil && res.Exit != 0 {
		err = fmt.Errorf("exit status %d", res.Exit)
	}
	if err != nil {
		t.Fatalf("tcpdump -ddd: %v\n%s", err, res.Stderr)
	}
	out := res.Stdout
	raw := parseDDD(t, string(out))
	ins, ok := bpf.Disassemble(raw)
	if !ok {
		t.Fatalf("could not disassemble tcpdump's program:\n%s", out)
	}
	ref, err := bpf.NewVM(ins)
	if err != nil {
		t.Fatal(err)
	}
	ours, err := bpf.NewVM(TCPPortsFilter(5683, 5684))
	if err != nil {
		t.Fatal(err)
	}
	compared := 0
	for _, p := range filterPackets(t) {
		want, err := ref.Run(p.data)
		if err != nil {
			t.Fatalf("%s: tcpdump program: %v", p.name, err)
		}
		got, err := ours.Run(p.data)
		if err != nil {
			t.Fatalf("%s: %v", p.name, err)
		}
		if got != want {
			t.Errorf("%s: ours returns %d, tcpdump's %d", p.name, got, want)
		}
		if (want > 0) != p.accept {
			t.Errorf("%s: the test table says accept=%v, tcpdump disagrees", p.name, p.accept)
		}
		compared++
	}
	tcpdump.Done(compared)
}

// parseDDD parses `tcpdump -ddd` output: a count, then "code jt jf k" lines.
func parseDDD(t *testing.T, s string) []bpf.RawInstruction {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(s), "\n")
	n, err := strconv.Atoi(strings.TrimSpace(lines[0]))
	if err != nil || n != len(lines)-1 {
		t.Fatalf("bad -ddd output (count %q, %d lines):\n%s", lines[0], len(lines)-1, s)
	}
	var raw []bpf.RawInstruction
	for _, line := range lines[1:] {
		f := strings.Fields(line)
		if len(f) != 4 {
			t.Fatalf("bad -ddd line %q", line)
		}
		var v [4]uint64
		for i, x := range f {
			if v[i], err = strconv.ParseUint(x, 10, 32); err != nil {
				t.Fatalf("bad -ddd line %q: %v", line, err)
			}
		}
		raw = append(raw, bpf.RawInstruction{Op: uint16(v[0]), Jt: uint8(v[1]), Jf: uint8(v[2]), K: uint32(v[3])})
	}
	return raw
}

func TestTCPPortsFilterShapes(t *testing.T) {
	// No ports: nothing matches.
	vm, err := bpf.NewVM(TCPPortsFilter())
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := vm.Run(tcp4(t, 5683, 5683)); n != 0 {
		t.Errorf("empty port list accepted a packet")
	}
	// Many ports: every jump stays short, the program assembles, and the
	// last port still matches.
	var ports []uint16
	for p := uint16(1500); p < 1900; p++ {
		ports = append(ports, p)
	}
	prog := TCPPortsFilter(ports...)
	if _, err := bpf.Assemble(prog); err != nil {
		t.Fatal(err)
	}
	if _, err := kernelProgram(prog, MaxSnapLen); err != nil {
		t.Fatal(err)
	}
	vm, err = bpf.NewVM(prog)
	if err != nil {
		t.Fatal(err)
	}
	for _, pkt := range [][]byte{tcp4(t, 40000, 1899), tcp6(t, 1899, 40000)} {
		if n, _ := vm.Run(pkt); n == 0 {
			t.Errorf("port 1899 not matched with %d ports", len(ports))
		}
	}
	// Too many ports for the kernel.
	for p := uint16(2000); p < 3000; p++ {
		ports = append(ports, p)
	}
	if _, err := kernelProgram(TCPPortsFilter(ports...), MaxSnapLen); err == nil || !strings.Contains(err.Error(), "at most") {
		t.Errorf("oversized program: %v", err)
	}
}

func TestKernelProgram(t *testing.T) {
	// nil filter: the outgoing check, then accept with the snap length.
	raw, err := kernelProgram(nil, 1000)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := bpf.Assemble([]bpf.Instruction{
		bpf.LoadExtension{Num: bpf.ExtType},
		bpf.JumpIf{Cond: bpf.JumpEqual, Val: 4, SkipFalse: 1},
		bpf.RetConstant{Val: 0},
		bpf.RetConstant{Val: 1000},
	})
	if len(raw) != len(want) {
		t.Fatalf("got %v", raw)
	}
	for i := range raw {
		if raw[i] != want[i] {
			t.Errorf("instruction %d: %v, want %v", i, raw[i], want[i])
		}
	}
	// `ld [type]` is what tcpdump writes `ldh [-4092]` for: k = SKF_AD_OFF + SKF_AD_PKTTYPE.
	if raw[0].K != 0xfffff004 {
		t.Errorf("packet type load k = %#x", raw[0].K)
	}

	// A filter's accepting returns are capped at the snap length, also in
	// raw instructions; rejecting ones stay 0.
	raw, err = kernelProgram([]bpf.Instruction{
		bpf.LoadAbsolute{Off: 12, Size: 2},
		bpf.JumpIf{Cond: bpf.JumpEqual, Val: 0x800, SkipFalse: 1},
		bpf.RetConstant{Val: MaxSnapLen},
		bpf.RawInstruction{Op: 0x06, K: 0xffffffff},
		bpf.RetConstant{Val: 0},
	}, 96)
	if err != nil {
		t.Fatal(err)
	}
	if raw[5].K != 96 || raw[6].K != 96 || raw[7].K != 0 {
		t.Errorf("returns not capped: %v", raw[5:])
	}

	for name, bad := range map[string][]bpf.Instruction{
		"jump past end": {bpf.JumpIf{Cond: bpf.JumpEqual, Val: 1, SkipTrue: 5}, bpf.RetConstant{Val: 1}},
		"ja past end":   {bpf.Jump{Skip: 3}, bpf.RetConstant{Val: 1}},
		"no return":     {bpf.RetConstant{Val: 1}, bpf.LoadAbsolute{Off: 0, Size: 1}},
		"bad size":      {bpf.LoadAbsolute{Off: 0, Size: 3}, bpf.RetConstant{Val: 1}},
	} {
		if _, err := kernelProgram(bad, 100); err == nil || !strings.HasPrefix(err.Error(), "capture: invalid filter") {
			t.Errorf("%s: err = %v", name, err)
		}
	}
}
