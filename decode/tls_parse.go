package decode

// TLS and SSL as a passive observer reads them: the record layer, handshake
// framing and the handshake messages sent in the clear, parsed from bytes
// alone (no I/O, no state). Each parser checks every length against what
// is there, after crypto/tls's handshake_messages.go, and reports a
// malformed message with an error instead of panicking; what a message
// holds is returned with the offsets the tree needs.
//
// References: RFC 8446 (TLS 1.3), RFC 5246 (TLS 1.2), RFC 6101 (SSL 3.0,
// with the SSL 2.0-compatible ClientHello of RFC 5246 Appendix E.2), and
// the RFCs of each extension, cited where they are parsed.

import (
	"errors"
	"fmt"

	"golang.org/x/crypto/cryptobyte"
)

// Record content types: RFC 8446 §5.1, RFC 6520 §3 (heartbeat), RFC 9146
// §4 (tls12_cid).
const (
	tlsChangeCipherSpec = 20
	tlsAlert            = 21
	tlsHandshake        = 22
	tlsApplicationData  = 23
	tlsHeartbeat        = 24
	tlsCID              = 25
)

// Protocol versions: RFC 8446 §4.2.1, RFC 5246 §6.2.1, RFC 6101 §5.2.1.
const (
	versionSSL2  = 0x0002
	versionSSL3  = 0x0300
	versionTLS10 = 0x0301
	versionTLS11 = 0x0302
	versionTLS12 = 0x0303
	versionTLS13 = 0x0304
)

// Handshake message types: RFC 8446 §4 and Appendix B.3, RFC 5246 §7.4,
// RFC 5077 §3.3, RFC 6066 §5 and §8, RFC 4680 §3, RFC 8879 §4.
const (
	hsHelloRequest          = 0
	hsClientHello           = 1
	hsServerHello           = 2
	hsHelloVerifyRequest    = 3
	hsNewSessionTicket      = 4
	hsEndOfEarlyData        = 5
	hsHelloRetryRequest     = 6
	hsEncryptedExtensions   = 8
	hsCertificate           = 11
	hsServerKeyExchange     = 12
	hsCertificateRequest    = 13
	hsServerHelloDone       = 14
	hsCertificateVerify     = 15
	hsClientKeyExchange     = 16
	hsFinished              = 20
	hsCertificateURL        = 21
	hsCertificateStatus     = 22
	hsSupplementalData      = 23
	hsKeyUpdate             = 24
	hsCompressedCertificate = 25
	hsNextProtocol          = 67 // draft-agl-tls-nextprotoneg
)

// Extension types: IANA TLS ExtensionType Values, with the RFC of each.
const (
	extServerName           = 0     // RFC 6066 §3
	extMaxFragmentLength    = 1     // RFC 6066 §4
	extStatusRequest        = 5     // RFC 6066 §8
	extSupportedGroups      = 10    // RFC 8446 §4.2.7
	extECPointFormats       = 11    // RFC 8422 §5.1.2
	extSignatureAlgorithms  = 13    // RFC 8446 §4.2.3
	extHeartbeat            = 15    // RFC 6520 §2
	extALPN                 = 16    // RFC 7301 §3.1
	extSCT                  = 18    // RFC 6962 §3.3.1
	extPadding              = 21    // RFC 7685 §3
	extEncryptThenMAC       = 22    // RFC 7366 §2
	extExtendedMasterSecret = 23    // RFC 7627 §5.1
	extCompressCertificate  = 27    // RFC 8879 §3
	extRecordSizeLimit      = 28    // RFC 8449 §4
	extSessionTicket        = 35    // RFC 5077 §3.2
	extPreSharedKey         = 41    // RFC 8446 §4.2.11
	extEarlyData            = 42    // RFC 8446 §4.2.10
	extSupportedVersions    = 43    // RFC 8446 §4.2.1
	extCookie               = 44    // RFC 8446 §4.2.2
	extPSKModes             = 45    // RFC 8446 §4.2.9
	extPostHandshakeAuth    = 49    // RFC 8446 §4.2.6
	extSignatureAlgsCert    = 50    // RFC 8446 §4.2.3
	extKeyShare             = 51    // RFC 8446 §4.2.8
	extNextProtoNeg         = 13172 // draft-agl-tls-nextprotoneg-04
	extECH                  = 0xfe0d
	extRenegotiationInfo    = 0xff01 // RFC 5746 §3.2
)

// isGREASE reports whether v is one of the reserved GREASE values of
// RFC 8701 §2 (0x0a0a, 0x1a1a, … 0xfafa), which a client sends to keep
// servers tolerant and every fingerprint must ignore.
func isGREASE(v uint16) bool {
	return v&0x0f0f == 0x0a0a && v>>8 == v&0xff
}

