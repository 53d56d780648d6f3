package decode

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"wiretap/capture/oracletest"
	"wiretap/decode/decodetest"
)

// TLS test material: conversations re-cut from the captures in
// testdata/tls (the same bytes, other segment boundaries and record
// boundaries), and hand-built hellos.

// tlsCaptureChunks returns the payload of TCP stream 0 of a capture, one
// chunk per segment, in capture order.
func tlsCaptureChunks(t testing.TB, path string) []FollowChunk {
	t.Helper()
	pkts, err := decodetest.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	a := httpAnalyze(pkts, tlsOracleOpts(), 0)
	chunks, err := a.FollowTCP(0)
	if err != nil {
		t.Fatal(err)
	}
	return chunks
}

// tlsJoin merges consecutive chunks of the same direction: each flight
// becomes one segment, holding many records.
func tlsJoin(chunks []FollowChunk) []FollowChunk {
	var out []FollowChunk
	for _, c := range chunks {
		if k := len(out); k > 0 && out[k-1].Dir == c.Dir {
			out[k-1].Data = append(out[k-1].Data, c.Data...)
			continue
		}
		out = append(out, FollowChunk{Dir: c.Dir, Data: append([]byte(nil), c.Data...)})
	}
	return out
}

// tlsRecut splits each flight into segments of n bytes.
func tlsRecut(chunks []FollowChunk, n int) []synSeg {
	segs := synHandshake()
	for _, c := range tlsJoin(chunks) {
		segs = append(segs, synChunks(c.Dir, string(c.Data), n)...)
	}
	return append(segs, synClosing()...)
}

// tlsRecords splits a direction's bytes into records (5-byte header and
// body); what does not parse is returned whole as the last element.
func tlsRecords(b []byte) [][]byte {
	var out [][]byte
	for len(b) >= 5 {
		n := 5 + int(binary.BigEndian.Uint16(b[3:]))
		if n > len(b) {
			break
		}
		out = append(out, b[:n])
		b = b[n:]
	}
	if len(b) > 0 {
		out = append(out, b)
	}
	return out
}

// tlsRefragment re-cuts the handshake records before the first
// ChangeCipherSpec of each flight into records of at most k body bytes,
// so handshake messages span records (RFC 8446 §5.1 allows it).
func tlsRefragment(chunks []FollowChunk, k int) []FollowChunk {
	var out []FollowChunk
	encrypted := [2]bool{}
	for _, c := range tlsJoin(chunks) {
		var b []byte
		for _, r := range tlsRecords(c.Data) {
			if len(r) < 5 || r[0] != tlsHandshake || encrypted[c.Dir] {
				if len(r) >= 5 && r[0] == tlsChangeCipherSpec {
					encrypted[c.Dir] = true
				}
				b = append(b, r...)
				continue
			}
			body := r[5:]
			for len(body) > 0 {
				n := min(k, len(body))
				b = append(b, r[0], r[1], r[2], byte(n>>8), byte(n))
				b = append(b, body[:n]...)
				body = body[n:]
			}
		}
		out = append(out, FollowChunk{Dir: c.Dir, Data: b})
	}
	return out
}

// tlsRecord builds one record.
func tlsRecord(ct uint8, vers uint16, body []byte) []byte {
	return append([]byte{ct, byte(vers >> 8), byte(vers), byte(len(body) >> 8), byte(len(body))}, body...)
}

// tlsHS builds a handshake message.
func tlsHS(typ uint8, body []byte) []byte {
	return append([]byte{typ, byte(len(body) >> 16), byte(len(body) >> 8), byte(len(body))}, body...)
}

// tlsVec prefixes b with its length in n bytes.
func tlsVec(n int, b []byte) []byte {
	var l []byte
	for i := n - 1; i >= 0; i-- {
		l = append(l, byte(len(b)>>(8*i)))
	}
	return append(l, b...)
}

func tlsU16s(vs ...uint16) []byte {
	var b []byte
	for _, v := range vs {
		b = append(b, byte(v>>8), byte(v))
	}
	return b
}

// tlsExt builds an extension.
func tlsExt(typ uint16, data []byte) []byte { return append(tlsU16s(typ), tlsVec(2, data)...) }

// tlsHello builds a ClientHello body from its parts.
func tlsHello(vers uint16, ciphers []uint16, exts ...[]byte) []byte {
	b := tlsU16s(vers)
	b = append(b, bytes.Repeat([]byte{0x42}, 32)...)
	b = append(b, tlsVec(1, bytes.Repeat([]byte{0x17}, 32))...)
	b = append(b, tlsVec(2, tlsU16s(ciphers...))...)
	b = append(b, 1, 0)
	if exts != nil {
		b = append(b, tlsVec(2, bytes.Join(exts, nil))...)
	}
	return b
}

