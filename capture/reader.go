package capture

// Reading capture files.
//
// wiretap reads pcap and pcapng with its own parsers (pcapread.go,
// pcapngread.go) rather than gopacket's pcapgo. pcapgo.NgReader (v1.7.7)
// cannot do what `wiretap read` needs:
//   - its errors carry no byte offsets;
//   - it does not check lengths: a block length below 12, or a captured
//     length beyond the block (EPB, or an SPB's original length), wraps its
//     unsigned remaining-length counter around, and the trailing block
//     length is never compared with the leading one;
//   - CaptureInfo.InterfaceIndex restarts at 0 in every section, so the
//     interfaces of different sections cannot be told apart;
//   - it scales binary if_tsresol with integer factors: 2^-n is exact only
//     for n <= 9, and from 2^-30 on the nanoseconds are off by up to 7%;
//   - it reads no gzip-compressed pcapng.
//
// pcapgo.Reader (pcap) has no byte offsets in its errors either, rejects
// minor versions other than 4 and captured lengths above the original
// length (both of which tcpdump and tshark read), and multiplies the
// microsecond field by 1000 in 32 bits (an out-of-range value wraps).
//
// Both parsers here work on one bufio.Reader of readBufSize (256 KiB)
// bytes, less for a smaller file: a record
// that fits is returned as a slice of the bufio buffer (Peek, then Discard),
// larger ones are copied into one reusable buffer that grows only as bytes
// actually arrive (a corrupt length cannot make it allocate gigabytes).
// Reading a packet allocates nothing.

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"unicode/utf8"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// Source is a stream of captured packets, e.g. a capture file.
type Source interface {
	// ReadPacket returns the next packet, or io.EOF at the end. data is
	// valid until the next call.
	ReadPacket() (data []byte, ci gopacket.CaptureInfo, err error)
	// LinkType is the link type of a packet just read (pcapng files may
	// have interfaces of several link types).
	LinkType(ci gopacket.CaptureInfo) layers.LinkType
	// Close releases the source (and closes the file OpenFile opened).
	Close() error
}

// InterfaceLister is implemented by Sources that describe the interfaces
// their packets were captured on (the FileSource of OpenFile and NewReader).
// ci.InterfaceIndex of a packet indexes the list.
type InterfaceLister interface {
	Interfaces() []InterfaceInfo
}

// SecretsReader is implemented by Sources that keep the Decryption
// Secrets Blocks of a pcapng file (the FileSource of OpenFile and
// NewReader).
type SecretsReader interface {
	// Secrets returns the Decryption Secrets Blocks read so far, in
	// file order. A block's secrets apply to the packets after it, so
	// the list grows as packets are read: look again after ReadPacket.
	Secrets() []Secret
}

// Secret is the payload of one pcapng Decryption Secrets Block: keys that
// decrypt packets after it in the file.
type Secret struct {
	Type uint32 // secrets type: SecretsTLSKeyLog, ...
	Data []byte // the secrets, without padding; a copy of the file's bytes
	// Block is the index of the block in the file, counting every block
	// from 0 (the first section header); Offset its byte offset (for
	// gzip-compressed input, in the uncompressed data).
	Block   int
	Offset  int64
	Section int // index of the pcapng section (SourceInfo.Sections)
	// Packets is the number of packets before the block: the secrets
	// come into effect with packet Packets+1.
	Packets  int
	Comments []string // opt_comment
}

// Secrets types of Decryption Secrets Blocks: four ASCII letters each,
// read as a number. Wireshark lists these (secrets-types.h); wiretap's
// decode reads the TLS key log.
const (
	SecretsTLSKeyLog   = 0x544c534b // "TLSK": NSS key log text (SSLKEYLOGFILE)
	SecretsSSHKeyLog   = 0x5353484b // "SSHK": SSH key log
	SecretsWireGuard   = 0x57474b4c // "WGKL": WireGuard key log
	SecretsZigbeeNWK   = 0x5a4e574b // "ZNWK": Zigbee network key
	SecretsZigbeeAPS   = 0x5a415053 // "ZAPS": Zigbee APS key
	SecretsOPCUAKeyLog = 0x55414b4c // "UAKL": OPC UA key log
	SecretsESPKey      = 0x45535053 // "ESPS": IPsec ESP security association key
)

