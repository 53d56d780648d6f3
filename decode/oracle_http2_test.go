package decode

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/http2/hpack"

	"wiretap/capture/oracletest"
	"wiretap/decode/decodetest"
)

// http2Captures are the h2c captures of testdata/http2 (see its SOURCES)
// and the port each is decoded as HTTP/2 on: tshark finds HTTP/2 by
// prior knowledge on no port by itself, wiretap by the preface. The
// upgrade (port 0) both find by HTTP/1.1's Upgrade: h2c.
var http2Captures = []struct {
	name string
	port uint16
}{
	{"h2c-client.pcap", 8123},
	{"h2c-frames.pcap", 8124},
	{"h2c-upgrade.pcap", 0},
	{"malformed.pcap", 8124},
}

// http2OracleFields are the HTTP/2 fields compared with tshark -T fields.
var http2OracleFields = strings.Fields(`http2.type http2.streamid http2.flags http2.header.name http2.header.value
http2.headers.method http2.headers.path http2.headers.status http2.length
frame.protocols http2.magic http2.r http2.flags.end_stream http2.flags.eh http2.flags.padded http2.flags.priority
http2.flags.ack.settings http2.flags.ack.ping http2.flags.unused_data http2.flags.unused_headers http2.stream
http2.settings.id http2.settings.header_table_size http2.settings.enable_push http2.settings.max_concurrent_streams
http2.settings.initial_window_size http2.settings.max_frame_size http2.settings.max_header_list_size http2.settings.unknown
http2.window_update.window_size_increment http2.ping http2.pong http2.goaway.last_stream_id http2.goaway.error
http2.goaway.addata http2.rst_stream.error http2.exclusive http2.stream_dependency http2.headers.weight
http2.headers.weight_real http2.padding http2.pad_length http2.headers.padding http2.data.padding
http2.header http2.header.length http2.header.count http2.header.name.length http2.header.value.length
http2.header.repr http2.header.index http2.header.unescaped http2.header_table_size_update.header_table_size
http2.headers.authority http2.headers.scheme http2.headers.content_type http2.headers.content_length
http2.headers.user_agent http2.headers.accept http2.headers.date http2.request.full_uri
http2.headers http2.continuation.header http2.unknown
http2.data.data http2.body.fragment http2.body.fragment.count http2.body.reassembled.in
http2.body.reassembled.length tcp.reassembled_in`)

// http2Input is capture name: one of testdata/http2, or the synthetic
// malformed.pcap, written into dir.
func http2Input(t *testing.T, dir, name string) oracletest.Input {
	if name != "malformed.pcap" {
		return oracletest.Input{Name: "http2/" + name, Path: "testdata/http2/" + name}
	}
	path := filepath.Join(dir, name)
	if _, err := os.Stat(path); err != nil {
		if err := synWritePcap(path, http2Malformed().packets()); err != nil {
			t.Fatal(err)
		}
	}
	return oracletest.Input{Name: "synthetic/http2/" + name, Path: path}
}

// http2Malformed is a conversation of malformed frames, each in a
// segment of its own: payloads too short for their type, padding longer
// than the payload, a header block HPACK cannot decode.
func http2Malformed() synConv {
	var segs []synSeg
	add := func(dir int, b []byte) { segs = append(segs, synSeg{dir: dir, data: string(b)}) }
	add(0, append([]byte(h2Preface), h2Frame(h2Settings, 0, 0, nil)...))
	add(0, h2Frame(h2WindowUpdate, 0, 0, []byte{1, 2}))
	add(0, h2Frame(h2Headers, h2FlagPadded|h2FlagEndHeaders, 1, []byte{9, 0x82}))
	add(0, h2Frame(h2Headers, h2FlagEndHeaders|h2FlagEndStream, 3, []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}))
	add(0, h2Frame(h2RSTStream, 0, 3, []byte{0, 0, 8}))
	add(1, h2Frame(h2Settings, 0, 0, []byte{0, 1, 0, 0, 0x10, 0, 9}))
	add(1, h2Frame(h2Ping, 0, 0, []byte{1, 2, 3, 4}))
	add(1, h2Frame(h2Data, h2FlagPadded|h2FlagEndStream, 1, []byte{200, 1, 2}))
	return synConv{port: 8124, segs: append(append(synHandshake(), segs...), synClosing()...)}
}

