package decode

// The HTTP/1.x stage of the fast pass: which TCP conversations are HTTP,
// found by content on any port, and, for those, their messages.
//
// Conversations that look like HTTP (a port forced to "http", one of
// Wireshark's HTTP ports, or Wireshark's HTTP heuristic on a segment's
// first line) get HTTP framers (http_parse.go) on the one TCP desegmentation
// framer (tcp_framer.go), fed by the application stage's reassembler.
// Each message leaves a compact record: the frame it completes in, where
// its bytes are (an offset into that frame's own TCP payload, or, when it
// spans segments, a copy of just its bytes, within a global budget), the
// request/response pairing, and the few strings -z statistics need.
// Nothing else of a stream is kept once it closes. The tree tier
// (http_tree.go) rebuilds a frame's HTTP tree from those records and the
// frame's own bytes, in any order.

import (
	"bytes"
	"sort"
	"time"

	"github.com/gopacket/gopacket/layers"
)

// httpStage is the HTTP part of the application stage.
type httpStage struct {
	opts     Options
	table    *pduTable    // which frames' bytes went into PDUs
	events   stageEvents  // nil: no consumer listens
	live     []*appStream // by tcp.stream: conversations being reassembled
	convs    []int32      // by tcp.stream: index in convSlab plus one; 0: not HTTP
	convSlab chunked[httpConv]
	done     []bool  // by tcp.stream: the reassembler closed it
	class    []uint8 // by tcp.stream: 1 HTTP port, 2 another protocol's, 3 unknown

	msgs    chunked[httpMsg]
	multi   map[int32]*savedPDU // messages that span segments
	framesC chunked[httpFrame]  // while the fast pass runs
	frames  []httpFrame         // after it, sorted by frame
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
	proxy      []int32 // frames carrying a CONNECT tunnel's payload
	pending    keepBudget
	published  int // framesC entries in frames (Options.Live)
	// decTable is table's twin for the decrypted application data of
	// TLS conversations: which TLS records' frames went into a message
	// completed in a later one.
	decTable pduTable
}

func newHTTPStage(opts Options, table *pduTable) *httpStage {
	return &httpStage{
		opts:    opts,
		table:   table,
		pending: keepBudget{limit: httpPendingBudget},
		multi:   map[int32]*savedPDU{},
		infos:   map[int32]string{},
		strIdx:  map[string]uint32{"": 0},
		strs:    []string{""},
	}
}

// publish copies the frame records made since the last call into frames
// (the last one again: it may have grown). They come in frame order: a
// message is recorded in the frame that completes it, as it is framed.
func (h *httpStage) publish() {
	k := h.framesC.len()
	if k == h.published {
		return
	}
	from := max(0, h.published-1)
	h.frames = h.frames[:from]
	for i := from; i < k; i++ {
		h.frames = append(h.frames, *h.framesC.at(int32(i)))
	}
	h.published = k
}

// dissected reports whether tcp.stream idx is an HTTP conversation whose
// data the dissector was handed.
func (h *httpStage) dissected(idx int) bool {
	c := h.conv(idx)
	return c != nil && c.called
}

// finish closes the conversations still open and sorts the records by
// frame.
func (h *httpStage) finish() {
	for idx, s := range h.live {
		if s != nil {
			h.closed(idx)
		}
	}
	h.live = nil
	h.pending = keepBudget{cut: h.pending.cut}
	h.decTable.finish()
	sort.Slice(h.proxy, func(i, j int) bool { return h.proxy[i] < h.proxy[j] })
	h.frames = h.framesC.flatten()
	// Records arrive nearly in frame order: most often nothing moves.
	sortStableBy(h.frames, func(f httpFrame) int32 { return f.frame })
}

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
	// A packet-list row shows the message from these, without parsing it
	// again (httpDissector.rowInfo): row (0: it must parse), the Info
	// line at [lineOff, lineOff+lineLen) of its bytes, the media type
	// the body's dissector names (interned) and the Fernet token's
	// ciphertext length plus one (0: the body is no token).
	row     rowMedia
	lineOff uint8
	lineLen uint16
	rowCT   uint32
	fernet  uint32
}

// rowMedia is what a message's body adds to its row: nothing, or what
// httpDissector.media writes for its media type. rowParse: something
// only a parse tells (chunks, encodings, images, multipart, malformed
// bodies), or a message whose row has no record.
type rowMedia uint8

