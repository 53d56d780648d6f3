package decode

// HTTP/1.x, as Wireshark 4.0's HTTP dissector over TCP sees it.
//
// This file is the parser, standalone over bytes (no I/O, no gopacket):
// httpScan tells, fed a message's bytes as they arrive, whether Wireshark
// would hand it to the dissector yet (http_fast.go's httpDir uses it on
// the desegmentation framer); parseHTTPMessage splits a message into its
// start line, header lines and body. Both follow
// Wireshark (epan/dissectors/packet-http.c, epan/req_resp_hdrs.c) rather
// than RFC 9112 wherever the two disagree, because the output must match
// tshark's field for field:
//
//   - A message is "complete", and shown, in the segment that completes
//     what req_resp_hdrs_do_reassembly asks for: the header block up to an
//     empty line; then, for requests and responses, a chunked body up to the
//     line after the last chunk, Content-Length bytes, or (responses with
//     neither) everything until the FIN. A response to HEAD, a 1xx, 204 or
//     304, a 2xx to CONNECT, and any message whose headers complete in the
//     segment carrying the FIN, take no body from later segments.
//   - Lines end at CR, LF or CRLF. The header block ends at the empty line,
//     or, for dissection, at the first line with no colon: what follows is
//     the body, or the next message ("Continuation").
//   - Data that does not start with a request or status line is a
//     "Continuation": its lines are read as headers, the rest as file data.
//     Data starting with an unprintable byte is a continuation shown as
//     plain data (no file data).
//   - Every segment (or reassembled PDU) handed to the dissector is a
//     "call" that dissects messages until one needs more data; a PDU whose
//     length is known (Content-Length) is handed over alone, and what
//     follows it in the segment is a new call. Calls drive frame.protocols
//     and the Info column.

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"io"
	"sort"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
	"unsafe"
)

// httpKind is what Wireshark makes of a message's first line
// (is_http_request_or_reply).
type httpKind uint8

const (
	httpOther        httpKind = iota // HTTP_OTHERS: a "Continuation"
	httpRequest                      // a known method
	httpResponse                     // "HTTP/..." or "ICY..."
	httpNotification                 // NOTIFY, SUBSCRIBE, UNSUBSCRIBE (GENA)
	httpBinary                       // continuation starting with an unprintable byte
)

// httpMethodKinds are the request methods Wireshark 4.0 recognises.
var httpMethodKinds = map[string]httpKind{
	"GET": httpRequest, "PUT": httpRequest,
	"COPY": httpRequest, "HEAD": httpRequest, "LOCK": httpRequest, "MOVE": httpRequest, "POLL": httpRequest, "POST": httpRequest,
	"BCOPY": httpRequest, "BMOVE": httpRequest, "MKCOL": httpRequest, "TRACE": httpRequest, "PATCH": httpRequest, "LABEL": httpRequest, "MERGE": httpRequest,
	"DELETE": httpRequest, "SEARCH": httpRequest, "UNLOCK": httpRequest, "REPORT": httpRequest, "UPDATE": httpRequest, "NOTIFY": httpNotification,
	"BDELETE": httpRequest, "CONNECT": httpRequest, "OPTIONS": httpRequest, "CHECKIN": httpRequest,
	"PROPFIND": httpRequest, "CHECKOUT": httpRequest, "CCM_POST": httpRequest,
	"SUBSCRIBE": httpNotification, "PROPPATCH": httpRequest, "BPROPFIND": httpRequest,
	"BPROPPATCH": httpRequest, "UNCHECKOUT": httpRequest, "MKACTIVITY": httpRequest,
	"MKWORKSPACE": httpRequest, "RPC_CONNECT": httpRequest, "RPC_IN_DATA": httpRequest, "UNSUBSCRIBE": httpNotification,
	"RPC_OUT_DATA":     httpRequest,
	"VERSION-CONTROL":  httpRequest,
	"BASELINE-CONTROL": httpRequest, "SSTP_DUPLEX_POST": httpRequest,
}

// httpMethodNames maps a method to itself, so a line's method is found
// without allocating; httpMethodList numbers them (0: none) and
// httpMethodIndex is the reverse.
var (
	httpMethodNames = map[string]string{}
	httpMethodList  = []string{""}
	httpMethodIndex = map[string]uint8{}
)

func init() {
	for k := range httpMethodKinds {
		httpMethodList = append(httpMethodList, k)
	}
	sort.Strings(httpMethodList[1:])
	for i, k := range httpMethodList[1:] {
		httpMethodNames[k] = k
		httpMethodIndex[k] = uint8(i + 1)
	}
}

// classifyLine is is_http_request_or_reply: the kind of a line and, for
// requests and notifications, the method (after an RFC 2774 "M-" prefix).
func classifyLine(line []byte) (httpKind, string) {
	if len(line) >= 2 && line[0] == 'M' && line[1] == '-' {
		line = line[2:]
	}
	if (len(line) >= 5 && string(line[:5]) == "HTTP/") || (len(line) >= 3 && string(line[:3]) == "ICY") {
		return httpResponse, ""
	}
	i := bytes.IndexByte(line, ' ')
	if i < 0 {
		i = len(line)
	}
	// A header line's first word ends in its colon, which no method has:
	// most lines are headers, and so need no lookup.
	if i < 3 || i > 16 || line[i-1] == ':' {
		return httpOther, ""
	}
	if m, ok := httpMethodNames[string(line[:i])]; ok {
		return httpMethodKinds[m], m
	}
	return httpOther, ""
}

