package decode

// Full dissection of the TLS records a frame carries: the tree
// Wireshark 4.0's TLS dissector builds on its second pass, with tshark's
// field names and values, rebuilt from the fast pass's records (which
// calls the frame made, where their bytes are, the session's final state,
// the handshake fragments) and the frame's own bytes.

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"
	"strings"
	"time"
)

// tlsHandshakeNames are the handshake types' names (Info column, labels).
var tlsHandshakeNames = map[uint8]string{
	hsHelloRequest: "Hello Request", hsClientHello: "Client Hello", hsServerHello: "Server Hello",
	hsHelloVerifyRequest: "Hello Verify Request", hsNewSessionTicket: "New Session Ticket",
	hsEndOfEarlyData: "End of Early Data", hsHelloRetryRequest: "Hello Retry Request",
	hsEncryptedExtensions: "Encrypted Extensions", hsCertificate: "Certificate",
	hsServerKeyExchange: "Server Key Exchange", hsCertificateRequest: "Certificate Request",
	hsServerHelloDone: "Server Hello Done", hsCertificateVerify: "Certificate Verify",
	hsClientKeyExchange: "Client Key Exchange", hsFinished: "Finished", hsCertificateURL: "Client Certificate URL",
	hsCertificateStatus: "Certificate Status", hsSupplementalData: "Supplemental Data", hsKeyUpdate: "Key Update",
	hsCompressedCertificate: "Compressed Certificate", hsNextProtocol: "Encrypted Extensions",
}

// tlsContentTypeNames are the record types' names (RFC 8446 §5.1).
var tlsContentTypeNames = map[uint8]string{
	tlsChangeCipherSpec: "Change Cipher Spec", tlsAlert: "Alert", tlsHandshake: "Handshake",
	tlsApplicationData: "Application Data", tlsHeartbeat: "Heartbeat", tlsCID: "Connection ID",
}

// tlsAlertNames are the alert descriptions (RFC 8446 §6, IANA TLS Alerts).
var tlsAlertNames = map[uint8]string{
	0: "Close Notify", 1: "End of Early Data", 10: "Unexpected Message", 20: "Bad Record MAC", 21: "Decryption Failed",
	22: "Record Overflow", 30: "Decompression Failure", 40: "Handshake Failure", 41: "No Certificate",
	42: "Bad Certificate", 43: "Unsupported Certificate", 44: "Certificate Revoked", 45: "Certificate Expired",
	46: "Certificate Unknown", 47: "Illegal Parameter", 48: "Unknown CA", 49: "Access Denied", 50: "Decode Error",
	51: "Decrypt Error", 60: "Export Restriction", 70: "Protocol Version", 71: "Insufficient Security",
	80: "Internal Error", 86: "Inappropriate Fallback", 90: "User Canceled", 100: "No Renegotiation",
	109: "Missing Extension", 110: "Unsupported Extension", 111: "Certificate Unobtainable", 112: "Unrecognized Name",
	113: "Bad Certificate Status Response", 114: "Bad Certificate Hash Value", 115: "Unknown PSK Identity",
	116: "Certificate Required", 120: "No application Protocol", 121: "ECH Required",
}

// sslv2MessageNames are SSL 2.0's message types.
var sslv2MessageNames = map[uint8]string{
	0: "Error", 1: "Client Hello", 2: "Client Master Key", 3: "Client Finished", 4: "Server Hello",
	5: "Server Verify", 6: "Server Finished", 7: "Request Certificate", 8: "Client Certificate",
}

// tlsVersionShort is the Protocol column's name of a version.
func tlsVersionShort(v uint16) string {
	switch v {
	case versionSSL2:
		return "SSLv2"
	case versionSSL3:
		return "SSLv3"
	case versionTLS10:
		return "TLSv1"
	case versionTLS11:
		return "TLSv1.1"
	case versionTLS12:
		return "TLSv1.2"
	case versionTLS13:
		return "TLSv1.3"
	}
	return "SSL"
}

// tlsVersionName is a version's long name, as in the tree's labels.
func tlsVersionName(v uint16) string {
	switch v {
	case versionSSL2:
		return "SSL 2.0"
	case versionSSL3:
		return "SSL 3.0"
	case versionTLS10:
		return "TLS 1.0"
	case versionTLS11:
		return "TLS 1.1"
	case versionTLS12:
		return "TLS 1.2"
	case versionTLS13:
		return "TLS 1.3"
	case 0x0101:
		return "GMTLS"
	case 0xfb17:
		return "TLS 1.3 (Facebook draft 23)"
	case 0xfb1a:
		return "TLS 1.3 (Facebook draft 26)"
	case 0xfeff:
		return "DTLS 1.0"
	case 0xfefd:
		return "DTLS 1.2"
	}
	if isGREASE(v) {
		return "Reserved (GREASE)"
	}
	if v>>8 == 0x7f && v&0xff >= 14 && v&0xff <= 28 {
		return fmt.Sprintf("TLS 1.3 (draft %d)", v&0xff)
	}
	return "Unknown"
}

// nameOr names v from m: GREASE values by their reservation, others
// "Unknown" when m lacks them.
func nameOr(m map[uint16]string, v uint16) string {
	if isGREASE(v) {
		return "Reserved (GREASE)"
	}
	if s, ok := m[v]; ok {
		return s
	}
	return "Unknown"
}

// tlsExtensionName names an extension type as tshark 4.0 does.
func tlsExtensionName(t uint16) string {
	if isGREASE(t) {
		return "Reserved (GREASE)"
	}
	if s, ok := tlsExtensionNames[t]; ok {
		return s
	}
	return fmt.Sprintf("Unknown type %d", t)
}

// tlsExtensionDecoded lists the extension types Wireshark 4.0 dissects;
// the others it shows as tls.handshake.extension.data.
var tlsExtensionDecoded = map[uint16]bool{
	0: true, 1: true, 5: true, 9: true, 10: true, 11: true, 12: true, 13: true, 14: true, 15: true, 16: true,
	17: true, 18: true, 19: true, 20: true, 21: true, 22: true, 23: true, 27: true, 28: true, 34: true, 35: true,
	40: true, 41: true, 42: true, 43: true, 44: true, 45: true, 47: true, 48: true, 49: true, 50: true, 51: true,
	53: true, 54: true, 57: true, 13172: true, 17513: true, 0xff01: true, 0xffa5: true, 0xffce: true,
}

// tlsPortApps are the protocols Wireshark 4.0 expects inside TLS on a
// port (its tls.port table), named as the record labels show them.
var tlsPortApps = map[uint16]string{
	443: "Hypertext Transfer Protocol", 465: "Simple Mail Transfer Protocol", 636: "Lightweight Directory Access Protocol",
	853: "Domain Name System", 993: "Internet Message Access Protocol", 995: "Post Office Protocol",
	5061: "Session Initiation Protocol", 5671: "Advanced Message Queuing Protocol", 8883: "MQ Telemetry Transport Protocol",
}

// tlsAppNames names the protocols ALPN selects.
var tlsAppNames = [...]string{tlsAppHTTP: "Hypertext Transfer Protocol", tlsAppHTTP2: "HyperText Transfer Protocol 2",
	tlsAppSPDY: "SPDY"}

// tv places fields in one data source: base is where the bytes being
// read start in it.
type tv struct {
	src, base int
}

func (v tv) field(name, label string, kind Kind, off, n int) *Field {
	return &Field{Name: name, Label: label, Kind: kind, Source: v.src, Start: v.base + off, Len: n}
}

func (v tv) text(label string, off, n int) *Field { return v.field("", label, KindNone, off, n) }

func (v tv) none(name, label string, off, n int) *Field {
	return v.field(name, label, KindNone, off, n)
}

func (v tv) dec(name, label string, off, n int, val uint64, bits uint8) *Field {
	f := v.field(name, label, KindUint, off, n)
	f.U, f.Bits = val, bits
	return f
}

func (v tv) hex(name, label string, off, n int, val uint64, bits uint8) *Field {
	f := v.dec(name, label, off, n, val, bits)
	f.Base = BaseHex
	return f
}

func (v tv) bytes(name, label string, off int, b []byte) *Field {
	f := v.field(name, label, KindBytes, off, len(b))
	f.B = b
	return f
}

func (v tv) str(name, label string, off, n int, s string) *Field {
	f := v.field(name, label, KindString, off, n)
	f.S = s
	return f
}

// hexLabel is how a bytes field's label shows its value.
func hexLabel(b []byte) string {
	if len(b) == 0 {
		return "<MISSING>"
	}
	return truncHex(b)
}

// tlsDissector builds the TLS trees of one frame.
type tlsDissector struct {
	s         *tlsStage
	p         *Packet
	n         int
	sess      *tlsSession
	dir       int
	srcPort   uint16
	dstPort   uint16
	info      string
	proto     string
	malformed bool
	waiting   bool
	call      int32
	lite      bool // only the packet-list row is wanted (Analyzer.Row)
}

// appendInfo is col_append_sep_str with the default ", " separator.
func (d *tlsDissector) appendInfo(s string) {
	if d.info != "" {
		d.info += ", "
	}
	d.info += s
}

// dissect adds the TLS trees of frame n; it reports whether the frame
// belongs to a TLS conversation (then HTTP has nothing to do with it).
func (s *tlsStage) dissect(p *Packet, n int, tcpNode *Field) bool {
	stream, ok := tcpStreamOf(tcpNode)
	if !ok || !s.isTLS(stream) {
		return false
	}
	in, inPDU := s.table.in(n)
	if in > n {
		tcpNode.Add(&Field{Name: "tcp.reassembled_in", Label: fmt.Sprintf("[Reassembled PDU in frame: %d]", in), Kind: KindFrameNum, U: uint64(in)})
	}
	calls := s.frameCalls(n)
	if len(calls) == 0 {
		if inPDU {
			p.Summary.Info = segmentNote(p.Summary.Info)
		}
		return true
	}
	payload, src, start := tcpPayload(p, tcpNode)
	d := &tlsDissector{s: s, p: p, n: n, sess: &s.sessions[s.streams[stream]-1], info: tcpInfoPrefix(p.Summary.Info), lite: p.lite}
	for _, ci := range calls {
		d.dissectCall(ci, payload, src, start)
	}
	if d.waiting && d.proto == "" {
		// Nothing dissected: only the start of a record that continues in
		// later segments (TCP's "[TCP segment of a reassembled PDU]").
		p.Summary.Info = segmentNote(p.Summary.Info)
		return true
	}
	p.Summary.Protocol = d.proto
	p.Summary.Info = d.info
	if d.malformed {
		p.Summary.Info += " [Malformed Packet]"
	}
	return true
}

