package dfilter

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"wiretap/decode"
)

// Hand-built packets for the display-filter tests: the fields are made
// directly, as the dissectors make them.

func dfu(name string, v uint64) *decode.Field {
	return &decode.Field{Name: name, Kind: decode.KindUint, U: v}
}
func dfhex(name string, v uint64, bits uint8) *decode.Field {
	return &decode.Field{Name: name, Kind: decode.KindUint, Base: decode.BaseHex, Bits: bits, U: v}
}
func dfbool(name string, v bool) *decode.Field {
	f := &decode.Field{Name: name, Kind: decode.KindBool}
	if v {
		f.U = 1
	}
	return f
}
func dfstr(name, s string) *decode.Field {
	return &decode.Field{Name: name, Kind: decode.KindString, S: s}
}
func dfip(name, a string) *decode.Field {
	ip := netip.MustParseAddr(a)
	k := decode.KindIPv4
	if ip.Is6() {
		k = decode.KindIPv6
	}
	return &decode.Field{Name: name, Kind: k, IP: ip}
}
func dfbytes(name string, data []byte, start, n int) *decode.Field {
	return &decode.Field{Name: name, Kind: decode.KindBytes, B: data[start : start+n], Start: start, Len: n}
}
func dfmac(name string, data []byte, start int) *decode.Field {
	return &decode.Field{Name: name, Kind: decode.KindMAC, B: data[start : start+6], Start: start, Len: 6}
}
func dfproto(name string, start, n int, children ...*decode.Field) *decode.Field {
	return &decode.Field{Name: name, Kind: decode.KindProtocol, Start: start, Len: n, Children: children}
}
func dfhide(f *decode.Field) *decode.Field { f.Hidden = true; return f }

var dfEpoch = time.Date(2020, 1, 2, 3, 4, 5, 500000000, time.UTC)

// dfPacketHTTP is Ethernet/IPv4/TCP/HTTP with a 4-byte Ethernet trailer
// after the IP packet.
func dfPacketHTTP() *decode.Packet {
	payload := []byte("GET /index.html HTTP/1.1\r\nHost: example.com\r\nUser-Agent: Wget/1.14\r\nX-Name: caf\xe9\r\n\r\n")
	var d []byte
	d = append(d, 0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0x08, 0x00)
	ipLen := 20 + 20 + len(payload)
	d = append(d, 0x45, 0x00, byte(ipLen>>8), byte(ipLen), 0x12, 0x34, 0x40, 0x00, 0x40, 0x06, 0, 0, 10, 0, 0, 1, 192, 168, 1, 2)
	d = append(d, 0xaa, 0x48, 0x00, 0x50, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x18, 0xff, 0xff, 0, 0, 0, 0)
	d = append(d, payload...)
	d = append(d, 0xde, 0xad, 0xbe, 0xef)
	ts := dfEpoch.Local()
	frame := dfproto("frame", 0, len(d),
		dfu("frame.number", 1), dfu("frame.len", uint64(len(d))),
		&decode.Field{Name: "frame.time_relative", Kind: decode.KindDuration, D: 1500 * time.Millisecond},
		&decode.Field{Name: "frame.time_delta", Kind: decode.KindDuration, D: 250 * time.Microsecond},
		&decode.Field{Name: "frame.time_epoch", Kind: decode.KindTime, T: dfEpoch},
		dfstr("frame.time", ts.Format("Jan _2, 2006 15:04:05.000000000 MST")),
		dfstr("frame.protocols", "eth:ethertype:ip:tcp:http"))
	eth := dfproto("eth", 0, 14,
		dfmac("eth.dst", d, 0), dfhide(dfmac("eth.addr", d, 0)),
		dfmac("eth.src", d, 6), dfhide(dfmac("eth.addr", d, 6)),
		dfhex("eth.type", 0x0800, 16))
	ip := dfproto("ip", 14, 20,
		dfu("ip.version", 4), dfu("ip.len", uint64(ipLen)), dfhex("ip.flags", 0x02, 8), dfbool("ip.flags.df", true),
		dfu("ip.ttl", 64), dfu("ip.proto", 6),
		dfip("ip.src", "10.0.0.1"), dfhide(dfip("ip.addr", "10.0.0.1")),
		dfip("ip.dst", "192.168.1.2"), dfhide(dfip("ip.addr", "192.168.1.2")))
	flags := dfhex("tcp.flags", 0x018, 16)
	flags.Children = []*decode.Field{dfbool("tcp.flags.syn", false), dfbool("tcp.flags.ack", true), dfbool("tcp.flags.push", true),
		dfstr("tcp.flags.str", "·······AP···")}
	tcp := dfproto("tcp", 34, 20,
		dfu("tcp.srcport", 43592), dfu("tcp.dstport", 80), dfhide(dfu("tcp.port", 43592)), dfhide(dfu("tcp.port", 80)),
		dfu("tcp.stream", 0), dfu("tcp.len", uint64(len(payload))), dfu("tcp.seq", 1), dfu("tcp.hdr_len", 20), flags,
		&decode.Field{Name: "tcp.window_size_scalefactor", Kind: decode.KindInt, I: -1},
		&decode.Field{Name: "tcp.analysis", Children: []*decode.Field{{Name: "tcp.analysis.acks_frame", Kind: decode.KindFrameNum, U: 3}}},
		dfbytes("tcp.payload", d, 54, len(payload)))
	http := dfproto("http", 54, len(payload),
		dfhide(dfbool("http.request", true)), dfstr("http.request.method", "GET"), dfstr("http.request.uri", "/index.html"),
		dfstr("http.host", "example.com"), dfstr("http.user_agent", "Wget/1.14"), dfstr("http.request.line", "Host: example.com\r\n"),
		dfstr("http.request.line", "User-Agent: Wget/1.14\r\n"), dfstr("http.request.line", "X-Name: caf\xe9\r\n"))
	return &decode.Packet{Number: 1, Sources: []decode.DataSource{{Name: "Frame", Data: d}}, Tree: []*decode.Field{frame, eth, ip, tcp, http}}
}

