package capture

// The pcapng format (https://www.ietf.org/archive/id/draft-ietf-opsawg-pcapng-02.html):
// a sequence of blocks, each framed as type, length, body, length. A
// Section Header Block starts a section and sets its byte order; the
// interfaces of a section (Interface Description Blocks) are numbered from
// 0 within it. This reader (not pcapgo's, see reader.go) checks every
// length, keeps a section-local interface table that maps to one global
// list, keeps the payloads of Decryption Secrets Blocks (Secrets) and
// skips the other blocks it has no use for.

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"math/bits"
	"strings"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// Block types.
const (
	ngSHB           = 0x0a0d0d0a
	ngIDB           = 0x00000001
	ngPB            = 0x00000002 // obsolete Packet Block
	ngSPB           = 0x00000003
	ngNRB           = 0x00000004
	ngISB           = 0x00000005
	ngEPB           = 0x00000006
	ngDSB           = 0x0000000a
	ngCustom        = 0x00000bad
	ngCustomNoCopy  = 0x40000bad
	ngByteOrderBE   = 0x1a2b3c4d // the byte-order magic, read big-endian
	ngByteOrderLE   = 0x4d3c2b1a
	ngBlockOverhead = 12 // type, length, trailing length
)

// Option codes.
const (
	optEnd         = 0
	optComment     = 1
	optShbHardware = 2
	optShbOS       = 3
	optShbUserAppl = 4
	optIfName      = 2
	optIfDesc      = 3
	optIfTsresol   = 9
	optIfFilter    = 11
	optIfOS        = 12
	optIfTsoffset  = 14
	optIsbIfRecv   = 4
	optIsbIfDrop   = 5
)

func blockName(typ uint32) string {
	switch typ {
	case ngSHB:
		return "section header block"
	case ngIDB:
		return "interface description block"
	case ngPB:
		return "packet block"
	case ngSPB:
		return "simple packet block"
	case ngNRB:
		return "name resolution block"
	case ngISB:
		return "interface statistics block"
	case ngEPB:
		return "enhanced packet block"
	case ngDSB:
		return "decryption secrets block"
	case ngCustom, ngCustomNoCopy:
		return "custom block"
	}
	return fmt.Sprintf("block of type 0x%08x", typ)
}

func withArticle(s string) string {
	if strings.IndexByte("aeiou", s[0]) >= 0 {
		return "an " + s
	}
	return "a " + s
}

// minBlockLen is the smallest valid total length of a block type.
func minBlockLen(typ uint32) uint32 {
	switch typ {
	case ngSHB:
		return 28
	case ngIDB:
		return 20
	case ngPB, ngEPB:
		return 32
	case ngSPB:
		return 16
	case ngISB:
		return 24
	case ngDSB:
		return 20
	}
	return ngBlockOverhead
}

// startPcapng reads the first Section Header Block.
func (s *FileSource) startPcapng() error {
	s.ng = true
	s.info.Format = "pcapng"
	return s.readSectionHeader()
}

func (s *FileSource) u64(b []byte) uint64 {
	if s.be {
		return binary.BigEndian.Uint64(b)
	}
	return binary.LittleEndian.Uint64(b)
}

// readBlock reads a whole block whose header has been peeked, checks its
// lengths and returns it (header and trailer included).
func (s *FileSource) readBlock(start int64, typ, blen uint32) ([]byte, error) {
	if blen%4 != 0 {
		return nil, s.corrupt(start, "corrupt pcapng block at %s: block length %d is not a multiple of 4", s.at(start), blen)
	}
	if least := minBlockLen(typ); blen < least {
		return nil, s.corrupt(start, "corrupt pcapng block at %s: block length %d is too small for %s (at least %d)", s.at(start), blen, withArticle(blockName(typ)), least)
	}
	if blen > maxRecordLen {
		return nil, s.corrupt(start, "corrupt pcapng block at %s: block length %d is more than %d", s.at(start), blen, maxRecordLen)
	}
	b, err := s.record(int(blen))
	if len(b) < int(blen) {
		return nil, s.truncated(start, err, "pcapng block at %s (%s; block length says %d bytes, %d left)", s.at(start), blockName(typ), blen, len(b))
	}
	if end := s.u32(b[blen-4:]); end != blen {
		return nil, s.corrupt(start, "corrupt pcapng block at %s: %s starts with block length %d but ends with %d", s.at(start), blockName(typ), blen, end)
	}
	s.blocks++
	return b, nil
}

