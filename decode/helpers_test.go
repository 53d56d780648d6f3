package decode

import (
	"testing"

	"wiretap/capture"
)

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