const (
	rowParse  rowMedia = iota
	rowNoBody          // no body, or none its dissector names
	rowCType           // " (type)"
	rowJSON            // ", JavaScript Object Notation (type)", Protocol HTTP/JSON
	rowXML             // Protocol HTTP/XML
)

// rowRecord fills rec's row fields from the parse of a whole message
// (bodyLen: its entity body's length as framed; tok: the Fernet token
// the body is, if it is one).
func (h *httpStage) rowRecord(rec *httpMsg, p *httpParsed, bodyLen int, tok *FernetToken) {
	line, ok := p.infoLine()
	if !ok || line.start > 0xff || line.n > 0xffff {
		return
	}
	media := rowNoBody
	if p.bodyLen > 0 {
		media = bodyRowMedia(p, bodyLen)
		if media == rowParse {
			return
		}
		if tok != nil {
			rec.fernet = uint32(len(tok.Ciphertext)) + 1
		}
	}
	rec.row, rec.lineOff, rec.lineLen = media, uint8(line.start), uint16(line.n)
	if media == rowCType || media == rowJSON {
		rec.rowCT = h.intern(p.ctype)
	}
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
	from  int // HTTP from this frame on (the heuristic's)
	dirs  [2]*pduFramer
	conv  *httpConv
	table *pduTable
}

// framer is direction d's framer, made when its first bytes come: a
// connection that never carries any (a SYN flood's) costs no framers.
func (s *appStream) framer(h *httpStage, d int) *pduFramer {
	if s.dirs[d] == nil {
		s.dirs[d] = newHTTPFramer(s.conv, d, h, httpMaxKeep, &h.pending, s.table)
	}
	return s.dirs[d]
}