// readSectionHeader reads a Section Header Block: it sets the byte order
// and starts a new table of interfaces.
func (s *FileSource) readSectionHeader() error {
	start := s.off
	h, err := s.br.Peek(12)
	if len(h) < 12 {
		return s.truncated(start, err, "pcapng block at %s (section header block; 12 bytes needed, %d left)", s.at(start), len(h))
	}
	switch bom := binary.BigEndian.Uint32(h[8:]); bom {
	case ngByteOrderBE:
		s.be = true
	case ngByteOrderLE:
		s.be = false
	default:
		return s.corrupt(start, "corrupt pcapng block at %s: section header byte-order magic is 0x%08x, not 0x1a2b3c4d in either byte order", s.at(start), bom)
	}
	b, err := s.readBlock(start, ngSHB, s.u32(h[4:]))
	if err != nil {
		return err
	}
	sec := SectionInfo{
		Offset:       start,
		ByteOrder:    s.order(),
		VersionMajor: int(s.u16(b[12:])),
		VersionMinor: int(s.u16(b[14:])),
	}
	s.secIfaces = s.secIfaces[:0]
	s.skipping = sec.VersionMajor != 1
	if s.skipping {
		// The specification: a reader skips a section whose major
		// version it does not know. Its blocks are still framed as
		// pcapng blocks; they are checked and skipped up to the next
		// section header.
		sec.Skipped = true
	} else if bad := s.options(b[24:len(b)-4], func(code uint16, v []byte) {
		switch code {
		case optComment:
			sec.Comments = append(sec.Comments, string(v))
		case optShbHardware:
			sec.Hardware = string(v)
		case optShbOS:
			sec.OS = string(v)
		case optShbUserAppl:
			sec.Application = string(v)
		}
	}); bad != "" {
		return s.corrupt(start, "corrupt pcapng block at %s: section header block: %s", s.at(start), bad)
	}
	if len(s.info.Sections) == 0 {
		s.info.ByteOrder, s.info.VersionMajor, s.info.VersionMinor = sec.ByteOrder, sec.VersionMajor, sec.VersionMinor
	}
	s.info.Sections = append(s.info.Sections, sec)
	return nil
}

// options calls fn for each option of a block (b holds the options part).
// It returns what is wrong if an option runs past the end of the block.
// Missing padding after the last option and missing opt_endofopt are
// accepted.
func (s *FileSource) options(b []byte, fn func(code uint16, v []byte)) string {
	for len(b) >= 4 {
		code, n := s.u16(b), int(s.u16(b[2:]))
		if code == optEnd {
			return ""
		}
		if 4+n > len(b) {
			return fmt.Sprintf("option %d of %d bytes runs past the end of the block (%d bytes left)", code, n, len(b)-4)
		}
		fn(code, b[4:4+n])
		b = b[min(len(b), 4+(n+3)&^3):]
	}
	return ""
}

// readInterface reads an Interface Description Block.
func (s *FileSource) readInterface(start int64, b []byte) error {
	intf := InterfaceInfo{
		LinkType: layers.LinkType(s.u16(b[8:])),
		SnapLen:  int(s.u32(b[12:])),
		TsResol:  6,
		Section:  len(s.info.Sections) - 1,
		Received: -1,
		Dropped:  -1,
	}
	if intf.SnapLen < 0 || intf.SnapLen > maxRecordLen {
		intf.SnapLen = 0
	}
	bad := s.options(b[16:len(b)-4], func(code uint16, v []byte) {
		// Options of the wrong size are ignored, as tshark does.
		switch code {
		case optIfName:
			intf.Name = string(v)
		case optIfDesc:
			intf.Description = string(v)
		case optIfTsresol:
			if len(v) == 1 {
				intf.TsResol = v[0]
			}
		case optIfTsoffset:
			if len(v) == 8 {
				intf.TsOffset = int64(s.u64(v))
			}
		case optIfFilter:
			if len(v) > 0 && v[0] == 0 { // 0: a libpcap filter string
				intf.Filter = string(v[1:])
			}
		case optIfOS:
			intf.OS = string(v)
		}
	})
	if bad != "" {
		return s.corrupt(start, "corrupt pcapng block at %s: interface description block: %s", s.at(start), bad)
	}
	conv, ok := newTsConv(intf.TsResol, intf.TsOffset)
	if !ok {
		return s.fail(start, ErrUnsupported, "%s: pcapng block at %s: interface description block: timestamp resolution %s is finer than wiretap reads", s.name, s.at(start), resolString(intf.TsResol))
	}
	intf.TsResolNanos = conv.tickNanos()
	s.secIfaces = append(s.secIfaces, s.addInterface(intf, conv))
	return nil
}

