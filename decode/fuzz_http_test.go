package decode

import (
	"path/filepath"
	"strings"
	"testing"

	"wiretap/decode/decodetest"
)

// FuzzHTTPParser feeds arbitrary bytes, cut into segments, to the HTTP
// framer and parser, and through the whole analyzer as a conversation on
// port 80: nothing may panic, messages cover the data they claim, and
// every frame dissects.
//
//	go test ./decode -run '^$' -fuzz FuzzHTTPParser -fuzztime 30s
func FuzzHTTPParser(f *testing.F) {
	for _, s := range httpFuzzSeeds(f) {
		f.Add(s, []byte{7, 31, 64})
	}
	f.Add([]byte(synReq("/")+synResp("ok")), []byte{})
	f.Add([]byte("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nffffffffff\r\n0\r\n\r\n"), []byte{3})
	f.Add([]byte("POST / HTTP/1.1\r\nContent-Length: 99999999999\r\n\r\n"), []byte{1, 1, 1})
	f.Add([]byte("HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 3\r\n\r\n\x1f\x8b\x08"), []byte{})
	f.Fuzz(fuzzOne)
}

func fuzzOne(t *testing.T, data, cuts []byte) {
	{
		segs := fuzzSegments(data, cuts)
		for _, lastMethod := range []string{"", "GET", "HEAD", "CONNECT"} {
			s := frameSegments(segs, lastMethod)
			for _, m := range s.msgs {
				if m.length <= 0 || int(m.length) > len(data)+2 {
					t.Fatalf("message of %d bytes from %d bytes of data", m.length, len(data))
				}
			}
		}
		skip := len(data) > 3 && data[0] == '\r' && data[1] == '\n'
		p := parseHTTPMessage(data, skip)
		if p.consumed < 0 || p.consumed > len(data) {
			t.Fatalf("consumed %d of %d", p.consumed, len(data))
		}
		// The framer skips the scan when the parse shows the message
		// whole: the scan must agree that it is.
		if p.wholeBySimpleRules(data) {
			o := 0
			if skip {
				o = 2
			}
			for _, lastMethod := range []string{"", "HEAD", "CONNECT"} {
				for _, eos := range []bool{false, true} {
					var scan httpScan
					if res := scan.feed(data[o:], httpScanCtx{lastMethod: lastMethod, eos: eos}); !res.done {
						t.Fatalf("the parse finds the message whole but the scan waits for %v (%q)", res.kind, data)
					}
				}
			}
		}
		dechunk(data)
		decompressBody(data)
		formatText(data)
		fieldStr(data)
		looksLikeHTTP(data)

		// The whole analyzer: the client sends the data's first half, the
		// server its second, both cut as the cuts say.
		half := len(data) / 2
		c := synConv{segs: synHandshake()}
		for i, part := range [][]byte{data[:half], data[half:]} {
			for _, sg := range fuzzSegments(part, cuts) {
				c.segs = append(c.segs, synSeg{dir: i, data: sg.data})
			}
		}
		c.segs = append(c.segs, synClosing()...)
		pkts := c.packets()
		a := httpAnalyze(pkts, Options{}, 0)
		for i := range pkts {
			a.Dissect(i+1, pkts[i].CI, pkts[i].LinkType, pkts[i].Data)
		}
		a.HTTPMessages()
		if _, err := a.FollowTCP(0); err != nil {
			t.Fatal(err)
		}
	}
}

// fuzzSegments cuts data where cuts say (each byte a segment length).
func fuzzSegments(data, cuts []byte) []fseg {
	var segs []fseg
	for i := 0; len(data) > 0; i++ {
		n := len(data)
		if i < len(cuts) && int(cuts[i]) > 0 && int(cuts[i]) < n {
			n = int(cuts[i])
		}
		segs = append(segs, fseg{frame: i + 1, data: string(data[:n])})
		data = data[n:]
	}
	if len(segs) > 0 {
		segs[len(segs)-1].fin = true
	}
	return segs
}

// httpFuzzSeeds are the TCP payloads of the HTTP test captures, each
// direction of each stream in one piece.
func httpFuzzSeeds(_ *testing.F) [][]byte {
	var seeds [][]byte
	paths, _ := filepath.Glob("testdata/oracle/http/*/*")
	for _, path := range paths {
		if !strings.Contains(path, ".pcap") {
			continue
		}
		pkts, err := decodetest.ReadFile(path)
		if err != nil {
			continue
		}
		dec := NewDecoder()
		dirs := map[[2]uint16][]byte{}
		var order [][2]uint16
		for _, p := range pkts {
			s, ok := dec.TCP(p.LinkType, p.Data)
			if !ok || len(s.Payload) == 0 {
				continue
			}
			k := [2]uint16{s.SrcPort, s.DstPort}
			if _, seen := dirs[k]; !seen {
				order = append(order, k)
			}
			dirs[k] = append(dirs[k], s.Payload...)
		}
		for _, k := range order {
			b := dirs[k]
			if len(b) > 4096 {
				b = b[:4096]
			}
			seeds = append(seeds, b)
		}
	}
	return seeds
}
