package dfilter

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"wiretap/capture/oracletest"
	"wiretap/decode"
	"wiretap/decode/decodetest"
)

// dfOracleFilters are evaluated by wiretap and by tshark 4.0 on every
// oracle capture; the matching frame numbers must be the same. They cover
// every feature of the filter language wiretap implements, on fields the
// captures have.
var dfOracleFilters = []string{
	// Protocols and bare fields as existence tests.
	`frame`, `eth`, `ip`, `ipv6`, `tcp`, `udp`, `http`, `sll`, `null`, `vlan`, `data`, `data-text-lines`,
	`http.request`, `http.response`, `tcp.analysis`, `tcp.analysis.retransmission`,
	`tcp.analysis.duplicate_ack`, `tcp.analysis.window_update`, `tcp.options.mss_val`, `eth.padding`,
	`eth.trailer`, `ip.flags.df`, `tcp.payload`, `tls`,
	// Comparison operators, symbolic and as words.
	`tcp.port == 80`, `tcp.port != 80`, `tcp.port ~= 80`, `tcp.port !== 80`, `tcp.port === 80`,
	`tcp.port any_eq 80`, `tcp.port all_ne 80`, `tcp.port all_eq 80`, `tcp.port any_ne 80`,
	`frame.len > 100`, `frame.len < 60`, `frame.len >= 66`, `frame.len <= 66`,
	`frame.len gt 100`, `frame.len lt 60`, `frame.len ge 66`, `frame.len le 66`, `frame.len eq 66`, `frame.len ne 66`,
	`udp.port == 53`, `udp.port != 53`, `ip.addr != 192.168.1.1`, `ip.addr ~= 192.168.1.1`,
	// Numbers: hex, octal, binary, char constants, negatives, range limits.
	`tcp.srcport == 0x50`, `tcp.dstport == 0120`, `tcp.srcport == 0b1010000`, `tcp.srcport == 'P'`,
	`tcp.srcport > -1`, `tcp.srcport != -1`, `tcp.flags == 0x002`, `tcp.flags == 0x012`, `eth.type == 0x0800`,
	`eth.type == 2048`, `ip.proto == 6`, `ip.proto == 17`, `ip.ttl >= 64 && ip.ttl < 128`,
	`tcp.window_size_scalefactor == -1`, `tcp.window_size_scalefactor > 1`,
	// Booleans.
	`tcp.flags.syn == 1`, `tcp.flags.syn == 0`, `tcp.flags.syn == True`, `tcp.flags.syn == False`,
	`tcp.flags.syn == TRUE`, `tcp.flags.ack == 1 && tcp.flags.push == 1`, `tcp.flags.syn > 0`,
	`tcp.flags.fin == 1 || tcp.flags.reset == 1`, `ip.flags.df == 0`,
	// Bitwise and.
	`tcp.flags & 0x02`, `tcp.flags & 0x12 == 0x12`, `tcp.flags bitwise_and 0x04`,
	// Logic and precedence.
	`tcp.flags.syn == 1 or tcp.len > 0 and tcp.flags.ack == 0`,
	`(tcp.flags.syn == 1 or tcp.len > 0) and tcp.flags.ack == 0`,
	`not tcp.flags.syn == 1 or tcp.len > 0`, `!tcp.flags.ack or tcp.flags.syn and tcp.flags.ack`,
	`!(tcp.port == 80)`, `not not tcp`, `tcp and not udp`, `tcp && !http`, `ip || ipv6`,
	`tcp.flags.syn==1&&tcp.flags.ack==1||tcp.flags.fin==1`, `((tcp.len > 0)) && !((http))`,
	`tcp.stream eq 0 and tcp.len gt 0 and not tcp.analysis.retransmission`,
	`frame.len != 66 && frame.len != 1514`,
	// Sets and ranges.
	`tcp.srcport in {80, 443}`, `tcp.port in {80,8080,5683}`, `tcp.len in {1..500}`,
	`tcp.len in {0, 1..500}`, `frame.len in {60..70, 1514}`, `tcp.srcport in {79 .. 81}`,
	`tcp.port not in {80}`, `tcp.len in {5..0}`, `frame.number in {1,3,5}`,
	`http.request.method in {"GET", "POST"}`, `ip.src in {141.142.0.0/16, 10.0.0.1}`,
	`http.response.code in {200..299}`, `http.response.code in {100..199, 404}`,
	// Strings, escapes, contains and matches.
	`http.request.method == "GET"`, `http.request.method == GET`, `http.request.method != "GET"`,
	`http.request.method > "GET"`, `http.host contains "bro"`, `http.host == "bro.org"`,
	`http.request.uri contains "/"`, `http.user_agent matches "^Wget"`, `http.user_agent matches "wget"`,
	`http.user_agent matches "(?-i)wget"`, `http.user_agent matches "(?-i)Wget"`, `http.request.uri matches "\\.(txt|json)$"`,
	`http.request.uri matches r"\.(txt|json)$"`, `http.content_type contains "text"`,
	`frame.protocols == "eth:ethertype:ip:tcp"`, `frame.protocols contains "http"`,
	`frame.protocols matches "http$"`, `tcp.flags.str == "·······A···F"`, `tcp.flags.str matches "F$"`,
	`tcp.payload contains "GET"`, `tcp.payload contains 47:45:54`, `tcp.payload contains 47-45-54`,
	`tcp.payload contains 474554`, `tcp.payload contains "\x47ET"`, `tcp.payload contains "\107ET"`,
	`tcp.payload contains "\r\n\r\n"`, `tcp.payload contains "\""`, `tcp.payload contains 'G'`,
	`tcp.payload matches "^GET /[a-z]"`, `tcp.payload matches "http/1\\.[01]"`, `tcp.payload ~ "get"`,
	`tcp contains "GET"`, `eth contains "GET"`, `ip contains "HTTP"`, `frame contains 0d:0a`,
	`frame contains "\x00\x00\x00\x00\x00\x00"`, `eth contains 00:00:00:00`, `tcp contains 00:00:00:00`,
	`frame matches "(?-i)gEt"`, `frame matches "(?-i)GET"`, `frame matches "gEt"`, `eth matches "\\x91Z"`, `tcp matches "\\r\\n$"`,
	`udp contains 03:77:77:77`, `udp.payload contains "www"`, `udp.port not in {53}`,
	`frame matches "[\x80-\xff]{4}"`, `frame matches "[\\x80-\\xff]{4}"`, `tcp.payload matches "\\x0d\\x0a\\x0d\\x0a$"`,
	`tcp.payload matches "[^\x00-\x7f]"`, `frame matches "\xff\xff\xff\xff\xff\xff"`,
	// Slices.
	`frame[0:4] == 00:00:00:00`, `frame[12:2] == 08:00`, `frame[12:2] == 0800`, `frame[0] == 0`,
	`tcp.payload[0] == 0x47`, `tcp.payload[0] == 47`, `tcp.payload[0:3] == "GET"`, `tcp.payload[:3] == "GET"`,
	`tcp.payload[0-2] == "GET"`, `tcp.payload[1:] contains "ET /"`, `tcp.payload[-4:] == 0d:0a:0d:0a`,
	`tcp.payload[0:2,3] == 47:45:20`, `eth.addr[0:3] == 00:10:db`, `ip.src[0] == 8d`, `ip.src[0:2] == 8d:8e`,
	`eth[0:6] == eth.dst`, `eth.dst == eth[0:6]`, `eth[-1:] == 00`, `eth[14:1] == 45`, `eth[13:1] == 00`, `ip[0] == 45`,
	`tcp[13] & 0x02`, `frame[100:4] != 00:00:00:00`, `tcp[0:2] == 00:50`, `ipv6.src[0:2] == 20:01`,
	// Addresses.
	`ip.src == 141.142.228.5`, `ip.addr == 141.142.0.0/16`, `ip.addr != 141.142.0.0/16`,
	`ip.src == 141.142.228.5/32`, `ip.dst == 192.150.187.0/24`, `ip.src > 10.0.0.0/8`, `ip.src < 128.0.0.0`,
	`ip.addr == 10.0.0.0/8`, `ip.addr == 192.168.0.0/16`, `ipv6.addr == ::1`, `ipv6.src == 2001:618:400::/48`,
	`ipv6.addr == 2001:618:1:8000::5`, `ipv6.addr == 2001:db8::/32`, `ipv6.dst != ::1`, `ipv6.src < 2000::`,
	`eth.addr == ff:ff:ff:ff:ff:ff`, `eth.src == 00:10:db:88:d2:ef`, `eth.dst == c8-bc-c8-96-d2-a0`,
	`eth.addr == 0010.db88.d2ef`, `eth.addr == c8bcc896d2a0`, `eth.addr == c8.bc.c8.96.d2.a0`, `eth.src > 00:50:00:00:00:00`,
	// Field against field.
	`tcp.srcport == tcp.dstport`, `tcp.srcport > tcp.dstport`, `ip.src == ip.dst`, `ip.src != ip.dst`,
	`frame.len == ip.len`, `frame.len > ip.len`, `tcp.window_size_scalefactor == tcp.srcport`,
	`tcp.len == tcp.hdr_len`, `tcp.seq == tcp.ack`, `frame.cap_len == frame.len`,
	// Times.
	`frame.time_relative == 0`, `frame.time_relative > 0.5`, `frame.time_relative <= 0.07`,
	`frame.time_delta == 0.000000000`, `frame.time_delta > 0.01`, `frame.time_relative >= -1`,
	`frame.time_epoch > 1000000000`, `frame.time_epoch > 1300000000.5`, `frame.time_epoch < 1262304000`,
	`frame.time >= "2009-11-18 11:36:55.03721"`, `frame.time > "2010-01-01"`,
	`frame.time < "Jan 1, 2012 00:00:00"`, `frame.time > "2013-03-07T21:42:06.9Z"`,
	`tcp.time_relative > 0.1`, `tcp.analysis.ack_rtt < 0.001`, `tcp.analysis.initial_rtt > 0.05`,
	// Frame references, counts and lengths.
	`tcp.analysis.acks_frame == 1`, `tcp.analysis.acks_frame > 3`, `http.response_in`, `http.request_in < 5`,
	`len(tcp.payload) > 100`, `len(http.request.method) == 3`, `len(tcp) == tcp.hdr_len`, `len(eth) == 14`,
	`len(http) == tcp.len`, `count(ip.addr) == 2`, `count(tcp.port) == 2`, `count(http.request.line) > 3`,
	`upper(http.request.method) == "GET"`, `lower(http.host) contains "bro"`, `len(tcp.srcport) == 2`,
	`len(frame.number) == 4`, `len(ip.src) == 4`, `len(ipv6.src) == 16`, `len(eth.src) == 6`, `len(ip.ttl) == 1`,
	`tcp.payload > 00`, `http.host[0:3] == "bro"`, `http.host contains ""`, `frame[-4--3] == frame[-4:2]`,
	`frame.number in {tcp.stream, 2}`, `tcp.srcport in {tcp.dstport}`, `ip.src > 141.142.228.5/8`,
	`ip.src < 142.0.0.0/8`, `ip.src[1:] == 8e:e4:05`, `http.request.method < "H"`, `tcp.payload < 48`, `tcp.payload[0:1] < 48`,
	// Layers.
	`ip.src#1 == 141.142.228.5`, `ip.addr#2 == 192.168.1.1`, `ip#2`, `eth.type#2 == 0x0800`,
	// TCP analysis and other fields.
	`tcp.analysis.flags`, `tcp.completeness == 31`, `tcp.nxtseq > 1000`, `tcp.ack_raw > 0x80000000`,
	`tcp.options.wscale.shift == 7`, `tcp.options.timestamp.tsval`, `udp.length > 40`, `udp.srcport == 53 or udp.dstport == 53`,
	`ip.dsfield == 0 && ip.ttl >= 64`, `ip.flags == 0x02`, `ip.id > 0x1000`, `ipv6.hlim == 64`, `ipv6.nxt == 6`,
	`ipv6.plen > 0 and ipv6.flow == 0`, `null.family == 30`, `sll.pkttype == 0`, `vlan.id == 165`,
	`frame.interface_id == 10`, `frame.encap_type == 1`, `frame.marked == 0`, `data.len > 10`,
	// HTTP.
	`http.request.method == "POST"`, `http.response.code == 200`, `http.response.code != 200`,
	`http.response.code >= 300`, `http.request.version == "HTTP/1.1"`, `http.response.phrase == "OK"`,
	`http.content_length > 1000`, `http.content_length_header == "4705"`, `http.request.uri.path contains "."`,
	`http.request.full_uri contains "http://"`, `http.connection == "keep-alive"`, `http.file_data contains "html"`,
	`http.time > 0.01`, `http.request_number == 2`, `http.chunk_size > 0`, `http.upgrade == "websocket"`,
	`http and tcp.port == 5683`, `http.request and not tcp.analysis.retransmission`, `http.response.code == 100 or http.response.code == 101`,
	// TLS (the demo's HTTPS stream, found by content, and a browser's).
	`tls.handshake.type == 1`, `tls.handshake.type in {1, 2}`, `tls.handshake.extensions_server_name contains "example"`,
	`tls.handshake.extensions_server_name contains "google"`, `tls.handshake.extensions_server_name == "localhost"`,
	`tls.record.content_type == 23`, `tls.record.opaque_type == 23`, `tls.record.version == 0x0303`, `tls.record.length > 100`,
	`tls.handshake.ciphersuite == 0x1301`, `tls.handshake.extensions_alpn_str == "h2"`, `tls.app_data_proto contains "2"`,
	`tls.handshake.extensions.supported_version == 0x0304`, `tls.handshake.extension.type == 16`, `tls.change_cipher_spec`,
	`tls.handshake.ja3`, `tls.app_data`, `len(tls.handshake.random) == 32`, `tls.handshake.extension.data`,
	`tls.handshake.ja3 == "9b7dcdf3f997f1fb7b4409c94cb7ef36"`, `tls and tcp.port == 5685`, `tls.handshake.session_id_length == 32`,
}

