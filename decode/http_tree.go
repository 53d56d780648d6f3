package decode

// Full dissection of the HTTP messages a frame completes: the tree
// Wireshark's HTTP dissector builds, with tshark's field names and values,
// rebuilt from the fast pass's records and the frame's bytes (or the saved
// copy of a message that spans segments).

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

// dissect adds what the application stage finds in frame n on top of its
// TCP node.
func (a *httpStage) dissect(p *Packet, n int, tcpNode *Field) {
	recs := a.frameRecs(n)
	in, inPDU := a.table.in(n)
	if in > n {
		tcpNode.Add(p.tree.newNode(Field{Name: "tcp.reassembled_in", Kind: KindFrameNum, U: uint64(in)}, "[Reassembled PDU in frame: %d]", in))
	}
	if len(recs) == 0 {
		if inPDU {
			p.Summary.Info += " [TCP segment of a reassembled PDU]"
			return
		}
		a.dissectOther(p, n, tcpNode)
		return
	}
	payload, src, start := tcpPayload(p, tcpNode)
	a.dissectMessages(p, n, recs, payload, src, start, false)
}

// dissectMessages adds the trees of the messages frame n completes (recs),
// whose bytes are in payload (data source src, from start) or saved;
// https: they were decrypted from TLS.
func (a *httpStage) dissectMessages(p *Packet, n int, recs []httpFrame, payload []byte, src, start int, https bool) {
	curr := int32(-1)
	var ts int64
	for _, fr := range recs {
		if fr.curr >= 0 {
			curr = fr.curr
		}
		ts = fr.ts
	}
	d := &httpDissector{a: a, p: p, n: n, curr: curr, ts: ts, https: https}
	if p.lite {
		// A row whose messages all have their row in the records is
		// written from them: no message is parsed again.
		var row [256]byte
		msg := func(i int32, m *httpMsg) []byte { b, _, _ := d.bytes(int(i), m, payload, src, start); return b }
		if line, proto, ok := a.appendRecordRow(row[:0], n, recs, msg); ok {
			// TCP's analysis notes ("[TCP ACKed unseen segment] ") stay
			// in front, as col_prepend_fence_fstr leaves them.
			p.Summary.Protocol = proto
			p.Summary.Info = tcpInfoPrefix(p.Summary.Info) + string(line)
			return
		}
	}
	var info strings.Builder
	info.Grow(96) // once: a request line and a content type fit
	for _, fr := range recs {
		for i := fr.first; i < fr.first+fr.count; i++ {
			m := a.msgs.at(i)
			if m.flags&msgNewCall != 0 {
				appendProtocol(p, "http")
			}
			b, source, base := d.bytes(int(i), m, payload, src, start)
			d.message(m, b, source, base, &info)
		}
	}
	info.WriteString(a.infos[int32(n)])
	p.Summary.Protocol = "HTTP" + d.colProto
	// TCP's analysis notes stay in front (as above).
	p.Summary.Info = tcpInfoPrefix(p.Summary.Info) + info.String()
	if d.malformed {
		p.Summary.Info += malformedNote
	}
}

// appendRecordRow appends the HTTP part of frame n's Info column, when
// every message the frame completes (recs) has its row in its record
// (rowRecord), and returns the Protocol column; msg gives a message's
// bytes. ok is false when some message must be parsed for its row.
func (a *httpStage) appendRecordRow(info []byte, n int, recs []httpFrame, msg func(i int32, m *httpMsg) []byte) (_ []byte, proto string, ok bool) {
	for _, fr := range recs {
		for i := fr.first; i < fr.first+fr.count; i++ {
			if m := a.msgs.at(i); m.row == rowParse || m.flags&msgTruncated != 0 {
				return info, "", false
			}
		}
	}
	d := httpDissector{a: a, n: n}
	for _, fr := range recs {
		for i := fr.first; i < fr.first+fr.count; i++ {
			m := a.msgs.at(i)
			b := msg(i, m)
			if int(m.lineOff)+int(m.lineLen) > len(b) {
				return info, "", false
			}
			info = d.appendRowInfo(info, m, b)
		}
	}
	if len(a.infos) > 0 {
		info = append(info, a.infos[int32(n)]...)
	}
	proto = "HTTP" + d.colProto
	for _, n := range d.fernet {
		// What dissectFernet writes, which sees no body in such a row.
		proto = "Fernet"
		info = append(info, "  Fernet token (encrypted, "...)
		info = strconv.AppendInt(info, int64(n), 10)
		info = append(info, " bytes)"...)
	}
	return info, proto, true
}

