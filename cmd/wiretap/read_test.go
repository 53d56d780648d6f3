package main

import (
	"bytes"
	"io"
	"os/exec"
	"strings"
	"testing"

	"wiretap/capture"
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
// many packets as `tcpdump -r F EXPR` on every shared capture.
func TestReadFilterMatchesTcpdump(t *testing.T) {
	if _, err := exec.LookPath("tcpdump"); err != nil {
		t.Skip("tcpdump is not installed (apt-get install tcpdump): skipping")
	}
	// The shared test captures (capture/testdata/files and decode's
	// formats, http and tls folders; see their SOURCES).
	shared, err := oracletest.SharedFiles()
	if err != nil {
		t.Fatal(err)
	}
	var files []string
	for _, f := range shared {
		if strings.HasSuffix(f.Path, ".pcap") || strings.HasSuffix(f.Path, ".pcapng") {
			files = append(files, f.Path)
		}
	}
	if len(files) == 0 {
		t.Fatal("no shared test captures")
	}
	compared := 0
	for _, f := range files {
		// tcpdump reads only files whose packets share one link type.
		if exec.Command("tcpdump", "-r", f, "-c", "1", "-w", "/dev/null").Run() != nil {
			continue
		}
		for _, expr := range readFilterExprs {
			want, ok := tcpdumpCount(f, expr)
			if !ok {
				continue // not valid for this link type in tcpdump either
			}
			var out, errb bytes.Buffer
			code := run([]string{"read", "-r", f, expr}, stdio{strings.NewReader(""), &out, &errb})
			got := strings.Count(out.String(), "\n")
			if code != 0 && !strings.Contains(errb.String(), "capture: "+f) {
				t.Errorf("%s %q: exit %d: %s", f, expr, code, errb.String())
				continue
			}
			if got != want {
				t.Errorf("%s %q: wiretap keeps %d packets, tcpdump %d", f, expr, got, want)
			}
			compared++
		}
	}
	t.Logf("%d (file, filter) pairs compared over %d files", compared, len(files))
}

// tcpdumpCount is how many packets tcpdump keeps, counted from its pcap output.
func tcpdumpCount(file, expr string) (int, bool) {
	// An error (a filter invalid for the link type, or libpcap giving up
	// on a file whose interfaces differ in snap length, which tshark and
	// wiretap read) leaves nothing to compare.
	cmd := exec.Command("tcpdump", "-r", file, "-w", "-", expr)
	out, err := cmd.Output()
	if err != nil {
		return 0, false
	}
	src, err := capture.NewReader(bytes.NewReader(out))
	if err != nil {
		return 0, false
	}
	n := 0
	for {
		if _, _, err := src.ReadPacket(); err == io.EOF {
			return n, true
		} else if err != nil {
			return n, true
		}
		n++
	}
}