// dfPacketUDP6 is Ethernet/IPv6/UDP with four bytes of data.
func dfPacketUDP6() *decode.Packet {
	var d []byte
	d = append(d, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x86, 0xdd)
	d = append(d, 0x60, 0, 0, 0, 0, 12, 17, 64)
	src, dst := netip.MustParseAddr("fe80::1"), netip.MustParseAddr("2001:db8::2")
	d = append(d, src.AsSlice()...)
	d = append(d, dst.AsSlice()...)
	d = binary.BigEndian.AppendUint16(d, 53)
	d = binary.BigEndian.AppendUint16(d, 5353)
	d = append(d, 0, 12, 0, 0, 1, 2, 3, 4)
	frame := dfproto("frame", 0, len(d), dfu("frame.number", 2), dfu("frame.len", uint64(len(d))),
		&decode.Field{Name: "frame.time_relative", Kind: decode.KindDuration, D: 2 * time.Second})
	eth := dfproto("eth", 0, 14, dfmac("eth.dst", d, 0), dfhide(dfmac("eth.addr", d, 0)), dfmac("eth.src", d, 6),
		dfhide(dfmac("eth.addr", d, 6)), dfhex("eth.type", 0x86dd, 16))
	ip6 := dfproto("ipv6", 14, 40, dfu("ipv6.plen", 12), dfu("ipv6.nxt", 17), dfu("ipv6.hlim", 64),
		dfip("ipv6.src", "fe80::1"), dfhide(dfip("ipv6.addr", "fe80::1")),
		dfip("ipv6.dst", "2001:db8::2"), dfhide(dfip("ipv6.addr", "2001:db8::2")))
	udp := dfproto("udp", 54, 8, dfu("udp.srcport", 53), dfu("udp.dstport", 5353), dfhide(dfu("udp.port", 53)),
		dfhide(dfu("udp.port", 5353)), dfu("udp.length", 12))
	data := dfproto("data", 62, 4, dfbytes("data.data", d, 62, 4), dfu("data.len", 4))
	return &decode.Packet{Number: 2, Sources: []decode.DataSource{{Name: "Frame", Data: d}}, Tree: []*decode.Field{frame, eth, ip6, udp, data}}
}

// dfPacketICMPError is an ICMP error quoting an IP/UDP header: two ip
// layers, for the #N layer operator.
func dfPacketICMPError() *decode.Packet {
	d := make([]byte, 14+20+8+20+8)
	frame := dfproto("frame", 0, len(d), dfu("frame.number", 3))
	eth := dfproto("eth", 0, 14, dfhex("eth.type", 0x0800, 16))
	ip1 := dfproto("ip", 14, 20, dfu("ip.len", 56), dfu("ip.proto", 1), dfip("ip.src", "10.0.0.1"), dfhide(dfip("ip.addr", "10.0.0.1")),
		dfip("ip.dst", "10.0.0.2"), dfhide(dfip("ip.addr", "10.0.0.2")))
	icmp := dfproto("icmp", 34, 8, dfu("icmp.type", 3), dfu("icmp.code", 3))
	ip2 := dfproto("ip", 42, 20, dfu("ip.len", 60), dfu("ip.proto", 17), dfip("ip.src", "10.0.0.2"), dfhide(dfip("ip.addr", "10.0.0.2")),
		dfip("ip.dst", "8.8.8.8"), dfhide(dfip("ip.addr", "8.8.8.8")))
	udp := dfproto("udp", 62, 8, dfu("udp.srcport", 5000), dfu("udp.dstport", 53))
	return &decode.Packet{Number: 3, Sources: []decode.DataSource{{Name: "Frame", Data: d}}, Tree: []*decode.Field{frame, eth, ip1, icmp, ip2, udp}}
}

