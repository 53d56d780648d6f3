package main

import (
	"bytes"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"wiretap/capture/oracletest"
	"wiretap/decode"
	"wiretap/decode/decodetest"
)

// fieldsNotInTshark are the registry's names tshark 4.0 does not know
// (it would refuse the whole run), left out of TestOracleFields.
var fieldsNotInTshark = map[string]string{
	"fernet":                    "wiretap's own dissector of Fernet tokens",
	"fernet.ciphertext_len":     "wiretap's own dissector of Fernet tokens",
	"fernet.hmac":               "wiretap's own dissector of Fernet tokens",
	"fernet.iv":                 "wiretap's own dissector of Fernet tokens",
	"fernet.plaintext":          "wiretap's own dissector of Fernet tokens",
	"fernet.verified":           "wiretap's own dissector of Fernet tokens",
	"fernet.timestamp":          "wiretap's own dissector of Fernet tokens",
	"fernet.token":              "wiretap's own dissector of Fernet tokens",
	"secret":                    "wiretap's own marks of --secret",
	"secret.found":              "wiretap's own marks of --secret",
	"tls.decrypt.status":        "wiretap's own note of why a record stayed encrypted",
	"ip.opt":                    "a text-only line in tshark 4.0's tree, not a field",
	"ip.options":                "a text-only line in tshark 4.0's tree, not a field",
	"sll.reserved":              "SLL v2's reserved bytes have no field in tshark 4.0",
	"tls.ech.client_hello_type": "Encrypted Client Hello fields came after tshark 4.0",
	"tls.ech.config_id":         "Encrypted Client Hello fields came after tshark 4.0",
	"tls.ech.enc":               "Encrypted Client Hello fields came after tshark 4.0",
	"tls.ech.hpke.keyconfig.cipher_suite.aead_id": "Encrypted Client Hello fields came after tshark 4.0",
	"tls.ech.hpke.keyconfig.cipher_suite.kdf_id":  "Encrypted Client Hello fields came after tshark 4.0",
	"tls.ech.payload":     "Encrypted Client Hello fields came after tshark 4.0",
	"tls.handshake.ja4":   "JA4 came after tshark 4.0",
	"tls.handshake.ja4_r": "JA4 came after tshark 4.0",
}

// fieldsDiff is a value on which wiretap read -T fields is expected to
// differ from tshark's, with the reason.
type fieldsDiff struct {
	file  string // the capture as decodetest names it; "*x": every capture whose name ends in x ("*": all)
	frame int    // 0: every frame
	field string // "*": every field
	why   string
}

// Reasons shared by several entries of fieldsOracleDiffs.
const (
	whyChatExperts  = "wiretap's TCP tree has only the analysis experts, not tshark's Chat ones (SYN, SYN+ACK, FIN, RST), and its HTTP Chat expert has no _ws.expert.message child"
	whyDNS          = "wiretap does not dissect DNS: the UDP payload is data"
	whyDBLSP        = "wiretap does not dissect Dropbox LAN sync discovery (UDP 17500) nor the JSON in it"
	whyOpenFlow     = "OpenFlow messages carry whole Ethernet frames that tshark dissects; wiretap's layers stop at the TCP payload"
	whyInvalidNano  = "the record's nanosecond field is out of range: tshark prints it as it is, wiretap's reader normalises it (see capture/oracle_files_test.go)"
	whyWebSocket    = "wiretap does not dissect WebSocket frames after the Upgrade"
	whyFernet       = "wiretap's own Fernet dissector names the Protocol column and adds to Info"
	whyReassembled  = "tshark's Info of an IPv4 fragment ends in \" [Reassembled in #N]\", wiretap's does not; and wiretap puts ip.reassembled_in on the reassembling frame itself"
	whyICMPQuoted   = "the UDP datagram quoted in an ICMP error: tshark dissects its payload as data and counts it as a UDP stream; wiretap does neither (decode/layer_icmp.go)"
	whyX509         = "wiretap does not dissect the certificates: tshark's frame.protocols goes on with x509sat, x509ce, pkcs-1 …"
	whyCompleteness = "tcp.completeness: wiretap counts the stream's flags differently when the capture starts mid-stream or has no handshake (decode/tcpanalysis.go)"
)