// SecretsTypeName names a Decryption Secrets Block's secrets type: "TLS
// key log", or "secrets type 0x01020304" for a type it does not know.
func SecretsTypeName(typ uint32) string {
	switch typ {
	case SecretsTLSKeyLog:
		return "TLS key log"
	case SecretsSSHKeyLog:
		return "SSH key log"
	case SecretsWireGuard:
		return "WireGuard key log"
	case SecretsZigbeeNWK:
		return "Zigbee NWK key"
	case SecretsZigbeeAPS:
		return "Zigbee APS key"
	case SecretsOPCUAKeyLog:
		return "OPC UA key log"
	case SecretsESPKey:
		return "ESP SA key"
	}
	return fmt.Sprintf("secrets type 0x%08x", typ)
}

// Errors a FileSource returns wrap one of these (or io.ErrUnexpectedEOF for
// a file that is cut short, or the error of the underlying reader), so
// callers can tell them apart with errors.Is.
var (
	// ErrNotCapture: the input is not a pcap or pcapng file (text, an
	// empty file, an unknown magic number).
	ErrNotCapture = errors.New("capture: not a capture file")
	// ErrUnsupported: a capture format or version wiretap does not read.
	ErrUnsupported = errors.New("capture: unsupported capture format")
	// ErrCorrupt: a header, record or block that cannot be right.
	ErrCorrupt = errors.New("capture: corrupt capture file")
)

// FileError is the error a FileSource returns for input that is not a
// capture file, or is truncated or corrupt. Its message names the file and,
// where there is one, the byte offset of the faulty header, record or block:
//
//	capture: x.pcap: truncated packet record at byte 1234 (header says 1514 bytes, 310 left)
//
// For gzip-compressed input the offset counts uncompressed bytes ("at
// uncompressed byte 1234").
type FileError struct {
	Msg     string // the whole message
	Offset  int64  // byte offset of the faulty part; -1 if none
	Packets int    // packets read before the error
	Err     error  // ErrNotCapture, ErrUnsupported, ErrCorrupt, io.ErrUnexpectedEOF or an I/O error
}

func (e *FileError) Error() string { return e.Msg }
func (e *FileError) Unwrap() error { return e.Err }

// InterfaceInfo describes one interface of a capture file: the one
// interface of a pcap file, or one Interface Description Block of a pcapng
// file.
type InterfaceInfo struct {
	Name        string // if_name; "" if not given (always for pcap)
	Description string // if_description
	Filter      string // if_filter (a libpcap filter string), if given
	OS          string // if_os
	LinkType    layers.LinkType
	SnapLen     int // 0: not limited
	// TsResol is the timestamp resolution as pcapng's if_tsresol byte:
	// 6 = µs, 9 = ns; with the high bit set, 2^-(low 7 bits) seconds.
	// A pcap file reports 6 or 9.
	TsResol uint8
	// TsResolNanos is one timestamp tick in nanoseconds: 1000 for µs,
	// 1 for ns, 3906250 for 2^-8 s.
	TsResolNanos float64
	// TsOffset (if_tsoffset) is added, in seconds, to every timestamp;
	// the timestamps ReadPacket returns include it.
	TsOffset int64
	// Section is the index of the pcapng section that described the
	// interface (0 for pcap).
	Section int
	// Received and Dropped are isb_ifrecv and isb_ifdrop of the last
	// Interface Statistics Block read for the interface; -1 if not given.
	Received, Dropped int64
}

// SectionInfo describes one section of a pcapng file.
type SectionInfo struct {
	Offset       int64 // byte offset of the Section Header Block
	ByteOrder    binary.ByteOrder
	VersionMajor int
	VersionMinor int
	// Skipped: the major version is not 1, so the section's blocks were
	// skipped, as the pcapng specification asks (tshark stops there).
	Skipped     bool
	Hardware    string // shb_hardware
	OS          string // shb_os
	Application string // shb_userappl
	Comments    []string
}

// SourceInfo describes a capture file.
type SourceInfo struct {
	Format      string // "pcap" or "pcapng"
	Compression string // "gzip", or "" for a plain file
	// ByteOrder, VersionMajor and VersionMinor are those of the pcap file
	// header, or of the first pcapng section.
	ByteOrder    binary.ByteOrder
	VersionMajor int
	VersionMinor int
	// Sections are the pcapng sections seen so far (nil for pcap).
	Sections []SectionInfo
}