// segmentNote appends TCP's note for a frame whose data went into a PDU
// completed later; a "[Malformed Packet]" mark stays last.
func segmentNote(info string) string {
	const malformed = " [Malformed Packet]"
	if strings.HasSuffix(info, malformed) {
		return strings.TrimSuffix(info, malformed) + " [TCP segment of a reassembled PDU]" + malformed
	}
	return info + " [TCP segment of a reassembled PDU]"
}

// dissectCall adds the tree of one call.
func (d *tlsDissector) dissectCall(ci int32, payload []byte, src, start int) {
	call := &d.s.calls[ci]
	d.call, d.dir = ci, int(call.dir)
	d.srcPort, d.dstPort = d.sess.port[d.dir&1], d.sess.port[1-d.dir&1]
	var b []byte
	v := tv{src: src}
	var saved *savedPDU
	if call.flags&tlsCallSaved != 0 {
		saved = d.s.saved[ci]
		b = saved.data
		v = tv{src: d.reassembledSource(saved)}
	} else {
		off := min(int(call.payOff), len(payload))
		end := min(off+int(call.length), len(payload))
		b = payload[off:end]
		v.base = start + off
	}
	if call.flags&tlsCallWaiting != 0 {
		// The data starts a record that ends in a later segment: on its
		// second pass Wireshark does not hand it to TLS at all.
		if call.payOff == 0 {
			d.waiting = true
		}
		return
	}
	node := v.field("tls", "Transport Layer Security", KindProtocol, 0, len(b))
	d.p.Tree = append(d.p.Tree, node)
	appendProtocol(d.p, "tls")
	d.proto = tlsVersionShort(d.sess.version)
	if call.flags&tlsCallTruncated != 0 {
		node.Add(&Field{Name: "_ws.expert", Label: fmt.Sprintf("[Record data truncated for memory: %d of %d bytes kept]", len(b), saved.length)})
	}
	rec := int32(0)
	for off := 0; off < len(b); {
		rest := b[off:]
		v2 := false
		switch ver := d.sess.version; {
		case ver == versionSSL2:
			v2 = true
		case tlsKnownV3(ver):
			if len(rest) < 5 {
				return
			}
			v2 = isV2ClientHelloStart(rest)
		default:
			if len(rest) < 5 {
				return
			}
			switch {
			case looksLikeSSLv2Record(rest):
				v2 = true
			case looksLikeSSLv3Record(rest):
			default:
				d.appendInfo("Continuation Data")
				return
			}
		}
		if v2 {
			n, need, ok := sslv2RecordLen(rest)
			if !ok || need > 0 {
				return
			}
			d.sslv2Record(node, rest[:n], tv{src: v.src, base: v.base + off})
			off += n
			rec++
			continue
		}
		if ver := d.sess.version; ver >= versionTLS10 && ver <= versionTLS12 && !validContentType(rest[0]) {
			node.Add(v.text("[Expert Info (Note/Protocol): Ignored Unknown Record]", off, len(rest)))
			d.appendInfo("Ignored Unknown Record")
			return
		}
		h, _ := parseRecordHeader(rest)
		if !validContentType(h.contentType) {
			d.appendInfo("Continuation Data")
			off += 5 + h.length
			continue
		}
		if len(rest) < 5+h.length {
			if call.flags&tlsCallTruncated != 0 {
				d.truncatedRecord(node, h, rest, tv{src: v.src, base: v.base + off})
			}
			return
		}
		d.record(node, h, rest[:5+h.length], tv{src: v.src, base: v.base + off}, rec)
		off += 5 + h.length
		rec++
	}
}

// reassembledSource adds a PDU's bytes as a data source, with the tree of
// the segments it came from, as Wireshark shows a reassembled PDU.
func (d *tlsDissector) reassembledSource(c *savedPDU) int {
	data := c.data
	d.p.Sources = append(d.p.Sources, DataSource{Name: fmt.Sprintf("Reassembled TCP (%d bytes)", c.length), Data: data})
	src := len(d.p.Sources) - 1
	if len(c.segs) > 1 {
		var sb strings.Builder
		fmt.Fprintf(&sb, "[%d Reassembled TCP Segments (%d bytes): ", len(c.segs), c.length)
		for k, s := range c.segs {
			if k > 0 {
				sb.WriteString(", ")
			}
			fmt.Fprintf(&sb, "#%d(%d)", s.frame, s.n)
		}
		sb.WriteString("]")
		t := &Field{Name: "tcp.segments", Label: sb.String(), Source: src, Len: len(data)}
		off := 0
		for _, s := range c.segs {
			t.Add(&Field{Name: "tcp.segment", Label: fmt.Sprintf("[Frame: %d, payload: %d-%d (%d bytes)]", s.frame, off, off+int(s.n)-1, s.n),
				Kind: KindFrameNum, U: uint64(s.frame), Source: src, Start: min(off, len(data)), Len: max(0, min(int(s.n), len(data)-off))})
			off += int(s.n)
		}
		t.Add(&Field{Name: "tcp.segment.count", Label: fmt.Sprintf("[Segment count: %d]", len(c.segs)), Kind: KindUint, U: uint64(len(c.segs))})
		t.Add(&Field{Name: "tcp.reassembled.length", Label: fmt.Sprintf("[Reassembled TCP length: %d]", c.length), Kind: KindUint, U: uint64(c.length)})
		t.Add(&Field{Name: "tcp.reassembled.data", Label: "[Reassembled TCP Data: " + truncHex(data) + "]", Kind: KindBytes, B: data, Source: src, Len: len(data)})
		d.p.Tree = append(d.p.Tree, t)
	}
	return src
}

// recordVersion is the version a record is read as: the session's, or,
// before it is known, the record's own (which then names the Protocol
// column).
func (d *tlsDissector) recordVersion(h tlsRecordHeader) uint16 {
	if d.sess.version != 0 {
		return d.sess.version
	}
	d.proto = tlsVersionShort(h.version)
	return h.version
}

// record adds one SSL 3.0/TLS record (dissect_ssl3_record).
func (d *tlsDissector) record(parent *Field, h tlsRecordHeader, b []byte, v tv, rec int32) {
	version := d.recordVersion(h)
	short := tlsVersionShort(version)
	ctName := tlsContentTypeNames[h.contentType]
	r := parent.Add(v.none("tls.record", short+" Record Layer: "+ctName+" Protocol", 0, len(b)))
	if d.sess.version == versionTLS13 && h.contentType == tlsApplicationData {
		r.Add(v.dec("tls.record.opaque_type", fmt.Sprintf("Opaque Type: %s (%d)", ctName, h.contentType), 0, 1, uint64(h.contentType), 8))
	} else {
		r.Add(v.dec("tls.record.content_type", fmt.Sprintf("Content Type: %s (%d)", ctName, h.contentType), 0, 1, uint64(h.contentType), 8))
	}
	r.Add(v.hex("tls.record.version", fmt.Sprintf("Version: %s (0x%04x)", tlsVersionName(h.version), h.version), 1, 2, uint64(h.version), 16))
	r.Add(v.dec("tls.record.length", fmt.Sprintf("Length: %d", h.length), 3, 2, uint64(h.length), 16))
	body := b[5:]
	bv := tv{src: v.src, base: v.base + 5}
	switch h.contentType {
	case tlsChangeCipherSpec:
		if version == versionTLS13 && d.sess.draft > 0 && d.sess.draft < 22 {
			r.Add(v.text("[Expert Info (Error/Protocol): Record type is not allowed in TLS 1.3]", 0, 1))
			return
		}
		d.appendInfo("Change Cipher Spec")
		r.Label = tlsVersionShort(d.sess.version) + " Record Layer: Change Cipher Spec Protocol: Change Cipher Spec"
		r.Add(bv.none("tls.change_cipher_spec", "Change Cipher Spec Message", 0, min(1, len(body))))
	case tlsAlert:
		d.alert(r, body, bv)
	case tlsHandshake:
		d.handshake(r, body, bv, rec, version)
	case tlsApplicationData:
		d.appendInfo("Application Data")
		app := d.appName()
		label := app
		if label == "" {
			label = "Application Data"
		}
		r.Label = short + " Record Layer: Application Data Protocol: " + label
		r.Add(bv.bytes("tls.app_data", "Encrypted Application Data: "+hexLabel(body), 0, body))
		if app != "" {
			r.Add(&Field{Name: "tls.app_data_proto", Label: "[Application Data Protocol: " + app + "]", Kind: KindString, S: app})
		}
	case tlsHeartbeat:
		if version == versionTLS13 {
			r.Add(v.text("[Expert Info (Error/Protocol): Record type is not allowed in TLS 1.3]", 0, 1))
			return
		}
		d.heartbeat(r, body, bv)
	}
}

// truncatedRecord shows a record of which the fast pass kept only the
// start (over its memory budget): the header, and what the type says.
func (d *tlsDissector) truncatedRecord(parent *Field, h tlsRecordHeader, b []byte, v tv) {
	version := d.recordVersion(h)
	ctName := tlsContentTypeNames[h.contentType]
	r := parent.Add(v.none("tls.record", tlsVersionShort(version)+" Record Layer: "+ctName+" Protocol", 0, len(b)))
	ct := "tls.record.content_type"
	if d.sess.version == versionTLS13 && h.contentType == tlsApplicationData {
		ct = "tls.record.opaque_type"
	}
	r.Add(v.dec(ct, fmt.Sprintf("Content Type: %s (%d)", ctName, h.contentType), 0, 1, uint64(h.contentType), 8))
	r.Add(v.hex("tls.record.version", fmt.Sprintf("Version: %s (0x%04x)", tlsVersionName(h.version), h.version), 1, 2, uint64(h.version), 16))
	r.Add(v.dec("tls.record.length", fmt.Sprintf("Length: %d", h.length), 3, 2, uint64(h.length), 16))
	r.Add(&Field{Name: "_ws.expert", Label: "[Record body not kept (memory budget)]"})
	switch h.contentType {
	case tlsApplicationData:
		d.appendInfo("Application Data")
	case tlsHandshake:
		d.appendInfo("Handshake")
	default:
		d.appendInfo(ctName)
	}
}