func resolString(r uint8) string {
	if r&0x80 != 0 {
		return fmt.Sprintf("2^-%d s", r&0x7f)
	}
	return fmt.Sprintf("10^-%d s", r)
}

// readStats reads an Interface Statistics Block. Malformed statistics are
// ignored: they change no packet.
func (s *FileSource) readStats(b []byte) {
	id := s.u32(b[8:])
	if int64(id) >= int64(len(s.secIfaces)) {
		return
	}
	intf := &s.ifaces[s.secIfaces[id]]
	s.options(b[20:len(b)-4], func(code uint16, v []byte) {
		if len(v) != 8 {
			return
		}
		switch code {
		case optIsbIfRecv:
			intf.Received = int64(s.u64(v))
		case optIsbIfDrop:
			intf.Dropped = int64(s.u64(v))
		}
	})
}

// readSecrets reads a Decryption Secrets Block: secrets type (4 bytes),
// secrets length (4), the secrets padded to 4 bytes, options. It is the
// one block besides the interfaces' that allocates, for the copy of the
// secrets that outlives the read buffer; such blocks are rare.
func (s *FileSource) readSecrets(start int64, b []byte) error {
	typ, n := s.u32(b[8:]), s.u32(b[12:])
	if room := uint32(len(b)) - 20; n > room {
		return s.corrupt(start, "corrupt pcapng block at %s: decryption secrets block says %d bytes of secrets, but its length %d leaves room for %d", s.at(start), n, len(b), room)
	}
	sec := Secret{
		Type:    typ,
		Data:    bytes.Clone(b[16 : 16+n]),
		Block:   s.blocks - 1,
		Offset:  start,
		Section: len(s.info.Sections) - 1,
		Packets: s.n,
	}
	// The room is a multiple of 4, so the padding fits in it too.
	if bad := s.options(b[16+(n+3)&^3:len(b)-4], func(code uint16, v []byte) {
		if code == optComment {
			sec.Comments = append(sec.Comments, string(v))
		}
	}); bad != "" {
		return s.corrupt(start, "corrupt pcapng block at %s: decryption secrets block: %s", s.at(start), bad)
	}
	s.secrets = append(s.secrets, sec)
	return nil
}

