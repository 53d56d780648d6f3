package decode

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"testing"

	"wiretap/capture/oracletest"
	"wiretap/decode/decodetest"
)

// jsonNode is a parsed JSON value that keeps what encoding/json's maps
// lose: the order of an object's members and the members whose key
// repeats (tshark writes "ip.addr" twice in one object).
type jsonNode struct {
	kind byte // 's' string, 'o' object, 'a' array, 'v' any other value (number, true, false, null)
	s    string
	keys []string
	vals []*jsonNode // the members' values (object) or the elements (array)
}

// parseJSON parses one JSON document, keeping every member.
func parseJSON(data []byte) (*jsonNode, error) {
	d := json.NewDecoder(bytes.NewReader(data))
	d.UseNumber()
	n, err := parseJSONValue(d)
	if err != nil {
		return nil, err
	}
	if _, err := d.Token(); err != io.EOF {
		return nil, fmt.Errorf("data after the document")
	}
	return n, nil
}

func parseJSONValue(d *json.Decoder) (*jsonNode, error) {
	tok, err := d.Token()
	if err != nil {
		return nil, err
	}
	switch v := tok.(type) {
	case json.Delim:
		switch v {
		case '{':
			n := &jsonNode{kind: 'o'}
			for d.More() {
				kt, err := d.Token()
				if err != nil {
					return nil, err
				}
				k, _ := kt.(string)
				val, err := parseJSONValue(d)
				if err != nil {
					return nil, err
				}
				n.keys = append(n.keys, k)
				n.vals = append(n.vals, val)
			}
			_, err := d.Token()
			return n, err
		case '[':
			n := &jsonNode{kind: 'a'}
			for d.More() {
				val, err := parseJSONValue(d)
				if err != nil {
					return nil, err
				}
				n.vals = append(n.vals, val)
			}
			_, err := d.Token()
			return n, err
		}
		return nil, fmt.Errorf("unexpected %v", v)
	case string:
		return &jsonNode{kind: 's', s: v}, nil
	case nil:
		return &jsonNode{kind: 'v', s: "null"}, nil
	default:
		return &jsonNode{kind: 'v', s: fmt.Sprint(v)}, nil
	}
}

// get returns the i-th member named k, or nil.
func (n *jsonNode) get(k string, i int) *jsonNode {
	for j, key := range n.keys {
		if key == k {
			if i == 0 {
				return n.vals[j]
			}
			i--
		}
	}
	return nil
}

// path follows object keys (first occurrences).
func (n *jsonNode) path(keys ...string) *jsonNode {
	for _, k := range keys {
		if n == nil || n.kind != 'o' {
			return nil
		}
		n = n.get(k, 0)
	}
	return n
}

// size counts the members and elements in n and below (n itself is 1).
func (n *jsonNode) size() int {
	c := 1
	for _, v := range n.vals {
		c += v.size()
	}
	return c
}

func (n *jsonNode) String() string {
	switch n.kind {
	case 's':
		return fmt.Sprintf("%q", n.s)
	case 'v':
		return n.s
	case 'a':
		parts := make([]string, len(n.vals))
		for i, v := range n.vals {
			parts[i] = v.String()
		}
		return "[" + strings.Join(parts, ",") + "]"
	}
	return fmt.Sprintf("{%d members}", len(n.keys))
}

// jsonDiff is a member on which wiretap's JSON is expected to differ
// from tshark's, with the reason. file is a capture's name, "*" every
// capture, "*.pcap" those ending so; frame 0 is every frame. key is the
// member's key (a field name, "name_tree", a text node's text), "x*"
// every key starting with x, or "x/*" every member below a member x; ok,
// when set, must also hold for the two values (t nil when tshark has no
// such member).
type jsonDiff struct {
	file  string
	frame int
	key   string
	why   string
	ok    func(w, t *jsonNode) bool
	// formats: seen only by TestOracleJSONFormats (-x, ek), not by
	// TestOracleJSON.
	formats bool
}

