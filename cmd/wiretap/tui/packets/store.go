package packets

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"wiretap/capture"
	"wiretap/decode"
)

// Options configure a Store.
type Options struct {
	// Decode steers dissection (-d tcp.port==N,proto).
	Decode decode.Options
	// Secrets are marked where visible (a red mark in the list, a
	// "secret" node in the tree, field secret.found).
	Secrets [][]byte
	// CapFilter (tcpdump syntax) skips the packets of a file that do not
	// match; packets are numbered as kept, as `wiretap read -f` does.
	CapFilter string
	// Trace, if set, is told when the index and the fast pass are complete
	// ("indexed", "analysed"), for the viewer's benchmark.
	Trace func(event string, packets int)
}

// ErrStopped is what work cut short by Close or a cancelled job returns.
var errStopped = errors.New("packets: stopped")

// Store is one capture as the viewer sees it: the index of its packets,
// the fast pass once it has run, and dissection on demand. It is safe for
// concurrent use. Packets are numbered from 1.
type Store struct {
	opts Options
	name string // for the status line: the file name, or "live lo"
	path string // the file the bytes are read from
	temp string // a spool file of ours, removed by Close
	f    *os.File
	idx  Index
	size int64 // of the file, for the indexing progress; 0 when live

	mu        sync.Mutex
	cond      *sync.Cond // signalled as the index grows and at its end
	linkTypes []layers.LinkType
	ifaces    []capture.InterfaceInfo // a file's, as indexed (shared: not modified)
	pcapng    bool                    // the file is pcapng: its frames name their interfaces
	scanned   int64
	indexed   bool
	readErr   error
	// warm is a fast pass of its own over the first warmN packets (a
	// live one, fed while indexing): their list rows until the file's
	// fast pass is done.
	warm         *decode.Analyzer
	warmN        int
	an           *decode.Analyzer // covers packets 1..analysed
	analysed     int
	analysing    bool
	passDone     atomic.Int64 // packets the running fast pass has seen
	workers      atomic.Int32 // the indexer and the fast pass, while they run
	exposures    []*decode.Exposure
	secretFrames map[int]bool
	gen          int // bumped when rows or trees may have changed
	rows         *lru[int, Row]
	trees        *lru[int, *decode.Packet]
	live         *liveState

	changed chan struct{}
	panics  chan error
	stop    chan struct{}
	wg      sync.WaitGroup
	once    sync.Once
}

// Row is one line of the packet list.
type Row struct {
	decode.Summary
	Secret bool // a secret is visible in this packet
	Bad    bool // malformed, or TCP analysis found a problem (Wireshark's "Bad TCP")
	// Final rows come from the file's fast pass; others are provisional
	// (shown while it runs: the first packets' from a fast pass of their
	// own, the rest from each packet dissected alone).
	Final bool
}

// Progress is what the status line shows of the Store's work.
type Progress struct {
	Name      string
	Packets   int     // indexed so far
	Fraction  float64 // of the file indexed
	Indexed   bool    // the whole file is indexed (live: never)
	Analysed  int     // packets the fast pass covers
	Analysing bool
	PassDone  int   // packets the running fast pass has seen
	Err       error // reading stopped here; the packets before are shown
	// Idle: no indexing, fast pass or secret search is running (a live
	// capture goes on regardless).
	Idle    bool
	Live    *LiveStatus
	IndexMB float64
}

func newStore(name string, opts Options) *Store {
	s := &Store{opts: opts, name: name, rows: newLRU[int, Row](8192), trees: newLRU[int, *decode.Packet](64),
		changed: make(chan struct{}, 1), panics: make(chan error, 1), stop: make(chan struct{})}
	s.cond = sync.NewCond(&s.mu)
	return s
}

// Changed is signalled (without blocking, coalesced) whenever the Store
// has news for the screen.
func (s *Store) Changed() <-chan struct{} { return s.changed }

// Panics delivers a panic of a Store goroutine, so the UI goroutine can
// restore the terminal before it is reported.
func (s *Store) Panics() <-chan error { return s.panics }

func (s *Store) notify() {
	select {
	case s.changed <- struct{}{}:
	default:
	}
}

