package capture

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"runtime"
	"sync"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// PcapngOptions describes the one interface of a pcapng stream.
type PcapngOptions struct {
	LinkType    layers.LinkType
	SnapLen     int    // if_snaplen in the IDB; 0 = unlimited. Longer packets are cut.
	Interface   string // if_name
	Application string // shb_userappl, e.g. "wiretap 0.1.0"
	Filter      string // if_filter text, optional
}

// PcapngWriter writes a pcapng stream: a section header block, one interface
// description block and an enhanced packet block per packet, with
// Decryption Secrets Blocks wherever WriteSecrets puts them; Close adds an
// interface statistics block. It is safe for concurrent use.
type PcapngWriter struct {
	mu      sync.Mutex
	ng      *pcapgo.NgWriter
	out     io.Writer // under ng, for the blocks pcapgo does not write
	snapLen int
	// snapLens are the snap lengths of the interfaces AddInterface added
	// (interface i+1's at i).
	snapLens []int
	start    time.Time
	stats    *Stats
	closed   bool
	err      error // first write error; later writes return it

	// set by CreatePcapng
	sink *fileSink
}

var _ PacketWriter = (*PcapngWriter)(nil)

// NewPcapngWriter writes the section header (shb_userappl = Application) and
// the interface description (if_name = Interface, if_tsresol = 9, i.e.
// nanoseconds, if_filter = Filter) to w. Close writes the statistics block
// and flushes; it does not close w.
func NewPcapngWriter(w io.Writer, opts PcapngOptions) (*PcapngWriter, error) {
	if opts.SnapLen < 0 {
		return nil, fmt.Errorf("capture: negative snap length %d", opts.SnapLen)
	}
	intf := pcapgo.NgInterface{
		Name:                opts.Interface,
		Filter:              opts.Filter,
		OS:                  runtime.GOOS,
		LinkType:            opts.LinkType,
		SnapLength:          uint32(opts.SnapLen),
		TimestampResolution: 9, // pcapgo always writes nanoseconds
	}
	ng, err := pcapgo.NewNgWriterInterface(w, intf, pcapgo.NgWriterOptions{
		SectionInfo: pcapgo.NgSectionInfo{
			Application: opts.Application,
			OS:          runtime.GOOS,
			Hardware:    runtime.GOARCH,
		},
	})
	if err != nil {
		return nil, fmt.Errorf("capture: writing pcapng header: %w", err)
	}
	return &PcapngWriter{ng: ng, out: w, snapLen: opts.SnapLen, start: time.Now()}, nil
}

// CreatePcapng creates (or truncates) the file at path with mode 0644 and
// returns a PcapngWriter on it. Its Close flushes, fsyncs and closes the file.
func CreatePcapng(path string, opts PcapngOptions) (*PcapngWriter, error) {
	sink, err := createFileSink(path)
	if err != nil {
		return nil, err
	}
	w, err := NewPcapngWriter(sink, opts)
	if err != nil {
		sink.Close()
		return nil, err
	}
	w.sink = sink
	// Put the header in the file now, so that it is a valid (empty)
	// capture from the start.
	if err := w.flushLocked(); err != nil {
		sink.Close()
		return nil, err
	}
	sink.markHeader()
	return w, nil
}

// SetStats sets the counts that Close writes in the interface statistics
// block (isb_ifrecv = Received, isb_ifdrop = Dropped).
func (w *PcapngWriter) SetStats(s Stats) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.stats = &s
}

// AddInterface writes one more Interface Description Block, for packets of
// another link type than the first interface's (a pcapng file may hold
// several: a re-written file that mixes them keeps each packet's), and
// returns its index for WritePacketOn. if_tsresol is 9 (nanoseconds) like
// the first; SnapLen cuts its packets as PcapngOptions.SnapLen does.
func (w *PcapngWriter) AddInterface(lt layers.LinkType, name string, snapLen int) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return 0, errors.New("capture: write to closed pcapng writer")
	}
	if w.err != nil {
		return 0, w.err
	}
	if snapLen < 0 {
		return 0, fmt.Errorf("capture: negative snap length %d", snapLen)
	}
	id, err := w.ng.AddInterface(pcapgo.NgInterface{Name: name, OS: runtime.GOOS, LinkType: lt, SnapLength: uint32(snapLen), TimestampResolution: 9})
	if err != nil {
		w.err = w.writeError(err)
		return 0, w.err
	}
	w.snapLens = append(w.snapLens, snapLen)
	return id, nil
}

// WritePacket writes one packet of the first interface, whatever
// ci.InterfaceIndex says; CaptureLength is taken from data, and data is
// cut to the snap length.
func (w *PcapngWriter) WritePacket(ci gopacket.CaptureInfo, data []byte) error {
	return w.WritePacketOn(0, ci, data)
}