// dissectOther handles the payload of an HTTP conversation that holds no
// message: a CONNECT tunnel's (shown under an "http" item naming the
// proxied host, then as data), or what came before HTTP was recognised
// (data).
func (a *httpStage) dissectOther(p *Packet, n int, tcpNode *Field) {
	payload, src, start := tcpPayload(p, tcpNode)
	if len(payload) == 0 {
		return
	}
	stream, ok := tcpStreamOf(tcpNode)
	conv := a.conv(stream)
	if !ok || conv == nil {
		return
	}
	d := &httpDissector{a: a, p: p, n: n}
	i := sort.Search(len(a.proxy), func(i int) bool { return a.proxy[i] >= int32(n) })
	if i < len(a.proxy) && a.proxy[i] == int32(n) {
		appendProtocol(p, "http")
		h := p.tree.newNode(Field{Name: "http", Kind: KindProtocol, Source: src, Start: start, Len: len(payload)}, "Hypertext Transfer Protocol")
		p.Tree = append(p.Tree, h)
		if conv.lastURIMsg >= 0 {
			if host, port, ok := strings.Cut(a.uri(a.msgs.at(conv.lastURIMsg)), ":"); ok {
				h.Add(p.tree.newNode(Field{Name: "http.proxy_connect_host", Kind: KindString, S: host}, "[Proxy-Connect-Hostname: %s]", host))
				pn := uint64(uint16(strtolDec(port)))
				h.Add(p.tree.newNode(Field{Name: "http.proxy_connect_port", Kind: KindUint, U: pn, Bits: 16}, "[Proxy-Connect-Port: %d]", pn))
			}
		}
		p.Tree = append(p.Tree, d.topData(payload, src, start))
		appendProtocol(p, "data")
		return
	}
	if int32(n) < conv.from {
		p.Tree = append(p.Tree, d.topData(payload, src, start))
		appendProtocol(p, "data")
	}
}

// topData is Wireshark's "data" as a layer of its own.
func (d *httpDissector) topData(b []byte, src, base int) *Field {
	return d.dataProto(b, src, base)
}

// strtolDec is strtol(s, NULL, 10).
func strtolDec(s string) int64 {
	s = strings.TrimLeft(s, " \t\n\v\f\r")
	neg := false
	if s != "" && (s[0] == '+' || s[0] == '-') {
		neg, s = s[0] == '-', s[1:]
	}
	var v int64
	for i := 0; i < len(s) && s[i] >= '0' && s[i] <= '9' && v < 1<<40; i++ {
		v = v*10 + int64(s[i]-'0')
	}
	if neg {
		v = -v
	}
	return v
}

// tcpStreamOf reads tcp.stream from a TCP node.
func tcpStreamOf(tcpNode *Field) (int, bool) {
	for _, f := range tcpNode.Children {
		if f.Name == "tcp.stream" {
			return int(f.U), true
		}
	}
	return 0, false
}

// tcpInfoPrefix is the "[TCP ...] " notes at the start of TCP's Info.
func tcpInfoPrefix(info string) string {
	i := 0
	for strings.HasPrefix(info[i:], "[TCP ") {
		j := strings.Index(info[i:], "] ")
		if j < 0 {
			break
		}
		i += j + 2
	}
	return info[:i]
}

// httpDissector builds one frame's HTTP messages.
type httpDissector struct {
	a         *httpStage
	p         *Packet
	n         int
	https     bool // the messages were decrypted from TLS (full URIs are https://)
	curr      int32
	ts        int64
	malformed bool
	colProto  string // what a body's dissector appends to the Protocol column ("/XML")
	fernet    []int  // rowInfo: the ciphertext lengths of the Fernet tokens met
}

// bytes locates message i: in the frame's TCP payload, or in a new data
// source holding the saved copy (with the tree of the segments it came
// from, as Wireshark shows a reassembled PDU).
func (d *httpDissector) bytes(i int, m *httpMsg, payload []byte, src, start int) ([]byte, int, int) {
	if m.flags&msgMulti == 0 {
		off := int(m.payOff)
		end := off + int(m.length)
		if off > len(payload) {
			off = len(payload)
		}
		if end > len(payload) {
			end = len(payload)
		}
		return payload[off:end], src, start + off
	}
	mu := d.a.multi[int32(i)]
	if d.https {
		// Decrypted, and reassembled when it spans records.
		d.p.Sources = append(d.p.Sources, DataSource{Name: fmt.Sprintf(decryptedSourcePrefix+", reassembled (%d bytes)", mu.length), Data: mu.data})
		return mu.data, len(d.p.Sources) - 1, 0
	}
	return mu.data, mu.source(d.p), 0
}

// httpStatusText is Wireshark's vals_http_status_code.
var httpStatusText = map[int]string{
	100: "Continue", 101: "Switching Protocols", 102: "Processing", 103: "Early Hints", 199: "Informational - Others",
	200: "OK", 201: "Created", 202: "Accepted", 203: "Non-authoritative Information", 204: "No Content",
	205: "Reset Content", 206: "Partial Content", 207: "Multi-Status", 208: "Already Reported", 226: "IM Used", 299: "Success - Others",
	300: "Multiple Choices", 301: "Moved Permanently", 302: "Found", 303: "See Other", 304: "Not Modified",
	305: "Use Proxy", 307: "Temporary Redirect", 308: "Permanent Redirect", 399: "Redirection - Others",
	400: "Bad Request", 401: "Unauthorized", 402: "Payment Required", 403: "Forbidden", 404: "Not Found",
	405: "Method Not Allowed", 406: "Not Acceptable", 407: "Proxy Authentication Required", 408: "Request Time-out",
	409: "Conflict", 410: "Gone", 411: "Length Required", 412: "Precondition Failed", 413: "Request Entity Too Large",
	414: "Request-URI Too Long", 415: "Unsupported Media Type", 416: "Requested Range Not Satisfiable",
	417: "Expectation Failed", 418: "I'm a teapot", 421: "Misdirected Request", 422: "Unprocessable Entity", 423: "Locked",
	424: "Failed Dependency", 425: "Too Early", 426: "Upgrade Required", 428: "Precondition Required",
	429: "Too Many Requests", 431: "Request Header Fields Too Large", 451: "Unavailable For Legal Reasons", 499: "Client Error - Others",
	500: "Internal Server Error", 501: "Not Implemented", 502: "Bad Gateway", 503: "Service Unavailable",
	504: "Gateway Time-out", 505: "HTTP Version not supported", 506: "Variant Also Negotiates", 507: "Insufficient Storage",
	508: "Loop Detected", 510: "Not Extended", 511: "Network Authentication Required", 599: "Server Error - Others",
}