// goSafe runs fn in a goroutine whose panic is handed to Panics instead of
// killing the process with the terminal still in raw mode.
func (s *Store) goSafe(fn func()) {
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer func() {
			if r := recover(); r != nil {
				select {
				case s.panics <- decode.NewPanicError(r, "the viewer's background work"):
				default:
				}
			}
		}()
		fn()
	}()
}

// goWork is goSafe for the Store's own work, which Idle waits for.
func (s *Store) goWork(fn func()) {
	s.workers.Add(1)
	s.goSafe(func() {
		defer s.workers.Add(-1)
		fn()
	})
}

// Go runs a background job the same way: its panic goes to Panics.
func (s *Store) Go(fn func()) { s.goSafe(fn) }

// Close stops the Store's goroutines and removes its spool file.
func (s *Store) Close() error {
	var err error
	s.once.Do(func() {
		close(s.stop)
		s.mu.Lock()
		s.cond.Broadcast()
		s.mu.Unlock()
		if s.live != nil {
			err = s.live.stopCapture()
		}
		s.wg.Wait()
		if s.f != nil {
			s.f.Close()
		}
		if s.temp != "" {
			os.Remove(s.temp)
		}
	})
	return err
}

func (s *Store) stopped() bool {
	select {
	case <-s.stop:
		return true
	default:
		return false
	}
}

// Path is the file the packets are read from (a spool file for stdin,
// gzip input and live captures).
func (s *Store) Path() string { return s.path }

// Len is the number of packets indexed so far.
func (s *Store) Len() int { return s.idx.Len() }

// Entry returns packet n's index record.
func (s *Store) Entry(n int) Entry { return s.idx.At(n - 1) }

// Gen changes whenever rows or trees may have changed (the fast pass or the
// secret search finished), so the screen re-reads what it shows.
func (s *Store) Gen() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.gen
}

// Progress reports the Store's work so far.
func (s *Store) Progress() Progress {
	s.mu.Lock()
	p := Progress{Name: s.name, Packets: s.idx.Len(), Indexed: s.indexed, Analysed: s.analysed, Analysing: s.analysing,
		PassDone: int(s.passDone.Load()), Idle: s.workers.Load() == 0 && !s.analysing,
		Err: s.readErr}
	if s.size > 0 {
		p.Fraction = float64(s.scanned) / float64(s.size)
	}
	if s.indexed {
		p.Fraction = 1
	}
	s.mu.Unlock()
	if s.live != nil {
		st := s.live.status()
		p.Live = &st
	}
	return p
}

// Analysed reports whether the fast pass covers every packet indexed (for
// a file: the whole file).
func (s *Store) Analysed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.an != nil && s.analysed == s.idx.Len() && (s.indexed || s.live != nil)
}

func (s *Store) linkType(iface int) layers.LinkType {
	s.mu.Lock()
	defer s.mu.Unlock()
	if iface < len(s.linkTypes) {
		return s.linkTypes[iface]
	}
	if len(s.linkTypes) > 0 {
		return s.linkTypes[0]
	}
	return layers.LinkTypeEthernet
}

// Bytes reads packet n's bytes from the file.
func (s *Store) Bytes(n int) ([]byte, error) {
	if n < 1 || n > s.idx.Len() {
		return nil, fmt.Errorf("packets: no packet %d (the capture has %d)", n, s.idx.Len())
	}
	e := s.Entry(n)
	b := make([]byte, e.CapLen)
	if _, err := s.f.ReadAt(b, e.Offset); err != nil {
		return nil, fmt.Errorf("packets: reading packet %d at byte %d of %s: %w", n, e.Offset, s.path, err)
	}
	return b, nil
}

// Secrets are the byte strings marked where visible.
func (s *Store) Secrets() [][]byte { return s.opts.Secrets }

