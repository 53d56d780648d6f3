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

// hexLabel is how a bytes field's label shows its value.
// hexLabelOf is hexLabel as a label argument: made only when the label is
// built.
type hexLabelOf []byte

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
	stream    int
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
	clear     bool // the handshake record being shown was decrypted
	// extra are layers after TLS (the decrypted data no protocol took).
	extra       []*Field
	extraProtos []string
	// The decrypted application data of the frame's records, and the data
	// source of the last.
	appPlain [][]byte
	appSrc   int
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
		tcpNode.Add(p.tree.newNode(Field{Name: "tcp.reassembled_in", Kind: KindFrameNum, U: uint64(in)}, "[Reassembled PDU in frame: %d]", in))
	}
	calls := s.frameCalls(n)
	if len(calls) == 0 {
		if inPDU {
			p.Summary.Info = segmentNote(p.Summary.Info)
		}
		return true
	}
	payload, src, start := tcpPayload(p, tcpNode)
	d := &tlsDissector{s: s, p: p, n: n, stream: stream, sess: &s.sessions[s.streams[stream]-1], info: tcpInfoPrefix(p.Summary.Info), lite: p.lite}
	for _, ci := range calls {
		d.dissectCall(ci, payload, src, start)
	}
	d.setDecryptedPayload()
	p.Tree = append(p.Tree, d.extra...)
	for _, name := range d.extraProtos {
		appendProtocol(p, name)
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
		p.Summary.Info += malformedNote
	}
	return true
}

// segmentNote appends TCP's note for a frame whose data went into a PDU
// completed later; a "[Malformed Packet]" mark stays last.
func segmentNote(info string) string {
	if strings.HasSuffix(info, malformedNote) {
		return strings.TrimSuffix(info, malformedNote) + " [TCP segment of a reassembled PDU]" + malformedNote
	}
	return info + " [TCP segment of a reassembled PDU]"
}

// dissectCall adds the tree of one call.
func (d *tlsDissector) dissectCall(ci int32, payload []byte, src, start int) {
	call := &d.s.calls[ci]
	d.call, d.dir = ci, int(call.dir)
	d.srcPort, d.dstPort = d.sess.port[d.dir&1], d.sess.port[1-d.dir&1]
	var b []byte
	v := d.p.tree.at(src, 0)
	var saved *savedPDU
	if call.flags&tlsCallSaved != 0 {
		saved = d.s.saved[ci]
		b = saved.data
		v = d.p.tree.at(saved.source(d.p), 0)
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
	node := v.field("tls", KindProtocol, 0, len(b), "Transport Layer Security")
	d.p.Tree = append(d.p.Tree, node)
	appendProtocol(d.p, "tls")
	d.proto = tlsVersionShort(d.sess.version)
	if call.flags&tlsCallTruncated != 0 {
		node.Add(d.p.tree.newNode(Field{Name: "_ws.expert"}, "[Record data truncated for memory: %d of %d bytes kept]", len(b), saved.length))
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
			d.sslv2Record(node, rest[:n], v.from(off))
			off += n
			rec++
			continue
		}
		if ver := d.sess.version; ver >= versionTLS10 && ver <= versionTLS12 && !validContentType(rest[0]) {
			node.Add(v.text(off, len(rest), "[Expert Info (Note/Protocol): Ignored Unknown Record]"))
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
				d.truncatedRecord(node, h, rest, v.from(off))
			}
			return
		}
		d.record(node, h, rest[:5+h.length], v.from(off), rec)
		off += 5 + h.length
		rec++
	}
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
func (d *tlsDissector) record(parent *Field, h tlsRecordHeader, b []byte, v place, rec int32) {
	if d.s.keys != nil {
		if r, plain, ok := d.s.openRecord(d.call, rec, h, b[5:]); ok {
			d.decryptedRecord(parent, h, b, v, rec, r, plain)
			return
		}
	}
	version := d.recordVersion(h)
	short := tlsVersionShort(version)
	ctName := tlsContentTypeNames[h.contentType]
	r := parent.Add(v.none("tls.record", 0, len(b), short+" Record Layer: "+ctName+" Protocol"))
	d.recordHeader(r, h, v)
	body := b[5:]
	bv := v.from(5)
	switch h.contentType {
	case tlsChangeCipherSpec:
		if version == versionTLS13 && d.sess.draft > 0 && d.sess.draft < 22 {
			r.Add(v.text(0, 1, "[Expert Info (Error/Protocol): Record type is not allowed in TLS 1.3]"))
			return
		}
		d.changeCipherSpec(r, tlsVersionShort(d.sess.version), body, bv)
	case tlsAlert:
		d.alert(r, body, bv)
	case tlsHandshake:
		d.handshake(r, body, bv, rec, version)
	case tlsApplicationData:
		d.appData(r, short, body, bv)
		if d.s.keys != nil && d.s.keys.Len() > 0 {
			d.undecrypted(r, rec)
		}
	case tlsHeartbeat:
		if version == versionTLS13 {
			r.Add(v.text(0, 1, "[Expert Info (Error/Protocol): Record type is not allowed in TLS 1.3]"))
			return
		}
		d.heartbeat(r, body, bv)
	}
}

// recordHeader adds a record's header: its (opaque) content type, version
// and length.
func (d *tlsDissector) recordHeader(r *Field, h tlsRecordHeader, v place) {
	ctName := tlsContentTypeNames[h.contentType]
	if d.sess.version == versionTLS13 && h.contentType == tlsApplicationData {
		r.Add(v.uint("tls.record.opaque_type", 0, 1, uint64(h.contentType), 8, "Opaque Type: %s (%d)", ctName, h.contentType))
	} else {
		r.Add(v.uint("tls.record.content_type", 0, 1, uint64(h.contentType), 8, "Content Type: %s (%d)", ctName, h.contentType))
	}
	r.Add(v.hex("tls.record.version", 1, 2, uint64(h.version), 16, "Version: %s (0x%04x)", tlsVersionName(h.version), h.version))
	r.Add(v.uint("tls.record.length", 3, 2, uint64(h.length), 16, "Length: %d", h.length))
}

// changeCipherSpec adds a ChangeCipherSpec record's message (body at v).
func (d *tlsDissector) changeCipherSpec(r *Field, short string, body []byte, v place) {
	d.appendInfo("Change Cipher Spec")
	r.Label = short + " Record Layer: Change Cipher Spec Protocol: Change Cipher Spec"
	r.Add(v.none("tls.change_cipher_spec", 0, min(1, len(body)), "Change Cipher Spec Message"))
}

// appData adds an application data record's ciphertext (body, at v) and
// the protocol it is for.
func (d *tlsDissector) appData(r *Field, short string, body []byte, v place) {
	d.appendInfo("Application Data")
	app := d.appName()
	label := app
	if label == "" {
		label = "Application Data"
	}
	r.Label = short + " Record Layer: Application Data Protocol: " + label
	r.Add(v.bytesOf("tls.app_data", 0, body, "Encrypted Application Data: %s", hexLabelOf(body)))
	if app != "" {
		r.Add(d.p.tree.newNode(Field{Name: "tls.app_data_proto", Kind: KindString, S: app}, "[Application Data Protocol: %s]", app))
	}
}