func statusText(code int) string {
	if s, ok := httpStatusText[code]; ok {
		return s
	}
	return fmt.Sprintf("Unknown (%d)", code)
}

// message adds one message's tree; info collects the Info column.
func (d *httpDissector) message(m *httpMsg, b []byte, src, base int, info *strings.Builder) {
	p := parseHTTPMessage(b, m.flags&msgSkipCRLF != 0)
	defer p.release()
	h := d.p.tree.at(src, base).field("http", KindProtocol, 0, len(b), "Hypertext Transfer Protocol")
	d.p.Tree = append(d.p.Tree, h)
	if m.flags&msgTruncated != 0 {
		h.Add(d.p.tree.newNode(Field{Name: "_ws.expert"}, "[Message truncated for memory: %d of %d bytes kept]", len(b), m.length))
	}
	if p.leadCRLF {
		h.Add(d.p.tree.at(src, base).field("http.leading_crlf", KindNone, 0, 2, "[Leading CRLF previous message in the stream may have extra CRLF]"))
	}
	if p.kind == httpBinary {
		info.WriteString(infoAfter(info, "Continuation"))
		d.dataNode(h, b[p.bodyStart:], src, base+p.bodyStart)
		appendProtocol(d.p, "data")
		return
	}
	if d.p.lite {
		// A row needs the Info column only: the first line and what the
		// body's dissector adds.
		d.messageInfo(m, p, b, src, base, h, info)
		return
	}
	kind := httpOther
	hasURI := false
	// The first line's node and its expert info are for a tree shown,
	// http.chat or a filter on _ws (which wants all).
	full := d.p.tree.wants("http.chat")
	for _, l := range p.lines {
		line := b[l.start : l.start+l.n]
		whole := b[l.start:l.end]
		if l.start1 && !full {
			kind = l.kind
			t := d.p.tree.at(src, base).field("", KindNone, l.start, l.end-l.start, "")
			if kind == httpResponse {
				d.responseLine(t, line, src, base+l.start)
			} else if d.requestLine(t, line, src, base+l.start) {
				hasURI = true
			}
			continue
		}
		if l.start1 {
			label := formatText(whole)
			kind = l.kind
			t := d.p.tree.at(src, base).field("", KindNone, l.start, l.end-l.start, label)
			h.Add(t)
			ex := t.Add(d.p.tree.newNode(Field{Name: "_ws.expert"}, "[Expert Info (Chat/Sequence): %s]", label))
			ex.Add(d.p.tree.newNode(Field{Name: "http.chat"}, "[%s]", label))
			ex.Add(d.p.tree.newNode(Field{Name: "_ws.expert.message", Kind: KindString, S: label, Hidden: true}, "Message: %s", label))
			expertLevels(ex, "Chat", "Sequence", func(f Field) *Field { return d.p.tree.newNode(f, f.Label) })
			if kind == httpResponse {
				d.responseLine(t, line, src, base+l.start)
			} else if d.requestLine(t, line, src, base+l.start) {
				hasURI = true
			}
			continue
		}
		if d.p.tree.want == nil || d.p.tree.want.all || d.p.tree.want.httpHeaders {
			d.header(h, b, l, kind, src, base)
		}
	}
	if p.blank >= 0 {
		_, next := lineEnd(b, p.blank, false)
		h.Add(d.p.tree.at(src, base).field("", KindNone, p.blank, next-p.blank, "%s", textOf(b[p.blank:next])))
	}
	if p.hasHost && hasURI && d.p.tree.wants("http.request.full_uri") {
		h.Add(d.p.tree.newNode(Field{Name: "http.request.full_uri", Kind: KindString, S: fieldsEscape(fullURIScheme(p.method, p.host, p.uri, d.https))}, "[Full request URI: %s]", fieldsEscape(fullURIScheme(p.method, p.host, p.uri, d.https))))
	}
	d.pairing(h, m, kind)
	d.messageInfo(m, p, b, src, base, h, info)
}

// messageInfo writes a message's Info column text, the first line and
// then what the body's dissector appends (it dissects the body).
func (d *httpDissector) messageInfo(m *httpMsg, p *httpParsed, b []byte, src, base int, h *Field, info *strings.Builder) {
	if first, ok := p.infoLine(); !ok {
		info.WriteString(infoAfter(info, "Continuation"))
	} else if d.p.tree.cols() {
		writeInfoLine(info, b[first.start:first.start+first.n])
	}
	d.body(h, m, p, b, src, base, info)
}

// infoLine is the line a message's Info column shows: its first start
// line, if the last one is a request, response or notification (else
// the Info says "Continuation").
func (p *httpParsed) infoLine() (httpLine, bool) {
	kind := httpOther
	for _, l := range p.lines {
		if l.start1 {
			kind = l.kind
		}
	}
	switch kind {
	case httpRequest, httpResponse, httpNotification:
		for _, l := range p.lines {
			if l.start1 {
				return l, true
			}
		}
		return p.lines[0], true
	}
	return httpLine{}, false
}

func writeInfoLine(info *strings.Builder, line []byte) {
	var tb [128]byte
	info.Write(appendFormatText(tb[:0], line))
	info.WriteByte(' ')
}