// Packet returns packet n fully dissected. final is false for a packet
// beyond what the fast pass covers yet: it is then dissected on its own
// (layers right, but nothing learned from other packets).
func (s *Store) Packet(n int) (p *decode.Packet, final bool, err error) {
	s.mu.Lock()
	if p, ok := s.trees.get(n); ok {
		final := n <= s.analysed
		s.mu.Unlock()
		return p, final, nil
	}
	gen := s.gen
	s.mu.Unlock()
	p, final, err = s.dissect(n)
	if err != nil {
		return nil, false, err
	}
	s.mu.Lock()
	if s.gen == gen {
		s.trees.put(n, p)
	}
	s.mu.Unlock()
	return p, final, nil
}

// Dissect is Packet without the cache, for passes over many packets
// (filters, statistics) that should not push out what the screen shows.
func (s *Store) Dissect(n int) (*decode.Packet, bool, error) { return s.dissect(n) }

// DissectFor is Dissect for the values of the fields w names only (a
// display filter's): call Release on the packet when done with it.
func (s *Store) DissectFor(w *decode.Want, n int) (*decode.Packet, bool, error) {
	s.mu.Lock()
	an, covered := s.an, s.analysed
	s.mu.Unlock()
	if an == nil || n > covered || len(s.opts.Secrets) > 0 {
		// Alone, or marked with the secrets: the whole tree.
		return s.dissect(n)
	}
	data, err := s.Bytes(n)
	if err != nil {
		return nil, false, err
	}
	e := s.Entry(n)
	return an.DissectFor(w, n, e.captureInfo(), s.linkType(e.Iface), data), true, nil
}

func (s *Store) dissect(n int) (*decode.Packet, bool, error) {
	data, err := s.Bytes(n)
	if err != nil {
		return nil, false, err
	}
	e := s.Entry(n)
	lt := s.linkType(e.Iface)
	ci := e.captureInfo()
	s.mu.Lock()
	an, covered, frames := s.an, s.analysed, s.secretFrames
	s.mu.Unlock()
	var p *decode.Packet
	final := an != nil && n <= covered
	if final {
		p = an.Dissect(n, ci, lt, data) // safe from several goroutines

	} else {
		p = dissectAlone(n, ci, lt, data, s.opts.Decode)
	}
	if len(s.opts.Secrets) > 0 {
		decode.MarkSecrets(p, s.opts.Secrets, frames)
	}
	return p, final, nil
}

// Row returns packet n's list row (cached).
func (s *Store) Row(n int) (Row, error) {
	s.mu.Lock()
	if r, ok := s.rows.get(n); ok {
		s.mu.Unlock()
		return r, nil
	}
	gen := s.gen
	s.mu.Unlock()
	r, err := s.RowUncached(n)
	if err != nil {
		return Row{}, err
	}
	s.mu.Lock()
	if s.gen == gen {
		s.rows.put(n, r)
	}
	s.mu.Unlock()
	return r, nil
}

// RowUncached is Row without the cache, for passes over many rows (a sort,
// a search of the list) that should not push out what the screen shows.
func (s *Store) RowUncached(n int) (Row, error) {
	data, err := s.Bytes(n)
	if err != nil {
		return Row{}, err
	}
	e := s.Entry(n)
	lt := s.linkType(e.Iface)
	s.mu.Lock()
	an, analysed, frames := s.an, s.analysed, s.secretFrames
	var warm *decode.Analyzer
	if n > analysed && n <= s.warmN {
		warm = s.warm
	}
	s.mu.Unlock()
	var r Row
	switch {
	case n <= analysed:
		// The fast pass's row: what Dissect would summarise, without
		// building the trees.
		r.Summary = an.Row(n, e.captureInfo(), lt, data)
		r.Final = true
		r.Bad = badInfo(r.Info)
		r.Secret = containsAny(data, s.opts.Secrets) || frames[n]
		return r, nil
	case warm != nil:
		r.Summary = warm.Row(n, e.captureInfo(), lt, data)
		r.Bad = badInfo(r.Info)
	default:
		r = RowOf(dissectAlone(n, e.captureInfo(), lt, data, s.opts.Decode))
	}
	r.Secret = containsAny(data, s.opts.Secrets)
	return r, nil
}

