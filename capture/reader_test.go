package capture

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket/layers"

	"wiretap/capture/oracletest"
)

// Counts are what `tshark -r FILE | wc -l` (TShark 4.0.17) and capinfos say;
// first timestamps as tshark's frame.time_epoch. The files are the shared
// test captures (oracletest.Shared; see their SOURCES).
var readerCases = []struct {
	file      string
	count     int
	firstNano int64                   // first packet's timestamp, ns since the epoch
	links     map[layers.LinkType]int // packets per link type
}{
	{"formats/heuristics/microsecs.pcap", 2, 1000002000, map[layers.LinkType]int{layers.LinkTypeEthernet: 2}},
	{"formats/heuristics/nanosecs.pcap", 2, 1000002000, map[layers.LinkType]int{layers.LinkTypeEthernet: 2}},
	{"formats/tcpdump/tcp-handshake-nano.pcap", 3, 1418145369924505488, map[layers.LinkType]int{layers.LinkTypeLinuxSLL: 3}},
	// The nanosecond field of the last packet is 10^9 or more; tshark
	// still shows all three packets.
	{"formats/tcpdump/timestamp_invalid_nano.pcap", 3, 1418145369999999999, map[layers.LinkType]int{layers.LinkTypeLinuxSLL: 3}},
	{"formats/tcpdump/ipv4_tcp_http_xml.pcap", 1, 1395173523342266000, map[layers.LinkType]int{layers.LinkTypeEthernet: 1}},
	{"formats/gopacket/test_dns.pcap", 10, 1413306485708342000, map[layers.LinkType]int{layers.LinkTypeEthernet: 10}},
	{"formats/heuristics/pcapng-example.pcapng", 1, 1422527998578402281, map[layers.LinkType]int{layers.LinkTypeEthernet: 1}},
	// 11 interfaces; two packets on a NULL (BSD loopback) interface.
	{"formats/heuristics/many_interfaces-1.pcapng", 64, 1439753725701607000, map[layers.LinkType]int{layers.LinkTypeEthernet: 62, layers.LinkTypeNull: 2}},
	{"formats/tcpdump/empty.pcapng", 0, 0, map[layers.LinkType]int{}},
	// A timestamp past 2106 (more than 32 bits of seconds).
	{"formats/tcpdump/time_2107.pcapng", 1, 4323283200000000000, map[layers.LinkType]int{layers.LinkTypeEthernet: 1}},
	// Big-endian pcapng.
	{"pcapng-structure/output_be/basic/test001.pcapng", 4, 0, map[layers.LinkType]int{layers.LinkTypeEthernet: 4}},
}

func TestReadFiles(t *testing.T) {
	for _, tc := range readerCases {
		t.Run(tc.file, func(t *testing.T) {
			src, err := OpenFile(oracletest.Shared(tc.file))
			if err != nil {
				t.Fatal(err)
			}
			defer src.Close()
			n := 0
			links := map[layers.LinkType]int{}
			for {
				data, ci, err := src.ReadPacket()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatalf("packet %d: %v", n+1, err)
				}
				if n == 0 && ci.Timestamp.UnixNano() != tc.firstNano {
					t.Errorf("first timestamp %d, want %d", ci.Timestamp.UnixNano(), tc.firstNano)
				}
				if len(data) != ci.CaptureLength {
					t.Errorf("packet %d: %d bytes, CaptureLength %d", n+1, len(data), ci.CaptureLength)
				}
				n++
				links[src.LinkType(ci)]++
			}
			if n != tc.count {
				t.Errorf("%d packets, want %d", n, tc.count)
			}
			for lt, c := range tc.links {
				if links[lt] != c {
					t.Errorf("link types %v, want %v", links, tc.links)
					break
				}
			}
			// EOF is sticky.
			if _, _, err := src.ReadPacket(); err != io.EOF {
				t.Errorf("read after EOF: %v", err)
			}
		})
	}
}

func TestReadErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	bogus := oracletest.Shared("formats/heuristics/bogus-content.txt")
	long := strings.Repeat("GET / HTTP/1.1 with a very long first line that goes on ", 3)
	cases := []struct {
		name, path, want string
	}{
		{"empty", write("empty.pcap", nil), "capture: " + filepath.Join(dir, "empty.pcap") + " is empty"},
		{"text", bogus, `capture: ` + bogus + ` is not a capture file (it looks like text: "4561d5a474d6as465d8as41d1as6531863d1as65d1a36d1")`},
		{"SOURCES", "testdata/SOURCES", `capture: testdata/SOURCES is not a capture file (it looks like text: "Capture files for capture's tests, each stored once in the m…")`},
		{"long line", write("long.pcap", []byte(long+"\nsecond line\n")), `is not a capture file (it looks like text: "GET / HTTP/1.1 with a very long first line that goes on GET …")`},
		{"short text", write("ab", []byte("ab")), `is not a capture file (it looks like text: "ab")`},
		{"binary", write("bin.pcap", []byte{0xde, 0xad, 0xbe, 0xef, 0, 1, 2, 3}), ": unknown magic 0xdeadbeef"},
		{"gzip cut short", write("x.pcap.gz", []byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3}), ": the gzip data is cut short at uncompressed byte 0"},
		{"gzip header", write("y.pcap.gz", []byte{0x1f, 0x8b, 9, 0, 0, 0, 0, 0, 0, 3}), ": corrupt gzip header: gzip: invalid header"},
		{"zstd", write("z.pcap", []byte{0x28, 0xb5, 0x2f, 0xfd, 0, 0, 0, 0}), ": unknown magic 0x28b52ffd: zstd-compressed data; decompress it first (zstd -d)"},
		{"modified pcap", write("m.pcap", []byte{0xa1, 0xb2, 0xcd, 0x34, 0, 2, 0, 4}), "unknown magic 0xa1b2cd34: a modified (Kuznetzov) pcap file"},
		{"tiny binary", write("tiny", []byte{0xff, 0x00}), "is too short to be a capture file (2 bytes)"},
		{"one byte", write("one", []byte{0xff}), "is too short to be a capture file (1 byte)"},
		{"cut magic", write("cut-magic", []byte{0xd4, 0xc3}), ": truncated file header at byte 0 (a magic number starts there, but only 2 of its 4 bytes)"},
		{"blank text", write("blank", []byte("\n\n  \n")), "is not a capture file (it looks like text, blank)"},
		{"cut pcap header", write("cut.pcap", []byte{0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0}), ": truncated pcap file header at byte 0 (24 bytes needed, 8 left)"},
		{"pcap version 1", write("v1.pcap", pcapHeaderBytes(1, 0)), ": pcap version 1.0 is not supported (only 2.x)"},
		{"bad pcapng", write("bad.pcapng", []byte{0x0a, 0x0d, 0x0d, 0x0a, 28, 0, 0, 0, 1, 2, 3, 4}), ": corrupt pcapng block at byte 0: section header byte-order magic is 0x01020304, not 0x1a2b3c4d in either byte order"},
		{"cut pcapng", write("cut.pcapng", []byte{0x0a, 0x0d, 0x0d, 0x0a, 28, 0, 0, 0, 0x4d, 0x3c, 0x2b, 0x1a, 1, 0}), ": truncated pcapng block at byte 0 (section header block; block length says 28 bytes, 14 left)"},
		{"missing", filepath.Join(dir, "nope.pcap"), "capture: open " + filepath.Join(dir, "nope.pcap") + ": no such file or directory"},
		{"directory", dir, "is a directory, not a capture file"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			src, err := OpenFile(tc.path)
			if err == nil {
				src.Close()
				t.Fatalf("no error")
			}
			if !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "capture: ") {
				t.Errorf("error %q\nwant it to contain %q", err, tc.want)
			}
		})
	}
}

func TestNewReaderEmpty(t *testing.T) {
	_, err := NewReader(bytes.NewReader(nil))
	if err == nil || err.Error() != "capture: input is empty" {
		t.Errorf("err = %v", err)
	}
}

// A pcap cut in the middle of a packet reads the whole packets, then fails
// with an error that says so.
func TestReadTruncated(t *testing.T) {
	b, err := os.ReadFile(oracletest.Shared("formats/gopacket/test_dns.pcap"))
	if err != nil {
		t.Fatal(err)
	}
	src, err := NewReader(bytes.NewReader(b[:len(b)-10]))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for {
		_, _, err = src.ReadPacket()
		if err != nil {
			break
		}
		n++
	}
	var fe *FileError
	if n != 9 || !errors.Is(err, io.ErrUnexpectedEOF) || !errors.As(err, &fe) || fe.Packets != 9 || fe.Offset != 902 ||
		err.Error() != "capture: input: truncated packet record at byte 902 (header says 83 bytes, 73 left)" {
		t.Errorf("read %d packets, then %v", n, err)
	}
	if _, _, err2 := src.ReadPacket(); err2 != err {
		t.Errorf("error not sticky: %v", err2)
	}
}

// pcapHeaderBytes is a little-endian µs pcap file header (Ethernet).
func pcapHeaderBytes(major, minor uint16) []byte {
	b := binary.LittleEndian.AppendUint32(nil, magicPcapMicroBE)
	b = binary.LittleEndian.AppendUint16(b, major)
	b = binary.LittleEndian.AppendUint16(b, minor)
	b = binary.LittleEndian.AppendUint32(b, 0)
	b = binary.LittleEndian.AppendUint32(b, 0)
	b = binary.LittleEndian.AppendUint32(b, 65535)
	return binary.LittleEndian.AppendUint32(b, uint32(layers.LinkTypeEthernet))
}