// tokenLen is Wireshark's get_token_len: the token up to a blank, CR or LF,
// and where the next token starts (after the blanks).
func tokenLen(line []byte) (n int, next int) {
	for n < len(line) && line[n] != ' ' && line[n] != '\r' && line[n] != '\n' {
		n++
	}
	next = n
	for next < len(line) && line[next] == ' ' {
		next++
	}
	return n, next
}

// statusCode is parse_http_status_code: the second token, exactly three
// characters that parse as a number, else 0.
func statusCode(line []byte) int {
	n, next := tokenLen(line)
	if n == 0 {
		return 0
	}
	line = line[next:]
	n, _ = tokenLen(line)
	if n != 3 {
		return 0
	}
	v, err := strconv.ParseInt(string(line[:3]), 10, 32)
	if err != nil {
		return 0
	}
	return int(v)
}

// lineEnd is tvb_find_line_end from off: the line length and where the
// next line starts. With desegment, a line with no terminator, or whose
// last byte is a CR that may yet be followed by an LF, gives -1; without,
// the line runs to the end of b.
func lineEnd(b []byte, off int, desegment bool) (n, next int) {
	i := len(b)
	if j := bytes.IndexByte(b[off:], '\n'); j >= 0 {
		i = off + j
	}
	if j := bytes.IndexByte(b[off:i], '\r'); j >= 0 {
		i = off + j
	}
	if i == len(b) {
		if desegment {
			return -1, len(b)
		}
		return len(b) - off, len(b)
	}
	n = i - off
	if b[i] == '\r' {
		if i+1 >= len(b) {
			if desegment {
				return -1, len(b)
			}
		} else if b[i+1] == '\n' {
			i++
		}
	}
	return n, i + 1
}

func isPrint(c byte) bool { return c >= 0x20 && c < 0x7f }

// pendKind is what a message still needs (Wireshark's desegment_len).
type pendKind uint8

const (
	pendNone     pendKind = iota
	pendOneMore           // DESEGMENT_ONE_MORE_SEGMENT: headers or chunks incomplete
	pendExact             // a known number of bytes (Content-Length)
	pendUntilFin          // DESEGMENT_UNTIL_FIN: a response body up to the FIN
)

// httpConv is what Wireshark keeps per HTTP conversation (http_conv_t),
// shared by both directions' framers, plus the request/response pairing.
type httpConv struct {
	stream     int32
	lastMethod string // conv_data->request_method: of the last request dissected
	lastCode   int32  // conv_data->response_code: of the last response dissected
	haveURI    bool   // a request URI was seen (conv_data->request_uri)
	// lastURIMsg and lastFullURIMsg index the last request that set
	// conv_data->request_uri and ->full_uri (http.response_for.uri).
	lastURIMsg, lastFullURIMsg int32
	// The conversation switched to another protocol (101 Upgrade, 2xx to
	// SSTP): from stream offset switchOff of direction switchDir in frame
	// switchFrame, and every later frame.
	switched    bool
	switchDir   uint8
	switchFrame int32
	switchOff   int64
	switchH2c   bool // the switch is to HTTP/2 (Upgrade: h2c)
	proxied     bool // 200 to CONNECT: every later call is tunnel payload
	// Request/response pairing (http_req_res_t list): head, tail and count.
	rrTail  int32
	rrCount int32
	from    int32 // the frame HTTP was found in
	called  bool  // the dissector was handed data
}

// httpScan is req_resp_hdrs_do_reassembly run incrementally: fed a message's
// bytes as they arrive, it tells whether Wireshark would hand the message to
// the dissector yet. Only what the next decision needs is kept (the current
// line, capped), so a message larger than what is kept of it is still
// framed right.
type httpScan struct {
	state    uint8
	n        int64  // message bytes seen
	line     []byte // the current, unfinished line (capped)
	lineLen  int64
	crFinal  bool // the data seen ends with a CR: the line end is undecided
	exactNow bool // the Content-Length wait started in the current feed
	kind     httpKind
	code     int
	tryBody  bool
	untilFin bool
	clFound  bool
	cl       int64
	ctRPC    bool
	chunked  bool
	hdrEnd   int64
	target   int64 // end of the current chunk's data + CRLF, or the exact length
	firstB   [12]byte
	firstN   int
}

// firstLineInfo is the Info column text of a message the scanner was fed
// from b's start and found incomplete: its first line and a blank, once
// that line is complete.
func (s *httpScan) firstLineInfo(b []byte) string {
	if s.state == scanFirst {
		return ""
	}
	j := bytes.IndexAny(b, "\r\n")
	if j < 0 {
		j = len(b)
	}
	return formatText(b[:min(j, maxScanLine)]) + " "
}