// appName is the protocol the session's application data is for: the
// one ALPN chose, else the one Wireshark expects on the port.
func (d *tlsDissector) appName() string {
	if a := d.sess.appProto; a != tlsAppNone {
		return tlsAppNames[a]
	}
	if s, ok := tlsPortApps[d.srcPort]; ok {
		return s
	}
	return tlsPortApps[d.dstPort]
}

// alert adds an Alert (RFC 8446 §6): two bytes in the clear, anything
// else encrypted.
func (d *tlsDissector) alert(r *Field, body []byte, v tv) {
	a := r.Add(v.none("tls.alert_message", "Alert Message", 0, len(body)))
	short := tlsVersionShort(d.sess.version)
	if d.sess.version == 0 {
		short = "TLS"
	}
	if len(body) != 2 {
		d.appendInfo("Encrypted Alert")
		r.Label = short + " Record Layer: Encrypted Alert"
		a.Label = "Alert Message: Encrypted Alert"
		return
	}
	level := map[uint8]string{1: "Warning", 2: "Fatal"}[body[0]]
	if level == "" {
		level = "Unknown"
	}
	desc, ok := tlsAlertNames[body[1]]
	if !ok {
		desc = "Unknown"
	}
	text := fmt.Sprintf("Alert (Level: %s, Description: %s)", level, desc)
	d.appendInfo(text)
	r.Label = short + " Record Layer: " + text
	a.Add(v.dec("tls.alert_message.level", fmt.Sprintf("Level: %s (%d)", level, body[0]), 0, 1, uint64(body[0]), 8))
	a.Add(v.dec("tls.alert_message.desc", fmt.Sprintf("Description: %s (%d)", desc, body[1]), 1, 1, uint64(body[1]), 8))
}

// heartbeat adds a HeartbeatMessage (RFC 6520 §4); on Wireshark's second
// pass it is read as plaintext.
func (d *tlsDissector) heartbeat(r *Field, body []byte, v tv) {
	h := r.Add(v.none("tls.heartbeat_message", "Heartbeat Message", 0, len(body)))
	if len(body) < 3 {
		d.markMalformed(h, "heartbeat message shorter than 3 bytes")
		return
	}
	typ := map[uint8]string{1: "Request", 2: "Response"}[body[0]]
	if typ == "" {
		d.appendInfo("Encrypted Heartbeat")
		r.Label = tlsVersionShort(d.sess.version) + " Record Layer: Encrypted Heartbeat"
		h.Label = "Encrypted Heartbeat Message"
		return
	}
	d.appendInfo("Heartbeat " + typ)
	r.Label = tlsVersionShort(d.sess.version) + " Record Layer: Heartbeat " + typ
	plen := int(body[1])<<8 | int(body[2])
	h.Add(v.dec("tls.heartbeat_message.type", fmt.Sprintf("Type: %s (%d)", typ, body[0]), 0, 1, uint64(body[0]), 8))
	h.Add(v.dec("tls.heartbeat_message.payload_length", fmt.Sprintf("Payload Length: %d", plen), 1, 2, uint64(plen), 16))
	if 3+plen+16 > len(body) {
		h.Add(v.text(fmt.Sprintf("[Expert Info (Error/Malformed): Invalid heartbeat payload length (%d)]", plen), 1, 2))
		plen = len(body) - 3
	}
	h.Add(v.bytes("tls.heartbeat_message.payload", fmt.Sprintf("Payload (%d byte%s)", plen, plural(plen)), 3, body[3:3+plen]))
	if pad := body[3+plen:]; len(pad) > 0 {
		h.Add(v.bytes("tls.heartbeat_message.padding", fmt.Sprintf("Padding and HMAC (%d byte%s)", len(pad), plural(len(pad))), 3+plen, pad))
	}
}

// markMalformed flags a malformed message under parent, as Wireshark's
// expert info does, and marks the packet ("[Malformed Packet: TLS]").
func (d *tlsDissector) markMalformed(parent *Field, why string) {
	why = strings.TrimPrefix(why, "decode: tls: ")
	parent.Add(&Field{Name: "_ws.expert", Label: "[Expert Info (Error/Malformed): " + why + "]"})
	if d.malformed {
		return
	}
	d.malformed = true
	m := &Field{Name: "_ws.malformed", Label: "[Malformed Packet: TLS]", Kind: KindProtocol}
	m.Add(&Field{Name: "_ws.malformed.expert", Label: "[Expert Info (Error/Malformed): Malformed Packet (" + why + ")]"})
	d.p.Tree = append(d.p.Tree, m)
	appendProtocol(d.p, "_ws.malformed")
}

// showHandshake is tls_show_handshake_details: the Info column, the
// record's label and the handshake item of a message or fragment.
func (d *tlsDissector) showHandshake(r *Field, version uint16, typ uint8, encrypted, first, complete bool, v tv, off, n int) *Field {
	name := "Encrypted Handshake Message"
	if !encrypted {
		if s, ok := tlsHandshakeNames[typ]; ok {
			name = s
		}
	}
	switch {
	case complete:
		d.appendInfo(name)
	case first:
		d.appendInfo("[" + name + " Fragment]")
	}
	short := tlsVersionShort(version)
	if first {
		r.Label = short + " Record Layer: Handshake Protocol: " + name
		if !complete && !encrypted {
			r.Label += " (fragment)"
		}
	} else {
		r.Label = short + " Record Layer: Handshake Protocol: Multiple Handshake Messages"
	}
	label := "Handshake Protocol: " + name
	if !complete && !encrypted {
		label += " (fragment)"
	}
	return r.Add(v.none("tls.handshake", label, off, n))
}

// handshake adds a handshake record (dissect_tls_handshake on the second
// pass): the fragments the fast pass found, or the messages it holds.
func (d *tlsDissector) handshake(r *Field, body []byte, v tv, rec int32, version uint16) {
	frags := d.s.fragsOf(d.call, rec)
	off := 0
	first := true
	if len(frags) > 0 && frags[0].offset != 0 {
		f := frags[0]
		m := d.s.hsMsgs[f.reasm]
		if !f.last {
			d.showHandshake(r, version, f.typ, false, false, false, v, 0, len(body))
			if m.in != 0 {
				r.Add(&Field{Name: "tls.handshake.reassembled_in", Label: fmt.Sprintf("[Reassembled Handshake Message in frame: %d]", m.in), Kind: KindFrameNum, U: uint64(m.in)})
			}
			return
		}
		sub := min(len(m.data)-int(f.offset), len(body))
		name, ok := tlsHandshakeNames[f.typ]
		if !ok {
			name = "Encrypted Handshake Message"
		}
		r.Add(v.none("tls.handshake", "Handshake Protocol: "+name+" (last fragment)", 0, sub))
		off = sub
		d.reassembledHandshake(r, m, version)
		first = false
		frags = frags[1:]
	} else if len(frags) == 0 && encryptedHandshake(body, d.sess.ccsFrame[d.dir], int32(d.n)) {
		d.showHandshake(r, version, 0, true, true, true, v, 0, len(body))
		return
	}
	for off < len(body) {
		rest := body[off:]
		msgLen := handshakeMsgLen(rest)
		if msgLen == 0 || len(rest) < msgLen {
			typ := rest[0]
			if len(frags) > 0 {
				typ = frags[0].typ
			}
			d.showHandshake(r, version, typ, false, first, false, v, off, len(rest))
			if len(frags) > 0 {
				if m := d.s.hsMsgs[frags[0].reasm]; m != nil && m.in != 0 {
					r.Add(&Field{Name: "tls.handshake.reassembled_in", Label: fmt.Sprintf("[Reassembled Handshake Message in frame: %d]", m.in), Kind: KindFrameNum, U: uint64(m.in)})
				}
			}
			return
		}
		d.handshakeMessage(r, rest[:msgLen], tv{src: v.src, base: v.base + off}, first, version)
		off += msgLen
		first = false
	}
}

// reassembledHandshake adds a handshake message reassembled from records,
// as its own data source, with the fragments it came from.
func (d *tlsDissector) reassembledHandshake(r *Field, m *tlsHSMessage, version uint16) {
	d.p.Sources = append(d.p.Sources, DataSource{Name: "Reassembled TLS Handshake", Data: m.data})
	src := len(d.p.Sources) - 1
	var sb strings.Builder
	fmt.Fprintf(&sb, "[%d Reassembled Handshake Fragments (%d bytes): ", len(m.parts), len(m.data))
	for k, p := range m.parts {
		if k > 0 {
			sb.WriteString(", ")
		}
		fmt.Fprintf(&sb, "#%d(%d)", p.frame, p.n)
	}
	sb.WriteString("]")
	t := r.Add(&Field{Name: "tls.handshake.fragments", Label: sb.String(), Kind: KindNone, Source: src, Len: len(m.data)})
	off := 0
	for _, p := range m.parts {
		t.Add(&Field{Name: "tls.handshake.fragment", Label: fmt.Sprintf("[Frame: %d, payload: %d-%d (%d bytes)]", p.frame, off, off+int(p.n)-1, p.n),
			Kind: KindFrameNum, U: uint64(p.frame), Source: src, Start: off, Len: int(p.n)})
		off += int(p.n)
	}
	t.Add(&Field{Name: "tls.handshake.fragment.count", Label: fmt.Sprintf("[Fragment count: %d]", len(m.parts)), Kind: KindUint, U: uint64(len(m.parts)), Bits: 32})
	d.handshakeMessage(r, m.data, tv{src: src}, true, version)
}

