package decode

// The HTTP/2 stage of the fast pass: which TCP conversations speak HTTP/2
// (the client connection preface at the start of a stream, on any port,
// or a port forced with -d tcp.port==N,http2), and, for those, a compact
// record per HTTP/2 frame.
//
// Frames are PDUs of the one desegmentation framer (tcp_framer.go): a
// 9-byte header, then the length it gives. HPACK's dynamic table is state
// per connection and direction, so header blocks are decoded here, in
// order, with golang.org/x/net/http2/hpack, and each HEADERS,
// PUSH_PROMISE or CONTINUATION frame keeps the fields its fragment
// yielded (interned), as Wireshark shows them in the frame that carried
// them. Frames are read with a small header reader of our own rather than
// http2.Framer: the Framer reads from an io.Reader and validates the
// connection's state (it refuses what a capture may well hold: a
// CONTINUATION out of place, a frame over the size limit), while here each
// frame arrives whole from the framer and must be recorded even when
// malformed. DATA is reassembled per stream and direction into a body
// (within a budget); the request and the response of a stream are its
// two directions, paired by the stream identifier.
//
// The entry points (start, data, closed, finish; appendFrames in the tree
// tier) have the shape of httpStage's so that decrypted TLS application
// data can be fed to a stage like this one: start(stream, frame) when ALPN
// says h2, then data with pieces whose payOff is -1 (not in the frame's
// TCP payload: the frames are kept as copies). Such a stage wants a
// pduTable of its own, not the one TCP's rows read for the records.

import (
	"bytes"
	"sort"
	"strings"
	"time"

	"github.com/gopacket/gopacket/layers"
	"golang.org/x/net/http2/hpack"
)

// h2Preface is the client connection preface (RFC 9113 §3.4).
const h2Preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"

// HTTP/2 frame types (RFC 9113 §6, RFC 7838, RFC 8336).
const (
	h2Data         = 0
	h2Headers      = 1
	h2Priority     = 2
	h2RSTStream    = 3
	h2Settings     = 4
	h2PushPromise  = 5
	h2Ping         = 6
	h2GoAway       = 7
	h2WindowUpdate = 8
	h2Continuation = 9
)

// Frame flags.
const (
	h2FlagEndStream  = 0x01
	h2FlagAck        = 0x01
	h2FlagEndHeaders = 0x04
	h2FlagPadded     = 0x08
	h2FlagPriority   = 0x20
)

// Budgets for what the HTTP/2 stage keeps for Dissect.
const (
	// h2SavedBudget bounds the copies of frames that span segments (or
	// came from decrypted data); past it only their headers are kept.
	h2SavedBudget = 48 << 20
	// h2BodyBudget bounds the reassembled bodies kept (as httpSavedBudget
	// does for HTTP/1.x); a body past it keeps no bytes, only its
	// fragments' list.
	h2BodyBudget = 48 << 20
	// h2MaxBody is the most one body keeps.
	h2MaxBody = 8 << 20
	// h2MaxFields bounds the header fields one header block may record
	// (Wireshark stops decompressing after 200 lines too, with a note).
	h2MaxFields = 1024
)

// h2Rec is the record of one HTTP/2 frame (or of the preface).
type h2Rec struct {
	call     int32 // the dissector call (h2Call) it was found in
	off      int32 // where it starts in the call's bytes
	length   uint32
	sid      uint32
	typ      uint8
	flags    uint8
	kind     uint8 // h2KindFrame, h2KindMagic
	bits     uint8 // h2Cut, h2HpackErr, h2FieldsCut
	hdrFirst int32 // its decoded header fields in h2Stage.fields
	hdrCount int32
	body     int32  // DATA with END_STREAM: the body it completes (h2Stage.bodies), -1 none
	ctype    uint32 // DATA: the interned media type of its stream's direction
}

const (
	h2KindFrame = iota
	h2KindMagic
)

const (
	h2Cut       = 1 << iota // the frame's bytes end before its length (the call was cut)
	h2HpackErr              // its header block did not decode
	h2FieldsCut             // more fields than h2MaxFields
	h2Truncated             // only a prefix of the frame's bytes was kept
)

// h2Field is one decoded header field, as the tree shows it.
type h2Field struct {
	name, value uint32 // interned
	index       uint32 // the HPACK index of the field or its name, 0 none
	repr        uint8  // h2Repr*
}

