package decode

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"wiretap/decode/decodetest"
)

// exposureFuzzSecrets are the texts FuzzExposure looks for, as read's
// --secret passes them (Options.Secrets): the demo's, and a short one that
// random bytes find more often.
var exposureFuzzSecrets = [][]byte{[]byte("fluffy tail"), []byte("ab")}

// exposureFuzzFlights encodes flights for FuzzExposure: each is a
// direction byte (its low bit), a two-byte length, then the bytes.
func exposureFuzzFlights(chunks []FollowChunk, limit int) []byte {
	var b []byte
	for _, c := range tlsJoin(chunks) {
		d := c.Data[:min(len(c.Data), limit-len(b))]
		b = append(b, byte(c.Dir))
		b = binary.BigEndian.AppendUint16(b, uint16(len(d)))
		if b = append(b, d...); len(b) >= limit {
			break
		}
	}
	return b
}

// exposureFuzzSegments decodes exposureFuzzFlights' encoding leniently (a
// short last flight keeps what is there), each flight cut where cuts say.
func exposureFuzzSegments(flights, cuts []byte) []synSeg {
	var segs []synSeg
	for len(flights) >= 3 {
		dir, n := int(flights[0]&1), int(binary.BigEndian.Uint16(flights[1:]))
		flights = flights[3:]
		n = min(n, len(flights))
		for _, s := range fuzzSegments(flights[:n], cuts) {
			segs = append(segs, synSeg{dir: dir, data: s.data})
		}
		flights = flights[n:]
	}
	return segs
}