// tlsSSLv2Hello is an SSL 2.0-compatible ClientHello offering TLS 1.0
// (RFC 5246 Appendix E.2): three cipher specs, no session ID, a 32-byte
// challenge.
func tlsSSLv2Hello() []byte {
	specs := []byte{0x00, 0x00, 0x2f, 0x00, 0x00, 0x35, 0x01, 0x00, 0x80}
	msg := append([]byte{1, 3, 1}, tlsU16s(uint16(len(specs)), 0, 32)...)
	msg = append(msg, specs...)
	msg = append(msg, bytes.Repeat([]byte{0x5a}, 32)...)
	return append([]byte{0x80 | byte(len(msg)>>8), byte(len(msg))}, msg...)
}

// tlsSynthScenarios are the synthetic conversations of the TLS oracle.
func tlsSynthScenarios(t testing.TB) map[string]synConv {
	out := map[string]synConv{}
	add := func(name string, segs []synSeg) { out[name] = synConv{port: 443, segs: segs} }
	for _, src := range []struct{ name, path string }{
		{"tls12", "testdata/tls/illustrated-tls12/capture.pcap"},
		{"tls13", "testdata/tls/illustrated-tls13/capture.pcap"},
		{"tls11", "testdata/tls/zeek/tls1_1.pcap"},
	} {
		chunks := tlsCaptureChunks(t, src.path)
		for _, n := range []int{1, 3, 7, 100, 1000} {
			add(fmt.Sprintf("%s-cut%d", src.name, n), tlsRecut(chunks, n))
		}
		add(src.name+"-flights", tlsRecut(chunks, 1<<20))
		add(src.name+"-hsfrag40", tlsRecut(tlsRefragment(chunks, 40), 1<<20))
		add(src.name+"-hsfrag300-cut90", tlsRecut(tlsRefragment(chunks, 300), 90))
	}
	tls12 := tlsJoin(tlsCaptureChunks(t, "testdata/tls/illustrated-tls12/capture.pcap"))
	server := tls12[1].Data
	add("sslv2-hello", synJoin(synHandshake(), []synSeg{{dir: 0, data: string(tlsSSLv2Hello())}, {dir: 1, data: string(server)}}, synClosing()))
	hb := append([]byte{1, 0, 18}, bytes.Repeat([]byte{0x61}, 18+16)...)
	add("heartbeat", synJoin(synHandshake(), []synSeg{{dir: 0, data: string(tls12[0].Data)}, {dir: 1, data: string(server)},
		{dir: 0, data: string(tlsRecord(tlsHeartbeat, versionTLS12, hb))}}, synClosing()))
	add("unknown-record", synJoin(synHandshake(), []synSeg{{dir: 0, data: string(tls12[0].Data)}, {dir: 1, data: string(server)},
		{dir: 0, data: string(tlsRecord(0x63, versionTLS12, []byte("junk record body")))}}, synClosing()))
	add("alerts", synJoin(synHandshake(), []synSeg{{dir: 0, data: string(tls12[0].Data)},
		{dir: 1, data: string(tlsRecord(tlsAlert, versionTLS12, []byte{1, 0}))},
		{dir: 1, data: string(tlsRecord(tlsAlert, versionTLS12, []byte{2, 40}))}}, synClosing()))
	return out
}

// TestOracleTLSSynthetic writes the synthetic conversations as captures
// and compares wiretap with tshark on them (tshark's outputs recorded in
// testdata/golden/TestOracleTLSSynthetic).
func TestOracleTLSSynthetic(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: the synthetic TLS oracle dissects 14,000 packets")
	}
	t.Setenv("TZ", "UTC")
	o := oracletest.New(t, oracletest.Tshark)
	dir := t.TempDir()
	scen := tlsSynthScenarios(t)
	names := make([]string, 0, len(scen))
	for n := range scen {
		names = append(names, n)
	}
	sort.Strings(names)
	var nPkts, nVals int
	for _, name := range names {
		pkts := scen[name].packets()
		path := filepath.Join(dir, name+".pcap")
		if err := synWritePcap(path, pkts); err != nil {
			t.Fatal(err)
		}
		want := tsharkLines(t, o, oracletest.Input{Name: "synthetic/tls/" + name + ".pcap", Path: path}, tlsOracleArgs, tlsOracleFields)
		a := httpAnalyze(pkts, tlsOracleOpts(), -1)
		bad := 0
		for i := range want {
			p := a.Dissect(i+1, pkts[i].CI, pkts[i].LinkType, pkts[i].Data)
			w := strings.Split(want[i], "\t")
			nPkts++
			for k, f := range tlsOracleFields {
				wv, gv := column(w, k+1), tlsFieldText(p, f)
				if f == "frame.protocols" {
					wv, gv = tlsNormProtocols(wv), tlsNormProtocols(gv)
				}
				nVals++
				if wv != gv {
					if bad++; bad <= 10 {
						t.Errorf("%s frame %d %s:\n tshark:  %q\n wiretap: %q", name, i+1, f, trunc(wv), trunc(gv))
					}
				}
			}
		}
		if bad > 10 {
			t.Errorf("%s: %d differences in all", name, bad)
		}
		if os.Getenv("WIRETAP_KEEP_SYNTH") != "" {
			os.WriteFile(filepath.Join(os.Getenv("WIRETAP_KEEP_SYNTH"), name+".pcap"), mustRead(t, path), 0o644)
		}
	}
	t.Logf("synthetic TLS oracle: %d conversations, %d packets, %d values compared", len(names), nPkts, nVals)
	o.Done(nVals)
}

