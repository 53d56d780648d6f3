package decode

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/fernet/fernet-go"
	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// PacketSource is what the analysis reads: capture.Source satisfies it.
type PacketSource interface {
	ReadPacket() (data []byte, ci gopacket.CaptureInfo, err error)
	LinkType(ci gopacket.CaptureInfo) layers.LinkType
}

// Application protocols a stream is recognised as, by content.
const (
	ProtoTCP    = "TCP"
	ProtoHTTP   = "HTTP"
	ProtoFernet = "Fernet over HTTP"
	ProtoTLS    = "TLS"
)

// StreamExposure is what one TCP conversation shows an eavesdropper.
type StreamExposure struct {
	*Stream
	// Seen is what an eavesdropper saw of each direction (0 from the
	// client): the first MaxStreamBytes of its in-order payload.
	Seen     [2]Half
	Protocol string
	// SecretFrame is the first frame whose own bytes contain the secret
	// (what `frame contains` finds); 0 when none does.
	SecretFrame int
	// SecretStreamFrame is the frame that completes the first occurrence in
	// the reassembled payload, which also finds a secret split across
	// segments; 0 when the stream never carries it.
	SecretStreamFrame int
	// Request is the client's first request line, when readable.
	Request string
	// Body is what the wire shows of the server's first response body: the
	// HTTP body (its first 4 KiB), or the first TLS application-data record.
	Body []byte
	// ServerAppData holds the bodies of the server's TLS application-data
	// records, back to back (the first MaxStreamBytes).
	ServerAppData []byte
	// TLSRecords counts the TLS records seen per content type name.
	TLSRecords map[string]int
	// ServerRecordSizes lists the lengths of the server's encrypted
	// (application_data) records: all an eavesdropper learns of them.
	ServerRecordSizes []int
	// Leaks lists what an eavesdropper reads besides the payload: the
	// request line and headers of HTTP; the server name, ALPN and
	// certificate names of TLS.
	Leaks []string
	// With the keys (Options.KeyLog): KeysFrame is the frame whose
	// decrypted records complete the secret's first occurrence in the
	// decrypted stream (0: never, or no keys); Decrypted is the first
	// MaxStreamBytes of the server's decrypted application data.
	KeysFrame int
	Decrypted []byte
}

// SecretVisible reports whether an eavesdropper can read the secret.
func (e *StreamExposure) SecretVisible() bool {
	return e.SecretFrame != 0 || e.SecretStreamFrame != 0
}

// Exposure is the result of reading a capture looking for one secret.
type Exposure struct {
	Secret  []byte
	Packets int
	Streams []*StreamExposure
	// Keys: a key log was given; Decrypted: some TLS was decrypted.
	Keys, Decrypted bool
}

// AnalyzeExposure reads every packet of src, follows its TCP streams and
// reports, per stream, whether secret is visible and what else leaks. It is
// the fast pass with Options.Secrets; Analyzer.Exposures gives the same
// from a fast pass run for other reasons too.
func AnalyzeExposure(src PacketSource, secret []byte) (*Exposure, error) {
	return AnalyzeExposureWith(src, secret, Options{})
}

// AnalyzeExposureWith is AnalyzeExposure with options: a key log and
// Fernet keys (opts.KeyLog, opts.FernetKeys) add what the keys reveal
// (StreamExposure.KeysFrame, Decrypted).
func AnalyzeExposureWith(src PacketSource, secret []byte, opts Options) (*Exposure, error) {
	if len(secret) == 0 {
		return nil, errors.New("decode: the secret to look for is empty")
	}
	opts.Secrets = [][]byte{secret}
	a := NewAnalyzer(opts)
	n := 0
	for {
		data, ci, err := src.ReadPacket()
		if err == io.EOF {
			break
		}
		if err != nil {
			a.Finish()
			ex := a.Exposures()[0]
			return ex, fmt.Errorf("decode: after %d packets: %w", n, err)
		}
		n++
		a.Add(n, ci, src.LinkType(ci), data)
	}
	a.Finish()
	return a.Exposures()[0], nil
}