// readPcapng reads blocks up to the next packet.
func (s *FileSource) readPcapng() ([]byte, gopacket.CaptureInfo, error) {
	var ci gopacket.CaptureInfo
	for {
		start := s.off
		h, err := s.br.Peek(8)
		if len(h) < 8 {
			if len(h) == 0 {
				return nil, ci, s.endOfInput(err)
			}
			return nil, ci, s.truncated(start, err, "pcapng block header at %s (8 bytes needed, %d left)", s.at(start), len(h))
		}
		if binary.BigEndian.Uint32(h) == ngSHB {
			if err := s.readSectionHeader(); err != nil {
				return nil, ci, err
			}
			continue
		}
		typ, blen := s.u32(h), s.u32(h[4:])
		b, err := s.readBlock(start, typ, blen)
		if err != nil {
			return nil, ci, err
		}
		if s.skipping {
			continue
		}
		switch typ {
		case ngEPB, ngPB:
			var id uint32
			if typ == ngEPB {
				id = s.u32(b[8:])
			} else {
				id = uint32(s.u16(b[8:])) // then a 16-bit drop count
			}
			if int64(id) >= int64(len(s.secIfaces)) {
				return nil, ci, s.corrupt(start, "corrupt pcapng block at %s: %s refers to interface %d, but the section describes %d", s.at(start), blockName(typ), id, len(s.secIfaces))
			}
			capLen := s.u32(b[20:])
			if room := blen - 32; capLen > room {
				return nil, ci, s.corrupt(start, "corrupt pcapng block at %s: %s says %d captured bytes, but its length %d leaves room for %d", s.at(start), blockName(typ), capLen, blen, room)
			}
			g := s.secIfaces[id]
			ci.Timestamp = s.ifts[g].time(uint64(s.u32(b[12:]))<<32 | uint64(s.u32(b[16:])))
			ci.CaptureLength = int(capLen)
			ci.Length = int(s.u32(b[24:]))
			ci.InterfaceIndex = g
			ci.AncillaryData = s.ancil[g]
			s.pktOff = start + 28
			return b[28 : 28+capLen], ci, nil
		case ngSPB:
			if len(s.secIfaces) == 0 {
				return nil, ci, s.corrupt(start, "corrupt pcapng block at %s: simple packet block in a section that describes no interface", s.at(start))
			}
			g := s.secIfaces[0]
			// The captured length is the original length, cut to the
			// snap length and to what the block holds.
			origLen := s.u32(b[8:])
			capLen := min(origLen, blen-16)
			if snap := s.ifaces[g].SnapLen; snap > 0 && int64(capLen) > int64(snap) {
				capLen = uint32(snap)
			}
			ci.Timestamp = time.Time{} // an SPB has none
			ci.CaptureLength = int(capLen)
			ci.Length = int(origLen)
			ci.InterfaceIndex = g
			ci.AncillaryData = s.ancil[g]
			s.pktOff = start + 12
			return b[12 : 12+capLen], ci, nil
		case ngIDB:
			if err := s.readInterface(start, b); err != nil {
				return nil, ci, err
			}
		case ngISB:
			s.readStats(b)
		case ngDSB:
			if err := s.readSecrets(start, b); err != nil {
				return nil, ci, err
			}
		default:
			// Name resolution, custom and unknown blocks carry no
			// packets.
		}
	}
}

// tsConv turns a pcapng timestamp (ticks of an interface's resolution
// since the epoch, plus its offset in seconds) into a time.Time.
type tsConv struct {
	binary bool
	exp    uint8  // binary: ticks are 2^-exp s; decimal: 10^-exp s
	units  uint64 // decimal: ticks per second
	scale  uint64 // decimal: ns per tick (exp <= 9) or ticks per ns (exp > 9)
	offset int64
}

// newTsConv returns the converter for an if_tsresol value; false if it is
// finer than 2^-63 or 10^-19 s (as tshark, which refuses them too).
func newTsConv(resol uint8, offset int64) (tsConv, bool) {
	c := tsConv{binary: resol&0x80 != 0, exp: resol & 0x7f, offset: offset}
	if c.binary {
		return c, c.exp <= 63
	}
	if c.exp > 19 {
		return c, false
	}
	c.units = pow10(c.exp)
	if c.exp <= 9 {
		c.scale = pow10(9 - c.exp)
	} else {
		c.scale = pow10(c.exp - 9)
	}
	return c, true
}

func pow10(n uint8) uint64 {
	p := uint64(1)
	for ; n > 0; n-- {
		p *= 10
	}
	return p
}

// tickNanos is the length of one tick in nanoseconds.
func (c tsConv) tickNanos() float64 {
	if c.binary {
		return math.Ldexp(1e9, -int(c.exp))
	}
	return math.Pow10(9 - int(c.exp))
}

// time converts ts; fractions of a nanosecond are truncated.
func (c *tsConv) time(ts uint64) time.Time {
	var sec, nsec uint64
	if c.binary {
		sec = ts >> c.exp
		rem := ts & (1<<c.exp - 1)
		hi, lo := bits.Mul64(rem, 1e9)
		nsec = hi<<(64-c.exp) | lo>>c.exp
	} else {
		sec = ts / c.units
		rem := ts % c.units
		if c.exp <= 9 {
			nsec = rem * c.scale
		} else {
			nsec = rem / c.scale
		}
	}
	return time.Unix(int64(sec)+c.offset, int64(nsec)).UTC()
}