// appendRowInfo appends a message's part of its row from its record
// (rowRecord), as message, with the body's dissector, writes it for a row.
func (d *httpDissector) appendRowInfo(info []byte, m *httpMsg, b []byte) []byte {
	info = append(appendFormatText(info, b[m.lineOff:int(m.lineOff)+int(m.lineLen)]), ' ')
	switch m.row {
	case rowCType:
		info = append(append(append(info, " ("...), d.a.strs[m.rowCT]...), ')')
	case rowJSON:
		info = append(append(append(info, ", JavaScript Object Notation ("...), d.a.strs[m.rowCT]...), ')')
		d.colProto = "/JSON"
	case rowXML:
		d.colProto = "/XML"
	}
	if m.fernet > 0 {
		d.fernet = append(d.fernet, int(m.fernet-1))
	}
	return info
}

// bodyRowMedia is what media adds to a row for a body of n bytes, if the
// media type alone says it (else rowParse).
func bodyRowMedia(p *httpParsed, n int) rowMedia {
	switch {
	case p.malformed || p.chunked || p.te != teNone || p.hasCE && !strings.EqualFold(p.cencoding, "identity"):
		return rowParse
	case n == 0:
		return rowNoBody
	}
	switch mediaOf(p) {
	case mediaLines, mediaForm, mediaMessageHTTP, mediaOther:
		return rowCType
	case mediaJSONText:
		return rowJSON
	case mediaXMLText:
		return rowXML
	}
	return rowParse // an image or data by its signature, multipart
}

// bodyMedia is the dissector media hands a body to, by its media type.
type bodyMedia uint8

const (
	mediaUntyped bodyMedia = iota // no Content-Type: an image by its signature, or data
	mediaLines
	mediaJSONText
	mediaXMLText
	mediaForm
	mediaMultipart
	mediaMessageHTTP
	mediaImage
	mediaOther // "media"
)

func mediaOf(p *httpParsed) bodyMedia {
	ct := p.ctype
	switch {
	case !p.hasCType:
		return mediaUntyped
	case mediaTextLines[ct]:
		return mediaLines
	case mediaJSON[ct]:
		return mediaJSONText
	case mediaXML[ct]:
		return mediaXMLText
	case ct == "application/x-www-form-urlencoded":
		return mediaForm
	case strings.HasPrefix(ct, "multipart/"):
		return mediaMultipart
	case ct == "message/http":
		return mediaMessageHTTP
	case ct == "image/png" || ct == "image/gif" || ct == "image/jpeg" || ct == "image/jpg":
		return mediaImage
	}
	return mediaOther
}

// infoAfter is what col_set_str after a fence appends.
func infoAfter(_ *strings.Builder, s string) string { return s }

// fullURI is http.request.full_uri: the URI if it is absolute (or the
// request a CONNECT), else http://host + URI.
func fullURI(method string, host []byte, uri string) string {
	return fullURIScheme(method, host, uri, false)
}

// fullURIScheme is fullURI with https:// for a message decrypted from TLS.
func fullURIScheme(method string, host []byte, uri string, https bool) string {
	lu := strings.ToLower(uri)
	if strings.HasPrefix(lu, "http://") || strings.HasPrefix(lu, "https://") || strings.HasPrefix(strings.ToUpper(method), "CONNECT") {
		return uri
	}
	h := strings.TrimFunc(string(host), func(r rune) bool { return r == ' ' || r == '\t' || r == '\n' || r == '\v' || r == '\f' || r == '\r' })
	if https {
		return "https://" + h + uri
	}
	return "http://" + h + uri
}

// requestLine is basic_request_dissector; it reports whether the URI was set.
func (d *httpDissector) requestLine(t *Field, line []byte, src, base int) bool {
	n, next := tokenLen(line)
	if n == 0 {
		return false
	}
	method := d.p.tree.fieldStr(line[:n])
	t.Add(d.p.tree.at(src, base).str("http.request.method", 0, n, method, "Request Method: %s", method))
	if next > 2 && line[next-1] == ' ' && line[next-2] == ' ' {
		next--
	}
	off := next
	rest := line[off:]
	n, next = tokenLen(rest)
	uri := d.p.tree.fieldStr(rest[:n])
	u := t.Add(d.p.tree.at(src, base).str("http.request.uri", off, n, uri, "Request URI: %s", uri))
	if q := strings.IndexByte(uri, '?'); q >= 0 && len(uri)-q > 1 {
		path, query := uri[:q], uri[q+1:]
		u.Add(d.p.tree.at(src, base).str("http.request.uri.path", off, q, path, "Request URI Path: %s", path))
		qf := u.Add(d.p.tree.at(src, base).str("http.request.uri.query", off+q+1, n-q-1, query, "Request URI Query: %s", query))
		po := off + q + 1
		for _, par := range strings.Split(query, "&") {
			if par == "" {
				po++
				continue
			}
			qf.Add(d.p.tree.at(src, base).str("http.request.uri.query.parameter", po, len(par), par, "Request URI Query Parameter: %s", par))
			po += len(par) + 1
		}
	}
	off += next
	ver := d.p.tree.fieldStr(line[off:])
	t.Add(d.p.tree.at(src, base).str("http.request.version", off, len(line)-off, ver, "Request Version: %s", ver))
	return true
}