// HPACK representations (RFC 7541 §6), Wireshark's names below.
const (
	h2ReprIndexed = iota
	h2ReprIncrIndexed
	h2ReprIncrNew
	h2ReprNoIndexIndexed
	h2ReprNoIndexNew
	h2ReprNeverIndexed
	h2ReprNeverNew
	h2ReprSizeUpdate // a dynamic table size update (index: the size)
)

var h2ReprNames = [...]string{
	"Indexed Header Field",
	"Literal Header Field with Incremental Indexing - Indexed Name",
	"Literal Header Field with Incremental Indexing - New Name",
	"Literal Header Field without Indexing - Indexed Name",
	"Literal Header Field without Indexing - New Name",
	"Literal Header Field never Indexed - Indexed Name",
	"Literal Header Field never Indexed - New Name",
}

// h2Call is one dissector call: the bytes of one TCP frame's segment (at
// payOff of its TCP payload) or a PDU reassembled in it (a saved copy).
type h2Call struct {
	id     int32 // its index in the fast pass's order (the key of saved)
	stream int32 // tcp.stream
	dir    uint8 // 0 from the conversation's first sender
	frame  int32
	payOff int32 // >= 0: the frame's TCP payload [payOff, payOff+length); -1: saved[call]
	length int32
	first  int32 // its records
	count  int32
}

// h2Body is a body reassembled from a stream's DATA frames.
type h2Body struct {
	data  []byte // nil when over budget
	total int64
	frags []h2Frag
	in    int32 // the TCP frame the body completes in
}

// h2Frag is one DATA frame's part of a body.
type h2Frag struct {
	frame int32
	n     int32
	rec   int32 // the DATA frame's record
}

// h2Stage is the HTTP/2 part of the application stage.
type h2Stage struct {
	opts    Options
	table   *pduTable
	live    []*h2Conn // by tcp.stream: conversations being reassembled
	convs   []bool    // by tcp.stream: an HTTP/2 conversation
	from    []int32   // by tcp.stream: the first frame HTTP/2 may be in
	viaHTTP []bool    // by tcp.stream: HTTP/2 after an HTTP/1.1 upgrade
	class   []uint8   // by tcp.stream: 0 unknown, 1 HTTP/2, 2 not
	callsC  chunked[h2Call]
	calls   []h2Call // after the fast pass, by frame
	recs    chunked[h2Rec]
	fields  chunked[h2Field]
	saved   map[int32]*savedPDU // by call
	bodies  []h2Body
	strs    []string
	strIdx  map[string]uint32
	savedN  int64
	bodyN   int64
	pending keepBudget
	pubN    int // callsC entries in calls (Options.Live)
	// decTable is table's twin for HTTP/2 inside decrypted TLS: which TLS
	// records' frames went into a frame completed in a later one.
	decTable pduTable
}

// h2Conn is the live state of one HTTP/2 connection.
type h2Conn struct {
	stream int
	from   int // frames before this one are not HTTP/2
	dirs   [2]*pduFramer
	h2     [2]*h2Dir
}

// h2Dir is the HTTP/2 dissector's side of one direction's framer.
type h2Dir struct {
	st      *h2Stage
	conn    *h2Conn
	dir     int
	magic   bool // the preface is still expected at the start
	dec     *hpack.Decoder
	scan    hpackScan
	emitted []hpack.HeaderField // what dec emitted during one fragment
	streams map[uint32]*h2StreamDir
	inBlock bool // a header block waits for CONTINUATION
}

// h2StreamDir is one direction of an HTTP/2 stream: its media type and the
// body being reassembled.
type h2StreamDir struct {
	ctype uint32
	body  []byte
	total int64
	frags []h2Frag
	over  bool // the body stopped keeping bytes (budget)
}

func newH2Stage(opts Options, table *pduTable) *h2Stage {
	return &h2Stage{
		opts:    opts,
		table:   table,
		saved:   map[int32]*savedPDU{},
		strIdx:  map[string]uint32{"": 0},
		strs:    []string{""},
		pending: keepBudget{limit: httpPendingBudget},
	}
}

func (h *h2Stage) intern(s string) uint32 {
	if i, ok := h.strIdx[s]; ok {
		return i
	}
	i := uint32(len(h.strs))
	h.strs = append(h.strs, s)
	h.strIdx[s] = i
	return i
}