// truncatedRecord shows a record of which the fast pass kept only the
// start (over its memory budget): the header, and what the type says.
func (d *tlsDissector) truncatedRecord(parent *Field, h tlsRecordHeader, b []byte, v place) {
	version := d.recordVersion(h)
	ctName := tlsContentTypeNames[h.contentType]
	r := parent.Add(v.none("tls.record", 0, len(b), tlsVersionShort(version)+" Record Layer: "+ctName+" Protocol"))
	ct := "tls.record.content_type"
	if d.sess.version == versionTLS13 && h.contentType == tlsApplicationData {
		ct = "tls.record.opaque_type"
	}
	r.Add(v.uint(ct, 0, 1, uint64(h.contentType), 8, "Content Type: %s (%d)", ctName, h.contentType))
	r.Add(v.hex("tls.record.version", 1, 2, uint64(h.version), 16, "Version: %s (0x%04x)", tlsVersionName(h.version), h.version))
	r.Add(v.uint("tls.record.length", 3, 2, uint64(h.length), 16, "Length: %d", h.length))
	r.Add(d.p.tree.newNode(Field{Name: "_ws.expert"}, "[Record body not kept (memory budget)]"))
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
func (d *tlsDissector) alert(r *Field, body []byte, v place) {
	a := r.Add(v.none("tls.alert_message", 0, len(body), "Alert Message"))
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
	a.Add(v.uint("tls.alert_message.level", 0, 1, uint64(body[0]), 8, "Level: %s (%d)", level, body[0]))
	a.Add(v.uint("tls.alert_message.desc", 1, 1, uint64(body[1]), 8, "Description: %s (%d)", desc, body[1]))
}

// heartbeat adds a HeartbeatMessage (RFC 6520 §4); on Wireshark's second
// pass it is read as plaintext.
func (d *tlsDissector) heartbeat(r *Field, body []byte, v place) {
	h := r.Add(v.none("tls.heartbeat_message", 0, len(body), "Heartbeat Message"))
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
	h.Add(v.uint("tls.heartbeat_message.type", 0, 1, uint64(body[0]), 8, "Type: %s (%d)", typ, body[0]))
	h.Add(v.uint("tls.heartbeat_message.payload_length", 1, 2, uint64(plen), 16, "Payload Length: %d", plen))
	if 3+plen+16 > len(body) {
		h.Add(v.text(1, 2, "[Expert Info (Error/Malformed): Invalid heartbeat payload length (%d)]", plen))
		plen = len(body) - 3
	}
	h.Add(v.bytesOf("tls.heartbeat_message.payload", 3, body[3:3+plen], "Payload (%d byte%s)", plen, plural(plen)))
	if pad := body[3+plen:]; len(pad) > 0 {
		h.Add(v.bytesOf("tls.heartbeat_message.padding", 3+plen, pad, "Padding and HMAC (%d byte%s)", len(pad), plural(len(pad))))
	}
}

// markMalformed flags a malformed message under parent, as Wireshark's
// expert info does, and marks the packet ("[Malformed Packet: TLS]").
func (d *tlsDissector) markMalformed(parent *Field, why string) {
	why = strings.TrimPrefix(why, "decode: tls: ")
	parent.Add(d.p.tree.newNode(Field{Name: "_ws.expert"}, "[Expert Info (Error/Malformed): %s]", why))
	if d.malformed {
		return
	}
	d.malformed = true
	m := d.p.tree.newNode(Field{Name: "_ws.malformed", Kind: KindProtocol}, "[Malformed Packet: TLS]")
	m.Add(d.p.tree.newNode(Field{Name: "_ws.malformed.expert"}, "[Expert Info (Error/Malformed): Malformed Packet (%s)]", why))
	d.p.Tree = append(d.p.Tree, m)
	appendProtocol(d.p, "_ws.malformed")
}

// showHandshake is tls_show_handshake_details: the Info column, the
// record's label and the handshake item of a message or fragment.
func (d *tlsDissector) showHandshake(r *Field, version uint16, typ uint8, encrypted, first, complete bool, v place, off, n int) *Field {
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
	return r.Add(v.none("tls.handshake", off, n, label))
}

// handshake adds a handshake record (dissect_tls_handshake on the second
// pass): the fragments the fast pass found, or the messages it holds.
func (d *tlsDissector) handshake(r *Field, body []byte, v place, rec int32, version uint16) {
	frags := d.s.fragsOf(d.call, rec)
	off := 0
	first := true
	if len(frags) > 0 && frags[0].offset != 0 {
		f := frags[0]
		m := d.s.hsMsgs[f.reasm]
		if !f.last {
			d.showHandshake(r, version, f.typ, false, false, false, v, 0, len(body))
			if m.in != 0 {
				r.Add(d.p.tree.newNode(Field{Name: "tls.handshake.reassembled_in", Kind: KindFrameNum, U: uint64(m.in)}, "[Reassembled Handshake Message in frame: %d]", m.in))
			}
			return
		}
		sub := min(len(m.data)-int(f.offset), len(body))
		name, ok := tlsHandshakeNames[f.typ]
		if !ok {
			name = "Encrypted Handshake Message"
		}
		r.Add(v.none("tls.handshake", 0, sub, "Handshake Protocol: %s (last fragment)", name))
		off = sub
		d.reassembledHandshake(r, m, version)
		first = false
		frags = frags[1:]
	} else if len(frags) == 0 && !d.clear && encryptedHandshake(body, d.sess.ccsFrame[d.dir], int32(d.n)) {
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
					r.Add(d.p.tree.newNode(Field{Name: "tls.handshake.reassembled_in", Kind: KindFrameNum, U: uint64(m.in)}, "[Reassembled Handshake Message in frame: %d]", m.in))
				}
			}
			return
		}
		d.handshakeMessage(r, rest[:msgLen], v.from(off), first, version)
		off += msgLen
		first = false
	}
}

// reassembledHandshake adds a handshake message reassembled from records,
// as its own data source, with the fragments it came from.
func (d *tlsDissector) reassembledHandshake(r *Field, m *tlsHSMessage, version uint16) {
	d.p.Sources = append(d.p.Sources, DataSource{Name: "Reassembled TLS Handshake", Data: m.data})
	src := len(d.p.Sources) - 1
	label := fragmentLabel("Reassembled Handshake Fragments", int64(len(m.data)), len(m.parts), func(k int) (int32, int32) { return m.parts[k].frame, m.parts[k].n })
	t := r.Add(d.p.tree.newNode(Field{Name: "tls.handshake.fragments", Kind: KindNone, Source: src, Len: len(m.data)}, label))
	off := 0
	for _, p := range m.parts {
		t.Add(d.p.tree.newNode(Field{Name: "tls.handshake.fragment", Kind: KindFrameNum, U: uint64(p.frame), Source: src, Start: off, Len: int(p.n)}, "[Frame: %d, payload: %d-%d (%d bytes)]", p.frame, off, off+int(p.n)-1, p.n))
		off += int(p.n)
	}
	t.Add(d.p.tree.newNode(Field{Name: "tls.handshake.fragment.count", Kind: KindUint, U: uint64(len(m.parts)), Bits: 32}, "[Fragment count: %d]", len(m.parts)))
	d.handshakeMessage(r, m.data, d.p.tree.at(src, 0), true, version)
}