// responseLine is basic_response_dissector.
func (d *httpDissector) responseLine(t *Field, line []byte, src, base int) {
	n, next := tokenLen(line)
	if n == 0 {
		return
	}
	ver := d.p.tree.fieldStr(line[:n])
	t.Add(d.p.tree.at(src, base).str("http.response.version", 0, n, ver, "Response Version: %s", ver))
	off := next
	rest := line[off:]
	n, next = tokenLen(rest)
	if n < 3 {
		return
	}
	code := leadingDigits(rest[:3])
	c := d.p.tree.at(src, base).field("http.response.code", KindUint, off, 3, "Status Code: %d", code)
	c.U, c.Bits = uint64(uint16(code)), 16
	t.Add(c)
	desc := statusText(code)
	t.Add(d.p.tree.at(src, base).str("http.response.code.desc", off, 3, desc, "[Status Code Description: %s]", desc))
	off += next
	if off < len(line) {
		ph := d.p.tree.fieldStr(line[off:])
		t.Add(d.p.tree.at(src, base).str("http.response.phrase", off, len(line)-off, ph, "Response Phrase: %s", ph))
	}
}

// httpHeaderNode reports whether header (below) makes a field named
// name: a header's own field, or one of the lines' and values' fields.
func httpHeaderNode(name string) bool {
	switch name {
	case "http.bad_header_name", "http.content_length", "http.content_length_header", "http.cookie", "http.cookie_pair",
		"http.request.line", "http.response.line", "http.unknown_header":
		return true
	}
	return httpHeaderFieldNames[name]
}

// httpHeaderFieldNames are the fields of the known headers
// (httpHeaderFields' values).
var httpHeaderFieldNames = func() map[string]bool {
	m := map[string]bool{}
	for _, f := range httpHeaderFields {
		m[f] = true
	}
	return m
}()

// header is process_header's tree.
func (d *httpDissector) header(h *Field, b []byte, l httpLine, kind httpKind, src, base int) {
	line := b[l.start : l.start+l.n]
	whole := b[l.start:l.end]
	label := textOf(whole)
	lineName := ""
	switch kind {
	case httpRequest:
		lineName = "http.request.line"
	case httpResponse:
		lineName = "http.response.line"
	}
	lineFld := func(hide bool) {
		if lineName == "" {
			return
		}
		var v string
		if d.p.tree.wants(lineName) {
			v = d.p.tree.fieldStr(whole)
		}
		f := d.p.tree.at(src, base).str(lineName, l.start, len(whole), v, "%s", label)
		f.Hidden = hide
		h.Add(f)
	}
	name := line[:l.colon]
	if !validHeaderName(name) {
		if lineName == "" {
			h.Add(d.p.tree.at(src, base).str("http.unknown_header", l.start, len(whole), fieldsEscape(formatText(whole)), "%s", label))
		} else {
			lineFld(false)
		}
		h.Add(d.p.tree.newNode(Field{Name: "http.bad_header_name"}, "[Expert Info (Warning/Protocol): Illegal characters found in header name]"))
		return
	}
	value := headerValue(line, l.colon)
	fieldName, known := httpHeaderFields[strings.ToLower(string(name))]
	if !known {
		if lineName == "" {
			var v string
			if d.p.tree.wants("http.unknown_header") {
				v = fieldsEscape(formatText(whole))
			}
			h.Add(d.p.tree.at(src, base).str("http.unknown_header", l.start, len(whole), v, "%s", label))
		} else {
			lineFld(false)
		}
		return
	}
	var v string
	if d.p.tree.wants(fieldName) {
		v = d.p.tree.fieldStr(value)
	}
	f := h.Add(d.p.tree.at(src, base).str(fieldName, l.start, len(whole), v, "%s", label))
	lineFld(true)
	vo := l.start + len(line) - len(value)
	switch fieldName {
	case "http.content_length_header":
		var p httpParsed
		p.header(line, l.colon, kind)
		if p.clValid {
			c := d.p.tree.at(src, base).field("http.content_length", KindUint, l.start, len(whole), "[Content length: %d]", p.cl)
			c.U, c.Bits = uint64(p.cl), 64
			f.Add(c)
		}
	case "http.cookie":
		for i := 0; i < len(value); {
			for i < len(value) && (value[i] == ';' || isSpace(value[i])) {
				i++
			}
			if i >= len(value) {
				break
			}
			j := i
			for j < len(value) && value[j] != ';' {
				j++
			}
			pair := d.p.tree.fieldStr(value[i:j])
			f.Add(d.p.tree.at(src, base).str("http.cookie_pair", vo+i, j-i, pair, "Cookie pair: %s", pair))
			i = j
		}
	case "http.http2_settings":
		h2SettingsHeader(d.p, f, value)
	}
}

