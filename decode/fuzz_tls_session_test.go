package decode

import (
	"bytes"
	"path/filepath"
	"testing"

	"wiretap/capture/oracletest"
	"wiretap/decode/decodetest"
)

// FuzzTLSSession damages the server's first flight and the client's data
// of a TLS 1.3 session whose key log is known (bytes XORed in place, so
// the framing mostly holds and the records reach the decryptor): the fast
// pass and every tree must not panic, and each row must be its tree's.
func FuzzTLSSession(f *testing.F) {
	dir := oracletest.Testdata("decode", "tls", "illustrated-tls13")
	pkts, err := decodetest.ReadFile(filepath.Join(dir, "capture.pcap"))
	if err != nil {
		f.Fatal(err)
	}
	kl := NewKeyLog()
	if _, err := kl.ReadFile(filepath.Join(dir, "keylog.txt")); err != nil {
		f.Fatal(err)
	}
	f.Add(uint16(0), []byte{0})
	f.Add(uint16(60), []byte{1, 2, 3})
	f.Add(uint16(200), bytes.Repeat([]byte{0xff}, 40))
	f.Fuzz(func(t *testing.T, at uint16, x []byte) {
		ps := append([]decodetest.Packet(nil), pkts...)
		for _, k := range []int{6, 10} { // frames 7 and 11
			d := bytes.Clone(ps[k].Data)
			for i, b := range x {
				if j := 56 + int(at) + i; j < len(d) {
					d[j] ^= b
				}
			}
			ps[k].Data = d
		}
		a := httpAnalyze(ps, Options{KeyLog: kl}, -1)
		for i, p := range ps {
			full := a.Dissect(i+1, p.CI, p.LinkType, p.Data)
			row := a.Row(i+1, p.CI, p.LinkType, p.Data)
			if row.Info != full.Summary.Info || row.Protocol != full.Summary.Protocol {
				t.Fatalf("frame %d: row %q %q, tree %q %q", i+1, row.Protocol, row.Info, full.Summary.Protocol, full.Summary.Info)
			}
		}
	})
}