func http2Args(port uint16) []string {
	if port == 0 {
		return []string{"-2", "-n"}
	}
	return []string{"-2", "-n", "-d", fmt.Sprintf("tcp.port==%d,http2", port)}
}

// http2Opts are the options wiretap is run with for a capture decoded on
// port (0: none forced): forced as tshark is, and by content alone.
func http2Opts(port uint16) []Options {
	if port == 0 {
		return []Options{{}}
	}
	return []Options{{Force: map[uint16]string{port: "http2"}}, {}}
}

// TestOracleHTTP2 compares wiretap's HTTP/2 fields with tshark's on every
// packet of the h2c captures (tshark's outputs recorded in
// testdata/golden/TestOracleHTTP2): wiretap once with the port forced,
// as tshark is, and once finding HTTP/2 by the preface.
func TestOracleHTTP2(t *testing.T) {
	o := oracletest.New(t, oracletest.Tshark)
	var nPkts, nVals int
	dir := t.TempDir()
	for _, c := range http2Captures {
		in := http2Input(t, dir, c.name)
		pkts, err := decodetest.ReadFile(in.Path)
		if err != nil {
			t.Fatal(err)
		}
		want := tsharkLines(t, o, in, http2Args(c.port), http2OracleFields)
		for _, opts := range http2Opts(c.port) {
			a := httpAnalyze(pkts, opts, -1)
			got := httpFieldLines(a, pkts, http2OracleFields)
			if len(want) != len(got) {
				t.Fatalf("%s: tshark printed %d packets, wiretap %d", c.name, len(want), len(got))
			}
			for i := range want {
				w, g := strings.Split(want[i], "\t"), strings.Split(got[i], "\t")
				nPkts++
				for k, f := range http2OracleFields {
					wv, gv := column(w, k+1), column(g, k+1)
					if f == "http2.magic" {
						gv = strings.ReplaceAll(strings.ReplaceAll(gv, "\r", `\r`), "\n", `\n`)
					}
					nVals++
					if wv != gv {
						t.Errorf("%s frame %d %s (forced %v):\n tshark:  %q\n wiretap: %q", c.name, i+1, f, opts.Force != nil, trunc(wv), trunc(gv))
					}
				}
			}
		}
	}
	t.Logf("HTTP/2 oracle: %d captures, %d packets, %d fields each, %d values compared", len(http2Captures), nPkts, len(http2OracleFields), nVals)
	o.Done(nVals)
}

// TestOracleHTTP2Summary compares the packet list (Protocol and Info as
// tshark -2 prints them) on the h2c captures, rows made by Row and by
// Dissect alike.
func TestOracleHTTP2Summary(t *testing.T) {
	o := oracletest.New(t, oracletest.Tshark)
	var lines int
	dir := t.TempDir()
	for _, c := range http2Captures {
		in := http2Input(t, dir, c.name)
		res, err := o.Run(in, append(http2Args(c.port), "-r", in.Path)...)
		if err != nil || res.Exit != 0 {
			t.Fatalf("tshark %s: %v %s", c.name, err, res.Stderr)
		}
		want := strings.Split(strings.TrimSuffix(string(res.Stdout), "\n"), "\n")
		pkts, err := decodetest.ReadFile(in.Path)
		if err != nil {
			t.Fatal(err)
		}
		a := NewAnalyzer(http2Opts(c.port)[0])
		for i, p := range pkts {
			a.Add(i+1, p.CI, p.LinkType, p.Data)
			a.SetTsResol(p.CI.InterfaceIndex, p.TsResol)
		}
		a.Finish()
		if len(pkts) != len(want) {
			t.Fatalf("%s: %d packets, tshark printed %d lines", c.name, len(pkts), len(want))
		}
		var buf bytes.Buffer
		for i, p := range pkts {
			for _, s := range []Summary{a.Row(i+1, p.CI, p.LinkType, p.Data), a.Dissect(i+1, p.CI, p.LinkType, p.Data).Summary} {
				buf.Reset()
				s.WriteTo(&buf)
				got := strings.TrimSuffix(buf.String(), "\n")
				lines++
				if got != want[i] {
					t.Errorf("%s frame %d:\n tshark:  %q\n wiretap: %q", c.name, i+1, want[i], got)
				}
			}
		}
	}
	t.Logf("HTTP/2 summary oracle: %d lines compared", lines)
	o.Done(lines)
}

