package tui

import (
	"os"
	"syscall"
	"testing"
	"time"

	"wiretap/cmd/wiretap/tui/packets"
	"wiretap/decode/dfilter"
)

// BenchmarkFilterPass is the viewer's display filter job over a whole
// capture, without the screen: WIRETAP_BIG names the file (a
// 1,000,000-packet one for the viewer's targets; wiretap-bench view
// -filter times it on screen). Each op filters every packet once.
//
//	WIRETAP_BIG=/tmp/big.pcapng go test -run X -bench FilterPass ./cmd/wiretap/tui
func BenchmarkFilterPass(b *testing.B) {
	path := os.Getenv("WIRETAP_BIG")
	if path == "" {
		b.Skip("set WIRETAP_BIG to a large capture")
	}
	store, err := packets.OpenFile(path, nil, packets.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer store.Close()
	if err := store.WaitAnalysed(nil, 1<<30); err != nil {
		b.Fatal(err)
	}
	for _, expr := range []string{"tcp.flags.syn == 1 && tcp.flags.ack == 0", "http.request"} {
		df, err := dfilter.Compile(expr)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(expr, func(b *testing.B) {
			matched := 0
			cpu0 := cpuTime()
			for range b.N {
				j := &job{name: "filtering", stop: make(chan struct{})}
				matches := &numList{}
				if err := filterPackets(j, store, df, matches, func(int, int) {}); err != nil {
					b.Fatal(err)
				}
				nums, _ := matches.snapshot()
				matched = len(nums)
			}
			// The CPU time too: on a busy machine the wall time says little.
			b.ReportMetric(float64((cpuTime()-cpu0).Nanoseconds())/float64(b.N)/float64(store.Len()), "cpu-ns/packet")
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(store.Len()), "ns/packet")
			b.ReportMetric(float64(matched), "matches")
		})
	}
}

// cpuTime is the process's user+system time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