// badInfo reads Wireshark's "Bad TCP" rule off a row's Info: TCP analysis
// notes other than window updates and keep-alives, or a malformed packet.
func badInfo(info string) bool {
	if strings.Contains(info, "[Malformed") {
		return true
	}
	for strings.HasPrefix(info, "[TCP ") {
		end := strings.Index(info, "]")
		if end < 0 {
			return false
		}
		switch info[len("[TCP "):end] {
		case "Window Update", "Keep-Alive", "Keep-Alive ACK":
		default:
			return true
		}
		info = strings.TrimLeft(info[end+1:], " ")
	}
	return false
}

// RowOf makes a list row from a dissected packet.
func RowOf(p *decode.Packet) Row {
	r := Row{Summary: p.Summary}
	var flags, benign bool
	for _, top := range p.Tree {
		top.Walk(func(f *decode.Field) bool {
			switch f.Name {
			case "secret":
				r.Secret = true
			case "_ws.malformed":
				r.Bad = true
			case "tcp.analysis.flags":
				flags = true
			case "tcp.analysis.window_update", "tcp.analysis.keep_alive", "tcp.analysis.keep_alive_ack":
				benign = true
			}
			return true
		})
	}
	if flags && !benign {
		r.Bad = true
	}
	return r
}

// dissectAlone dissects one packet with a fast pass of its own: what the
// screen shows of a packet the real fast pass has not reached yet.
func dissectAlone(n int, ci gopacket.CaptureInfo, lt layers.LinkType, data []byte, opts decode.Options) *decode.Packet {
	an := decode.NewAnalyzer(opts)
	an.Add(1, ci, lt, data)
	an.Finish()
	if err := an.Err(); err != nil {
		panic(err) // a bug in the fast pass: the viewer reports it (goSafe, RunOn)
	}
	p := an.Dissect(1, ci, lt, data)
	p.Number, p.Summary.Number = n, n
	if len(p.Tree) > 0 {
		if rest, ok := strings.CutPrefix(p.Tree[0].Label, "Frame 1:"); ok {
			p.Tree[0].Label = fmt.Sprintf("Frame %d:%s", n, rest)
		}
		for _, f := range p.Tree[0].Children {
			if f.Name == "frame.number" {
				f.U, f.Label = uint64(n), fmt.Sprintf("Frame Number: %d", n)
			}
		}
	}
	return p
}

// invalidate drops cached rows and trees: the fast pass or the secret
// search changed what they would show. Called with s.mu held.
func (s *Store) invalidate() {
	s.gen++
	s.rows.clear()
	s.trees.clear()
}

// Analyzer returns the fast pass and how many packets it covers (nil, 0
// before the first is done). Use it only through the Store's helpers or
// for read-only queries (TCPStreams).
func (s *Store) Analyzer() (*decode.Analyzer, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.an, s.analysed
}

// WaitAnalysed blocks until the fast pass covers packet n (for a live
// capture, it runs one over the packets so far when needed), or stop is
// closed.
func (s *Store) WaitAnalysed(stop <-chan struct{}, n int) error {
	if s.live != nil {
		return s.snapshot(stop, n)
	}
	for {
		s.mu.Lock()
		done := s.an != nil && (s.analysed >= n || s.indexed && s.analysed == s.idx.Len())
		err := s.readErr
		idle := !s.analysing && s.indexed
		s.mu.Unlock()
		if done {
			return nil
		}
		if idle && err != nil && s.an == nil {
			return err
		}
		select {
		case <-stop:
			return errStopped
		case <-s.stop:
			return errStopped
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// Exposures returns the per-stream secret findings, once the search ran.
func (s *Store) Exposures() []*decode.Exposure {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.exposures
}

// AnalyzeExposure looks for secret in every TCP stream of the first n
// packets (what the compare view shows), reading them by the index.
func (s *Store) AnalyzeExposure(stop <-chan struct{}, n int, secret []byte) (*decode.Exposure, error) {
	f, err := os.Open(s.path)
	if err != nil {
		return nil, fmt.Errorf("packets: %w", err)
	}
	defer f.Close()
	src := &indexSource{s: s, sr: newSeqReader(f), n: n, stop: stop}
	return decode.AnalyzeExposure(src, secret)
}

// IsStopped reports whether err is the Store's "stopped" error.
func IsStopped(err error) bool { return errors.Is(err, errStopped) }
