package decode

import (
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"wiretap/decode/decodetest"
)

// fuzzLinkTypes are the link types the fuzzer picks from (by the first
// input byte).
var fuzzLinkTypes = []layers.LinkType{layers.LinkTypeEthernet, layers.LinkTypeLinuxSLL, layers.LinkTypeLinuxSLL2,
	layers.LinkTypeNull, layers.LinkTypeLoop, layers.LinkTypeRaw, layers.LinkTypeIPv4, layers.LinkTypeIPv6}

func fuzzLinkIndex(lt layers.LinkType) byte {
	for i, l := range fuzzLinkTypes {
		if l == lt {
			return byte(i)
		}
	}
	return 0
}

// FuzzDissectLayers feeds arbitrary bytes (as two packets of one capture,
// so the TCP analysis sees a conversation) through both tiers: no panic,
// and every field's bytes lie inside its data source. Seeds are the
// hand-built packets and the oracle captures' packets.
func FuzzDissectLayers(f *testing.F) {
	for _, tc := range layerCases {
		b := mustHex(f, tc.hex)
		f.Add(fuzzLinkIndex(tc.lt), b, b)
	}
	for _, file := range decodetest.Files(f, decodetest.Oracle) {
		pkts, _ := decodetest.ReadFile(file.Path)
		for i := 0; i+1 < len(pkts) && i < 8; i++ {
			f.Add(fuzzLinkIndex(pkts[i].LinkType), pkts[i].Data, pkts[i+1].Data)
		}
	}
	f.Fuzz(func(t *testing.T, link byte, p1, p2 []byte) {
		lt := fuzzLinkTypes[int(link)%len(fuzzLinkTypes)]
		a := NewAnalyzer(Options{})
		cis := make([]gopacket.CaptureInfo, 2)
		for i, b := range [][]byte{p1, p2} {
			cis[i] = gopacket.CaptureInfo{Timestamp: layerEpoch, CaptureLength: len(b), Length: len(b)}
			a.Add(i+1, cis[i], lt, b)
		}
		a.Finish()
		for i, b := range [][]byte{p1, p2} {
			p := a.Dissect(i+1, cis[i], lt, b)
			checkRanges(t, p)
			_ = p.FieldText("tcp.seq", ",")
		}
	})
}
