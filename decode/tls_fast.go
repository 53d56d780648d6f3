package decode

// The TLS stage of the fast pass: which TCP conversations are TLS, and,
// for those, where the records are, as Wireshark 4.0's TLS dissector and
// TCP desegmentation find them on their first pass.
//
// A conversation is TLS when its port is forced to "tls", when its first
// payload looks like a TLS record header or an SSL 2.0-compatible
// ClientHello, or, when the content says nothing, when it is on one of
// Wireshark's TLS ports. TLS conversations get their own reassembler; each
// direction is split into "calls", the data TCP hands the TLS dissector:
// a segment's payload, or a PDU reassembled from several segments when a
// record spans them (Wireshark asks for exactly the missing bytes, or for
// one more segment when even the five-byte header is cut). Records are
// followed by their headers only; the handshake messages in the clear are
// read for the little state later records depend on (the negotiated
// version, the first ChangeCipherSpec of each side, the application
// protocol ALPN selects) and for handshake messages that span records.
//
// What is kept: a compact record per call (frame, where its bytes are),
// a copy of the bytes of calls that span segments (within a budget), the
// per-conversation session facts, and the rare handshake fragments.
// Dissect (tls_tree.go) rebuilds the tree from these and the frame.

import (
	"sort"
	"time"

	"github.com/gopacket/gopacket/layers"
)

// Budgets for bytes kept for Dissect.
const (
	// tlsSavedBudget bounds the copies of calls that span segments; past
	// it only the first record header of each is kept.
	tlsSavedBudget = 32 << 20
	// tlsSavedAppBudget bounds, within it, the copies of application data
	// records: past it their bodies are not even buffered while they
	// arrive (a long download costs no more than its record headers).
	tlsSavedAppBudget = 16 << 20
	// tlsPendingBudget bounds what all conversations keep of records still
	// arriving.
	tlsPendingBudget = 16 << 20
	// tlsProbeSegments is how many payload segments of a conversation the
	// content check looks at before deciding it is not TLS.
	tlsProbeSegments = 4
)

// tlsPorts are the TCP ports Wireshark 4.0 hands to TLS (tshark -G decodes).
var tlsPorts = map[uint16]bool{324: true, 443: true, 465: true, 636: true, 802: true, 853: true, 993: true, 995: true,
	1300: true, 2221: true, 2443: true, 3249: true, 3250: true, 3251: true, 3252: true, 3496: true, 5061: true,
	5671: true, 5684: true, 5868: true, 8883: true, 11207: true, 19999: true, 27017: true}

// Per-stream decision states.
const (
	tlsUndecided = iota
	tlsIsTLS
	tlsNotTLS
)

// tlsSession is what a conversation's TLS session holds that decides how
// later records read (Wireshark's SslSession): kept after the fast pass,
// as Wireshark's second pass sees it.
type tlsSession struct {
	version  uint16   // negotiated or announced version; 0 unknown
	draft    uint8    // TLS 1.3 draft number, 0 for the RFC
	ccsFrame [2]int32 // the first ChangeCipherSpec of each direction (TLS ≤ 1.2)
	appProto uint8    // the application protocol the server's ALPN chose (tlsApp*)
	cipher   uint16   // the cipher suite the last ServerHello chose
	port     [2]uint16
}

// Application protocols ALPN can name (Wireshark's ssl_alpn_protocols).
const (
	tlsAppNone = iota
	tlsAppHTTP
	tlsAppHTTP2
	tlsAppSPDY
)

// tlsCall records one call of the TLS dissector.
type tlsCall struct {
	frame  int32
	sess   int32 // index in tlsStage.sessions
	payOff int32 // >= 0: the frame's TCP payload [payOff, payOff+length)
	length int32
	dir    uint8
	flags  uint8
}

const (
	tlsCallSaved     = 1 << iota // bytes in tlsStage.saved
	tlsCallTruncated             // only a prefix of the bytes was kept
	tlsCallWaiting               // the first record is incomplete: nothing dissected yet
)

// tlsFragEntry is one piece of a handshake message spanning records
// (Wireshark's TlsHsFragment): record key, reassembly, offset, type.
type tlsFragEntry struct {
	call   int32
	rec    int32
	reasm  int32
	offset int32 // of this piece in the message
	last   bool
	typ    uint8
}