var fieldsOracleDiffs = []fieldsDiff{
	{"*", 0, "_ws.expert", whyChatExperts},
	{"*", 0, "_ws.expert.message", whyChatExperts},
	{"*", 0, "_ws.expert.group", whyChatExperts},
	{"*", 0, "_ws.expert.severity", whyChatExperts},
	{"oracle/demo.pcapng", 13, "_ws.col.Protocol", whyFernet},
	{"oracle/demo.pcapng", 13, "_ws.col.Info", whyFernet},
	{"oracle/formats/tcpdump/of13_ericsson.pcapng", 0, "*", whyOpenFlow},
	{"oracle/formats/tcpdump/timestamp_invalid_nano.pcap", 2, "*", whyInvalidNano},
	{"oracle/formats/tcpdump/timestamp_invalid_nano.pcap", 3, "*", whyInvalidNano},
	{"oracle/http/zeek/websocket.pcap", 0, "websocket", whyWebSocket},
	{"oracle/http/zeek/websocket.pcap", 0, "data", whyWebSocket},
	{"oracle/http/zeek/websocket.pcap", 0, "data.data", whyWebSocket},
	{"oracle/http/zeek/websocket.pcap", 0, "data.len", whyWebSocket},
	{"oracle/http/zeek/websocket.pcap", 0, "data-text-lines", whyWebSocket},
	{"oracle/http/zeek/websocket.pcap", 0, "frame.protocols", whyWebSocket},
	{"oracle/http/zeek/websocket.pcap", 0, "_ws.col.Protocol", whyWebSocket},
	{"oracle/http/zeek/websocket.pcap", 0, "_ws.col.Info", whyWebSocket},
	{"tls/pcapplusplus/tls1_3.pcap", 0, "tcp.completeness", whyCompleteness},
	{"oracle/http/zeek/100-continue.pcap", 6, "http.response_for.uri", "the response after a 100 Continue: tshark still pairs it with its request, wiretap does not (decode/http_tree.go)"},
	{"oracle/http/zeek/multipart.pcap", 4, "mime_multipart", "wiretap's MIME multipart line does not end in the boundary (decode/http_tree.go)"},
	{"oracle/http/zeek/multipart.pcap", 4, "data", "tshark dissects each form-data part as data; wiretap has no data under a part without a Content-Type"},
	{"oracle/http/zeek/multipart.pcap", 4, "data.data", "as data"},
	{"oracle/http/zeek/multipart.pcap", 4, "data.len", "as data"},
	{"oracle/http/zeek/pipelined-requests.pcap", 15, "_ws.malformed", "tshark's body subdissector fails on this frame (http.subdissector_failed, a malformed packet); wiretap's does not run"},
	{"oracle/http/zeek/pipelined-requests.pcap", 15, "http.subdissector_failed", "as _ws.malformed"},
}

func init() {
	for _, f := range []string{"oracle/formats/gopacket/test_dns.pcap", "oracle/formats/tcpdump/time_2106_overflow.pcapng", "oracle/formats/tcpdump/time_2107.pcapng"} {
		for _, field := range []string{"data", "data.data", "data.len", "frame.protocols", "_ws.col.Protocol", "_ws.col.Info"} {
			fieldsOracleDiffs = append(fieldsOracleDiffs, fieldsDiff{f, 0, field, whyDNS})
		}
	}
	for _, d := range []fieldsDiff{
		{"synth/layers-eth.pcap", 10, "udp.stream", whyICMPQuoted + ": tshark's stream numbers count it"},
		{"synth/layers-eth.pcap", 5, "data", whyICMPQuoted},
		{"synth/layers-eth.pcap", 5, "data.data", whyICMPQuoted},
		{"synth/layers-eth.pcap", 5, "data.len", whyICMPQuoted},
		{"synth/layers-eth.pcap", 5, "frame.protocols", whyICMPQuoted},
		{"synth/layers-eth.pcap", 5, "udp.payload", whyICMPQuoted},
		{"synth/layers-eth.pcap", 5, "udp.stream", whyICMPQuoted},
		{"synth/layers-eth.pcap", 9, "udp.stream", whyICMPQuoted + ": tshark's stream numbers count it"},
		{"synth/layers-eth.pcap", 10, "udp.time_relative", whyICMPQuoted + ": tshark's stream of frame 10 starts with it"},
	} {
		fieldsOracleDiffs = append(fieldsOracleDiffs, d)
	}
	for _, f := range []string{"tls/illustrated-tls12/capture.pcap", "tls/pcapplusplus/SSL-MultipleRecords3.pcap",
		"tls/snet/TLS1_2_ECDHE-ECDSA-CHACHA20-POLY1305_auth.pcap", "tls/snet/TLS1_2_ECDHE-RSA-AES128-GCM-SHA256_auth.pcap",
		"tls/zeek/tls12-decryption.pcap", "tls/zeek/tls1_1.pcap"} {
		fieldsOracleDiffs = append(fieldsOracleDiffs, fieldsDiff{f, 0, "frame.protocols", whyX509})
	}
	for _, field := range []string{"data", "data.data", "data.len", "frame.protocols", "json", "_ws.col.Protocol", "_ws.col.Info"} {
		fieldsOracleDiffs = append(fieldsOracleDiffs, fieldsDiff{"oracle/formats/heuristics/many_interfaces-1.pcapng", 0, field, whyDBLSP})
	}
}