// handshakeMessage adds one complete handshake message
// (dissect_tls_handshake_full).
func (d *tlsDissector) handshakeMessage(r *Field, msg []byte, v tv, first bool, version uint16) {
	typ, n, _ := tlsHandshakeHeader(msg)
	_, known := tlsHandshakeNames[typ]
	if !known && !first {
		return
	}
	body := msg[4 : 4+n]
	hrr := false
	shown := typ
	if first && typ == hsServerHello && n > 2 {
		_, hrr = scanServerHello(body)
		if hrr {
			shown = hsHelloRetryRequest
		}
	}
	h := d.showHandshake(r, version, shown, false, first, true, v, 0, len(msg))
	if !known {
		return
	}
	h.Add(v.dec("tls.handshake.type", fmt.Sprintf("Handshake Type: %s (%d)", tlsHandshakeNames[typ], typ), 0, 1, uint64(typ), 8))
	h.Add(v.dec("tls.handshake.length", fmt.Sprintf("Length: %d", n), 1, 3, uint64(n), 32))
	bv := tv{src: v.src, base: v.base + 4}
	var err error
	switch typ {
	case hsClientHello:
		err = d.clientHello(h, body, bv)
	case hsServerHello:
		err = d.serverHello(h, body, bv, hrr)
	case hsNewSessionTicket:
		err = d.newSessionTicket(h, body, bv)
	case hsEncryptedExtensions:
		var exts []tlsExtension
		if exts, err = readExtensions(body, 0); err == nil {
			d.extensions(h, body, exts, 0, bv, hsEncryptedExtensions, false)
		}
	case hsCertificate:
		err = d.certificate(h, body, bv)
	case hsServerKeyExchange:
		err = d.serverKeyExchange(h, body, bv)
	case hsCertificateRequest:
		err = d.certificateRequest(h, body, bv)
	case hsCertificateVerify:
		err = d.certificateVerify(h, body, bv)
	case hsClientKeyExchange:
		err = d.clientKeyExchange(h, body, bv)
	case hsFinished:
		h.Add(bv.none("tls.handshake.verify_data", "Verify Data", 0, len(body)))
	case hsKeyUpdate:
		if len(body) != 1 {
			err = errTLSShort
			break
		}
		name := map[uint8]string{0: "update_not_requested", 1: "update_requested"}[body[0]]
		h.Add(bv.dec("tls.handshake.key_update.request_update", fmt.Sprintf("Key Update Request: %s (%d)", name, body[0]), 0, 1, uint64(body[0]), 8))
	}
	if err != nil {
		d.markMalformed(h, err.Error())
	}
}

// random adds a hello's random; before TLS 1.3 its first four bytes were
// gmt_unix_time (RFC 5246 §7.4.1.2).
func (d *tlsDissector) random(h *Field, random []byte, v tv, off int) {
	f := h.Add(v.bytes("tls.handshake.random", "Random: "+hexLabel(random), off, random))
	if d.sess.version != versionTLS13 {
		t := time.Unix(int64(be32(random)), 0).UTC()
		rt := f.Add(v.field("tls.handshake.random_time", "GMT Unix Time: "+t.Format("Jan _2, 2006 15:04:05.000000000 UTC"), KindTime, off, 4))
		rt.T = t
		f.Add(v.bytes("tls.handshake.random_bytes", "Random Bytes: "+hexLabel(random[4:]), off+4, random[4:]))
	}
}

// sessionID adds legacy_session_id and its length.
func (d *tlsDissector) sessionID(h *Field, sid []byte, v tv, off int) {
	h.Add(v.dec("tls.handshake.session_id_length", fmt.Sprintf("Session ID Length: %d", len(sid)), off, 1, uint64(len(sid)), 8))
	if len(sid) > 0 {
		h.Add(v.bytes("tls.handshake.session_id", "Session ID: "+hexLabel(sid), off+1, sid))
	}
}

func cipherLabel(cs uint16) string {
	return fmt.Sprintf("Cipher Suite: %s (0x%04x)", nameOr(tlsCipherSuiteNames, cs), cs)
}

// compLabel is a compression method's label.
func compLabel(m uint8) string {
	switch {
	case m == 0:
		return "Compression Method: null (0)"
	case m == 1:
		return "Compression Method: DEFLATE (1)"
	case m == 64:
		return "Compression Method: LZS (64)"
	case m < 64:
		return fmt.Sprintf("Compression Method: Unknown (%d)", m)
	case m < 193:
		return fmt.Sprintf("Compression Method: Reserved - to be assigned by IANA (%d)", m)
	}
	return fmt.Sprintf("Compression Method: Private use range (%d)", m)
}

// clientHello adds a ClientHello (RFC 8446 §4.1.2) with its fingerprints.
func (d *tlsDissector) clientHello(h *Field, body []byte, v tv) error {
	m, err := parseClientHello(body)
	if err != nil {
		return err
	}
	h.Add(v.hex("tls.handshake.version", fmt.Sprintf("Version: %s (0x%04x)", tlsVersionName(m.vers), m.vers), 0, 2, uint64(m.vers), 16))
	d.random(h, m.random, v, 2)
	d.sessionID(h, m.sessionID, v, 34)
	n := 2 * len(m.cipherSuites)
	h.Add(v.dec("tls.handshake.cipher_suites_length", fmt.Sprintf("Cipher Suites Length: %d", n), m.cipherOff, 2, uint64(n), 16))
	cs := h.Add(v.none("tls.handshake.ciphersuites", fmt.Sprintf("Cipher Suites (%d suite%s)", n/2, plural(n/2)), m.cipherOff+2, n))
	for i, c := range m.cipherSuites {
		cs.Add(v.hex("tls.handshake.ciphersuite", cipherLabel(c), m.cipherOff+2+2*i, 2, uint64(c), 16))
	}
	nc := len(m.compression)
	h.Add(v.dec("tls.handshake.comp_methods_length", fmt.Sprintf("Compression Methods Length: %d", nc), m.compOff, 1, uint64(nc), 8))
	cm := h.Add(v.none("tls.handshake.comp_methods", fmt.Sprintf("Compression Methods (%d method%s)", nc, plural(nc)), m.compOff+1, nc))
	for i, c := range m.compression {
		cm.Add(v.dec("tls.handshake.comp_method", compLabel(c), m.compOff+1+i, 1, uint64(c), 8))
	}
	if m.hasExtensions {
		d.extensions(h, body, m.extensions, m.extOff, v, hsClientHello, false)
	}
	ja3 := ja3String(m)
	h.Add(&Field{Name: "tls.handshake.ja3_full", Label: "[JA3 Fullstring: " + ja3 + "]", Kind: KindString, S: ja3})
	sum := md5Hex(ja3)
	h.Add(&Field{Name: "tls.handshake.ja3", Label: "[JA3: " + sum + "]", Kind: KindString, S: sum})
	fp := ja4(m)
	h.Add(&Field{Name: "tls.handshake.ja4", Label: "[JA4: " + fp.ja4 + "]", Kind: KindString, S: fp.ja4})
	h.Add(&Field{Name: "tls.handshake.ja4_r", Label: "[JA4_r: " + fp.raw + "]", Kind: KindString, S: fp.raw})
	return nil
}

// serverHello adds a ServerHello or HelloRetryRequest (RFC 8446 §4.1.3,
// §4.1.4).
func (d *tlsDissector) serverHello(h *Field, body []byte, v tv, hrr bool) error {
	m, err := parseServerHello(body)
	if err != nil {
		return err
	}
	d.proto = tlsVersionShort(d.sess.version)
	h.Add(v.hex("tls.handshake.version", fmt.Sprintf("Version: %s (0x%04x)", tlsVersionName(m.vers), m.vers), 0, 2, uint64(m.vers), 16))
	d.random(h, m.random, v, 2)
	d.sessionID(h, m.sessionID, v, 34)
	off := 35 + len(m.sessionID)
	h.Add(v.hex("tls.handshake.ciphersuite", cipherLabel(m.cipherSuite), off, 2, uint64(m.cipherSuite), 16))
	h.Add(v.dec("tls.handshake.comp_method", compLabel(m.compression), off+2, 1, uint64(m.compression), 8))
	if m.hasExtensions {
		d.extensions(h, body, m.extensions, m.extOff, v, hsServerHello, hrr)
	}
	ja3s := ja3sString(m)
	h.Add(&Field{Name: "tls.handshake.ja3s_full", Label: "[JA3S Fullstring: " + ja3s + "]", Kind: KindString, S: ja3s})
	sum := md5Hex(ja3s)
	h.Add(&Field{Name: "tls.handshake.ja3s", Label: "[JA3S: " + sum + "]", Kind: KindString, S: sum})
	return nil
}

// extensions adds an extension list (RFC 8446 §4.2) of message type hs.
func (d *tlsDissector) extensions(h *Field, body []byte, exts []tlsExtension, off int, v tv, hs uint8, hrr bool) {
	n := 0
	if off+2 <= len(body) {
		n = int(body[off])<<8 | int(body[off+1])
	}
	h.Add(v.dec("tls.handshake.extensions_length", fmt.Sprintf("Extensions Length: %d", n), off, 2, uint64(n), 16))
	for _, e := range exts {
		x := h.Add(v.text(fmt.Sprintf("Extension: %s (len=%d)", tlsExtensionName(e.typ), len(e.data)), e.off, 4+len(e.data)))
		x.Add(v.dec("tls.handshake.extension.type", fmt.Sprintf("Type: %s (%d)", tlsExtensionName(e.typ), e.typ), e.off, 2, uint64(e.typ), 16))
		x.Add(v.dec("tls.handshake.extension.len", fmt.Sprintf("Length: %d", len(e.data)), e.off+2, 2, uint64(len(e.data)), 16))
		if !d.extension(x, e, tv{src: v.src, base: v.base + e.off + 4}, hs, hrr) {
			d.markMalformed(x, "extension "+tlsExtensionName(e.typ)+" does not parse")
		}
	}
}

// sigAlgLabel names a SignatureScheme (RFC 8446 §4.2.3), or, for the
// TLS 1.2 pairs it has no name for, its hash and signature.
func sigAlgLabel(a uint16) string {
	if isGREASE(a) {
		return "Reserved (GREASE)"
	}
	if s, ok := tlsSigAlgNames[a]; ok {
		return s
	}
	return sigHashName(uint8(a>>8)) + " " + sigSigName(uint8(a))
}

func sigHashName(h uint8) string {
	if s, ok := map[uint8]string{0: "None", 1: "MD5", 2: "SHA1", 3: "SHA224", 4: "SHA256", 5: "SHA384", 6: "SHA512", 7: "SM3"}[h]; ok {
		return s
	}
	return "Unknown"
}

func sigSigName(s uint8) string {
	if n, ok := map[uint8]string{0: "Anonymous", 1: "RSA", 2: "DSA", 3: "ECDSA", 4: "SM2"}[s]; ok {
		return n
	}
	return "Unknown"
}

