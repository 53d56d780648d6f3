package decode

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"

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
// reports, per stream, whether secret is visible and what else leaks.
func AnalyzeExposure(src PacketSource, secret []byte) (*Exposure, error) {
	if len(secret) == 0 {
		return nil, errors.New("decode: the secret to look for is empty")
	}
	dec := NewDecoder()
	table := NewStreamTable()
	first := map[*Stream]int{}
	ex := &Exposure{Secret: secret}
	for {
		data, ci, err := src.ReadPacket()
		if err == io.EOF {
			break
		}
		if err != nil {
			return ex, fmt.Errorf("decode: after %d packets: %w", ex.Packets, err)
		}
		ex.Packets++
		seg, ok := dec.TCP(src.LinkType(ci), data)
		if !ok {
			continue
		}
		wire := ci.Length
		if wire == 0 {
			wire = len(data)
		}
		st := table.Add(ex.Packets, ci.Timestamp, wire, seg)
		if _, seen := first[st]; !seen {
			first[st] = 0
		}
		if first[st] == 0 && bytes.Contains(data, secret) {
			first[st] = ex.Packets
		}
	}
	for _, st := range table.Streams {
		e := &StreamExposure{Stream: st, SecretFrame: first[st]}
		if _, f, ok := FindInStream(st, secret); ok {
			e.SecretStreamFrame = f
		}
		classify(e)
		ex.Streams = append(ex.Streams, e)
	}
	return ex, nil
}

// classify recognises the stream's protocol by content, never by port.
func classify(e *StreamExposure) {
	req, resp := e.Dir[0].Payload, e.Dir[1].Payload
	e.Protocol = ProtoTCP
	switch {
	case looksLikeTLS(req):
		e.Protocol = ProtoTLS
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
		r, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(resp)), nil)
		if err == nil {
			body, _ := io.ReadAll(io.LimitReader(r.Body, 4096))
			r.Body.Close()
			e.Body = body
		}
		if IsFernetToken(bytes.TrimSpace(e.Body)) {
			e.Protocol = ProtoFernet
		}
	}
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