// FuzzExposure runs the fast pass with secrets to look for (read's
// --secret, -z exposure), optionally with the key logs of the TLS seeds,
// on a TCP conversation of arbitrary flights to an HTTP or a TLS port:
// the exposure stage parses what the server sends (headers, certificates,
// Fernet tokens, decrypted records). Nothing may panic; each secret's
// exposure covers every packet; a stream's frames are frames of the
// capture, and the first frame whose bytes hold the secret is the one
// the exposure names; two runs report the same; every frame dissects, its
// row being its tree's.
//
//	go test ./decode -run '^$' -fuzz '^FuzzExposure$' -fuzztime 30s
func FuzzExposure(f *testing.F) {
	kl := NewKeyLog()
	for _, p := range []string{"testdata/tls/illustrated-tls13/keylog.txt", "testdata/tls/illustrated-tls12/keylog.txt",
		"testdata/tlsdecrypt/demo/keys.log"} {
		kl.ReadFile(p) // a missing one leaves fewer sessions decryptable
	}
	paths, _ := filepath.Glob("testdata/tls/*/*.pcap*")
	paths = append(paths, "testdata/tlsdecrypt/demo/demo.pcapng")
	for _, path := range paths {
		pkts, err := decodetest.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		streams := len(httpAnalyze(pkts, tlsOracleOpts(), -1).TCPStreams())
		for s := 0; s < streams && s < 3; s++ {
			a := httpAnalyze(pkts, tlsOracleOpts(), s)
			chunks, err := a.FollowTCP(s)
			if err != nil || len(chunks) == 0 {
				continue
			}
			port := uint16(443)
			if !a.app.tls.isTLS(s) {
				port = 80
			}
			f.Add(exposureFuzzFlights(chunks, 8<<10), []byte{0, 200}, port, true)
		}
	}
	req := "GET / HTTP/1.1\r\nHost: x\r\n\r\n"
	resp := "HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\nfluffy tail"
	flights := exposureFuzzFlights([]FollowChunk{{Dir: 0, Data: []byte(req)}, {Dir: 1, Data: []byte(resp)}}, 1<<10)
	f.Add(flights, []byte{30, 5}, uint16(80), false)
	f.Add(flights, []byte{}, uint16(443), false)
	f.Fuzz(func(t *testing.T, flights, cuts []byte, port uint16, keys bool) {
		if port != 80 {
			port = 443
		}
		pkts := synConv{port: port, segs: synJoin(synHandshake(), exposureFuzzSegments(flights, cuts), synClosing())}.packets()
		opts := Options{Secrets: exposureFuzzSecrets}
		if keys {
			opts.KeyLog = kl
		}
		a := httpAnalyze(pkts, opts, -1)
		exps := a.Exposures()
		if len(exps) != len(exposureFuzzSecrets) {
			t.Fatalf("%d exposures for %d secrets", len(exps), len(exposureFuzzSecrets))
		}
		frameOK := func(n int) bool { return n >= 0 && n <= len(pkts) }
		for i, e := range exps {
			if !bytes.Equal(e.Secret, exposureFuzzSecrets[i]) || e.Packets != len(pkts) {
				t.Fatalf("exposure %d: secret %q over %d packets, want %q over %d", i, e.Secret, e.Packets, exposureFuzzSecrets[i], len(pkts))
			}
			if len(e.Streams) != 1 {
				t.Fatalf("exposure %d: %d streams of one conversation", i, len(e.Streams))
			}
			for _, s := range e.Streams {
				if !frameOK(s.SecretFrame) || !frameOK(s.SecretStreamFrame) || !frameOK(s.KeysFrame) ||
					s.FirstFrame < 1 || s.LastFrame < s.FirstFrame || s.LastFrame > len(pkts) {
					t.Fatalf("exposure %d: stream frames %d..%d, secret in %d/%d/%d, of %d packets",
						i, s.FirstFrame, s.LastFrame, s.SecretFrame, s.SecretStreamFrame, s.KeysFrame, len(pkts))
				}
				want := 0
				for k, p := range pkts {
					if bytes.Contains(p.Data, e.Secret) {
						want = k + 1
						break
					}
				}
				if s.SecretFrame != want {
					t.Fatalf("exposure %d: secret in frame %d, first frame holding %q is %d", i, s.SecretFrame, e.Secret, want)
				}
				if s.SecretFrame != 0 && s.SecretStreamFrame == 0 {
					t.Fatalf("exposure %d: frame %d holds the secret, the stream never does", i, s.SecretFrame)
				}
				if !keys && (s.KeysFrame != 0 || len(s.Decrypted) != 0) {
					t.Fatalf("exposure %d: decrypted without keys: frame %d, %d bytes", i, s.KeysFrame, len(s.Decrypted))
				}
			}
		}
		if again := exposureSummary(httpAnalyze(pkts, opts, -1).Exposures()); again != exposureSummary(exps) {
			t.Fatalf("two runs differ:\n%s\n%s", exposureSummary(exps), again)
		}
		for i, p := range pkts {
			full := a.Dissect(i+1, p.CI, p.LinkType, p.Data)
			if row := a.Row(i+1, p.CI, p.LinkType, p.Data); row != full.Summary {
				t.Fatalf("frame %d: row %+v, tree %+v", i+1, row, full.Summary)
			}
		}
	})
}

// exposureSummary prints what an exposure reports, for comparing runs.
func exposureSummary(exps []*Exposure) string {
	var b strings.Builder
	for _, e := range exps {
		fmt.Fprintf(&b, "%q %d keys %v decrypted %v\n", e.Secret, e.Packets, e.Keys, e.Decrypted)
		for _, s := range e.Streams {
			fmt.Fprintf(&b, "  %d %s %d..%d frames %d/%d/%d request %q body %q app %q records %v sizes %v leaks %q decrypted %q seen %q %q\n",
				s.Index, s.Protocol, s.FirstFrame, s.LastFrame, s.SecretFrame, s.SecretStreamFrame, s.KeysFrame,
				s.Request, s.Body, s.ServerAppData, s.TLSRecords, s.ServerRecordSizes, s.Leaks, s.Decrypted, s.Seen[0].Payload, s.Seen[1].Payload)
		}
	}
	return b.String()
}