// dfMatchCases: filter → whether it matches the HTTP, UDP6 and ICMP
// packets.
var dfMatchCases = []struct {
	filter          string
	http, udp6, err bool
}{
	// Existence.
	{`frame`, true, true, true},
	{`tcp`, true, false, false},
	{`http.request`, true, false, false},
	{`tcp.analysis`, true, false, false},
	{`ipv6 || udp`, false, true, true},
	{`data`, false, true, false},
	{`tls`, false, false, false},
	{`secret.found`, false, false, false},
	{`fernet`, false, false, false},
	// Comparisons and the occurrence rules: tcp.port is 43592 and 80.
	{`tcp.port == 80`, true, false, false},
	{`tcp.port eq 80`, true, false, false},
	{`tcp.port any_eq 80`, true, false, false},
	{`tcp.port != 80`, false, false, false},
	{`tcp.port ne 81`, true, false, false},
	{`tcp.port all_ne 81`, true, false, false},
	{`tcp.port ~= 80`, true, false, false},
	{`tcp.port !== 80`, true, false, false},
	{`tcp.port any_ne 80`, true, false, false},
	{`tcp.port === 80`, false, false, false},
	{`tcp.port all_eq 80`, false, false, false},
	{`tcp.srcport === 43592`, true, false, false},
	{`tcp.port < 81`, true, false, false},
	{`tcp.port lt 80`, false, false, false},
	{`tcp.port <= 80`, true, false, false},
	{`tcp.port le 79`, false, false, false},
	{`tcp.port > 43591`, true, false, false},
	{`tcp.port gt 43592`, false, false, false},
	{`tcp.port >= 43592`, true, false, false},
	{`tcp.port ge 43593`, false, false, false},
	{`udp.port != 80`, false, true, false}, // an absent field fails, != too
	// Integer literals.
	{`tcp.dstport == 0x50`, true, false, false},
	{`tcp.dstport == 0X50`, true, false, false},
	{`tcp.dstport == 0120`, true, false, false},
	{`tcp.dstport == 0b1010000`, true, false, false},
	{`tcp.dstport == 'P'`, true, false, false},
	{`tcp.dstport == +80`, true, false, false},
	{`tcp.dstport > -1`, false, false, false}, // wraps, as tshark's strtoull
	{`tcp.window_size_scalefactor == -1`, true, false, false},
	{`tcp.window_size_scalefactor < 0`, true, false, false},
	{`tcp.flags == 0x018`, true, false, false},
	{`tcp.flags == 24`, true, false, false},
	{`eth.type == 0x86dd`, false, true, false},
	{`tcp.analysis.acks_frame == 3`, true, false, false},
	// Booleans.
	{`tcp.flags.ack == 1`, true, false, false},
	{`tcp.flags.ack == True`, true, false, false},
	{`tcp.flags.ack == TRUE`, true, false, false},
	{`tcp.flags.syn == 0`, true, false, false},
	{`tcp.flags.syn == False`, true, false, false},
	{`tcp.flags.syn == FALSE`, true, false, false},
	{`tcp.flags.ack == 2`, true, false, false},
	{`tcp.flags.syn > 0`, false, false, false},
	{`tcp.flags.syn < True`, true, false, false},
	{`tcp.flags.syn`, true, false, false}, // a bare field tests presence
	// Bitwise and.
	{`tcp.flags & 0x10`, true, false, false},
	{`tcp.flags & 0x02`, false, false, false},
	{`tcp.flags & 0x18 == 0x18`, true, false, false},
	{`tcp.flags bitwise_and 0x08`, true, false, false},
	{`tcp.payload[0] & 40`, true, false, false},
	{`tcp.payload[0] & 80`, false, false, false},
	// Logic and precedence: and > or, not binds tightest; xor between.
	{`tcp or udp and ipv6`, true, true, false},
	{`(tcp or udp) and ipv6`, false, true, false},
	{`tcp and udp or ipv6`, false, true, false},
	{`not tcp and udp`, false, true, true},
	{`!tcp && !udp`, false, false, false},
	{`not (tcp or udp)`, false, false, false},
	{`not not tcp`, true, false, false},
	{`tcp xor ip`, false, false, true},
	{`tcp ^^ ipv6`, true, true, false},
	{`tcp xor udp and ipv6`, true, true, false},
	{`frame or tcp xor tcp`, true, true, true},
	{`tcp.srcport==43592&&tcp.dstport==80||udp`, true, true, true},
	{`((((tcp))))`, true, false, false},
	// Sets.
	{`tcp.dstport in {80, 443}`, true, false, false},
	{`tcp.dstport in {80,443}`, true, false, false},
	{`tcp.dstport in {443 80}`, true, false, false}, // 3.x/4.2 whitespace form
	{`tcp.dstport in {1..79, 81..100}`, false, false, false},
	{`tcp.dstport in {79..81}`, true, false, false},
	{`tcp.dstport in {79 .. 81}`, true, false, false},
	{`tcp.dstport in {81..79}`, false, false, false},
	{`tcp.port in {443}`, false, false, false},
	{`tcp.port not in {443}`, true, true, true}, // not in is !(in): true without the field, as tshark
	{`udp.port not in {443}`, true, true, true},
	{`http.request.method in {"GET", "HEAD"}`, true, false, false},
	{`http.request.method in {POST PUT}`, false, false, false},
	{`ip.addr in {192.168.0.0/16, 172.16.0.0/12}`, true, false, false},
	{`ip.src in {10.0.0.2, 10.0.0.3}`, false, false, true},
	{`frame.len in {0..10, 60..200}`, true, true, false},
	{`frame.number in {tcp.stream, 2}`, false, true, false},
	{`frame.time_relative in {1..1.5}`, true, false, false},
	// Strings.
	{`http.request.method == "GET"`, true, false, false},
	{`http.request.method == GET`, true, false, false},
	{`http.request.method == "get"`, false, false, false},
	{`http.request.method != "POST"`, true, false, false},
	{`http.request.method > "GE"`, true, false, false},
	{`http.request.method < "H"`, true, false, false},
	{`http.host contains "ample"`, true, false, false},
	{`http.host contains ample`, true, false, false},
	{`http.host matches "^EXAMPLE\\.com$"`, true, false, false},
	{`http.host matches "(?-i)^EXAMPLE"`, false, false, false},
	{`http.host matches r"^example\.com$"`, true, false, false},
	{`http.request.line contains "\r\n"`, true, false, false},
	{`http.request.line contains "caf\xe9"`, true, false, false},
	{`http.request.line contains "caf\351"`, true, false, false},
	{`http.request.line matches "caf\\xe9"`, true, false, false},
	{`http.request.line matches "caf.\\r"`, true, false, false},
	{`http.request.line matches "caf\xe9"`, true, false, false},
	{`http.request.line matches "CAF\\xC9"`, false, false, false}, // PCRE2 folds ASCII letters only
	{`tcp.flags.str == "·······AP···"`, true, false, false},
	{`tcp.flags.str matches "^\\xc2\\xb7"`, true, false, false},
	{`tcp.flags.str matches "^·{7}A"`, false, false, false}, // · is two bytes without UTF
	{`http.user_agent contains "\x57get"`, true, false, false},
	{`http.user_agent contains "\\"`, false, false, false},
	{`frame.protocols contains "http"`, true, false, false},
	{`upper(http.request.method) == "GET"`, true, false, false},
	{`lower(http.host) == "example.com"`, true, false, false},
	{`lower(http.request.method) == "get"`, true, false, false},
	// Bytes.
	{`tcp.payload contains "GET"`, true, false, false},
	{`tcp.payload contains 47:45:54`, true, false, false},
	{`tcp.payload contains 47-45-54`, true, false, false},
	{`tcp.payload contains 47.45.54`, true, false, false},
	{`tcp.payload contains 474554`, true, false, false},
	{`tcp.payload contains 'G'`, true, false, false},
	{`tcp.payload contains "Host: example.com\r\n"`, true, false, false},
	{`tcp.payload matches "^get /"`, true, false, false},
	{`tcp.payload matches "(?-i)^get /"`, false, false, false},
	{`tcp.payload matches "\\xe9\\r\\n\\r\\n$"`, true, false, false},
	{`data.data == 01:02:03:04`, false, true, false},
	{`data.data == 01020304`, false, true, false},
	{`data.data > 01:02:03`, false, true, false}, // longer is greater
	{`data.data < 00:00:00:00:00`, false, true, false},
	{`data.data == 1:2:3:4`, false, true, false},
	{`data.data contains 03`, false, true, false},
	// Protocols: == and slices see the item, contains and matches the data
	// to the end of the dissector's buffer (IP cuts the trailer).
	{`tcp contains "GET"`, true, false, false},
	{`ip contains "GET"`, true, false, false},
	{`eth contains de:ad:be:ef`, true, false, false},
	{`frame contains de:ad:be:ef`, true, false, false},
	{`ip contains de:ad:be:ef`, false, false, false},
	{`tcp contains de:ad:be:ef`, false, false, false},
	{`http contains de:ad`, false, false, false},
	{`eth matches "\\xde\\xad"`, true, false, false},
	{`tcp matches "\\xde\\xad"`, false, false, false},
	{`udp contains 01:02:03:04`, false, true, false},
	{`eth == 00:11:22:33:44:55:66:77:88:99:aa:bb:08:00`, true, false, false},
	{`eth[-1:] == 00`, true, false, true},
	{`eth[14:1] == 45`, false, false, false},
	{`ip[0] == 45`, true, false, false},
	{`len(eth) == 14`, true, true, true},
	{`len(tcp) == 20`, true, false, false},
	{`len(http) == tcp.len`, true, false, false},
	// Slices.
	{`frame[0:3] == 00:11:22`, true, false, false},
	{`frame[12:2] == 08:00`, true, false, false},
	{`frame[12:2] == 0800`, true, false, false},
	{`frame[12] == 08`, true, false, false},
	{`frame[12-13] == 08:00`, true, false, false},
	{`frame[:2] == 00:11`, true, false, false},
	{`frame[-4:] == de:ad:be:ef`, true, false, false},
	{`frame[-4:2] == de:ad`, true, false, false},
	{`frame[-4--3] == de:ad`, true, false, false},
	{`frame[0:1,12:2] == 00:08:00`, true, false, false},
	{`frame[0,12] == 00:08`, true, false, false},
	{`tcp.payload[0] == 0x47`, true, false, false},
	{`tcp.payload[0] == 47`, true, false, false},
	{`tcp.payload[0:3] == "GET"`, true, false, false},
	{`tcp.payload[:3] == "GET"`, true, false, false},
	{`tcp.payload[0-2] == "GET"`, true, false, false},
	{`tcp.payload[4:] contains "HTTP/1.1"`, true, false, false},
	{`tcp.payload[1000:2] == 00:00`, false, false, false},
	{`tcp.payload[1000:2] != 00:00`, true, false, false}, // a failed slice is empty
	{`data.data[2:] == 03:04`, false, true, false},
	{`data.data[0:2,3:5] == 01:02`, false, true, false}, // stops at the failing range
	{`eth.src[0:3] == 66:77:88`, true, false, false},
	{`ip.src[0] == 0a`, true, false, true},
	{`ipv6.src[0:2] == fe:80`, false, true, false},
	{`http.host[0:3] == "exa"`, true, false, false},
	{`http.host[0:3] == 65:78:61`, true, false, false},
	{`eth[0:6] == eth.dst`, true, true, false},
	{`eth.dst == eth[0:6]`, true, true, false},
	// Addresses.
	{`ip.src == 10.0.0.1`, true, false, true},
	{`ip.addr == 192.168.1.2`, true, false, false},
	{`ip.addr == 10.0.0.0/8`, true, false, true},
	{`ip.addr != 10.0.0.0/8`, false, false, false},
	{`ip.src == 10.0.0.1/32`, true, false, true},
	{`ip.dst == 192.168.0.0/16`, true, false, false},
	{`ip.dst > 192.167.255.255`, true, false, false},
	{`ip.src < 10.0.0.2`, true, false, true},
	{`ip.addr == 0.0.0.0/0`, true, false, true},
	{`ipv6.addr == fe80::/10`, false, true, false},
	{`ipv6.dst == 2001:db8::2`, false, true, false},
	{`ipv6.dst == 2001:db8::/32`, false, true, false},
	{`ipv6.src != ::1`, false, true, false},
	{`ipv6.src > ::1`, false, true, false},
	{`eth.src == 66:77:88:99:aa:bb`, true, false, false},
	{`eth.src == 66-77-88-99-aa-bb`, true, false, false},
	{`eth.src == 6677.8899.aabb`, true, false, false},
	{`eth.src == 66.77.88.99.aa.bb`, true, false, false},
	{`eth.src == 66778899aabb`, true, false, false},
	{`eth.addr == ff:ff:ff:ff:ff:ff`, false, true, false},
	{`eth.dst > 00:11:22:33:44:54`, true, true, false},
	// Field against field.
	{`tcp.srcport == tcp.dstport`, false, false, false},
	{`tcp.srcport > tcp.dstport`, true, false, false},
	{`ip.src == ip.dst`, false, false, true}, // any pair: 10.0.0.2 is in both
	{`ip.src != ip.dst`, true, false, false},
	{`ip.addr == ip.src`, true, false, true},
	{`frame.len > ip.len`, true, false, false},
	{`tcp.window_size_scalefactor < tcp.srcport`, true, false, false},
	{`frame.number == tcp.analysis.acks_frame`, false, false, false},
	// Times.
	{`frame.time_relative == 1.5`, true, false, false},
	{`frame.time_relative > 1`, true, true, false},
	{`frame.time_relative >= 2`, false, true, false},
	{`frame.time_relative < -1`, false, false, false},
	{`frame.time_delta == 0.00025`, true, false, false},
	{`frame.time_delta == 0.000250000`, true, false, false},
	{`frame.time_epoch == 1577934245.5`, true, false, false},
	{`frame.time_epoch > 1577934245`, true, false, false},
	{`frame.time == "2020-01-02 03:04:05.5Z"`, true, false, false},
	{`frame.time == "2020-01-02T03:04:05.500Z"`, true, false, false},
	{`frame.time > "2020-01-02 03:04:05 UTC"`, true, false, false},
	{`frame.time < "2020-01-03Z"`, true, false, false},
	{`frame.time >= "Jan 2, 2020 03:04:05.5 UTC"`, true, false, false},
	{`frame.time >= "Jan  3, 2020 00:00:00Z"`, false, false, false},
	// Functions and layers.
	{`len(http.request.method) == 3`, true, false, false},
	{`len(tcp.payload) > 50`, true, false, false},
	{`len(ip.src) == 4`, true, false, true},
	{`len(tcp.dstport) == 2`, true, false, false}, // an integer's length is its type's size
	{`len(frame.number) == 4`, true, true, true},
	{`http.host contains ""`, false, false, false},
	{`count(ip.addr) == 2`, true, false, false},
	{`count(ip.addr) == 4`, false, false, true},
	{`count(http.request.line) == 3`, true, false, false},
	{`count(tcp.port) == 0`, false, false, false}, // no value without the field
	{`ip.src#1 == 10.0.0.1`, true, false, true},
	{`ip.src#2 == 10.0.0.1`, false, false, false},
	{`ip.src#2 == 10.0.0.2`, false, false, true},
	{`ip.addr#2 == 8.8.8.8`, false, false, true},
	{`ip.addr#1 == 8.8.8.8`, false, false, false},
	{`ip#2`, false, false, true},
	{`ip.proto#2 == 17`, false, false, true},
	{`.tcp`, true, false, false},
	// Keywords are words only: "android" is not "and".
	{`frame.protocols contains "android"`, false, false, false},
}

