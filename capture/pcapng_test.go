package capture

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

type testPacket struct {
	ci   gopacket.CaptureInfo
	data []byte
}

// samplePackets returns packets of awkward sizes (padding 0–3, one bigger
// than a 64 KiB lo segment) with nanosecond timestamps.
func samplePackets() []testPacket {
	sizes := []int{60, 61, 62, 63, 1514, 65549, 14}
	base := time.Unix(1700000000, 123456789)
	var pkts []testPacket
	for i, n := range sizes {
		data := make([]byte, n)
		for j := range data {
			data[j] = byte(i*31 + j)
		}
		ts := base.Add(time.Duration(i)*time.Second + time.Duration(i*1001))
		pkts = append(pkts, testPacket{
			ci:   gopacket.CaptureInfo{Timestamp: ts, CaptureLength: n, Length: n + i%2}, // some "cut" packets
			data: data,
		})
	}
	return pkts
}

var testPcapngOptions = PcapngOptions{
	LinkType:    layers.LinkTypeEthernet,
	SnapLen:     MaxSnapLen,
	Interface:   "lo",
	Application: "wiretap 0.1.0",
	Filter:      "tcp port 5683",
}

func writeSample(t *testing.T, w *PcapngWriter, pkts []testPacket) {
	t.Helper()
	for _, p := range pkts {
		if err := w.WritePacket(p.ci, p.data); err != nil {
			t.Fatalf("WritePacket: %v", err)
		}
	}
	w.SetStats(Stats{Received: uint64(len(pkts)) + 2, Dropped: 2, Captured: uint64(len(pkts))})
	if err := w.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
}