// tlsHSMessage is a handshake message reassembled from records.
type tlsHSMessage struct {
	data  []byte
	in    int32 // the frame it completed in; 0 never
	parts []segPiece
}

// tlsConn is the live state of a TLS conversation being reassembled.
type tlsConn struct {
	stream int
	sess   int32
	dirs   [2]pduFramer
	tls    [2]tlsDir
	reasm  [2]int32 // handshake reassembly in progress per direction, 0 none
}

// tlsStage is the TLS part of the application stage.
type tlsStage struct {
	opts     Options
	state    []uint8 // by tcp.stream: tlsUndecided, tlsIsTLS, tlsNotTLS
	probes   []uint8 // by tcp.stream: payload segments looked at
	streams  []int32 // by tcp.stream: index in sessions plus one
	sessions []tlsSession
	live     map[int]*tlsConn
	finished []bool // by tcp.stream: the reassembler is done with it

	callsC    chunked[tlsCall]
	calls     []tlsCall           // after the fast pass, in the order they were made
	callIdx   []int32             // indices in calls, sorted by frame
	saved     map[int32]*savedPDU // calls whose bytes span segments
	table     *pduTable           // which frames' bytes went into PDUs
	frags     []tlsFragEntry
	hsMsgs    map[int32]*tlsHSMessage
	hsCount   int32
	savedLen  int64 // bytes of calls kept
	savedApp  int64 // of which application data
	pending   keepBudget
	events    stageEvents // nil: no consumer listens
	done      bool
	published int // callsC entries in calls (Options.Live)

	// Decryption (Options.KeyLog; tls_session.go): per session, and what
	// each protected record held, by plainKey.
	keys     *KeyLog
	crypto   map[int32]*tlsCrypto
	epochs   []tlsEpoch
	decRecsC chunked[tlsRecDec] // while the fast pass runs
	decRecs  []tlsRecDec        // after it, by call and record
	kept     map[int64][]byte   // plaintexts not to be opened again (tlsPlainBudget)
	plainLen int64
	plainBuf []byte
	cache    tlsDecCache // the tree tier's decryptors
	curTs    time.Time   // the time of the frame whose bytes are being framed
	// The frame whose decrypted application data is being handed on, and
	// how much of it so far.
	appFrame, appOff int
	// appData receives a session's decrypted application data, in order.
	appData func(stream, dir, frame int, ts time.Time, sess *tlsSession, plain []byte, payOff int)
	// appTaken says whether a protocol took a stream's decrypted data.
	appTaken func(stream int) bool
}

func newTLSStage(opts Options, table *pduTable) *tlsStage {
	s := &tlsStage{
		opts:    opts,
		table:   table,
		live:    map[int]*tlsConn{},
		saved:   map[int32]*savedPDU{},
		hsMsgs:  map[int32]*tlsHSMessage{},
		pending: keepBudget{limit: tlsPendingBudget},
	}
	if opts.KeyLog != nil {
		s.keys = opts.KeyLog
		s.crypto = map[int32]*tlsCrypto{}
		s.kept = map[int64][]byte{}
	}
	return s
}

// portClass says what a conversation's ports say about TLS: forced to
// TLS (1), forced to another protocol (2), a Wireshark TLS port (3), or
// nothing (0). The lower port is tried first, as tshark does.
func (s *tlsStage) portClass(p1, p2 uint16) int {
	if p2 < p1 {
		p1, p2 = p2, p1
	}
	for _, p := range [2]uint16{p1, p2} {
		if proto, ok := s.opts.Force[p]; ok {
			if proto == "tls" || proto == "ssl" {
				return 1
			}
			return 2
		}
	}
	if tlsPorts[p1] || tlsPorts[p2] {
		return 3
	}
	return 0
}