func (d *jsonDiff) matches(file string, frame int, path, key string, w, t *jsonNode) bool {
	switch {
	case d.file == "*" || d.file == file:
	case strings.HasPrefix(d.file, "*") && strings.HasSuffix(file, d.file[1:]):
	default:
		return false
	}
	if d.frame != 0 && d.frame != frame {
		return false
	}
	switch {
	case d.key == key:
	case strings.HasSuffix(d.key, "/*"):
		if !strings.Contains(path, d.key[:len(d.key)-1]) {
			return false
		}
	case strings.HasSuffix(d.key, "*"):
		if !strings.HasPrefix(key, d.key[:len(d.key)-1]) {
			return false
		}
	default:
		return false
	}
	return d.ok == nil || d.ok(w, t)
}

// tsharkLacks: tshark has no such member.
func tsharkLacks(_, t *jsonNode) bool { return t == nil }

// sameBelowApp: frame.protocols agree up to TCP or UDP (what follows is
// the HTTP and TLS oracles' to compare).
func sameBelowApp(w, t *jsonNode) bool {
	return t != nil && protocolsPrefix(w.s) == protocolsPrefix(t.s)
}

// jsonOracleDiffs are the members wiretap writes that tshark writes
// otherwise or not at all.
var jsonOracleDiffs = []*jsonDiff{
	{file: "*", key: "frame.protocols", ok: sameBelowApp,
		why: "above TCP and UDP tshark names protocols wiretap does not dissect (DNS, OpenFlow, WebSocket, Dropbox " +
			"LAN sync, X.509's): the layers below agree, the HTTP and TLS oracles compare the rest"},
	{file: "oracle/formats/gopacket/test_dns.pcap", key: "data", ok: tsharkLacks,
		why: "DNS: wiretap shows the UDP payload as data"},
	{file: "oracle/formats/tcpdump/time_2106_overflow.pcapng", key: "data", ok: tsharkLacks, why: "DNS, as test_dns.pcap"},
	{file: "oracle/formats/tcpdump/time_2107.pcapng", key: "data", ok: tsharkLacks, why: "DNS, as test_dns.pcap"},
	{file: "oracle/formats/heuristics/many_interfaces-1.pcapng", key: "data", ok: tsharkLacks,
		why: "Dropbox LAN sync discovery (UDP 17500, JSON): wiretap shows the UDP payload as data"},
	{file: "*", key: "tls.handshake.ja4*", ok: tsharkLacks, why: "JA4 came with Wireshark 4.2: tshark 4.0 has no such field"},
	{file: "oracle/demo.pcapng", key: "tls_tls_handshake_ja4*", ok: tsharkLacks, why: "as tls.handshake.ja4 (ek's keys)", formats: true},
	{file: "tls/hotplace-http1/http1.pcapng", key: "tls.ech.*", ok: tsharkLacks,
		why: "tshark 4.0 does not dissect Encrypted Client Hello (extension 65037), it shows the extension's data only"},
	{file: "tls/hotplace-http1/http2.pcapng", key: "tls.ech.*", ok: tsharkLacks, why: "as http1.pcapng (Encrypted Client Hello)"},
	{file: "*", key: "tls.handshake.certificate_tree/*", ok: tsharkLacks,
		why: "wiretap summarises a certificate (crypto/x509) in lines of text; tshark dissects its ASN.1 (x509af, x509sat, ...)"},
	{file: "oracle/demo.pcapng", key: "fernet*", ok: tsharkLacks, why: "wiretap's own layer for the demo's Fernet tokens"},
	{file: "oracle/demo.pcapng", key: "http_raw",
		why: "wiretap's http node covers the whole message, the body too; tshark's the header block only (the body is " +
			"a layer of its own): so do their bytes (-x)", formats: true},
	{file: "oracle/demo.pcapng", key: "tls.handshake.ja3*", formats: true,
		ok: func(w, t *jsonNode) bool { return t != nil && t.kind == 'v' && w.kind == 'v' },
		why: "jsonraw: tshark puts the JA3 fields (generated, no bytes) where its handshake parser was when it added " +
			"them; wiretap at the start of the TLS layer"},
	{file: "oracle/formats/tcpdump/of13_ericsson.pcapng", frame: 75, key: "tcp.completeness",
		why: "a stream seen from the middle, this its first frame, with data: tshark's first pass has the ACK but counts " +
			"the data only from the next frame on (4, then 12); wiretap shows 12"},
	{file: "oracle/formats/tcpdump/of13_ericsson.pcapng", frame: 173, key: "tcp.completeness", why: "as frame 75"},
	{file: "tls/pcapplusplus/tls1_3.pcap", key: "tcp.completeness",
		why: "data segments of a stream seen from the middle, no bare ACK: tshark counts the data (8), wiretap only " +
			"after a bare ACK (0)"},
	{file: "oracle/formats/tcpdump/timestamp_invalid_nano.pcap", frame: 2, key: "*",
		why: "the record's nanosecond field is 1000000000 (out of range): tshark prints 1418145370.1000000000, " +
			"wiretap's reader normalises it (see TestOracleLayers); the times that follow from it differ too"},
	{file: "oracle/formats/tcpdump/timestamp_invalid_nano.pcap", frame: 3, key: "*",
		why: "the nanosecond field is 0x80000000: tshark reads it as a negative number, wiretap's reader as 2.147483648 s"},
}