// Magic numbers, as the first four bytes of a file read big-endian.
const (
	magicPcapMicroBE = 0xa1b2c3d4 // pcap, µs, big-endian
	magicPcapMicroLE = 0xd4c3b2a1 // pcap, µs, little-endian
	magicPcapNanoBE  = 0xa1b23c4d // pcap, ns, big-endian
	magicPcapNanoLE  = 0x4d3cb2a1 // pcap, ns, little-endian
	magicPcapng      = 0x0a0d0d0a // pcapng section header block (same both ways)
)

const (
	// readBufSize is the size of the read buffer; records up to this size
	// are returned without copying.
	readBufSize = 256 << 10
	// maxRecordLen bounds a pcap record's captured length and a pcapng
	// block's length; anything longer is reported as corrupt.
	maxRecordLen = 256 << 20
)

// OpenFile opens a pcap or pcapng file, either of them possibly
// gzip-compressed; "-" reads standard input. The format is told by the
// file's magic number, never by its name. The Source is a *FileSource.
func OpenFile(path string) (Source, error) {
	if path == "-" {
		s, err := newReader(os.Stdin, "standard input")
		if err != nil {
			return nil, err
		}
		return s, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("capture: %w", err)
	}
	if fi, err := f.Stat(); err == nil && fi.IsDir() {
		f.Close()
		return nil, &FileError{Msg: fmt.Sprintf("capture: %s is a directory, not a capture file", path), Offset: -1, Err: ErrNotCapture}
	}
	s, err := newReader(f, path)
	if err != nil {
		f.Close()
		return nil, err
	}
	s.closer = f
	return s, nil
}

// NewReader reads a pcap or pcapng stream (possibly gzip-compressed) from
// r, told apart by the magic number. Closing the Source does not close r.
// The Source is a *FileSource.
func NewReader(r io.Reader) (Source, error) {
	s, err := newReader(r, "input")
	if err != nil {
		return nil, err
	}
	return s, nil
}

// FileSource reads a pcap or pcapng file. Besides the Source methods it
// describes the file (Info) and its interfaces (Interfaces), and keeps
// a pcapng file's decryption secrets (Secrets).
type FileSource struct {
	name   string
	br     *bufio.Reader
	off    int64 // offset in the (uncompressed) stream of br's next byte
	big    []byte
	gz     *gzip.Reader
	closer io.Closer
	n      int   // packets read
	pktOff int64 // offset of the data of the packet read last
	err    error // sticky error, io.EOF at the end
	info   SourceInfo
	ifaces []InterfaceInfo
	ifts   []tsConv        // per interface, parallel to ifaces
	ancil  [][]interface{} // per interface: {LinkType}, for ci.AncillaryData

	ng    bool // pcapng, else pcap
	be    bool // byte order: of the pcap file or the current pcapng section
	pcapN bool // pcap: nanosecond timestamps

	// pcapng: the current section.
	secIfaces []int // section-local interface ID -> index in ifaces
	skipping  bool  // in a section of unknown major version
	blocks    int   // blocks read
	secrets   []Secret
}

var (
	_ Source          = (*FileSource)(nil)
	_ InterfaceLister = (*FileSource)(nil)
	_ SecretsReader   = (*FileSource)(nil)
)

func newReader(r io.Reader, name string) (*FileSource, error) {
	s := &FileSource{name: name, br: bufio.NewReaderSize(r, bufSizeFor(r))}
	if err := s.start(); err != nil {
		return nil, err
	}
	return s, nil
}