// helloRetryRandom is the ServerHello.random of a HelloRetryRequest,
// SHA-256("HelloRetryRequest"): RFC 8446 §4.1.3.
var helloRetryRandom = []byte{
	0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
	0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
}

var errTLSShort = errors.New("decode: tls: message shorter than its lengths say")

// tlsRecordHeader is TLSPlaintext without its fragment: RFC 8446 §5.1,
// RFC 5246 §6.2.1.
type tlsRecordHeader struct {
	contentType uint8
	version     uint16
	length      int
}

// parseRecordHeader reads the five bytes that start a record.
func parseRecordHeader(b []byte) (tlsRecordHeader, bool) {
	if len(b) < 5 {
		return tlsRecordHeader{}, false
	}
	return tlsRecordHeader{contentType: b[0], version: uint16(b[1])<<8 | uint16(b[2]), length: int(b[3])<<8 | int(b[4])}, true
}

// validContentType is ssl_is_valid_content_type: the record types a
// record layer may carry.
func validContentType(t uint8) bool {
	return t >= tlsChangeCipherSpec && t <= tlsCID
}

// validHandshakeType is ssl_is_valid_handshake_type for TLS (not DTLS).
func validHandshakeType(t uint8) bool {
	switch t {
	case hsHelloRequest, hsClientHello, hsServerHello, hsNewSessionTicket, hsEndOfEarlyData, hsHelloRetryRequest,
		hsEncryptedExtensions, hsCertificate, hsServerKeyExchange, hsCertificateRequest, hsServerHelloDone,
		hsCertificateVerify, hsClientKeyExchange, hsFinished, hsCertificateURL, hsCertificateStatus,
		hsSupplementalData, hsKeyUpdate, hsCompressedCertificate, hsNextProtocol:
		return true
	}
	return false
}

// looksLikeTLSRecord is Wireshark's TLS heuristic on the first bytes of a
// conversation (is_sslv3_or_tls): a handshake or application-data record
// header with a version of SSL 3.0 to TLS 1.2 (TLS 1.3 records say 1.2,
// RFC 8446 §5.1) and a length a record may have (RFC 8446 §5.2: 2^14 +
// 256; RFC 5246 §6.2.3: 2^14 + 2048).
func looksLikeTLSRecord(b []byte) bool {
	if len(b) < 5 || (b[0] != tlsHandshake && b[0] != tlsApplicationData) || b[1] != 3 || b[2] > 3 {
		return false
	}
	n := int(b[3])<<8 | int(b[4])
	return n > 0 && n < 1<<14+2048
}

// looksLikeSSLv2ClientHello recognises the SSL 2.0-compatible ClientHello
// that SSL 3.0 and TLS clients may send first: RFC 5246 Appendix E.2 (a
// two-byte header with the top bit set, msg_type 1, a non-empty list of
// three-byte cipher specs, a session ID of 0 or 16 bytes and a 32-byte
// challenge), as Wireshark's is_sslv2_clienthello checks it.
func looksLikeSSLv2ClientHello(b []byte) bool {
	if len(b) < 46 || b[0] != 0x80 || b[2] != 1 {
		return false
	}
	specs := int(b[5])<<8 | int(b[6])
	sid := int(b[7])<<8 | int(b[8])
	return specs > 0 && specs%3 == 0 && (sid == 0 || sid == 16) && int(b[9])<<8|int(b[10]) == 32
}

// handshakeMsgLen is the length of the handshake message b starts with,
// header included (RFC 8446 §4: type, uint24 length); 0 when b holds less
// than a header.
func handshakeMsgLen(b []byte) int {
	if len(b) < 4 {
		return 0
	}
	return 4 + (int(b[1])<<16 | int(b[2])<<8 | int(b[3]))
}

// tlsHandshakeHeader splits a handshake message: RFC 8446 §4
// (msg_type uint8, length uint24, body).
func tlsHandshakeHeader(b []byte) (typ uint8, length int, ok bool) {
	if len(b) < 4 {
		return 0, 0, false
	}
	return b[0], int(b[1])<<16 | int(b[2])<<8 | int(b[3]), true
}

// parseHandshake checks that b is exactly one handshake message and
// returns its type and body.
func parseHandshake(b []byte) (typ uint8, body []byte, err error) {
	typ, n, ok := tlsHandshakeHeader(b)
	if !ok || len(b) != 4+n {
		return 0, nil, errTLSShort
	}
	return typ, b[4:], nil
}