// allowedFieldsDiff returns the index in fieldsOracleDiffs of the entry
// that allows a value to differ.
func allowedFieldsDiff(file string, frame int, field string) (int, bool) {
	for i, d := range fieldsOracleDiffs {
		fileOK := d.file == file || strings.HasPrefix(d.file, "*") && strings.HasSuffix(file, d.file[1:])
		if fileOK && (d.frame == 0 || d.frame == frame) && (d.field == "*" || d.field == field) {
			return i, true
		}
	}
	return 0, false
}

// oracleFieldNames are the -e fields of TestOracleFields: every name of
// the registry tshark 4.0 knows, and tshark's default columns.
func oracleFieldNames(t *testing.T) []string {
	var names []string
	for n := range decode.FieldNames() {
		if _, skip := fieldsNotInTshark[n]; !skip {
			names = append(names, n)
		}
	}
	for n := range fieldsNotInTshark {
		if _, _, ok := decode.LookupField(n); !ok {
			t.Errorf("fieldsNotInTshark lists %s, which the registry no longer has", n)
		}
	}
	sort.Strings(names)
	return append(names, decode.ColumnNames...)
}

// TestOracleFields runs `wiretap read -T fields` with every field of the
// registry (and the _ws.col.* columns) on every test capture, and
// compares each value with tshark 4.0's -T fields output of the same
// run: the whole shipped path (flags, dissection, the writer), field
// type by field type. Two captures made here (synthCaptures) add the
// layers the corpus lacks. wiretap runs twice per capture: with every field,
// which takes Analyzer.Dissect (protocols such as -e tcp print their tree
// line: FieldsFormat.NeedsLabels), and with all but those, which takes
// DissectFor (no labels, no application dissectors unless asked), as a
// usual -T fields run does. tshark's outputs are recorded in
// testdata/golden/TestOracleFields.
func TestOracleFields(t *testing.T) {
	t.Setenv("TZ", "UTC")
	defer func(l *time.Location) { time.Local = l }(time.Local)
	time.Local = time.UTC // as TZ=UTC gives tshark, whatever TZ the test started with
	o := oracletest.New(t, oracletest.Tshark)
	names := oracleFieldNames(t)
	var values []string // the run that takes DissectFor
	for _, n := range names {
		if !(&decode.FieldsFormat{Fields: []string{n}}).NeedsLabels() {
			values = append(values, n)
		}
	}
	if (&decode.FieldsFormat{Fields: values}).NeedsLabels() || len(values) == len(names) {
		t.Fatal("the fields without labels still need labels, or none needs them")
	}
	args := func(fields []string) []string {
		a := append(decodetest.DecodeAs(decodetest.OraclePorts()), "-T", "fields", "-E", "occurrence=a")
		for _, n := range fields {
			a = append(a, "-e", n)
		}
		return a
	}
	column := map[string]int{}
	for j, n := range names {
		column[n] = j
	}
	seen := map[int]bool{}
	files, packets, cells, compared, differ := 0, 0, 0, 0, 0
	perField, perFileField, perKind := map[string]int{}, map[string]int{}, map[string]int{}
	withValues := map[string]bool{}
	lines := func(s string) []string {
		if s == "" {
			return nil
		}
		return strings.Split(strings.TrimSuffix(s, "\n"), "\n")
	}
	captures := append(decodetest.Files(t, decodetest.Oracle, decodetest.TLS), synthCaptures(t, t.TempDir())...)
	for _, f := range captures {
		res, err := o.Run(f.Input(), append([]string{"-2", "-n", "-r", f.Path}, args(names)...)...)
		if err != nil {
			t.Errorf("%s: tshark: %v", f.Name, err)
			continue
		}
		if strings.Contains(string(res.Stderr), "aren't valid") {
			t.Fatalf("tshark 4.0 does not know some fields (add them to fieldsNotInTshark): %s", res.Stderr)
		}
		if res.Exit != 0 && len(res.Stdout) == 0 {
			continue // not a capture tshark reads
		}
		want := lines(string(res.Stdout))
		files++
		packets += len(want)
		for _, run := range [][]string{names, values} {
			have := lines(wiretapOut(t, append([]string{"read", "-r", f.Path}, args(run)...)...))
			if len(have) != len(want) {
				t.Errorf("%s: wiretap prints %d lines, tshark %d", f.Name, len(have), len(want))
				continue
			}
			for i := range want {
				w, g := strings.Split(want[i], "\t"), strings.Split(have[i], "\t")
				if len(w) != len(names) || len(g) != len(run) {
					t.Errorf("%s frame %d: %d columns from wiretap, %d from tshark; %d and %d fields asked", f.Name, i+1, len(g), len(w), len(run), len(names))
					continue
				}
				for k, name := range run {
					cells++
					wv, gv := w[column[name]], g[k]
					if wv == "" && gv == "" {
						continue
					}
					compared++
					perKind[kindName(name)]++
					withValues[name] = true
					if wv == gv {
						continue
					}
					if d, ok := allowedFieldsDiff(f.Name, i+1, name); ok {
						seen[d] = true
						continue
					}
					differ++
					perField[name]++
					perFileField[f.Name+" "+name]++
					if perFileField[f.Name+" "+name] <= 2 { // the first few of each field in each capture
						t.Errorf("%s frame %d %s (%d fields asked):\n  wiretap %.300q\n  tshark  %.300q", f.Name, i+1, name, len(run), gv, wv)
					}
				}
			}
		}
	}
	if differ > 0 {
		t.Errorf("%d differences in all, per field: %s", differ, countList(perField, ", "))
		t.Errorf("per capture and field:\n%s", countList(perFileField, "\n"))
	}
	for k, d := range fieldsOracleDiffs {
		if !seen[k] {
			t.Errorf("expected difference not seen (remove it from fieldsOracleDiffs?): %s frame %d %s", d.file, d.frame, d.field)
		}
	}
	t.Logf("fields oracle: %d fields (%d without labels) × %d captures (%d packets), two wiretap runs each: %d cells, %d values compared with tshark (not empty on both sides); %d expected differences listed, %d registry names left out (fieldsNotInTshark)",
		len(names), len(values), files, packets, cells, compared, len(fieldsOracleDiffs), len(fieldsNotInTshark))
	t.Logf("values compared per kind: %s", countList(perKind, ", "))
	var none []string
	for _, n := range names {
		if !withValues[n] {
			none = append(none, n)
		}
	}
	t.Logf("%d fields have a value in no capture, for wiretap or tshark: %s", len(none), strings.Join(none, " "))
	o.Done(compared)
}