// sigAlg adds one signature algorithm with its hash and signature parts.
func sigAlg(parent *Field, v tv, off int, a uint16) {
	f := parent.Add(v.hex("tls.handshake.sig_hash_alg", fmt.Sprintf("Signature Algorithm: %s (0x%04x)", sigAlgLabel(a), a), off, 2, uint64(a), 16))
	f.Add(v.dec("tls.handshake.sig_hash_hash", fmt.Sprintf("Signature Hash Algorithm Hash: %s (%d)", sigHashName(uint8(a>>8)), a>>8), off, 1, uint64(a>>8), 8))
	f.Add(v.dec("tls.handshake.sig_hash_sig", fmt.Sprintf("Signature Hash Algorithm Signature: %s (%d)", sigSigName(uint8(a)), a&0xff), off+1, 1, uint64(a&0xff), 8))
}

// sigAlgList adds a signature_algorithms list with its length.
func sigAlgList(parent *Field, v tv, off int, algs []uint16) {
	n := 2 * len(algs)
	parent.Add(v.dec("tls.handshake.sig_hash_alg_len", fmt.Sprintf("Signature Hash Algorithms Length: %d", n), off, 2, uint64(n), 16))
	l := parent.Add(v.none("tls.handshake.sig_hash_algs", fmt.Sprintf("Signature Hash Algorithms (%d algorithm%s)", len(algs), plural(len(algs))), off+2, n))
	for i, a := range algs {
		sigAlg(l, v, off+2+2*i, a)
	}
}

func groupLabel(g uint16) string { return nameOr(tlsGroupNames, g) }

// extension adds one extension's contents; it reports false when they do
// not parse.
func (d *tlsDissector) extension(x *Field, e tlsExtension, v tv, hs uint8, hrr bool) bool {
	data := e.data
	client := hs == hsClientHello
	if !tlsExtensionDecoded[e.typ] || isGREASE(e.typ) {
		x.Add(v.bytes("tls.handshake.extension.data", "Data: "+hexLabel(data), 0, data))
		if e.typ == extECH {
			return d.ech(x, data, v)
		}
		return true
	}
	switch e.typ {
	case extServerName:
		if len(data) == 0 {
			return true
		}
		names, ok := readServerNames(data)
		if !ok {
			return false
		}
		t := x.Add(v.text("Server Name Indication extension", 0, len(data)))
		t.Add(v.dec("tls.handshake.extensions_server_name_list_len", fmt.Sprintf("Server Name list length: %d", len(data)-2), 0, 2, uint64(len(data)-2), 16))
		off := 2
		for _, n := range names {
			tn := "Unknown"
			if n.typ == 0 {
				tn = "host_name"
			}
			t.Add(v.dec("tls.handshake.extensions_server_name_type", fmt.Sprintf("Server Name Type: %s (%d)", tn, n.typ), off, 1, uint64(n.typ), 8))
			t.Add(v.dec("tls.handshake.extensions_server_name_len", fmt.Sprintf("Server Name length: %d", len(n.name)), off+1, 2, uint64(len(n.name)), 16))
			s := fieldStr(n.name)
			t.Add(v.str("tls.handshake.extensions_server_name", "Server Name: "+s, off+3, len(n.name), s))
			off += 3 + len(n.name)
		}
	case extMaxFragmentLength:
		if len(data) != 1 {
			return false
		}
		name := map[uint8]string{1: "512", 2: "1024", 3: "2048", 4: "4096"}[data[0]]
		x.Add(v.dec("tls.handshake.max_fragment_length", fmt.Sprintf("Maximum Fragment Length: %s (%d)", name, data[0]), 0, 1, uint64(data[0]), 8))
	case extStatusRequest:
		if len(data) == 0 {
			return true
		}
		if len(data) < 5 {
			return false
		}
		name := map[uint8]string{1: "OCSP", 2: "OCSP Multi"}[data[0]]
		x.Add(v.dec("tls.handshake.extensions_status_request_type", fmt.Sprintf("Certificate Status Type: %s (%d)", name, data[0]), 0, 1, uint64(data[0]), 8))
		ids := int(be16(data[1:]))
		if 3+ids+2 > len(data) {
			return false
		}
		x.Add(v.dec("tls.handshake.extensions_status_request_responder_ids_len", fmt.Sprintf("Responder ID list Length: %d", ids), 1, 2, uint64(ids), 16))
		exts := int(be16(data[3+ids:]))
		x.Add(v.dec("tls.handshake.extensions_status_request_exts_len", fmt.Sprintf("Request Extensions Length: %d", exts), 3+ids, 2, uint64(exts), 16))
		return 5+ids+exts == len(data)
	case extSupportedGroups:
		groups, ok := readUint16List(data)
		if !ok {
			return false
		}
		x.Add(v.dec("tls.handshake.extensions_supported_groups_length", fmt.Sprintf("Supported Groups List Length: %d", 2*len(groups)), 0, 2, uint64(2*len(groups)), 16))
		l := x.Add(v.none("tls.handshake.extensions_supported_groups", fmt.Sprintf("Supported Groups (%d group%s)", len(groups), plural(len(groups))), 2, 2*len(groups)))
		for i, g := range groups {
			l.Add(v.hex("tls.handshake.extensions_supported_group", fmt.Sprintf("Supported Group: %s (0x%04x)", groupLabel(g), g), 2+2*i, 2, uint64(g), 16))
		}
	case extECPointFormats:
		formats, ok := readUint8List(data)
		if !ok {
			return false
		}
		x.Add(v.dec("tls.handshake.extensions_ec_point_formats_length", fmt.Sprintf("EC point formats Length: %d", len(formats)), 0, 1, uint64(len(formats)), 8))
		l := x.Add(v.none("tls.handshake.extensions_ec_point_formats", fmt.Sprintf("Elliptic curves point formats (%d)", len(formats)), 1, len(formats)))
		for i, f := range formats {
			name := map[uint8]string{0: "uncompressed", 1: "ansiX962_compressed_prime", 2: "ansiX962_compressed_char2"}[f]
			if name == "" {
				name = "Unknown"
			}
			l.Add(v.dec("tls.handshake.extensions_ec_point_format", fmt.Sprintf("EC point format: %s (%d)", name, f), 1+i, 1, uint64(f), 8))
		}
	case extSignatureAlgorithms, extSignatureAlgsCert, 34: // 34: delegated_credentials (RFC 9345 §4.1.1)
		algs, ok := readUint16List(data)
		if !ok {
			return false
		}
		sigAlgList(x, v, 0, algs)
	case extHeartbeat:
		if len(data) != 1 {
			return false
		}
		name := map[uint8]string{1: "Peer allowed to send requests", 2: "Peer not allowed to send requests"}[data[0]]
		x.Add(v.dec("tls.handshake.extension.heartbeat.mode", fmt.Sprintf("Mode: %s (%d)", name, data[0]), 0, 1, uint64(data[0]), 8))
	case extALPN, 17513: // 17513: application_settings, the same list
		names, ok := readALPN(data)
		if !ok {
			return false
		}
		if e.typ == 17513 {
			x.Add(v.dec("tls.handshake.extensions_alps_len", fmt.Sprintf("ALPS Extension Length: %d", len(data)-2), 0, 2, uint64(len(data)-2), 16))
			l := x.Add(v.none("tls.handshake.extensions_alps_alpn_list", "Supported ALPN List", 2, len(data)-2))
			off := 2
			for _, p := range names {
				s := fieldStr(p)
				l.Add(v.dec("tls.handshake.extensions_alps_alpn_str_len", fmt.Sprintf("Supported ALPN Length: %d", len(p)), off, 1, uint64(len(p)), 8))
				l.Add(v.str("tls.handshake.extensions_alps_alpn_str", "Supported ALPN: "+s, off+1, len(p), s))
				off += 1 + len(p)
			}
			return true
		}
		x.Add(v.dec("tls.handshake.extensions_alpn_len", fmt.Sprintf("ALPN Extension Length: %d", len(data)-2), 0, 2, uint64(len(data)-2), 16))
		l := x.Add(v.none("tls.handshake.extensions_alpn_list", "ALPN Protocol", 2, len(data)-2))
		off := 2
		for _, p := range names {
			s := fieldStr(p)
			l.Add(v.dec("tls.handshake.extensions_alpn_str_len", fmt.Sprintf("ALPN string length: %d", len(p)), off, 1, uint64(len(p)), 8))
			l.Add(v.str("tls.handshake.extensions_alpn_str", "ALPN Next Protocol: "+s, off+1, len(p), s))
			off += 1 + len(p)
		}
	case extSCT:
		if len(data) == 0 {
			return true
		}
		return d.scts(x, data, v)
	case extPadding:
		x.Add(v.bytes("tls.handshake.extensions_padding_data", "Padding Data: "+hexLabel(data), 0, data))
	case extSessionTicket:
		x.Add(v.bytes("tls.handshake.extension.data", fmt.Sprintf("Data (%d byte%s)", len(data), plural(len(data))), 0, data))
	case extCompressCertificate:
		if len(data) < 1 || int(data[0]) != len(data)-1 || len(data)%2 != 1 {
			return false
		}
		x.Add(v.dec("tls.compress_certificate.algorithms_length", fmt.Sprintf("Algorithms Length: %d", data[0]), 0, 1, uint64(data[0]), 8))
		for i := 1; i < len(data); i += 2 {
			a := be16(data[i:])
			name := map[uint16]string{1: "zlib", 2: "brotli", 3: "zstd"}[a]
			if name == "" {
				name = "Unknown"
			}
			x.Add(v.dec("tls.compress_certificate.algorithm", fmt.Sprintf("Algorithm: %s (%d)", name, a), i, 2, uint64(a), 16))
		}
	case extRecordSizeLimit:
		if len(data) != 2 {
			return false
		}
		x.Add(v.dec("tls.record_size_limit", fmt.Sprintf("Record Size Limit: %d", be16(data)), 0, 2, uint64(be16(data)), 16))
	case extPreSharedKey:
		if !client {
			if len(data) != 2 {
				return false
			}
			x.Add(v.dec("tls.handshake.extensions.psk.identity.selected", fmt.Sprintf("Selected Identity: %d", be16(data)), 0, 2, uint64(be16(data)), 16))
			return true
		}
		psk, ok := readOfferedPSKs(data)
		if !ok {
			return false
		}
		t := x.Add(v.text("Pre-Shared Key extension", 0, len(data)))
		t.Add(v.dec("tls.handshake.extensions.psk.identities.length", fmt.Sprintf("Identities Length: %d", psk.identLen), 0, 2, uint64(psk.identLen), 16))
		off := 2
		for _, id := range psk.identities {
			it := t.Add(v.text(fmt.Sprintf("PSK Identity (length: %d)", len(id.identity)), off, 6+len(id.identity)))
			it.Add(v.dec("tls.handshake.extensions.psk.identity.identity_length", fmt.Sprintf("Identity Length: %d", len(id.identity)), off, 2, uint64(len(id.identity)), 16))
			it.Add(v.bytes("tls.handshake.extensions.psk.identity.identity", "Identity: "+hexLabel(id.identity), off+2, id.identity))
			it.Add(v.dec("tls.handshake.extensions.psk.identity.obfuscated_ticket_age", fmt.Sprintf("Obfuscated Ticket Age: %d", id.age), off+2+len(id.identity), 4, uint64(id.age), 32))
			off += 6 + len(id.identity)
		}
		t.Add(v.dec("tls.handshake.extensions.psk.binders_len", fmt.Sprintf("PSK Binders length: %d", psk.bindersLen), off, 2, uint64(psk.bindersLen), 16))
		t.Add(v.none("tls.handshake.extensions.psk.binders", fmt.Sprintf("PSK Binders (%d binder%s)", len(psk.binders), plural(len(psk.binders))), off+2, psk.bindersLen))
	case extEarlyData:
		if hs == hsNewSessionTicket {
			if len(data) != 4 {
				return false
			}
			x.Add(v.dec("tls.early_data.max_early_data_size", fmt.Sprintf("Maximum Early Data Size: %d", be32(data)), 0, 4, uint64(be32(data)), 32))
			return true
		}
		return len(data) == 0
	case extSupportedVersions:
		vs, ok := readSupportedVersions(data, client)
		if !ok {
			return false
		}
		off := 0
		if client {
			x.Add(v.dec("tls.handshake.extensions.supported_versions_len", fmt.Sprintf("Supported Versions length: %d", 2*len(vs)), 0, 1, uint64(2*len(vs)), 8))
			off = 1
		}
		for i, ver := range vs {
			x.Add(v.hex("tls.handshake.extensions.supported_version", fmt.Sprintf("Supported Version: %s (0x%04x)", tlsVersionName(ver), ver), off+2*i, 2, uint64(ver), 16))
		}
	case extCookie:
		if len(data) < 2 || int(be16(data)) != len(data)-2 {
			return false
		}
		x.Add(v.dec("tls.handshake.extensions.cookie_len", fmt.Sprintf("Cookie length: %d", len(data)-2), 0, 2, uint64(len(data)-2), 16))
		x.Add(v.bytes("tls.handshake.extensions.cookie", "Cookie: "+hexLabel(data[2:]), 2, data[2:]))
	case extPSKModes:
		modes, ok := readUint8List(data)
		if !ok {
			return false
		}
		x.Add(v.dec("tls.extension.psk_ke_modes_length", fmt.Sprintf("PSK Key Exchange Modes Length: %d", len(modes)), 0, 1, uint64(len(modes)), 8))
		for i, m := range modes {
			name := map[uint8]string{0: "PSK-only key establishment (psk_ke)", 1: "PSK with (EC)DHE key establishment (psk_dhe_ke)"}[m]
			if name == "" {
				name = "Unknown"
			}
			x.Add(v.dec("tls.extension.psk_ke_mode", fmt.Sprintf("PSK Key Exchange Mode: %s (%d)", name, m), 1+i, 1, uint64(m), 8))
		}
	case extKeyShare:
		return d.keyShare(x, data, v, hs, hrr)
	case extRenegotiationInfo:
		if len(data) < 1 || int(data[0]) != len(data)-1 {
			return false
		}
		t := x.Add(v.text("Renegotiation Info extension", 0, len(data)))
		t.Add(v.dec("tls.handshake.extensions_reneg_info_len", fmt.Sprintf("Renegotiation info extension length: %d", data[0]), 0, 1, uint64(data[0]), 8))
		if data[0] > 0 {
			t.Add(v.bytes("tls.handshake.extensions_reneg_info", "Renegotiation info: "+hexLabel(data[1:]), 1, data[1:]))
		}
	case extNextProtoNeg:
		for off := 0; off < len(data); {
			n := int(data[off])
			if off+1+n > len(data) {
				return false
			}
			s := fieldStr(data[off+1 : off+1+n])
			x.Add(v.dec("tls.handshake.extensions_npn_str_len", fmt.Sprintf("Protocol string length: %d", n), off, 1, uint64(n), 8))
			x.Add(v.str("tls.handshake.extensions_npn", "Next Protocol: "+s, off+1, n, s))
			off += 1 + n
		}
	case extEncryptThenMAC, extExtendedMasterSecret, extPostHandshakeAuth:
		return len(data) == 0
	default:
		// Decoded by Wireshark but not here: the bytes, unnamed.
		if len(data) > 0 {
			x.Add(v.text(fmt.Sprintf("Data (%d byte%s)", len(data), plural(len(data))), 0, len(data)))
		}
	}
	return true
}

