package capture

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket/layers"

	"wiretap/capture/oracletest"
)

// pcapBuilder writes a pcap file byte by byte.
type pcapBuilder struct {
	o    binary.AppendByteOrder
	nano bool
	b    []byte
}

func newPcapBuilder(o binary.AppendByteOrder, nano bool, snap, linkField uint32) *pcapBuilder {
	w := &pcapBuilder{o: o, nano: nano}
	magic := uint32(magicPcapMicroBE)
	if nano {
		magic = magicPcapNanoBE
	}
	w.b = o.AppendUint32(w.b, magic)
	w.b = o.AppendUint16(w.b, 2)
	w.b = o.AppendUint16(w.b, 4)
	w.b = o.AppendUint32(w.b, 0)
	w.b = o.AppendUint32(w.b, 0)
	w.b = o.AppendUint32(w.b, snap)
	w.b = o.AppendUint32(w.b, linkField)
	return w
}

func (w *pcapBuilder) record(sec, frac uint32, data []byte, origLen uint32) *pcapBuilder {
	w.b = w.o.AppendUint32(w.b, sec)
	w.b = w.o.AppendUint32(w.b, frac)
	w.b = w.o.AppendUint32(w.b, uint32(len(data)))
	w.b = w.o.AppendUint32(w.b, origLen)
	w.b = append(w.b, data...)
	return w
}

// pcapRecordStarts lists where records start (and the end of the file).
func pcapRecordStarts(t *testing.T, b []byte) map[int]bool {
	var o binary.ByteOrder = binary.LittleEndian
	if m := binary.BigEndian.Uint32(b); m == magicPcapMicroBE || m == magicPcapNanoBE {
		o = binary.BigEndian
	}
	starts := map[int]bool{0: true}
	off := pcapFileHeaderLen
	for off < len(b) {
		starts[off] = true
		off += pcapRecordHeaderLen + int(o.Uint32(b[off+8:]))
	}
	if off != len(b) {
		t.Fatalf("records end at %d, file at %d", off, len(b))
	}
	starts[off] = true
	return starts
}

func TestPcapDetails(t *testing.T) {
	// The link type field's upper bits (FCS length) are not part of the
	// link type; a captured length above the original length is read, as
	// tshark and tcpdump do; so is a record bigger than the read buffer.
	big := payload(400_000, 3)
	w := newPcapBuilder(binary.BigEndian, true, 1<<20, 0x6000_0000|uint32(layers.LinkTypeLinuxSLL2))
	w.record(1, 999_999_999, []byte{1, 2, 3}, 2)
	w.record(2, 0, big, 500_000)
	w.record(0xffff_fffe, 5, nil, 0) // 2106
	src, err := NewReader(bytes.NewReader(w.b))
	if err != nil {
		t.Fatal(err)
	}
	fs := src.(*FileSource)
	want := []struct {
		ts   time.Time
		data []byte
		len  int
	}{
		{time.Unix(1, 999_999_999), []byte{1, 2, 3}, 2},
		{time.Unix(2, 0), big, 500_000},
		{time.Unix(0xffff_fffe, 5), []byte{}, 0},
	}
	for i, p := range want {
		data, ci, err := src.ReadPacket()
		if err != nil {
			t.Fatalf("packet %d: %v", i+1, err)
		}
		if !bytes.Equal(data, p.data) || !ci.Timestamp.Equal(p.ts) || ci.Length != p.len || ci.InterfaceIndex != 0 ||
			src.LinkType(ci) != layers.LinkTypeLinuxSLL2 || ci.AncillaryData[0] != layers.LinkTypeLinuxSLL2 {
			t.Errorf("packet %d: %d bytes, %v, len %d, interface %d, %v", i+1, len(data), ci.Timestamp, ci.Length, ci.InterfaceIndex, src.LinkType(ci))
		}
	}
	if _, _, err := src.ReadPacket(); err != io.EOF {
		t.Errorf("at the end: %v", err)
	}
	info := fs.Info()
	if info.Format != "pcap" || info.ByteOrder != binary.BigEndian || info.VersionMajor != 2 || info.VersionMinor != 4 || info.Sections != nil {
		t.Errorf("info %+v", info)
	}
	ifs := fs.Interfaces()
	if len(ifs) != 1 || ifs[0] != (InterfaceInfo{LinkType: layers.LinkTypeLinuxSLL2, SnapLen: 1 << 20, TsResol: 9, TsResolNanos: 1, Received: -1, Dropped: -1}) {
		t.Errorf("interfaces %+v", ifs)
	}
}

