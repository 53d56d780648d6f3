package capture

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"sync"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// PcapWriter writes a pcap stream with nanosecond timestamps: the file
// header (magic 0xa1b23c4d, version 2.4, little-endian), then a record per
// packet. It is safe for concurrent use.
//
// A pcap file has one link type, given to NewPcapWriter: every packet is
// written as that link type, whatever ci.InterfaceIndex says. Callers
// copying packets from a pcapng file with interfaces of several link types
// must check Source.LinkType themselves (or write pcapng).
type PcapWriter struct {
	mu      sync.Mutex
	w       io.Writer     // buf, or sink for CreatePcap
	buf     *bufio.Writer // set by NewPcapWriter
	sink    *fileSink     // set by CreatePcap
	snapLen int
	hdr     [pcapRecordHeaderLen]byte
	closed  bool
	err     error // first write error; later writes return it
}

var _ PacketWriter = (*PcapWriter)(nil)

// NewPcapWriter writes the pcap file header to w (buffered) and returns a
// writer for packets of linkType. snapLen > 0 cuts longer packets and is
// the header's snap length; 0 means no limit (the header says 262144, as
// tcpdump writes). Close flushes; it does not close w.
func NewPcapWriter(w io.Writer, linkType layers.LinkType, snapLen int) (*PcapWriter, error) {
	buf := bufio.NewWriterSize(w, 64<<10)
	pw, err := newPcapWriter(buf, linkType, snapLen)
	if err != nil {
		return nil, err
	}
	pw.buf = buf
	return pw, nil
}

// CreatePcap creates (or truncates) the file at path with mode 0644 and
// returns a PcapWriter on it, as CreatePcapng does: the header is in the
// file at once, and Close flushes, fsyncs and closes the file. If a write
// fails (a full disk), the file is cut back to the last whole packet.
func CreatePcap(path string, linkType layers.LinkType, snapLen int) (*PcapWriter, error) {
	if snapLen < 0 {
		return nil, fmt.Errorf("capture: negative snap length %d", snapLen)
	}
	sink, err := createFileSink(path)
	if err != nil {
		return nil, err
	}
	pw, err := newPcapWriter(sink, linkType, snapLen)
	if err == nil {
		pw.sink = sink
		err = pw.flushLocked()
	}
	if err != nil {
		sink.Close()
		return nil, err
	}
	sink.markHeader()
	return pw, nil
}

func newPcapWriter(w io.Writer, linkType layers.LinkType, snapLen int) (*PcapWriter, error) {
	if snapLen < 0 {
		return nil, fmt.Errorf("capture: negative snap length %d", snapLen)
	}
	headerSnap := uint32(MaxSnapLen)
	if snapLen > 0 {
		headerSnap = uint32(min(snapLen, math.MaxUint32))
	}
	var h [pcapFileHeaderLen]byte
	le := binary.LittleEndian
	le.PutUint32(h[0:], magicPcapNanoBE) // a1b23c4d, written little-endian
	le.PutUint16(h[4:], 2)
	le.PutUint16(h[6:], 4)
	// thiszone and sigfigs: 0
	le.PutUint32(h[16:], headerSnap)
	le.PutUint32(h[20:], uint32(linkType))
	pw := &PcapWriter{w: w, snapLen: snapLen}
	if _, err := w.Write(h[:]); err != nil {
		return nil, fmt.Errorf("capture: writing pcap header: %w", err)
	}
	return pw, nil
}

// WritePacket writes one packet. CaptureLength is taken from data, and data
// is cut to the snap length; the original length is ci.Length (at least
// len(data)). The zero ci.Timestamp (a pcapng Simple Packet Block's) is
// written as 0; other timestamps before 1970 or after 2106 cannot be
// written in pcap and are an error, which does not stop the writer.
func (w *PcapWriter) WritePacket(ci gopacket.CaptureInfo, data []byte) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return errors.New("capture: write to closed pcap writer")
	}
	if w.err != nil {
		return w.err
	}
	var sec, nsec int64
	if !ci.Timestamp.IsZero() {
		sec, nsec = ci.Timestamp.Unix(), int64(ci.Timestamp.Nanosecond())
		if sec < 0 || sec > math.MaxUint32 {
			return fmt.Errorf("capture: timestamp %s cannot be written in pcap (1970 to 2106 only)", ci.Timestamp.UTC().Format("2006-01-02 15:04:05.999999999"))
		}
	}
	orig := max(ci.Length, len(data))
	if w.snapLen > 0 && len(data) > w.snapLen {
		data = data[:w.snapLen]
	}
	le := binary.LittleEndian
	le.PutUint32(w.hdr[0:], uint32(sec))
	le.PutUint32(w.hdr[4:], uint32(nsec))
	le.PutUint32(w.hdr[8:], uint32(len(data)))
	le.PutUint32(w.hdr[12:], uint32(min(orig, math.MaxUint32)))
	_, err := w.w.Write(w.hdr[:])
	if err == nil {
		_, err = w.w.Write(data)
	}
	if err == nil && w.sink != nil {
		w.sink.markPacket()
	}
	if err != nil {
		w.err = w.writeError(err)
		return w.err
	}
	return nil
}

func (w *PcapWriter) writeError(err error) error {
	if w.sink != nil {
		return w.sink.describeWriteError(err)
	}
	return fmt.Errorf("capture: writing pcap: %w", err)
}

// Flush pushes buffered packets to the underlying writer (and, for a file
// from CreatePcap, to the file).
func (w *PcapWriter) Flush() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return nil
	}
	return w.flushLocked()
}

func (w *PcapWriter) flushLocked() error {
	if w.err != nil {
		return w.err
	}
	var err error
	if w.buf != nil {
		err = w.buf.Flush()
	}
	if err == nil && w.sink != nil {
		err = w.sink.Flush()
	}
	if err != nil {
		w.err = w.writeError(err)
	}
	return w.err
}

// Close flushes. For a writer from CreatePcap it also fsyncs and closes the
// file. Calling it again does nothing.
func (w *PcapWriter) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return nil
	}
	w.closed = true
	var errs []error
	if err := w.flushLocked(); err != nil {
		errs = append(errs, err)
	}
	if w.sink != nil {
		if err := w.sink.Close(); err != nil {
			errs = append(errs, fmt.Errorf("capture: %w", err))
		}
	}
	return errors.Join(errs...)
}