// claim is called for every TCP segment before HTTP sees it; it reports
// whether the segment belongs to a TLS conversation (and takes it).
// httpConv says HTTP already follows the conversation.
func (s *tlsStage) claim(t *layers.TCP, seg segInfo, flagged, httpConv bool) bool {
	idx := seg.stream
	if idx < len(s.state) {
		switch s.state[idx] {
		case tlsNotTLS:
			return false
		case tlsIsTLS:
			s.own(seg.stream, len(t.Payload))
			return true
		}
	}
	for len(s.state) <= idx {
		s.state = append(s.state, tlsUndecided)
		s.probes = append(s.probes, 0)
	}
	if httpConv {
		s.state[idx] = tlsNotTLS
		return false
	}
	payload := t.Payload
	if len(payload) == 0 || flagged {
		return false
	}
	// The first segments with data decide.
	class := s.portClass(seg.clientPort, seg.serverPort)
	switch {
	case class == 2:
		s.state[idx] = tlsNotTLS
		return false
	case class == 1, looksLikeTLSRecord(payload), looksLikeSSLv2ClientHello(payload):
	case class == 3 && !looksLikeHTTP(payload):
		// A TLS port decides when the content does not.
	default:
		if s.probes[idx]++; s.probes[idx] >= tlsProbeSegments {
			s.state[idx] = tlsNotTLS
		}
		return false
	}
	s.state[idx] = tlsIsTLS
	s.sessionOf(idx).port = [2]uint16{seg.clientPort, seg.serverPort}
	s.own(idx, len(payload))
	return true
}

// sessionOf returns the session of stream idx, creating it.
func (s *tlsStage) sessionOf(idx int) *tlsSession {
	return &s.sessions[s.sessionIndex(idx)]
}

func (s *tlsStage) sessionIndex(idx int) int32 {
	for len(s.streams) <= idx {
		s.streams = append(s.streams, 0)
	}
	if s.streams[idx] == 0 {
		s.sessions = append(s.sessions, tlsSession{})
		s.streams[idx] = int32(len(s.sessions))
	}
	return s.streams[idx] - 1
}

// own makes sure a TLS conversation being reassembled has its framers,
// as a segment of it (with payloadLen bytes) arrives.
func (s *tlsStage) own(idx, payloadLen int) {
	if s.live[idx] == nil {
		if idx < len(s.finished) && s.finished[idx] && payloadLen == 0 {
			return // the last ACKs of a finished conversation
		}
		c := &tlsConn{stream: idx, sess: s.sessionIndex(idx)}
		for d := range c.dirs {
			c.tls[d] = tlsDir{st: s, conn: c, dir: d}
			c.dirs[d] = pduFramer{proto: &c.tls[d], table: s.table, budget: &s.pending}
		}
		s.live[idx] = c
		if idx < len(s.finished) {
			s.finished[idx] = false
		}
	}
}

// data receives reassembled bytes of a stream; it reports whether the
// stream is a TLS conversation being reassembled (and took them).
func (s *tlsStage) data(stream, dir int, pieces []asmPiece, skip int, end bool) bool {
	c := s.live[stream]
	if c == nil {
		return false
	}
	f := &c.dirs[dir]
	if skip > 0 {
		f.gap(skip)
	}
	for _, p := range pieces {
		s.curTs = p.ts
		f.segment(p.data, p.frame, p.payOff, false, p.flagged)
	}
	if end {
		f.abandon()
	}
	return true
}

// closed is called when the reassembler is done with a conversation.
func (s *tlsStage) closed(stream int) {
	c := s.live[stream]
	if c == nil {
		return
	}
	for d := range c.dirs {
		c.dirs[d].abandon()
	}
	delete(s.live, stream)
	if s.crypto != nil {
		// The fast pass's decryptors go; the tree tier makes its own.
		if cr := s.crypto[c.sess]; cr != nil {
			cr.cur, cr.next = [2]*tlsDecryptor{}, [2]*tlsDecryptor{}
		}
	}
	for len(s.finished) <= stream {
		s.finished = append(s.finished, false)
	}
	s.finished[stream] = true
}