// countList is "key count" per entry of m, sorted, joined by sep.
func countList(m map[string]int, sep string) string {
	var out []string
	for k, c := range m {
		out = append(out, fmt.Sprintf("%s %d", k, c))
	}
	slices.Sort(out)
	return strings.Join(out, sep)
}

// kindName names the type of a field's values, for the counts.
func kindName(name string) string {
	if decode.IsColumn(name) {
		return "column"
	}
	k, _, _ := decode.LookupField(name)
	switch k {
	case decode.KindNone:
		return "none"
	case decode.KindUint:
		return "uint"
	case decode.KindInt:
		return "int"
	case decode.KindBool:
		return "bool"
	case decode.KindString:
		return "string"
	case decode.KindBytes:
		return "bytes"
	case decode.KindIPv4:
		return "ipv4"
	case decode.KindIPv6:
		return "ipv6"
	case decode.KindMAC:
		return "mac"
	case decode.KindTime:
		return "abstime"
	case decode.KindDuration:
		return "reltime"
	case decode.KindFloat:
		return "float"
	case decode.KindFrameNum:
		return "framenum"
	case decode.KindProtocol:
		return "protocol"
	}
	return "?"
}

// TestOracleFieldsOptions compares `wiretap read -T fields` with tshark's
// output byte for byte under each -E option (and a field named twice),
// and checks that what tshark refuses wiretap refuses too (tshark's
// outputs recorded in testdata/golden/TestOracleFieldsOptions).
func TestOracleFieldsOptions(t *testing.T) {
	t.Setenv("TZ", "UTC")
	o := oracletest.New(t, oracletest.Tshark)
	// Frame 11 has two TLS records: two occurrences of the record fields.
	in := decodetest.File{Name: "tls/zeek/tls1_1.pcap", Path: oracletest.Testdata("decode", "tls", "zeek", "tls1_1.pcap")}
	fields := []string{"-e", "frame.number", "-e", "tls.record.content_type", "-e", "tls.record.length",
		"-e", "tcp.analysis.acks_frame", "-e", "tls.handshake", "-e", "_ws.col.Protocol", "-e", "_ws.col.Info"}
	cases := [][]string{
		{},
		{"header=y"}, {"header=n"}, {"header=yes"},
		{"separator=/t"}, {"separator=/s"}, {"separator=,"}, {"separator=;;"}, {"separator=/x"}, {"separator=/"}, {"separator=/tab"},
		{"aggregator=,"}, {"aggregator=/s"}, {"aggregator=;"}, {"aggregator=/t"},
		{"quote=d"}, {"quote=s"}, {"quote=n"}, {"quote=double"},
		{"occurrence=f"}, {"occurrence=l"}, {"occurrence=a"}, {"occurrence=first"},
		{"bom=y"}, {"bom=n"}, {"bom=y", "header=y"},
		{"header=y", "separator=,", "quote=d", "occurrence=f"},
		{"occurrence=l", "occurrence=f"},
		// What tshark 4.0 refuses.
		{"occurrence=2"}, {"occurrence=-1"}, {"occurrence=x"}, {"header=x"}, {"header=Y"}, {"quote=x"},
		{"separator="}, {"aggregator="}, {"bom=x"}, {"foo=y"}, {"header"}, {"=y"},
	}
	compared := 0
	check := func(name string, extra []string) {
		t.Helper()
		args := append([]string{"-r", in.Path, "-c", "12", "-T", "fields"}, extra...)
		res, err := o.Run(in.Input(), append([]string{"-2", "-n"}, args...)...)
		if err != nil {
			t.Fatalf("%s: tshark: %v", name, err)
		}
		var out, errb bytes.Buffer
		code := run(append([]string{"read"}, args...), stdio{strings.NewReader(""), &out, &errb})
		compared++
		switch {
		case res.Exit != 0 && code == 0:
			t.Errorf("%s: tshark refuses it (%s), wiretap does not", name, firstLine(res.Stderr))
		case res.Exit != 0:
			if out.Len() != 0 {
				t.Errorf("%s: refused, but wiretap prints %q", name, out.String())
			}
		case code != 0:
			t.Errorf("%s: wiretap exits %d: %s", name, code, errb.String())
		case out.String() != string(res.Stdout):
			t.Errorf("%s:\nwiretap:\n%s\ntshark:\n%s", name, out.String(), res.Stdout)
		}
	}
	for _, c := range cases {
		var extra []string
		for _, e := range c {
			extra = append(extra, "-E", e)
		}
		check("-E "+strings.Join(c, " -E "), append(extra, fields...))
	}
	// A field named twice prints in its last column only, as in tshark 4.0.
	check("a field twice", []string{"-E", "header=y", "-e", "frame.number", "-e", "tcp.srcport", "-e", "frame.number", "-e", "_ws.col.Info", "-e", "_ws.col.Info"})
	// Columns tshark takes and prints empty.
	check("other columns", []string{"-e", "_ws.col.info", "-e", "_ws.col.", "-e", "_ws.col.Time", "-e", "_ws.col.No."})
	// Unknown fields.
	check("unknown fields", []string{"-e", "nosuch.field", "-e", "frame.number", "-e", "tcp.srcportx"})
	check("_ws.col alone", []string{"-e", "_ws.col"})
	o.Done(compared)
}

func firstLine(b []byte) string {
	s, _, _ := strings.Cut(strings.TrimSpace(string(b)), "\n")
	return s
}