// isH2 reports whether tcp.stream idx is an HTTP/2 conversation.
func (h *h2Stage) isH2(idx int) bool { return idx >= 0 && idx < len(h.convs) && h.convs[idx] }

// forced reports whether -d forces one of the ports to http2 (the lower
// port first, as tshark tries them), and whether it is forced at all.
func (h *h2Stage) forced(p1, p2 uint16) (h2, known bool) {
	if p2 < p1 {
		p1, p2 = p2, p1
	}
	for _, p := range []uint16{p1, p2} {
		if proto, ok := h.opts.Force[p]; ok {
			return proto == "http2", true
		}
	}
	return false, false
}

// claim starts HTTP/2 on a conversation when its ports are forced to it
// or its first payload is the client preface; it reports whether the
// stage owns the conversation (the other stages then leave it alone).
func (h *h2Stage) claim(n int, t *layers.TCP, seg segInfo, flagged bool) bool {
	idx := seg.stream
	if h.isH2(idx) {
		return true
	}
	for len(h.class) <= idx {
		h.class = append(h.class, 0)
	}
	switch h.class[idx] {
	case 1:
		return true
	case 2:
		return false
	}
	if is, known := h.forced(seg.clientPort, seg.serverPort); known {
		if !is {
			h.class[idx] = 2
			return false
		}
	} else {
		if len(t.Payload) == 0 {
			return false
		}
		if flagged || !looksLikeH2Preface(t.Payload) {
			h.class[idx] = 2
			return false
		}
	}
	h.class[idx] = 1
	h.start(idx, n)
	return true
}

// upgraded starts HTTP/2 on an HTTP/1.1 conversation whose server agreed
// to Upgrade: h2c, from the frame after the 101 response (the preface and
// the server's SETTINGS follow it).
func (h *h2Stage) upgraded(idx int, c *httpConv) {
	if c == nil || !c.switchH2c || h.isH2(idx) {
		return
	}
	h.start(idx, int(c.switchFrame)+1)
	for len(h.viaHTTP) <= idx {
		h.viaHTTP = append(h.viaHTTP, false)
	}
	h.viaHTTP[idx] = true
}

// startFrame is the first frame of tcp.stream idx HTTP/2 may be in.
func (h *h2Stage) startFrame(idx int) int {
	if idx >= 0 && idx < len(h.from) {
		return int(h.from[idx])
	}
	return 0
}

// looksLikeH2Preface: the payload starts the client preface (a segment
// may carry only its beginning).
func looksLikeH2Preface(b []byte) bool {
	if len(b) >= len(h2Preface) {
		return string(b[:len(h2Preface)]) == h2Preface
	}
	return len(b) >= 4 && string(b) == h2Preface[:len(b)]
}

// start makes tcp.stream idx an HTTP/2 connection from frame n on (the
// first frame of a stream, or the one after an HTTP/1.1 upgrade; the TLS
// stage after ALPN h2).
func (h *h2Stage) start(idx, n int) { h.startOn(idx, n, h.table) }

// startDecrypted is start for the decrypted application data of a TLS
// conversation (fed with payOff -1: its frames are saved copies).
func (h *h2Stage) startDecrypted(idx, n int) { h.startOn(idx, n, &h.decTable) }

func (h *h2Stage) startOn(idx, n int, table *pduTable) {
	for len(h.convs) <= idx {
		h.convs = append(h.convs, false)
	}
	h.convs[idx] = true
	for len(h.from) <= idx {
		h.from = append(h.from, 0)
	}
	h.from[idx] = int32(n)
	for len(h.live) <= idx {
		h.live = append(h.live, nil)
	}
	c := &h2Conn{stream: idx, from: n}
	for d := range c.dirs {
		hd := &h2Dir{st: h, conn: c, dir: d, magic: true, streams: map[uint32]*h2StreamDir{}}
		hd.dec = hpack.NewDecoder(4096, func(f hpack.HeaderField) { hd.emitted = append(hd.emitted, f) })
		hd.dec.SetMaxStringLength(1 << 20)
		c.h2[d] = hd
		c.dirs[d] = &pduFramer{proto: hd, table: table, budget: &h.pending}
	}
	h.live[idx] = c
}

func (h *h2Stage) liveConn(idx int) *h2Conn {
	if idx >= 0 && idx < len(h.live) {
		return h.live[idx]
	}
	return nil
}