// finish ends the fast pass and sorts the records by frame.
func (s *tlsStage) finish() {
	if s.done {
		return
	}
	s.done = true
	for idx := range s.live {
		s.closed(idx)
	}
	s.live = nil
	s.pending = keepBudget{cut: s.pending.cut}
	s.calls = s.callsC.flatten()
	s.callIdx = make([]int32, len(s.calls))
	for i := range s.callIdx {
		s.callIdx[i] = int32(i)
	}
	sort.SliceStable(s.callIdx, func(i, j int) bool { return s.calls[s.callIdx[i]].frame < s.calls[s.callIdx[j]].frame })
	s.probes = nil
	s.decRecs = s.decRecsC.flatten() // made in call order: sorted
	s.plainBuf = nil
}

// publish copies the calls made since the last call into calls, in the
// order they were made (their frames never go down).
func (s *tlsStage) publish() {
	for k := s.callsC.len(); s.published < k; s.published++ {
		s.calls = append(s.calls, *s.callsC.at(int32(s.published)))
		s.callIdx = append(s.callIdx, int32(s.published))
	}
	// The decrypted records too (made in call order: they stay sorted).
	for k := s.decRecsC.len(); len(s.decRecs) < k; {
		s.decRecs = append(s.decRecs, *s.decRecsC.at(int32(len(s.decRecs))))
	}
}

// frameCalls returns the indices of frame n's calls, in dissection order.
func (s *tlsStage) frameCalls(n int) []int32 {
	i := sort.Search(len(s.callIdx), func(i int) bool { return s.calls[s.callIdx[i]].frame >= int32(n) })
	j := i
	for j < len(s.callIdx) && s.calls[s.callIdx[j]].frame == int32(n) {
		j++
	}
	return s.callIdx[i:j]
}

// isTLS reports whether tcp.stream idx is a TLS conversation.
func (s *tlsStage) isTLS(idx int) bool {
	return idx >= 0 && idx < len(s.streams) && s.streams[idx] > 0
}

// fragsOf returns the handshake fragment entries of record rec of call.
func (s *tlsStage) fragsOf(call, rec int32) []tlsFragEntry {
	i := sort.Search(len(s.frags), func(i int) bool {
		f := s.frags[i]
		return f.call > call || (f.call == call && f.rec >= rec)
	})
	j := i
	for j < len(s.frags) && s.frags[j].call == call && s.frags[j].rec == rec {
		j++
	}
	return s.frags[i:j]
}

// tlsDir is the TLS dissector's side of one direction's framer.
type tlsDir struct {
	st   *tlsStage
	conn *tlsConn
	dir  int
}

// room is how many more bytes the pending PDU may keep, given its first
// bytes: all of it within the pending budget, but only the header of an
// application data record once their copies are over budget.
func (t *tlsDir) room(f *pduFramer, head []byte) int64 {
	r := f.free()
	if len(head) > 0 && head[0] == tlsApplicationData && t.st.savedApp >= tlsSavedAppBudget {
		r = min(r, int64(max(0, 5-len(f.pbuf))))
	}
	return r
}

// owns: TLS never lets go of a direction.
func (t *tlsDir) owns(*pduFramer, int, int64, bool, bool) bool { return true }

// more: a PDU waiting for one more segment (a cut record header) is
// dissected again whole once it comes.
func (t *tlsDir) more(*pduFramer, []byte, bool) pduNeed { return pduNeed{} }

// truncated: only a prefix was kept; the records it starts are shown as
// far as they go, and no more is asked for.
func (t *tlsDir) truncated(f *pduFramer, c *pduCall) int64 {
	t.st.addCall(t, c.frame, -1, c.b, c.length, c.segs, true, false, true)
	if len(c.b) >= 5 {
		h, _ := parseRecordHeader(c.b)
		if validContentType(h.contentType) {
			t.st.recordEvent(t.conn, t.dir, c.frame, h, c.b[:min(len(c.b), 5+h.length)])
		}
	}
	f.table.add(c.segs, c.frame)
	return c.length
}