// h2Frame builds one HTTP/2 frame.
func h2Frame(typ, flags uint8, sid uint32, payload []byte) []byte {
	n := len(payload)
	b := []byte{byte(n >> 16), byte(n >> 8), byte(n), typ, flags, byte(sid >> 24), byte(sid >> 16), byte(sid >> 8), byte(sid)}
	return append(b, payload...)
}

// h2TestStream is a client's stream: the preface, SETTINGS, a HEADERS
// block split over CONTINUATION, DATA in two frames.
func h2TestStream() (stream []byte, frames int) {
	var hb bytes.Buffer
	enc := hpack.NewEncoder(&hb)
	for _, f := range []hpack.HeaderField{{Name: ":method", Value: "POST"}, {Name: ":path", Value: "/x"},
		{Name: ":scheme", Value: "http"}, {Name: ":authority", Value: "example.com"}, {Name: "content-type", Value: "text/plain"}} {
		enc.WriteField(f)
	}
	block := hb.Bytes()
	stream = append(stream, h2Preface...)
	stream = append(stream, h2Frame(h2Settings, 0, 0, []byte{0, 2, 0, 0, 0, 0})...)
	stream = append(stream, h2Frame(h2Headers, 0, 1, block[:7])...)
	stream = append(stream, h2Frame(h2Continuation, h2FlagEndHeaders, 1, block[7:])...)
	stream = append(stream, h2Frame(h2Data, 0, 1, []byte("hello, "))...)
	stream = append(stream, h2Frame(h2Data, h2FlagEndStream, 1, []byte("world"))...)
	return stream, 6
}

// h2Run feeds segs as the client direction of one connection, each
// segment its own frame, and returns the stage after the fast pass.
func h2Run(segs [][]byte) *h2Stage {
	h := newH2Stage(Options{}, &pduTable{})
	h.start(0, 1)
	for i, s := range segs {
		h.data(0, 0, i+1, time.Time{}, []asmPiece{{data: s, frame: i + 1, payOff: 0}}, 0, false, false)
	}
	h.closed(0)
	h.finish()
	return h
}

// TestHTTP2FrameParserPrefixes cuts a stream at every length: alone, the
// frames wholly inside the prefix are recorded and no other; in two
// segments, every frame is, with the header block decoded the same.
func TestHTTP2FrameParserPrefixes(t *testing.T) {
	stream, nFrames := h2TestStream()
	ends := []int{len(h2Preface)}
	for off := len(h2Preface); off < len(stream); {
		n := 9 + (int(stream[off])<<16 | int(stream[off+1])<<8 | int(stream[off+2]))
		off += n
		ends = append(ends, off)
	}
	whole := h2Run([][]byte{stream})
	if whole.recs.len() != nFrames {
		t.Fatalf("whole stream: %d records, want %d", whole.recs.len(), nFrames)
	}
	names := func(h *h2Stage) string {
		var s []string
		for i := 0; i < h.fields.len(); i++ {
			f := h.fields.at(int32(i))
			s = append(s, h.strs[f.name]+"="+h.strs[f.value])
		}
		return strings.Join(s, " ")
	}
	wantNames := names(whole)
	if wantNames != ":method=POST :path=/x :scheme=http :authority=example.com content-type=text/plain" {
		t.Fatalf("header fields: %s", wantNames)
	}
	for k := 0; k <= len(stream); k++ {
		complete := 0
		for _, e := range ends {
			if e <= k {
				complete++
			}
		}
		h := h2Run([][]byte{stream[:k]})
		if h.recs.len() != complete {
			t.Errorf("prefix of %d bytes: %d records, want %d", k, h.recs.len(), complete)
		}
		if k == 0 || k == len(stream) {
			continue
		}
		h = h2Run([][]byte{stream[:k], stream[k:]})
		if h.recs.len() != nFrames {
			t.Errorf("cut at %d: %d records, want %d", k, h.recs.len(), nFrames)
		}
		if got := names(h); got != wantNames {
			t.Errorf("cut at %d: fields %s", k, got)
		}
		if len(h.bodies) != 1 || string(h.bodies[0].data) != "hello, world" {
			t.Errorf("cut at %d: bodies %v", k, h.bodies)
		}
	}
}

