package decode

// TLS fingerprints of hellos seen in the clear.
//
// JA3 and JA3S (Salesforce, github.com/salesforce/ja3): the decimal
// fields of a ClientHello (version, cipher suites, extension types,
// supported groups, EC point formats) or a ServerHello (version, cipher
// suite, extension types), "-" within a field and "," between fields,
// GREASE values (RFC 8701) left out, and the MD5 of that string. tshark
// 4.0 shows them as tls.handshake.ja3_full/ja3 and ja3s_full/ja3s.
//
// JA4 (FoxIO, github.com/FoxIO-LLC/ja4, technical_details/JA4.md):
// "t" (TLS over TCP), the highest version offered (supported_versions if
// present, else the legacy version), "d" with an SNI or "i" without, the
// counts of cipher suites and extensions (two digits, at most 99, GREASE
// left out), the first and last characters of the first ALPN value; then
// the first 12 hex digits of the SHA-256 of the cipher suites sorted (hex,
// comma separated); then those of the extensions sorted, without SNI and
// ALPN, followed by "_" and the signature algorithms in the order sent.

import (
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// ja3String is the JA3 (client) string of a ClientHello.
func ja3String(m *tlsClientHello) string {
	var b strings.Builder
	b.WriteString(strconv.Itoa(int(m.vers)))
	b.WriteByte(',')
	writeDecList(&b, m.cipherSuites)
	b.WriteByte(',')
	var types, groups []uint16
	var formats []uint8
	for _, e := range m.extensions {
		types = append(types, e.typ)
		switch e.typ {
		case extSupportedGroups:
			if g, ok := readUint16List(e.data); ok {
				groups = append(groups, g...)
			}
		case extECPointFormats:
			if f, ok := readUint8List(e.data); ok {
				formats = append(formats, f...)
			}
		}
	}
	writeDecList(&b, types)
	b.WriteByte(',')
	writeDecList(&b, groups)
	b.WriteByte(',')
	for i, f := range formats {
		if i > 0 {
			b.WriteByte('-')
		}
		b.WriteString(strconv.Itoa(int(f)))
	}
	return b.String()
}

// ja3sString is the JA3S (server) string of a ServerHello.
func ja3sString(m *tlsServerHello) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d,%d,", m.vers, m.cipherSuite)
	types := make([]uint16, 0, len(m.extensions))
	for _, e := range m.extensions {
		types = append(types, e.typ)
	}
	writeDecList(&b, types)
	return b.String()
}

// writeDecList writes values in decimal joined by "-", without GREASE.
func writeDecList(b *strings.Builder, vs []uint16) {
	first := true
	for _, v := range vs {
		if isGREASE(v) {
			continue
		}
		if !first {
			b.WriteByte('-')
		}
		first = false
		b.WriteString(strconv.Itoa(int(v)))
	}
}

// md5Hex is the lower-case hex MD5 of s (JA3's hash).
func md5Hex(s string) string {
	h := md5.Sum([]byte(s))
	return hex.EncodeToString(h[:])
}

// ja4Fingerprint holds a ClientHello's JA4 in its four forms.
type ja4Fingerprint struct {
	ja4, raw       string // sorted lists: hashed, and as they are
	ja4o, rawOrder string // original order: hashed, and as they are
}

// ja4 computes the JA4 fingerprints of a ClientHello sent over TCP.
func ja4(m *tlsClientHello) ja4Fingerprint {
	var ciphers, exts, sigAlgs []uint16
	for _, c := range m.cipherSuites {
		if !isGREASE(c) {
			ciphers = append(ciphers, c)
		}
	}
	version := m.vers
	sni := "i"
	alpn := "00"
	sawSigAlgs, sawALPN := false, false
	for _, e := range m.extensions {
		if isGREASE(e.typ) {
			continue
		}
		exts = append(exts, e.typ)
		switch e.typ {
		case extServerName:
			sni = "d"
		case extSupportedVersions:
			if vs, ok := readSupportedVersions(e.data, true); ok {
				best := uint16(0)
				for _, v := range vs {
					if !isGREASE(v) && v > best {
						best = v
					}
				}
				if best != 0 {
					version = best
				}
			}
		case extALPN:
			if names, ok := readALPN(e.data); ok && !sawALPN && len(names) > 0 {
				alpn = ja4ALPN(names[0])
			}
			sawALPN = true
		case extSignatureAlgorithms:
			if algs, ok := readUint16List(e.data); ok && !sawSigAlgs {
				for _, a := range algs {
					if !isGREASE(a) {
						sigAlgs = append(sigAlgs, a)
					}
				}
			}
			sawSigAlgs = true
		}
	}
	a := fmt.Sprintf("t%s%s%02d%02d%s", ja4Version(version), sni, min(len(ciphers), 99), min(len(exts), 99), alpn)

	sortedCiphers := append([]uint16(nil), ciphers...)
	sort.Slice(sortedCiphers, func(i, j int) bool { return sortedCiphers[i] < sortedCiphers[j] })
	var sortedExts []uint16
	for _, e := range exts {
		if e != extServerName && e != extALPN {
			sortedExts = append(sortedExts, e)
		}
	}
	sort.Slice(sortedExts, func(i, j int) bool { return sortedExts[i] < sortedExts[j] })

	part := func(ciphers, exts []uint16) (raw, hashed string) {
		b, c := hexList(ciphers), hexList(exts)
		if len(sigAlgs) > 0 {
			c += "_" + hexList(sigAlgs)
		}
		hb, hc := "000000000000", "000000000000"
		if len(ciphers) > 0 {
			hb = sha256Prefix(b)
		}
		if len(exts) > 0 {
			hc = sha256Prefix(c)
		}
		return a + "_" + b + "_" + c, a + "_" + hb + "_" + hc
	}
	var fp ja4Fingerprint
	fp.raw, fp.ja4 = part(sortedCiphers, sortedExts)
	fp.rawOrder, fp.ja4o = part(ciphers, exts)
	return fp
}

// ja4Version is JA4's two-character version.
func ja4Version(v uint16) string {
	switch v {
	case versionTLS13:
		return "13"
	case versionTLS12:
		return "12"
	case versionTLS11:
		return "11"
	case versionTLS10:
		return "10"
	case versionSSL3:
		return "s3"
	case versionSSL2:
		return "s2"
	case 0xfeff:
		return "d1"
	case 0xfefd:
		return "d2"
	case 0xfefc:
		return "d3"
	}
	return "00"
}

// ja4ALPN is JA4's ALPN part: the first and last characters of the first
// ALPN value when both are ASCII letters or digits, else the first and
// last characters of its hex form; "00" when it is empty.
func ja4ALPN(p []byte) string {
	if len(p) == 0 {
		return "00"
	}
	alnum := func(c byte) bool { return c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' }
	first, last := p[0], p[len(p)-1]
	if alnum(first) && alnum(last) {
		return string([]byte{first, last})
	}
	h := hex.EncodeToString(p)
	return string([]byte{h[0], h[len(h)-1]})
}

// hexList writes values as four lower-case hex digits, comma separated.
func hexList(vs []uint16) string {
	var b strings.Builder
	for i, v := range vs {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "%04x", v)
	}
	return b.String()
}

// sha256Prefix is the first 12 hex digits of SHA-256(s).
func sha256Prefix(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:6])
}