// dissect runs the TLS dissector over one call (a segment's payload, or a
// reassembled PDU), as Wireshark's first pass does, and records what a
// later full dissection needs.
func (t *tlsDir) dissect(f *pduFramer, c *pduCall) pduNeed {
	callIdx := int32(t.st.callsC.len())
	want, wantOff, wantLen := t.st.scanRecords(t.conn, t.dir, c.frame, callIdx, c.b)
	kind := pendExact
	if want == tlsWantOneMore {
		kind = pendOneMore
	}
	need := pduNeed{kind: kind, off: wantOff, len: int64(len(c.b)-wantOff) + int64(wantLen)}
	if want != tlsWantNone && c.extends(wantOff) {
		// The PDU needs more still: it grows, from the same start.
		need.grow = true
		return need
	}
	if !c.pdu && want != tlsWantNone && wantOff == 0 && c.payOff >= 0 {
		// Nothing dissected: Wireshark shows the frame as a TCP segment of
		// the PDU (and keeps the TLS tree it built, empty).
		t.st.addCall(t, c.frame, c.payOff, c.b, int64(len(c.b)), nil, false, true, false)
	} else {
		payOff := c.payOff
		if c.pdu {
			payOff = -1
		}
		t.st.addCall(t, c.frame, payOff, c.b, int64(len(c.b)), c.segs, false, false, c.pdu)
		if c.pdu {
			f.table.add(c.segs, c.frame)
		}
	}
	if want == tlsWantNone {
		return pduNeed{}
	}
	return need
}

// addCall records a call. A PDU's bytes are kept (within the budget);
// owned says b is the framer's own buffer, kept as it is.
func (s *tlsStage) addCall(f *tlsDir, frame, payOff int, b []byte, length int64, segs []segPiece, trunc, waiting, owned bool) {
	rec := tlsCall{frame: int32(frame), sess: f.conn.sess, payOff: int32(payOff), length: int32(len(b)), dir: uint8(f.dir)}
	if waiting {
		rec.flags |= tlsCallWaiting
	}
	if payOff < 0 || segs != nil {
		keep := b
		app := len(b) > 0 && b[0] == tlsApplicationData
		if s.savedLen+int64(len(keep)) > tlsSavedBudget || (app && s.savedApp+int64(len(keep)) > tlsSavedAppBudget) {
			keep = append([]byte(nil), keep[:min(len(keep), 5)]...)
			trunc, owned = true, true
		}
		s.savedLen += int64(len(keep))
		if app {
			s.savedApp += int64(len(keep))
		}
		idx := int32(s.callsC.len())
		if !owned {
			keep = append([]byte(nil), keep...)
		}
		s.saved[idx] = &savedPDU{data: keep, length: length, segs: append([]segPiece(nil), segs...)}
		rec.flags |= tlsCallSaved
		rec.payOff = -1
		if trunc {
			rec.flags |= tlsCallTruncated
		}
	}
	s.callsC.add(rec)
}

// What a call still needs when its data ends inside a record.
const (
	tlsWantNone    = iota
	tlsWantOneMore // a record header is cut: one more segment
	tlsWantExact   // wantLen more bytes
)

// scanRecords is the record loop of Wireshark's dissect_ssl on its first
// pass: it walks the records of b, applies what each changes in the
// session, and says where (and how much) more data is needed.
func (s *tlsStage) scanRecords(c *tlsConn, dir, frame int, call int32, b []byte) (want, wantOff, wantLen int) {
	sess := &s.sessions[c.sess]
	if rejectPrintable(b) {
		return tlsWantNone, 0, 0
	}
	rec := int32(0)
	for off := 0; off < len(b); {
		rest := b[off:]
		v2 := false
		switch v := sess.version; {
		case v == versionSSL2:
			v2 = true
		case tlsKnownV3(v):
			if len(rest) < 5 {
				return tlsWantOneMore, off, 1
			}
			v2 = isV2ClientHelloStart(rest)
		default:
			if len(rest) < 5 {
				return tlsWantOneMore, off, 1
			}
			switch {
			case looksLikeSSLv2Record(rest):
				v2 = true
			case looksLikeSSLv3Record(rest):
			default:
				return tlsWantNone, 0, 0 // "Continuation Data"
			}
		}
		if v2 {
			n, need, ok := sslv2RecordLen(rest)
			if !ok {
				return tlsWantOneMore, off, 1
			}
			if need > 0 {
				return tlsWantExact, off, need
			}
			if sess.version == 0 && n > 2 {
				if t := rest[n-recordBodyLen(rest)]; t >= 2 && t <= 8 {
					sess.version = versionSSL2
				}
			}
			off += n
			rec++
			continue
		}
		if sess.version >= versionTLS10 && sess.version <= versionTLS12 && !validContentType(rest[0]) {
			return tlsWantNone, 0, 0 // "Ignored Unknown Record"
		}
		h, _ := parseRecordHeader(rest)
		if !validContentType(h.contentType) {
			off += 5 + h.length // "Continuation Data"
			continue
		}
		if len(rest) < 5+h.length {
			return tlsWantExact, off, 5 + h.length - len(rest)
		}
		s.recordEvent(c, dir, frame, h, rest[:5+h.length])
		s.record(c, dir, frame, call, rec, h, rest[5:5+h.length], rest[5:])
		off += 5 + h.length
		rec++
	}
	return tlsWantNone, 0, 0
}