// jsonCompare walks wiretap's and tshark's JSON for one packet.
type jsonCompare struct {
	file      string
	frame     int
	diffs     []*jsonDiff
	seen      map[*jsonDiff]bool
	compared  int // values (strings and other scalars) wiretap wrote that were compared
	extra     int // members wiretap writes that tshark has not
	missing   int // members (and all below them) tshark writes that wiretap has not
	allowed   int
	missed    map[string]int // missing members by key
	allowedBy map[string]int // allowed differences by reason
	report    func(path, msg string)
}

// object compares wiretap's object w with tshark's t, member by member:
// the i-th member of a key with the i-th of the same key.
func (c *jsonCompare) object(path string, w, t *jsonNode) {
	count := map[string]int{}
	for i, k := range w.keys {
		occ := count[k]
		count[k]++
		c.value(path+"/"+k, k, w.vals[i], t.get(k, occ))
	}
	tcount := map[string]int{}
	for i, k := range t.keys {
		tcount[k]++
		if tcount[k] > count[k] {
			c.missing += t.vals[i].size()
			c.missed[k]++
		}
	}
}

func (c *jsonCompare) value(path, key string, w, t *jsonNode) {
	if t == nil {
		c.extra++
		c.differ(path, key, w, t, fmt.Sprintf("wiretap writes %s, tshark has no such member", w))
		return
	}
	if w.kind == 's' && t.kind == 'o' {
		// A node without a value whose subtree wiretap does not
		// dissect (tcp.analysis without bytes_in_flight, json's
		// layer without its members): what tshark has below it is
		// missing.
		c.missing += t.size() - 1
		c.missed[key+"'s members"]++
		return
	}
	if w.kind != t.kind {
		c.differ(path, key, w, t, fmt.Sprintf("wiretap %s, tshark %s", w, t))
		return
	}
	switch w.kind {
	case 'o':
		c.object(path, w, t)
	case 'a':
		for i, v := range w.vals {
			if i >= len(t.vals) {
				c.differ(path, key, w, t, fmt.Sprintf("wiretap %s, tshark %s", w, t))
				return
			}
			c.value(fmt.Sprintf("%s[%d]", path, i), key, v, t.vals[i])
		}
		if len(t.vals) > len(w.vals) {
			c.differ(path, key, w, t, fmt.Sprintf("wiretap %s, tshark %s", w, t))
		}
	default:
		c.compared++
		if w.s != t.s {
			c.differ(path, key, w, t, fmt.Sprintf("wiretap %s, tshark %s", w, t))
		}
	}
}