// pairing adds the request/response links (generated fields).
func (d *httpDissector) pairing(h *Field, m *httpMsg, kind httpKind) {
	a := d.a
	var curr, prev, next *reqRes
	if d.curr >= 0 {
		curr = a.rr.at(d.curr)
		if curr.prev >= 0 {
			prev = a.rr.at(curr.prev)
		}
		if curr.next >= 0 {
			next = a.rr.at(curr.next)
		}
	}
	total := int32(0)
	if curr != nil {
		if c := a.conv(int(curr.conv)); c != nil {
			total = c.rrCount
		}
	}
	boolFld := func(name string) {
		h.Add(d.p.tree.newNode(Field{Name: name, Kind: KindBool, U: 1, Hidden: true}, name+": True"))
	}
	switch kind {
	case httpNotification:
		boolFld("http.notification")
	case httpResponse:
		boolFld("http.response")
		if curr != nil {
			h.Add(d.p.tree.newNode(Field{Name: "http.response_number", Kind: KindUint, U: uint64(curr.number)}, "[HTTP response %d/%d]", curr.number, total))
			if curr.reqFrame > 0 {
				dt := time.Duration(d.ts - curr.reqTs)
				h.Add(d.p.tree.newNode(Field{Name: "http.time", Kind: KindDuration, D: dt}, "[Time since request: %s seconds]", seconds(dt)))
			}
		}
		if prev != nil && prev.reqFrame > 0 {
			h.Add(d.p.tree.frameRef("http.prev_request_in", int(prev.reqFrame), "[%s: %d]", "Prev request in frame", prev.reqFrame))
		}
		if prev != nil && prev.resFrame > 0 {
			h.Add(d.p.tree.frameRef("http.prev_response_in", int(prev.resFrame), "[%s: %d]", "Prev response in frame", prev.resFrame))
		}
		if curr != nil && curr.reqFrame > 0 {
			h.Add(d.p.tree.frameRef("http.request_in", int(curr.reqFrame), "[%s: %d]", "Request in frame", curr.reqFrame))
		}
		if next != nil && next.reqFrame > 0 {
			h.Add(d.p.tree.frameRef("http.next_request_in", int(next.reqFrame), "[%s: %d]", "Next request in frame", next.reqFrame))
		}
		if next != nil && next.resFrame > 0 {
			h.Add(d.p.tree.frameRef("http.next_response_in", int(next.resFrame), "[%s: %d]", "Next response in frame", next.resFrame))
		}
		if m.forURI >= 0 {
			r := a.msgs.at(m.forURI)
			u := a.uri(r)
			if m.flags&msgForFull != 0 {
				u = fullURIScheme(httpMethodList[r.method], []byte(a.strs[r.host]), u, d.https)
			}
			u = fieldsEscape(u)
			h.Add(d.p.tree.newNode(Field{Name: "http.response_for.uri", Kind: KindString, S: u}, "[Request URI: %s]", u))
		}
	case httpRequest:
		boolFld("http.request")
		if curr != nil {
			h.Add(d.p.tree.newNode(Field{Name: "http.request_number", Kind: KindUint, U: uint64(curr.number)}, "[HTTP request %d/%d]", curr.number, total))
		}
		if prev != nil && prev.reqFrame > 0 {
			h.Add(d.p.tree.frameRef("http.prev_request_in", int(prev.reqFrame), "[%s: %d]", "Prev request in frame", prev.reqFrame))
		}
		if curr != nil && curr.resFrame > 0 {
			h.Add(d.p.tree.frameRef("http.response_in", int(curr.resFrame), "[%s: %d]", "Response in frame", curr.resFrame))
		}
		if next != nil && next.reqFrame > 0 {
			h.Add(d.p.tree.frameRef("http.next_request_in", int(next.reqFrame), "[%s: %d]", "Next request in frame", next.reqFrame))
		}
	}
}

// body adds the message body: de-chunked, decompressed, as file data, and
// handed to the dissector its media type names.
func (d *httpDissector) body(h *Field, m *httpMsg, p *httpParsed, b []byte, src, base int, info *strings.Builder) {
	if p.bodyLen <= 0 {
		return
	}
	if p.malformed {
		d.malformed = true
		t := d.p.tree.newNode(Field{Name: "_ws.malformed", Kind: KindProtocol}, "[Malformed Packet: HTTP]")
		t.Add(d.p.tree.newNode(Field{Name: "_ws.malformed.expert"}, "[Expert Info (Error/Malformed): Malformed Packet (Exception occurred)]"))
		d.p.Tree = append(d.p.Tree, t)
		appendProtocol(d.p, "_ws.malformed")
		return
	}
	end := min(p.bodyStart+p.bodyLen, len(b))
	raw := b[p.bodyStart:end]
	body, bsrc, bbase := raw, src, base+p.bodyStart
	if p.chunked {
		if p.chunkLen == 0 {
			return
		}
		d.chunkTree(h, raw, src, base+p.bodyStart)
		body = p.dechunked
		d.p.Sources = append(d.p.Sources, DataSource{Name: "De-chunked entity body", Data: body})
		bsrc, bbase = len(d.p.Sources)-1, 0
	}
	switch p.te {
	case teCompress, teDeflate, teGzip:
		d.dataNode(h, body, bsrc, bbase)
		appendProtocol(d.p, "data")
		return
	}
	if p.hasCE && !strings.EqualFold(p.cencoding, "identity") {
		ce := fieldsEscape(asciiStr([]byte(p.cencoding)))
		e := h.Add(d.p.tree.newNode(Field{Source: bsrc, Start: bbase, Len: len(body)}, "Content-encoded entity body (%s): %d bytes", ce, len(body)))
		var out []byte
		ok := false
		switch strings.ToLower(p.cencoding) {
		case "gzip", "deflate", "x-gzip", "x-deflate":
			out, ok = decompressBody(body)
		}
		if !ok {
			e.Add(d.p.tree.newNode(Field{Name: "http.decompression_failed"}, "[Expert Info (Error/Undecoded): Decompression failed]"))
			d.dataNode(e, body, bsrc, bbase)
			appendProtocol(d.p, "data")
			return
		}
		e.Label += fmt.Sprintf(" -> %d bytes", len(out))
		d.p.Sources = append(d.p.Sources, DataSource{Name: "Uncompressed entity body", Data: out})
		body, bsrc, bbase = out, len(d.p.Sources)-1, 0
	}
	// The value only for who reads it (the Fernet dissector reads the
	// node's bytes): a row or a filter on other fields copies no body.
	var v string
	if !d.p.lite && d.p.tree.wants("http.file_data") {
		v = fieldStr(body)
	}
	h.Add(d.p.tree.at(bsrc, bbase).str("http.file_data", 0, len(body), v, "File Data: %d bytes", len(body)))
	d.p.fileData = true
	if len(body) == 0 {
		return
	}
	d.media(h, p, body, bsrc, bbase, info)
}

