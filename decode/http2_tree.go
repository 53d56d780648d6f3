package decode

// Full dissection of the HTTP/2 frames a TCP frame carries: the tree
// Wireshark 4.0's HTTP/2 dissector builds, with tshark's field names and
// values, rebuilt from the fast pass's records (http2_fast.go) and the
// frame's bytes (or the saved copy of frames that span segments). Header
// fields come from the records: HPACK cannot be decoded again out of
// order.

import (
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// h2TypeNames are Wireshark's http2_type_vals.
var h2TypeNames = map[uint8]string{
	h2Data: "DATA", h2Headers: "HEADERS", h2Priority: "PRIORITY", h2RSTStream: "RST_STREAM", h2Settings: "SETTINGS",
	h2PushPromise: "PUSH_PROMISE", h2Ping: "PING", h2GoAway: "GOAWAY", h2WindowUpdate: "WINDOW_UPDATE",
	h2Continuation: "CONTINUATION", 10: "ALTSVC", 11: "BLOCKED", 12: "ORIGIN", 16: "PRIORITY_UPDATE",
}

// h2ErrorNames are http2_error_codes_vals.
var h2ErrorNames = []string{"NO_ERROR", "PROTOCOL_ERROR", "INTERNAL_ERROR", "FLOW_CONTROL_ERROR", "SETTINGS_TIMEOUT",
	"STREAM_CLOSED", "FRAME_SIZE_ERROR", "REFUSED_STREAM", "CANCEL", "COMPRESSION_ERROR", "CONNECT_ERROR",
	"ENHANCE_YOUR_CALM", "INADEQUATE_SECURITY", "HTTP_1_1_REQUIRED"}

func h2ErrorName(v uint32) string {
	if int(v) < len(h2ErrorNames) {
		return h2ErrorNames[v]
	}
	return "Unknown"
}

// h2Setting is one SETTINGS parameter: its name, and its value field's
// name and label.
type h2Setting struct {
	name, field, label string
}

var h2SettingNames = map[uint16]h2Setting{
	1: {"Header table size", "http2.settings.header_table_size", "Header table size"},
	2: {"Enable PUSH", "http2.settings.enable_push", "Enable PUSH"},
	3: {"Max concurrent streams", "http2.settings.max_concurrent_streams", "Max concurrent streams"},
	4: {"Initial Windows size", "http2.settings.initial_window_size", "Initial Windows Size"},
	5: {"Max frame size", "http2.settings.max_frame_size", "Max frame size"},
	6: {"Max header list size", "http2.settings.max_header_list_size", "Max header list size"},
	8: {"Extended CONNECT", "http2.settings.extended_connect", "Extended CONNECT"},
}

// h2FlagBits are the flags each frame type shows, in Wireshark's order,
// and its unused-bits field with the mask it covers.
type h2FlagBit struct {
	mask        uint8
	name, label string
}

type h2FlagSet struct {
	unused     string
	unusedMask uint8
	bits       []h2FlagBit
}

var (
	h2EndStream  = h2FlagBit{h2FlagEndStream, "http2.flags.end_stream", "End Stream"}
	h2EndHeaders = h2FlagBit{h2FlagEndHeaders, "http2.flags.eh", "End Headers"}
	h2Padded     = h2FlagBit{h2FlagPadded, "http2.flags.padded", "Padded"}
	h2PriorityF  = h2FlagBit{h2FlagPriority, "http2.flags.priority", "Priority"}
)

func h2Flags(typ uint8) h2FlagSet {
	switch typ {
	case h2Data:
		return h2FlagSet{"http2.flags.unused_data", 0xf6, []h2FlagBit{h2Padded, h2EndStream}}
	case h2Headers:
		return h2FlagSet{"http2.flags.unused_headers", 0xd2, []h2FlagBit{h2PriorityF, h2Padded, h2EndHeaders, h2EndStream}}
	case h2Settings:
		return h2FlagSet{"http2.flags.unused_settings", 0xfe, []h2FlagBit{{h2FlagAck, "http2.flags.ack.settings", "ACK"}}}
	case h2PushPromise:
		return h2FlagSet{"http2.flags.unused_push_promise", 0xf3, []h2FlagBit{h2Padded, h2EndHeaders}}
	case h2Ping:
		return h2FlagSet{"http2.flags.unused_ping", 0xfe, []h2FlagBit{{h2FlagAck, "http2.flags.ack.ping", "ACK"}}}
	case h2Continuation:
		return h2FlagSet{"http2.flags.unused_continuation", 0xfb, []h2FlagBit{h2Padded, h2EndHeaders}}
	}
	return h2FlagSet{"http2.flags.unused", 0xff, nil}
}

// h2HeaderFields are the header names with fields of their own
// (http2.headers.*), and whether the value is a number.
var h2HeaderFields = func() map[string]string {
	m := map[string]string{}
	for _, n := range strings.Fields(`:authority :status :path :method :scheme accept accept-charset accept-encoding
accept-language accept-ranges access-control-allow-origin age allow authorization cache-control content-disposition
content-encoding content-language content-length content-location content-range content-type cookie date etag expect
expires from if-match if-modified-since if-none-match if-range if-unmodified-since last-modified link location
max-forwards proxy-authenticate proxy-authorization range referer refresh retry-after server set-cookie
strict-transport-security user-agent vary via www-authenticate`) {
		m[n] = "http2.headers." + strings.ReplaceAll(strings.TrimPrefix(n, ":"), "-", "_")
	}
	return m
}()

// h2NumericHeaders are the http2.headers.* fields of integer type.
var h2NumericHeaders = map[string]bool{":status": true, "age": true, "content-length": true, "max-forwards": true}

// h2Dissector builds one TCP frame's HTTP/2 trees.
type h2Dissector struct {
	h         *h2Stage
	p         *Packet
	n         int
	info      strings.Builder
	colProto  string
	malformed bool
	protoDone bool
	top       *Field // the http2 node of the frame being dissected
	viaHTTP   bool   // the connection was upgraded from HTTP/1.1
}

// dissect adds the HTTP/2 frames TCP frame n carries on top of its TCP
// node; it reports whether the conversation is HTTP/2.
func (h *h2Stage) dissect(p *Packet, n int, tcpNode *Field) bool {
	stream, ok := tcpStreamOf(tcpNode)
	if !ok || !h.isH2(stream) || n < h.startFrame(stream) {
		// Not HTTP/2, or the HTTP/1.1 before an upgrade.
		return false
	}
	in, inPDU := h.table.in(n)
	if in > n {
		tcpNode.Add(p.tree.newNode(Field{Name: "tcp.reassembled_in", Kind: KindFrameNum, U: uint64(in)}, "[Reassembled PDU in frame: %d]", in))
	}
	if len(h.frameCalls(n)) == 0 {
		if inPDU {
			p.Summary.Info = segmentNote(p.Summary.Info)
		}
		return true
	}
	payload, src, start := tcpPayload(p, tcpNode)
	info, proto, malformed := h.appendFrames(p, n, stream, payload, src, start)
	p.Summary.Protocol = proto
	p.Summary.Info = tcpInfoPrefix(p.Summary.Info) + info
	if malformed {
		p.Summary.Info += malformedNote
	}
	return true
}

// appendFrames adds to p the trees of the HTTP/2 frames dissected in
// frame n of tcp.stream, from payload (source src, at start) or from the
// saved copies, and returns their Info, the Protocol column and whether
// one was malformed. It is the entry for a stage that feeds HTTP/2 data
// of its own (decrypted TLS: its calls are saved copies, payload unused).
func (h *h2Stage) appendFrames(p *Packet, n, stream int, payload []byte, src, start int) (info, proto string, malformed bool) {
	d := &h2Dissector{h: h, p: p, n: n, viaHTTP: stream < len(h.viaHTTP) && h.viaHTTP[stream]}
	for _, c := range h.frameCalls(n) {
		b, source, base := d.callBytes(c, payload, src, start)
		for i := c.first; i < c.first+c.count; i++ {
			d.record(h.recs.at(i), b, source, base)
		}
	}
	return d.info.String(), "HTTP2" + d.colProto, d.malformed
}

// callBytes locates a call's bytes: in the frame's TCP payload, or a saved
// copy added as a data source.
func (d *h2Dissector) callBytes(c h2Call, payload []byte, src, start int) ([]byte, int, int) {
	if c.payOff >= 0 {
		off := min(int(c.payOff), len(payload))
		end := min(off+int(c.length), len(payload))
		return payload[off:end], src, start + off
	}
	s := d.h.saved[c.id]
	if s == nil {
		return nil, src, start
	}
	return s.data, s.source(d.p), 0
}

// node makes a node in the packet's tree.
func (d *h2Dissector) node(f Field, label string, args ...any) *Field {
	return d.p.tree.newNode(f, label, args...)
}

// addInfo appends one frame's Info, joined with ", ".
func (d *h2Dissector) addInfo(s string) {
	if d.info.Len() > 0 {
		d.info.WriteString(", ")
	}
	d.info.WriteString(s)
}

func h2TypeName(t uint8) (string, bool) {
	s, ok := h2TypeNames[t]
	if !ok {
		return "Unknown type (" + strconv.Itoa(int(t)) + ")", false
	}
	return s, true
}

// record dissects one record: the preface or a frame, at rec.off of b.
func (d *h2Dissector) record(rec *h2Rec, b []byte, src, base int) {
	off := min(int(rec.off), len(b))
	if !d.protoDone {
		if d.viaHTTP {
			// After an upgrade Wireshark's HTTP hands the data on.
			appendProtocol(d.p, "http")
		}
		appendProtocol(d.p, "http2")
		d.protoDone = true
	}
	if rec.kind == h2KindMagic {
		n := min(len(h2Preface), len(b)-off)
		top := d.node(Field{Name: "http2", Kind: KindProtocol, Source: src, Start: base + off, Len: n}, "HyperText Transfer Protocol 2")
		d.p.Tree = append(d.p.Tree, top)
		st := top.Add(d.node(Field{Name: "http2.stream", Source: src, Start: base + off, Len: n}, "Stream: Magic"))
		st.Add(d.node(Field{Name: "http2.magic", Kind: KindString, S: h2Preface, Source: src, Start: base + off, Len: n}, "Magic: %s", `PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n`))
		d.addInfo("Magic")
		return
	}
	fb := b[off:]
	total := min(len(fb), 9+int(rec.length))
	top := d.node(Field{Name: "http2", Kind: KindProtocol, Source: src, Start: base + off, Len: total}, "HyperText Transfer Protocol 2")
	d.p.Tree = append(d.p.Tree, top)
	d.top = top
	if len(fb) < 9 {
		d.markMalformed(top, "frame header cut short")
		return
	}
	name, known := h2TypeName(rec.typ)
	info := fmt.Sprintf("%s[%d]", name, rec.sid)
	label := fmt.Sprintf("Stream: %s, Stream ID: %d, Length %d", name, rec.sid, rec.length)
	if rec.typ == h2Headers || rec.typ == h2PushPromise {
		if s := d.headersSummary(rec); s != "" {
			info += ": " + s
			label += ", " + s
		}
	}
	if rec.typ == h2Data && rec.flags&h2FlagEndStream == 0 {
		label += " (partial entity body)"
	}
	st := top.Add(d.node(Field{Name: "http2.stream", Source: src, Start: base + off, Len: total}, label))
	st.Add(d.node(Field{Name: "http2.length", Kind: KindUint, Bits: 24, U: uint64(rec.length), Source: src, Start: base + off, Len: 3}, "Length: %d", rec.length))
	if known {
		st.Add(d.node(Field{Name: "http2.type", Kind: KindUint, Bits: 8, U: uint64(rec.typ), Source: src, Start: base + off + 3, Len: 1}, "Type: %s (%d)", name, rec.typ))
	} else {
		st.Add(d.node(Field{Name: "http2.type", Kind: KindUint, Bits: 8, U: uint64(rec.typ), Source: src, Start: base + off + 3, Len: 1}, "Type: Unknown (%d)", rec.typ))
	}
	d.flags(st, rec, src, base+off+4)
	r := uint64(be32(fb[5:9]) >> 31)
	st.Add(d.node(Field{Name: "http2.r", Kind: KindUint, Bits: 32, Base: BaseHex, U: r, Source: src, Start: base + off + 5, Len: 4}, "%s = Reserved: 0x%x", bits(r<<31, 1<<31, 32), r))
	st.Add(d.node(Field{Name: "http2.streamid", Kind: KindUint, Bits: 32, U: uint64(rec.sid), Source: src, Start: base + off + 5, Len: 4}, "%s = Stream Identifier: %d", bits(uint64(rec.sid), 0x7fffffff, 32), rec.sid))
	payload := fb[9:]
	if len(payload) > int(rec.length) {
		payload = payload[:rec.length]
	}
	pbase := base + off + 9
	if rec.bits&h2Cut != 0 {
		d.addInfo(info)
		d.markMalformed(st, "frame cut short")
		return
	}
	d.payload(st, rec, payload, src, pbase, &info)
	d.addInfo(info)
}

// headersSummary is what HEADERS adds to the Info and the stream's label:
// the request's method and path, or the response's status.
func (d *h2Dissector) headersSummary(rec *h2Rec) string {
	var method, path, status string
	for i := rec.hdrFirst; i < rec.hdrFirst+rec.hdrCount; i++ {
		f := d.h.fields.at(i)
		switch d.h.strs[f.name] {
		case ":method":
			method = d.h.strs[f.value]
		case ":path":
			path = d.h.strs[f.value]
		case ":status":
			status = d.h.strs[f.value]
		}
	}
	switch {
	case method != "" && path != "":
		return method + " " + path
	case status != "":
		code, _ := strconv.Atoi(status)
		return status + " " + statusText(code)
	}
	return ""
}

// flags adds the flags byte and its bits.
func (d *h2Dissector) flags(st *Field, rec *h2Rec, src, at int) {
	set := h2Flags(rec.typ)
	fl := rec.flags
	label := fmt.Sprintf("Flags: 0x%02x", fl)
	for _, b := range set.bits {
		if fl&b.mask != 0 {
			label += ", " + b.label
		}
	}
	f := st.Add(d.node(Field{Name: "http2.flags", Kind: KindUint, Bits: 8, Base: BaseHex, U: uint64(fl), Source: src, Start: at, Len: 1}, label))
	unused := uint64(fl & set.unusedMask)
	f.Add(d.node(Field{Name: set.unused, Kind: KindUint, Bits: 8, Base: BaseHex, U: unused, Source: src, Start: at, Len: 1}, "%s = Unused: 0x%02x", bits(uint64(fl), uint64(set.unusedMask), 8), unused))
	for _, b := range set.bits {
		on := fl&b.mask != 0
		v := "False"
		if on {
			v = "True"
		}
		u := uint64(0)
		if on {
			u = 1
		}
		f.Add(d.node(Field{Name: b.name, Kind: KindBool, U: u, Source: src, Start: at, Len: 1}, "%s = %s: %s", bits(uint64(fl), uint64(b.mask), 8), b.label, v))
	}
}

// padLength adds the Pad Length of a padded frame and returns the payload
// after it and the padding (ok false: too short).
func (d *h2Dissector) padLength(st *Field, rec *h2Rec, p []byte, src, base int) (body, pad []byte, at int, ok bool) {
	if rec.flags&h2FlagPadded == 0 || rec.typ == h2Continuation {
		st.Add(d.node(Field{Name: "http2.pad_length", Kind: KindUint, Bits: 16}, "[Pad Length: 0]"))
		return p, nil, 0, true
	}
	if len(p) < 1 {
		return nil, nil, 0, false
	}
	n := int(p[0])
	st.Add(d.node(Field{Name: "http2.padding", Kind: KindUint, Bits: 8, Base: BaseHex, U: uint64(n), Source: src, Start: base, Len: 1}, "Pad Length: 0x%02x", n))
	st.Add(d.node(Field{Name: "http2.pad_length", Kind: KindUint, Bits: 16, U: uint64(n)}, "[Pad Length: %d]", n))
	if n > len(p)-1 {
		return nil, nil, 0, false
	}
	return p[1 : len(p)-n], p[len(p)-n:], 1, true
}

// priority adds a priority block (PRIORITY, HEADERS with the flag).
func (d *h2Dissector) priority(st *Field, p []byte, src, base int) {
	w := be32(p)
	ex := uint64(w >> 31)
	st.Add(d.node(Field{Name: "http2.exclusive", Kind: KindBool, U: ex, Source: src, Start: base, Len: 4}, "%s = Exclusive: %s", bits(uint64(w), 1<<31, 32), trueFalse(ex != 0)))
	dep := uint64(w & 0x7fffffff)
	st.Add(d.node(Field{Name: "http2.stream_dependency", Kind: KindUint, Bits: 32, U: dep, Source: src, Start: base, Len: 4}, "%s = Stream Dependency: %d", bits(uint64(w), 0x7fffffff, 32), dep))
	st.Add(d.node(Field{Name: "http2.headers.weight", Kind: KindUint, Bits: 8, U: uint64(p[4]), Source: src, Start: base + 4, Len: 1}, "Weight: %d", p[4]))
	st.Add(d.node(Field{Name: "http2.headers.weight_real", Kind: KindUint, Bits: 8, U: uint64(p[4]) + 1, Source: src, Start: base + 4, Len: 1}, "[Weight real: %d]", int(p[4])+1))
}

func trueFalse(v bool) string {
	if v {
		return "True"
	}
	return "False"
}

// payload adds what a frame's payload holds, by type.
func (d *h2Dissector) payload(st *Field, rec *h2Rec, p []byte, src, base int, info *string) {
	short := func() { d.markMalformed(st, "payload too short for the frame type") }
	switch rec.typ {
	case h2Data:
		body, pad, at, ok := d.padLength(st, rec, p, src, base)
		if !ok {
			short()
			return
		}
		d.data(st, rec, body, src, base+at, info)
		if pad != nil {
			st.Add(d.node(Field{Name: "http2.data.padding", Kind: KindBytes, B: pad, Source: src, Start: base + len(p) - len(pad), Len: len(pad)}, "Padding: %s", truncHexOf(pad)))
		}
	case h2Headers, h2PushPromise, h2Continuation:
		body, pad, at, ok := d.padLength(st, rec, p, src, base)
		if !ok {
			short()
			return
		}
		switch {
		case rec.typ == h2Headers && rec.flags&h2FlagPriority != 0:
			if len(body) < 5 {
				short()
				return
			}
			d.priority(st, body, src, base+at)
			body, at = body[5:], at+5
		case rec.typ == h2PushPromise:
			if len(body) < 4 {
				short()
				return
			}
			w := be32(body)
			r := uint64(w >> 31)
			st.Add(d.node(Field{Name: "http2.push_promise.r", Kind: KindUint, Bits: 32, Base: BaseHex, U: r, Source: src, Start: base + at, Len: 4}, "%s = Reserved: 0x%x", bits(uint64(w), 1<<31, 32), r))
			id := uint64(w & 0x7fffffff)
			st.Add(d.node(Field{Name: "http2.push_promise.promised_stream_id", Kind: KindUint, Bits: 32, U: id, Source: src, Start: base + at, Len: 4}, "%s = Promised-Stream-ID: %d", bits(uint64(w), 0x7fffffff, 32), id))
			body, at = body[4:], at+4
		}
		switch rec.typ {
		case h2Headers:
			st.Add(d.node(Field{Name: "http2.headers", Kind: KindBytes, B: body, Source: src, Start: base + at, Len: len(body)}, "Header Block Fragment: %s", truncHexOf(body)))
		case h2PushPromise:
			st.Add(d.node(Field{Name: "http2.push_promise.header", Kind: KindBytes, B: body, Source: src, Start: base + at, Len: len(body)}, "Header Block Fragment: %s", truncHexOf(body)))
		default:
			s := replaceInvalidUTF8(body)
			st.Add(d.node(Field{Name: "http2.continuation.header", Kind: KindString, S: s, Source: src, Start: base + at, Len: len(body)}, "Continuation Header: %s", formatText(body)))
		}
		d.headerFields(st, rec, src, base+at)
		if pad != nil {
			name := "http2.headers.padding"
			if rec.typ == h2PushPromise {
				name = "http2.push_promise.padding"
			}
			st.Add(d.node(Field{Name: name, Kind: KindBytes, B: pad, Source: src, Start: base + len(p) - len(pad), Len: len(pad)}, "Padding: %s", truncHexOf(pad)))
		}
	case h2Priority:
		if len(p) < 5 {
			short()
			return
		}
		d.priority(st, p, src, base)
	case h2RSTStream:
		if len(p) < 4 {
			short()
			return
		}
		e := be32(p)
		st.Add(d.node(Field{Name: "http2.rst_stream.error", Kind: KindUint, Bits: 32, U: uint64(e), Source: src, Start: base, Len: 4}, "Error: %s (%d)", h2ErrorName(e), e))
	case h2Settings:
		d.h2SettingsList(st, p, src, base)
		if r := len(p) % 6; r != 0 {
			// The cut parameter's item, then the exception.
			st.Add(d.node(Field{Name: "http2.settings", Source: src, Start: base + len(p) - r, Len: r}, "Settings"))
			short()
		}
	case h2Ping:
		if len(p) < 8 {
			short()
			return
		}
		if rec.flags&h2FlagAck != 0 {
			st.Add(d.node(Field{Name: "http2.pong", Kind: KindBytes, B: p[:8], Source: src, Start: base, Len: 8}, "Pong: %x", p[:8]))
		} else {
			st.Add(d.node(Field{Name: "http2.ping", Kind: KindBytes, B: p[:8], Source: src, Start: base, Len: 8}, "Ping: %x", p[:8]))
		}
	case h2GoAway:
		if len(p) < 8 {
			short()
			return
		}
		w := be32(p)
		r := uint64(w >> 31)
		st.Add(d.node(Field{Name: "http2.goway.r", Kind: KindUint, Bits: 32, Base: BaseHex, U: r, Source: src, Start: base, Len: 4}, "%s = Reserved: 0x%x", bits(uint64(w), 1<<31, 32), r))
		last := uint64(w & 0x7fffffff)
		st.Add(d.node(Field{Name: "http2.goaway.last_stream_id", Kind: KindUint, Bits: 32, U: last, Source: src, Start: base, Len: 4}, "%s = Last-Stream-ID: %d", bits(uint64(w), 0x7fffffff, 32), last))
		e := be32(p[4:])
		st.Add(d.node(Field{Name: "http2.goaway.error", Kind: KindUint, Bits: 32, U: uint64(e), Source: src, Start: base + 4, Len: 4}, "Error: %s (%d)", h2ErrorName(e), e))
		if len(p) > 8 {
			st.Add(d.node(Field{Name: "http2.goaway.addata", Kind: KindBytes, B: p[8:], Source: src, Start: base + 8, Len: len(p) - 8}, "Additional Debug Data: %s", truncHexOf(p[8:])))
		}
	case h2WindowUpdate:
		if len(p) < 4 {
			short()
			return
		}
		w := be32(p)
		r := uint64(w >> 31)
		st.Add(d.node(Field{Name: "http2.window_update.r", Kind: KindUint, Bits: 32, Base: BaseHex, U: r, Source: src, Start: base, Len: 4}, "%s = Reserved: 0x%x", bits(uint64(w), 1<<31, 32), r))
		inc := uint64(w & 0x7fffffff)
		st.Add(d.node(Field{Name: "http2.window_update.window_size_increment", Kind: KindUint, Bits: 32, U: inc, Source: src, Start: base, Len: 4}, "%s = Window Size Increment: %d", bits(uint64(w), 0x7fffffff, 32), inc))
	default:
		if _, known := h2TypeNames[rec.typ]; !known {
			st.Add(d.node(Field{Name: "http2.unknown", Kind: KindBytes, B: p, Source: src, Start: base, Len: len(p)}, "Unknown: %s", truncHexOf(p)))
		}
	}
}

// headerFields adds the fields a header block fragment yielded (decoded
// in the fast pass).
func (d *h2Dissector) headerFields(st *Field, rec *h2Rec, src, at int) {
	h := d.h
	if rec.bits&h2HpackErr != 0 && rec.hdrCount == 0 {
		// Wireshark shows nothing of a block its inflater refused.
		return
	}
	total := 0
	for i := rec.hdrFirst; i < rec.hdrFirst+rec.hdrCount; i++ {
		if f := h.fields.at(i); f.repr != h2ReprSizeUpdate {
			total += 8 + len(h.strs[f.name]) + len(h.strs[f.value])
		}
	}
	st.Add(d.node(Field{Name: "http2.header.length", Kind: KindUint, Bits: 32, U: uint64(total)}, "[Header Length: %d]", total))
	st.Add(d.node(Field{Name: "http2.header.count", Kind: KindUint, Bits: 32, U: uint64(rec.hdrCount)}, "[Header Count: %d]", rec.hdrCount))
	var scheme, authority, path string
	request := false
	for i := rec.hdrFirst; i < rec.hdrFirst+rec.hdrCount; i++ {
		f := h.fields.at(i)
		if f.repr == h2ReprSizeUpdate {
			t := st.Add(d.node(Field{Name: "http2.header_table_size_update", Source: src, Start: at}, "Header table size update"))
			t.Add(d.node(Field{Name: "http2.header_table_size_update.header_table_size", Kind: KindUint, Bits: 32, U: uint64(f.index)}, "Header table size: %d", f.index))
			continue
		}
		name, value := h.strs[f.name], h.strs[f.value]
		shown := value
		if name == ":status" {
			code, _ := strconv.Atoi(value)
			shown = value + " " + statusText(code)
		}
		t := st.Add(d.node(Field{Name: "http2.header", Source: src, Start: at}, "Header: %s: %s", name, shown))
		t.Add(d.node(Field{Name: "http2.header.name.length", Kind: KindUint, Bits: 32, U: uint64(len(name))}, "Name Length: %d", len(name)))
		t.Add(d.node(Field{Name: "http2.header.name", Kind: KindString, S: name}, "Name: %s", name))
		t.Add(d.node(Field{Name: "http2.header.value.length", Kind: KindUint, Bits: 32, U: uint64(len(value))}, "Value Length: %d", len(value)))
		t.Add(d.node(Field{Name: "http2.header.value", Kind: KindString, S: value}, "Value: %s", value))
		if fn, ok := h2HeaderFields[name]; ok {
			if h2NumericHeaders[name] {
				v, _ := strconv.ParseUint(value, 10, 64)
				bitsN := uint8(64)
				if name == ":status" {
					bitsN = 16
				}
				t.Add(d.node(Field{Name: fn, Kind: KindUint, Bits: bitsN, U: v}, "%s: %s", name, value))
			} else {
				t.Add(d.node(Field{Name: fn, Kind: KindString, S: value}, "%s: %s", name, value))
			}
		}
		if u, ok := uriUnescape(value); ok {
			t.Add(d.node(Field{Name: "http2.header.unescaped", Kind: KindString, S: u}, "[Unescaped: %s]", u))
		}
		t.Add(d.node(Field{Name: "http2.header.repr", Kind: KindString, S: h2ReprNames[f.repr]}, "Representation: %s", h2ReprNames[f.repr]))
		if f.index > 0 {
			t.Add(d.node(Field{Name: "http2.header.index", Kind: KindUint, Bits: 32, U: uint64(f.index)}, "Index: %d", f.index))
		}
		switch name {
		case ":method":
			request = true
		case ":scheme":
			scheme = value
		case ":authority":
			authority = value
		case ":path":
			path = value
		}
	}
	if request && scheme != "" && authority != "" && path != "" {
		uri := scheme + "://" + authority + path
		st.Add(d.node(Field{Name: "http2.request.full_uri", Kind: KindString, S: uri}, "[Full request URI: %s]", uri))
	}
}

// data adds a DATA frame's data, and on the frame that ends the stream
// the reassembled body and what its media type's dissector makes of it.
func (d *h2Dissector) data(st *Field, rec *h2Rec, data []byte, src, base int, info *string) {
	if rec.body >= 0 && int(rec.body) < len(d.h.bodies) && rec.flags&h2FlagEndStream == 0 {
		// An earlier fragment of a body that completes later.
		in := d.h.bodies[rec.body].in
		st.Add(d.node(Field{Name: "http2.body.reassembled.in", Kind: KindFrameNum, U: uint64(in)}, "Reassembled body in frame: %d", in))
		st.Add(d.node(Field{Name: "http2.data.data", Kind: KindBytes, B: data, Source: src, Start: base, Len: len(data)}, "Data: %s", truncHexOf(data)))
		return
	}
	if rec.body < 0 || int(rec.body) >= len(d.h.bodies) {
		st.Add(d.node(Field{Name: "http2.data.data", Kind: KindBytes, B: data, Source: src, Start: base, Len: len(data)}, "Data: %s", truncHexOf(data)))
		return
	}
	body := &d.h.bodies[rec.body]
	bdata, bsrc, bbase := data, src, base
	if len(body.frags) > 1 {
		bdata = body.data
		label := ""
		if !d.p.tree.lite {
			label = fragmentLabel("Body fragments", body.total, len(body.frags), func(k int) (int32, int32) { return body.frags[k].frame, body.frags[k].n })
		}
		d.p.Sources = append(d.p.Sources, DataSource{Name: "Reassembled body", Data: bdata})
		bsrc, bbase = len(d.p.Sources)-1, 0
		t := st.Add(d.node(Field{Name: "http2.body.fragments", Source: bsrc, Len: len(bdata)}, label))
		pos := 0
		for _, fr := range body.frags {
			t.Add(d.node(Field{Name: "http2.body.fragment", Kind: KindFrameNum, U: uint64(fr.frame), Source: bsrc, Start: min(pos, len(bdata)), Len: max(0, min(int(fr.n), len(bdata)-pos))},
				"[Frame: %d, payload: %d-%d (%d bytes)]", fr.frame, pos, pos+int(fr.n)-1, fr.n))
			pos += int(fr.n)
		}
		t.Add(d.node(Field{Name: "http2.body.fragment.count", Kind: KindUint, Bits: 32, U: uint64(len(body.frags))}, "[Body fragment count: %d]", len(body.frags)))
		t.Add(d.node(Field{Name: "http2.body.reassembled.length", Kind: KindUint, Bits: 32, U: uint64(body.total)}, "[Reassembled body length: %d]", body.total))
		t.Add(d.node(Field{Name: "http2.body.reassembled.data", Kind: KindBytes, B: bdata, Source: bsrc, Len: len(bdata)}, "[Reassembled body data: %s]", truncHexOf(bdata)))
	}
	st.Add(d.node(Field{Name: "http2.data.data", Kind: KindBytes, B: bdata, Source: bsrc, Start: bbase, Len: len(bdata)}, "Data: %s", truncHexOf(bdata)))
	if len(bdata) == 0 {
		return
	}
	d.media(rec, bdata, bsrc, bbase, info)
}

// media hands a complete body to its media type's dissector, as HTTP's
// does; a type with none of its own (or none at all) is data.
func (d *h2Dissector) media(rec *h2Rec, body []byte, src, base int, info *string) {
	ct := d.h.strs[rec.ctype]
	p := &httpParsed{ctype: ct, hasCType: ct != ""}
	hd := &httpDissector{p: d.p, n: d.n}
	from := len(d.p.Tree)
	switch mediaOf(p) {
	case mediaLines, mediaJSONText, mediaXMLText, mediaForm, mediaMessageHTTP:
		var sb strings.Builder
		hd.media(nil, p, body, src, base, &sb)
		*info += sb.String()
		d.colProto = hd.colProto
	default:
		d.p.Tree = append(d.p.Tree, hd.dataProto(body, src, base))
		appendProtocol(d.p, "data")
	}
	// Wireshark shows the body's protocols inside the HTTP/2 tree.
	for _, f := range d.p.Tree[from:] {
		d.top.Add(f)
	}
	d.p.Tree = d.p.Tree[:from]
}

// markMalformed marks the packet malformed ("[Malformed Packet: HTTP2]"),
// as Wireshark's exception does: the frame's tree stops where its
// payload ran out (parent gets nothing), and frame.protocols does not
// list it.
func (d *h2Dissector) markMalformed(_ *Field, _ string) {
	if d.malformed {
		return
	}
	d.malformed = true
	m := d.node(Field{Name: "_ws.malformed", Kind: KindProtocol}, "[Malformed Packet: HTTP2]")
	e := m.Add(d.node(Field{Name: "_ws.malformed.expert"}, "[Expert Info (Error/Malformed): Malformed Packet (Exception occurred)]"))
	const msg = "Malformed Packet (Exception occurred)"
	e.Add(d.node(Field{Name: "_ws.expert.message", Kind: KindString, S: msg}, "["+msg+"]"))
	expertLevels(e, "Error", "Malformed", func(f Field) *Field { return d.node(f, f.Label) })
	d.p.Tree = append(d.p.Tree, m)
}

// h2SettingIDLabel is a setting identifier as tshark shows it: "Enable
// PUSH (2)", or "Unknown (9)".
func h2SettingIDLabel(name string, id uint16) string {
	if strings.HasPrefix(name, "Unknown (") {
		return name
	}
	return name + " (" + strconv.Itoa(int(id)) + ")"
}

// uriUnescape is GLib's g_uri_unescape_string, which Wireshark shows a
// header value through: %XX escapes decoded; none at all (ok false) when
// an escape is not two hex digits or decodes to NUL.
func uriUnescape(s string) (string, bool) {
	if strings.IndexByte(s, '%') < 0 {
		return s, true
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] != '%' {
			b = append(b, s[i])
			continue
		}
		if i+2 >= len(s) || !isHex(s[i+1]) || !isHex(s[i+2]) {
			return "", false
		}
		c := unhex(s[i+1])<<4 | unhex(s[i+2])
		if c == 0 {
			return "", false
		}
		b = append(b, c)
		i += 2
	}
	return string(b), true
}