func TestDFMatch(t *testing.T) {
	pkts := []*decode.Packet{dfPacketHTTP(), dfPacketUDP6(), dfPacketICMPError()}
	for _, tc := range dfMatchCases {
		df, err := Compile(tc.filter)
		if err != nil {
			t.Errorf("%s: %v", tc.filter, err)
			continue
		}
		for i, want := range []bool{tc.http, tc.udp6, tc.err} {
			if got := df.Match(pkts[i]); got != want {
				t.Errorf("%s on packet %d: got %v, want %v", tc.filter, i+1, got, want)
			}
		}
	}
}

// TestDFMatchShared runs each filter on several goroutines at once, over
// the packets in turn: Match's reused evaluation state carries nothing
// from one packet, or one goroutine, to another.
func TestDFMatchShared(t *testing.T) {
	pkts := []*decode.Packet{dfPacketHTTP(), dfPacketUDP6(), dfPacketICMPError()}
	for _, tc := range dfMatchCases {
		df, err := Compile(tc.filter)
		if err != nil {
			continue // TestDFMatch reports it
		}
		want := []bool{tc.http, tc.udp6, tc.err}
		var wg sync.WaitGroup
		errs := make(chan string, 4)
		for g := range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range 30 {
					k := (i*(g+1) + g) % len(pkts)
					if got := df.Match(pkts[k]); got != want[k] {
						errs <- fmt.Sprintf("%s on packet %d (goroutine %d, round %d): got %v, want %v", tc.filter, k+1, g, i, got, want[k])
						return
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for e := range errs {
			t.Error(e)
		}
	}
}

// TestDFCaseFolding: matches folds ASCII letters only, as PCRE2 without
// UTF does, and sees bytes, not UTF-8 characters.
func TestDFCaseFolding(t *testing.T) {
	p := dfPacketHTTP()
	for _, tc := range []struct {
		filter string
		want   bool
	}{
		{`http.request.line matches "CAF\xc9"`, false}, // é (0xe9) and É (0xc9) are not folded
		{`http.request.line matches "CAF\xe9"`, true},
		{`http.request.line matches "CAF\\xc9"`, false}, // the same as regex escapes
		{`http.request.line matches "CAF\\xe9"`, true},
		{`http.request.line matches "[\xe0-\xff]"`, true},
		{`http.request.line matches "[\\xe0-\\xff]"`, true},
		{`http.request.line matches "[\\x80-\\xdf]"`, false},
		{`http.request.line matches "[^\\x00-\\x7f]"`, true},
		{`http.request.line matches "[\\x00-\\xe9]{4}\\r"`, true},
		{`http.request.line matches "caf\351"`, true},
		{`http.request.line matches "caf\\351"`, true},
		{`http.request.line matches "caf\\x{e9}"`, true},
		{`http.request.line matches "\\Qcaf\\E."`, true},
		{`http.request.line matches "\\Qcaf\xe9\\E"`, true},
		{`http.request.line matches "^x-name: caf.\r\n$"`, true},
		{`http.request.line matches "^x-name: caf.\\r\\n$"`, true},
		{`tcp.flags.str matches "^.\xb7"`, true}, // · is c2 b7: two characters
		{`tcp.flags.str matches "^\\xc2\\xb7\\xc2"`, true},
	} {
		df, err := Compile(tc.filter)
		if err != nil {
			t.Errorf("%s: %v", tc.filter, err)
			continue
		}
		if got := df.Match(p); got != tc.want {
			t.Errorf("%s: got %v, want %v", tc.filter, got, tc.want)
		}
	}
}

func TestDFNilAndEmpty(t *testing.T) {
	var df *Filter
	if !df.Match(dfPacketHTTP()) {
		t.Error("a nil filter should pass every packet")
	}
	df, err := Compile("tcp")
	if err != nil {
		t.Fatal(err)
	}
	if df.Match(nil) {
		t.Error("a nil packet should not match")
	}
	if df.Match(&decode.Packet{}) {
		t.Error("an empty packet should not match tcp")
	}
	if df.String() != "tcp" {
		t.Errorf("String() = %q", df.String())
	}
}

func TestDFFields(t *testing.T) {
	for _, tc := range []struct {
		filter string
		want   []string
	}{
		{`tcp`, []string{"tcp"}},
		{`tcp.port == 80 && !(ip.src == 10.0.0.1 || http.request.method in {"GET", "POST"})`,
			[]string{"http.request.method", "ip.src", "tcp.port"}},
		{`frame[0:2] == 00:11 and len(http.host) > 3 and count(ip.addr) == 2`, []string{"frame", "http.host", "ip.addr"}},
		{`tcp.srcport == tcp.dstport or tcp.srcport > 1`, []string{"tcp.dstport", "tcp.srcport"}},
		{`frame.number in {tcp.stream, 2} and tcp.flags & 0x02`, []string{"frame.number", "tcp.flags", "tcp.stream"}},
		{`ip.src#2 == 1.2.3.4`, []string{"ip.src"}},
	} {
		df, err := Compile(tc.filter)
		if err != nil {
			t.Errorf("%s: %v", tc.filter, err)
			continue
		}
		if got := df.Fields(); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: Fields() = %q, want %q", tc.filter, got, tc.want)
		}
	}
}

// dfErrorCases: filters that must not compile, with the message (a
// substring of Error()) and the column.
var dfErrorCases = []struct {
	filter string
	msg    string
	column int
}{
	// Unknown names, with suggestions.
	{`tcp.prot`, `"tcp.prot" is neither a field nor a protocol name at column 1; did you mean tcp.port`, 1},
	{`tcp.prot == 80`, `"tcp.prot" is neither a field nor a protocol name`, 1},
	{`tcp and ip.scr == 10.0.0.1`, `"ip.scr" is neither a field nor a protocol name at column 9; did you mean ip.src`, 9},
	{`tcp.flags.sin`, `did you mean tcp.flags.fin, tcp.flags.syn`, 1},
	{`tcp.srcport == tcp.dstprt`, `"tcp.dstprt" is neither a field nor a protocol name at column 16; did you mean tcp.dstport`, 16},
	{`ethh`, `did you mean eth`, 1},
	{`.80`, `"80" is neither a field nor a protocol name`, 1},
	{`tcp.bogus[0] == 1`, `"tcp.bogus" is neither a field nor a protocol name`, 1},
	{`80`, `80 is neither a field nor a protocol name at column 1: 80`, 1},
	{`len(foo.bar) == 1`, `"foo.bar" is neither a field nor a protocol name`, 5},
	// Bad literals for the field's type.
	{`tcp.port == abc`, `"abc" is not a valid number at column 13: abc`, 13},
	{`tcp.port == 99999`, `"99999" too big for this field, maximum 65535 at column 13: 99999`, 13},
	{`tcp.port == 80.5`, `"80.5" is not a valid number`, 13},
	{`tcp.port == 1e2`, `"1e2" is not a valid number`, 13},
	{`tcp.port == "80"`, `Unsigned integer cannot be converted from a string ("80") at column 13: "80"`, 13},
	{`ip.ttl == 256`, `maximum 255`, 11},
	{`tcp.window_size_scalefactor == 2147483648`, `too big for this field, maximum 2147483647`, 32},
	{`tcp.window_size_scalefactor == -2147483649`, `too small for this field, minimum -2147483648`, 32},
	{`tcp.flags.syn == true`, `"true" cannot be found among the possible values for tcp.flags.syn`, 18},
	{`tcp.flags.syn == "1"`, `cannot be found among the possible values`, 18},
	{`ip.src == 10.0.0`, `"10.0.0" is not a valid hostname or IPv4 address at column 11`, 11},
	{`ip.src == "10.0.0.1"`, `IPv4 address cannot be converted from a string`, 11},
	{`ip.src == ::1`, `"::1" is not a valid hostname or IPv4 address`, 11},
	{`ip.src == 10.0.0.1/33`, `netmask bits in a CIDR IPv4 address should be <= 32, not 33`, 11},
	{`ipv6.src == 10.0.0.1`, `"10.0.0.1" is not a valid hostname or IPv6 address`, 13},
	{`ipv6.src == ::1/129`, `should be <= 128`, 13},
	{`eth.src == 00:11:22:33:44`, `contains too few bytes to be a valid Ethernet address`, 12},
	{`eth.src == 00:11:22:33:44:55:66`, `contains too many bytes`, 12},
	{`eth.src == "00:11:22:33:44:55"`, `Ethernet or other MAC address cannot be converted from a string`, 12},
	{`eth.src == xyz`, `"xyz" is not a valid Ethernet address`, 12},
	{`tcp.payload contains GET`, `"GET" is not a valid byte string at column 22: GET`, 22},
	{`tcp.payload == 0x047`, `"0x047" is not a valid byte string`, 16},
	{`tcp.payload == 4:`, `is not a valid byte string`, 16},
	{`frame.time_relative > 1e3`, `"1e3" is not a valid time`, 23},
	{`frame.time_relative > "1"`, `Time offset cannot be converted from a string`, 23},
	{`frame.time > "yesterday"`, `"yesterday" is not a valid absolute time`, 14},
	{`tcp.port == tcp`, `tcp.port and tcp are not of compatible types at column 13`, 13},
	{`ip.src == ipv6.src`, `not of compatible types`, 11},
	{`http.host == tcp.srcport`, `not of compatible types`, 14},
	{`tcp.port in {80, http.host}`, `not of compatible types`, 18},
	// Operators a type does not have.
	{`tcp.port contains 80`, `tcp.port (type=Unsigned integer) cannot participate in contains comparison at column 1`, 1},
	{`tcp.port matches "80"`, `cannot participate in matches comparison`, 1},
	{`tcp.analysis == 1`, `tcp.analysis (type=Label) cannot participate in == comparison`, 1},
	{`tcp.port == tcp.analysis`, `(type=Label) cannot participate`, 13},
	{`tcp.port[0] == 00`, `"tcp.port" is a Unsigned integer and cannot be sliced into a sequence of bytes at column 1`, 1},
	{`http.host & 1`, `cannot participate in bitwise and`, 1},
	{`tcp matches GET`, `matches requires a double quoted string on the right side at column 13: GET`, 13},
	{`80 == tcp.port`, `left side of "==" must be a field or function, not 80 at column 1`, 1},
	{`"GET" contains http.host`, `left side of "contains" must be a field or function`, 1},
	{`10.0.0.1 in {ip.src}`, `left side of "in" must be a field`, 1},
	{`nosuch(tcp)`, `the function "nosuch" does not exist`, 1},
	{`len(80) == 2`, `only fields can be used as parameter for len()`, 5},
	{`len(tcp, udp) == 2`, `takes exactly one argument`, 1},
	{`upper(tcp.port) == 1`, `only string fields can be used as parameter for upper()`, 7},
	// Syntax.
	{``, `the filter is empty at column 1`, 1},
	{`   `, `the filter is empty at column 4`, 4},
	{`(tcp`, `unbalanced parenthesis: missing ")" at column 1: (`, 1},
	{`((tcp) and udp`, `unbalanced parenthesis`, 1},
	{`tcp)`, `")" was unexpected in this context at column 4: )`, 4},
	{`()`, `")" was unexpected`, 2},
	{`tcp garbage`, `"garbage" was unexpected in this context at column 5: garbage`, 5},
	{`tcp.port == 80 80`, `"80" was unexpected`, 16},
	{`tcp.port == 80 == 1`, `"==" was unexpected`, 16},
	{`tcp and`, `unexpected end of filter at column 8`, 8},
	{`and tcp`, `"and" was unexpected`, 1},
	{`tcp.port ==`, `unexpected end of filter`, 12},
	{`== 80`, `"==" was unexpected`, 1},
	{`tcp = 80`, `unexpected character at column 5: =`, 5},
	{`tcp | udp`, `unexpected character at column 5: |`, 5},
	{`tcp.port in {}`, `the set is empty at column 14: }`, 14},
	{`tcp.port in {80,}`, `"}" was unexpected`, 17},
	{`tcp.port in {80`, `unexpected end of filter`, 16},
	{`tcp.port in 80`, `"80" was unexpected`, 13},
	{`tcp.port in {..80}`, `".." was unexpected`, 14},
	{`tcp.port in {1..http.host}`, `not of compatible types`, 17},
	{`ip.src in {10.0.0.1..10.0.0.9} or tcp.port in {tcp.srcport..5}`, `a range in a set must be between two values`, 59},
	{`http.host == "abc`, `the final quote was missing from a quoted string at column 14`, 14},
	{`tcp.payload contains 'ab'`, `a character constant must be one byte`, 22},
	{`tcp.payload contains '`, `the final quote was missing from a character constant`, 22},
	{`http.host == "\q"`, `\q is not a valid character escape sequence at column 15`, 15},
	{`http.host == "\u0041"`, `\u0041 is not a valid universal character name`, 15},
	{`http.host == "\777"`, `\777 is larger than 255`, 15},
	{`http.host == "\x"`, `\x is not a valid character escape sequence`, 15},
	{`frame[0:2 == 00`, `the right bracket was missing from a slice at column 6`, 6},
	{`frame[a:2] == 00`, `"a:2" is not a valid range`, 6},
	{`frame[0:0] == 00`, `"0:0" is not a valid range`, 6},
	{`frame[] == 00`, `"" is not a valid range`, 6},
	{`ip.src# == 1.2.3.4`, `expected a layer number after "#"`, 7},
	{`ip.src#0 == 1.2.3.4`, `the layer number must be at least 1`, 7},
	// Regular expressions.
	{`http.host matches "("`, `regex compilation error: missing closing ) at column 19: "("`, 19},
	{`http.host matches "a**"`, `regex compilation error: invalid nested repetition operator`, 19},
	{`http.host matches "(?<=a)b"`, `regex compilation error`, 19},
	// Columns count characters, not bytes.
	{`http.host == "é" and tcp.prot`, `at column 22`, 22},
}

func TestDFErrors(t *testing.T) {
	for _, tc := range dfErrorCases {
		_, err := Compile(tc.filter)
		if err == nil {
			t.Errorf("%s: compiles, want an error %q", tc.filter, tc.msg)
			continue
		}
		var de *Error
		if !errors.As(err, &de) {
			t.Errorf("%s: error %T, want *Error", tc.filter, err)
			continue
		}
		if !strings.HasPrefix(err.Error(), "decode: filter: ") || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%s:\n got  %v\n want …%s…", tc.filter, err, tc.msg)
		}
		if de.Column != tc.column {
			t.Errorf("%s: column %d, want %d (%v)", tc.filter, de.Column, tc.column, err)
		}
	}
}

