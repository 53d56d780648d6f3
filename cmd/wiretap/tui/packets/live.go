package packets

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"wiretap/capture"
	"wiretap/decode"
)

// LiveOptions describe a live capture for OpenLive.
type LiveOptions struct {
	Live *capture.Live
	// Sink, if not nil, also gets every packet (the user's -w file); its
	// name is shown in the status line. Without one the capture is unsaved
	// until SaveAs.
	Sink     capture.PacketWriter
	SinkName string
	Filter   string // the capture filter's text, for the status line
	Count    int    // stop after this many packets (0: no limit)
	Duration time.Duration
	// Application names the writer in the spool file (shb_userappl).
	Application string
}

// LiveStatus is the live part of Progress.
type LiveStatus struct {
	Interface string
	Captured  int
	Received  uint64
	Dropped   uint64
	Filter    string
	Writing   string // the -w file, "" when unsaved
	Saved     bool
	Done      bool  // the capture stopped
	Err       error // why it stopped, if not asked to
	// WriteErr is the first error writing the -w file or the spool (the
	// packets after it are missing there): kept, shown, and returned by
	// Close.
	WriteErr error
	// Forgotten counts the TCP and UDP conversations the fast pass let go
	// to stay within Options.Decode.MaxStreams.
	Forgotten int64
}

type liveState struct {
	s      *Store
	opts   LiveOptions
	cancel context.CancelFunc
	done   chan struct{}

	mu      sync.Mutex // guards the writer and pending
	spool   *capture.PcapngWriter
	cursor  int64 // where the spool's next block starts
	snap    int
	pending []Entry
	// an is the fast pass, run on every packet as it arrives (decode's
	// Options.Live): rows and trees come from it at once.
	an       *decode.Analyzer
	stats    capture.Stats
	err      error
	writeErr error // the first write error (LiveStatus.WriteErr)
	spoolErr error // the first of the spool's: its packets after are not shown
	finished bool
	saved    bool
}

// OpenLive starts capturing into a spool file (so packets can be re-read
// by offset) and into lo.Sink, indexing packets as they arrive. The
// capture runs until Close, the count or the duration.
func OpenLive(lo LiveOptions, opts Options) (*Store, error) {
	l := lo.Live
	s := newStore("live "+l.Interface(), opts)
	tmp, err := os.CreateTemp("", "wiretap-live-*.pcapng")
	if err != nil {
		return nil, fmt.Errorf("packets: %w", err)
	}
	s.path, s.temp = tmp.Name(), tmp.Name()
	cw := &countingWriter{w: tmp}
	pw, err := capture.NewPcapngWriter(cw, capture.PcapngOptions{LinkType: l.LinkType(), SnapLen: l.SnapLen(),
		Interface: l.Interface(), Application: lo.Application, Filter: lo.Filter})
	if err == nil {
		err = pw.Flush()
	}
	if err != nil {
		tmp.Close()
		s.Close()
		return nil, err
	}
	if s.f, err = os.Open(s.path); err != nil {
		s.Close()
		return nil, fmt.Errorf("packets: %w", err)
	}
	s.linkTypes = []layers.LinkType{l.LinkType()}
	ctx, cancel := context.WithCancel(context.Background())
	if lo.Duration > 0 {
		cancel() // replaced by the one with the deadline
		ctx, cancel = context.WithTimeout(context.Background(), lo.Duration)
	}
	ls := &liveState{s: s, opts: lo, cancel: cancel, done: make(chan struct{}), spool: pw, cursor: cw.n,
		snap: l.SnapLen(), saved: lo.Sink != nil}
	dopts := s.decodeOptions()
	dopts.Live = true
	ls.an = decode.NewAnalyzer(dopts)
	s.an = ls.an
	s.live = ls
	s.goSafe(func() { ls.record(ctx, tmp) })
	s.goSafe(ls.flushLoop)
	return s, nil
}

// countingWriter counts the bytes written through it.
type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// record runs the capture; the spool and the user's sink get every packet.
func (ls *liveState) record(ctx context.Context, spoolFile *os.File) {
	defer close(ls.done)
	stats, err := capture.Record(ctx, ls.opts.Live, ls, ls.opts.Count, nil)
	ls.mu.Lock()
	ls.flushLocked()
	ls.stats, ls.err, ls.finished = stats, err, true
	ls.spool.Close()
	spoolFile.Close()
	ls.mu.Unlock()
	ls.opts.Live.Close()
	if ls.opts.Sink != nil {
		if ss, ok := ls.opts.Sink.(interface{ SetStats(capture.Stats) }); ok {
			ss.SetStats(stats)
		}
		if cerr := ls.opts.Sink.Close(); cerr != nil {
			ls.mu.Lock()
			ls.noteWriteErrLocked(ls.opts.SinkName, cerr)
			ls.mu.Unlock()
		}
	}
	ls.s.notify()
	// The capture is over: its fast pass ends, as a file's does.
	ls.s.install(ls.an, ls.s.Len())
}