// replaceInvalidUTF8 is bytes shown as an FT_STRING: each byte that is
// not part of valid UTF-8 becomes U+FFFD.
func replaceInvalidUTF8(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	var sb strings.Builder
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		if r == utf8.RuneError && n == 1 {
			sb.WriteRune(utf8.RuneError)
		} else {
			sb.Write(b[:n])
		}
		b = b[n:]
	}
	return sb.String()
}

// h2SettingsList adds SETTINGS parameters (6 bytes each) under parent.
func (d *h2Dissector) h2SettingsList(parent *Field, p []byte, src, base int) {
	for k := 0; k+6 <= len(p); k += 6 {
		id := be16(p[k:])
		v := be32(p[k+2:])
		s, ok := h2SettingNames[id]
		if !ok {
			s = h2Setting{"Unknown (" + strconv.Itoa(int(id)) + ")", "http2.settings.unknown", "Unknown Settings"}
		}
		t := parent.Add(d.node(Field{Name: "http2.settings", Source: src, Start: base + k, Len: 6}, "Settings - %s : %d", s.name, v))
		t.Add(d.node(Field{Name: "http2.settings.id", Kind: KindUint, Bits: 16, U: uint64(id), Source: src, Start: base + k, Len: 2}, "Settings Identifier: %s", h2SettingIDLabel(s.name, id)))
		t.Add(d.node(Field{Name: s.field, Kind: KindUint, Bits: 32, U: uint64(v), Source: src, Start: base + k + 2, Len: 4}, "%s: %d", s.label, v))
	}
}

