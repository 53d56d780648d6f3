package decode

// The application stage: what runs on top of TCP. For now that is HTTP/1.x,
// found by content on any port, and the raw stream of one conversation for
// -z follow.
//
// Fast pass (addTCP, finish): conversations that look like HTTP (a port
// forced to "http", one of Wireshark's HTTP ports, or Wireshark's HTTP
// heuristic on a segment's first line) are reassembled (reassembly.go) and
// split into messages (http.go). Each message leaves a compact record: the
// frame it completes in, where its bytes are (an offset into that frame's
// own TCP payload, or, when it spans segments, a copy of just its bytes,
// within a global budget), the request/response pairing, and the few
// strings -z statistics need. Nothing else of a stream is kept once it
// closes.
//
// Dissect (dissect, in http_dissect.go) rebuilds a frame's HTTP tree from
// those records and the frame's own bytes, in any order.

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// Budgets for message bytes kept for Dissect.
const (
	// httpMaxKeep is how much of one message is kept while it arrives
	// (and afterwards, when it spans segments): larger messages keep a
	// prefix, and their tree shows what it holds.
	httpMaxKeep = 8 << 20
	// httpSavedBudget bounds the copies of multi-segment messages kept for
	// Dissect; past it only their headers are kept.
	httpSavedBudget = 48 << 20
	// httpPendingBudget bounds what all conversations keep of messages
	// still arriving; past it they keep what they have, and their trees
	// show that prefix.
	httpPendingBudget = 32 << 20
)

// httpPorts are the TCP ports Wireshark 4.0 hands to HTTP without looking.
var httpPorts = map[uint16]bool{80: true, 631: true, 1900: true, 2710: true, 2869: true, 3128: true, 3132: true,
	3689: true, 5985: true, 8080: true, 8088: true, 11371: true}

// HTTPMessageInfo describes one HTTP request or response (for -z http
// statistics).
type HTTPMessageInfo struct {
	Frame       int // the frame the message completes in
	Stream      int // tcp.stream
	Request     bool
	Method      string // requests
	URI         string // requests
	Host        string // requests with a Host header
	Code        int    // responses
	ContentType string // http.content_type, when present
	// RequestIn (responses) and ResponseIn (requests) pair messages as
	// http.request_in and http.response_in do; 0 when unpaired.
	RequestIn, ResponseIn int
}

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

// httpMsg is the record the fast pass keeps of a message (44 bytes).
type httpMsg struct {
	frame  int32
	payOff int32 // >= 0: the message is frame's TCP payload [payOff, payOff+length)
	length int32
	uriOff uint32 // the request URI, in a.uris
	uriLen uint32
	host   uint32 // interned strings
	ctype  uint32
	rr     int32 // the pair this message was pushed to, -1 none
	forURI int32 // responses: the request whose URI http.response_for.uri shows, -1 none
	code   uint16
	kind   httpKind
	flags  uint8
	method uint8 // index in httpMethodList, 0 none
}

const (
	msgSkipCRLF  = 1 << iota // a leading CRLF was skipped
	msgTruncated             // only a prefix of the message was kept
	msgMulti                 // bytes kept in a.multi
	msgForFull               // forURI: use the full URI
	msgNewCall               // the first message of a dissector call
)

// reqRes is Wireshark's http_req_res_t: a request and the response paired
// with it (by position, per conversation).
type reqRes struct {
	number     int32
	conv       int32 // tcp.stream
	reqFrame   int32
	resFrame   int32
	prev, next int32
	reqTs      int64 // the request frame's time, unix ns
}

// httpFrame indexes the messages completing in one frame.
type httpFrame struct {
	frame int32
	first int32 // index into msgs
	count int32
	curr  int32 // the pair Wireshark attaches to the frame (the last pushed), -1 none
	ts    int64
}

// appStream is the live state of a conversation being reassembled.
type appStream struct {
	from int // HTTP from this frame on (the heuristic's)
	dirs [2]*pduFramer
}