// TestDFErrorFormat pins the message shapes.
func TestDFErrorFormat(t *testing.T) {
	for _, tc := range []struct{ filter, want string }{
		{`tcp.prot`, `decode: filter: "tcp.prot" is neither a field nor a protocol name at column 1; did you mean tcp.port, ip.proto?`},
		{`tcp garbage`, `decode: filter: "garbage" was unexpected in this context at column 5: garbage`},
		{`tcp.port == 70000`, `decode: filter: "70000" too big for this field, maximum 65535 at column 13: 70000`},
		{`tcp and`, `decode: filter: unexpected end of filter at column 8`},
	} {
		_, err := Compile(tc.filter)
		if err == nil || err.Error() != tc.want {
			t.Errorf("%s:\n got  %v\n want %s", tc.filter, err, tc.want)
		}
	}
}

func TestDFSuggestions(t *testing.T) {
	for _, tc := range []struct {
		name string
		want []string
	}{
		{"tcp.prot", []string{"tcp.port"}},
		{"ip.scr", []string{"ip.src"}},
		{"http.reqest.method", []string{"http.request.method"}},
		{"tcp.flags.sin", []string{"tcp.flags.fin", "tcp.flags.syn"}},
		{"eht", []string{"eth"}},
		{"zzzzzzzzzzzzzzzzzzzzzz", nil},
	} {
		got := closestNames(tc.name, 3)
		if len(got) > 3 {
			t.Errorf("%s: %d suggestions", tc.name, len(got))
		}
		for i, w := range tc.want {
			if i >= len(got) || got[i] != w {
				t.Errorf("%s: suggestions %q, want %q first", tc.name, got, tc.want)
				break
			}
		}
		if tc.want == nil && len(got) != 0 {
			t.Errorf("%s: suggestions %q, want none", tc.name, got)
		}
	}
}

