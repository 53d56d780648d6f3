package main

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"wiretap/capture/oracletest"
)

// corruptHangAfter is how long one read of a damaged file may take before
// the sweep calls it a hang (not a speed limit: the files are tiny).
const corruptHangAfter = 60 * time.Second

// TestReadCorruptFiles damages small real captures, a pcap and two pcapng
// files (see their testdata's SOURCES): each cut at evenly spaced offsets, and each with one byte flipped
// (xor 0xff) at evenly spaced offsets. `wiretap read -r` (and -V on every
// fifth variant) must end, never panic or print a stack, exit 0 or with
// exactly one `wiretap: error:` line; and a cut file still gives every
// packet whose record ends before the cut.
func TestReadCorruptFiles(t *testing.T) {
	offsets := 200
	if testing.Short() {
		offsets = 20
	}
	dir := t.TempDir()
	for _, name := range []string{
		oracletest.Testdata("decode", "oracle", "formats", "gopacket", "test_ethernet.pcap"),
		// Big-endian, several sections and interfaces.
		oracletest.Testdata("capture", "files", "pcapng-structure", "output_be", "advanced", "test100.pcapng"),
		oracletest.Testdata("decode", "oracle", "demo.pcapng"), // with its TLS secrets block
	} {
		orig, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		ends := captureRecordEnds(t, orig)
		if len(ends) == 0 {
			t.Fatalf("%s: no packets", name)
		}
		// One line a packet, as the cut files' counts assume.
		if out := wiretapOut(t, "read", "-r", name); strings.Count(out, "\n") != len(ends) {
			t.Fatalf("%s: %d lines for %d packets:\n%s", name, strings.Count(out, "\n"), len(ends), out)
		}
		base := filepath.Base(name)
		variants := 0
		for i := 0; i < offsets; i++ {
			at := i * len(orig) / offsets
			whole := 0
			for _, e := range ends {
				if e <= at {
					whole++
				}
			}
			verbose := i%5 == 0
			cut := filepath.Join(dir, fmt.Sprintf("%s.cut%d", base, at))
			os.WriteFile(cut, orig[:at], 0o644)
			checkCorruptRead(t, fmt.Sprintf("%s cut at %d", name, at), cut, whole, verbose)
			flipped := bytes.Clone(orig)
			flipped[at] ^= 0xff
			flip := filepath.Join(dir, fmt.Sprintf("%s.flip%d", base, at))
			os.WriteFile(flip, flipped, 0o644)
			checkCorruptRead(t, fmt.Sprintf("%s with byte %d flipped", name, at), flip, 0, verbose)
			variants += 2
		}
		t.Logf("%s: %d variants read (%d packets, %d bytes)", name, variants, len(ends), len(orig))
	}
}

// checkCorruptRead runs `wiretap read -r path` (and with -V) in-process and
// checks how it ends; wantLines is the least number of packet lines.
func checkCorruptRead(t *testing.T, what, path string, wantLines int, verbose bool) {
	t.Helper()
	argss := [][]string{{"read", "-r", path}}
	if verbose {
		argss = append(argss, []string{"read", "-r", path, "-V"})
	}
	for _, args := range argss {
		var out, errb bytes.Buffer
		done := make(chan int, 1)
		go func() { done <- run(args, stdio{strings.NewReader(""), &out, &errb}) }()
		var code int
		select {
		case code = <-done:
		case <-time.After(corruptHangAfter):
			t.Fatalf("%s: wiretap read %s still running after %v: a hang", what, strings.Join(args[3:], " "), corruptHangAfter)
		}
		stderr := errb.String()
		if strings.Contains(stderr, "panic:") || strings.Contains(stderr, "goroutine ") || strings.Contains(stderr, "internal error") {
			t.Errorf("%s: wiretap %v: exit %d, a panic:\n%s", what, args[3:], code, stderr)
			continue
		}
		if code != 0 {
			errors := 0
			for _, l := range strings.Split(stderr, "\n") {
				if strings.HasPrefix(l, "wiretap: error: ") {
					errors++
				}
			}
			if errors != 1 {
				t.Errorf("%s: wiretap %v: exit %d with %d error lines:\n%s", what, args[3:], code, errors, stderr)
			}
		}
		if len(args) == 3 {
			if lines := strings.Count(out.String(), "\n"); lines < wantLines {
				t.Errorf("%s: %d packet lines, want at least the %d packets before the damage (exit %d: %s)", what, lines, wantLines, code, stderr)
			}
		}
	}
}

// captureRecordEnds lists where each packet's record ends in a pcap or
// pcapng file (for pcapng: Enhanced, Simple and obsolete Packet Blocks).
func captureRecordEnds(t *testing.T, b []byte) []int {
	t.Helper()
	var ends []int
	switch m := binary.BigEndian.Uint32(b); m {
	case 0xa1b2c3d4, 0xa1b23c4d, 0xd4c3b2a1, 0x4d3cb2a1:
		var order binary.ByteOrder = binary.BigEndian
		if m == 0xd4c3b2a1 || m == 0x4d3cb2a1 {
			order = binary.LittleEndian
		}
		for off := 24; off+16 <= len(b); {
			off += 16 + int(order.Uint32(b[off+8:]))
			if off <= len(b) {
				ends = append(ends, off)
			}
		}
	case 0x0a0d0d0a:
		var order binary.ByteOrder = binary.LittleEndian
		for off := 0; off+12 <= len(b); {
			typ := binary.LittleEndian.Uint32(b[off:])
			if typ == 0x0a0d0d0a {
				if binary.BigEndian.Uint32(b[off+8:]) == 0x1a2b3c4d {
					order = binary.BigEndian
				} else {
					order = binary.LittleEndian
				}
			} else {
				typ = order.Uint32(b[off:])
			}
			n := int(order.Uint32(b[off+4:]))
			if n < 12 || off+n > len(b) {
				t.Fatalf("pcapng block at %d: length %d of %d", off, n, len(b))
			}
			if off += n; typ == 6 || typ == 3 || typ == 2 {
				ends = append(ends, off)
			}
		}
	default:
		t.Fatalf("not a capture: magic %#x", m)
	}
	return ends
}