func TestPcapCorrupt(t *testing.T) {
	w := newPcapBuilder(binary.LittleEndian, false, 65535, 1)
	w.record(1, 2, payload(10, 0), 10)
	at := len(w.b)
	w.b = binary.LittleEndian.AppendUint32(w.b, 3)
	w.b = binary.LittleEndian.AppendUint32(w.b, 4)
	w.b = binary.LittleEndian.AppendUint32(w.b, 0x7000_0000)
	w.b = binary.LittleEndian.AppendUint32(w.b, 100)
	lines, _, err := readAllBytes(w.b)
	if len(lines) != 1 || err == nil {
		t.Fatalf("%d packets, then %v", len(lines), err)
	}
	checkFileError(t, err, ErrCorrupt)
	if want := fmt.Sprintf("capture: input: corrupt packet record at byte %d: captured length 1879048192 is more than 268435456", at); err.Error() != want {
		t.Errorf("error %q\nwant  %q", err, want)
	}
}

// Every pcap file of the test data, and one of each byte order and
// resolution, cut at every byte offset (or at a stride for bigger files).
func TestPcapTruncateEverywhere(t *testing.T) {
	files := map[string][]byte{}
	for _, o := range []binary.AppendByteOrder{binary.LittleEndian, binary.BigEndian} {
		for _, nano := range []bool{false, true} {
			w := newPcapBuilder(o, nano, 262144, 1)
			for i := range 5 {
				w.record(uint32(1000+i), uint32(i*999), payload(i*13, byte(i)), uint32(i*13))
			}
			files[fmt.Sprintf("%v nano=%v", o, nano)] = w.b
		}
	}
	for _, name := range []string{
		"formats/gopacket/test_dns.pcap",
		"formats/tcpdump/tcp-handshake-nano.pcap",
		"formats/tcpdump/ipv4_tcp_http_xml_tso.pcap",
		"tls/illustrated-tls13/capture.pcap",
		"http/zeek/get.pcap",
	} {
		b, err := os.ReadFile(oracletest.Shared(name))
		if err != nil {
			t.Fatal(err)
		}
		files[name] = b
	}
	for name, b := range files {
		t.Run(name, func(t *testing.T) {
			boundaries := pcapRecordStarts(t, b)
			truncateEverywhere(t, b, boundaries)
			// A cut in the file header.
			_, _, err := readAllBytes(b[:10])
			fe := checkFileError(t, err, io.ErrUnexpectedEOF)
			if fe.Offset != 0 || err.Error() != "capture: input: truncated pcap file header at byte 0 (24 bytes needed, 10 left)" {
				t.Errorf("cut header: %v", err)
			}
		})
	}
}

func gzipBytes(b []byte) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(b)
	zw.Close()
	return buf.Bytes()
}

// Every capture of the test data reads the same gzip-compressed.
func TestGzipSameAsPlain(t *testing.T) {
	n := 0
	files, err := oracletest.SharedFiles()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		path := f.Path
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		plain, _, err := readAllBytes(b)
		if err != nil {
			continue // not a capture (or test901's kind): see TestOracleFiles
		}
		if len(b) >= 4 && binary.BigEndian.Uint32(b) == magicPcapng {
			n++
		}
		gz, _, err := readAllBytes(gzipBytes(b))
		if err != nil {
			t.Errorf("%s gzip-compressed: %v", path, err)
		}
		if strings.Join(gz, "\n") != strings.Join(plain, "\n") {
			t.Errorf("%s: gzip-compressed gives %d packets, plain %d (or they differ)", path, len(gz), len(plain))
		}
	}
	if n < 50 {
		t.Errorf("only %d pcapng files compared", n)
	}
	// Concatenated gzip members are one stream.
	b, _ := os.ReadFile(oracletest.Shared("formats/gopacket/test_dns.pcap"))
	plain, _, _ := readAllBytes(b)
	two, _, err := readAllBytes(append(gzipBytes(b[:500]), gzipBytes(b[500:])...))
	if err != nil || strings.Join(two, "\n") != strings.Join(plain, "\n") {
		t.Errorf("two gzip members: %d packets, %v", len(two), err)
	}
}

