package decode

import (
	"testing"

	"wiretap/decode/decodetest"

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

// setInterfaces gives a the interfaces of pkts' pcapng file, as wiretap
// read does (SetInterface): their frames then name them.
func setInterfaces(a *Analyzer, pkts []decodetest.Packet) {
	decodetest.EachInterface(pkts, func(iface int, name, description string, section int) {
		a.SetInterface(iface, Interface{Name: name, Description: description, Section: section})
	})
}