func TestPcapngRoundTrip(t *testing.T) {
	pkts := samplePackets()
	var buf bytes.Buffer
	w, err := NewPcapngWriter(&buf, testPcapngOptions)
	if err != nil {
		t.Fatal(err)
	}
	writeSample(t, w, pkts)
	if err := w.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if err := w.WritePacket(pkts[0].ci, pkts[0].data); err == nil {
		t.Errorf("WritePacket after Close succeeded")
	}

	src, err := NewReader(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	checkSamePackets(t, src, pkts)

	blocks := parsePcapngBlocks(t, buf.Bytes())
	checkPcapngBlocks(t, blocks, len(pkts))
}

func checkSamePackets(t *testing.T, src Source, want []testPacket) {
	t.Helper()
	for i, p := range want {
		data, ci, err := src.ReadPacket()
		if err != nil {
			t.Fatalf("packet %d: %v", i+1, err)
		}
		if !bytes.Equal(data, p.data) {
			t.Errorf("packet %d: data differs (%d bytes, want %d)", i+1, len(data), len(p.data))
		}
		if !ci.Timestamp.Equal(p.ci.Timestamp) {
			t.Errorf("packet %d: timestamp %v, want %v", i+1, ci.Timestamp, p.ci.Timestamp)
		}
		if ci.CaptureLength != len(p.data) || ci.Length != p.ci.Length {
			t.Errorf("packet %d: lengths %d/%d, want %d/%d", i+1, ci.CaptureLength, ci.Length, len(p.data), p.ci.Length)
		}
		if lt := src.LinkType(ci); lt != layers.LinkTypeEthernet {
			t.Errorf("packet %d: link type %v", i+1, lt)
		}
	}
	if _, _, err := src.ReadPacket(); err != io.EOF {
		t.Errorf("after the last packet: %v, want io.EOF", err)
	}
}

// pcapngBlock is one block of a little-endian pcapng file, options decoded.
type pcapngBlock struct {
	typ  uint32
	body []byte
	opts map[uint16][]byte
}

// parsePcapngBlocks walks a little-endian pcapng stream independently of
// pcapgo, checking every block's framing.
func parsePcapngBlocks(t *testing.T, b []byte) []pcapngBlock {
	t.Helper()
	le := binary.LittleEndian
	var blocks []pcapngBlock
	for off := 0; off < len(b); {
		if len(b)-off < 12 {
			t.Fatalf("block at %d: %d bytes left", off, len(b)-off)
		}
		typ, n := le.Uint32(b[off:]), int(le.Uint32(b[off+4:]))
		if n%4 != 0 || n < 12 || off+n > len(b) {
			t.Fatalf("block at %d: bad length %d", off, n)
		}
		if trailer := int(le.Uint32(b[off+n-4:])); trailer != n {
			t.Fatalf("block at %d: trailing length %d != %d", off, trailer, n)
		}
		blk := pcapngBlock{typ: typ, body: b[off+8 : off+n-4]}
		optStart := -1
		switch typ {
		case 0x0a0d0d0a: // SHB: magic, version, section length
			optStart = 16
		case 1: // IDB: link type, reserved, snaplen
			optStart = 8
		case 5: // ISB: interface, timestamp
			optStart = 12
		case 6: // EPB: interface, timestamp, caplen, len, data
			caplen := int(le.Uint32(blk.body[12:]))
			optStart = 20 + (caplen+3)&^3
		}
		if optStart >= 0 {
			blk.opts = parseOptions(t, blk.body[optStart:])
		}
		blocks = append(blocks, blk)
		off += n
	}
	return blocks
}

func parseOptions(t *testing.T, b []byte) map[uint16][]byte {
	t.Helper()
	le := binary.LittleEndian
	opts := map[uint16][]byte{}
	for len(b) >= 4 {
		code, n := le.Uint16(b), int(le.Uint16(b[2:]))
		if code == 0 {
			return opts
		}
		if 4+n > len(b) {
			t.Fatalf("option %d: length %d overruns block", code, n)
		}
		opts[code] = b[4 : 4+n]
		b = b[4+(n+3)&^3:]
	}
	if len(b) != 0 {
		t.Fatalf("%d stray bytes after options", len(b))
	}
	return opts
}

func checkPcapngBlocks(t *testing.T, blocks []pcapngBlock, npkts int) {
	t.Helper()
	le := binary.LittleEndian
	if len(blocks) != 2+npkts+1 {
		t.Fatalf("%d blocks, want SHB, IDB, %d EPBs, ISB", len(blocks), npkts)
	}
	shb, idb, isb := blocks[0], blocks[1], blocks[len(blocks)-1]
	if shb.typ != 0x0a0d0d0a || le.Uint32(shb.body) != 0x1a2b3c4d {
		t.Fatalf("first block is not a little-endian SHB")
	}
	if got := string(shb.opts[4]); got != "wiretap 0.1.0" {
		t.Errorf("shb_userappl = %q", got)
	}
	if idb.typ != 1 {
		t.Fatalf("second block type %d, want IDB", idb.typ)
	}
	if lt := le.Uint16(idb.body); lt != uint16(layers.LinkTypeEthernet) {
		t.Errorf("IDB link type %d", lt)
	}
	if sl := le.Uint32(idb.body[4:]); sl != MaxSnapLen {
		t.Errorf("IDB snaplen %d", sl)
	}
	if got := string(idb.opts[2]); got != "lo" {
		t.Errorf("if_name = %q", got)
	}
	if got := idb.opts[9]; !bytes.Equal(got, []byte{9}) {
		t.Errorf("if_tsresol = %v, want [9]", got)
	}
	if got := string(idb.opts[11]); got != "\x00tcp port 5683" {
		t.Errorf("if_filter = %q", got)
	}
	for i, b := range blocks[2 : 2+npkts] {
		if b.typ != 6 {
			t.Errorf("block %d: type %d, want EPB", i+3, b.typ)
		} else if ifc := le.Uint32(b.body); ifc != 0 {
			t.Errorf("EPB %d: interface %d", i+1, ifc)
		}
	}
	if isb.typ != 5 {
		t.Fatalf("last block type %d, want ISB", isb.typ)
	}
	if v := isb.opts[4]; len(v) != 8 || le.Uint64(v) != uint64(npkts)+2 {
		t.Errorf("isb_ifrecv = %v, want %d", v, npkts+2)
	}
	if v := isb.opts[5]; len(v) != 8 || le.Uint64(v) != 2 {
		t.Errorf("isb_ifdrop = %v, want 2", v)
	}
	if _, ok := isb.opts[2]; !ok {
		t.Errorf("no isb_starttime")
	}
	if _, ok := isb.opts[3]; !ok {
		t.Errorf("no isb_endtime")
	}
}

func TestPcapngSnapLenAndIndex(t *testing.T) {
	var buf bytes.Buffer
	w, err := NewPcapngWriter(&buf, PcapngOptions{LinkType: layers.LinkTypeEthernet, SnapLen: 100})
	if err != nil {
		t.Fatal(err)
	}
	data := bytes.Repeat([]byte{0xab}, 300)
	// InterfaceIndex as a live capture on lo would report it (ifindex 1)
	// and an inconsistent CaptureLength must not make the write fail.
	ci := gopacket.CaptureInfo{Timestamp: time.Unix(1, 2), CaptureLength: 5, Length: 0, InterfaceIndex: 1}
	if err := w.WritePacket(ci, data); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	src, err := NewReader(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	got, gci, err := src.ReadPacket()
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 100 || gci.CaptureLength != 100 || gci.Length != 300 {
		t.Errorf("got %d bytes, ci %d/%d; want 100 bytes of 300", len(got), gci.CaptureLength, gci.Length)
	}
	// No SetStats: the ISB has no counts.
	blocks := parsePcapngBlocks(t, buf.Bytes())
	isb := blocks[len(blocks)-1]
	if isb.typ != 5 {
		t.Fatalf("last block type %d, want ISB", isb.typ)
	}
	if _, ok := isb.opts[4]; ok {
		t.Errorf("isb_ifrecv written without SetStats")
	}
}

func TestCreatePcapngAndTools(t *testing.T) {
	pkts := samplePackets()
	path := filepath.Join(t.TempDir(), "out.pcapng")
	w, err := CreatePcapng(path, testPcapngOptions)
	if err != nil {
		t.Fatal(err)
	}
	// The header is in the file from the start.
	if fi, err := os.Stat(path); err != nil || fi.Size() == 0 {
		t.Fatalf("after CreatePcapng: %v, %v", fi, err)
	}
	writeSample(t, w, pkts)
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
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	checkPcapngBlocks(t, parsePcapngBlocks(t, raw), len(pkts))

	t.Run("capinfos", func(t *testing.T) {
		capinfos := lookTool(t, "capinfos")
		out, err := exec.Command(capinfos, "-c", "-I", path).CombinedOutput()
		if err != nil {
			t.Fatalf("capinfos rejects the file: %v\n%s", err, out)
		}
		m := regexp.MustCompile(`Number of packets:\s*(\d+)`).FindSubmatch(out)
		if m == nil || string(m[1]) != strconv.Itoa(len(pkts)) {
			t.Errorf("capinfos output:\n%s\nwant %d packets", out, len(pkts))
		}
	})
	t.Run("tshark", func(t *testing.T) {
		tshark := lookTool(t, "tshark")
		cmd := exec.Command(tshark, "-r", path, "-T", "fields", "-e", "frame.time_epoch", "-e", "frame.cap_len", "-e", "frame.len")
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("tshark -r: %v\n%s", err, stderr.Bytes())
		}
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		if len(lines) != len(pkts) {
			t.Fatalf("tshark read %d packets, want %d:\n%s", len(lines), len(pkts), out)
		}
		for i, line := range lines {
			f := strings.Split(line, "\t")
			p := pkts[i]
			want := fmt.Sprintf("%d.%09d", p.ci.Timestamp.Unix(), p.ci.Timestamp.Nanosecond())
			if len(f) != 3 || f[0] != want || f[1] != strconv.Itoa(len(p.data)) || f[2] != strconv.Itoa(p.ci.Length) {
				t.Errorf("packet %d: tshark says %q, want %s\t%d\t%d", i+1, line, want, len(p.data), p.ci.Length)
			}
		}
	})
}

func TestCreatePcapngError(t *testing.T) {
	_, err := CreatePcapng(filepath.Join(t.TempDir(), "no", "such", "dir.pcapng"), testPcapngOptions)
	if err == nil || !strings.HasPrefix(err.Error(), "capture: ") {
		t.Errorf("err = %v", err)
	}
}

// lookTool returns the path of an external tool or skips the test.
func lookTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		pkg := map[string]string{"capinfos": "wireshark-common"}[name]
		if pkg == "" {
			pkg = name
		}
		t.Skipf("%s is not installed (Debian package %s); skipping the comparison", name, pkg)
	}
	return p
}