// data frames the bytes of an HTTP/2 connection (httpStage.data's shape);
// it reports whether the stream is one.
func (h *h2Stage) data(stream, dir, frame int, ts time.Time, pieces []asmPiece, skip int, end, fin bool) bool {
	c := h.liveConn(stream)
	if c == nil {
		return h.isH2(stream)
	}
	fr := c.dirs[dir&1]
	if skip > 0 {
		fr.gap(skip)
	}
	for i, p := range pieces {
		if p.frame < c.from {
			fr.off += int64(len(p.data))
			continue
		}
		fr.segment(p.data, p.frame, p.payOff, fin && i == len(pieces)-1, p.flagged)
	}
	if end {
		fr.abandon()
	}
	return true
}

// closed is called when the reassembler is done with a conversation.
func (h *h2Stage) closed(stream int) {
	c := h.liveConn(stream)
	if c == nil {
		return
	}
	for _, fr := range c.dirs {
		fr.abandon()
	}
	h.live[stream] = nil
}

// finish closes what is open and sorts the calls by frame.
func (h *h2Stage) finish() {
	for idx, c := range h.live {
		if c != nil {
			h.closed(idx)
		}
	}
	h.live = nil
	h.pending = keepBudget{cut: h.pending.cut}
	h.decTable.finish()
	h.calls = h.callsC.flatten()
	sort.SliceStable(h.calls, func(i, j int) bool { return h.calls[i].frame < h.calls[j].frame })
}

// publish makes the calls so far readable by the tree tier (Options.Live).
func (h *h2Stage) publish() {
	k := h.callsC.len()
	if k == h.pubN {
		return
	}
	for i := h.pubN; i < k; i++ {
		h.calls = append(h.calls, *h.callsC.at(int32(i)))
	}
	h.pubN = k
}

// frameCalls returns the calls made in frame n.
func (h *h2Stage) frameCalls(n int) []h2Call {
	i := sort.Search(len(h.calls), func(i int) bool { return h.calls[i].frame >= int32(n) })
	j := i
	for j < len(h.calls) && h.calls[j].frame == int32(n) {
		j++
	}
	return h.calls[i:j]
}

// room: a pending frame keeps all of itself within the pending budget.
func (d *h2Dir) room(f *pduFramer, _ []byte) int64 { return f.free() }

// owns: HTTP/2 never lets go of a direction.
func (d *h2Dir) owns(*pduFramer, int, int64, bool, bool) bool { return true }

// more: a cut frame header is dissected again whole once one more
// segment comes.
func (d *h2Dir) more(*pduFramer, []byte, bool) pduNeed { return pduNeed{} }

// truncated completes a frame of which only a prefix was kept.
func (d *h2Dir) truncated(f *pduFramer, c *pduCall) int64 {
	d.call(c, c.b, c.length, true)
	f.table.add(c.segs, c.frame)
	return c.length
}

// dissect splits one call into the preface and frames, as
// dissect_http2's tcp_dissect_pdus does, and asks for the rest of a frame
// the call ends inside.
func (d *h2Dir) dissect(f *pduFramer, c *pduCall) pduNeed {
	b := c.b
	off := 0
	var need pduNeed
	if d.magic && c.start == 0 && len(b) < len(h2Preface) && string(b) == h2Preface[:len(b)] {
		// The preface continues in the next segment.
		need = pduNeed{kind: pendExact, off: 0, len: int64(len(h2Preface))}
	} else if d.magic && c.start == 0 && bytes.HasPrefix(b, []byte(h2Preface)) {
		off = len(h2Preface)
		d.magic = false
	} else {
		d.magic = false
	}
	if need.kind == pendNone {
		for off < len(b) {
			if len(b)-off < 9 {
				need = pduNeed{kind: pendOneMore, off: off}
				break
			}
			n := 9 + (int(b[off])<<16 | int(b[off+1])<<8 | int(b[off+2]))
			if n > len(b)-off {
				need = pduNeed{kind: pendExact, off: off, len: int64(n)}
				break
			}
			off += n
		}
	}
	if need.kind != pendNone && c.extends(need.off) {
		// The same reassembly goes on, from the same start: its frames
		// are dissected once it is whole.
		need.grow = true
		return need
	}
	upto := len(b)
	if need.kind != pendNone {
		upto = need.off
	}
	if upto > 0 {
		d.call(c, b[:upto], int64(upto), false)
		if c.pdu {
			f.table.add(c.segs, c.frame)
		}
	}
	return need
}