func (c *jsonCompare) differ(path, key string, w, t *jsonNode, msg string) {
	for _, d := range c.diffs {
		if d.matches(c.file, c.frame, path, key, w, t) {
			c.seen[d] = true
			c.allowed++
			c.allowedBy[d.why]++
			return
		}
	}
	c.report(path, msg)
}

// wiretapJSON dissects pkts with a and writes them as f says, as
// wiretap read does.
func wiretapJSON(a *Analyzer, pkts []decodetest.Packet, f *JSONFormat) []byte {
	var b bytes.Buffer
	setInterfaces(a, pkts)
	for i, p := range decodetest.Analyze(a, pkts) {
		f.WriteSeparator(&b, i)
		f.WritePacket(&b, p)
	}
	f.WriteEnd(&b, len(pkts))
	return b.Bytes()
}

// jsonOracleArgs are tshark's options for the JSON oracle: those of the
// TLS oracle (two passes, no name resolution, the oracle ports).
var jsonOracleArgs = append([]string{"-2", "-n"}, decodetest.DecodeAs(decodetest.OraclePorts())...)

// TestOracleJSON compares wiretap's -T json with tshark's for every
// capture, as JSON values: every member wiretap writes under the layers
// it dissects must be tshark's (same key, same value, the n-th of a
// repeated key with tshark's n-th), but for jsonOracleDiffs; the members
// tshark writes that wiretap has not (fields wiretap does not dissect)
// are counted. tshark's outputs are recorded in
// testdata/golden/TestOracleJSON.
func TestOracleJSON(t *testing.T) {
	t.Setenv("TZ", "UTC")
	o := oracletest.New(t, oracletest.Tshark)
	c := &jsonCompare{diffs: jsonOracleDiffs, seen: map[*jsonDiff]bool{}, missed: map[string]int{}, allowedBy: map[string]int{}}
	var nFiles, nPkts, nLayers, differ int
	var all []string
	c.report = func(path, msg string) {
		differ++
		line := fmt.Sprintf("%s frame %d %s: %s", c.file, c.frame, path, msg)
		all = append(all, line)
		if differ <= 60 {
			t.Error(line)
		}
	}
	for _, f := range decodetest.Files(t, decodetest.Oracle, decodetest.TLS) {
		pkts, err := decodetest.ReadFile(f.Path)
		if err != nil && len(pkts) == 0 {
			continue // not a capture: the layers' oracle covers refusals
		}
		args := append(append([]string{}, jsonOracleArgs...), "-r", f.Path, "-T", "json")
		res, err := o.Run(f.Input(), args...)
		if err != nil {
			t.Fatal(err)
		}
		if res.Exit != 0 && len(res.Stdout) == 0 {
			t.Errorf("%s: tshark exit status %d: %s", f.Name, res.Exit, res.Stderr)
			continue
		}
		want, err := parseJSON(res.Stdout)
		if err != nil {
			t.Errorf("%s: tshark's JSON: %v", f.Name, err)
			continue
		}
		out := wiretapJSON(NewAnalyzer(Options{Force: decodetest.OraclePorts()}), pkts, &JSONFormat{})
		// Laid out as tshark lays out its own: indent, line breaks,
		// escapes (TestOracleJSONFormats's check, on every capture).
		for _, o := range []struct {
			who string
			out []byte
		}{{"tshark", res.Stdout}, {"wiretap", out}} {
			if l, err := layoutOf(o.out, false); err == nil && l != string(o.out) {
				t.Errorf("%s: %s's output is not laid out as tshark lays out JSON:%s", f.Name, o.who, firstLineDiff(l, string(o.out)))
			}
		}
		got, err := parseJSON(out)
		if err != nil {
			t.Errorf("%s: wiretap's JSON does not parse: %v", f.Name, err)
			continue
		}
		if got.kind != 'a' || want.kind != 'a' || len(got.vals) != len(want.vals) {
			t.Errorf("%s: wiretap writes %d packets, tshark %d", f.Name, len(got.vals), len(want.vals))
			continue
		}
		nFiles++
		c.file = f.Name
		for i := range got.vals {
			nPkts++
			c.frame = i + 1
			gp, wp := got.vals[i], want.vals[i]
			for _, k := range []string{"_index", "_type", "_score"} {
				c.value(k, k, gp.get(k, 0), wp.get(k, 0))
			}
			gl, wl := gp.path("_source", "layers"), wp.path("_source", "layers")
			if gl == nil || wl == nil {
				t.Errorf("%s frame %d: no _source.layers", f.Name, i+1)
				continue
			}
			// The layers wiretap writes, each compared with tshark's
			// layer of that name (the n-th with the n-th).
			count := map[string]int{}
			for j, k := range gl.keys {
				nLayers++
				occ := count[k]
				count[k]++
				c.value(k, k, gl.vals[j], wl.get(k, occ))
			}
			// tshark's members under the layers wiretap writes.
			tcount := map[string]int{}
			for j, k := range wl.keys {
				tcount[k]++
				if count[k] > 0 && tcount[k] > count[k] {
					c.missing += wl.vals[j].size()
					c.missed[k]++
				}
			}
		}
	}
	if differ > 60 {
		t.Errorf("... %d differences in all", differ)
	}
	if path := os.Getenv("WIRETAP_JSON_REPORT"); path != "" { // for exploring: every difference, and the missing keys
		var keys []string
		for k := range c.missed {
			keys = append(keys, k)
		}
		sort.Slice(keys, func(i, j int) bool { return c.missed[keys[i]] > c.missed[keys[j]] })
		for _, k := range keys {
			all = append(all, fmt.Sprintf("missing %6d %s", c.missed[k], k))
		}
		os.WriteFile(path, []byte(strings.Join(all, "\n")+"\n"), 0o644)
	}
	for _, d := range jsonOracleDiffs {
		if !c.seen[d] && !d.formats {
			t.Errorf("expected difference not seen (remove it from jsonOracleDiffs?): %s frame %d %s", d.file, d.frame, d.key)
		}
	}
	for _, d := range jsonOracleDiffs {
		if n := c.allowedBy[d.why]; n > 0 {
			t.Logf("allowed: %5d members: %s", n, d.why)
			c.allowedBy[d.why] = 0
		}
	}
	var missedKeys []string
	for k := range c.missed {
		missedKeys = append(missedKeys, k)
	}
	sort.Slice(missedKeys, func(i, j int) bool {
		if c.missed[missedKeys[i]] != c.missed[missedKeys[j]] {
			return c.missed[missedKeys[i]] > c.missed[missedKeys[j]]
		}
		return missedKeys[i] < missedKeys[j]
	})
	if len(missedKeys) > 12 {
		missedKeys = missedKeys[:12]
	}
	for i, k := range missedKeys {
		missedKeys[i] = fmt.Sprintf("%s (%d)", k, c.missed[k])
	}
	t.Logf("the keys tshark writes most that wiretap has not: %s", strings.Join(missedKeys, ", "))
	t.Logf("JSON oracle: %d captures, %d packets, %d layers; %d values compared with tshark, %d allowed differences (%d listed), "+
		"%d members wiretap writes that tshark has not; %d members tshark writes under these layers that wiretap has not",
		nFiles, nPkts, nLayers, c.compared, c.allowed, len(jsonOracleDiffs), c.extra, c.missing)
	o.Done(c.compared)
}