// keyShare adds a key_share extension (RFC 8446 §4.2.8).
func (d *tlsDissector) keyShare(x *Field, data []byte, v tv, hs uint8, hrr bool) bool {
	shares, ok := readKeyShares(data, hs, hrr)
	if !ok {
		return false
	}
	if hrr {
		g := shares[0].group
		x.Add(v.dec("tls.handshake.extensions_key_share_selected_group", fmt.Sprintf("Selected Group: %s (%d)", groupLabel(g), g), 0, 2, uint64(g), 16))
		return true
	}
	t := x.Add(v.text("Key Share extension", 0, len(data)))
	off := 0
	if hs == hsClientHello {
		t.Add(v.dec("tls.handshake.extensions_key_share_client_length", fmt.Sprintf("Client Key Share Length: %d", len(data)-2), 0, 2, uint64(len(data)-2), 16))
		off = 2
	}
	for _, s := range shares {
		e := t.Add(v.text(fmt.Sprintf("Key Share Entry: Group: %s, Key Exchange length: %d", groupLabel(s.group), len(s.key)), off, 4+len(s.key)))
		e.Add(v.dec("tls.handshake.extensions_key_share_group", fmt.Sprintf("Group: %s (%d)", groupLabel(s.group), s.group), off, 2, uint64(s.group), 16))
		e.Add(v.dec("tls.handshake.extensions_key_share_key_exchange_length", fmt.Sprintf("Key Exchange Length: %d", len(s.key)), off+2, 2, uint64(len(s.key)), 16))
		e.Add(v.bytes("tls.handshake.extensions_key_share_key_exchange", "Key Exchange: "+hexLabel(s.key), off+4, s.key))
		off += 4 + len(s.key)
	}
	return true
}

// ech adds an encrypted_client_hello extension (RFC 9849 §5); Wireshark
// 4.0 shows only its bytes, later versions these fields.
func (d *tlsDissector) ech(x *Field, data []byte, v tv) bool {
	m, ok := readECH(data)
	if !ok {
		return false
	}
	kind := map[uint8]string{0: "Outer Client Hello", 1: "Inner Client Hello"}[m.typ]
	x.Add(v.dec("tls.ech.client_hello_type", fmt.Sprintf("Client Hello type: %s (%d)", kind, m.typ), 0, 1, uint64(m.typ), 8))
	if m.typ != 0 {
		return true
	}
	x.Add(v.hex("tls.ech.hpke.keyconfig.cipher_suite.kdf_id", fmt.Sprintf("KDF Id: 0x%04x", m.kdf), 1, 2, uint64(m.kdf), 16))
	x.Add(v.hex("tls.ech.hpke.keyconfig.cipher_suite.aead_id", fmt.Sprintf("AEAD Id: 0x%04x", m.aead), 3, 2, uint64(m.aead), 16))
	x.Add(v.dec("tls.ech.config_id", fmt.Sprintf("Config Id: %d", m.configID), 5, 1, uint64(m.configID), 8))
	x.Add(v.bytes("tls.ech.enc", "Enc: "+hexLabel(m.enc), 8, m.enc))
	x.Add(v.bytes("tls.ech.payload", "Payload: "+hexLabel(m.payload), 10+len(m.enc), m.payload))
	return true
}

// scts adds a SignedCertificateTimestampList (RFC 6962 §3.3).
func (d *tlsDissector) scts(x *Field, data []byte, v tv) bool {
	list, ok := readSCTs(data)
	if !ok {
		return false
	}
	x.Add(v.dec("tls.sct.scts_length", fmt.Sprintf("Serialized SCT List Length: %d", len(data)-2), 0, 2, uint64(len(data)-2), 16))
	off := 2
	for _, s := range list {
		t := x.Add(v.text("Signed Certificate Timestamp", off, 2+s.length))
		t.Add(v.dec("tls.sct.sct_length", fmt.Sprintf("Serialized SCT Length: %d", s.length), off, 2, uint64(s.length), 16))
		o := off + 2
		t.Add(v.dec("tls.sct.sct_version", fmt.Sprintf("SCT Version: %d", s.version), o, 1, uint64(s.version), 8))
		t.Add(v.bytes("tls.sct.sct_logid", "Log ID: "+hexLabel(s.logID), o+1, s.logID))
		ts := time.UnixMilli(int64(s.timestamp)).UTC()
		tf := t.Add(v.field("tls.sct.sct_timestamp", "Timestamp: "+ts.Format("Jan _2, 2006 15:04:05.000000000 UTC"), KindTime, o+33, 8))
		tf.T = ts
		t.Add(v.dec("tls.sct.sct_extensions_length", fmt.Sprintf("Extensions length: %d", len(s.exts)), o+41, 2, uint64(len(s.exts)), 16))
		o += 43 + len(s.exts)
		sigAlg(t, v, o, uint16(s.hashAlg)<<8|uint16(s.sigAlg))
		t.Add(v.dec("tls.sct.sct_signature_length", fmt.Sprintf("Signature Length: %d", len(s.sig)), o+2, 2, uint64(len(s.sig)), 16))
		t.Add(v.bytes("tls.sct.sct_signature", "Signature: "+hexLabel(s.sig), o+4, s.sig))
		off += 2 + s.length
	}
	return true
}