// start recognises the format by its magic number and reads the file
// header.
func (s *FileSource) start() error {
	head, err := s.br.Peek(4)
	if len(head) == 0 {
		if err == nil || errors.Is(err, io.EOF) {
			return s.fail(-1, ErrNotCapture, "%s is empty%s", s.name, s.afterGzip())
		}
		return s.readError(err)
	}
	if len(head) < 4 {
		if !errors.Is(err, io.EOF) {
			return s.readError(err)
		}
		for _, m := range []uint32{magicPcapMicroBE, magicPcapMicroLE, magicPcapNanoBE, magicPcapNanoLE, magicPcapng} {
			if len(head) >= 2 && bytes.HasPrefix(binary.BigEndian.AppendUint32(nil, m), head) {
				return s.truncated(0, io.EOF, "file header at %s (a magic number starts there, but only %d of its 4 bytes)", s.at(0), len(head))
			}
		}
		if looksLikeText(head) {
			return s.notText(head)
		}
		return s.fail(-1, ErrNotCapture, "%s is too short to be a capture file (%d byte%s%s)", s.name, len(head), map[bool]string{true: "s"}[len(head) > 1], s.afterGzip())
	}
	switch magic := binary.BigEndian.Uint32(head); magic {
	case magicPcapMicroBE, magicPcapMicroLE, magicPcapNanoBE, magicPcapNanoLE:
		return s.startPcap(magic)
	case magicPcapng:
		return s.startPcapng()
	default:
		if magic>>16 == 0x1f8b {
			if s.gz != nil {
				return s.fail(-1, ErrUnsupported, "%s: gzip data inside gzip data; decompress it first", s.name)
			}
			return s.startGzip()
		}
		sample, _ := s.br.Peek(512)
		if looksLikeText(sample) {
			return s.notText(sample)
		}
		if what, kind := describeMagic(sample); what != "" {
			return s.fail(-1, kind, "%s: unknown magic 0x%08x%s: %s", s.name, magic, s.afterGzip(), what)
		}
		return s.fail(-1, ErrNotCapture, "%s: unknown magic 0x%08x%s (not a pcap or pcapng file)", s.name, magic, s.afterGzip())
	}
}

// bufSizeFor is the read buffer size for r: readBufSize, or less for a
// file or in-memory reader known to be smaller.
func bufSizeFor(r io.Reader) int {
	var size int64 = -1
	switch r := r.(type) {
	case interface{ Len() int }: // bytes.Reader, strings.Reader, bytes.Buffer
		size = int64(r.Len())
	case *os.File:
		if fi, err := r.Stat(); err == nil && fi.Mode().IsRegular() {
			size = fi.Size()
		}
	}
	if size < 0 || size >= readBufSize {
		return readBufSize
	}
	return max(int(size), 4096)
}

// startGzip puts a gzip reader under the buffered reader and starts again.
func (s *FileSource) startGzip() error {
	gz, err := gzip.NewReader(s.br)
	if err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return s.fail(-1, io.ErrUnexpectedEOF, "%s: gzip header is cut short", s.name)
		}
		return s.fail(-1, ErrCorrupt, "%s: corrupt gzip header: %v", s.name, err)
	}
	s.gz = gz
	s.info.Compression = "gzip"
	s.br = bufio.NewReaderSize(gz, readBufSize)
	return s.start()
}

func (s *FileSource) afterGzip() string {
	if s.gz != nil {
		return " after gzip decompression"
	}
	return ""
}

// describeMagic names formats that are not captures wiretap reads.
func describeMagic(b []byte) (string, error) {
	has := func(p string) bool { return bytes.HasPrefix(b, []byte(p)) }
	switch {
	case has("\xa1\xb2\xcd\x34"), has("\x34\xcd\xb2\xa1"):
		return "a modified (Kuznetzov) pcap file, which wiretap does not read; convert it with editcap -F pcap", ErrUnsupported
	case has("snoop\x00\x00\x00"):
		return "a Solaris snoop file, which wiretap does not read; convert it with editcap -F pcap", ErrUnsupported
	case has("GMBU"):
		return "a Microsoft Network Monitor file, which wiretap does not read; convert it with editcap -F pcap", ErrUnsupported
	case has("\x28\xb5\x2f\xfd"):
		return "zstd-compressed data; decompress it first (zstd -d)", ErrUnsupported
	case has("\xfd7zXZ\x00"):
		return "xz-compressed data; decompress it first (xz -d)", ErrUnsupported
	case has("BZh"):
		return "bzip2-compressed data; decompress it first (bunzip2)", ErrUnsupported
	case has("\x04\x22\x4d\x18"):
		return "lz4-compressed data; decompress it first (lz4 -d)", ErrUnsupported
	case has("PK\x03\x04"):
		return "a zip archive, not a capture file", ErrNotCapture
	case has("\x7fELF"):
		return "an ELF executable, not a capture file", ErrNotCapture
	case has("\x89PNG"):
		return "a PNG image, not a capture file", ErrNotCapture
	}
	return "", nil
}