func mustRead(t testing.TB, path string) []byte {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// tlsAnalyze runs both tiers over a conversation on port 443 whose
// segments are given as (direction, bytes), and returns every packet.
func tlsAnalyze(t testing.TB, segs ...synSeg) []*Packet {
	t.Helper()
	c := synConv{port: 443, segs: synJoin(synHandshake(), segs, synClosing())}
	pkts := c.packets()
	a := httpAnalyze(pkts, Options{}, -1)
	out := make([]*Packet, len(pkts))
	for i := len(pkts) - 1; i >= 0; i-- {
		out[i] = a.Dissect(i+1, pkts[i].CI, pkts[i].LinkType, pkts[i].Data)
	}
	return out[3 : len(out)-3] // the data segments
}

// greaseHello is a ClientHello with GREASE values in every list that may
// hold them (RFC 8701 §3): cipher suites, extensions, groups, versions,
// key shares, signature algorithms.
func greaseHello() []byte {
	return tlsHello(versionTLS12, []uint16{0x2a2a, 0x1301, 0x1302, 0xc02f},
		tlsExt(0xdada, nil),
		tlsExt(extServerName, tlsVec(2, append([]byte{0}, tlsVec(2, []byte("example.com"))...))),
		tlsExt(extSupportedGroups, tlsVec(2, tlsU16s(0x4a4a, 0x001d, 0x0017))),
		tlsExt(extECPointFormats, tlsVec(1, []byte{0})),
		tlsExt(extSignatureAlgorithms, tlsVec(2, tlsU16s(0x0a0a, 0x0403, 0x0804))),
		tlsExt(extALPN, tlsVec(2, append(tlsVec(1, []byte("h2")), tlsVec(1, []byte("http/1.1"))...))),
		tlsExt(extKeyShare, tlsVec(2, append(append(tlsU16s(0x4a4a), tlsVec(2, []byte{0})...), append(tlsU16s(0x001d), tlsVec(2, bytes.Repeat([]byte{9}, 32))...)...))),
		tlsExt(extSupportedVersions, tlsVec(1, tlsU16s(0x7a7a, versionTLS13, versionTLS12))),
		tlsExt(0x1a1a, []byte{0}),
	)
}

func TestTLSTableCases(t *testing.T) {
	hello := tlsRecord(tlsHandshake, versionTLS10, tlsHS(hsClientHello, greaseHello()))
	hrrBody := append(tlsU16s(versionTLS12), helloRetryRandom...)
	hrrBody = append(hrrBody, tlsVec(1, bytes.Repeat([]byte{0x17}, 32))...)
	hrrBody = append(hrrBody, 0x13, 0x01, 0)
	hrrBody = append(hrrBody, tlsVec(2, append(tlsExt(extSupportedVersions, tlsU16s(versionTLS13)), tlsExt(extKeyShare, tlsU16s(0x0017))...))...)
	hrr := tlsRecord(tlsHandshake, versionTLS12, tlsHS(hsServerHello, hrrBody))
	ccs := tlsRecord(tlsChangeCipherSpec, versionTLS12, []byte{1})
	appData := tlsRecord(tlsApplicationData, versionTLS12, bytes.Repeat([]byte{0xee}, 40))

	type frameWant struct {
		proto, info string
		fields      map[string]string
	}
	cases := []struct {
		name string
		segs []synSeg
		want []frameWant // one per data segment
	}{
		{"grease", []synSeg{{dir: 0, data: string(hello)}}, []frameWant{{"TLSv1", "Client Hello", map[string]string{
			"tls.handshake.ciphersuite":                  "0x2a2a,0x1301,0x1302,0xc02f",
			"tls.handshake.extension.type":               "56026,0,10,11,13,16,51,43,6682",
			"tls.handshake.extensions_supported_group":   "0x4a4a,0x001d,0x0017",
			"tls.handshake.extensions.supported_version": "0x7a7a,0x0304,0x0303",
			"tls.handshake.extensions_key_share_group":   "19018,29",
			"tls.handshake.extensions_server_name":       "example.com",
			"tls.handshake.extensions_alpn_str":          "h2,http/1.1",
			"tls.handshake.ja3_full":                     "771,4865-4866-49199,0-10-11-13-16-51-43,29-23,0",
			"tls.handshake.ja4_r":                        "t13d0307h2_1301,1302,c02f_000a,000b,000d,002b,0033_0403,0804",
		}}}},
		{"hello-retry-request", []synSeg{{dir: 0, data: string(hello)}, {dir: 1, data: string(hrr) + string(ccs)}}, []frameWant{
			{"TLSv1.3", "Client Hello", nil},
			{"TLSv1.3", "Hello Retry Request, Change Cipher Spec", map[string]string{
				"tls.handshake.type": "2", "tls.handshake.extensions_key_share_selected_group": "23",
				"tls.handshake.extensions.supported_version": "0x0304", "tls.handshake.ja3s_full": "771,4865,43-51"}},
		}},
		{"sslv2-compatible-hello", []synSeg{{dir: 0, data: string(tlsSSLv2Hello())}}, []frameWant{{"SSLv2", "Client Hello", map[string]string{
			"tls.record.version": "0x0002", "tls.handshake.type": "1", "tls.handshake.version": "0x0301",
			"tls.handshake.cipherspec": "0x00002f,0x000035,0x010080", "tls.handshake.challenge_length": "32",
		}}}},
		{"records-across-segments", []synSeg{{dir: 0, data: string(hello[:3])}, {dir: 0, data: string(hello[3:100])}, {dir: 0, data: string(hello[100:])}},
			[]frameWant{
				{"TCP", "[TCP segment of a reassembled PDU]", map[string]string{"tcp.reassembled_in": "6", "tls": ""}},
				{"TCP", "[TCP segment of a reassembled PDU]", map[string]string{"tcp.reassembled_in": "6", "tls": ""}},
				{"TLSv1", "Client Hello", map[string]string{"tcp.segment": "4,5,6", "tls.handshake.type": "1", "tls.handshake.extensions_server_name": "example.com"}},
			}},
		{"many-records-per-segment", []synSeg{{dir: 0, data: string(hello)}, {dir: 1, data: string(hrr) + string(ccs) + string(appData) + string(appData[:20])},
			{dir: 1, data: string(appData[20:]) + string(appData)}}, []frameWant{
			{"TLSv1.3", "Client Hello", nil},
			{"TLSv1.3", "Hello Retry Request, Change Cipher Spec, Application Data", map[string]string{
				"tls.record.length": "88,1,40", "tls.record.opaque_type": "23", "tcp.reassembled_in": "6"}},
			{"TLSv1.3", "Application Data, Application Data", map[string]string{"tls.record.length": "40,40", "tls": "tls,tls"}},
		}},
		{"handshake-spanning-records", []synSeg{{dir: 0, data: string(tlsRecord(tlsHandshake, versionTLS10, tlsHS(hsClientHello, greaseHello())[:50])) +
			string(tlsRecord(tlsHandshake, versionTLS10, tlsHS(hsClientHello, greaseHello())[50:]))}}, []frameWant{
			{"TLSv1", "[Client Hello Fragment], Client Hello", map[string]string{
				"tls.handshake.reassembled_in": "4", "tls.handshake.fragment": "4,4", "tls.handshake.extensions_server_name": "example.com"}},
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			pkts := tlsAnalyze(t, tc.segs...)
			if len(pkts) != len(tc.want) {
				t.Fatalf("%d data packets, want %d", len(pkts), len(tc.want))
			}
			for i, w := range tc.want {
				p := pkts[i]
				info := p.Summary.Info
				if w.proto == "TCP" {
					info = info[strings.LastIndex(info, " [TCP")+1:]
				}
				if p.Summary.Protocol != w.proto || info != w.info {
					t.Errorf("packet %d: %s %q, want %s %q", i+1, p.Summary.Protocol, p.Summary.Info, w.proto, w.info)
				}
				for name, v := range w.fields {
					if got := p.FieldText(name, ","); got != v {
						t.Errorf("packet %d %s = %q, want %q", i+1, name, got, v)
					}
				}
			}
		})
	}
}

// tlsHandshakeMessages returns the handshake messages sent in the clear
// in the testdata captures (before each side's ChangeCipherSpec), with
// the version their session negotiated.
func tlsHandshakeMessages(t testing.TB) []tlsTestMessage {
	var out []tlsTestMessage
	paths, _ := filepath.Glob("testdata/tls/*/*.pcap*")
	for _, path := range paths {
		chunks := tlsJoin(tlsCaptureChunks(t, path))
		var streams [2][]byte
		for _, c := range chunks {
			streams[c.Dir] = append(streams[c.Dir], c.Data...)
		}
		var msgs []tlsTestMessage
		vers := uint16(0)
		for dir, s := range streams {
			var hs []byte
			for _, r := range tlsRecords(s) {
				if len(r) < 5 || r[0] == tlsChangeCipherSpec || r[0] == tlsApplicationData {
					break
				}
				if r[0] == tlsHandshake {
					hs = append(hs, r[5:]...)
				}
			}
			for len(hs) >= 4 {
				n := 4 + (int(hs[1])<<16 | int(hs[2])<<8 | int(hs[3]))
				if n > len(hs) {
					break
				}
				msgs = append(msgs, tlsTestMessage{path: path, dir: dir, msg: hs[:n]})
				if hs[0] == hsServerHello {
					vers, _ = scanServerHello(hs[4:n])
				}
				hs = hs[n:]
			}
		}
		for i := range msgs {
			msgs[i].vers = vers
		}
		out = append(out, msgs...)
	}
	return out
}

type tlsTestMessage struct {
	path string
	dir  int
	msg  []byte
	vers uint16
}

// parseTestMessage parses a handshake body as the dissector would.
func parseTestMessage(typ uint8, body []byte, vers uint16, cipher uint16) error {
	var err error
	switch typ {
	case hsClientHello:
		_, err = parseClientHello(body)
	case hsServerHello:
		_, err = parseServerHello(body)
	case hsCertificate:
		_, err = parseCertificate(body, vers == versionTLS13)
	case hsServerKeyExchange:
		_, err = parseServerKeyExchange(body, cipherKeyExchange(cipher), vers >= versionTLS12)
	case hsClientKeyExchange:
		_, err = parseClientKeyExchange(body, cipherKeyExchange(cipher))
	case hsCertificateRequest:
		_, err = parseCertificateRequest(body, vers >= versionTLS12)
	case hsCertificateVerify:
		_, err = parseCertificateVerify(body, vers >= versionTLS12)
	case hsNewSessionTicket:
		_, err = parseNewSessionTicket(body, vers == versionTLS13)
	}
	return err
}

// TestTLSTruncatedMessages: every proper prefix of every handshake message
// of the captures is rejected (by the framing, and by the body parser
// wherever the prefix is not itself a valid message: a hello cut right
// after its compression methods is an SSL 3.0 hello without extensions),
// and the dissector flags a message whose body is cut without panicking.
func TestTLSTruncatedMessages(t *testing.T) {
	msgs := tlsHandshakeMessages(t)
	if len(msgs) < 30 {
		t.Fatalf("only %d handshake messages in testdata", len(msgs))
	}
	types := map[uint8]int{}
	cipher := map[string]uint16{}
	for _, m := range msgs {
		if m.msg[0] == hsServerHello {
			if sh, err := parseServerHello(m.msg[4:]); err == nil {
				cipher[m.path] = sh.cipherSuite
			}
		}
	}
	for _, m := range msgs {
		typ, body, err := parseHandshake(m.msg)
		if err != nil {
			t.Fatalf("%s: a whole message does not frame: %v", m.path, err)
		}
		if err := parseTestMessage(typ, body, m.vers, cipher[m.path]); err != nil {
			t.Errorf("%s: a whole %s does not parse: %v", m.path, tlsHandshakeNames[typ], err)
			continue
		}
		types[typ]++
		boundary := -1
		switch typ {
		case hsClientHello:
			h, _ := parseClientHello(body)
			boundary = h.extOff
		case hsServerHello:
			h, _ := parseServerHello(body)
			boundary = h.extOff
		}
		for i := 0; i < len(m.msg); i++ {
			if _, _, err := parseHandshake(m.msg[:i]); err == nil {
				t.Fatalf("%s: a %d-byte prefix of a %d-byte %s frames", m.path, i, len(m.msg), tlsHandshakeNames[typ])
			}
		}
		for i := 0; i < len(body); i++ {
			err := parseTestMessage(typ, body[:i], m.vers, cipher[m.path])
			if (err == nil) != (i == boundary) {
				t.Errorf("%s: %s cut to %d of %d bytes: error %v", m.path, tlsHandshakeNames[typ], i, len(body), err)
			}
		}
		// Through the dissector: a message whose length says what it holds.
		for _, i := range []int{0, 1, len(body) / 3, len(body) / 2, len(body) - 1} {
			if i < 0 || i >= len(body) || i == boundary {
				continue
			}
			rec := tlsRecord(tlsHandshake, versionTLS12, tlsHS(typ, body[:i]))
			var p *Packet
			func() {
				defer func() {
					if r := recover(); r != nil {
						t.Fatalf("%s: %s cut to %d: panic %v", m.path, tlsHandshakeNames[typ], i, r)
					}
				}()
				p = tlsAnalyze(t, synSeg{dir: m.dir, data: string(rec)})[0]
			}()
			if tlsHandshakeNames[typ] != "" && typ != hsServerHelloDone && typ != hsFinished && !strings.HasSuffix(p.Summary.Info, "[Malformed Packet]") &&
				parseTestMessage(typ, body[:i], m.vers, cipher[m.path]) != nil && (typ == hsClientHello || typ == hsServerHello || typ == hsCertificate) {
				t.Errorf("%s: %s cut to %d not flagged malformed (info %q)", m.path, tlsHandshakeNames[typ], i, p.Summary.Info)
			}
		}
	}
	for _, typ := range []uint8{hsClientHello, hsServerHello, hsCertificate, hsServerKeyExchange, hsClientKeyExchange, hsCertificateRequest, hsCertificateVerify, hsNewSessionTicket} {
		if types[typ] == 0 {
			t.Errorf("no %s in testdata to cut", tlsHandshakeNames[typ])
		}
	}
	t.Logf("%d handshake messages cut at every length: %v", len(msgs), types)
}

// ja4SpecHello is the ClientHello of JA4's worked example
// (FoxIO-LLC/ja4, technical_details/JA4.md): its cipher suites, its
// extensions in their original order and its signature algorithms, as
// JA4_ro lists them, with GREASE values added where Chrome puts them
// (which JA4 must ignore).
func ja4SpecHello() []byte {
	ciphers := []uint16{0x0a0a, 0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc013, 0xc014, 0x009c, 0x009d, 0x002f, 0x0035}
	sigalgs := []uint16{0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601}
	var exts [][]byte
	exts = append(exts, tlsExt(0x2a2a, nil))
	for _, typ := range []uint16{0x001b, 0x0000, 0x0033, 0x0010, 0x4469, 0x0017, 0x002d, 0x000d, 0x0005, 0x0023, 0x0012, 0x002b, 0xff01, 0x000b, 0x000a, 0x0015} {
		var data []byte
		switch typ {
		case extServerName:
			data = tlsVec(2, append([]byte{0}, tlsVec(2, []byte("example.com"))...))
		case extALPN:
			data = tlsVec(2, append(tlsVec(1, []byte("h2")), tlsVec(1, []byte("http/1.1"))...))
		case extSignatureAlgorithms:
			data = tlsVec(2, tlsU16s(sigalgs...))
		case extSupportedVersions:
			data = tlsVec(1, tlsU16s(0x3a3a, versionTLS13, versionTLS12))
		case extSupportedGroups:
			data = tlsVec(2, tlsU16s(0x3a3a, 0x001d, 0x0017, 0x0018))
		case extECPointFormats:
			data = tlsVec(1, []byte{0})
		case extKeyShare:
			data = tlsVec(2, append(tlsU16s(0x001d), tlsVec(2, bytes.Repeat([]byte{1}, 32))...))
		}
		exts = append(exts, tlsExt(typ, data))
	}
	exts = append(exts, tlsExt(0x4a4a, []byte{0}))
	return tlsHello(versionTLS12, ciphers, exts...)
}

func TestJA4SpecExample(t *testing.T) {
	m, err := parseClientHello(ja4SpecHello())
	if err != nil {
		t.Fatal(err)
	}
	got := ja4(m)
	// The expected values are the worked example's, verbatim.
	want := ja4Fingerprint{
		ja4:      "t13d1516h2_8daaf6152771_e5627efa2ab1",
		raw:      "t13d1516h2_002f,0035,009c,009d,1301,1302,1303,c013,c014,c02b,c02c,c02f,c030,cca8,cca9_0005,000a,000b,000d,0012,0015,0017,001b,0023,002b,002d,0033,4469,ff01_0403,0804,0401,0503,0805,0501,0806,0601",
		ja4o:     "t13d1516h2_acb858a92679_18f69afefd3d",
		rawOrder: "t13d1516h2_1301,1302,1303,c02b,c02f,c02c,c030,cca9,cca8,c013,c014,009c,009d,002f,0035_001b,0000,0033,0010,4469,0017,002d,000d,0005,0023,0012,002b,ff01,000b,000a,0015_0403,0804,0401,0503,0805,0501,0806,0601",
	}
	if got != want {
		t.Errorf("JA4 of the spec's example:\n got  %+v\n want %+v", got, want)
	}
	// The spec's other worked values: the hash with no signature
	// algorithms, and JA4_b alone.
	if h := sha256Prefix("0005,000a,000b,000d,0012,0015,0017,001b,0023,002b,002d,0033,4469,ff01"); h != "6d807ffa2a79" {
		t.Errorf("extension hash without signature algorithms: %s, want 6d807ffa2a79", h)
	}
}

func TestJA4ALPN(t *testing.T) {
	// The spec's ALPN rules and examples.
	for _, tc := range []struct {
		alpn []byte
		want string
	}{
		{[]byte("h2"), "h2"}, {[]byte("http/1.1"), "h1"}, {[]byte("h"), "hh"}, {nil, "00"},
		{[]byte{0xab}, "ab"}, {[]byte{0xab, 0xcd}, "ad"}, {[]byte{0x30, 0xab}, "3b"},
		{[]byte{0x30, 0x31, 0xab, 0xcd}, "3d"}, {[]byte{0x30, 0xab, 0xcd, 0x31}, "01"},
	} {
		if got := ja4ALPN(tc.alpn); got != tc.want {
			t.Errorf("ALPN %x: %q, want %q", tc.alpn, got, tc.want)
		}
	}
	// No ALPN extension, no SNI, no extensions at all.
	m, err := parseClientHello(tlsHello(versionTLS12, []uint16{0x002f}))
	if err != nil {
		t.Fatal(err)
	}
	if got := ja4(m).ja4; got != "t12i010000_"+sha256Prefix("002f")+"_000000000000" {
		t.Errorf("bare hello: %s", got)
	}
}

func TestJA3(t *testing.T) {
	// Salesforce's README example string and hash.
	if got := md5Hex("769,47-53-5-10-49161-49162-49171-49172-50-56-19-4,0-10-11,23-24-25,0"); got != "ada70206e40642a3e4461f35503241d5" {
		t.Errorf("JA3 MD5 %s", got)
	}
	m, err := parseClientHello(greaseHello())
	if err != nil {
		t.Fatal(err)
	}
	if got, want := ja3String(m), "771,4865-4866-49199,0-10-11-13-16-51-43,29-23,0"; got != want {
		t.Errorf("JA3 without GREASE: %s, want %s", got, want)
	}
	for _, v := range []uint16{0x0a0a, 0x1a1a, 0xfafa} {
		if !isGREASE(v) {
			t.Errorf("%#04x is GREASE", v)
		}
	}
	for _, v := range []uint16{0x0a0b, 0x1301, 0x0a1a, 0xfbfb} {
		if isGREASE(v) {
			t.Errorf("%#04x is not GREASE", v)
		}
	}
}

// tlsFuzzSeeds are the TLS payloads of the testdata captures' segments
// and their handshake messages.
func tlsFuzzSeeds(t testing.TB) [][]byte {
	var seeds [][]byte
	paths, _ := filepath.Glob("testdata/tls/*/*.pcap*")
	// Small seeds keep each execution, and the minimising of what the
	// fuzzer finds, quick: the first segments of each direction, cut to
	// 1500 bytes, and the handshake messages.
	const maxSeed = 1500
	for _, path := range paths {
		n := [2]int{}
		for _, c := range tlsCaptureChunks(t, path) {
			if n[c.Dir]++; n[c.Dir] <= 3 {
				seeds = append(seeds, c.Data[:min(len(c.Data), maxSeed)])
			}
		}
	}
	for _, m := range tlsHandshakeMessages(t) {
		seeds = append(seeds, m.msg[:min(len(m.msg), maxSeed)])
	}
	return append(seeds, tlsSSLv2Hello(), ja4SpecHello(), greaseHello())
}

// FuzzTLS feeds arbitrary bytes to the record and handshake parsers
// (checkTLSParsers: what they accept encodes back to the input, offsets
// point at what they name, a second parse gives the same) and,
// as a conversation on port 443 cut where the cuts say, through both
// tiers: nothing may panic, every frame dissects, and the packet list's
// row (Analyzer.Row) reads as the full dissection's summary.
//
//	go test ./decode -run '^$' -fuzz FuzzTLS -fuzztime 30s
func FuzzTLS(f *testing.F) {
	for _, s := range tlsFuzzSeeds(f) {
		f.Add(s, []byte{5, 60})
	}
	f.Fuzz(func(t *testing.T, data, cuts []byte) {
		checkTLSParsers(t, data)
		// Both tiers: as a record stream from the client, and as the
		// handshake message of a record.
		var segs []synSeg
		for _, s := range fuzzSegments(data, cuts) {
			segs = append(segs, synSeg{dir: 0, data: s.data})
		}
		segs = append(segs, synSeg{dir: 1, data: string(tlsRecord(tlsHandshake, versionTLS12, data))})
		pkts := synConv{port: 443, segs: synJoin(synHandshake(), segs, synClosing())}.packets()
		a := httpAnalyze(pkts, Options{}, -1)
		for i := 3; i < len(pkts)-3; i++ {
			p := a.Dissect(i+1, pkts[i].CI, pkts[i].LinkType, pkts[i].Data)
			if row := a.Row(i+1, pkts[i].CI, pkts[i].LinkType, pkts[i].Data); row != p.Summary {
				t.Fatalf("frame %d: row %+v, dissect %+v", i+1, row, p.Summary)
			}
			if again := a.Dissect(i+1, pkts[i].CI, pkts[i].LinkType, pkts[i].Data); again.Summary != p.Summary {
				t.Fatalf("frame %d: dissected %+v, then %+v", i+1, p.Summary, again.Summary)
			}
		}
	})
}

// tlsBenchCapture is a TLS 1.2 session (illustrated-tls12's handshake)
// followed by n application data records of 16 KiB from the server, in
// 1448-byte segments, with a small client record every eighth record.
func tlsBenchCapture(b testing.TB, n int) []decodetest.Packet {
	chunks := tlsJoin(tlsCaptureChunks(b, "testdata/tls/illustrated-tls12/capture.pcap"))
	segs := synHandshake()
	for _, c := range chunks[:4] {
		segs = append(segs, synChunks(c.Dir, string(c.Data), 1448)...)
	}
	rec := string(tlsRecord(tlsApplicationData, versionTLS12, bytes.Repeat([]byte{0x5c}, 16384+24)))
	small := string(tlsRecord(tlsApplicationData, versionTLS12, bytes.Repeat([]byte{0x3a}, 40)))
	var server strings.Builder
	for i := 0; i < n; i++ {
		server.WriteString(rec)
		if i%8 == 7 {
			segs = append(segs, synChunks(1, server.String(), 1448)...)
			segs = append(segs, synSeg{dir: 0, data: small})
			server.Reset()
		}
	}
	segs = append(segs, synChunks(1, server.String(), 1448)...)
	return synConv{port: 443, segs: append(segs, synClosing()...)}.packets()
}

// BenchmarkTLSFastPass is the fast pass over a TLS download: as TLS, and,
// for comparison, with the port forced to another protocol (no TLS
// stage). One op is one packet.
func BenchmarkTLSFastPass(b *testing.B) {
	pkts := tlsBenchCapture(b, 400)
	for _, bc := range []struct {
		name string
		opts Options
		full bool // application data copies over budget from the start
	}{{"tls", Options{}, false}, {"tls-over-budget", Options{}, true}, {"not-tls", Options{Force: map[uint16]string{443: "data"}}, false}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			var a *Analyzer
			for i := 0; i < b.N; i++ {
				k := i % len(pkts)
				if k == 0 {
					if a != nil {
						a.Finish()
					}
					a = NewAnalyzer(bc.opts)
					if bc.full {
						a.app.tls.savedApp = tlsSavedAppBudget
					}
				}
				a.Add(k+1, pkts[k].CI, pkts[k].LinkType, pkts[k].Data)
			}
			a.Finish()
		})
	}
}

