package decode

// The application stage (reassembly, HTTP framing) runs in a goroutine of
// its own beside the rest of the fast pass (reading, layer decoding, TCP
// analysis): on two cores that hides most of the cheaper half. It gets the
// segments in capture order, in batches, with copies of their payloads (the
// reader reuses its buffer), and with what TCP analysis said of them at the
// time, so it never reads state the other goroutine is changing.

import (
	"sync/atomic"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// segInfo is what the application stage needs to know of a segment's
// conversation, as TCP analysis saw it when the segment arrived.
type segInfo struct {
	stream     int    // tcp.stream
	dir        int    // 0: from the conversation's first sender (Stream.Client)
	flags      uint16 // the segment's tcp.analysis flags
	clientPort uint16
	serverPort uint16
}

func segInfoOf(st *Stream) segInfo {
	return segInfo{stream: st.Index, dir: st.LastDir, flags: lastSegFlags(st), clientPort: st.Client.Port, serverPort: st.Server.Port}
}

// appSeg is one queued segment: the TCP header fields reassembly reads and
// where its payload is in the batch's arena.
type appSeg struct {
	n                   int
	ci                  gopacket.CaptureInfo
	seg                 segInfo
	seq, ack            uint32
	srcPort, dstPort    uint16
	syn, fin, rst, ack_ bool
	off, len            int
	evict               bool // not a segment: seg.stream is evicted
}

type appBatch struct {
	segs  []appSeg
	arena []byte
}

const (
	appBatchSegs  = 512
	appBatchBytes = 1 << 20
	appBatches    = 8 // in flight at once: bounds the memory the queue holds
)

// appWorker runs appAnalysis.addTCP on its own goroutine.
type appWorker struct {
	app  *appAnalysis
	cur  *appBatch
	work chan *appBatch
	free chan *appBatch
	done chan struct{}
	made int // batches allocated: they are made as the queue needs them
	// failed is the stage's recovered panic (set once, before failing is):
	// add then queues nothing more, and wait returns it.
	failed  *PanicError
	failing atomic.Bool
}

func newAppWorker(app *appAnalysis) *appWorker {
	w := &appWorker{app: app, work: make(chan *appBatch, appBatches), free: make(chan *appBatch, appBatches), done: make(chan struct{})}
	go w.loop()
	return w
}

// add queues a segment. After the stage panicked it drops it: nothing
// more of the stage's records can be trusted, and wait reports why.
func (w *appWorker) add(n int, ci gopacket.CaptureInfo, t *layers.TCP, st *Stream) {
	if w.failing.Load() {
		return
	}
	b := w.batch()
	b.segs = append(b.segs, appSeg{n: n, ci: ci, seg: segInfoOf(st), seq: t.Seq, ack: t.Ack, srcPort: uint16(t.SrcPort), dstPort: uint16(t.DstPort),
		syn: t.SYN, fin: t.FIN, rst: t.RST, ack_: t.ACK, off: len(b.arena), len: len(t.Payload)})
	b.arena = append(b.arena, t.Payload...)
	if len(b.segs) >= appBatchSegs || len(b.arena) >= appBatchBytes {
		w.flush()
	}
}

// evict queues the eviction of stream after the segments before it.
func (w *appWorker) evict(stream int) {
	if w.failing.Load() {
		return
	}
	b := w.batch()
	b.segs = append(b.segs, appSeg{evict: true, seg: segInfo{stream: stream}})
}

// batch is the batch being filled, a free one if none is.
func (w *appWorker) batch() *appBatch {
	if w.cur == nil {
		select {
		case w.cur = <-w.free:
		default:
			if w.made < appBatches {
				// A small capture never needs the whole queue.
				w.made++
				w.cur = &appBatch{segs: make([]appSeg, 0, 64), arena: make([]byte, 0, 16<<10)}
			} else {
				w.cur = <-w.free
			}
		}
	}
	return w.cur
}

func (w *appWorker) flush() {
	if w.cur != nil && len(w.cur.segs) > 0 {
		w.work <- w.cur
		w.cur = nil
	}
}

// wait hands over what is queued and returns once all of it is processed,
// with the stage's panic if it had one.
func (w *appWorker) wait() *PanicError {
	if !w.failing.Load() {
		w.flush()
	}
	close(w.work)
	<-w.done
	return w.failed
}

// appBatchHook, when set (by tests), is called with each batch before the
// stage processes it: a panic in it stands for a bug in the stage.
var appBatchHook func()

// SetAppStageHook is for tests, of decode's callers too: f runs in the
// application stage's goroutine before each batch of segments, so a panic
// in it stands for a bug there. It returns what puts the hook back.
func SetAppStageHook(f func()) (restore func()) {
	old := appBatchHook
	appBatchHook = f
	return func() { appBatchHook = old }
}

func (w *appWorker) loop() {
	defer close(w.done)
	defer func() {
		// A bug in the stage must surface in the caller (wait), not kill
		// the process from a goroutine no one recovers. The batches
		// still queued go back to add, which may be waiting for one.
		if r := recover(); r != nil {
			w.failed = NewPanicError(r, "the application stage")
			w.failing.Store(true)
			for b := range w.work {
				b.segs, b.arena = b.segs[:0], b.arena[:0]
				select {
				case w.free <- b:
				default:
				}
			}
		}
	}()
	var t layers.TCP
	for b := range w.work {
		if appBatchHook != nil {
			appBatchHook()
		}
		for i := range b.segs {
			s := &b.segs[i]
			if s.evict {
				w.app.evict(s.seg.stream)
				continue
			}
			t.Seq, t.Ack = s.seq, s.ack
			t.SrcPort, t.DstPort = layers.TCPPort(s.srcPort), layers.TCPPort(s.dstPort)
			t.SYN, t.FIN, t.RST, t.ACK = s.syn, s.fin, s.rst, s.ack_
			t.Payload = b.arena[s.off : s.off+s.len : s.off+s.len]
			w.app.addTCP(s.n, s.ci, &t, s.seg)
		}
		b.segs, b.arena = b.segs[:0], b.arena[:0]
		if cap(b.arena) > 4*appBatchBytes {
			b.arena = make([]byte, 0, appBatchBytes)
		}
		w.free <- b
	}
}