// pcap in all four magic variants: µs/ns × little/big-endian.
func TestReadPcapByteOrders(t *testing.T) {
	ts := time.Unix(1700000000, 123456789)
	data := []byte{1, 2, 3, 4, 5}
	for _, tc := range []struct {
		name  string
		order binary.AppendByteOrder
		nano  bool
	}{
		{"le-us", binary.LittleEndian, false},
		{"be-us", binary.BigEndian, false},
		{"le-ns", binary.LittleEndian, true},
		{"be-ns", binary.BigEndian, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b []byte
			magic, frac := uint32(0xa1b2c3d4), uint32(ts.Nanosecond()/1000)
			want := ts.Truncate(time.Microsecond)
			if tc.nano {
				magic, frac, want = 0xa1b23c4d, uint32(ts.Nanosecond()), ts
			}
			b = tc.order.AppendUint32(b, magic)
			b = tc.order.AppendUint16(b, 2)
			b = tc.order.AppendUint16(b, 4)
			b = tc.order.AppendUint32(b, 0)     // thiszone
			b = tc.order.AppendUint32(b, 0)     // sigfigs
			b = tc.order.AppendUint32(b, 65535) // snaplen
			b = tc.order.AppendUint32(b, uint32(layers.LinkTypeRaw))
			b = tc.order.AppendUint32(b, uint32(ts.Unix()))
			b = tc.order.AppendUint32(b, frac)
			b = tc.order.AppendUint32(b, uint32(len(data)))
			b = tc.order.AppendUint32(b, 1500)
			b = append(b, data...)

			src, err := NewReader(bytes.NewReader(b))
			if err != nil {
				t.Fatal(err)
			}
			got, ci, err := src.ReadPacket()
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, data) || !ci.Timestamp.Equal(want) || ci.Length != 1500 || src.LinkType(ci) != layers.LinkTypeRaw {
				t.Errorf("got %v %v len %d link %v", got, ci.Timestamp, ci.Length, src.LinkType(ci))
			}
			if _, _, err := src.ReadPacket(); err != io.EOF {
				t.Errorf("want EOF, got %v", err)
			}
		})
	}
}

func TestOpenFileStdin(t *testing.T) {
	f, err := os.Open(oracletest.Shared("formats/heuristics/nanosecs.pcap"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	old := os.Stdin
	os.Stdin = f
	defer func() { os.Stdin = old }()
	src, err := OpenFile("-")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for {
		if _, _, err := src.ReadPacket(); err != nil {
			if err != io.EOF {
				t.Fatal(err)
			}
			break
		}
		n++
	}
	if n != 2 {
		t.Errorf("%d packets from stdin, want 2", n)
	}
	if err := src.Close(); err != nil {
		t.Error(err)
	}

	empty, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer empty.Close()
	os.Stdin = empty
	if _, err := OpenFile("-"); err == nil || err.Error() != "capture: standard input is empty" {
		t.Errorf("empty stdin: %v", err)
	}
}

func TestNotCaptureFirstLine(t *testing.T) {
	_, err := NewReader(strings.NewReader("\n\n  # capture notes\nmore\n"))
	if err == nil || err.Error() != `capture: input is not a capture file (it looks like text: "# capture notes")` {
		t.Errorf("err = %v", err)
	}
}

// readAllBytes reads a capture held in memory: a line per packet (see
// packetLine), the byte offset where each packet's record or block ends,
// and the error that ended the reading (nil at io.EOF).
func readAllBytes(b []byte) (lines []string, ends []int64, err error) {
	src, err := NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, nil, err
	}
	defer src.Close()
	fs := src.(*FileSource)
	for {
		data, ci, err := src.ReadPacket()
		if err == io.EOF {
			return lines, ends, nil
		}
		if err != nil {
			return lines, ends, err
		}
		if len(data) != ci.CaptureLength {
			return lines, ends, fmt.Errorf("packet %d: %d bytes, CaptureLength %d", len(lines)+1, len(data), ci.CaptureLength)
		}
		lines = append(lines, packetLine(ci, data))
		ends = append(ends, fs.off)
	}
}

// checkFileError checks that err is a *FileError of the given kind whose
// message names its offset.
func checkFileError(t *testing.T, err error, kind error) *FileError {
	t.Helper()
	var fe *FileError
	if !errors.As(err, &fe) {
		t.Fatalf("error %v (%T) is not a *FileError", err, err)
	}
	if !errors.Is(err, kind) {
		t.Errorf("error %q does not wrap %v", err, kind)
	}
	if !strings.HasPrefix(err.Error(), "capture: ") {
		t.Errorf("error %q lacks the prefix", err)
	}
	if fe.Offset >= 0 && !strings.Contains(err.Error(), fmt.Sprintf("byte %d", fe.Offset)) {
		t.Errorf("error %q does not name its offset %d", err, fe.Offset)
	}
	return fe
}