const (
	scanFirst     = iota // the first line
	scanHeaders          // header lines, until the empty line
	scanChunkSize        // a chunk-size line
	scanChunkSkip        // chunk data and its CRLF, up to target
	scanChunkLast        // the line after the last chunk
	scanExact            // body bytes, up to target
	scanUntilFin         // body bytes, up to the FIN
	scanDone
)

const maxScanLine = 64 << 10

// scanResult is the state of a message after a feed.
type scanResult struct {
	done bool
	kind pendKind // when !done
	need int64    // pendExact: the message's total length
}

// httpScanCtx is what framing decisions need from the conversation.
type httpScanCtx struct {
	lastMethod string
	eos        bool // the data fed ends with a FIN (Wireshark's end_of_stream)
}

// feed gives the scanner the message bytes b (following those fed before)
// and says whether the message is now complete.
func (s *httpScan) feed(b []byte, ctx httpScanCtx) scanResult {
	s.exactNow = false
	for i := 0; i < len(b) && s.state != scanDone; {
		if s.crFinal {
			// The previous data ended with a CR: an LF now is part of the
			// same line end.
			s.crFinal = false
			if b[i] == '\n' {
				s.n++
				i++
			}
			s.lineDone(ctx, s.line)
			continue
		}
		switch s.state {
		case scanExact, scanChunkSkip:
			take := min(int64(len(b)-i), s.target-s.n)
			s.n += take
			i += int(take)
			if s.n >= s.target {
				if s.state == scanExact {
					s.state = scanDone
				} else {
					s.state = scanChunkSize
				}
			}
			continue
		case scanUntilFin:
			s.n += int64(len(b) - i)
			i = len(b)
			continue
		}
		// The rest of the current line: up to the next CR or LF.
		rest := b[i:]
		j := bytes.IndexByte(rest, '\n')
		if j < 0 {
			j = len(rest)
		}
		if k := bytes.IndexByte(rest[:j], '\r'); k >= 0 {
			j = k
		}
		part := rest[:j]
		if s.state == scanFirst && s.firstN < len(s.firstB) {
			s.firstN += copy(s.firstB[s.firstN:], part)
		}
		s.lineLen += int64(j)
		s.n += int64(j)
		i += j
		if i >= len(b) {
			// The line goes on in the next data: keep what there is of it.
			if room := maxScanLine - len(s.line); room > 0 {
				s.line = append(s.line, part[:min(len(part), room)]...)
			}
			break
		}
		// The line ends here. Most lines arrive whole: use them in place.
		line := part
		if len(s.line) > 0 {
			if room := maxScanLine - len(s.line); room > 0 {
				s.line = append(s.line, part[:min(len(part), room)]...)
			}
			line = s.line
		} else if len(line) > maxScanLine {
			line = line[:maxScanLine]
		}
		c := b[i]
		s.n++
		i++
		if c == '\r' {
			if i >= len(b) {
				// Whether an LF follows is not known yet: Wireshark
				// waits for the next segment.
				if len(s.line) == 0 {
					s.line = append(s.line, line...)
				}
				s.crFinal = true
				break
			}
			if b[i] == '\n' {
				s.n++
				i++
			}
		}
		s.lineDone(ctx, line)
	}
	if s.crFinal {
		return scanResult{kind: pendOneMore}
	}
	if ctx.eos && s.state != scanDone && s.state >= scanChunkSize && (s.state != scanExact || s.exactNow) {
		// The headers are complete in data that carries the FIN: the body
		// is what there is (try_desegment_body is off at end of stream). A
		// Content-Length PDU asked for before is not handed over short.
		s.state = scanDone
	}
	return s.result()
}

// lineDone processes the line just ended and starts the next.
func (s *httpScan) lineDone(ctx httpScanCtx, line []byte) {
	s.endLine(ctx, line)
	s.line = s.line[:0]
	s.lineLen = 0
}

func (s *httpScan) result() scanResult {
	switch s.state {
	case scanDone:
		return scanResult{done: true}
	case scanExact:
		return scanResult{kind: pendExact, need: s.target}
	case scanUntilFin:
		return scanResult{kind: pendUntilFin}
	}
	return scanResult{kind: pendOneMore}
}

// endLine processes the line just completed.
func (s *httpScan) endLine(ctx httpScanCtx, line []byte) {
	switch s.state {
	case scanFirst:
		s.kind, _ = classifyLine(line)
		if s.kind == httpOther {
			// Not a request or response: a continuation, dissected as it
			// is, with no reassembly.
			s.state = scanDone
			return
		}
		s.tryBody = !ctx.eos
		if s.tryBody && s.kind == httpResponse {
			code := statusCode(line)
			m := ctx.lastMethod
			if m == "HEAD" || (code/100 == 2 && (m == "CONNECT" || m == "SSTP_DUPLEX_POST")) ||
				code/100 == 1 || code == 204 || code == 304 {
				s.tryBody = false
			}
		}
		s.untilFin = s.kind == httpResponse
		s.state = scanHeaders
		s.headerLine(line)
	case scanHeaders:
		if s.lineLen == 0 {
			s.hdrEnd = s.n
			s.bodyDecision(ctx)
			return
		}
		s.headerLine(line)
	case scanChunkSize:
		str := string(line)
		if i := strings.IndexByte(str, ';'); i >= 0 {
			str = str[:i]
		}
		size, ok := scanfHex(str)
		switch {
		case !ok || size > 1<<31:
			s.state = scanDone
		case size == 0:
			s.state = scanChunkLast
		default:
			s.target = s.n + int64(size) + 2
			s.state = scanChunkSkip
		}
	case scanChunkLast:
		s.state = scanDone
	}
}

