package capture

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"wiretap/capture/oracletest"
)

func writePcapSample(t *testing.T, w *PcapWriter, pkts []testPacket) {
	t.Helper()
	for _, p := range pkts {
		if err := w.WritePacket(p.ci, p.data); err != nil {
			t.Fatalf("WritePacket: %v", err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
}

func TestPcapWriterRoundTrip(t *testing.T) {
	pkts := samplePackets()
	var buf bytes.Buffer
	w, err := NewPcapWriter(&buf, layers.LinkTypeEthernet, 0)
	if err != nil {
		t.Fatal(err)
	}
	writePcapSample(t, w, pkts)
	if err := w.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if err := w.WritePacket(pkts[0].ci, pkts[0].data); err == nil {
		t.Errorf("WritePacket after Close succeeded")
	}

	b := buf.Bytes()
	wantHeader := []byte{0x4d, 0x3c, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4, 0, 1, 0, 0, 0}
	if !bytes.Equal(b[:24], wantHeader) {
		t.Errorf("file header % x\nwant        % x", b[:24], wantHeader)
	}
	src, err := NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	checkSamePackets(t, src, pkts) // timestamps to the nanosecond
	fs := src.(*FileSource)
	if ifs := fs.Interfaces(); len(ifs) != 1 || ifs[0].TsResol != 9 || ifs[0].SnapLen != MaxSnapLen || ifs[0].LinkType != layers.LinkTypeEthernet {
		t.Errorf("interfaces %+v", ifs)
	}
	if info := fs.Info(); info.Format != "pcap" || info.ByteOrder != binary.LittleEndian {
		t.Errorf("info %+v", info)
	}
}

func TestPcapWriterDetails(t *testing.T) {
	var buf bytes.Buffer
	w, err := NewPcapWriter(&buf, layers.LinkTypeLinuxSLL, 100)
	if err != nil {
		t.Fatal(err)
	}
	data := payload(300, 1)
	ts := time.Date(2106, 2, 7, 6, 28, 15, 999_999_999, time.UTC) // the last second pcap holds
	// Cut to the snap length; CaptureLength is taken from data.
	if err := w.WritePacket(gopacket.CaptureInfo{Timestamp: ts, CaptureLength: 5, Length: 0, InterfaceIndex: 3}, data); err != nil {
		t.Fatal(err)
	}
	// No timestamp (a pcapng SPB's) is written as 0.
	if err := w.WritePacket(gopacket.CaptureInfo{Length: 2}, []byte{1, 2}); err != nil {
		t.Fatal(err)
	}
	// Out of pcap's range: an error, and the writer goes on.
	for _, bad := range []time.Time{ts.Add(time.Second), time.Unix(-1, 0)} {
		err := w.WritePacket(gopacket.CaptureInfo{Timestamp: bad}, []byte{1})
		if err == nil || !strings.Contains(err.Error(), "cannot be written in pcap (1970 to 2106 only)") {
			t.Errorf("timestamp %v: %v", bad, err)
		}
	}
	if err := w.WritePacket(gopacket.CaptureInfo{Timestamp: time.Unix(0, 1)}, []byte{9}); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if snap := binary.LittleEndian.Uint32(buf.Bytes()[16:]); snap != 100 {
		t.Errorf("header snap length %d", snap)
	}
	src, err := NewReader(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		ts   time.Time
		data []byte
		len  int
	}{
		{ts, data[:100], 300},
		{time.Unix(0, 0), []byte{1, 2}, 2},
		{time.Unix(0, 1), []byte{9}, 1},
	}
	for i, p := range want {
		got, ci, err := src.ReadPacket()
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, p.data) || !ci.Timestamp.Equal(p.ts) || ci.Length != p.len || src.LinkType(ci) != layers.LinkTypeLinuxSLL {
			t.Errorf("packet %d: %d bytes, %v, len %d, %v", i+1, len(got), ci.Timestamp, ci.Length, src.LinkType(ci))
		}
	}
	if _, _, err := src.ReadPacket(); err != io.EOF {
		t.Errorf("want EOF, got %v", err)
	}
	if _, err := NewPcapWriter(&buf, layers.LinkTypeEthernet, -1); err == nil {
		t.Errorf("negative snap length accepted")
	}
}

// Close flushes but does not close the writer under it.
func TestPcapWriterLeavesWriterOpen(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "x.pcap"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w, err := NewPcapWriter(f, layers.LinkTypeEthernet, 0)
	if err != nil {
		t.Fatal(err)
	}
	if fi, _ := f.Stat(); fi.Size() != 0 {
		t.Errorf("written before Flush: %d bytes", fi.Size())
	}
	if err := w.WritePacket(gopacket.CaptureInfo{Timestamp: time.Unix(1, 2)}, []byte{1, 2, 3}); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if fi, _ := f.Stat(); fi.Size() != 24+16+3 {
		t.Errorf("after Close: %d bytes", fi.Size())
	}
	if _, err := f.Write([]byte{0}); err != nil {
		t.Errorf("the file was closed: %v", err)
	}
}

func TestCreatePcapAndTools(t *testing.T) {
	pkts := samplePackets()
	path := filepath.Join(t.TempDir(), "out.pcap")
	w, err := CreatePcap(path, layers.LinkTypeEthernet, MaxSnapLen)
	if err != nil {
		t.Fatal(err)
	}
	// The header is in the file from the start.
	if fi, err := os.Stat(path); err != nil || fi.Size() != pcapFileHeaderLen {
		t.Fatalf("after CreatePcap: %v, %v", fi, err)
	}
	writePcapSample(t, w, pkts)
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if perm := fi.Mode().Perm(); perm&^0o022 != 0o644&^0o022 {
		t.Errorf("mode %v, want 0644 (less umask)", perm)
	}
	src, err := OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	checkSamePackets(t, src, pkts)
	if err := src.Close(); err != nil {
		t.Error(err)
	}
	stamp := func(ts time.Time) string { return fmt.Sprintf("%d.%09d", ts.Unix(), ts.Nanosecond()) }
	// The tools' outputs are recorded in
	// testdata/golden/TestCreatePcapAndTools: the file is the same bytes
	// on every run (a change to the writer makes the recording stale).
	in := oracletest.Input{Name: "out.pcap", Path: path}
	run := func(t *testing.T, o *oracletest.Oracle, args ...string) []byte {
		t.Helper()
		res, err := o.Run(in, args...)
		if err == nil && res.Exit != 0 {
			err = fmt.Errorf("exit status %d", res.Exit)
		}
		if err != nil {
			t.Fatalf("%s rejects the file: %v\n%s%s", o.Version(), err, res.Stdout, res.Stderr)
		}
		return res.Stdout
	}

	t.Run("capinfos", func(t *testing.T) {
		capinfos := oracletest.New(t, oracletest.Capinfos)
		out := run(t, capinfos, "-c", "-t", "-E", "-i", path)
		for _, re := range []string{`Number of packets:\s*` + strconv.Itoa(len(pkts)) + `\n`, `File type:\s*Wireshark/tcpdump/... - nanosecond pcap`, `File encapsulation:\s*Ethernet`} {
			if !regexp.MustCompile(re).Match(out) {
				t.Errorf("capinfos output lacks %q:\n%s", re, out)
			}
		}
		capinfos.Done(3)
	})
	t.Run("tcpdump", func(t *testing.T) {
		tcpdump := oracletest.New(t, oracletest.Tcpdump)
		out := run(t, tcpdump, "-r", path, "-nn", "-tt", "--nano", "-q")
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		if len(lines) != len(pkts) {
			t.Fatalf("tcpdump read %d packets, want %d:\n%s", len(lines), len(pkts), out)
		}
		for i, line := range lines {
			if want := stamp(pkts[i].ci.Timestamp); !strings.HasPrefix(line, want+" ") {
				t.Errorf("packet %d: tcpdump says %q, want the time %s", i+1, line, want)
			}
		}
		tcpdump.Done(len(lines))
	})
	t.Run("tshark", func(t *testing.T) {
		tshark := oracletest.New(t, oracletest.Tshark)
		out := run(t, tshark, "-r", path, "-T", "fields", "-e", "frame.time_epoch", "-e", "frame.cap_len", "-e", "frame.len")
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		if len(lines) != len(pkts) {
			t.Fatalf("tshark read %d packets, want %d", len(lines), len(pkts))
		}
		for i, line := range lines {
			p := pkts[i]
			if want := fmt.Sprintf("%s\t%d\t%d", stamp(p.ci.Timestamp), len(p.data), p.ci.Length); line != want {
				t.Errorf("packet %d: tshark says %q, want %q", i+1, line, want)
			}
		}
		tshark.Done(len(lines))
	})
}

func TestCreatePcapError(t *testing.T) {
	_, err := CreatePcap(filepath.Join(t.TempDir(), "no", "such", "dir.pcap"), layers.LinkTypeEthernet, 0)
	if err == nil || !strings.HasPrefix(err.Error(), "capture: ") {
		t.Errorf("err = %v", err)
	}
	if _, err := CreatePcap(filepath.Join(t.TempDir(), "x.pcap"), layers.LinkTypeEthernet, -5); err == nil {
		t.Errorf("negative snap length accepted")
	}
}
