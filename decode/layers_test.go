package decode

import (
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// layerCase is a hand-built packet (built field by field, see the name)
// with the values tshark 4.0.17 prints for it (-T fields, occurrence=a,
// aggregator=","), taken from tshark on a pcap holding just this packet.
// Fields tshark leaves empty must be absent in wiretap too.
type layerCase struct {
	name string
	lt   layers.LinkType
	hex  string
	want map[string]string
}

var layerCases = []layerCase{
	{
		name: "eth_ipv4_tcp_syn", lt: 1,
		hex: "00112233445566778899aabb08004500003c123440004006a734c0a80001c0a8" +
			"00029c400050000003e800000000a002faf0abcd0000020405b40402080a0000" +
			"00010000000001030307",
		want: map[string]string{
			"frame.protocols":               "eth:ethertype:ip:tcp",
			"eth.src":                       "66:77:88:99:aa:bb",
			"eth.dst":                       "00:11:22:33:44:55",
			"eth.type":                      "0x0800",
			"ip.version":                    "4",
			"ip.hdr_len":                    "20",
			"ip.dsfield":                    "0x00",
			"ip.len":                        "60",
			"ip.id":                         "0x1234",
			"ip.flags":                      "0x02",
			"ip.flags.df":                   "1",
			"ip.frag_offset":                "0",
			"ip.ttl":                        "64",
			"ip.proto":                      "6",
			"ip.checksum":                   "0xa734",
			"ip.src":                        "192.168.0.1",
			"ip.dst":                        "192.168.0.2",
			"ip.addr":                       "192.168.0.1,192.168.0.2",
			"tcp.srcport":                   "40000",
			"tcp.dstport":                   "80",
			"tcp.port":                      "40000,80",
			"tcp.stream":                    "0",
			"tcp.seq":                       "0",
			"tcp.seq_raw":                   "1000",
			"tcp.ack":                       "0",
			"tcp.len":                       "0",
			"tcp.nxtseq":                    "1",
			"tcp.hdr_len":                   "40",
			"tcp.flags":                     "0x0002",
			"tcp.flags.syn":                 "1",
			"tcp.flags.ack":                 "0",
			"tcp.flags.push":                "0",
			"tcp.flags.reset":               "0",
			"tcp.flags.fin":                 "0",
			"tcp.window_size_value":         "64240",
			"tcp.window_size":               "64240",
			"tcp.checksum":                  "0xabcd",
			"tcp.urgent_pointer":            "0",
			"tcp.options.mss_val":           "1460",
			"tcp.options.wscale.shift":      "7",
			"tcp.options.wscale.multiplier": "128",
			"tcp.options.timestamp.tsval":   "1",
			"tcp.options.timestamp.tsecr":   "0",
			"tcp.options.sack_perm":         "0402",
		},
	},
	{
		name: "eth_ipv4_udp", lt: 1,
		hex: "00112233445566778899aabb080045000026123400004011e73fc0a80001c0a8" +
			"000214e900350012111168656c6c6f20646e7321",
		want: map[string]string{
			"frame.protocols": "eth:ethertype:ip:udp:dns",
			"eth.src":         "66:77:88:99:aa:bb",
			"eth.dst":         "00:11:22:33:44:55",
			"eth.type":        "0x0800",
			"ip.version":      "4",
			"ip.hdr_len":      "20",
			"ip.dsfield":      "0x00",
			"ip.len":          "38",
			"ip.id":           "0x1234",
			"ip.flags":        "0x00",
			"ip.flags.df":     "0",
			"ip.frag_offset":  "0",
			"ip.ttl":          "64",
			"ip.proto":        "17",
			"ip.checksum":     "0xe73f",
			"ip.src":          "192.168.0.1",
			"ip.dst":          "192.168.0.2",
			"ip.addr":         "192.168.0.1,192.168.0.2",
			"udp.srcport":     "5353",
			"udp.dstport":     "53",
			"udp.port":        "5353,53",
			"udp.length":      "18",
			"udp.checksum":    "0x1111",
			"udp.stream":      "0",
		},
	},
	{
		name: "eth_ipv4_icmp_echo", lt: 1,
		hex: "00112233445566778899aabb080045000024123440004001a751c0a80001c0a8" +
			"000208004c3e1a2b00016162636465666768",
		want: map[string]string{
			"frame.protocols":      "eth:ethertype:ip:icmp:data",
			"eth.src":              "66:77:88:99:aa:bb",
			"eth.dst":              "00:11:22:33:44:55",
			"eth.type":             "0x0800",
			"ip.version":           "4",
			"ip.hdr_len":           "20",
			"ip.dsfield":           "0x00",
			"ip.len":               "36",
			"ip.id":                "0x1234",
			"ip.flags":             "0x02",
			"ip.flags.df":          "1",
			"ip.frag_offset":       "0",
			"ip.ttl":               "64",
			"ip.proto":             "1",
			"ip.checksum":          "0xa751",
			"ip.src":               "192.168.0.1",
			"ip.dst":               "192.168.0.2",
			"ip.addr":              "192.168.0.1,192.168.0.2",
			"icmp.type":            "8",
			"icmp.code":            "0",
			"icmp.checksum":        "0x4c3e",
			"icmp.checksum.status": "1",
			"icmp.ident":           "6699",
			"icmp.seq":             "1",
		},
	},
	{
		name: "eth_arp_request", lt: 1,
		hex: "ffffffffffff66778899aabb0806000108000604000166778899aabbc0a80001" +
			"000000000000c0a80002000000000000000000000000000000000000",
		want: map[string]string{
			"frame.protocols":    "eth:ethertype:arp",
			"eth.src":            "66:77:88:99:aa:bb",
			"eth.dst":            "ff:ff:ff:ff:ff:ff",
			"eth.type":           "0x0806",
			"eth.padding":        "000000000000000000000000000000000000",
			"arp.opcode":         "1",
			"arp.src.hw_mac":     "66:77:88:99:aa:bb",
			"arp.src.proto_ipv4": "192.168.0.1",
			"arp.dst.proto_ipv4": "192.168.0.2",
		},
	},
	{
		name: "eth_vlan_ipv4_tcp", lt: 1,
		hex: "00112233445566778899aabb8100606408004500002b123440004006a745c0a8" +
			"0001c0a8000204d201bb0000000500000006501801f4abcd0000474554",
		want: map[string]string{
			"frame.protocols":             "eth:ethertype:vlan:ethertype:ip:tcp",
			"eth.src":                     "66:77:88:99:aa:bb",
			"eth.dst":                     "00:11:22:33:44:55",
			"eth.type":                    "0x8100",
			"vlan.priority":               "3",
			"vlan.id":                     "100",
			"vlan.etype":                  "0x0800",
			"ip.version":                  "4",
			"ip.hdr_len":                  "20",
			"ip.dsfield":                  "0x00",
			"ip.len":                      "43",
			"ip.id":                       "0x1234",
			"ip.flags":                    "0x02",
			"ip.flags.df":                 "1",
			"ip.frag_offset":              "0",
			"ip.ttl":                      "64",
			"ip.proto":                    "6",
			"ip.checksum":                 "0xa745",
			"ip.src":                      "192.168.0.1",
			"ip.dst":                      "192.168.0.2",
			"ip.addr":                     "192.168.0.1,192.168.0.2",
			"tcp.srcport":                 "1234",
			"tcp.dstport":                 "443",
			"tcp.port":                    "1234,443",
			"tcp.stream":                  "0",
			"tcp.seq":                     "1",
			"tcp.seq_raw":                 "5",
			"tcp.ack":                     "1",
			"tcp.len":                     "3",
			"tcp.nxtseq":                  "4",
			"tcp.hdr_len":                 "20",
			"tcp.flags":                   "0x0018",
			"tcp.flags.syn":               "0",
			"tcp.flags.ack":               "1",
			"tcp.flags.push":              "1",
			"tcp.flags.reset":             "0",
			"tcp.flags.fin":               "0",
			"tcp.window_size_value":       "500",
			"tcp.window_size":             "500",
			"tcp.window_size_scalefactor": "-1",
			"tcp.checksum":                "0xabcd",
			"tcp.urgent_pointer":          "0",
		},
	},
	{
		name: "eth_ipv6_hbh_icmpv6", lt: 1,
		hex: "00112233445566778899aabb86dd600000000014004020010db8000000000000" +
			"00000000000120010db80000000000000000000000023a000502000001008000" +
			"00000077000370696e67",
		want: map[string]string{
			"frame.protocols":             "eth:ethertype:ipv6:ipv6.hopopts:icmpv6:data",
			"eth.src":                     "66:77:88:99:aa:bb",
			"eth.dst":                     "00:11:22:33:44:55",
			"eth.type":                    "0x86dd",
			"ip.version":                  "6",
			"ipv6.plen":                   "20",
			"ipv6.nxt":                    "0",
			"ipv6.hlim":                   "64",
			"ipv6.src":                    "2001:db8::1",
			"ipv6.dst":                    "2001:db8::2",
			"ipv6.hopopts.nxt":            "58",
			"icmpv6.type":                 "128",
			"icmpv6.code":                 "0",
			"icmpv6.checksum.status":      "0",
			"icmpv6.echo.identifier":      "0x0077",
			"icmpv6.echo.sequence_number": "3",
		},
	},
	{
		name: "raw_ipv6_tcp", lt: 101,
		hex: "600000000014064020010db800000000000000000000000120010db800000000" +
			"0000000000000002c3501f9000000007000000005002ffffabcd0000",
		want: map[string]string{
			"frame.protocols":       "raw:ipv6:tcp",
			"ip.version":            "6",
			"ipv6.plen":             "20",
			"ipv6.nxt":              "6",
			"ipv6.hlim":             "64",
			"ipv6.src":              "2001:db8::1",
			"ipv6.dst":              "2001:db8::2",
			"tcp.srcport":           "50000",
			"tcp.dstport":           "8080",
			"tcp.port":              "50000,8080",
			"tcp.stream":            "0",
			"tcp.seq":               "0",
			"tcp.seq_raw":           "7",
			"tcp.ack":               "0",
			"tcp.len":               "0",
			"tcp.nxtseq":            "1",
			"tcp.hdr_len":           "20",
			"tcp.flags":             "0x0002",
			"tcp.flags.syn":         "1",
			"tcp.flags.ack":         "0",
			"tcp.flags.push":        "0",
			"tcp.flags.reset":       "0",
			"tcp.flags.fin":         "0",
			"tcp.window_size_value": "65535",
			"tcp.window_size":       "65535",
			"tcp.checksum":          "0xabcd",
			"tcp.urgent_pointer":    "0",
		},
	},
	{
		name: "null_ipv4_udp", lt: 0,
		hex: "020000004500001d123440004011a748c0a80001c0a800020001000200091111" +
			"78",
		want: map[string]string{
			"frame.protocols": "null:ip:udp:data",
			"null.family":     "2",
			"ip.version":      "4",
			"ip.hdr_len":      "20",
			"ip.dsfield":      "0x00",
			"ip.len":          "29",
			"ip.id":           "0x1234",
			"ip.flags":        "0x02",
			"ip.flags.df":     "1",
			"ip.frag_offset":  "0",
			"ip.ttl":          "64",
			"ip.proto":        "17",
			"ip.checksum":     "0xa748",
			"ip.src":          "192.168.0.1",
			"ip.dst":          "192.168.0.2",
			"ip.addr":         "192.168.0.1,192.168.0.2",
			"udp.srcport":     "1",
			"udp.dstport":     "2",
			"udp.port":        "1,2",
			"udp.length":      "9",
			"udp.checksum":    "0x1111",
			"udp.stream":      "0",
		},
	},
	{
		name: "sll_ipv4_tcp", lt: 113,
		hex: "00040001000666778899aabb0000080045000028123440004006a748c0a80001" +
			"c0a800020016c36600000064000000c8501003e8abcd0000",
		want: map[string]string{
			"frame.protocols":             "sll:ethertype:ip:tcp",
			"sll.pkttype":                 "4",
			"sll.hatype":                  "1",
			"sll.etype":                   "0x0800",
			"sll.src.eth":                 "66:77:88:99:aa:bb",
			"ip.version":                  "4",
			"ip.hdr_len":                  "20",
			"ip.dsfield":                  "0x00",
			"ip.len":                      "40",
			"ip.id":                       "0x1234",
			"ip.flags":                    "0x02",
			"ip.flags.df":                 "1",
			"ip.frag_offset":              "0",
			"ip.ttl":                      "64",
			"ip.proto":                    "6",
			"ip.checksum":                 "0xa748",
			"ip.src":                      "192.168.0.1",
			"ip.dst":                      "192.168.0.2",
			"ip.addr":                     "192.168.0.1,192.168.0.2",
			"tcp.srcport":                 "22",
			"tcp.dstport":                 "50022",
			"tcp.port":                    "22,50022",
			"tcp.stream":                  "0",
			"tcp.seq":                     "1",
			"tcp.seq_raw":                 "100",
			"tcp.ack":                     "1",
			"tcp.len":                     "0",
			"tcp.nxtseq":                  "1",
			"tcp.hdr_len":                 "20",
			"tcp.flags":                   "0x0010",
			"tcp.flags.syn":               "0",
			"tcp.flags.ack":               "1",
			"tcp.flags.push":              "0",
			"tcp.flags.reset":             "0",
			"tcp.flags.fin":               "0",
			"tcp.window_size_value":       "1000",
			"tcp.window_size":             "1000",
			"tcp.window_size_scalefactor": "-1",
			"tcp.checksum":                "0xabcd",
			"tcp.urgent_pointer":          "0",
		},
	},
	{
		name: "sll2_ipv6_udp", lt: 276,
		hex: "86dd0000000000030001000666778899aabb000060000000000b114020010db8" +
			"00000000000000000000000120010db8000000000000000000000002007b007b" +
			"000b11116e7470",
		want: map[string]string{
			"frame.protocols": "sll:ethertype:ipv6:udp:ntp",
			"sll.pkttype":     "0",
			"sll.hatype":      "1",
			"sll.etype":       "0x86dd",
			"sll.src.eth":     "66:77:88:99:aa:bb",
			"sll.ifindex":     "3",
			"ip.version":      "6",
			"ipv6.plen":       "11",
			"ipv6.nxt":        "17",
			"ipv6.hlim":       "64",
			"ipv6.src":        "2001:db8::1",
			"ipv6.dst":        "2001:db8::2",
			"udp.srcport":     "123",
			"udp.dstport":     "123",
			"udp.port":        "123,123",
			"udp.length":      "11",
			"udp.checksum":    "0x1111",
			"udp.stream":      "0",
		},
	},
	{
		name: "eth_ipv6_dstopts_frag_tcp", lt: 1,
		hex: "00112233445566778899aabb86dd6000000000243c4020010db8000000000000" +
			"00000000000120010db80000000000000000000000022c000104000000000600" +
			"00000000000900010002000000030000000450110005abcd0000",
		want: map[string]string{
			"frame.protocols":             "eth:ethertype:ipv6:ipv6.dstopts:ipv6.fraghdr:tcp",
			"eth.src":                     "66:77:88:99:aa:bb",
			"eth.dst":                     "00:11:22:33:44:55",
			"eth.type":                    "0x86dd",
			"ip.version":                  "6",
			"ipv6.plen":                   "36",
			"ipv6.nxt":                    "60",
			"ipv6.hlim":                   "64",
			"ipv6.src":                    "2001:db8::1",
			"ipv6.dst":                    "2001:db8::2",
			"ipv6.dstopts.nxt":            "44",
			"ipv6.fraghdr.offset":         "0",
			"ipv6.fraghdr.more":           "0",
			"ipv6.fraghdr.ident":          "0x00000009",
			"tcp.srcport":                 "1",
			"tcp.dstport":                 "2",
			"tcp.port":                    "1,2",
			"tcp.stream":                  "0",
			"tcp.seq":                     "1",
			"tcp.seq_raw":                 "3",
			"tcp.ack":                     "1",
			"tcp.len":                     "0",
			"tcp.nxtseq":                  "2",
			"tcp.hdr_len":                 "20",
			"tcp.flags":                   "0x0011",
			"tcp.flags.syn":               "0",
			"tcp.flags.ack":               "1",
			"tcp.flags.push":              "0",
			"tcp.flags.reset":             "0",
			"tcp.flags.fin":               "1",
			"tcp.window_size_value":       "5",
			"tcp.window_size":             "5",
			"tcp.window_size_scalefactor": "-1",
			"tcp.checksum":                "0xabcd",
			"tcp.urgent_pointer":          "0",
		},
	},
	{
		name: "eth_ipv4_options_tcp", lt: 1,
		hex: "00112233445566778899aabb08004600002c123440004006a443c0a80001c0a8" +
			"00020101010000070008000000090000000a50040000abcd0000",
		want: map[string]string{
			"frame.protocols":             "eth:ethertype:ip:tcp",
			"eth.src":                     "66:77:88:99:aa:bb",
			"eth.dst":                     "00:11:22:33:44:55",
			"eth.type":                    "0x0800",
			"ip.version":                  "4",
			"ip.hdr_len":                  "24",
			"ip.dsfield":                  "0x00",
			"ip.len":                      "44",
			"ip.id":                       "0x1234",
			"ip.flags":                    "0x02",
			"ip.flags.df":                 "1",
			"ip.frag_offset":              "0",
			"ip.ttl":                      "64",
			"ip.proto":                    "6",
			"ip.checksum":                 "0xa443",
			"ip.src":                      "192.168.0.1",
			"ip.dst":                      "192.168.0.2",
			"ip.addr":                     "192.168.0.1,192.168.0.2",
			"tcp.srcport":                 "7",
			"tcp.dstport":                 "8",
			"tcp.port":                    "7,8",
			"tcp.stream":                  "0",
			"tcp.seq":                     "1",
			"tcp.seq_raw":                 "9",
			"tcp.ack":                     "10",
			"tcp.len":                     "0",
			"tcp.nxtseq":                  "1",
			"tcp.hdr_len":                 "20",
			"tcp.flags":                   "0x0004",
			"tcp.flags.syn":               "0",
			"tcp.flags.ack":               "0",
			"tcp.flags.push":              "0",
			"tcp.flags.reset":             "1",
			"tcp.flags.fin":               "0",
			"tcp.window_size_value":       "0",
			"tcp.window_size":             "0",
			"tcp.window_size_scalefactor": "-1",
			"tcp.checksum":                "0xabcd",
			"tcp.urgent_pointer":          "0",
		},
	},
}

// layerCheckedFields are compared for every case: a field missing from a
// case's want must be absent.
var layerCheckedFields = strings.Fields(`frame.protocols eth.src eth.dst eth.type eth.padding vlan.priority
vlan.id vlan.etype arp.opcode arp.src.hw_mac arp.src.proto_ipv4 arp.dst.proto_ipv4 sll.pkttype sll.hatype
sll.etype sll.src.eth sll.ifindex null.family ip.version ip.hdr_len ip.dsfield ip.len ip.id ip.flags
ip.flags.df ip.frag_offset ip.ttl ip.proto ip.checksum ip.src ip.dst ip.addr ipv6.plen ipv6.nxt ipv6.hlim
ipv6.src ipv6.dst ipv6.hopopts.nxt ipv6.dstopts.nxt ipv6.fraghdr.offset ipv6.fraghdr.more
ipv6.fraghdr.ident icmp.type icmp.code icmp.checksum icmp.checksum.status icmp.ident icmp.seq icmpv6.type
icmpv6.code icmpv6.checksum.status icmpv6.echo.identifier icmpv6.echo.sequence_number udp.srcport
udp.dstport udp.port udp.length udp.checksum udp.stream tcp.srcport tcp.dstport tcp.port tcp.stream
tcp.seq tcp.seq_raw tcp.ack tcp.len tcp.nxtseq tcp.hdr_len tcp.flags tcp.flags.syn tcp.flags.ack
tcp.flags.push tcp.flags.reset tcp.flags.fin tcp.window_size_value tcp.window_size
tcp.window_size_scalefactor tcp.checksum tcp.urgent_pointer tcp.options.mss_val tcp.options.wscale.shift
tcp.options.wscale.multiplier tcp.options.timestamp.tsval tcp.options.timestamp.tsecr tcp.options.sack_perm`)

func mustHex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

var layerEpoch = time.Unix(1700000000, 0)

// dissectOne runs both tiers over a single packet.
func dissectOne(lt layers.LinkType, data []byte) *Packet {
	ci := gopacket.CaptureInfo{Timestamp: layerEpoch, CaptureLength: len(data), Length: len(data)}
	a := NewAnalyzer(Options{})
	a.Add(1, ci, lt, data)
	a.Finish()
	return a.Dissect(1, ci, lt, data)
}

func TestLayerCases(t *testing.T) {
	for _, tc := range layerCases {
		t.Run(tc.name, func(t *testing.T) {
			p := dissectOne(tc.lt, mustHex(t, tc.hex))
			for _, f := range layerCheckedFields {
				got := p.FieldText(f, ",")
				want := tc.want[f]
				if f == "frame.protocols" { // what follows tcp/udp is the app stage's
					got, want = protocolsPrefix(got), protocolsPrefix(want)
				}
				if got != want {
					t.Errorf("%s = %q, tshark %q", f, got, want)
				}
			}
			if len(p.Tree) == 0 || p.Tree[0].Name != "frame" {
				t.Fatalf("tree does not start with frame")
			}
			for _, top := range p.Tree {
				if top.Name == "_ws.malformed" {
					t.Errorf("a well-formed packet is marked malformed")
				}
			}
			checkRanges(t, p)
		})
	}
}

// checkRanges verifies that every field's bytes lie within its source.
func checkRanges(t *testing.T, p *Packet) {
	t.Helper()
	for _, top := range p.Tree {
		top.Walk(func(f *Field) bool {
			if f.Source < 0 || f.Source >= len(p.Sources) {
				t.Errorf("%s %q: source %d of %d", f.Name, f.Label, f.Source, len(p.Sources))
				return true
			}
			if f.Start < 0 || f.Len < 0 || f.Start+f.Len > len(p.Sources[f.Source].Data) {
				t.Errorf("%s %q: bytes %d+%d outside source of %d", f.Name, f.Label, f.Start, f.Len, len(p.Sources[f.Source].Data))
			}
			return true
		})
	}
}

// TestLayerLabels checks the details-pane lines of a TCP SYN against
// tshark -V, and the byte ranges of a few fields.
func TestLayerLabels(t *testing.T) {
	p := dissectOne(layers.LinkTypeEthernet, mustHex(t, layerCases[0].hex))
	labels := map[string]string{}
	ranges := map[string][2]int{}
	for _, top := range p.Tree {
		top.Walk(func(f *Field) bool {
			if _, ok := labels[f.Name]; !ok {
				labels[f.Name] = f.Label
				ranges[f.Name] = [2]int{f.Start, f.Len}
			}
			return true
		})
	}
	for name, want := range map[string]string{
		"eth":                   "Ethernet II, Src: 66:77:88:99:aa:bb, Dst: 00:11:22:33:44:55",
		"ip":                    "Internet Protocol Version 4, Src: 192.168.0.1, Dst: 192.168.0.2",
		"ip.version":            "0100 .... = Version: 4",
		"ip.hdr_len":            ".... 0101 = Header Length: 20 bytes (5)",
		"ip.dsfield":            "Differentiated Services Field: 0x00 (DSCP: CS0, ECN: Not-ECT)",
		"ip.flags":              "010. .... = Flags: 0x2, Don't fragment",
		"ip.flags.df":           ".1.. .... = Don't fragment: Set",
		"ip.frag_offset":        "...0 0000 0000 0000 = Fragment Offset: 0",
		"ip.id":                 "Identification: 0x1234 (4660)",
		"ip.proto":              "Protocol: TCP (6)",
		"tcp":                   "Transmission Control Protocol, Src Port: 40000, Dst Port: 80, Seq: 0, Len: 0",
		"tcp.srcport":           "Source Port: 40000",
		"tcp.seq":               "Sequence Number: 0    (relative sequence number)",
		"tcp.hdr_len":           "1010 .... = Header Length: 40 bytes (10)",
		"tcp.flags":             "Flags: 0x002 (SYN)",
		"tcp.flags.syn":         ".... .... ..1. = Syn: Set",
		"tcp.flags.str":         "[TCP Flags: ··········S·]",
		"tcp.options.mss":       "TCP Option - Maximum segment size: 1460 bytes",
		"tcp.options.wscale":    "TCP Option - Window scale: 7 (multiply by 128)",
		"tcp.options.timestamp": "TCP Option - Timestamps: TSval 1, TSecr 0",
	} {
		if labels[name] != want {
			t.Errorf("%s label %q, want %q", name, labels[name], want)
		}
	}
	for name, want := range map[string][2]int{
		"eth": {0, 14}, "eth.type": {12, 2}, "ip": {14, 20}, "ip.src": {26, 4}, "tcp": {34, 40},
		"tcp.srcport": {34, 2}, "tcp.seq": {38, 4}, "tcp.flags": {46, 2}, "tcp.options.mss_val": {56, 2},
	} {
		if ranges[name] != want {
			t.Errorf("%s covers %v, want %v", name, ranges[name], want)
		}
	}
	want := "40000 → 80 [SYN] Seq=0 Win=64240 Len=0 MSS=1460 SACK_PERM TSval=1 TSecr=0 WS=128"
	if p.Summary.Info != want || p.Summary.Protocol != "TCP" || p.Summary.Src != "192.168.0.1" {
		t.Errorf("summary %+v, want Info %q", p.Summary, want)
	}
}

// TestTruncatedPrefixes dissects every proper prefix of every hand-built
// packet (each link type): no panic, byte ranges inside the data, and
// the tree and the Info column agree on whether a dissector ran off the
// end (a _ws.malformed node and a "[Malformed Packet…]" note). Which
// prefixes are malformed is tshark's to say: a datagram cut inside its
// payload is not (IP takes the shorter of its length and the frame's);
// the summary oracle compares them all (TestOracleSummarySynthetic,
// prefixes-* captures). The headers of the link and network layers must
// be.
func TestTruncatedPrefixes(t *testing.T) {
	type sample struct {
		name string
		lt   layers.LinkType
		data []byte
		end  int
	}
	var samples []sample
	for _, tc := range layerCases {
		b := mustHex(t, tc.hex)
		samples = append(samples, sample{tc.name, tc.lt, b, len(b)})
	}
	for _, s := range samples {
		for n := 0; n < s.end; n++ {
			prefix := s.data[:n:n]
			var p *Packet
			func() {
				defer func() {
					if r := recover(); r != nil {
						t.Fatalf("%s cut to %d bytes: panic %v", s.name, n, r)
					}
				}()
				p = dissectOne(s.lt, prefix)
			}()
			tree, info := isMalformed(p)
			if tree != info {
				t.Errorf("%s cut to %d bytes: malformed in the tree %v, in Info %v (%q)", s.name, n, tree, info, p.Summary.Info)
			}
			if n < linkNetHeader(s.lt, s.data) && !tree {
				t.Errorf("%s cut to %d bytes, inside the network header: not marked malformed (info %q)", s.name, n, p.Summary.Info)
			}
			checkRanges(t, p)
		}
	}
}

// isMalformed reports whether the tree has a _ws.malformed (or
// _ws.short) node, and whether Info ends with the note of one.
func isMalformed(p *Packet) (tree, info bool) {
	for _, top := range p.Tree {
		if top.Name == "_ws.malformed" || top.Name == "_ws.short" {
			tree = true
		}
	}
	for _, note := range []string{malformedNote, snapNote, containedNote} {
		info = info || strings.HasSuffix(p.Summary.Info, note)
	}
	return tree, info
}

// linkNetHeader is where the link-layer and network-layer headers of a
// hand-built packet end (for IPv6, the fixed header).
func linkNetHeader(lt layers.LinkType, b []byte) int {
	link := map[layers.LinkType]int{layers.LinkTypeEthernet: 14, layers.LinkTypeNull: 4,
		layers.LinkTypeLinuxSLL: 16, layers.LinkTypeLinuxSLL2: 20}[lt]
	if lt == layers.LinkTypeEthernet && be16(b[12:]) == 0x8100 {
		link += 4
	}
	switch b[link] >> 4 {
	case 4:
		return link + int(b[link]&15)*4
	case 6:
		return link + 40
	}
	return link + 28 // ARP
}

// TestSnapLength: a packet cut by the capture's snap length is reported
// as Wireshark does ("Packet size limited during capture").
func TestSnapLength(t *testing.T) {
	b := mustHex(t, layerCases[0].hex)[:40]
	ci := gopacket.CaptureInfo{Timestamp: layerEpoch, CaptureLength: 40, Length: 74}
	a := NewAnalyzer(Options{})
	a.Add(1, ci, layers.LinkTypeEthernet, b)
	a.Finish()
	p := a.Dissect(1, ci, layers.LinkTypeEthernet, b)
	if got := p.FieldText("frame.len", ""); got != "74" {
		t.Errorf("frame.len %q", got)
	}
	if len(p.Fields("_ws.short")) != 1 {
		t.Errorf("no _ws.short node")
	}
	if got := p.FieldText("frame.protocols", ""); got != "eth:ethertype:ip:tcp:_ws.short" {
		t.Errorf("frame.protocols %q", got)
	}
}

// TestIPv4Reassembly: three fragments of a UDP datagram; the last one
// completes it and carries the UDP layer, dissected from a "Reassembled
// IPv4" data source; the others point to it.
func TestIPv4Reassembly(t *testing.T) {
	payload := make([]byte, 8+40)
	copy(payload, []byte{0x30, 0x39, 0x00, 0x35, 0x00, 48, 0x00, 0x00}) // udp 12345 → 53, length 48
	for i := 8; i < len(payload); i++ {
		payload[i] = byte(i)
	}
	frag := func(off int, more bool, part []byte) []byte {
		h := []byte{0x45, 0, 0, 0, 0xbe, 0xef, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2}
		tl := 20 + len(part)
		h[2], h[3] = byte(tl>>8), byte(tl)
		fo := off / 8
		if more {
			fo |= 0x2000
		}
		h[6], h[7] = byte(fo>>8), byte(fo)
		eth := mustHex(t, "00112233445566778899aabb0800")
		return append(append(eth, h...), part...)
	}
	pkts := [][]byte{frag(0, true, payload[:16]), frag(32, false, payload[32:]), frag(16, true, payload[16:32])}
	a := NewAnalyzer(Options{})
	for i, b := range pkts {
		a.Add(i+1, gopacket.CaptureInfo{Timestamp: layerEpoch, CaptureLength: len(b), Length: len(b)}, layers.LinkTypeEthernet, b)
	}
	a.Finish()
	var ps []*Packet
	for i, b := range pkts {
		ps = append(ps, a.Dissect(i+1, gopacket.CaptureInfo{Timestamp: layerEpoch, CaptureLength: len(b), Length: len(b)}, layers.LinkTypeEthernet, b))
	}
	for i := 0; i < 2; i++ {
		if got := ps[i].FieldText("frame.protocols", ""); got != "eth:ethertype:ip:data" {
			t.Errorf("frame %d protocols %q", i+1, got)
		}
		if got := ps[i].FieldText("ip.reassembled_in", ""); got != "3" {
			t.Errorf("frame %d ip.reassembled_in %q", i+1, got)
		}
	}
	p := ps[2]
	if got := p.FieldText("frame.protocols", ""); got != "eth:ethertype:ip:udp:data" {
		t.Errorf("protocols %q", got)
	}
	if got := p.FieldText("udp.srcport", "") + " " + p.FieldText("udp.length", "") + " " + p.FieldText("udp.stream", ""); got != "12345 48 0" {
		t.Errorf("udp %q", got)
	}
	if got := p.FieldText("ip.fragment", ","); got != "1,3,2" {
		t.Errorf("ip.fragment %q", got)
	}
	if len(p.Sources) != 2 || p.Sources[1].Name != "Reassembled IPv4" || len(p.Sources[1].Data) != 48 {
		t.Fatalf("sources %v", p.Sources)
	}
	u := p.Fields("udp.srcport")[0]
	if u.Source != 1 || u.Start != 0 || u.Len != 2 {
		t.Errorf("udp.srcport in source %d at %d+%d", u.Source, u.Start, u.Len)
	}
	if got := len(a.UDPStreams()); got != 1 {
		t.Errorf("%d udp streams", got)
	}
	checkRanges(t, p)
}

// TestICMPError: an ICMP port unreachable quotes the datagram that caused
// it; its IP and UDP headers are shown (second ip.src) without changing
// the packet list's columns or the UDP streams.
func TestICMPError(t *testing.T) {
	quoted := mustHex(t, "4500001d123440004011a748c0a80002c0a80001"+"00010002000911117800")
	icmp := append([]byte{3, 3, 0, 0, 0, 0, 0, 0}, quoted...)
	ck := inetChecksum(0, icmp)
	icmp[2], icmp[3] = byte(ck>>8), byte(ck)
	hdr := []byte{0x45, 0, 0, 0, 0xab, 0xcd, 0, 0, 64, 1, 0, 0, 192, 168, 0, 1, 192, 168, 0, 2}
	tl := 20 + len(icmp)
	hdr[2], hdr[3] = byte(tl>>8), byte(tl)
	b := append(append(mustHex(t, "00112233445566778899aabb0800"), hdr...), icmp...)
	p := dissectOne(layers.LinkTypeEthernet, b)
	if got := p.FieldText("ip.src", ","); got != "192.168.0.1,192.168.0.2" {
		t.Errorf("ip.src %q", got)
	}
	if got := p.FieldText("udp.srcport", ","); got != "1" {
		t.Errorf("udp.srcport %q", got)
	}
	if got := p.FieldText("icmp.checksum.status", ""); got != "1" {
		t.Errorf("icmp.checksum.status %q", got)
	}
	if p.Summary.Protocol != "ICMP" || p.Summary.Info != "Destination unreachable (Port unreachable)" {
		t.Errorf("summary %+v", p.Summary)
	}
	if p.FieldText("udp.stream", "") != "" {
		t.Errorf("a quoted datagram got a udp.stream")
	}
}