// tlsExtension is one entry of an extension list (RFC 8446 §4.2:
// extension_type uint16, extension_data <0..2^16-1>).
type tlsExtension struct {
	typ  uint16
	data []byte
	off  int // offset of extension_type in the message body
}

// readExtensions reads an extension list <0..2^16-1> that must fill s
// exactly; base is the offset of s in the message body.
func readExtensions(s cryptobyte.String, base int) ([]tlsExtension, error) {
	var list cryptobyte.String
	if !s.ReadUint16LengthPrefixed(&list) || !s.Empty() {
		return nil, errTLSShort
	}
	return readExtensionEntries(list, base+2)
}

// readExtensionEntries reads the entries of an extension list whose
// length was already read; off is the offset of the first entry.
func readExtensionEntries(list cryptobyte.String, off int) ([]tlsExtension, error) {
	var out []tlsExtension
	for !list.Empty() {
		var typ uint16
		var data cryptobyte.String
		if !list.ReadUint16(&typ) || !list.ReadUint16LengthPrefixed(&data) {
			return nil, errTLSShort
		}
		out = append(out, tlsExtension{typ: typ, data: data, off: off})
		off += 4 + len(data)
	}
	return out, nil
}

// tlsClientHello is RFC 8446 §4.1.2 (RFC 5246 §7.4.1.2 before it).
type tlsClientHello struct {
	vers          uint16
	random        []byte
	sessionID     []byte
	cipherSuites  []uint16
	compression   []uint8
	hasExtensions bool // SSL 3.0 hellos may end after compression_methods
	extensions    []tlsExtension
	// Offsets in the body.
	cipherOff, compOff, extOff int
}

// parseClientHello reads a ClientHello body.
func parseClientHello(body []byte) (*tlsClientHello, error) {
	m := &tlsClientHello{}
	s := cryptobyte.String(body)
	var random, sid, suites, comp cryptobyte.String
	// legacy_version, random[32], legacy_session_id <0..32>
	if !s.ReadUint16(&m.vers) || !s.ReadBytes((*[]byte)(&random), 32) || !s.ReadUint8LengthPrefixed(&sid) || len(sid) > 32 {
		return nil, errTLSShort
	}
	m.random, m.sessionID = random, sid
	// cipher_suites <2..2^16-2>
	m.cipherOff = len(body) - len(s)
	if !s.ReadUint16LengthPrefixed(&suites) || len(suites) < 2 || len(suites)%2 != 0 {
		return nil, errTLSShort
	}
	for !suites.Empty() {
		var cs uint16
		suites.ReadUint16(&cs)
		m.cipherSuites = append(m.cipherSuites, cs)
	}
	// legacy_compression_methods <1..2^8-1>
	m.compOff = len(body) - len(s)
	if !s.ReadUint8LengthPrefixed(&comp) || len(comp) < 1 {
		return nil, errTLSShort
	}
	m.compression = comp
	m.extOff = len(body) - len(s)
	if s.Empty() {
		return m, nil
	}
	m.hasExtensions = true
	var err error
	m.extensions, err = readExtensions(s, m.extOff)
	return m, err
}

// tlsServerHello is RFC 8446 §4.1.3 (RFC 5246 §7.4.1.3); a
// HelloRetryRequest is a ServerHello with the special random.
type tlsServerHello struct {
	vers          uint16
	random        []byte
	sessionID     []byte
	cipherSuite   uint16
	compression   uint8
	hasExtensions bool
	extensions    []tlsExtension
	extOff        int
}

// isHRR reports whether the message is a HelloRetryRequest (RFC 8446 §4.1.3).
func (m *tlsServerHello) isHRR() bool { return string(m.random) == string(helloRetryRandom) }

// parseServerHello reads a ServerHello body.
func parseServerHello(body []byte) (*tlsServerHello, error) {
	m := &tlsServerHello{}
	s := cryptobyte.String(body)
	var random, sid cryptobyte.String
	if !s.ReadUint16(&m.vers) || !s.ReadBytes((*[]byte)(&random), 32) || !s.ReadUint8LengthPrefixed(&sid) || len(sid) > 32 ||
		!s.ReadUint16(&m.cipherSuite) || !s.ReadUint8(&m.compression) {
		return nil, errTLSShort
	}
	m.random, m.sessionID = random, sid
	m.extOff = len(body) - len(s)
	if s.Empty() {
		return m, nil
	}
	m.hasExtensions = true
	var err error
	m.extensions, err = readExtensions(s, m.extOff)
	return m, err
}