// TestTLSOverBudget: once the copies of application data are over their
// budget, records spanning segments keep only their headers, and the
// packet list reads the same.
func TestTLSOverBudget(t *testing.T) {
	pkts := tlsBenchCapture(t, 24)
	full := NewAnalyzer(Options{})
	full.app.tls.savedApp = tlsSavedAppBudget
	for i, p := range pkts {
		full.Add(i+1, p.CI, p.LinkType, p.Data)
	}
	full.Finish()
	normal := httpAnalyze(pkts, Options{}, -1)
	truncated := 0
	for i, p := range pkts {
		want := normal.Dissect(i+1, p.CI, p.LinkType, p.Data)
		got := full.Dissect(i+1, p.CI, p.LinkType, p.Data)
		if got.Summary != want.Summary {
			t.Errorf("frame %d: %+v, want %+v", i+1, got.Summary, want.Summary)
		}
		if row := full.Row(i+1, p.CI, p.LinkType, p.Data); row != got.Summary {
			t.Errorf("frame %d: row %+v, dissect %+v", i+1, row, got.Summary)
		}
		if got.FieldText("tls.record.length", ",") != want.FieldText("tls.record.length", ",") {
			t.Errorf("frame %d: record lengths %q, want %q", i+1, got.FieldText("tls.record.length", ","), want.FieldText("tls.record.length", ","))
		}
		if len(got.Fields("tls.app_data")) < len(want.Fields("tls.app_data")) {
			truncated++
		}
	}
	if truncated == 0 {
		t.Error("no record was cut to its header")
	}
}

