package decode

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gopacket/gopacket/layers"

	"wiretap/capture"
)

// TestSummarizerMatchesDissect holds the header-only Summarizer (the live
// capture's packet lines) to the rows of full dissection, which the tshark
// oracles check, on every TCP packet without payload in the oracle captures
// (those with payload get application-layer Info only full dissection knows).
func TestSummarizerMatchesDissect(t *testing.T) {
	var files []string
	filepath.WalkDir("testdata/oracle", func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && (strings.HasSuffix(p, ".pcap") || strings.HasSuffix(p, ".pcapng")) {
			files = append(files, p)
		}
		return nil
	})
	compared := 0
	for _, f := range files {
		an := NewAnalyzer(Options{})
		if !fastPassFile(f, an) {
			continue
		}
		an.Finish()
		z := NewSummarizer()
		dec := NewDecoder()
		src, err := capture.OpenFile(f)
		if err != nil {
			continue
		}
		for n := 1; ; n++ {
			data, ci, err := src.ReadPacket()
			if err == io.EOF || err != nil {
				break
			}
			lt := src.LinkType(ci)
			got := z.Summarize(ci, lt, data)
			fr := dec.Decode(lt, data)
			if !fr.Has(layers.LayerTypeTCP) || len(fr.TCP.Payload) > 0 || fr.Truncated {
				continue
			}
			if _, flagged := an.tcp.flags[uint32(n)]; flagged {
				continue // analysis notes are full dissection's
			}
			want := an.Dissect(n, ci, lt, data).Summary
			if got != want {
				t.Errorf("%s frame %d:\n summarizer: %+v\n dissect:    %+v", f, n, got, want)
			}
			compared++
		}
		src.Close()
	}
	t.Logf("%d packet lines equal", compared)
}

// fastPassFile feeds every packet of file to an's fast pass.
func fastPassFile(file string, an *Analyzer) bool {
	src, err := capture.OpenFile(file)
	if err != nil {
		return false
	}
	defer src.Close()
	for n := 1; ; n++ {
		data, ci, err := src.ReadPacket()
		if err != nil {
			return true
		}
		an.Add(n, ci, src.LinkType(ci), data)
	}
}

// eachDissected re-reads file and hands every packet's full tree to fn.
func eachDissected(t *testing.T, file string, an *Analyzer, fn func(*Packet)) {
	t.Helper()
	src, err := capture.OpenFile(file)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	for n := 1; ; n++ {
		data, ci, err := src.ReadPacket()
		if err != nil {
			return
		}
		fn(an.Dissect(n, ci, src.LinkType(ci), data))
	}
}