// headerLine looks at a header line as req_resp_hdrs_do_reassembly does:
// only Content-Length, Content-Type and Transfer-Encoding matter.
func (s *httpScan) headerLine(line []byte) {
	if len(line) == 0 {
		return
	}
	switch line[0] {
	case 'c', 'C', 't', 'T':
	default:
		return
	}
	switch {
	case hasPrefixFold(line, "Content-Length:"):
		v := strings.TrimSpace(string(line[15:]))
		if n, err := strconv.ParseInt(v, 10, 32); err == nil && n >= 0 {
			s.clFound, s.cl = true, n
		}
	case hasPrefixFold(line, "Content-Type:"):
		v := strings.TrimLeft(string(line[13:]), " ")
		s.ctRPC = strings.HasPrefix(v, "application/rpc")
	case hasPrefixFold(line, "Transfer-Encoding:"):
		v := strings.TrimLeft(string(line[18:]), " \t")
		if hasPrefixFold([]byte(v), "chunked") {
			s.chunked = true
		}
	}
}

func (s *httpScan) bodyDecision(ctx httpScanCtx) {
	if !s.tryBody {
		s.state = scanDone
		return
	}
	switch {
	case s.chunked:
		s.state = scanChunkSize
	case s.clFound:
		if s.cl >= 128*1024 {
			f := string(s.firstB[:s.firstN])
			if s.ctRPC || strings.HasPrefix(f, "RPC_IN_DATA") || strings.HasPrefix(f, "RPC_OUT_DATA") {
				s.state = scanDone
				return
			}
		}
		s.target = s.hdrEnd + s.cl
		s.state = scanExact
		s.exactNow = true
		if s.n >= s.target {
			s.state = scanDone
		}
	case s.untilFin:
		s.state = scanUntilFin
	default:
		s.state = scanDone
	}
}

// hexDigits skips what C's hex conversions skip before the digits: blanks,
// a sign (reported) and a 0x prefix.
func hexDigits(s string) (digits string, neg bool) {
	s = strings.TrimLeft(s, " \t\n\v\f\r")
	if s != "" && (s[0] == '+' || s[0] == '-') {
		neg = s[0] == '-'
		s = s[1:]
	}
	if len(s) >= 3 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') && isHex(s[2]) {
		s = s[2:]
	}
	return s, neg
}

// scanfHex is sscanf("%x"): blanks, an optional sign and 0x, hex digits.
func scanfHex(s string) (uint64, bool) {
	s, neg := hexDigits(s)
	i := 0
	var v uint64
	for i < len(s) && isHex(s[i]) {
		if v < 1<<36 {
			v = v<<4 | uint64(unhex(s[i]))
		}
		i++
	}
	if i == 0 {
		return 0, false
	}
	if v > 0xffffffff {
		v = 0xffffffff
	}
	if neg {
		v = uint64(uint32(-int64(v)))
	}
	return v, true
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}

func hasPrefixFold(b []byte, prefix string) bool {
	return len(b) >= len(prefix) && strings.EqualFold(string(b[:len(prefix)]), prefix)
}

// Transfer codings, as http_parse_transfer_coding records them.
const (
	teNone = iota
	teUnknown
	teCompress
	teDeflate
	teGzip
	teIdentity
)

// httpLine is one line of a message's header block.
type httpLine struct {
	start, end int // the line with its terminator
	n          int // length without the terminator
	colon      int // offset of the first colon, -1 if none
	kind       httpKind
	start1     bool // a request, response or notification line
}

// httpParsed is what dissect_http_message finds in a message.
type httpParsed struct {
	kind      httpKind // type of the last start line (HTTP_OTHERS if none)
	leadCRLF  bool
	lines     []httpLine
	linesBuf  [12]httpLine // lines' first storage: most messages fit
	blank     int          // start of the empty line ending the headers, -1 if none
	hdrEnd    int          // where the body starts
	method    string
	uri       string // as printed (ASCII, NUL-cut)
	uriRaw    []byte
	version   string
	code      int
	hasCode   bool
	host      []byte
	hasHost   bool
	ctype     string // media type, lower case, without parameters
	ctypeRaw  []byte // the whole header value
	hasCType  bool
	ctParams  string
	clValid   bool
	cl        int64
	clHeaders int  // Content-Length headers seen
	clPlain   bool // the last one's value is digits, optionally followed by blanks
	cencoding string
	hasCE     bool
	te        int
	chunked   bool
	upgrade   string
	hasUpg    bool
	bodyStart int
	bodyLen   int // datalen: body bytes the message consumes
	chunkLen  int // bytes of chunked encoding consumed (0: none decoded)
	dechunked []byte
	malformed bool // Wireshark would throw (a chunk past the data)
	consumed  int
}

