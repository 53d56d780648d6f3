package capture

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"unicode/utf8"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
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

// Magic numbers, as the first four bytes of a file read big-endian.
const (
	magicPcapMicroBE = 0xa1b2c3d4 // pcap, µs, big-endian
	magicPcapMicroLE = 0xd4c3b2a1 // pcap, µs, little-endian
	magicPcapNanoBE  = 0xa1b23c4d // pcap, ns, big-endian
	magicPcapNanoLE  = 0x4d3cb2a1 // pcap, ns, little-endian
	magicPcapng      = 0x0a0d0d0a // pcapng section header block (same both ways)
)

// OpenFile opens a pcap or pcapng file; "-" reads standard input. The format
// is told by the file's magic number, never by its name.
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
		return nil, fmt.Errorf("capture: %s is a directory, not a capture file", path)
	}
	s, err := newReader(f, path)
	if err != nil {
		f.Close()
		return nil, err
	}
	s.closer = f
	return s, nil
}

// NewReader reads a pcap or pcapng stream from r, told apart by the magic
// number. Closing the Source does not close r.
func NewReader(r io.Reader) (Source, error) {
	s, err := newReader(r, "input")
	if err != nil {
		return nil, err
	}
	return s, nil
}

// fileSource is a Source over pcapgo's readers.
type fileSource struct {
	name   string
	pcap   *pcapgo.Reader   // one of pcap and ng is set
	ng     *pcapgo.NgReader //
	closer io.Closer
	n      int   // packets read
	err    error // sticky error
}

func newReader(r io.Reader, name string) (*fileSource, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	head, err := br.Peek(4)
	if len(head) == 0 {
		if err == nil || errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("capture: %s is empty", name)
		}
		return nil, fmt.Errorf("capture: reading %s: %w", name, err)
	}
	if len(head) < 4 {
		if !errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("capture: reading %s: %w", name, err)
		}
		if looksLikeText(head) {
			return nil, notCaptureError(name, head)
		}
		return nil, fmt.Errorf("capture: %s is too short to be a capture file (%d bytes)", name, len(head))
	}
	s := &fileSource{name: name}
	switch magic := binary.BigEndian.Uint32(head); magic {
	case magicPcapMicroBE, magicPcapMicroLE, magicPcapNanoBE, magicPcapNanoLE:
		s.pcap, err = pcapgo.NewReader(br)
		if err != nil {
			return nil, s.headerError(err)
		}
	case magicPcapng:
		s.ng, err = pcapgo.NewNgReader(br, pcapgo.NgReaderOptions{
			WantMixedLinkType:  true, // keep packets of every interface
			SkipUnknownVersion: true,
		})
		if err != nil {
			return nil, s.headerError(err)
		}
	default:
		sample, _ := br.Peek(512)
		if looksLikeText(sample) {
			return nil, notCaptureError(name, sample)
		}
		if magic>>16 == 0x1f8b {
			return nil, fmt.Errorf("capture: %s: unknown magic 0x%08x (gzip-compressed: decompress it first)", name, magic)
		}
		return nil, fmt.Errorf("capture: %s: unknown magic 0x%08x (not a pcap or pcapng file)", name, magic)
	}
	return s, nil
}

func (s *fileSource) headerError(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("capture: %s: file header is cut short: %w", s.name, io.ErrUnexpectedEOF)
	}
	return fmt.Errorf("capture: %s: bad file header: %w", s.name, err)
}

// ReadPacket returns the next packet; io.EOF at the end of the file.
func (s *fileSource) ReadPacket() (data []byte, ci gopacket.CaptureInfo, err error) {
	if s.err != nil {
		return nil, ci, s.err
	}
	if s.pcap != nil {
		data, ci, err = s.pcap.ZeroCopyReadPacketData()
	} else {
		data, ci, err = s.ng.ZeroCopyReadPacketData()
	}
	if err != nil {
		if err == io.EOF {
			s.err = io.EOF
		} else {
			if errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			if errors.Is(err, io.ErrUnexpectedEOF) {
				s.err = fmt.Errorf("capture: %s: packet %d is cut short: %w", s.name, s.n+1, err)
			} else {
				s.err = fmt.Errorf("capture: %s: packet %d: %w", s.name, s.n+1, err)
			}
		}
		return nil, gopacket.CaptureInfo{}, s.err
	}
	s.n++
	return data, ci, nil
}

// LinkType returns the link type of the packet ci was returned with.
func (s *fileSource) LinkType(ci gopacket.CaptureInfo) layers.LinkType {
	if s.pcap != nil {
		return s.pcap.LinkType()
	}
	for _, a := range ci.AncillaryData {
		if lt, ok := a.(layers.LinkType); ok {
			return lt
		}
	}
	if intf, err := s.ng.Interface(ci.InterfaceIndex); err == nil {
		return intf.LinkType
	}
	return s.ng.LinkType()
}

// Close closes the file OpenFile opened.
func (s *fileSource) Close() error {
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

func notCaptureError(name string, sample []byte) error {
	// The first line that is not blank.
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
	return fmt.Errorf("capture: %s is not a capture file (it looks like text: %q)", name, text)
}