// dfOracleDiff is a (filter, capture) on which wiretap is expected to
// differ from tshark, with the reason. An empty file means every capture.
type dfOracleDiff struct {
	filter, file string
	why          string
}

var dfOracleDiffs = func() []dfOracleDiff {
	var ds []dfOracleDiff
	add := func(why string, files []string, filters ...string) {
		for _, f := range files {
			for _, flt := range filters {
				ds = append(ds, dfOracleDiff{flt, f, why})
			}
		}
	}
	add("wiretap has no DNS or gQUIC dissector: the UDP payload is \"data\" (tshark: dns, gquic)",
		[]string{"formats/gopacket/test_dns.pcap", "formats/heuristics/many_interfaces-1.pcapng",
			"formats/tcpdump/time_2106_overflow.pcapng", "formats/tcpdump/time_2107.pcapng"},
		`data`, `data.len > 10`)
	add("OpenFlow packet-in/packet-out messages carry whole Ethernet frames: tshark dissects a second "+
		"eth/ip/udp layer in them (see oracleLayerDiffs), wiretap's layers stop at the TCP payload",
		[]string{"formats/tcpdump/of13_ericsson.pcapng"},
		`udp`, `data`, `eth.trailer`, `udp.port != 53`, `ip.addr != 192.168.1.1`, `ip.proto == 17`, `tcp and not udp`,
		`frame.protocols == "eth:ethertype:ip:tcp"`, `ip.addr == 192.168.0.0/16`, `eth.src > 00:50:00:00:00:00`,
		`count(ip.addr) == 2`, `ip.addr#2 == 192.168.1.1`, `ip#2`, `eth.type#2 == 0x0800`, `data.len > 10`,
		`ip.src > 141.142.228.5/8`)
	add("tshark 4.0 bug: times are ordered by the difference of their seconds cast to a 32-bit int "+
		"(nstime_cmp), wrong when they are more than 2^31 s apart, as a frame in 2106/2107 and a date "+
		"before 2038 are; wiretap compares correctly",
		[]string{"formats/tcpdump/time_2106_overflow.pcapng", "formats/tcpdump/time_2107.pcapng"},
		`frame.time_epoch > 1000000000`, `frame.time_epoch > 1300000000.5`, `frame.time_epoch < 1262304000`,
		`frame.time >= "2009-11-18 11:36:55.03721"`, `frame.time > "2010-01-01"`,
		`frame.time < "Jan 1, 2012 00:00:00"`, `frame.time > "2013-03-07T21:42:06.9Z"`)
	add("HTTP dissector (http_tree.go): tshark's http item covers the header block only, the body being "+
		"its own protocol (data-text-lines, xml, json…); wiretap's http node covers the whole message",
		[]string{"demo.pcapng", "formats/tcpdump/ipv4_tcp_http_xml.pcap", "formats/tcpdump/ipv4_tcp_http_xml_tso.pcap",
			"http/zeek/multipart.pcap", "http/zeek/pipelined-requests.pcap", "http/zeek/post.pcap"},
		`len(http) == tcp.len`)
	add("HTTP dissector: tshark dissects the multipart body's parts as data, wiretap shows mime_multipart only",
		[]string{"http/zeek/multipart.pcap"}, `data`)
	add("HTTP dissector: no WebSocket dissector after the 101 Switching Protocols (tshark: websocket, "+
		"its payload data/data-text-lines, and http in frame.protocols)", []string{"http/zeek/websocket.pcap"},
		`data`, `data-text-lines`, `frame.protocols == "eth:ethertype:ip:tcp"`, `frame.protocols contains "http"`, `data.len > 10`)
	return ds
}()