// prettyJSON prints n as tshark's json_dumper pretty-prints (two spaces
// a level, "key": value, empty objects and arrays as {} and []), with
// the escapes jsonQuote writes: TestJSONLayout prints tshark's own
// output with it to check it, then wiretap's.
func prettyJSON(b *strings.Builder, n *jsonNode, depth int) {
	switch n.kind {
	case 's':
		jsonQuote(b, n.s, false)
	case 'v':
		b.WriteString(n.s)
	case 'o', 'a':
		open, end := byte('{'), byte('}')
		if n.kind == 'a' {
			open, end = '[', ']'
		}
		b.WriteByte(open)
		for i, v := range n.vals {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteByte('\n')
			b.WriteString(strings.Repeat("  ", depth+1))
			if n.kind == 'o' {
				jsonQuote(b, n.keys[i], false)
				b.WriteString(": ")
			}
			prettyJSON(b, v, depth+1)
		}
		if len(n.vals) > 0 {
			b.WriteByte('\n')
			b.WriteString(strings.Repeat("  ", depth))
		}
		b.WriteByte(end)
	}
}

// compactJSON prints n on one line, as ek's lines are.
func compactJSON(b *strings.Builder, n *jsonNode) {
	switch n.kind {
	case 's':
		jsonQuote(b, n.s, false)
	case 'v':
		b.WriteString(n.s)
	case 'o', 'a':
		open, end := byte('{'), byte('}')
		if n.kind == 'a' {
			open, end = '[', ']'
		}
		b.WriteByte(open)
		for i, v := range n.vals {
			if i > 0 {
				b.WriteByte(',')
			}
			if n.kind == 'o' {
				jsonQuote(b, n.keys[i], false)
				b.WriteByte(':')
			}
			compactJSON(b, v)
		}
		b.WriteByte(end)
	}
}