// exposureStage is the fast pass's part for Options.Secrets, and a
// consumer of the other stages: it looks for each secret in every frame
// (what `frame contains` finds) and in the in-order bytes of every TCP
// stream the one reassembler hands it (which finds a secret split across
// segments), keeps the first bytes of each direction for the compare
// view, and learns what else leaks from the HTTP, Fernet and TLS stages'
// events (stageEvents). It detects no protocol and parses nothing itself.
type exposureStage struct {
	secrets [][]byte
	maxLen  int
	streams []*expStream // by tcp.stream
	// frameHit[i][stream] is the first frame of stream whose own bytes
	// contain secret i (set by the reading goroutine: Analyzer.Add).
	frameHit     []map[int]int
	decryptedAny bool // some TLS record or Fernet token was decrypted
	fernetKeys   []*fernet.Key
}

type expStream struct {
	seen  [2]Half
	tail  [2][]byte // the last maxLen-1 bytes of each direction
	found []int     // per secret: the frame completing its first occurrence

	// From the HTTP and Fernet stages: the first request and response.
	http              bool
	request           string
	reqLeaks, resLeak []string
	sawReq, sawRes    bool
	body              []byte
	fernet            *FernetToken

	// From the TLS stage.
	tlsCount                 map[string]int
	tlsSizes                 []int // the server's application_data record sizes
	tlsBody, appData         []byte
	clientLeaks, serverLeaks []string
	sawCH, sawSH, sawCert    bool

	// From the TLS stage's decrypted records (tlsDecrypted).
	dtail     [2][]byte
	keysFound []int // per secret: the frame completing it, 0 none
	decrypted []byte
}

func newExposureStage(secrets [][]byte) *exposureStage {
	e := &exposureStage{secrets: secrets}
	for _, s := range secrets {
		e.maxLen = max(e.maxLen, len(s))
		e.frameHit = append(e.frameHit, map[int]int{})
	}
	return e
}

// frame notes the secrets frame n of stream carries in its own bytes.
func (e *exposureStage) frame(n, stream int, data []byte) {
	for i, s := range e.secrets {
		if _, ok := e.frameHit[i][stream]; !ok && len(s) > 0 && bytes.Contains(data, s) {
			e.frameHit[i][stream] = n
		}
	}
}

func (e *exposureStage) stream(idx int) *expStream {
	for len(e.streams) <= idx {
		e.streams = append(e.streams, nil)
	}
	if e.streams[idx] == nil {
		e.streams[idx] = &expStream{found: make([]int, len(e.secrets))}
	}
	return e.streams[idx]
}

// data receives each direction's bytes in order from the reassembler.
func (e *exposureStage) data(stream, dir, frame int, ts time.Time, pieces []asmPiece, skip int, end, fin bool) {
	x := e.stream(stream)
	d := dir & 1
	if skip > 0 {
		// A secret cannot straddle a hole.
		x.tail[d] = x.tail[d][:0]
	}
	for i, p := range pieces {
		x.seen[d].keep(p.data, p.frame, skip > 0 && i == 0)
		buf := append(x.tail[d], p.data...)
		for k, s := range e.secrets {
			if x.found[k] == 0 && len(s) > 0 && bytes.Contains(buf, s) {
				// The match ends in this piece: the tail alone was
				// searched before.
				x.found[k] = p.frame
			}
		}
		if keep := e.maxLen - 1; len(buf) > keep {
			buf = buf[len(buf)-keep:]
		}
		x.tail[d] = append(x.tail[d][:0], buf...)
	}
}

// maxExposedBody is how much of the first response body is kept.
const maxExposedBody = 4096

// httpMessage keeps what the first request and the first response show
// (stageEvents).
func (e *exposureStage) httpMessage(stream, dir int, m *framedMsg) {
	x := e.stream(stream)
	p := m.p
	switch {
	case p.kind == httpRequest && !x.sawReq:
		x.http, x.sawReq = true, true
		x.request = string(startLine(p, m.data))
		x.reqLeaks = append(x.reqLeaks, p.method+" "+string(p.uriRaw))
		if host, ok := headerValues(p, m.data, "Host"); ok {
			x.reqLeaks = append(x.reqLeaks, "Host: "+host[0])
		}
		x.reqLeaks = append(x.reqLeaks, namedHeaders(p, m.data, "User-Agent", "Content-Type", "Authorization", "Cookie")...)
	case p.kind == httpResponse && !x.sawRes:
		x.http, x.sawRes = true, true
		line := string(startLine(p, m.data))
		if _, status, ok := strings.Cut(line, " "); ok {
			x.resLeak = append(x.resLeak, "response "+strings.TrimLeft(status, " "))
		}
		x.resLeak = append(x.resLeak, namedHeaders(p, m.data, "Content-Type", "Server", "Set-Cookie")...)
		body := httpBody(p, m.data)
		x.body = append([]byte{}, body[:min(len(body), maxExposedBody)]...)
		x.resLeak = append(x.resLeak, fmt.Sprintf("body length %d", len(body)))
	}
}