type appAnalysis struct {
	opts     Options
	r        *tcpReassembler // HTTP: Wireshark's desegmentation (no reordering)
	rf       *tcpReassembler // the followed stream, reordered as tshark's follow does
	live     []*appStream    // by tcp.stream: conversations being reassembled
	convs    []int32         // by tcp.stream: index in convSlab plus one; 0: not HTTP
	convSlab chunked[httpConv]
	done     []bool  // by tcp.stream: the assembler closed it
	class    []uint8 // by tcp.stream: 1 HTTP port, 2 another protocol's, 3 unknown

	followStream int // the stream FollowTCP keeps, -1 none
	follow       []FollowChunk

	msgs    chunked[httpMsg]
	multi   map[int32]*savedPDU // messages that span segments
	framesC chunked[httpFrame]  // while the fast pass runs
	frames  []httpFrame         // after it, sorted by frame
	table   pduTable            // which frames' bytes went into PDUs (HTTP and TLS)
	infos   map[int32]string    // frame: Info of a message a displayed call began
	rr      chunked[reqRes]
	strs    []string
	strIdx  map[string]uint32
	uris    []byte // request URIs, back to back
	saved   int64  // bytes of multi-segment messages kept
	calls   int32
	curTs   time.Time // the time of the frame whose bytes are being framed
	// The dissector call messages are being reported for, and how many so
	// far: calls never overlap (each ends before the next begins).
	curCall    int32
	curCallMsg int
	sorted     bool
	proxy      []int32 // frames carrying a CONNECT tunnel's payload
	pending    keepBudget
	exp        *exposureStage // with Options.Secrets
	events     stageEvents    // the consumers listening (the exposure stage), nil none
	tls        *tlsStage      // TLS conversations (tls_fast.go)
}