// h2SettingsHeader adds the SETTINGS an HTTP/1.1 HTTP2-Settings header
// carries (base64url, RFC 9113 §3.2.1) under its node, as Wireshark's
// HTTP dissector does. The decoded bytes are no data source: the nodes
// cover the header's bytes.
func h2SettingsHeader(p *Packet, f *Field, value []byte) {
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(string(value), "="))
	if err != nil {
		return
	}
	d := &h2Dissector{p: p}
	k := len(f.Children)
	d.h2SettingsList(f, b, f.Source, f.Start)
	for _, c := range f.Children[k:] {
		c.Start, c.Len = f.Start, f.Len
		for _, g := range c.Children {
			g.Start, g.Len = f.Start, f.Len
		}
	}
}

// FollowHTTP2 returns HTTP/2 stream sid of TCP stream tcpStream as
// Wireshark's Follow HTTP/2 Stream shows it: each header block as its
// decoded fields (each name and value after its 4-byte big-endian length,
// Wireshark's "Decompressed Header" buffer), and the body its DATA frames
// carried, in the frame that completes it (bodies over the fast pass's
// budget are left out). Dir 0 is from the conversation's first sender.
// tshark 4.0 prints no data for -z follow,http2: this follows Wireshark's
// dissector, not tshark's output.
func (a *Analyzer) FollowHTTP2(tcpStream int, sid uint32) ([]FollowChunk, error) {
	if !a.done {
		return nil, fmt.Errorf("decode: FollowHTTP2 before the fast pass finished")
	}
	h := a.app.h2
	var chunks []FollowChunk
	add := func(c *h2Call, b []byte) {
		if k := len(chunks) - 1; k >= 0 && chunks[k].Frame == int(c.frame) && chunks[k].Dir == int(c.dir) {
			chunks[k].Data = append(chunks[k].Data, b...)
			return
		}
		chunks = append(chunks, FollowChunk{Dir: int(c.dir), Frame: int(c.frame), Data: append([]byte(nil), b...)})
	}
	for i := range h.calls {
		c := &h.calls[i]
		if int(c.stream) != tcpStream {
			continue
		}
		for r := c.first; r < c.first+c.count; r++ {
			rec := h.recs.at(r)
			if rec.kind != h2KindFrame || rec.sid != sid {
				continue
			}
			switch {
			case rec.typ == h2Headers || rec.typ == h2Continuation:
				var b []byte
				for k := rec.hdrFirst; k < rec.hdrFirst+rec.hdrCount; k++ {
					f := h.fields.at(k)
					if f.repr == h2ReprSizeUpdate {
						continue
					}
					name, value := h.strs[f.name], h.strs[f.value]
					b = binary.BigEndian.AppendUint32(b, uint32(len(name)))
					b = append(b, name...)
					b = binary.BigEndian.AppendUint32(b, uint32(len(value)))
					b = append(b, value...)
				}
				if len(b) > 0 {
					add(c, b)
				}
			case rec.typ == h2Data && rec.flags&h2FlagEndStream != 0 && rec.body >= 0:
				if body := h.bodies[rec.body].data; len(body) > 0 {
					add(c, body)
				}
			}
		}
	}
	return chunks, nil
}
