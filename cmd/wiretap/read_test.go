package main

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"wiretap/capture/oracletest"
)

// readFilterExprs are checked against tcpdump on every capture it reads.
var readFilterExprs = []string{
	"tcp", "udp", "ip", "ip6", "arp", "icmp", "tcp port 80", "port 53", "host 192.168.1.1",
	"tcp[tcpflags] & tcp-syn != 0", "tcp[13] & 2 != 0", "ip[9] == 6", "greater 200", "less 100",
	"not tcp", "tcp and (port 80 or port 443)", "net 10.0.0.0/8", "ip6 and tcp", "portrange 1-1024",
	"src port 80", "dst port 80", "len > 500", "vlan",
}

// TestReadFilterMatchesTcpdump checks that `wiretap read -r F EXPR` keeps as
// many packets as `tcpdump -r F --count EXPR` counts, on every shared
// capture (tcpdump's outputs recorded in
// testdata/golden/TestReadFilterMatchesTcpdump).
func TestReadFilterMatchesTcpdump(t *testing.T) {
	o := oracletest.New(t, oracletest.Tcpdump)
	// The shared test captures (capture/testdata/files and decode's
	// formats, http and tls folders; see their SOURCES).
	shared, err := oracletest.SharedFiles()
	if err != nil {
		t.Fatal(err)
	}
	var files []oracletest.Input
	for _, f := range shared {
		if strings.HasSuffix(f.Path, ".pcap") || strings.HasSuffix(f.Path, ".pcapng") {
			files = append(files, oracletest.Input{Name: f.Rel, Path: f.Path})
		}
	}
	if len(files) == 0 {
		t.Fatal("no shared test captures")
	}
	compared := 0
	for _, in := range files {
		f := in.Path
		// tcpdump reads only files whose packets share one link type.
		if res, err := o.Run(in, "-r", f, "-c", "1", "-w", "/dev/null"); err != nil {
			t.Fatal(err)
		} else if res.Exit != 0 {
			continue
		}
		for _, expr := range readFilterExprs {
			want, ok := tcpdumpCount(t, o, in, expr)
			if !ok {
				continue // not valid for this link type in tcpdump either
			}
			var out, errb bytes.Buffer
			code := run([]string{"read", "-r", f, expr}, stdio{strings.NewReader(""), &out, &errb})
			got := strings.Count(out.String(), "\n")
			if code != 0 && !strings.Contains(errb.String(), "capture: "+f) {
				t.Errorf("%s %q: exit %d: %s", in.Name, expr, code, errb.String())
				continue
			}
			if got != want {
				t.Errorf("%s %q: wiretap keeps %d packets, tcpdump %d", in.Name, expr, got, want)
			}
			compared++
		}
	}
	t.Logf("%d (file, filter) pairs compared over %d files", compared, len(files))
	o.Done(compared)
}

// tcpdumpCount is how many packets tcpdump keeps (its --count).
func tcpdumpCount(t *testing.T, o *oracletest.Oracle, in oracletest.Input, expr string) (int, bool) {
	t.Helper()
	res, err := o.Run(in, "-r", in.Path, "--count", expr)
	if err != nil {
		t.Fatal(err)
	}
	// An error (a filter invalid for the link type, or libpcap giving up
	// on a file whose interfaces differ in snap length, which tshark and
	// wiretap read) leaves nothing to compare.
	if res.Exit != 0 {
		return 0, false
	}
	var n int
	var unit string
	if _, err := fmt.Sscanf(string(res.Stdout), "%d %s", &n, &unit); err != nil || !strings.HasPrefix(unit, "packet") {
		t.Fatalf("tcpdump --count %q on %s printed %q", expr, in.Name, res.Stdout)
	}
	return n, true
}