// newSessionTicket adds a NewSessionTicket (RFC 5077 §3.3, RFC 8446 §4.6.1).
func (d *tlsDissector) newSessionTicket(h *Field, body []byte, v tv) error {
	tls13 := d.sess.version == versionTLS13
	m, err := parseNewSessionTicket(body, tls13)
	if err != nil {
		return err
	}
	t := h.Add(v.text("TLS Session Ticket", 0, len(body)))
	t.Add(v.dec("tls.handshake.session_ticket_lifetime_hint", fmt.Sprintf("Session Ticket Lifetime Hint: %d second%s%s", m.lifetime, plural(int(m.lifetime)), durationWords(m.lifetime)), 0, 4, uint64(m.lifetime), 32))
	off := 4
	if tls13 {
		t.Add(v.dec("tls.handshake.session_ticket_age_add", fmt.Sprintf("Session Ticket Age Add: %d", m.ageAdd), 4, 4, uint64(m.ageAdd), 32))
		t.Add(v.dec("tls.handshake.session_ticket_nonce_length", fmt.Sprintf("Session Ticket Nonce Length: %d", len(m.nonce)), 8, 1, uint64(len(m.nonce)), 8))
		t.Add(v.bytes("tls.handshake.session_ticket_nonce", "Session Ticket Nonce: "+hexLabel(m.nonce), 9, m.nonce))
		off = 9 + len(m.nonce)
	}
	t.Add(v.dec("tls.handshake.session_ticket_length", fmt.Sprintf("Session Ticket Length: %d", len(m.ticket)), off, 2, uint64(len(m.ticket)), 16))
	t.Add(v.bytes("tls.handshake.session_ticket", "Session Ticket: "+hexLabel(m.ticket), off+2, m.ticket))
	if tls13 {
		d.extensions(t, body, m.exts, m.extOff, v, hsNewSessionTicket, false)
	}
	return nil
}

// durationWords is Wireshark's " (1 day, 4 hours)" after a number of
// seconds.
func durationWords(s uint32) string {
	if s == 0 {
		return ""
	}
	var parts []string
	for _, u := range []struct {
		n    uint32
		name string
	}{{86400, "day"}, {3600, "hour"}, {60, "minute"}, {1, "second"}} {
		if k := s / u.n; k > 0 {
			parts = append(parts, fmt.Sprintf("%d %s%s", k, u.name, plural(int(k))))
			s -= k * u.n
		}
	}
	return " (" + strings.Join(parts, ", ") + ")"
}

// certificate adds a Certificate (RFC 5246 §7.4.2, RFC 8446 §4.4.2), with
// what each X.509 certificate says.
func (d *tlsDissector) certificate(h *Field, body []byte, v tv) error {
	tls13 := d.sess.version == versionTLS13
	m, err := parseCertificate(body, tls13)
	if err != nil {
		return err
	}
	off := 0
	if tls13 {
		h.Add(v.dec("tls.handshake.certificate_request_context_length", fmt.Sprintf("Certificate Request Context Length: %d", len(m.context)), 0, 1, uint64(len(m.context)), 8))
		if len(m.context) > 0 {
			h.Add(v.bytes("tls.handshake.certificate_request_context", "Certificate Request Context: "+hexLabel(m.context), 1, m.context))
		}
		off = 1 + len(m.context)
	}
	total := len(body) - off - 3
	h.Add(v.dec("tls.handshake.certificates_length", fmt.Sprintf("Certificates Length: %d", total), off, 3, uint64(total), 32))
	l := h.Add(v.none("tls.handshake.certificates", fmt.Sprintf("Certificates (%d bytes)", total), off+3, total))
	for i, der := range m.certs {
		o := m.offs[i]
		l.Add(v.dec("tls.handshake.certificate_length", fmt.Sprintf("Certificate Length: %d", len(der)), o, 3, uint64(len(der)), 32))
		c := l.Add(v.bytes("tls.handshake.certificate", "Certificate: "+truncHex(der), o+3, der))
		if !d.lite {
			// What X.509 says is for the tree only, and costs.
			d.certDetails(c, der, v, o+3)
		}
		if tls13 && i < len(m.exts) {
			eo := o + 3 + len(der)
			d.extensions(l, body, m.exts[i], eo, v, hsCertificate, false)
		}
	}
	return nil
}

// oidSCTList is the X.509 extension holding a certificate's signed
// certificate timestamps (RFC 6962 §3.3).
var oidSCTList = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 11129, 2, 4, 2}

// certDetails summarises an X.509 certificate under its field: subject,
// issuer, validity, names and key (RFC 5280 §4.1), and the timestamps of
// an embedded SCT list, which Wireshark dissects as TLS.
func (d *tlsDissector) certDetails(c *Field, der []byte, v tv, off int) {
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		c.Add(v.text("[Certificate does not parse: "+err.Error()+"]", off, len(der)))
		return
	}
	c.Label += " (" + cert.Subject.String() + ")"
	add := func(label string) { c.Add(v.text(label, off, len(der))) }
	add("Serial Number: " + cert.SerialNumber.Text(16))
	add("Signature Algorithm: " + cert.SignatureAlgorithm.String())
	add("Issuer: " + cert.Issuer.String())
	add("Validity: not before " + cert.NotBefore.UTC().Format(time.RFC3339) + ", not after " + cert.NotAfter.UTC().Format(time.RFC3339))
	add("Subject: " + cert.Subject.String())
	var sans []string
	sans = append(sans, cert.DNSNames...)
	for _, ip := range cert.IPAddresses {
		sans = append(sans, ip.String())
	}
	sans = append(sans, cert.EmailAddresses...)
	for _, u := range cert.URIs {
		sans = append(sans, u.String())
	}
	if len(sans) > 0 {
		add("Subject Alternative Names: " + strings.Join(sans, ", "))
	}
	key := cert.PublicKeyAlgorithm.String()
	switch k := cert.PublicKey.(type) {
	case *rsa.PublicKey:
		key += fmt.Sprintf(" %d bits", k.N.BitLen())
	case *ecdsa.PublicKey:
		key += " " + k.Curve.Params().Name
	case ed25519.PublicKey:
		key += " 256 bits"
	}
	add("Public Key: " + key)
	if cert.IsCA {
		add("Basic Constraints: CA")
	}
	for _, e := range cert.Extensions {
		if !e.Id.Equal(oidSCTList) {
			continue
		}
		var list []byte
		if rest, err := asn1.Unmarshal(e.Value, &list); err != nil || len(rest) > 0 {
			continue
		}
		at := bytes.Index(der, list)
		if at < 0 {
			at = 0
		}
		t := c.Add(v.text("SignedCertificateTimestampList", off+at, len(list)))
		appendProtocol(d.p, "tls")
		if !d.scts(t, list, tv{src: v.src, base: v.base + off + at}) {
			// A note, not a malformed packet: the packet list (which
			// skips X.509) must read the same.
			t.Add(v.text("[SCT list does not parse]", off+at, len(list)))
		}
	}
}

// serverKeyExchange adds a ServerKeyExchange (RFC 5246 §7.4.3, RFC 8422
// §5.4), read as the session's cipher suite says.
func (d *tlsDissector) serverKeyExchange(h *Field, body []byte, v tv) error {
	kx := cipherKeyExchange(d.sess.cipher)
	m, err := parseServerKeyExchange(body, kx, d.sess.version >= versionTLS12)
	if err != nil {
		return err
	}
	var t *Field
	if m.hint != nil {
		t = h.Add(v.text("PSK Server Params", 0, len(body)))
		t.Add(v.dec("tls.handshake.hint_len", fmt.Sprintf("Hint Length: %d", len(m.hint)), 0, 2, uint64(len(m.hint)), 16))
		t.Add(v.bytes("tls.handshake.hint", "Hint: "+hexLabel(m.hint), 2, m.hint))
	}
	o := m.paramsOff
	switch kx {
	case kxECDHE, kxECDHEPSK, kxECDHAnon:
		t = h.Add(v.text("EC Diffie-Hellman Server Params", o, len(body)-o))
		name := map[uint8]string{1: "explicit_prime", 2: "explicit_char2", 3: "named_curve"}[m.curveType]
		t.Add(v.hex("tls.handshake.server_curve_type", fmt.Sprintf("Curve Type: %s (0x%02x)", name, m.curveType), o, 1, uint64(m.curveType), 8))
		t.Add(v.hex("tls.handshake.server_named_curve", fmt.Sprintf("Named Curve: %s (0x%04x)", groupLabel(m.curve), m.curve), o+1, 2, uint64(m.curve), 16))
		t.Add(v.dec("tls.handshake.server_point_len", fmt.Sprintf("Pubkey Length: %d", len(m.point)), o+3, 1, uint64(len(m.point)), 8))
		t.Add(v.bytes("tls.handshake.server_point", "Pubkey: "+hexLabel(m.point), o+4, m.point))
	case kxDHE, kxDHEPSK, kxDHAnon:
		t = h.Add(v.text("Diffie-Hellman Server Params", o, len(body)-o))
		for _, p := range []struct {
			name, label string
			b           []byte
		}{{"p", "p", m.p}, {"g", "g", m.g}, {"ys", "Pubkey", m.ys}} {
			t.Add(v.dec("tls.handshake."+p.name+"_len", fmt.Sprintf("%s Length: %d", p.label, len(p.b)), o, 2, uint64(len(p.b)), 16))
			t.Add(v.bytes("tls.handshake."+p.name, p.label+": "+hexLabel(p.b), o+2, p.b))
			o += 2 + len(p.b)
		}
	}
	if m.hasSig && t != nil {
		o := m.sigOff
		if m.hasSigAlg {
			sigAlg(t, v, o, m.sigAlg)
			o += 2
		}
		t.Add(v.dec("tls.handshake.sig_len", fmt.Sprintf("Signature Length: %d", len(m.sig)), o, 2, uint64(len(m.sig)), 16))
		t.Add(v.bytes("tls.handshake.sig", "Signature: "+hexLabel(m.sig), o+2, m.sig))
	}
	return nil
}

