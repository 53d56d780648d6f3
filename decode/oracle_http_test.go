package decode

import (
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"wiretap/capture/oracletest"
	"wiretap/decode/decodetest"
)

// httpOracleFields are the HTTP fields compared with tshark -T fields.
var httpOracleFields = strings.Fields(`http.request http.response http.request.method http.request.uri
http.request.version http.response.version http.response.code http.response.phrase http.host http.user_agent
http.content_type http.content_length http.content_length_header http.transfer_encoding http.connection
http.file_data http.request_in http.response_in http.time http.request.line http.response.line
http.request.full_uri http.prev_request_in http.prev_response_in`)

// httpOracleArgs are tshark's options for every comparison: two passes
// (so request_in/response_in are known), no name resolution, and the
// demo's ports as HTTP (tshark would take 5683 for CoAP, 5684 for TLS).
var httpOracleArgs = []string{"-2", "-n", "-d", "tcp.port==5683,http", "-d", "tcp.port==5684,http"}

var httpOracleDiffs = []oracleDiff{
	{"http/connect.pcap", 6, "frame.protocols",
		"the TLS record tunnelled after the CONNECT is shown as data: the application stage has no TLS dissector"},
	{"http/connect.pcap", 6, "_ws.col.Info", "as frame.protocols: tshark's Info is TLS's"},
	{"http/upgrade.pcap", 5, "frame.protocols",
		"the WebSocket frame after the 101 response is not dissected (HTTP stops at the upgrade; no WebSocket dissector)"},
	{"http/upgrade.pcap", 5, "_ws.col.Info", "as frame.protocols: tshark appends WebSocket's Info"},
	{"http/upgrade.pcap", 6, "_ws.col.Info", "tshark's WebSocket dissector asks for reassembly of this non-WebSocket data"},
	{"http/upgrade.pcap", 7, "_ws.col.Info", "as frame 6"},
	{"http/zeek/websocket.pcap", 0, "frame.protocols",
		"after the 101 the WebSocket frames are not dissected (HTTP stops at the upgrade; no WebSocket " +
			"dissector): tshark shows http:websocket:..., wiretap plain TCP"},
	{"http/overlap-then-normal.pcap", 7, "_ws.col.Info",
		"tshark appends [Illegal Segments]: the PDU's segments overlap with different bytes; the reassembly keeps " +
			"the first copy, as tshark does, without comparing the bytes dropped"},
}

// httpAnalyze runs the fast pass over pkts.
func httpAnalyze(pkts []decodetest.Packet, opts Options, follow int) *Analyzer {
	a := NewAnalyzer(opts)
	if follow >= 0 {
		a.SetFollowStream(follow)
	}
	for i, p := range pkts {
		a.Add(i+1, p.CI, p.LinkType, p.Data)
	}
	a.Finish()
	return a
}

// httpOracleOpts are wiretap's equivalent of httpOracleArgs.
func httpOracleOpts() Options {
	return Options{Force: map[uint16]string{5683: "http", 5684: "http"}}
}

// httpFieldLines dissects every packet (in reverse order, to show the
// records do not depend on the order) and prints fields as tshark does.
func httpFieldLines(a *Analyzer, pkts []decodetest.Packet, fields []string) []string {
	lines := make([]string, len(pkts))
	for i := len(pkts) - 1; i >= 0; i-- {
		p := a.Dissect(i+1, pkts[i].CI, pkts[i].LinkType, pkts[i].Data)
		parts := []string{fmt.Sprint(p.Number)}
		for _, f := range fields {
			parts = append(parts, p.FieldText(f, ","))
		}
		lines[i] = strings.Join(parts, "\t")
	}
	return lines
}