// scanServerHello is tls_scan_server_hello: the version a ServerHello
// negotiates (its supported_versions extension when the legacy version
// says TLS 1.2, RFC 8446 §4.2.1) and whether it is a HelloRetryRequest.
// It reads only what it needs and never fails.
func scanServerHello(body []byte) (vers uint16, hrr bool) {
	if len(body) < 2 {
		return 0, false
	}
	vers = uint16(body[0])<<8 | uint16(body[1])
	if vers != versionTLS12 || len(body) < 46 {
		return vers, false
	}
	hrr = string(body[2:34]) == string(helloRetryRandom)
	off := 34
	sid := int(body[off])
	off++
	if len(body)-off < sid+5 {
		return vers, hrr
	}
	off += sid + 5
	for len(body)-off >= 6 {
		typ := uint16(body[off])<<8 | uint16(body[off+1])
		n := int(body[off+2])<<8 | int(body[off+3])
		if len(body)-off < 4+n {
			break
		}
		if typ == extSupportedVersions && n == 2 {
			return uint16(body[off+4])<<8 | uint16(body[off+5]), hrr
		}
		off += 4 + n
	}
	return vers, hrr
}

// tlsCertificates is the certificate_list of a TLS ≤ 1.2 Certificate
// message (RFC 5246 §7.4.2: ASN.1Cert <1..2^24-1> in a <0..2^24-1> list),
// or of a TLS 1.3 one (RFC 8446 §4.4.2: a request context, then
// CertificateEntry {cert_data, extensions}).
type tlsCertificates struct {
	context []byte   // TLS 1.3
	certs   [][]byte // DER
	offs    []int    // offset of each certificate's length field
	exts    [][]tlsExtension
}

// parseCertificate reads a Certificate body; tls13 selects RFC 8446's form.
func parseCertificate(body []byte, tls13 bool) (*tlsCertificates, error) {
	m := &tlsCertificates{}
	s := cryptobyte.String(body)
	if tls13 {
		var ctx cryptobyte.String
		if !s.ReadUint8LengthPrefixed(&ctx) {
			return nil, errTLSShort
		}
		m.context = ctx
	}
	var list cryptobyte.String
	if !s.ReadUint24LengthPrefixed(&list) || !s.Empty() {
		return nil, errTLSShort
	}
	off := len(body) - len(list)
	for !list.Empty() {
		var cert cryptobyte.String
		if !list.ReadUint24LengthPrefixed(&cert) || len(cert) == 0 {
			return nil, errTLSShort
		}
		m.certs = append(m.certs, cert)
		m.offs = append(m.offs, off)
		off += 3 + len(cert)
		if tls13 {
			var ext cryptobyte.String
			if !list.ReadUint16LengthPrefixed(&ext) {
				return nil, errTLSShort
			}
			exts, err := readExtensionEntries(ext, off+2)
			if err != nil {
				return nil, err
			}
			m.exts = append(m.exts, exts)
			off += 2 + len(ext)
		}
	}
	return m, nil
}

// tlsNewSessionTicket is RFC 5077 §3.3 (TLS ≤ 1.2) or RFC 8446 §4.6.1.
type tlsNewSessionTicket struct {
	lifetime uint32
	ageAdd   uint32 // TLS 1.3
	nonce    []byte // TLS 1.3
	ticket   []byte
	extOff   int
	exts     []tlsExtension // TLS 1.3
}

func parseNewSessionTicket(body []byte, tls13 bool) (*tlsNewSessionTicket, error) {
	m := &tlsNewSessionTicket{}
	s := cryptobyte.String(body)
	if !s.ReadUint32(&m.lifetime) {
		return nil, errTLSShort
	}
	if tls13 {
		var nonce cryptobyte.String
		if !s.ReadUint32(&m.ageAdd) || !s.ReadUint8LengthPrefixed(&nonce) {
			return nil, errTLSShort
		}
		m.nonce = nonce
	}
	var ticket cryptobyte.String
	if !s.ReadUint16LengthPrefixed(&ticket) {
		return nil, errTLSShort
	}
	m.ticket = ticket
	m.extOff = len(body) - len(s)
	if !tls13 {
		if !s.Empty() {
			return nil, errTLSShort
		}
		return m, nil
	}
	var err error
	m.exts, err = readExtensions(s, m.extOff)
	return m, err
}

// tlsCertificateRequest is RFC 5246 §7.4.4 (TLS ≤ 1.2): certificate_types
// <1..2^8-1>, supported_signature_algorithms <2..2^16-2> (TLS 1.2 only),
// certificate_authorities <0..2^16-1> of DistinguishedName <1..2^16-1>.
type tlsCertificateRequest struct {
	types    []uint8
	sigAlgs  []uint16
	hasAlgs  bool
	dnames   [][]byte
	algsOff  int
	dnameOff int
}