// fernetToken notes the token the first response's body is (stageEvents).
func (e *exposureStage) fernetToken(stream, dir, frame int, tok *FernetToken) {
	x := e.stream(stream)
	if x.fernet == nil && x.sawRes && dir == 1 {
		x.fernet = tok
	}
	if len(e.fernetKeys) > 0 {
		// What the key reveals: the plaintext, searched as decrypted TLS is.
		if msg := fernet.VerifyAndDecrypt([]byte(base64.URLEncoding.EncodeToString(tok.Raw)), 0, e.fernetKeys); msg != nil {
			e.tlsDecrypted(stream, dir, frame, msg)
		}
	}
}

// tlsContentTypes names record types as the report counts them.
var tlsContentTypes = map[byte]string{20: "change_cipher_spec", 21: "alert", 22: "handshake", 23: "application_data", 24: "heartbeat"}

// tlsRecord counts records; of the server's application data it keeps the
// sizes, the first record and the first bytes of the bodies (stageEvents).
func (e *exposureStage) tlsRecord(stream, dir, frame int, contentType uint8, length int, rec []byte) {
	x := e.stream(stream)
	if x.tlsCount == nil {
		x.tlsCount = map[string]int{}
	}
	x.tlsCount[tlsContentTypes[contentType]]++
	if dir != 1 || contentType != tlsApplicationData {
		return
	}
	if len(x.tlsSizes) < 100000 {
		x.tlsSizes = append(x.tlsSizes, 5+length)
	}
	if x.tlsBody == nil {
		x.tlsBody = append([]byte{}, rec...)
	}
	if room := MaxStreamBytes - len(x.appData); room > 0 && len(rec) > 5 {
		x.appData = append(x.appData, rec[5:min(len(rec), 5+room)]...)
	}
}

// tlsDecrypted looks for the secrets in each direction's decrypted
// application data (or Fernet plaintext), as data does in the bytes on the
// wire, and keeps the start of the server's (stageEvents).
func (e *exposureStage) tlsDecrypted(stream, dir, frame int, plain []byte) {
	x := e.stream(stream)
	e.decryptedAny = true
	if x.keysFound == nil {
		x.keysFound = make([]int, len(e.secrets))
	}
	d := dir & 1
	buf := append(x.dtail[d], plain...)
	for k, s := range e.secrets {
		if x.keysFound[k] == 0 && len(s) > 0 && bytes.Contains(buf, s) {
			x.keysFound[k] = frame
		}
	}
	if keep := e.maxLen - 1; len(buf) > keep {
		buf = buf[len(buf)-keep:]
	}
	x.dtail[d] = append(x.dtail[d][:0], buf...)
	if room := MaxStreamBytes - len(x.decrypted); d == 1 && room > 0 {
		x.decrypted = append(x.decrypted, plain[:min(len(plain), room)]...)
	}
}

// tlsClientHello keeps the server name and protocols the client asks for
// (stageEvents).
func (e *exposureStage) tlsClientHello(stream int, ch *tlsClientHello) {
	x := e.stream(stream)
	if x.sawCH {
		return
	}
	x.sawCH = true
	for _, ext := range ch.extensions {
		switch ext.typ {
		case extServerName:
			if names, ok := readServerNames(ext.data); ok {
				for _, n := range names {
					x.clientLeaks = append(x.clientLeaks, "SNI "+string(n.name))
				}
			}
		case extALPN:
			if protos, ok := readALPN(ext.data); ok {
				ps := make([]string, len(protos))
				for i, p := range protos {
					ps[i] = string(p)
				}
				x.clientLeaks = append(x.clientLeaks, "ALPN "+strings.Join(ps, ","))
			}
		}
	}
}