// TestPcapngSeveralInterfaces: AddInterface gives a file several link
// types, WritePacketOn puts each packet on its interface (with its snap
// length), and they read back so; an unknown interface is an error.
func TestPcapngSeveralInterfaces(t *testing.T) {
	var buf bytes.Buffer
	w, err := NewPcapngWriter(&buf, PcapngOptions{LinkType: layers.LinkTypeEthernet})
	if err != nil {
		t.Fatal(err)
	}
	null, err := w.AddInterface(layers.LinkTypeNull, "lo0", 10)
	if err != nil || null != 1 {
		t.Fatalf("AddInterface = %d, %v; want 1", null, err)
	}
	writes := []struct {
		iface int
		n     int
		lt    layers.LinkType
		capN  int
	}{
		{0, 60, layers.LinkTypeEthernet, 60},
		{1, 40, layers.LinkTypeNull, 10},
		{0, 70, layers.LinkTypeEthernet, 70},
	}
	for i, wr := range writes {
		ci := gopacket.CaptureInfo{Timestamp: time.Unix(int64(i+1), 0), CaptureLength: wr.n, Length: wr.n}
		if err := w.WritePacketOn(wr.iface, ci, make([]byte, wr.n)); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.WritePacketOn(2, gopacket.CaptureInfo{Timestamp: time.Unix(9, 0)}, nil); err == nil {
		t.Errorf("WritePacketOn(2) on a file of 2 interfaces: no error")
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	src, err := NewReader(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	for i, wr := range writes {
		data, ci, err := src.ReadPacket()
		if err != nil {
			t.Fatalf("packet %d: %v", i+1, err)
		}
		if lt := src.LinkType(ci); lt != wr.lt || ci.InterfaceIndex != wr.iface || len(data) != wr.capN || ci.Length != wr.n {
			t.Errorf("packet %d: %s on %d, %d of %d bytes; want %s on %d, %d of %d", i+1, lt, ci.InterfaceIndex, len(data), ci.Length, wr.lt, wr.iface, wr.capN, wr.n)
		}
	}
}