// layoutOf re-prints a whole output (json: one pretty document; ek: one
// compact document a line) from its parse.
func layoutOf(out []byte, ek bool) (string, error) {
	var b strings.Builder
	if !ek {
		n, err := parseJSON(out)
		if err != nil {
			return "", err
		}
		prettyJSON(&b, n, 0)
		b.WriteByte('\n')
		return b.String(), nil
	}
	for _, line := range strings.SplitAfter(string(out), "\n") {
		if line == "" {
			continue
		}
		n, err := parseJSON([]byte(line))
		if err != nil {
			return "", err
		}
		compactJSON(&b, n)
		b.WriteByte('\n')
	}
	return b.String(), nil
}

// jsonFormatRuns are the other layouts TestOracleJSONFormats compares on
// the demo capture: tshark's options and wiretap's equivalent.
var jsonFormatRuns = []struct {
	args []string
	f    JSONFormat
}{
	{[]string{"-T", "json", "-x"}, JSONFormat{Hex: true}},
	{[]string{"-T", "jsonraw"}, JSONFormat{Mode: JSONRaw}},
	{[]string{"-T", "json", "--no-duplicate-keys"}, JSONFormat{NoDuplicateKeys: true}},
	{[]string{"-T", "ek"}, JSONFormat{Mode: JSONEK}},
	{[]string{"-T", "ek", "-x"}, JSONFormat{Mode: JSONEK, Hex: true}},
	{[]string{"-T", "json", "-e", "frame.number", "-e", "tcp.port", "-e", "ip.flags.df", "-e", "http.host", "-e", "tcp.options", "-e", "tls.handshake.type"},
		JSONFormat{Fields: []string{"frame.number", "tcp.port", "ip.flags.df", "http.host", "tcp.options", "tls.handshake.type"}}},
	{[]string{"-T", "ek", "-e", "frame.number", "-e", "tcp.port", "-e", "http.host"},
		JSONFormat{Mode: JSONEK, Fields: []string{"frame.number", "tcp.port", "http.host"}}},
}