// TestTLSByteRanges: on every packet of the TLS captures and of the
// synthetic conversations, every field lies in its data source, and
// every TLS byte or integer field holds the bytes it points at.
func TestTLSByteRanges(t *testing.T) {
	var convs [][]decodetest.Packet
	paths, _ := filepath.Glob("testdata/tls/*/*.pcap*")
	for _, path := range paths {
		pkts, err := decodetest.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		convs = append(convs, pkts)
	}
	for _, c := range tlsSynthScenarios(t) {
		convs = append(convs, c.packets())
	}
	checked := 0
	for _, pkts := range convs {
		a := httpAnalyze(pkts, tlsOracleOpts(), -1)
		for i, pk := range pkts {
			p := a.Dissect(i+1, pk.CI, pk.LinkType, pk.Data)
			checkRanges(t, p)
			for _, top := range p.Tree {
				top.Walk(func(f *Field) bool {
					if !strings.HasPrefix(f.Name, "tls.") || f.Len == 0 || f.Source >= len(p.Sources) {
						return true
					}
					src := p.Sources[f.Source].Data
					if f.Start+f.Len > len(src) {
						return true
					}
					raw := src[f.Start : f.Start+f.Len]
					switch {
					case f.Kind == KindBytes:
						if !bytes.Equal(f.B, raw) {
							t.Errorf("frame %d %s: value %x, bytes %x", i+1, f.Name, f.B, raw)
						}
					case f.Kind == KindUint && f.Len <= 4 && f.Name != "tls.record.length":
						v := uint64(0)
						for _, c := range raw {
							v = v<<8 | uint64(c)
						}
						if v != f.U {
							t.Errorf("frame %d %s: value %d, bytes %x", i+1, f.Name, f.U, raw)
						}
					}
					checked++
					return true
				})
			}
		}
	}
	t.Logf("%d TLS fields checked against their bytes", checked)
}
