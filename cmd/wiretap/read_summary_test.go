package main

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"testing"

	"wiretap/capture/oracletest"
)

// readSummaryFiles are the captures whose packet lists wiretap read must
// print as tshark -2 does, line for line: timestamps of microseconds and
// nanoseconds, in pcap and pcapng, one pcapng with two interfaces and one
// with a binary resolution (2^-8 s: two decimals). decode's
// TestOracleSummary holds every column of every test capture to tshark;
// this test is for what read adds: the file's interfaces, through the
// capture filter's source and stdin.
var readSummaryFiles = []struct {
	pkg, rel string
	whole    bool // every column equal (else the number and time)
}{
	{"decode", "oracle/formats/heuristics/microsecs.pcap", true},
	{"decode", "oracle/formats/heuristics/nanosecs.pcap", true},
	{"decode", "oracle/demo.pcapng", false},
	{"decode", "oracle/formats/heuristics/many_interfaces-1.pcapng", false},
	{"decode", "oracle/http/zeek/get.pcap", true},
	{"capture", "files/pcapng-structure/test902-be.pcapng", false},
}

// TestReadSummaryMatchesTshark compares `wiretap read -r F` (and the same
// read from stdin, and through a capture filter that keeps every packet)
// with tshark -2 -n -r F (recorded in
// testdata/golden/TestReadSummaryMatchesTshark).
func TestReadSummaryMatchesTshark(t *testing.T) {
	o := oracletest.New(t, oracletest.Tshark)
	lines := 0
	for _, f := range readSummaryFiles {
		path := oracletest.Testdata(f.pkg, strings.Split(f.rel, "/")...)
		in := oracletest.Input{Name: f.pkg + "/" + f.rel, Path: path}
		res, err := o.Run(in, "-2", "-n", "-r", path, "-d", "tcp.port==5683,http", "-d", "tcp.port==5684,http")
		if err == nil && res.Exit != 0 {
			err = fmt.Errorf("exit status %d: %s", res.Exit, res.Stderr)
		}
		if err != nil {
			t.Fatalf("%s: tshark: %v", in.Name, err)
		}
		want := strings.Split(strings.TrimSuffix(string(res.Stdout), "\n"), "\n")
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		for _, how := range []struct {
			name  string
			args  []string
			stdin []byte
		}{
			{"file", []string{"read", "-r", path}, nil},
			{"stdin", []string{"read", "-r", "-"}, data},
			{"capture filter", []string{"read", "-r", path, "-f", "len >= 0"}, nil},
		} {
			args := append(how.args, "-d", "tcp.port==5683,http", "-d", "tcp.port==5684,http")
			var out, errb bytes.Buffer
			if code := run(args, stdio{bytes.NewReader(how.stdin), &out, &errb}); code != 0 {
				t.Fatalf("%s (%s): exit %d: %s", in.Name, how.name, code, errb.String())
			}
			got := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
			if len(got) != len(want) {
				t.Errorf("%s (%s): %d lines, tshark %d", in.Name, how.name, len(got), len(want))
				continue
			}
			for i := range want {
				lines++
				g, w := got[i], want[i]
				if !f.whole { // the number and time columns
					g, w = strings.Join(strings.Fields(g)[:2], " "), strings.Join(strings.Fields(w)[:2], " ")
				}
				if g != w {
					t.Errorf("%s (%s) line %d:\n tshark:  %q\n wiretap: %q", in.Name, how.name, i+1, want[i], got[i])
				}
			}
		}
	}
	o.Done(lines)
}