// rejectPrintable is dissect_ssl's first check: data that starts with
// four printable characters is not TLS.
func rejectPrintable(b []byte) bool {
	if len(b) <= 4 {
		return false
	}
	for _, c := range b[:4] {
		if c < 0x20 || c > 0x7e {
			return false
		}
	}
	return true
}

// tlsKnownV3 reports a session version dissect_ssl reads as SSL 3.0/TLS
// records directly (TLS 1.3 goes through the heuristics, as there).
func tlsKnownV3(v uint16) bool {
	return v == versionSSL3 || (v >= versionTLS10 && v <= versionTLS12) || v == 0x0101
}

// isV2ClientHelloStart is ssl_is_v2_client_hello.
func isV2ClientHelloStart(b []byte) bool { return len(b) >= 3 && b[0] == 0x80 && b[2] == 1 }

// looksLikeSSLv2Record is ssl_looks_like_sslv2: a two-byte header and an
// SSL 2.0 message type sent in the clear (error, client hello, client
// master key, server hello).
func looksLikeSSLv2Record(b []byte) bool {
	if len(b) < 3 || b[0] < 0x80 {
		return false
	}
	switch b[2] {
	case 0, 1, 2, 4:
		return true
	}
	return false
}

// looksLikeSSLv3Record is ssl_looks_like_sslv3: a valid content type and
// a known version.
func looksLikeSSLv3Record(b []byte) bool {
	if len(b) < 3 || !validContentType(b[0]) {
		return false
	}
	switch uint16(b[1])<<8 | uint16(b[2]) {
	case versionSSL3, versionTLS10, versionTLS11, versionTLS12, versionTLS13, 0x0101:
		return true
	}
	return false
}

// sslv2RecordLen reads an SSL 2.0 record header (two bytes, or three with
// padding when the top bit is clear): the record's total length, or how
// many more bytes it needs.
func sslv2RecordLen(b []byte) (n, need int, ok bool) {
	hl := 3
	if b[0]&0x80 != 0 {
		hl = 2
	}
	if len(b) < hl {
		return 0, 0, false
	}
	var length int
	if hl == 2 {
		length = int(b[0]&0x7f)<<8 | int(b[1])
	} else {
		length = int(b[0]&0x3f)<<8 | int(b[1])
	}
	if len(b) < hl+length {
		return 0, hl + length - len(b), true
	}
	return hl + length, 0, true
}

// recordBodyLen is the length of an SSL 2.0 record's body.
func recordBodyLen(b []byte) int {
	if b[0]&0x80 != 0 {
		return int(b[0]&0x7f)<<8 | int(b[1])
	}
	return int(b[0]&0x3f)<<8 | int(b[1])
}

// trySetVersion is ssl_try_set_version: authoritative messages (any
// record but a handshake, or a handshake message other than ClientHello)
// fix the session's version.
func (sess *tlsSession) trySetVersion(contentType, hsType uint8, v uint16) {
	if contentType == tlsHandshake {
		if !validHandshakeType(hsType) || hsType == hsClientHello {
			return
		}
	} else if !validContentType(contentType) {
		return
	}
	draft := uint8(0)
	if hsType == hsServerHello && contentType == tlsHandshake {
		if d := tls13Draft(v); d != 0 {
			draft, v = d, versionTLS13
		}
	}
	switch v {
	case versionSSL3, versionTLS10, versionTLS11, versionTLS12, versionTLS13:
		sess.version, sess.draft = v, draft
	}
}