func parseCertificateRequest(body []byte, tls12 bool) (*tlsCertificateRequest, error) {
	m := &tlsCertificateRequest{}
	s := cryptobyte.String(body)
	var types cryptobyte.String
	if !s.ReadUint8LengthPrefixed(&types) || len(types) == 0 {
		return nil, errTLSShort
	}
	m.types = types
	m.algsOff = len(body) - len(s)
	if tls12 {
		var algs cryptobyte.String
		if !s.ReadUint16LengthPrefixed(&algs) || len(algs)%2 != 0 {
			return nil, errTLSShort
		}
		m.hasAlgs = true
		for !algs.Empty() {
			var a uint16
			algs.ReadUint16(&a)
			m.sigAlgs = append(m.sigAlgs, a)
		}
	}
	m.dnameOff = len(body) - len(s)
	var names cryptobyte.String
	if !s.ReadUint16LengthPrefixed(&names) || !s.Empty() {
		return nil, errTLSShort
	}
	for !names.Empty() {
		var dn cryptobyte.String
		if !names.ReadUint16LengthPrefixed(&dn) {
			return nil, errTLSShort
		}
		m.dnames = append(m.dnames, dn)
	}
	return m, nil
}

// keyExchange is the key exchange algorithm a cipher suite names, which
// decides the form of ServerKeyExchange and ClientKeyExchange (RFC 5246
// §7.4.3 and §7.4.7, RFC 8422 §5.4 and §5.7, RFC 4279 §2).
type keyExchange uint8

const (
	kxUnknown keyExchange = iota
	kxRSA
	kxDHE
	kxECDHE
	kxPSK
	kxECDHEPSK
	kxDHEPSK
	kxRSAPSK
	kxECDHAnon // unsigned ECDHE parameters
	kxDHAnon   // unsigned DHE parameters
)

// cipherKeyExchange maps a TLS ≤ 1.2 cipher suite to its key exchange,
// from its IANA name.
func cipherKeyExchange(cs uint16) keyExchange {
	name := tlsCipherSuiteNames[cs]
	switch {
	case hasPrefix(name, "TLS_ECDHE_PSK_"):
		return kxECDHEPSK
	case hasPrefix(name, "TLS_DHE_PSK_"):
		return kxDHEPSK
	case hasPrefix(name, "TLS_RSA_PSK_"):
		return kxRSAPSK
	case hasPrefix(name, "TLS_PSK_"):
		return kxPSK
	case hasPrefix(name, "TLS_ECDH_anon_"):
		return kxECDHAnon
	case hasPrefix(name, "TLS_DH_anon_"):
		return kxDHAnon
	case hasPrefix(name, "TLS_ECDHE_"):
		return kxECDHE
	case hasPrefix(name, "TLS_DHE_"):
		return kxDHE
	case hasPrefix(name, "TLS_RSA_"):
		return kxRSA
	}
	return kxUnknown
}

func hasPrefix(s, p string) bool { return len(s) >= len(p) && s[:len(p)] == p }

// tlsServerKeyExchange holds the ServerKeyExchange forms a passive reader
// can parse: ECDHE (RFC 8422 §5.4: ECParameters, ECPoint, then a
// DigitallySigned), DHE (RFC 5246 §7.4.3: dh_p, dh_g, dh_Ys, signature)
// and PSK hints (RFC 4279 §2).
type tlsServerKeyExchange struct {
	kx        keyExchange
	hint      []byte
	curveType uint8
	curve     uint16
	point     []byte
	p, g, ys  []byte
	hasSig    bool
	sigAlg    uint16 // TLS 1.2: SignatureAndHashAlgorithm
	hasSigAlg bool
	sig       []byte
	// Offsets in the body.
	hintOff, paramsOff, sigOff int
}