// call records the preface and frames of b, a call's complete frames
// (length: what they take of the stream, more than len(b) when only a
// prefix was kept).
func (d *h2Dir) call(c *pduCall, b []byte, length int64, trunc bool) {
	h := d.st
	ci := int32(h.callsC.len())
	call := h2Call{id: ci, stream: int32(d.conn.stream), dir: uint8(d.dir), frame: int32(c.frame), payOff: int32(c.payOff), length: int32(len(b)), first: int32(h.recs.len())}
	if c.pdu || c.payOff < 0 || trunc {
		keep := b
		if h.savedN+int64(len(keep)) > h2SavedBudget {
			keep = keep[:min(len(keep), 9)]
			trunc = true
		}
		h.savedN += int64(len(keep))
		h.saved[ci] = &savedPDU{data: append([]byte(nil), keep...), length: length, segs: append([]segPiece(nil), c.segs...)}
		call.payOff = -1
	}
	off := 0
	if c.start == 0 && bytes.HasPrefix(b, []byte(h2Preface)) {
		h.recs.add(h2Rec{call: ci, kind: h2KindMagic, length: uint32(len(h2Preface)), body: -1})
		off = len(h2Preface)
	}
	for off < len(b) {
		rec := h2Rec{call: ci, off: int32(off), body: -1}
		rest := b[off:]
		if len(rest) < 9 {
			rec.bits |= h2Cut
			rec.length = uint32(len(rest))
			h.recs.add(rec)
			break
		}
		hdr := h2ReadHeader(rest)
		rec.length, rec.typ, rec.flags, rec.sid = hdr.length, hdr.typ, hdr.flags, hdr.sid
		n := 9 + int(hdr.length)
		payload := rest[9:]
		if n > len(rest) {
			rec.bits |= h2Cut
			if trunc {
				rec.bits |= h2Truncated
			}
		} else {
			payload = rest[9:n]
		}
		d.frame(&rec, int32(h.recs.len()), payload, c.frame)
		h.recs.add(rec)
		off += n
	}
	call.count = int32(h.recs.len()) - call.first
	h.callsC.add(call)
}

// h2Header is a frame's 9-byte header.
type h2Header struct {
	length uint32
	typ    uint8
	flags  uint8
	sid    uint32 // without the reserved bit
	r      bool
}

// h2ReadHeader reads a frame header from b (at least 9 bytes).
func h2ReadHeader(b []byte) h2Header {
	sid := be32(b[5:9])
	return h2Header{length: uint32(b[0])<<16 | uint32(b[1])<<8 | uint32(b[2]), typ: b[3], flags: b[4], sid: sid &^ (1 << 31), r: sid>>31 != 0}
}

// h2Fragment is the header block fragment of a HEADERS, PUSH_PROMISE or
// CONTINUATION payload, without padding and priority (ok false: the
// payload is too short for what its flags announce).
func h2Fragment(typ, flags uint8, p []byte) (frag []byte, ok bool) {
	pad := 0
	if flags&h2FlagPadded != 0 && typ != h2Continuation {
		if len(p) < 1 {
			return nil, false
		}
		pad = int(p[0])
		p = p[1:]
	}
	switch {
	case typ == h2Headers && flags&h2FlagPriority != 0:
		if len(p) < 5 {
			return nil, false
		}
		p = p[5:]
	case typ == h2PushPromise:
		if len(p) < 4 {
			return nil, false
		}
		p = p[4:]
	}
	if pad > len(p) {
		return nil, false
	}
	return p[:len(p)-pad], true
}