// WritePacketOn is WritePacket for interface iface: 0, the first, or one
// AddInterface returned.
func (w *PcapngWriter) WritePacketOn(iface int, ci gopacket.CaptureInfo, data []byte) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if iface < 0 || iface > len(w.snapLens) {
		return fmt.Errorf("capture: pcapng writer has no interface %d", iface)
	}
	snapLen := w.snapLen
	if iface > 0 {
		snapLen = w.snapLens[iface-1]
	}
	if w.closed {
		return errors.New("capture: write to closed pcapng writer")
	}
	if w.err != nil {
		return w.err
	}
	if ci.Length < len(data) {
		ci.Length = len(data)
	}
	if snapLen > 0 && len(data) > snapLen {
		data = data[:snapLen]
	}
	ci.InterfaceIndex = iface
	ci.CaptureLength = len(data)
	ci.AncillaryData = nil
	err := w.ng.WritePacket(ci, data)
	if err == nil && w.sink != nil {
		// Hand the packet to the file sink whole, so it knows where
		// packets end if the disk fills up.
		if err = w.ng.Flush(); err == nil {
			w.sink.markPacket()
		}
	}
	if err != nil {
		w.err = w.writeError(err)
		return w.err
	}
	return nil
}

// SecretsWriter is implemented by PacketWriters that can store decryption
// secrets in the file (pcapng's Decryption Secrets Blocks).
type SecretsWriter interface {
	// WriteSecrets writes secrets of type typ (SecretsTLSKeyLog, ...);
	// readers apply them to the packets written after them.
	WriteSecrets(typ uint32, data []byte) error
}

var _ SecretsWriter = (*PcapngWriter)(nil)

// WriteSecrets writes a Decryption Secrets Block (block type 0x0000000A):
// the secrets type, the length, data padded to 4 bytes, no options. Write
// it before the packets that need the secrets: Wireshark reads secrets as
// it meets them. For SecretsTLSKeyLog, data is NSS key log text.
func (w *PcapngWriter) WriteSecrets(typ uint32, data []byte) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return errors.New("capture: write to closed pcapng writer")
	}
	if w.err != nil {
		return w.err
	}
	if len(data) > maxRecordLen-32 {
		// Readers (ours, Wireshark's) refuse blocks this big.
		return fmt.Errorf("capture: %d bytes of secrets is too many for one block", len(data))
	}
	// pcapgo buffers its blocks: put them out first, so that this one
	// lands after them.
	err := w.ng.Flush()
	if err == nil {
		_, err = w.out.Write(appendDSB(nil, typ, data))
	}
	if err == nil && w.sink != nil {
		w.sink.markBlock()
	}
	if err != nil {
		w.err = w.writeError(err)
		return w.err
	}
	return nil
}

// appendDSB appends a Decryption Secrets Block, little-endian as pcapgo
// writes the rest of the section.
func appendDSB(b []byte, typ uint32, data []byte) []byte {
	le := binary.LittleEndian
	padded := (len(data) + 3) &^ 3
	blen := uint32(16 + padded + 4)
	b = le.AppendUint32(b, ngDSB)
	b = le.AppendUint32(b, blen)
	b = le.AppendUint32(b, typ)
	b = le.AppendUint32(b, uint32(len(data)))
	b = append(b, data...)
	b = append(b, make([]byte, padded-len(data))...)
	return le.AppendUint32(b, blen)
}

func (w *PcapngWriter) writeError(err error) error {
	if w.sink != nil {
		return w.sink.describeWriteError(err)
	}
	return fmt.Errorf("capture: writing pcapng: %w", err)
}

// Flush pushes buffered packets to the underlying writer (and, for a file
// from CreatePcapng, to the file).
func (w *PcapngWriter) Flush() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return nil
	}
	return w.flushLocked()
}

func (w *PcapngWriter) flushLocked() error {
	if w.err != nil {
		return w.err
	}
	err := w.ng.Flush()
	if err == nil && w.sink != nil {
		err = w.sink.Flush()
	}
	if err != nil {
		w.err = w.writeError(err)
	}
	return w.err
}

// Close writes the interface statistics block and flushes. For a writer from
// CreatePcapng it also fsyncs and closes the file. Calling it again does
// nothing.
func (w *PcapngWriter) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return nil
	}
	w.closed = true
	isb := pcapgo.NgInterfaceStatistics{
		LastUpdate:      time.Now(),
		StartTime:       w.start,
		EndTime:         time.Now(),
		PacketsReceived: pcapgo.NgNoValue64,
		PacketsDropped:  pcapgo.NgNoValue64,
	}
	if w.stats != nil {
		isb.PacketsReceived = w.stats.Received
		isb.PacketsDropped = w.stats.Dropped
	}
	var errs []error
	if w.err != nil {
		errs = append(errs, w.err)
	} else if err := w.ng.WriteInterfaceStats(0, isb); err != nil {
		w.err = w.writeError(err)
		errs = append(errs, w.err)
	} else if err := w.flushLocked(); err != nil {
		errs = append(errs, err)
	}
	if w.sink != nil {
		if err := w.sink.Close(); err != nil {
			errs = append(errs, fmt.Errorf("capture: %w", err))
		}
	}
	return errors.Join(errs...)
}