func TestDFLevenshtein(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		d    int
	}{
		{"", "", 0}, {"abc", "abc", 0}, {"abc", "abd", 1}, {"abc", "ab", 1}, {"ab", "abc", 1},
		{"kitten", "sitting", 3}, {"tcp.prot", "tcp.port", 2}, {"flaw", "lawn", 2},
	} {
		if d := levenshtein(tc.a, tc.b, 10); d != tc.d {
			t.Errorf("levenshtein(%q, %q) = %d, want %d", tc.a, tc.b, d, tc.d)
		}
	}
	if d := levenshtein("abcdef", "uvwxyz", 2); d <= 2 {
		t.Errorf("the limit is not honoured: %d", d)
	}
}

func TestDFByteStrings(t *testing.T) {
	for _, tc := range []struct {
		s    string
		want []byte
		ok   bool
	}{
		{"00:11:22", []byte{0, 0x11, 0x22}, true},
		{"00-11-22", []byte{0, 0x11, 0x22}, true},
		{"00.11.22", []byte{0, 0x11, 0x22}, true},
		{"001122", []byte{0, 0x11, 0x22}, true},
		{"0011.2233.4455", []byte{0, 0x11, 0x22, 0x33, 0x44, 0x55}, true},
		{"1:2:3", []byte{1, 2, 3}, true},
		{"0", []byte{0}, true},
		{"abc", []byte{0xab, 0xc}, true},
		{"0x47", []byte{0x47}, true},
		{"0x047", nil, false},
		{"0x4", nil, false},
		{"00::11", nil, false},
		{"00:", nil, false},
		{"zz", nil, false},
		{"", nil, false},
	} {
		got, ok := parseBytes(tc.s)
		if ok != tc.ok || ok && !reflect.DeepEqual(got, tc.want) {
			t.Errorf("parseBytes(%q) = %x, %v; want %x, %v", tc.s, got, ok, tc.want, tc.ok)
		}
	}
}

func BenchmarkDFMatch(b *testing.B) {
	p := dfPacketHTTP()
	for _, f := range []string{`tcp.port == 80 && http.request.method == "GET"`, `tcp contains "Wget"`, `http.host matches "example"`} {
		df, err := Compile(f)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(f, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				df.Match(p)
			}
		})
	}
}