// clientKeyExchange adds a ClientKeyExchange (RFC 5246 §7.4.7, RFC 8422
// §5.7).
func (d *tlsDissector) clientKeyExchange(h *Field, body []byte, v tv) error {
	kx := cipherKeyExchange(d.sess.cipher)
	m, err := parseClientKeyExchange(body, kx)
	if err != nil {
		return err
	}
	if m.identity != nil {
		t := h.Add(v.text("PSK Client Params", 0, len(body)))
		t.Add(v.dec("tls.handshake.identity_len", fmt.Sprintf("Identity Length: %d", len(m.identity)), 0, 2, uint64(len(m.identity)), 16))
		t.Add(v.bytes("tls.handshake.identity", "Identity: "+hexLabel(m.identity), 2, m.identity))
	}
	o := m.valOff
	switch kx {
	case kxRSA, kxRSAPSK:
		t := h.Add(v.text("RSA Encrypted PreMaster Secret", o, len(body)-o))
		t.Add(v.dec("tls.handshake.epms_len", fmt.Sprintf("Encrypted PreMaster length: %d", len(m.epms)), o, 2, uint64(len(m.epms)), 16))
		t.Add(v.bytes("tls.handshake.epms", "Encrypted PreMaster: "+hexLabel(m.epms), o+2, m.epms))
	case kxECDHE, kxECDHEPSK, kxECDHAnon:
		t := h.Add(v.text("EC Diffie-Hellman Client Params", o, len(body)-o))
		t.Add(v.dec("tls.handshake.client_point_len", fmt.Sprintf("Pubkey Length: %d", len(m.point)), o, 1, uint64(len(m.point)), 8))
		t.Add(v.bytes("tls.handshake.client_point", "Pubkey: "+hexLabel(m.point), o+1, m.point))
	case kxDHE, kxDHEPSK, kxDHAnon:
		t := h.Add(v.text("Diffie-Hellman Client Params", o, len(body)-o))
		t.Add(v.dec("tls.handshake.yc_len", fmt.Sprintf("Pubkey Length: %d", len(m.yc)), o, 2, uint64(len(m.yc)), 16))
		t.Add(v.bytes("tls.handshake.yc", "Pubkey: "+hexLabel(m.yc), o+2, m.yc))
	}
	return nil
}

// certificateRequest adds a CertificateRequest (RFC 5246 §7.4.4).
func (d *tlsDissector) certificateRequest(h *Field, body []byte, v tv) error {
	if d.sess.version == versionTLS13 {
		// RFC 8446 §4.3.2: a context, then extensions.
		if len(body) < 1 || len(body) < 1+int(body[0]) {
			return errTLSShort
		}
		n := int(body[0])
		h.Add(v.dec("tls.handshake.certificate_request_context_length", fmt.Sprintf("Certificate Request Context Length: %d", n), 0, 1, uint64(n), 8))
		exts, err := readExtensions(body[1+n:], 1+n)
		if err != nil {
			return err
		}
		d.extensions(h, body, exts, 1+n, v, hsCertificateRequest, false)
		return nil
	}
	m, err := parseCertificateRequest(body, d.sess.version >= versionTLS12)
	if err != nil {
		return err
	}
	h.Add(v.dec("tls.handshake.cert_types_count", fmt.Sprintf("Certificate types count: %d", len(m.types)), 0, 1, uint64(len(m.types)), 8))
	ct := h.Add(v.none("tls.handshake.cert_types", fmt.Sprintf("Certificate types (%d type%s)", len(m.types), plural(len(m.types))), 1, len(m.types)))
	for i, t := range m.types {
		name := map[uint8]string{1: "RSA Sign", 2: "DSS Sign", 3: "RSA Fixed DH", 4: "DSS Fixed DH", 21: "GOST R 34.10-94",
			22: "GOST R 34.10-2001", 64: "ECDSA Sign", 65: "RSA Fixed ECDH", 66: "ECDSA Fixed ECDH", 80: "IBC Params"}[t]
		if name == "" {
			name = "Unknown"
		}
		ct.Add(v.dec("tls.handshake.cert_type", fmt.Sprintf("Certificate type: %s (%d)", name, t), 1+i, 1, uint64(t), 8))
	}
	if m.hasAlgs {
		sigAlgList(h, v, m.algsOff, m.sigAlgs)
	}
	o := m.dnameOff
	total := len(body) - o - 2
	h.Add(v.dec("tls.handshake.dnames_len", fmt.Sprintf("Distinguished Names Length: %d", total), o, 2, uint64(total), 16))
	if total > 0 {
		dn := h.Add(v.none("tls.handshake.dnames", fmt.Sprintf("Distinguished Names (%d byte%s)", total, plural(total)), o+2, total))
		o += 2
		for _, name := range m.dnames {
			dn.Add(v.dec("tls.handshake.dname_len", fmt.Sprintf("Distinguished Name Length: %d", len(name)), o, 2, uint64(len(name)), 16))
			dn.Add(v.none("tls.handshake.dname", "Distinguished Name: ("+distinguishedName(name)+")", o+2, len(name)))
			o += 2 + len(name)
		}
	}
	return nil
}

// distinguishedName renders a DER Name (RFC 5280 §4.1.2.4).
func distinguishedName(der []byte) string {
	var rdns pkix.RDNSequence
	if rest, err := asn1.Unmarshal(der, &rdns); err != nil || len(rest) > 0 {
		return truncHex(der)
	}
	var name pkix.Name
	name.FillFromRDNSequence(&rdns)
	return name.String()
}

// certificateVerify adds a CertificateVerify (RFC 5246 §7.4.8, RFC 8446
// §4.4.3).
func (d *tlsDissector) certificateVerify(h *Field, body []byte, v tv) error {
	m, err := parseCertificateVerify(body, d.sess.version >= versionTLS12)
	if err != nil {
		return err
	}
	o := 0
	if m.hasAlg {
		sigAlg(h, v, 0, m.alg)
		o = 2
	}
	h.Add(v.dec("tls.handshake.client_cert_vrfy.sig_len", fmt.Sprintf("Signature length: %d", len(m.sig)), o, 2, uint64(len(m.sig)), 16))
	h.Add(v.bytes("tls.handshake.client_cert_vrfy.sig", "Signature: "+hexLabel(m.sig), o+2, m.sig))
	return nil
}

// sslv2Record adds an SSL 2.0 record (dissect_ssl2_record), of which only
// the CLIENT-HELLO is read (RFC 5246 Appendix E.2).
func (d *tlsDissector) sslv2Record(parent *Field, b []byte, v tv) {
	hl := 3
	if b[0]&0x80 != 0 {
		hl = 2
	}
	length := len(b) - hl
	d.proto = "SSLv2"
	r := parent.Add(v.none("tls.record", "SSLv2 Record Layer", 0, len(b)))
	ver := func() {
		r.Add(&Field{Name: "tls.record.version", Label: "[Version: SSL 2.0 (0x0002)]", Kind: KindUint, Base: BaseHex, Bits: 16, U: versionSSL2, Source: v.src, Start: v.base})
	}
	if length < 1 {
		ver()
		return
	}
	typ := b[hl]
	name, known := sslv2MessageNames[typ]
	if !known || !validV2Handshake(b[hl:], length) {
		r.Label = "SSLv2 Record Layer: Encrypted Data"
		ver()
		d.appendInfo("Encrypted Data")
		return
	}
	d.appendInfo(name)
	r.Label = "SSLv2 Record Layer: " + name
	ver()
	r.Add(v.dec("tls.record.length", fmt.Sprintf("Length: %d", length), 0, hl, uint64(length), 16))
	if hl == 3 {
		r.Add(&Field{Name: "tls.record.is_escape", Label: fmt.Sprintf("Is Escape: %v", b[0]&0x40 != 0), Kind: KindBool, U: uint64(b[0] >> 6 & 1), Source: v.src, Start: v.base, Len: 1})
		r.Add(v.dec("tls.record.padding_length", fmt.Sprintf("Padding Length: %d", b[2]), 2, 1, uint64(b[2]), 8))
	}
	r.Add(v.dec("tls.handshake.type", fmt.Sprintf("Handshake Message Type: %s (%d)", name, typ), hl, 1, uint64(typ), 8))
	if typ != 1 {
		return
	}
	m, err := parseSSLv2ClientHello(b[hl+1:])
	if err != nil {
		d.markMalformed(r, err.Error())
		return
	}
	if tlsVersionName(m.vers) == "Unknown" {
		return
	}
	o := hl + 1
	r.Add(v.hex("tls.handshake.version", fmt.Sprintf("Version: %s (0x%04x)", tlsVersionName(m.vers), m.vers), o, 2, uint64(m.vers), 16))
	r.Add(v.dec("tls.handshake.cipher_spec_len", fmt.Sprintf("Cipher Spec Length: %d", 3*len(m.specs)), o+2, 2, uint64(3*len(m.specs)), 16))
	r.Add(v.dec("tls.handshake.session_id_length", fmt.Sprintf("Session ID Length: %d", len(m.sessionID)), o+4, 2, uint64(len(m.sessionID)), 16))
	r.Add(v.dec("tls.handshake.challenge_length", fmt.Sprintf("Challenge Length: %d", len(m.challenge)), o+6, 2, uint64(len(m.challenge)), 16))
	o += 8
	cs := r.Add(v.none("tls.handshake.ciphersuites", fmt.Sprintf("Cipher Specs (%d spec%s)", len(m.specs), plural(len(m.specs))), o, 3*len(m.specs)))
	for i, s := range m.specs {
		name := "Unknown"
		if s>>16 == 0 {
			name = nameOr(tlsCipherSuiteNames, uint16(s))
		}
		cs.Add(v.hex("tls.handshake.cipherspec", fmt.Sprintf("Cipher Spec: %s (0x%06x)", name, s), o+3*i, 3, uint64(s), 24))
	}
	o += 3 * len(m.specs)
	if len(m.sessionID) > 0 {
		r.Add(v.bytes("tls.handshake.session_id", fmt.Sprintf("Session ID (%d byte%s)", len(m.sessionID), plural(len(m.sessionID))), o, m.sessionID))
		o += len(m.sessionID)
	}
	if len(m.challenge) > 0 {
		r.Add(v.none("tls.handshake.challenge", "Challenge", o, len(m.challenge)))
	}
}

// validV2Handshake is ssl_looks_like_valid_v2_handshake: the clear-text
// messages checked further (b starts at msg_type).
func validV2Handshake(b []byte, length int) bool {
	switch b[0] {
	case 1: // CLIENT-HELLO: a known version follows
		return len(b) >= 3 && tlsVersionName(be16(b[1:])) != "Unknown"
	case 4: // SERVER-HELLO: the version three bytes on
		return len(b) >= 5 && tlsVersionName(be16(b[3:])) != "Unknown"
	case 2: // CLIENT-MASTER-KEY: the key lengths fit
		if len(b) < 10 {
			return false
		}
		return int(be16(b[4:]))+int(be16(b[6:]))+int(be16(b[8:])) <= length
	}
	return false
}
