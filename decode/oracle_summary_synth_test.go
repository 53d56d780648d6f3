package decode

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"net/netip"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"wiretap/decode/decodetest"
)

// Synthetic captures for the summary oracle (TestOracleSummary): packets
// of the layers the shared captures lack (ICMP, ARP, ICMPv6, VLAN,
// fragments, odd TCP flags, other link types), built in code and
// written as pcap files for tshark.

// sumPkt is one packet of a synthetic capture: the bytes, and the
// length on the wire when the capture cut it (0: not cut).
type sumPkt struct {
	data []byte
	wire int
}

// sumCapture is a synthetic capture of one link type.
type sumCapture struct {
	lt   layers.LinkType
	pkts []sumPkt
}

var (
	sumMAC1  = []byte{0x00, 0x11, 0x22, 0x33, 0x44, 0x55}
	sumMAC2  = []byte{0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb}
	sumBcast = []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}
)

// p2 is the synthetic packets' destination port.
const p2 = 45679

func sumEth(typ uint16, payload []byte) []byte {
	b := append(append(append([]byte{}, sumMAC1...), sumMAC2...), byte(typ>>8), byte(typ))
	return append(b, payload...)
}

func sumAddr(s string) []byte { return netip.MustParseAddr(s).AsSlice() }

// sumIPv4 is an IPv4 header (with its checksum) and payload; fw is the
// flags and fragment offset word.
func sumIPv4(proto uint8, src, dst string, id, fw uint16, ttl uint8, payload []byte) []byte {
	h := make([]byte, 20)
	h[0] = 0x45
	binary.BigEndian.PutUint16(h[2:], uint16(20+len(payload)))
	binary.BigEndian.PutUint16(h[4:], id)
	binary.BigEndian.PutUint16(h[6:], fw)
	h[8], h[9] = ttl, proto
	copy(h[12:], sumAddr(src))
	copy(h[16:], sumAddr(dst))
	binary.BigEndian.PutUint16(h[10:], inetChecksum(0, h))
	return append(h, payload...)
}

func sumIPv6(nxt uint8, src, dst string, payload []byte) []byte {
	h := make([]byte, 40)
	h[0] = 0x60
	binary.BigEndian.PutUint16(h[4:], uint16(len(payload)))
	h[6], h[7] = nxt, 64
	copy(h[8:], sumAddr(src))
	copy(h[24:], sumAddr(dst))
	return append(h, payload...)
}

func sumUDP(sp, dp uint16, payload []byte) []byte {
	h := make([]byte, 8)
	binary.BigEndian.PutUint16(h, sp)
	binary.BigEndian.PutUint16(h[2:], dp)
	binary.BigEndian.PutUint16(h[4:], uint16(8+len(payload)))
	return append(h, payload...)
}

// sumTCP is a TCP header with options (padded to 4 bytes) and payload.
func sumTCP(sp, dp uint16, seq, ack uint32, flags, win, urg uint16, opts, payload []byte) []byte {
	for len(opts)%4 != 0 {
		opts = append(opts, 1)
	}
	h := make([]byte, 20)
	binary.BigEndian.PutUint16(h, sp)
	binary.BigEndian.PutUint16(h[2:], dp)
	binary.BigEndian.PutUint32(h[4:], seq)
	binary.BigEndian.PutUint32(h[8:], ack)
	h[12] = byte((20+len(opts))/4<<4) | byte(flags>>8&0x0f)
	h[13] = byte(flags)
	binary.BigEndian.PutUint16(h[14:], win)
	binary.BigEndian.PutUint16(h[18:], urg)
	return append(append(h, opts...), payload...)
}

// sumICMP is an ICMP message with its checksum: type, code, the four
// bytes after the checksum, and the body.
func sumICMP(typ, code uint8, rest uint32, body []byte) []byte {
	m := []byte{typ, code, 0, 0, 0, 0, 0, 0}
	binary.BigEndian.PutUint32(m[4:], rest)
	m = append(m, body...)
	binary.BigEndian.PutUint16(m[2:], inetChecksum(0, m))
	return m
}

// sumICMPv6 is an ICMPv6 message with its checksum over the pseudo-header.
func sumICMPv6(src, dst string, typ, code uint8, rest uint32, body []byte) []byte {
	m := []byte{typ, code, 0, 0, 0, 0, 0, 0}
	binary.BigEndian.PutUint32(m[4:], rest)
	m = append(m, body...)
	var sum uint32
	for _, a := range [][]byte{sumAddr(src), sumAddr(dst)} {
		for i := 0; i < 16; i += 2 {
			sum += uint32(a[i])<<8 | uint32(a[i+1])
		}
	}
	sum += uint32(len(m)) + 58
	binary.BigEndian.PutUint16(m[2:], inetChecksum(sum, m))
	return m
}