// chunkTree is the "HTTP chunked response" subtree.
func (d *httpDissector) chunkTree(h *Field, b []byte, src, base int) {
	t := h.Add(d.p.tree.newNode(Field{Source: src, Start: base, Len: len(b)}, "HTTP chunked response"))
	off := 0
	for off < len(b) {
		sz, next, ok := chunkSizeLine(b, off)
		if !ok {
			break
		}
		size := int(min(sz, int64(len(b)-off)))
		end := min(next+size, len(b))
		lbl := fmt.Sprintf("Data chunk (%d octets)", size)
		ln := end - off + 2
		if size == 0 {
			lbl, ln = "End of chunked encoding", next-off
		}
		c := t.Add(d.p.tree.newNode(Field{Source: src, Start: base + off, Len: min(ln, len(b)-off)}, lbl))
		cs := c.Add(d.p.tree.at(src, base).field("http.chunk_size", KindUint, off, next-off, "Chunk size: %d octet%s", size, plural(size)))
		cs.U, cs.Bits = uint64(size), 32
		if size > 0 {
			c.Add(d.p.tree.newNode(Field{Name: "http.chunk_data", Kind: KindBytes, B: b[next:end], Source: src, Start: base + next, Len: end - next}, "Chunk data: %s", truncHexOf(b[next:end])))
			if end+2 <= len(b) {
				c.Add(d.p.tree.newNode(Field{Name: "http.chunk_boundary", Kind: KindBytes, B: b[end : end+2], Source: src, Start: base + end, Len: 2}, "Chunk boundary: %s", truncHexOf(b[end:end+2])))
			}
			off = end + 2
			continue
		}
		off = next
		to, tlen, hn := off, 0, 0
		for {
			tlen = to - off
			hn, to = lineEndLimit(b, to, len(b)-off-tlen)
			if hn <= 0 {
				break
			}
		}
		if tlen > 0 {
			tp := d.p.tree.fieldStr(b[off : off+tlen])
			t.Add(d.p.tree.at(src, base).str("http.chunked_trailer_part", off, tlen, tp, "trailer-part: %s", tp))
			off += tlen
		}
		if hn == 0 {
			t.Add(d.p.tree.at(src, base).field("", KindNone, off, to-off, formatText(b[off:to])))
		}
		break
	}
}

// dataNode adds Wireshark's "data" over b.
func (d *httpDissector) dataNode(parent *Field, b []byte, src, base int) {
	parent.Add(d.dataProto(b, src, base))
}

// dataProto is the "data" protocol node of b.
func (d *httpDissector) dataProto(b []byte, src, base int) *Field {
	n := len(b)
	f := d.p.tree.newNode(Field{Name: "data", Kind: KindProtocol, Source: src, Start: base, Len: n}, "Data (%d byte%s)", n, plural(n))
	f.Add(d.p.tree.newNode(Field{Name: "data.data", Kind: KindBytes, B: b, Source: src, Start: base, Len: n}, "Data: %s", truncHexOf(b)))
	f.Add(d.p.tree.newNode(Field{Name: "data.len", Kind: KindUint, U: uint64(n)}, "[Length: %d]", n))
	return f
}

// Media types Wireshark 4.0 dissects, by the protocol that takes them.
var (
	mediaTextLines = map[string]bool{"text/plain": true, "text/html": true, "text/css": true, "text/javascript": true,
		"application/x-javascript": true, "text/vnd.wap.wml": true, "text/vnd.sun.j2me.app-descriptor": true,
		"application/vnd.wv.csp.cir": true, "text/vcard": false}
	mediaJSON = map[string]bool{"application/json": true, "application/json-rpc": true, "application/jsonrequest": true,
		"application/x-ndjson": true, "application/problem+json": true, "application/vnd.oma.lwm2m+json": true,
		"application/dds-web+json": true}
	mediaXML = map[string]bool{"text/xml": true, "application/xml": true, "image/svg+xml": true, "application/soap+xml": true,
		"application/rss+xml": true, "application/atom+xml": true, "application/xslt+xml": true, "application/mathml+xml": true,
		"application/rdf+xml": true, "application/xhtml-voice+xml": true, "application/xcap-el+xml": true,
		"application/xcap-att+xml": true, "application/xcap-error+xml": true, "application/xcap-caps+xml": true,
		"application/auth-policy+xml": true, "application/pidf+xml": true, "application/rlmi+xml": true,
		"application/watcherinfo+xml": true, "application/reginfo+xml": true, "application/simple-filter+xml": true,
		"text/xml-external-parsed-entity": true, "application/xml-dtd": true, "application/vnd.oma.drm.roap-pdu+xml": true}
)