func parseServerKeyExchange(body []byte, kx keyExchange, tls12 bool) (*tlsServerKeyExchange, error) {
	m := &tlsServerKeyExchange{kx: kx}
	s := cryptobyte.String(body)
	if kx == kxPSK || kx == kxECDHEPSK || kx == kxDHEPSK || kx == kxRSAPSK {
		var hint cryptobyte.String
		if !s.ReadUint16LengthPrefixed(&hint) {
			return nil, errTLSShort
		}
		m.hint = hint
	}
	m.paramsOff = len(body) - len(s)
	signed := false
	switch kx {
	case kxECDHE, kxECDHEPSK, kxECDHAnon:
		var point cryptobyte.String
		if !s.ReadUint8(&m.curveType) {
			return nil, errTLSShort
		}
		if m.curveType != 3 { // only named_curve is in use (RFC 8422 §5.4)
			return nil, fmt.Errorf("decode: tls: ECParameters curve type %d not supported", m.curveType)
		}
		if !s.ReadUint16(&m.curve) || !s.ReadUint8LengthPrefixed(&point) {
			return nil, errTLSShort
		}
		m.point = point
		signed = kx == kxECDHE
	case kxDHE, kxDHEPSK, kxDHAnon:
		var p, g, ys cryptobyte.String
		if !s.ReadUint16LengthPrefixed(&p) || !s.ReadUint16LengthPrefixed(&g) || !s.ReadUint16LengthPrefixed(&ys) {
			return nil, errTLSShort
		}
		m.p, m.g, m.ys = p, g, ys
		signed = kx == kxDHE
	case kxPSK, kxRSAPSK:
	default:
		return nil, fmt.Errorf("decode: tls: unknown key exchange for ServerKeyExchange")
	}
	m.sigOff = len(body) - len(s)
	if signed {
		m.hasSig = true
		if tls12 {
			if !s.ReadUint16(&m.sigAlg) {
				return nil, errTLSShort
			}
			m.hasSigAlg = true
		}
		var sig cryptobyte.String
		if !s.ReadUint16LengthPrefixed(&sig) {
			return nil, errTLSShort
		}
		m.sig = sig
	}
	if !s.Empty() {
		return nil, errTLSShort
	}
	return m, nil
}

// tlsClientKeyExchange: RSA's EncryptedPreMasterSecret (RFC 5246
// §7.4.7.1, with a length from TLS 1.0 on), ECDHE's ECPoint (RFC 8422
// §5.7), DHE's dh_Yc (RFC 5246 §7.4.7.2), and PSK identities (RFC 4279).
type tlsClientKeyExchange struct {
	kx       keyExchange
	identity []byte
	epms     []byte
	point    []byte
	yc       []byte
	valOff   int
}

func parseClientKeyExchange(body []byte, kx keyExchange) (*tlsClientKeyExchange, error) {
	m := &tlsClientKeyExchange{kx: kx}
	s := cryptobyte.String(body)
	if kx == kxPSK || kx == kxECDHEPSK || kx == kxDHEPSK || kx == kxRSAPSK {
		var id cryptobyte.String
		if !s.ReadUint16LengthPrefixed(&id) {
			return nil, errTLSShort
		}
		m.identity = id
	}
	m.valOff = len(body) - len(s)
	var v cryptobyte.String
	switch kx {
	case kxRSA, kxRSAPSK:
		if !s.ReadUint16LengthPrefixed(&v) {
			return nil, errTLSShort
		}
		m.epms = v
	case kxECDHE, kxECDHEPSK, kxECDHAnon:
		if !s.ReadUint8LengthPrefixed(&v) {
			return nil, errTLSShort
		}
		m.point = v
	case kxDHE, kxDHEPSK, kxDHAnon:
		if !s.ReadUint16LengthPrefixed(&v) {
			return nil, errTLSShort
		}
		m.yc = v
	case kxPSK:
	default:
		return nil, fmt.Errorf("decode: tls: unknown key exchange for ClientKeyExchange")
	}
	if !s.Empty() {
		return nil, errTLSShort
	}
	return m, nil
}

// tlsCertificateVerify is RFC 5246 §7.4.8 / RFC 8446 §4.4.3: a
// DigitallySigned (the algorithm from TLS 1.2 on).
type tlsCertificateVerify struct {
	hasAlg bool
	alg    uint16
	sig    []byte
}

func parseCertificateVerify(body []byte, tls12 bool) (*tlsCertificateVerify, error) {
	m := &tlsCertificateVerify{}
	s := cryptobyte.String(body)
	if tls12 {
		if !s.ReadUint16(&m.alg) {
			return nil, errTLSShort
		}
		m.hasAlg = true
	}
	var sig cryptobyte.String
	if !s.ReadUint16LengthPrefixed(&sig) || !s.Empty() {
		return nil, errTLSShort
	}
	m.sig = sig
	return m, nil
}

// Extension contents. Each reader is given extension_data and must use
// all of it.

// readUint16List reads a vector of uint16 with a 16-bit length
// (supported_groups, signature_algorithms: RFC 8446 §4.2.7, §4.2.3).
func readUint16List(data []byte) ([]uint16, bool) {
	s := cryptobyte.String(data)
	var list cryptobyte.String
	if !s.ReadUint16LengthPrefixed(&list) || !s.Empty() || len(list)%2 != 0 {
		return nil, false
	}
	out := make([]uint16, 0, len(list)/2)
	for !list.Empty() {
		var v uint16
		list.ReadUint16(&v)
		out = append(out, v)
	}
	return out, true
}