// dfTsharkArgs are tshark's options for every run: two passes, no name
// resolution, and the oracles' ports decoded as HTTP and TLS.
var dfTsharkArgs = append([]string{"-2", "-n"}, decodetest.DecodeAs(decodetest.OraclePorts())...)

// dfAnalyze runs both tiers over pkts with the oracles' ports, as
// dfTsharkArgs has tshark do.
func dfAnalyze(pkts []decodetest.Packet) []*decode.Packet {
	a := decode.NewAnalyzer(decode.Options{Force: decodetest.OraclePorts()})
	decodetest.EachInterface(pkts, func(iface int, name, description string, section int) {
		a.SetInterface(iface, decode.Interface{Name: name, Description: description, Section: section})
	})
	return decodetest.Analyze(a, pkts)
}

// dfLuaScript is a Lua script that registers one tap listener per
// filter: tshark then evaluates every filter in one pass over a capture,
// exactly as -Y would (a tap's filter is a display filter over the same
// dissection). It prints "i frame" for each match of filter i and
// "E i message" for a filter tshark rejects. The filters are written in
// the script, so that the recording's SHA-256 of it changes with them.
func dfLuaScript(filters []string) string {
	var b strings.Builder
	b.WriteString("local filters = {\n")
	for _, f := range filters {
		b.WriteString(luaString(f) + ",\n")
	}
	b.WriteString(`}
for i, f in ipairs(filters) do
  local ok, l = pcall(Listener.new, "frame", f)
  if ok then
    l.packet = function(pinfo, tvb) io.write(i, " ", pinfo.number, "\n") end
  else
    io.write("E ", i, " ", (tostring(l):gsub("\n", " ")), "\n")
  end
end
`)
	return b.String()
}

