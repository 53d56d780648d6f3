package decode

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

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
	// HTTP body, or the first TLS application-data record.
	Body []byte
	// TLSRecords counts the TLS records seen per content type name.
	TLSRecords map[string]int
	// ServerRecordSizes lists the lengths of the server's encrypted
	// (application_data) records: all an eavesdropper learns of them.
	ServerRecordSizes []int
	// Leaks lists what an eavesdropper reads besides the payload: the
	// request line and headers of HTTP; the server name, ALPN and
	// certificate names of TLS.
	Leaks []string
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
}

// AnalyzeExposure reads every packet of src, follows its TCP streams and
// reports, per stream, whether secret is visible and what else leaks. It is
// the fast pass with Options.Secrets; Analyzer.Exposures gives the same
// from a fast pass run for other reasons too.
func AnalyzeExposure(src PacketSource, secret []byte) (*Exposure, error) {
	if len(secret) == 0 {
		return nil, errors.New("decode: the secret to look for is empty")
	}
	a := NewAnalyzer(Options{Secrets: [][]byte{secret}})
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

// exposureStage is the fast pass's part for Options.Secrets: for every
// TCP stream it keeps the first bytes of each direction (to tell the
// protocol and show what leaks), walks TLS record headers, and looks for
// each secret in the frames (what `frame contains` finds) and in the
// in-order stream (which finds a secret split across segments).
type exposureStage struct {
	secrets [][]byte
	maxLen  int
	streams []*expStream // by tcp.stream
	// frameHit[i][stream] is the first frame of stream whose own bytes
	// contain secret i (set by the reading goroutine: Analyzer.Add).
	frameHit []map[int]int
}

type expStream struct {
	st    Stream
	tail  [2][]byte // the last maxLen-1 bytes of each direction
	found []int     // per secret: the frame completing its first occurrence
	tls   [2]tlsWalk
	// tlsDecided: the client's first bytes said whether this is TLS.
	tlsDecided, isTLS bool
	tlsSizes          []int // the server's application_data record sizes
	tlsCount          map[string]int
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

// data receives each direction's bytes in order (asmHandler).
func (e *exposureStage) data(stream, dir, frame int, ts time.Time, pieces []asmPiece, skip int, end, fin bool) {
	x := e.stream(stream)
	d := dir & 1
	if skip > 0 {
		// A secret cannot straddle a hole; the TLS walk loses its place.
		x.tail[d] = x.tail[d][:0]
		x.tls[d].lost = true
	}
	for i, p := range pieces {
		x.st.Dir[d].keep(p.data, p.frame, skip > 0 && i == 0)
		x.walkTLS(d, p.data)
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

// tlsWalk follows TLS record headers through one direction's bytes.
type tlsWalk struct {
	hdr  [5]byte
	nh   int // header bytes held
	left int // body bytes still to skip
	lost bool
}

// walkTLS counts the records in the next in-order bytes of direction d,
// in a stream whose client spoke TLS first.
func (x *expStream) walkTLS(d int, b []byte) {
	if !x.tlsDecided {
		if d != 0 {
			// The server spoke first: not TLS, or a capture started
			// mid-stream, where the records' boundaries are unknown.
			x.tls[1].lost = true
			return
		}
		x.tlsDecided, x.isTLS = true, looksLikeTLS(b)
	}
	w := &x.tls[d]
	for x.isTLS && len(b) > 0 && !w.lost {
		if w.left > 0 {
			k := min(w.left, len(b))
			w.left -= k
			b = b[k:]
			continue
		}
		k := copy(w.hdr[w.nh:], b)
		w.nh += k
		b = b[k:]
		if w.nh < 5 {
			return
		}
		w.nh = 0
		if !looksLikeTLS(w.hdr[:]) {
			w.lost = true
			return
		}
		n := int(w.hdr[3])<<8 | int(w.hdr[4])
		if x.tlsCount == nil {
			x.tlsCount = map[string]int{}
		}
		x.tlsCount[tlsContentTypes[w.hdr[0]]]++
		if d == 1 && w.hdr[0] == 23 && len(x.tlsSizes) < 100000 {
			x.tlsSizes = append(x.tlsSizes, 5+n)
		}
		w.left = n
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
	for i, s := range e.secrets {
		out[i] = &Exposure{Secret: s, Packets: a.count}
	}
	for _, info := range a.tcp.streams {
		x := e.stream(info.Index)
		st := &x.st
		st.Index, st.Client, st.Server = info.Index, info.Client, info.Server
		st.Packets, st.Bytes = info.Packets[0]+info.Packets[1], int(info.Bytes[0]+info.Bytes[1])
		st.Dir[0].Packets, st.Dir[1].Packets = info.Packets[0], info.Packets[1]
		st.FirstFrame, st.LastFrame, st.Start, st.End = info.FirstFrame, info.LastFrame, info.Start, info.End
		proto := &StreamExposure{Stream: st}
		classify(proto)
		if proto.Protocol == ProtoTLS {
			proto.TLSRecords, proto.ServerRecordSizes = x.tlsCount, x.tlsSizes
		}
		for i := range e.secrets {
			se := *proto
			se.SecretFrame = e.frameHit[i][info.Index]
			se.SecretStreamFrame = x.found[i]
			out[i].Streams = append(out[i].Streams, &se)
		}
	}
	return out
}

// classify recognises the stream's protocol by content, never by port.
func classify(e *StreamExposure) {
	req, resp := e.Dir[0].Payload, e.Dir[1].Payload
	e.Protocol = ProtoTCP
	switch {
	case looksLikeTLS(req):
		e.Protocol = ProtoTLS
		e.Leaks = tlsLeaks(req, resp)
		e.TLSRecords = map[string]int{}
		walkTLSRecords(req, e.TLSRecords, nil)
		walkTLSRecords(resp, e.TLSRecords, func(typ byte, rec []byte) {
			if typ == 23 {
				if e.Body == nil {
					e.Body = rec
				}
				e.ServerRecordSizes = append(e.ServerRecordSizes, len(rec))
			}
		})
	case looksLikeHTTPRequest(req):
		e.Protocol = ProtoHTTP
		if i := bytes.Index(req, []byte("\r\n")); i > 0 {
			e.Request = string(req[:i])
		}
		if q, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(req))); err == nil {
			e.Leaks = append(e.Leaks, q.Method+" "+q.RequestURI)
			if q.Host != "" { // ReadRequest moves Host out of the headers
				e.Leaks = append(e.Leaks, "Host: "+q.Host)
			}
			e.Leaks = append(e.Leaks, leakedHeaders(q.Header, "User-Agent", "Content-Type", "Authorization", "Cookie")...)
		}
		r, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(resp)), nil)
		if err == nil {
			body, _ := io.ReadAll(io.LimitReader(r.Body, 4096))
			r.Body.Close()
			e.Body = body
			e.Leaks = append(e.Leaks, "response "+r.Status)
			e.Leaks = append(e.Leaks, leakedHeaders(r.Header, "Content-Type", "Server", "Set-Cookie")...)
			e.Leaks = append(e.Leaks, fmt.Sprintf("body length %d", len(body)))
		}
		if IsFernetToken(bytes.TrimSpace(e.Body)) {
			e.Protocol = ProtoFernet
			if tok, err := ParseFernetToken(bytes.TrimSpace(e.Body)); err == nil {
				e.Leaks = append(e.Leaks, "token time "+tok.Timestamp.Format("2006-01-02 15:04:05 UTC"),
					fmt.Sprintf("ciphertext %d bytes", len(tok.Ciphertext)))
			}
		}
	}
}

// leakedHeaders lists the named headers a message has, as "Name: value".
func leakedHeaders(h http.Header, names ...string) []string {
	var out []string
	for _, n := range names {
		for _, v := range h.Values(n) {
			out = append(out, n+": "+v)
		}
	}
	return out
}

var httpMethods = [][]byte{[]byte("GET "), []byte("POST "), []byte("PUT "), []byte("HEAD "),
	[]byte("DELETE "), []byte("OPTIONS "), []byte("PATCH "), []byte("CONNECT "), []byte("TRACE ")}

func looksLikeHTTPRequest(b []byte) bool {
	for _, m := range httpMethods {
		if bytes.HasPrefix(b, m) {
			return true
		}
	}
	return false
}

// looksLikeTLS checks for a TLS record header (RFC 8446 §5.1): a known
// content type, major version 3, and a length within the record limit.
func looksLikeTLS(b []byte) bool {
	if len(b) < 5 || b[1] != 3 || b[2] > 4 {
		return false
	}
	n := int(b[3])<<8 | int(b[4])
	return b[0] >= 20 && b[0] <= 24 && n > 0 && n <= 1<<14+2048
}

var tlsContentTypes = map[byte]string{20: "change_cipher_spec", 21: "alert", 22: "handshake", 23: "application_data", 24: "heartbeat"}

// walkTLSRecords counts b's records per content type and hands each to fn
// (header included; the last may be cut short by the capture).
func walkTLSRecords(b []byte, counts map[string]int, fn func(typ byte, rec []byte)) {
	for len(b) >= 5 && looksLikeTLS(b) {
		n := 5 + (int(b[3])<<8 | int(b[4]))
		counts[tlsContentTypes[b[0]]]++
		if fn != nil {
			fn(b[0], b[:min(n, len(b))])
		}
		if n > len(b) {
			return
		}
		b = b[n:]
	}
}
