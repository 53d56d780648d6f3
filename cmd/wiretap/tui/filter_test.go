package tui

import (
	"io"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/gopacket/gopacket"

	"wiretap/capture"
	"wiretap/cmd/wiretap/tui/packets"
	"wiretap/decode"
	"wiretap/decode/dfilter"
)

// repeatedDemo writes the demo capture's packets times times over (a
// second apart) to a pcap file: a capture big enough for the filter
// job's pieces of every size.
func repeatedDemo(t *testing.T, times int) string {
	t.Helper()
	src, err := capture.OpenFile(demoCapture)
	if err != nil {
		t.Fatal(err)
	}
	type pkt struct {
		data []byte
		ci   gopacket.CaptureInfo
	}
	var pkts []pkt
	for {
		data, ci, err := src.ReadPacket()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		ci.AncillaryData = nil
		pkts = append(pkts, pkt{slices.Clone(data), ci})
	}
	lt := src.LinkType(pkts[0].ci)
	src.Close()
	path := filepath.Join(t.TempDir(), "repeated.pcap")
	w, err := capture.CreatePcap(path, lt, 0)
	if err != nil {
		t.Fatal(err)
	}
	for i := range times {
		for _, p := range pkts {
			ci := p.ci
			ci.Timestamp = ci.Timestamp.Add(time.Duration(i) * time.Second)
			if err := w.WritePacket(ci, p.data); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestFilterPassIsMatch: the filter job, which dissects pieces of packets
// in a row on every core, keeps exactly the packets that a plain loop of
// DissectFor and Match keeps, in order, over pieces of every size.
func TestFilterPassIsMatch(t *testing.T) {
	store, err := packets.OpenFile(repeatedDemo(t, 700), nil, packets.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	if err := store.WaitAnalysed(nil, 1<<30); err != nil {
		t.Fatal(err)
	}
	for _, expr := range []string{"tcp.flags.syn == 1 && tcp.flags.ack == 0", "http.request", "frame.len > 100 && tcp.port == 5685", "frame.number in {7 1007 16100..16200 24000}"} {
		df, err := dfilter.Compile(expr)
		if err != nil {
			t.Fatal(err)
		}
		want := decode.WantFields(df.Fields())
		var kept []uint32
		for n := 1; n <= store.Len(); n++ {
			p, _, err := store.DissectFor(want, n)
			if err != nil {
				t.Fatal(err)
			}
			if df.Match(p) {
				kept = append(kept, uint32(n))
			}
			p.Release()
		}
		if len(kept) == 0 {
			t.Errorf("%s matches nothing: the test shows little", expr)
		}
		j := &job{name: "filtering", stop: make(chan struct{})}
		matches := &numList{}
		var counts [][2]int
		if err := filterPackets(j, store, df, matches, func(before, after int) { counts = append(counts, [2]int{before, after}) }); err != nil {
			t.Fatal(err)
		}
		got, done := matches.snapshot()
		if !done || !slices.Equal(got, kept) {
			t.Errorf("%s: the job kept %d packets (done %v), the loop %d", expr, len(got), done, len(kept))
		}
		if len(kept) > 0 && (len(counts) == 0 || counts[0][0] != 0 || counts[len(counts)-1][1] != len(kept)) {
			t.Errorf("%s: found was told %v", expr, counts)
		}
		if d, total := j.done.Load(), j.total.Load(); d != int64(store.Len()) || total != int64(store.Len()) {
			t.Errorf("%s: progress %d of %d at the end, want %d", expr, d, total, store.Len())
		}
	}
}