func TestGzipFaults(t *testing.T) {
	b, err := os.ReadFile(oracletest.Shared("formats/gopacket/test_dns.pcap"))
	if err != nil {
		t.Fatal(err)
	}
	z := gzipBytes(b)
	t.Run("cut", func(t *testing.T) {
		// Cut anywhere in the compressed stream: no panic, a prefix of
		// the packets, an error that says the gzip data is cut short.
		all, _, _ := readAllBytes(b)
		for cut := 10; cut < len(z)-8; cut++ {
			lines, _, err := readAllBytes(z[:cut])
			if err == nil || !strings.Contains(err.Error(), "gzip data is cut short") {
				t.Fatalf("cut at %d: %v", cut, err)
			}
			checkFileError(t, err, io.ErrUnexpectedEOF)
			if strings.Join(lines, "\n") != strings.Join(all[:len(lines)], "\n") {
				t.Fatalf("cut at %d: packets differ", cut)
			}
		}
	})
	t.Run("corrupt", func(t *testing.T) {
		bad := bytes.Clone(z)
		bad[len(bad)-6] ^= 0xff // the CRC
		lines, _, err := readAllBytes(bad)
		if len(lines) != 10 || err == nil || !strings.Contains(err.Error(), "capture: input: reading at uncompressed byte 1001: gzip: invalid checksum") {
			t.Errorf("%d packets, then %v", len(lines), err)
		}
	})
	t.Run("text", func(t *testing.T) {
		_, _, err := readAllBytes(gzipBytes([]byte("GET / HTTP/1.1\r\nHost: x\r\n")))
		if err == nil || err.Error() != `capture: input is not a capture file (it looks like gzip-compressed text: "GET / HTTP/1.1")` {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("empty", func(t *testing.T) {
		_, _, err := readAllBytes(gzipBytes(nil))
		if err == nil || err.Error() != "capture: input is empty after gzip decompression" {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("twice", func(t *testing.T) {
		_, _, err := readAllBytes(gzipBytes(z))
		if err == nil || err.Error() != "capture: input: gzip data inside gzip data; decompress it first" {
			t.Errorf("err = %v", err)
		}
	})
}

func TestNotCaptureMessages(t *testing.T) {
	rnd := rand.New(rand.NewPCG(1, 2))
	random := make([]byte, 4096)
	for i := range random {
		random[i] = byte(rnd.Uint32())
	}
	for _, tc := range []struct {
		name string
		b    []byte
		want string
	}{
		{"empty", nil, "capture: input is empty"},
		{"text", []byte("Capture notes\nmore\n"), `capture: input is not a capture file (it looks like text: "Capture notes")`},
		{"key log", []byte("CLIENT_RANDOM 0102 0304\n"), `capture: input is not a capture file (it looks like text: "CLIENT_RANDOM 0102 0304")`},
		{"random bytes", random, fmt.Sprintf("capture: input: unknown magic 0x%08x (not a pcap or pcapng file)", binary.BigEndian.Uint32(random))},
		{"ELF", append([]byte("\x7fELF\x02\x01\x01"), make([]byte, 60)...), "capture: input: unknown magic 0x7f454c46: an ELF executable, not a capture file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := readAllBytes(tc.b)
			if err == nil || err.Error() != tc.want {
				t.Errorf("err = %v\nwant    %s", err, tc.want)
			}
			checkFileError(t, err, ErrNotCapture)
		})
	}
}