// parsedPool recycles parse results: one per message is a lot of garbage
// on a large capture. Callers done with one give it back (release).
var parsedPool = sync.Pool{New: func() any { return new(httpParsed) }}

// release returns p to the pool; it must not be used afterwards.
func (p *httpParsed) release() { parsedPool.Put(p) }

// parseHTTPMessage runs dissect_http_message over b, which starts at a
// message and runs to the end of the data handed to the dissector (a
// segment or reassembled PDU); skipCRLF says whether a leading CRLF is
// skipped (decided on the first data the message was seen in). It returns
// how the message splits; consumed is how many bytes of b it takes.
func parseHTTPMessage(b []byte, skipCRLF bool) *httpParsed {
	p := parsedPool.Get().(*httpParsed)
	*p = httpParsed{blank: -1}
	p.lines = p.linesBuf[:0]
	off := 0
	if skipCRLF && len(b) >= 2 && b[0] == '\r' && b[1] == '\n' {
		off = 2
		p.leadCRLF = true
	}
	if off >= len(b) || !isPrint(b[off]) {
		// Shown as data, from the message's start (the CRLF included).
		p.kind = httpBinary
		p.consumed = len(b)
		p.hdrEnd = off
		p.bodyLen = len(b)
		return p
	}
	kind := httpOther
	for off < len(b) {
		n, next := lineEnd(b, off, false)
		line := b[off : off+n]
		l := httpLine{start: off, end: next, n: n, colon: -1}
		k, m := classifyLine(line)
		if k != httpOther {
			l.start1, l.kind = true, k
			kind = k
			p.startLine(line, k, m)
		} else if n == 0 {
			p.blank = off
			off = next
			break
		} else if c := bytes.IndexByte(line, ':'); c >= 0 {
			l.colon = c
		} else {
			// Not a header: what follows is the body, or another message.
			break
		}
		p.lines = append(p.lines, l)
		if !l.start1 {
			p.header(b[off:off+n], l.colon, kind)
		}
		off = next
	}
	p.kind = kind
	p.hdrEnd = off
	p.body(b, off)
	return p
}

func (p *httpParsed) startLine(line []byte, k httpKind, method string) {
	if k == httpResponse {
		n, next := tokenLen(line)
		if n == 0 {
			return
		}
		p.version = httpVersionStr(line[:n])
		rest := line[next:]
		n, next = tokenLen(rest)
		if n < 3 {
			return
		}
		p.code = leadingDigits(rest[:3])
		p.hasCode = true
		return
	}
	// Requests (and notifications): method, URI, version.
	p.method = method
	n, next := tokenLen(line)
	if n == 0 {
		return
	}
	if next > 2 && line[next-1] == ' ' && line[next-2] == ' ' {
		next-- // two blanks: an empty URI
	}
	rest := line[next:]
	n, next = tokenLen(rest)
	p.uriRaw = rest[:n]
	p.uri = asciiStr(rest[:n])
	p.version = httpVersionStr(rest[next:])
}

// httpVersionStr is asciiStr for a version, without allocating for the
// usual ones.
func httpVersionStr(b []byte) string {
	switch string(b) {
	case "HTTP/1.1":
		return "HTTP/1.1"
	case "HTTP/1.0":
		return "HTTP/1.0"
	}
	return asciiStr(b)
}

// leadingDigits is strtoul over three characters.
func leadingDigits(b []byte) int {
	v := 0
	i := 0
	for i < len(b) && (b[i] == ' ' || b[i] == '\t') {
		i++
	}
	if i < len(b) && b[i] == '+' {
		i++
	}
	for ; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
		v = v*10 + int(b[i]-'0')
	}
	return v
}

// httpHeaderFields maps the header names Wireshark knows to their fields.
var httpHeaderFields = map[string]string{
	"authorization": "http.authorization", "proxy-authorization": "http.proxy_authorization",
	"proxy-authenticate": "http.proxy_authenticate", "www-authenticate": "http.www_authenticate",
	"content-type": "http.content_type", "content-length": "http.content_length_header",
	"content-encoding": "http.content_encoding", "transfer-encoding": "http.transfer_encoding",
	"upgrade": "http.upgrade", "user-agent": "http.user_agent", "host": "http.host",
	"connection": "http.connection", "cookie": "http.cookie", "accept": "http.accept",
	"referer": "http.referer", "accept-language": "http.accept_language",
	"accept-encoding": "http.accept_encoding", "date": "http.date",
	"cache-control": "http.cache_control", "server": "http.server", "location": "http.location",
	"sec-websocket-accept": "http.sec_websocket_accept", "sec-websocket-extensions": "http.sec_websocket_extensions",
	"sec-websocket-key": "http.sec_websocket_key", "sec-websocket-protocol": "http.sec_websocket_protocol",
	"sec-websocket-version": "http.sec_websocket_version", "set-cookie": "http.set_cookie",
	"last-modified": "http.last_modified", "x-forwarded-for": "http.x_forwarded_for",
	"http2-settings": "http.http2_settings",
}