// tlsServerHello keeps the version and cipher suite the server picks
// (stageEvents).
func (e *exposureStage) tlsServerHello(stream int, sh *tlsServerHello) {
	x := e.stream(stream)
	if x.sawSH {
		return
	}
	x.sawSH = true
	vers := sh.vers
	for _, ext := range sh.extensions {
		if ext.typ == extSupportedVersions && len(ext.data) == 2 {
			vers = be16(ext.data)
		}
	}
	name := tlsCipherSuiteNames[sh.cipherSuite]
	if name == "" {
		name = fmt.Sprintf("0x%04x", sh.cipherSuite)
	}
	x.serverLeaks = append(x.serverLeaks, tlsVersionName(vers)+" "+name)
}

// tlsCertificate keeps the names of the server's certificate and its
// issuer (stageEvents).
func (e *exposureStage) tlsCertificate(stream int, chain [][]byte) {
	x := e.stream(stream)
	if x.sawCert {
		return
	}
	x.sawCert = true
	if l := certificateLeak(chain[0]); l != "" {
		x.serverLeaks = append(x.serverLeaks, l)
	}
}

// Exposures reports, per secret of Options.Secrets, what every TCP stream
// shows of it. It finishes the fast pass.
func (a *Analyzer) Exposures() []*Exposure {
	a.Finish()
	e := a.app.exp
	if e == nil {
		return nil
	}
	out := make([]*Exposure, len(e.secrets))
	keys := a.opts.KeyLog != nil && a.opts.KeyLog.Len() > 0 || len(a.opts.FernetKeys) > 0
	for i, s := range e.secrets {
		out[i] = &Exposure{Secret: s, Packets: a.count, Keys: keys, Decrypted: e.decryptedAny}
	}
	for _, st := range a.TCPStreams() {
		x := e.stream(st.Index)
		se := &StreamExposure{Stream: st, Seen: x.seen, Protocol: ProtoTCP}
		switch {
		case a.app.tls.isTLS(st.Index):
			se.Protocol = ProtoTLS
			se.Leaks = append(append([]string(nil), x.clientLeaks...), x.serverLeaks...)
			se.TLSRecords, se.ServerRecordSizes = x.tlsCount, x.tlsSizes
			se.Body, se.ServerAppData = x.tlsBody, x.appData
			if se.TLSRecords == nil {
				se.TLSRecords = map[string]int{}
			}
		case x.http || a.app.http.dissected(st.Index):
			// The HTTP stage took it (by content, port or -d) and was
			// handed its data, whether or not a message completed.
			se.Protocol = ProtoHTTP
			se.Request, se.Body = x.request, x.body
			se.Leaks = append(append([]string(nil), x.reqLeaks...), x.resLeak...)
			if x.fernet != nil {
				se.Protocol = ProtoFernet
				se.Leaks = append(se.Leaks, "token time "+x.fernet.Timestamp.Format("2006-01-02 15:04:05 UTC"),
					fmt.Sprintf("ciphertext %d bytes", len(x.fernet.Ciphertext)))
			}
		}
		for i := range e.secrets {
			c := *se
			c.SecretFrame = e.frameHit[i][st.Index]
			c.SecretStreamFrame = x.found[i]
			if x.keysFound != nil {
				c.KeysFrame = x.keysFound[i]
			}
			c.Decrypted = x.decrypted
			out[i].Streams = append(out[i].Streams, &c)
		}
	}
	return out
}

// startLine is the text of a parsed message's request or status line.
func startLine(p *httpParsed, b []byte) []byte {
	if len(p.lines) == 0 || !p.lines[0].start1 {
		return nil
	}
	l := p.lines[0]
	return b[l.start : l.start+l.n]
}

// headerValues lists the values of the header called name (any case), as
// the HTTP parser split them, blanks around them trimmed.
func headerValues(p *httpParsed, b []byte, name string) ([]string, bool) {
	var out []string
	for _, l := range p.lines {
		if l.start1 || l.colon < 0 {
			continue
		}
		line := b[l.start : l.start+l.n]
		if bytes.EqualFold(line[:l.colon], []byte(name)) {
			out = append(out, string(bytes.Trim(line[l.colon+1:], " \t")))
		}
	}
	return out, len(out) > 0
}

// namedHeaders lists the named headers a message has, as "Name: value".
func namedHeaders(p *httpParsed, b []byte, names ...string) []string {
	var out []string
	for _, n := range names {
		vs, _ := headerValues(p, b, n)
		for _, v := range vs {
			out = append(out, n+": "+v)
		}
	}
	return out
}