// handshakeMessage adds one complete handshake message
// (dissect_tls_handshake_full).
func (d *tlsDissector) handshakeMessage(r *Field, msg []byte, v place, first bool, version uint16) {
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
	h.Add(v.uint("tls.handshake.type", 0, 1, uint64(typ), 8, "Handshake Type: %s (%d)", tlsHandshakeNames[typ], typ))
	h.Add(v.uint("tls.handshake.length", 1, 3, uint64(n), 24, "Length: %d", n))
	bv := v.from(4)
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
		h.Add(bv.none("tls.handshake.verify_data", 0, len(body), "Verify Data"))
	case hsKeyUpdate:
		if len(body) != 1 {
			err = errTLSShort
			break
		}
		name := map[uint8]string{0: "update_not_requested", 1: "update_requested"}[body[0]]
		h.Add(bv.uint("tls.handshake.key_update.request_update", 0, 1, uint64(body[0]), 8, "Key Update Request: %s (%d)", name, body[0]))
	}
	if err != nil {
		d.markMalformed(h, err.Error())
	}
}

// random adds a hello's random; before TLS 1.3 its first four bytes were
// gmt_unix_time (RFC 5246 §7.4.1.2).
func (d *tlsDissector) random(h *Field, random []byte, v place, off int) {
	f := h.Add(v.bytesOf("tls.handshake.random", off, random, "Random: %s", hexLabelOf(random)))
	if d.sess.version != versionTLS13 {
		t := time.Unix(int64(be32(random)), 0).UTC()
		rt := f.Add(v.field("tls.handshake.random_time", KindTime, off, 4, "GMT Unix Time: %s", t.Format("Jan _2, 2006 15:04:05.000000000 UTC")))
		rt.T = t
		f.Add(v.bytesOf("tls.handshake.random_bytes", off+4, random[4:], "Random Bytes: %s", hexLabelOf(random[4:])))
	}
}