// tls13Draft is the draft number a TLS 1.3 draft version carries (0x7fNN,
// and Facebook's 0xfb17, 0xfb1a), 0 for others.
func tls13Draft(v uint16) uint8 {
	switch {
	case v>>8 == 0x7f:
		return uint8(v)
	case v == 0xfb17 || v == 0xfb1a:
		return uint8(v)
	}
	return 0
}

// record applies what a complete record changes (dissect_ssl3_record on
// the first pass). rec is its index in the call; after is the data from
// the record body on (Wireshark reads the byte after the header even when
// the record is empty).
func (s *tlsStage) record(c *tlsConn, dir, frame int, call, rec int32, h tlsRecordHeader, body, after []byte) {
	sess := &s.sessions[c.sess]
	version := sess.version
	if version == 0 {
		next := uint8(0)
		if len(after) > 0 {
			next = after[0]
		}
		sess.trySetVersion(h.contentType, next, h.version)
		version = h.version
	}
	if s.keys != nil && s.decryptRecord(c, dir, frame, call, rec, h, body) {
		return
	}
	switch h.contentType {
	case tlsChangeCipherSpec:
		if sess.version == versionTLS13 || (version == versionTLS13 && sess.draft > 0 && sess.draft < 22) {
			return
		}
		if sess.ccsFrame[dir] == 0 {
			sess.ccsFrame[dir] = int32(frame)
		}
		if s.keys != nil {
			s.changeCipherSpec(c, dir)
		}
	case tlsHandshake:
		s.handshake(c, dir, frame, call, rec, body, false)
	}
}

// handshake is dissect_tls_handshake's first pass over a handshake
// record: continue or start a message spanning records, or read the
// messages the record holds. clear says body was decrypted (it is then
// never taken for an encrypted message).
func (s *tlsStage) handshake(c *tlsConn, dir, frame int, call, rec int32, body []byte, clear bool) {
	sess := &s.sessions[c.sess]
	off := 0
	first := true
	if id := c.reasm[dir]; id != 0 {
		m := s.hsMsgs[id]
		have := len(m.data)
		sub := len(body)
		msgLen := -1
		if head := append(m.data[:min(have, 4):min(have, 4)], body[:min(len(body), 4)]...); len(head) >= 4 {
			msgLen = 4 + (int(head[1])<<16 | int(head[2])<<8 | int(head[3]))
			sub = min(sub, msgLen-have)
		}
		last := msgLen >= 0 && have+sub == msgLen
		s.frags = append(s.frags, tlsFragEntry{call: call, rec: rec, reasm: id, offset: int32(have), last: last, typ: m.data[0]})
		if s.savedLen+int64(sub) > tlsSavedBudget {
			// Over budget: the message is never completed (its fragments
			// show as such), as a reassembly with data missing.
			s.frags[len(s.frags)-1].last = false
			c.reasm[dir] = 0
			return
		}
		s.savedLen += int64(sub)
		m.data = append(m.data, body[:sub]...)
		m.parts = append(m.parts, segPiece{frame: int32(frame), n: int32(sub)})
		if !last {
			return
		}
		c.reasm[dir] = 0
		m.in = int32(frame)
		s.handshakeMessage(c, dir, sess, m.data, true)
		off, first = sub, false
	} else if !clear && encryptedHandshake(body, sess.ccsFrame[dir], int32(frame)) {
		return
	}
	for off < len(body) {
		rest := body[off:]
		msgLen := handshakeMsgLen(rest)
		if msgLen == 0 || len(rest) < msgLen {
			s.hsCount++
			c.reasm[dir] = s.hsCount
			s.savedLen += int64(len(rest))
			s.hsMsgs[s.hsCount] = &tlsHSMessage{data: append([]byte(nil), rest...), parts: []segPiece{{frame: int32(frame), n: int32(len(rest))}}}
			s.frags = append(s.frags, tlsFragEntry{call: call, rec: rec, reasm: s.hsCount, typ: rest[0]})
			return
		}
		s.handshakeMessage(c, dir, sess, rest[:msgLen], first)
		off += msgLen
		first = false
	}
}