func sumARP(op uint16, sha []byte, spa string, tha []byte, tpa string) []byte {
	b := []byte{0, 1, 8, 0, 6, 4, byte(op >> 8), byte(op)}
	b = append(b, sha...)
	b = append(b, sumAddr(spa)...)
	b = append(b, tha...)
	return append(b, sumAddr(tpa)...)
}

func sumEth4(proto uint8, src, dst string, payload []byte) sumPkt {
	return sumPkt{data: sumEth(0x0800, sumIPv4(proto, src, dst, 0x1234, 0x4000, 64, payload))}
}

func sumEth6(nxt uint8, src, dst string, payload []byte) sumPkt {
	return sumPkt{data: sumEth(0x86dd, sumIPv6(nxt, src, dst, payload))}
}

// TCP option bytes.
var (
	sumOptMSS  = []byte{2, 4, 0x05, 0xb4}
	sumOptSACK = []byte{4, 2}
	sumOptTS   = []byte{8, 10, 0, 0, 0, 1, 0, 0, 0, 0}
	sumOptWS   = []byte{1, 3, 3, 7}
)

func sumJoin(bs ...[]byte) []byte {
	var out []byte
	for _, b := range bs {
		out = append(out, b...)
	}
	return out
}

// sumUDP6 is a UDP header and payload with the checksum IPv6 requires.
func sumUDP6(src, dst string, sp, dp uint16, payload []byte) []byte {
	u := sumUDP(sp, dp, payload)
	var sum uint32
	for _, a := range [][]byte{sumAddr(src), sumAddr(dst)} {
		for i := 0; i < 16; i += 2 {
			sum += uint32(a[i])<<8 | uint32(a[i+1])
		}
	}
	sum += uint32(len(u)) + 17
	binary.BigEndian.PutUint16(u[6:], inetChecksum(sum, u))
	return u
}

// sumSLL is a Linux cooked capture v1 header: packet type, address type,
// address, protocol.
func sumSLL(pkt, ha uint16, addr []byte, proto uint16) []byte {
	h := make([]byte, 16)
	binary.BigEndian.PutUint16(h, pkt)
	binary.BigEndian.PutUint16(h[2:], ha)
	binary.BigEndian.PutUint16(h[4:], uint16(len(addr)))
	copy(h[6:14], addr)
	binary.BigEndian.PutUint16(h[14:], proto)
	return h
}

// sumSLL2 is a Linux cooked capture v2 header.
func sumSLL2(proto uint16, ifindex uint32, ha uint16, pkt uint8, addr []byte) []byte {
	h := make([]byte, 20)
	binary.BigEndian.PutUint16(h, proto)
	binary.BigEndian.PutUint32(h[4:], ifindex)
	binary.BigEndian.PutUint16(h[8:], ha)
	h[10], h[11] = pkt, byte(len(addr))
	copy(h[12:], addr)
	return h
}

