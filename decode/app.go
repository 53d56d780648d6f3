package decode

// The application stage: what runs on top of TCP. Every segment goes
// through one reassembler (reassembly.go, seqasm.go); the stream's bytes go
// to the stage that owns the conversation — TLS (tls_fast.go) or HTTP/1.x
// (http_fast.go), each on the one desegmentation framer (tcp_framer.go) —
// and to the exposure stage (exposure.go), which also hears the stages'
// events (events.go). The raw stream of one conversation is kept for
// -z follow, reordered as tshark's follow does.

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// FollowChunk is one segment's worth of a followed TCP conversation, as
// tshark -z follow,tcp shows them: Dir 0 is from the conversation's first
// sender (Stream.Client), 1 back.
type FollowChunk struct {
	Dir   int
	Frame int
	Data  []byte
}

// chunked is an append-only list in fixed blocks: it never copies what it
// holds to grow (no doubling peak), and pointers into it stay valid.
type chunked[T any] struct {
	blocks [][]T
	n      int
}

const chunkLen = 4096

func (c *chunked[T]) add(v T) int32 {
	if c.n%chunkLen == 0 {
		c.blocks = append(c.blocks, make([]T, 0, chunkLen))
	}
	b := &c.blocks[len(c.blocks)-1]
	*b = append(*b, v)
	c.n++
	return int32(c.n - 1)
}

func (c *chunked[T]) at(i int32) *T { return &c.blocks[i/chunkLen][i%chunkLen] }

func (c *chunked[T]) len() int { return c.n }

// flatten returns the elements as one slice and empties c.
func (c *chunked[T]) flatten() []T {
	out := make([]T, 0, c.n)
	for _, b := range c.blocks {
		out = append(out, b...)
	}
	c.blocks, c.n = nil, 0
	return out
}

// appAnalysis is the application stage: the one reassembler for every
// TCP conversation, which hands each stream's bytes to the stage that owns
// it (TLS, HTTP) and to the exposure stage, and the followed stream.
type appAnalysis struct {
	opts Options
	r    *tcpReassembler // Wireshark's desegmentation (no reordering)
	rf   *tcpReassembler // the followed stream, reordered as tshark's follow does

	followStream int // the stream FollowTCP keeps, -1 none
	follow       []FollowChunk

	table  pduTable       // which frames' bytes went into PDUs (HTTP and TLS)
	tls    *tlsStage      // TLS conversations (tls_fast.go)
	http   *httpStage     // HTTP conversations (http_fast.go)
	h2     *h2Stage       // HTTP/2 conversations (http2_fast.go)
	exp    *exposureStage // with Options.Secrets
	sorted bool
}

func newAppAnalysis(opts Options) *appAnalysis {
	a := &appAnalysis{opts: opts}
	a.followStream = optionsFollowStream(opts)
	a.r = newTCPReassembler(a, false)
	a.rf = newTCPReassembler(followSink{a}, true)
	a.tls = newTLSStage(opts, &a.table)
	a.http = newHTTPStage(opts, &a.table)
	a.h2 = newH2Stage(opts, &a.table)
	if opts.Live {
		a.table.live = map[int32]int32{}
	}
	if opts.KeyLog != nil {
		a.tls.appData = a.decrypted
		a.tls.appTaken = func(stream int) bool { return a.http.conv(stream) != nil || a.h2.isH2(stream) }
		if opts.Live {
			a.http.decTable.live = map[int32]int32{}
			a.h2.decTable.live = map[int32]int32{}
		}
	}
	if len(opts.Secrets) > 0 {
		a.exp = newExposureStage(opts.Secrets)
		a.exp.fernetKeys = opts.FernetKeys
		a.http.events, a.tls.events = a.exp, a.exp
	}
	return a
}

// optionsFollowStream is the stream -z follow asks for, -1 for none.
func optionsFollowStream(opts Options) int {
	if opts.Following {
		return opts.Follow
	}
	return -1
}

// followSink keeps the followed stream's bytes.
type followSink struct{ a *appAnalysis }

func (s followSink) data(stream, dir, frame int, ts time.Time, pieces []asmPiece, skip int, end, fin bool) {
	if skip > 0 {
		// tshark marks a hole that never filled in the followed stream.
		if len(pieces) > 0 {
			frame = pieces[0].frame
		}
		s.a.follow = append(s.a.follow, FollowChunk{Dir: dir, Frame: frame,
			Data: []byte(fmt.Sprintf("[%d bytes missing in capture file]\x00", skip))})
	}
	for _, p := range pieces {
		if len(p.data) > 0 {
			s.a.follow = append(s.a.follow, FollowChunk{Dir: dir, Frame: p.frame, Data: append([]byte(nil), p.data...)})
		}
	}
}

func (s followSink) closed(stream int) {}

// SetFollowStream asks the fast pass to keep the bytes of TCP stream n for
// FollowTCP (tshark -z follow,tcp), as Options.FollowStream does. Call it
// before the first Add; -1 keeps none. Only one stream's bytes are kept.
func (a *Analyzer) SetFollowStream(n int) {
	a.app.followStream = n
}