// sessionID adds legacy_session_id and its length.
func (d *tlsDissector) sessionID(h *Field, sid []byte, v place, off int) {
	h.Add(v.uint("tls.handshake.session_id_length", off, 1, uint64(len(sid)), 8, "Session ID Length: %d", len(sid)))
	if len(sid) > 0 {
		h.Add(v.bytesOf("tls.handshake.session_id", off+1, sid, "Session ID: %s", hexLabelOf(sid)))
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
func (d *tlsDissector) clientHello(h *Field, body []byte, v place) error {
	m, err := parseClientHello(body)
	if err != nil {
		return err
	}
	h.Add(v.hex("tls.handshake.version", 0, 2, uint64(m.vers), 16, "Version: %s (0x%04x)", tlsVersionName(m.vers), m.vers))
	d.random(h, m.random, v, 2)
	d.sessionID(h, m.sessionID, v, 34)
	if !d.lite { // (a row: these change no column; the extensions may mark it malformed)
		n := 2 * len(m.cipherSuites)
		h.Add(v.uint("tls.handshake.cipher_suites_length", m.cipherOff, 2, uint64(n), 16, "Cipher Suites Length: %d", n))
		cs := h.Add(v.none("tls.handshake.ciphersuites", m.cipherOff+2, n, "Cipher Suites (%d suite%s)", n/2, plural(n/2)))
		for i, c := range m.cipherSuites {
			cs.Add(v.hex("tls.handshake.ciphersuite", m.cipherOff+2+2*i, 2, uint64(c), 16, cipherLabel(c)))
		}
		nc := len(m.compression)
		h.Add(v.uint("tls.handshake.comp_methods_length", m.compOff, 1, uint64(nc), 8, "Compression Methods Length: %d", nc))
		cm := h.Add(v.none("tls.handshake.comp_methods", m.compOff+1, nc, "Compression Methods (%d method%s)", nc, plural(nc)))
		for i, c := range m.compression {
			cm.Add(v.uint("tls.handshake.comp_method", m.compOff+1+i, 1, uint64(c), 8, compLabel(c)))
		}
	}
	if m.hasExtensions {
		d.extensions(h, body, m.extensions, m.extOff, v, hsClientHello, false)
	}
	if d.lite {
		return nil
	}
	ja3 := ja3String(m)
	h.Add(d.p.tree.newNode(Field{Name: "tls.handshake.ja3_full", Kind: KindString, S: ja3}, "[JA3 Fullstring: %s]", ja3))
	sum := md5Hex(ja3)
	h.Add(d.p.tree.newNode(Field{Name: "tls.handshake.ja3", Kind: KindString, S: sum}, "[JA3: %s]", sum))
	fp := ja4(m)
	h.Add(d.p.tree.newNode(Field{Name: "tls.handshake.ja4", Kind: KindString, S: fp.ja4}, "[JA4: %s]", fp.ja4))
	h.Add(d.p.tree.newNode(Field{Name: "tls.handshake.ja4_r", Kind: KindString, S: fp.raw}, "[JA4_r: %s]", fp.raw))
	return nil
}

// serverHello adds a ServerHello or HelloRetryRequest (RFC 8446 §4.1.3,
// §4.1.4).
func (d *tlsDissector) serverHello(h *Field, body []byte, v place, hrr bool) error {
	m, err := parseServerHello(body)
	if err != nil {
		return err
	}
	d.proto = tlsVersionShort(d.sess.version)
	h.Add(v.hex("tls.handshake.version", 0, 2, uint64(m.vers), 16, "Version: %s (0x%04x)", tlsVersionName(m.vers), m.vers))
	d.random(h, m.random, v, 2)
	d.sessionID(h, m.sessionID, v, 34)
	off := 35 + len(m.sessionID)
	h.Add(v.hex("tls.handshake.ciphersuite", off, 2, uint64(m.cipherSuite), 16, cipherLabel(m.cipherSuite)))
	h.Add(v.uint("tls.handshake.comp_method", off+2, 1, uint64(m.compression), 8, compLabel(m.compression)))
	if m.hasExtensions {
		d.extensions(h, body, m.extensions, m.extOff, v, hsServerHello, hrr)
	}
	ja3s := ja3sString(m)
	h.Add(d.p.tree.newNode(Field{Name: "tls.handshake.ja3s_full", Kind: KindString, S: ja3s}, "[JA3S Fullstring: %s]", ja3s))
	sum := md5Hex(ja3s)
	h.Add(d.p.tree.newNode(Field{Name: "tls.handshake.ja3s", Kind: KindString, S: sum}, "[JA3S: %s]", sum))
	return nil
}

// extensions adds an extension list (RFC 8446 §4.2) of message type hs.
func (d *tlsDissector) extensions(h *Field, body []byte, exts []tlsExtension, off int, v place, hs uint8, hrr bool) {
	n := 0
	if off+2 <= len(body) {
		n = int(body[off])<<8 | int(body[off+1])
	}
	h.Add(v.uint("tls.handshake.extensions_length", off, 2, uint64(n), 16, "Extensions Length: %d", n))
	for _, e := range exts {
		x := h.Add(v.text(e.off, 4+len(e.data), "Extension: %s (len=%d)", tlsExtensionName(e.typ), len(e.data)))
		x.Add(v.uint("tls.handshake.extension.type", e.off, 2, uint64(e.typ), 16, "Type: %s (%d)", tlsExtensionName(e.typ), e.typ))
		x.Add(v.uint("tls.handshake.extension.len", e.off+2, 2, uint64(len(e.data)), 16, "Length: %d", len(e.data)))
		if !d.extension(x, e, v.from(e.off+4), hs, hrr) {
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
func sigAlg(parent *Field, v place, off int, a uint16) {
	f := parent.Add(v.hex("tls.handshake.sig_hash_alg", off, 2, uint64(a), 16, "Signature Algorithm: %s (0x%04x)", sigAlgLabel(a), a))
	f.Add(v.uint("tls.handshake.sig_hash_hash", off, 1, uint64(a>>8), 8, "Signature Hash Algorithm Hash: %s (%d)", sigHashName(uint8(a>>8)), a>>8))
	f.Add(v.uint("tls.handshake.sig_hash_sig", off+1, 1, uint64(a&0xff), 8, "Signature Hash Algorithm Signature: %s (%d)", sigSigName(uint8(a)), a&0xff))
}

// sigAlgList adds a signature_algorithms list with its length.
func sigAlgList(parent *Field, v place, off int, algs []uint16) {
	n := 2 * len(algs)
	parent.Add(v.uint("tls.handshake.sig_hash_alg_len", off, 2, uint64(n), 16, "Signature Hash Algorithms Length: %d", n))
	l := parent.Add(v.none("tls.handshake.sig_hash_algs", off+2, n, "Signature Hash Algorithms (%d algorithm%s)", len(algs), plural(len(algs))))
	for i, a := range algs {
		sigAlg(l, v, off+2+2*i, a)
	}
}

func groupLabel(g uint16) string { return nameOr(tlsGroupNames, g) }

// extension adds one extension's contents; it reports false when they do
// not parse.
func (d *tlsDissector) extension(x *Field, e tlsExtension, v place, hs uint8, hrr bool) bool {
	data := e.data
	client := hs == hsClientHello
	if !tlsExtensionDecoded[e.typ] || isGREASE(e.typ) {
		x.Add(v.bytesOf("tls.handshake.extension.data", 0, data, "Data: %s", hexLabelOf(data)))
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
		t := x.Add(v.text(0, len(data), "Server Name Indication extension"))
		t.Add(v.uint("tls.handshake.extensions_server_name_list_len", 0, 2, uint64(len(data)-2), 16, "Server Name list length: %d", len(data)-2))
		off := 2
		for _, n := range names {
			tn := "Unknown"
			if n.typ == 0 {
				tn = "host_name"
			}
			t.Add(v.uint("tls.handshake.extensions_server_name_type", off, 1, uint64(n.typ), 8, "Server Name Type: %s (%d)", tn, n.typ))
			t.Add(v.uint("tls.handshake.extensions_server_name_len", off+1, 2, uint64(len(n.name)), 16, "Server Name length: %d", len(n.name)))
			s := fieldStr(n.name)
			t.Add(v.str("tls.handshake.extensions_server_name", off+3, len(n.name), s, "Server Name: %s", s))
			off += 3 + len(n.name)
		}
	case extMaxFragmentLength:
		if len(data) != 1 {
			return false
		}
		name := map[uint8]string{1: "512", 2: "1024", 3: "2048", 4: "4096"}[data[0]]
		x.Add(v.uint("tls.handshake.max_fragment_length", 0, 1, uint64(data[0]), 8, "Maximum Fragment Length: %s (%d)", name, data[0]))
	case extStatusRequest:
		if len(data) == 0 {
			return true
		}
		if len(data) < 5 {
			return false
		}
		name := map[uint8]string{1: "OCSP", 2: "OCSP Multi"}[data[0]]
		x.Add(v.uint("tls.handshake.extensions_status_request_type", 0, 1, uint64(data[0]), 8, "Certificate Status Type: %s (%d)", name, data[0]))
		ids := int(be16(data[1:]))
		if 3+ids+2 > len(data) {
			return false
		}
		x.Add(v.uint("tls.handshake.extensions_status_request_responder_ids_len", 1, 2, uint64(ids), 16, "Responder ID list Length: %d", ids))
		exts := int(be16(data[3+ids:]))
		x.Add(v.uint("tls.handshake.extensions_status_request_exts_len", 3+ids, 2, uint64(exts), 16, "Request Extensions Length: %d", exts))
		return 5+ids+exts == len(data)
	case extSupportedGroups:
		groups, ok := readUint16List(data)
		if !ok {
			return false
		}
		x.Add(v.uint("tls.handshake.extensions_supported_groups_length", 0, 2, uint64(2*len(groups)), 16, "Supported Groups List Length: %d", 2*len(groups)))
		l := x.Add(v.none("tls.handshake.extensions_supported_groups", 2, 2*len(groups), "Supported Groups (%d group%s)", len(groups), plural(len(groups))))
		for i, g := range groups {
			l.Add(v.hex("tls.handshake.extensions_supported_group", 2+2*i, 2, uint64(g), 16, "Supported Group: %s (0x%04x)", groupLabel(g), g))
		}
	case extECPointFormats:
		formats, ok := readUint8List(data)
		if !ok {
			return false
		}
		x.Add(v.uint("tls.handshake.extensions_ec_point_formats_length", 0, 1, uint64(len(formats)), 8, "EC point formats Length: %d", len(formats)))
		l := x.Add(v.none("tls.handshake.extensions_ec_point_formats", 1, len(formats), "Elliptic curves point formats (%d)", len(formats)))
		for i, f := range formats {
			name := map[uint8]string{0: "uncompressed", 1: "ansiX962_compressed_prime", 2: "ansiX962_compressed_char2"}[f]
			if name == "" {
				name = "Unknown"
			}
			l.Add(v.uint("tls.handshake.extensions_ec_point_format", 1+i, 1, uint64(f), 8, "EC point format: %s (%d)", name, f))
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
		x.Add(v.uint("tls.handshake.extension.heartbeat.mode", 0, 1, uint64(data[0]), 8, "Mode: %s (%d)", name, data[0]))
	case extALPN, 17513: // 17513: application_settings, the same list
		names, ok := readALPN(data)
		if !ok {
			return false
		}
		if e.typ == 17513 {
			x.Add(v.uint("tls.handshake.extensions_alps_len", 0, 2, uint64(len(data)-2), 16, "ALPS Extension Length: %d", len(data)-2))
			l := x.Add(v.none("tls.handshake.extensions_alps_alpn_list", 2, len(data)-2, "Supported ALPN List"))
			off := 2
			for _, p := range names {
				s := fieldStr(p)
				l.Add(v.uint("tls.handshake.extensions_alps_alpn_str_len", off, 1, uint64(len(p)), 8, "Supported ALPN Length: %d", len(p)))
				l.Add(v.str("tls.handshake.extensions_alps_alpn_str", off+1, len(p), s, "Supported ALPN: %s", s))
				off += 1 + len(p)
			}
			return true
		}
		x.Add(v.uint("tls.handshake.extensions_alpn_len", 0, 2, uint64(len(data)-2), 16, "ALPN Extension Length: %d", len(data)-2))
		l := x.Add(v.none("tls.handshake.extensions_alpn_list", 2, len(data)-2, "ALPN Protocol"))
		off := 2
		for _, p := range names {
			s := fieldStr(p)
			l.Add(v.uint("tls.handshake.extensions_alpn_str_len", off, 1, uint64(len(p)), 8, "ALPN string length: %d", len(p)))
			l.Add(v.str("tls.handshake.extensions_alpn_str", off+1, len(p), s, "ALPN Next Protocol: %s", s))
			off += 1 + len(p)
		}
	case extSCT:
		if len(data) == 0 {
			return true
		}
		return d.scts(x, data, v)
	case extPadding:
		x.Add(v.bytesOf("tls.handshake.extensions_padding_data", 0, data, "Padding Data: %s", hexLabelOf(data)))
	case extSessionTicket:
		x.Add(v.bytesOf("tls.handshake.extension.data", 0, data, "Data (%d byte%s)", len(data), plural(len(data))))
	case extCompressCertificate:
		if len(data) < 1 || int(data[0]) != len(data)-1 || len(data)%2 != 1 {
			return false
		}
		x.Add(v.uint("tls.compress_certificate.algorithms_length", 0, 1, uint64(data[0]), 8, "Algorithms Length: %d", data[0]))
		for i := 1; i < len(data); i += 2 {
			a := be16(data[i:])
			name := map[uint16]string{1: "zlib", 2: "brotli", 3: "zstd"}[a]
			if name == "" {
				name = "Unknown"
			}
			x.Add(v.uint("tls.compress_certificate.algorithm", i, 2, uint64(a), 16, "Algorithm: %s (%d)", name, a))
		}
	case extRecordSizeLimit:
		if len(data) != 2 {
			return false
		}
		x.Add(v.uint("tls.record_size_limit", 0, 2, uint64(be16(data)), 16, "Record Size Limit: %d", be16(data)))
	case extPreSharedKey:
		if !client {
			if len(data) != 2 {
				return false
			}
			// Under a text item, as tshark's tree has it (and its JSON).
			t := x.Add(v.text(0, len(data), "Pre-Shared Key extension"))
			t.Add(v.uint("tls.handshake.extensions.psk.identity.selected", 0, 2, uint64(be16(data)), 16, "Selected Identity: %d", be16(data)))
			return true
		}
		psk, ok := readOfferedPSKs(data)
		if !ok {
			return false
		}
		t := x.Add(v.text(0, len(data), "Pre-Shared Key extension"))
		t.Add(v.uint("tls.handshake.extensions.psk.identities.length", 0, 2, uint64(psk.identLen), 16, "Identities Length: %d", psk.identLen))
		off := 2
		for _, id := range psk.identities {
			it := t.Add(v.text(off, 6+len(id.identity), "PSK Identity (length: %d)", len(id.identity)))
			it.Add(v.uint("tls.handshake.extensions.psk.identity.identity_length", off, 2, uint64(len(id.identity)), 16, "Identity Length: %d", len(id.identity)))
			it.Add(v.bytesOf("tls.handshake.extensions.psk.identity.identity", off+2, id.identity, "Identity: %s", hexLabelOf(id.identity)))
			it.Add(v.uint("tls.handshake.extensions.psk.identity.obfuscated_ticket_age", off+2+len(id.identity), 4, uint64(id.age), 32, "Obfuscated Ticket Age: %d", id.age))
			off += 6 + len(id.identity)
		}
		t.Add(v.uint("tls.handshake.extensions.psk.binders_len", off, 2, uint64(psk.bindersLen), 16, "PSK Binders length: %d", psk.bindersLen))
		t.Add(v.none("tls.handshake.extensions.psk.binders", off+2, psk.bindersLen, "PSK Binders (%d binder%s)", len(psk.binders), plural(len(psk.binders))))
	case extEarlyData:
		if hs == hsNewSessionTicket {
			if len(data) != 4 {
				return false
			}
			x.Add(v.uint("tls.early_data.max_early_data_size", 0, 4, uint64(be32(data)), 32, "Maximum Early Data Size: %d", be32(data)))
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
			x.Add(v.uint("tls.handshake.extensions.supported_versions_len", 0, 1, uint64(2*len(vs)), 8, "Supported Versions length: %d", 2*len(vs)))
			off = 1
		}
		for i, ver := range vs {
			x.Add(v.hex("tls.handshake.extensions.supported_version", off+2*i, 2, uint64(ver), 16, "Supported Version: %s (0x%04x)", tlsVersionName(ver), ver))
		}
	case extCookie:
		if len(data) < 2 || int(be16(data)) != len(data)-2 {
			return false
		}
		x.Add(v.uint("tls.handshake.extensions.cookie_len", 0, 2, uint64(len(data)-2), 16, "Cookie length: %d", len(data)-2))
		x.Add(v.bytesOf("tls.handshake.extensions.cookie", 2, data[2:], "Cookie: %s", hexLabelOf(data[2:])))
	case extPSKModes:
		modes, ok := readUint8List(data)
		if !ok {
			return false
		}
		x.Add(v.uint("tls.extension.psk_ke_modes_length", 0, 1, uint64(len(modes)), 8, "PSK Key Exchange Modes Length: %d", len(modes)))
		for i, m := range modes {
			name := map[uint8]string{0: "PSK-only key establishment (psk_ke)", 1: "PSK with (EC)DHE key establishment (psk_dhe_ke)"}[m]
			if name == "" {
				name = "Unknown"
			}
			x.Add(v.uint("tls.extension.psk_ke_mode", 1+i, 1, uint64(m), 8, "PSK Key Exchange Mode: %s (%d)", name, m))
		}
	case extKeyShare:
		return d.keyShare(x, data, v, hs, hrr)
	case extRenegotiationInfo:
		if len(data) < 1 || int(data[0]) != len(data)-1 {
			return false
		}
		t := x.Add(v.text(0, len(data), "Renegotiation Info extension"))
		t.Add(v.uint("tls.handshake.extensions_reneg_info_len", 0, 1, uint64(data[0]), 8, "Renegotiation info extension length: %d", data[0]))
		if data[0] > 0 {
			t.Add(v.bytesOf("tls.handshake.extensions_reneg_info", 1, data[1:], "Renegotiation info: %s", hexLabelOf(data[1:])))
		}
	case extNextProtoNeg:
		for off := 0; off < len(data); {
			n := int(data[off])
			if off+1+n > len(data) {
				return false
			}
			s := fieldStr(data[off+1 : off+1+n])
			x.Add(v.uint("tls.handshake.extensions_npn_str_len", off, 1, uint64(n), 8, "Protocol string length: %d", n))
			x.Add(v.str("tls.handshake.extensions_npn", off+1, n, s, "Next Protocol: %s", s))
			off += 1 + n
		}
	case extEncryptThenMAC, extExtendedMasterSecret, extPostHandshakeAuth:
		return len(data) == 0
	default:
		// Decoded by Wireshark but not here: the bytes, unnamed.
		if len(data) > 0 {
			x.Add(v.text(0, len(data), "Data (%d byte%s)", len(data), plural(len(data))))
		}
	}
	return true
}

// keyShare adds a key_share extension (RFC 8446 §4.2.8).
func (d *tlsDissector) keyShare(x *Field, data []byte, v place, hs uint8, hrr bool) bool {
	shares, ok := readKeyShares(data, hs, hrr)
	if !ok {
		return false
	}
	if hrr {
		g := shares[0].group
		t := x.Add(v.text(0, len(data), "Key Share extension"))
		t.Add(v.uint("tls.handshake.extensions_key_share_selected_group", 0, 2, uint64(g), 16, "Selected Group: %s (%d)", groupLabel(g), g))
		return true
	}
	t := x.Add(v.text(0, len(data), "Key Share extension"))
	off := 0
	if hs == hsClientHello {
		t.Add(v.uint("tls.handshake.extensions_key_share_client_length", 0, 2, uint64(len(data)-2), 16, "Client Key Share Length: %d", len(data)-2))
		off = 2
	}
	for _, s := range shares {
		gl := groupLabel(s.group)
		if gl == "Unknown" {
			gl = fmt.Sprintf("Unknown (%d)", s.group)
		}
		e := t.Add(v.text(off, 4+len(s.key), "Key Share Entry: Group: %s, Key Exchange length: %d", gl, len(s.key)))
		e.Add(v.uint("tls.handshake.extensions_key_share_group", off, 2, uint64(s.group), 16, "Group: %s (%d)", groupLabel(s.group), s.group))
		e.Add(v.uint("tls.handshake.extensions_key_share_key_exchange_length", off+2, 2, uint64(len(s.key)), 16, "Key Exchange Length: %d", len(s.key)))
		e.Add(v.bytesOf("tls.handshake.extensions_key_share_key_exchange", off+4, s.key, "Key Exchange: %s", hexLabelOf(s.key)))
		off += 4 + len(s.key)
	}
	return true
}

// ech adds an encrypted_client_hello extension (RFC 9849 §5); Wireshark
// 4.0 shows only its bytes, later versions these fields.
func (d *tlsDissector) ech(x *Field, data []byte, v place) bool {
	m, ok := readECH(data)
	if !ok {
		return false
	}
	kind := map[uint8]string{0: "Outer Client Hello", 1: "Inner Client Hello"}[m.typ]
	x.Add(v.uint("tls.ech.client_hello_type", 0, 1, uint64(m.typ), 8, "Client Hello type: %s (%d)", kind, m.typ))
	if m.typ != 0 {
		return true
	}
	x.Add(v.hex("tls.ech.hpke.keyconfig.cipher_suite.kdf_id", 1, 2, uint64(m.kdf), 16, "KDF Id: 0x%04x", m.kdf))
	x.Add(v.hex("tls.ech.hpke.keyconfig.cipher_suite.aead_id", 3, 2, uint64(m.aead), 16, "AEAD Id: 0x%04x", m.aead))
	x.Add(v.uint("tls.ech.config_id", 5, 1, uint64(m.configID), 8, "Config Id: %d", m.configID))
	x.Add(v.bytesOf("tls.ech.enc", 8, m.enc, "Enc: %s", hexLabelOf(m.enc)))
	x.Add(v.bytesOf("tls.ech.payload", 10+len(m.enc), m.payload, "Payload: %s", hexLabelOf(m.payload)))
	return true
}

// scts adds a SignedCertificateTimestampList (RFC 6962 §3.3).
func (d *tlsDissector) scts(x *Field, data []byte, v place) bool {
	list, ok := readSCTs(data)
	if !ok {
		return false
	}
	x.Add(v.uint("tls.sct.scts_length", 0, 2, uint64(len(data)-2), 16, "Serialized SCT List Length: %d", len(data)-2))
	off := 2
	for _, s := range list {
		t := x.Add(v.text(off, 2+s.length, "Signed Certificate Timestamp"))
		t.Add(v.uint("tls.sct.sct_length", off, 2, uint64(s.length), 16, "Serialized SCT Length: %d", s.length))
		o := off + 2
		t.Add(v.uint("tls.sct.sct_version", o, 1, uint64(s.version), 8, "SCT Version: %d", s.version))
		t.Add(v.bytesOf("tls.sct.sct_logid", o+1, s.logID, "Log ID: %s", hexLabelOf(s.logID)))
		ts := time.UnixMilli(int64(s.timestamp)).UTC()
		tf := t.Add(v.field("tls.sct.sct_timestamp", KindTime, o+33, 8, "Timestamp: %s", ts.Format("Jan _2, 2006 15:04:05.000000000 UTC")))
		tf.T = ts
		t.Add(v.uint("tls.sct.sct_extensions_length", o+41, 2, uint64(len(s.exts)), 16, "Extensions length: %d", len(s.exts)))
		o += 43 + len(s.exts)
		sigAlg(t, v, o, uint16(s.hashAlg)<<8|uint16(s.sigAlg))
		t.Add(v.uint("tls.sct.sct_signature_length", o+2, 2, uint64(len(s.sig)), 16, "Signature Length: %d", len(s.sig)))
		t.Add(v.bytesOf("tls.sct.sct_signature", o+4, s.sig, "Signature: %s", hexLabelOf(s.sig)))
		off += 2 + s.length
	}
	return true
}

// newSessionTicket adds a NewSessionTicket (RFC 5077 §3.3, RFC 8446 §4.6.1).
func (d *tlsDissector) newSessionTicket(h *Field, body []byte, v place) error {
	tls13 := d.sess.version == versionTLS13
	m, err := parseNewSessionTicket(body, tls13)
	if err != nil {
		return err
	}
	t := h.Add(v.text(0, len(body), "TLS Session Ticket"))
	t.Add(v.uint("tls.handshake.session_ticket_lifetime_hint", 0, 4, uint64(m.lifetime), 32, "Session Ticket Lifetime Hint: %d second%s%s", m.lifetime, plural(int(m.lifetime)), durationWords(m.lifetime)))
	off := 4
	if tls13 {
		t.Add(v.uint("tls.handshake.session_ticket_age_add", 4, 4, uint64(m.ageAdd), 32, "Session Ticket Age Add: %d", m.ageAdd))
		t.Add(v.uint("tls.handshake.session_ticket_nonce_length", 8, 1, uint64(len(m.nonce)), 8, "Session Ticket Nonce Length: %d", len(m.nonce)))
		t.Add(v.bytesOf("tls.handshake.session_ticket_nonce", 9, m.nonce, "Session Ticket Nonce: %s", hexLabelOf(m.nonce)))
		off = 9 + len(m.nonce)
	}
	t.Add(v.uint("tls.handshake.session_ticket_length", off, 2, uint64(len(m.ticket)), 16, "Session Ticket Length: %d", len(m.ticket)))
	t.Add(v.bytesOf("tls.handshake.session_ticket", off+2, m.ticket, "Session Ticket: %s", hexLabelOf(m.ticket)))
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
func (d *tlsDissector) certificate(h *Field, body []byte, v place) error {
	tls13 := d.sess.version == versionTLS13
	m, err := parseCertificate(body, tls13)
	if err != nil {
		return err
	}
	off := 0
	if tls13 {
		h.Add(v.uint("tls.handshake.certificate_request_context_length", 0, 1, uint64(len(m.context)), 8, "Certificate Request Context Length: %d", len(m.context)))
		if len(m.context) > 0 {
			h.Add(v.bytesOf("tls.handshake.certificate_request_context", 1, m.context, "Certificate Request Context: %s", hexLabelOf(m.context)))
		}
		off = 1 + len(m.context)
	}
	total := len(body) - off - 3
	h.Add(v.uint("tls.handshake.certificates_length", off, 3, uint64(total), 32, "Certificates Length: %d", total))
	l := h.Add(v.none("tls.handshake.certificates", off+3, total, "Certificates (%d bytes)", total))
	for i, der := range m.certs {
		o := m.offs[i]
		l.Add(v.uint("tls.handshake.certificate_length", o, 3, uint64(len(der)), 32, "Certificate Length: %d", len(der)))
		c := l.Add(v.bytesOf("tls.handshake.certificate", o+3, der, "Certificate: %s", truncHexOf(der)))
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
func (d *tlsDissector) certDetails(c *Field, der []byte, v place, off int) {
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		c.Add(v.text(off, len(der), "[Certificate does not parse: %s]", err.Error()))
		return
	}
	c.Label += " (" + cert.Subject.String() + ")"
	add := func(label string) { c.Add(v.text(off, len(der), label)) }
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
		t := c.Add(v.text(off+at, len(list), "SignedCertificateTimestampList"))
		appendProtocol(d.p, "tls")
		if !d.scts(t, list, v.from(off+at)) {
			// A note, not a malformed packet: the packet list (which
			// skips X.509) must read the same.
			t.Add(v.text(off+at, len(list), "[SCT list does not parse]"))
		}
	}
}

// serverKeyExchange adds a ServerKeyExchange (RFC 5246 §7.4.3, RFC 8422
// §5.4), read as the session's cipher suite says.
func (d *tlsDissector) serverKeyExchange(h *Field, body []byte, v place) error {
	kx := cipherKeyExchange(d.sess.cipher)
	m, err := parseServerKeyExchange(body, kx, d.sess.version >= versionTLS12)
	if err != nil {
		return err
	}
	var t *Field
	if m.hint != nil {
		t = h.Add(v.text(0, len(body), "PSK Server Params"))
		t.Add(v.uint("tls.handshake.hint_len", 0, 2, uint64(len(m.hint)), 16, "Hint Length: %d", len(m.hint)))
		t.Add(v.bytesOf("tls.handshake.hint", 2, m.hint, "Hint: %s", hexLabelOf(m.hint)))
	}
	o := m.paramsOff
	switch kx {
	case kxECDHE, kxECDHEPSK, kxECDHAnon:
		t = h.Add(v.text(o, len(body)-o, "EC Diffie-Hellman Server Params"))
		name := map[uint8]string{1: "explicit_prime", 2: "explicit_char2", 3: "named_curve"}[m.curveType]
		t.Add(v.hex("tls.handshake.server_curve_type", o, 1, uint64(m.curveType), 8, "Curve Type: %s (0x%02x)", name, m.curveType))
		t.Add(v.hex("tls.handshake.server_named_curve", o+1, 2, uint64(m.curve), 16, "Named Curve: %s (0x%04x)", groupLabel(m.curve), m.curve))
		t.Add(v.uint("tls.handshake.server_point_len", o+3, 1, uint64(len(m.point)), 8, "Pubkey Length: %d", len(m.point)))
		t.Add(v.bytesOf("tls.handshake.server_point", o+4, m.point, "Pubkey: %s", hexLabelOf(m.point)))
	case kxDHE, kxDHEPSK, kxDHAnon:
		t = h.Add(v.text(o, len(body)-o, "Diffie-Hellman Server Params"))
		for _, p := range []struct {
			name, label string
			b           []byte
		}{{"p", "p", m.p}, {"g", "g", m.g}, {"ys", "Pubkey", m.ys}} {
			t.Add(v.uint("tls.handshake."+p.name+"_len", o, 2, uint64(len(p.b)), 16, "%s Length: %d", p.label, len(p.b)))
			t.Add(v.bytesOf("tls.handshake."+p.name, o+2, p.b, p.label+": "+hexLabel(p.b)))
			o += 2 + len(p.b)
		}
	}
	if m.hasSig && t != nil {
		o := m.sigOff
		if m.hasSigAlg {
			sigAlg(t, v, o, m.sigAlg)
			o += 2
		}
		t.Add(v.uint("tls.handshake.sig_len", o, 2, uint64(len(m.sig)), 16, "Signature Length: %d", len(m.sig)))
		t.Add(v.bytesOf("tls.handshake.sig", o+2, m.sig, "Signature: %s", hexLabelOf(m.sig)))
	}
	return nil
}

// clientKeyExchange adds a ClientKeyExchange (RFC 5246 §7.4.7, RFC 8422
// §5.7).
func (d *tlsDissector) clientKeyExchange(h *Field, body []byte, v place) error {
	kx := cipherKeyExchange(d.sess.cipher)
	m, err := parseClientKeyExchange(body, kx)
	if err != nil {
		return err
	}
	if m.identity != nil {
		t := h.Add(v.text(0, len(body), "PSK Client Params"))
		t.Add(v.uint("tls.handshake.identity_len", 0, 2, uint64(len(m.identity)), 16, "Identity Length: %d", len(m.identity)))
		t.Add(v.bytesOf("tls.handshake.identity", 2, m.identity, "Identity: %s", hexLabelOf(m.identity)))
	}
	o := m.valOff
	switch kx {
	case kxRSA, kxRSAPSK:
		t := h.Add(v.text(o, len(body)-o, "RSA Encrypted PreMaster Secret"))
		t.Add(v.uint("tls.handshake.epms_len", o, 2, uint64(len(m.epms)), 16, "Encrypted PreMaster length: %d", len(m.epms)))
		t.Add(v.bytesOf("tls.handshake.epms", o+2, m.epms, "Encrypted PreMaster: %s", hexLabelOf(m.epms)))
	case kxECDHE, kxECDHEPSK, kxECDHAnon:
		t := h.Add(v.text(o, len(body)-o, "EC Diffie-Hellman Client Params"))
		t.Add(v.uint("tls.handshake.client_point_len", o, 1, uint64(len(m.point)), 8, "Pubkey Length: %d", len(m.point)))
		t.Add(v.bytesOf("tls.handshake.client_point", o+1, m.point, "Pubkey: %s", hexLabelOf(m.point)))
	case kxDHE, kxDHEPSK, kxDHAnon:
		t := h.Add(v.text(o, len(body)-o, "Diffie-Hellman Client Params"))
		t.Add(v.uint("tls.handshake.yc_len", o, 2, uint64(len(m.yc)), 16, "Pubkey Length: %d", len(m.yc)))
		t.Add(v.bytesOf("tls.handshake.yc", o+2, m.yc, "Pubkey: %s", hexLabelOf(m.yc)))
	}
	return nil
}

// certificateRequest adds a CertificateRequest (RFC 5246 §7.4.4).
func (d *tlsDissector) certificateRequest(h *Field, body []byte, v place) error {
	if d.sess.version == versionTLS13 {
		// RFC 8446 §4.3.2: a context, then extensions.
		if len(body) < 1 || len(body) < 1+int(body[0]) {
			return errTLSShort
		}
		n := int(body[0])
		h.Add(v.uint("tls.handshake.certificate_request_context_length", 0, 1, uint64(n), 8, "Certificate Request Context Length: %d", n))
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
	h.Add(v.uint("tls.handshake.cert_types_count", 0, 1, uint64(len(m.types)), 8, "Certificate types count: %d", len(m.types)))
	ct := h.Add(v.none("tls.handshake.cert_types", 1, len(m.types), "Certificate types (%d type%s)", len(m.types), plural(len(m.types))))
	for i, t := range m.types {
		name := map[uint8]string{1: "RSA Sign", 2: "DSS Sign", 3: "RSA Fixed DH", 4: "DSS Fixed DH", 21: "GOST R 34.10-94",
			22: "GOST R 34.10-2001", 64: "ECDSA Sign", 65: "RSA Fixed ECDH", 66: "ECDSA Fixed ECDH", 80: "IBC Params"}[t]
		if name == "" {
			name = "Unknown"
		}
		ct.Add(v.uint("tls.handshake.cert_type", 1+i, 1, uint64(t), 8, "Certificate type: %s (%d)", name, t))
	}
	if m.hasAlgs {
		sigAlgList(h, v, m.algsOff, m.sigAlgs)
	}
	o := m.dnameOff
	total := len(body) - o - 2
	h.Add(v.uint("tls.handshake.dnames_len", o, 2, uint64(total), 16, "Distinguished Names Length: %d", total))
	if total > 0 {
		dn := h.Add(v.none("tls.handshake.dnames", o+2, total, "Distinguished Names (%d byte%s)", total, plural(total)))
		o += 2
		for _, name := range m.dnames {
			dn.Add(v.uint("tls.handshake.dname_len", o, 2, uint64(len(name)), 16, "Distinguished Name Length: %d", len(name)))
			dn.Add(v.none("tls.handshake.dname", o+2, len(name), "Distinguished Name: (%s)", distinguishedName(name)))
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
func (d *tlsDissector) certificateVerify(h *Field, body []byte, v place) error {
	m, err := parseCertificateVerify(body, d.sess.version >= versionTLS12)
	if err != nil {
		return err
	}
	o := 0
	if m.hasAlg {
		sigAlg(h, v, 0, m.alg)
		o = 2
	}
	h.Add(v.uint("tls.handshake.client_cert_vrfy.sig_len", o, 2, uint64(len(m.sig)), 16, "Signature length: %d", len(m.sig)))
	h.Add(v.bytesOf("tls.handshake.client_cert_vrfy.sig", o+2, m.sig, "Signature: %s", hexLabelOf(m.sig)))
	return nil
}

// sslv2Record adds an SSL 2.0 record (dissect_ssl2_record), of which only
// the CLIENT-HELLO is read (RFC 5246 Appendix E.2).
func (d *tlsDissector) sslv2Record(parent *Field, b []byte, v place) {
	hl := 3
	if b[0]&0x80 != 0 {
		hl = 2
	}
	length := len(b) - hl
	d.proto = "SSLv2"
	r := parent.Add(v.none("tls.record", 0, len(b), "SSLv2 Record Layer"))
	ver := func() {
		r.Add(d.p.tree.newNode(Field{Name: "tls.record.version", Kind: KindUint, Base: BaseHex, Bits: 16, U: versionSSL2, Source: v.src, Start: v.base}, "[Version: SSL 2.0 (0x0002)]"))
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
	r.Add(v.uint("tls.record.length", 0, hl, uint64(length), 16, "Length: %d", length))
	if hl == 3 {
		r.Add(d.p.tree.newNode(Field{Name: "tls.record.is_escape", Kind: KindBool, U: uint64(b[0] >> 6 & 1), Source: v.src, Start: v.base, Len: 1}, "Is Escape: %v", b[0]&0x40 != 0))
		r.Add(v.uint("tls.record.padding_length", 2, 1, uint64(b[2]), 8, "Padding Length: %d", b[2]))
	}
	r.Add(v.uint("tls.handshake.type", hl, 1, uint64(typ), 8, "Handshake Message Type: %s (%d)", name, typ))
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
	r.Add(v.hex("tls.handshake.version", o, 2, uint64(m.vers), 16, "Version: %s (0x%04x)", tlsVersionName(m.vers), m.vers))
	r.Add(v.uint("tls.handshake.cipher_spec_len", o+2, 2, uint64(3*len(m.specs)), 16, "Cipher Spec Length: %d", 3*len(m.specs)))
	r.Add(v.uint("tls.handshake.session_id_length", o+4, 2, uint64(len(m.sessionID)), 16, "Session ID Length: %d", len(m.sessionID)))
	r.Add(v.uint("tls.handshake.challenge_length", o+6, 2, uint64(len(m.challenge)), 16, "Challenge Length: %d", len(m.challenge)))
	o += 8
	cs := r.Add(v.none("tls.handshake.ciphersuites", o, 3*len(m.specs), "Cipher Specs (%d spec%s)", len(m.specs), plural(len(m.specs))))
	for i, s := range m.specs {
		name := "Unknown"
		if s>>16 == 0 {
			name = nameOr(tlsCipherSuiteNames, uint16(s))
		}
		cs.Add(v.hex("tls.handshake.cipherspec", o+3*i, 3, uint64(s), 24, "Cipher Spec: %s (0x%06x)", name, s))
	}
	o += 3 * len(m.specs)
	if len(m.sessionID) > 0 {
		r.Add(v.bytesOf("tls.handshake.session_id", o, m.sessionID, "Session ID (%d byte%s)", len(m.sessionID), plural(len(m.sessionID))))
		o += len(m.sessionID)
	}
	if len(m.challenge) > 0 {
		r.Add(v.none("tls.handshake.challenge", o, len(m.challenge), "Challenge"))
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