// summaryCaptures are the synthetic captures, by name. Ports are chosen
// that no dissector of tshark's claims (45678, 45679).
func summaryCaptures() map[string]sumCapture {
	const a, b, c = "192.168.0.1", "192.168.0.2", "192.168.0.3"
	const a6, b6, c6 = "2001:db8::1", "2001:db8::2", "2001:db8::3"
	const p1 = 45678
	quotedUDP := sumIPv4(17, b, a, 0x4321, 0, 64, sumUDP(p1, 53, []byte("query")))
	quotedTCP := sumIPv4(6, b, a, 0x4322, 0, 1, sumTCP(p1, 80, 1000, 0, thSYN, 1024, 0, nil, nil))
	quoted6 := sumIPv6(17, b6, a6, sumUDP6(b6, a6, p1, 53, []byte("query")))
	echo := []byte("abcdefgh")
	req := func(src, dst string, id, seq uint16, data []byte) sumPkt {
		return sumEth4(1, src, dst, sumICMP(8, 0, uint32(id)<<16|uint32(seq), data))
	}
	rep := func(src, dst string, id, seq uint16, data []byte) sumPkt {
		return sumEth4(1, src, dst, sumICMP(0, 0, uint32(id)<<16|uint32(seq), data))
	}
	req6 := func(src, dst string, id, seq uint16, data []byte) sumPkt {
		return sumEth6(58, src, dst, sumICMPv6(src, dst, 128, 0, uint32(id)<<16|uint32(seq), data))
	}
	rep6 := func(src, dst string, id, seq uint16, data []byte) sumPkt {
		return sumEth6(58, src, dst, sumICMPv6(src, dst, 129, 0, uint32(id)<<16|uint32(seq), data))
	}
	tcpCut := func(sp uint16, captured int) sumPkt {
		f := sumEth(0x0800, sumIPv4(6, a, b, 3, 0x4000, 64, sumTCP(sp, p2, 1, 1, thACK|thPSH, 100, 0, nil, make([]byte, 100))))
		return sumPkt{data: f[:54+captured], wire: len(f)}
	}
	tcpShort := func(sp uint16, n int, snap bool) sumPkt {
		f := sumEth(0x0800, sumIPv4(6, a, b, 4, 0x4000, 64, sumTCP(sp, p2, 1, 1, thACK|thPSH, 100, 0, nil, make([]byte, 20))))
		p := sumPkt{data: f[:34+n]}
		if snap {
			p.wire = len(f)
		}
		return p
	}
	ipLen := func(proto uint8, payload []byte, tl uint16) sumPkt {
		h := sumIPv4(proto, a, b, 5, 0, 64, payload)
		binary.BigEndian.PutUint16(h[2:], tl)
		return sumPkt{data: sumEth(0x0800, h)}
	}
	caps := map[string]sumCapture{
		"eth": {lt: layers.LinkTypeEthernet, pkts: []sumPkt{
			{data: sumEth(0x1234, []byte("an ethertype no dissector knows"))},
			{data: sumEth(0x0c0d, []byte{1, 2})},
			{data: sumEth(0x1234, nil)},
			{data: sumMAC1[:5]},
			{data: sumEth(0x1234, nil)[:12]},
			{data: sumEth(0x1234, nil)[:13]},
			{data: sumEth(0x0800, nil)},
			{data: sumEth(0x0800, []byte{0x45, 0, 0})},
		}},
		"arp": {lt: layers.LinkTypeEthernet, pkts: []sumPkt{
			{data: append(append(append([]byte{}, sumBcast...), sumMAC2...), sumJoin([]byte{8, 6}, sumARP(1, sumMAC2, a, make([]byte, 6), b))...)},
			{data: sumEth(0x0806, sumARP(2, sumMAC1, b, sumMAC2, a))},
			{data: sumEth(0x0806, sumARP(1, sumMAC2, a, make([]byte, 6), a))},
			{data: sumEth(0x0806, sumARP(1, sumMAC2, a, sumBcast, a))},
			{data: sumEth(0x0806, sumARP(2, sumMAC2, a, sumBcast, a))},
			{data: sumEth(0x0806, sumARP(1, sumMAC2, "0.0.0.0", make([]byte, 6), b))},
			{data: sumEth(0x0806, sumARP(3, sumMAC2, a, sumMAC2, a))},
			{data: sumEth(0x0806, sumARP(4, sumMAC1, b, sumMAC2, a))},
			{data: sumEth(0x0806, sumARP(8, sumMAC2, a, sumMAC1, b))},
			{data: sumEth(0x0806, sumARP(9, sumMAC1, b, sumMAC2, a))},
			{data: sumEth(0x0806, sumARP(99, sumMAC2, a, sumMAC1, b))},
			{data: sumEth(0x0806, sumARP(2, sumMAC2, a, sumMAC1, b)[:20])},
			{data: sumEth(0x0806, []byte{0, 1, 8, 0})},
		}},
		"icmp": {lt: layers.LinkTypeEthernet, pkts: []sumPkt{
			req(a, b, 0x1a2b, 1, echo),
			rep(b, a, 0x1a2b, 1, echo),
			rep(b, a, 0x1a2b, 0x100, echo),
			sumEth4(1, a, b, sumICMP(3, 3, 0, quotedUDP)),
			sumEth4(1, a, b, sumICMP(3, 1, 0, quotedTCP)),
			sumEth4(1, a, b, sumICMP(3, 4, 1400, quotedUDP)),
			sumEth4(1, a, b, sumICMP(3, 13, 0, quotedUDP)),
			sumEth4(1, a, b, sumICMP(3, 99, 0, quotedUDP)),
			sumEth4(1, a, b, sumICMP(11, 0, 0, quotedTCP)),
			sumEth4(1, a, b, sumICMP(11, 1, 0, quotedUDP)),
			sumEth4(1, a, b, sumICMP(5, 1, 0xc0a80003, quotedUDP)),
			sumEth4(1, a, b, sumICMP(5, 9, 0xc0a80003, quotedUDP)),
			sumEth4(1, a, b, sumICMP(12, 0, 0x14000000, quotedUDP)),
			sumEth4(1, a, b, sumICMP(12, 2, 0x14000000, quotedUDP)),
			sumEth4(1, a, b, sumICMP(4, 0, 0, quotedUDP)),
			sumEth4(1, a, b, sumICMP(13, 0, 0x00070001, make([]byte, 12))),
			sumEth4(1, b, a, sumICMP(14, 0, 0x00070001, make([]byte, 12))),
			sumEth4(1, a, b, sumICMP(15, 0, 0x00070002, nil)),
			sumEth4(1, a, b, sumICMP(17, 0, 0x00080001, make([]byte, 4))),
			sumEth4(1, b, a, sumICMP(18, 0, 0x00080001, make([]byte, 4))),
			sumEth4(1, a, b, sumICMP(10, 0, 0, nil)),
			sumEth4(1, a, b, sumICMP(9, 0, 0x01021800, []byte{192, 168, 0, 254, 0, 0, 0, 0})),
			sumEth4(1, a, b, sumICMP(9, 16, 0x01021800, []byte{192, 168, 0, 254, 0, 0, 0, 0})),
			sumEth4(1, a, b, sumICMP(6, 0, 0, nil)),
			sumEth4(1, a, b, sumICMP(30, 0, 0, make([]byte, 12))),
			sumEth4(1, a, b, sumICMP(40, 2, 0, nil)),
			sumEth4(1, a, b, sumICMP(99, 0, 0, echo)),
			sumEth4(1, a, b, []byte{8, 0, 0}),
			sumEth4(1, a, b, sumICMP(8, 0, 0x1a2b0002, echo)[:6]),
		}},
		// Echo requests and replies, paired as Wireshark pairs them.
		"echo": {lt: layers.LinkTypeEthernet, pkts: []sumPkt{
			req(a, b, 1, 1, echo), rep(b, a, 1, 1, echo),
			req(a, b, 1, 2, echo),
			rep(b, a, 1, 3, echo),
			req(a, b, 1, 4, echo), req(a, b, 1, 4, echo), rep(b, a, 1, 4, echo),
			req(a, b, 1, 5, echo), rep(b, a, 1, 5, []byte("other data")),
			req(a, b, 2, 1, echo), rep(c, a, 2, 1, echo),
			rep(b, a, 3, 1, echo), req(a, b, 3, 1, echo),
			req(a, b, 4, 1, echo), rep(b, a, 4, 1, echo), rep(b, a, 4, 1, echo),
			req(a, b, 5, 1, nil), rep(b, a, 5, 1, nil),
			req6(a6, b6, 1, 1, echo), rep6(b6, a6, 1, 1, echo),
			req6(a6, b6, 1, 2, echo),
			rep6(b6, a6, 1, 3, echo),
			req6(a6, b6, 1, 5, echo), rep6(b6, a6, 1, 5, []byte("xx")),
			req6(a6, b6, 2, 1, echo), rep6(c6, a6, 2, 1, echo),
			req6(a6, b6, 4, 1, echo), rep6(b6, a6, 4, 1, echo), rep6(b6, a6, 4, 1, echo),
		}},
		"icmpv6": {lt: layers.LinkTypeEthernet, pkts: []sumPkt{
			sumEth6(58, a6, "ff02::1:ff00:2", sumICMPv6(a6, "ff02::1:ff00:2", 135, 0, 0, sumJoin(sumAddr(b6), []byte{1, 1}, sumMAC2))),
			sumEth6(58, a6, b6, sumICMPv6(a6, b6, 135, 0, 0, sumAddr(b6))),
			sumEth6(58, b6, a6, sumICMPv6(b6, a6, 136, 0, 0x60000000, sumJoin(sumAddr(b6), []byte{2, 1}, sumMAC1))),
			sumEth6(58, b6, a6, sumICMPv6(b6, a6, 136, 0, 0xe0000000, sumAddr(b6))),
			sumEth6(58, b6, a6, sumICMPv6(b6, a6, 136, 0, 0, sumAddr(b6))),
			sumEth6(58, "fe80::1", "ff02::2", sumICMPv6("fe80::1", "ff02::2", 133, 0, 0, sumJoin([]byte{1, 1}, sumMAC2))),
			sumEth6(58, "fe80::1", "ff02::2", sumICMPv6("fe80::1", "ff02::2", 133, 0, 0, nil)),
			sumEth6(58, "fe80::2", "ff02::1", sumICMPv6("fe80::2", "ff02::1", 134, 0, 0x40000708, sumJoin(make([]byte, 8), []byte{1, 1}, sumMAC1))),
			sumEth6(58, a6, b6, sumICMPv6(a6, b6, 1, 4, 0, quoted6)),
			sumEth6(58, a6, b6, sumICMPv6(a6, b6, 1, 3, 0, quoted6)),
			sumEth6(58, a6, b6, sumICMPv6(a6, b6, 1, 0, 0, quoted6)),
			sumEth6(58, a6, b6, sumICMPv6(a6, b6, 1, 9, 0, quoted6)),
			sumEth6(58, a6, b6, sumICMPv6(a6, b6, 2, 0, 1280, quoted6)),
			sumEth6(58, a6, b6, sumICMPv6(a6, b6, 3, 0, 0, quoted6)),
			sumEth6(58, a6, b6, sumICMPv6(a6, b6, 3, 5, 0, quoted6)),
			sumEth6(58, a6, b6, sumICMPv6(a6, b6, 4, 1, 6, quoted6)),
			sumEth6(58, a6, b6, sumICMPv6(a6, b6, 200, 0, 0, nil)),
			sumEth6(58, a6, b6, sumICMPv6(a6, b6, 99, 0, 0, nil)),
			sumEth6(58, a6, b6, sumICMPv6(a6, b6, 128, 0, 0x00770003, echo)[:6]),
		}},
		"ipv4": {lt: layers.LinkTypeEthernet, pkts: []sumPkt{
			// A UDP datagram in three fragments, out of order.
			{data: sumEth(0x0800, sumIPv4(17, a, b, 0xbeef, 0x2000, 64, sumUDP(p1, p2, make([]byte, 40))[:16]))},
			{data: sumEth(0x0800, sumIPv4(17, a, b, 0xbeef, 4, 64, make([]byte, 16)))},
			{data: sumEth(0x0800, sumIPv4(17, a, b, 0xbeef, 0x2002, 64, make([]byte, 16)))},
			// The first and last fragments of datagrams never completed.
			{data: sumEth(0x0800, sumIPv4(6, a, b, 0xcafe, 0x2000, 64, make([]byte, 24)))},
			{data: sumEth(0x0800, sumIPv4(17, a, b, 0xf00d, 0x0010, 64, make([]byte, 24)))},
			// A protocol without a dissector.
			sumEth4(253, a, b, []byte("experiment")),
			// A header length under 20, a total length under the header's.
			{data: sumEth(0x0800, func() []byte { h := sumIPv4(17, a, b, 1, 0, 64, sumUDP(p1, p2, nil)); h[0] = 0x44; return h }())},
			ipLen(17, sumUDP(p1, p2, nil), 12),
			// Total lengths past the frame, and a header with nothing after it.
			ipLen(17, sumUDP(p1, p2, []byte("abcd")), 200),
			ipLen(6, sumTCP(p1, p2, 1, 1, thACK|thPSH, 100, 0, nil, make([]byte, 10)), 200),
			ipLen(17, sumUDP(p1, p2, []byte("abcd"))[:2], 200),
			ipLen(17, nil, 128),
			ipLen(17, nil, 20),
			// UDP: empty, length fields under 8 and past the IP payload,
			// a short header, a payload the snap length cut.
			sumEth4(17, a, b, sumUDP(p1, p2, nil)),
			sumEth4(17, a, b, func() []byte { u := sumUDP(p1, p2, []byte("abcd")); u[5] = 4; return u }()),
			sumEth4(17, a, b, func() []byte { u := sumUDP(p1, p2, []byte("abcd")); u[5] = 50; return u }()),
			sumEth4(17, a, b, sumUDP(p1, p2, make([]byte, 100))[:6]),
			sumEth4(17, a, b, sumUDP(p1, p2, make([]byte, 100))[:3]),
			{data: sumEth(0x0800, sumIPv4(17, a, b, 2, 0, 64, sumUDP(p1, p2, make([]byte, 100))))[:60], wire: 142},
		}},
		"ipv6": {lt: layers.LinkTypeEthernet, pkts: []sumPkt{
			// The first fragment of a datagram never completed, and a later one.
			sumEth6(44, a6, b6, sumJoin([]byte{17, 0, 0, 1, 0, 0, 0, 7}, sumUDP(p1, p2, make([]byte, 16)))),
			sumEth6(44, a6, b6, sumJoin([]byte{17, 0, 0, 0x30, 0, 0, 0, 8}, make([]byte, 16))),
			// An atomic fragment, destination options, no next header.
			sumEth6(44, a6, b6, sumJoin([]byte{17, 0, 0, 0, 0, 0, 0, 9}, sumUDP6(a6, b6, p1, p2, []byte("x")))),
			sumEth6(60, a6, b6, sumJoin([]byte{17, 0, 1, 4, 0, 0, 0, 0}, sumUDP6(a6, b6, p1, p2, []byte("x")))),
			sumEth6(59, a6, b6, nil),
			sumEth6(59, a6, b6, []byte("trailing")),
			sumEth6(253, a6, b6, []byte("experiment")),
			sumEth6(17, a6, b6, sumUDP6(a6, b6, p1, p2, []byte("hello"))),
			sumEth6(17, a6, b6, sumUDP(p1, p2, []byte("hello"))),
			{data: sumEth(0x86dd, sumIPv6(17, a6, b6, sumUDP6(a6, b6, p1, p2, []byte("hello"))))[:44]},
			{data: sumEth(0x86dd, sumIPv6(17, a6, b6, sumUDP6(a6, b6, p1, p2, []byte("hello"))))[:34]},
		}},
		"tcp": {lt: layers.LinkTypeEthernet, pkts: []sumPkt{
			sumEth4(6, a, b, sumTCP(40000, 80, 1000, 0, thSYN, 64240, 0, sumJoin(sumOptMSS, sumOptSACK, sumOptTS, sumOptWS), nil)),
			sumEth4(6, a, b, sumTCP(40001, 81, 1000, 0, thSYN|thECE|thCWR, 64240, 0, sumOptMSS, nil)),
			sumEth4(6, b, a, sumTCP(81, 40001, 7000, 1001, thSYN|thACK|thECE, 65535, 0, sumOptMSS, nil)),
			sumEth4(6, a, b, sumTCP(40002, 82, 1, 1, thACK|thPSH|thURG, 512, 3, nil, []byte("urgent"))),
			sumEth4(6, a, b, sumTCP(40003, 83, 1, 0, 0, 1024, 0, nil, nil)),
			sumEth4(6, a, b, sumTCP(40004, 84, 1, 0, thFIN|thPSH|thURG, 1024, 0, nil, nil)),
			sumEth4(6, a, b, sumTCP(40005, 85, 1, 0, thRST, 0, 0, nil, nil)),
			sumEth4(6, a, b, sumTCP(40006, 86, 1, 5, thRST|thACK, 0, 0, nil, nil)),
			sumEth4(6, a, b, sumTCP(40007, 87, 1, 5, thACK|thNS, 100, 0, nil, nil)),
			sumEth4(6, a, b, sumTCP(40008, 88, 1, 5, thACK|0x200, 100, 0, nil, nil)),
			sumEth4(6, a, b, sumTCP(40009, 89, 1, 0, thSYN|thFIN, 100, 0, nil, nil)),
			sumEth4(6, a, b, func() []byte { t := sumTCP(40010, 90, 1, 0, thSYN, 100, 0, nil, nil); t[12] = 0x40; return t }()),
			sumEth4(6, a, b, func() []byte { t := sumTCP(40011, 91, 1, 7, thACK, 100, 0, nil, nil); t[12] = 0x40; return t }()),
			sumEth4(6, a, b, sumTCP(40012, 92, 1, 1, thACK, 100, 0, []byte{5, 10, 0, 0, 0, 10, 0, 0, 0, 20}, nil)),
			sumEth4(6, a, b, sumTCP(40013, 93, 1, 1, thACK, 100, 0, sumOptTS, nil)[:28]),
			tcpShort(40020, 2, false), tcpShort(40021, 4, false), tcpShort(40022, 13, false), tcpShort(40023, 15, false),
			tcpShort(40024, 16, false), tcpShort(40025, 19, false),
			tcpShort(40026, 4, true), tcpShort(40027, 16, true),
			tcpCut(40030, 0), tcpCut(40031, 1), tcpCut(40032, 7), tcpCut(40033, 8), tcpCut(40034, 26),
		}},
		"vlan": {lt: layers.LinkTypeEthernet, pkts: []sumPkt{
			{data: sumEth(0x8100, sumJoin([]byte{0x60, 0x64, 0x08, 0x00}, sumIPv4(17, a, b, 1, 0, 64, sumUDP(p1, p2, []byte("vlan")))))},
			{data: sumEth(0x8100, sumJoin([]byte{0x00, 0x0a, 0x12, 0x34}, []byte("unknown in vlan")))},
			{data: sumEth(0x88a8, sumJoin([]byte{0x00, 0x64, 0x81, 0x00, 0x00, 0xc8, 0x08, 0x06}, sumARP(1, sumMAC2, a, make([]byte, 6), b)))},
			{data: sumEth(0x8100, []byte{0x00, 0x0a})},
			{data: sumEth(0x8100, []byte{0x00, 0x0a, 0x12})},
			{data: sumEth(0x8100, []byte{0x00})},
		}},
		"null": {lt: layers.LinkTypeNull, pkts: []sumPkt{
			{data: sumJoin([]byte{2, 0, 0, 0}, sumIPv4(17, a, b, 1, 0, 64, sumUDP(p1, p2, []byte("null"))))},
			{data: sumJoin([]byte{30, 0, 0, 0}, sumIPv6(17, a6, b6, sumUDP6(a6, b6, p1, p2, []byte("null6"))))},
			{data: sumJoin([]byte{24, 0, 0, 0}, sumIPv6(17, a6, b6, sumUDP6(a6, b6, p1, p2, []byte("null6"))))},
			{data: sumJoin([]byte{99, 0, 0, 0}, []byte("unknown family"))},
			{data: []byte{2, 0}},
		}},
		"raw": {lt: layers.LinkTypeRaw, pkts: []sumPkt{
			{data: sumIPv4(17, a, b, 1, 0, 64, sumUDP(p1, p2, []byte("raw")))},
			{data: sumIPv6(17, a6, b6, sumUDP6(a6, b6, p1, p2, []byte("raw")))},
			{data: []byte{0x50, 1, 2, 3}},
			{data: []byte{0x50, 1, 2, 3, 4, 5, 6, 7, 8, 9}},
		}},
		"sll": {lt: layers.LinkTypeLinuxSLL, pkts: []sumPkt{
			{data: sumJoin(sumSLL(4, 1, sumMAC2, 0x0800), sumIPv4(17, a, b, 1, 0, 64, sumUDP(p1, p2, []byte("sll"))))},
			{data: sumJoin(sumSLL(0, 772, make([]byte, 6), 0x86dd), sumIPv6(17, a6, b6, sumUDP6(a6, b6, p1, p2, []byte("sll"))))},
			{data: sumJoin(sumSLL(0, 1, sumMAC2, 0x1234), []byte("unknown"))},
			{data: sumJoin(sumSLL(1, 1, sumMAC2, 0x1234), []byte("unknown"))},
			{data: sumJoin(sumSLL(2, 1, sumMAC2, 0x1234), []byte("unknown"))},
			{data: sumJoin(sumSLL(3, 1, sumMAC2, 0x1234), []byte("unknown"))},
			{data: sumJoin(sumSLL(7, 1, sumMAC2, 0x1234), []byte("unknown"))},
			{data: sumJoin(sumSLL(4, 512, nil, 0x1234), []byte("unknown"))},
			{data: sumJoin(sumSLL(0, 1, sumMAC2, 0x0806), sumARP(1, sumMAC2, a, make([]byte, 6), b))},
			{data: sumSLL(4, 1, sumMAC2, 0x1234)[:4]},
			{data: sumSLL(4, 1, sumMAC2, 0x1234)[:10]},
			{data: sumSLL(3, 1, sumMAC2, 0x1234)[:15]},
		}},
		"sll2": {lt: layers.LinkTypeLinuxSLL2, pkts: []sumPkt{
			{data: sumJoin(sumSLL2(0x86dd, 2, 1, 4, sumMAC2), sumIPv6(17, a6, b6, sumUDP6(a6, b6, p1, p2, []byte("sll2"))))},
			{data: sumJoin(sumSLL2(0x0800, 1, 772, 0, make([]byte, 6)), sumIPv4(17, a, b, 1, 0, 64, sumUDP(p1, p2, []byte("sll2"))))},
			{data: sumJoin(sumSLL2(0x1234, 2, 1, 0, sumMAC2), []byte("unknown"))},
			{data: sumJoin(sumSLL2(0x1234, 2, 1, 4, sumMAC2), []byte("unknown"))},
			{data: sumJoin(sumSLL2(0x1234, 2, 65534, 0, nil), []byte("unknown"))},
			{data: sumJoin(sumSLL2(0x1234, 2, 65534, 4, nil), []byte("unknown"))},
			{data: sumSLL2(0x1234, 2, 1, 4, sumMAC2)[:10]},
			{data: sumSLL2(0x1234, 2, 1, 4, sumMAC2)[:4]},
		}},
	}
	// The hand-built packets of the layer tests, one capture per link
	// type.
	byLT := map[layers.LinkType][]sumPkt{}
	for _, tc := range layerCases {
		b, err := hex.DecodeString(tc.hex)
		if err != nil {
			panic(tc.name + ": " + err.Error())
		}
		byLT[tc.lt] = append(byLT[tc.lt], sumPkt{data: b})
	}
	for lt, pkts := range byLT {
		caps["layers-"+lt.String()] = sumCapture{lt: lt, pkts: pkts}
	}
	// Every proper prefix of them, as a short frame and as a frame the
	// snap length cut: each with its own source port (so no two are one
	// TCP conversation, and no port names a protocol).
	nextPort := 30000
	for _, tc := range layerCases {
		b, _ := hex.DecodeString(tc.hex)
		port := -1
		p := dissectOne(tc.lt, b)
		for _, name := range []string{"tcp.srcport", "udp.srcport"} {
			if fs := p.Fields(name); len(fs) > 0 {
				port = fs[0].Start
			}
		}
		for n := 1; n < len(b); n++ {
			f := append([]byte(nil), b[:n]...)
			if port >= 0 {
				full := append([]byte(nil), b...)
				binary.BigEndian.PutUint16(full[port:], uint16(nextPort))
				nextPort++
				binary.BigEndian.PutUint16(full[port+2:], uint16(p2))
				f = full[:n]
			}
			short := caps["prefixes-"+tc.lt.String()]
			short.lt, short.pkts = tc.lt, append(short.pkts, sumPkt{data: f})
			caps["prefixes-"+tc.lt.String()] = short
			snap := caps["snap-"+tc.lt.String()]
			snap.lt, snap.pkts = tc.lt, append(snap.pkts, sumPkt{data: f, wire: len(b)})
			caps["snap-"+tc.lt.String()] = snap
		}
	}
	return caps
}