// luaString is s as a Lua long string, [==[s]==], of a level s does not
// close.
func luaString(s string) string {
	eq := ""
	for strings.Contains(s+"]", "]"+eq+"]") {
		eq += "="
	}
	return "[" + eq + "[" + s + "]" + eq + "]"
}

// dfTsharkBatch evaluates the filters written in script (dfLuaScript)
// on a capture in one tshark run. It returns the matching frames per
// filter and tshark's error per filter it rejects; readable is false
// when tshark cannot read the capture (it exits non-zero, as it does
// with -Y).
func dfTsharkBatch(o *oracletest.Oracle, f decodetest.File, script oracletest.Input) (frames map[int][]int, errs map[int]string, readable bool, err error) {
	// -T fields as in the -Y form: tshark builds its tree differently for
	// field output than for the packet list (len(tcp) is the header
	// length with -T fields, header and payload without), and the taps
	// see that tree. The field lines (one number) are skipped below.
	args := append(append([]string{}, dfTsharkArgs...), "-r", f.Path, "-X", "lua_script:"+script.Path, "-T", "fields", "-e", "frame.number")
	res, err := o.RunFiles([]oracletest.Input{f.Input(), script}, args...)
	if err != nil {
		return nil, nil, false, err
	}
	if res.Exit != 0 {
		return nil, nil, false, fmt.Errorf("exit status %d: %s", res.Exit, res.Stderr)
	}
	frames, errs = map[int][]int{}, map[int]string{}
	sc := bufio.NewScanner(bytes.NewReader(res.Stdout))
	for sc.Scan() {
		line := sc.Text()
		if rest, ok := strings.CutPrefix(line, "E "); ok {
			n, msg, _ := strings.Cut(rest, " ")
			i, _ := strconv.Atoi(n)
			errs[i-1] = msg
			continue
		}
		a, b, ok := strings.Cut(line, " ")
		if !ok {
			continue // -T fields output
		}
		i, err1 := strconv.Atoi(a)
		fr, err2 := strconv.Atoi(b)
		if err1 != nil || err2 != nil {
			return nil, nil, true, fmt.Errorf("unexpected tshark output %q", line)
		}
		frames[i-1] = append(frames[i-1], fr)
	}
	return frames, errs, true, nil
}