// FuzzHTTP2 feeds arbitrary bytes after the preface, cut into segments,
// through the whole analyzer as an HTTP/2 connection: nothing panics,
// records stay within the data, and every frame's tree builds.
//
//	go test ./decode -run '^$' -fuzz FuzzHTTP2 -fuzztime 60s
func FuzzHTTP2(f *testing.F) {
	stream, _ := h2TestStream()
	f.Add(stream[len(h2Preface):], []byte{5, 30, 9})
	f.Add(h2Frame(h2Headers, h2FlagPadded|h2FlagPriority|h2FlagEndHeaders, 1, []byte{200, 1, 2, 3, 4, 5, 0x82}), []byte{})
	f.Add(h2Frame(h2Headers, h2FlagEndHeaders, 1, []byte{0x3f, 0xe1, 0x1f, 0x82, 0x40, 0x7f}), []byte{3})
	f.Add(h2Frame(h2Data, h2FlagPadded|h2FlagEndStream, 1, []byte{9, 1}), []byte{})
	f.Add(h2Frame(h2WindowUpdate, 0, 0, []byte{1}), []byte{})
	f.Fuzz(func(t *testing.T, data, cuts []byte) {
		full := append([]byte(h2Preface), data...)
		var segs [][]byte
		for _, sg := range fuzzSegments(full, cuts) {
			segs = append(segs, []byte(sg.data))
		}
		h := h2Run(segs)
		for i := 0; i < h.recs.len(); i++ {
			r := h.recs.at(int32(i))
			if int(r.off) > len(full) || r.hdrFirst+r.hdrCount > int32(h.fields.len()) || int(r.body) >= len(h.bodies) {
				t.Fatalf("record %d out of bounds: %+v", i, *r)
			}
		}
		for _, c := range h.calls {
			if c.payOff >= 0 && int(c.payOff+c.length) > len(full) {
				t.Fatalf("call out of bounds: %+v", c)
			}
		}
		half := len(data) / 2
		c := synConv{port: 8124, segs: synHandshake()}
		for i, part := range [][]byte{full[:len(h2Preface)+half], data[half:]} {
			for _, sg := range fuzzSegments(part, cuts) {
				c.segs = append(c.segs, synSeg{dir: i, data: sg.data})
			}
		}
		c.segs = append(c.segs, synClosing()...)
		pkts := c.packets()
		a := httpAnalyze(pkts, Options{}, -1)
		for i := range pkts {
			p := a.Dissect(i+1, pkts[i].CI, pkts[i].LinkType, pkts[i].Data)
			a.Row(i+1, pkts[i].CI, pkts[i].LinkType, pkts[i].Data)
			p.Release()
		}
	})
}

// TestHTTP2FieldsRegistered checks that every field the HTTP/2 trees of
// the h2c captures hold is in the registry (fieldnames.go) with its kind,
// so -Y and -e accept it (TestDFRegistryCoversDissectors does this for
// the shared captures, which hold no HTTP/2).
func TestHTTP2FieldsRegistered(t *testing.T) {
	dir := t.TempDir()
	seen := 0
	for _, c := range http2Captures {
		in := http2Input(t, dir, c.name)
		pkts, err := decodetest.ReadFile(in.Path)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range decodetest.Analyze(NewAnalyzer(http2Opts(c.port)[0]), pkts) {
			for _, top := range p.Tree {
				top.Walk(func(f *Field) bool {
					if !strings.HasPrefix(f.Name, "http2") {
						return true
					}
					seen++
					info, ok := knownFields[f.Name]
					switch {
					case !ok:
						t.Errorf("%s: field %q is not in knownFields", c.name, f.Name)
					case info.Kind != f.Kind:
						t.Errorf("%s: field %q is %s, knownFields says %s", c.name, f.Name, dfKindGoName(f.Kind), dfKindGoName(info.Kind))
					case info.Bits != 0 && f.Kind == KindUint && f.Bits != info.Bits:
						t.Errorf("%s: field %q has %d bits, knownFields says %d", c.name, f.Name, f.Bits, info.Bits)
					}
					return true
				})
			}
		}
	}
	if seen == 0 {
		t.Fatal("no HTTP/2 field dissected")
	}
}
