package packets

import (
	"bufio"
	"fmt"
	"io"
	"os"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// seqReader reads packets by offset from a file, fast when the offsets
// mostly increase (a pass over the index): it skips the bytes between
// packets inside one buffered reader instead of a read call per packet.
type seqReader struct {
	f   *os.File
	br  *bufio.Reader
	pos int64 // file offset of br's next byte
	big []byte
}

const (
	seqBufSize = 256 << 10
	// seqMaxSkip: a jump further than this seeks instead of reading through.
	seqMaxSkip = 1 << 20
)

func newSeqReader(f *os.File) *seqReader {
	return &seqReader{f: f, pos: -1}
}

// read returns n bytes at off, valid until the next call.
func (r *seqReader) read(off int64, n int) ([]byte, error) {
	if r.br == nil || off < r.pos || off-r.pos > seqMaxSkip {
		if _, err := r.f.Seek(off, io.SeekStart); err != nil {
			return nil, err
		}
		if r.br == nil {
			r.br = bufio.NewReaderSize(r.f, seqBufSize)
		} else {
			r.br.Reset(r.f)
		}
		r.pos = off
	}
	if skip := off - r.pos; skip > 0 {
		if _, err := r.br.Discard(int(skip)); err != nil {
			return nil, r.short(off, err)
		}
		r.pos = off
	}
	if n <= r.br.Size() {
		b, err := r.br.Peek(n)
		if len(b) < n {
			return nil, r.short(off, err)
		}
		r.br.Discard(n)
		r.pos += int64(n)
		return b, nil
	}
	if cap(r.big) < n {
		r.big = make([]byte, n)
	}
	b := r.big[:n]
	if _, err := io.ReadFull(r.br, b); err != nil {
		r.br = nil
		return nil, r.short(off, err)
	}
	r.pos += int64(n)
	return b, nil
}

func (r *seqReader) short(off int64, err error) error {
	r.br = nil
	if err == io.EOF || err == io.ErrUnexpectedEOF || err == nil {
		return fmt.Errorf("packets: %s is shorter than its index says (at byte %d): was it changed while open?", r.f.Name(), off)
	}
	return fmt.Errorf("packets: reading %s at byte %d: %w", r.f.Name(), off, err)
}

// indexSource reads the first n indexed packets in order: a
// decode.PacketSource for passes over what the index holds (the exposure
// analysis, the fast pass of a live capture's snapshot).
type indexSource struct {
	s    *Store
	sr   *seqReader
	next int // 0-based entry to read next
	n    int
	lt   layers.LinkType
	stop <-chan struct{} // the job's; nil if none
}

// isClosed reports whether c is closed (false for nil).
func isClosed(c <-chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}

func (src *indexSource) ReadPacket() ([]byte, gopacket.CaptureInfo, error) {
	if src.next >= src.n {
		return nil, gopacket.CaptureInfo{}, io.EOF
	}
	if src.next%1024 == 0 && (isClosed(src.stop) || src.s.stopped()) {
		return nil, gopacket.CaptureInfo{}, errStopped
	}
	e := src.s.idx.At(src.next)
	src.next++
	data, err := src.sr.read(e.Offset, e.CapLen)
	if err != nil {
		return nil, gopacket.CaptureInfo{}, err
	}
	src.lt = src.s.linkType(e.Iface)
	return data, e.captureInfo(), nil
}

func (src *indexSource) LinkType(gopacket.CaptureInfo) layers.LinkType { return src.lt }

func (e Entry) captureInfo() gopacket.CaptureInfo {
	return gopacket.CaptureInfo{Timestamp: e.Time, CaptureLength: e.CapLen, Length: e.OrigLen, InterfaceIndex: e.Iface}
}