// TestOracleJSONFormats compares -x's _raw members, -T jsonraw,
// --no-duplicate-keys, -T ek and -e in json and ek with tshark's on the
// demo capture, as TestOracleJSON does -T json (tshark's outputs
// recorded in testdata/golden/TestOracleJSONFormats), and checks that
// each output is laid out as tshark lays out its own (TestJSONLayout's
// printer reproduces tshark's bytes, then wiretap's).
func TestOracleJSONFormats(t *testing.T) {
	t.Setenv("TZ", "UTC")
	o := oracletest.New(t, oracletest.Tshark)
	var in decodetest.File
	for _, f := range decodetest.Files(t, decodetest.Oracle) {
		if f.Name == "oracle/demo.pcapng" {
			in = f
		}
	}
	pkts, err := decodetest.ReadFile(in.Path)
	if err != nil {
		t.Fatal(err)
	}
	c := &jsonCompare{diffs: jsonOracleDiffs, seen: map[*jsonDiff]bool{}, missed: map[string]int{}, allowedBy: map[string]int{},
		file: in.Name}
	differ := 0
	var all []string
	for _, run := range jsonFormatRuns {
		name := strings.Join(run.args, " ")
		c.report = func(path, msg string) {
			differ++
			line := fmt.Sprintf("%s: frame %d %s: %s", name, c.frame, path, msg)
			all = append(all, line)
			if differ <= 40 {
				t.Error(line)
			}
		}
		args := append(append([]string{}, jsonOracleArgs...), "-r", in.Path)
		res, err := o.Run(in.Input(), append(args, run.args...)...)
		if err != nil {
			t.Fatal(err)
		}
		if res.Exit != 0 {
			t.Fatalf("tshark %s: exit status %d: %s", name, res.Exit, res.Stderr)
		}
		f := run.f
		out := wiretapJSON(NewAnalyzer(Options{Force: decodetest.OraclePorts()}), pkts, &f)
		ek := f.Mode == JSONEK
		// The layout: tshark's bytes are what the printer makes of
		// their parse, and so must wiretap's be.
		for _, o := range []struct {
			who string
			out []byte
		}{{"tshark", res.Stdout}, {"wiretap", out}} {
			l, err := layoutOf(o.out, ek)
			if err != nil {
				t.Errorf("%s: %s's output does not parse: %v", name, o.who, err)
			} else if l != string(o.out) {
				t.Errorf("%s: %s's output is not laid out as tshark lays out JSON:%s", name, o.who, firstLineDiff(l, string(o.out)))
			}
		}
		// The values: per packet (ek: per pair of lines).
		var want, got []*jsonNode
		if ek {
			want, got = ekDocs(t, res.Stdout), ekDocs(t, out)
		} else {
			w, err1 := parseJSON(res.Stdout)
			g, err2 := parseJSON(out)
			if err1 != nil || err2 != nil {
				continue
			}
			want, got = w.vals, g.vals
		}
		if len(want) != len(got) {
			t.Errorf("%s: tshark wrote %d documents, wiretap %d", name, len(want), len(got))
			continue
		}
		for i := range want {
			c.frame = i + 1
			if ek {
				c.frame = i/2 + 1
			}
			c.value("", "", got[i], want[i])
		}
	}
	if differ > 40 {
		t.Errorf("... %d differences in all", differ)
	}
	for _, d := range jsonOracleDiffs {
		if !c.seen[d] && d.formats {
			t.Errorf("expected difference not seen (remove it from jsonOracleDiffs?): %s frame %d %s", d.file, d.frame, d.key)
		}
	}
	if path := os.Getenv("WIRETAP_JSON_REPORT"); path != "" {
		os.WriteFile(path, []byte(strings.Join(all, "\n")+"\n"), 0o644)
	}
	t.Logf("JSON formats oracle: %d layouts of %s; %d values compared with tshark, %d allowed differences, "+
		"%d members tshark writes that wiretap has not", len(jsonFormatRuns), in.Name, c.compared, c.allowed, c.missing)
	o.Done(c.compared)
}

// ekDocs parses ek's output: one document a line.
func ekDocs(t *testing.T, out []byte) []*jsonNode {
	var docs []*jsonNode
	for _, line := range strings.Split(strings.TrimSuffix(string(out), "\n"), "\n") {
		if line == "" {
			continue
		}
		n, err := parseJSON([]byte(line))
		if err != nil {
			t.Errorf("ek line does not parse: %v: %.100s", err, line)
			continue
		}
		docs = append(docs, n)
	}
	return docs
}

// firstLineDiff shows where two texts first differ, by line.
func firstLineDiff(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := 0; i < len(al) || i < len(bl); i++ {
		var x, y string
		if i < len(al) {
			x = al[i]
		}
		if i < len(bl) {
			y = bl[i]
		}
		if x != y {
			return fmt.Sprintf("\n line %d: expected %q\n line %d: written  %q", i+1, x, i+1, y)
		}
	}
	return ""
}