// dfTsharkExact is the -Y form of one evaluation, the reference the
// batch form must agree with.
func dfTsharkExact(o *oracletest.Oracle, f decodetest.File, filter string) ([]int, error) {
	args := append(append([]string{}, dfTsharkArgs...), "-r", f.Path, "-Y", filter, "-T", "fields", "-e", "frame.number")
	res, err := o.Run(f.Input(), args...)
	if err != nil {
		return nil, err
	}
	if res.Exit != 0 {
		return nil, fmt.Errorf("exit status %d: %s", res.Exit, res.Stderr)
	}
	var frames []int
	for _, l := range strings.Fields(string(res.Stdout)) {
		n, err := strconv.Atoi(l)
		if err != nil {
			return nil, fmt.Errorf("unexpected tshark output %q", l)
		}
		frames = append(frames, n)
	}
	return frames, nil
}

// dfTsharkEach runs tshark -Y once per filter (in parallel), the
// slow reference form.
func dfTsharkEach(o *oracletest.Oracle, f decodetest.File, filters []string, compiled []*Filter) (map[int][]int, map[int]string) {
	want, errs := map[int][]int{}, map[int]string{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, runtime.NumCPU())
	for i, flt := range filters {
		if compiled[i] == nil {
			continue
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			w, err := dfTsharkExact(o, f, flt)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs[i] = err.Error()
				return
			}
			want[i] = w
		}()
	}
	wg.Wait()
	return want, errs
}