// readUint8List reads a vector of uint8 with an 8-bit length
// (ec_point_formats, psk_key_exchange_modes).
func readUint8List(data []byte) ([]uint8, bool) {
	s := cryptobyte.String(data)
	var list cryptobyte.String
	if !s.ReadUint8LengthPrefixed(&list) || !s.Empty() {
		return nil, false
	}
	return list, true
}

// tlsServerName is one ServerName of RFC 6066 §3.
type tlsServerName struct {
	typ  uint8
	name []byte
}

// readServerNames reads a ClientHello's server_name extension.
func readServerNames(data []byte) ([]tlsServerName, bool) {
	s := cryptobyte.String(data)
	var list cryptobyte.String
	if !s.ReadUint16LengthPrefixed(&list) || !s.Empty() {
		return nil, false
	}
	var out []tlsServerName
	for !list.Empty() {
		var n tlsServerName
		var name cryptobyte.String
		if !list.ReadUint8(&n.typ) || !list.ReadUint16LengthPrefixed(&name) {
			return nil, false
		}
		n.name = name
		out = append(out, n)
	}
	return out, true
}

// readALPN reads a ProtocolNameList (RFC 7301 §3.1).
func readALPN(data []byte) ([][]byte, bool) {
	s := cryptobyte.String(data)
	var list cryptobyte.String
	if !s.ReadUint16LengthPrefixed(&list) || !s.Empty() {
		return nil, false
	}
	var out [][]byte
	for !list.Empty() {
		var p cryptobyte.String
		if !list.ReadUint8LengthPrefixed(&p) {
			return nil, false
		}
		out = append(out, p)
	}
	return out, true
}

// readSupportedVersions reads supported_versions: a ClientHello's list
// (<2..254>, 8-bit length) or a ServerHello's selected version (RFC 8446
// §4.2.1).
func readSupportedVersions(data []byte, client bool) ([]uint16, bool) {
	s := cryptobyte.String(data)
	if !client {
		var v uint16
		if !s.ReadUint16(&v) || !s.Empty() {
			return nil, false
		}
		return []uint16{v}, true
	}
	var list cryptobyte.String
	if !s.ReadUint8LengthPrefixed(&list) || !s.Empty() || len(list)%2 != 0 {
		return nil, false
	}
	var out []uint16
	for !list.Empty() {
		var v uint16
		list.ReadUint16(&v)
		out = append(out, v)
	}
	return out, true
}

// tlsKeyShare is a KeyShareEntry (RFC 8446 §4.2.8).
type tlsKeyShare struct {
	group uint16
	key   []byte
}

// readKeyShares reads key_share: a ClientHello's client_shares, a
// ServerHello's server_share, or a HelloRetryRequest's selected_group
// (returned as an entry without a key).
func readKeyShares(data []byte, hs uint8, hrr bool) ([]tlsKeyShare, bool) {
	s := cryptobyte.String(data)
	readEntry := func(s *cryptobyte.String) (tlsKeyShare, bool) {
		var e tlsKeyShare
		var key cryptobyte.String
		if !s.ReadUint16(&e.group) || !s.ReadUint16LengthPrefixed(&key) {
			return e, false
		}
		e.key = key
		return e, true
	}
	switch {
	case hrr:
		var g uint16
		if !s.ReadUint16(&g) || !s.Empty() {
			return nil, false
		}
		return []tlsKeyShare{{group: g}}, true
	case hs == hsServerHello:
		e, ok := readEntry(&s)
		if !ok || !s.Empty() {
			return nil, false
		}
		return []tlsKeyShare{e}, true
	}
	var list cryptobyte.String
	if !s.ReadUint16LengthPrefixed(&list) || !s.Empty() {
		return nil, false
	}
	var out []tlsKeyShare
	for !list.Empty() {
		e, ok := readEntry(&list)
		if !ok {
			return nil, false
		}
		out = append(out, e)
	}
	return out, true
}

// tlsPSKIdentity is a PskIdentity (RFC 8446 §4.2.11).
type tlsPSKIdentity struct {
	identity []byte
	age      uint32
}

// tlsOfferedPSKs is a ClientHello's pre_shared_key (RFC 8446 §4.2.11).
type tlsOfferedPSKs struct {
	identities []tlsPSKIdentity
	identLen   int
	binders    [][]byte
	bindersLen int
}