func newAppAnalysis(opts Options) *appAnalysis {
	a := &appAnalysis{
		opts:         opts,
		pending:      keepBudget{limit: httpPendingBudget},
		followStream: -1,
		multi:        map[int32]*savedPDU{},
		infos:        map[int32]string{},
		strIdx:       map[string]uint32{"": 0},
		strs:         []string{""},
	}
	a.followStream = optionsFollowStream(opts)
	a.r = newTCPReassembler(a, false)
	a.rf = newTCPReassembler(followSink{a}, true)
	a.tls = newTLSStage(opts, &a.table)
	if len(opts.Secrets) > 0 {
		a.exp = newExposureStage(opts.Secrets)
		a.events, a.tls.events = a.exp, a.exp
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

// HTTPMessages lists the HTTP requests and responses, by frame. Pairs are
// Wireshark's: one per frame (the last message's), as http.request_in and
// http.response_in show them.
func (a *Analyzer) HTTPMessages() []HTTPMessageInfo {
	a.Finish()
	ap := a.app
	var out []HTTPMessageInfo
	for k, fr := range ap.frames {
		curr := fr.curr
		for j := k + 1; j < len(ap.frames) && ap.frames[j].frame == fr.frame; j++ {
			if ap.frames[j].curr >= 0 {
				curr = ap.frames[j].curr
			}
		}
		for i := fr.first; i < fr.first+fr.count; i++ {
			m := ap.msgs.at(i)
			if m.kind != httpRequest && m.kind != httpResponse {
				continue
			}
			info := HTTPMessageInfo{Frame: int(m.frame), Request: m.kind == httpRequest, ContentType: ap.strs[m.ctype]}
			if info.Request {
				info.Method, info.URI, info.Host = httpMethodList[m.method], ap.uri(m), ap.strs[m.host]
			} else {
				info.Code = int(m.code)
			}
			if m.rr >= 0 {
				info.Stream = int(ap.rr.at(m.rr).conv)
			}
			if curr >= 0 {
				r := ap.rr.at(curr)
				if info.Request {
					info.ResponseIn = int(r.resFrame)
				} else {
					info.RequestIn = int(r.reqFrame)
				}
			}
			out = append(out, info)
		}
	}
	return out
}

// uri is a message's request URI.
func (a *appAnalysis) uri(m *httpMsg) string {
	return string(a.uris[m.uriOff : m.uriOff+m.uriLen])
}

// internASCII is intern(asciiStr(b)), allocating only for a new string.
func (a *appAnalysis) internASCII(b []byte) uint32 {
	if i, ok := a.strIdx[string(b)]; ok && bytes.IndexByte(b, 0) < 0 && isASCII(b) {
		return i
	}
	return a.intern(asciiStr(b))
}

func (a *appAnalysis) intern(s string) uint32 {
	if i, ok := a.strIdx[s]; ok {
		return i
	}
	i := uint32(len(a.strs))
	a.strs = append(a.strs, s)
	a.strIdx[s] = i
	return i
}

// classify says whether a conversation is HTTP by its ports alone: forced
// (or forced to something else), one of Wireshark's HTTP ports, or not
// known (the content decides). The lower port is tried first, as tshark does.
func (a *appAnalysis) classify(p1, p2 uint16) (http, known bool) {
	if p2 < p1 {
		p1, p2 = p2, p1
	}
	for _, p := range []uint16{p1, p2} {
		if proto, ok := a.opts.Force[p]; ok {
			return proto == "http", true
		}
	}
	for _, p := range []uint16{p1, p2} {
		if httpPorts[p] {
			return true, true
		}
	}
	return false, false
}

func (a *appAnalysis) addTCP(n int, ci gopacket.CaptureInfo, t *layers.TCP, seg segInfo) {
	idx := seg.stream
	flagged := seg.flags&(taRetransmission|taOutOfOrder) != 0
	if idx == a.followStream {
		a.rf.add(n, ci, t, idx, seg.dir, false)
	}
	if !a.tls.claim(t, seg, flagged, a.conv(idx) != nil) {
		a.claimHTTP(n, t, seg, flagged)
	}
	// Every segment of every conversation goes through the one
	// reassembler, which hands the bytes to the stage that owns the
	// stream (data), and to the exposure stage, which looks at them all.
	a.r.add(n, ci, t, idx, seg.dir, flagged)
}

// claimHTTP starts HTTP on a conversation that is not yet followed as
// HTTP when its ports or this segment say it is HTTP.
func (a *appAnalysis) claimHTTP(n int, t *layers.TCP, seg segInfo, flagged bool) {
	idx := seg.stream
	if a.liveStream(idx) != nil {
		return
	}
	if idx < len(a.done) && a.done[idx] && len(t.Payload) == 0 {
		// The last ACKs of a finished conversation.
		return
	}
	conv := a.conv(idx)
	if conv == nil {
		if flagged || !a.looksHTTP(seg, t.Payload) {
			return
		}
		conv = a.newConv(idx)
	}
	s := &appStream{}
	for len(a.live) <= idx {
		a.live = append(a.live, nil)
	}
	a.live[idx] = s
	if idx < len(a.done) {
		a.done[idx] = false
	}
	a.startHTTP(s, conv, n)
}

// liveStream is the conversation tcp.stream idx being reassembled, nil if none.
func (a *appAnalysis) liveStream(idx int) *appStream {
	if idx >= 0 && idx < len(a.live) {
		return a.live[idx]
	}
	return nil
}

// lastSegFlags is the TCP analysis flags of the segment tcpAnalysis.add
// just saw (Wireshark's tcp.analysis.flags for this frame).
func lastSegFlags(st *Stream) uint16 { return st.flow[st.LastDir&1].lastSegFlags }

// looksHTTP says whether a conversation not yet known as HTTP is: by its
// ports, or by Wireshark's heuristic on this segment.
func (a *appAnalysis) looksHTTP(seg segInfo, payload []byte) bool {
	idx := seg.stream
	for len(a.class) <= idx {
		a.class = append(a.class, 0)
	}
	c := a.class[idx]
	if c == 0 {
		switch http, known := a.classify(seg.clientPort, seg.serverPort); {
		case http:
			c = 1
		case known:
			c = 2
		default:
			c = 3
		}
		a.class[idx] = c
	}
	return c == 1 || (c == 3 && len(payload) > 0 && looksLikeHTTP(payload))
}

func (a *appAnalysis) conv(idx int) *httpConv {
	if idx >= 0 && idx < len(a.convs) && a.convs[idx] > 0 {
		return a.convSlab.at(a.convs[idx] - 1)
	}
	return nil
}

func (a *appAnalysis) newConv(idx int) *httpConv {
	for len(a.convs) <= idx {
		a.convs = append(a.convs, 0)
	}
	i := a.convSlab.add(httpConv{stream: int32(idx), rrTail: -1, lastURIMsg: -1, lastFullURIMsg: -1})
	a.convs[idx] = i + 1
	return a.convSlab.at(i)
}

func (a *appAnalysis) startHTTP(s *appStream, conv *httpConv, n int) {
	s.from = n
	if conv.from == 0 {
		conv.from = int32(n)
	}
	for d := range s.dirs {
		s.dirs[d] = newHTTPFramer(conv, d, a, httpMaxKeep, &a.pending, &a.table)
	}
}

// data receives the reassembled bytes of every conversation (asmHandler).
func (a *appAnalysis) data(stream, dir, frame int, ts time.Time, pieces []asmPiece, skip int, end, fin bool) {
	if a.exp != nil {
		a.exp.data(stream, dir, frame, ts, pieces, skip, end, fin)
	}
	if !a.tls.data(stream, dir, pieces, skip, end) {
		a.httpData(stream, dir, frame, ts, pieces, skip, end, fin)
	}
}

// httpData frames the bytes of an HTTP conversation.
func (a *appAnalysis) httpData(stream, dir, frame int, ts time.Time, pieces []asmPiece, skip int, end, fin bool) {
	s := a.liveStream(stream)
	if s == nil {
		return
	}
	fr := s.dirs[dir]
	if skip > 0 {
		fr.gap(skip)
	}
	for i, p := range pieces {
		if p.frame < s.from {
			fr.off += int64(len(p.data))
			continue
		}
		a.curTs = p.ts
		fr.segment(p.data, p.frame, p.payOff, fin && i == len(pieces)-1, p.flagged)
	}
	if len(pieces) == 0 && fin && frame >= s.from {
		// A FIN alone: it completes a body read until the end.
		a.curTs = ts
		fr.segment(nil, frame, -1, true, false)
	}
	if end {
		fr.abandon()
	}
}

// closed is called when the reassembler is done with a conversation.
func (a *appAnalysis) closed(stream int) {
	a.tls.closed(stream)
	a.httpClosed(stream)
}

func (a *appAnalysis) httpClosed(stream int) {
	s := a.liveStream(stream)
	if s == nil {
		return
	}
	for _, fr := range s.dirs {
		if fr != nil {
			fr.abandon()
		}
	}
	a.live[stream] = nil
	for len(a.done) <= stream {
		a.done = append(a.done, false)
	}
	a.done[stream] = true
}

// newCall starts a dissector call (httpSink).
func (a *appAnalysis) newCall(frame int) int {
	a.calls++
	return int(a.calls)
}

// endCall ends one (httpSink): a call that showed messages also shows the
// first line of one it began.
func (a *appAnalysis) endCall(call, frame int, info string) {
	if int32(call) == a.curCall && a.curCallMsg > 0 && info != "" {
		a.infos[int32(frame)] = info
	}
	a.curCall, a.curCallMsg = 0, 0
}

// proxied records a frame of a CONNECT tunnel (httpSink).
func (a *appAnalysis) proxied(frame int) { a.proxy = append(a.proxy, int32(frame)) }

// message records a complete message (httpSink).
func (a *appAnalysis) message(h *httpDir, m *framedMsg) {
	p := m.p
	conv := h.conv
	if a.events != nil {
		a.events.httpMessage(int(conv.stream), h.dir, m)
		if tok := fernetInBody(httpBody(p, m.data)); tok != nil {
			a.events.fernetToken(int(conv.stream), h.dir, m.frame, tok)
		}
	}
	idx := int32(a.msgs.len())
	rec := httpMsg{frame: int32(m.frame), payOff: -1, length: int32(m.length), kind: p.kind, code: uint16(p.code), rr: -1, forURI: -1}
	if m.skipCRLF {
		rec.flags |= msgSkipCRLF
	}
	if int32(m.call) != a.curCall {
		a.curCall, a.curCallMsg = int32(m.call), 0
	}
	if a.curCallMsg == 0 {
		rec.flags |= msgNewCall
	}
	if p.method != "" && p.kind != httpResponse {
		rec.method = httpMethodIndex[p.method]
	}
	if p.hasHost {
		rec.host = a.internASCII(p.host)
	}
	if p.hasCType {
		rec.ctype = a.internASCII(p.ctypeRaw)
	}
	if p.uriRaw != nil {
		rec.uriOff, rec.uriLen = uint32(len(a.uris)), uint32(len(p.uri))
		a.uris = append(a.uris, p.uri...)
	}
	single := len(m.segs) == 1 && m.segs[0].frame == int32(m.frame) && m.segs[0].payOff >= 0 && !m.truncated
	if single {
		rec.payOff = m.segs[0].payOff
	} else {
		keep := m.data
		if m.truncated {
			rec.flags |= msgTruncated
		}
		if m.length > int64(len(m.data)) && len(m.segs) > 0 {
			rec.flags |= msgTruncated
		}
		if a.saved+int64(len(keep)) > httpSavedBudget {
			// Over budget: keep the headers only.
			keep = keep[:min(len(keep), p.hdrEnd)]
			rec.flags |= msgTruncated
		}
		a.saved += int64(len(keep))
		a.multi[idx] = &savedPDU{data: append([]byte(nil), keep...), length: m.length, segs: append([]segPiece(nil), m.segs...)}
		rec.flags |= msgMulti
	}
	// Pairing, as push_req and push_res do in the first pass.
	switch p.kind {
	case httpRequest, httpNotification:
		if p.kind == httpRequest {
			rec.rr = a.pushReq(conv, m.frame)
		}
		if p.uriRaw != nil {
			conv.lastURIMsg = idx
			if p.hasHost {
				conv.lastFullURIMsg = idx
			}
		}
	case httpResponse:
		rec.rr = a.pushRes(conv, m.frame)
		if conv.lastFullURIMsg >= 0 {
			rec.forURI = conv.lastFullURIMsg
			rec.flags |= msgForFull
		} else if conv.lastURIMsg >= 0 {
			rec.forURI = conv.lastURIMsg
		}
	}
	a.msgs.add(rec)
	a.curCallMsg++
	// Index by frame: a frame's messages are recorded together.
	var last *httpFrame
	if k := a.framesC.len(); k > 0 {
		last = a.framesC.at(int32(k - 1))
	}
	if last != nil && last.frame == int32(m.frame) && last.first+last.count == idx {
		last.count++
	} else {
		last = a.framesC.at(a.framesC.add(httpFrame{frame: int32(m.frame), first: idx, count: 1, curr: -1, ts: a.curTs.UnixNano()}))
	}
	if rec.rr >= 0 {
		last.curr = rec.rr
	}
}

func (a *appAnalysis) newRR(conv *httpConv) int32 {
	conv.rrCount++
	i := a.rr.add(reqRes{number: conv.rrCount, conv: conv.stream, prev: conv.rrTail, next: -1})
	if conv.rrTail >= 0 {
		a.rr.at(conv.rrTail).next = i
	}
	conv.rrTail = i
	return i
}

// pushReq: a request always starts a new pair.
func (a *appAnalysis) pushReq(conv *httpConv, frame int) int32 {
	i := a.newRR(conv)
	a.rr.at(i).reqFrame = int32(frame)
	a.rr.at(i).reqTs = a.curTs.UnixNano()
	return i
}

// pushRes: a response takes the last pair, unless it already has a
// response (even an interim 1xx one): then it starts a new pair.
func (a *appAnalysis) pushRes(conv *httpConv, frame int) int32 {
	i := conv.rrTail
	if i < 0 || a.rr.at(i).resFrame > 0 {
		i = a.newRR(conv)
	}
	a.rr.at(i).resFrame = int32(frame)
	return i
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
	for idx, s := range a.live {
		if s != nil {
			a.httpClosed(idx)
		}
	}
	a.live = nil
	a.r, a.rf = nil, nil
	a.pending = keepBudget{}
	sort.Slice(a.proxy, func(i, j int) bool { return a.proxy[i] < a.proxy[j] })
	a.frames = a.framesC.flatten()
	a.table.finish()
	// Records arrive nearly in frame order: most often nothing moves.
	sortStableBy(a.frames, func(f httpFrame) int32 { return f.frame })
}

// sortStableBy sorts s by key, keeping the order of equal keys, after
// checking whether it already is.
func sortStableBy[T any](s []T, key func(T) int32) {
	cmp := func(a, b T) int { return int(key(a)) - int(key(b)) }
	if !slices.IsSortedFunc(s, cmp) {
		slices.SortStableFunc(s, cmp)
	}
}

// frameRecs returns the records of frame n's messages.
func (a *appAnalysis) frameRecs(n int) []httpFrame {
	i := sort.Search(len(a.frames), func(i int) bool { return a.frames[i].frame >= int32(n) })
	j := i
	for j < len(a.frames) && a.frames[j].frame == int32(n) {
		j++
	}
	return a.frames[i:j]
}