// frame records what one frame tells the connection: header fields
// (HPACK, in order), a body's DATA, a stream's media type.
func (d *h2Dir) frame(rec *h2Rec, idx int32, payload []byte, tcpFrame int) {
	h := d.st
	cut := rec.bits&h2Cut != 0
	switch rec.typ {
	case h2Headers, h2PushPromise, h2Continuation:
		if cut {
			// The rest of the block is lost: the table cannot follow.
			rec.bits |= h2HpackErr
			d.inBlock = false
			return
		}
		frag, ok := h2Fragment(rec.typ, rec.flags, payload)
		if !ok {
			rec.bits |= h2HpackErr
			return
		}
		d.headerBlock(rec, frag, rec.flags&h2FlagEndHeaders != 0)
		if rec.typ == h2Headers && rec.flags&(h2FlagEndStream|h2FlagEndHeaders) == h2FlagEndStream|h2FlagEndHeaders {
			// Headers alone (or trailers) end the direction: no body follows.
			delete(d.streams, rec.sid)
			return
		}
		if rec.typ != h2PushPromise {
			sd := d.streamDir(rec.sid)
			for i := rec.hdrFirst; i < rec.hdrFirst+rec.hdrCount; i++ {
				f := h.fields.at(i)
				if h.strs[f.name] == "content-type" {
					sd.ctype = h.intern(h2MediaType(h.strs[f.value]))
				}
			}
		}
	case h2Data:
		if cut {
			return
		}
		if rec.flags&h2FlagEndStream != 0 {
			// The direction of the stream ends: nothing of it stays.
			defer delete(d.streams, rec.sid)
		}
		data := payload
		if rec.flags&h2FlagPadded != 0 {
			if len(data) < 1 || int(data[0]) > len(data)-1 {
				return
			}
			data = data[1 : len(data)-int(data[0])]
		}
		sd := d.streamDir(rec.sid)
		rec.ctype = sd.ctype
		if len(data) > 0 || len(sd.frags) == 0 {
			// An empty DATA that ends the stream is no fragment of its
			// body, as Wireshark lists them.
			sd.frags = append(sd.frags, h2Frag{frame: int32(tcpFrame), n: int32(len(data)), rec: idx})
		}
		sd.total += int64(len(data))
		if !sd.over {
			if int64(len(sd.body)+len(data)) > h2MaxBody || h.bodyN+int64(len(data)) > h2BodyBudget {
				sd.over = true
				h.bodyN -= int64(len(sd.body))
				sd.body = nil
			} else {
				sd.body = append(sd.body, data...)
				h.bodyN += int64(len(data))
			}
		}
		if rec.flags&h2FlagEndStream != 0 {
			rec.body = int32(len(h.bodies))
			h.bodies = append(h.bodies, h2Body{data: sd.body, total: sd.total, frags: sd.frags, in: int32(tcpFrame)})
			if sd.over {
				h.bodies[rec.body].data = nil
			}
			if len(sd.frags) > 1 {
				// The earlier fragments say where the body completes.
				for _, fr := range sd.frags {
					if fr.rec != idx {
						h.recs.at(fr.rec).body = rec.body
					}
				}
			}
			sd.body, sd.frags, sd.total, sd.over = nil, nil, 0, false
		}
	}
}

func (d *h2Dir) streamDir(sid uint32) *h2StreamDir {
	sd := d.streams[sid]
	if sd == nil {
		sd = &h2StreamDir{}
		d.streams[sid] = sd
	}
	return sd
}

// headerBlock decodes one fragment of a header block with the
// direction's HPACK decoder, recording the fields it completes.
func (d *h2Dir) headerBlock(rec *h2Rec, frag []byte, end bool) {
	h := d.st
	if rec.typ != h2Continuation {
		d.scan = hpackScan{}
	}
	d.emitted = d.emitted[:0]
	_, err := d.dec.Write(frag)
	if err == nil && end {
		err = d.dec.Close()
	}
	reprs := d.scan.feed(frag)
	if err != nil {
		rec.bits |= h2HpackErr
		// The table is lost with the error: start again afresh, as the
		// peer would have closed the connection.
		d.dec = hpack.NewDecoder(4096, func(f hpack.HeaderField) { d.emitted = append(d.emitted, f) })
		d.dec.SetMaxStringLength(1 << 20)
		d.scan = hpackScan{}
	}
	// The decoder emits the fields; the scan saw them and the table size
	// updates between them, in the same order (Wireshark counts both).
	rec.hdrFirst = int32(h.fields.len())
	k := 0
	add := func(f h2Field) bool {
		if h.fields.len()-int(rec.hdrFirst) >= h2MaxFields {
			rec.bits |= h2FieldsCut
			return false
		}
		h.fields.add(f)
		return true
	}
	for _, r := range reprs {
		if r.repr == h2ReprSizeUpdate {
			if !add(h2Field{repr: h2ReprSizeUpdate, index: r.index}) {
				break
			}
			continue
		}
		if k >= len(d.emitted) {
			break
		}
		f := d.emitted[k]
		k++
		if !add(h2Field{name: h.intern(f.Name), value: h.intern(f.Value), repr: r.repr, index: r.index}) {
			break
		}
	}
	for ; k < len(d.emitted); k++ {
		// Fields the scan did not see whole (it gave up on bad input).
		f := d.emitted[k]
		if !add(h2Field{name: h.intern(f.Name), value: h.intern(f.Value)}) {
			break
		}
	}
	rec.hdrCount = int32(h.fields.len()) - rec.hdrFirst
	d.emitted = d.emitted[:0]
	d.inBlock = !end
}

