package decode

import (
	"bytes"
	"testing"

	"wiretap/decode/decodetest"
)

// BenchmarkDissect measures the tree tier per packet over the demo
// capture and a TLS 1.2 one: a packet-list row (Row) and the whole tree
// (Dissect), after one fast pass.
func BenchmarkDissect(b *testing.B) {
	var pkts []decodetest.Packet
	for _, f := range []string{"testdata/oracle/demo.pcapng", "testdata/tls/zeek/tls12-decryption.pcap"} {
		p, err := decodetest.ReadFile(f)
		if err != nil {
			b.Fatal(err)
		}
		pkts = append(pkts, p...)
	}
	a := NewAnalyzer(Options{})
	for i, p := range pkts {
		a.Add(i+1, p.CI, p.LinkType, p.Data)
	}
	a.Finish()
	b.Run("Row", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			k := i % len(pkts)
			a.Row(k+1, pkts[k].CI, pkts[k].LinkType, pkts[k].Data)
		}
	})
	b.Run("RowWriter", func(b *testing.B) {
		b.ReportAllocs()
		w := a.NewRowWriter()
		var line []byte
		for i := 0; i < b.N; i++ {
			k := i % len(pkts)
			line = w.Append(line[:0], k+1, pkts[k].CI, pkts[k].LinkType, pkts[k].Data)
		}
	})
	b.Run("Dissect", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			k := i % len(pkts)
			a.Dissect(k+1, pkts[k].CI, pkts[k].LinkType, pkts[k].Data)
		}
	})
	b.Run("DissectReleased", func(b *testing.B) {
		// As read -V does: printed, then given back.
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			k := i % len(pkts)
			a.Dissect(k+1, pkts[k].CI, pkts[k].LinkType, pkts[k].Data).Release()
		}
	})
	b.Run("Verbose", func(b *testing.B) {
		// read -V: the tree shown, printed, given back.
		var out bytes.Buffer
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			k := i % len(pkts)
			p := a.DissectShown(k+1, pkts[k].CI, pkts[k].LinkType, pkts[k].Data)
			out.Reset()
			WriteTree(&out, p)
			p.Release()
		}
	})
	b.Run("ForTCPFlags", func(b *testing.B) {
		w := WantFields([]string{"tcp.flags.syn", "frame.number"})
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			k := i % len(pkts)
			a.DissectFor(w, k+1, pkts[k].CI, pkts[k].LinkType, pkts[k].Data).Release()
		}
	})
	b.Run("ForHTTP", func(b *testing.B) {
		w := WantFields([]string{"http.request", "http.request.uri", "http.host"})
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			k := i % len(pkts)
			a.DissectFor(w, k+1, pkts[k].CI, pkts[k].LinkType, pkts[k].Data).Release()
		}
	})
}