// FollowTCP returns the payload of TCP stream n, one chunk per segment, in
// the order tshark -z follow,tcp shows it (a hole that never filled is a
// "[N bytes missing in capture file]" chunk, as there). The stream must have
// been asked for before the fast pass (Options.FollowStream or
// SetFollowStream): only its bytes are kept.
func (a *Analyzer) FollowTCP(stream int) ([]FollowChunk, error) {
	if !a.done {
		return nil, errors.New("decode: FollowTCP before the fast pass finished")
	}
	if a.app.followStream != stream || stream < 0 {
		return nil, fmt.Errorf("decode: TCP stream %d was not followed (call SetFollowStream(%d) before reading the capture)", stream, stream)
	}
	if stream >= len(a.tcp.streams) {
		return nil, fmt.Errorf("decode: no TCP stream %d (the capture has %d)", stream, len(a.tcp.streams))
	}
	return a.app.follow, nil
}

func (a *appAnalysis) addTCP(n int, ci gopacket.CaptureInfo, t *layers.TCP, seg segInfo) {
	idx := seg.stream
	flagged := seg.flags&(taRetransmission|taOutOfOrder) != 0
	if idx == a.followStream {
		a.rf.add(n, ci, t, idx, seg.dir, false)
	}
	if !a.tls.claim(t, seg, flagged, a.http.conv(idx) != nil) && !a.h2.claim(n, t, seg, flagged) {
		a.http.claim(n, t, seg, flagged)
	}
	// Every segment of every conversation goes through the one
	// reassembler, which hands the bytes to the stage that owns the
	// stream (data), and to the exposure stage, which looks at them all;
	// but a bare ACK starts nothing (the last ACKs of a closed
	// conversation, or a capture begun mid-stream, where the first data
	// starts the direction with nothing lost to report).
	if len(t.Payload) == 0 && !t.SYN && !t.FIN && !t.RST && !a.r.has(idx) {
		return
	}
	a.r.add(n, ci, t, idx, seg.dir, flagged)
}

// lastSegFlags is the TCP analysis flags of the segment tcpAnalysis.add
// just saw (Wireshark's tcp.analysis.flags for this frame).
func lastSegFlags(st *Stream) uint16 { return st.flow[st.LastDir&1].lastSegFlags }

// data receives the reassembled bytes of every conversation (asmHandler).
func (a *appAnalysis) data(stream, dir, frame int, ts time.Time, pieces []asmPiece, skip int, end, fin bool) {
	if a.exp != nil {
		a.exp.data(stream, dir, frame, ts, pieces, skip, end, fin)
	}
	if !a.tls.data(stream, dir, pieces, skip, end) && !a.h2.data(stream, dir, frame, ts, pieces, skip, end, fin) {
		a.http.data(stream, dir, frame, ts, pieces, skip, end, fin)
		a.h2.upgraded(stream, a.http.conv(stream))
	}
}

// decrypted hands a TLS session's decrypted application data to the
// protocol it carries, as Wireshark's TLS dissector does: HTTP/2 when ALPN
// chose h2 or the data starts with its preface, else HTTP/1.x when it is
// HTTP (httpStage.decrypted decides); either on the one framer.
// payOff is where plain starts in the frame's decrypted payload.
func (a *appAnalysis) decrypted(stream, dir, frame int, ts time.Time, sess *tlsSession, plain []byte, payOff int) {
	if a.h2.liveConn(stream) == nil && a.http.liveStream(stream) == nil &&
		(sess.appProto == tlsAppHTTP2 || looksLikeH2Preface(plain)) {
		a.h2.startDecrypted(stream, frame)
	}
	if a.h2.liveConn(stream) != nil {
		piece := [1]asmPiece{{data: plain, frame: frame, ts: ts, payOff: payOff}}
		a.h2.data(stream, dir, frame, ts, piece[:], 0, false, false)
		return
	}
	a.http.decrypted(stream, dir, frame, ts, sess, plain, payOff)
}

// closed is called when the reassembler is done with a conversation.
func (a *appAnalysis) closed(stream int) {
	a.tls.closed(stream)
	a.http.closed(stream)
	a.h2.closed(stream)
}

// finish ends the fast pass: what waits is pushed through, every stream
// closed, and the records sorted by frame.
func (a *appAnalysis) finish() {
	if a.sorted {
		return
	}
	a.sorted = true
	a.r.flushAll()
	a.rf.flushAll()
	a.tls.finish()
	a.http.finish()
	a.h2.finish()
	a.r, a.rf = nil, nil
	a.table.finish()
}

// publish makes what the stages learned from the packets so far readable
// by the tree tier (Options.Live): the records Finish would sort.
func (a *appAnalysis) publish() {
	a.http.publish()
	a.tls.publish()
	a.h2.publish()
}

// sortStableBy sorts s by key, keeping the order of equal keys, after
// checking whether it already is.
func sortStableBy[T any](s []T, key func(T) int32) {
	cmp := func(a, b T) int { return int(key(a)) - int(key(b)) }
	if !slices.IsSortedFunc(s, cmp) {
		slices.SortStableFunc(s, cmp)
	}
}

// rowReplacesTCPInfo reports whether the HTTP stage writes frame n's
// Info column (keeping only TCP's notes in front of its own): the frame
// completes HTTP messages in a stream TLS does not claim.
func (a *appAnalysis) rowReplacesTCPInfo(stream, n int) bool {
	if a.opts.LayersOnly || a.tls.isTLS(stream) {
		return false
	}
	return len(a.http.frameRecs(n)) > 0
}