func (s *FileSource) notText(sample []byte) error {
	gz := map[bool]string{true: "gzip-compressed "}[s.gz != nil]
	line := firstLine(sample)
	if line == "" {
		return s.fail(-1, ErrNotCapture, "%s is not a capture file (it looks like %stext, blank)", s.name, gz)
	}
	return s.fail(-1, ErrNotCapture, "%s is not a capture file (it looks like %stext: %q)", s.name, gz, line)
}

// fail makes the sticky error.
func (s *FileSource) fail(off int64, kind error, format string, args ...any) error {
	s.err = &FileError{Msg: "capture: " + fmt.Sprintf(format, args...), Offset: off, Packets: s.n, Err: kind}
	return s.err
}

// at formats a byte offset for a message.
func (s *FileSource) at(off int64) string {
	if s.gz != nil {
		return fmt.Sprintf("uncompressed byte %d", off)
	}
	return fmt.Sprintf("byte %d", off)
}

// readError reports an error of the underlying reader at the current
// offset.
func (s *FileSource) readError(err error) error {
	if s.gz != nil && errors.Is(err, io.ErrUnexpectedEOF) {
		return s.fail(s.off, io.ErrUnexpectedEOF, "%s: the gzip data is cut short at %s", s.name, s.at(s.off))
	}
	s.err = &FileError{Msg: fmt.Sprintf("capture: %s: reading at %s: %v", s.name, s.at(s.off), err), Offset: s.off, Packets: s.n, Err: err}
	return s.err
}

// truncated reports a header, record or block that the input ends in the
// middle of. err is the reader's error: io.EOF, or a real error to report
// instead.
func (s *FileSource) truncated(start int64, err error, format string, args ...any) error {
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
		return s.readError(err)
	}
	msg := fmt.Sprintf(format, args...)
	if s.gz != nil && errors.Is(err, io.ErrUnexpectedEOF) {
		msg += "; the gzip data is cut short"
	}
	return s.fail(start, io.ErrUnexpectedEOF, "%s: truncated %s", s.name, msg)
}

// corrupt reports a header, record or block that cannot be right.
func (s *FileSource) corrupt(start int64, format string, args ...any) error {
	return s.fail(start, ErrCorrupt, "%s: %s", s.name, fmt.Sprintf(format, args...))
}

// endOfInput is called when the input ends (or fails) where a new record
// could start. err is what Peek returned with no bytes.
func (s *FileSource) endOfInput(err error) error {
	if err == nil || err == io.EOF {
		s.err = io.EOF
		return io.EOF
	}
	return s.readError(err)
}

// record returns the next n bytes of the input and consumes them. A
// record that fits the read buffer is returned in place; a longer one is
// copied into s.big. If the input ends first it returns what there was
// and the reader's error.
func (s *FileSource) record(n int) ([]byte, error) {
	if n <= s.br.Size() {
		b, err := s.br.Peek(n)
		if len(b) < n {
			if err == nil {
				err = io.ErrUnexpectedEOF
			}
			return b, err
		}
		s.br.Discard(n)
		s.off += int64(n)
		return b, nil
	}
	s.big = s.big[:0]
	for len(s.big) < n {
		chunk := min(n-len(s.big), s.br.Size())
		b, err := s.br.Peek(chunk)
		s.big = append(s.big, b...)
		s.br.Discard(len(b))
		s.off += int64(len(b))
		if err != nil || len(b) < chunk {
			if err == nil {
				err = io.ErrUnexpectedEOF
			}
			return s.big, err
		}
	}
	return s.big, nil
}