func dfTsharkHasLua(tshark string) bool {
	out, _ := exec.Command(tshark, "-v").CombinedOutput()
	return bytes.Contains(out, []byte("with Lua"))
}

// dfDiffFrames returns the frames only in a and only in b.
func dfDiffFrames(a, b []int) (onlyA, onlyB []int) {
	in := func(s []int, x int) bool {
		i := sort.SearchInts(s, x)
		return i < len(s) && s[i] == x
	}
	for _, x := range a {
		if !in(b, x) {
			onlyA = append(onlyA, x)
		}
	}
	for _, x := range b {
		if !in(a, x) {
			onlyB = append(onlyB, x)
		}
	}
	return
}

// TestDFOracle compares wiretap's display filters with tshark's on every
// oracle capture (decode/testdata/oracle and tls): the same frames must
// match. tshark's outputs are recorded in
// testdata/golden/TestDFOracle (see wiretap/capture/oracletest): per
// capture one run evaluating every filter (dfLuaScript) and one -Y run
// checking it. Set WIRETAP_DF_ORACLE_EXACT=1 to run each (filter,
// capture) as its own `tshark -Y` (slow, live and not recorded) instead
// of the batch; WIRETAP_DF_ORACLE_FILTERS (one filter a line, in a file)
// replaces the table, for exploring (live, not recorded).
func TestDFOracle(t *testing.T) {
	// Absolute times in filters are local: tshark was recorded in UTC,
	// and wiretap must read them so too.
	t.Setenv("TZ", "UTC")
	local := time.Local
	time.Local = time.UTC
	t.Cleanup(func() { time.Local = local })

	filters := dfOracleFilters
	exploring := false
	if f := os.Getenv("WIRETAP_DF_ORACLE_FILTERS"); f != "" {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		filters, exploring = nil, true
		for _, l := range strings.Split(string(b), "\n") {
			if strings.TrimSpace(l) != "" {
				filters = append(filters, l)
			}
		}
	}
	exact := os.Getenv("WIRETAP_DF_ORACLE_EXACT") != ""
	var o *oracletest.Oracle
	if exploring || exact {
		o = oracletest.Explore(t, oracletest.Tshark)
	} else {
		o = oracletest.New(t, oracletest.Tshark)
	}
	if tshark, _, err := oracletest.Tshark.Installed(); !exact && o.Mode() != oracletest.Replay && (err != nil || !dfTsharkHasLua(tshark)) {
		t.Fatal("tshark has no Lua: the batch runs need it; set WIRETAP_DF_ORACLE_EXACT=1 to run one tshark -Y per filter and capture (slow, not recorded)")
	}
	script := oracletest.Input{Name: "filters.lua", Path: filepath.Join(t.TempDir(), "filters.lua")}
	if err := os.WriteFile(script.Path, []byte(dfLuaScript(filters)), 0o644); err != nil {
		t.Fatal(err)
	}
	compiled := make([]*Filter, len(filters))
	for i, f := range filters {
		df, err := Compile(f)
		if err != nil {
			t.Errorf("wiretap rejects %q: %v", f, err)
			continue
		}
		compiled[i] = df
	}
	expected := map[[2]string]string{}
	for _, d := range dfOracleDiffs {
		expected[[2]string{d.filter, d.file}] = d.why
	}
	seen := map[[2]string]bool{}
	matched := make([]int, len(filters)) // frames tshark matches, over all captures
	files, pairs, mismatches, checked := 0, 0, 0, 0
	for _, file := range decodetest.Files(t, decodetest.Oracle, decodetest.TLS) {
		// Named as in dfOracleDiffs: under testdata/oracle, or testdata.
		rel := strings.TrimPrefix(file.Name, "oracle/")
		var want map[int][]int
		var terrs map[int]string
		readable, err := true, error(nil)
		if exact {
			_, err = dfTsharkExact(o, file, "frame")
			readable = err == nil
		} else {
			want, terrs, readable, err = dfTsharkBatch(o, file, script)
		}
		if !readable {
			t.Logf("%s: skipped, tshark cannot read it: %v", rel, err)
			continue
		}
		if err != nil {
			t.Errorf("%s: tshark: %v", rel, err)
			continue
		}
		pkts, rerr := decodetest.ReadFile(file.Path)
		if rerr != nil && len(pkts) == 0 {
			t.Logf("%s: skipped, wiretap cannot read it: %v", rel, rerr)
			continue
		}
		got := dfAnalyze(pkts)
		if exact {
			want, terrs = dfTsharkEach(o, file, filters, compiled)
		} else {
			// The batch must agree with -Y: check one filter per capture.
			i := files % len(filters)
			if compiled[i] != nil && terrs[i] == "" {
				y, err := dfTsharkExact(o, file, filters[i])
				if err != nil {
					t.Errorf("%s: tshark -Y %q: %v", rel, filters[i], err)
				} else if !reflect.DeepEqual(dfNonNilInts(y), dfNonNilInts(want[i])) {
					t.Errorf("%s: tshark -Y %q gives %v, the tap listener %v", rel, filters[i], y, want[i])
				}
				checked++
			}
		}
		files++
		for i, f := range filters {
			if compiled[i] == nil {
				continue
			}
			if msg := terrs[i]; msg != "" {
				if files == 1 {
					t.Errorf("tshark rejects %q: %s", f, msg)
				}
				continue
			}
			w := want[i]
			matched[i] += len(w)
			var g []int
			for _, p := range got {
				if compiled[i].Match(p) {
					g = append(g, p.Number)
				}
			}
			pairs++
			onlyG, onlyW := dfDiffFrames(g, w)
			_, listed := expected[[2]string{f, rel}]
			if (len(onlyG) > 0 || len(onlyW) > 0) && !exact && !listed {
				// The -Y form is the reference: confirm with it, where
				// the recording has it (it has the runs made when it was
				// recorded).
				y, err := dfTsharkExact(o, file, f)
				switch {
				case errors.Is(err, oracletest.ErrNotRecorded):
					t.Logf("%s: tshark -Y %q is not recorded: comparing with the tap listener's frames", rel, f)
				case err != nil:
					t.Errorf("%s: tshark -Y %q: %v", rel, f, err)
					continue
				default:
					if !reflect.DeepEqual(dfNonNilInts(y), dfNonNilInts(w)) {
						t.Logf("%s: tshark -Y %q gives %v, the tap listener %v: using -Y", rel, f, y, w)
					}
					onlyG, onlyW = dfDiffFrames(g, y)
				}
			}
			if len(onlyG) == 0 && len(onlyW) == 0 {
				continue
			}
			key := [2]string{f, rel}
			if _, ok := expected[key]; !ok {
				key[1] = ""
			}
			if _, ok := expected[key]; ok {
				seen[key] = true
				continue
			}
			mismatches++
			t.Errorf("filter %q on %s: frames only in wiretap %v, only in tshark %v", f, rel, onlyG, onlyW)
		}
	}
	inTable := map[string]bool{}
	for _, f := range filters {
		inTable[f] = true
	}
	for _, d := range dfOracleDiffs {
		if inTable[d.filter] && !seen[[2]string{d.filter, d.file}] {
			t.Errorf("expected difference not seen (remove it from dfOracleDiffs?): %q on %q", d.filter, d.file)
		}
	}
	var none []string
	for i, n := range matched {
		if n == 0 {
			none = append(none, filters[i])
		}
	}
	if len(none) > 0 {
		t.Logf("%d filters match no frame of any capture (they check that nothing matches): %q", len(none), none)
	}
	t.Logf("display-filter oracle: %d filters × %d captures = %d (filter, capture) pairs compared with tshark; "+
		"%d mismatches, %d expected differences listed; batch checked against -Y on %d pairs",
		len(filters), files, pairs, mismatches, len(dfOracleDiffs), checked)
	o.Done(pairs)
}