// validHeaderName checks a header name as Wireshark does (RFC 7230 tchar,
// plus the colon: the name ends at the first one anyway).
func validHeaderName(name []byte) bool {
	if len(name) == 0 {
		return false
	}
	for _, c := range name {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("!#$%&\\:*+-.^_`|~", c) >= 0) {
			return false
		}
	}
	return true
}

// headerValue is the value of a header line: after the colon and any
// blanks, to the end of the line.
func headerValue(line []byte, colon int) []byte {
	v := colon + 1
	for v < len(line) && (line[v] == ' ' || line[v] == '\t') {
		v++
	}
	return line[v:]
}

// header is process_header: what the headers tell the body and the fields.
func (p *httpParsed) header(line []byte, colon int, kind httpKind) {
	name := line[:colon]
	if !validHeaderName(name) {
		return
	}
	v := headerValue(line, colon)
	switch headerNameKey(name) {
	case "content-type":
		p.hasCType = true
		p.ctypeRaw = v
		i := 0
		for i < len(v) && v[i] != ';' && !isSpace(v[i]) {
			i++
		}
		p.ctype = contentTypeName(v[:i])
		for i < len(v) && (v[i] == ';' || isSpace(v[i])) {
			i++
		}
		p.ctParams = string(v[i:])
	case "content-length":
		p.clHeaders++
		p.clPlain = len(v) > 0 && len(v) <= 9 && allDigits(bytes.TrimRight(v, " \t"))
		s := strings.TrimLeft(string(v), " \t\n\v\f\r")
		j := 0
		if j < len(s) && (s[j] == '+' || s[j] == '-') {
			j++
		}
		k := j
		for k < len(s) && s[k] >= '0' && s[k] <= '9' {
			k++
		}
		n, err := strconv.ParseInt(s[:k], 10, 64)
		if k > j && err == nil && n >= 0 && (k == len(s) || isSpace(s[k]) || s[k] == 0) {
			p.clValid, p.cl = true, n
		} else {
			p.clValid = false
		}
	case "content-encoding":
		p.hasCE = true
		p.cencoding = string(v)
	case "transfer-encoding":
		p.te, p.chunked = parseTransferCoding(string(v), p.chunked)
	case "host":
		p.hasHost = true
		p.host = v
	case "upgrade":
		p.hasUpg = true
		p.upgrade = strings.ToLower(string(v))
	}
}

// wholeBySimpleRules reports whether b (the data the message starts)
// certainly holds the whole message by the rules httpScan applies, so the
// scan can be skipped: one request or response line, headers ending in an
// empty line within b, no Transfer-Encoding, and either a plain
// Content-Length whose body is all in b or, for a request, none at all.
// Anything unusual takes the scan.
func (p *httpParsed) wholeBySimpleRules(b []byte) bool {
	if p.kind != httpRequest && p.kind != httpResponse || p.blank < 0 || p.te != teNone || p.chunked ||
		p.hdrEnd < 1 || p.hdrEnd > len(b) || b[p.hdrEnd-1] != '\n' || len(p.lines) == 0 || !p.lines[0].start1 {
		return false
	}
	for _, l := range p.lines[1:] {
		if l.start1 {
			return false
		}
	}
	switch {
	case p.clHeaders == 0:
		return p.kind == httpRequest
	case p.clHeaders == 1 && p.clPlain && p.clValid:
		return p.cl < 128*1024 && int64(p.hdrEnd)+p.cl <= int64(len(b))
	}
	return false
}