// ReadPacket returns the next packet; io.EOF at the end of the file. data
// is valid until the next call. ci.InterfaceIndex indexes Interfaces();
// ci.AncillaryData holds the packet's layers.LinkType (shared: do not
// modify). Packets of a pcapng Simple Packet Block have no timestamp: their
// ci.Timestamp is the zero time.Time.
//
// After a truncated or corrupt record ReadPacket returns a *FileError,
// and the same error on every later call.
func (s *FileSource) ReadPacket() (data []byte, ci gopacket.CaptureInfo, err error) {
	if s.err != nil {
		return nil, ci, s.err
	}
	if s.ng {
		data, ci, err = s.readPcapng()
	} else {
		data, ci, err = s.readPcap()
	}
	if err != nil {
		return nil, gopacket.CaptureInfo{}, err
	}
	s.n++
	return data, ci, nil
}

// PacketOffset is the byte offset in the file of the data of the packet
// ReadPacket returned last, so a viewer can keep an index and read a packet
// again with ReadAt instead of holding every packet's bytes. For
// gzip-compressed input it counts uncompressed bytes (useless for ReadAt on
// the compressed file).
func (s *FileSource) PacketOffset() int64 { return s.pktOff }

// LinkType returns the link type of the packet ci was returned with. For
// an InterfaceIndex the file does not describe it returns the first
// interface's link type.
func (s *FileSource) LinkType(ci gopacket.CaptureInfo) layers.LinkType {
	if ci.InterfaceIndex >= 0 && ci.InterfaceIndex < len(s.ifaces) {
		return s.ifaces[ci.InterfaceIndex].LinkType
	}
	if len(s.ifaces) > 0 {
		return s.ifaces[0].LinkType
	}
	return layers.LinkTypeNull
}

// Interfaces returns the interfaces described so far, in order of
// appearance, across all sections of a pcapng file (a pcap file has one).
// A pcapng file may describe interfaces anywhere, so the list can grow as
// packets are read; every packet's ci.InterfaceIndex is within it. The
// slice is shared: do not modify it.
func (s *FileSource) Interfaces() []InterfaceInfo {
	return s.ifaces[:len(s.ifaces):len(s.ifaces)]
}

// Secrets returns the Decryption Secrets Blocks read so far, in file
// order (none for a pcap file); blocks in a skipped section are not
// among them. The slice is shared: do not modify it.
func (s *FileSource) Secrets() []Secret {
	return s.secrets[:len(s.secrets):len(s.secrets)]
}

// Info describes the file: format, compression, byte order, version and
// (pcapng) the sections seen so far. Its slices are shared: do not modify
// them.
func (s *FileSource) Info() SourceInfo {
	info := s.info
	info.Sections = info.Sections[:len(info.Sections):len(info.Sections)]
	return info
}

// addInterface appends an interface and its timestamp converter.
func (s *FileSource) addInterface(intf InterfaceInfo, conv tsConv) int {
	s.ifaces = append(s.ifaces, intf)
	s.ifts = append(s.ifts, conv)
	s.ancil = append(s.ancil, []interface{}{intf.LinkType})
	return len(s.ifaces) - 1
}

// Close closes the file OpenFile opened.
func (s *FileSource) Close() error {
	if s.gz != nil {
		s.gz.Close()
	}
	if s.closer == nil {
		return nil
	}
	c := s.closer
	s.closer = nil
	if err := c.Close(); err != nil {
		return fmt.Errorf("capture: %w", err)
	}
	return nil
}

// looksLikeText reports whether b (the start of a file) is plausibly text:
// valid UTF-8 (allowing a rune cut at the end) without control characters
// other than tab, CR, LF and FF.
func looksLikeText(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	for len(b) > 0 {
		r, size := utf8.DecodeRune(b)
		if r == utf8.RuneError && size <= 1 {
			return len(b) < utf8.UTFMax && !utf8.FullRune(b)
		}
		if r < 0x20 && r != '\t' && r != '\n' && r != '\r' && r != '\f' || r == 0x7f {
			return false
		}
		b = b[size:]
	}
	return true
}

// firstLine is the first line of sample that is not blank, shortened to
// 60 characters.
func firstLine(sample []byte) string {
	var text string
	for _, line := range bytes.FieldsFunc(sample, func(r rune) bool { return r == '\n' || r == '\r' }) {
		if text = strings.TrimSpace(strings.ToValidUTF8(string(line), "")); text != "" {
			break
		}
	}
	const maxLine = 60
	if utf8.RuneCountInString(text) > maxLine {
		text = string([]rune(text)[:maxLine]) + "…"
	}
	return text
}