// WritePacket is Record's sink: the spool (whose offsets the index
// keeps), then the user's file.
func (ls *liveState) WritePacket(ci gopacket.CaptureInfo, data []byte) error {
	ls.mu.Lock()
	if len(data) > ls.snap && ls.snap > 0 {
		data = data[:ls.snap]
	}
	if err := ls.spool.WritePacket(ci, data); err != nil {
		ls.noteSpoolErrLocked(err)
		ls.mu.Unlock()
		return err
	}
	// An enhanced packet block: 28 bytes of header, the data padded to 4
	// bytes, no options, the 4-byte trailing length (pcapgo's layout).
	ls.pending = append(ls.pending, Entry{Offset: ls.cursor + 28, Time: ci.Timestamp, CapLen: len(data), OrigLen: max(ci.Length, len(data))})
	ls.cursor += 32 + int64(len(data)+3)&^3
	ls.an.Add(ls.s.idx.Len()+len(ls.pending), ci, ls.opts.Live.LinkType(), data)
	if len(ls.pending) >= 512 {
		ls.flushLocked()
	}
	ls.mu.Unlock()
	if ls.opts.Sink != nil {
		if err := ls.opts.Sink.WritePacket(ci, data); err != nil {
			ls.mu.Lock()
			ls.noteWriteErrLocked(ls.opts.SinkName, err)
			ls.mu.Unlock()
			return err
		}
	}
	return nil
}

func (ls *liveState) noteSpoolErrLocked(err error) {
	if ls.spoolErr == nil {
		ls.spoolErr = err
	}
	ls.noteWriteErrLocked(ls.s.path, err)
}

// noteWriteErrLocked keeps the first write error, naming the file: a
// later one (each write after a full disk fails) says less.
func (ls *liveState) noteWriteErrLocked(file string, err error) {
	if ls.writeErr != nil {
		return
	}
	if file != "" && !strings.Contains(err.Error(), file) {
		err = fmt.Errorf("writing %s: %w", file, err)
	}
	ls.writeErr = err
}

func (ls *liveState) Close() error { return nil } // Record's sink; record closes the spool itself

// flushLocked writes the spool's buffer to the file and then publishes
// the packets in it: an entry is never visible before its bytes are.
func (ls *liveState) flushLocked() {
	if len(ls.pending) == 0 {
		return
	}
	if err := ls.spool.Flush(); err != nil {
		ls.noteSpoolErrLocked(err)
		return
	}
	for _, e := range ls.pending {
		ls.s.idx.Append(e)
	}
	ls.pending = ls.pending[:0]
	// The fast pass has seen them all: their rows are what it says now
	// (and rows already shown may have changed: a PDU completed).
	s := ls.s
	s.mu.Lock()
	if s.an == ls.an {
		s.analysed = s.idx.Len()
		s.invalidate()
	}
	s.mu.Unlock()
	s.notify()
}

// flushLoop publishes packets at least every 50 ms when they trickle in.
func (ls *liveState) flushLoop() {
	t := time.NewTicker(50 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-ls.done:
			return
		case <-t.C:
			ls.mu.Lock()
			ls.flushLocked()
			ls.mu.Unlock()
		}
	}
}

func (ls *liveState) status() LiveStatus {
	st := LiveStatus{Interface: ls.opts.Live.Interface(), Captured: ls.s.idx.Len(), Filter: ls.opts.Filter, Writing: ls.opts.SinkName}
	ls.mu.Lock()
	st.Done, st.Err, st.Saved, st.WriteErr = ls.finished, ls.err, ls.saved, ls.writeErr
	if ls.finished {
		st.Received, st.Dropped = ls.stats.Received, ls.stats.Dropped
	}
	ls.mu.Unlock()
	if !st.Done {
		if ks, err := ls.opts.Live.Stats(); err == nil {
			st.Received, st.Dropped = ks.Received, ks.Dropped
		}
	}
	hit := ls.an.LimitsHit()
	st.Forgotten = hit.TCPEvicted + hit.UDPEvicted
	return st
}

// stopCapture ends the capture and waits for the files to be closed. A
// write error comes first: what the -w file lacks matters more than why
// the capture stopped (often the same fault).
func (ls *liveState) stopCapture() error {
	ls.cancel()
	<-ls.done
	ls.mu.Lock()
	defer ls.mu.Unlock()
	if ls.writeErr != nil {
		return ls.writeErr
	}
	return ls.err
}

// Unsaved reports whether a live capture holds packets that exist only in
// the spool file, which Close removes.
func (s *Store) Unsaved() bool {
	if s.live == nil {
		return false
	}
	s.live.mu.Lock()
	defer s.live.mu.Unlock()
	return !s.live.saved && s.idx.Len() > 0
}

// SaveAs copies the packets captured so far to path (pcapng).
func (s *Store) SaveAs(path string) error {
	if s.live == nil {
		return fmt.Errorf("packets: only a live capture needs saving")
	}
	ls := s.live
	ls.mu.Lock()
	ls.flushLocked()
	n := s.idx.Len()
	end := ls.cursor
	ls.mu.Unlock()
	in, err := os.Open(s.path)
	if err != nil {
		return fmt.Errorf("packets: %w", err)
	}
	defer in.Close()
	out, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return fmt.Errorf("packets: saving the capture: %w", err)
	}
	if _, err := io.Copy(out, io.NewSectionReader(in, 0, end)); err != nil {
		out.Close()
		return fmt.Errorf("packets: saving the capture to %s: %w", path, err)
	}
	if err := out.Close(); err != nil {
		return fmt.Errorf("packets: saving the capture to %s: %w", path, err)
	}
	ls.mu.Lock()
	ls.saved = ls.saved || ls.finished || n == s.idx.Len()
	ls.mu.Unlock()
	return nil
}

// snapshot makes the live fast pass cover the packets captured so far
// (it has seen them all: they only wait to be published).
func (s *Store) snapshot(stop <-chan struct{}, n int) error {
	ls := s.live
	ls.mu.Lock()
	defer ls.mu.Unlock()
	ls.flushLocked()
	return ls.spoolErr
}

func containsAny(data []byte, secrets [][]byte) bool {
	for _, sec := range secrets {
		if len(sec) > 0 && bytes.Contains(data, sec) {
			return true
		}
	}
	return false
}