func dfNonNilInts(s []int) []int {
	if s == nil {
		return []int{}
	}
	return s
}

// TestMatchOnDemand: a filter matches the packet DissectFor builds for
// its fields exactly when it matches the whole tree, for every filter of
// the oracle on every capture (the viewer's filter and read -Y use it).
func TestMatchOnDemand(t *testing.T) {
	files := decodetest.Files(t, decodetest.Oracle, decodetest.TLS)
	pairs, matches := 0, 0
	for _, f := range files {
		pkts, err := decodetest.ReadFile(f.Path)
		if err != nil {
			t.Fatal(err)
		}
		a := decode.NewAnalyzer(decode.Options{Force: decodetest.OraclePorts()})
		for i, p := range pkts {
			a.Add(i+1, p.CI, p.LinkType, p.Data)
		}
		a.Finish()
		whole := make([]*decode.Packet, len(pkts))
		for i, p := range pkts {
			whole[i] = a.Dissect(i+1, p.CI, p.LinkType, p.Data)
		}
		for _, expr := range dfOracleFilters {
			df, err := Compile(expr)
			if err != nil {
				continue
			}
			w := decode.WantFields(df.Fields())
			for i, p := range pkts {
				got := a.DissectFor(w, i+1, p.CI, p.LinkType, p.Data)
				m := df.Match(got)
				got.Release()
				if want := df.Match(whole[i]); m != want {
					t.Errorf("%s frame %d, %s: on demand %v, whole tree %v", f.Name, i+1, expr, m, want)
				}
				pairs++
				if m {
					matches++
				}
			}
		}
	}
	if pairs == 0 {
		t.Fatal("nothing compared")
	}
	t.Logf("%d (filter, packet) pairs, %d matches, equal on demand and on the whole tree", pairs, matches)
}