// HTTPMessages lists the HTTP requests and responses, by frame. Pairs are
// Wireshark's: one per frame (the last message's), as http.request_in and
// http.response_in show them.
func (a *Analyzer) HTTPMessages() []HTTPMessageInfo {
	a.Finish()
	ap := a.app.http
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
func (h *httpStage) uri(m *httpMsg) string {
	return string(h.uris[m.uriOff : m.uriOff+m.uriLen])
}

// internASCII is intern(asciiStr(b)), allocating only for a new string.
func (h *httpStage) internASCII(b []byte) uint32 {
	if i, ok := h.strIdx[string(b)]; ok && bytes.IndexByte(b, 0) < 0 && isASCII(b) {
		return i
	}
	return h.intern(asciiStr(b))
}

func (h *httpStage) intern(s string) uint32 {
	if i, ok := h.strIdx[s]; ok {
		return i
	}
	i := uint32(len(h.strs))
	h.strs = append(h.strs, s)
	h.strIdx[s] = i
	return i
}

// classify says whether a conversation is HTTP by its ports alone: forced
// (or forced to something else), one of Wireshark's HTTP ports, or not
// known (the content decides). The lower port is tried first, as tshark does.
func (h *httpStage) classify(p1, p2 uint16) (http, known bool) {
	if p2 < p1 {
		p1, p2 = p2, p1
	}
	for _, p := range []uint16{p1, p2} {
		if proto, ok := h.opts.Force[p]; ok {
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

// claim starts HTTP on a conversation that is not yet followed as
// HTTP when its ports or this segment say it is HTTP.
func (h *httpStage) claim(n int, t *layers.TCP, seg segInfo, flagged bool) {
	idx := seg.stream
	if h.liveStream(idx) != nil {
		return
	}
	if idx < len(h.done) && h.done[idx] && len(t.Payload) == 0 {
		// The last ACKs of a finished conversation.
		return
	}
	conv := h.conv(idx)
	if conv == nil {
		if flagged || !h.looksHTTP(seg, t.Payload) {
			return
		}
		conv = h.newConv(idx)
	}
	if idx < len(h.done) {
		h.done[idx] = false
	}
	h.startHTTP(idx, conv, n, h.table)
}

// liveStream is the conversation tcp.stream idx being reassembled, nil if none.
func (h *httpStage) liveStream(idx int) *appStream {
	if idx >= 0 && idx < len(h.live) {
		return h.live[idx]
	}
	return nil
}

// looksHTTP says whether a conversation not yet known as HTTP is: by its
// ports, or by Wireshark's heuristic on this segment.
func (h *httpStage) looksHTTP(seg segInfo, payload []byte) bool {
	idx := seg.stream
	for len(h.class) <= idx {
		h.class = append(h.class, 0)
	}
	c := h.class[idx]
	if c == 0 {
		switch http, known := h.classify(seg.clientPort, seg.serverPort); {
		case http:
			c = 1
		case known:
			c = 2
		default:
			c = 3
		}
		h.class[idx] = c
	}
	return c == 1 || (c == 3 && len(payload) > 0 && looksLikeHTTP(payload))
}

func (h *httpStage) conv(idx int) *httpConv {
	if idx >= 0 && idx < len(h.convs) && h.convs[idx] > 0 {
		return h.convSlab.at(h.convs[idx] - 1)
	}
	return nil
}

func (h *httpStage) newConv(idx int) *httpConv {
	for len(h.convs) <= idx {
		h.convs = append(h.convs, 0)
	}
	i := h.convSlab.add(httpConv{stream: int32(idx), rrTail: -1, lastURIMsg: -1, lastFullURIMsg: -1})
	h.convs[idx] = i + 1
	return h.convSlab.at(i)
}

// startHTTP makes tcp.stream idx an HTTP conversation being reassembled
// from frame n on, its framers recording into table (TCP's, or the one
// of decrypted TLS data).
func (h *httpStage) startHTTP(idx int, conv *httpConv, n int, table *pduTable) *appStream {
	s := &appStream{from: n, conv: conv, table: table}
	for len(h.live) <= idx {
		h.live = append(h.live, nil)
	}
	h.live[idx] = s
	if conv.from == 0 {
		conv.from = int32(n)
	}
	return s
}

// data frames the bytes of an HTTP conversation; it reports nothing
// when the stream is not one being reassembled.
func (h *httpStage) data(stream, dir, frame int, ts time.Time, pieces []asmPiece, skip int, end, fin bool) {
	s := h.liveStream(stream)
	if s == nil {
		return
	}
	if s.dirs[dir] == nil && len(pieces) == 0 && skip == 0 && !fin {
		return // nothing came this way yet (a connection's end, say)
	}
	fr := s.framer(h, dir)
	if skip > 0 {
		fr.gap(skip)
	}
	for i, p := range pieces {
		if p.frame < s.from {
			fr.off += int64(len(p.data))
			continue
		}
		h.curTs = p.ts
		fr.segment(p.data, p.frame, p.payOff, fin && i == len(pieces)-1, p.flagged)
	}
	if len(pieces) == 0 && fin && frame >= s.from {
		// A FIN alone: it completes a body read until the end.
		h.curTs = ts
		fr.segment(nil, frame, -1, true, false)
	}
	if end {
		fr.abandon()
	}
}

// decrypted frames the decrypted application data of TLS conversation
// stream (tlsStage.appData), when the session carries HTTP/1.x: plain is
// at payOff of the frame's decrypted payload, which the tree tier hands
// the HTTP dissector as the frame's payload (a message in one frame is
// not copied). What it shows was sent encrypted: the consumers (exposure)
// are not told of it.
func (h *httpStage) decrypted(stream, dir, frame int, ts time.Time, sess *tlsSession, plain []byte, payOff int) {
	s := h.liveStream(stream)
	if s == nil {
		if !tlsCarriesHTTP(sess, plain) {
			return
		}
		conv := h.conv(stream)
		if conv == nil {
			conv = h.newConv(stream)
		}
		s = h.startHTTP(stream, conv, frame, &h.decTable)
	}
	events := h.events
	h.events = nil
	h.curTs = ts
	s.framer(h, dir).segment(plain, frame, payOff, false, false)
	h.events = events
}

// tlsCarriesHTTP says whether a session's application data is HTTP/1.x:
// ALPN's choice, else the port's protocol (443), else the data's look, as
// Wireshark's TLS dissector picks the protocol it hands decrypted data to.
func tlsCarriesHTTP(sess *tlsSession, plain []byte) bool {
	switch sess.appProto {
	case tlsAppHTTP:
		return true
	case tlsAppNone:
	default:
		return false
	}
	if sess.port[0] == 443 || sess.port[1] == 443 {
		return true
	}
	return looksLikeHTTP(plain)
}

// closed is called when the reassembler is done with a conversation.
func (h *httpStage) closed(stream int) {
	s := h.liveStream(stream)
	if s == nil {
		return
	}
	for _, fr := range s.dirs {
		if fr != nil {
			fr.abandon()
		}
	}
	h.live[stream] = nil
	for len(h.done) <= stream {
		h.done = append(h.done, false)
	}
	h.done[stream] = true
}

// newCall starts a dissector call (httpSink).
func (h *httpStage) newCall(frame int) int {
	h.calls++
	return int(h.calls)
}

// endCall ends one (httpSink): a call that showed messages also shows the
// first line of one it began.
func (h *httpStage) endCall(call, frame int, info string) {
	if int32(call) == h.curCall && h.curCallMsg > 0 && info != "" {
		h.infos[int32(frame)] = info
	}
	h.curCall, h.curCallMsg = 0, 0
}

// proxied records a frame of a CONNECT tunnel (httpSink).
func (h *httpStage) proxied(frame int) { h.proxy = append(h.proxy, int32(frame)) }

// message records a complete message (httpSink).
func (h *httpStage) message(dir *httpDir, m *framedMsg) {
	p := m.p
	conv := dir.conv
	body := httpBody(p, m.data)
	tok := fernetInBody(body)
	if h.events != nil {
		h.events.httpMessage(int(conv.stream), dir.dir, m)
		if tok != nil {
			h.events.fernetToken(int(conv.stream), dir.dir, m.frame, tok)
		}
	}
	idx := int32(h.msgs.len())
	rec := httpMsg{frame: int32(m.frame), payOff: -1, length: int32(m.length), kind: p.kind, code: uint16(p.code), rr: -1, forURI: -1}
	if m.skipCRLF {
		rec.flags |= msgSkipCRLF
	}
	if int32(m.call) != h.curCall {
		h.curCall, h.curCallMsg = int32(m.call), 0
	}
	if h.curCallMsg == 0 {
		rec.flags |= msgNewCall
	}
	if p.method != "" && p.kind != httpResponse {
		rec.method = httpMethodIndex[p.method]
	}
	if p.hasHost {
		rec.host = h.internASCII(p.host)
	}
	if p.hasCType {
		rec.ctype = h.internASCII(p.ctypeRaw)
	}
	if p.uriRaw != nil {
		rec.uriOff, rec.uriLen = uint32(len(h.uris)), uint32(len(p.uri))
		h.uris = append(h.uris, p.uri...)
	}
	single := len(m.segs) == 1 && m.segs[0].frame == int32(m.frame) && m.segs[0].payOff >= 0 && !m.truncated
	if !m.truncated && m.length <= int64(len(m.data)) {
		h.rowRecord(&rec, p, len(body), tok)
	}
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
		if h.saved+int64(len(keep)) > httpSavedBudget {
			// Over budget: keep the headers only (and a row must parse
			// them: the body is gone).
			keep = keep[:min(len(keep), p.hdrEnd)]
			rec.flags |= msgTruncated
			rec.row = rowParse
		}
		h.saved += int64(len(keep))
		h.multi[idx] = &savedPDU{data: append([]byte(nil), keep...), length: m.length, segs: append([]segPiece(nil), m.segs...)}
		rec.flags |= msgMulti
	}
	// Pairing, as push_req and push_res do in the first pass.
	switch p.kind {
	case httpRequest, httpNotification:
		if p.kind == httpRequest {
			rec.rr = h.pushReq(conv, m.frame)
		}
		if p.uriRaw != nil {
			conv.lastURIMsg = idx
			if p.hasHost {
				conv.lastFullURIMsg = idx
			}
		}
	case httpResponse:
		rec.rr = h.pushRes(conv, m.frame)
		if conv.lastFullURIMsg >= 0 {
			rec.forURI = conv.lastFullURIMsg
			rec.flags |= msgForFull
		} else if conv.lastURIMsg >= 0 {
			rec.forURI = conv.lastURIMsg
		}
	}
	h.msgs.add(rec)
	h.curCallMsg++
	// Index by frame: a frame's messages are recorded together.
	var last *httpFrame
	if k := h.framesC.len(); k > 0 {
		last = h.framesC.at(int32(k - 1))
	}
	if last != nil && last.frame == int32(m.frame) && last.first+last.count == idx {
		last.count++
	} else {
		last = h.framesC.at(h.framesC.add(httpFrame{frame: int32(m.frame), first: idx, count: 1, curr: -1, ts: h.curTs.UnixNano()}))
	}
	if rec.rr >= 0 {
		last.curr = rec.rr
	}
}

func (h *httpStage) newRR(conv *httpConv) int32 {
	conv.rrCount++
	i := h.rr.add(reqRes{number: conv.rrCount, conv: conv.stream, prev: conv.rrTail, next: -1})
	if conv.rrTail >= 0 {
		h.rr.at(conv.rrTail).next = i
	}
	conv.rrTail = i
	return i
}

// pushReq: a request always starts a new pair.
func (h *httpStage) pushReq(conv *httpConv, frame int) int32 {
	i := h.newRR(conv)
	h.rr.at(i).reqFrame = int32(frame)
	h.rr.at(i).reqTs = h.curTs.UnixNano()
	return i
}

// pushRes: a response takes the last pair, unless it already has a
// response (even an interim 1xx one): then it starts a new pair.
func (h *httpStage) pushRes(conv *httpConv, frame int) int32 {
	i := conv.rrTail
	if i < 0 || h.rr.at(i).resFrame > 0 {
		i = h.newRR(conv)
	}
	h.rr.at(i).resFrame = int32(frame)
	return i
}

// frameRecs returns the records of frame n's messages.
func (h *httpStage) frameRecs(n int) []httpFrame {
	i := sort.Search(len(h.frames), func(i int) bool { return h.frames[i].frame >= int32(n) })
	j := i
	for j < len(h.frames) && h.frames[j].frame == int32(n) {
		j++
	}
	return h.frames[i:j]
}

// framedMsg is a complete message, as the dissector is handed it.
type framedMsg struct {
	frame     int   // the frame it completes in
	call      int   // the dissector call it belongs to
	start     int64 // stream offset
	data      []byte
	length    int64 // bytes consumed; len(data) unless truncated
	truncated bool  // only a prefix of the message was kept
	skipCRLF  bool
	p         *httpParsed
	segs      []segPiece
}

// httpSink receives what the HTTP dissector finds.
type httpSink interface {
	// newCall starts a dissector call in frame.
	newCall(frame int) int
	// message hands over a complete message (valid during the call only).
	message(h *httpDir, m *framedMsg)
	// endCall ends a call; info is the Info column text of a message the
	// call started but could not finish.
	endCall(call, frame int, info string)
	// proxied reports a frame whose payload is tunnelled after a CONNECT.
	proxied(frame int)
}

// httpDir is the HTTP dissector's side of one direction's framer: it
// splits the calls the framer makes into messages, as Wireshark's
// dissect_http_on_stream does, and tells the framer when a message needs
// more data.
type httpDir struct {
	conv    *httpConv
	dir     int
	sink    httpSink
	maxKeep int // bytes of a pending message kept for dissection

	scan    httpScan   // the pending message's incremental check
	msg     framedMsg  // the message being handed to the sink (dissect)
	segsBuf []segPiece // its pieces
}

// newHTTPFramer returns the framer of direction dir of an HTTP
// conversation; budget bounds what all framers keep of messages still
// arriving (nil: no bound).
func newHTTPFramer(conv *httpConv, dir int, sink httpSink, maxKeep int, budget *keepBudget, table *pduTable) *pduFramer {
	if budget == nil {
		budget = &keepBudget{limit: 1 << 62}
	}
	if table == nil {
		table = &pduTable{}
	}
	h := &httpDir{conv: conv, dir: dir, sink: sink, maxKeep: maxKeep}
	return &pduFramer{proto: h, table: table, budget: budget}
}

// room is how many more bytes the pending message may keep.
func (h *httpDir) room(f *pduFramer, _ []byte) int64 {
	return max(0, min(int64(h.maxKeep-len(f.pbuf)), f.free()))
}

// owns: after a 200 to CONNECT every later call is tunnel payload, and
// after a protocol switch (101 Upgrade, 2xx to SSTP) the rest is not HTTP.
// flagged frames are not dissected, so they say nothing of the tunnel.
func (h *httpDir) owns(f *pduFramer, frame int, off int64, flagged, hasData bool) bool {
	if !flagged && (h.conv.proxied || h.proxyNow()) {
		if hasData {
			h.sink.proxied(frame)
		}
		return false
	}
	return !h.switched(frame, off)
}

// more feeds the pending message's next bytes to its incremental check
// (req_resp_hdrs_do_reassembly), so a large message is not re-read whole
// at each segment.
func (h *httpDir) more(f *pduFramer, data []byte, fin bool) pduNeed {
	res := h.scan.feed(data, httpScanCtx{lastMethod: h.conv.lastMethod, eos: fin})
	if res.done {
		return pduNeed{}
	}
	return pduNeed{kind: res.kind, len: res.need}
}

func (h *httpDir) switched(frame int, off int64) bool {
	c := h.conv
	if c.proxied {
		return true
	}
	if !c.switched {
		return false
	}
	return int32(frame) > c.switchFrame || (int32(frame) == c.switchFrame && h.dir == int(c.switchDir) && off >= c.switchOff)
}

// truncated completes a pending message of which only a prefix was kept:
// its length is what framing found.
func (h *httpDir) truncated(f *pduFramer, c *pduCall) int64 {
	length := c.length
	if c.kind != pendExact && h.scan.state == scanDone && h.scan.n > 0 && h.scan.n < c.length {
		length = h.scan.n
	}
	h.scan = httpScan{}
	call := h.sink.newCall(c.frame)
	p := parseHTTPMessage(c.b, false)
	m := &framedMsg{frame: c.frame, call: call, start: c.start, data: c.b, length: length, truncated: true, p: p}
	m.segs = trimPieces(c.segs, length)
	h.noteMessage(m, c.frame)
	h.sink.message(h, m)
	p.release()
	f.table.add(m.segs, c.frame)
	h.sink.endCall(call, c.frame, "")
	return length
}

// dissect is dissect_http_on_stream over one call: messages until one
// needs more data. A reassembled PDU's first message is known complete.
func (h *httpDir) dissect(f *pduFramer, c *pduCall) pduNeed {
	firstDone := c.pdu
	if firstDone {
		h.scan = httpScan{}
	}
	h.conv.called = true
	call := h.sink.newCall(c.frame)
	info := ""
	var need pduNeed
	off := 0
	if h.conv.proxied || h.proxyNow() {
		f.kill()
		h.sink.endCall(call, c.frame, "")
		return need
	}
	for off < len(c.b) {
		if h.switched(c.frame, c.start+int64(off)) {
			f.dead = true
			break
		}
		rest := c.b[off:]
		skip := len(rest) > 3 && rest[0] == '\r' && rest[1] == '\n'
		o := 0
		if skip {
			o = 2
		}
		p := parseHTTPMessage(rest, skip)
		if !firstDone && isPrint(rest[o]) && !p.wholeBySimpleRules(rest) {
			var scan httpScan
			res := scan.feed(rest[o:], httpScanCtx{lastMethod: h.conv.lastMethod, eos: c.fin})
			if !res.done {
				// The message needs more data: Wireshark keeps it from
				// after the leading CRLF.
				p.release()
				h.scan = scan
				need = pduNeed{kind: res.kind, off: off + o, len: res.need}
				info = scan.firstLineInfo(rest[o:])
				break
			}
		}
		firstDone = false
		n := p.consumed
		if n <= 0 || n > len(rest) {
			n = len(rest)
		}
		// The sink copies what it keeps of a message: one record serves.
		m := &h.msg
		*m = framedMsg{frame: c.frame, call: call, start: c.start + int64(off), data: rest[:n], length: int64(n), skipCRLF: skip, p: p}
		h.segsBuf = c.pieces(h.segsBuf[:0], m.start, m.start+int64(n))
		m.segs = h.segsBuf
		h.noteMessage(m, c.frame)
		h.sink.message(h, m)
		kind := p.kind
		p.release()
		for _, pc := range m.segs {
			if pc.frame != int32(c.frame) {
				f.table.add(m.segs, c.frame)
				break
			}
		}
		off += n
		if kind == httpBinary {
			break
		}
	}
	h.sink.endCall(call, c.frame, info)
	return need
}

// proxyNow is dissect_http_tcp's CONNECT check: after a 200 to CONNECT
// every later call carries tunnel payload.
func (h *httpDir) proxyNow() bool {
	c := h.conv
	if c.lastCode == 200 && c.lastMethod == "CONNECT" && c.haveURI {
		c.proxied = true
	}
	return c.proxied
}

// noteMessage updates the conversation with what the dissector learns
// from a message: the method of the last request, the status of the last
// response, a protocol switch.
func (h *httpDir) noteMessage(m *framedMsg, frame int) {
	p := m.p
	c := h.conv
	if p.method != "" {
		// A request (or notification) line sets the method and URI.
		c.lastMethod = p.method
		c.haveURI = true
	}
	if p.kind == httpResponse && p.hasCode {
		c.lastCode = int32(p.code)
	}
	if c.lastMethod != "" && p.kind == httpResponse {
		if (c.lastMethod == "SSTP_DUPLEX_POST" && c.lastCode == 200) || (p.hasUpg && c.lastCode == 101) {
			c.switched = true
			c.switchFrame = int32(frame)
			c.switchDir = uint8(h.dir)
			c.switchOff = m.start + m.length
			c.switchH2c = p.hasUpg && c.lastCode == 101 && p.upgrade == "h2c"
		}
	}
}