// packets are the capture's packets, one millisecond apart.
func (c sumCapture) packets() []decodetest.Packet {
	ts := time.Unix(1700000000, 0).UTC()
	var out []decodetest.Packet
	for _, p := range c.pkts {
		wire := p.wire
		if wire == 0 {
			wire = len(p.data)
		}
		ts = ts.Add(time.Millisecond)
		out = append(out, decodetest.Packet{CI: gopacket.CaptureInfo{Timestamp: ts, CaptureLength: len(p.data), Length: wire},
			LinkType: c.lt, Data: p.data, TsResol: 6})
	}
	return out
}

// writeSummaryCapture writes a synthetic capture as a microsecond pcap file.
func writeSummaryCapture(path string, c sumCapture) error {
	var b bytes.Buffer
	hdr := make([]byte, 24)
	binary.LittleEndian.PutUint32(hdr, 0xa1b2c3d4)
	binary.LittleEndian.PutUint16(hdr[4:], 2)
	binary.LittleEndian.PutUint16(hdr[6:], 4)
	binary.LittleEndian.PutUint32(hdr[16:], 262144)
	binary.LittleEndian.PutUint32(hdr[20:], uint32(c.lt))
	b.Write(hdr)
	for _, p := range c.packets() {
		rec := make([]byte, 16)
		binary.LittleEndian.PutUint32(rec[0:], uint32(p.CI.Timestamp.Unix()))
		binary.LittleEndian.PutUint32(rec[4:], uint32(p.CI.Timestamp.Nanosecond()/1000))
		binary.LittleEndian.PutUint32(rec[8:], uint32(len(p.Data)))
		binary.LittleEndian.PutUint32(rec[12:], uint32(p.CI.Length))
		b.Write(rec)
		b.Write(p.Data)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, b.Bytes(), 0o644)
}

// summaryCaptureFiles writes the synthetic captures under dir and returns
// them as decodetest.Files named "synthetic/summary/<name>.pcap", sorted.
func summaryCaptureFiles(dir string) ([]decodetest.File, error) {
	var files []decodetest.File
	for name, c := range summaryCaptures() {
		path := filepath.Join(dir, name+".pcap")
		if err := writeSummaryCapture(path, c); err != nil {
			return nil, err
		}
		files = append(files, decodetest.File{Name: "synthetic/summary/" + name + ".pcap", Path: path})
	}
	sort.Slice(files, func(i, j int) bool { return files[i].Name < files[j].Name })
	return files, nil
}