func readOfferedPSKs(data []byte) (*tlsOfferedPSKs, bool) {
	s := cryptobyte.String(data)
	var ids, binders cryptobyte.String
	if !s.ReadUint16LengthPrefixed(&ids) || !s.ReadUint16LengthPrefixed(&binders) || !s.Empty() {
		return nil, false
	}
	m := &tlsOfferedPSKs{identLen: len(ids), bindersLen: len(binders)}
	for !ids.Empty() {
		var id cryptobyte.String
		var e tlsPSKIdentity
		if !ids.ReadUint16LengthPrefixed(&id) || !ids.ReadUint32(&e.age) {
			return nil, false
		}
		e.identity = id
		m.identities = append(m.identities, e)
	}
	for !binders.Empty() {
		var b cryptobyte.String
		if !binders.ReadUint8LengthPrefixed(&b) {
			return nil, false
		}
		m.binders = append(m.binders, b)
	}
	return m, true
}

// tlsECH is an ECHClientHello (draft-ietf-tls-esni-22 §5, RFC 9849):
// outer (0) with the HPKE suite, config id, enc and payload, or inner (1),
// empty.
type tlsECH struct {
	typ      uint8
	kdf      uint16
	aead     uint16
	configID uint8
	enc      []byte
	payload  []byte
}

func readECH(data []byte) (*tlsECH, bool) {
	s := cryptobyte.String(data)
	m := &tlsECH{}
	if !s.ReadUint8(&m.typ) {
		return nil, false
	}
	if m.typ != 0 {
		return m, s.Empty()
	}
	var enc, payload cryptobyte.String
	if !s.ReadUint16(&m.kdf) || !s.ReadUint16(&m.aead) || !s.ReadUint8(&m.configID) ||
		!s.ReadUint16LengthPrefixed(&enc) || !s.ReadUint16LengthPrefixed(&payload) || !s.Empty() {
		return nil, false
	}
	m.enc, m.payload = enc, payload
	return m, true
}

// tlsSCT is a SignedCertificateTimestamp (RFC 6962 §3.2).
type tlsSCT struct {
	version   uint8
	logID     []byte
	timestamp uint64 // ms since the epoch
	exts      []byte
	hashAlg   uint8
	sigAlg    uint8
	sig       []byte
	length    int
}

// readSCTs reads a SignedCertificateTimestampList (RFC 6962 §3.3).
func readSCTs(data []byte) ([]tlsSCT, bool) {
	s := cryptobyte.String(data)
	var list cryptobyte.String
	if !s.ReadUint16LengthPrefixed(&list) || !s.Empty() {
		return nil, false
	}
	var out []tlsSCT
	for !list.Empty() {
		var raw cryptobyte.String
		if !list.ReadUint16LengthPrefixed(&raw) {
			return nil, false
		}
		t := tlsSCT{length: len(raw)}
		var logID, exts, sig cryptobyte.String
		if !raw.ReadUint8(&t.version) || !raw.ReadBytes((*[]byte)(&logID), 32) || !raw.ReadUint64(&t.timestamp) ||
			!raw.ReadUint16LengthPrefixed(&exts) || !raw.ReadUint8(&t.hashAlg) || !raw.ReadUint8(&t.sigAlg) ||
			!raw.ReadUint16LengthPrefixed(&sig) || !raw.Empty() {
			return nil, false
		}
		t.logID, t.exts, t.sig = logID, exts, sig
		out = append(out, t)
	}
	return out, true
}

// tlsSSLv2ClientHello is the SSL 2.0 CLIENT-HELLO of RFC 5246 Appendix
// E.2 (after the two-byte record header and msg_type).
type tlsSSLv2ClientHello struct {
	vers      uint16
	specs     []uint32 // V2CipherSpec, three bytes each
	sessionID []byte
	challenge []byte
}

// parseSSLv2ClientHello reads the message after msg_type.
func parseSSLv2ClientHello(b []byte) (*tlsSSLv2ClientHello, error) {
	s := cryptobyte.String(b)
	m := &tlsSSLv2ClientHello{}
	var nSpecs, nSID, nChal uint16
	if !s.ReadUint16(&m.vers) || !s.ReadUint16(&nSpecs) || !s.ReadUint16(&nSID) || !s.ReadUint16(&nChal) || nSpecs%3 != 0 {
		return nil, errTLSShort
	}
	var specs, sid, chal cryptobyte.String
	if !s.ReadBytes((*[]byte)(&specs), int(nSpecs)) || !s.ReadBytes((*[]byte)(&sid), int(nSID)) ||
		!s.ReadBytes((*[]byte)(&chal), int(nChal)) || !s.Empty() {
		return nil, errTLSShort
	}
	for !specs.Empty() {
		var v uint32
		specs.ReadUint24(&v)
		m.specs = append(m.specs, v)
	}
	m.sessionID, m.challenge = sid, chal
	return m, nil
}