// tsharkLines runs (or replays) tshark -T fields over in with options
// opts (httpOracleArgs, tlsOracleArgs): the frame number and fields, one
// line a packet.
func tsharkLines(t *testing.T, o *oracletest.Oracle, in oracletest.Input, opts, fields []string) []string {
	t.Helper()
	args := append([]string{}, opts...)
	args = append(args, "-r", in.Path, "-T", "fields", "-E", "separator=/t", "-E", "occurrence=a", "-E", "aggregator=,", "-e", "frame.number")
	for _, f := range fields {
		args = append(args, "-e", f)
	}
	res, err := o.Run(in, args...)
	if err != nil {
		t.Fatal(err)
	}
	if res.Exit != 0 && len(res.Stdout) == 0 {
		t.Fatalf("tshark %s: exit status %d\n%s", in.Name, res.Exit, res.Stderr)
	}
	s := strings.TrimRight(string(res.Stdout), "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// TestOracleHTTP compares wiretap's HTTP fields with tshark's on every
// packet of every capture (tshark's outputs recorded in
// testdata/golden/TestOracleHTTP).
func TestOracleHTTP(t *testing.T) {
	o := oracletest.New(t, oracletest.Tshark)
	var nFiles, nPkts, nVals, nAllowed int
	for _, f := range decodetest.Files(t, decodetest.Oracle) {
		rel := strings.TrimPrefix(f.Name, "oracle/")
		pkts, err := decodetest.ReadFile(f.Path)
		if err != nil {
			continue // not a capture: the layers' oracle covers refusals
		}
		nFiles++
		fields := append([]string{"frame.protocols"}, httpOracleFields...)
		want := tsharkLines(t, o, f.Input(), httpOracleArgs, fields)
		a := httpAnalyze(pkts, httpOracleOpts(), -1)
		got := httpFieldLines(a, pkts, fields)
		if len(want) != len(got) {
			t.Errorf("%s: tshark printed %d packets, wiretap %d", rel, len(want), len(got))
			continue
		}
		for i := range want {
			w := strings.Split(want[i], "\t")
			g := strings.Split(got[i], "\t")
			nPkts++
			for k, f := range fields {
				wv, gv := column(w, k+1), column(g, k+1)
				if f == "frame.protocols" {
					// What follows tcp is the application stage's; other
					// protocols than HTTP's are not (TLS, DNS, ...).
					wv, gv = appProtocols(wv), appProtocols(gv)
					if !strings.HasPrefix(wv, "http") && !strings.HasPrefix(gv, "http") {
						continue
					}
				}
				nVals++
				if wv == gv {
					continue
				}
				if d, ok := allowedDiff(httpOracleDiffs, rel, i+1, f); ok {
					nAllowed++
					t.Logf("%s frame %d %s: allowed difference (%s)", rel, i+1, f, d.why)
					continue
				}
				t.Errorf("%s frame %d %s:\n tshark:  %q\n wiretap: %q", rel, i+1, f, trunc(wv), trunc(gv))
			}
		}
	}
	t.Logf("HTTP oracle: %d files, %d packets, %d HTTP fields each (and frame.protocols above tcp on HTTP frames), "+
		"%d values compared, %d allowed differences", nFiles, nPkts, len(httpOracleFields), nVals, nAllowed)
	o.Done(nVals)
}

// column is the i-th of a -T fields line's columns, or "" past its end.
func column(parts []string, i int) string {
	if i < len(parts) {
		return parts[i]
	}
	return ""
}

func trunc(s string) string {
	if len(s) > 300 {
		return s[:300] + "…"
	}
	return s
}

// appProtocols is what frame.protocols lists above tcp.
func appProtocols(s string) string {
	if i := strings.Index(s, ":tcp:"); i >= 0 {
		return s[i+5:]
	}
	return ""
}

// TestOracleFollowTCP compares FollowTCP with tshark -z follow,tcp,raw on
// the streams of the HTTP captures and of the synthetic conversations
// (tshark's outputs recorded in testdata/golden/TestOracleFollowTCP).
func TestOracleFollowTCP(t *testing.T) {
	o := oracletest.New(t, oracletest.Tshark)
	var nStreams, nChunks int
	var inputs []oracletest.Input
	for _, f := range decodetest.Files(t, decodetest.Oracle) {
		inputs = append(inputs, f.Input())
	}
	dir := t.TempDir()
	for name, pkts := range synthCaptures() {
		path := filepath.Join(dir, "http", name+".pcap")
		os.MkdirAll(filepath.Dir(path), 0o755)
		if err := synWritePcap(path, pkts); err != nil {
			t.Fatal(err)
		}
		inputs = append(inputs, oracletest.Input{Name: "synthetic/http/" + name + ".pcap", Path: path})
	}
	for _, in := range inputs {
		path := in.Path
		if !strings.Contains(path, "http") {
			continue
		}
		pkts, err := decodetest.ReadFile(path)
		if err != nil || len(pkts) == 0 {
			continue
		}
		a0 := httpAnalyze(pkts, httpOracleOpts(), -1)
		for _, st := range a0.TCPStreams() {
			if st.Index > 2 {
				break
			}
			a := httpAnalyze(pkts, httpOracleOpts(), st.Index)
			got, err := a.FollowTCP(st.Index)
			if err != nil {
				t.Fatal(err)
			}
			want := tsharkFollow(t, o, in, st.Index)
			nStreams++
			// tshark's node 0 is the first sender of data.
			first := -1
			var g []string
			for _, c := range got {
				if first < 0 {
					first = c.Dir
				}
				node := 0
				if c.Dir != first {
					node = 1
				}
				g = append(g, fmt.Sprintf("%d %x", node, c.Data))
			}
			if strings.Join(g, "\n") != strings.Join(want, "\n") {
				t.Errorf("%s stream %d: follow differs\n tshark:  %d chunks %.400q\n wiretap: %d chunks %.400q", path, st.Index, len(want), want, len(g), g)
			}
			nChunks += len(want)
		}
	}
	t.Logf("follow oracle: %d streams, %d chunks compared", nStreams, nChunks)
	o.Done(nChunks)
}

// tsharkFollow runs (or replays) tshark -z follow,tcp,raw,N and returns
// its chunks as "node hex".
func tsharkFollow(t *testing.T, o *oracletest.Oracle, in oracletest.Input, stream int) []string {
	t.Helper()
	res, err := o.Run(in, "-n", "-r", in.Path, "-q", "-z", fmt.Sprintf("follow,tcp,raw,%d", stream))
	if err == nil && res.Exit != 0 {
		err = fmt.Errorf("exit status %d: %s", res.Exit, res.Stderr)
	}
	if err != nil {
		t.Fatalf("tshark follow %s: %v", in.Name, err)
	}
	var chunks []string
	started := false
	for _, l := range strings.Split(string(res.Stdout), "\n") {
		if strings.HasPrefix(l, "Node 1:") {
			started = true
			continue
		}
		if !started || strings.HasPrefix(l, "====") || l == "" {
			continue
		}
		node := 0
		if strings.HasPrefix(l, "\t") {
			node = 1
			l = l[1:]
		}
		if _, err := hex.DecodeString(l); err != nil {
			continue
		}
		chunks = append(chunks, fmt.Sprintf("%d %s", node, l))
	}
	return chunks
}

// TestOracleHTTPSynthetic writes the synthetic conversations (http_test.go)
// as captures and compares wiretap with tshark on them, with the Info
// column, frame.protocols and tcp.reassembled_in besides the HTTP fields
// (tshark's outputs recorded in testdata/golden/TestOracleHTTPSynthetic).
func TestOracleHTTPSynthetic(t *testing.T) {
	o := oracletest.New(t, oracletest.Tshark)
	dir := t.TempDir()
	fields := append([]string{"frame.protocols", "tcp.reassembled_in", "_ws.col.Info"}, httpOracleFields...)
	caps := synthCaptures()
	names := make([]string, 0)
	for name := range caps {
		names = append(names, name)
	}
	sort.Strings(names)
	var nPkts, nVals, nAllowed int
	for _, name := range names {
		pkts := caps[name]
		path := filepath.Join(dir, name+".pcap")
		if err := synWritePcap(path, pkts); err != nil {
			t.Fatal(err)
		}
		want := tsharkLines(t, o, oracletest.Input{Name: "synthetic/http/" + name + ".pcap", Path: path}, httpOracleArgs, fields)
		a := httpAnalyze(pkts, httpOracleOpts(), -1)
		got := httpFieldLines(a, pkts, fields)
		for i := range want {
			w := strings.Split(want[i], "\t")
			g := strings.Split(got[i], "\t")
			nPkts++
			for k, f := range fields {
				nVals++
				wv, gv := column(w, k+1), column(g, k+1)
				if f == "_ws.col.Info" {
					gv = httpInfo(a, pkts, i)
				}
				if wv == gv {
					continue
				}
				if d, ok := allowedDiff(httpOracleDiffs, "http/"+name+".pcap", i+1, f); ok {
					nAllowed++
					t.Logf("%s frame %d %s: allowed difference (%s)", name, i+1, f, d.why)
					continue
				}
				t.Errorf("%s frame %d %s:\n tshark:  %q\n wiretap: %q", name, i+1, f, trunc(wv), trunc(gv))
			}
		}
	}
	t.Logf("synthetic HTTP oracle: %d conversations, %d packets, %d values compared, %d allowed differences",
		len(names), nPkts, nVals, nAllowed)
	o.Done(nVals)
}

func httpInfo(a *Analyzer, pkts []decodetest.Packet, i int) string {
	return a.Dissect(i+1, pkts[i].CI, pkts[i].LinkType, pkts[i].Data).Summary.Info
}