// encryptedHandshake is is_encrypted_handshake_message for a record not
// decrypted: at least 16 bytes (the smallest MAC or AEAD overhead) and
// either an explicit nonce of zeros, a record after the side's
// ChangeCipherSpec, or a message type or length that makes no sense.
func encryptedHandshake(body []byte, ccs, frame int32) bool {
	if len(body) < 16 {
		return false
	}
	if body[0]|body[1]|body[2]|body[3]|body[4] == 0 {
		return true
	}
	if ccs != 0 && frame > ccs {
		return true
	}
	if _, ok := tlsHandshakeNames[body[0]]; !ok {
		return true
	}
	return int(body[1])<<16|int(body[2])<<8|int(body[3]) >= 0x10000
}

// handshakeMessage applies what a complete handshake message changes
// (dissect_tls_handshake_full on the first pass).
func (s *tlsStage) handshakeMessage(c *tlsConn, dir int, sess *tlsSession, msg []byte, first bool) {
	typ, n, _ := tlsHandshakeHeader(msg)
	if _, known := tlsHandshakeNames[typ]; !known && !first {
		return
	}
	body := msg[4 : 4+n]
	if first && typ == hsServerHello && n > 2 {
		v, _ := scanServerHello(body)
		sess.trySetVersion(tlsHandshake, hsServerHello, v)
	}
	// The hellos are parsed once, for the events, the session and the
	// key schedule (helloKeys, last: it needs the cipher suite noted).
	var ch *tlsClientHello
	var sh *tlsServerHello
	switch typ {
	case hsClientHello:
		if m, err := parseClientHello(body); err == nil {
			ch = m
			if s.events != nil {
				s.events.tlsClientHello(c.stream, m)
			}
			for _, e := range m.extensions {
				if e.typ == extEarlyData {
					// Early data is TLS 1.3 only (RFC 8446 §4.2.10).
					sess.version = versionTLS13
				}
			}
		}
	case hsCertificate:
		if s.events != nil && sess.version != versionTLS13 {
			if certs, err := parseCertificate(body, false); err == nil && len(certs.certs) > 0 {
				s.events.tlsCertificate(c.stream, certs.certs)
			}
		}
	case hsServerHello:
		if m, err := parseServerHello(body); err == nil {
			sh = m
			if s.events != nil {
				s.events.tlsServerHello(c.stream, m)
			}
			sess.cipher = m.cipherSuite
			sess.noteALPN(m.extensions)
		}
	case hsEncryptedExtensions:
		// TLS 1.3 sends ALPN's choice here, seen once decrypted.
		if exts, err := readExtensions(body, 0); err == nil {
			sess.noteALPN(exts)
		}
	}
	if s.keys != nil {
		s.helloKeys(c, dir, sess, typ, body, ch, sh)
	}
}

// noteALPN takes the application protocol a server's ALPN extension chose.
func (sess *tlsSession) noteALPN(exts []tlsExtension) {
	for _, e := range exts {
		if e.typ != extALPN {
			continue
		}
		if names, ok := readALPN(e.data); ok && len(names) > 0 {
			if app := alpnApp(names[0]); app != tlsAppNone {
				sess.appProto = app
			}
		}
	}
}

// alpnApp maps an ALPN protocol name to the protocol Wireshark hands the
// decrypted data to (ssl_alpn_protocols).
func alpnApp(name []byte) uint8 {
	p := string(name)
	switch {
	case p == "http/1.1":
		return tlsAppHTTP
	case hasPrefix(p, "spdy/"):
		return tlsAppSPDY
	case p == "h2" || hasPrefix(p, "h2-"):
		return tlsAppHTTP2
	}
	return tlsAppNone
}

// recordEvent tells the stage's consumers of a record of direction dir
// (rec: its header and what there is of its body).
func (s *tlsStage) recordEvent(c *tlsConn, dir, frame int, h tlsRecordHeader, rec []byte) {
	if s.events != nil {
		s.events.tlsRecord(c.stream, dir, frame, h.contentType, h.length, rec)
	}
}