func allDigits(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// headerNameKey is the lower-case name of a header process_header acts
// on, "" for the others; it allocates nothing.
func headerNameKey(name []byte) string {
	var k string
	switch len(name) {
	case 4:
		k = "host"
	case 7:
		k = "upgrade"
	case 12:
		k = "content-type"
	case 14:
		k = "content-length"
	case 16:
		k = "content-encoding"
	case 17:
		k = "transfer-encoding"
	default:
		return ""
	}
	if bytes.EqualFold(name, []byte(k)) {
		return k
	}
	return ""
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'
}

// parseTransferCoding is http_parse_transfer_coding.
func parseTransferCoding(v string, chunked bool) (int, bool) {
	te := teUnknown
	for v != "" {
		v = strings.TrimLeft(v, " \t,")
		if v == "" {
			break
		}
		if strings.HasPrefix(v, "chunked") {
			chunked = true
			v = v[len("chunked"):]
			continue
		}
		if te != teUnknown {
			break
		}
		found := false
		for _, c := range []struct {
			name string
			te   int
		}{{"compress", teCompress}, {"deflate", teDeflate}, {"gzip", teGzip}, {"identity", teIdentity}, {"x-compress", teCompress}, {"x-gzip", teGzip}} {
			if strings.HasPrefix(v, c.name) {
				te, v, found = c.te, v[len(c.name):], true
				break
			}
		}
		if !found {
			i := strings.IndexByte(v, ',')
			if i < 0 {
				break
			}
			v = v[i:]
		}
	}
	return te, chunked
}

// body is the datalen logic of dissect_http_message: how much of what
// follows the headers is this message's body.
func (p *httpParsed) body(b []byte, off int) {
	remaining := len(b) - off
	datalen := remaining
	if p.clValid && p.te == teNone {
		datalen = int(min(p.cl, int64(remaining)))
	} else {
		switch p.kind {
		case httpRequest:
			if p.te == teNone {
				datalen = 0
			}
		case httpResponse:
			if p.code/100 == 1 || p.code == 204 || p.code == 304 {
				datalen = 0
			}
		}
	}
	p.bodyStart = off
	if datalen > 0 && p.chunked {
		n, data, bad := dechunk(b[off : off+datalen])
		if bad {
			p.malformed = true
			p.bodyLen = datalen
			p.consumed = off + datalen
			return
		}
		if n > 0 {
			p.chunkLen = n
			p.dechunked = data
			datalen = n
		}
	}
	p.bodyLen = datalen
	p.consumed = off + datalen
}

// httpBody is a parsed message's body as it crossed the wire: de-chunked,
// not decompressed; nil when it has none.
func httpBody(p *httpParsed, b []byte) []byte {
	if p.kind == httpBinary || p.bodyLen <= 0 || p.malformed {
		return nil
	}
	if p.chunked && p.chunkLen > 0 {
		return p.dechunked
	}
	return b[min(p.bodyStart, len(b)):min(p.bodyStart+p.bodyLen, len(b))]
}

// chunkSizeLine reads the chunk-size line at b[off] as Wireshark does (up
// to a ';', strtol base 16): the size and where the chunk's data starts; ok
// is false when there is no complete, non-empty line.
func chunkSizeLine(b []byte, off int) (size int64, next int, ok bool) {
	n, next := lineEnd(b, off, true)
	if n <= 0 {
		return 0, next, false
	}
	s := asciiStr(b[off : off+n])
	if i := strings.IndexByte(s, ';'); i >= 0 {
		s = s[:i]
	}
	return strtolHex(s), next, true
}

// dechunk is chunked_encoding_dissector: the bytes of chunked encoding it
// consumes from b (0 when it found none), and the de-chunked data. bad
// reports a chunk running past the data, where Wireshark throws.
func dechunk(b []byte) (consumed int, data []byte, bad bool) {
	off := 0
	datalen := len(b)
	orig := datalen
	for datalen > 0 {
		size, next, ok := chunkSizeLine(b, off)
		if !ok {
			break
		}
		if size > int64(datalen) {
			size = int64(datalen)
		}
		end := next + int(size)
		if end > len(b) {
			return 0, nil, true
		}
		data = append(data, b[next:end]...)
		off = end
		if size > 0 {
			off += 2
		}
		datalen = len(b) - off
		if datalen < 0 {
			// Past the end: the next tvb access throws.
			return 0, nil, true
		}
		if size == 0 {
			to := off
			tlen := 0
			hn := 0
			for {
				tlen = to - off
				hn, to = lineEndLimit(b, to, datalen-tlen)
				if hn <= 0 {
					break
				}
			}
			if tlen > 0 {
				off += tlen
				datalen -= tlen
			}
			if hn == 0 {
				datalen -= to - off
			}
			break
		}
	}
	if datalen < orig && data == nil {
		data = []byte{}
	}
	return orig - datalen, data, false
}

// lineEndLimit is tvb_find_line_end(desegment) over at most limit bytes.
func lineEndLimit(b []byte, off, limit int) (int, int) {
	if limit < 0 {
		limit = 0
	}
	end := min(off+limit, len(b))
	n, next := lineEnd(b[:end], off, true)
	if n < 0 {
		return -1, off
	}
	return n, next
}

// strtolHex is strtol(s, NULL, 16), clamped to what fits a guint32 cast.
func strtolHex(s string) int64 {
	s, neg := hexDigits(s)
	var v int64
	for i := 0; i < len(s) && isHex(s[i]); i++ {
		if v < 1<<40 {
			v = v<<4 | int64(unhex(s[i]))
		}
	}
	if neg {
		v = -v
	}
	return int64(uint32(v))
}

// decompressBody inflates a gzip, zlib or raw deflate body as Wireshark's
// tvb_uncompress does (whatever inflated before an error is kept; nothing
// at all is a failure).
func decompressBody(b []byte) ([]byte, bool) {
	const limit = 64 << 20
	var r io.Reader
	switch {
	case len(b) >= 2 && b[0] == 0x1f && b[1] == 0x8b:
		zr, err := gzip.NewReader(bytes.NewReader(b))
		if err != nil {
			return nil, false
		}
		r = zr
	case len(b) >= 2 && b[0]&0x0f == 8 && (uint16(b[0])<<8|uint16(b[1]))%31 == 0:
		zr, err := zlib.NewReader(bytes.NewReader(b))
		if err != nil {
			return nil, false
		}
		r = zr
	default:
		r = flate.NewReader(bytes.NewReader(b))
	}
	out, err := io.ReadAll(io.LimitReader(r, limit))
	if err != nil && len(out) == 0 {
		// A zlib header may be a coincidence: try raw deflate.
		if out2, err2 := io.ReadAll(io.LimitReader(flate.NewReader(bytes.NewReader(b)), limit)); err2 == nil || len(out2) > 0 {
			return out2, len(out2) > 0
		}
		return nil, false
	}
	return out, len(out) > 0
}

func isASCII(b []byte) bool {
	for _, c := range b {
		if c >= 0x80 {
			return false
		}
	}
	return true
}

// asciiStr is a string field's value as Wireshark stores it (ENC_ASCII):
// cut at the first NUL, bytes above 0x7f replaced by U+FFFD.
func asciiStr(b []byte) string {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	ascii := true
	for _, c := range b {
		if c >= 0x80 {
			ascii = false
			break
		}
	}
	if ascii {
		return string(b)
	}
	var sb strings.Builder
	for _, c := range b {
		if c >= 0x80 {
			sb.WriteRune(utf8.RuneError)
		} else {
			sb.WriteByte(c)
		}
	}
	return sb.String()
}

// fieldsEscape applies what tshark -T fields does to a string value
// (print_escaped_csv): \b \f \n \r \t become backslash escapes; the rest
// (backslashes included) prints as is, so applying it twice changes nothing.
func fieldsEscape(s string) string {
	if strings.IndexAny(s, "\b\f\n\r\t") < 0 {
		return s
	}
	var sb strings.Builder
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\b':
			sb.WriteString(`\b`)
		case '\f':
			sb.WriteString(`\f`)
		case '\n':
			sb.WriteString(`\n`)
		case '\r':
			sb.WriteString(`\r`)
		case '\t':
			sb.WriteString(`\t`)
		default:
			sb.WriteByte(s[i])
		}
	}
	return sb.String()
}

