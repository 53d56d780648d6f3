package decode

import (
	"bytes"
	"strings"
	"testing"

	"wiretap/capture/oracletest"
	"wiretap/decode/decodetest"
)

// fieldPresent is a display filter that is one field's name (decode's
// tests cannot import dfilter).
type fieldPresent string

func (f fieldPresent) Match(p *Packet) bool { return len(p.Fields(string(f))) > 0 }
func (f fieldPresent) Fields() []string     { return []string{string(f)} }

// ioStatOf counts the packets of a test capture in a -z io,stat table
// whose filters are field names.
func ioStatOf(t *testing.T, arg string, path ...string) *IOStat {
	t.Helper()
	st, err := ParseIOStat(arg, func(s string) (IOMatcher, error) { return fieldPresent(s), nil })
	if err != nil {
		t.Fatal(err)
	}
	st.Prime(st.FilterFields())
	pkts, err := decodetest.ReadFile(oracletest.Testdata("decode", path...))
	if err != nil {
		t.Fatal(err)
	}
	a := NewAnalyzer(Options{})
	for _, p := range decodetest.Analyze(a, pkts) {
		st.Add(p)
	}
	return st
}

// TestIOStatSparse: a capture whose frames are two years apart keeps an
// item per interval with frames, not per interval of its duration (at
// 1 µs, 68 million seconds would be 10^14 of them; tshark prints every
// row, and so does Write, as it goes).
func TestIOStatSparse(t *testing.T) {
	st := ioStatOf(t, "io,stat,0.000001", "tls", "pcapplusplus", "tls1_3.pcap")
	if n := len(st.cols[0].items); n == 0 || n > 4 {
		t.Errorf("%d items for 4 frames", n)
	}
	if st.elapsed.Hours() < 24*365 {
		t.Fatalf("the capture spans %v: not the one this test is about", st.elapsed)
	}
}

// TestIOStatLoadNoDuration: LOAD of a capture of no duration divides by
// its zero interval; tshark 4.0 dies of SIGFPE there, wiretap prints a
// table without rows.
func TestIOStatLoadNoDuration(t *testing.T) {
	st := ioStatOf(t, "io,stat,1,LOAD(frame.time_delta)frame.time_delta", "oracle", "formats", "heuristics", "microsecs.pcap")
	var b bytes.Buffer
	st.Write(&b)
	out := b.String()
	if !strings.Contains(out, "| Interval       |") || !strings.Contains(out, " LOAD ") || strings.Contains(out, "<>") {
		t.Errorf("want the header and no rows:\n%s", out)
	}
}
