package capture

// The pcap format (https://www.ietf.org/archive/id/draft-ietf-opsawg-pcap-04.html):
// a 24-byte file header, then records of a 16-byte header and the packet
// bytes. The magic number gives the byte order and the resolution of the
// fraction field (µs or ns).

import (
	"encoding/binary"
	"io"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

const (
	pcapFileHeaderLen   = 24
	pcapRecordHeaderLen = 16
)

// startPcap reads the pcap file header.
func (s *FileSource) startPcap(magic uint32) error {
	s.be = magic == magicPcapMicroBE || magic == magicPcapNanoBE
	s.pcapN = magic == magicPcapNanoBE || magic == magicPcapNanoLE
	h, err := s.record(pcapFileHeaderLen)
	if len(h) < pcapFileHeaderLen {
		return s.truncated(0, err, "pcap file header at %s (%d bytes needed, %d left)", s.at(0), pcapFileHeaderLen, len(h))
	}
	major, minor := s.u16(h[4:]), s.u16(h[6:])
	snap := s.u32(h[16:])
	// The link type is the low 16 bits; the upper ones may hold the FCS
	// length.
	lt := layers.LinkType(s.u32(h[20:]) & 0xffff)
	s.info = SourceInfo{Format: "pcap", Compression: s.info.Compression, ByteOrder: s.order(), VersionMajor: int(major), VersionMinor: int(minor)}
	if major < 2 {
		// As tshark and libpcap: 2.x only (every writer since 1998).
		return s.fail(-1, ErrUnsupported, "%s: pcap version %d.%d is not supported (only 2.x)", s.name, major, minor)
	}
	intf := InterfaceInfo{LinkType: lt, SnapLen: int(snap), TsResol: 6, TsResolNanos: 1000, Received: -1, Dropped: -1}
	if s.pcapN {
		intf.TsResol, intf.TsResolNanos = 9, 1
	}
	if int64(snap) > maxRecordLen || int(snap) < 0 {
		intf.SnapLen = 0
	}
	conv, _ := newTsConv(intf.TsResol, 0)
	s.addInterface(intf, conv)
	return nil
}

func (s *FileSource) order() binary.ByteOrder {
	if s.be {
		return binary.BigEndian
	}
	return binary.LittleEndian
}

func (s *FileSource) u16(b []byte) uint16 {
	if s.be {
		return binary.BigEndian.Uint16(b)
	}
	return binary.LittleEndian.Uint16(b)
}

func (s *FileSource) u32(b []byte) uint32 {
	if s.be {
		return binary.BigEndian.Uint32(b)
	}
	return binary.LittleEndian.Uint32(b)
}

// readPcap reads one pcap record.
func (s *FileSource) readPcap() ([]byte, gopacket.CaptureInfo, error) {
	var ci gopacket.CaptureInfo
	start := s.off
	h, err := s.br.Peek(pcapRecordHeaderLen)
	if len(h) < pcapRecordHeaderLen {
		if len(h) == 0 {
			return nil, ci, s.endOfInput(err)
		}
		return nil, ci, s.truncated(start, err, "packet record header at %s (%d bytes needed, %d left)", s.at(start), pcapRecordHeaderLen, len(h))
	}
	sec, frac := s.u32(h[0:]), s.u32(h[4:])
	capLen, origLen := s.u32(h[8:]), s.u32(h[12:])
	if capLen > maxRecordLen {
		return nil, ci, s.corrupt(start, "corrupt packet record at %s: captured length %d is more than %d", s.at(start), capLen, maxRecordLen)
	}
	nsec := int64(frac)
	if !s.pcapN {
		nsec *= 1000
	}
	ci.Timestamp = time.Unix(int64(sec), nsec).UTC()
	ci.CaptureLength = int(capLen)
	ci.Length = int(origLen)
	ci.AncillaryData = s.ancil[0]

	n := pcapRecordHeaderLen + int(capLen)
	b, err := s.record(n)
	if len(b) < n {
		return nil, ci, s.truncatedRecord(start, capLen, max(len(b)-pcapRecordHeaderLen, 0), err)
	}
	s.pktOff = start + pcapRecordHeaderLen
	return b[pcapRecordHeaderLen:n], ci, nil
}

func (s *FileSource) truncatedRecord(start int64, capLen uint32, left int, err error) error {
	if err == nil {
		err = io.ErrUnexpectedEOF
	}
	return s.truncated(start, err, "packet record at %s (header says %d bytes, %d left)", s.at(start), capLen, left)
}