// media hands the body to the dissector of its media type, as
// dissector_get_string_handle(media_type) would, then a heuristic, then
// "media" (or "data" without a Content-Type).
func (d *httpDissector) media(h *Field, p *httpParsed, body []byte, src, base int, info *strings.Builder) {
	ct := p.ctype
	top := func(name, label string) *Field {
		f := d.p.tree.newNode(Field{Name: name, Kind: KindProtocol, Source: src, Start: base, Len: len(body)}, label)
		d.p.Tree = append(d.p.Tree, f)
		appendProtocol(d.p, name)
		return f
	}
	switch mediaOf(p) {
	case mediaUntyped:
		if name, label, inf := sniffImage(body); name != "" {
			top(name, label)
			info.WriteString(inf)
			return
		}
		d.dataNode(h, body, src, base)
		appendProtocol(d.p, "data")
	case mediaLines:
		if !d.p.tree.cols() {
			// A want list: the lines are unnamed nodes.
			top("data-text-lines", "")
			break
		}
		if d.p.lite {
			// A row: the Info column only.
			top("data-text-lines", "")
			info.WriteString(" (" + ct + ")")
			break
		}
		lines := textLines(body)
		f := top("data-text-lines", fmt.Sprintf("Line-based text data: %s (%d lines)", ct, len(lines)))
		off := 0
		for _, l := range lines {
			f.Add(d.p.tree.newNode(Field{Source: src, Start: base + off, Len: len(l)}, formatText(l)))
			off += len(l)
		}
		info.WriteString(" (" + ct + ")")
	case mediaJSONText:
		top("json", "JavaScript Object Notation: "+ct)
		if !json.Valid(body) {
			top("data-text-lines", fmt.Sprintf("Line-based text data: %s (%d lines)", ct, len(textLines(body))))
		}
		info.WriteString(", JavaScript Object Notation (" + ct + ")")
		d.colProto = "/JSON"
	case mediaXMLText:
		top("xml", "eXtensible Markup Language")
		d.colProto = "/XML"
	case mediaForm:
		top("urlencoded-form", "HTML Form URL Encoded: "+ct)
		info.WriteString(" (" + ct + ")")
	case mediaMultipart:
		d.multipart(p, body, src, base, top)
	case mediaMessageHTTP:
		top("message-http", "Media Type: message/http")
		info.WriteString(" (" + ct + ")")
	case mediaImage:
		if name, label, inf := sniffImage(body); name != "" {
			top(name, label)
			info.WriteString(inf)
			return
		}
		fallthrough
	default:
		f := top("media", "Media Type")
		f.Add(d.p.tree.newNode(Field{Name: "media.type", Kind: KindBytes, B: body, Source: src, Start: base, Len: len(body)}, "Media type: %s (%d bytes)", ct, len(body)))
		info.WriteString(" (" + ct + ")")
	}
}

// sniffImage recognises images by their signature (Wireshark's image
// dissectors, or their heuristics when the media type lies).
func sniffImage(b []byte) (name, label, info string) {
	switch {
	case len(b) >= 6 && (string(b[:6]) == "GIF87a" || string(b[:6]) == "GIF89a"):
		return "image-gif", "Compuserve GIF, Version: " + string(b[:6]), " (" + string(b[:6]) + ")"
	case len(b) >= 8 && string(b[:8]) == "\x89PNG\r\n\x1a\n":
		return "png", "Portable Network Graphics", " (PNG)"
	case len(b) >= 3 && b[0] == 0xff && b[1] == 0xd8 && b[2] == 0xff:
		return "image-jfif", "JPEG File Interchange Format", " (JPEG JFIF image)"
	}
	return "", "", ""
}

// textLines splits text into lines, each with its line end.
func textLines(b []byte) [][]byte {
	var out [][]byte
	for off := 0; off < len(b); {
		_, next := lineEnd(b, off, false)
		out = append(out, b[off:next])
		off = next
	}
	return out
}

// multipart is a rough MIME multipart: one part per boundary, each handed
// to its own media type ("data" without one).
func (d *httpDissector) multipart(p *httpParsed, body []byte, src, base int, top func(string, string) *Field) {
	f := top("mime_multipart", "MIME Multipart Media Encapsulation, Type: "+p.ctype)
	boundary := ""
	for _, param := range strings.Split(p.ctParams, ";") {
		param = strings.TrimSpace(param)
		if k, v, ok := strings.Cut(param, "="); ok && strings.EqualFold(strings.TrimSpace(k), "boundary") {
			boundary = strings.Trim(strings.TrimSpace(v), `"`)
		}
	}
	if boundary == "" {
		return
	}
	delim := "--" + boundary
	parts := strings.Split(string(body), delim)
	for i, part := range parts {
		if i == 0 || strings.HasPrefix(part, "--") {
			continue
		}
		hdr, _, _ := strings.Cut(strings.TrimPrefix(part, "\r\n"), "\r\n\r\n")
		f.Add(d.p.tree.newNode(Field{Name: "mime_multipart.part", Kind: KindString}, "Encapsulated multipart part: "))
		name := "data"
		for _, l := range strings.Split(hdr, "\r\n") {
			if k, v, ok := strings.Cut(l, ":"); ok && strings.EqualFold(k, "content-type") {
				mt := strings.ToLower(strings.TrimSpace(strings.SplitN(v, ";", 2)[0]))
				switch {
				case mediaTextLines[mt]:
					name = "data-text-lines"
				case mediaJSON[mt]:
					name = "json"
				case mediaXML[mt]:
					name = "xml"
				default:
					name = "media"
				}
			}
		}
		appendProtocol(d.p, name)
	}
}