// hpackScan reads the representations of a header block (RFC 7541 §6) as
// the decoder meets them, for what hpack.Decoder does not tell: how each
// field was represented and its index. A representation may continue in
// the next fragment: its first bytes are carried over.
type hpackScan struct {
	carry []byte
	out   []hpackRepr
}

type hpackRepr struct {
	repr  uint8
	index uint32
}

// feed scans the next fragment and returns the representations of the
// fields completed in it (valid until the next feed).
func (s *hpackScan) feed(frag []byte) []hpackRepr {
	b := frag
	if len(s.carry) > 0 {
		b = append(s.carry, frag...)
	}
	s.out = s.out[:0]
	for len(b) > 0 {
		n, r, field, ok := hpackOne(b)
		if !ok {
			break
		}
		if !field {
			r = hpackRepr{repr: h2ReprSizeUpdate, index: r.index}
		}
		s.out = append(s.out, r)
		b = b[n:]
	}
	if len(b) > 1<<16 {
		b = nil // not a representation: the decoder will have failed
	}
	s.carry = append(s.carry[:0:0], b...)
	return s.out
}

// hpackOne reads one representation from b: its length, what it is, and
// whether it is a field (not a table size update); ok false when b ends
// inside it.
func hpackOne(b []byte) (n int, r hpackRepr, field, ok bool) {
	c := b[0]
	var prefix uint8
	var newName bool
	switch {
	case c&0x80 != 0:
		idx, k, ok := hpackInt(b, 7)
		return k, hpackRepr{repr: h2ReprIndexed, index: uint32(min(idx, 1<<32-1))}, true, ok
	case c&0xc0 == 0x40:
		prefix, r.repr = 6, h2ReprIncrIndexed
	case c&0xe0 == 0x20:
		size, k, ok := hpackInt(b, 5)
		return k, hpackRepr{index: uint32(min(size, 1<<32-1))}, false, ok
	case c&0xf0 == 0x10:
		prefix, r.repr = 4, h2ReprNeverIndexed
	default:
		prefix, r.repr = 4, h2ReprNoIndexIndexed
	}
	idx, k, ok := hpackInt(b, prefix)
	if !ok {
		return 0, r, false, false
	}
	r.index = uint32(min(idx, 1<<32-1))
	newName = idx == 0
	if newName {
		r.repr++ // the "New Name" variant follows each "Indexed Name"
		m, ok := hpackString(b[k:])
		if !ok {
			return 0, r, false, false
		}
		k += m
	}
	m, ok := hpackString(b[k:])
	if !ok {
		return 0, r, false, false
	}
	return k + m, r, true, true
}

// hpackInt reads an integer with an n-bit prefix (RFC 7541 §5.1).
func hpackInt(b []byte, n uint8) (v uint64, k int, ok bool) {
	if len(b) == 0 {
		return 0, 0, false
	}
	max := uint64(1)<<n - 1
	v = uint64(b[0]) & max
	if v < max {
		return v, 1, true
	}
	var m uint
	for k = 1; k < len(b); k++ {
		if m > 56 {
			return 0, 0, false
		}
		v += uint64(b[k]&0x7f) << m
		m += 7
		if b[k]&0x80 == 0 {
			return v, k + 1, true
		}
	}
	return 0, 0, false
}

// hpackString skips a string literal (RFC 7541 §5.2).
func hpackString(b []byte) (k int, ok bool) {
	l, n, ok := hpackInt(b, 7)
	if !ok || l > uint64(len(b)-n) {
		return 0, false
	}
	return n + int(l), true
}

// h2MediaType is a content-type value's media type, as HTTP's
// http.content_type reads it: lower case, without parameters.
func h2MediaType(v string) string {
	if i := strings.IndexByte(v, ';'); i >= 0 {
		v = v[:i]
	}
	return contentTypeName([]byte(strings.TrimSpace(v)))
}
