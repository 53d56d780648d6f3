package packets

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
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
}

// liveRing is how many recent list rows a live capture keeps (the rows a
// Summarizer made as packets arrived); older rows are rebuilt from the
// packet alone, or from the fast pass once one ran.
const liveRing = 1 << 16

type liveState struct {
	s      *Store
	opts   LiveOptions
	cancel context.CancelFunc
	done   chan struct{}

	mu       sync.Mutex // guards the writer, pending and the ring
	spool    *capture.PcapngWriter
	cursor   int64 // where the spool's next block starts
	snap     int
	pending  []Entry
	pendRows []Row
	summ     *decode.Summarizer
	ring     []Row
	ringBase int // packet number of ring[0] minus 1, modulo liveRing
	stats    capture.Stats
	err      error
	finished bool
	saved    bool

	snapMu sync.Mutex // one fast-pass snapshot at a time
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
		snap: l.SnapLen(), summ: decode.NewSummarizer(), ring: make([]Row, 0, 1024), saved: lo.Sink != nil}
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
		if cerr := ls.opts.Sink.Close(); cerr != nil && err == nil {
			ls.mu.Lock()
			ls.err = cerr
			ls.mu.Unlock()
		}
	}
	ls.s.notify()
	// The capture is over: one fast pass over all of it, as for a file.
	ls.s.snapshot(nil, ls.s.Len())
}

// WritePacket is Record's sink: the spool (whose offsets the index
// keeps), then the user's file.
func (ls *liveState) WritePacket(ci gopacket.CaptureInfo, data []byte) error {
	ls.mu.Lock()
	if len(data) > ls.snap && ls.snap > 0 {
		data = data[:ls.snap]
	}
	if err := ls.spool.WritePacket(ci, data); err != nil {
		ls.mu.Unlock()
		return err
	}
	// An enhanced packet block: 28 bytes of header, the data padded to 4
	// bytes, no options, the 4-byte trailing length (pcapgo's layout).
	ls.pending = append(ls.pending, Entry{Offset: ls.cursor + 28, Time: ci.Timestamp, CapLen: len(data), OrigLen: max(ci.Length, len(data))})
	ls.cursor += 32 + int64(len(data)+3)&^3
	row := Row{Summary: ls.summ.Summarize(ci, ls.opts.Live.LinkType(), data), Secret: containsAny(data, ls.s.opts.Secrets)}
	ls.pendRows = append(ls.pendRows, row)
	if len(ls.pending) >= 512 {
		ls.flushLocked()
	}
	ls.mu.Unlock()
	if ls.opts.Sink != nil {
		return ls.opts.Sink.WritePacket(ci, data)
	}
	return nil
}

func (ls *liveState) Close() error { return nil } // Record's sink; record closes the spool itself

// flushLocked writes the spool's buffer to the file and then publishes
// the packets in it: an entry is never visible before its bytes are.
func (ls *liveState) flushLocked() {
	if len(ls.pending) == 0 {
		return
	}
	if err := ls.spool.Flush(); err != nil {
		ls.err = err
		return
	}
	for i, e := range ls.pending {
		ls.s.idx.Append(e)
		if len(ls.ring) < liveRing {
			ls.ring = append(ls.ring, ls.pendRows[i])
		} else {
			ls.ring[ls.ringBase] = ls.pendRows[i]
			ls.ringBase = (ls.ringBase + 1) % liveRing
		}
	}
	ls.pending, ls.pendRows = ls.pending[:0], ls.pendRows[:0]
	ls.s.notify()
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

// liveRow fills r with packet n's row from the ring, if it is still there.
func (s *Store) liveRow(n int, r *Row) bool {
	ls := s.live
	ls.mu.Lock()
	defer ls.mu.Unlock()
	total := s.idx.Len()
	oldest := total - len(ls.ring) + 1
	if n < oldest || n > total {
		return false
	}
	i := n - oldest
	if len(ls.ring) == liveRing {
		i = (ls.ringBase + i) % liveRing
	}
	*r = ls.ring[i]
	return true
}

func (ls *liveState) status() LiveStatus {
	st := LiveStatus{Interface: ls.opts.Live.Interface(), Captured: ls.s.idx.Len(), Filter: ls.opts.Filter, Writing: ls.opts.SinkName}
	ls.mu.Lock()
	st.Done, st.Err, st.Saved = ls.finished, ls.err, ls.saved
	if ls.finished {
		st.Received, st.Dropped = ls.stats.Received, ls.stats.Dropped
	}
	ls.mu.Unlock()
	if !st.Done {
		if ks, err := ls.opts.Live.Stats(); err == nil {
			st.Received, st.Dropped = ks.Received, ks.Dropped
		}
	}
	return st
}

// stopCapture ends the capture and waits for the files to be closed.
func (ls *liveState) stopCapture() error {
	ls.cancel()
	<-ls.done
	ls.mu.Lock()
	defer ls.mu.Unlock()
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

// snapshot runs a fast pass over the first n packets of a live capture
// (n at least), unless one covering them exists.
func (s *Store) snapshot(stop <-chan struct{}, n int) error {
	ls := s.live
	ls.snapMu.Lock()
	defer ls.snapMu.Unlock()
	s.mu.Lock()
	covered := s.an != nil && s.analysed >= n
	s.mu.Unlock()
	if covered {
		return nil
	}
	total := s.idx.Len()
	f, err := os.Open(s.path)
	if err != nil {
		return fmt.Errorf("packets: %w", err)
	}
	defer f.Close()
	s.mu.Lock()
	s.analysing = true
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.analysing = false
		s.mu.Unlock()
	}()
	src := &indexSource{s: s, sr: newSeqReader(f), n: total, stop: stop}
	an := decode.NewAnalyzer(s.decodeOptions())
	for i := 1; ; i++ {
		data, ci, err := src.ReadPacket()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		an.Add(i, ci, src.lt, data)
		s.passDone.Store(int64(i))
	}
	s.install(an, total)
	return nil
}

func containsAny(data []byte, secrets [][]byte) bool {
	for _, sec := range secrets {
		if len(sec) > 0 && bytes.Contains(data, sec) {
			return true
		}
	}
	return false
}