// fieldStr is a string field as tshark -T fields prints it.
func fieldStr(b []byte) string {
	out := appendFieldStr(make([]byte, 0, len(b)), b)
	return unsafe.String(unsafe.SliceData(out), len(out))
}

// appendFieldStr appends fieldStr(b) to dst: asciiStr and fieldsEscape in one pass.
func appendFieldStr(dst, b []byte) []byte {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	for _, c := range b {
		switch {
		case c >= 0x80:
			dst = utf8.AppendRune(dst, utf8.RuneError)
		case c == '\b':
			dst = append(dst, `\b`...)
		case c == '\f':
			dst = append(dst, `\f`...)
		case c == '\n':
			dst = append(dst, `\n`...)
		case c == '\r':
			dst = append(dst, `\r`...)
		case c == '\t':
			dst = append(dst, `\t`...)
		default:
			dst = append(dst, c)
		}
	}
	return dst
}

// formatText renders bytes for a tree label or the Info column as
// Wireshark's format_text does: text as is (backslashes too), C escapes
// for \a \b \f \n \r \t \v, octal for other control characters, U+FFFD
// for bytes that are not UTF-8.
func formatText(b []byte) string { return string(appendFormatText(make([]byte, 0, len(b)+8), b)) }

// appendFormatText appends formatText(b) to dst.
func appendFormatText(dst []byte, b []byte) []byte {
	for i := 0; i < len(b); {
		c := b[i]
		switch {
		case c >= 0x20 && c < 0x7f:
			dst = append(dst, c)
		case c == '\a':
			dst = append(dst, `\a`...)
		case c == '\b':
			dst = append(dst, `\b`...)
		case c == '\f':
			dst = append(dst, `\f`...)
		case c == '\n':
			dst = append(dst, `\n`...)
		case c == '\r':
			dst = append(dst, `\r`...)
		case c == '\t':
			dst = append(dst, `\t`...)
		case c == '\v':
			dst = append(dst, `\v`...)
		case c >= 0x80:
			r, n := utf8.DecodeRune(b[i:])
			if r == utf8.RuneError && n <= 1 {
				dst = utf8.AppendRune(dst, utf8.RuneError)
				i++
				continue
			}
			dst = append(dst, b[i:i+n]...)
			i += n
			continue
		default:
			dst = append(dst, '\\', '0'+c>>6, '0'+c>>3&7, '0'+c&7)
		}
		i++
	}
	return dst
}

// looksLikeHTTP is Wireshark's HTTP heuristic for TCP (dissect_http_heur_tcp):
// the first line of the segment, which must end within it, starts with
// "HTTP/1." or ends with "HTTP/1.x".
func looksLikeHTTP(b []byte) bool {
	n, _ := lineEnd(b, 0, true)
	if n == -1 || n == 8 {
		return false
	}
	if len(b) >= 7 && strings.EqualFold(string(b[:7]), "HTTP/1.") {
		return true
	}
	return n > 8 && strings.EqualFold(string(b[n-8:n-1]), "HTTP/1.")
}

// contentTypeName is the media type v lowercased: one of those the
// dissectors know without a copy (every HTTP message of a capture names
// one), others copied.
func contentTypeName(v []byte) string {
	if s, ok := knownMediaTypes[string(v)]; ok {
		return s
	}
	return strings.ToLower(string(v))
}

var knownMediaTypes = func() map[string]string {
	m := map[string]string{}
	for _, set := range []map[string]bool{mediaTextLines, mediaJSON, mediaXML} {
		for t := range set {
			m[t] = t
		}
	}
	for _, t := range []string{"application/x-www-form-urlencoded", "message/http", "image/png", "image/gif",
		"image/jpeg", "image/jpg", "application/octet-stream"} {
		m[t] = t
	}
	return m
}()
